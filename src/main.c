// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* main.c - the moat command: dispatch to a subcommand */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "options.h"

static const char usage[] =
	"Usage: moat COMMAND [OPTIONS]\n"
	"\n"
	"An egress firewall: only the hosts a policy names can be reached.\n"
	"\n"
	"Commands:\n"
	"  start [POLICY] [PLACEMENT]   guard this host until SIGINT/SIGTERM\n"
	"  stop [--pid-file F] [--timeout S]\n"
	"  wait-ready [--ready-file F] [--timeout S]\n"
	"  check [POLICY] [HOST...]     validate a policy, explain verdicts\n"
	"  summary --audit-log F [--format markdown|json]\n"
	"  run [POLICY] -- CMD [ARG...]  confine one command\n"
	"\n"
	"moat COMMAND --help describes each command.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "start", cmd_start },		  { "stop", cmd_stop },
	{ "wait-ready", cmd_wait_ready }, { "check", cmd_check },
	{ "summary", cmd_summary },	  { "run", cmd_run },
};

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("moat %s\n", MOAT_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);

	pr_err("unknown command '%s'; see 'moat --help'", argv[1]);
	return EXIT_USAGE;
}
