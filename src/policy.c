// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* policy.c - the rules of a run: parsed, checked, merged and matched */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostmatch.h"
#include "policy.h"

/* Enough for every rule of a policy to match one name. */
#define POLICY_HITS_MAX 256

static __attribute__((format(printf, 3, 4))) int fail(char *err, size_t err_len,
						      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int policy__init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->portsets = portsets__new();
	p->hosts = hostmatch__new();
	if (!p->portsets || !p->hosts) {
		policy__fini(p);
		return -ENOMEM;
	}
	return 0;
}

void policy__fini(struct policy *p)
{
	uint32_t i;

	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].pattern);
		free(p->rules[i].text);
	}
	free(p->rules);
	portsets__free(p->portsets);
	hostmatch__free(p->hosts);
	memset(p, 0, sizeof(*p));
}

static bool label_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_';
}

static int check_label(const char *label, size_t len, const char **why)
{
	size_t i;

	if (!len) {
		*why = "a hostname cannot have an empty label ('..')";
		return -EINVAL;
	}
	if (len > 63) {
		*why = "a label is longer than 63 characters";
		return -EINVAL;
	}
	if ((len == 1 && label[0] == '*') ||
	    (len == 2 && !strncmp(label, "**", 2)))
		return 0;
	for (i = 0; i < len; i++) {
		if (label[i] == '*') {
			*why = "a wildcard must be a whole label ('*' or '**'), as in '*.example.com'";
			return -EINVAL;
		}
		if (!label_char_ok(label[i])) {
			*why = "a hostname may hold only letters, digits, '-', '_' and '.'";
			return -EINVAL;
		}
	}
	return 0;
}

static void lower_copy(char *out, const char *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) :
							  in[i];
	out[len] = '\0';
}

int policy_normalise_name(const char *in, char *out, size_t out_len,
			  const char **why)
{
	size_t len = strlen(in);
	const char *label;
	int err;

	if (len && in[len - 1] == '.')
		len--; /* "example.com." is the same name */
	if (!len) {
		*why = "the hostname is empty";
		return -EINVAL;
	}
	if (len > POLICY_HOST_MAX || len >= out_len) {
		*why = "a hostname is at most 253 characters";
		return -EINVAL;
	}
	lower_copy(out, in, len);

	for (label = out;;) {
		const char *dot = strchr(label, '.');
		size_t label_len = dot ? (size_t)(dot - label) : strlen(label);

		err = check_label(label, label_len, why);
		if (err || !dot)
			return err;
		label = dot + 1;
	}
}

/* Split "SPEC:PORTS" for hostname rules, which hold no other colon. */
static int parse_host_spec(struct policy *p, const char *spec, char *host,
			   uint32_t *portset, const char **why)
{
	struct port_spec ports[PORTLIST_MAX];
	const char *colon = strchr(spec, ':');
	char name[POLICY_HOST_MAX + 2];
	uint8_t addr[ADDR_LEN];
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	size_t count;
	int err;

	if (len >= sizeof(name)) {
		*why = "a hostname is at most 253 characters";
		return -EINVAL;
	}
	memcpy(name, spec, len);
	name[len] = '\0';
	if (addr_parse(name, addr) == 0 || (colon && strchr(colon + 1, ':'))) {
		*why = "this is an IP address; use --allow-cidr or --deny-cidr";
		return -EINVAL;
	}
	err = policy_normalise_name(name, host, POLICY_HOST_MAX + 1, why);
	if (err)
		return err;

	*portset = MOAT_PORTSET_ALL;
	if (!colon)
		return 0;
	err = portlist_parse(colon + 1, ports, PORTLIST_MAX, &count, why);
	if (err)
		return err;
	return portsets__intern(p->portsets, ports, count, portset);
}

/*
 * Where the address ends and the port list begins, if there is one. An
 * IPv6 prefix carries ports after its length ("2001:db8::/32:443") or in
 * brackets ("[2001:db8::1]:443"); a bare IPv6 address cannot.
 */
static const char *find_cidr_end(const char *spec, const char **ports)
{
	const char *colon = strchr(spec, ':'), *slash, *end;

	if (colon && strchr(colon + 1, ':')) {
		slash = strchr(spec, '/');
		colon = slash ? strchr(slash, ':') : NULL;
	}
	end = colon ? colon : spec + strlen(spec);
	*ports = colon ? colon + 1 : NULL;
	return end;
}

static int split_cidr_spec(const char *spec, char *addr, size_t addr_len,
			   const char **ports, const char **why)
{
	const char *start = spec, *end;

	if (spec[0] == '[') {
		end = strchr(spec, ']');
		if (!end) {
			*why = "missing ']' after the IPv6 address";
			return -EINVAL;
		}
		if (end[1] && end[1] != ':') {
			*why = "expected ':PORTS' after ']'";
			return -EINVAL;
		}
		start = spec + 1;
		*ports = end[1] ? end + 2 : NULL;
	} else {
		end = find_cidr_end(spec, ports);
	}
	if ((size_t)(end - start) >= addr_len) {
		*why = "not an IPv4 or IPv6 address or prefix";
		return -EINVAL;
	}
	memcpy(addr, start, (size_t)(end - start));
	addr[end - start] = '\0';
	return 0;
}

static int parse_cidr_spec(struct policy *p, const char *spec,
			   struct cidr *cidr, uint32_t *portset, char *err,
			   size_t err_len, const char *origin)
{
	struct port_spec ports[PORTLIST_MAX];
	char text[ADDR_TEXT_MAX + 8], fixed[ADDR_TEXT_MAX + 8];
	const char *port_text, *why = NULL;
	struct cidr masked;
	size_t count;
	int ret;

	ret = split_cidr_spec(spec, text, sizeof(text), &port_text, &why);
	if (!ret)
		ret = cidr_parse(text, cidr, &why);
	if (ret)
		return fail(err, err_len, "%s '%s': %s", origin, spec, why);

	masked = *cidr;
	if (cidr_clear_host_bits(&masked))
		return fail(err, err_len,
			    "%s '%s': host bits are set; did you mean %s?",
			    origin, spec,
			    cidr_format(&masked, fixed, sizeof(fixed)));

	*portset = MOAT_PORTSET_ALL;
	if (!port_text)
		return 0;
	ret = portlist_parse(port_text, ports, PORTLIST_MAX, &count, &why);
	if (ret == -EINVAL)
		return fail(err, err_len, "%s '%s': %s", origin, spec, why);
	if (!ret)
		ret = portsets__intern(p->portsets, ports, count, portset);
	return ret;
}

static int rule_text(struct policy *p, struct rule *r)
{
	char target[POLICY_HOST_MAX + ADDR_TEXT_MAX], ports[1024];
	const char *verb;
	int len;

	if (r->kind == RULE_HOST) {
		verb = r->effect == RULE_ALLOW ? "allow" : "deny";
		snprintf(target, sizeof(target), "%s", r->pattern);
	} else {
		verb = r->effect == RULE_ALLOW ? "allow-cidr" : "deny-cidr";
		cidr_format(&r->cidr, target, sizeof(target));
	}
	if (r->portset == MOAT_PORTSET_ALL)
		len = asprintf(&r->text, "%s %s", verb, target);
	else
		len = asprintf(&r->text, "%s %s%s%s:%s", verb,
			       strchr(target, ':') ? "[" : "", target,
			       strchr(target, ':') ? "]" : "",
			       portsets__format(p->portsets, r->portset, ports,
						sizeof(ports)));
	return len < 0 ? -ENOMEM : 0;
}

static int policy_append(struct policy *p, struct rule *r)
{
	struct rule *rules;
	int err;

	err = rule_text(p, r);
	if (err)
		return err;
	if (r->kind == RULE_HOST) {
		err = hostmatch__add(p->hosts, r->pattern, p->nrules);
		if (err)
			return err;
	}
	rules = realloc(p->rules, (p->nrules + 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	p->rules = rules;
	p->rules[p->nrules++] = *r;
	return 0;
}

int policy__add_rule(struct policy *p, enum rule_effect effect,
		     enum rule_kind kind, const char *spec, const char *origin,
		     char *err, size_t err_len)
{
	struct rule r = { .effect = effect, .kind = kind };
	char host[POLICY_HOST_MAX + 1];
	const char *why = NULL;
	int ret;

	if (kind == RULE_HOST) {
		ret = parse_host_spec(p, spec, host, &r.portset, &why);
		if (ret == -EINVAL)
			return fail(err, err_len, "%s '%s': %s", origin, spec,
				    why);
		if (!ret && !(r.pattern = strdup(host)))
			ret = -ENOMEM;
	} else {
		ret = parse_cidr_spec(p, spec, &r.cidr, &r.portset, err,
				      err_len, origin);
	}
	if (!ret)
		ret = policy_append(p, &r);
	if (ret) {
		free(r.pattern);
		free(r.text);
	}
	if (ret == -ENOMEM)
		snprintf(err, err_len, "%s '%s': out of memory", origin, spec);
	return ret;
}

int policy__add_upstream(struct policy *p, const char *spec, const char *origin,
			 char *err, size_t err_len)
{
	const char *why;

	if (p->nupstreams == POLICY_UPSTREAMS_MAX)
		return fail(err, err_len, "%s '%s': at most %d upstreams",
			    origin, spec, POLICY_UPSTREAMS_MAX);
	if (endpoint_parse(spec, 53, &p->upstreams[p->nupstreams], &why))
		return fail(err, err_len, "%s '%s': %s", origin, spec, why);
	p->nupstreams++;
	return 0;
}

int policy__set_mode(struct policy *p, const char *mode, const char *origin,
		     char *err, size_t err_len)
{
	if (strcmp(mode, "enforce") == 0)
		p->mode = POLICY_MODE_ENFORCE;
	else if (strcmp(mode, "audit") == 0)
		p->mode = POLICY_MODE_AUDIT;
	else
		return fail(err, err_len,
			    "%s '%s': the mode must be 'enforce' or 'audit'",
			    origin, mode);
	return 0;
}

/* The better of two hits for the rule a log names: whole-name, deeper. */
static bool hit_better(const struct hostmatch_hit *a,
		       const struct hostmatch_hit *b)
{
	if (a->exact != b->exact)
		return a->exact;
	return a->depth > b->depth;
}

static void verdict_init(struct verdict *v)
{
	v->allow_set = MOAT_PORTSET_NONE;
	v->deny_set = MOAT_PORTSET_NONE;
	v->allow_rule = MOAT_RULE_NONE;
	v->deny_rule = MOAT_RULE_NONE;
}

/*
 * Fold one rule into a verdict. Unions of interned sets only fail for
 * lack of memory; then the set stays as it was, which for an allow set
 * means less is allowed, never more.
 */
static void verdict_add_rule(struct portsets *ps, struct verdict *v,
			     const struct rule *r, uint32_t id, bool best)
{
	uint32_t *set = r->effect == RULE_ALLOW ? &v->allow_set : &v->deny_set;
	uint32_t *rule = r->effect == RULE_ALLOW ? &v->allow_rule :
						   &v->deny_rule;

	if (portsets__union(ps, *set, r->portset, set) &&
	    r->effect == RULE_DENY)
		*set = MOAT_PORTSET_ALL; /* a deny we cannot express: all */
	if (best || *rule == MOAT_RULE_NONE)
		*rule = id;
}

void policy__match_name(const struct policy *p, const char *name,
			struct verdict *v)
{
	struct hostmatch_hit hits[POLICY_HITS_MAX];
	const struct hostmatch_hit *best[2] = { NULL, NULL };
	size_t i, n;

	verdict_init(v);
	n = hostmatch__match(p->hosts, name, hits, POLICY_HITS_MAX);
	if (n > POLICY_HITS_MAX)
		n = POLICY_HITS_MAX;
	for (i = 0; i < n; i++) {
		const struct rule *r = &p->rules[hits[i].id];
		const struct hostmatch_hit **b = &best[r->effect];
		bool better = !*b || hit_better(&hits[i], *b);

		if (better)
			*b = &hits[i];
		verdict_add_rule(p->portsets, v, r, hits[i].id, better);
	}
}

/*
 * Every CIDR rule containing the prefix. A linear scan: it runs once per
 * rule at start-up and once per newly learned address, and CIDR rules
 * number in the tens where the hostname rules number in the thousands.
 */
void policy__match_prefix(const struct policy *p, const struct cidr *prefix,
			  struct verdict *v)
{
	uint8_t best_len[2] = { 0, 0 };
	uint32_t i;

	verdict_init(v);
	for (i = 0; i < p->nrules; i++) {
		const struct rule *r = &p->rules[i];
		bool better;

		if (r->kind != RULE_CIDR ||
		    r->cidr.prefixlen > prefix->prefixlen ||
		    !cidr_contains(&r->cidr, prefix->addr))
			continue;
		better = r->cidr.prefixlen >= best_len[r->effect];
		if (better)
			best_len[r->effect] = r->cidr.prefixlen;
		verdict_add_rule(p->portsets, v, r, i, better);
	}
}

void policy__match_addr(const struct policy *p, const uint8_t *addr,
			struct verdict *v)
{
	struct cidr host = { .prefixlen = 128 };

	memcpy(host.addr, addr, ADDR_LEN);
	policy__match_prefix(p, &host, v);
}

bool verdict_refuses_name(const struct verdict *v)
{
	return v->allow_set == MOAT_PORTSET_NONE ||
	       v->deny_set == MOAT_PORTSET_ALL;
}

int verdict_merge(struct portsets *ps, struct verdict *into,
		  const struct verdict *from)
{
	int err;

	err = portsets__union(ps, into->allow_set, from->allow_set,
			      &into->allow_set);
	if (!err)
		err = portsets__union(ps, into->deny_set, from->deny_set,
				      &into->deny_set);
	if (err)
		return err;
	if (into->allow_rule == MOAT_RULE_NONE)
		into->allow_rule = from->allow_rule;
	if (into->deny_rule == MOAT_RULE_NONE)
		into->deny_rule = from->deny_rule;
	return 0;
}

bool verdict_allows(const struct portsets *ps, const struct verdict *v,
		    uint16_t port, uint8_t proto)
{
	bool ported = proto == IPPROTO_TCP || proto == IPPROTO_UDP;

	if (v->deny_set == MOAT_PORTSET_ALL ||
	    (ported && portsets__has(ps, v->deny_set, port, proto)))
		return false;
	if (v->allow_set == MOAT_PORTSET_ALL)
		return true;
	return ported && portsets__has(ps, v->allow_set, port, proto);
}

const char *policy__rule_text(const struct policy *p, uint32_t id)
{
	return id < p->nrules ? p->rules[id].text : NULL;
}
