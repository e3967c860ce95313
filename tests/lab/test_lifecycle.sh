# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_lifecycle.sh - start, stop, kill, restart: the host is left as found.

test_sigterm_restores_host() {
	local before after
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	expect_match "$(host_state)" "moat_tc_egress" "attached" || return 1
	expect_match "$(host_state)" "table inet moat" "redirect on" ||
		return 1
	# bpftool printing nothing would make the comparison below vacuous.
	expect_match "$(bpftool cgroup show "$LAB_CGROUP")" "moat_connect4" \
		"socket hooks on the lab's cgroup" || return 1
	moat_stop TERM || { echo "    moat exited non-zero" >&2; return 1; }
	after=$(host_state)
	expect_eq "$after" "$before" "netfilter and qdiscs as before" ||
		return 1
	expect_fail "pid file removed" test -e "$LAB_DIR/moat.pid" || return 1
	expect_fail "ready file removed" test -e "$LAB_DIR/moat.ready" ||
		return 1
	expect "traffic flows again" http_ok http://203.0.113.7/ || return 1
	expect_event "stats at shutdown" '"event":"stats"' '"events_lost":0' ||
		return 1
}

test_sigint_restores_host() {
	local before
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	moat_stop INT || return 1
	expect_eq "$(host_state)" "$before" "clean after SIGINT" || return 1
}

test_sigkill_fails_closed_and_restart_recovers() {
	local before
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	expect "learned before the kill" http_ok http://allowed.lab.test/ ||
		return 1
	moat_stop KILL
	# The classifier outlives its daemon: still dropping.
	expect_match "$(host_state)" "moat_tc_egress" "filter kept" ||
		return 1
	expect "direct address still blocked" http_blocked http://203.0.113.7/ ||
		return 1
	expect_fail "no DNS answers without the proxy" client dig +time=1 \
		+tries=1 blocked.lab.test || return 1
	# The next start takes over; its stop leaves the host clean.
	moat_start --allow allowed.lab.test || return 1
	expect_match "$(cat "$LAB_DIR/moat.out")" "was killed without cleaning up" \
		"noticed the stale state" || return 1
	expect "works again" http_ok http://allowed.lab.test/ || return 1
	moat_stop TERM || return 1
	expect_eq "$(host_state)" "$before" "clean after restart" || return 1
}

test_moat_stop_after_kill_cleans_up() {
	local before
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	moat_stop KILL
	expect "moat stop cleans up" in_runner "$MOAT" stop \
		--pid-file "$LAB_DIR/moat.pid" || return 1
	expect_eq "$(host_state)" "$before" "clean after moat stop" || return 1
	expect "traffic flows" http_ok http://203.0.113.7/ || return 1
}

test_moat_stop_command() {
	local before
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	expect "moat stop" in_runner "$MOAT" stop \
		--pid-file "$LAB_DIR/moat.pid" --timeout 10 || return 1
	wait "$MOAT_PID"
	MOAT_PID=
	expect_eq "$(host_state)" "$before" "clean after moat stop" || return 1
}

test_one_daemon_per_namespace() {
	moat_start --allow allowed.lab.test || return 1
	expect_fail "a second start is refused" in_runner "$MOAT" start \
		--interface mr0 --upstream 192.0.2.53 \
		--pid-file "$LAB_DIR/second.pid" \
		--ready-file "$LAB_DIR/second.ready" \
		--dns-listen 127.0.0.1:5353 || return 1
	expect_match "$(cat "$LAB_DIR/last.out")" "another moat \(pid [0-9]+\)" \
		"says who holds it" || return 1
	expect "the first still works" http_ok http://allowed.lab.test/ ||
		return 1
}

test_stale_ready_file_never_ready() {
	echo "pid=1" >"$LAB_DIR/stale.ready"
	expect_fail "init is not moat" "$MOAT" wait-ready \
		--ready-file "$LAB_DIR/stale.ready" --timeout 0.3 || return 1
	echo "pid=999999" >"$LAB_DIR/stale.ready"
	expect_fail "a dead pid" "$MOAT" wait-ready \
		--ready-file "$LAB_DIR/stale.ready" --timeout 0.3 || return 1
	# A ready file older than the moat it names is from an earlier run.
	moat_start --allow allowed.lab.test || return 1
	touch -d '2020-01-01' "$LAB_DIR/moat.ready"
	expect_fail "older than its process" "$MOAT" wait-ready \
		--ready-file "$LAB_DIR/moat.ready" --timeout 0.3 || return 1
}

# A flow to a resolver that predates moat must not keep skipping it.
test_preexisting_dns_flow_flushed() {
	# Conntrack runs in the runner before moat, as on a Docker host.
	in_runner nft -f - <<EOF || return 1
table inet pre {
	chain out {
		type filter hook output priority 0; policy accept;
		ct state new accept
	}
}
EOF
	expect "a flow from port 5353" client dig +time=1 +tries=1 \
		-b 192.0.2.2#5353 @192.0.2.53 allowed.lab.test || return 1
	expect_match "$(in_runner conntrack -L -p udp --dport 53 2>&1)" \
		"sport=5353" "the flow exists" || return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status -b 192.0.2.2#5353 @192.0.2.53 blocked.lab.test)" \
		REFUSED "the same flow now meets the proxy" || return 1
	expect_match "$(cat "$LAB_DIR/moat.out")" "flushed [0-9]+ DNS flows" \
		"moat said so" || return 1
	moat_stop TERM || return 1
	expect_match "$(in_runner nft list ruleset)" "table inet pre" \
		"other tables untouched" || return 1
}

# An SSH-like session opened from outside before moat keeps working. The
# server runs in the cgroup moat's socket hooks watch, as every process
# does with the default --cgroup (the root).
test_inbound_connections_keep_working() {
	client socat TCP-LISTEN:2222,fork,reuseaddr EXEC:cat \
		>/dev/null 2>&1 &
	LAB_PIDS+=($!)
	wait_for 30 in_net socat -u OPEN:/dev/null TCP:192.0.2.2:2222 ||
		return 1
	mkfifo "$LAB_DIR/in" || return 1
	in_net sh -c "socat -t 30 - TCP:192.0.2.2:2222 <'$LAB_DIR/in' \
		>'$LAB_DIR/session.out'" &
	LAB_PIDS+=($!)
	exec 7>"$LAB_DIR/in"
	echo before >&7
	wait_for 30 grep -q before "$LAB_DIR/session.out" || return 1

	moat_start --allow allowed.lab.test || return 1
	echo after >&7
	expect "the open session still echoes" wait_for 30 \
		grep -q after "$LAB_DIR/session.out" || { exec 7>&-; return 1; }
	exec 7>&-
	expect "a new inbound connection works" in_net sh -c \
		'echo new | socat -t 2 - TCP:192.0.2.2:2222 | grep -q new' ||
		return 1
	expect "outbound from the same host stays blocked" \
		http_blocked http://203.0.113.7/ || return 1
}

test_upstream_detected_from_resolv_conf() {
	echo "nameserver 192.0.2.53" >"$LAB_DIR/host-resolv.conf"
	moat_launch nsenter --net=/run/netns/"$RUN_NS" \
		unshare -m --propagation private sh -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
		x "$LAB_DIR/host-resolv.conf" \
		"$MOAT" start $(moat_lab_args) --allow allowed.lab.test ||
		return 1
	expect_match "$(cat "$LAB_DIR/moat.out")" "upstream resolver 192.0.2.53:53" \
		"found in resolv.conf" || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "answers" || return 1
}

# The host's /run stays untouched: a tmpfs hides it in a private mount
# namespace entered after the network namespace.
test_resolved_stub_upstreams() {
	mkdir -p "$LAB_DIR/resolve"
	echo "nameserver 127.0.0.53" >"$LAB_DIR/host-resolv.conf"
	echo "nameserver 192.0.2.53" >"$LAB_DIR/resolve/resolv.conf"
	moat_launch nsenter --net=/run/netns/"$RUN_NS" \
		unshare -m --propagation private sh -c \
		'mount --bind "$1" /etc/resolv.conf &&
		 mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/resolve &&
		 mount --bind "$2" /run/systemd/resolve && shift 2 && exec "$@"' \
		x "$LAB_DIR/host-resolv.conf" "$LAB_DIR/resolve" \
		"$MOAT" start $(moat_lab_args) --allow allowed.lab.test ||
		return 1
	expect_match "$(cat "$LAB_DIR/moat.out")" "upstream resolver 192.0.2.53:53" \
		"resolved's real upstream, not its stub" || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "answers" || return 1
}

test_bad_policy_is_refused() {
	local out
	out=$(in_runner "$MOAT" start --interface mr0 --allow 'foo*.com' 2>&1)
	expect_eq "$?" 2 "exit status 2" || return 1
	expect_match "$out" "--allow 'foo\*\.com': a wildcard must be a whole label" \
		"names the rule and the problem" || return 1
	out=$(in_runner "$MOAT" start --interface mr0 --allow-cidr 10.0.0.1/8 2>&1)
	expect_eq "$?" 2 "exit status 2" || return 1
	expect_match "$out" "did you mean 10.0.0.0/8" "suggests the fix" ||
		return 1
	out=$(in_runner "$MOAT" start --bogus 2>&1)
	expect_eq "$?" 2 "unknown option" || return 1
	expect_match "$out" "unknown option '--bogus'" "named" || return 1
	expect_match "$(host_state)" "^qdisc noqueue" "nothing installed" ||
		return 1
	expect_no_match "$(host_state)" "moat" "nothing of moat's" || return 1
}

# A start that fails after taking over a killed run's state must leave
# that state for `moat stop`: the killed run's filter still drops.
test_failed_restart_keeps_stale_state() {
	local before
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	moat_stop KILL
	expect_fail "a start that cannot write its pid file" in_runner \
		"$MOAT" start $(moat_lab_args | sed 's|--pid-file [^ ]*|--pid-file /nonexistent/dir/moat.pid|') \
		--upstream 192.0.2.53 --allow allowed.lab.test || return 1
	expect_match "$(host_state)" "moat_tc_egress" "the old filter drops" ||
		return 1
	expect "moat stop still cleans up" in_runner "$MOAT" stop \
		--pid-file "$LAB_DIR/moat.pid" || return 1
	expect_eq "$(host_state)" "$before" "clean" || return 1
}

# The documented policy for connections open before moat starts: they
# are kept until they close (the runner's own link to GitHub is one);
# new connections to the same place face the policy.
test_connection_open_before_start_is_kept() {
	nsenter --net=/run/netns/"$NET_NS" socat \
		TCP-LISTEN:7000,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &
	LAB_PIDS+=($!)
	wait_for 30 in_runner socat -u OPEN:/dev/null TCP:203.0.113.7:7000 ||
		return 1
	mkfifo "$LAB_DIR/out" || return 1
	client sh -c "socat -t 30 - TCP:203.0.113.7:7000 <'$LAB_DIR/out' \
		>'$LAB_DIR/kept.out'" &
	LAB_PIDS+=($!)
	exec 8>"$LAB_DIR/out"
	echo before >&8
	wait_for 30 grep -q before "$LAB_DIR/kept.out" || { exec 8>&-; return 1; }

	moat_start --allow allowed.lab.test || { exec 8>&-; return 1; }
	expect_match "$(cat "$LAB_DIR/moat.out")" "kept [0-9]+ connections" \
		"moat said so" || { exec 8>&-; return 1; }
	echo after >&8
	expect "the open connection still works" wait_for 30 \
		grep -q after "$LAB_DIR/kept.out" || { exec 8>&-; return 1; }
	exec 8>&-
	expect_event "logged once as kept" '"event":"connect"' \
		'"action":"allowed"' '"dst_ip":"203.0.113.7"' '"dst_port":7000' \
		'"reason":"existing_connection"' || return 1
	expect_eq "$(grep -c existing_connection "$LAB_DIR/audit.log")" 1 \
		"once, not a line a packet" || return 1
	expect "a new connection there is blocked" client sh -c \
		'echo x | socat -t 1 - TCP:203.0.113.7:7000,connect-timeout=1; test $? != 0' ||
		return 1
	expect_event "and logged as blocked" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.7"' '"dst_port":7000' \
		'"reason":"no_rule"' '"comm":"socat"' || return 1
}
