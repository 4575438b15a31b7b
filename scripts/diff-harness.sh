#!/bin/sh
# usage: diff-harness.sh OBJS [harness args...]
# Builds and runs the differential harness (c_tests/diff) against the built
# nginx at OBJS (scripts/nginx-link.sh: nginx's real objects, its
# ngx_channel.c with ref_ names, our archive built for that nginx).
# HARNESS_WRAP (e.g. valgrind) runs it under a tool; HARNESS_CFLAGS adds
# flags (e.g. sanitizers) to the harness's own objects, built in a
# directory per HARNESS_FLAVOUR; nginx's objects stay as nginx built them.
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
cflags="-O1 -g -Wall -Wextra -Werror -Wno-unused-parameter ${HARNESS_CFLAGS:-}"
incs=$("$top/scripts/nginx-makefile.sh" "$objs" incs)

for f in harness util cases_write cases_read cases_add cases_close cases_faults better; do
    # shellcheck disable=SC2086
    (cd "$ngx" && cc $cflags $incs -c "$top/c_tests/diff/$f.c" -o "$out/$f.o")
done
LINK_FLAGS=${HARNESS_CFLAGS:-} "$top/scripts/nginx-link.sh" "$objs" "$out/harness" "$lib" \
    "$out"/harness.o "$out"/util.o "$out"/cases_*.o "$out"/better.o
echo "built $out/harness against $objs"
${HARNESS_WRAP:-} "$out/harness" "$@"
