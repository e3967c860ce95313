/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* policy.h - the rules of a run: parsed, checked, merged and matched */
#ifndef MOAT_POLICY_H
#define MOAT_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "portset.h"

/* Room for a message that names a rule and what is wrong with it. */
#define POLICY_ERR_MAX 512
/* Longest hostname in presentation form (RFC 1035 2.3.4). */
#define POLICY_HOST_MAX 253
#define POLICY_UPSTREAMS_MAX 8

enum policy_mode {
	POLICY_MODE_ENFORCE,
	POLICY_MODE_AUDIT,
};

enum rule_effect {
	RULE_ALLOW,
	RULE_DENY,
};

enum rule_kind {
	RULE_HOST,
	RULE_CIDR,
};

struct rule {
	enum rule_effect effect;
	enum rule_kind kind;
	char *pattern; /* RULE_HOST: lower case, no trailing dot */
	struct cidr cidr; /* RULE_CIDR: host bits clear */
	uint32_t portset;
	char *text; /* canonical, as logs show it: "allow example.com:443" */
};

struct policy {
	enum policy_mode mode;
	struct rule *rules; /* a rule's id is its index */
	uint32_t nrules;
	struct portsets *portsets;
	struct hostmatch *hosts;
	struct endpoint upstreams[POLICY_UPSTREAMS_MAX];
	size_t nupstreams;
};

/* What the rules say about one name or one address. */
struct verdict {
	uint32_t allow_set;
	uint32_t deny_set;
	uint32_t allow_rule; /* MOAT_RULE_NONE when no rule allows */
	uint32_t deny_rule; /* MOAT_RULE_NONE when no rule denies */
};

int policy__init(struct policy *p);
void policy__fini(struct policy *p);

/*
 * Add one rule written as on the command line: "HOST[:PORTS]" for
 * RULE_HOST, "CIDR[:PORTS]" or "[IPV6CIDR]:PORTS" for RULE_CIDR. origin
 * names where it came from ("--allow", "policy.json: allow[2]") for the
 * error message. Returns 0, -EINVAL with err set, or -ENOMEM.
 */
int policy__add_rule(struct policy *p, enum rule_effect effect,
		     enum rule_kind kind, const char *spec, const char *origin,
		     char *err, size_t err_len);

int policy__add_upstream(struct policy *p, const char *spec, const char *origin,
			 char *err, size_t err_len);

/* "enforce" or "audit"; returns 0 or -EINVAL with err set. */
int policy__set_mode(struct policy *p, const char *mode, const char *origin,
		     char *err, size_t err_len);

/*
 * Merge a JSON policy file (schema in the README) into p. Returns 0,
 * -EINVAL with err naming the file, line and problem, or a negative errno
 * from reading the file (err says so too).
 */
int policy__load_file(struct policy *p, const char *path, char *err,
		      size_t err_len);

/*
 * Bring a hostname to the form rules use: lower case, no trailing dot.
 * Returns 0, or -EINVAL with *why naming the problem.
 */
int policy_normalise_name(const char *in, char *out, size_t out_len,
			  const char **why);

/* What the hostname rules say about a name (normalised). */
void policy__match_name(const struct policy *p, const char *name,
			struct verdict *v);

/* What the CIDR rules containing a whole prefix say about it. */
void policy__match_prefix(const struct policy *p, const struct cidr *prefix,
			  struct verdict *v);

/* What the CIDR rules say about an address. */
void policy__match_addr(const struct policy *p, const uint8_t *addr,
			struct verdict *v);

/* A name whose DNS queries are refused: nothing allows it, or a deny
 * rule covers it whole. */
bool verdict_refuses_name(const struct verdict *v);

/* Combine two verdicts about one destination: unions, deny still wins. */
int verdict_merge(struct portsets *ps, struct verdict *into,
		  const struct verdict *from);

/* Does the verdict allow this port and protocol (0 for ICMP and others)? */
bool verdict_allows(const struct portsets *ps, const struct verdict *v,
		    uint16_t port, uint8_t proto);

/* The rule's text, or NULL for MOAT_RULE_NONE. */
const char *policy__rule_text(const struct policy *p, uint32_t id);

#endif /* MOAT_POLICY_H */
