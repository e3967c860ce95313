/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* report.h - the datapath's events, as audit lines and log messages */
#ifndef MOAT_REPORT_H
#define MOAT_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct allowlist;
struct audit;
struct datapath;
struct policy;
struct steps;

/* Everything an event needs to be told in words. */
struct report {
	struct audit *audit;
	struct allowlist *al; /* the names behind addresses */
	const struct policy *policy; /* rule texts */
	struct steps *steps; /* who: processes and steps */
	uint64_t boot_to_real_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
};

/* CLOCK_REALTIME - CLOCK_BOOTTIME now, for report.boot_to_real_ns. */
uint64_t report_boot_to_real_ns(void);

/*
 * A ring-buffer record (struct moat_event or struct moat_socket_event):
 * write its audit line and log what was not allowed. Returns 1 when the
 * record is neither (a step event, for the caller), else 0.
 */
int report__event(struct report *r, const void *data, size_t len);

/*
 * The closing stats event: the proxy's, the datapath's and the
 * allowlist's counters. A loss is also said on stderr.
 */
struct proxy;
void report__stats(struct report *r, struct proxy *px, struct datapath *dp);

#endif /* MOAT_REPORT_H */
