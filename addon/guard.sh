#!/bin/sh
# usage: guard.sh NGINX_BINARY
# Passes when the channel functions in the binary are ngx-channel's, and
# removes the binary when they are not, so that a wrong link (nginx's own
# ngx_channel.o kept beside the archive links fine) never passes silently.
# A correct binary passes whether stripped or not:
#  - the four functions must be defined, in the dynamic symbol table (nginx
#    links with -Wl,-E) or the symbol table;
#  - ngx-channel's ELF note (owner "ngx-channel", .note.ngx_channel) must
#    be there: it is in the object that the functions come with, and strip
#    keeps notes;
#  - where line information is left, no channel function may come from
#    nginx's src/os/unix/ngx_channel.c.
# A binary it cannot read, or without the functions, fails it untouched.
set -u
bin=$1
funcs="ngx_write_channel ngx_read_channel ngx_add_channel_event ngx_close_channel"

cannot() {
    echo "ngx-channel guard: $bin: $*; cannot check it (left as it is)" >&2
    exit 1
}
wrong() {
    echo "ngx-channel guard: $bin: $*; removing it" >&2
    rm -f "$bin"
    exit 1
}

command -v readelf >/dev/null && command -v nm >/dev/null ||
    cannot "readelf and nm (binutils) are needed"
notes=$(readelf -nW "$bin" 2>/dev/null) || cannot "readelf cannot read it"
syms="$(nm -D --defined-only "$bin" 2>/dev/null) $(nm --defined-only "$bin" 2>/dev/null)"
for f in $funcs; do
    echo "$syms" | grep -q " [Tt] $f\$" || cannot "$f is not defined in it"
done
echo "$notes" | grep -q '^ *ngx-channel ' ||
    wrong "ngx-channel's note is missing: its channel functions are not ngx-channel's"
version=$(readelf -p .note.ngx_channel "$bin" 2>/dev/null |
          sed -n 's/^ *\[ *[0-9a-f]*\] *//p' | tail -1)
if nm -l --defined-only "$bin" 2>/dev/null |
   grep -E " [Tt] ngx_(write|read|close)_channel\b| [Tt] ngx_add_channel_event\b" |
   grep -q 'ngx_channel\.c'; then
    wrong "a channel function comes from nginx's ngx_channel.c"
fi
echo "ngx-channel guard: the channel functions in $bin come from ngx-channel${version:+ $version}"
