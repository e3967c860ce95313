// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* bench_rules.c - matching a name against many hostname rules */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "policy.h"

/*
 * The rules are a trie of labels walked from the top-level domain down,
 * so a match should cost the same with ten rules as with ten thousand.
 * Each policy has as many exact rules as wildcard ones ("*.svcN" and
 * "**.zoneN"), and each name is looked up against all of them.
 */
#define MATCHES 1000000

static const char *const names[] = {
	"api.host6.example.com", /* under an exact rule */
	"a.svc4.example.net", /* a one-label wildcard */
	"x.y.z.zone5.example.org", /* a multi-label wildcard */
	"nothing.example.io", /* no rule */
	"deep.a.b.c.d.e.f.example.com", /* no rule, many labels */
};

static int build(struct policy *p, int nrules)
{
	char spec[96], err[POLICY_ERR_MAX];
	int i, ret = policy__init(p);

	for (i = 0; i < nrules && !ret; i++) {
		if (i % 3 == 0)
			snprintf(spec, sizeof(spec), "host%d.example.com", i);
		else if (i % 3 == 1)
			snprintf(spec, sizeof(spec), "*.svc%d.example.net", i);
		else
			snprintf(spec, sizeof(spec), "**.zone%d.example.org",
				 i);
		ret = policy__add_rule(p, RULE_ALLOW, RULE_HOST, spec, "bench",
				       err, sizeof(err));
	}
	return ret;
}

static double ns_per_match(struct policy *p)
{
	const size_t n = sizeof(names) / sizeof(names[0]);
	double rounds[BENCH_ROUNDS];
	uint64_t t0, allowed = 0;
	struct verdict v;
	int r, i;

	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = bench_now_ns();
		for (i = 0; i < MATCHES; i++) {
			policy__match_name(p, names[(size_t)i % n], &v);
			allowed += v.allow_rule != MOAT_RULE_NONE;
		}
		rounds[r] = (double)(bench_now_ns() - t0) / MATCHES;
	}
	/* Keep the matches from being optimised away, and check them. */
	if (allowed != (uint64_t)BENCH_ROUNDS * MATCHES * 3 / n &&
	    p->nrules >= 9)
		fprintf(stderr,
			"bench_rules: %llu names matched, expected %llu\n",
			(unsigned long long)allowed,
			(unsigned long long)BENCH_ROUNDS * MATCHES * 3 / n);
	return bench_median(rounds, BENCH_ROUNDS);
}

int main(void)
{
	const int sizes[] = { 10, 100, 1000, 10000 };
	struct policy p;
	char name[64];
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (build(&p, sizes[i])) {
			fprintf(stderr, "bench_rules: cannot build %d rules\n",
				sizes[i]);
			return 1;
		}
		snprintf(name, sizeof(name), "rules.match.%d", sizes[i]);
		bench_result(name, ns_per_match(&p), "ns");
		policy__fini(&p);
	}
	return 0;
}
