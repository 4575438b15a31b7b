#!/bin/sh
# usage: cpu-check.sh check ARCH TARBALL TREE_SRC NGX_TREES NGINX_TESTS
#        cpu-check.sh lib ARCH TARBALL OUT_DIR
# The proof of x86_64, on another CPU: inside the trixie root of ARCH
# (target/roots/ARCH, scripts/cpu-root.sh), the release tarball TARBALL is
# unpacked (its vendored crates build offline).
#   check: with nginx-src's tree TREE_SRC, nginx's fd-table fix from
#     NGX_TREES and nginx's test suite NGINX_TESTS beside it, runs every
#     cargo test, make compat's checks on nginx-src's nginx and Debian
#     trixie's, and make bench (the instruction ratio).  The compat report,
#     with make bench's instruction counts, comes out as
#     target/compat/report-ARCH.json, rows of docs/COMPAT.md; the logs as
#     target/roots/ARCH-*.log.  And a program of examples/ built against
#     the installed header and library (static and shared) runs.
#   lib: make lib there; the library is copied to OUT_DIR.
set -eu
mode=$1
arch=$2
tarball=$3
top=$(cd "$(dirname "$0")/.." && pwd)
root=$top/target/roots/$arch
build=$root/build
rm -rf "$build"
mkdir -p "$build/trees"
tar xzf "$tarball" -C "$build"
src=/build/$(basename "$tarball" .tar.gz)
in_root() { CI= "$top/scripts/cpu-root.sh" "$arch" "$root" run "cd $src && $*"; }

if [ "$mode" = lib ]; then
    out=$4
    in_root 'make lib >lib.log 2>&1 || { tail -20 lib.log; exit 1; }
        d=target/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}release && file -L $d/libngx_channel.so \
        && mkdir -p /build/out && cp -P $d/libngx_channel.* $d/native-static-libs /build/out/'
    mkdir -p "$out"
    cp -P "$build"/out/* "$out/"
    ls -l "$out"
    exit
fi

tree=$4
trees=$5
suite=$6
mkdir -p "$top/target/compat"
cp -R "$tree" "$build/trees/$(basename "$(dirname "$tree")")"
cp "$trees"/nginx-pr1662.tar.gz "$suite" "$build/trees/" 2>/dev/null || true
# qemu-user, which runs arm64's programs here, hands the kernel a control
# buffer twice the program's (qemu's linux-user/syscall.c,
# do_sendrecvmsg_locked) and copies back what fits: the kernel neither
# truncates control data (MSG_CTRUNC) nor closes the fds that did not fit.
# The tests of a truncated control buffer cannot run under it: they are
# skipped there by name, and the report says so (rows of docs/COMPAT.md).
not_run=
[ "$arch" = arm64 ] && not_run="tests::read::r9_control_truncation_is_logged_and_still_succeeds
tests::hostile_peer::any_hostile_peer_keeps_the_contract
tests::hostile_peer::the_committed_seed_corpus_keeps_the_contract"
skip="-- $(for t in $not_run; do printf ' --skip %s' "$t"; done) --exact"
[ -z "$not_run" ] && skip=
status=0
in_root "cargo test --offline $skip 2>&1 && cargo test --offline --features nginx-debug --lib $skip 2>&1 \
    && cargo test --offline --features upstream-next --lib $skip 2>&1" >"$root-cargo.log" || status=1
grep -E '^test result|FAILED' "$root-cargo.log" || true
in_root 'make install DESTDIR=/build/inst PREFIX=/usr >/dev/null && i=/build/inst/usr && set -x \
    && ${CC:-cc} -Wall -Werror -I$i/include examples/master_worker.c $i/lib/libngx_channel.a -o /build/mw-a \
    && ${CC:-cc} -Wall -Werror -I$i/include examples/master_worker.c -L$i/lib -lngx_channel -o /build/mw-so \
    && file /build/mw-a && /build/mw-a 2 20 && LD_LIBRARY_PATH=$i/lib /build/mw-so 2 20 && echo example: ok' \
    >"$root-example.log" 2>&1 || status=1
tail -2 "$root-example.log"
in_root "make compat COMPAT_TREES='$(basename "$(dirname "$tree")") debian-trixie' \
    NGX_TREES=/build/trees NGINX_TESTS=/build/trees/$(basename "$suite") 2>&1" >"$root-compat.log" || status=1
tail -3 "$root-compat.log"
cp "$root$src/target/compat/report.json" "$top/target/compat/report-$arch.json" || status=1
in_root "make bench 2>&1" >"$root-bench.log" || status=1
grep -E 'instructions per round trip|FAIL' "$root-bench.log" || true
# make bench's instruction counts and cargo test's totals, beside the
# compat report
NOT_RUN="$not_run" python3 - "$root$src/bench/results.json" "$top/target/compat/report-$arch.json" \
    "$root-cargo.log" <<'PY' || status=1
import json, os, re, sys
bench, out, cargo = sys.argv[1:]
with open(out) as f:
    report = json.load(f)
with open(bench) as f:
    report["bench"] = json.load(f)["instructions"]
totals = [0, 0]
with open(cargo) as f:
    for m in re.finditer(r"^test result: \w+\. (\d+) passed; (\d+) failed", f.read(), re.M):
        totals = [totals[0] + int(m[1]), totals[1] + int(m[2])]
report["cargo"] = {"passed": totals[0], "failed": totals[1],
                   "not_run": os.environ["NOT_RUN"].split(),
                   "why": "qemu-user never truncates control data (MSG_CTRUNC)"}
with open(out, "w") as f:
    json.dump(report, f, indent=1)
PY
exit $status
