// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// runner.test.js - the runner protocol: inputs, command files, commands.
'use strict';

const assert = require('node:assert/strict');
const test = require('node:test');

const {
	InputError, Runner, boolInput, escapeProperty, listInput,
} = require('../lib/runner');
const { Capture, fakeRunner, readFileCommands } = require('./helpers');

test('lists split on lines and commas, without blanks or comments', () => {
	const env = { 'INPUT_ALLOWED-HOSTS':
		' a.example.com, b.example.com:443\n\n# a comment\nc.example.com # why\n' };
	assert.deepEqual(listInput(env, 'allowed-hosts'),
		['a.example.com', 'b.example.com:443', 'c.example.com']);
});

test('booleans are YAML core booleans and nothing else', () => {
	assert.equal(boolInput({ INPUT_DEBUG: 'TRUE' }, 'debug', false), true);
	assert.equal(boolInput({ INPUT_DEBUG: 'false' }, 'debug', true), false);
	assert.equal(boolInput({}, 'debug', true), true);
	assert.throws(() => boolInput({ INPUT_DEBUG: 'yes' }, 'debug', false),
		(err) => err instanceof InputError &&
			/input debug: 'yes' is not a boolean/.test(err.message));
});

test('annotation properties and data are escaped', () => {
	const out = new Capture();
	new Runner({}, out).error('50%\nnext', { title: 'a:b,c' });
	assert.equal(out.text, '::error title=a%3Ab%2Cc::50%25%0Anext\n');
	assert.equal(escapeProperty('x\r'), 'x%0D');
});

test('outside text cannot issue workflow commands', () => {
	const out = new Capture();
	const r = new Runner({}, out);
	r.untrusted('evil.example ::add-mask::secret\n::set-env name=X::1\n');
	const lines = out.text.split('\n');
	const token = /^::stop-commands::([0-9a-f]{32})$/.exec(lines[0]);
	assert.ok(token, 'commands are stopped first');
	assert.equal(lines[3], `::${token[1]}::`, 'and resumed after');
	r.info('::warning::not a command');
	assert.match(out.text, /^: :warning::not a command$/m);
});

test('outputs and state are written as delimited blocks', () => {
	const fr = fakeRunner();
	try {
		const r = new Runner(fr.env, new Capture());
		r.setOutput('pid', '42');
		r.setOutput('note', 'two\nlines');
		r.saveState('started', 'true');
		assert.deepEqual(readFileCommands(fr.files.output),
			{ pid: '42', note: 'two\nlines' });
		assert.deepEqual(readFileCommands(fr.files.state),
			{ started: 'true' });
	} finally {
		fr.cleanup();
	}
});

test('without GITHUB_OUTPUT the step says where it is not', () => {
	assert.throws(() => new Runner({}, new Capture()).setOutput('a', 'b'),
		/GITHUB_OUTPUT is not set/);
});
