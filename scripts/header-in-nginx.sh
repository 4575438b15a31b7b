#!/bin/sh
# usage: header-in-nginx.sh BUILD
# Compiles c_tests/header_in_nginx.c with the include flags of the
# configured nginx in BUILD (its objs/Makefile), then checks that a header
# whose prototype differs from nginx's fails to compile there.
set -eu
src=$1
top=$(cd "$(dirname "$0")/.." && pwd)
incs=$("$top/scripts/nginx-makefile.sh" "$src" incs)
out=$top/target/c_tests
mkdir -p "$out/wrong/include"
cd "$src"
# shellcheck disable=SC2086
cc -Wall -Wextra -Werror -Wno-unused-parameter $incs \
    -c "$top/c_tests/header_in_nginx.c" -o "$out/header_in_nginx.o"
echo "header_in_nginx.c compiles against $src"

# A negative control: the same test with ngx_read_channel's size as int.
sed 's/ngx_int_t ngx_read_channel(ngx_socket_t s, ngx_channel_t \*ch, size_t size/ngx_int_t ngx_read_channel(ngx_socket_t s, ngx_channel_t *ch, int size/' \
    "$top/include/ngx_channel.h" >"$out/wrong/include/ngx_channel.h"
cmp -s "$top/include/ngx_channel.h" "$out/wrong/include/ngx_channel.h" &&
    { echo "FAIL: could not make the wrong header"; exit 1; }
mkdir -p "$out/wrong/c_tests"
cp "$top/c_tests/header_in_nginx.c" "$out/wrong/c_tests/"
# shellcheck disable=SC2086
if cc -Wall -Werror $incs -c "$out/wrong/c_tests/header_in_nginx.c" \
      -o "$out/wrong.o" 2>"$out/wrong.log"; then
    echo "FAIL: a prototype that differs from nginx's compiled"
    exit 1
fi
grep -q "conflicting types for .ngx_read_channel" "$out/wrong.log"
echo "a differing prototype is a compile error, as it must be"
