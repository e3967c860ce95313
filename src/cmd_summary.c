// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_summary.c - `moat summary`: the audit log as a report */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ghapi.h"
#include "log.h"
#include "options.h"
#include "summary.h"

static const char summary_help[] =
	"Usage: moat summary --audit-log FILE [--format markdown|json]\n"
	"                    [--max-rows N]\n"
	"\n"
	"Report what an audit log holds, per workflow step: totals, each\n"
	"step's destinations with their status and process (blocked first),\n"
	"and in audit mode an allowlist to paste into the workflow.\n"
	"Markdown (the default) is written for $GITHUB_STEP_SUMMARY; JSON\n"
	"carries the same data, every row included.\n"
	"\n"
	"  --audit-log FILE   the NDJSON audit log of moat start\n"
	"  --format FORMAT    markdown or json\n"
	"  --max-rows N       rows per markdown table (default 20)\n"
	"  --github-api       take step names and results from the GitHub API\n"
	"                     (needs GITHUB_TOKEN with actions: read)\n";

struct summary_opts {
	const char *log;
	bool json;
	bool github_api;
	size_t max_rows;
};

static int parse(int argc, char **argv, struct summary_opts *so)
{
	static const struct option longopts[] = {
		{ "audit-log", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ "max-rows", required_argument, NULL, 'm' },
		{ "github-api", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long rows;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(summary_help, stdout);
			return -1;
		case 'a':
			so->log = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "markdown") &&
			    strcmp(optarg, "json")) {
				pr_err("moat summary: --format '%s': expected 'markdown' or 'json'",
				       optarg);
				return EXIT_USAGE;
			}
			so->json = !strcmp(optarg, "json");
			break;
		case 'g':
			so->github_api = true;
			break;
		case 'm':
			rows = strtol(optarg, &end, 10);
			if (*end || end == optarg || rows < 1) {
				pr_err("moat summary: --max-rows '%s': expected a positive number",
				       optarg);
				return EXIT_USAGE;
			}
			so->max_rows = (size_t)rows;
			break;
		default:
			pr_err("moat summary: unknown option '%s'; see 'moat summary --help'",
			       argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (!so->log) {
		pr_err("moat summary: --audit-log FILE is required");
		return EXIT_USAGE;
	}
	return 0;
}

/* The API only adds names and results: a failure leaves the log's own. */
static void enrich(struct summary *s)
{
	struct ghapi_step *steps = calloc(GHAPI_STEPS_MAX, sizeof(*steps));
	int i, n;

	n = steps ? ghapi_job_steps(steps, GHAPI_STEPS_MAX) : -ENOMEM;
	if (n < 0)
		pr_warn("step names come from the runner's log only");
	for (i = 0; i < n; i++)
		summary__set_step(s, steps[i].number, steps[i].name,
				  steps[i].conclusion);
	free(steps);
}

int cmd_summary(int argc, char **argv)
{
	struct summary_opts so = { .max_rows = SUMMARY_ROWS_DEFAULT };
	struct summary *s = NULL;
	FILE *f = NULL;
	int ret;

	ret = parse(argc, argv, &so);
	if (ret)
		return ret < 0 ? 0 : ret;

	f = fopen(so.log, "r");
	if (!f) {
		pr_err("audit log '%s': %s", so.log, strerror(errno));
		return EXIT_RUNTIME;
	}
	s = summary__new();
	ret = s ? summary__add_file(s, f) : -ENOMEM;
	if (!ret && so.github_api)
		enrich(s);
	if (!ret)
		ret = so.json ? summary__json(s, stdout) :
				summary__markdown(s, stdout, so.max_rows);
	if (ret)
		pr_err("audit log '%s': %s", so.log, errstr(ret));
	summary__free(s);
	fclose(f);
	return ret ? EXIT_RUNTIME : 0;
}
