#!/bin/sh
# usage: cpu-check.sh ARCH TARBALL TREE_SRC NGX_TREES NGINX_TESTS
# The proof of x86_64, on another CPU: inside the trixie root of ARCH
# (target/roots/ARCH, scripts/cpu-root.sh), the release tarball TARBALL is
# unpacked (its vendored crates build offline) with nginx-src's tree
# TREE_SRC, nginx's fd-table fix from NGX_TREES and nginx's test suite
# NGINX_TESTS beside it; there it runs every cargo test, make compat's
# checks on nginx-src's nginx and make bench (the instruction ratio).  The
# compat report, with make bench's instruction counts, comes out as
# target/compat/report-ARCH.json, rows of docs/COMPAT.md; the logs as
# target/roots/ARCH-*.log.
set -eu
arch=$1
tarball=$2
tree=$3
trees=$4
suite=$5
top=$(cd "$(dirname "$0")/.." && pwd)
root=$top/target/roots/$arch
build=$root/build
rm -rf "$build"
mkdir -p "$build/trees" "$top/target/compat"
tar xzf "$tarball" -C "$build"
src=/build/$(basename "$tarball" .tar.gz)
cp -R "$tree" "$build/trees/$(basename "$(dirname "$tree")")"
cp "$trees"/nginx-pr1662.tar.gz "$suite" "$build/trees/" 2>/dev/null || true
in_root() { CI= "$top/scripts/cpu-root.sh" "$arch" "$root" run "cd $src && $*"; }
status=0
in_root "cargo test --offline 2>&1 && cargo test --offline --features nginx-debug --lib 2>&1 \
    && cargo test --offline --features upstream-next --lib 2>&1" >"$root-cargo.log" || status=1
grep -E '^test result|FAILED' "$root-cargo.log" || true
in_root "make compat COMPAT_TREES=$(basename "$(dirname "$tree")") NGX_TREES=/build/trees \
    NGINX_TESTS=/build/trees/$(basename "$suite") 2>&1" >"$root-compat.log" || status=1
tail -3 "$root-compat.log"
cp "$root$src/target/compat/report.json" "$top/target/compat/report-$arch.json" || status=1
in_root "make bench 2>&1" >"$root-bench.log" || status=1
grep -E 'instructions per round trip|FAIL' "$root-bench.log" || true
# make bench's instruction counts, beside the compat report
python3 - "$root$src/bench/results.json" "$top/target/compat/report-$arch.json" <<'PY' || status=1
import json, sys
bench, out = sys.argv[1:]
with open(bench) as f:
    counts = json.load(f)["instructions"]
with open(out) as f:
    report = json.load(f)
report["bench"] = counts
with open(out, "w") as f:
    json.dump(report, f, indent=1)
PY
exit $status
