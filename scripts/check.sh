#!/bin/sh
# make check: runs `$MAKE STEP` for every step given, logs each to
# target/check/STEP.log, counts the tests inside each (cargo's "test
# result" lines, every "N passed, M failed" line; a step without either
# counts as one test), and ends with "N passed, M failed".  Exits non-zero
# on any failure.  Under make -n it only lists what each step would run.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
MAKE=${MAKE:-make}
# make's single-letter flags are MAKEFLAGS' first word, without a dash
case $(echo "${MAKEFLAGS:-}" | cut -d' ' -f1) in
-*) ;;
*n*)
    for s in "$@"; do
        echo "# $s"
        $MAKE --no-print-directory "$s"
    done
    exit 0
    ;;
esac
logs=$top/target/check
mkdir -p "$logs"
passed=0
failed=0
failed_steps=""

step() {
    name=$1
    log=$logs/$name.log
    start=$(date +%s)
    if $MAKE --no-print-directory "$name" >"$log" 2>&1; then ok=1; else ok=0; fi
    secs=$(( $(date +%s) - start ))
    counts=$(grep -E '(^|[^0-9])[0-9]+ passed[;,] [0-9]+ failed' "$log" |
             sed -E 's/^(.*[^0-9])?([0-9]+) passed[;,] ([0-9]+) failed.*/\2 \3/')
    p=0; f=0
    if [ -n "$counts" ]; then
        p=$(echo "$counts" | awk '{s+=$1} END {print s}')
        f=$(echo "$counts" | awk '{s+=$2} END {print s}')
    fi
    if [ "$ok" = 1 ] && [ "$f" = 0 ]; then
        [ "$p" = 0 ] && p=1
        printf 'ok    %-28s %4d tests  %3ds\n' "$name" "$p" "$secs"
    else
        [ "$f" = 0 ] && f=1
        printf 'FAIL  %-28s %4d failed %3ds  (%s)\n' "$name" "$f" "$secs" "$log"
        tail -30 "$log" | sed 's/^/      /'
        failed_steps="$failed_steps $name"
    fi
    passed=$((passed + p))
    failed=$((failed + f))
}

for s in "$@"; do
    step "$s"
done

echo
[ -n "$failed_steps" ] && echo "failed steps:$failed_steps"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
