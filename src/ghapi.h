/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* ghapi.h - step names and results from the GitHub REST API, if allowed */
#ifndef MOAT_GHAPI_H
#define MOAT_GHAPI_H

#include <stddef.h>

#define GHAPI_STEPS_MAX 512

struct ghapi_step {
	int number;
	char name[256];
	char conclusion[32]; /* "success", "failure", "skipped", ... */
};

/*
 * This job's steps as GitHub records them, from
 * GET /repos/{repo}/actions/runs/{run}/attempts/{attempt}/jobs, with the
 * runner's environment (GITHUB_TOKEN, GITHUB_API_URL, GITHUB_REPOSITORY,
 * GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT, RUNNER_NAME) saying where to look.
 * The job is the one this runner ran. curl does the HTTPS; the token
 * reaches it on stdin, never on a command line. Returns the number of
 * steps, or a negative errno with a message printed.
 */
int ghapi_job_steps(struct ghapi_step *steps, size_t max);

/* Pick this runner's job out of a jobs response; exposed for tests. */
int ghapi_parse_jobs(const char *json, size_t len, const char *runner,
		     struct ghapi_step *steps, size_t max);

#endif /* MOAT_GHAPI_H */
