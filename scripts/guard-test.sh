#!/bin/sh
# usage: guard-test.sh NGX
# addon/guard.sh on the builds of one nginx tree (NGX = target/nginx/TREE):
# it passes, and keeps, ours as built, linked with -s (ours-stripped: the
# guard already ran inside that build), and stripped afterwards the way
# strip(1) and Debian's dh_strip do it; it fails, and removes, stock nginx,
# stripped or not; a file it cannot read fails it, untouched.  Works on copies.  Ends with "N passed, M failed".
set -u
ngx=$1
top=$(cd "$(dirname "$0")/.." && pwd)
guard=$top/addon/guard.sh
tmp=$top/target/guard
rm -rf "$tmp"
mkdir -p "$tmp"
passed=0
failed=0
result() {
    if [ "$1" = 0 ]; then passed=$((passed + 1)); echo "ok    $2"
    else failed=$((failed + 1)); echo "FAIL  $2"; fi
}
# copy NAME FROM [STRIP ARGS...]: a copy of FROM's binary, maybe stripped
copy() {
    name=$1 from=$2
    shift 2
    cp -L "$ngx/$from/binary" "$tmp/$name"
    [ $# = 0 ] || strip "$@" "$tmp/$name"
}
kept() {
    "$guard" "$tmp/$1" && [ -f "$tmp/$1" ]
    result $? "$1: passes, kept"
}
removed() {
    ! "$guard" "$tmp/$1" && [ ! -e "$tmp/$1" ]
    result $? "$1: fails, removed"
}

copy ours-debug ours-debug
kept ours-debug
copy ours-plain ours-plain
kept ours-plain
copy ours-ld-s ours-stripped
readelf -S "$tmp/ours-ld-s" | grep -q '\.symtab'
result $((! $?)) "ours-ld-s: built with --with-ld-opt=-s, no symbol table"
kept ours-ld-s
copy ours-strip-all ours-debug --strip-all
kept ours-strip-all
copy ours-dh-strip ours-plain --remove-section=.comment --remove-section=.note --strip-unneeded
kept ours-dh-strip
copy stock stock-plain
removed stock
copy stock-strip-all stock-plain --strip-all
removed stock-strip-all
printf 'not an ELF file\n' >"$tmp/not-elf"
! "$guard" "$tmp/not-elf" && [ -f "$tmp/not-elf" ]
result $? "not-elf: fails, left as it is (it cannot tell)"
echo "guard: $passed passed, $failed failed"
[ "$failed" = 0 ]
