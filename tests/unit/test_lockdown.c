// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* test_lockdown.c - which commands sudo may keep under the lockdown */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lockdown.h"
#include "test.h"

struct command_case {
	const char *path;
	int want; /* 0 or -EINVAL */
	const char *what;
};

static void test_commands(void)
{
	static const struct command_case cases[] = {
		{ "/usr/bin/id", 0, "a plain read-only tool" },
		{ "usr/bin/id", -EINVAL, "relative" },
		{ "/usr/bin/id ALL", -EINVAL, "sudoers syntax in the path" },
		{ "/usr/bin/id,/bin/sh", -EINVAL, "a second command" },
		{ "/nonexistent/moat-test", -EINVAL, "missing" },
		{ "/usr/bin", -EINVAL, "a folder" },
		{ "/bin/sh", -EINVAL, "a shell" },
		{ "/usr/bin/env", -EINVAL, "a launcher" },
		{ "/usr/bin/tee", -EINVAL, "writes any file" },
		{ "/usr/bin/cp", -EINVAL, "copies over any file" },
		{ "/usr/bin/chmod", -EINVAL, "changes modes" },
		{ "/usr/bin/apt-get", -EINVAL, "a package manager" },
	};
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		ASSERT_EQ(lockdown_check_command(cases[i].path, &why),
			  cases[i].want, cases[i].what);
		if (cases[i].want)
			ASSERT_TRUE(why && *why, "the refusal says why");
	}
}

/* python3.12, pip3 and a link named "ok" to a shell are all refused. */
static void test_disguises(void)
{
	char dir[] = "/tmp/moat-lockdown-XXXXXX", link[64];
	const char *why;
	struct stat st;

	if (!stat("/usr/bin/python3", &st))
		ASSERT_EQ(lockdown_check_command("/usr/bin/python3", &why),
			  -EINVAL, "python3 is python");
	ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(link, sizeof(link), "%s/ok", dir);
	ASSERT_OK(symlink("/bin/bash", link), "link");
	ASSERT_EQ(lockdown_check_command(link, &why), -EINVAL,
		  "a link to a shell is a shell");
	unlink(link);
	rmdir(dir);
}

/*
 * A link in a folder others can write can be pointed elsewhere after the
 * check, so it is refused even though it leads to a harmless tool.
 */
static void test_writable_folder(void)
{
	char dir[] = "/tmp/moat-lockdown-XXXXXX", cmd[64];
	const char *why;

	ASSERT_TRUE(mkdtemp(dir) != NULL, "temporary folder");
	snprintf(cmd, sizeof(cmd), "%s/report", dir);
	ASSERT_OK(symlink("/usr/bin/id", cmd), "a link to a harmless tool");
	ASSERT_OK(chmod(dir, 0777), "world-writable folder");
	ASSERT_EQ(lockdown_check_command(cmd, &why), -EINVAL,
		  "a folder others can write");
	unlink(cmd);
	rmdir(dir);
}

static const struct test_case cases[] = {
	TEST(test_commands),
	TEST(test_disguises),
	TEST(test_writable_folder),
};

TEST_MAIN("lockdown", cases)
