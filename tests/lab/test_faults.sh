# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_faults.sh - faults: an upstream that is down, slow or broken, a
# daemon killed under load, learned addresses that expire, maps that fill
# and an event buffer that overflows. Nothing crashes, nothing is lost
# silently, and the datapath stays closed.

# The answer's status, waiting long enough to see the proxy give up.
dig_status_slow() {
	client dig +time=8 +tries=1 "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}

# The stats event's counter NAME (after moat stopped).
stat_of() {
	audit_events stats | tail -1 | grep -o "\"$1\":[0-9]*" | cut -d: -f2
}

test_fault_upstream_down() {
	# 192.0.2.99 is on the link, but nobody answers there.
	moat_launch nsenter --net=/run/netns/"$RUN_NS" "$MOAT" start \
		$(moat_lab_args) --upstream 192.0.2.99 --allow lab.test ||
		return 1
	expect_eq "$(dig_status_slow allowed.lab.test)" SERVFAIL \
		"the client hears SERVFAIL before its own timeout" || return 1
	expect_match "$(client dig +time=8 +tries=1 allowed.lab.test)" \
		"EDE: 23 \(Network Error\)" "and why" || return 1
	expect_event "logged" '"event":"dns"' '"qname":"allowed.lab.test"' \
		'"rcode":"SERVFAIL"' || return 1
	moat_stop TERM || return 1
	expect_eq "$(stat_of addresses_learned)" 0 "nothing learned" || return 1
	expect "failures counted" test "$(stat_of dns_upstream_failures)" -ge 2
}

# Silent, slow, SERVFAIL, garbage, cut short, truncated with TCP broken:
# each is SERVFAIL to the client, and teaches moat nothing.
test_fault_upstream_misbehaves() {
	local name
	fake_upstream_up || return 1
	moat_start_fake --allow lab.test || return 1
	for name in silent slow garbage truncated tcfail; do
		expect_eq "$(dig_status_slow $name.lab.test)" SERVFAIL \
			"$name: SERVFAIL" || return 1
	done
	expect_eq "$(dig_status servfail.lab.test)" SERVFAIL \
		"the upstream's own SERVFAIL passes" || return 1
	expect "the garbage's address stays blocked" http_blocked \
		http://203.0.113.7/ || return 1
	expect_eq "$(dig_status ok.lab.test)" NOERROR \
		"a sound answer still works" || return 1
	expect_no_match "$(audit_events dns)" "203\.0\.113\.7" \
		"no address from a broken answer" || return 1
	moat_stop TERM || return 1
	expect_eq "$(stat_of addresses_learned)" 1 "only the sound answer" ||
		return 1
	expect "failures counted" test "$(stat_of dns_upstream_failures)" -ge 5
}

netns_state_file() {
	echo "/run/moat/netns-$(stat -L -c %i "/run/netns/$RUN_NS").state"
}

test_fault_sigkill_under_load() {
	local before loader
	before=$(host_state)
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "learn" || return 1
	printf 'allowed.lab.test A\nblocked.lab.test A\napi.allowed.lab.test A\n' \
		>"$LAB_DIR/queries"
	client dnsperf -s 192.0.2.53 -d "$LAB_DIR/queries" -l 4 -Q 2000 \
		>"$LAB_DIR/dnsperf.out" 2>&1 &
	loader=$!
	sleep 1
	moat_stop KILL
	wait "$loader"
	expect "the classifier still drops" http_blocked http://203.0.113.7/ ||
		return 1
	expect "what was learned stays reachable" http_ok \
		http://198.51.100.10/ || return 1
	expect "the state is kept for the next start" test -e \
		"$(netns_state_file)" || return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "recovered" ||
		return 1
	expect "and enforcing" http_blocked http://203.0.113.7/ || return 1
	moat_stop TERM || return 1
	expect_eq "$(host_state)" "$before" "no stale table, qdisc or hook" ||
		return 1
	expect_fail "no stale state file" test -e "$(netns_state_file)"
}

# A server on port 7000 of every lab address that keeps connections open.
hold_server_up() {
	nsenter --net=/run/netns/"$NET_NS" socat TCP6-LISTEN:7000,fork,reuseaddr \
		EXEC:cat >/dev/null 2>&1 &
	LAB_PIDS+=($!)
	wait_for 50 in_net sh -c 'ss -ltn | grep -q ":7000 "'
}

tcp7000_ok() {
	client sh -c "echo hi | timeout 2 socat -t 1 - TCP4:$1:7000 | grep -q hi"
}

# rotate.lab.test answers with TTL 1 and a new address each time. With
# --min-ttl 1 --ttl-grace 1 an address lives about two seconds, unless a
# connection to it is still open.
test_fault_learned_addresses_expire() {
	local first second holder
	fake_upstream_up || return 1
	hold_server_up || return 1
	moat_start_fake --allow lab.test --min-ttl 1 --ttl-grace 1 || return 1
	first=$(client dig +short rotate.lab.test)
	# Until its TTL of one second runs out, moat's cache gives the first
	# answer again.
	sleep 1.2
	second=$(client dig +short rotate.lab.test)
	expect "two different addresses" test -n "$first" -a -n "$second" -a \
		"$first" != "$second" || return 1
	expect "the first connects" tcp7000_ok "$first" || return 1
	# A connection that stays open: cat holds stdin open from a fifo.
	mkfifo "$LAB_DIR/hold"
	client socat - "TCP4:$first:7000" <"$LAB_DIR/hold" >/dev/null 2>&1 &
	holder=$!
	exec 7>"$LAB_DIR/hold"
	sleep 5
	expect "an address with a live connection stays" tcp7000_ok "$first" ||
		{ exec 7>&-; return 1; }
	expect_fail "an address without one expired" tcp7000_ok "$second" ||
		{ exec 7>&-; return 1; }
	exec 7>&-
	wait "$holder" 2>/dev/null
	# Kept addresses are looked at again every ten seconds.
	for _ in $(seq 15); do
		tcp7000_ok "$first" || break
		sleep 1
	done
	expect_fail "once closed, it expires too" tcp7000_ok "$first" ||
		return 1
	expect_event "an expired address is blocked" '"event":"connect"' \
		'"action":"blocked"' "\"dst_ip\":\"$second\"" '"dst_port":7000' ||
		return 1
	moat_stop TERM || return 1
	expect "expiries counted" test "$(stat_of addresses_expired)" -ge 2
}

# A full map refuses a new address only while what it holds still lives:
# once they have expired, new ones take their room. With --max-addresses
# 2 and --min-ttl 3, rotate.lab.test's answers (TTL 1, a new address each)
# live three seconds: the third, 2.4 seconds in, finds the map full; the
# fourth, five seconds in, finds the first two gone.
test_fault_full_map_takes_new_addresses_once_old_expire() {
	local a b c d
	fake_upstream_up || return 1
	hold_server_up || return 1
	moat_start_fake --allow lab.test --max-addresses 2 --min-ttl 3 \
		--ttl-grace 0 || return 1
	a=$(client dig +short rotate.lab.test)
	sleep 1.2
	b=$(client dig +short rotate.lab.test)
	sleep 1.2
	c=$(client dig +short rotate.lab.test)
	sleep 2.6
	d=$(client dig +short rotate.lab.test)
	expect "four different addresses ($a $b $c $d)" test -n "$d" -a \
		"$a" != "$b" -a "$b" != "$c" -a "$c" != "$d" || return 1
	expect_fail "the third, with the map full of live ones, is refused" \
		tcp7000_ok "$c" || return 1
	expect "the fourth has the room the expired ones left" tcp7000_ok "$d" ||
		return 1
	moat_stop TERM || return 1
	expect_eq "$(stat_of addresses_refused_full)" 1 \
		"one address refused, and counted" || return 1
}

# --max-addresses 8 and an answer of forty: eight are learned, the rest
# refused and counted, and the summary says so.
test_fault_maps_full() {
	moat_start --allow lab.test --max-addresses 8 || return 1
	expect_eq "$(dig_status big.lab.test)" NOERROR "the answer still comes" ||
		return 1
	expect "an address that fit" http_ok http://198.51.100.100/ ||
		return 1
	expect "one that did not is blocked" http_blocked \
		http://198.51.100.139/ || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "still answering" ||
		return 1
	moat_stop TERM || return 1
	expect_eq "$(stat_of addresses_refused_full)" 33 \
		"32 of big and allowed.lab.test refused" || return 1
	expect_match "$("$MOAT" summary --audit-log "$LAB_DIR/audit.log")" \
		"33 allowed addresses did not fit" "the summary reports it" || return 1
}

# With the daemon stopped, the kernel's event buffer fills: the loss is
# counted, reported at shutdown and in the summary.
test_fault_event_buffer_overflow() {
	local cpu pids=()
	moat_start --allow allowed.lab.test || return 1
	kill -STOP "$MOAT_PID"
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		client taskset -c "$cpu" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end, port = time.time() + 5, 1
while time.time() < end:
    try:
        s.sendto(b"x", ("203.0.113.200", port))
    except OSError:
        pass
    port = port % 60000 + 1
' &
		pids+=($!)
	done
	wait "${pids[@]}"
	kill -CONT "$MOAT_PID"
	moat_stop TERM || return 1
	expect "events lost, and counted" test "$(stat_of events_lost)" -gt 0 ||
		return 1
	expect_match "$(cat "$LAB_DIR/moat.out")" "events were lost" \
		"said at shutdown" || return 1
	expect_match "$("$MOAT" summary --audit-log "$LAB_DIR/audit.log")" \
		"events were lost" "and in the summary" || return 1
}
