#!/bin/sh
# usage: cpu-root.sh ARCH DIR            make DIR a Debian trixie root for ARCH
#        cpu-root.sh ARCH DIR run CMD... run CMD inside it (sh -c)
# A root for another CPU (Debian's arch names: i386 runs natively on an
# x86_64 kernel, under linux32; arm64 through qemu-user and binfmt_misc),
# from the Debian archive the system's apt sources name, with what the
# tests need: trixie's gcc, rustc and cargo, python3, perl, valgrind and
# nginx's build dependencies.  The host's CA certificates are copied in
# (pip reaches PyPI through them).  DIR/.made is written last: make's
# target.  `run` mounts /proc, /dev and /dev/pts inside for the command
# and unmounts them on every exit path.
set -eu
arch=$1
dir=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
pkgs="build-essential rustc cargo python3 python3-venv perl valgrind binutils procps
pkg-config libpcre2-dev zlib1g-dev libssl-dev ca-certificates util-linux file"

case $arch in
i386) personality="linux32" ;;
*) personality="" ;;
esac

if [ "${1:-}" = run ]; then
    shift
    trap 'umount "$dir/dev/pts" "$dir/dev" "$dir/proc" 2>/dev/null || true' EXIT INT TERM
    mount -t proc proc "$dir/proc"
    mount --bind /dev "$dir/dev"
    mount --bind /dev/pts "$dir/dev/pts"
    # shellcheck disable=SC2086
    $personality chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/ca-certificates.crt CI="${CI:-}" sh -c "$*"
    exit
fi

archive=$("$top/scripts/debian-apt.sh" archive)
rm -rf "$dir"
mkdir -p "$dir"
if [ "$arch" = arm64 ] && [ "$(uname -m)" != aarch64 ]; then
    [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || {
        echo "cpu-root.sh: binfmt_misc has no qemu-aarch64 here: arm64 programs cannot run" >&2
        exit 3
    }
    debootstrap --foreign --variant=minbase --arch=arm64 trixie "$dir" "$archive" >"$dir.log" 2>&1
    chroot "$dir" /debootstrap/debootstrap --second-stage >>"$dir.log" 2>&1
else
    debootstrap --variant=minbase --arch="$arch" trixie "$dir" "$archive" >"$dir.log" 2>&1
fi
mkdir -p "$dir/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
# shellcheck disable=SC2086
"$0" "$arch" "$dir" run "apt-get -q update && DEBIAN_FRONTEND=noninteractive \
    apt-get -q -y --no-install-recommends install $(echo $pkgs) && update-ca-certificates" \
    >>"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
touch "$dir/.made"
