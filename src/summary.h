/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* summary.h - what happened, per workflow step, from the audit log */
#ifndef MOAT_SUMMARY_H
#define MOAT_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Rows of a markdown table beyond this are counted, not shown. */
#define SUMMARY_ROWS_DEFAULT 20

struct summary;

struct summary *summary__new(void);
void summary__free(struct summary *s);

/*
 * Take one line of the audit log. Lines that are not JSON objects, or
 * events of kinds the summary does not know, are counted and skipped: a
 * log cut short by a crash still summarises. Returns 0 or -ENOMEM.
 */
int summary__add_line(struct summary *s, const char *line, size_t len);

/* Read a whole audit log; returns 0 or a negative errno. */
int summary__add_file(struct summary *s, FILE *f);

/*
 * Name a step and give its result, as the GitHub API reports them: the
 * API has the names with expressions evaluated, and the conclusions.
 */
void summary__set_step(struct summary *s, int number, const char *name,
		       const char *conclusion);

/* GitHub-flavoured markdown, as for $GITHUB_STEP_SUMMARY. */
int summary__markdown(struct summary *s, FILE *out, size_t max_rows);

/*
 * A few lines for a terminal (moat run's stderr): the totals and what
 * was blocked, at most max_rows of it.
 */
int summary__text(struct summary *s, FILE *out, size_t max_rows);

/* The same data as one JSON document, every row included. */
int summary__json(struct summary *s, FILE *out);

#endif /* MOAT_SUMMARY_H */
