// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* procinfo.c - a process's executable and command line, read once */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procinfo.h"

#define PROCINFO_SLOTS 1024

static struct procinfo *cache;

int procinfo_stat(pid_t pid, pid_t *ppid, uint64_t *start)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	int parent, i, fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %d", &parent) != 1)
		return -EINVAL;
	for (i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return -EINVAL;
	*ppid = parent;
	*start = ticks;
	return 0;
}

static void read_exe(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, out, len - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* NUL-separated arguments, joined by spaces; cut at the buffer's end. */
static void read_cmdline(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n, i;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		return;
	while (n > 0 && out[n - 1] == '\0')
		n--;
	for (i = 0; i < n; i++)
		if (out[i] == '\0')
			out[i] = ' ';
	out[n] = '\0';
}

static void read_comm(pid_t pid, char *out, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Confirmed a moment ago, for the same thread name. */
static bool recently_confirmed(const struct procinfo *slot, pid_t pid,
			       const char *comm, uint64_t now)
{
	return slot->pid == pid && comm &&
	       now - slot->checked_ms < PROCINFO_RECHECK_MS &&
	       !strncmp(slot->hint, comm, sizeof(slot->hint));
}

static void confirmed(struct procinfo *slot, const char *comm, uint64_t now)
{
	slot->checked_ms = now;
	snprintf(slot->hint, sizeof(slot->hint), "%s", comm ? comm : "");
}

const struct procinfo *procinfo_get(pid_t pid, const char *comm)
{
	char exe[PROCINFO_EXE_MAX];
	struct procinfo *slot;
	uint64_t start, now = now_ms();
	pid_t ppid;

	if (!cache && !(cache = calloc(PROCINFO_SLOTS, sizeof(*cache))))
		return NULL;
	slot = &cache[(unsigned int)pid % PROCINFO_SLOTS];
	if (recently_confirmed(slot, pid, comm, now))
		return slot;
	if (procinfo_stat(pid, &ppid, &start))
		/* Gone: what was seen of it while it lived still stands. */
		return slot->pid == pid ? slot : NULL;
	read_exe(pid, exe, sizeof(exe));
	if (slot->pid == pid && slot->start == start &&
	    !strcmp(slot->exe, exe)) {
		confirmed(slot, comm, now);
		return slot;
	}

	slot->pid = pid;
	slot->start = start;
	memcpy(slot->exe, exe, sizeof(exe));
	read_comm(pid, slot->comm, sizeof(slot->comm));
	read_cmdline(pid, slot->cmdline, sizeof(slot->cmdline));
	confirmed(slot, comm, now);
	return slot;
}
