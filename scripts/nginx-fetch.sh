#!/bin/sh
# usage: nginx-fetch.sh TREE DIR
# Puts the pristine source of the nginx tree named TREE in DIR/src (builds
# copy it: it is never configured in place), then describes it in
# DIR/origin (make's target: written last), KEY=value lines: where it came
# from, its name and nginx version, its ngx_channel.c's sha256.
#   debian-SUITE (bookworm, trixie, sid, ...): Debian's nginx source
#     package of that suite, Debian's patches applied
#     (scripts/debian-source.py, through a private apt configuration);
#   NAME: NAME.tar.gz (one top-level folder) or a source directory NAME, in
#     one of the directories of NGX_TREES (a space-separated list; an entry
#     may also name a tarball or directory itself);
#   otherwise nginx-X.Y.Z, where X.Y.Z is the nginx of the nginx-src crate
#     pinned in tools/nginx-src/Cargo.lock: from cargo's registry (cargo
#     downloads it on first use).
set -eu
tree=$1
dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)

crate_tree() {
    cargo metadata --format-version 1 --locked --manifest-path "$top/tools/nginx-src/Cargo.toml" |
    python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "nginx-src":
        print(p["version"].split("+")[-1], os.path.dirname(p["manifest_path"]))
        break
else:
    sys.exit("nginx-src is not in cargo metadata (tools/nginx-src/Cargo.toml)")
'
}

# the tarball or directory for TREE among NGX_TREES
find_tree() {
    for entry in ${NGX_TREES:-}; do
        for cand in "$entry/$tree.tar.gz" "$entry/$tree" "$entry"; do
            case $cand in
            *.tar.gz) [ -f "$cand" ] && [ "$(basename "$cand" .tar.gz)" = "$tree" ] ;;
            *) [ -f "$cand/src/core/nginx.h" ] && [ "$(basename "$cand")" = "$tree" ] ;;
            esac && { echo "$cand"; return 0; }
        done
    done
    return 1
}

rm -rf "$dir"
mkdir -p "$dir"
if [ "${tree#debian-}" != "$tree" ]; then
    mkdir "$dir/unpack"
    origin=$("$top/scripts/debian-source.py" "${tree#debian-}" "$dir/unpack")
    mv "$dir"/unpack/nginx-*/ "$dir/src"
    rm -rf "$dir/unpack"
elif found=$(find_tree); then
    case $found in
    *.tar.gz)
        mkdir "$dir/unpack"
        tar xzf "$found" -C "$dir/unpack"
        mv "$dir/unpack"/* "$dir/src"
        rmdir "$dir/unpack"
        origin="$(basename "$found"), sha256 $(sha256sum "$found" | cut -d' ' -f1)"
        ;;
    *)
        cp -R "$found" "$dir/src"
        origin="source directory $(basename "$found")"
        ;;
    esac
else
    set -- $(crate_tree)
    if [ "$tree" != "nginx-$1" ]; then
        echo "nginx-fetch.sh: no nginx tree named $tree: no $tree.tar.gz or $tree/" \
             "in NGX_TREES (${NGX_TREES:-unset}), and not nginx-$1 (the nginx-src crate)" >&2
        exit 1
    fi
    cp -R "$2/nginx" "$dir/src"
    origin="crate nginx-src $(basename "$2" | sed 's/^nginx-src-//') (cargo registry)"
fi
[ -f "$dir/src/src/core/nginx.h" ] ||
    { echo "nginx-fetch.sh: $tree has no src/core/nginx.h: not an nginx tree" >&2; exit 1; }

channel=$dir/src/src/os/unix/ngx_channel.c
define() { sed -n "s/^#define $1 *\"\(.*\)\"/\1/p" "$2" 2>/dev/null | head -1; }
version=$(define NGINX_VERSION "$dir/src/src/core/nginx.h")
name="nginx $version"
fork=$(define NGINX_NAME "$dir/src/src/core/nginx.h")
[ -n "$fork" ] && [ "$fork" != nginx ] && name="$fork $version"
angie=$(define ANGIE_VERSION "$dir/src/src/core/angie.h")
[ -n "$angie" ] && name="Angie $angie (nginx $version)"
# the tree's record: KEY='value' lines (sh syntax)
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
    echo "ORIGIN=$(quote "$origin")"
    echo "NAME=$(quote "$name")"
    echo "VERSION=$version"
    echo "CHANNEL_SHA256=$(sha256sum "$channel" | cut -d' ' -f1)"
} >"$dir/origin"
