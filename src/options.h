/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* options.h - the command line's POLICY and PLACEMENT options, parsed once */
#ifndef MOAT_OPTIONS_H
#define MOAT_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "lockdown.h"
#include "policy.h"

/* Which option groups a command accepts. */
#define OPTS_POLICY 0x1
#define OPTS_PLACEMENT 0x2
#define OPTS_RUN 0x4 /* moat run's own */
#define OPTS_CHECK 0x8 /* moat check's own */

#define MOAT_RUN_DIR "/run/moat"
#define MOAT_DEFAULT_PID_FILE MOAT_RUN_DIR "/moat.pid"
#define MOAT_DEFAULT_READY_FILE MOAT_RUN_DIR "/ready"

struct options {
	struct policy policy;
	/* PLACEMENT */
	const char *interface; /* NULL: the default route's */
	const char *cgroup; /* NULL: the cgroup v2 root */
	struct endpoint dns_listen;
	const char *audit_log;
	const char *pid_file;
	const char *ready_file;
	uint32_t min_ttl; /* learned addresses live this long at least, */
	uint32_t ttl_grace; /* and this much past their TTL */
	uint32_t max_addresses; /* room in the datapath for learned ones */
	bool github;
	const char *github_hosts; /* NULL: the default list */
	/* sudo lockdown */
	bool sudo_lockdown;
	struct lockdown_opts lockdown;
	/* moat run */
	const char *run_user; /* NULL: the user who ran sudo */
	const char *summary_file; /* the markdown report, at exit */
	/* moat check */
	bool explain;
	/* common */
	int verbose;
	char **args; /* operands after the options */
	int nargs;
};

/* The POLICY options' help, for the commands that take them. */
#define OPTIONS_POLICY_HELP                                                    \
	"POLICY options:\n"                                                    \
	"  --config FILE          JSON policy file (schema in the README)\n"   \
	"  --allow HOST[:PORTS]   allow a host and every name under it;\n"     \
	"                         '*' is one label, '**' one or more\n"        \
	"  --allow-cidr CIDR[:PORTS]\n"                                        \
	"  --deny HOST[:PORTS]    deny rules win over allow rules\n"           \
	"  --deny-cidr CIDR[:PORTS]\n"                                         \
	"  --mode enforce|audit   audit blocks nothing and logs would_block\n" \
	"  --upstream ADDR[:PORT] upstream resolver (default: the system's)\n"

#define OPTIONS_PORTS_HELP \
	"  PORTS is PORT[/tcp|/udp] joined with ';', as in 'example.com:443'\n"

/* Exit statuses of the contract. */
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/*
 * Parse argv (argv[0] is the command's name, "start"...) into opts. On
 * error prints one message naming the offending option or rule and
 * returns EXIT_USAGE; prints the command's help and returns -1 for
 * --help; returns 0 otherwise. opts must be released with options_fini().
 */
int options_parse(const char *command, const char *help, unsigned int groups,
		  int argc, char **argv, struct options *opts);
void options_fini(struct options *opts);

#endif /* MOAT_OPTIONS_H */
