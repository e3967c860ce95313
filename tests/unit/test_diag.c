// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_diag.c - parsing the runner's _diag folder, on samples of its shape */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "diag.h"
#include "test.h"

/* 2026-08-06 18:23:45 UTC in seconds since the epoch. */
#define T0 1786040625ULL
#define NS 1000000000ULL

static void test_step_lines(void)
{
	static const struct {
		const char *line;
		const char *name;
		uint64_t ns;
	} cases[] = {
		{ "[2026-08-06 18:23:45Z INFO StepsRunner] Processing step: DisplayName='Run actions/checkout@v4'",
		  "Run actions/checkout@v4", T0 * NS },
		{ "[2026-08-06 18:23:45.1234567Z INFO StepsRunner] Processing step: DisplayName='Build'",
		  "Build", T0 * NS + 123456700 },
		/* Older runners append more after the name. */
		{ "[2026-08-06 18:23:46Z INFO StepsRunner] Processing step: DisplayName='Test', ContinueOnError=False, Enabled=True",
		  "Test", (T0 + 1) * NS },
		/* A name with quotes in it. */
		{ "[2026-08-06 18:23:47Z INFO StepsRunner] Processing step: DisplayName='Run echo 'hi''",
		  "Run echo 'hi'", (T0 + 2) * NS },
		/* No trace prefix: the name still counts, without a time. */
		{ "Processing step: DisplayName='Oddly prefixed'",
		  "Oddly prefixed", 0 },
	};
	char name[DIAG_NAME_MAX];
	uint64_t ns;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_TRUE(diag_step_line(cases[i].line, name, sizeof(name),
					   &ns),
			    cases[i].line);
		ASSERT_STREQ(name, cases[i].name, cases[i].line);
		ASSERT_EQ(ns, cases[i].ns, cases[i].line);
	}
	ASSERT_FALSE(
		diag_step_line(
			"[2026-08-06 18:23:48Z INFO StepsRunner] Starting the step.",
			name, sizeof(name), &ns),
		"other lines");
	ASSERT_EQ(diag_line_time("[not a time] x"), 0, "no time");
	ASSERT_EQ(diag_line_time("[2026-13-45 99:99:99Z INFO X]") > 0, 0,
		  "impossible date");
}

static const char worker_log[] =
	"[2026-08-06 18:23:40Z INFO HostContext] Well known directory 'Root': '/home/runner/actions-runner'\n"
	"[2026-08-06 18:23:41Z INFO Worker] Job message:\n"
	" {\n"
	"  \"messageType\": \"PipelineAgentJobRequest\",\n"
	"  \"jobDisplayName\": \"build\",\n"
	"  \"steps\": [\n"
	"    {\n"
	"      \"type\": \"action\",\n"
	"      \"reference\": { \"type\": \"repository\", \"name\": \"actions/checkout\" },\n"
	"      \"contextName\": \"__actions_checkout\",\n"
	"      \"id\": \"0d9a2f0c-0001-4f6e-9f1e-000000000001\",\n"
	"      \"name\": \"__actions_checkout\",\n"
	"      \"displayName\": \"Run actions/checkout@v4\"\n"
	"    },\n"
	"    {\n"
	"      \"type\": \"action\",\n"
	"      \"reference\": { \"type\": \"script\" },\n"
	"      \"id\": \"0d9a2f0c-0002-4f6e-9f1e-000000000002\",\n"
	"      \"displayName\": \"Run npm ci\"\n"
	"    }\n"
	"  ]\n"
	"}\n"
	"[2026-08-06 18:23:45Z INFO StepsRunner] Processing step: DisplayName='Run actions/checkout@v4'\n";

static void test_job_plan(void)
{
	struct diag_plan_step steps[4];

	ASSERT_EQ(diag_parse_plan(worker_log, sizeof(worker_log) - 1, steps, 4),
		  2, "two steps");
	ASSERT_STREQ(steps[0].id, "0d9a2f0c-0001-4f6e-9f1e-000000000001", "id");
	ASSERT_STREQ(steps[0].name, "Run actions/checkout@v4", "name");
	ASSERT_STREQ(steps[1].name, "Run npm ci", "second");
	ASSERT_EQ(diag_parse_plan("no plan here", 12, steps, 4), 0, "none");
	ASSERT_EQ(diag_parse_plan("[x] Job message:\n {\"steps\": [", 29, steps,
				  4),
		  -EBADMSG, "cut short");
}

static void test_block_files(void)
{
	char id[DIAG_ID_MAX];

	ASSERT_TRUE(
		diag_block_name(
			"6f2b0c4e-aaaa-4f6e-9f1e-0123456789ab_0d9a2f0c-0002-4f6e-9f1e-000000000002.1",
			id, sizeof(id)),
		"block name");
	ASSERT_STREQ(id, "0d9a2f0c-0002-4f6e-9f1e-000000000002", "step id");
	ASSERT_FALSE(diag_block_name("Worker_20260806-182340-utc.log", id,
				     sizeof(id)),
		     "not a block");
	ASSERT_FALSE(diag_block_name("nounderscore.1", id, sizeof(id)),
		     "no step id");
	ASSERT_EQ(diag_block_time(
			  "\xef\xbb\xbf"
			  "2026-08-06T18:23:45.1234567Z ##[group]Run npm ci"),
		  T0 * NS + 123456700, "BOM and seven digits");
	ASSERT_EQ(diag_block_time("2026-08-06T18:23:45Z x"), T0 * NS,
		  "whole seconds");
	ASSERT_EQ(diag_block_time("##[group]Run"), 0, "no time");
}

struct lines {
	char seen[8][64];
	int n;
};

static void collect(const char *line, void *ctx)
{
	struct lines *l = ctx;

	if (l->n < 8)
		snprintf(l->seen[l->n++], sizeof(l->seen[0]), "%s", line);
}

static void test_tail_follows_a_growing_file(void)
{
	char path[] = "/tmp/moat-diag-XXXXXX";
	struct lines l = { .n = 0 };
	struct diag_tail t;
	int fd = mkstemp(path);

	ASSERT_TRUE(fd >= 0, "temp file");
	ASSERT_OK(diag_tail_open(&t, path), "open");
	ASSERT_EQ(write(fd, "one\ntw", 6), 6, "write");
	ASSERT_OK(diag_tail_read(&t, collect, &l), "read");
	ASSERT_EQ(l.n, 1, "a complete line only");
	ASSERT_EQ(write(fd, "o\r\nthree\n", 9), 9, "write more");
	ASSERT_OK(diag_tail_read(&t, collect, &l), "read again");
	ASSERT_EQ(l.n, 3, "the rest");
	ASSERT_STREQ(l.seen[1], "two", "joined, CR dropped");
	ASSERT_STREQ(l.seen[2], "three", "third");
	diag_tail_close(&t);
	close(fd);
	unlink(path);
}

static const struct test_case cases[] = {
	TEST(test_step_lines),
	TEST(test_job_plan),
	TEST(test_block_files),
	TEST(test_tail_follows_a_growing_file),
};

TEST_MAIN("diag", cases)
