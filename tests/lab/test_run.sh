# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_run.sh - `moat run`: one command confined, in the lab's runner,
# with hooks on a cgroup of its own and nothing else on the host touched.

# moat run as a client would start it, its audit log the lab's. The lab
# runs as root; SUDO_* would make moat run drop to whoever ran sudo.
confined() {
	client env -u SUDO_UID -u SUDO_GID -u SUDO_USER "$MOAT" run \
		--audit-log "$LAB_DIR/audit.log" "$@"
}

probe() {
	echo python3 "$LAB_SRC/probe.py" "$@"
}

run_cgroups() {
	ls -d "$LAB_CGROUP"/moat-run.* 2>/dev/null
}

# The pid of the moat run whose cgroup (moat-run.PID) is there.
run_pid() {
	local cg
	cg=$(run_cgroups | head -1)
	echo "${cg##*.}"
}

# What a run could leave behind: cgroups, programs, maps.
run_leftovers() {
	run_cgroups
	bpftool prog show | grep -o 'name moat_[a-z0-9_]*' | sort -u
	bpftool map show | grep -o 'name moat_[a-z0-9_]*' | sort -u
	bpftool cgroup show "$LAB_CGROUP"
}

test_run_allows_and_refuses_at_once() {
	expect_eq "$(client $(probe tcp 203.0.113.7 80))" connected \
		"without moat, 203.0.113.7 answers" || return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe tcp allowed.lab.test 80))" connected \
		"an allowed name connects" || return 1
	# Refused, not dropped: a drop would end in a timeout.
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe tcp 203.0.113.7 80))" refused "TCP refused" || return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe tcp 2001:db8:1::20 80))" refused "IPv6 refused" ||
		return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe udp 203.0.113.7 9999))" refused "UDP refused" ||
		return 1
	expect_eq "$(confined --allow allowed.lab.test:443 -- \
		$(probe tcp allowed.lab.test 80))" refused \
		"a port outside the rule's refused" || return 1
	expect_event "the refusal is logged with its process" \
		'"event":"connect"' '"action":"blocked"' \
		'"dst_ip":"203.0.113.7"' '"dst_port":80' '"proto":"tcp"' \
		'"reason":"no_rule"' '"scope":"command"' '"comm":"python3"' ||
		return 1
	expect_event "the allowed connection too" '"event":"connect"' \
		'"action":"allowed"' '"dst_ip":"198.51.100.10"' \
		'"host":"allowed.lab.test"' '"rule":"allow allowed.lab.test"' ||
		return 1
}

test_run_leaves_other_processes_alone() {
	local job status=0
	confined --allow allowed.lab.test -- sleep 30 \
		>"$LAB_DIR/run.out" 2>&1 &
	job=$!
	expect "the command's cgroup appears" wait_for 50 run_cgroups ||
		return 1
	expect_eq "$(client $(probe tcp 203.0.113.7 80))" connected \
		"meanwhile, a process outside reaches 203.0.113.7" || return 1
	expect_eq "$(client dig +short +time=2 +tries=1 blocked.lab.test)" \
		198.51.100.20 "and resolves what the policy refuses" ||
		return 1
	kill -TERM "$(run_pid)"
	wait "$job" || status=$?
	expect_eq "$status" 143 \
		"SIGTERM reaches the command, whose status moat returns" ||
		return 1
}

# 203.0.113.53 and 2001:db8::99 run no DNS server on port 53: only moat's
# proxy can answer there.
test_run_dns_goes_to_the_proxy() {
	local out
	out=$(confined --allow allowed.lab.test -- sh -c '
		dig +short +time=2 +tries=1 @203.0.113.53 allowed.lab.test
		dig +short +tcp +time=2 +tries=1 @203.0.113.53 allowed.lab.test
		dig +short +time=2 +tries=1 @2001:db8::99 allowed.lab.test
		dig +short +tcp +time=2 +tries=1 @2001:db8::99 allowed.lab.test
		dig +short +time=2 +tries=1 @127.0.0.53 allowed.lab.test
		dig +time=2 +tries=1 @192.0.2.53 blocked.lab.test |
			grep -o "status: [A-Z]*"')
	expect_eq "$out" "198.51.100.10
198.51.100.10
198.51.100.10
198.51.100.10
198.51.100.10
status: REFUSED" "every resolver, UDP and TCP, answered by the proxy" ||
		return 1
	expect_event "the query names its process" '"event":"dns"' \
		'"action":"blocked"' '"qname":"blocked.lab.test"' \
		'"scope":"command"' '"comm":"dig"' || return 1
}

test_run_children_stay_confined() {
	local out
	out=$(confined --allow allowed.lab.test -- sh -c "
		sh -c '$(probe tcp 203.0.113.7 80)'
		( sleep 0.3; $(probe tcp 203.0.113.7 443) ) &
		wait")
	expect_eq "$out" "refused
refused" "a child and a background grandchild, refused" || return 1
	expect_event "the grandchild's attempt is logged" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.7"' '"dst_port":443' \
		'"scope":"command"' || return 1
}

# Each run has its own maps: what one learned, the other may not use. Both
# append to one audit log; each one's summary tells only its own events.
test_run_concurrent_runs_keep_their_policies() {
	local a b
	confined --allow allowed.lab.test -- sh -c "
		$(probe tcp allowed.lab.test 80); sleep 1
		$(probe tcp 198.51.100.20 80)" >"$LAB_DIR/a.out" \
		2>"$LAB_DIR/a.err" &
	a=$!
	confined --allow blocked.lab.test -- sh -c "
		$(probe tcp blocked.lab.test 80); sleep 1
		$(probe tcp 198.51.100.10 80)" >"$LAB_DIR/b.out" \
		2>"$LAB_DIR/b.err" &
	b=$!
	wait "$a" "$b"
	expect_eq "$(cat "$LAB_DIR/a.out")" "connected
refused" "the first run: its host, not the other's" || return 1
	expect_eq "$(cat "$LAB_DIR/b.out")" "connected
refused" "the second run: its host, not the other's" || return 1
	expect_eq "$(grep -c '"event":"connect".*"action":"blocked"' \
		"$LAB_DIR/audit.log")" 2 "the shared log holds both refusals" ||
		return 1
	expect_match "$(cat "$LAB_DIR/a.err")" \
		"1 connection and 0 DNS queries blocked" \
		"the first run's summary counts its own" || return 1
	expect_no_match "$(cat "$LAB_DIR/a.err")" "198\.51\.100\.10" \
		"and not the other's" || return 1
	expect_no_match "$(cat "$LAB_DIR/b.err")" "198\.51\.100\.20" \
		"nor the second's" || return 1
}

# The summary file is opened before the command starts: a link the
# command puts in its place is not written through.
test_run_summary_not_written_through_a_link() {
	echo secret >"$LAB_DIR/victim"
	confined --summary "$LAB_DIR/summary.md" -- sh -c \
		"rm '$LAB_DIR/summary.md'; ln -s victim '$LAB_DIR/summary.md'" \
		2>/dev/null
	expect_eq "$(cat "$LAB_DIR/victim")" secret \
		"the file the link names is untouched" || return 1
	ln -sf victim "$LAB_DIR/summary2.md"
	expect_match "$(confined --summary "$LAB_DIR/summary2.md" -- true \
		2>&1)" "summary '.*summary2.md': cannot open: .*symbolic links" \
		"a link there at the start is refused" || return 1
	expect_eq "$(cat "$LAB_DIR/victim")" secret "still untouched" ||
		return 1
	mkfifo "$LAB_DIR/summary3.md"
	expect_match "$(timeout 10 env -u SUDO_UID -u SUDO_GID -u SUDO_USER \
		"$MOAT" run --summary "$LAB_DIR/summary3.md" -- true 2>&1)" \
		"summary '.*summary3.md': cannot open" \
		"a FIFO with no reader is refused, not waited on" || return 1
}

# The kernel frees programs and maps a moment after their last user.
wait_for_leftovers() {
	local tries=50
	while [ "$(run_leftovers)" != "$1" ] && ((tries-- > 0)); do
		sleep 0.1
	done
	run_leftovers
}

test_run_leaves_nothing_behind() {
	local before job
	before=$(run_leftovers)
	confined --allow allowed.lab.test -- sh -c \
		"sleep 30 & $(probe tcp allowed.lab.test 80)" >/dev/null 2>&1
	expect_eq "$(wait_for_leftovers "$before")" "$before" \
		"no cgroup, program or map left, nor the background sleep" ||
		return 1
	expect_eq "$(run_cgroups)" "" "the cgroup is gone" || return 1

	confined -- sh -c 'sleep 30 & kill -KILL $$' >/dev/null 2>&1
	expect_eq "$(wait_for_leftovers "$before")" "$before" \
		"nor when the command is killed" || return 1

	confined -- sh -c 'trap "" TERM; sleep 30 & wait' >/dev/null 2>&1 &
	job=$!
	expect "the command's cgroup appears" wait_for 50 run_cgroups ||
		return 1
	kill -TERM "$(run_pid)"
	kill -TERM "$(run_pid)"
	wait "$job"
	expect_eq "$(wait_for_leftovers "$before")" "$before" \
		"nor when moat is told twice to stop, and the command ignores it" ||
		return 1
}

test_run_exit_status() {
	local status=0 err
	confined -- sh -c 'exit 3' || status=$?
	expect_eq "$status" 3 "the command's status" || return 1
	status=0
	confined -- sh -c 'kill -KILL $$' || status=$?
	expect_eq "$status" 137 "128 + the signal that killed it" || return 1
	status=0
	err=$(confined -- /nonexistent/command 2>&1) || status=$?
	expect_eq "$status" 127 "a command not found" || return 1
	expect_match "$err" "'/nonexistent/command': cannot run it" \
		"and why" || return 1
	status=0
	err=$(confined --allow 'foo*.com' -- true 2>&1) || status=$?
	expect_eq "$status" 2 "a bad rule is a usage error" || return 1
	status=0
	err=$(confined --allow allowed.lab.test 2>&1) || status=$?
	expect_eq "$status" 2 "no command is a usage error" || return 1
}

test_run_as_the_user_who_ran_sudo() {
	expect_eq "$(client env SUDO_UID=65534 SUDO_GID=65534 SUDO_USER=nobody \
		"$MOAT" run -- sh -c 'echo $(id -u) $(id -g) $USER')" \
		"65534 65534 nobody" "the user who ran sudo, not root" ||
		return 1
	expect_eq "$(client env SUDO_UID=65534 SUDO_GID=65534 \
		"$MOAT" run --user root -- id -u)" 0 "--user root keeps root" ||
		return 1
}

# A cgroup delegated to a user, as systemd delegates user@UID.service:
# the user may move its processes between cgroups below it.
delegated_cgroup() {
	mkdir "$LAB_CGROUP/delegated"
	chown 65534:65534 "$LAB_CGROUP/delegated" \
		"$LAB_CGROUP/delegated"/cgroup.{procs,threads,subtree_control}
}

# A client started in the delegated cgroup rather than the lab's.
delegated_client() {
	client sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' \
		client "$LAB_CGROUP/delegated" "$@"
}

# Run by a user from a cgroup the user may write, the command must not be
# able to move itself out of its own and from under the hooks.
test_run_user_cannot_leave_its_cgroup() {
	local escape='echo $$ >"$1/delegated/cgroup.procs" && echo moved
		exec python3 "$2" tcp 203.0.113.7 80'
	delegated_cgroup
	expect_eq "$(delegated_client setpriv --reuid=65534 --regid=65534 \
		--clear-groups sh -c "$escape" sh "$LAB_CGROUP" \
		"$LAB_SRC/probe.py")" "moved
connected" "without moat, the user moves between its own cgroups" ||
		return 1
	expect_eq "$(delegated_client env SUDO_UID=65534 SUDO_GID=65534 \
		SUDO_USER=nobody "$MOAT" run --allow allowed.lab.test -- \
		sh -c "$escape" sh "$LAB_CGROUP" "$LAB_SRC/probe.py" \
		2>/dev/null)" refused \
		"confined, it cannot, and stays refused" || return 1
	expect_match "$(delegated_client env SUDO_UID=65534 SUDO_GID=65534 \
		SUDO_USER=nobody "$MOAT" run --cgroup "$LAB_CGROUP/delegated" \
		-- true 2>&1)" "uid 65534 can write its cgroup.procs" \
		"a --cgroup the user can write is refused" || return 1
	expect_eq "$(ls -d "$LAB_CGROUP"/delegated/moat-run.* 2>/dev/null)" "" \
		"and nothing was made there" || return 1
}

# A socket made before the run (here, connected to a refused host and
# passed down as fd 5) belongs to no confined cgroup: the command must not
# get it.
test_run_inherited_socket_withheld() {
	local send='
import os, socket, sys
try:
    s = socket.socket(fileno=5)
    s.send(b"ping")
    s.settimeout(2)
    s.recv(64)
    print("reply")
except OSError as e:
    print(os.strerror(e.errno))'
	local hand_down='
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("203.0.113.7", 9999))
os.dup2(s.fileno(), 5)
os.execvp(sys.argv[1], sys.argv[1:])'
	expect_eq "$(client python3 -c "$hand_down" python3 -c "$send")" \
		reply "without moat, the socket handed down reaches the host" ||
		return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		python3 -c "$send" 2>/dev/null)" "Bad file descriptor" \
		"sanity: no fd 5 without one handed down" || return 1
	expect_eq "$(client python3 -c "$hand_down" env -u SUDO_UID \
		-u SUDO_GID -u SUDO_USER "$MOAT" run -v --allow \
		allowed.lab.test -- python3 -c "$send" 2>"$LAB_DIR/run.err")" \
		"Bad file descriptor" "confined, the command never gets it" ||
		return 1
	expect_match "$(cat "$LAB_DIR/run.err")" \
		"fd 5: an inherited network socket, withheld" "and moat says so" ||
		return 1
}

test_run_cgroup_option_checked() {
	mkdir "$LAB_DIR/plain"
	expect_match "$(confined --cgroup "$LAB_DIR/plain" -- true 2>&1)" \
		"--cgroup '.*plain': not a cgroup v2 directory" \
		"a directory that is no cgroup is refused at once" || return 1
	expect_eq "$(ls "$LAB_DIR/plain")" "" "and nothing is made in it" ||
		return 1
	mkdir "$LAB_CGROUP/chosen"
	expect_match "$(confined --cgroup "$LAB_CGROUP/chosen" -- \
		cat /proc/self/cgroup)" \
		"^0::${LAB_CGROUP#"$(cgroup_v2_root)"}/chosen/moat-run\.[0-9]+\$" \
		"a cgroup directory is taken" || return 1
	expect_eq "$(ls "$LAB_CGROUP/chosen" | grep moat-run)" "" \
		"and left as it was" || return 1
}

test_run_packet_sockets_refused() {
	expect_eq "$(client $(probe socket packet))" made \
		"without moat, root makes a packet socket" || return 1
	expect_eq "$(confined -- $(probe socket packet))" EPERM \
		"a packet socket is refused, root or not" || return 1
	expect_eq "$(confined -- $(probe socket sock_packet))" EPERM \
		"so is SOCK_PACKET" || return 1
	expect_eq "$(confined -- $(probe tcp 203.0.113.7 80))" refused \
		"other sockets are made (and face the policy)" || return 1
}

# A source route sends a connection to an allowed name by way of a host
# the policy refuses: the packet's destination is that first hop, while
# the hook that let connect() or sendmsg() through judged where the route
# ends. Set on the socket, the route is refused then and there; sent with
# one datagram, the datagram is dropped as it leaves. (An IPv6 datagram
# can carry only a Mobile IPv6 routing header, which not every kernel
# builds; the classifier tests cover the IPv6 drop.)
test_run_source_routes_refused() {
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe routed tcp 203.0.113.7 allowed.lab.test 80))" \
		"setsockopt EPERM" "IP_OPTIONS with a source route: refused" ||
		return 1
	expect_event "and logged" '"event":"socket"' '"action":"blocked"' \
		'"reason":"source_route"' '"comm":"python3"' || return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe routed tcp 2001:db8:1::20 allowed.lab.test 80))" \
		"setsockopt EPERM" "IPV6_RTHDR: refused" || return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe routed udp 203.0.113.7 allowed.lab.test 9999))" EPERM \
		"a datagram with a source route of its own: dropped" ||
		return 1
	expect_event "logged with its first hop" '"event":"connect"' \
		'"action":"blocked"' '"dst_ip":"203.0.113.7"' \
		'"reason":"routing_header"' || return 1
	expect_eq "$(confined --allow allowed.lab.test -- \
		$(probe udp allowed.lab.test 9999))" reply \
		"the same datagram without the route is answered" || return 1
}

test_run_icmp_and_raw() {
	expect_eq "$(client $(probe icmp 203.0.113.7))" reply \
		"without moat, an echo request from a raw socket is answered" ||
		return 1
	expect_eq "$(confined -- $(probe icmp 203.0.113.7))" EPERM \
		"confined, it is dropped as it leaves" || return 1
	expect_event "and logged" '"event":"connect"' '"action":"blocked"' \
		'"dst_ip":"203.0.113.7"' '"icmp_type":8' '"proto":"icmp"' \
		'"comm":"python3"' || return 1
	expect_eq "$(confined --allow-cidr 203.0.113.7 -- \
		$(probe icmp 203.0.113.7))" reply \
		"a CIDR rule without ports allows it" || return 1
	expect_fail "ping is refused too" confined -- \
		ping -c1 -W1 203.0.113.7 || return 1
	expect "and allowed by the rule" confined --allow-cidr 203.0.113.7 -- \
		ping -c1 -W1 203.0.113.7 || return 1
}

test_run_audit_mode() {
	expect_eq "$(confined --mode audit --allow allowed.lab.test -- \
		$(probe tcp 203.0.113.7 80))" connected \
		"audit mode lets it through" || return 1
	expect_eq "$(confined --mode audit --allow allowed.lab.test -- \
		dig +short +time=2 +tries=1 blocked.lab.test)" 198.51.100.20 \
		"and answers names outside the policy" || return 1
	expect_event "would_block logged" '"event":"connect"' \
		'"action":"would_block"' '"dst_ip":"203.0.113.7"' || return 1
}

test_run_summaries() {
	local err
	err=$(confined --allow allowed.lab.test \
		--summary "$LAB_DIR/summary.md" -- sh -c \
		"$(probe tcp 203.0.113.7 80); dig +short blocked.lab.test" \
		2>&1 >/dev/null)
	expect_match "$err" "1 connection and 1 DNS query blocked" \
		"the totals on stderr" || return 1
	expect_match "$err" "blocked +203.0.113.7 port 80 tcp by python3" \
		"and what was blocked" || return 1
	expect_match "$(cat "$LAB_DIR/summary.md")" \
		'### The command \(moat run\)' "the markdown report" || return 1
	expect_match "$(cat "$LAB_DIR/summary.md")" \
		'`blocked.lab.test` \| \| dns \| :no_entry: blocked' \
		"names the blocked query" || return 1
}

# Killed, moat cannot clean up; the command's cgroup stays confined (the
# hooks are not tied to moat's life), and the next run removes it once
# it is empty.
test_run_killed_moat_fails_closed() {
	local job cg stray
	confined --allow allowed.lab.test -- sh -c 'setsid sleep 30 & wait' \
		>"$LAB_DIR/run.out" 2>&1 &
	job=$!
	expect "the command's cgroup appears" wait_for 50 run_cgroups ||
		return 1
	cg=$(run_cgroups)
	expect "the command starts" wait_for 50 \
		sh -c "grep -qx sleep /proc/*/comm 2>/dev/null; \
			xargs -I{} cat /proc/{}/comm <'$cg/cgroup.procs' |
			grep -qx sleep" || return 1
	kill -KILL "$(run_pid)"
	wait "$job" 2>/dev/null
	expect "the shell dies with moat, the detached sleep lives on" \
		wait_for 50 sh -c "[ \"\$(xargs -I{} cat /proc/{}/comm \
			<'$cg/cgroup.procs')\" = sleep ]" || return 1
	stray=$(cat "$cg/cgroup.procs")
	expect_eq "$(client sh -c "echo \$\$ >'$cg/cgroup.procs' &&
		exec $(probe tcp 203.0.113.7 80)")" refused \
		"a process in the dead run's cgroup is still confined" ||
		return 1
	expect_match "$(confined -- true 2>&1)" "still runs there, confined" \
		"the next run says so" || return 1
	kill -KILL "$stray"
	wait_for 50 sh -c "! grep -q . '$cg/cgroup.procs'"
	confined -- true >/dev/null 2>&1
	expect_eq "$(run_cgroups)" "" "and removes it once it is empty" ||
		return 1
}
