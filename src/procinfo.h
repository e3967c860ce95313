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
	uint64_t checked_ms; /* when /proc last confirmed it */
	char hint[16]; /* the thread name it was last confirmed for */
	char comm[16]; /* the process's name: its main thread's */
	char exe[PROCINFO_EXE_MAX];
	char cmdline[PROCINFO_CMDLINE_MAX]; /* arguments joined by spaces */
};

/*
 * What /proc says about a process, cached: events come in bursts from the
 * same few processes. The cache has a fixed size (a slot per pid modulo
 * its size) and checks the start time and executable, so neither a reused
 * pid nor an exec since the last read goes unnoticed. Checking costs four
 * system calls, so a slot confirmed within PROCINFO_RECHECK_MS for the
 * same thread name (comm, which the kernel gave the event, and which an
 * exec changes) is trusted without them: an exec of a program of the same
 * name is then seen up to that much late. Returns NULL once the process
 * is gone and was never seen; the pointer is valid until the next call.
 */
#define PROCINFO_RECHECK_MS 250
const struct procinfo *procinfo_get(pid_t pid, const char *comm);

/* A process's parent and start time from /proc/PID/stat; 0 or -errno. */
int procinfo_stat(pid_t pid, pid_t *ppid, uint64_t *start);

#endif /* MOAT_PROCINFO_H */
