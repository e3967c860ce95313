// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// report.js - annotations for what moat blocked, from `moat summary
// --format json`, grouped by destination and kept under GitHub's limits.
'use strict';

const net = require('node:net');

/*
 * GitHub shows at most 10 error and 10 warning annotations per step, and
 * drops the rest without a word.
 */
const ANNOTATION_LIMIT = 10;

/*
 * The host's own services (the VM's agents, started outside the runner)
 * are in the summary but neither annotated nor counted against the job:
 * the job did not start them.
 */
function jobGroups(data) {
	return (data.groups || []).filter((g) => g.scope !== 'host');
}

function isBlocked(row) {
	return row.status === 'blocked' || row.status === 'would_block';
}

function where(group) {
	if (group.scope === 'step')
		return group.step ? `step ${group.step}${group.name ? ` (${group.name})` : ''}` :
			'a step moat could not name';
	return {
		pre_existing: 'a process older than moat',
		runner: 'the runner',
		moat: 'moat',
		forwarded: 'a container or namespace behind NAT',
		unattributed: 'a socket no hook saw',
	}[group.scope] || group.scope;
}

function destination(row) {
	if (row.proto === 'dns')
		return `${row.destination} (DNS)`;
	return row.port === null || row.port === undefined ?
		`${row.destination} ${row.proto}` :
		`${row.destination}:${row.port}/${row.proto}`;
}

// One entry per destination, with every step and process that tried it.
function blockedDestinations(data) {
	const byDest = new Map();
	for (const group of jobGroups(data)) {
		for (const row of group.rows || []) {
			if (!isBlocked(row))
				continue;
			const key = destination(row);
			const entry = byDest.get(key) || {
				key,
				count: 0,
				who: new Set(),
				address: net.isIP(row.destination) !== 0,
			};
			entry.count += row.count || 1;
			entry.who.add(`${row.process || 'unknown process'} in ${where(group)}`);
			byDest.set(key, entry);
		}
	}
	return [...byDest.values()].sort((a, b) => b.count - a.count ||
		a.key.localeCompare(b.key));
}

function blockedCount(data) {
	let n = 0;
	for (const group of jobGroups(data))
		for (const row of group.rows || [])
			if (isBlocked(row))
				n += row.count || 1;
	return n;
}

/*
 * One annotation per destination, as many as fit beside the lines of the
 * same kind that the step has printed already and those it is yet to
 * print, reserve[kind] (`{ error: 1 }` for the fail-on-block error); if
 * not all fit, the last one that does says how many more there were.
 */
function annotate(data, runner, reserve = {}) {
	const audit = data.mode === 'audit';
	const kind = audit ? 'warning' : 'error';
	const list = blockedDestinations(data);
	const emit = runner[kind].bind(runner);
	const verb = audit ? 'would block' : 'blocked';
	const room = ANNOTATION_LIMIT - runner.annotations(kind) -
		(reserve[kind] || 0);
	const shown = list.length <= room ? list.length : Math.max(room - 1, 0);

	for (const entry of list.slice(0, shown)) {
		const times = entry.count === 1 ? 'once' : `${entry.count} times`;
		const input = entry.address ? 'allowed-cidrs' : 'allowed-hosts';
		const advice = audit ?
			`To allow it, add it to ${input} (the job summary has a recommended allowlist).` :
			`If the job needs it, add it to ${input}.`;
		emit(`${[...entry.who].join('; ')}: ${times}. ${advice}`,
			{ title: `moat ${verb} ${entry.key}` });
	}
	if (list.length > shown && room > 0)
		emit(`${list.length - shown} more destinations; the job summary lists them all`,
			{ title: `moat ${verb} more` });
}

module.exports = { annotate, blockedCount, blockedDestinations };
