// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
// paths.js - where the daemon's files are: root's run folder, so that no
// step can swap them, and the daemon's log in the runner's temp folder.
'use strict';

const os = require('node:os');
const path = require('node:path');

const RUN_DIR = '/run/moat';

module.exports = {
	AUDIT_LOG: `${RUN_DIR}/audit.ndjson`,
	READY_FILE: `${RUN_DIR}/ready`,
	daemonLog: (env) => path.join(env.RUNNER_TEMP || os.tmpdir(),
		'moat-daemon.log'),
};
