# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# test_action.sh - the GitHub Action end to end: the runner fixture runs
# the action's main step as a real runner does, then the job's steps, then
# the action's post step; see action_inner.sh for how the host is kept out.

ACTION_DIR=$(cd "$LAB_SRC/../.." && pwd)

# A git repository on the allowed lab host, served by git's own daemon.
git_server() {
	local src=$LAB_DIR/git-src
	mkdir -p "$LAB_DIR/git" "$src"
	git -C "$src" init -q &&
		echo lab >"$src/README" &&
		git -C "$src" add README &&
		git -C "$src" -c user.name=lab -c user.email=lab@lab.test \
			commit -q -m lab &&
		git clone -q --bare "$src" "$LAB_DIR/git/repo.git" || return 1
	nsenter --net=/run/netns/"$NET_NS" git daemon --reuseaddr \
		--base-path="$LAB_DIR/git" --export-all --listen=198.51.100.10 \
		--port=9418 >"$LAB_DIR/git-daemon.out" 2>&1 &
	LAB_PIDS+=($!)
	wait_for 50 sh -c "nsenter --net=/run/netns/$NET_NS ss -ltn | grep -q ':9418 '"
}

# The job: the action's step with its inputs (JSON), then (name, script)
# pairs.
action_job() {
	local with=$1
	shift
	mkdir -p "$LAB_DIR/runner/bin"
	cp "$LAB_SRC/runner/Runner.Worker" "$LAB_DIR/runner/bin/"
	python3 - "$ACTION_DIR" "$with" "$@" >"$LAB_DIR/job.json" <<'PY'
import json, sys
action, given, rest = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
steps = [{"name": "Run moat", "uses": action, "with": given}]
steps += [{"name": n, "run": r} for n, r in zip(rest[0::2], rest[1::2])]
print(json.dumps({"name": "lab job", "steps": steps}))
PY
}

# The inputs every lab job gives: the lab's moat, resolver and placement.
lab_inputs() {
	local extra=$1
	python3 -c 'import json, sys
inputs = {"binary-path": sys.argv[1], "dns-upstream": "192.0.2.53",
          "extra-args": "--interface mr0 --cgroup " + sys.argv[2]}
inputs.update(json.loads(sys.argv[3]))
print(json.dumps(inputs))' "$MOAT" "$LAB_CGROUP" "$extra"
}

run_action_job() {
	client env LAB_DIR="$LAB_DIR" LAB_CGROUP="$LAB_CGROUP" \
		unshare -m --propagation private \
		"$LAB_SRC/action_inner.sh" "$1" "$LAB_DIR/job.json" \
		>"$LAB_DIR/job.out" 2>&1
}

annotation() {
	python3 -c 'import json, re, sys
for line in open(sys.argv[1]):
    a = json.loads(line)
    if a["level"] == sys.argv[2] and re.search(sys.argv[3], a["title"] or "") \
            and re.search(sys.argv[4], a["message"]):
        sys.exit(0)
sys.exit(1)' "$LAB_DIR/runner/annotations.jsonl" "$@"
}

output_of() {
	python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["Run moat"].get(sys.argv[2], ""))' \
		"$LAB_DIR/runner/outputs.json" "$1"
}

# Everything moat changed is gone; the installed binary too. The audit
# log stays, for upload-artifact; "none" when moat never started.
expect_host_restored() {
	local left=/run/moat/audit.ndjson
	[ "${1:-}" = none ] && left=
	expect "hooks, filters and tables are as before" \
		diff "$LAB_DIR/before.txt" "$LAB_DIR/after.txt" || return 1
	# /run/mount is util-linux's, from the test's own mounts.
	expect_eq "$(grep -v -e '^/run/moat$' -e '^/run/mount' \
		"$LAB_DIR/files-after.txt")" \
		"$left" "only the audit log is left" || return 1
}

test_action_main_steps_post() {
	git_server || return 1
	action_job "$(lab_inputs '{"allowed-hosts": "allowed.lab.test"}')" \
		"Fetch allowed" 'curl -sf -4 --max-time 2 http://allowed.lab.test/' \
		"Clone over git" 'git clone -q git://allowed.lab.test/repo.git "$RUNNER_TEMP/clone" && test -f "$RUNNER_TEMP/clone/README"' \
		"Fetch blocked" '! curl -sf --max-time 2 http://blocked.lab.test/'
	expect "the job succeeds" run_action_job root ||
		{ tail -30 "$LAB_DIR/job.out" >&2; return 1; }

	expect_eq "$(output_of supported)" true "output supported" || return 1
	expect_match "$(output_of pid)" '^[0-9]+$' "output pid" || return 1
	expect_eq "$(output_of audit-log)" /run/moat/audit.ndjson \
		"output audit-log" || return 1
	expect_match "$(cat "$LAB_DIR/runner/job-summary.md")" \
		'^### Step 5: Fetch blocked' "the summary names the step" ||
		return 1
	expect_match "$(cat "$LAB_DIR/runner/job-summary.md")" \
		'`blocked\.lab\.test`.*blocked' "and what it blocked" || return 1
	expect "an annotation for the blocked name" annotation error \
		'^moat blocked blocked\.lab\.test \(DNS\)$' \
		'curl in step 5 \(Fetch blocked\)' || return 1
	expect_fail "no annotation for what was allowed" annotation error \
		'allowed\.lab\.test' '.' || return 1
	expect "the clone went through moat's proxy" grep -q \
		'"qname":"allowed.lab.test".*"comm":"git' \
		"$LAB_DIR/audit.log" || return 1
	expect_host_restored || return 1
}

test_action_fail_on_block() {
	action_job "$(lab_inputs '{"allowed-hosts": "allowed.lab.test", "fail-on-block": "true", "mode": "audit"}')" \
		"Fetch unlisted" 'curl -sf --max-time 2 http://blocked.lab.test/'
	expect_fail "the job fails" run_action_job root || return 1
	expect_match "$(sed -n '/Fetch unlisted/,/Step result/p' \
		"$LAB_DIR/runner/_diag"/Worker_*.log)" 'Step result: Succeeded' \
		"in audit mode the unlisted fetch worked" || return 1
	expect "the post step says why" annotation error '^moat$' \
		'were outside the allowlist \(audit mode\), and fail-on-block is true' ||
		return 1
	expect "what would be blocked is a warning" annotation warning \
		'^moat would block blocked\.lab\.test' '.' || return 1
	expect_host_restored || return 1
}

test_action_bad_input_fails_the_step() {
	action_job "$(lab_inputs '{"allowed-hosts": "foo*.lab.test"}')" \
		"Never protected" 'true'
	expect_fail "the job fails" run_action_job root || return 1
	expect "the error names the rule" annotation error '^moat$' \
		"--allow 'foo\\*\\.lab\\.test': a wildcard must be a whole label" ||
		return 1
	expect_eq "$(output_of supported)" false "output supported" || return 1
	expect_host_restored none || return 1
}

test_action_sudo_lockdown() {
	action_job "$(lab_inputs '{"allowed-hosts": "allowed.lab.test", "sudo-lockdown": "true", "sudo-allow-commands": "/usr/bin/id"}')" \
		"Sudo is gone" '! sudo -n /bin/ls / && sudo -n /usr/bin/id -u' \
		"Try to stop moat" '! sudo -n /usr/local/lib/moat-action/moat stop 2>"$RUNNER_TEMP/stop.err"
grep "refused to stop" "$RUNNER_TEMP/stop.err"
! curl -sf --max-time 2 http://blocked.lab.test/
curl -sf -4 --max-time 2 http://allowed.lab.test/'
	expect "the job succeeds" run_action_job user ||
		{ tail -30 "$LAB_DIR/job.out" >&2; return 1; }
	expect_event "the attempt is in the audit log, with its step" \
		'"event":"tamper"' '"what":"stop_refused"' \
		'"step_name":"Try to stop moat"' '"comm":"moat"' || return 1
	expect_match "$(cat "$LAB_DIR/runner/job-summary.md")" \
		'moat refused 1 attempts to stop it' "the summary says so" ||
		return 1
	expect "after the job, sudo is back" test -s "$LAB_DIR/sudo-after.txt" ||
		return 1
	expect_host_restored || return 1
}

# moat cannot start (no such interface): by default the step fails; with
# fail-on-unsupported: false the job goes on, warned, and nothing is left.
action_cannot_start() {
	local extra="\"extra-args\": \"--interface nosuch0 --cgroup $LAB_CGROUP\""
	action_job "$(lab_inputs "{$extra $1}")" \
		"Goes on" 'curl -sf --max-time 2 http://blocked.lab.test/'
}

test_action_cannot_start_fails_the_step() {
	action_cannot_start ''
	expect_fail "the job fails" run_action_job root || return 1
	expect "the error says why" annotation error '^moat$' \
		"moat cannot protect this job: moat exited with status 1 before it was ready: .*nosuch0" ||
		return 1
	expect_eq "$(output_of supported)" false "output supported" || return 1
	expect_host_restored none || return 1
}

test_action_unsupported_may_pass() {
	action_cannot_start ', "fail-on-unsupported": "false"'
	expect "the job goes on" run_action_job root ||
		{ tail -30 "$LAB_DIR/job.out" >&2; return 1; }
	expect "a warning says it is unprotected" annotation warning '^moat$' \
		'moat cannot protect this job, which goes on without it' ||
		return 1
	expect_fail "and no error" annotation error '.' '.' || return 1
	expect_eq "$(output_of supported)" false "output supported" || return 1
	expect_host_restored none || return 1
}
