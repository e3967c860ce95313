// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// post.test.js - the post step's report: the summary on the job page,
// annotations under GitHub's limits, and fail-on-block; from recorded
// audit logs, rendered by the real moat.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const test = require('node:test');

const { report } = require('../post');
const { Runner } = require('../lib/runner');
const { Capture, MOAT, ROOT, fakeRunner, haveMoat, runStep } =
	require('./helpers');

const ENFORCE_LOG = path.join(ROOT, 'tests', 'data', 'audit-enforce.ndjson');
const AUDIT_LOG = path.join(ROOT, 'tests', 'data', 'audit-audit.ndjson');
const skip = !haveMoat && 'moat is not built';

function withReport(log, cfg, fn) {
	const fr = fakeRunner();
	const out = new Capture();
	const runner = new Runner(fr.env, out);
	try {
		report(MOAT, log, { summary: true, failOnBlock: false, ...cfg },
			runner);
		return fn({ out, runner, summary: fs.readFileSync(fr.files.summary,
			'utf8') });
	} finally {
		fr.cleanup();
	}
}

test('post does nothing when main started nothing', () => {
	const fr = fakeRunner();
	try {
		const res = runStep('post.js', fr.env);
		assert.equal(res.status, 0);
		assert.equal(res.stdout, '');
		assert.equal(fs.readFileSync(fr.files.summary, 'utf8'), '');
	} finally {
		fr.cleanup();
	}
});

test('the summary is moat summary, on the job page', { skip }, () => {
	const want = spawnSync(MOAT, ['summary', '--audit-log', ENFORCE_LOG],
		{ encoding: 'utf8' }).stdout;
	withReport(ENFORCE_LOG, {}, ({ summary, runner }) => {
		assert.equal(summary, want);
		assert.match(summary, /### Step 3: Install dependencies/);
		assert.equal(runner.failed, false, 'fail-on-block is off');
	});
});

test('blocked destinations are grouped, at most ten annotations', { skip },
	() => {
		withReport(ENFORCE_LOG, {}, ({ out }) => {
			const errors = out.lines('error');
			assert.equal(errors.length, 10);
			assert.match(errors[0],
				/^::error title=moat blocked blocked\.lab\.test \(DNS\)::curl in step 3 \(Install dependencies\); dig in step 4 .*: 3 times\./);
			assert.match(errors[9],
				/^::error title=moat blocked more::\d+ more destinations/);
			assert.ok(!out.text.includes('chronyd'),
				"the host's own services are not the job's");
		});
	});

test('an address is to be allowed by CIDR', { skip }, () => {
	withReport(ENFORCE_LOG, {}, ({ out }) => {
		assert.match(out.text,
			/title=moat blocked 198\.51\.100\.100%3A443\/tcp::npm in step 4 .*add it to allowed-cidrs\./);
	});
});

test('fail-on-block fails the post step', { skip }, () => {
	withReport(ENFORCE_LOG, { failOnBlock: true }, ({ out, runner }) => {
		assert.equal(runner.failed, true);
		assert.match(out.text,
			/::error title=moat::\d+ connections and DNS queries were blocked, and fail-on-block is true/);
	});
});

test('audit mode warns, and recommends', { skip }, () => {
	withReport(AUDIT_LOG, { failOnBlock: true }, ({ out, runner, summary }) => {
		assert.equal(out.lines('error').length, 1, 'only fail-on-block');
		assert.ok(out.lines('warning').length > 0);
		assert.match(out.lines('warning')[0], /title=moat would block /);
		assert.match(summary, /ecommended allowlist/);
		assert.equal(runner.failed, true);
	});
});

test('summary: false leaves the job page alone', { skip }, () => {
	withReport(ENFORCE_LOG, { summary: false }, ({ summary, out }) => {
		assert.equal(summary, '');
		assert.ok(out.lines('error').length > 0, 'annotations still');
	});
});
