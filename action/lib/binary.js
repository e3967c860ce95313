// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// binary.js - find the moat binary this step runs, and prove it is the
// right one before it runs as root.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { ActionError, IntegrityError } = require('./runner');
const { asRoot, describe, run } = require('./exec');

// Where the binary that runs as root lives: a folder only root can
// change, because the job's user may later run it as `sudo moat stop`.
const INSTALL_DIR = '/usr/local/lib/moat-action';
const INSTALLED = `${INSTALL_DIR}/moat`;

function machine(arch) {
	return { x64: 'x86_64', arm64: 'aarch64' }[arch] || null;
}

function sha256(file) {
	return crypto.createHash('sha256').update(fs.readFileSync(file))
		.digest('hex');
}

/*
 * The release this checkout of the action belongs to. The release
 * workflow commits it, with each asset's SHA-256, into the tagged commit
 * itself: a workflow that pins the action by tag or commit pins the
 * binary too, and a release asset swapped later does not verify.
 */
function releaseInfo(actionDir) {
	const file = path.join(actionDir, 'action', 'release.json');
	let text;
	try {
		text = fs.readFileSync(file, 'utf8');
	} catch (err) {
		if (err.code === 'ENOENT')
			return null;
		throw err;
	}
	let info;
	try {
		info = JSON.parse(text);
	} catch (err) {
		throw new IntegrityError(`${file}: not JSON: ${err.message}`);
	}
	if (typeof info.version !== 'string' || !/^\d+\.\d+\.\d+$/.test(info.version) ||
	    typeof info.sha256 !== 'object' || info.sha256 === null)
		throw new IntegrityError(`${file}: needs a version and a sha256 table`);
	return info;
}

async function download(url, dest) {
	let body;
	try {
		const res = await fetch(url, { redirect: 'follow' });
		if (!res.ok)
			throw new ActionError(`${url}: HTTP ${res.status}`);
		body = Buffer.from(await res.arrayBuffer());
	} catch (err) {
		if (err instanceof ActionError)
			throw err;
		throw new ActionError(`${url}: ${err.cause ? err.cause.message : err.message}`);
	}
	fs.writeFileSync(dest, body, { mode: 0o700 });
}

/*
 * The build attestation ties the asset to this repository's release
 * workflow. gh needs a token for it; without gh or a token the pinned
 * checksum stands alone, and the log says so.
 */
function verifyAttestation(file, repo, token, runner) {
	const probe = run(['gh', '--version']);
	if (probe.status !== 0) {
		runner.info('gh is not installed: the release checksum alone vouches for the binary');
		return;
	}
	if (!token) {
		runner.info('no token: skipping the build attestation check; the release checksum vouches for the binary');
		return;
	}
	const argv = ['gh', 'attestation', 'verify', file, '--repo', repo];
	const res = run(argv, { env: { ...process.env, GH_TOKEN: token } });
	if (res.status !== 0)
		throw new IntegrityError(`the release binary's build attestation does not verify, so it is not run: ${describe(argv, res)}`);
	runner.info(`build attestation verified for ${repo}`);
}

async function fromRelease(info, ctx) {
	const { env, runner } = ctx;
	const arch = machine(ctx.arch || process.arch);
	if (!arch)
		throw new ActionError(`no release binary for ${process.arch}; set binary-path to a moat built for it`);
	const want = info.sha256[`moat-linux-${arch}`];
	if (typeof want !== 'string' || !/^[0-9a-f]{64}$/.test(want))
		throw new IntegrityError(`release ${info.version} has no checksum for moat-linux-${arch}`);
	const repo = env.GITHUB_ACTION_REPOSITORY;
	if (!repo)
		throw new ActionError('GITHUB_ACTION_REPOSITORY is not set: cannot tell which release to download');
	const server = (env.GITHUB_SERVER_URL || 'https://github.com')
		.replace(/\/+$/, '');
	const url = `${server}/${repo}/releases/download/v${info.version}/moat-linux-${arch}`;
	const dest = path.join(ctx.tempDir, `moat-linux-${arch}`);

	runner.info(`downloading ${url}`);
	await download(url, dest);
	const got = sha256(dest);
	if (got !== want) {
		fs.rmSync(dest, { force: true });
		throw new IntegrityError(`${url}: SHA-256 ${got} is not the ${want} this release of the action pins; the binary is not run`);
	}
	runner.info(`SHA-256 verified: ${got}`);
	verifyAttestation(dest, repo, ctx.token, runner);
	return dest;
}

// No release: build the checkout the workflow pinned, with apt's tools.
function fromSource(ctx) {
	const { actionDir, runner } = ctx;
	const steps = [
		asRoot([path.join(actionDir, 'scripts', 'install-deps.sh'),
			'--build']),
		['make', '-C', actionDir, '-j2', 'moat'],
	];
	for (const argv of steps) {
		const res = runner.group(`moat: ${argv.join(' ')}`, () => {
			const r = run(argv);
			runner.untrusted(r.stdout + r.stderr);
			return r;
		});
		if (res.status !== 0)
			throw new ActionError(`building moat from the action's checkout failed: ${describe(argv, res)}`);
	}
	return path.join(actionDir, 'moat');
}

/*
 * binary-path when given (the user vouches for it), else the release
 * this checkout names, verified, else a build of the checkout.
 */
async function obtain(ctx) {
	if (ctx.binaryPath)
		return ctx.binaryPath;
	const info = releaseInfo(ctx.actionDir);
	if (info)
		return fromRelease(info, ctx);
	ctx.runner.info('this checkout of the action names no release: building moat from it');
	return fromSource(ctx);
}

// Copied where only root can change it, since root will run it.
function install(file) {
	const argv = asRoot(['install', '-D', '-o', 'root', '-g', 'root',
		'-m', '0755', file, INSTALLED]);
	const res = run(argv);
	if (res.status !== 0)
		throw new ActionError(`cannot install moat: ${describe(argv, res)}`);
	return INSTALLED;
}

function uninstall(runner) {
	const argv = asRoot(['rm', '-rf', '--', INSTALL_DIR]);
	const res = run(argv);
	if (res.status !== 0)
		runner.warning(`cannot remove ${INSTALL_DIR}: ${describe(argv, res)}`);
}

module.exports = {
	INSTALLED,
	install,
	uninstall,
	machine,
	obtain,
	releaseInfo,
	sha256,
};
