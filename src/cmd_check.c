// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cmd_check.c - `moat check`: validate a policy, explain host verdicts */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "hostmatch.h"
#include "log.h"
#include "options.h"

/* Rules one name can match at once, listed by --explain. */
#define POLICY_RULES_EXPLAIN_MAX 1024

static const char check_help[] =
	"Usage: moat check [POLICY] [HOST...]\n"
	"\n"
	"Validate a policy and print, for each HOST (a name or an address),\n"
	"whether it would be allowed, on which ports, and by which rule.\n"
	"Exits 0 when the policy is valid, 2 when it or a HOST is not.\n"
	"\n" OPTIONS_POLICY_HELP
	"  --github               add the GitHub service hosts, as start does\n"
	"  --github-hosts LIST    replace the default list of them\n"
	"\n"
	"Options:\n"
	"  --explain              show, rule by rule, why each HOST is allowed\n"
	"                         or blocked\n"
	"\n"
	"Example:\n"
	"  moat check --allow github.com:443 api.github.com example.org\n";

static void print_ports(const struct policy *p, const struct verdict *v)
{
	char allow[512], deny[512];

	portsets__format(p->portsets, v->allow_set, allow, sizeof(allow));
	if (v->deny_set == MOAT_PORTSET_NONE)
		printf("allowed, ports %s", allow);
	else
		printf("allowed, ports %s except %s", allow,
		       portsets__format(p->portsets, v->deny_set, deny,
					sizeof(deny)));
}

static void print_verdict(const struct policy *p, const char *host,
			  const struct verdict *v, bool refused)
{
	printf("%s: ", host);
	if (!refused) {
		print_ports(p, v);
		printf(" (rule \"%s\")", policy__rule_text(p, v->allow_rule));
	} else if (v->deny_rule != MOAT_RULE_NONE) {
		printf("blocked (rule \"%s\")",
		       policy__rule_text(p, v->deny_rule));
	} else {
		printf("blocked (no rule allows it)");
	}
	if (refused && p->mode == POLICY_MODE_AUDIT)
		printf(", let through in audit mode");
	putchar('\n');
}

/* What one rule does to the traffic it covers. */
static void print_effect(const struct policy *p, const struct rule *r)
{
	char ports[512];

	fputs(r->effect == RULE_DENY ? "denies " : "allows ", stdout);
	if (r->portset == MOAT_PORTSET_ALL)
		fputs("every port and protocol", stdout);
	else
		printf("ports %s", portsets__format(p->portsets, r->portset,
						    ports, sizeof(ports)));
}

/*
 * --explain for a name: every rule, in the order given, and whether it
 * covers the name. Address rules judge the name's addresses once DNS
 * answers, which no check without DNS can know.
 */
static void explain_name(const struct policy *p, const char *name)
{
	struct hostmatch_hit hits[POLICY_RULES_EXPLAIN_MAX];
	size_t n, i;
	uint32_t id;

	n = hostmatch__match(p->hosts, name, hits, POLICY_RULES_EXPLAIN_MAX);
	for (id = 0; id < p->nrules; id++) {
		const struct rule *r = &p->rules[id];
		const struct hostmatch_hit *hit = NULL;

		for (i = 0; i < n && i < POLICY_RULES_EXPLAIN_MAX; i++)
			if (hits[i].id == id)
				hit = &hits[i];
		printf("  rule %u \"%s\": ", id + 1, r->text);
		if (r->kind == RULE_CIDR) {
			puts("an address rule: it judges the addresses the name resolves to");
			continue;
		}
		if (!hit) {
			puts("does not match");
			continue;
		}
		fputs(hit->exact ? "matches the name, and " :
				   "matches: the name is under it, and ",
		      stdout);
		print_effect(p, r);
		putchar('\n');
	}
}

static void explain_addr(const struct policy *p, const uint8_t *addr)
{
	uint32_t id;

	for (id = 0; id < p->nrules; id++) {
		const struct rule *r = &p->rules[id];

		printf("  rule %u \"%s\": ", id + 1, r->text);
		if (r->kind == RULE_HOST)
			puts("a name rule: it judges the addresses of the names it matches");
		else if (!cidr_contains(&r->cidr, addr))
			puts("does not contain the address");
		else {
			fputs("contains the address, and ", stdout);
			print_effect(p, r);
			putchar('\n');
		}
	}
}

static void explain_tail(const struct policy *p)
{
	puts(p->nrules ?
		     "  deny rules win over allow rules, whatever their order" :
		     "  no rules: everything is blocked");
	fputs("  verdict: ", stdout);
}

static int check_host(const struct policy *p, const char *host, bool explain)
{
	char name[POLICY_HOST_MAX + 1];
	uint8_t addr[ADDR_LEN];
	const char *why;
	struct verdict v;

	if (!addr_parse(host, addr)) {
		if (explain) {
			printf("%s\n", host);
			explain_addr(p, addr);
			explain_tail(p);
		}
		policy__match_addr(p, addr, &v);
		print_verdict(p, host, &v,
			      v.allow_set == MOAT_PORTSET_NONE ||
				      v.deny_set == MOAT_PORTSET_ALL);
		return 0;
	}
	if (policy_normalise_name(host, name, sizeof(name), &why)) {
		pr_err("'%s': %s", host, why);
		return EXIT_USAGE;
	}
	if (explain) {
		printf("%s\n", host);
		explain_name(p, name);
		explain_tail(p);
	}
	policy__match_name(p, name, &v);
	print_verdict(p, host, &v, verdict_refuses_name(&v));
	return 0;
}

static void print_policy(const struct policy *p)
{
	uint32_t i;

	printf("policy is valid: %u rules, %s mode\n", p->nrules,
	       p->mode == POLICY_MODE_AUDIT ? "audit" : "enforce");
	for (i = 0; i < p->nrules; i++)
		printf("  %s\n", p->rules[i].text);
}

int cmd_check(int argc, char **argv)
{
	struct options o;
	int i, ret;

	ret = options_parse("check", check_help, OPTS_POLICY | OPTS_CHECK, argc,
			    argv, &o);
	if (ret)
		goto out;
	if (!o.nargs)
		print_policy(&o.policy);
	for (i = 0; i < o.nargs; i++) {
		int r = check_host(&o.policy, o.args[i], o.explain);

		if (r)
			ret = r;
	}
out:
	options_fini(&o);
	return ret < 0 ? 0 : ret;
}
