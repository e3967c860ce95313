// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// runner.js - the GitHub Actions runner's protocol, spoken directly: inputs
// from the environment, outputs and state through files, annotations and
// log groups through workflow commands on stdout.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');

// A problem the user can fix; its message becomes an error annotation.
class ActionError extends Error {}

// Bad inputs or a bad policy: the step fails, whatever fail-on-unsupported.
class InputError extends ActionError {}

// A binary that does not verify is never run, and the step fails.
class IntegrityError extends ActionError {}

// The runner passes `with:` values as INPUT_<NAME>, hyphens kept.
function input(env, name) {
	const value = env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`];
	return (value || '').trim();
}

// YAML 1.2's core booleans, as the runner's own toolkit reads them.
function boolInput(env, name, fallback) {
	const value = input(env, name);
	if (value === '')
		return fallback;
	if (['true', 'True', 'TRUE'].includes(value))
		return true;
	if (['false', 'False', 'FALSE'].includes(value))
		return false;
	throw new InputError(
		`input ${name}: '${value}' is not a boolean; write true or false`);
}

// One entry per line or comma; blank lines and # comments are skipped.
function listInput(env, name) {
	return input(env, name)
		.split('\n')
		.map((line) => line.replace(/(^|\s)#.*$/, ''))
		.flatMap((line) => line.split(','))
		.map((entry) => entry.trim())
		.filter((entry) => entry !== '');
}

// Workflow-command escaping, as the runner unescapes it.
function escapeData(text) {
	return String(text)
		.replace(/%/g, '%25')
		.replace(/\r/g, '%0D')
		.replace(/\n/g, '%0A');
}

function escapeProperty(text) {
	return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

class Runner {
	constructor(env, out) {
		this.env = env;
		this.out = out || process.stdout;
		this.failed = false;
		this.counts = {};
	}

	// How many `kind` (error, warning, notice) lines this step has printed.
	annotations(kind) {
		return this.counts[kind] || 0;
	}

	command(name, props, message) {
		this.counts[name] = this.annotations(name) + 1;
		const list = Object.entries(props || {})
			.filter(([, v]) => v !== undefined && v !== '')
			.map(([k, v]) => `${k}=${escapeProperty(v)}`)
			.join(',');
		this.out.write(`::${name}${list ? ' ' + list : ''}::` +
			`${escapeData(message)}\n`);
	}

	info(message) {
		// A line of ours that starts with "::" would be read as a command.
		this.out.write(String(message).replace(/^::/gm, ': :') + '\n');
	}

	debug(message) {
		this.command('debug', null, message);
	}

	notice(message, props) {
		this.command('notice', props, message);
	}

	warning(message, props) {
		this.command('warning', props, message);
	}

	error(message, props) {
		this.command('error', props, message);
	}

	fail(message) {
		this.error(message, { title: 'moat' });
		this.failed = true;
	}

	group(title, fn) {
		this.out.write(`::group::${escapeData(title)}\n`);
		try {
			return fn();
		} finally {
			this.out.write('::endgroup::\n');
		}
	}

	/*
	 * Text from outside (a daemon's log, which holds names from DNS
	 * traffic) is printed with workflow commands switched off, so that a
	 * name like "::add-mask::" cannot act on the job.
	 */
	untrusted(text) {
		const token = crypto.randomBytes(16).toString('hex');
		this.out.write(`::stop-commands::${token}\n`);
		this.out.write(text.endsWith('\n') || text === '' ? text :
			text + '\n');
		this.out.write(`::${token}::\n`);
	}

	// GITHUB_OUTPUT and GITHUB_STATE take name<<DELIMITER blocks.
	fileCommand(variable, name, value) {
		const file = this.env[variable];
		if (!file)
			throw new ActionError(`${variable} is not set: is this running as a step of a GitHub Actions job?`);
		const text = String(value);
		const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
		if (text.includes(delimiter) || name.includes(delimiter))
			throw new ActionError(`${variable}: value holds its own delimiter`);
		fs.appendFileSync(file,
			`${name}<<${delimiter}\n${text}\n${delimiter}\n`);
	}

	setOutput(name, value) {
		this.fileCommand('GITHUB_OUTPUT', name, value);
	}

	saveState(name, value) {
		this.fileCommand('GITHUB_STATE', name, value);
	}

	state(name) {
		return this.env[`STATE_${name}`] || '';
	}

	appendSummary(markdown) {
		const file = this.env.GITHUB_STEP_SUMMARY;
		if (!file)
			return false;
		fs.appendFileSync(file, markdown.endsWith('\n') ? markdown :
			markdown + '\n');
		return true;
	}
}

module.exports = {
	ActionError,
	InputError,
	IntegrityError,
	Runner,
	boolInput,
	escapeData,
	escapeProperty,
	input,
	listInput,
};
