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

	/* A golden file that is gone must not pass for one that matched. */
	if (!want) {
		free(got);
		test__fail("%s: cannot read (run from the repository root)",
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

static void test_json_audit(void)
{
	compare_golden(DATA "audit-audit.ndjson", 'j',
		       DATA "summary-audit.json");
}

/* Render a log as JSON and parse it back; NULL if either step fails. */
static struct json_value *parse_back(const char *log)
{
	struct json_value *doc = NULL;
	size_t len;
	char *text = render(log, 'j', &len);

	if (text && json_parse(text, len, &doc, NULL))
		doc = NULL;
	free(text);
	return doc;
}

/* A member's string, or NULL when it is absent or not a string. */
static const char *str(const struct json_value *object, const char *key)
{
	const struct json_value *v = json_object_get(object, key);

	return v && v->type == JSON_STRING ? v->string.ptr : NULL;
}

/*
 * The ports a recommendation list gives @dest: "" for all ports, NULL
 * when @dest is not in the list or the entry is not what the format says.
 */
static const char *recommended(const struct json_value *list, const char *dest)
{
	const struct json_value *ports;
	const char *d;
	size_t i;

	for (i = 0; list && list->type == JSON_ARRAY && i < list->array.count;
	     i++) {
		d = str(&list->array.items[i], "destination");
		ports = json_object_get(&list->array.items[i], "ports");
		if (!d || strcmp(d, dest))
			continue;
		if (ports && ports->type == JSON_STRING)
			return ports->string.ptr;
		return ports && ports->type == JSON_NULL ? "" : NULL;
	}
	return NULL;
}

/* The JSON form parses back and says what the markdown says. */
static void check_enforce(const struct json_value *doc)
{
	const struct json_value *totals, *groups, *rows, *first, *rec;

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
	/* Enforce mode blocked what it met: there is nothing to recommend. */
	rec = json_object_get(doc, "recommended");
	ASSERT_EQ(json_object_get(rec, "hosts")->array.count, 0, "no hosts");
	ASSERT_EQ(json_object_get(rec, "cidrs")->array.count, 0, "no cidrs");
}

static void test_json_parses_back(void)
{
	struct json_value *doc = parse_back(DATA "audit-enforce.ndjson");

	ASSERT_TRUE(doc, "rendered and parsed");
	check_enforce(doc);
	json_free(doc);
}

/*
 * Audit mode: what would have been blocked comes back as the allowlist
 * to paste, each destination with the ports it was reached on, and
 * nothing that was allowed or that no rule could hold.
 */
static void check_audit_recommends(const struct json_value *doc)
{
	const struct json_value *totals, *rec, *hosts, *cidrs;

	ASSERT_STREQ(str(doc, "mode"), "audit", "mode");
	totals = json_object_get(doc, "totals");
	ASSERT_EQ(json_object_get(totals, "connections_blocked")->number, 34,
		  "connections that would be blocked");
	ASSERT_EQ(json_object_get(totals, "dns_blocked")->number, 3,
		  "queries that would be refused");
	rec = json_object_get(doc, "recommended");
	hosts = json_object_get(rec, "hosts");
	cidrs = json_object_get(rec, "cidrs");
	ASSERT_TRUE(hosts && hosts->type == JSON_ARRAY, "hosts");
	ASSERT_TRUE(cidrs && cidrs->type == JSON_ARRAY, "cidrs");

	ASSERT_EQ(hosts->array.count, 2, "two names");
	ASSERT_STREQ(recommended(hosts, "allowed.lab.test"), "8080",
		     "an allowed name, on the port its rule left out");
	ASSERT_STREQ(recommended(hosts, "blocked.lab.test"), "80",
		     "a name, with the port it was reached on");
	ASSERT_FALSE(recommended(hosts, "x|y<img src=x>.evil\\046test"),
		     "a name no rule could hold");
	ASSERT_FALSE(recommended(hosts, "pipelines.actions.example"),
		     "a name that was allowed");

	/*
	 * 25 from npm; a step's curl and ping, one address over IPv4 and
	 * one over IPv6; sshd, chronyd, and the forwarded and unattributed
	 * buckets.
	 */
	ASSERT_EQ(cidrs->array.count, 31, "addresses reached without a name");
	ASSERT_STREQ(recommended(cidrs, "198.51.100.100/32"), "443", "npm");
	ASSERT_STREQ(recommended(cidrs, "198.51.100.124/32"), "443",
		     "last npm");
	ASSERT_STREQ(recommended(cidrs, "198.51.100.66/32"), "123/udp",
		     "UDP is named");
	ASSERT_STREQ(recommended(cidrs, "2001:db8:1::20/128"), "443", "IPv6");
	ASSERT_STREQ(recommended(cidrs, "203.0.113.9/32"), "8443", "forwarded");
	/* A port-scoped rule would still block the ping. */
	ASSERT_STREQ(recommended(cidrs, "203.0.113.7/32"), "",
		     "reached by port 80 and by ICMP: no ports");
	ASSERT_STREQ(str(&cidrs->array.items[0], "destination"),
		     "198.51.100.66/32", "addresses in address order");
	ASSERT_FALSE(recommended(cidrs, "198.51.100.10/32"),
		     "an address reached through a name is not repeated");
	ASSERT_FALSE(recommended(cidrs, "198.51.100.20/32"),
		     "nor one a would-be-blocked name led to");
}

static void test_json_audit_recommends(void)
{
	struct json_value *doc = parse_back(DATA "audit-audit.ndjson");

	ASSERT_TRUE(doc, "rendered and parsed");
	check_audit_recommends(doc);
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

#define WOULD_BLOCK(port, proto)                                     \
	"{\"event\":\"start\",\"mode\":\"audit\"}",                  \
		"{\"event\":\"connect\",\"action\":\"would_block\"," \
		"\"dst_ip\":\"203.0.113.5\",\"dst_port\":" port      \
		",\"proto\":\"" proto "\",\"scope\":\"host\"}"

/* Each port once, however often and in whatever order it was reached. */
static void test_recommended_ports_are_a_set(void)
{
	const char *const lines[] = {
		WOULD_BLOCK("8443", "tcp"), WOULD_BLOCK("443", "tcp"),
		WOULD_BLOCK("443", "tcp"),  WOULD_BLOCK("53", "udp"),
		WOULD_BLOCK("8443", "tcp"),
	};
	struct json_value *doc = NULL;
	struct summary *s = summary__new();
	char *buf = NULL;
	size_t i, len = 0;
	FILE *out = open_memstream(&buf, &len);

	ASSERT_TRUE(s && out, "setup");
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		ASSERT_OK(summary__add_line(s, lines[i], strlen(lines[i])),
			  "line");
	ASSERT_OK(summary__json(s, out), "render");
	fclose(out);
	ASSERT_OK(json_parse(buf, len, &doc, NULL), "parses");
	ASSERT_STREQ(
		recommended(json_object_get(json_object_get(doc, "recommended"),
					    "cidrs"),
			    "203.0.113.5/32"),
		"8443;443;53/udp", "443 after 8443 is not taken for it");
	json_free(doc);
	free(buf);
	summary__free(s);
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
	TEST(test_markdown_enforce),
	TEST(test_markdown_audit),
	TEST(test_json_enforce),
	TEST(test_json_audit),
	TEST(test_json_parses_back),
	TEST(test_json_audit_recommends),
	TEST(test_markup_is_neutralised),
	TEST(test_empty_log),
	TEST(test_recommended_ports_are_a_set),
};

TEST_MAIN("summary", cases)
