#!/bin/sh
# usage: nginx-build.sh NAME [configure flags...]
# Configures (scripts/nginx-configure.sh) and builds nginx in
# target/nginx/NAME, then prints its objs directory.  make is incremental,
# so later runs reuse the objects.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
objs=$("$top/scripts/nginx-configure.sh" "$@")
cd "$(dirname "$objs")"
if ! make -f objs/Makefile -j"$(nproc)" >objs/build.log 2>&1; then
    tail -30 objs/build.log >&2
    echo "nginx-build.sh: make failed, see $objs/build.log" >&2
    exit 1
fi
echo "$objs"
