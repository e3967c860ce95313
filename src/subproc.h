/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* subproc.h - run a helper program, feed its stdin, keep its stderr */
#ifndef MOAT_SUBPROC_H
#define MOAT_SUBPROC_H

#include <stddef.h>

/*
 * Run argv[0] (an absolute path, or a name looked up in the system's own
 * bin and sbin directories, never in PATH) with input on its stdin, and
 * wait.
 * Its stdout and stderr are kept in output, NUL-terminated and trimmed.
 * Returns the exit status (0-255), -ENOENT when the program is missing,
 * or another negative errno.
 */
int subproc_run(const char *const argv[], const char *input, char *output,
		size_t output_len);

#endif /* MOAT_SUBPROC_H */
