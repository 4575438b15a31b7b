#!/bin/sh
# usage: nginx-program.sh BUILD OUT SRC...
# Builds the program OUT from the C files SRC against BUILD, an nginx
# configured and built with the addon, with what its record
# (objs/ngx_channel_rs/build.env) says: nginx's compiler, CFLAGS and
# include flags (plus PROGRAM_CFLAGS, e.g. sanitizers: for these files and
# the link only; REF_CFLAGS for nginx's ngx_channel.c (coverage,
# sanitizers); PROGRAM_LDFLAGS for the link; -DNGX_CHANNEL_UPSTREAM_NEXT
# when the library reads as nginx's fd-table fix), linked with
#  - nginx's real objects from BUILD (nginx.o with main renamed, as it
#    defines ngx_core_module and friends; the addon left out ngx_channel.o),
#  - nginx's own src/os/unix/ngx_channel.c from BUILD compiled with ref_
#    names: the reference, with the flags nginx uses,
#  - the libngx_channel.a the addon built for BUILD, and nginx's libraries.
# Objects go to OUT's directory.
set -eu
build=$(cd "$1" && pwd)
out=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
lib=$build/objs/ngx_channel_rs/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}release/libngx_channel.a
record=$build/objs/ngx_channel_rs/build.env
[ -f "$lib" ] && [ -f "$record" ] ||
    { echo "nginx-program.sh: $build was not built with the addon ($record)" >&2; exit 1; }
. "$record"
[ "$READ_PATH" = upstream-next ] && PROGRAM_CFLAGS="${PROGRAM_CFLAGS:-} -DNGX_CHANNEL_UPSTREAM_NEXT=1"
dir=$(cd "$(dirname "$out")" && pwd)
objs=""
for src in "$@"; do
    case $src in /*) ;; *) src=$top/$src ;; esac
    obj=$dir/$(basename "$src" .c).o
    # shellcheck disable=SC2086
    $CC $CFLAGS ${PROGRAM_CFLAGS:-} $INCS -c "$src" -o "$obj"
    objs="$objs $obj"
done
cd "$build"
# shellcheck disable=SC2086
$CC $CFLAGS ${REF_CFLAGS:-} $INCS -Dngx_write_channel=ref_ngx_write_channel \
    -Dngx_read_channel=ref_ngx_read_channel \
    -Dngx_add_channel_event=ref_ngx_add_channel_event \
    -Dngx_close_channel=ref_ngx_close_channel \
    -c src/os/unix/ngx_channel.c -o "$dir/ref_ngx_channel.o"
"${OBJCOPY:-objcopy}" --redefine-sym main=nginx_main objs/src/core/nginx.o "$dir/nginx_nomain.o"
nginx_objs=$(find objs/src -name '*.o' ! -name nginx.o | sort)
# shellcheck disable=SC2086
$CC ${PROGRAM_CFLAGS:-} ${PROGRAM_LDFLAGS:-} -o "$dir/$(basename "$out")" $objs \
    "$dir/ref_ngx_channel.o" "$dir/nginx_nomain.o" $nginx_objs objs/ngx_modules.o "$lib" $LIBS
