// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// post.js - the action's post step, which runs last, after every other
// step, whatever they did: stop moat (restoring the host), write the
// summary, annotate what was blocked, and fail the job if asked to.
'use strict';

const { ActionError, Runner } = require('./lib/runner');
const { asRoot, describe, run } = require('./lib/exec');
const { readInputs } = require('./lib/inputs');
const paths = require('./lib/paths');
const { annotate, blockedCount } = require('./lib/report');
const { uninstall } = require('./lib/binary');

/*
 * Exactly `moat stop`: under the sudo lockdown it is the one command the
 * job's user keeps, and the daemon takes it only from this step.
 */
function stopDaemon(binary, runner) {
	const argv = asRoot([binary, 'stop']);
	const res = run(argv);
	if (res.status !== 0) {
		runner.fail(`moat did not stop cleanly: ${describe(argv, res)}`);
		return false;
	}
	runner.info('moat stopped; the host is as it was before the job started it');
	return true;
}

function summaryOf(binary, log, format, runner) {
	const argv = [binary, 'summary', '--audit-log', log, '--format',
		format];
	const res = run(argv);
	if (res.status !== 0) {
		runner.warning(`no summary: ${describe(argv, res)}`, { title: 'moat' });
		return null;
	}
	return res.stdout;
}

// The summary on the job page, and its data for judge().
function summarise(binary, log, cfg, runner) {
	const markdown = cfg.summary ?
		summaryOf(binary, log, 'markdown', runner) : null;
	if (markdown && !runner.appendSummary(markdown))
		runner.info(markdown);

	const text = summaryOf(binary, log, 'json', runner);
	if (!text)
		return null;
	try {
		return JSON.parse(text);
	} catch (err) {
		runner.warning(`moat summary gave bad JSON: ${err.message}`);
		return null;
	}
}

/*
 * Annotations, then fail-on-block. Its error is the step's last word and
 * must not be the one GitHub drops past its limit, so the annotations
 * leave it room.
 */
function judge(data, cfg, runner) {
	if (!data)
		return;
	const blocked = blockedCount(data);
	const failing = cfg.failOnBlock && blocked > 0;
	annotate(data, runner, { error: failing ? 1 : 0 });
	if (failing)
		runner.fail(`${blocked} connections and DNS queries were ${data.mode === 'audit' ? 'outside the allowlist (audit mode)' : 'blocked'}, and fail-on-block is true`);
}

function report(binary, log, cfg, runner) {
	judge(summarise(binary, log, cfg, runner), cfg, runner);
}

function debugLog(env, runner) {
	const fs = require('node:fs');
	let text = '';
	try {
		text = fs.readFileSync(paths.daemonLog(env), 'utf8');
	} catch {
		return;
	}
	runner.group("moat's log", () => runner.untrusted(text));
}

function post(env, out) {
	const runner = new Runner(env, out);
	const binary = runner.state('binary');
	if (runner.state('started') !== 'true' || !binary)
		return 0; /* main did not start moat: nothing to undo */

	let cfg;
	try {
		cfg = readInputs(env);
	} catch (err) {
		if (!(err instanceof ActionError))
			throw err;
		/* main accepted these inputs; report with the defaults */
		cfg = { summary: true, failOnBlock: false, debug: false };
	}
	const stopped = stopDaemon(binary, runner);
	if (cfg.debug)
		debugLog(env, runner);
	const data = summarise(binary, paths.AUDIT_LOG, cfg, runner);
	/*
	 * Once moat has stopped, nothing of it is left but the audit log.
	 * Before the annotations, so that they count any warning it gives.
	 */
	if (stopped)
		uninstall(runner);
	judge(data, cfg, runner);
	return runner.failed ? 1 : 0;
}

module.exports = { post, report };

if (require.main === module) {
	try {
		process.exitCode = post(process.env);
	} catch (err) {
		process.stdout.write(`::error title=moat::internal error: ${String(err && err.stack || err).replace(/%/g, '%25').replace(/\r?\n/g, '%0A')}\n`);
		process.exitCode = 1;
	}
}
