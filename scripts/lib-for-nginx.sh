#!/bin/sh
# usage: lib-for-nginx.sh OBJS
# Builds the lean C library for the configured nginx at OBJS, with
# NGINX_BUILD_DIR=OBJS (build.rs checks every layout value against it and
# takes NGX_DEBUG from it), in target/variants/NAME; prints the archive.
set -eu
objs=$1
top=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$(dirname "$objs")")
tdir=$top/target/variants/$name
cd "$top"
NGINX_BUILD_DIR=$objs cargo rustc --quiet --release --lib \
    --no-default-features --crate-type staticlib --crate-type cdylib \
    --target-dir "$tdir" >&2
echo "$tdir/release/libngx_channel.a"
