// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup.c - cgroup v2: where it is, and a cgroup of moat's own */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"
#include "runfiles.h"

int cgroup_v2_root(char *out, size_t len)
{
	char dev[256], dir[PATH_MAX], type[64];
	FILE *f = fopen("/proc/mounts", "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found &&
	       fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2")) {
			snprintf(out, len, "%s", dir);
			found = 1;
		}
	fclose(f);
	return found ? 0 : -ENOENT;
}

/* The "0::PATH" line of /proc/self/cgroup names the v2 cgroup. */
int cgroup_self(char *out, size_t len)
{
	char root[PATH_MAX], line[PATH_MAX + 8];
	FILE *f;
	int err, found = 0;

	err = cgroup_v2_root(root, sizeof(root));
	if (err)
		return err;
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		found = 1;
		if ((size_t)snprintf(out, len, "%s%s", root,
				     strcmp(line + 3, "/") ? line + 3 : "") >=
		    len)
			found = -1;
	}
	fclose(f);
	if (found < 0)
		return -ENAMETOOLONG;
	return found ? 0 : -ENOENT;
}

/*
 * Could uid write this cgroup's cgroup.procs? Group and other write bits
 * count whoever the group is: a cgroup tree is never shared that way but
 * by mistake.
 */
static int procs_writable_by(const char *dir, uid_t uid, bool *writable)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st))
		return -errno;
	*writable = st.st_uid == uid || (st.st_mode & (S_IWGRP | S_IWOTH));
	return 0;
}

int cgroup_confining_ancestor(const char *dir, uid_t uid, char *out, size_t len)
{
	char root[PATH_MAX], walk[PATH_MAX];
	size_t rlen, at;
	bool writable;
	int err;

	err = cgroup_v2_root(root, sizeof(root));
	if (err)
		return err;
	rlen = strlen(root);
	while (rlen > 1 && root[rlen - 1] == '/')
		root[--rlen] = '\0';
	/* Under the root: the root itself, or the root and a '/'. */
	if (strncmp(dir, root, rlen) ||
	    (dir[rlen] && dir[rlen] != '/' && strcmp(root, "/")))
		return -ENOENT;
	if (strlen(dir) >= sizeof(walk))
		return -ENAMETOOLONG;

	/*
	 * Down from the root, one component at a time. The root counts too:
	 * in a cgroup namespace a user may own it.
	 */
	err = procs_writable_by(root, uid, &writable);
	if (err)
		return err;
	if (writable)
		return -EPERM;
	snprintf(out, len, "%s", root);
	for (at = rlen; dir[at];) {
		at += strspn(dir + at, "/");
		if (!dir[at])
			break;
		at += strcspn(dir + at, "/");
		memcpy(walk, dir, at);
		walk[at] = '\0';
		err = procs_writable_by(walk, uid, &writable);
		if (err)
			return err;
		if (writable)
			break;
		if ((size_t)snprintf(out, len, "%s", walk) >= len)
			return -ENAMETOOLONG;
	}
	return 0;
}

int cgroup__create(struct cgroup *cg, const char *parent, const char *name)
{
	int err;

	cg->fd = -1;
	if ((size_t)snprintf(cg->path, sizeof(cg->path), "%s/%s", parent,
			     name) >= sizeof(cg->path))
		return -ENAMETOOLONG;
	if (mkdir(cg->path, 0755)) {
		err = -errno;
		pr_err("cgroup '%s': cannot create it: %s", cg->path,
		       errstr(err));
		return err;
	}
	cg->fd = open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->fd < 0) {
		err = -errno;
		rmdir(cg->path);
		pr_err("cgroup '%s': %s", cg->path, errstr(err));
		return err;
	}
	return 0;
}

static int read_file_at(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

bool cgroup__populated(const struct cgroup *cg)
{
	char events[256];

	/* Unreadable is taken as populated: never remove hooks blindly. */
	if (read_file_at(cg->fd, "cgroup.events", events, sizeof(events)))
		return true;
	return !strstr(events, "populated 0");
}

static int write_file_at(int dirfd, const char *name, const char *text)
{
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * Before cgroup.kill: each process by hand. The cgroup is frozen first
 * (cgroup.freeze, Linux 5.2): a frozen process neither forks nor exits on
 * its own, so no pid read here is reused by another process before the
 * signal arrives, and SIGKILL still ends it.
 */
static void kill_each(struct cgroup *cg)
{
	char procs[4096], *p, *end;
	long pid;

	if (read_file_at(cg->fd, "cgroup.procs", procs, sizeof(procs)))
		return;
	for (p = procs; *p; p = end) {
		pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	}
}

int cgroup__kill(struct cgroup *cg, int timeout_ms)
{
	const struct timespec tick = { .tv_nsec = 5 * 1000 * 1000 };
	bool have_kill = !write_file_at(cg->fd, "cgroup.kill", "1");
	int waited;

	if (!have_kill)
		write_file_at(cg->fd, "cgroup.freeze", "1");
	for (waited = 0; waited <= timeout_ms; waited += 5) {
		if (!cgroup__populated(cg))
			return 0;
		if (!have_kill)
			kill_each(cg);
		nanosleep(&tick, NULL);
	}
	/* Left thawed, what would not die can end later, and be swept. */
	if (!have_kill)
		write_file_at(cg->fd, "cgroup.freeze", "0");
	return -ETIMEDOUT;
}

int cgroup__remove(struct cgroup *cg)
{
	int err = 0;

	if (cg->fd < 0)
		return 0;
	close(cg->fd);
	cg->fd = -1;
	if (rmdir(cg->path))
		err = -errno;
	return err;
}

void cgroup_sweep_stale(const char *parent, const char *prefix)
{
	size_t plen = strlen(prefix);
	struct cgroup stale;
	struct dirent *de;
	DIR *dir;
	long pid;
	char *end;

	dir = opendir(parent);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (strncmp(de->d_name, prefix, plen) ||
		    de->d_name[plen] != '.')
			continue;
		pid = strtol(de->d_name + plen + 1, &end, 10);
		if (*end || pid <= 0 || process_is_moat((pid_t)pid))
			continue;
		snprintf(stale.path, sizeof(stale.path), "%s/%s", parent,
			 de->d_name);
		stale.fd = open(stale.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (stale.fd < 0)
			continue;
		if (cgroup__populated(&stale)) {
			pr_warn("cgroup '%s': the command of a moat run that was killed still runs there, confined, with no DNS; kill its processes and remove the cgroup",
				stale.path);
			close(stale.fd);
			continue;
		}
		if (!cgroup__remove(&stale))
			pr_info("removed '%s', left by a moat run that was killed",
				stale.path);
	}
	closedir(dir);
}
