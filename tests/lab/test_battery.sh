# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_battery.sh - the bypass battery: in enforce mode every attempt to
# reach what the policy does not allow fails, and the audit log names it
# and the process behind it. Each test first shows that the attempt works
# without moat (or where a rule allows it), so that a failure to connect
# is moat's doing and not the lab's.

SNIFF_PID=

# Probes seen on the far end of the link, one name a line, sorted.
sniff_start() {
	nsenter --net=/run/netns/"$NET_NS" python3 "$LAB_SRC/rawpkt.py" \
		sniff mn0 >"$LAB_DIR/sniff.out" 2>&1 &
	SNIFF_PID=$!
	LAB_PIDS+=($!)
	wait_for 50 grep -q ready "$LAB_DIR/sniff.out"
}

sniff_seen() {
	sleep 0.5
	sed -n 's/^seen //p' "$LAB_DIR/sniff.out" | sort -u
}

peer_mac() {
	in_net ip -j link show mn0 | python3 -c \
		'import json, sys; print(json.load(sys.stdin)[0]["address"])'
}

# Send probes from the runner's namespace as root, through a packet socket.
send_probes() {
	PEER_MAC=$(peer_mac) in_runner python3 "$LAB_SRC/rawpkt.py" send mr0 "$@"
}

ALL_PROBES="ok4 opts_ok4 ok6 ext_ok6 blocked4 opts_blocked4 blocked6
	ext_blocked6 ihl4 ihl15 totlen_short4 ext_long6 frag4 frag6
	vlan_blocked4 qinq_blocked4 vlan_ok4 ethertype_other"

# Hand-built frames from a packet socket: only the well-formed ones to
# allowed addresses and ports cross the link. Without moat, all do.
test_battery_crafted_frames() {
	local rules="--allow-cidr 203.0.113.7:9999/udp
		--allow-cidr [2001:db8:1::10]:9999/udp"
	sniff_start || return 1
	# shellcheck disable=SC2086
	send_probes $ALL_PROBES
	expect_eq "$(sniff_seen | wc -l)" 18 "every probe crosses without moat" ||
		return 1
	: >"$LAB_DIR/sniff.out"
	# shellcheck disable=SC2086
	moat_start $rules || return 1
	# shellcheck disable=SC2086
	send_probes $ALL_PROBES
	expect_eq "$(sniff_seen | tr '\n' ' ')" \
		"ext_ok6 ok4 ok6 opts_ok4 vlan_ok4 " \
		"only well-formed probes to allowed ports cross" || return 1
	expect_event "a tagged frame's verdict" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.200"' \
		'"dst_port":9999' || return 1
	expect_event "a malformed header" '"action":"blocked"' \
		'"reason":"malformed"' || return 1
	expect_event "a lone later fragment" '"action":"blocked"' \
		'"reason":"fragment"' || return 1
	expect_event "not IP" '"action":"blocked"' '"reason":"non_ip"' ||
		return 1
}

# PACKET_QDISC_BYPASS would hand frames to the driver past the classifier.
test_battery_qdisc_bypass_refused() {
	sniff_start || return 1
	expect_match "$(PEER_MAC=$(peer_mac) in_runner python3 \
		"$LAB_SRC/rawpkt.py" bypass mr0 blocked4)" "bypass set" \
		"without moat, root may bypass the qdisc" || return 1
	expect_eq "$(sniff_seen)" blocked4 "and the frame crosses" || return 1
	: >"$LAB_DIR/sniff.out"
	moat_start --allow allowed.lab.test || return 1
	expect_match "$(PEER_MAC=$(peer_mac) client python3 \
		"$LAB_SRC/rawpkt.py" bypass mr0 blocked4)" \
		"bypass refused: EPERM" "refused to root under moat" || return 1
	expect_eq "$(sniff_seen)" "" "the frame met the classifier" || return 1
	expect_event "reported with its process" '"event":"socket"' \
		'"action":"blocked"' '"reason":"qdisc_bypass"' \
		'"family":"packet"' '"comm":"python3"' || return 1
}

# An AF_XDP socket sends frames past the classifier once its UMEM and
# rings are set up with SOL_XDP options: those are refused, root or not.
test_battery_xdp_socket_refused() {
	expect_eq "$(in_runner python3 "$LAB_SRC/probe.py" xdp_umem)" \
		registered "without moat, root registers an AF_XDP UMEM" ||
		return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(client python3 "$LAB_SRC/probe.py" xdp_umem)" EPERM \
		"refused under moat" || return 1
	expect_event "reported with its process" '"event":"socket"' \
		'"action":"blocked"' '"reason":"xdp_socket"' '"family":"xdp"' \
		'"comm":"python3"' || return 1
}

# A source route reaches a refused host through an allowed one: set on a
# socket, it is refused; sent with one datagram, the packet is dropped.
test_battery_source_routes() {
	local probe="python3 $LAB_SRC/probe.py routed"
	expect_eq "$(client $probe tcp 203.0.113.7 allowed.lab.test 80)" \
		timeout "without moat, the option is taken (the SYN is lost)" ||
		return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(client $probe tcp 203.0.113.7 allowed.lab.test 80)" \
		"setsockopt EPERM" "IP_OPTIONS with a source route: refused" ||
		return 1
	expect_eq "$(client $probe tcp 2001:db8:1::20 allowed.lab.test 80)" \
		"setsockopt EPERM" "IPV6_RTHDR: refused" || return 1
	expect_event "reported with its process" '"event":"socket"' \
		'"action":"blocked"' '"reason":"source_route"' \
		'"family":"ipv6"' '"comm":"python3"' || return 1
	expect_eq "$(client $probe udp 203.0.113.7 allowed.lab.test 9999)" \
		timeout "a datagram carrying its own route: dropped" || return 1
	expect_event "at the classifier, with its first hop" \
		'"event":"connect"' '"action":"blocked"' \
		'"dst_ip":"203.0.113.7"' '"reason":"routing_header"' || return 1
}

# A copy of Python with CAP_NET_RAW as a file capability, for nobody: a
# process that is not root, yet may open raw and packet sockets.
raw_python() {
	chmod 711 "$LAB_DIR"
	cp /usr/bin/python3 "$LAB_DIR/python3-raw"
	setcap cap_net_raw+ep "$LAB_DIR/python3-raw"
	cp "$LAB_SRC/rawpkt.py" "$LAB_DIR/rawpkt.py"
	chmod 755 "$LAB_DIR/python3-raw"
	chmod 644 "$LAB_DIR/rawpkt.py"
}

as_nobody_raw() {
	client setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$LAB_DIR/python3-raw" "$LAB_DIR/rawpkt.py" "$@"
}

test_battery_raw_sockets_from_non_root() {
	raw_python || return 1
	expect_eq "$(as_nobody_raw socket raw4)" made \
		"without moat, the capability gives nobody a raw socket" ||
		return 1
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(as_nobody_raw socket raw4)" EPERM "raw IPv4 refused" ||
		return 1
	expect_eq "$(as_nobody_raw socket raw6)" EPERM "raw IPv6 refused" ||
		return 1
	expect_event "reported with its process" '"event":"socket"' \
		'"action":"blocked"' '"reason":"raw_socket"' '"uid":65534' \
		'"comm":"python3-raw"' || return 1
	expect_eq "$(client sh -c 'ping -c1 -W1 198.51.100.10 >/dev/null; echo $?')" \
		1 "root's ping still meets the classifier" || return 1
}

# A packet socket is not an IP socket: no hook refuses it, but what it
# sends meets the classifier like any frame.
test_battery_packet_socket_from_non_root() {
	raw_python || return 1
	sniff_start || return 1
	moat_start --allow-cidr 203.0.113.7:9999/udp || return 1
	expect_eq "$(as_nobody_raw socket packet)" made \
		"a capable process may open one" || return 1
	PEER_MAC=$(peer_mac) as_nobody_raw send mr0 ok4 blocked4 >/dev/null
	expect_eq "$(sniff_seen | tr '\n' ' ')" "ok4 " \
		"only what the policy allows crosses" || return 1
	expect_event "the frame's verdict" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.200"' || return 1
}

# Naming a packet socket's sender takes a tracing program on
# packet_sendmsg, which some kernels refuse; moat says so when it starts.
test_battery_packet_socket_sender_named() {
	raw_python || return 1
	moat_start --allow-cidr 203.0.113.7:9999/udp || return 1
	if grep -q "not attributed to a process" "$LAB_DIR/moat.out"; then
		lab_skip "this kernel refuses tracing programs (fentry on packet_sendmsg): frames are filtered, not attributed"
		return $?
	fi
	PEER_MAC=$(peer_mac) as_nobody_raw send mr0 blocked4 >/dev/null
	expect_event "the blocked frame names its process" '"event":"connect"' \
		'"dst_ip":"203.0.113.200"' '"comm":"python3-raw"' || return 1
}

test_battery_direct_addresses() {
	expect "without moat, a lab host answers over UDP and IPv6" client sh -c \
		'echo ping | timeout 3 socat -t 2 - UDP6:[2001:db8:1::20]:9999 | grep -q echo' ||
		return 1
	moat_start --allow allowed.lab.test || return 1
	expect "TCP over IPv4" http_blocked http://198.51.100.20/ || return 1
	expect "TCP over IPv6" http_blocked "http://[2001:db8:1::20]/" ||
		return 1
	expect_fail "UDP over IPv4" client sh -c \
		'echo ping | timeout 1 socat - UDP4:198.51.100.20:9999 | grep -q echo' ||
		return 1
	expect_fail "UDP over IPv6" client sh -c \
		'echo ping | timeout 1 socat - UDP6:[2001:db8:1::20]:9999 | grep -q echo' ||
		return 1
	expect_event "TCP, IPv4, with its process" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"198.51.100.20"' '"proto":"tcp"' \
		'"comm":"curl"' '"pid":[0-9]' || return 1
	expect_event "TCP, IPv6" '"action":"blocked"' \
		'"dst_ip":"2001:db8:1::20"' '"proto":"tcp"' '"comm":"curl"' ||
		return 1
	expect_event "UDP, IPv4" '"action":"blocked"' \
		'"dst_ip":"198.51.100.20"' '"proto":"udp"' '"comm":"socat"' ||
		return 1
	expect_event "UDP, IPv6" '"action":"blocked"' \
		'"dst_ip":"2001:db8:1::20"' '"proto":"udp"' '"comm":"socat"' ||
		return 1
}

# A peer's datagram to a closed port: the runner's ICMP error must reach it.
peer_gets_port_unreachable() {
	in_net python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[1], 7))
s.send(b"x")
try:
    s.recv(16)
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$1"
}

test_battery_icmp_echo() {
	expect "without moat, IPv4 echo" client ping -c1 -W2 198.51.100.20 ||
		return 1
	expect "and IPv6 echo" client ping -6 -c1 -W2 2001:db8:1::20 || return 1
	moat_start --allow allowed.lab.test:80 || return 1
	expect_fail "IPv4 echo blocked" client ping -c1 -W1 198.51.100.20 ||
		return 1
	expect_fail "IPv6 echo blocked" client ping -6 -c1 -W1 2001:db8:1::20 ||
		return 1
	expect_event "IPv4 echo, with its process" '"event":"connect"' \
		'"action":"blocked"' '"proto":"icmp"' '"icmp_type":8' \
		'"dst_ip":"198.51.100.20"' '"comm":"ping"' || return 1
	expect_event "IPv6 echo" '"action":"blocked"' '"icmp_type":128' \
		'"dst_ip":"2001:db8:1::20"' '"comm":"ping"' || return 1
	# Neighbour discovery from scratch, through the classifier.
	in_runner ip -6 neigh flush dev mr0
	in_runner ip -4 neigh flush dev mr0
	expect "IPv6 after the neighbour cache is flushed" \
		http_ok -6 http://allowed.lab.test/ || return 1
	expect "IPv4 after ARP from scratch" http_ok -4 \
		http://allowed.lab.test/ || return 1
	expect "a peer learns of a closed port (ICMP)" \
		peer_gets_port_unreachable 192.0.2.2 || return 1
	expect "and over IPv6 (ICMPv6)" \
		peer_gets_port_unreachable 2001:db8::2 || return 1
}

# far (203.0.113.242/29, 2001:db8:2::2/64) sits behind the net namespace
# on a link with an MTU of 1280: the net namespace, routing, sends the
# runner "fragmentation needed" and "packet too big".
far_up() {
	FAR_NS=moat-$LAB_ID-far
	ip netns add "$FAR_NS" || return 1
	ip link add fn0 netns "$NET_NS" mtu 1280 type veth peer name ff0 \
		netns "$FAR_NS" mtu 1280 || return 1
	in_net sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	in_net ip addr add 203.0.113.241/29 dev fn0
	in_net ip addr add 2001:db8:2::1/64 dev fn0 nodad
	in_net ip link set fn0 up
	nsenter --net=/run/netns/"$FAR_NS" sh -c '
		ip link set lo up &&
		ip addr add 203.0.113.242/29 dev ff0 &&
		ip addr add 2001:db8:2::2/64 dev ff0 nodad &&
		ip link set ff0 up &&
		ip route add default via 203.0.113.241 &&
		ip -6 route add default via 2001:db8:2::1'
}

far_down() {
	lab_kill_netns "$FAR_NS"
	ip netns del "$FAR_NS" 2>/dev/null
}

test_battery_path_mtu_messages_reach_the_runner() {
	local status=0
	far_up || { far_down; return 1; }
	moat_start --allow-cidr 203.0.113.242 --allow-cidr 2001:db8:2::2 ||
		status=1
	[ $status = 0 ] && { expect_match "$(client ping -M do -s 1400 -c2 \
		-W1 203.0.113.242 2>&1)" "mtu = 1280|mtu=1280" \
		"fragmentation needed arrives" || status=1; }
	[ $status = 0 ] && { expect_match "$(in_runner ip route get \
		203.0.113.242)" "mtu 1280" "and the route learns it" || status=1; }
	[ $status = 0 ] && { expect_match "$(client ping -6 -M do -s 1400 \
		-c2 -W1 2001:db8:2::2 2>&1)" "mtu = 1280|mtu=1280" \
		"packet too big arrives" || status=1; }
	[ $status = 0 ] && { expect "smaller packets go through" client \
		ping -c1 -W2 -s 1200 203.0.113.242 || status=1; }
	far_down
	return $status
}

# Real VLAN devices on the runner's link, one tag and two (QinQ): their
# frames leave through the guarded interface, tags and all.
vlan_up() {
	local ns
	for ns in "$RUN_NS" "$NET_NS"; do
		local dev=mr0 a=198.51.100.241 b=198.51.100.233
		[ "$ns" = "$NET_NS" ] && { dev=mn0; a=198.51.100.242; b=198.51.100.234; }
		nsenter --net=/run/netns/"$ns" sh -c "
			ip link add link $dev name $dev.7 type vlan id 7 &&
			ip addr add $a/30 dev $dev.7 && ip link set $dev.7 up &&
			ip link add link $dev name $dev.s9 type vlan proto 802.1ad id 9 &&
			ip link set $dev.s9 up &&
			ip link add link $dev.s9 name $dev.q10 type vlan id 10 &&
			ip addr add $b/30 dev $dev.q10 && ip link set $dev.q10 up" ||
			return 1
	done
}

test_battery_vlan_devices() {
	if ! in_runner ip link add link mr0 name mr0.probe type vlan id 99 \
		2>/dev/null; then
		lab_skip "this kernel has no 802.1Q devices (CONFIG_VLAN_8021Q); test_battery_crafted_frames sends tagged frames instead"
		return $?
	fi
	in_runner ip link del mr0.probe
	vlan_up || return 1
	expect "without moat, over one tag" http_ok http://198.51.100.242/ ||
		return 1
	expect "and over two" http_ok http://198.51.100.234/ || return 1
	moat_start --allow-cidr 198.51.100.242:80 || return 1
	expect "an allowed address, tagged" http_ok http://198.51.100.242/ ||
		return 1
	expect "another port, tagged" http_blocked http://198.51.100.242:8080/ ||
		return 1
	expect "double-tagged, not allowed" http_blocked \
		http://198.51.100.234/ || return 1
	expect_event "the double-tagged attempt, with its process" \
		'"event":"connect"' '"action":"blocked"' \
		'"dst_ip":"198.51.100.234"' '"comm":"curl"' || return 1
}
