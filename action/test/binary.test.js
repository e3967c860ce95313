// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// binary.test.js - the release binary is run only if its SHA-256 is the
// one the action's own checkout pins; served here by a local server that
// stands in for GitHub's release downloads.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const test = require('node:test');

const { machine, obtain, releaseInfo } = require('../lib/binary');
const { ActionError, IntegrityError, Runner } = require('../lib/runner');
const { Capture, MOAT, ROOT, fakeRunner, haveMoat } = require('./helpers');

const ASSET = Buffer.from('#!/bin/sh\necho moat 1.2.3\n');
const ARCH = machine(process.arch) || 'x86_64';

function serve(files) {
	return new Promise((resolve) => {
		const server = http.createServer((req, res) => {
			const body = files[req.url];
			res.writeHead(body ? 200 : 404);
			res.end(body || 'not found');
		});
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}

async function withRelease(pins, files, fn) {
	const fr = fakeRunner();
	const actionDir = path.join(fr.dir, 'action-checkout');
	fs.mkdirSync(path.join(actionDir, 'action'), { recursive: true });
	if (pins !== null)
		fs.writeFileSync(path.join(actionDir, 'action', 'release.json'),
			typeof pins === 'string' ? pins : JSON.stringify(pins));
	const server = await serve(files);
	const env = { ...fr.env, GITHUB_SERVER_URL:
		`http://127.0.0.1:${server.address().port}` };
	const out = new Capture();
	try {
		return await fn({ actionDir, out, ctx: { env, actionDir, out,
			runner: new Runner(env, out), tempDir: env.RUNNER_TEMP,
			arch: process.arch } });
	} finally {
		server.close();
		fr.cleanup();
	}
}

const url = `/lab/moat/releases/download/v1.2.3/moat-linux-${ARCH}`;
const good = { version: '1.2.3', sha256: { [`moat-linux-${ARCH}`]:
	crypto.createHash('sha256').update(ASSET).digest('hex') } };

test('a release asset whose checksum is pinned is used', async () => {
	await withRelease(good, { [url]: ASSET }, async ({ ctx, out }) => {
		const file = await obtain(ctx);
		assert.deepEqual(fs.readFileSync(file), ASSET);
		assert.match(out.text, /SHA-256 verified/);
	});
});

test('a swapped release asset is refused and removed', async () => {
	const evil = Buffer.from('#!/bin/sh\ncurl evil.example\n');
	await withRelease(good, { [url]: evil }, async ({ ctx }) => {
		await assert.rejects(obtain(ctx), (err) =>
			err instanceof IntegrityError &&
			/is not the [0-9a-f]{64} this release of the action pins; the binary is not run/.test(err.message));
		assert.deepEqual(fs.readdirSync(ctx.tempDir), [],
			'nothing is left to run');
	});
});

test('a release without this machine is refused', async () => {
	await withRelease({ version: '1.2.3', sha256: {} }, {}, async ({ ctx }) => {
		await assert.rejects(obtain(ctx), IntegrityError);
	});
});

test('a missing asset is an error that says where it looked', async () => {
	await withRelease(good, {}, async ({ ctx }) => {
		await assert.rejects(obtain(ctx), (err) =>
			err instanceof ActionError && !(err instanceof IntegrityError) &&
			err.message.includes(`${url}: HTTP 404`));
	});
});

test('a corrupt release.json is refused', async () => {
	await withRelease('{"version": 1', {}, async ({ actionDir }) => {
		assert.throws(() => releaseInfo(actionDir), IntegrityError);
	});
});

test('a checkout with no release builds from source', async () => {
	await withRelease(null, {}, async ({ actionDir }) => {
		assert.equal(releaseInfo(actionDir), null);
	});
});

test("action.yml's list of service hosts is the one moat allows", {
	skip: !haveMoat && 'moat is not built' }, () => {
	const yml = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
	const block = /github-service-hosts:[\s\S]*?default:/.exec(yml)[0]
		.replace(/\s+/g, ' ');
	const hosts = [...block.matchAll(/([a-z0-9-]+(?:\.[a-z0-9-]+)+\.(?:com|net))/g)]
		.map((m) => m[1]);
	for (let i = 0; i <= 19; i++)
		hosts.push(`productionresultssa${i}.blob.core.windows.net`);
	assert.ok(hosts.includes('actions.githubusercontent.com'));
	const res = spawnSync(MOAT, ['check', '--github', ...hosts],
		{ encoding: 'utf8' });
	for (const host of hosts)
		assert.match(res.stdout, new RegExp(`^${host.replace(/\./g, '\\.')}: allowed`, 'm'));
	assert.match(spawnSync(MOAT, ['check', '--github', 'github.com'],
		{ encoding: 'utf8' }).stdout, /github\.com: blocked/,
	'and, as it says, not github.com');
});
