// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// inputs.js - the action's inputs, read and checked once, and turned into
// moat's command line.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const { InputError, boolInput, input, listInput } = require('./runner');

const MODES = ['enforce', 'audit'];

// Inputs that hold lists of hosts or addresses, by the name cfg gives them.
const LISTS = {
	allowedHosts: 'allowed-hosts',
	allowedCidrs: 'allowed-cidrs',
	deniedHosts: 'denied-hosts',
	deniedCidrs: 'denied-cidrs',
	githubServiceHosts: 'github-service-hosts',
	dnsUpstream: 'dns-upstream',
};

/*
 * What can be told before moat is at hand. Each entry becomes one argv
 * element after its flag, so no entry is ever read as an option of its
 * own; the rule syntax itself is checked by `moat check`, which names the
 * rule and what is wrong with it.
 */
function checkEntries(name, entries) {
	for (const entry of entries) {
		if (/\s/.test(entry))
			throw new InputError(`input ${name}: '${entry}' holds a space; put one entry on each line or separate them with commas`);
		if (entry.startsWith('-'))
			throw new InputError(`input ${name}: '${entry}' is not a host or address`);
	}
	return entries;
}

function existingFile(name, file, workspace) {
	if (file === '')
		return '';
	const full = path.resolve(workspace || process.cwd(), file);
	let st;
	try {
		st = fs.statSync(full);
	} catch (err) {
		throw new InputError(`input ${name}: '${file}': ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
	}
	if (!st.isFile())
		throw new InputError(`input ${name}: '${file}' is not a file`);
	return full;
}

function executable(name, file, workspace) {
	const full = existingFile(name, file, workspace);
	if (full === '')
		return '';
	try {
		fs.accessSync(full, fs.constants.X_OK);
	} catch {
		throw new InputError(`input ${name}: '${file}' is not executable (chmod +x it)`);
	}
	return full;
}

function readInputs(env) {
	const workspace = env.GITHUB_WORKSPACE;
	const mode = input(env, 'mode') || 'enforce';
	if (!MODES.includes(mode))
		throw new InputError(`input mode: '${mode}' is not a mode; use enforce or audit`);

	const cfg = { mode };
	for (const [key, name] of Object.entries(LISTS))
		cfg[key] = checkEntries(name, listInput(env, name));
	Object.assign(cfg, {
		configFile: existingFile('config-file', input(env, 'config-file'),
			workspace),
		sudoLockdown: boolInput(env, 'sudo-lockdown', false),
		sudoAllow: listInput(env, 'sudo-allow-commands'),
		failOnUnsupported: boolInput(env, 'fail-on-unsupported', true),
		failOnBlock: boolInput(env, 'fail-on-block', false),
		summary: boolInput(env, 'summary', true),
		binaryPath: executable('binary-path', input(env, 'binary-path'),
			workspace),
		debug: boolInput(env, 'debug', false) || env.RUNNER_DEBUG === '1',
		extraArgs: input(env, 'extra-args').split(/\s+/)
			.filter((a) => a !== ''),
		token: input(env, 'token'),
	});
	for (const cmd of cfg.sudoAllow)
		if (!cmd.startsWith('/'))
			throw new InputError(`input sudo-allow-commands: '${cmd}' is not an absolute path`);
	if (cfg.sudoAllow.length && !cfg.sudoLockdown)
		throw new InputError('input sudo-allow-commands only means something with sudo-lockdown: true');
	return cfg;
}

// The POLICY part of the command line, the same for check and start.
function policyArgs(cfg) {
	const args = ['--mode', cfg.mode, '--github'];
	if (cfg.configFile)
		args.push('--config', cfg.configFile);
	const flags = [
		['--allow', cfg.allowedHosts],
		['--allow-cidr', cfg.allowedCidrs],
		['--deny', cfg.deniedHosts],
		['--deny-cidr', cfg.deniedCidrs],
		['--upstream', cfg.dnsUpstream],
	];
	for (const [flag, entries] of flags)
		for (const entry of entries)
			args.push(flag, entry);
	if (cfg.githubServiceHosts.length)
		args.push('--github-hosts', cfg.githubServiceHosts.join(','));
	return args;
}

module.exports = { policyArgs, readInputs };
