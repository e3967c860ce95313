/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cgroup.h - cgroup v2: where it is, and a cgroup of moat's own */
#ifndef MOAT_CGROUP_H
#define MOAT_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The v2 hierarchy's mount point, from /proc/mounts (hybrid hosts too). */
int cgroup_v2_root(char *out, size_t len);

/* The v2 cgroup directory this process is in. */
int cgroup_self(char *out, size_t len);

/*
 * The deepest cgroup on the way from the hierarchy's root down to dir
 * whose cgroup.procs, and every ancestor's, uid cannot write: a process
 * of uid's in a cgroup made there cannot move itself out, since cgroup v2
 * lets a process migrate only with write access to the cgroup.procs of
 * the common ancestor of where it is and where it goes. A subtree
 * delegated to a user (systemd's user@UID.service) is owned by that user.
 * Writes it to out; returns 0 or a negative errno (-ENOENT when dir is
 * not in the hierarchy, -EPERM when uid can write even the root's).
 */
int cgroup_confining_ancestor(const char *dir, uid_t uid, char *out,
			      size_t len);

struct cgroup {
	char path[PATH_MAX];
	int fd; /* the directory, -1 when there is none */
};

/*
 * Make a new cgroup under parent. Returns 0, or a negative errno after
 * saying why (-EEXIST when it is there already).
 */
int cgroup__create(struct cgroup *cg, const char *parent, const char *name);

/* Is any process left in it (or in a cgroup below it)? */
bool cgroup__populated(const struct cgroup *cg);

/*
 * Kill every process in it (cgroup.kill, Linux 5.14; else one by one)
 * and wait up to timeout_ms until none is left. Returns 0, -ETIMEDOUT
 * or another negative errno.
 */
int cgroup__kill(struct cgroup *cg, int timeout_ms);

/* Remove the (empty) cgroup and close it. Returns 0 or a negative errno. */
int cgroup__remove(struct cgroup *cg);

/*
 * Remove the empty cgroups named PREFIX.PID under parent whose moat is
 * gone: what moat runs that were killed left behind. One that still has
 * processes is left, confined, and named in a warning.
 */
void cgroup_sweep_stale(const char *parent, const char *prefix);

#endif /* MOAT_CGROUP_H */
