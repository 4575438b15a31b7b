#!/bin/sh
# The Rust unit tests and the C programs under valgrind memcheck, and the C
# programs built with -fsanitize=address,undefined: all must be clean.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=target/sanitize
mkdir -p "$out"
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
passed=0
failed=0
run() {
    what=$1
    shift
    if "$@" >"$out/last.log" 2>&1; then
        passed=$((passed + 1))
        echo "ok    $what"
    else
        failed=$((failed + 1))
        echo "FAIL  $what"
        tail -30 "$out/last.log" | sed 's/^/      /'
    fi
}

# the unit-test binary (proptest cases reduced: valgrind is ~50x slower)
bin=$(cargo test --lib --no-run --message-format=json 2>/dev/null |
      python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" \
       and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])')
# (memory errors only: forked children and the test harness's own threads
# leave memory behind at _exit that is not ours)
run "cargo unit tests under valgrind memcheck" \
    env PROPTEST_CASES=200 valgrind -q --error-exitcode=99 --child-silent-after-fork=yes \
    "$bin" --test-threads=2 -q

# (not the soak: tools inflate RSS; it runs natively in make check)
for prog in c_tests/master_worker.c c_tests/fallback_log.c examples/master_worker.c; do
    name=$(echo "$prog" | tr '/.' '__')
    cc -O1 -g -Wall -Wextra -Werror -Iinclude "$prog" -o "$out/$name.vg" \
        target/release/libngx_channel.a
    run "$prog under valgrind memcheck" $vg --trace-children=yes "$out/$name.vg"
    cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -Wall -Wextra -Werror -Iinclude "$prog" \
        -o "$out/$name.asan" target/release/libngx_channel.a
    run "$prog with ASan+UBSan" "$out/$name.asan"
done

echo "sanitize: $passed passed, $failed failed"
[ "$failed" = 0 ]
