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

run_job() {
	client "$LAB_DIR/runner/bin/Runner.Worker" "$LAB_DIR/job.json" \
		>"$LAB_DIR/job.out" 2>&1
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

test_steps_attributed() {
	local fetch blocked direct bg
	runner_job \
		"Start moat" "$(moat_step --allow allowed.lab.test)" \
		"Fetch allowed" 'curl -sf -4 --max-time 2 http://allowed.lab.test/
(sleep 1.5; exec curl -sf -4 --max-time 2 http://allowed.lab.test:8080/) >/dev/null 2>&1 &' \
		"Fetch blocked" '! dig +time=1 +tries=1 blocked.lab.test | grep -q NOERROR' \
		"Fetch direct" '! curl -sf --max-time 1 http://203.0.113.7/; sleep 2'
	expect "the job runs" run_job || { cat "$LAB_DIR/job.out" >&2; return 1; }

	expect_event "step 3 announced" '"event":"step"' '"step":3' \
		'"name":"Fetch allowed"' || return 1
	expect_event "step 5 announced" '"event":"step"' '"step":5' \
		'"name":"Fetch direct"' || return 1
	expect_event "the allowed fetch is step 3's curl" '"event":"connect"' \
		'"action":"allowed"' '"dst_port":80' '"scope":"step"' \
		'"step":3' '"step_name":"Fetch allowed"' '"comm":"curl"' \
		'"pid":[0-9]+' '"exe":"/usr/bin/curl"' || return 1
	expect_event "its DNS query too" '"event":"dns"' \
		'"qname":"allowed.lab.test"' '"step":3' '"comm":"curl"' || return 1
	expect_event "the refused query is step 4's dig" '"event":"dns"' \
		'"qname":"blocked.lab.test"' '"action":"blocked"' '"step":4' \
		'"step_name":"Fetch blocked"' '"comm":"dig"' || return 1
	expect_event "the direct address is step 5's" '"event":"connect"' \
		'"dst_ip":"203.0.113.7"' '"action":"blocked"' '"step":5' \
		'"comm":"curl"' || return 1
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
