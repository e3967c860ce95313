/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* daemon.h - `moat start`: set everything up, run, and undo it all */
#ifndef MOAT_DAEMON_H
#define MOAT_DAEMON_H

#include "options.h"

/*
 * Guard the host until SIGINT or SIGTERM, then remove everything moat
 * installed. Returns the process exit status.
 */
int daemon_run(struct options *opts);

#endif /* MOAT_DAEMON_H */
