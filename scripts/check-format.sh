#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# check-format.sh - every C file in the .clang-format shape, and no line
# past 100 columns; prints what is off and fails if anything is.
set -u
cd "$(dirname "$0")/.."

status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src bpf tests -name '*.[ch]')
for f in $files; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "not in .clang-format shape: $f (run clang-format -i $f)"
		status=1
	fi
	# Past 100 columns only for a message string, which is never split.
	wide=$(expand -t 8 "$f" |
		awk 'length($0) > 100 && !/"/ { n++ } END { print n + 0 }')
	if [ "$wide" -gt 0 ]; then
		echo "$f: $wide lines over 100 columns"
		status=1
	fi
done
exit $status
