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
