# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_load.sh - a bounded load: dnsperf at the proxy and hundreds of
# concurrent connections. moat must not crash, grow without bound or lose
# an audit event, and must answer correctly afterwards. (How fast it is,
# is the benchmarks' business: nothing here is timed.)

# Open n TCP connections at once to the addresses given, then close them;
# prints how many were established.
many_connections() {
	client python3 -c '
import selectors, socket, sys
n, addrs = int(sys.argv[1]), sys.argv[2:]
sel, socks = selectors.DefaultSelector(), []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((addrs[i % len(addrs)], 80))
    sel.register(s, selectors.EVENT_WRITE)
    socks.append(s)
done = 0
while sel.get_map():
    ready = sel.select(timeout=5)
    if not ready:
        break
    for key, _ in ready:
        if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            done += 1
        sel.unregister(key.fileobj)
print(done)
' "$@"
}

test_load_dns_and_connections() {
	local rss0 rss logged expected i addrs=()
	moat_start --allow lab.test || return 1
	rss0=$(awk '/VmRSS/ { print $2 }' "/proc/$MOAT_PID/status")
	printf '%s\n' "allowed.lab.test A" "allowed.lab.test AAAA" \
		"www.lab.test A" "big.lab.test A" "api.allowed.lab.test A" \
		"nothing.lab.test A" "blocked.example.test A" \
		>"$LAB_DIR/queries"
	client dnsperf -s 192.0.2.53 -d "$LAB_DIR/queries" -l 5 -c 8 -q 200 \
		>"$LAB_DIR/dnsperf.out" 2>&1 &
	local loader=$!
	expect_eq "$(dig_status big.lab.test)" NOERROR "learn forty addresses" ||
		return 1
	for i in $(seq 100 139); do
		addrs+=("198.51.100.$i")
	done
	expect_eq "$(many_connections 600 "${addrs[@]}")" 600 \
		"600 connections at once, all through" || return 1
	wait "$loader"
	expect_match "$(cat "$LAB_DIR/dnsperf.out")" \
		"Queries completed: +[0-9]{4,}" "thousands of queries answered" ||
		return 1
	expect "moat is still running" kill -0 "$MOAT_PID" || return 1
	rss=$(awk '/VmRSS/ { print $2 }' "/proc/$MOAT_PID/status")
	expect "memory stayed bounded (${rss0} kB, then ${rss} kB)" \
		test $((rss - rss0)) -lt 16384 || return 1
	expect_eq "$(client dig +short allowed.lab.test)" 198.51.100.10 \
		"an allowed name is answered correctly after" || return 1
	expect_match "$(client dig +short www.lab.test)" "198.51.100.11" \
		"and a CNAME chain" || return 1
	moat_stop TERM || return 1

	expect_eq "$(stat_of events_lost)" 0 "no event lost" || return 1
	expect_eq "$(stat_of events_suppressed)" 0 \
		"none held back by the rate limit either" || return 1
	# Every event the kernel sent is a line: connections, refused sockets.
	expect_eq "$(grep -cE '"event":"(connect|socket)"' "$LAB_DIR/audit.log")" \
		"$(stat_of events_sent)" "one line per event sent" || return 1
	expect_eq "$(stat_of log_write_errors)" 0 "no line unwritten" ||
		return 1
	# Every query the proxy read is one line of the log.
	logged=$(audit_events dns | wc -l)
	expected=$(($(stat_of dns_queries) - $(stat_of dns_malformed) -
		$(stat_of dns_unsupported)))
	expect_eq "$logged" "$expected" "one dns event per query" || return 1
}
