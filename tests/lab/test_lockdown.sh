# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_lockdown.sh - sudo lockdown, with the real sudo, over copies of the
# host's sudoers in a private mount namespace (see lockdown_inner.sh).

test_sudo_lockdown() {
	local out
	command -v sudo >/dev/null && command -v visudo >/dev/null ||
		{ echo "    sudo is not installed" >&2; return 1; }
	out=$(nsenter --net=/run/netns/"$RUN_NS" unshare -m \
		--propagation private env MOAT="$MOAT" LAB_DIR="$LAB_DIR" \
		MOAT_ARGS="$(moat_lab_args) --upstream 192.0.2.53" \
		"$LAB_SRC/lockdown_inner.sh" 2>&1)
	echo "$out" | grep -v '^OK' >&2
	expect_match "$out" "^OK" "checks ran" || return 1
	expect_no_match "$out" "^FAIL" "every check passed" || return 1
	expect_eq "$(grep -c '^OK' <<<"$out")" 22 "all 22 checks" || return 1
	expect "the host's sudoers are untouched" test ! -e \
		/etc/sudoers.d/zzzz-moat-lockdown || return 1
}
