// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* github.c - the hosts a GitHub Actions job needs to reach GitHub */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "github.h"
#include "log.h"

/*
 * What the runner itself talks to while a job runs: the Actions service
 * (job updates, tokens, the results receiver, under
 * actions.githubusercontent.com), and the storage accounts that step logs
 * and artifacts are uploaded to, which are numbered rather than named by a
 * pattern a whole-label rule could cover. github.com and api.github.com are
 * left out on purpose: they are where exfiltration with a stolen token
 * goes, so a job that needs them names them itself.
 */
static const char default_hosts[] =
	"actions.githubusercontent.com,"
	"actions-results-receiver-production.githubapp.com,"
	"productionresultssa0.blob.core.windows.net,"
	"productionresultssa1.blob.core.windows.net,"
	"productionresultssa2.blob.core.windows.net,"
	"productionresultssa3.blob.core.windows.net,"
	"productionresultssa4.blob.core.windows.net,"
	"productionresultssa5.blob.core.windows.net,"
	"productionresultssa6.blob.core.windows.net,"
	"productionresultssa7.blob.core.windows.net,"
	"productionresultssa8.blob.core.windows.net,"
	"productionresultssa9.blob.core.windows.net,"
	"productionresultssa10.blob.core.windows.net,"
	"productionresultssa11.blob.core.windows.net,"
	"productionresultssa12.blob.core.windows.net,"
	"productionresultssa13.blob.core.windows.net,"
	"productionresultssa14.blob.core.windows.net,"
	"productionresultssa15.blob.core.windows.net,"
	"productionresultssa16.blob.core.windows.net,"
	"productionresultssa17.blob.core.windows.net,"
	"productionresultssa18.blob.core.windows.net,"
	"productionresultssa19.blob.core.windows.net";

static const char *const url_vars[] = { GITHUB_URL_VARS };

const char *github_default_hosts(void)
{
	return default_hosts;
}

/* A host given without ports is reached over HTTPS only. */
static int add_host(struct policy *p, const char *entry, const char *origin,
		    char *err, size_t err_len)
{
	char spec[300];

	if (strlen(entry) >= sizeof(spec) - 9) {
		snprintf(err, err_len, "%s '%.40s...': too long", origin,
			 entry);
		return -EINVAL;
	}
	snprintf(spec, sizeof(spec), strchr(entry, ':') ? "%s" : "%s:443/tcp",
		 entry);
	return policy__add_rule(p, RULE_ALLOW, RULE_HOST, spec, origin, err,
				err_len);
}

static int add_list(struct policy *p, const char *list, const char *origin,
		    char *err, size_t err_len)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ", \t\r\n", &save); tok && !ret;
	     tok = strtok_r(NULL, ", \t\r\n", &save))
		ret = add_host(p, tok, origin, err, err_len);
	free(copy);
	return ret;
}

int github_url_host(const char *url, char *host, size_t host_len,
		    unsigned int *port)
{
	const char *start, *end, *colon;
	unsigned long n;
	char *stop;

	if (!strncasecmp(url, "https://", 8)) {
		start = url + 8;
		*port = 443;
	} else if (!strncasecmp(url, "http://", 7)) {
		start = url + 7;
		*port = 80;
	} else {
		return -EINVAL;
	}
	end = start + strcspn(start, "/?#");
	/* Credentials in a URL would put a password in a rule. */
	if (memchr(start, '@', (size_t)(end - start)) || *start == '[')
		return -EINVAL;
	colon = memchr(start, ':', (size_t)(end - start));
	if (colon) {
		n = strtoul(colon + 1, &stop, 10);
		if (stop != end || n == 0 || n > 65535)
			return -EINVAL;
		*port = (unsigned int)n;
		end = colon;
	}
	if (end == start || (size_t)(end - start) >= host_len)
		return -EINVAL;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	return 0;
}

static int add_url_host(struct policy *p, const char *host, unsigned int port,
			const char *origin, char *err, size_t err_len)
{
	struct in_addr v4;
	char spec[300];

	/* A server named by its address gets a rule for that address. */
	if (inet_pton(AF_INET, host, &v4) == 1) {
		snprintf(spec, sizeof(spec), "%s/32:%u/tcp", host, port);
		return policy__add_rule(p, RULE_ALLOW, RULE_CIDR, spec, origin,
					err, err_len);
	}
	snprintf(spec, sizeof(spec), "%s:%u/tcp", host, port);
	return policy__add_rule(p, RULE_ALLOW, RULE_HOST, spec, origin, err,
				err_len);
}

/* The runner hands each step its service URLs; their hosts must work. */
static int add_url_vars(struct policy *p, char *err, size_t err_len)
{
	char host[256];
	unsigned int port;
	const char *url;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(url_vars) / sizeof(url_vars[0]); i++) {
		url = getenv(url_vars[i]);
		if (!url || !*url)
			continue;
		if (github_url_host(url, host, sizeof(host), &port)) {
			pr_warn("%s: not an http(s) URL; its host is not added",
				url_vars[i]);
			continue;
		}
		ret = add_url_host(p, host, port, url_vars[i], err, err_len);
		if (ret)
			return ret;
	}
	return 0;
}

int github_add_service_rules(struct policy *p, const char *list, char *err,
			     size_t err_len)
{
	int ret;

	ret = add_list(p, list ? list : default_hosts,
		       list ? "--github-hosts" : "--github", err, err_len);
	if (ret)
		return ret;
	return add_url_vars(p, err, err_len);
}
