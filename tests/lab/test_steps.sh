# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_steps.sh - every event tied to its process and workflow step, with
# the runner fixture standing in for GitHub's runner.

# Lay out a runner root and write the job: steps as (name, script) pairs.
runner_job() {
	local i=0
	mkdir -p "$LAB_DIR/runner/bin"
	cp "$LAB_SRC/runner/Runner.Worker" "$LAB_DIR/runner/bin/"
	{
		echo '{"name": "lab job", "steps": ['
		while [ $# -gt 0 ]; do
			[ $i -gt 0 ] && echo ','
			python3 -c 'import json, sys; print(json.dumps({"name": sys.argv[1], "run": sys.argv[2]}))' \
				"$1" "$2"
			shift 2
			i=$((i + 1))
		done
		echo "], \"report\": \"${RUNNER_REPORT:-}\"}"
	} >"$LAB_DIR/job.json"
}

# The first step starts moat the way the GitHub Action does: detached,
# then waits until it is ready.
moat_step() {
	cat <<EOF
setsid "$MOAT" start --github $(moat_lab_args) --upstream 192.0.2.53 $* \
	>>"$LAB_DIR/moat.out" 2>&1 </dev/null &
"$MOAT" wait-ready --ready-file "$LAB_DIR/moat.ready" \
	--pid-file "$LAB_DIR/moat.pid" --timeout 10
EOF
}

# Run the job; moat, which its first step started, goes on running.
run_job_only() {
	client "$LAB_DIR/runner/bin/Runner.Worker" "$LAB_DIR/job.json" \
		>"$LAB_DIR/job.out" 2>&1
}

run_job() {
	run_job_only
	local status=$?
	"$MOAT" stop --pid-file "$LAB_DIR/moat.pid" --timeout 10
	return $status
}

# The audit line of an event, for a grep on its keys.
event_with() {
	local line re
	while IFS= read -r line; do
		local ok=1
		for re in "$@"; do
			grep -Eq -- "$re" <<<"$line" || { ok=0; break; }
		done
		[ $ok = 1 ] && { echo "$line"; return 0; }
	done <"$LAB_DIR/audit.log"
	return 1
}

# One of a daemon's maps (pid $1, map name $2), found among its file
# descriptors: the value for a number key $3, or without one, how many
# entries it holds.
daemon_map() {
	python3 - "$@" <<'EOF'
import glob, json, re, subprocess, sys

def bpftool(*args):
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True,
                         text=True).stdout
    return json.loads(out) if out else None

owner, name, key = sys.argv[1], sys.argv[2], sys.argv[3:]
for info in glob.glob("/proc/%s/fdinfo/*" % owner):
    found = re.search(r"^map_id:\s*(\d+)", open(info).read(), re.M)
    if not found:
        continue
    m = bpftool("map", "show", "id", found.group(1))
    if not m or m.get("name") != name:
        continue
    dump = [e.get("formatted", e)
            for e in bpftool("map", "dump", "id", found.group(1)) or []]
    if not key:
        print(len(dump))
    for e in dump:
        if key and e["key"] == int(key[0]):
            print(e["value"])
    break
EOF
}

test_steps_attributed() {
	local fetch blocked direct bg d="$LAB_DIR"
	runner_job \
		"Start moat" "$(moat_step --allow allowed.lab.test)" \
		"Fetch allowed" "sh -c 'echo \$\$ >$d/fetch.pid; exec curl -sf -4 --max-time 2 http://allowed.lab.test/'
(sleep 1.5; exec curl -sf -4 --max-time 2 http://allowed.lab.test:8080/) >/dev/null 2>&1 &" \
		"Fetch blocked" "! sh -c 'echo \$\$ >$d/dig.pid; exec dig +time=1 +tries=1 blocked.lab.test' | grep -q NOERROR" \
		"Fetch direct" "! sh -c 'echo \$\$ >$d/direct.pid; exec curl -sf --max-time 1 http://203.0.113.7/'; sleep 2"
	expect "the job runs" run_job_only ||
		{ cat "$LAB_DIR/job.out" >&2; return 1; }
	# moat, which step 2 started, carries moat's own tag (0xfffffffe).
	expect_eq "$(daemon_map "$(cat "$d/moat.pid")" moat_proc_tag \
		"$(cat "$d/moat.pid")")" 4294967294 \
		"moat is tagged as moat, not as step 2" || return 1
	expect "moat stops" "$MOAT" stop --pid-file "$d/moat.pid" --timeout 10 ||
		return 1

	expect_event "step 3 announced" '"event":"step"' '"step":3' \
		'"name":"Fetch allowed"' || return 1
	expect_event "step 5 announced" '"event":"step"' '"step":5' \
		'"name":"Fetch direct"' || return 1
	expect_event "the allowed fetch is step 3's curl" '"event":"connect"' \
		'"action":"allowed"' '"dst_port":80' '"scope":"step"' \
		'"step":3' '"step_name":"Fetch allowed"' '"comm":"curl"' \
		"\"pid\":$(cat "$d/fetch.pid")," '"exe":"/usr/bin/curl"' ||
		return 1
	expect_event "its DNS query too" '"event":"dns"' \
		'"qname":"allowed.lab.test"' '"step":3' '"comm":"curl"' \
		"\"pid\":$(cat "$d/fetch.pid")," || return 1
	expect_event "the refused query is step 4's dig" '"event":"dns"' \
		'"qname":"blocked.lab.test"' '"action":"blocked"' '"step":4' \
		'"step_name":"Fetch blocked"' '"comm":"dig"' \
		"\"pid\":$(cat "$d/dig.pid")," || return 1
	expect_event "the direct address is step 5's" '"event":"connect"' \
		'"dst_ip":"203.0.113.7"' '"action":"blocked"' '"step":5' \
		'"step_name":"Fetch direct"' '"comm":"curl"' \
		"\"pid\":$(cat "$d/direct.pid")," || return 1
	# Every query and connection the job made is a step's.
	expect_no_match "$(grep -E '"event":"(dns|connect)"' "$d/audit.log")" \
		'"scope":"(host|unattributed|pre_existing|runner)"' \
		"every event attributed to a step" || return 1
	# Started in step 3, connecting while step 5 runs: still step 3's.
	expect_event "the background process keeps its step" \
		'"event":"connect"' '"dst_port":8080' '"step":3' || return 1
	fetch=$(event_with '"event":"connect"' '"dst_port":80,' '"step":3')
	bg=$(event_with '"event":"connect"' '"dst_port":8080')
	direct=$(event_with '"event":"connect"' '"dst_ip":"203.0.113.7"')
	expect_match "$bg" '"ts":"[^"]+"' "timed" || return 1
	expect_no_match "$bg" "$(sed -n 's/.*\("pid":[0-9]*\).*/\1/p' <<<"$fetch")," \
		"a process of its own" || return 1
	# moat itself, started by step 2, is moat's, not step 2's.
	expect_no_match "$(grep -v '"event":"step"' "$LAB_DIR/audit.log")" \
		'"step":2,' \
		"nothing of moat's is charged to the step that started it" ||
		return 1
	blocked=$(event_with '"qname":"blocked.lab.test"')
	expect_match "$direct$blocked" '"cmdline":"' "command lines" || return 1

	expect "moat summary" "$MOAT" summary --audit-log "$LAB_DIR/audit.log" ||
		return 1
	expect_match "$(cat "$LAB_DIR/last.out")" \
		'### Step 5: Fetch direct' "the summary names the steps" ||
		return 1
	expect_match "$(cat "$LAB_DIR/last.out")" \
		'\| `203\.0\.113\.7` \| 80 \| tcp \| :no_entry: blocked \| `curl` \| 1 \|' \
		"and lists what each did" || return 1
}

# A job that forks and opens sockets without end must not fill moat's
# maps (LRU maps, which would push out the oldest entries: a quiet
# background process's tag among them). What exits and closes is
# forgotten.
test_steps_maps_hold_only_what_lives() {
	local tags socks
	runner_job \
		"Start moat" "$(moat_step --allow allowed.lab.test)" \
		"Churn" "python3 -c '
import os, socket
for i in range(3000):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((\"198.51.100.10\", 9))
    s.close()
'"
	expect "the job runs" run_job_only ||
		{ cat "$LAB_DIR/job.out" >&2; return 1; }
	tags=$(daemon_map "$(cat "$LAB_DIR/moat.pid")" moat_proc_tag)
	socks=$(daemon_map "$(cat "$LAB_DIR/moat.pid")" moat_sock_owner)
	"$MOAT" stop --pid-file "$LAB_DIR/moat.pid" --timeout 10
	expect "3000 processes came and went; $tags tags remain" \
		test "$tags" -lt 500 || return 1
	expect "3000 sockets came and went; $socks owners remain" \
		test "$socks" -lt 500 || return 1
}

# Steps running at once: each process keeps its own step's tag.
test_overlapping_steps_not_crossed() {
	runner_job \
		"Start moat" "$(moat_step --allow allowed.lab.test)" \
		"Slow loop" '(for i in 1 2 3 4 5 6; do curl -sf -4 --max-time 1 http://allowed.lab.test:8080/ >/dev/null; sleep 0.3; done) &' \
		"Fast loop" 'for i in 1 2 3 4 5 6; do curl -sf -4 --max-time 1 http://allowed.lab.test:443/ >/dev/null || true; sleep 0.3; done'
	expect "the job runs" run_job || { cat "$LAB_DIR/job.out" >&2; return 1; }
	expect_event "slow loop events" '"dst_port":8080' '"step":3' || return 1
	expect_event "fast loop events" '"dst_port":443' '"step":4' || return 1
	expect_no_match "$(grep '"dst_port":8080' "$LAB_DIR/audit.log")" \
		'"step":4' "8080 never step 4" || return 1
	expect_no_match "$(grep '"dst_port":443,' "$LAB_DIR/audit.log")" \
		'"step":3' "443 never step 3" || return 1
}

# Processes that predate moat get a bucket of their own, never a step;
# so does the runner's own traffic.
test_preexisting_and_runner_buckets() {
	RUNNER_REPORT=http://allowed.lab.test:8080/report runner_job \
		"Start a server early" '(sleep 3; exec curl -sf -4 --max-time 1 http://allowed.lab.test:8080/) >/dev/null 2>&1 &' \
		"Start moat" "$(moat_step --allow allowed.lab.test)" \
		"Wait" 'sleep 3.5'
	expect "the job runs" run_job || { cat "$LAB_DIR/job.out" >&2; return 1; }
	expect_event "the early process is pre_existing" '"event":"connect"' \
		'"dst_port":8080' '"scope":"pre_existing"' '"step":null' ||
		return 1
	expect_event "the worker's own request is the runner's" \
		'"event":"connect"' '"dst_port":8080' '"scope":"runner"' \
		'"comm":"Runner.Worker"' || return 1
}

test_no_runner_means_host_scope() {
	moat_start --allow allowed.lab.test --github || return 1
	expect_match "$(cat "$LAB_DIR/moat.out")" "no Runner.Worker found" \
		"says so" || return 1
	expect "connect" http_ok -4 http://allowed.lab.test/ || return 1
	expect_event "host scope" '"event":"connect"' '"scope":"host"' \
		'"comm":"curl"' '"step":null' || return 1
}
