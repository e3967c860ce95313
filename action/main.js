// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// main.js - the action's main step: get a verified moat, check the
// policy, start the daemon detached as root, and wait until it enforces.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const { ActionError, InputError, IntegrityError, Runner } =
	require('./lib/runner');
const { asRoot, describe, isRoot, run } = require('./lib/exec');
const { install, obtain, uninstall } = require('./lib/binary');
const { policyArgs, readInputs } = require('./lib/inputs');
const { unsupportedReason } = require('./lib/support');
const paths = require('./lib/paths');

const READY_TIMEOUT_MS = 30000;
const POLL_MS = 50;

// The runner's service URLs, whose hosts moat allows with --github.
const URL_VARS = ['ACTIONS_RUNTIME_URL', 'ACTIONS_RESULTS_URL',
	'ACTIONS_CACHE_URL', 'ACTIONS_ID_TOKEN_REQUEST_URL'];

function checkPolicy(binary, cfg, runner) {
	const argv = [binary, 'check', ...policyArgs(cfg)];
	const res = run(argv);
	if (res.status === 2)
		throw new InputError(`the policy is not valid: ${res.stderr.trim().replace(/^moat: error: /gm, '')}`);
	if (res.status !== 0)
		throw new ActionError(`cannot check the policy: ${describe(argv, res)}`);
	const lines = res.stdout.trim().split('\n');
	runner.group(`moat: ${lines[0]}`, () => runner.info(lines.slice(1)
		.join('\n')));
}

function sudoUser(cfg) {
	if (!cfg.sudoLockdown)
		return null;
	if (isRoot())
		throw new InputError('sudo-lockdown: this job runs as root, so there is no sudo to take away; run the job as a user, or leave sudo-lockdown off');
	return os.userInfo().username;
}

// The audit log is root's, and readable, so that upload-artifact can take it.
function prepareAuditLog() {
	const argv = asRoot(['install', '-D', '-o', 'root', '-g', 'root',
		'-m', '0644', '/dev/null', paths.AUDIT_LOG]);
	const res = run(argv);
	if (res.status !== 0)
		throw new ActionError(`cannot create the audit log: ${describe(argv, res)}`);
}

function startArgs(binary, cfg, env) {
	const vars = URL_VARS.filter((v) => env[v]).map((v) => `${v}=${env[v]}`);
	const args = ['start', ...policyArgs(cfg), '--audit-log',
		paths.AUDIT_LOG];
	if (cfg.lockUser) {
		args.push('--sudo-lockdown', '--sudo-user', cfg.lockUser);
		for (const cmd of cfg.sudoAllow)
			args.push('--sudo-allow', cmd);
	}
	if (cfg.debug)
		args.push('-v');
	args.push(...cfg.extraArgs);
	// sudo clears the environment; env(1) hands the URLs on.
	return asRoot(['/usr/bin/env', ...vars, binary, ...args]);
}

function tail(file, lines) {
	try {
		return fs.readFileSync(file, 'utf8').split('\n').slice(-lines - 1)
			.join('\n');
	} catch {
		return '';
	}
}

function readyPid(startedMs) {
	let text, st;
	try {
		st = fs.statSync(paths.READY_FILE);
		text = fs.readFileSync(paths.READY_FILE, 'utf8');
	} catch {
		return 0;
	}
	const m = /^pid=(\d+)\s*$/.exec(text);
	// A ready file from an earlier run, of a daemon long gone, is no sign.
	if (!m || st.mtimeMs + 1000 < startedMs)
		return 0;
	try {
		const comm = fs.readFileSync(`/proc/${m[1]}/comm`, 'utf8').trim();
		return comm === 'moat' ? Number(m[1]) : 0;
	} catch {
		return 0;
	}
}

/*
 * Poll fast for the ready file; fail at once if the daemon exits, and
 * after a bounded time if it never gets ready.
 */
function waitReady(child, startedMs) {
	return new Promise((resolve, reject) => {
		let exited = null;
		child.on('exit', (code, signal) => {
			exited = signal ? `was killed by ${signal}` :
				`exited with status ${code}`;
		});
		child.on('error', (err) => {
			exited = `could not start: ${err.message}`;
		});
		const deadline = startedMs + READY_TIMEOUT_MS;
		const poll = () => {
			const pid = readyPid(startedMs);
			if (pid)
				return resolve(pid);
			if (exited)
				return reject(new ActionError(`moat ${exited} before it was ready`));
			if (Date.now() > deadline)
				return reject(new ActionError(`moat was not ready within ${READY_TIMEOUT_MS / 1000} seconds`));
			setTimeout(poll, POLL_MS);
		};
		poll();
	});
}

async function startDaemon(binary, cfg, env, runner) {
	const argv = startArgs(binary, cfg, env);
	const log = paths.daemonLog(env);
	const fd = fs.openSync(log, 'w', 0o600);
	const startedMs = Date.now();

	runner.info(`starting: ${argv.join(' ')}`);
	const child = spawn(argv[0], argv.slice(1), {
		detached: true,
		stdio: ['ignore', fd, fd],
	});
	fs.closeSync(fd);
	try {
		const pid = await waitReady(child, startedMs);
		child.unref();
		return pid;
	} catch (err) {
		const words = tail(log, 15);
		runner.group("moat's last words", () => runner.untrusted(words));
		// Whatever it managed to set up is undone before the step ends.
		run(asRoot([binary, 'stop']));
		child.unref();
		const last = words.trim().split('\n').pop();
		throw new ActionError(`${err.message}${last ? ': ' + last : ''}`);
	}
}

async function main(env, out) {
	const runner = new Runner(env, out);
	let cfg;
	try {
		cfg = readInputs(env);
		cfg.lockUser = sudoUser(cfg);
	} catch (err) {
		if (!(err instanceof ActionError))
			throw err;
		runner.fail(err.message);
		return 1;
	}

	const reason = unsupportedReason();
	if (reason)
		return unsupported(runner, cfg, reason);
	let installed = null;
	try {
		const actionDir = path.resolve(__dirname, '..');
		const tempDir = fs.mkdtempSync(path.join(env.RUNNER_TEMP ||
			os.tmpdir(), 'moat-'));
		const fetched = await obtain({ ...cfg, env, runner, actionDir,
			tempDir });
		checkPolicy(fetched, cfg, runner);
		installed = install(fetched);
		prepareAuditLog();
		const pid = await startDaemon(installed, cfg, env, runner);

		runner.saveState('started', 'true');
		runner.saveState('binary', installed);
		runner.setOutput('supported', 'true');
		runner.setOutput('pid', String(pid));
		runner.setOutput('audit-log', paths.AUDIT_LOG);
		runner.info(`moat (pid ${pid}) enforces the policy in ${cfg.mode} mode; audit log: ${paths.AUDIT_LOG}`);
		return 0;
	} catch (err) {
		if (!(err instanceof ActionError))
			throw err;
		/* A job moat does not protect keeps nothing of it. */
		if (installed) {
			uninstall(runner);
			run(asRoot(['rm', '-f', '--', paths.AUDIT_LOG]));
		}
		if (err instanceof InputError || err instanceof IntegrityError) {
			runner.setOutput('supported', 'false');
			runner.fail(err.message);
			return 1;
		}
		return unsupported(runner, cfg, err.message);
	}
}

/*
 * The job goes on unprotected only if the workflow said it may
 * (fail-on-unsupported: false); by default the step fails.
 */
function unsupported(runner, cfg, reason) {
	runner.setOutput('supported', 'false');
	if (cfg.failOnUnsupported) {
		runner.fail(`moat cannot protect this job: ${reason}`);
		return 1;
	}
	runner.warning(`moat cannot protect this job, which goes on without it (fail-on-unsupported is false): ${reason}`, { title: 'moat' });
	return 0;
}

module.exports = { main, readyPid, startArgs };

if (require.main === module) {
	main(process.env).then((code) => {
		process.exitCode = code;
	}, (err) => {
		process.stdout.write(`::error title=moat::internal error: ${String(err && err.stack || err).replace(/%/g, '%25').replace(/\r?\n/g, '%0A')}\n`);
		process.exitCode = 1;
	});
}
