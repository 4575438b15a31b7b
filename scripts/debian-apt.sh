#!/bin/sh
# usage: debian-apt.sh SUITE apt-get|apt-cache ARGS...
# Runs apt-get or apt-cache with a private configuration for Debian SUITE
# in target/apt/SUITE: its own sources list (deb and deb-src lines for
# SUITE main at DEBIAN_MIRROR, default http://deb.debian.org/debian, signed
# by debian-archive-keyring), its own lists and cache.  The system's apt
# sources and lists are never touched; installing (build-dep) still goes
# through the system's dpkg, as it must.
set -eu
suite=$1
tool=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
apt=$top/target/apt/$suite
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
for type in deb deb-src; do
    echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
done >"$apt/sources.list.new"
cmp -s "$apt/sources.list.new" "$apt/sources.list" 2>/dev/null ||
    mv "$apt/sources.list.new" "$apt/sources.list"
rm -f "$apt/sources.list.new"
set -- -o Dir::Etc::SourceList="$apt/sources.list" \
    -o Dir::Etc::SourceParts=/nonexistent -o Dir::State::Lists="$apt/lists" \
    -o Dir::Cache="$apt/cache" "$@"
# apt drops to _apt for downloads, which cannot write into this tree
[ "$(id -u)" = 0 ] && set -- -o APT::Sandbox::User=root "$@"
exec "$tool" "$@"
