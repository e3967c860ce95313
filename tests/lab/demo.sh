#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# demo.sh - moat at work in a lab of network namespaces, offline: an
# allowed name resolves and connects, an unlisted one is refused, a direct
# address is blocked, the audit log tells it all, and nothing is left.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
source "$HERE/harness.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "the demo builds network namespaces: run it as root (sudo make demo)" >&2
	exit 1
fi

step() {
	printf '\n\033[1m== %s\033[0m\n' "$*"
}

show() {
	printf '$ %s\n' "$*"
	"$@" 2>&1 | sed 's/^/  /'
	return "${PIPESTATUS[0]}"
}

trap lab_down EXIT
step "Building the lab: a runner namespace, and a network with NSD and web servers"
lab_up || exit 1
before=$(host_state)
echo "  runner 192.0.2.2 -> net 192.0.2.1; DNS at 192.0.2.53; hosts in 198.51.100.0/24, 203.0.113.0/24"

step "Starting moat in the runner: allow allowed.lab.test on port 80 only"
show echo moat start --interface mr0 --upstream 192.0.2.53 --allow allowed.lab.test:80
moat_start --allow allowed.lab.test:80 || exit 1
echo "  ready"

status=0
step "An allowed name resolves and connects"
show client dig +short allowed.lab.test || status=1
show client curl -s -4 --max-time 2 http://allowed.lab.test/ || status=1

step "An unlisted name is refused"
show client dig +time=2 +tries=1 blocked.lab.test | grep -E 'status|EDE'
[ "$(dig_status blocked.lab.test)" = REFUSED ] || status=1

step "A direct address is blocked (it serves HTTP, but no allowed answer named it)"
if show client curl -s --max-time 1 http://203.0.113.7/; then
	status=1
else
	echo "  (no connection: dropped by the classifier)"
fi

step "The allowed host on a port outside the rule is blocked too"
if show client curl -s -4 --max-time 1 http://allowed.lab.test:8080/; then
	status=1
fi

step "Stopping moat"
moat_stop TERM || status=1

step "The audit log (NDJSON)"
sed 's/^/  /' "$LAB_DIR/audit.log"

step "The host is as it was: no moat table, no moat filter"
show in_runner nft list ruleset
show in_runner tc filter show dev mr0 egress
if [ "$(host_state)" != "$before" ]; then
	echo "  but the lab's netfilter, qdiscs or cgroup hooks differ from before"
	status=1
fi

if [ $status -eq 0 ]; then
	step "Demo finished: everything behaved as described"
else
	step "Demo finished, but something did not behave as described"
fi
exit $status
