#!/bin/sh
# usage: nginx-link.sh OBJS OUT_BINARY LIB OBJECT...
# Links OBJECTs into OUT_BINARY with nginx's real objects from the built
# nginx at OBJS (all but ngx_channel.o; nginx.o with main renamed, as it
# defines ngx_core_module and friends), nginx's own ngx_channel.c compiled
# with ref_ names and nginx's CFLAGS (the reference), the archive LIB, and
# nginx's libraries.  LINK_FLAGS adds link flags (e.g. sanitizers).
set -eu
objs=$1
bin=$2
lib=$3
shift 3
ngx=$(dirname "$objs")
out=$(dirname "$bin")
mkdir -p "$out"
top=$(cd "$(dirname "$0")/.." && pwd)
ngx_cflags=$("$top/scripts/nginx-makefile.sh" "$objs" cflags)
incs=$("$top/scripts/nginx-makefile.sh" "$objs" incs)
libs=$("$top/scripts/nginx-makefile.sh" "$objs" libs)
cd "$ngx"
# shellcheck disable=SC2086
cc $ngx_cflags $incs -Dngx_write_channel=ref_ngx_write_channel \
    -Dngx_read_channel=ref_ngx_read_channel \
    -Dngx_add_channel_event=ref_ngx_add_channel_event \
    -Dngx_close_channel=ref_ngx_close_channel \
    -c src/os/unix/ngx_channel.c -o "$out/ref_ngx_channel.o"
objcopy --redefine-sym main=nginx_main objs/src/core/nginx.o "$out/nginx_nomain.o"
nginx_objs=$(find objs/src -name '*.o' ! -name ngx_channel.o ! -name nginx.o | sort)
# shellcheck disable=SC2086
cc ${LINK_FLAGS:-} -o "$bin" "$@" "$out/ref_ngx_channel.o" "$out/nginx_nomain.o" \
    $nginx_objs objs/ngx_modules.o "$lib" $libs
