#!/bin/sh
# usage: bench-build.sh OBJS OUT_BINARY
# Builds bench/roundtrip.c with nginx's CFLAGS from the built nginx at OBJS
# and links it (scripts/nginx-link.sh) with nginx's C as ref_* and ours.
set -eu
objs=$1
bin=$2
top=$(cd "$(dirname "$0")/.." && pwd)
lib=$("$top/scripts/lib-for-nginx.sh" "$objs")
cflags=$("$top/scripts/nginx-makefile.sh" "$objs" cflags)
incs=$("$top/scripts/nginx-makefile.sh" "$objs" incs)
mkdir -p "$(dirname "$bin")"
# shellcheck disable=SC2086
(cd "$(dirname "$objs")" && cc $cflags $incs -c "$top/bench/roundtrip.c" -o "$bin.o")
"$top/scripts/nginx-link.sh" "$objs" "$bin" "$lib" "$bin.o"
