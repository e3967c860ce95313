# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# fake_etc.sh - for scripts that run inside a private mount namespace: an
# unprivileged user "moatlab" with password-less sudo, as on a hosted
# runner, over copies of the host's account and sudoers files, so that
# the host's own are never touched; and a private /run.
# Needs: LAB_DIR. Source it, then call fake_accounts and private_run.
LOCKED=moatlab
LOCKED_UID=4242

fake_accounts() {
	local etc=$LAB_DIR/etc f
	mkdir -p "$etc"
	cp -a /etc/sudoers /etc/passwd /etc/group /etc/shadow "$etc"/
	cp -a /etc/sudoers.d "$etc"/
	echo "$LOCKED:x:$LOCKED_UID:$LOCKED_UID::/tmp:/bin/sh" >>"$etc/passwd"
	echo "$LOCKED:x:$LOCKED_UID:" >>"$etc/group"
	echo "moatdocker:x:4243:$LOCKED" >>"$etc/group"
	echo "$LOCKED:*:19000:0:99999:7:::" >>"$etc/shadow"
	echo "$LOCKED ALL=(ALL) NOPASSWD: ALL" >"$etc/sudoers.d/runner"
	chmod 0440 "$etc/sudoers.d/runner"
	for f in sudoers passwd group shadow; do
		mount --bind "$etc/$f" "/etc/$f"
	done
	mount --bind "$etc/sudoers.d" /etc/sudoers.d
}

# moat's run folder, and anything else a test's daemon puts in /run.
private_run() {
	mount -t tmpfs tmpfs /run
}

as_locked() {
	setpriv --reuid=$LOCKED_UID --regid=$LOCKED_UID --init-groups "$@"
}
