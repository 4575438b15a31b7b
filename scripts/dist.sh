#!/bin/sh
# usage: dist.sh VERSION OUT_DIR
# The release tarball, OUT_DIR/ngx-channel-VERSION.tar.gz and its .sha256:
# every file git tracks (the generated header and Cargo.lock among them),
# plus vendor/, the crates of Cargo.lock (cargo vendor), and
# .cargo/config.toml, which points cargo at them.  From it the C library,
# and nginx with the addon, build without a network: scripts/lean-lib.sh
# builds --locked, and --offline where vendor/ is.  Reproducible: files
# sorted, owned by 0, dated by the last commit, gzip without a timestamp.
set -eu
version=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
name=ngx-channel-$version
stage=$top/target/dist/stage
rm -rf "$stage"
mkdir -p "$stage/$name/.cargo" "$out"
(cd "$top" && git ls-files -z | xargs -0 tar cf -) | tar xf - -C "$stage/$name"
# cargo vendor prints the configuration that uses what it vendored
(cd "$stage/$name" && cargo vendor --locked --versioned-dirs vendor 2>/dev/null \
    >.cargo/config.toml)
when=$(git -C "$top" log -1 --format=%ct)
tar --sort=name --mtime="@$when" --owner=0 --group=0 --numeric-owner \
    -C "$stage" -cf - "$name" | gzip -9n >"$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz: $(du -h "$out/$name.tar.gz" | cut -f1)," \
     "$(ls "$stage/$name/vendor" | wc -l) crates vendored"
