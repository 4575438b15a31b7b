#!/bin/sh
# usage: footprint.sh STOCK_NGINX OURS_NGINX
# What linking ngx-channel in place of ngx_channel.c costs nginx: text
# growth (target: at most 4 KiB) and exported dynamic symbols (target: the
# same set as stock).
set -eu
stock=$1
ours=$2
ts=$(size "$stock" | awk 'NR==2 {print $1}')
to=$(size "$ours" | awk 'NR==2 {print $1}')
nm -D --defined-only "$stock" | awk '{print $3}' | sort >"$ours.syms.stock"
nm -D --defined-only "$ours" | awk '{print $3}' | sort >"$ours.syms.ours"
ns=$(wc -l <"$ours.syms.stock")
no=$(wc -l <"$ours.syms.ours")
echo "text: stock $ts, ours $to, growth $((to - ts)) bytes"
echo "exported symbols: stock $ns, ours $no"
fail=0
[ $((to - ts)) -le 4096 ] || { echo "FAIL: text grew by more than 4 KiB"; fail=1; }
if ! diff "$ours.syms.stock" "$ours.syms.ours"; then
    echo "FAIL: the exported symbols differ"
    fail=1
fi
rm -f "$ours.syms.stock" "$ours.syms.ours"
exit $fail
