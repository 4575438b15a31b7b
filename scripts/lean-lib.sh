#!/bin/sh
# usage: lean-lib.sh TARGET_DIR
# Builds the C library as nginx and C programs link it: the no_std build
# with LTO, as staticlib and cdylib only (with an rlib among the crate
# types cargo skips LTO and the archive keeps every Rust symbol global,
# which nginx's -Wl,-E would export).  Always --locked: the build uses
# exactly the crates of Cargo.lock; --offline where they are vendored
# (vendor/ of the release tarball, which .cargo/config.toml names), so that
# a builder without a network builds it.  Writes
# TARGET_DIR/release/libngx_channel.{a,so} (TARGET_DIR/TRIPLE/release with
# CARGO_BUILD_TARGET=TRIPLE, as cargo lays it out) and, beside them,
# native-static-libs (what the archive needs at link time).
#   NGINX_BUILD_DIR / NGINX_SOURCE_DIR: a configured nginx (build.rs reads
#     its layout and NGX_DEBUG from it)
#   NGX_CHANNEL_FEATURES: Cargo features, e.g. upstream-next
set -eu
dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out=$dir/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}release
mkdir -p "$out"
cd "$top"
offline=
[ -d vendor ] && [ -f .cargo/config.toml ] && offline=--offline
# shellcheck disable=SC2086
cargo rustc --locked $offline --release --lib --no-default-features \
    ${NGX_CHANNEL_FEATURES:+--features "$NGX_CHANNEL_FEATURES"} \
    --crate-type staticlib --crate-type cdylib --target-dir "$dir" \
    -- --print native-static-libs 2>"$out/lean-build.log" ||
    { cat "$out/lean-build.log" >&2; exit 1; }
sed -n 's/.*native-static-libs: //p' "$out/lean-build.log" \
    >"$out/native-static-libs"

# compiler_builtins' members stay only where the library's own code needs
# them: linked into nginx, a member would otherwise also resolve nginx's own
# calls (__divdi3 on i686) in place of libgcc's, and grow it.  (nm and ar
# complain of the members LLVM wrote as bitcode: said on stderr, dropped.)
lib=$(cd "$out" && pwd)/libngx_channel.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$lib" 2>/dev/null)
keep=$(cd "$tmp" && {
    nm -A -g --defined-only --format=posix ./*.o | sed 's/^/D /'
    nm -A -u --format=posix ./*.o | sed 's/^/U /'
} 2>/dev/null | awk '
    { f = $2; sub(/:$/, "", f); sub(/^\.\//, "", f); all[f] = 1
      if ($1 == "D") def[$3] = def[$3] " " f; else need[f] = need[f] " " $3 }
    END {
        for (f in all) if (f ~ /^ngx_channel|weak\.o$/) keep[f] = 1
        do {
            more = 0
            for (f in keep) {
                n = split(need[f], s, " ")
                for (i = 1; i <= n; i++) {
                    m = split(def[s[i]], d, " ")
                    for (j = 1; j <= m; j++) if (!(d[j] in keep)) { keep[d[j]] = 1; more = 1 }
                }
            }
        } while (more)
        for (f in keep) print f
    }')
drop=$(ar t "$lib" 2>/dev/null | grep -vxF "$keep" || true)
# shellcheck disable=SC2086
[ -z "$drop" ] || ar d "$lib" $drop 2>/dev/null
