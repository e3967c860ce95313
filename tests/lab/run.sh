#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - run every lab test function, each in a lab of its own.
# Usage: tests/lab/run.sh [NAME-FILTER]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
source "$HERE/harness.sh"
for f in "$HERE"/test_*.sh; do
	source "$f"
done

skip_reason() {
	[ "$(id -u)" -eq 0 ] || { echo "needs root"; return; }
	command -v nsd >/dev/null || { echo "nsd is not installed"; return; }
	command -v nft >/dev/null || { echo "nft is not installed"; return; }
	[ -x "$MOAT" ] || { echo "moat is not built"; return; }
	ip netns add moat-probe-$$ 2>/dev/null || {
		echo "cannot create network namespaces"
		return
	}
	ip netns del moat-probe-$$
}

reason=$(skip_reason)
filter=${1:-}
trap "lab_down" EXIT
for fn in $(declare -F | awk '{ print $3 }' | grep '^test_'); do
	[ -n "$filter" ] && [[ $fn != *$filter* ]] && continue
	if [ -n "$reason" ]; then
		echo "SKIP lab/$fn: $reason"
		continue
	fi
	LAB_ID=$$-$RANDOM
	RUN_NS=moat-$LAB_ID-run
	NET_NS=moat-$LAB_ID-net
	if ! lab_up; then
		echo "FAIL lab/$fn: the lab did not come up"
		lab_down
		continue
	fi
	if "$fn"; then
		echo "PASS lab/$fn"
	else
		echo "FAIL lab/$fn"
		[ -f "$LAB_DIR/moat.out" ] &&
			sed 's/^/      moat| /' "$LAB_DIR/moat.out" | tail -15 >&2
	fi
	lab_down
done
