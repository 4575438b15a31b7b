#!/bin/sh
# usage: nginx-fetch.sh TREE DIR
# Puts the pristine source of the nginx tree named TREE in DIR/src (builds
# copy it: it is never configured in place), then writes DIR/origin, one
# line saying where it came from (make's target: written last).
#   nginx-X.Y.Z, where X.Y.Z is the nginx of the nginx-src crate pinned in
#     Cargo.lock: from cargo's registry (cargo downloads it on first use);
#   any other name: NAME.tar.gz (one top-level folder) or a source
#     directory NAME, in one of the directories of NGX_TREES (a
#     space-separated list; an entry may also name a tarball or directory
#     itself).
set -eu
tree=$1
dir=$2
top=$(cd "$(dirname "$0")/.." && pwd)

crate_tree() {
    cargo metadata --format-version 1 --locked --manifest-path "$top/Cargo.toml" |
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
set -- $(crate_tree)
if [ "$tree" = "nginx-$1" ]; then
    cp -R "$2/nginx" "$dir/src"
    origin="crate nginx-src $(basename "$2" | sed 's/^nginx-src-//') (cargo registry)"
elif found=$(find_tree); then
    case $found in
    *.tar.gz)
        mkdir "$dir/unpack"
        tar xzf "$found" -C "$dir/unpack"
        mv "$dir/unpack"/* "$dir/src"
        rmdir "$dir/unpack"
        origin="$found, sha256 $(sha256sum "$found" | cut -d' ' -f1)"
        ;;
    *)
        cp -R "$found" "$dir/src"
        origin="directory $found"
        ;;
    esac
else
    echo "nginx-fetch.sh: no nginx tree named $tree: not nginx-$1 (the nginx-src" \
         "crate) and no $tree.tar.gz or $tree/ in NGX_TREES (${NGX_TREES:-unset})" >&2
    exit 1
fi
[ -f "$dir/src/src/core/nginx.h" ] ||
    { echo "nginx-fetch.sh: $tree has no src/core/nginx.h: not an nginx tree" >&2; exit 1; }
echo "$origin" >"$dir/origin"
