#!/bin/sh
# Installs the Debian packages the build and tests need, when missing: a C
# toolchain, nginx's build dependencies (PCRE2; PCRE1 for nginx before
# 1.21.5, where the release has it; zlib, OpenSSL), python3 and venv (pytest in target/venv) and perl
# (nginx's test suite) for the real-nginx tests, valgrind, dpkg-dev
# (dpkg-source, for Debian's nginx source packages); debootstrap, and
# qemu-user-static with binfmt-support, for the other CPUs' roots.  As root it runs
# apt-get; otherwise it prints the command to run.
set -eu
pkgs="pkg-config build-essential g++ make binutils python3 python3-venv perl libpcre2-dev zlib1g-dev libssl-dev valgrind procps dpkg-dev debootstrap
qemu-user-static binfmt-support"
# PCRE1, for nginx before 1.21.5, where the release still has it (not trixie)
apt-cache policy libpcre3-dev 2>/dev/null | grep -q 'Candidate: [0-9]' && pkgs="$pkgs libpcre3-dev"
need=""
for p in $pkgs; do
    dpkg -s "$p" >/dev/null 2>&1 || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing packages:$need; run: sudo apt-get install$need" >&2
    exit 1
fi
echo "installing:$need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $need >/dev/null
