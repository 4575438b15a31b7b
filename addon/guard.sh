#!/bin/sh
# usage: guard.sh NGINX_BINARY
# Passes only if the four channel functions in the binary came from
# ngx-channel: its hidden marker symbols (the weak-reference table that only
# its object refers to) are present, and no channel function carries debug
# line information from nginx's src/os/unix/ngx_channel.c.  Otherwise the
# binary is removed, so that a wrong link never passes silently.
set -u
bin=$1
fail() {
    echo "ngx-channel guard: $bin: $*; removing it" >&2
    rm -f "$bin"
    exit 1
}
syms=$(nm "$bin" 2>/dev/null) || fail "nm cannot read it"
for f in ngx_write_channel ngx_read_channel ngx_add_channel_event \
         ngx_close_channel; do
    echo "$syms" | grep -q " T $f\$" || fail "$f is not defined"
done
echo "$syms" | grep -q " ngx_channel_rs_log_error_core\$" ||
    fail "ngx-channel's object is not linked in"
if nm -l "$bin" 2>/dev/null | grep -E ' T ngx_(write|read|close)_channel|ngx_add_channel_event' |
   grep -q 'ngx_channel\.c'; then
    fail "a channel function comes from nginx's ngx_channel.c"
fi
echo "ngx-channel guard: the channel functions in $bin come from ngx-channel"
