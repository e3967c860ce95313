// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// helpers.js - a fake runner around the action: the environment and files
// the real runner gives a step, and a capture of what the step printed.
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const MOAT = path.join(ROOT, 'moat');

// A step's environment: the runner's variables and its command files.
function fakeRunner(inputs = {}, extra = {}) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'moat-action-'));
	const files = {};
	for (const name of ['output', 'state', 'summary', 'env']) {
		files[name] = path.join(dir, `${name}.txt`);
		fs.writeFileSync(files[name], '');
	}
	fs.mkdirSync(path.join(dir, 'workspace'));
	fs.mkdirSync(path.join(dir, 'temp'));
	const env = {
		PATH: process.env.PATH,
		GITHUB_ACTIONS: 'true',
		CI: 'true',
		GITHUB_OUTPUT: files.output,
		GITHUB_STATE: files.state,
		GITHUB_STEP_SUMMARY: files.summary,
		GITHUB_ENV: files.env,
		GITHUB_WORKSPACE: path.join(dir, 'workspace'),
		RUNNER_TEMP: path.join(dir, 'temp'),
		GITHUB_REPOSITORY: 'lab/lab',
		GITHUB_ACTION_REPOSITORY: 'lab/moat',
		...extra,
	};
	for (const [name, value] of Object.entries(inputs))
		env[`INPUT_${name.toUpperCase()}`] = value;
	return {
		dir,
		env,
		files,
		cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
	};
}

// Run a step script as the runner would: a process with that env.
function runStep(script, env) {
	const res = spawnSync(process.execPath,
		[path.join(ROOT, 'action', script)],
		{ env, encoding: 'utf8', timeout: 60000 });
	return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

// name<<DELIM ... DELIM blocks, as the runner reads GITHUB_OUTPUT.
function readFileCommands(file) {
	const text = fs.readFileSync(file, 'utf8');
	const out = {};
	const re = /^([^<\n]+)<<(ghadelimiter_[0-9a-f-]+)\n([\s\S]*?)\n\2\n/gm;
	let m;
	while ((m = re.exec(text)) !== null)
		out[m[1]] = m[3];
	return out;
}

// Collects what a Runner prints.
class Capture {
	constructor() {
		this.text = '';
	}

	write(chunk) {
		this.text += chunk;
		return true;
	}

	lines(kind) {
		return this.text.split('\n').filter((l) => l.startsWith(`::${kind}`));
	}
}

const haveMoat = fs.existsSync(MOAT);

module.exports = {
	Capture,
	MOAT,
	ROOT,
	fakeRunner,
	haveMoat,
	readFileCommands,
	runStep,
};
