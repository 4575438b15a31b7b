#!/bin/sh
# usage: install.sh install|uninstall PREFIX [DESTDIR]
# Installs (from target/release, built by make lib) into DESTDIR/PREFIX:
#   lib/libngx_channel.so.X.Y.Z (soname libngx_channel.so.X) and its
#   symlinks, lib/libngx_channel.a, include/ngx_channel.h,
#   lib/pkgconfig/ngx_channel.pc (Libs.private from rustc's
#   --print native-static-libs, saved by make lib).
set -eu
action=$1
prefix=$2
destdir=${3:-}
top=$(cd "$(dirname "$0")/.." && pwd)
rel=$top/target/release
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$top/Cargo.toml" | head -1)
major=${version%%.*}
lib=$destdir$prefix/lib
inc=$destdir$prefix/include
pc=$lib/pkgconfig

case $action in
install)
    mkdir -p "$lib" "$inc" "$pc"
    install -m 0755 "$rel/libngx_channel.so.$version" "$lib/"
    ln -sf "libngx_channel.so.$version" "$lib/libngx_channel.so.$major"
    ln -sf "libngx_channel.so.$major" "$lib/libngx_channel.so"
    install -m 0644 "$rel/libngx_channel.a" "$lib/"
    install -m 0644 "$top/include/ngx_channel.h" "$inc/"
    private=$(cat "$rel/native-static-libs")
    sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" \
        -e "s|@LIBS_PRIVATE@|$private|" "$top/ngx_channel.pc.in" >"$pc/ngx_channel.pc"
    chmod 0644 "$pc/ngx_channel.pc"
    echo "installed ngx-channel $version into $destdir$prefix"
    ;;
uninstall)
    rm -f "$lib/libngx_channel.so.$version" "$lib/libngx_channel.so.$major" \
          "$lib/libngx_channel.so" "$lib/libngx_channel.a" \
          "$inc/ngx_channel.h" "$pc/ngx_channel.pc"
    echo "removed ngx-channel $version from $destdir$prefix"
    ;;
*)
    echo "usage: install.sh install|uninstall PREFIX [DESTDIR]" >&2
    exit 2
    ;;
esac
