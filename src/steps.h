/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* steps.h - tie processes to the workflow steps that started them */
#ifndef MOAT_STEPS_H
#define MOAT_STEPS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "diag.h"
#include "htable.h"
#include "moat.h"

struct datapath;

#define STEPS_MAX 512

struct step_info {
	int number;
	char name[DIAG_NAME_MAX];
	uint64_t started_ns; /* CLOCK_REALTIME */
};

struct steps {
	struct datapath *dp;
	struct audit *audit;
	pid_t worker; /* 0: not on a GitHub Actions runner */
	/* An environment entry every step process of this runner has. */
	char step_marker[PATH_MAX + 16];
	char diag[PATH_MAX];
	struct diag_tail log;
	struct diag_plan_step plan[DIAG_PLAN_MAX];
	int nplan;
	struct step_info steps[STEPS_MAX];
	int nsteps;
	struct htable roots; /* struct step_root by pid */
	uint64_t boot_to_real_ns;
	/* The scope of untagged processes: "host", or "command" (moat run,
	 * whose hooks see the command's processes only). */
	const char *untagged_scope;
};

/*
 * Tag the processes that exist now: moat and its children, the runner
 * (with github, found among moat's ancestors or else by name), and
 * processes an earlier step left running. The fork hook must already be
 * attached, so that children of processes tagged here inherit their tag.
 * Returns 0 or a negative errno; a runner that cannot be found is only a
 * warning.
 */
int steps__init(struct steps *st, struct datapath *dp, struct audit *audit,
		bool github, uint64_t boot_to_real_ns);
void steps__fini(struct steps *st);

/* Read new lines of the runner's log: each new step becomes an event. */
void steps__poll(struct steps *st);

/* The worker started a step root at boot_ns: note which step it is. */
void steps__on_root(struct steps *st, pid_t root, uint64_t boot_ns);

/*
 * The step a step root's tag names, after reading the runner's log up to
 * now; NULL when the tag is not a step's or the step is not known.
 */
const struct step_info *steps__of_tag(struct steps *st, uint32_t tag);

/* The latest step to begin, NULL before the first. */
const struct step_info *steps__current(struct steps *st);

/*
 * Fill who for a socket owner (NULL when no socket hook saw the socket;
 * cookie 0 when the packet had no socket at all).
 */
void steps__who(struct steps *st, const struct moat_owner *owner,
		uint64_t cookie, struct who *who);

#endif /* MOAT_STEPS_H */
