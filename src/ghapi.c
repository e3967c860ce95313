// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* ghapi.c - step names and results from the GitHub REST API, if allowed */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghapi.h"
#include "json.h"
#include "log.h"
#include "subproc.h"

#define GHAPI_RESPONSE_MAX (4 << 20)

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && *v ? v : fallback;
}

static void copy_field(const struct json_value *obj, const char *key, char *out,
		       size_t len)
{
	const struct json_value *v = json_object_get(obj, key);

	out[0] = '\0';
	if (v && v->type == JSON_STRING)
		snprintf(out, len, "%s", v->string.ptr);
}

static int take_steps(const struct json_value *job, struct ghapi_step *steps,
		      size_t max)
{
	const struct json_value *list = json_object_get(job, "steps");
	size_t i, n = 0;

	for (i = 0; list && list->type == JSON_ARRAY && i < list->array.count &&
		    n < max;
	     i++) {
		const struct json_value *s = &list->array.items[i];
		const struct json_value *num = json_object_get(s, "number");

		if (!num || num->type != JSON_NUMBER)
			continue;
		steps[n].number = (int)num->number;
		copy_field(s, "name", steps[n].name, sizeof(steps[n].name));
		copy_field(s, "conclusion", steps[n].conclusion,
			   sizeof(steps[n].conclusion));
		n++;
	}
	return (int)n;
}

int ghapi_parse_jobs(const char *json, size_t len, const char *runner,
		     struct ghapi_step *steps, size_t max)
{
	const struct json_value *jobs, *job = NULL;
	struct json_value *doc = NULL;
	size_t i;
	int n;

	if (json_parse(json, len, &doc, NULL))
		return -EBADMSG;
	jobs = json_object_get(doc, "jobs");
	for (i = 0; jobs && jobs->type == JSON_ARRAY && i < jobs->array.count;
	     i++) {
		const struct json_value *j = &jobs->array.items[i];
		const struct json_value *r = json_object_get(j, "runner_name");

		if (r && r->type == JSON_STRING &&
		    !strcmp(r->string.ptr, runner))
			job = j;
	}
	n = job ? take_steps(job, steps, max) : -ENOENT;
	json_free(doc);
	return n;
}

int ghapi_job_steps(struct ghapi_step *steps, size_t max)
{
	const char *const argv[] = { "curl", "--config", "-", NULL };
	const char *token = getenv("GITHUB_TOKEN");
	const char *runner = getenv("RUNNER_NAME");
	char *config = NULL, *response;
	int status, n = -EINVAL;

	if (!token || !runner || !getenv("GITHUB_REPOSITORY") ||
	    !getenv("GITHUB_RUN_ID")) {
		pr_err("--github-api needs GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_RUN_ID and RUNNER_NAME");
		return -EINVAL;
	}
	/* It goes into a quoted curl config value: nothing may break out. */
	if (strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789_.-") != strlen(token)) {
		pr_err("GITHUB_TOKEN holds characters no GitHub token has");
		return -EINVAL;
	}
	if (asprintf(&config,
		     "url = \"%s/repos/%s/actions/runs/%s/attempts/%s/jobs?per_page=100\"\n"
		     "header = \"Authorization: Bearer %s\"\n"
		     "header = \"Accept: application/vnd.github+json\"\n"
		     "silent\nshow-error\nfail\nmax-time = 20\n",
		     env_or("GITHUB_API_URL", "https://api.github.com"),
		     getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"),
		     env_or("GITHUB_RUN_ATTEMPT", "1"), token) < 0)
		return -ENOMEM;
	response = malloc(GHAPI_RESPONSE_MAX);
	status = response ? subproc_run(argv, config, response,
					GHAPI_RESPONSE_MAX) :
			    -ENOMEM;
	free(config);
	if (status)
		pr_err("GitHub API: %s", status == -ENOENT ? "curl not found" :
					 status < 0	   ? errstr(status) :
							     response);
	else
		n = ghapi_parse_jobs(response, strlen(response), runner, steps,
				     max);
	if (!status && n < 0)
		pr_err("GitHub API: no job of runner '%s' in the response",
		       runner);
	free(response);
	return status ? -EIO : n;
}
