#!/bin/sh
# The library installed like a system library, in a temporary prefix:
# pkg-config builds (shared, and --static), soname, symbol versions, a
# program built against this version running against the next minor one,
# and uninstall leaving nothing behind.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
version=$NGX_CHANNEL_VERSION
major=${version%%.*}
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $*"; }
bad() { failed=$((failed + 1)); echo "FAIL  $*"; }
check() { what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

make --no-print-directory install PREFIX=/usr DESTDIR="$tmp/a" >/dev/null
lib=$tmp/a/usr/lib
export PKG_CONFIG_PATH=$lib/pkgconfig
# the .pc names the real prefix; DESTDIR is only where we staged it
export PKG_CONFIG_SYSROOT_DIR=$tmp/a

echo "installed files:"
(cd "$tmp/a" && find . ! -type d | sort | sed 's/^/    /')
cat "$lib/pkgconfig/ngx_channel.pc" | sed 's/^/    /'

# shellcheck disable=SC2046
check "shared build with pkg-config --cflags --libs" \
    cc -O2 -Wall -Werror c_tests/master_worker.c -o "$tmp/shared" \
    $(pkg-config --cflags --libs ngx_channel)
check "the shared program needs libngx_channel.so.$major" \
    sh -c "readelf -d '$tmp/shared' | grep -q 'NEEDED.*\\[libngx_channel.so.$major\\]'"
check "the shared program runs" \
    env LD_LIBRARY_PATH="$lib" timeout 60 "$tmp/shared"

# shellcheck disable=SC2046
check "static build with pkg-config --static" \
    cc -static -O2 -Wall -Werror c_tests/master_worker.c -o "$tmp/static" \
    $(pkg-config --static --cflags --libs ngx_channel)
check "the static program needs no shared library" \
    sh -c "! readelf -d '$tmp/static' 2>/dev/null | grep -q NEEDED"
check "the static program runs" timeout 60 "$tmp/static"

so=$lib/libngx_channel.so.$version
readelf -d "$so" | grep SONAME | sed 's/^/    /'
check "soname libngx_channel.so.$major" \
    sh -c "readelf -d '$so' | grep -q 'SONAME.*\\[libngx_channel.so.$major\\]'"
defined=$(readelf --dyn-syms -W "$so" | awk '$1 ~ /^[0-9]+:$/ && $7 != "UND" && $8 != "" {print $8}' | sort | tr '\n' ' ')
echo "    defined dynamic symbols: $defined"
check "the four functions, at NGX_CHANNEL_1, and nothing else" \
    test "$defined" = "NGX_CHANNEL_1 ngx_add_channel_event@@NGX_CHANNEL_1 ngx_close_channel@@NGX_CHANNEL_1 ngx_read_channel@@NGX_CHANNEL_1 ngx_write_channel@@NGX_CHANNEL_1 "

# the next minor version: the same sources as version MAJOR.(MINOR+1).0
next=$(echo "$version" | awk -F. '{print $1 "." $2 + 1 ".0"}')
mkdir -p "$tmp/src"
git ls-files -z --cached --others --exclude-standard | xargs -0 tar cf - | tar xf - -C "$tmp/src"
sed -i "0,/^version = \"$version\"/s//version = \"$next\"/" "$tmp/src/Cargo.toml"
sed -i "/^name = \"ngx-channel\"\$/{n;s/^version = \"$version\"/version = \"$next\"/;}" "$tmp/src/Cargo.lock"
(cd "$tmp/src" && sh scripts/lean-lib.sh "$top/target/install-next" &&
    sh scripts/link-shared.sh "$top/target/install-next/release" "$next")
mkdir -p "$tmp/b/usr/lib"
cp -P "$top/target/install-next/release/libngx_channel.so.$next" \
      "$top/target/install-next/release/libngx_channel.so.$major" "$tmp/b/usr/lib/"
check "the next minor version ($next) has the same soname" \
    sh -c "readelf -d '$tmp/b/usr/lib/libngx_channel.so.$next' | grep -q 'SONAME.*\\[libngx_channel.so.$major\\]'"
loaded=$(LD_LIBRARY_PATH="$tmp/b/usr/lib" ldd "$tmp/shared" | awk '/libngx_channel/ {print $3}')
echo "    built against $version, loads $loaded"
check "a program built against $version loads $next" \
    test "$(readlink -f "$loaded")" = "$(readlink -f "$tmp/b/usr/lib/libngx_channel.so.$next")"
check "and runs against it" env LD_LIBRARY_PATH="$tmp/b/usr/lib" timeout 60 "$tmp/shared"

make --no-print-directory uninstall PREFIX=/usr DESTDIR="$tmp/a" >/dev/null
left=$(find "$tmp/a" ! -type d | wc -l)
check "uninstall removes every installed file" test "$left" = 0
check "and the folders it made for them" test ! -e "$tmp/a/usr/share/doc/ngx-channel"

echo "install-test: $passed passed, $failed failed"
[ "$failed" = 0 ]
