// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// exec.js - run programs, as root where needed, and read what they said.
'use strict';

const { spawnSync } = require('node:child_process');

function isRoot() {
	return typeof process.getuid === 'function' && process.getuid() === 0;
}

/*
 * argv for running a command as root: directly when the job already is
 * root (a container job), else through sudo, which must not ask for a
 * password (-n): a prompt would hang the step.
 */
function asRoot(argv) {
	return isRoot() ? argv : ['sudo', '-n', '--', ...argv];
}

function run(argv, options = {}) {
	const res = spawnSync(argv[0], argv.slice(1), {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
		maxBuffer: 64 * 1024 * 1024,
		...options,
	});
	return {
		status: res.error ? -1 : res.status,
		signal: res.signal,
		error: res.error,
		stdout: res.stdout || '',
		stderr: res.stderr || '',
	};
}

// What went wrong, in one line for an annotation.
function describe(argv, res) {
	if (res.error)
		return `${argv[0]}: ${res.error.code === 'ENOENT' ? 'not found' : res.error.message}`;
	const said = (res.stderr || res.stdout).trim().split('\n').slice(-3)
		.join(' / ');
	const how = res.signal ? `was killed by ${res.signal}` :
		`exited with status ${res.status}`;
	return `${argv.join(' ')} ${how}${said ? ': ' + said : ''}`;
}

module.exports = { asRoot, describe, isRoot, run };
