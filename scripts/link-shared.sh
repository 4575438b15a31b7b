#!/bin/sh
# usage: link-shared.sh RELEASE_DIR VERSION
# Links the installable shared library from the lean archive:
# libngx_channel.so.VERSION with soname libngx_channel.so.MAJOR, the four
# functions bound to version node NGX_CHANNEL_1 (ngx_channel.map) and
# nothing else exported, plus the usual symlinks .so.MAJOR and .so.
# (cargo's cdylib cannot carry our version node: rustc passes its own
# version script.)  Only the archive members the four functions need are
# pulled in (-u), and unused sections are dropped.
set -eu
dir=$1
version=$2
major=${version%%.*}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$dir"
${CC:-cc} -shared -o "libngx_channel.so.$version" \
    -Wl,-u,ngx_write_channel,-u,ngx_read_channel \
    -Wl,-u,ngx_add_channel_event,-u,ngx_close_channel \
    libngx_channel.a \
    -Wl,--version-script="$top/ngx_channel.map" \
    -Wl,-soname,"libngx_channel.so.$major" \
    -Wl,--gc-sections -Wl,-z,relro -Wl,-z,now -Wl,--as-needed -lc
ln -sf "libngx_channel.so.$version" "libngx_channel.so.$major"
ln -sf "libngx_channel.so.$major" libngx_channel.so
