/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* bench.h - what the C benchmarks share: a clock, medians, result lines */
#ifndef MOAT_BENCH_H
#define MOAT_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Rounds of each measurement; the median is reported. */
#define BENCH_ROUNDS 5

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static inline double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), bench_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One result a line, "name value unit", for bench/report.py to put into
 * tables: names are dotted paths, values plain numbers.
 */
static inline void bench_result(const char *name, double value,
				const char *unit)
{
	printf("%s %.3f %s\n", name, value, unit);
	fflush(stdout);
}

#endif /* MOAT_BENCH_H */
