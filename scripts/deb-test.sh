#!/bin/sh
# usage: deb-test.sh SUITE DEB_DIR
# Unpacks, each into a private root of target/deb-test (dpkg -x: nothing
# is installed, the system's nginx untouched), the nginx package make deb
# rebuilt (DEB_DIR), and Debian's own prebuilt nginx package and dynamic
# module packages of the same version, downloaded from Debian's archive
# (scripts/debian-apt.sh), not rebuilt; then runs
# tests/nginx/test_debian_package.py on them.
set -eu
suite=$1
debs=$2
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/target/deb-test
ours=$(ls "$debs"/nginx_*.deb)
version=$(dpkg-deb -f "$ours" Version)
rm -rf "$dir"
mkdir -p "$dir/download" "$dir/ours" "$dir/debian" "$dir/modules"
modules="libnginx-mod-stream libnginx-mod-mail libnginx-mod-http-geoip
libnginx-mod-http-image-filter libnginx-mod-http-xslt-filter libnginx-mod-stream-geoip"
(cd "$dir/download" &&
 for p in nginx $modules; do
     "$top/scripts/debian-apt.sh" "$suite" apt-get -q download "$p=$version"
 done) >"$dir/download.log" 2>&1 || { cat "$dir/download.log" >&2; exit 1; }
echo "Debian's own packages, $version:"
ls "$dir/download" | sed 's/^/  /'
dpkg -x "$ours" "$dir/ours"
dpkg -x "$dir/download/nginx_${version}"_*.deb "$dir/debian"
for p in $modules; do
    dpkg -x "$dir/download/${p}_${version}"_*.deb "$dir/modules"
done
timeout 600 "$top/target/venv/bin/pytest" -p no:cacheprovider \
    "$top/tests/nginx/test_debian_package.py" --deb-root="$dir"
