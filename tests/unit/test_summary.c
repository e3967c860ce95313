// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_summary.c - moat summary against golden files of recorded logs */
#include <stdlib.h>

#include "json.h"
#include "summary.h"
#include "test.h"

/*
 * tests/data holds audit logs recorded in the lab with the runner fixture
 * (steps, a background process), extended by hand with what a lab run
 * rarely shows: every non-step bucket, a table over the row cap, names
 * carrying markup, lost events and a line cut short by a crash.
 */
#define DATA "tests/data/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (size = ftell(f)) >= 0 &&
	    !fseek(f, 0, SEEK_SET) && (buf = malloc((size_t)size + 1)))
		buf[fread(buf, 1, (size_t)size, f)] = '\0';
	*len = buf ? strlen(buf) : 0;
	fclose(f);
	return buf;
}

/* Render a log and return the output; mode 'm' markdown, 'j' JSON. */
static char *render_rows(const char *log, char mode, size_t rows, size_t *len)
{
	struct summary *s = summary__new();
	FILE *in = fopen(log, "r"), *out;
	char *buf = NULL;
	int err;

	*len = 0;
	if (!s || !in) {
		summary__free(s);
		if (in)
			fclose(in);
		return NULL;
	}
	out = open_memstream(&buf, len);
	err = summary__add_file(s, in);
	if (!err)
		err = mode == 'm' ? summary__markdown(s, out, rows) :
				    summary__json(s, out);
	fclose(out);
	fclose(in);
	summary__free(s);
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *render(const char *log, char mode, size_t *len)
{
	return render_rows(log, mode, SUMMARY_ROWS_DEFAULT, len);
}

static void compare_golden(const char *log, char mode, const char *golden)
{
	size_t got_len, want_len;
	char *got = render(log, mode, &got_len);
	char *want = slurp(golden, &want_len);
	size_t i;

	if (!want) {
		free(got);
		test__skip("%s: cannot read (run from the repository root)",
			   golden);
		return;
	}
	if (!got || got_len != want_len || memcmp(got, want, want_len)) {
		for (i = 0;
		     got && i < got_len && i < want_len && got[i] == want[i];
		     i++)
			;
		test__fail("%s differs from the rendering of %s at byte %zu",
			   golden, log, i);
	}
	free(got);
	free(want);
}

static void test_markdown_enforce(void)
{
	compare_golden(DATA "audit-enforce.ndjson", 'm',
		       DATA "summary-enforce.md");
}

static void test_markdown_audit(void)
{
	compare_golden(DATA "audit-audit.ndjson", 'm', DATA "summary-audit.md");
}

static void test_json_enforce(void)
{
	compare_golden(DATA "audit-enforce.ndjson", 'j',
		       DATA "summary-enforce.json");
}

/* The JSON form parses back and says what the markdown says. */
static void test_json_parses_back(void)
{
	const struct json_value *totals, *groups, *rows, *first;
	struct json_value *doc = NULL;
	size_t len;
	char *text = render(DATA "audit-enforce.ndjson", 'j', &len);

	ASSERT_TRUE(text, "rendered");
	ASSERT_OK(json_parse(text, len, &doc, NULL), "parses");
	free(text);
	totals = json_object_get(doc, "totals");
	ASSERT_EQ(json_object_get(totals, "connections_blocked")->number, 33,
		  "blocked connections");
	ASSERT_EQ(json_object_get(totals, "events_lost")->number, 3, "lost");
	ASSERT_EQ(json_object_get(totals, "unreadable_lines")->number, 1,
		  "the line a crash cut short");
	groups = json_object_get(doc, "groups");
	ASSERT_EQ(groups->array.count, 7, "two steps and five buckets");
	ASSERT_STREQ(
		json_object_get(&groups->array.items[0], "name")->string.ptr,
		"Install dependencies", "first step");
	rows = json_object_get(&groups->array.items[1], "rows");
	ASSERT_EQ(rows->array.count, 30, "every row, uncapped");
	first = &json_object_get(&groups->array.items[0], "rows")
			 ->array.items[0];
	ASSERT_STREQ(json_object_get(first, "status")->string.ptr, "blocked",
		     "blocked first");
	json_free(doc);
}

/* Names an attacker chose show as text: no markup, no link, no cell. */
static void test_markup_is_neutralised(void)
{
	size_t len;
	char *md = render_rows(DATA "audit-enforce.ndjson", 'm', 1000, &len);

	ASSERT_TRUE(md, "rendered");
	ASSERT_FALSE(strstr(md, "<b>") || strstr(md, "](http"),
		     "no markup from a step name");
	ASSERT_CONTAINS(md, "&#60;b&#62;now", "shown as text");
	ASSERT_CONTAINS(md, "| `x\\|y<img src=x>.evil\\046test` |",
			"a DNS name in a code span, its pipe escaped");
	free(md);
}

static void test_empty_log(void)
{
	struct summary *s = summary__new();
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ASSERT_TRUE(s && out, "setup");
	ASSERT_OK(summary__add_line(s, "not json", 8), "garbage is skipped");
	ASSERT_OK(summary__markdown(s, out, 20), "render");
	fclose(out);
	ASSERT_CONTAINS(buf, "No DNS queries or connections were recorded",
			"says so");
	free(buf);
	summary__free(s);
}

static const struct test_case cases[] = {
	TEST(test_markdown_enforce),	  TEST(test_markdown_audit),
	TEST(test_json_enforce),	  TEST(test_json_parses_back),
	TEST(test_markup_is_neutralised), TEST(test_empty_log),
};

TEST_MAIN("summary", cases)
