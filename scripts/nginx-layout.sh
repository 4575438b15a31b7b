#!/bin/sh
# usage: nginx-layout.sh OBJS EXPECT_DEBUG
# Builds the lean library for the nginx at OBJS (scripts/lib-for-nginx.sh:
# build.rs checks every offset, bit and constant against its headers),
# then proves the debug switch end to end: a plain C program reads EOF
# with a debug-level log, and the R3 debug line appears on stderr exactly
# when that nginx was configured --with-debug.
set -eu
objs=$1
expect=$2
top=$(cd "$(dirname "$0")/.." && pwd)
lib=$("$top/scripts/lib-for-nginx.sh" "$objs")
echo "built $lib against $objs: layout checks passed"
bin=$(dirname "$lib")/debug_line
cc -O2 -Wall -Wextra -Werror -I"$top/include" "$top/c_tests/debug_line.c" \
    -o "$bin" "$lib"
"$bin" "$expect"
