#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lockdown_inner.sh - the sudo lockdown with the real sudo and a real
# unprivileged user, run inside a private mount namespace over copies of
# the sudoers and account files, so that the host's own are never
# touched. Prints "OK what" or "FAIL what" per check.
# Needs: MOAT, LAB_DIR, MOAT_ARGS (the lab's moat start arguments).
set -u
source "$(dirname "$0")/fake_etc.sh"

fake_etc() {
	fake_accounts
	private_run
	# A docker socket of the lab's, its group the user's.
	python3 -c '
import os, socket, time
s = socket.socket(socket.AF_UNIX)
s.bind("/run/docker.sock")
os.chown("/run/docker.sock", 0, 4243)
os.chmod("/run/docker.sock", 0o660)
s.listen()
time.sleep(600)' &
	SOCK_PID=$!
	for _ in $(seq 50); do [ -S /run/docker.sock ] && break; sleep 0.1; done
}

check() {
	local what=$1
	shift
	if "$@" >"$LAB_DIR/check.out" 2>&1; then
		echo "OK $what"
	else
		echo "FAIL $what"
		sed 's/^/    | /' "$LAB_DIR/check.out"
	fi
}

start_moat() {
	"$MOAT" start $MOAT_ARGS "$@" >>"$LAB_DIR/moat.out" 2>&1 &
	MOAT_PID=$!
	"$MOAT" wait-ready --ready-file "$LAB_DIR/moat.ready" \
		--pid-file "$LAB_DIR/moat.pid" --timeout 10
}

mode_of() {
	stat -c %a "$1"
}

sudo_denied() {
	! as_locked sudo -n "$@" && as_locked sudo -n "$@" 2>&1 |
		grep -q "not allowed"
}

# A root-owned copy of env under a name the name check cannot know: the
# rule's NOEXEC is what keeps it from starting anything.
LAUNCH=$LAB_DIR/bin/launch
make_launcher() {
	mkdir -m 0755 "$LAB_DIR/bin"
	cp /usr/bin/env "$LAUNCH"
}

noexec_holds() {
	local out
	out=$(as_locked sudo -n "$LAUNCH" /usr/bin/id -u 2>&1) && return 1
	echo "$out"
	grep -q "Permission denied" <<<"$out"
}

# Refused at once; should one be taken, the daemon is stopped in time.
refused_allow() {
	timeout 10 "$MOAT" start $MOAT_ARGS --sudo-lockdown \
		--sudo-user "$LOCKED" --sudo-allow "$1" 2>&1 |
		grep -q 'root by another name'
}

fake_etc
make_launcher
check "before: the user has sudo" as_locked sudo -n /bin/ls /
check "a root-equivalent allowed command is refused" \
	refused_allow /usr/bin/python3
check "a launcher by another name (taskset) is refused" \
	refused_allow /usr/bin/taskset

check "lockdown starts" start_moat --sudo-lockdown --sudo-user "$LOCKED" \
	--sudo-allow /usr/bin/id --sudo-allow "$LAUNCH"
check "an allowed command runs" as_locked sudo -n /usr/bin/id
check "sudo lists the allowed commands as NOEXEC" sh -c \
	"sudo -n -l -U $LOCKED | grep -q 'NOEXEC:.* $LAUNCH$'"
check "NOEXEC: an allowed launcher runs" as_locked sudo -n "$LAUNCH"
check "NOEXEC: but it cannot start another program" noexec_holds
check "others are refused" sudo_denied /bin/ls /
check "a shell is refused" sudo_denied -s true
check "the docker socket is closed to the docker group" \
	test "$(mode_of /run/docker.sock)" = 600
kill -TERM "$MOAT_PID"
wait "$MOAT_PID"
check "after stop: sudo is back" as_locked sudo -n /bin/ls /
check "after stop: the docker socket is back" \
	test "$(mode_of /run/docker.sock)" = 660
check "after stop: no drop-in" test ! -e /etc/sudoers.d/zzzz-moat-lockdown

check "lockdown starts again" start_moat --sudo-lockdown \
	--sudo-user "$LOCKED"
kill -KILL "$MOAT_PID"
wait "$MOAT_PID" 2>/dev/null
check "a killed daemon's lockdown stays (closed)" sudo_denied /bin/ls /
check "the next start recovers it" start_moat
check "recovered: sudo is back" as_locked sudo -n /bin/ls /
check "recovered: the docker socket is back" \
	test "$(mode_of /run/docker.sock)" = 660
kill -TERM "$MOAT_PID"
wait "$MOAT_PID"

echo "$LOCKED ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/zzzzz-later
chmod 0440 /etc/sudoers.d/zzzzz-later
check "a sudoers file read after moat's makes it fail closed" sh -c \
	"! \"$MOAT\" start $MOAT_ARGS --sudo-lockdown --sudo-user $LOCKED \
	>$LAB_DIR/later.out 2>&1 && grep -q 'zzzzz-later is read after' \
	$LAB_DIR/later.out"
rm /etc/sudoers.d/zzzzz-later
echo "$LOCKED ALL=(ALL) NOPASSWD: ALL" >>/etc/sudoers
check "a rule after the include makes it fail closed" sh -c \
	"! \"$MOAT\" start $MOAT_ARGS --sudo-lockdown --sudo-user $LOCKED \
	>$LAB_DIR/after.out 2>&1 && grep -q 'could override' $LAB_DIR/after.out"
check "and after a failed lockdown, sudo is as it was" \
	as_locked sudo -n /bin/ls /
kill "$SOCK_PID"
