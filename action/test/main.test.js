// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// main.test.js - the main step as the runner runs it, on inputs it must
// refuse before it changes anything on the machine: each refusal is an
// error annotation and a failed step.
'use strict';

const assert = require('node:assert/strict');
const test = require('node:test');

const { MOAT, fakeRunner, haveMoat, readFileCommands, runStep } =
	require('./helpers');

function mainFails(inputs, message) {
	const fr = fakeRunner(inputs);
	try {
		const res = runStep('main.js', fr.env);
		assert.equal(res.status, 1, `main failed\n${res.stdout}${res.stderr}`);
		const errors = res.stdout.split('\n')
			.filter((l) => l.startsWith('::error'));
		assert.equal(errors.length, 1, res.stdout);
		assert.match(errors[0], /^::error title=moat::/);
		assert.match(errors[0], message);
		assert.equal(res.stderr, '', 'nothing crashed');
		return readFileCommands(fr.files.output);
	} finally {
		fr.cleanup();
	}
}

test('an unknown mode is an error annotation', () => {
	mainFails({ mode: 'strict' }, /input mode: 'strict' is not a mode/);
});

test('a missing binary is an error annotation', () => {
	mainFails({ 'binary-path': '/nonexistent/moat' },
		/input binary-path: '\/nonexistent\/moat': no such file/);
});

test('a bad boolean is an error annotation', () => {
	mainFails({ 'sudo-lockdown': 'on' },
		/input sudo-lockdown: 'on' is not a boolean/);
});

test('a malformed host is named, with what is wrong', { skip: !haveMoat &&
	'moat is not built' }, () => {
	const outputs = mainFails({ 'binary-path': MOAT,
		'allowed-hosts': 'ok.example.com\nfoo*.example.com' },
	/the policy is not valid: --allow 'foo\*\.example\.com': a wildcard must be a whole label/);
	assert.equal(outputs.supported, 'false');
});

test('a malformed address is named, with what is wrong', { skip: !haveMoat &&
	'moat is not built' }, () => {
	mainFails({ 'binary-path': MOAT, 'allowed-cidrs': '10.0.0.0/33' },
		/--allow-cidr '10\.0\.0\.0\/33'/);
});

test('a bad policy fails even when unsupported runners may pass', {
	skip: !haveMoat && 'moat is not built' }, () => {
	mainFails({ 'binary-path': MOAT, 'fail-on-unsupported': 'false',
		'denied-hosts': 'a..example.com' }, /--deny 'a\.\.example\.com'/);
});
