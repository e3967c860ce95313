// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* options.c - the command line's POLICY and PLACEMENT options, parsed once */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist.h"
#include "github.h"
#include "log.h"
#include "options.h"

enum {
	OPT_CONFIG = 256,
	OPT_ALLOW,
	OPT_ALLOW_CIDR,
	OPT_DENY,
	OPT_DENY_CIDR,
	OPT_MODE,
	OPT_UPSTREAM,
	OPT_INTERFACE,
	OPT_CGROUP,
	OPT_DNS_LISTEN,
	OPT_AUDIT_LOG,
	OPT_PID_FILE,
	OPT_READY_FILE,
	OPT_GITHUB,
	OPT_GITHUB_HOSTS,
	OPT_SUDO_LOCKDOWN,
	OPT_SUDO_USER,
	OPT_SUDO_ALLOW,
	OPT_MIN_TTL,
	OPT_TTL_GRACE,
	OPT_MAX_ADDRESSES,
	OPT_USER,
	OPT_SUMMARY,
	OPT_EXPLAIN,
};

struct option_def {
	struct option opt;
	unsigned int group;
};

static const struct option_def option_defs[] = {
	{ { "config", required_argument, NULL, OPT_CONFIG }, OPTS_POLICY },
	{ { "allow", required_argument, NULL, OPT_ALLOW }, OPTS_POLICY },
	{ { "allow-cidr", required_argument, NULL, OPT_ALLOW_CIDR },
	  OPTS_POLICY },
	{ { "deny", required_argument, NULL, OPT_DENY }, OPTS_POLICY },
	{ { "deny-cidr", required_argument, NULL, OPT_DENY_CIDR },
	  OPTS_POLICY },
	{ { "mode", required_argument, NULL, OPT_MODE }, OPTS_POLICY },
	{ { "upstream", required_argument, NULL, OPT_UPSTREAM }, OPTS_POLICY },
	{ { "interface", required_argument, NULL, OPT_INTERFACE },
	  OPTS_PLACEMENT },
	{ { "cgroup", required_argument, NULL, OPT_CGROUP },
	  OPTS_PLACEMENT | OPTS_RUN },
	{ { "dns-listen", required_argument, NULL, OPT_DNS_LISTEN },
	  OPTS_PLACEMENT },
	{ { "audit-log", required_argument, NULL, OPT_AUDIT_LOG },
	  OPTS_PLACEMENT | OPTS_RUN },
	{ { "pid-file", required_argument, NULL, OPT_PID_FILE },
	  OPTS_PLACEMENT },
	{ { "ready-file", required_argument, NULL, OPT_READY_FILE },
	  OPTS_PLACEMENT },
	/* Both: it names steps, and it allows the hosts a job needs. */
	{ { "github", no_argument, NULL, OPT_GITHUB },
	  OPTS_POLICY | OPTS_PLACEMENT },
	{ { "github-hosts", required_argument, NULL, OPT_GITHUB_HOSTS },
	  OPTS_POLICY },
	{ { "sudo-lockdown", no_argument, NULL, OPT_SUDO_LOCKDOWN },
	  OPTS_PLACEMENT },
	{ { "sudo-user", required_argument, NULL, OPT_SUDO_USER },
	  OPTS_PLACEMENT },
	{ { "sudo-allow", required_argument, NULL, OPT_SUDO_ALLOW },
	  OPTS_PLACEMENT },
	{ { "min-ttl", required_argument, NULL, OPT_MIN_TTL },
	  OPTS_PLACEMENT | OPTS_RUN },
	{ { "ttl-grace", required_argument, NULL, OPT_TTL_GRACE },
	  OPTS_PLACEMENT | OPTS_RUN },
	{ { "max-addresses", required_argument, NULL, OPT_MAX_ADDRESSES },
	  OPTS_PLACEMENT | OPTS_RUN },
	{ { "user", required_argument, NULL, OPT_USER }, OPTS_RUN },
	{ { "summary", required_argument, NULL, OPT_SUMMARY }, OPTS_RUN },
	{ { "explain", no_argument, NULL, OPT_EXPLAIN }, OPTS_CHECK },
	{ { "verbose", no_argument, NULL, 'v' }, 0 },
	{ { "help", no_argument, NULL, 'h' }, 0 },
};

#define NDEFS (sizeof(option_defs) / sizeof(option_defs[0]))

/* Later flags win over a policy file for single values; collect them. */
struct pending {
	const char *mode;
	const char *upstreams[POLICY_UPSTREAMS_MAX + 1];
	size_t nupstreams;
};

static size_t build_longopts(unsigned int groups, struct option *out)
{
	size_t i, n = 0;

	for (i = 0; i < NDEFS; i++)
		if (!option_defs[i].group || (option_defs[i].group & groups))
			out[n++] = option_defs[i].opt;
	memset(&out[n], 0, sizeof(out[n]));
	return n;
}

static int add_rule(struct options *o, enum rule_effect effect,
		    enum rule_kind kind, const char *flag, const char *arg)
{
	char err[POLICY_ERR_MAX];
	int ret;

	ret = policy__add_rule(&o->policy, effect, kind, arg, flag, err,
			       sizeof(err));
	if (ret)
		pr_err("%s", err);
	return ret;
}

static int add_sudo_allow(struct options *o, const char *arg)
{
	const char *why;

	if (o->lockdown.nallow == LOCKDOWN_ALLOW_MAX) {
		pr_err("--sudo-allow: at most %d commands", LOCKDOWN_ALLOW_MAX);
		return -EINVAL;
	}
	if (lockdown_check_command(arg, &why)) {
		pr_err("--sudo-allow '%s': %s", arg, why);
		return -EINVAL;
	}
	o->lockdown.allow[o->lockdown.nallow++] = arg;
	return 0;
}

/* A whole number in [min, max], for flag. */
static int parse_count(const char *flag, const char *arg, unsigned long min,
		       unsigned long max, uint32_t *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < min ||
	    v > max) {
		pr_err("%s '%s': expected a whole number from %lu to %lu", flag,
		       arg, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_placement(struct options *o, int opt, const char *arg)
{
	const char *why;

	switch (opt) {
	case OPT_MIN_TTL:
		return parse_count("--min-ttl", arg, 0, 86400, &o->min_ttl);
	case OPT_TTL_GRACE:
		return parse_count("--ttl-grace", arg, 0, 86400, &o->ttl_grace);
	case OPT_MAX_ADDRESSES:
		return parse_count("--max-addresses", arg, 1, 1 << 20,
				   &o->max_addresses);
	case OPT_INTERFACE:
		o->interface = arg;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case OPT_DNS_LISTEN:
		if (endpoint_parse(arg, 53, &o->dns_listen, &why)) {
			pr_err("--dns-listen '%s': %s", arg, why);
			return -EINVAL;
		}
		return 0;
	case OPT_AUDIT_LOG:
		o->audit_log = arg;
		return 0;
	case OPT_PID_FILE:
		o->pid_file = arg;
		return 0;
	case OPT_READY_FILE:
		o->ready_file = arg;
		return 0;
	case OPT_SUDO_LOCKDOWN:
		o->sudo_lockdown = true;
		return 0;
	case OPT_SUDO_USER:
		o->lockdown.user = arg;
		return 0;
	case OPT_SUDO_ALLOW:
		return add_sudo_allow(o, arg);
	case OPT_USER:
		o->run_user = arg;
		return 0;
	case OPT_SUMMARY:
		o->summary_file = arg;
		return 0;
	case OPT_EXPLAIN:
		o->explain = true;
		return 0;
	}
	return -EINVAL;
}

static int parse_one(struct options *o, struct pending *pend, int opt,
		     const char *arg)
{
	char err[POLICY_ERR_MAX];
	int ret;

	switch (opt) {
	case OPT_CONFIG:
		ret = policy__load_file(&o->policy, arg, err, sizeof(err));
		if (ret)
			pr_err("%s", err);
		return ret;
	case OPT_ALLOW:
		return add_rule(o, RULE_ALLOW, RULE_HOST, "--allow", arg);
	case OPT_ALLOW_CIDR:
		return add_rule(o, RULE_ALLOW, RULE_CIDR, "--allow-cidr", arg);
	case OPT_DENY:
		return add_rule(o, RULE_DENY, RULE_HOST, "--deny", arg);
	case OPT_DENY_CIDR:
		return add_rule(o, RULE_DENY, RULE_CIDR, "--deny-cidr", arg);
	case OPT_MODE:
		pend->mode = arg;
		return 0;
	case OPT_UPSTREAM:
		if (pend->nupstreams == POLICY_UPSTREAMS_MAX) {
			pr_err("--upstream: at most %d upstreams",
			       POLICY_UPSTREAMS_MAX);
			return -EINVAL;
		}
		pend->upstreams[pend->nupstreams++] = arg;
		return 0;
	case OPT_GITHUB:
		o->github = true;
		return 0;
	case OPT_GITHUB_HOSTS:
		o->github_hosts = arg;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	}
	return parse_placement(o, opt, arg);
}

/* Flags given on the command line replace what a policy file said. */
static int apply_pending(struct options *o, const struct pending *pend)
{
	char err[POLICY_ERR_MAX];
	size_t i;
	int ret;

	if (pend->mode) {
		ret = policy__set_mode(&o->policy, pend->mode, "--mode", err,
				       sizeof(err));
		if (ret) {
			pr_err("%s", err);
			return ret;
		}
	}
	if (pend->nupstreams)
		o->policy.nupstreams = 0;
	for (i = 0; i < pend->nupstreams; i++) {
		ret = policy__add_upstream(&o->policy, pend->upstreams[i],
					   "--upstream", err, sizeof(err));
		if (ret) {
			pr_err("%s", err);
			return ret;
		}
	}
	return 0;
}

/* After every flag: --github-hosts may come after --github. */
static int add_github_rules(struct options *o)
{
	char err[POLICY_ERR_MAX];
	int ret;

	if (o->github_hosts && !o->github) {
		pr_err("--github-hosts only means something with --github");
		return -EINVAL;
	}
	if (!o->github)
		return 0;
	ret = github_add_service_rules(&o->policy, o->github_hosts, err,
				       sizeof(err));
	if (ret && ret != -ENOMEM)
		pr_err("%s", err);
	return ret;
}

static void options_defaults(struct options *o)
{
	const char *why;

	endpoint_parse("127.0.0.1:53", 53, &o->dns_listen, &why);
	o->pid_file = MOAT_DEFAULT_PID_FILE;
	o->ready_file = MOAT_DEFAULT_READY_FILE;
	o->min_ttl = ALLOWLIST_MIN_TTL_DEFAULT;
	o->ttl_grace = ALLOWLIST_GRACE_DEFAULT;
	o->max_addresses = MOAT_LEARNED_DEFAULT;
}

int options_parse(const char *command, const char *help, unsigned int groups,
		  int argc, char **argv, struct options *o)
{
	struct option longopts[NDEFS + 1];
	struct pending pend = { 0 };
	int opt, ret = 0;

	memset(o, 0, sizeof(*o));
	if (policy__init(&o->policy)) {
		pr_err("out of memory");
		return EXIT_RUNTIME;
	}
	options_defaults(o);
	build_longopts(groups, longopts);

	optind = 1;
	opterr = 0;
	while (!ret &&
	       (opt = getopt_long(argc, argv, "+vh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(help, stdout);
			return -1;
		}
		if (opt == '?' || opt == ':') {
			if (optopt && optopt < 256)
				pr_err("moat %s: unknown option '-%c'; see 'moat %s --help'",
				       command, optopt, command);
			else if (optopt)
				pr_err("moat %s: option '%s' needs a value; see 'moat %s --help'",
				       command, argv[optind - 1], command);
			else
				pr_err("moat %s: unknown option '%s'; see 'moat %s --help'",
				       command, argv[optind - 1], command);
			return EXIT_USAGE;
		}
		ret = parse_one(o, &pend, opt, optarg);
	}
	if (!ret)
		ret = apply_pending(o, &pend);
	if (!ret)
		ret = add_github_rules(o);
	if (ret)
		return ret == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;

	if (o->lockdown.nallow && !o->sudo_lockdown) {
		pr_err("--sudo-allow only means something with --sudo-lockdown");
		return EXIT_USAGE;
	}
	/* Started through sudo, the user whose sudo is taken is the caller. */
	if (o->sudo_lockdown && !o->lockdown.user)
		o->lockdown.user = getenv("SUDO_USER");

	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

void options_fini(struct options *o)
{
	policy__fini(&o->policy);
}
