#!/bin/sh
# usage: footprint.sh STOCK_NGINX OURS_NGINX
# What linking ngx-channel in place of ngx_channel.c costs nginx: text
# growth (at most 4 KiB) and exported dynamic symbols (the same set as
# stock).  Prints "text: stock N, ours M, growth G bytes" and "exported
# symbols: stock N, ours M" (bench/bench.py reads these two lines), then
# "N passed, M failed".
set -eu
stock=$1
ours=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ts=$(size "$stock" | awk 'NR==2 {print $1}')
to=$(size "$ours" | awk 'NR==2 {print $1}')
nm -D --defined-only "$stock" | awk '{print $3}' | sort >"$tmp/stock"
nm -D --defined-only "$ours" | awk '{print $3}' | sort >"$tmp/ours"
echo "text: stock $ts, ours $to, growth $((to - ts)) bytes"
echo "exported symbols: stock $(wc -l <"$tmp/stock"), ours $(wc -l <"$tmp/ours")"
passed=0
failed=0
if [ $((to - ts)) -le 4096 ]; then
    passed=$((passed + 1))
else
    echo "FAIL: text grew by more than 4 KiB"
    failed=$((failed + 1))
fi
if diff "$tmp/stock" "$tmp/ours"; then
    passed=$((passed + 1))
else
    echo "FAIL: the exported symbols differ"
    failed=$((failed + 1))
fi
echo "footprint: $passed passed, $failed failed"
[ "$failed" = 0 ]
