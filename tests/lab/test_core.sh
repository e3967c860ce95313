# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_core.sh - the enforcing core, end to end in the lab.

test_allowed_name_resolves_and_connects() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "allowed A" || return 1
	expect "the allowed host answers" http_ok -4 http://allowed.lab.test/ ||
		return 1
	expect_match "$(cat "$LAB_DIR/last.out")" "hello from 198.51.100.10" \
		"answered by the allowed host" || return 1
	expect_event "dns allowed" '"event":"dns"' '"action":"allowed"' \
		'"qname":"allowed.lab.test"' '"answers":\["198.51.100.10"\]' \
		'"rule":"allow allowed.lab.test"' || return 1
	expect_event "connect allowed" '"event":"connect"' \
		'"action":"allowed"' '"dst_ip":"198.51.100.10"' \
		'"dst_port":80' '"proto":"tcp"' '"host":"allowed.lab.test"' ||
		return 1
}

test_unlisted_name_refused() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status blocked.lab.test)" REFUSED "blocked A" ||
		return 1
	expect_eq "$(dig_status blocked.lab.test AAAA)" REFUSED "AAAA" ||
		return 1
	expect_match "$(client dig +time=2 +tries=1 blocked.lab.test)" \
		"EDE: 15 \(Blocked\)" "extended error says why" || return 1
	expect_eq "$(dig_status notallowed.lab.test)" REFUSED "sibling" ||
		return 1
	expect_event "dns blocked" '"event":"dns"' '"action":"blocked"' \
		'"qname":"blocked.lab.test"' '"rule":null' || return 1
}

test_direct_address_blocked() {
	moat_start --allow allowed.lab.test || return 1
	# 203.0.113.7 serves HTTP, but no allowed answer ever named it.
	expect "curl fails" http_blocked http://203.0.113.7/ || return 1
	expect "IPv6 too" http_blocked "http://[2001:db8:1::20]/" || return 1
	expect_fail "udp datagram gets no reply" client sh -c \
		'echo ping | timeout 1 socat - UDP:203.0.113.7:9999 | grep -q echo' ||
		return 1
	expect_event "connect blocked" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.7"' '"dst_port":80' \
		'"reason":"no_rule"' || return 1
	expect_event "udp blocked" '"event":"connect"' '"action":"blocked"' \
		'"dst_ip":"203.0.113.7"' '"proto":"udp"' || return 1
}

# 203.0.113.53 runs no DNS server: only moat's proxy can answer there.
test_other_resolvers_redirected() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status @203.0.113.53 allowed.lab.test)" NOERROR \
		"UDP to another resolver" || return 1
	expect_eq "$(dig_status +tcp @203.0.113.53 allowed.lab.test)" \
		NOERROR "TCP to another resolver" || return 1
	expect_eq "$(dig_status @203.0.113.53 blocked.lab.test)" REFUSED \
		"and filtered" || return 1
	expect_eq "$(dig_status @2001:db8::99 allowed.lab.test)" NOERROR \
		"IPv6 to another resolver" || return 1
	expect_eq "$(dig_status +tcp @2001:db8::99 blocked.lab.test)" \
		REFUSED "IPv6 TCP, filtered" || return 1
	expect_eq "$(dig_status @127.0.0.53 allowed.lab.test)" NOERROR \
		"systemd-resolved's stub address" || return 1
	expect_event "TCP query logged" '"event":"dns"' '"transport":"tcp"' \
		'"qname":"blocked.lab.test"' || return 1
}

test_cname_chain() {
	moat_start --allow www.lab.test || return 1
	expect "the chain's end answers" http_ok http://www.lab.test/ ||
		return 1
	expect_match "$(cat "$LAB_DIR/last.out")" "198.51.100.11" \
		"reached through the CNAME chain" || return 1
	expect_event "answer followed the chain" '"qname":"www.lab.test"' \
		'"qtype":"A"' '"answers":\["198.51.100.11"\]' || return 1
	# A later query for a name in the chain is allowed by its origin.
	expect_eq "$(dig_status origin.cdn.lab.test)" NOERROR \
		"CNAME target asked directly" || return 1
	expect_event "derived name names its origin" \
		'"qname":"origin.cdn.lab.test"' '"via":"www.lab.test"' \
		'"rule":"allow www.lab.test"' || return 1
	expect_eq "$(dig_status edge2.cdn.lab.test)" REFUSED \
		"names outside the chain stay refused" || return 1
}

test_ipv6() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status @2001:db8::53 allowed.lab.test AAAA)" \
		NOERROR "AAAA over IPv6" || return 1
	expect "IPv6 connection" http_ok -6 http://allowed.lab.test/ ||
		return 1
	expect_match "$(cat "$LAB_DIR/last.out")" "2001:db8:1::10" \
		"over IPv6" || return 1
	expect_eq "$(dig_status @2001:db8::53 blocked.lab.test AAAA)" \
		REFUSED "blocked over IPv6" || return 1
	expect_event "v6 connect" '"event":"connect"' '"action":"allowed"' \
		'"dst_ip":"2001:db8:1::10"' || return 1
}

test_port_outside_rule_blocked() {
	moat_start --allow allowed.lab.test:80 || return 1
	expect "port 80 allowed" http_ok http://allowed.lab.test/ || return 1
	expect "port 8080 blocked" http_blocked http://allowed.lab.test:8080/ ||
		return 1
	expect_fail "UDP not in the rule" client sh -c \
		'echo ping | timeout 1 socat - UDP:198.51.100.10:9999 | grep -q echo' ||
		return 1
	expect_fail "no ping to a port-scoped host" client \
		ping -c1 -W1 198.51.100.10 || return 1
	expect_event "port blocked" '"action":"blocked"' \
		'"dst_ip":"198.51.100.10"' '"dst_port":8080' \
		'"reason":"port_not_allowed"' || return 1
}

test_protocols_when_rule_has_no_ports() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "resolve" ||
		return 1
	expect "UDP echo" client sh -c \
		'echo ping | timeout 2 socat - UDP:198.51.100.10:9999 | grep -q echo' ||
		return 1
	expect "ping" client ping -c1 -W2 198.51.100.10 || return 1
	expect_fail "ping an address never named" client \
		ping -c1 -W1 203.0.113.7 || return 1
	expect_fail "ICMPv6 echo to an address never named" client \
		ping -6 -c1 -W1 2001:db8:1::20 || return 1
	expect_event "ping blocked" '"action":"blocked"' '"proto":"icmp"' \
		'"dst_ip":"203.0.113.7"' '"icmp_type":8' || return 1
}

test_audit_mode_blocks_nothing() {
	moat_start --allow allowed.lab.test --mode audit || return 1
	expect_eq "$(dig_status blocked.lab.test)" NOERROR "resolves" ||
		return 1
	expect "blocked name connects" http_ok -4 http://blocked.lab.test/ ||
		return 1
	expect "direct address connects" http_ok http://203.0.113.7/ ||
		return 1
	expect_event "dns would_block" '"event":"dns"' \
		'"action":"would_block"' '"qname":"blocked.lab.test"' \
		'"answers":\["198.51.100.20"\]' || return 1
	expect_event "connect would_block names the host" \
		'"event":"connect"' '"action":"would_block"' \
		'"dst_ip":"198.51.100.20"' '"host":"blocked.lab.test"' ||
		return 1
	expect_event "direct would_block" '"action":"would_block"' \
		'"dst_ip":"203.0.113.7"' || return 1
	expect_no_match "$(cat "$LAB_DIR/audit.log")" '"action":"blocked"' \
		"nothing blocked in audit mode" || return 1
}

test_truncated_answer_retried_over_tcp() {
	moat_start --allow big.lab.test || return 1
	# Forty addresses do not fit 512 bytes: NSD truncates, the proxy
	# asks again over TCP, and learns every address.
	expect "UDP client without EDNS" client dig +noedns +time=2 \
		+tries=1 big.lab.test || return 1
	expect_match "$(cat "$LAB_DIR/last.out")" "198.51.100.139" \
		"the whole answer arrived" || return 1
	expect "an address from the end of the answer" \
		http_ok http://198.51.100.139/ || return 1
	expect_event "all forty in the log" '"qname":"big.lab.test"' \
		'198.51.100.100' '198.51.100.139' || return 1
}

test_deny_rule_wins() {
	moat_start --allow lab.test --deny blocked.lab.test \
		--deny-cidr 198.51.100.12 || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "allowed" ||
		return 1
	expect_eq "$(dig_status blocked.lab.test)" REFUSED "denied" || return 1
	expect_event "deny rule named" '"qname":"blocked.lab.test"' \
		'"rule":"deny blocked.lab.test"' || return 1
	# api.allowed.lab.test resolves, but to an address a CIDR denies.
	expect_eq "$(dig_status api.allowed.lab.test)" NOERROR "resolves" ||
		return 1
	expect "denied address" http_blocked http://api.allowed.lab.test/ ||
		return 1
	expect_event "deny-cidr named" '"dst_ip":"198.51.100.12"' \
		'"reason":"deny_rule"' '"rule":"deny-cidr 198.51.100.12/32"' ||
		return 1
}

test_cidr_rule() {
	moat_start --allow-cidr 203.0.113.0/24:80 || return 1
	expect "allowed prefix and port" http_ok http://203.0.113.7/ ||
		return 1
	expect "other port" http_blocked http://203.0.113.7:8080/ || return 1
	expect "outside the prefix" http_blocked http://198.51.100.10/ ||
		return 1
}

test_policy_file() {
	cat >"$LAB_DIR/policy.json" <<EOF
{
	"allow": ["allowed.lab.test:80"],
	"allow-cidr": ["203.0.113.7:80"],
	"deny": ["api.allowed.lab.test"]
}
EOF
	moat_start --config "$LAB_DIR/policy.json" || return 1
	expect "file rule" http_ok http://allowed.lab.test/ || return 1
	expect "file CIDR rule" http_ok http://203.0.113.7/ || return 1
	expect_eq "$(dig_status api.allowed.lab.test)" REFUSED "file deny" ||
		return 1
}

# A name the allowed name's CNAME chain reaches may be denied itself.
test_denied_cname_target_refuses_the_answer() {
	moat_start --allow www.lab.test --deny origin.cdn.lab.test || return 1
	expect_eq "$(dig_status www.lab.test)" REFUSED "the whole answer" ||
		return 1
	expect_match "$(client dig +time=2 +tries=1 www.lab.test)" \
		"a name in the CNAME chain is blocked" "says why" || return 1
	expect "its address stays blocked" http_blocked -4 http://198.51.100.11/ ||
		return 1
	expect_event "logged with the deny rule" '"qname":"www.lab.test"' \
		'"action":"blocked"' '"rule":"deny origin.cdn.lab.test"' ||
		return 1
}

# The upstream exemption is the proxy's sockets, not a mark anyone with
# CAP_NET_RAW may set: a marked query skips the redirect, then is dropped.
test_forged_mark_cannot_reach_upstream() {
	moat_start --allow allowed.lab.test || return 1
	expect_fail "a marked query to the upstream" client python3 -c '
# A query for example.test, type A.
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x6d6f6174)
s.settimeout(1)
s.sendto(bytes.fromhex("123401000001000000000000076578616d706c650474657374000001000001"), ("192.0.2.53", 53))
s.recv(512)' || return 1
	expect_event "dropped at the classifier" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"192.0.2.53"' '"dst_port":53' \
		'"comm":"python3"' || return 1
}

test_unprivileged_client() {
	moat_start --allow allowed.lab.test || return 1
	expect "nobody reaches an allowed host" client setpriv --reuid=65534 \
		--regid=65534 --clear-groups curl -sf -4 --max-time 2 \
		http://allowed.lab.test/ || return 1
	expect "nobody is blocked like anyone" client sh -c \
		'setpriv --reuid=65534 --regid=65534 --clear-groups curl -sf --max-time 1 http://203.0.113.7/; test $? = 28' ||
		return 1
}

# A TCP client that pipelines queries and never reads the answers must
# not make the daemon hold them: input pauses, then the connection goes.
test_tcp_client_that_never_reads() {
	local rss0 rss
	moat_start --allow allowed.lab.test || return 1
	rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$MOAT_PID/status")
	client python3 -c '
import socket, struct, time
q = bytes.fromhex("000101000001000000000000") + b"\x07allowed\x03lab\x04test\x00\x00\x10\x00\x01"
s = socket.create_connection(("192.0.2.53", 53))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.setblocking(False)
sent = 0
end = time.time() + 4
while time.time() < end:
    try:
        s.send(struct.pack(">H", len(q)) + q)
        sent += 1
    except BlockingIOError:
        time.sleep(0.01)
    except OSError:
        break
print(sent)
' >"$LAB_DIR/pipeline.out" 2>&1
	expect "the client sent thousands of queries" test \
		"$(tail -1 "$LAB_DIR/pipeline.out")" -gt 1000 || return 1
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$MOAT_PID/status")
	# Growth, not size: a sanitizer build starts larger. The proxy holds
	# at most 1 MiB of answers for one client.
	expect "moat's memory stayed bounded (${rss0} kB, then ${rss} kB)" \
		test $((rss - rss0)) -lt 16384 ||
		return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "still answers" ||
		return 1
}

# The proxy's own upstream flows leave conntrack entries behind (UDP's
# last 30 seconds or more). A client query that happens to reuse the
# source port of one, to the same resolver, must still be redirected:
# were it to match that entry, it would leave unredirected and be lost.
test_client_reusing_an_upstream_port_is_redirected() {
	local port
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "a first query" ||
		return 1
	port=$(in_runner conntrack -L -p udp --orig-dst 192.0.2.53 \
		--dport 53 --reply-src 192.0.2.53 2>/dev/null |
		sed -n 's/.* sport=\([0-9]*\) dport=53 .*/\1/p' | head -1)
	expect_match "$port" '^[0-9]+$' "the proxy's upstream flow" ||
		return 1
	expect_eq "$(dig_status -b "192.0.2.2#$port" @192.0.2.53 \
		allowed.lab.test)" NOERROR \
		"a client query from the upstream flow's port $port" || return 1
}

# An allowed answer is kept for its TTL: asked again, it comes from moat's
# cache, logged as such, with its TTL counted down and its addresses
# still allowed. A name whose TTL ran out goes to the upstream again, and
# the policy is asked every time, cache or not.
test_answers_cached_for_their_ttl() {
	local first again
	moat_start --allow lab.test --deny api.allowed.lab.test || return 1
	first=$(client dig +noall +answer allowed.lab.test A | awk '{ print $2 }')
	sleep 2
	again=$(client dig +noall +answer allowed.lab.test A | awk '{ print $2 }')
	expect "the TTL counts down ($first, then $again)" \
		test "$again" -lt "$first" || return 1
	expect_event "the second answer is the cache's" '"event":"dns"' \
		'"qname":"allowed.lab.test"' '"cached":true' \
		'"answers":\["198.51.100.10"\]' || return 1
	expect "its address still connects" http_ok -4 http://allowed.lab.test/ ||
		return 1
	client dig +short short.lab.test >/dev/null
	sleep 1.2
	client dig +short short.lab.test >/dev/null
	expect_no_match "$(grep '"qname":"short.lab.test"' "$LAB_DIR/audit.log")" \
		'"cached":true' "a TTL of one second is over in one second" ||
		return 1
	expect_eq "$(dig_status api.allowed.lab.test)" REFUSED \
		"a denied name, however often asked" || return 1
	expect_eq "$(dig_status api.allowed.lab.test)" REFUSED "is refused" ||
		return 1
}
