#!/bin/sh
# The lean C library exports the four functions and nothing else:
#  - libngx_channel.so: its dynamic symbol table defines exactly the four;
#  - libngx_channel.a: outside compiler_builtins (whose members are never
#    pulled in: nothing references them), the only global, default-
#    visibility definitions are the four; the weak-reference pointers are
#    hidden; and no member refers to a Rust panic, so no panic path exists.
set -eu
dir=${1:-target/release}
want="ngx_add_channel_event ngx_close_channel ngx_read_channel ngx_write_channel"
fail=0

# the shared library make links (scripts/link-shared.sh): the four, each at
# version node NGX_CHANNEL_1, which is itself the only other definition
got=$(nm -D --defined-only "$dir/libngx_channel.so" | awk '{print $3}' | sort | tr '\n' ' ' | sed 's/ $//')
echo "libngx_channel.so exports: $got"
versioned="NGX_CHANNEL_1 $(for f in $want; do printf '%s@@NGX_CHANNEL_1 ' "$f"; done | sed 's/ $//')"
[ "$got" = "$versioned" ] || { echo "FAIL: .so exports differ from: $versioned"; fail=1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && ar x "$OLDPWD/$dir/libngx_channel.a")
members=$(ls "$tmp" | grep -v compiler_builtins)
defs=$(cd "$tmp" && for m in $members; do readelf -sW "$m"; done |
       awk '($5=="GLOBAL"||$5=="WEAK") && $7!="UND" && $6=="DEFAULT" {print $8}' | sort -u | tr '\n' ' ' | sed 's/ $//')
echo "libngx_channel.a defines (default visibility): $defs"
[ "$defs" = "$want" ] || { echo "FAIL: .a global definitions differ from: $want"; fail=1; }
hidden=$(cd "$tmp" && for m in $members; do readelf -sW "$m"; done |
         awk '$5=="GLOBAL" && $7!="UND" && $6=="HIDDEN" {print $8}' | sort -u | tr '\n' ' ')
echo "libngx_channel.a hidden: $hidden"
panics=$(cd "$tmp" && for m in $members; do readelf -sW "$m"; done | grep -ci panic || true)
echo "references to panic symbols: $panics"
[ "$panics" = 0 ] || { echo "FAIL: the lean library has a panic path"; fail=1; }
own=$(ls "$tmp" | grep -E '^ngx_channel|-weak\.o$')
text=$(cd "$tmp" && size $own | awk 'NR>1 {t+=$1} END {print t}')
echo "text of the library's own code (what nginx links): $text bytes"
exit $fail
