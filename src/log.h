/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* log.h - one logging path for moat and libbpf, to stderr, with levels */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include <stdbool.h>

/* Levels in rising verbosity; -v raises the level by one. */
enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Route libbpf's messages through this module; its debug output needs -vv. */
void log_route_libbpf(void);

void log_printf(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...) log_printf(LOG_LEVEL_ERROR, __VA_ARGS__)
#define pr_warn(...) log_printf(LOG_LEVEL_WARN, __VA_ARGS__)
#define pr_info(...) log_printf(LOG_LEVEL_INFO, __VA_ARGS__)
#define pr_debug(...) log_printf(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* strerror() of a negative errno, for messages. */
const char *errstr(int err);

#endif /* MOAT_LOG_H */
