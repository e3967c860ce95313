/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* procinfo.h - a process's executable and command line, read once */
#ifndef MOAT_PROCINFO_H
#define MOAT_PROCINFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCINFO_EXE_MAX 256
#define PROCINFO_CMDLINE_MAX 512

struct procinfo {
	pid_t pid;
	uint64_t start; /* start time in clock ticks after boot (proc(5)) */
	char comm[16]; /* the process's name: its main thread's */
	char exe[PROCINFO_EXE_MAX];
	char cmdline[PROCINFO_CMDLINE_MAX]; /* arguments joined by spaces */
};

/*
 * What /proc says about a process, cached: events come in bursts from the
 * same few processes. The cache has a fixed size (a slot per pid modulo
 * its size) and checks the start time and executable, so neither a reused
 * pid nor an exec since the last read goes unnoticed. Returns NULL once
 * the process is gone and was never seen; the pointer is valid until the
 * next call.
 */
const struct procinfo *procinfo_get(pid_t pid);

/* A process's parent and start time from /proc/PID/stat; 0 or -errno. */
int procinfo_stat(pid_t pid, pid_t *ppid, uint64_t *start);

#endif /* MOAT_PROCINFO_H */
