#!/bin/sh
# usage: fuzz.sh SECONDS
# Coverage-guided fuzzing of ngx_read_channel (fuzz/hostile.rs) with
# libFuzzer, on the stable toolchain: the target is built as cargo-fuzz
# builds it (libfuzzer-sys, LLVM's SanitizerCoverage through -C passes, for
# the host triple so build scripts stay uninstrumented), then run from a
# working copy of the committed seed corpus for SECONDS.  Prints
# executions and coverage; fails on any crash (a breach of the contract
# panics).
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
triple=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"
cargo build --quiet --release --manifest-path fuzz/Cargo.toml \
    --target "$triple" --target-dir target/fuzz --bin read_channel
work=target/fuzz/corpus
mkdir -p "$work" target/fuzz/artifacts
cp fuzz/corpus/read_channel/* "$work/"
log=target/fuzz/fuzz.log
if ! "target/fuzz/$triple/release/read_channel" "$work" \
        -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
        -artifact_prefix=target/fuzz/artifacts/ >"$log" 2>&1; then
    tail -40 "$log"
    exit 1
fi
grep -E '^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss' "$log" | sed 's/^/    /'
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.*cov: \([0-9]*\).*ft: \([0-9]*\).*/cov \1, features \2/p')
echo "fuzzed ngx_read_channel for ${secs}s: $execs executions, $cov, corpus $(ls "$work" | wc -l) inputs, no crash"
