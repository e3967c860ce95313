#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - run every lab test function, each in a lab of its own.
# Usage: tests/lab/run.sh [NAME-FILTER]
# MOAT=path runs another build (the sanitizer one); LAB_SUITE names the
# run in the PASS and FAIL lines (default "lab").
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

# A sanitizer build writes its reports here rather than to stderr, where
# a daemon's output is easy to miss: any report fails the test.
sanitizer_env() {
	export ASAN_OPTIONS="log_path=$1/asan:detect_leaks=1:quarantine_size_mb=16"
	export UBSAN_OPTIONS="log_path=$1/ubsan:print_stacktrace=1:halt_on_error=1"
}

sanitizer_reports() {
	local f found=1
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		echo "    sanitizer report $(basename "$f"):" >&2
		head -30 "$f" | sed 's/^/      | /' >&2
		found=0
	done
	return $found
}

reason=$(skip_reason)
filter=${1:-}
suite_name=${LAB_SUITE:-lab}
san_dir=
trap 'lab_down; [ -n "$san_dir" ] && rm -rf "$san_dir"' EXIT
for fn in $(declare -F | awk '{ print $3 }' | grep '^test_'); do
	[ -n "$filter" ] && [[ $fn != *$filter* ]] && continue
	# CI sets MOAT_LAB_REQUIRED: there, a lab that cannot run is a fault.
	if [ -n "$reason" ] && [ -n "${MOAT_LAB_REQUIRED:-}" ]; then
		echo "FAIL $suite_name/$fn: $reason (MOAT_LAB_REQUIRED is set)"
		continue
	elif [ -n "$reason" ]; then
		echo "SKIP $suite_name/$fn: $reason"
		continue
	fi
	LAB_ID=$$-$RANDOM
	RUN_NS=moat-$LAB_ID-run
	NET_NS=moat-$LAB_ID-net
	san_dir=$(mktemp -d /tmp/moat-san.XXXXXX)
	sanitizer_env "$san_dir"
	if ! lab_up; then
		echo "FAIL $suite_name/$fn: the lab did not come up"
		lab_down
		rm -rf "$san_dir"
		continue
	fi
	ok=0
	"$fn" || ok=$?
	skip=
	[ $ok = 77 ] && [ -f "$LAB_DIR/skip" ] && skip=$(cat "$LAB_DIR/skip")
	if [ $ok != 0 ] && [ -z "$skip" ] && [ -f "$LAB_DIR/moat.out" ]; then
		sed 's/^/      moat| /' "$LAB_DIR/moat.out" | tail -15 >&2
	fi
	lab_down
	sanitizer_reports "$san_dir" && ok=1 skip=
	rm -rf "$san_dir"
	san_dir=
	if [ -n "$skip" ]; then
		echo "SKIP $suite_name/$fn: $skip"
	elif [ $ok = 0 ]; then
		echo "PASS $suite_name/$fn"
	else
		echo "FAIL $suite_name/$fn"
	fi
done
