/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* runfiles.h - pid, ready and state files, and the one-daemon lock */
#ifndef MOAT_RUNFILES_H
#define MOAT_RUNFILES_H

#include <stdbool.h>
#include <sys/types.h>

#include "lockdown.h"

/* Write a file whole or not at all: a temporary file, then rename(2). */
int runfile_write_atomic(const char *path, const char *content);

/* The pid in a pid file ("N") or ready file ("pid=N"). */
int runfile_read_pid(const char *path, pid_t *pid);

/* Is pid a live moat process, started before the file was last written? */
bool runfile_owner_alive(const char *path, pid_t pid);

/* Is pid a live moat process? */
bool process_is_moat(pid_t pid);

/*
 * What a running daemon changed on the host, kept per network namespace
 * so that `moat stop` or the next `moat start` can undo it after a kill.
 */
struct run_state {
	pid_t pid;
	int ifindex;
	char ifname[32];
	bool created_qdisc;
	struct lockdown_state lockdown;
};

/*
 * Take the lock of this network namespace: one daemon per namespace.
 * Returns an fd to keep open for the run, -EBUSY with *holder set when a
 * live daemon holds it, or another negative errno. *stale receives what
 * a killed daemon left in the state file, if anything (pid 0 if not).
 */
int run_state_lock(pid_t *holder, struct run_state *stale);
int run_state_save(int fd, const struct run_state *st);
/* Remove the state file and release the lock. */
void run_state_release(int fd);
/* Release the lock and keep the state file for the next one to read. */
void run_state_keep(int fd);

#endif /* MOAT_RUNFILES_H */
