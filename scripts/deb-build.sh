#!/bin/sh
# usage: deb-build.sh SUITE TARBALL OUT_DIR
# Debian's nginx package of SUITE, rebuilt with ngx-channel, as a
# distribution's builder would: Debian's source package (fetched by
# scripts/nginx-fetch.sh into target/trees/debian-SUITE, Debian's patches
# applied) copied to OUT_DIR/build, the addon of the release tarball
# (TARBALL, extracted beside it) added to Debian's own configure flags in
# debian/rules (common_configure_flags), nothing else changed; the build
# dependencies installed with apt-get build-dep through the private apt
# configuration (scripts/debian-apt.sh); then dpkg-buildpackage -b -uc -us
# with no network (unshare -n), an empty CARGO_HOME and
# CARGO_NET_OFFLINE=true.  The packages land in OUT_DIR; the log is
# OUT_DIR/build.log.
set -eu
suite=$1
tarball=$2
out=$3
top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/target/trees/debian-$suite/src
build=$out/build
[ -f "$src/debian/rules" ] || { echo "deb-build.sh: no $src/debian/rules (make target/trees/debian-$suite/origin)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "deb-build.sh: apt-get build-dep needs root" >&2; exit 1; }
host=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ "$suite" = "$host" ] || {
    echo "deb-build.sh: refused: the build dependencies of Debian $suite's nginx would be" \
         "installed into this host's dpkg, and this host runs Debian ${host:-(unknown)}" >&2
    exit 1
}

rm -rf "$build" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$build/cargo-home"
tar xzf "$tarball" -C "$build"
addon=$(ls -d "$build"/ngx-channel-*)/addon
version=$(cd "$src" && dpkg-parsechangelog -SVersion)
pkg=$build/nginx-${version%%-*}
cp -R "$src" "$pkg"

# the one change: the addon among Debian's own configure flags
sed -i "s|^common_configure_flags := \\\\\$|&\\n\\t\\t\\t--add-module=$addon \\\\|" "$pkg/debian/rules"
grep -q -- "--add-module=$addon" "$pkg/debian/rules" ||
    { echo "deb-build.sh: debian/rules has no common_configure_flags to add the addon to" >&2; exit 1; }
diff -u "$src/debian/rules" "$pkg/debian/rules" >"$out/rules.diff" || true

# Debian's way to get what the package builds with
"$top/scripts/debian-apt.sh" "$suite" apt-get -q update >"$out/build-dep.log" 2>&1
DEBIAN_FRONTEND=noninteractive "$top/scripts/debian-apt.sh" "$suite" \
    apt-get -q -y build-dep "$pkg" >>"$out/build-dep.log" 2>&1 ||
    { tail -20 "$out/build-dep.log" >&2; exit 1; }

cd "$pkg"
start=$(date +%s)
if ! unshare -n env CARGO_HOME="$build/cargo-home" CARGO_NET_OFFLINE=true \
        dpkg-buildpackage -b -uc -us -j"$(nproc)" >"$out/build.log" 2>&1; then
    tail -40 "$out/build.log" >&2
    echo "deb-build.sh: dpkg-buildpackage failed (see $out/build.log)" >&2
    exit 1
fi
echo "dpkg-buildpackage took $(( $(date +%s) - start )) s"
mv "$build"/*.deb "$build"/*.buildinfo "$build"/*.changes "$out/"
ls "$out"/*.deb | sed 's|.*/|  |'
