#!/bin/sh
# usage: nginx-layout.sh OBJS EXPECT_DEBUG
# Builds the lean library with NGINX_BUILD_DIR=OBJS (build.rs checks every
# offset, bit and constant against that nginx's headers), into its own
# target directory, then proves the debug switch end to end: a plain C
# program reads EOF with a debug-level log, and the R3 debug line appears
# on stderr exactly when that nginx was configured --with-debug.
set -eu
objs=$1
expect=$2
top=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$(dirname "$objs")")
tdir=$top/target/variants/$name
NGINX_BUILD_DIR=$objs cargo rustc --release --lib --no-default-features \
    --crate-type staticlib --crate-type cdylib --target-dir "$tdir"
echo "built against $objs: layout checks passed"
bin=$tdir/debug_line
cc -O2 -Wall -Wextra -Werror -I"$top/include" "$top/c_tests/debug_line.c" \
    -o "$bin" "$tdir/release/libngx_channel.a"
"$bin" "$expect"
