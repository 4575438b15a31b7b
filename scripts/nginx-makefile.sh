#!/bin/sh
# usage: nginx-makefile.sh BUILD incs|cflags|libs|binary
# What the objs/Makefile of the configured nginx in BUILD (its source
# root) says, for building code against it: the core include flags
# (CORE_INCS, relative to BUILD), nginx's CFLAGS, the libraries of its
# link line, or the binary it builds (objs/nginx; objs/angie in Angie).
set -eu
mk=$1/objs/Makefile
case $2 in
incs)
    sed -n '/^CORE_INCS/,/^$/p' "$mk" | tr -d '\\' | sed 's/^CORE_INCS *=//' | tr '\n' ' '
    ;;
cflags)
    sed -n 's/^CFLAGS *= *//p' "$mk"
    ;;
libs)
    sed -n '/\$(LINK)/,/^$/p' "$mk" | tr -d '\\' | tr ' \t' '\n\n' |
        grep -E '^-l|^-pthread' | tr '\n' ' '
    ;;
binary)
    sed -n 's/^binary:[[:space:]]*//p' "$mk"
    ;;
*)
    echo "usage: nginx-makefile.sh BUILD incs|cflags|libs|binary" >&2
    exit 2
    ;;
esac
