#!/bin/sh
# usage: debian-apt.sh SUITE apt-get|apt-cache ARGS...
#        debian-apt.sh archive          prints the archive's URI
# Runs apt-get or apt-cache with a private configuration for Debian SUITE
# in target/apt/SUITE: its own sources list, lists and cache.  The archive
# is the one the system's apt is configured with: the site of its entry for
# the host's own release (apt-get indextargets reads sources.list and
# sources.list.d, one-line and deb822 formats alike); deb and deb-src lines
# for SUITE main there, signed by debian-archive-keyring.  The system's
# apt sources and lists are never touched; installing (build-dep) still
# goes through the system's dpkg, as it must.
set -eu
suite=$1
tool=${2:-}
shift $(( $# < 2 ? $# : 2 ))
top=$(cd "$(dirname "$0")/.." && pwd)
apt=$top/target/apt/$suite
host=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
# shellcheck disable=SC2016
archive=$(apt-get indextargets --format '$(SITE) $(RELEASE) $(TARGET_OF)' |
          awk -v r="$host" '$2 == r && $3 == "deb" {print $1; exit}')
[ -n "$archive" ] || {
    echo "debian-apt.sh: apt's sources name no Debian archive for this host's" \
         "release (${host:-unknown}): nothing to take $suite from" >&2
    exit 1
}
[ "$suite" = archive ] && { echo "$archive"; exit 0; }
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
for type in deb deb-src; do
    echo "$type [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive $suite main"
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
