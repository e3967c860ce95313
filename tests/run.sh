#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - the whole suite: unit tests (under ASan and UBSan), BPF tests,
# fuzzers for a bounded time, the lab, and the style check. Every suite
# prints "PASS name", "FAIL name" or "SKIP name: reason"; this counts
# them and ends with "N passed, N failed", a line it also writes to
# .output/test-summary.txt.
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=.output
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
LOG=$OUT/test-output.txt
# The closing count line, kept for .ci/run to repeat as CI's last line.
SUMMARY=$OUT/test-summary.txt
: >"$LOG"
rm -f "$SUMMARY"

# Run one suite, echoing its lines and keeping them for the count.
suite() {
	local name=$1 status before reported
	shift
	echo "== $name"
	before=$(grep -c '^FAIL ' "$LOG")
	"$@" 2>&1 | tee -a "$LOG"
	status=${PIPESTATUS[0]}
	reported=$(($(grep -c '^FAIL ' "$LOG") - before))
	# A suite that dies must not pass for one that had nothing to say.
	# Status 1 is how a suite says some of its tests failed, but also
	# how ASan and UBSan abort: a suite that exits 1 without a FAIL line
	# died before it could report what went wrong.
	if [ "$status" -gt 1 ] ||
		{ [ "$status" -eq 1 ] && [ "$reported" -eq 0 ]; }; then
		echo "FAIL $name: exited with status $status" | tee -a "$LOG"
	fi
}

run_fuzzer() {
	local fuzzer=$1 name corpus work
	name=$(basename "$fuzzer")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	cp -r "$corpus"/. "$work"/ 2>/dev/null
	if "$fuzzer" -max_total_time="$FUZZ_SECONDS" -artifact_prefix="$OUT/" \
		"$work" >"$OUT/$name.log" 2>&1; then
		echo "PASS fuzz/$name: $(grep -o 'Done [0-9]* runs' "$OUT/$name.log")"
	else
		echo "FAIL fuzz/$name: see $OUT/$name.log"
		grep -A15 'ERROR' "$OUT/$name.log" | head -30
	fi
	rm -rf "$work"
}

style_check() {
	if scripts/check-format.sh; then
		echo "PASS style/clang-format"
	else
		echo "FAIL style/clang-format"
	fi
}

for t in "$OUT"/tests/test_*; do
	suite "$(basename "$t")" "$t"
done
for f in "$OUT"/fuzz/fuzz_*; do
	suite "$(basename "$f")" run_fuzzer "$f"
done
suite cli tests/cli/run.sh
suite cli-san env MOAT="$PWD/$OUT/san/moat" CLI_SUITE=cli-san \
	tests/cli/run.sh
suite action tests/action.sh
suite lab tests/lab/run.sh
# The lab again with the daemon built under ASan and UBSan.
suite lab-san env MOAT="$PWD/$OUT/san/moat" LAB_SUITE=lab-san tests/lab/run.sh
suite style style_check

passed=$(grep -c '^PASS ' "$LOG")
failed=$(grep -c '^FAIL ' "$LOG")
skipped=$(grep -c '^SKIP ' "$LOG")
echo
grep '^FAIL ' "$LOG"
grep '^SKIP ' "$LOG"
echo "$skipped skipped"
echo "$passed passed, $failed failed" | tee "$SUMMARY"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
