/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* test.h - the assertions and runner every moat C test uses */
#ifndef MOAT_TEST_H
#define MOAT_TEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * Each test is a function in a table. A test fails on its first failed
 * assertion (the ASSERT_* macros return from it) and may skip itself with
 * a reason. Every suite prints one line per test, "PASS name",
 * "FAIL name" or "SKIP name: reason", which tests/run.sh counts.
 */
struct test_case {
	const char *name;
	void (*fn)(void);
};

struct test_state {
	bool failed;
	bool skipped;
	char skip_reason[256];
};

extern struct test_state test__state;

#define TEST(fn)        \
	{               \
#fn, fn \
	}

#define test__fail(fmt, ...)                                              \
	do {                                                              \
		fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, \
			##__VA_ARGS__);                                   \
		test__state.failed = true;                                \
	} while (0)

/* Skip the running test, with the reason a reader needs. */
#define test__skip(fmt, ...)                                                   \
	do {                                                                   \
		snprintf(test__state.skip_reason,                              \
			 sizeof(test__state.skip_reason), fmt, ##__VA_ARGS__); \
		test__state.skipped = true;                                    \
	} while (0)

#define ASSERT_TRUE(cond, name)                                           \
	do {                                                              \
		if (!(cond)) {                                            \
			test__fail("%s: expected true: %s", name, #cond); \
			return;                                           \
		}                                                         \
	} while (0)

#define ASSERT_FALSE(cond, name)                                           \
	do {                                                               \
		if (cond) {                                                \
			test__fail("%s: expected false: %s", name, #cond); \
			return;                                            \
		}                                                          \
	} while (0)

#define ASSERT_EQ(actual, expected, name)                                    \
	do {                                                                 \
		long long a__ = (long long)(actual);                         \
		long long e__ = (long long)(expected);                       \
		if (a__ != e__) {                                            \
			test__fail("%s: actual %lld != expected %lld", name, \
				   a__, e__);                                \
			return;                                              \
		}                                                            \
	} while (0)

#define ASSERT_OK(err, name) ASSERT_EQ(err, 0, name)

#define ASSERT_STREQ(actual, expected, name)                               \
	do {                                                               \
		const char *a__ = (actual);                                \
		const char *e__ = (expected);                              \
		if (!a__ || !e__ || strcmp(a__, e__) != 0) {               \
			test__fail("%s: actual \"%s\" != expected \"%s\"", \
				   name, a__ ? a__ : "(null)",             \
				   e__ ? e__ : "(null)");                  \
			return;                                            \
		}                                                          \
	} while (0)

/* The actual string contains the expected one. */
#define ASSERT_CONTAINS(actual, needle, name)                                  \
	do {                                                                   \
		const char *a__ = (actual);                                    \
		const char *n__ = (needle);                                    \
		if (!a__ || !strstr(a__, n__)) {                               \
			test__fail("%s: \"%s\" does not contain \"%s\"", name, \
				   a__ ? a__ : "(null)", n__);                 \
			return;                                                \
		}                                                              \
	} while (0)

int test__run(const char *suite, const struct test_case *cases, size_t n);

#define TEST_MAIN(suite, cases)                                         \
	struct test_state test__state;                                  \
	int main(void)                                                  \
	{                                                               \
		return test__run(suite, cases,                          \
				 sizeof(cases) / sizeof((cases)[0]));   \
	}                                                               \
	int test__run(const char *suite__, const struct test_case *c__, \
		      size_t n__)                                       \
	{                                                               \
		size_t i__;                                             \
		int failed__ = 0;                                       \
		for (i__ = 0; i__ < n__; i__++) {                       \
			memset(&test__state, 0, sizeof(test__state));   \
			c__[i__].fn();                                  \
			if (test__state.failed) {                       \
				printf("FAIL %s/%s\n", suite__,         \
				       c__[i__].name);                  \
				failed__++;                             \
			} else if (test__state.skipped) {               \
				printf("SKIP %s/%s: %s\n", suite__,     \
				       c__[i__].name,                   \
				       test__state.skip_reason);        \
			} else {                                        \
				printf("PASS %s/%s\n", suite__,         \
				       c__[i__].name);                  \
			}                                               \
			fflush(stdout);                                 \
		}                                                       \
		return failed__ ? 1 : 0;                                \
	}

#endif /* MOAT_TEST_H */
