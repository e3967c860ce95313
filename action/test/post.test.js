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
const { annotate } = require('../lib/report');
const { Runner } = require('../lib/runner');
const { Capture, MOAT, ROOT, fakeRunner, haveMoat, runStep } =
	require('./helpers');

const ENFORCE_LOG = path.join(ROOT, 'tests', 'data', 'audit-enforce.ndjson');
const AUDIT_LOG = path.join(ROOT, 'tests', 'data', 'audit-audit.ndjson');
const skip = !haveMoat && 'moat is not built';
// GitHub shows a step's first 10 errors, and its first 10 warnings.
const LIMIT = 10;

// before(runner) prints what the post step printed ahead of the report.
function withReport(log, cfg, fn, before = () => {}) {
	const fr = fakeRunner();
	const out = new Capture();
	const runner = new Runner(fr.env, out);
	try {
		before(runner);
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

const FAIL_ON_BLOCK =
	/^::error title=moat::\d+ connections and DNS queries were blocked, and fail-on-block is true/;

test('fail-on-block fails the post step, within ten errors', { skip }, () => {
	withReport(ENFORCE_LOG, { failOnBlock: true }, ({ out, runner }) => {
		const errors = out.lines('error');
		assert.equal(runner.failed, true);
		assert.ok(errors.length <= LIMIT, `${errors.length} errors`);
		assert.match(errors.at(-1), FAIL_ON_BLOCK);
		assert.match(errors.at(-2),
			/^::error title=moat blocked more::\d+ more destinations/);
	});
});

test('errors printed before the report leave fail-on-block its room',
	{ skip }, () => {
		const before = (runner) => {
			runner.fail('moat did not stop cleanly');
			runner.error('a second error');
		};
		withReport(ENFORCE_LOG, { failOnBlock: true }, ({ out }) => {
			const errors = out.lines('error');
			assert.equal(errors.length, LIMIT);
			assert.match(errors[0], /did not stop cleanly/);
			assert.match(errors.at(-1), FAIL_ON_BLOCK);
			assert.match(errors.at(-2), /title=moat blocked more::/);
		}, before);
	});

test('audit mode counts warnings printed before it', { skip }, () => {
	const before = (runner) => runner.warning('no markdown summary');
	withReport(AUDIT_LOG, { failOnBlock: true }, ({ out }) => {
		assert.ok(out.lines('warning').length <= LIMIT,
			`${out.lines('warning').length} warnings`);
		assert.equal(out.lines('error').length, 1, 'fail-on-block');
	}, before);
});

// Twelve destinations, each blocked once, from one step.
function manyBlocked(mode) {
	const rows = Array.from({ length: 12 }, (_, i) => ({
		status: mode === 'audit' ? 'would_block' : 'blocked',
		destination: `host${i}.example`, port: 443, proto: 'tcp',
		count: 1, process: 'curl',
	}));
	return { mode, groups: [{ scope: 'step', step: 2, name: 'x', rows }] };
}

function annotateAfter(already, reserve) {
	const out = new Capture();
	const runner = new Runner({}, out);
	for (let i = 0; i < already; i++)
		runner.error(`earlier ${i}`);
	annotate(manyBlocked('enforce'), runner, { error: reserve });
	return out.lines('error').slice(already);
}

test('annotations fit what room is left, the count line last', () => {
	for (let already = 0; already <= LIMIT; already++) {
		for (const reserve of [0, 1]) {
			const room = Math.max(LIMIT - already - reserve, 0);
			const lines = annotateAfter(already, reserve);
			assert.equal(lines.length, room,
				`${already} printed before, ${reserve} kept`);
			if (room > 0)
				assert.match(lines.at(-1), new RegExp(
					`title=moat blocked more::${13 - room} more`));
		}
	}
});

test('every destination is annotated when all fit', () => {
	const out = new Capture();
	const runner = new Runner({}, out);
	const data = manyBlocked('enforce');
	data.groups[0].rows.length = 10;
	annotate(data, runner);
	assert.equal(out.lines('error').length, 10);
	assert.ok(!out.text.includes('more destinations'));
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
