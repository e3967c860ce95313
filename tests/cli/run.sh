#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# run.sh - the moat command line: verdicts, messages and exit statuses.
# Needs no root and no network.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
MOAT=${MOAT:-$HERE/../../moat}
SUITE=${CLI_SUITE:-cli}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# case NAME STATUS REGEX -- ARGS...: moat ARGS exits STATUS, and its
# stdout and stderr together match REGEX.
case_() {
	local name=$1 want=$2 re=$3 out status
	shift 4
	out=$("$MOAT" "$@" 2>&1)
	status=$?
	if [ "$status" != "$want" ]; then
		echo "FAIL $SUITE/$name: exit status $status, expected $want"
		echo "$out" | sed 's/^/    | /' | head -10
	elif ! grep -Eq -- "$re" <<<"$out"; then
		echo "FAIL $SUITE/$name: no match for /$re/"
		echo "$out" | sed 's/^/    | /' | head -10
	else
		echo "PASS $SUITE/$name"
	fi
}

case_ version 0 '^moat [0-9]+\.[0-9]+\.[0-9]+$' -- --version
case_ help 0 'start \[POLICY\] \[PLACEMENT\]' -- --help
case_ no_command 2 'Usage: moat COMMAND' --
case_ unknown_command 2 "unknown command 'frobnicate'" -- frobnicate
case_ start_help 0 '--allow-cidr CIDR' -- start --help
case_ check_help 0 'Usage: moat check' -- check --help
case_ stop_help 0 'Usage: moat stop' -- stop --help

case_ check_allowed 0 '^api\.github\.com: allowed, ports 443/tcp \(rule "allow github\.com:443/tcp"\)$' \
	-- check --allow github.com:443/tcp api.github.com
case_ check_blocked 0 '^example\.org: blocked \(no rule allows it\)$' \
	-- check --allow github.com example.org
case_ check_denied 0 '^gist\.github\.com: blocked \(rule "deny gist\.github\.com"\)$' \
	-- check --allow github.com --deny gist.github.com gist.github.com
case_ check_deny_port 0 'allowed, ports all except 22/tcp' \
	-- check --allow example.com --deny example.com:22/tcp example.com
case_ check_wildcard 0 '^a\.b\.example\.com: allowed' \
	-- check --allow '**.example.com' a.b.example.com
case_ check_wildcard_shape 0 '^a\.b\.example\.com: blocked' \
	-- check --allow '*.example.com' a.b.example.com
case_ check_case_and_dot 0 '^API\.GitHub\.COM\.: allowed' \
	-- check --allow github.com API.GitHub.COM.
case_ check_address 0 '^192\.0\.2\.7: allowed, ports 443 \(rule "allow-cidr 192\.0\.2\.0/24:443"\)$' \
	-- check --allow-cidr 192.0.2.0/24:443 192.0.2.7
case_ check_address_v6 0 '^2001:db8::9: blocked' \
	-- check --allow-cidr 2001:db8:1::/48 2001:db8::9
case_ check_audit_note 0 'let through in audit mode' \
	-- check --mode audit example.org
case_ check_lists_rules 0 'policy is valid: 2 rules, enforce mode' \
	-- check --allow example.com --deny-cidr 10.0.0.0/8
case_ check_bad_host 2 "'exa mple\.com': a hostname may hold only" \
	-- check --allow example.com 'exa mple.com'

# --explain: every rule, in order, and what it does to the host.
EXPLAIN_POLICY="--allow github.com:443 --deny gist.github.com --allow-cidr 10.0.0.0/8:22 --deny-cidr 10.1.0.0/16"
case_ explain_parent 0 'rule 1 "allow github\.com:443": matches: the name is under it, and allows ports 443' \
	-- check $EXPLAIN_POLICY --explain gist.github.com
case_ explain_deny 0 'rule 2 "deny gist\.github\.com": matches the name, and denies every port and protocol' \
	-- check $EXPLAIN_POLICY --explain gist.github.com
case_ explain_verdict 0 'verdict: gist\.github\.com: blocked \(rule "deny gist\.github\.com"\)' \
	-- check $EXPLAIN_POLICY --explain gist.github.com
case_ explain_no_match 0 'rule 2 "deny gist\.github\.com": does not match' \
	-- check $EXPLAIN_POLICY --explain api.github.com
case_ explain_address_rule_for_name 0 'rule 3 "allow-cidr 10\.0\.0\.0/8:22": an address rule' \
	-- check $EXPLAIN_POLICY --explain api.github.com
case_ explain_address 0 'rule 4 "deny-cidr 10\.1\.0\.0/16": contains the address, and denies' \
	-- check $EXPLAIN_POLICY --explain 10.1.2.3
case_ explain_address_outside 0 'rule 4 "deny-cidr 10\.1\.0\.0/16": does not contain the address' \
	-- check $EXPLAIN_POLICY --explain 10.2.3.4
case_ explain_no_rules 0 'no rules: everything is blocked' \
	-- check --explain example.org
case_ explain_needs_check 2 "unknown option '--explain'" \
	-- start --explain

# moat run: what can be told without root.
case_ run_help 0 'Usage: moat run \[POLICY\]' -- run --help
case_ run_no_command 2 'no command to run' -- run --allow example.com
case_ run_bad_rule 2 "foo\*\.com" -- run --allow 'foo*.com' -- true
case_ run_placement_option 2 "unknown option '--interface'" \
	-- run --interface eth0 -- true

case_ bad_wildcard 2 "--allow 'foo\*\.com': a wildcard must be a whole label \('\*' or '\*\*'\)" \
	-- check --allow 'foo*.com'
case_ bad_cidr 2 "--deny-cidr '10\.0\.0\.1/8': host bits are set; did you mean 10\.0\.0\.0/8\?" \
	-- check --deny-cidr 10.0.0.1/8
case_ bad_port 2 "--allow 'example\.com:99999': a port must be a number from 1 to 65535" \
	-- check --allow example.com:99999
case_ bad_mode 2 "--mode 'loud': the mode must be 'enforce' or 'audit'" \
	-- check --mode loud
case_ bad_upstream 2 "--upstream 'resolver\.example': not an IPv4 or IPv6 address" \
	-- check --upstream resolver.example
case_ ip_as_host 2 "use --allow-cidr" -- check --allow 192.0.2.1
case_ unknown_option 2 "unknown option '--alow'" -- check --alow example.com
case_ missing_value 2 "option '--allow' needs a value" -- check --allow
case_ start_operand 2 "unexpected operand 'extra'" -- start --allow a.com extra
case_ stop_bad_timeout 2 "--timeout 'soon': expected a number of seconds" \
	-- stop --timeout soon

printf '{\n  "allow": [\n    "ok.example",\n    "bad*.example"\n  ]\n}\n' \
	>"$TMP/policy.json"
case_ file_rule_error 2 "policy\.json: line 4: allow\[1\] 'bad\*\.example': a wildcard" \
	-- check --config "$TMP/policy.json"
printf '{"allow": ["ok.example"], "alow": []}' >"$TMP/typo.json"
case_ file_unknown_key 2 'unknown key "alow"; the keys are mode, upstream, allow' \
	-- check --config "$TMP/typo.json"
printf '{"allow": ["ok.example",]}' >"$TMP/syntax.json"
case_ file_syntax 2 'syntax\.json: line 1, column [0-9]+: ' \
	-- check --config "$TMP/syntax.json"
case_ file_missing 2 "nope\.json: cannot open: No such file or directory" \
	-- check --config "$TMP/nope.json"
printf '{"allow": ["file.example"], "mode": "audit"}' >"$TMP/ok.json"
case_ file_and_flags 0 'policy is valid: 2 rules, enforce mode' \
	-- check --config "$TMP/ok.json" --allow flag.example --mode enforce

# --github-api against a local stand-in for the REST API.
api_case() {
	local dir=$TMP/api port out
	mkdir -p "$dir/repos/lab/lab/actions/runs/1/attempts/1"
	cat >"$dir/repos/lab/lab/actions/runs/1/attempts/1/jobs" <<'JSON'
{"total_count": 2, "jobs": [
 {"name": "other", "runner_name": "someone-else", "steps": [{"number": 3, "name": "Wrong", "conclusion": "failure"}]},
 {"name": "lab job", "runner_name": "lab-runner", "steps": [
  {"number": 1, "name": "Set up job", "conclusion": "success"},
  {"number": 3, "name": "Install dependencies (npm)", "conclusion": "success"},
  {"number": 4, "name": "Run tests", "conclusion": "failure"}]}]}
JSON
	port=$((20000 + RANDOM % 20000))
	python3 -m http.server --bind 127.0.0.1 --directory "$dir" "$port" \
		>/dev/null 2>&1 &
	local server=$!
	for _ in $(seq 50); do
		curl -sf "http://127.0.0.1:$port/" >/dev/null && break
		sleep 0.1
	done
	out=$(GITHUB_API_URL=http://127.0.0.1:$port GITHUB_TOKEN=ghs_test \
		GITHUB_REPOSITORY=lab/lab GITHUB_RUN_ID=1 RUNNER_NAME=lab-runner \
		"$MOAT" summary --audit-log "$HERE/../data/audit-enforce.ndjson" \
		--github-api 2>&1)
	kill "$server"
	wait "$server" 2>/dev/null
	if grep -q '### Step 3: Install dependencies (npm) (success)' <<<"$out" &&
		grep -q '### Step 4: Run tests (failure)' <<<"$out"; then
		echo "PASS $SUITE/summary_github_api"
	else
		echo "FAIL $SUITE/summary_github_api"
		grep '###' <<<"$out" | sed 's/^/    | /'
	fi
}
api_case

case_ summary_missing_log 2 "--audit-log FILE is required" -- summary
case_ summary_bad_format 2 "--format 'xml': expected 'markdown' or 'json'" \
	-- summary --audit-log /dev/null --format xml
case_ summary_unreadable 1 "audit log '/nonexistent': No such file" \
	-- summary --audit-log /nonexistent
case_ summary_api_without_token 0 "needs GITHUB_TOKEN" \
	-- summary --audit-log "$HERE/../data/audit-enforce.ndjson" --github-api

# The built binary's summaries: JSON a parser takes, markdown as golden.
summary_formats() {
	local log=$HERE/../data/audit-enforce.ndjson status
	"$MOAT" summary --audit-log "$log" --format json >"$TMP/summary.json"
	status=$?
	if [ "$status" != 0 ]; then
		echo "FAIL $SUITE/summary_json_parses: exit status $status"
	elif ! python3 -c 'import json,sys; json.load(sys.stdin)' \
		<"$TMP/summary.json" 2>"$TMP/summary.err"; then
		echo "FAIL $SUITE/summary_json_parses: not JSON"
		sed 's/^/    | /' "$TMP/summary.err" | tail -1
	else
		echo "PASS $SUITE/summary_json_parses"
	fi
	"$MOAT" summary --audit-log "$log" --format markdown >"$TMP/summary.md"
	status=$?
	if [ "$status" != 0 ]; then
		echo "FAIL $SUITE/summary_markdown_golden: exit status $status"
	elif ! diff -u "$HERE/../data/summary-enforce.md" "$TMP/summary.md" \
		>"$TMP/summary.diff"; then
		echo "FAIL $SUITE/summary_markdown_golden: differs from the golden file"
		head -20 "$TMP/summary.diff" | sed 's/^/    | /'
	else
		echo "PASS $SUITE/summary_markdown_golden"
	fi
}
summary_formats

# The GitHub preset: the runner's service hosts, and nothing more.
case_ github_service_host 0 '^pipelines\.actions\.githubusercontent\.com: allowed, ports 443/tcp' \
	-- check --github pipelines.actions.githubusercontent.com
case_ github_log_storage 0 '^productionresultssa19\.blob\.core\.windows\.net: allowed' \
	-- check --github productionresultssa19.blob.core.windows.net
case_ github_other_storage 0 '^attacker\.blob\.core\.windows\.net: blocked' \
	-- check --github attacker.blob.core.windows.net
case_ github_not_github_com 0 '^github\.com: blocked \(no rule allows it\)$' \
	-- check --github github.com
case_ github_hosts_replace 0 '^actions\.githubusercontent\.com: blocked' \
	-- check --github --github-hosts ghe.example.com actions.githubusercontent.com
case_ github_hosts_ports 0 '^ghe\.example\.com: allowed, ports 8443/tcp' \
	-- check --github --github-hosts 'a.example.com,ghe.example.com:8443/tcp' \
	ghe.example.com
case_ github_hosts_alone 2 '--github-hosts only means something with --github' \
	-- check --github-hosts ghe.example.com
case_ github_hosts_bad 2 "--github-hosts 'foo\*\.com" \
	-- check --github --github-hosts 'ok.example.com foo*.com'
url_case() {
	local out
	out=$(ACTIONS_RESULTS_URL=https://results.example.net:8443/twirp/x \
		ACTIONS_CACHE_URL=http://192.0.2.9/cache/ \
		ACTIONS_RUNTIME_URL=ftp://nope.example.net/ \
		"$MOAT" check --github results.example.net 192.0.2.9 \
		nope.example.net 2>&1)
	if grep -q '^results\.example\.net: allowed, ports 8443/tcp (rule "allow results\.example\.net:8443/tcp")$' <<<"$out" &&
		grep -q '^192\.0\.2\.9: allowed, ports 80/tcp' <<<"$out" &&
		grep -q '^nope\.example\.net: blocked' <<<"$out" &&
		grep -q 'ACTIONS_RUNTIME_URL: not an http(s) URL' <<<"$out"; then
		echo "PASS $SUITE/github_url_variables"
	else
		echo "FAIL $SUITE/github_url_variables"
		sed 's/^/    | /' <<<"$out"
	fi
}
url_case
