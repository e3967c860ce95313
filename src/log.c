// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* log.c - one logging path for moat and libbpf, to stderr, with levels */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "log.h"

static enum log_level current_level = LOG_LEVEL_WARN;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

static const char *level_prefix(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR:
		return "error: ";
	case LOG_LEVEL_WARN:
		return "warning: ";
	default:
		return "";
	}
}

static void log_line(const char *prefix, enum log_level level, const char *line,
		     size_t len)
{
	/* One write per line, so concurrent writers never interleave. */
	fprintf(stderr, "moat: %s%s%.*s\n", prefix, level_prefix(level),
		(int)len, line);
}

/*
 * A message may hold many lines: libbpf passes a program's whole verifier
 * log as one, and its end says why the program was refused. Each line
 * gets the prefix; none is cut.
 */
static __attribute__((format(printf, 3, 0))) void
log_vprintf(enum log_level level, const char *prefix, const char *fmt,
	    va_list ap)
{
	static const char oom[] = "(out of memory formatting a message)";
	char *msg = NULL, *line, *end;
	size_t len;

	if (level > current_level)
		return;

	if (vasprintf(&msg, fmt, ap) < 0) {
		log_line(prefix, level, oom, sizeof(oom) - 1);
		return;
	}
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	for (line = msg;; line = end + 1) {
		end = strchr(line, '\n');
		log_line(prefix, level, line,
			 end ? (size_t)(end - line) : strlen(line));
		if (!end)
			break;
	}
	free(msg);
}

void log_printf(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprintf(level, "", fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	enum log_level ours;

	switch (level) {
	case LIBBPF_WARN:
		ours = LOG_LEVEL_WARN;
		break;
	case LIBBPF_INFO:
		ours = LOG_LEVEL_INFO;
		break;
	default:
		/* Verifier logs and probe chatter: only with -vv. */
		ours = LOG_LEVEL_DEBUG;
		break;
	}
	/*
	 * bpf_tc_hook_create() passes on the kernel's complaint about a
	 * clsact qdisc that exists already as a warning; moat expects that
	 * case (-EEXIST) and handles it, so it is detail, not a warning.
	 */
	if (strstr(fmt, "Kernel error message") && ours == LOG_LEVEL_WARN)
		ours = LOG_LEVEL_DEBUG;
	log_vprintf(ours, "libbpf: ", fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

const char *errstr(int err)
{
	return strerror(err < 0 ? -err : err);
}
