/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* diag.h - read what the GitHub Actions runner writes to its _diag folder */
#ifndef MOAT_DIAG_H
#define MOAT_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DIAG_NAME_MAX 256
#define DIAG_ID_MAX 64
#define DIAG_PLAN_MAX 256

/*
 * The runner's trace lines start "[2026-08-06 18:23:45Z INFO StepsRunner]"
 * (fractional seconds appear in some versions). Returns the time in ns
 * since the epoch, or 0 when the line has no such prefix.
 */
uint64_t diag_line_time(const char *line);

/*
 * A "Processing step: DisplayName='...'" line, written as the worker takes
 * up each step, pre and post steps included. Returns true and fills name
 * (and *ns, 0 if the prefix is missing) for such a line.
 */
bool diag_step_line(const char *line, char *name, size_t len, uint64_t *ns);

/* A step of the job plan the worker logs when the job starts. */
struct diag_plan_step {
	char id[DIAG_ID_MAX];
	char name[DIAG_NAME_MAX];
};

/*
 * Read the job plan ("Job message:" followed by the job's JSON) out of a
 * whole Worker log. Returns the number of steps found (0 without a plan)
 * or a negative errno.
 */
int diag_parse_plan(const char *log, size_t len, struct diag_plan_step *steps,
		    size_t max);

/*
 * A block file, "{jobId}_{stepId}.{page}", holds a step's console lines,
 * each starting with an ISO 8601 time with fractions of a second. Returns
 * true and fills step_id for such a name.
 */
bool diag_block_name(const char *file, char *step_id, size_t len);

/* The time of a block file's first line, or 0 (a UTF-8 BOM is allowed). */
uint64_t diag_block_time(const char *first_line);

/*
 * Follow a growing log: each call hands back the complete lines appended
 * since the last one. Lines longer than the buffer are cut.
 */
struct diag_tail {
	int fd;
	char buf[8192];
	size_t len;
};

int diag_tail_open(struct diag_tail *t, const char *path);
void diag_tail_close(struct diag_tail *t);
/* Calls fn for every new complete line; returns 0 or a negative errno. */
int diag_tail_read(struct diag_tail *t, void (*fn)(const char *line, void *ctx),
		   void *ctx);

#endif /* MOAT_DIAG_H */
