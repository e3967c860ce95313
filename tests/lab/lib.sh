# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# lib.sh - the network-namespace lab: a runner, a network behind it with a
# real authoritative DNS server (NSD) and application servers, and moat.
#
# Topology (all addresses from the documentation ranges):
#
#   runner netns                      net netns
#   mr0 192.0.2.2/24  <--- veth --->  mn0 192.0.2.1/24
#       2001:db8::2/64                    2001:db8::1/64
#   default via 192.0.2.1             lo: 192.0.2.53, 2001:db8::53 (NSD)
#   moat attached to mr0                  198.51.100.0/24 and 203.0.113.0/24
#                                         hosts, 2001:db8:1::/64 hosts
#                                         (labserver.py on every address)
#
# `ip netns exec` remounts /sys, hiding cgroup and bpf filesystems, so
# commands enter the namespaces with nsenter; clients get their own
# resolv.conf by a bind mount in a private mount namespace.

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MOAT=${MOAT:-$LAB_SRC/../../moat}
LAB_ID=${LAB_ID:-$$}
RUN_NS=moat-$LAB_ID-run
NET_NS=moat-$LAB_ID-net
LAB_DIR=
LAB_CGROUP=
MOAT_PID=
LAB_PIDS=()

lab_log() {
	echo "  lab: $*" >&2
}

# Run a command in the runner namespace, as a client would be run.
in_runner() {
	nsenter --net=/run/netns/"$RUN_NS" "$@"
}

in_net() {
	nsenter --net=/run/netns/"$NET_NS" "$@"
}

# A client process: in the lab's cgroup (joined before it enters the
# namespace), with its own mount namespace and the lab's resolv.conf.
client() {
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' client \
		"$LAB_CGROUP" unshare -m --propagation private sh -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' \
		client "$LAB_DIR/resolv.conf" \
		nsenter --net=/run/netns/"$RUN_NS" "$@"
}

# The cgroup v2 hierarchy, wherever it is mounted (hybrid hosts too).
cgroup_v2_root() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts
}

# The lab's own cgroup, for moat's socket hooks and the lab's clients.
lab_cgroup() {
	local root
	root=$(cgroup_v2_root)
	[ -n "$root" ] || { lab_log "no cgroup v2 hierarchy"; return 1; }
	LAB_CGROUP=$root/moat-lab-$LAB_ID
	mkdir "$LAB_CGROUP"
}

lab_addresses() {
	local a
	for a in 192.0.2.53/32 198.51.100.10/32 198.51.100.11/32 \
		198.51.100.12/32 198.51.100.20/32 203.0.113.7/32 \
		203.0.113.53/32 203.0.113.200/32; do
		in_net ip addr add "$a" dev lo
	done
	for a in 2001:db8::53/128 2001:db8:1::10/128 2001:db8:1::20/128; do
		in_net ip addr add "$a" dev lo nodad
	done
	for a in 198.51.100.{100..139}; do
		in_net ip addr add "$a"/32 dev lo
	done
}

lab_links() {
	ip netns add "$RUN_NS" || return 1
	ip netns add "$NET_NS" || return 1
	ip link add mr0 netns "$RUN_NS" type veth peer name mn0 \
		netns "$NET_NS" || return 1
	in_runner sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
	in_net sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
	in_runner ip link set lo up
	in_net ip link set lo up
	in_runner ip addr add 192.0.2.2/24 dev mr0
	in_runner ip addr add 2001:db8::2/64 dev mr0 nodad
	in_net ip addr add 192.0.2.1/24 dev mn0
	in_net ip addr add 2001:db8::1/64 dev mn0 nodad
	in_runner ip link set mr0 up
	in_net ip link set mn0 up
	in_runner ip route add default via 192.0.2.1
	in_runner ip -6 route add default via 2001:db8::1
	lab_addresses
}

lab_zone() {
	local i
	cat <<EOF
\$ORIGIN lab.test.
\$TTL 60
@	IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 60
@	IN NS ns.lab.test.
ns	IN A 192.0.2.53
allowed	IN A 198.51.100.10
allowed	IN AAAA 2001:db8:1::10
api.allowed IN A 198.51.100.12
blocked	IN A 198.51.100.20
blocked	IN AAAA 2001:db8:1::20
www	IN CNAME edge.cdn
edge.cdn IN CNAME origin.cdn
origin.cdn IN A 198.51.100.11
direct	IN A 203.0.113.7
short	1 IN A 198.51.100.12
rebind	IN A 127.0.0.1
meta	IN A 169.254.169.254
rebind6	IN AAAA ::1
EOF
	for i in {100..139}; do
		echo "big	IN A 198.51.100.$i"
	done
}

# Reverse zones for the lab's hosts: 198.51.100.0/24, 203.0.113.0/24 and
# 2001:db8:1::/64.
LAB_REV6=0.0.0.0.0.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa

lab_reverse_zone() {
	printf '$ORIGIN %s.\n$TTL 60\n' "$1"
	echo "@	IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 60"
	echo "@	IN NS ns.lab.test."
	case $1 in
	100.51.198.in-addr.arpa)
		echo "10 IN PTR allowed.lab.test."
		echo "20 IN PTR blocked.lab.test." ;;
	113.0.203.in-addr.arpa)
		echo "7 IN PTR direct.lab.test." ;;
	"$LAB_REV6")
		echo "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR allowed.lab.test."
		echo "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR blocked.lab.test." ;;
	esac
}

lab_reverse_zones() {
	local z
	for z in 100.51.198.in-addr.arpa 113.0.203.in-addr.arpa "$LAB_REV6"; do
		lab_reverse_zone "$z" >"$LAB_DIR/nsd/$z.zone"
		printf 'zone:\n\tname: %s\n\tzonefile: %s.zone\n' "$z" "$z"
	done
}

lab_dns() {
	mkdir -p "$LAB_DIR/nsd"
	lab_zone >"$LAB_DIR/nsd/lab.test.zone"
	cat >"$LAB_DIR/nsd/nsd.conf" <<EOF
server:
	ip-address: 192.0.2.53
	ip-address: 2001:db8::53
	ip-address: 203.0.113.53@5353
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$LAB_DIR/nsd"
	pidfile: "$LAB_DIR/nsd/nsd.pid"
	database: ""
	xfrdfile: "$LAB_DIR/nsd/xfrd.state"
	zonelistfile: "$LAB_DIR/nsd/zone.list"
	logfile: "$LAB_DIR/nsd/nsd.log"
	server-count: 1
	verbosity: 1
	# No response rate limiting: load tests and benchmarks send the lab's
	# server far more than NSD's default 200 answers a second.
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: lab.test
	zonefile: lab.test.zone
EOF
	lab_reverse_zones >>"$LAB_DIR/nsd/nsd.conf"
	# Simple commands, not functions: $! is then the server itself.
	nsenter --net=/run/netns/"$NET_NS" nsd -d -c "$LAB_DIR/nsd/nsd.conf" \
		>"$LAB_DIR/nsd/stdout" 2>&1 &
	LAB_PIDS+=($!)
	echo "nameserver 192.0.2.53" >"$LAB_DIR/resolv.conf"
}

lab_servers() {
	nsenter --net=/run/netns/"$NET_NS" python3 "$LAB_SRC/labserver.py" \
		80,443,8080 9999 >"$LAB_DIR/labserver.out" 2>&1 &
	LAB_PIDS+=($!)
}

# Wait until a command succeeds, up to a number of tenths of a second.
wait_for() {
	local tenths=$1
	shift
	while ! "$@" >/dev/null 2>&1; do
		((tenths-- > 0)) || return 1
		sleep 0.1
	done
}

lab_up() {
	LAB_DIR=$(mktemp -d /tmp/moat-lab.XXXXXX)
	lab_cgroup || return 1
	if ! lab_links; then
		lab_log "cannot create the lab's namespaces"
		return 1
	fi
	lab_dns
	lab_servers
	wait_for 50 in_runner dig +time=1 +tries=1 @192.0.2.53 \
		allowed.lab.test || { lab_log "NSD did not answer"; return 1; }
	wait_for 50 grep -q ready "$LAB_DIR/labserver.out" ||
		{ lab_log "lab servers did not start"; return 1; }
}

# Run a whole moat command line in the background as the daemon and wait
# until it is ready. The command must end in exec'ing moat (nsenter,
# unshare and sh -c '... exec' all do), so that $! is moat itself.
moat_launch() {
	"$@" >>"$LAB_DIR/moat.out" 2>&1 &
	MOAT_PID=$!
	if ! "$MOAT" wait-ready --ready-file "$LAB_DIR/moat.ready" \
		--pid-file "$LAB_DIR/moat.pid" --timeout 10; then
		lab_log "moat did not become ready:"
		sed 's/^/    /' "$LAB_DIR/moat.out" >&2
		return 1
	fi
}

# The options every lab daemon gets.
moat_lab_args() {
	echo --interface mr0 --cgroup "$LAB_CGROUP" \
		--audit-log "$LAB_DIR/audit.log" \
		--pid-file "$LAB_DIR/moat.pid" --ready-file "$LAB_DIR/moat.ready" -v
}

# Start moat in the runner with the given policy; wait until it is ready.
moat_start() {
	moat_launch nsenter --net=/run/netns/"$RUN_NS" "$MOAT" start \
		$(moat_lab_args) --upstream 192.0.2.53 "$@"
}

# The misbehaving upstream of fakedns.py, on 192.0.2.54; it forges from
# 192.0.2.55.
fake_upstream_up() {
	in_net ip addr add 192.0.2.54/32 dev lo
	in_net ip addr add 192.0.2.55/32 dev lo
	nsenter --net=/run/netns/"$NET_NS" python3 "$LAB_SRC/fakedns.py" \
		192.0.2.54 192.0.2.55 >"$LAB_DIR/fakedns.out" 2>&1 &
	LAB_PIDS+=($!)
	wait_for 50 grep -q ready "$LAB_DIR/fakedns.out"
}

# moat with only the fake upstream, and further options.
moat_start_fake() {
	moat_launch nsenter --net=/run/netns/"$RUN_NS" "$MOAT" start \
		$(moat_lab_args) --upstream 192.0.2.54 "$@"
}

# Stop moat with a signal and wait for it; returns its exit status.
moat_stop() {
	local sig=${1:-TERM} status=0
	[ -n "$MOAT_PID" ] || return 0
	kill -"$sig" "$MOAT_PID" 2>/dev/null
	# Braces keep bash's "Killed" job notice off the test output.
	{ wait "$MOAT_PID"; } 2>/dev/null || status=$?
	MOAT_PID=
	return $status
}

lab_kill_netns() {
	local pids tries=20
	while pids=$(ip netns pids "$1" 2>/dev/null) && [ -n "$pids" ] &&
		((tries-- > 0)); do
		kill -KILL $pids 2>/dev/null
		sleep 0.1
	done
}

# Kill what is left in the lab's cgroup and those a test made below it,
# then remove them, deepest first.
lab_cgroup_remove() {
	local tries=50
	[ -n "$LAB_CGROUP" ] && [ -d "$LAB_CGROUP" ] || return 0
	while grep -q '^populated 1' "$LAB_CGROUP/cgroup.events" &&
		((tries-- > 0)); do
		find "$LAB_CGROUP" -name cgroup.procs -exec cat {} + |
			xargs -r kill -KILL 2>/dev/null
		sleep 0.1
	done
	find "$LAB_CGROUP" -mindepth 1 -depth -type d -exec rmdir {} \;
	rmdir "$LAB_CGROUP" || lab_log "cannot remove $LAB_CGROUP"
	LAB_CGROUP=
}

lab_down() {
	local pid
	if [ -n "$MOAT_PID" ]; then
		moat_stop TERM
	fi
	for pid in "${LAB_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	for pid in "${LAB_PIDS[@]}"; do
		{ wait "$pid"; } 2>/dev/null
	done
	LAB_PIDS=()
	# Whatever still runs in the lab's namespaces (NSD's own children,
	# a test's stray client) would keep them alive after the delete.
	lab_kill_netns "$RUN_NS"
	lab_kill_netns "$NET_NS"
	ip netns del "$RUN_NS" 2>/dev/null
	ip netns del "$NET_NS" 2>/dev/null
	lab_cgroup_remove
	if [ -n "$LAB_DIR" ] && [ -z "${LAB_KEEP:-}" ]; then
		rm -rf "$LAB_DIR"
	fi
	LAB_DIR=
}

# The audit log's events of one kind, one JSON object a line.
audit_events() {
	grep "\"event\":\"$1\"" "$LAB_DIR/audit.log"
}

# Host state a test compares before and after a run.
host_state() {
	in_runner nft list ruleset
	in_runner tc qdisc show dev mr0
	in_runner tc filter show dev mr0 ingress
	in_runner tc filter show dev mr0 egress
	bpftool cgroup show "$LAB_CGROUP"
}
