// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* upstream.c - find the resolvers this host would use without moat */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "policy.h"
#include "upstream.h"

static bool endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return a->port == b->port && memcmp(a->addr, b->addr, ADDR_LEN) == 0;
}

static bool is_resolved_stub(const struct endpoint *ep)
{
	static const uint8_t stub[ADDR_LEN] = { [10] = 0xff, [11] = 0xff, 127,
						0,	     0,		  53 };

	return memcmp(ep->addr, stub, ADDR_LEN) == 0;
}

static void add_unique(struct endpoint *out, size_t max, size_t *count,
		       const struct endpoint *ep)
{
	size_t i;

	for (i = 0; i < *count; i++)
		if (endpoint_equal(&out[i], ep))
			return;
	if (*count < max)
		out[(*count)++] = *ep;
}

/* "nameserver ADDR" lines; a scoped IPv6 address cannot be used here. */
static int read_nameservers(const char *path, struct endpoint *out, size_t max,
			    size_t *count, bool *saw_stub)
{
	char line[512], addr[128];
	struct endpoint ep;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " nameserver %127s", addr) != 1)
			continue;
		if (addr_parse(addr, ep.addr)) {
			pr_warn("%s: ignoring nameserver '%s': moat cannot use a scoped or malformed address",
				path, addr);
			continue;
		}
		ep.port = 53;
		if (is_resolved_stub(&ep)) {
			*saw_stub = true;
			continue;
		}
		add_unique(out, max, count, &ep);
	}
	fclose(f);
	return 0;
}

int upstream_detect(struct endpoint *out, size_t max, size_t *count,
		    const struct endpoint *listen)
{
	struct endpoint found[16];
	bool saw_stub = false;
	size_t i, n = 0;
	int err;

	err = read_nameservers(RESOLV_CONF, found, 16, &n, &saw_stub);
	if (err)
		pr_warn("%s: %s", RESOLV_CONF, errstr(err));
	if (saw_stub) {
		err = read_nameservers(RESOLVED_UPSTREAM_CONF, found, 16, &n,
				       &saw_stub);
		if (err)
			pr_warn("%s names systemd-resolved's stub, but %s is unreadable: %s",
				RESOLV_CONF, RESOLVED_UPSTREAM_CONF,
				errstr(err));
	}

	*count = 0;
	for (i = 0; i < n; i++)
		if (!listen || !endpoint_equal(&found[i], listen))
			add_unique(out, max, count, &found[i]);
	return *count ? 0 : -ENOENT;
}

int upstream_resolve(struct policy *p, const struct endpoint *listen)
{
	char text[ADDR_TEXT_MAX];
	size_t i;
	int err;

	if (!p->nupstreams) {
		err = upstream_detect(p->upstreams, POLICY_UPSTREAMS_MAX,
				      &p->nupstreams, listen);
		if (err) {
			pr_err("no upstream resolver in %s; pass --upstream ADDR",
			       RESOLV_CONF);
			return err;
		}
	}
	for (i = 0; i < p->nupstreams; i++) {
		if (listen && !memcmp(&p->upstreams[i], listen,
				      sizeof(struct endpoint))) {
			pr_err("--upstream %s is moat's own --dns-listen address",
			       endpoint_format(&p->upstreams[i], text,
					       sizeof(text)));
			return -EINVAL;
		}
		pr_info("upstream resolver %s",
			endpoint_format(&p->upstreams[i], text, sizeof(text)));
	}
	return 0;
}
