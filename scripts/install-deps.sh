#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# install-deps.sh - install the Debian/Ubuntu packages moat's build and
# tests need; quick and quiet when they are all there already.
# Usage: install-deps.sh [--build|--bench]
#   --build: only what building needs; --bench: the benchmarks' too
set -eu

# Build: compilers, libbpf and bpftool (skeletons, vmlinux.h).
BUILD="make gcc clang llvm libbpf-dev libelf-dev zlib1g-dev pkg-config"
BPFTOOL="bpftool"
# Tests and demo: the lab's DNS server, clients and tools.
# The battery adds a DoT/DoH resolver (unbound, with openssl for its
# certificate), a DNS tunnel (iodine), load (dnsperf) and file
# capabilities (setcap).
LAB="nftables iproute2 nsd dnsutils curl python3 util-linux conntrack
	iputils-ping socat clang-format sudo python3-yaml git iodine dnsperf
	unbound openssl libcap2-bin"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# Package names are chosen from apt's lists: read them once if there are
# none yet (a fresh machine or container).
apt-cache show make >/dev/null 2>&1 || $SUDO apt-get update -q

# Ubuntu ships bpftool in linux-tools; Debian has a package of its own.
if ! apt-cache show bpftool >/dev/null 2>&1; then
	BPFTOOL="linux-tools-common linux-tools-generic"
fi

# Sanitizer runtimes for the unit tests and fuzzers, for the clang that
# apt installs: packaged apart from clang on newer releases only.
CLANG_V=$(apt-cache depends clang 2>/dev/null |
	sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
SAN=""
for pkg in "libclang-rt-$CLANG_V-dev" "libclang-common-$CLANG_V-dev"; do
	if apt-cache show "$pkg" >/dev/null 2>&1; then
		SAN=$pkg
		break
	fi
done

# The action's tests need Node.js 18 or later; a runner's own will do.
NODE="nodejs"
if command -v node >/dev/null &&
	[ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -ge 18 ]; then
	NODE=""
fi
LAB="$LAB $NODE"

# Benchmarks: the throughput tool and the resolvers moat is set against.
BENCH="iperf3 dnsmasq-base unbound dnsperf"

WANT="$BUILD $BPFTOOL $LAB $SAN"
[ "${1:-}" = "--build" ] && WANT="$BUILD $BPFTOOL"
[ "${1:-}" = "--bench" ] && WANT="$WANT $BENCH"

missing=""
for pkg in $WANT; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
		grep -q "install ok installed"; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0

echo "installing:$missing"
if ! $SUDO apt-get install -y -q --no-install-recommends $missing; then
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends $missing
fi
