// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_searchpath.c: search lists as execvp and ld.so read them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "test.h"
#include "saved_env.h"
#include "target/searchpath.h"

/* Every path the list gives for "n", joined by '|'. */
static const char *all(struct searchpath *sp)
{
	static char buf[8192];
	char path[PATH_MAX];
	size_t k = 0;

	buf[0] = '\0';
	while (searchpath__next(sp, "n", path, sizeof(path)))
		k += snprintf(buf + k, sizeof(buf) - k, "%s%s", k ? "|" : "", path);
	return buf;
}

static const char *plain(const char *list)
{
	struct searchpath sp;

	searchpath__init(&sp, list, ":");
	return all(&sp);
}

static const char *ld(const char *list, const char *seps, const char *origin)
{
	struct searchpath sp;

	searchpath__init_ld(&sp, list, seps, origin);
	return all(&sp);
}

void test_searchpath_entries(void)
{
	if (test__start_subtest("split")) {
		ASSERT_STREQ(plain("/a:/b/c"), "/a/n|/b/c/n", "two");
		ASSERT_STREQ(plain("/a"), "/a/n", "one");
		ASSERT_STREQ(plain("/a/"), "/a//n", "trailing slash kept");
	}
	if (test__start_subtest("empty entries are the current directory")) {
		ASSERT_STREQ(plain(":/a"), "./n|/a/n", "leading colon");
		ASSERT_STREQ(plain("/a:"), "/a/n|./n", "trailing colon");
		ASSERT_STREQ(plain("/a::/b"), "/a/n|./n|/b/n", "two colons");
		ASSERT_STREQ(plain(":"), "./n|./n", "a colon alone");
		ASSERT_STREQ(ld("/a:", ":", "/o"), "/a/n|./n", "ld.so too");
		ASSERT_STREQ(ld("::", ":", "/o"), "./n|./n|./n", "ld.so, colons alone");
	}
	if (test__start_subtest("an empty list")) {
		ASSERT_STREQ(plain(""), "./n", "execvp: one empty entry");
		ASSERT_STREQ(plain(NULL), "", "NULL: none");
		ASSERT_STREQ(ld("", ":", "/o"), "", "ld.so: none");
		ASSERT_STREQ(ld(NULL, ":", "/o"), "", "ld.so, NULL: none");
	}
	if (test__start_subtest("separators")) {
		ASSERT_STREQ(ld("/a;/b:/c", SEARCHPATH_LD_LIBRARY_SEPS, "/o"), "/a/n|/b/n|/c/n",
			     "LD_LIBRARY_PATH takes ';'");
		ASSERT_STREQ(ld("/a;/b:/c", SEARCHPATH_RPATH_SEPS, "/o"), "/a;/b/n|/c/n",
			     "DT_RUNPATH does not");
		ASSERT_STREQ(ld(";", SEARCHPATH_LD_LIBRARY_SEPS, "/o"), "./n|./n", "empty around ';'");
	}
	if (test__start_subtest("$ORIGIN")) {
		ASSERT_STREQ(ld("$ORIGIN/lib:${ORIGIN}:x$ORIGIN/y", ":", "/opt/app"),
			     "/opt/app/lib/n|/opt/app/n|x/opt/app/y/n", "expanded anywhere");
		ASSERT_STREQ(ld("$ORIGIN:$ORIGIN", ":", "/o"), "/o/n|/o/n", "up to the separator");
		ASSERT_STREQ(ld("$ORIGINAL:$ORIGIN_X:$ORIGIN.d", ":", "/o"),
			     "$ORIGINAL/n|$ORIGIN_X/n|/o.d/n", "a longer name is not $ORIGIN");
		ASSERT_STREQ(ld("${ORIGIN:/b", ":", "/o"), "${ORIGIN/n|/b/n", "unclosed brace");
		ASSERT_STREQ(ld("$ORIG:$", ":", "/o"), "$ORIG/n|$/n", "short");
		ASSERT_STREQ(ld("$FOO/x:/b$", ":", "/o"), "$FOO/x/n|/b$/n", "other '$' kept");
		ASSERT_STREQ(ld("$LIB/x:/a:${PLATFORM}:/b$LIB", ":", "/o"), "/a/n",
			     "$LIB and $PLATFORM passed over");
		ASSERT_STREQ(plain("$ORIGIN"), "$ORIGIN/n", "not in PATH");
	}
}

void test_searchpath_long(void)
{
	struct searchpath sp;
	char out[16], big[PATH_MAX + 100], list[2 * PATH_MAX];

	if (test__start_subtest("fits exactly")) {
		searchpath__init(&sp, "/abcdefghijk", ":");	/* 12 + "/n" + NUL = 15 */
		ASSERT_TRUE(searchpath__next(&sp, "n", out, 15), "15 bytes");
		ASSERT_STREQ(out, "/abcdefghijk/n", "path");
		searchpath__init(&sp, "/abcdefghijk", ":");
		ASSERT_FALSE(searchpath__next(&sp, "n", out, 14), "14 bytes: passed over");
		searchpath__init(&sp, "/abcdefghijk:/b", ":");
		ASSERT_TRUE(searchpath__next(&sp, "n", out, 14), "the next one");
		ASSERT_STREQ(out, "/b/n", "not cut");
	}
	if (test__start_subtest("longer than PATH_MAX")) {
		memset(big, 'd', sizeof(big) - 1);
		big[0] = '/';
		big[sizeof(big) - 1] = '\0';
		snprintf(list, sizeof(list), "%s:/usr/bin", big);
		ASSERT_STREQ(plain(list), "/usr/bin/n", "passed over");
	}
	if (test__start_subtest("$ORIGIN too long")) {
		searchpath__init_ld(&sp, "$ORIGIN:/b", ":", "/a/very/long/origin");
		ASSERT_TRUE(searchpath__next(&sp, "n", out, sizeof(out)), "next");
		ASSERT_STREQ(out, "/b/n", "the expansion does not fit");
	}
	if (test__start_subtest("a long name")) {
		memset(big, 'n', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		searchpath__init(&sp, "/a", ":");
		ASSERT_FALSE(searchpath__next(&sp, big, list, PATH_MAX), "does not fit");
	}
}

static struct saved_env saved_path;

void test_searchpath_exec(void)
{
	struct searchpath sp;

	saved_env__take(&saved_path, "PATH");
	if (test__start_subtest("PATH")) {
		setenv("PATH", "/x:", 1);
		searchpath__init_exec(&sp);
		ASSERT_STREQ(all(&sp), "/x/n|./n", "from the environment");
		setenv("PATH", "", 1);
		searchpath__init_exec(&sp);
		ASSERT_STREQ(all(&sp), "./n", "empty: the current directory");
		unsetenv("PATH");
		searchpath__init_exec(&sp);
		ASSERT_STREQ(all(&sp), "/bin/n|/usr/bin/n", "unset: _CS_PATH");
	}
	if (test__start_subtest("default is confstr(_CS_PATH)")) {
		char cs[256];

		if (ASSERT_GT(confstr(_CS_PATH, cs, sizeof(cs)), 0, "confstr"))
			ASSERT_STREQ(cs, SEARCHPATH_EXEC_DEFAULT, "same as the C library's");
	}
	saved_env__restore(&saved_path);
}

/* A directory with a program, a file that is not executable and a
 * directory, each named as a command.
 */
static bool make_dir(char *dir)
{
	char p[PATH_MAX];
	int fd;

	if (!mkdtemp(dir))
		return false;
	snprintf(p, sizeof(p), "%s/mlb_prog", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0755);
	if (fd < 0 || write(fd, "#!/bin/sh\nexit 42\n", 18) != 18)
		return false;
	close(fd);
	snprintf(p, sizeof(p), "%s/mlb_noexec", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return false;
	close(fd);
	snprintf(p, sizeof(p), "%s/mlb_dir", dir);
	return mkdir(p, 0755) == 0;
}

static void remove_dir(const char *dir)
{
	const char *names[] = { "mlb_prog", "mlb_noexec" };
	char p[PATH_MAX];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/mlb_dir", dir);
	rmdir(p);
	rmdir(dir);
}

/* Did execvp(name) run our program (exit 42), with this PATH, in cwd? */
static bool execvp_runs(const char *path, const char *cwd, const char *name)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { (char *)name, NULL };

		if (chdir(cwd))
			_exit(126);
		setenv("PATH", path, 1);
		execvp(name, argv);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 42;
}

void test_searchpath_find_command(void)
{
	char dir[] = "/tmp/mlb_searchpath_XXXXXX", cwd[PATH_MAX], out[PATH_MAX], list[PATH_MAX];
	char want[PATH_MAX + 16];

	saved_env__take(&saved_path, "PATH");
	if (!ASSERT_OK_PTR(getcwd(cwd, sizeof(cwd)), "getcwd") ||
	    !ASSERT_TRUE(make_dir(dir), "fixture dir"))
		return;
	if (test__start_subtest("along PATH")) {
		snprintf(list, sizeof(list), "/nonexistent:%s:/usr/bin", dir);
		setenv("PATH", list, 1);
		snprintf(want, sizeof(want), "%s/mlb_prog", dir);
		ASSERT_OK(searchpath__find_command("mlb_prog", out, sizeof(out)), "found");
		ASSERT_STREQ(out, want, "path");
		ASSERT_OK(searchpath__find_command("sh", out, sizeof(out)), "sh");
		ASSERT_STREQ(out, "/usr/bin/sh", "the first that is there");
	}
	if (test__start_subtest("not a program")) {
		snprintf(list, sizeof(list), "%s:/nonexistent", dir);
		setenv("PATH", list, 1);
		ASSERT_EQ(searchpath__find_command("mlb_noexec", out, sizeof(out)), -ENOENT,
			  "not executable");
		ASSERT_EQ(searchpath__find_command("mlb_dir", out, sizeof(out)), -ENOENT,
			  "a directory");
		ASSERT_EQ(searchpath__find_command("mlb_missing", out, sizeof(out)), -ENOENT,
			  "missing");
	}
	if (test__start_subtest("empty entries") && ASSERT_OK(chdir(dir), "chdir")) {
		setenv("PATH", "/nonexistent:", 1);
		ASSERT_OK(searchpath__find_command("mlb_prog", out, sizeof(out)), "trailing");
		ASSERT_STREQ(out, "./mlb_prog", "in the current directory");
		setenv("PATH", "", 1);
		ASSERT_OK(searchpath__find_command("mlb_prog", out, sizeof(out)), "PATH=\"\"");
		unsetenv("PATH");
		ASSERT_EQ(searchpath__find_command("mlb_prog", out, sizeof(out)), -ENOENT,
			  "PATH unset: no current directory");
		ASSERT_OK(chdir(cwd), "chdir back");
	}
	if (test__start_subtest("agrees with execvp")) {
		static const char *const paths[] = {
			":/nonexistent", "/nonexistent:", "/nonexistent::/x", "", ":", "/nonexistent",
			"/usr/bin",
		};
		size_t i;

		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			bool found;

			setenv("PATH", paths[i], 1);
			if (!ASSERT_OK(chdir(dir), "chdir"))
				break;
			found = searchpath__find_command("mlb_prog", out, sizeof(out)) == 0;
			ASSERT_OK(chdir(cwd), "chdir back");
			saved_env__restore(&saved_path);
			ASSERT_EQ(found, execvp_runs(paths[i], dir, "mlb_prog"), paths[i]);
		}
	}
	saved_env__restore(&saved_path);
	remove_dir(dir);
}
