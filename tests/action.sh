#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# action.sh - the GitHub Action's own tests, under Node's built-in test
# runner, reported as PASS/FAIL lines like every other suite.
set -u
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null; then
	echo "SKIP action: node is not installed"
	exit 0
fi
out=$(node --test --test-reporter=tap action/test/ 2>&1)
status=$?
# TAP: "ok N - name" and "not ok N - name # SKIP reason", at any depth.
sed -nE \
	-e 's/^ *ok [0-9]+ - (.*) # SKIP (.*)$/SKIP action\/\1: \2/p' \
	-e '/# SKIP/!s/^ *ok [0-9]+ - (.*)$/PASS action\/\1/p' \
	-e 's/^ *not ok [0-9]+ - (.*)$/FAIL action\/\1/p' <<<"$out" |
	grep -v '\.test\.js$'
if [ $status -ne 0 ]; then
	grep -B2 -A25 '^ *not ok' <<<"$out" | sed 's/^/    | /' | head -80
	grep -q '^ *not ok' <<<"$out" || echo "FAIL action: node --test exited with status $status"
fi
exit 0
