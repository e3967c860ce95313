/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* upstream.h - find the resolvers this host would use without moat */
#ifndef MOAT_UPSTREAM_H
#define MOAT_UPSTREAM_H

#include <stddef.h>

#include "addr.h"

#define RESOLV_CONF "/etc/resolv.conf"
/* systemd-resolved writes its real upstreams here (resolved.conf(5)). */
#define RESOLVED_UPSTREAM_CONF "/run/systemd/resolve/resolv.conf"

/*
 * Fill out with the host's upstream resolvers: the nameservers of
 * /etc/resolv.conf, with systemd-resolved's stub (127.0.0.53) replaced by
 * the servers resolved itself uses, and moat's own listening address left
 * out. Returns 0, or -ENOENT when none is found.
 */
int upstream_detect(struct endpoint *out, size_t max, size_t *count,
		    const struct endpoint *listen);

/*
 * The policy's upstreams, or the host's when it names none, checked
 * against the proxy's own address (listen, NULL when it has none fixed)
 * and logged. Returns 0 or a negative errno after saying what is wrong.
 */
struct policy;
int upstream_resolve(struct policy *p, const struct endpoint *listen);

#endif /* MOAT_UPSTREAM_H */
