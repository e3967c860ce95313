/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* github.h - the hosts a GitHub Actions job needs to reach GitHub */
#ifndef MOAT_GITHUB_H
#define MOAT_GITHUB_H

#include <stddef.h>

#include "policy.h"

/* The runner's service URLs, whose hosts are always allowed. */
#define GITHUB_URL_VARS                                                    \
	"ACTIONS_RUNTIME_URL", "ACTIONS_RESULTS_URL", "ACTIONS_CACHE_URL", \
		"ACTIONS_ID_TOKEN_REQUEST_URL"

/*
 * Allow what a GitHub-hosted job needs to talk to GitHub: each host of
 * list (comma, space or newline separated, HOST[:PORTS] with 443/tcp when
 * no port is given; NULL for the default list) and the host of each
 * runner URL variable set in the environment. Returns 0, -EINVAL with err
 * naming the entry, or -ENOMEM.
 */
int github_add_service_rules(struct policy *p, const char *list, char *err,
			     size_t err_len);

/* The default list, comma separated, for help and documentation. */
const char *github_default_hosts(void);

/*
 * The host and port of an http(s) URL: "https://h.example:8443/x" gives
 * "h.example" and 8443. Returns 0 or -EINVAL.
 */
int github_url_host(const char *url, char *host, size_t host_len,
		    unsigned int *port);

#endif /* MOAT_GITHUB_H */
