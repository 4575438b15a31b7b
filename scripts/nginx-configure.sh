#!/bin/sh
# usage: nginx-configure.sh NAME [configure flags...]
# Copies nginx's source (scripts/nginx-src.sh; never configured in place in
# the cargo registry) to target/nginx/NAME, configures it there, and prints
# its objs directory: NGINX_BUILD_DIR for build.rs, its parent the source.  Reuses an existing configuration made with the same flags.
set -eu
name=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
src=$("$top/scripts/nginx-src.sh")
dir=$top/target/nginx/$name
objs=$dir/objs
flags="$src $* ${NGX_CHANNEL_FEATURES:+NGX_CHANNEL_FEATURES=$NGX_CHANNEL_FEATURES}"
if [ -f "$objs/ngx_auto_config.h" ] && [ "$(cat "$dir/flags" 2>/dev/null)" = "$flags" ]; then
    echo "$objs"
    exit 0
fi
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
cp -R "$src" "$dir"
cd "$dir"
if [ -x ./configure ]; then conf=./configure; else conf=auto/configure; fi
if ! $conf "$@" >configure.log 2>&1; then
    tail -20 configure.log >&2
    echo "nginx-configure.sh: configure failed, see $dir/configure.log" >&2
    exit 1
fi
echo "$flags" >flags
echo "$objs"
