#!/bin/sh
# Prints the path of nginx 1.28.3's source tree, from the crates.io crate
# nginx-src pinned in tools/nginx-src (cargo downloads it on first use).
# NGX_SRC=/path/to/nginx overrides it, for any other nginx tree.
set -eu
if [ -n "${NGX_SRC:-}" ]; then
    echo "$NGX_SRC"
    exit 0
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cargo metadata --format-version 1 --locked --manifest-path "$top/Cargo.toml" |
python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if p["name"] == "nginx-src":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "nginx"))
        break
else:
    sys.exit("nginx-src is not in cargo metadata (tools/nginx-src/Cargo.toml)")
'
