// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// inputs.test.js - the inputs, their defaults, their errors, and the
// command line they become.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const test = require('node:test');

const { policyArgs, readInputs } = require('../lib/inputs');
const { InputError } = require('../lib/runner');
const { fakeRunner } = require('./helpers');

function withRunner(inputs, fn) {
	const fr = fakeRunner(inputs);
	try {
		return fn(fr);
	} finally {
		fr.cleanup();
	}
}

test('defaults: enforce, fail when unsupported, summary, no lockdown', () => {
	withRunner({}, ({ env }) => {
		const cfg = readInputs(env);
		assert.equal(cfg.mode, 'enforce');
		assert.equal(cfg.failOnUnsupported, true);
		assert.equal(cfg.failOnBlock, false);
		assert.equal(cfg.summary, true);
		assert.equal(cfg.sudoLockdown, false);
		assert.deepEqual(policyArgs(cfg), ['--mode', 'enforce', '--github']);
	});
});

test('every policy input reaches the command line, one argv each', () => {
	withRunner({
		mode: 'audit',
		'allowed-hosts': 'registry.npmjs.org:443\n*.docker.io',
		'allowed-cidrs': '10.0.0.0/8, [2001:db8::/32]:443',
		'denied-hosts': 'gist.github.com',
		'denied-cidrs': '10.9.0.0/16',
		'dns-upstream': '192.0.2.53',
		'github-service-hosts': 'ghe.example.com\nresults.example.com:8443',
	}, ({ env }) => {
		assert.deepEqual(policyArgs(readInputs(env)), [
			'--mode', 'audit', '--github',
			'--allow', 'registry.npmjs.org:443', '--allow', '*.docker.io',
			'--allow-cidr', '10.0.0.0/8',
			'--allow-cidr', '[2001:db8::/32]:443',
			'--deny', 'gist.github.com', '--deny-cidr', '10.9.0.0/16',
			'--upstream', '192.0.2.53',
			'--github-hosts', 'ghe.example.com,results.example.com:8443',
		]);
	});
});

test('a config file is found in the workspace', () => {
	withRunner({ 'config-file': 'moat.json' }, ({ env }) => {
		const file = path.join(env.GITHUB_WORKSPACE, 'moat.json');
		fs.writeFileSync(file, '{}');
		const args = policyArgs(readInputs(env));
		assert.deepEqual(args.slice(3), ['--config', file]);
	});
});

const bad = [
	[{ mode: 'block' }, /input mode: 'block' is not a mode; use enforce or audit/],
	[{ 'allowed-hosts': 'a.example.com b.example.com' }, /holds a space/],
	[{ 'allowed-hosts': '--allow-cidr=0.0.0.0/0' }, /is not a host or address/],
	[{ 'fail-on-block': 'yes' }, /input fail-on-block: 'yes' is not a boolean/],
	[{ 'config-file': 'missing.json' }, /input config-file: 'missing.json': no such file/],
	[{ 'binary-path': '/nonexistent/moat' }, /input binary-path: '\/nonexistent\/moat': no such file/],
	[{ 'sudo-lockdown': 'true', 'sudo-allow-commands': 'bin/ls' }, /'bin\/ls' is not an absolute path/],
	[{ 'sudo-allow-commands': '/usr/bin/id' }, /only means something with sudo-lockdown/],
];
for (const [inputs, message] of bad) {
	test(`refused: ${JSON.stringify(inputs)}`, () => {
		withRunner(inputs, ({ env }) => {
			assert.throws(() => readInputs(env), (err) =>
				err instanceof InputError && message.test(err.message));
		});
	});
}

test('a binary-path that is not executable is refused', () => {
	withRunner({ 'binary-path': 'moat' }, ({ env }) => {
		fs.writeFileSync(path.join(env.GITHUB_WORKSPACE, 'moat'), '');
		assert.throws(() => readInputs(env), /is not executable/);
	});
});
