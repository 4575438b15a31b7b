#!/bin/sh
# usage: dist-test.sh TARBALL NGINX_SRC
# nginx built with the addon from the release tarball with no network at
# all: TARBALL (make dist) extracted in target/dist-test, the nginx source
# tree NGINX_SRC copied beside it and configured with
# --add-module=<extracted>/addon, then built in a network namespace of its
# own with no interface up (unshare -n), an empty CARGO_HOME and
# CARGO_NET_OFFLINE=true.  Ends with "N passed, M failed".
set -u
tarball=$1
nginx_src=$2
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$top/target/dist-test
passed=0
failed=0
check() {
    what=$1
    shift
    if "$@"; then passed=$((passed + 1)); echo "ok    $what"
    else failed=$((failed + 1)); echo "FAIL  $what"; fi
}

rm -rf "$dir"
mkdir -p "$dir/cargo-home"
check "the tarball matches its .sha256" \
    sh -c "cd '$(dirname "$tarball")' && sha256sum -c --quiet '$(basename "$tarball").sha256'"
tar xzf "$tarball" -C "$dir"
ext=$(ls -d "$dir"/ngx-channel-*)
cp -R "$nginx_src" "$dir/nginx"
cd "$dir/nginx"
if [ -x ./configure ]; then conf=./configure; else conf=auto/configure; fi
check "configure --add-module=$(basename "$ext")/addon" \
    sh -c "$conf --add-module='$ext/addon' >'$dir/configure.log' 2>&1"

# the build: no network interface, no cargo registry, cargo told offline
check "a network namespace without a network (unshare -n)" \
    sh -c "unshare -n sh -c '! getent ahosts deb.debian.org >/dev/null 2>&1 && \
           ! timeout 5 bash -c \"echo > /dev/tcp/151.101.2.132/80\" 2>/dev/null'"
check "nginx builds there, CARGO_HOME empty, CARGO_NET_OFFLINE=true" \
    sh -c "unshare -n env CARGO_HOME='$dir/cargo-home' CARGO_NET_OFFLINE=true \
           make -f objs/Makefile -j\$(nproc) >'$dir/build.log' 2>&1" ||
    tail -30 "$dir/build.log"
check "cargo downloaded nothing (no registry in CARGO_HOME)" \
    test ! -e "$dir/cargo-home/registry"
check "the build ran the guard, which passed" \
    grep -q "ngx-channel guard: the channel functions in .* come from ngx-channel" "$dir/build.log"
bin=$dir/nginx/$("$top/scripts/nginx-makefile.sh" "$dir/nginx" binary)
check "nginx -V names the addon" \
    sh -c "'$bin' -V 2>&1 | grep -q -- '--add-module=$ext/addon'"
echo "dist-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
