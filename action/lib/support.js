// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// support.js - can moat run here? Each answer says what is missing.
'use strict';

const fs = require('node:fs');
const os = require('node:os');

const { isRoot, run } = require('./exec');

// moat's classifier, hooks and BTF-typed tracepoints need 5.15 or later.
const MIN_KERNEL = [5, 15];

function kernelTooOld(release) {
	const m = /^(\d+)\.(\d+)/.exec(release);
	if (!m)
		return false;
	const [major, minor] = [Number(m[1]), Number(m[2])];
	return major < MIN_KERNEL[0] ||
		(major === MIN_KERNEL[0] && minor < MIN_KERNEL[1]);
}

function hasCgroup2() {
	try {
		return fs.readFileSync('/proc/mounts', 'utf8').split('\n')
			.some((line) => line.split(' ')[2] === 'cgroup2');
	} catch {
		return false;
	}
}

/* Why moat cannot run on this machine, or null when it can. */
function unsupportedReason() {
	if (process.platform !== 'linux')
		return `moat runs on Linux runners only, not ${process.platform}`;
	if (kernelTooOld(os.release()))
		return `kernel ${os.release()} is older than ${MIN_KERNEL.join('.')}`;
	if (!fs.existsSync('/sys/kernel/btf/vmlinux'))
		return 'the kernel has no BTF (/sys/kernel/btf/vmlinux is missing)';
	if (!hasCgroup2())
		return 'no cgroup v2 hierarchy is mounted';
	if (!isRoot() && run(['sudo', '-n', 'true']).status !== 0)
		return 'moat needs root: the job runs as a user without password-less sudo';
	return null;
}

module.exports = { kernelTooOld, unsupportedReason };
