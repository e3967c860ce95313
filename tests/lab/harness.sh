# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# harness.sh - assertions for lab tests; a failed one prints why and
# returns 1, so a test reads `expect ... || return 1`.

# A test that cannot run here says why: `lab_skip "reason"; return $?`.
lab_skip() {
	echo "$1" >"$LAB_DIR/skip"
	return 77
}

expect() {
	local what=$1
	shift
	if ! "$@" >"$LAB_DIR/last.out" 2>&1; then
		echo "    expected to succeed: $what" >&2
		echo "    command: $*" >&2
		sed 's/^/      | /' "$LAB_DIR/last.out" | tail -20 >&2
		return 1
	fi
}

expect_fail() {
	local what=$1
	shift
	if "$@" >"$LAB_DIR/last.out" 2>&1; then
		echo "    expected to fail: $what" >&2
		echo "    command: $*" >&2
		sed 's/^/      | /' "$LAB_DIR/last.out" | tail -20 >&2
		return 1
	fi
}

expect_eq() {
	if [ "$1" != "$2" ]; then
		echo "    $3: got '$1', expected '$2'" >&2
		return 1
	fi
}

# expect_match TEXT REGEX WHAT: TEXT matches the extended REGEX.
expect_match() {
	if ! grep -Eq -- "$2" <<<"$1"; then
		echo "    $3: no match for /$2/ in:" >&2
		head -c 2000 <<<"$1" | sed 's/^/      | /' >&2
		return 1
	fi
}

expect_no_match() {
	if grep -Eq -- "$2" <<<"$1"; then
		echo "    $3: unexpected match for /$2/ in:" >&2
		grep -E -- "$2" <<<"$1" | head -5 | sed 's/^/      | /' >&2
		return 1
	fi
}

# The audit log holds a line matching every given regex.
expect_event() {
	local what=$1 line
	shift
	while IFS= read -r line; do
		local ok=1 re
		for re in "$@"; do
			grep -Eq -- "$re" <<<"$line" || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
	done <"$LAB_DIR/audit.log"
	echo "    $what: no audit event matches: $*" >&2
	sed 's/^/      | /' "$LAB_DIR/audit.log" | tail -15 >&2
	return 1
}

# Answer status of a dig run in a client ("NOERROR", "REFUSED", ...).
dig_status() {
	client dig +time=2 +tries=1 "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}

# A TCP connection that must succeed, or must fail, within a second.
http_ok() {
	client curl -sf --max-time 2 "$@"
}

# Blocked means dropped: curl times out (28), it neither fails to
# resolve (6) nor gets refused (7).
http_blocked() {
	local status=0
	client curl -sf --max-time 1 "$@" || status=$?
	if [ "$status" != 28 ]; then
		echo "curl exited $status, not 28 (a timeout)" >&2
		return 1
	fi
}
