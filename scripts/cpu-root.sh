#!/bin/sh
# usage: cpu-root.sh ARCH DIR            make DIR a Debian trixie root for ARCH
#        cpu-root.sh ARCH DIR run CMD... run CMD inside it (sh -c)
# A root for another CPU (Debian's arch names), from the Debian archive the
# system's apt sources name, with what the tests need: trixie's gcc, rustc
# and cargo, python3, perl, valgrind and nginx's build dependencies.
#   i386:  an i386 root; its programs run natively on an x86_64 kernel,
#          under linux32 (uname -m says i686, as nginx's configure reads).
#   arm64: an amd64 root with arm64 as a foreign architecture: trixie's
#          aarch64 cross gcc and arm64 Rust std build there natively, and
#          what they build runs through qemu-user (binfmt_misc), as do
#          arm64's valgrind and nginx's configure tests.  Compiling under
#          emulation would be 20-27 times slower.  `run` exports the cross
#          environment: CARGO_BUILD_TARGET, the linker, CC, OBJCOPY,
#          NGX_CROSSBUILD.
# The host's CA certificates are copied in (pip reaches PyPI through them).
# DIR/.made is written last: make's target.  `run` mounts /proc, /dev and
# /dev/pts inside for the command and unmounts them on every exit path.
# Exit status 3: this host cannot run ARCH's programs (no binfmt_misc entry).
set -eu
arch=$1
dir=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
pkgs="build-essential rustc cargo python3 python3-venv perl binutils procps pkg-config
ca-certificates util-linux file dpkg-dev"
personality=
cross=
case $arch in
i386)
    personality=linux32
    pkgs="$pkgs valgrind libpcre2-dev zlib1g-dev libssl-dev" ;;
arm64)
    [ "$(uname -m)" = x86_64 ] || { echo "cpu-root.sh: arm64 is cross-built from x86_64 only" >&2; exit 1; }
    cross="CARGO_BUILD_TARGET=aarch64-unknown-linux-gnu
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
        CC=aarch64-linux-gnu-gcc HOST_CC=gcc OBJCOPY=aarch64-linux-gnu-objcopy
        NGX_CROSSBUILD=Linux::aarch64"
    pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
        libstd-rust-dev:arm64 libc6:arm64 libpcre2-dev:arm64 zlib1g-dev:arm64
        libcrypt-dev:arm64 valgrind:arm64" ;;
*) echo "cpu-root.sh: ARCH is i386 (i686) or arm64 (aarch64), not '$arch'" >&2; exit 1 ;;
esac

if [ "${1:-}" = run ]; then
    shift
    trap 'umount "$dir/dev/pts" "$dir/dev" "$dir/proc" 2>/dev/null || true' EXIT INT TERM
    mount -t proc proc "$dir/proc"
    mount --bind /dev "$dir/dev"
    mount --bind /dev/pts "$dir/dev/pts"
    # shellcheck disable=SC2086
    $personality chroot "$dir" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 PIP_CERT=/etc/ssl/certs/ca-certificates.crt CI="${CI:-}" $cross sh -c "$*"
    exit
fi

binfmt=/proc/sys/fs/binfmt_misc
if [ "$arch" = arm64 ] && [ ! -e $binfmt/qemu-aarch64 ] && [ "$(id -u)" = 0 ]; then
    # binfmt-support registers qemu's entries where binfmt_misc is mounted;
    # in a container without systemd, nothing mounted it
    [ -e $binfmt/register ] || mount -t binfmt_misc binfmt_misc $binfmt 2>/dev/null || true
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
if [ "$arch" = arm64 ] && [ ! -e $binfmt/qemu-aarch64 ]; then
    echo "cpu-root.sh: binfmt_misc has no qemu-aarch64 on this host: arm64 programs cannot run" \
        "(install qemu-user-static and binfmt-support; mount binfmt_misc)" >&2
    exit 3
fi
archive=$("$top/scripts/debian-apt.sh" archive)
rm -rf "$dir"
mkdir -p "$dir"
debootstrap --variant=minbase --arch="$([ -n "$cross" ] && echo amd64 || echo "$arch")" \
    trixie "$dir" "$archive" >"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
mkdir -p "$dir/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/" 2>/dev/null || true
# shellcheck disable=SC2086
"$0" "$arch" "$dir" run "${cross:+dpkg --add-architecture arm64 && }apt-get -q update && \
    DEBIAN_FRONTEND=noninteractive apt-get -q -y --no-install-recommends install $(echo $pkgs) \
    && update-ca-certificates" >>"$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
touch "$dir/.made"
