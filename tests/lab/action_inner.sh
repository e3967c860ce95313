#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# action_inner.sh - run a job that uses the GitHub Action on the runner
# fixture, inside a private mount namespace with a fresh /run (moat's run
# folder) and /usr/local/lib (where the action installs moat), so that
# nothing of the host's changes. The job runs as root, or as "moatlab", an
# unprivileged user with password-less sudo as on a hosted runner.
# Usage: action_inner.sh root|user JOB.json
# Needs: LAB_DIR, LAB_CGROUP. Leaves in LAB_DIR: before.txt and after.txt
# (the runner's network and hook state around the job), files-after.txt
# (what the job left in /run and /usr/local/lib), audit.log, and
# sudo-after.txt (for the user: whether sudo came back).
set -u
source "$(dirname "$0")/fake_etc.sh"
who=$1
job=$2

snapshot() {
	nft list ruleset
	tc qdisc show dev mr0
	tc filter show dev mr0 egress
	tc filter show dev mr0 ingress
	bpftool cgroup show "$LAB_CGROUP"
	ls /etc/sudoers.d
}

private_run
mount -t tmpfs tmpfs /usr/local/lib
[ "$who" = user ] && fake_accounts
snapshot >"$LAB_DIR/before.txt" 2>&1

if [ "$who" = user ]; then
	chmod 0755 "$LAB_DIR"
	chown -R "$LOCKED_UID:$LOCKED_UID" "$LAB_DIR/runner"
	as_locked env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/tmp \
		"$LAB_DIR/runner/bin/Runner.Worker" "$job"
else
	"$LAB_DIR/runner/bin/Runner.Worker" "$job"
fi
status=$?

snapshot >"$LAB_DIR/after.txt" 2>&1
find /run /usr/local/lib -mindepth 1 >"$LAB_DIR/files-after.txt"
cp /run/moat/audit.ndjson "$LAB_DIR/audit.log" 2>/dev/null
if [ "$who" = user ]; then
	as_locked sudo -n /bin/ls / >/dev/null 2>&1 &&
		echo "sudo is back" >"$LAB_DIR/sudo-after.txt"
fi
exit $status
