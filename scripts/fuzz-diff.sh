#!/bin/sh
# usage: fuzz-diff.sh SECONDS DIR...
# Differential fuzzing (c_tests/fuzz_diff.c) of each configuration DIR
# (target/fuzz-diff/TREE/VARIANT, its three builds made by make: fuzz/,
# asan/, cov/), side by side, one per core:
#  1. the fuzzer from the committed corpus fuzz/diff-corpus/READ_PATH-DEBUG
#     (nginx-1.28-plain, upstream-next-debug, ...) for SECONDS (nginx's C gives its edges: -fsanitize-coverage=trace-pc);
#  2. the committed corpus and what the run kept, minimised (an input
#     stays when it reaches an edge or an outcome class none before did)
#     into DIR/corpus; FUZZ_DIFF_UPDATE=1 makes it the committed corpus;
#  3. that corpus replayed under ASan and UBSan (nginx's C and the driver);
#  4. replayed in the gcov build: the branches of nginx's ngx_read_channel
#     and ngx_write_channel it takes, and the lines of those never taken.
# Fails on any difference, sanitizer report or crash.
set -eu
secs=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
status=0
# the committed corpus of a configuration: its read path, debug or plain
corpus_of() {
    (. "$top/target/nginx/${1#*fuzz-diff/}/objs/ngx_channel_rs/build.env" &&
        echo "$READ_PATH-$([ "$NGX_DEBUG" = 1 ] && echo debug || echo plain)")
}
for d in "$@"; do
    (
        cd "$d"
        rm -rf found diff-* && mkdir found
        seeds=$top/fuzz/diff-corpus/$(corpus_of "$d")
        mkdir -p "$seeds"
        fuzz/fuzz_diff -t "$secs" -s "$(date +%s)" -o found "$seeds" >fuzz.log 2>&1 || true
    ) &
done
wait
for d in "$@"; do
    cfg=${d#*fuzz-diff/}
    path=$(corpus_of "$d")
    seeds=$top/fuzz/diff-corpus/$path
    echo "== $cfg ($path)"
    cat "$d/fuzz.log"
    tail -1 "$d/fuzz.log" | grep -q ', 0 differences$' || status=1
    rm -rf "$d/corpus" && mkdir "$d/corpus"
    "$d/fuzz/fuzz_diff" -o "$d/corpus" "$seeds" "$d/found" >"$d/minimise.log" 2>&1 || status=1
    echo "minimised: $(tail -1 "$d/minimise.log")"
    if [ "${FUZZ_DIFF_UPDATE:-}" = 1 ]; then
        rm -rf "$seeds" && cp -R "$d/corpus" "$seeds"
        echo "fuzz/diff-corpus/$path: $(ls "$seeds" | wc -l) inputs"
    fi
    ASAN_OPTIONS=detect_leaks=0 "$d/asan/fuzz_diff" -r "$d/corpus" >"$d/asan.log" 2>&1 &&
        echo "ASan+UBSan: $(tail -1 "$d/asan.log")" ||
        { tail -20 "$d/asan.log"; status=1; }
    rm -f "$d"/cov/*.gcda
    "$d/cov/fuzz_diff" -r "$d/corpus" >/dev/null || status=1
    (cd "$top/target/nginx/$cfg" && gcov -b -c -f -o "$d/cov/ref_ngx_channel.o" src/os/unix/ngx_channel.c) \
        >"$d/gcov.log" 2>&1 || { cat "$d/gcov.log"; status=1; }
    # per function: lines (gcov -f) and branches taken (the .gcov file);
    # the lines whose branches were never taken
    awk '/^Function .ref_ngx_(read|write)_channel/ { f = $2; getline; print "  " f ": " $0 }' \
        "$d/gcov.log"
    awk '/^function / { on = $2 ~ /ref_ngx_(read|write)_channel/; f = $2 }
        on && /^ *[0-9#-]+: *[0-9]+:/ { line = $0 }
        on && /^branch/ { n[f]++; if ($0 ~ /taken [1-9]/) t[f]++; else miss[f] = miss[f] "\n    never taken: " line }
        END { for (f in n) printf "  %s: branches taken %d of %d%s\n", f, t[f], n[f], miss[f] }' \
        "$top/target/nginx/$cfg/ngx_channel.c.gcov"
done
exit $status
