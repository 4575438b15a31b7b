#!/bin/sh
# Installs the Debian packages the build and tests need, when missing:
# a C toolchain, nginx's build dependencies (PCRE2, zlib, OpenSSL), python3
# (and venv, for pytest in target/venv) for the nginx tests, valgrind.  As root it runs apt-get; otherwise it
# prints the command to run.
set -eu
pkgs="pkg-config build-essential g++ make binutils python3 python3-venv libpcre2-dev zlib1g-dev libssl-dev valgrind procps"
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
