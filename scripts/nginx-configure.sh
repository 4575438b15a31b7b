#!/bin/sh
# usage: nginx-configure.sh SRC DIR [configure flags...]
# Copies the nginx source tree SRC to DIR (a fresh copy: nginx configures
# in place, and the pristine tree serves several builds) and runs its
# configure there with the flags; configure's output goes to
# DIR/configure.log.  NGX_CHANNEL_FEATURES, when set, reaches the addon;
# NGX_CROSSBUILD (e.g. Linux::aarch64, with CC the cross compiler) makes it
# a cross build.
set -eu
src=$1
dir=$2
shift 2
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
cp -R "$src" "$dir"
cd "$dir"
if [ -x ./configure ]; then conf=./configure; else conf=auto/configure; fi
[ -n "${NGX_CROSSBUILD:-}" ] && set -- --crossbuild="$NGX_CROSSBUILD" "$@"
echo "$conf $*" >configure.log
if ! $conf "$@" >>configure.log 2>&1; then
    tail -20 configure.log >&2
    echo "nginx-configure.sh: configure failed in $dir (configure.log)" >&2
    exit 1
fi
