// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* runfiles.c - pid, ready and state files, and the one-daemon lock */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "options.h"
#include "runfiles.h"

static int ensure_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int runfile_write_atomic(const char *path, const char *content)
{
	char tmp[PATH_MAX];
	size_t len = strlen(content);
	int fd, err = 0;

	err = ensure_dir_of(path);
	if (err)
		return err;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -errno;
	if (write(fd, content, len) != (ssize_t)len)
		err = errno ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int runfile_read_pid(const char *path, pid_t *pid)
{
	char buf[64] = "";
	long value;
	char *p, *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENODATA;
	buf[n] = '\0';
	p = strncmp(buf, "pid=", 4) == 0 ? buf + 4 : buf;
	value = strtol(p, &end, 10);
	if (end == p || value <= 0 || value > INT_MAX || (*end && *end != '\n'))
		return -EINVAL;
	*pid = (pid_t)value;
	return 0;
}

bool process_is_moat(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "moat") == 0;
}

/* When a process started, in seconds since the epoch (proc(5) stat). */
static int process_start_time(pid_t pid, double *start)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks, btime = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	/* The name may hold spaces and parentheses: count from the last ')'. */
	p = p ? strrchr(buf, ')') : NULL;
	for (i = 0; p && i < 20; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu", &ticks) != 1)
		return -EINVAL;

	f = fopen("/proc/stat", "r");
	if (!f)
		return -errno;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	*start = (double)btime + (double)ticks / (double)sysconf(_SC_CLK_TCK);
	return 0;
}

bool runfile_owner_alive(const char *path, pid_t pid)
{
	struct stat st;
	double start = 0;

	if (!process_is_moat(pid) || stat(path, &st) ||
	    process_start_time(pid, &start))
		return false;
	/*
	 * A file older than its process was written by an earlier process
	 * that had the same pid. btime has whole-second precision, hence
	 * the second of slack.
	 */
	return (double)st.st_mtim.tv_sec + 1.0 >= start;
}

static int state_path(char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -errno;
	snprintf(buf, len, MOAT_RUN_DIR "/netns-%llu.state",
		 (unsigned long long)st.st_ino);
	return 0;
}

static void state_parse(int fd, struct run_state *st)
{
	char buf[1024], *line, *save = NULL;
	unsigned int mode;
	ssize_t n;

	memset(st, 0, sizeof(*st));
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int v;

		if (sscanf(line, "pid=%d", &v) == 1)
			st->pid = v;
		else if (sscanf(line, "ifindex=%d", &v) == 1)
			st->ifindex = v;
		else if (sscanf(line, "created_qdisc=%d", &v) == 1)
			st->created_qdisc = v != 0;
		else if (!strncmp(line, "ifname=", 7))
			snprintf(st->ifname, sizeof(st->ifname), "%s",
				 line + 7);
		else if (sscanf(line, "lockdown_dropin=%d", &v) == 1)
			st->lockdown.dropin = v != 0;
		else if (sscanf(line, "docker_mode=%o", &mode) == 1)
			st->lockdown.mode = mode;
		else if (!strncmp(line, "docker_socket=", 14))
			snprintf(st->lockdown.socket,
				 sizeof(st->lockdown.socket), "%s", line + 14);
	}
}

int run_state_lock(pid_t *holder, struct run_state *stale)
{
	char path[PATH_MAX];
	int fd, err;

	memset(stale, 0, sizeof(*stale));
	err = state_path(path, sizeof(path));
	if (!err)
		err = ensure_dir_of(path);
	if (err)
		return err;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	state_parse(fd, stale);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		*holder = stale->pid;
		close(fd);
		return err;
	}
	return fd;
}

int run_state_save(int fd, const struct run_state *st)
{
	char buf[512];
	int len;

	len = snprintf(buf, sizeof(buf),
		       "pid=%d\nifindex=%d\nifname=%s\ncreated_qdisc=%d\n"
		       "lockdown_dropin=%d\ndocker_socket=%s\ndocker_mode=%o\n",
		       st->pid, st->ifindex, st->ifname, st->created_qdisc,
		       st->lockdown.dropin, st->lockdown.socket,
		       st->lockdown.mode);
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

void run_state_release(int fd)
{
	char path[PATH_MAX];

	if (fd < 0)
		return;
	if (!state_path(path, sizeof(path)))
		unlink(path);
	close(fd);
}

void run_state_keep(int fd)
{
	if (fd >= 0)
		close(fd);
}
