// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* subproc.c - run a helper program, feed its stdin, keep its stderr */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "subproc.h"

extern char **environ;

/*
 * Helpers are found in the system's own directories only, never through
 * PATH: moat runs as root, and a PATH kept from a user's environment
 * (sudo -E, a CI step) could name a directory that user can write to.
 */
static const char *const search_dirs[] = {
	"/usr/sbin", "/usr/bin",	"/sbin",
	"/bin",	     "/usr/local/sbin", "/usr/local/bin"
};

static int find_program(const char *name, char *path, size_t len)
{
	size_t i;

	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return access(path, X_OK) ? -ENOENT : 0;
	}
	for (i = 0; i < sizeof(search_dirs) / sizeof(search_dirs[0]); i++) {
		snprintf(path, len, "%s/%s", search_dirs[i], name);
		if (!access(path, X_OK))
			return 0;
	}
	return -ENOENT;
}

static int spawn_child(const char *path, const char *const argv[], int in_fd,
		       int out_fd, pid_t *pid)
{
	/* posix_spawn() takes char *const[] but never writes through it. */
	union {
		const char *const *in;
		char *const *out;
	} args = { .in = argv };
	posix_spawn_file_actions_t fa;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDERR_FILENO);
	err = posix_spawn(pid, path, &fa, NULL, args.out, environ);
	posix_spawn_file_actions_destroy(&fa);
	return -err;
}

/* Write input and read output together, so neither pipe can fill up. */
static void pump(int in_fd, int out_fd, const char *input, char *output,
		 size_t output_len)
{
	size_t in_left = input ? strlen(input) : 0, out_used = 0;
	char discard[512];

	if (!in_left) {
		close(in_fd);
		in_fd = -1;
	}
	for (;;) {
		struct pollfd pfd[2] = { { .fd = out_fd, .events = POLLIN },
					 { .fd = in_fd, .events = POLLOUT } };
		ssize_t n;

		if (poll(pfd, in_fd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			break;
		if (in_fd >= 0 && pfd[1].revents) {
			n = write(in_fd, input, in_left);
			if (n > 0) {
				input += n;
				in_left -= (size_t)n;
			}
			if (n <= 0 || !in_left) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (!pfd[0].revents)
			continue;
		if (out_used + 1 < output_len)
			n = read(out_fd, output + out_used,
				 output_len - out_used - 1);
		else
			n = read(out_fd, discard, sizeof(discard));
		if (n <= 0)
			break;
		if (out_used + 1 < output_len)
			out_used += (size_t)n;
	}
	if (in_fd >= 0)
		close(in_fd);
	output[out_used] = '\0';
	while (out_used && (output[out_used - 1] == '\n'))
		output[--out_used] = '\0';
}

int subproc_run(const char *const argv[], const char *input, char *output,
		size_t output_len)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
	char path[4096];
	int err, status;
	pid_t pid;

	output[0] = '\0';
	err = find_program(argv[0], path, sizeof(path));
	if (err)
		return err;
	if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC)) {
		err = -errno;
		goto out;
	}
	err = spawn_child(path, argv, in_pipe[0], out_pipe[1], &pid);
	if (err)
		goto out;
	close(in_pipe[0]);
	close(out_pipe[1]);
	in_pipe[0] = out_pipe[1] = -1;

	/* A helper that exits early must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	pump(in_pipe[1], out_pipe[0], input, output, output_len);
	in_pipe[1] = -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	err = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	if (in_pipe[0] >= 0)
		close(in_pipe[0]);
	if (in_pipe[1] >= 0)
		close(in_pipe[1]);
	if (out_pipe[0] >= 0)
		close(out_pipe[0]);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
	return err;
}
