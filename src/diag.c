// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* diag.c - read what the GitHub Actions runner writes to its _diag folder */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "json.h"

/* Fractions of a second after a "." or ",": up to nine digits count. */
static uint64_t parse_fraction(const char **p)
{
	uint64_t ns = 0, scale = 100000000;

	if (**p != '.' && **p != ',')
		return 0;
	for ((*p)++; **p >= '0' && **p <= '9'; (*p)++) {
		ns += (uint64_t)(**p - '0') * scale;
		scale /= 10;
	}
	return ns;
}

/* "YYYY-MM-DD?HH:MM:SS[.fff]Z" with sep between date and time. */
static uint64_t parse_utc(const char *p, char sep, const char **end)
{
	struct tm tm = { 0 };
	uint64_t ns;
	time_t secs;
	int n = 0;

	if (sscanf(p, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &n) != 3 ||
	    p[n] != sep)
		return 0;
	p += n + 1;
	if (sscanf(p, "%2d:%2d:%2d%n", &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
		   &n) != 3)
		return 0;
	p += n;
	ns = parse_fraction(&p);
	if (*p != 'Z' || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return 0; /* timegm() would quietly normalise it */
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	secs = timegm(&tm);
	if (secs <= 0)
		return 0;
	*end = p + 1;
	return (uint64_t)secs * 1000000000ULL + ns;
}

uint64_t diag_line_time(const char *line)
{
	const char *end;

	if (line[0] != '[')
		return 0;
	return parse_utc(line + 1, ' ', &end);
}

/*
 * The name runs from "DisplayName='" to the last quote of the line;
 * older runners append ", ContinueOnError=..." after it, which is cut off.
 * A name may itself hold quotes, which is why the last quote counts.
 */
bool diag_step_line(const char *line, char *name, size_t len, uint64_t *ns)
{
	static const char marker[] = "Processing step: DisplayName='";
	const char *start = strstr(line, marker), *end, *suffix;
	size_t n;

	if (!start)
		return false;
	start += sizeof(marker) - 1;
	suffix = strstr(start, "', ContinueOnError=");
	end = suffix ? suffix : strrchr(start, '\'');
	if (!end)
		return false;
	n = (size_t)(end - start);
	if (n >= len)
		n = len - 1;
	memcpy(name, start, n);
	name[n] = '\0';
	*ns = diag_line_time(line);
	return true;
}

/* Where the plan's JSON starts: the first '{' after "Job message:". */
static const char *plan_start(const char *log, size_t len)
{
	const char *p = memmem(log, len, "Job message:", 12);

	if (!p)
		return NULL;
	return memchr(p, '{', len - (size_t)(p - log));
}

/*
 * The JSON ends before the next trace line ("\n[" and a digit); the
 * runner writes it indented, so no line of it starts with "[2".
 */
static size_t plan_length(const char *start, const char *log_end)
{
	const char *p = start;

	while ((p = memchr(p, '\n', (size_t)(log_end - p))) != NULL) {
		if (p + 2 < log_end && p[1] == '[' && p[2] >= '0' &&
		    p[2] <= '9')
			return (size_t)(p - start);
		p++;
	}
	return (size_t)(log_end - start);
}

static void copy_string(const struct json_value *v, char *out, size_t len)
{
	out[0] = '\0';
	if (v && v->type == JSON_STRING)
		snprintf(out, len, "%s", v->string.ptr);
}

int diag_parse_plan(const char *log, size_t len, struct diag_plan_step *steps,
		    size_t max)
{
	const char *start = plan_start(log, len);
	const struct json_value *list;
	struct json_value *doc = NULL;
	size_t i, n = 0;
	int err;

	if (!start)
		return 0;
	err = json_parse(start, plan_length(start, log + len), &doc, NULL);
	if (err)
		return err == -ENOMEM ? err : -EBADMSG;
	list = json_object_get(doc, "steps");
	for (i = 0; list && list->type == JSON_ARRAY && i < list->array.count &&
		    n < max;
	     i++) {
		const struct json_value *s = &list->array.items[i];

		copy_string(json_object_get(s, "id"), steps[n].id,
			    sizeof(steps[n].id));
		copy_string(json_object_get(s, "displayName"), steps[n].name,
			    sizeof(steps[n].name));
		if (steps[n].id[0])
			n++;
	}
	json_free(doc);
	return (int)n;
}

bool diag_block_name(const char *file, char *step_id, size_t len)
{
	const char *under = strchr(file, '_'), *dot = strrchr(file, '.');
	size_t n;

	if (!under || !dot || dot < under || dot[1] < '0' || dot[1] > '9')
		return false;
	n = (size_t)(dot - under - 1);
	if (!n || n >= len)
		return false;
	memcpy(step_id, under + 1, n);
	step_id[n] = '\0';
	return true;
}

uint64_t diag_block_time(const char *first_line)
{
	const char *end;

	if (!strncmp(first_line, "\xef\xbb\xbf", 3))
		first_line += 3;
	return parse_utc(first_line, 'T', &end);
}

int diag_tail_open(struct diag_tail *t, const char *path)
{
	t->len = 0;
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	return t->fd < 0 ? -errno : 0;
}

void diag_tail_close(struct diag_tail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* Hand on every complete line in the buffer, keep the partial rest. */
static void tail_lines(struct diag_tail *t,
		       void (*fn)(const char *line, void *ctx), void *ctx)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(t->buf + start, '\n', t->len - start)) != NULL) {
		*nl = '\0';
		if (nl > t->buf + start && nl[-1] == '\r')
			nl[-1] = '\0';
		fn(t->buf + start, ctx);
		start = (size_t)(nl - t->buf) + 1;
	}
	memmove(t->buf, t->buf + start, t->len - start);
	t->len -= start;
	if (t->len == sizeof(t->buf) - 1) {
		/* A line longer than the buffer: cut it here. */
		t->buf[t->len] = '\0';
		fn(t->buf, ctx);
		t->len = 0;
	}
}

int diag_tail_read(struct diag_tail *t, void (*fn)(const char *line, void *ctx),
		   void *ctx)
{
	ssize_t n;

	for (;;) {
		n = read(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		if (n == 0)
			return 0;
		t->len += (size_t)n;
		tail_lines(t, fn, ctx);
	}
}
