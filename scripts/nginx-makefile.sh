#!/bin/sh
# usage: nginx-makefile.sh OBJS incs|cflags|libs
# Prints what a configured nginx's objs/Makefile says, for building code
# against that nginx: the core include flags (CORE_INCS, relative to the
# source root), nginx's CFLAGS, or the libraries of its link line.
set -eu
mk=$1/Makefile
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
*)
    echo "usage: nginx-makefile.sh OBJS incs|cflags|libs" >&2
    exit 2
    ;;
esac
