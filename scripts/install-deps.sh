#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# install-deps.sh - install the Debian/Ubuntu packages moat's build and
# tests need; quick and quiet when they are all there already.
# Usage: install-deps.sh [--build]   (--build: only what building needs)
set -eu

# Build: compilers, libbpf and bpftool (skeletons, vmlinux.h).
BUILD="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config"
BPFTOOL="bpftool"
# Tests and demo: the lab's DNS server, clients and tools.
LAB="nftables iproute2 nsd dnsutils curl python3 util-linux conntrack
	iputils-ping socat clang-format sudo nodejs python3-yaml git"
# Sanitizer runtimes for the unit tests and fuzzers.
SAN="libclang-rt-14-dev"

# Ubuntu ships bpftool in linux-tools; Debian has a package of its own.
if ! apt-cache show bpftool >/dev/null 2>&1; then
	BPFTOOL="linux-tools-common linux-tools-generic"
fi
if ! apt-cache show libclang-rt-14-dev >/dev/null 2>&1; then
	SAN="libclang-rt-dev"
fi

WANT="$BUILD $BPFTOOL $LAB $SAN"
[ "${1:-}" = "--build" ] && WANT="$BUILD $BPFTOOL"

missing=""
for pkg in $WANT; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends $missing
fi
