#!/bin/sh
# usage: lean-lib.sh TARGET_DIR
# Builds the C library as nginx and C programs link it: the no_std build
# with LTO, as staticlib and cdylib only (with an rlib among the crate
# types cargo skips LTO and the archive keeps every Rust symbol global,
# which nginx's -Wl,-E would export).  Always --locked: the build uses
# exactly the crates of Cargo.lock; --offline where they are vendored
# (vendor/ of the release tarball, which .cargo/config.toml names), so that
# a builder without a network builds it.  Writes
# TARGET_DIR/release/libngx_channel.{a,so} and, beside them,
# native-static-libs (what the archive needs at link time).
#   NGINX_BUILD_DIR / NGINX_SOURCE_DIR: a configured nginx (build.rs reads
#     its layout and NGX_DEBUG from it)
#   NGX_CHANNEL_FEATURES: Cargo features, e.g. upstream-next
set -eu
dir=$1
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/release"
cd "$top"
offline=
[ -d vendor ] && [ -f .cargo/config.toml ] && offline=--offline
# shellcheck disable=SC2086
cargo rustc --locked $offline --release --lib --no-default-features \
    ${NGX_CHANNEL_FEATURES:+--features "$NGX_CHANNEL_FEATURES"} \
    --crate-type staticlib --crate-type cdylib --target-dir "$dir" \
    -- --print native-static-libs 2>"$dir/release/lean-build.log" ||
    { cat "$dir/release/lean-build.log" >&2; exit 1; }
sed -n 's/.*native-static-libs: //p' "$dir/release/lean-build.log" \
    >"$dir/release/native-static-libs"

# compiler_builtins' members stay only where the library's own code needs
# them: linked into nginx, a member would otherwise also resolve nginx's own
# calls (__divdi3 on i686) in place of libgcc's, and grow it
lib=$(cd "$dir/release" && pwd)/libngx_channel.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$lib")
keep=$(cd "$tmp" && ls | grep -E '^ngx_channel|weak\.o$')
while :; do
    need=$(cd "$tmp" && nm -u --format=just-symbols $keep 2>/dev/null | sort -u)
    more=$(cd "$tmp" && for m in *.o; do
        case " $(echo $keep) " in *" $m "*) continue ;; esac
        nm -g --defined-only --format=just-symbols "$m" 2>/dev/null | grep -qxF "$need" && echo "$m"
    done)
    [ -z "$more" ] && break
    keep="$keep $more"
done
for m in $(ar t "$lib"); do
    case " $(echo $keep) " in *" $m "*) ;; *) ar d "$lib" "$m" ;; esac
done
