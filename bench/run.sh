#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - every benchmark, side by side in one run, in labs of its own;
# then bench/report.py turns the figures into bench/results/latest.md.
# Usage: bench/run.sh [PART...]   parts: datapath rules connect
#        throughput dns startup memory (default: all)
# Needs root. Nothing here is a test: figures are reported, not judged
# pass or fail, except against the brief's bars in the report.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$ROOT/.output/bench
RESULTS=$HERE/results
RAW=$RESULTS/latest.txt
source "$ROOT/tests/lab/lib.sh"
source "$ROOT/tests/lab/harness.sh"

# Rounds of each lab measurement, alternating between what is compared.
ROUNDS=${BENCH_ROUNDS:-5}
DNS_ROUNDS=${BENCH_DNS_ROUNDS:-3}
IPERF_SECONDS=${BENCH_IPERF_SECONDS:-5}
DNS_SECONDS=${BENCH_DNS_SECONDS:-5}
BULK_NAMES=250 # names of 40 AAAA records each: 10,000 learned addresses
BULK_PER_NAME=40

log() {
	echo "bench: $*" >&2
}

result() {
	echo "$1 $2 $3" | tee -a "$RAW"
}

# The lab's zone, and the bulk names that teach moat 10,000 addresses.
eval "$(declare -f lab_zone | sed '1s/lab_zone/lab_zone_base/')"
lab_zone() {
	local i j
	lab_zone_base
	for ((i = 0; i < BULK_NAMES; i++)); do
		for ((j = 1; j <= BULK_PER_NAME; j++)); do
			printf 'bulk%d\tIN AAAA 2001:db8:2::%x:%x\n' "$i" "$i" "$j"
		done
	done
}

bench_lab_up() {
	LAB_ID=bench$$-$RANDOM
	RUN_NS=moat-$LAB_ID-run
	NET_NS=moat-$LAB_ID-net
	lab_up || { log "the lab did not come up"; exit 1; }
}

bench_lab_down() {
	lab_down
}

# Ask moat's proxy for every bulk name: 10,000 addresses in its maps.
learn_bulk() {
	local i
	for ((i = 0; i < BULK_NAMES; i++)); do
		echo "bulk$i.lab.test AAAA"
	done >"$LAB_DIR/bulk.queries"
	client dnsperf -e -s 127.0.0.1 -d "$LAB_DIR/bulk.queries" -n 1 \
		>"$LAB_DIR/bulk.out" 2>&1
}

stat_of() {
	grep '"event":"stats"' "$LAB_DIR/audit.log" | tail -1 |
		grep -o "\"$1\":[0-9]*" | cut -d: -f2
}

# Median of numbers, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2];
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

part_c() {
	local bin=$OUT/bench_$1
	log "$1 (C benchmark)"
	"$bin" | tee -a "$RAW" || log "bench_$1 failed"
}

# The same 10,000 addresses, and the iperf3 server's, in an nftables set
# on the output hook: what a user might write instead of moat.
nft_filter() {
	local i j
	{
		echo "table inet moatbench {"
		echo "  set allow4 { type ipv4_addr; elements = { 198.51.100.10 } }"
		echo "  set allow6 { type ipv6_addr; size 65536; elements = {"
		for ((i = 0; i < BULK_NAMES; i++)); do
			for ((j = 1; j <= BULK_PER_NAME; j++)); do
				printf '    2001:db8:2::%x:%x,\n' "$i" "$j"
			done
		done
		echo "    2001:db8:1::10 } }"
		echo "  chain out { type filter hook output priority 0; policy drop;"
		echo "    ip daddr @allow4 accept"
		echo "    ip6 daddr @allow6 accept"
		echo "  }"
		echo "}"
	} >"$LAB_DIR/filter.nft"
}

# One run to $1 (a name under moat, whose proxy then learns its address).
iperf_once() {
	client iperf3 -4 -c "$1" -t "$IPERF_SECONDS" -O 1 -J |
		python3 -c 'import json, sys
print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9)'
}

# The NAT rule moat's redirect installs, alone: it turns conntrack on in
# the namespace, for every flow, which is most of what moat costs a flow
# that is not DNS.
nat_alone() {
	cat >"$LAB_DIR/nat.nft" <<EOF
table inet moatbench_nat {
	chain out {
		type nat hook output priority -100; policy accept;
		meta nfproto ipv4 udp dport 53 dnat ip to 127.0.0.1:53
	}
}
EOF
}

# What Docker installs on every GitHub-hosted runner: a masquerade rule,
# and with it conntrack for every flow, moat or not.
docker_like() {
	cat >"$LAB_DIR/docker.nft" <<EOF
table ip moatbench_docker {
	chain post {
		type nat hook postrouting priority 100; policy accept;
		ip saddr 172.17.0.0/16 oifname != "docker0" masquerade
	}
}
EOF
}

# One measurement of a set-up: none, nft, nat or moat.
throughput_of() {
	case $1 in
	none)
		iperf_once 198.51.100.10
		;;
	nft)
		in_runner nft -f "$LAB_DIR/filter.nft"
		iperf_once 198.51.100.10
		in_runner nft delete table inet moatbench
		;;
	nat)
		in_runner nft -f "$LAB_DIR/nat.nft"
		iperf_once 198.51.100.10
		in_runner nft delete table inet moatbench_nat
		;;
	moat)
		moat_start --allow lab.test >/dev/null || exit 1
		learn_bulk
		iperf_once allowed.lab.test
		moat_stop TERM
		;;
	esac
}

# Rounds of the set-ups given, each round starting with another, so that
# none is favoured by going first; results in tp.PREFIX.SETUP.
throughput_rounds() {
	local prefix=$1 r i s
	shift
	for ((r = 0; r < ROUNDS; r++)); do
		for ((i = 0; i < $#; i++)); do
			s=${@:((r + i) % $# + 1):1}
			throughput_of "$s" >>"$LAB_DIR/tp.$prefix.$s"
		done
	done
}

part_throughput() {
	local s
	log "throughput: iperf3 over the lab's veth, $ROUNDS rounds"
	bench_lab_up
	nsenter --net=/run/netns/"$NET_NS" iperf3 -s -B 198.51.100.10 -D \
		--pidfile "$LAB_DIR/iperf3.pid"
	nft_filter
	nat_alone
	docker_like
	sleep 0.5
	throughput_rounds plain none nft nat moat
	in_runner nft -f "$LAB_DIR/docker.nft"
	throughput_rounds docker none nft moat
	in_runner nft delete table ip moatbench_docker
	kill "$(cat "$LAB_DIR/iperf3.pid")" 2>/dev/null
	result throughput.learned "$(stat_of addresses_learned)" addresses
	for s in none nft nat moat; do
		result "throughput.$s" "$(median <"$LAB_DIR/tp.plain.$s")" Gbit/s
	done
	for s in none nft moat; do
		result "throughput.docker.$s" \
			"$(median <"$LAB_DIR/tp.docker.$s")" Gbit/s
	done
	bench_lab_down
}

# dnsmasq forwards at most 150 queries at once by default, fewer than
# dnsperf keeps in flight (4 clients, 200 each): raised, so that its
# uncached figure is not its default's.
dnsmasq_start() {
	nsenter --net=/run/netns/"$RUN_NS" dnsmasq -k --no-resolv --no-hosts \
		--listen-address=127.0.0.1 --port=5300 --bind-interfaces \
		--server=192.0.2.53 --cache-size=10000 --user=root \
		--dns-forward-max=1000 \
		--pid-file="$LAB_DIR/dnsmasq.pid" >/dev/null 2>&1 &
	DNSMASQ_PID=$!
	wait_for 50 in_runner dig +time=1 +tries=1 -p 5300 @127.0.0.1 \
		allowed.lab.test
}

unbound_start() {
	cat >"$LAB_DIR/unbound.conf" <<EOF
server:
	interface: 127.0.0.1@5301
	access-control: 127.0.0.0/8 allow
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$LAB_DIR"
	pidfile: "$LAB_DIR/unbound.pid"
	use-syslog: no
	do-not-query-localhost: no
	module-config: "iterator"
	qname-minimisation: no
	num-threads: 1
forward-zone:
	name: "."
	forward-addr: 192.0.2.53
EOF
	nsenter --net=/run/netns/"$RUN_NS" unbound -c "$LAB_DIR/unbound.conf" \
		>/dev/null 2>&1 &
	UNBOUND_PID=$!
	wait_for 50 in_runner dig +time=1 +tries=1 -p 5301 @127.0.0.1 \
		allowed.lab.test
}

# Queries per second through a server, for one workload.
dnsperf_qps() {
	client dnsperf -s "$1" -p "$2" -d "$3" -l "$DNS_SECONDS" -c 4 -q 200 \
		2>&1 | sed -n 's/.*Queries per second: *//p'
}

# Latency percentiles at a steady, moderate rate: dnsperf -v prints each
# answer's latency.
dnsperf_latency() {
	client dnsperf -s "$1" -p "$2" -d "$3" -l 3 -Q 1000 -v 2>&1 |
		awk '/^> [A-Z]+ .* [0-9.]+$/ { print $NF * 1000000 }' |
		sort -g | awk '{ v[NR] = $1 } END {
			if (!NR) { print "0 0"; exit }
			print v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }'
}

# Cached: eight names asked again and again, answers that fit a datagram
# (a CNAME chain among them). Uncached: a name never asked before, every
# query; the latency pass has names of its own, so that the rate pass
# never warms a cache for it. Each round restarts every resolver.
dns_workloads() {
	printf '%s\n' "allowed.lab.test A" "allowed.lab.test AAAA" \
		"www.lab.test A" "api.allowed.lab.test A" "short.lab.test A" \
		"blocked.lab.test A" "direct.lab.test A" "ns.lab.test A" \
		>"$LAB_DIR/cached.queries"
	cp "$LAB_DIR/cached.queries" "$LAB_DIR/cached.latency"
	awk 'BEGIN { for (i = 0; i < 1500000; i++) print "u" i ".lab.test A" }' \
		>"$LAB_DIR/uncached.queries"
	awk 'BEGIN { for (i = 0; i < 5000; i++) print "l" i ".lab.test A" }' \
		>"$LAB_DIR/uncached.latency"
}

# One server (name, address, port) over both workloads.
dns_measure() {
	local name=$1 addr=$2 port=$3 w lat
	for w in cached uncached; do
		dnsperf_qps "$addr" "$port" "$LAB_DIR/$w.queries" \
			>>"$LAB_DIR/dns.$name.$w"
		lat=$(dnsperf_latency "$addr" "$port" "$LAB_DIR/$w.latency")
		echo "${lat% *}" >>"$LAB_DIR/dns.$name.$w.p50"
		echo "${lat#* }" >>"$LAB_DIR/dns.$name.$w.p99"
	done
}

part_dns() {
	local r name w
	log "dns: dnsperf through each resolver, $DNS_ROUNDS rounds"
	bench_lab_up
	dns_workloads
	for ((r = 1; r <= DNS_ROUNDS; r++)); do
		dns_measure upstream 192.0.2.53 53
		dnsmasq_start && dns_measure dnsmasq 127.0.0.1 5300
		kill "$DNSMASQ_PID" 2>/dev/null
		wait "$DNSMASQ_PID" 2>/dev/null
		unbound_start && dns_measure unbound 127.0.0.1 5301
		kill "$UNBOUND_PID" 2>/dev/null
		wait "$UNBOUND_PID" 2>/dev/null
		moat_start --allow lab.test >/dev/null || exit 1
		dns_measure moat 127.0.0.1 53
		moat_stop TERM
		# The same, the audit log thrown away: what logging every
		# query costs, which dnsmasq and unbound do not do.
		moat_start --allow lab.test --audit-log /dev/null \
			>/dev/null || exit 1
		dns_measure moat_nolog 127.0.0.1 53
		moat_stop TERM
	done
	for name in upstream moat moat_nolog dnsmasq unbound; do
		for w in cached uncached; do
			result "dns.$name.$w.qps" \
				"$(median <"$LAB_DIR/dns.$name.$w")" q/s
			result "dns.$name.$w.p50" \
				"$(median <"$LAB_DIR/dns.$name.$w.p50")" us
			result "dns.$name.$w.p99" \
				"$(median <"$LAB_DIR/dns.$name.$w.p99")" us
		done
	done
	bench_lab_down
}

part_startup() {
	log "startup: moat start to the ready file, SIGTERM to a clean host"
	bench_lab_up
	python3 "$HERE/startup.py" "$MOAT" "$RUN_NS" "$LAB_DIR" \
		"$LAB_CGROUP" 15 | tee -a "$RAW"
	bench_lab_down
}

part_memory() {
	local rss hwm lines
	log "memory: 10,000 learned addresses, then 100,000 logged queries"
	bench_lab_up
	moat_start --allow lab.test >/dev/null || exit 1
	learn_bulk
	echo "allowed.lab.test A" >"$LAB_DIR/one.queries"
	client dnsperf -s 127.0.0.1 -d "$LAB_DIR/one.queries" -n 100000 \
		-c 4 -q 100 >"$LAB_DIR/load.out" 2>&1
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$MOAT_PID/status")
	hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$MOAT_PID/status")
	moat_stop TERM
	lines=$(grep -c '"event":"dns"' "$LAB_DIR/audit.log")
	result memory.learned "$(stat_of addresses_learned)" addresses
	result memory.events "$lines" events
	result memory.rss "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" MiB
	result memory.peak "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" MiB
	bench_lab_down
}

main() {
	local parts=("$@") part
	[ $# -eq 0 ] && parts=(datapath rules connect throughput dns startup
		memory)
	[ "$(id -u)" -eq 0 ] || { log "needs root"; exit 1; }
	mkdir -p "$RESULTS"
	: >"$RAW"
	{
		echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -r) $(nproc) CPUs"
		echo "# moat $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
	} >>"$RAW"
	trap 'lab_down' EXIT
	for part in "${parts[@]}"; do
		case $part in
		datapath | rules | connect) part_c "$part" ;;
		throughput | dns | startup | memory) "part_$part" ;;
		*) log "unknown part '$part'"; exit 2 ;;
		esac
	done
	python3 "$HERE/report.py" "$RAW" | tee "$RESULTS/latest.md"
}

main "$@"
