# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_forwarded.sh - a namespace behind NAT on the runner, standing in for
# a container on a Docker bridge: its traffic leaves through moat's
# classifier after NAT, without a socket of the runner's.

CTR_NS=
CTR_SERVER_PID=

# ctr (198.51.100.250/29) -- cr0 on the runner (198.51.100.249/29); the
# runner masquerades it out of mr0 and publishes its port 80 as 8081.
ctr_up() {
	CTR_NS=moat-$LAB_ID-ctr
	ip netns add "$CTR_NS" || return 1
	ip link add cr0 netns "$RUN_NS" type veth peer name ctr0 \
		netns "$CTR_NS" || return 1
	in_runner ip addr add 198.51.100.249/29 dev cr0
	in_runner ip link set cr0 up
	nsenter --net=/run/netns/"$CTR_NS" sh -c '
		ip link set lo up &&
		ip addr add 198.51.100.250/29 dev ctr0 &&
		ip link set ctr0 up &&
		ip route add default via 198.51.100.249' || return 1
	in_runner sysctl -qw net.ipv4.ip_forward=1
	in_runner nft -f - <<EOF || return 1
table ip labnat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "mr0" ip saddr 198.51.100.248/29 masquerade
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "mr0" tcp dport 8081 dnat to 198.51.100.250:80
	}
}
EOF
	nsenter --net=/run/netns/"$CTR_NS" python3 "$LAB_SRC/labserver.py" \
		80 9999 >"$LAB_DIR/ctr-server.out" 2>&1 &
	CTR_SERVER_PID=$!
	LAB_PIDS+=($!)
	wait_for 50 grep -q ready "$LAB_DIR/ctr-server.out"
}

in_ctr() {
	nsenter --net=/run/netns/"$CTR_NS" "$@"
}

ctr_down() {
	kill "$CTR_SERVER_PID" 2>/dev/null
	# Braces keep bash's job notice off the test output.
	{ wait "$CTR_SERVER_PID"; } 2>/dev/null
	lab_kill_netns "$CTR_NS"
	ip netns del "$CTR_NS" 2>/dev/null
}

forwarded_checks() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(dig_status allowed.lab.test)" NOERROR "the runner learns" ||
		return 1
	expect "an allowed address, after NAT" in_ctr curl -sf --max-time 2 \
		http://198.51.100.10/ || return 1
	expect "a direct address, after NAT" sh -c "nsenter \
		--net=/run/netns/$CTR_NS curl -sf --max-time 1 http://203.0.113.7/;
		test \$? = 28" || return 1
	expect_event "attributed as forwarded" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.7"' \
		'"scope":"forwarded"' '"cookie":0' || return 1
	# A peer opens a connection to the published port: the replies leave
	# with no socket of the runner's, and still pass.
	expect "a connection into the published port" in_net curl -sf \
		--max-time 2 http://192.0.2.2:8081/ || return 1
	expect_match "$(cat "$LAB_DIR/last.out")" "hello from 198.51.100.250" \
		"answered by the namespace" || return 1
}

ctr_dig_status() {
	in_ctr dig +time=2 +tries=1 "$@" | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}

forwarded_dns_checks() {
	moat_start --allow allowed.lab.test || return 1
	expect_eq "$(ctr_dig_status @192.0.2.53 allowed.lab.test)" NOERROR \
		"a container's query reaches the proxy" || return 1
	expect_eq "$(ctr_dig_status @203.0.113.53 blocked.lab.test)" REFUSED \
		"and is filtered, whatever resolver it names" || return 1
	expect_eq "$(ctr_dig_status +tcp @192.0.2.53 blocked.lab.test)" \
		REFUSED "over TCP too" || return 1
	expect_event "attributed as forwarded" '"event":"dns"' \
		'"qname":"blocked.lab.test"' '"scope":"forwarded"' || return 1
	expect "the learned address is reachable from the container" \
		in_ctr curl -sf --max-time 2 http://198.51.100.10/ || return 1
	# Nobody outside reaches the forwarded listener.
	local port
	port=$(in_runner nft list table inet moat |
		sed -n 's/.*redirect to :\([0-9]*\).*/\1/p' | head -1)
	expect_fail "the forwarded listener from outside" in_net dig +time=1 \
		+tries=1 -p "$port" @192.0.2.2 allowed.lab.test || return 1
}

test_namespace_dns_behind_nat() {
	local status=0
	ctr_up && forwarded_dns_checks || status=1
	ctr_down
	return $status
}

test_namespace_behind_nat() {
	local status=0
	ctr_up && forwarded_checks || status=1
	ctr_down
	return $status
}
