#!/bin/sh
# usage: diff-harness.sh OBJS [harness args...]
# Builds and runs the differential harness (c_tests/diff) against the built
# nginx at OBJS: nginx's own ngx_channel.c compiled with ref_ names, our
# archive built for that nginx, and nginx's real objects (all but
# ngx_channel.o; nginx.o with main renamed).  HARNESS_WRAP (e.g. valgrind)
# runs it under a tool; HARNESS_CFLAGS adds flags (e.g. sanitizers), which
# then also rebuild the harness's own objects in a separate directory.
set -eu
objs=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
ngx=$(dirname "$objs")
name=$(basename "$ngx")
lib=$("$top/scripts/lib-for-nginx.sh" "$objs")
flavour=${HARNESS_FLAVOUR:-plain}
out=$top/target/harness/$name-$flavour
mkdir -p "$out"
base="-O1 -g -Wall -Wextra -Werror -Wno-unused-parameter"
cflags="$base ${HARNESS_CFLAGS:-}"
incs=$(sed -n '/^CORE_INCS/,/^$/p' "$objs/Makefile" | tr -d '\\' | sed 's/^CORE_INCS *=//' | tr '\n' ' ')
libs=$(sed -n '/\$(LINK)/,/^$/p' "$objs/Makefile" | tr -d '\\' | tr ' \t' '\n\n' | grep -E '^-l|^-pthread' | tr '\n' ' ')

cd "$ngx"
# nginx's ngx_channel.c, renamed: the reference, built as nginx's other
# objects are (never with HARNESS_CFLAGS: the sanitizers watch our side).
# shellcheck disable=SC2086
cc $base $incs -Dngx_write_channel=ref_ngx_write_channel \
    -Dngx_read_channel=ref_ngx_read_channel \
    -Dngx_add_channel_event=ref_ngx_add_channel_event \
    -Dngx_close_channel=ref_ngx_close_channel \
    -c src/os/unix/ngx_channel.c -o "$out/ref_ngx_channel.o"
objcopy --redefine-sym main=nginx_main objs/src/core/nginx.o "$out/nginx_nomain.o"
for f in harness util cases_write cases_read cases_add cases_close better; do
    # shellcheck disable=SC2086
    cc $cflags $incs -c "$top/c_tests/diff/$f.c" -o "$out/$f.o"
done
nginx_objs=$(find objs/src -name '*.o' ! -name ngx_channel.o ! -name nginx.o | sort)
# shellcheck disable=SC2086
cc ${HARNESS_CFLAGS:-} -o "$out/harness" "$out"/harness.o "$out"/util.o \
    "$out"/cases_*.o "$out"/better.o "$out/ref_ngx_channel.o" \
    "$out/nginx_nomain.o" $nginx_objs objs/ngx_modules.o "$lib" $libs
echo "built $out/harness against $objs"
${HARNESS_WRAP:-} "$out/harness" "$@"
