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

function report(binary, log, cfg, runner) {
	const markdown = cfg.summary ?
		summaryOf(binary, log, 'markdown', runner) : null;
	if (markdown && !runner.appendSummary(markdown))
		runner.info(markdown);

	const text = summaryOf(binary, log, 'json', runner);
	if (!text)
		return;
	let data;
	try {
		data = JSON.parse(text);
	} catch (err) {
		runner.warning(`moat summary gave bad JSON: ${err.message}`);
		return;
	}
	annotate(data, runner);
	const blocked = blockedCount(data);
	if (cfg.failOnBlock && blocked > 0)
		runner.fail(`${blocked} connections and DNS queries were ${data.mode === 'audit' ? 'outside the allowlist (audit mode)' : 'blocked'}, and fail-on-block is true`);
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
	report(binary, paths.AUDIT_LOG, cfg, runner);
	/* Once moat has stopped, nothing of it is left but the audit log. */
	if (stopped)
		uninstall(runner);
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
