// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_launch.c: `-- CMD`'s launcher, on real short commands
 * (no BPF, no privileges).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "test.h"
#include "saved_env.h"
#include "cli/launch.h"

static struct saved_env saved_path;

/* dir/name, a script that exits 0, mode as given. */
static bool make_script(const char *dir, const char *name, mode_t mode, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return false;
	if (write(fd, "#!/bin/sh\nexit 0\n", 17) != 17) {
		close(fd);
		return false;
	}
	return close(fd) == 0;
}

void test_launch_resolve(void)
{
	char dir[] = "/tmp/mlb_launch_XXXXXX", prog[PATH_MAX], noexec[PATH_MAX], list[PATH_MAX];
	char cwd[PATH_MAX], want[PATH_MAX], *got;

	saved_env__take(&saved_path, "PATH");
	if (!ASSERT_OK_PTR(getcwd(cwd, sizeof(cwd)), "getcwd") ||
	    !ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp") ||
	    !ASSERT_TRUE(make_script(dir, "mlb_launch_prog", 0755, prog, sizeof(prog)), "prog") ||
	    !ASSERT_TRUE(make_script(dir, "mlb_launch_noexec", 0644, noexec, sizeof(noexec)),
			 "noexec"))
		goto cleanup;
	if (!ASSERT_OK_PTR(realpath(prog, want), "realpath"))
		goto cleanup;
	if (test__start_subtest("a name on PATH")) {
		snprintf(list, sizeof(list), "/nonexistent:%s:/usr/bin", dir);
		setenv("PATH", list, 1);
		got = launch__resolve("mlb_launch_prog");
		ASSERT_STREQ(got, want, "the script, by its real path");
		free(got);
		got = launch__resolve("true");
		ASSERT_STREQ(got, realpath("/usr/bin/true", list), "true");
		free(got);
		saved_env__restore(&saved_path);
	}
	if (test__start_subtest("an empty PATH entry")) {
		/* execvp reads it as the current directory: so must we */
		setenv("PATH", "/nonexistent:", 1);
		if (ASSERT_OK(chdir(dir), "chdir")) {
			got = launch__resolve("mlb_launch_prog");
			ASSERT_OK(chdir(cwd), "chdir back");
			ASSERT_STREQ(got, want, "absolute");
			free(got);
		}
		saved_env__restore(&saved_path);
	}
	if (test__start_subtest("a path")) {
		got = launch__resolve(prog);
		ASSERT_STREQ(got, want, "absolute");
		free(got);
		got = launch__resolve("/bin/true");
		ASSERT_STREQ(got, realpath("/bin/true", list), "through a symlinked /bin");
		free(got);
	}
	if (test__start_subtest("missing")) {
		errno = 0;
		ASSERT_TRUE(launch__resolve("mlb-no-such-command") == NULL, "not on PATH");
		ASSERT_EQ(errno, ENOENT, "errno");
		errno = 0;
		ASSERT_TRUE(launch__resolve("/nonexistent/mlb") == NULL, "no such path");
		ASSERT_EQ(errno, ENOENT, "errno");
		errno = 0;
		ASSERT_TRUE(launch__resolve(noexec) == NULL, "not executable");
		ASSERT_EQ(errno, EACCES, "errno");
		snprintf(list, sizeof(list), "%s", dir);
		setenv("PATH", list, 1);
		errno = 0;
		ASSERT_TRUE(launch__resolve("mlb_launch_noexec") == NULL, "not executable, on PATH");
		ASSERT_EQ(errno, ENOENT, "errno");
		saved_env__restore(&saved_path);
	}
cleanup:
	saved_env__restore(&saved_path);
	unlink(prog);
	unlink(noexec);
	rmdir(dir);
}

/* The exit status of a released child, or -1. */
static int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int run(char **argv, const sigset_t *mask, int *release_err)
{
	struct launched l;
	int err;

	err = launch__start(&l, argv, mask);
	if (!ASSERT_OK(err, "launch__start") || !ASSERT_GT(l.pid, 0, "pid"))
		return -1;
	*release_err = launch__release(&l);
	ASSERT_EQ(l.gate_fd, -1, "gate closed");
	ASSERT_EQ(l.error_fd, -1, "error pipe closed");
	launch__cleanup(&l);
	return reap(l.pid);
}

void test_launch_run(void)
{
	sigset_t empty, usr1, old;
	int err = 0;

	sigemptyset(&empty);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (test__start_subtest("true and false")) {
		char *t[] = { "/bin/true", NULL }, *f[] = { "false", NULL };

		ASSERT_EQ(run(t, &empty, &err), 0, "true's exit status");
		ASSERT_OK(err, "released");
		ASSERT_EQ(run(f, &empty, &err), 1, "false's exit status, through PATH");
		ASSERT_OK(err, "released");
	}
	if (test__start_subtest("held at the gate")) {
		char *t[] = { "/bin/true", NULL }, self[PATH_MAX], child[PATH_MAX], link[64];
		struct launched l;
		ssize_t n, m;

		if (ASSERT_OK(launch__start(&l, t, &empty), "launch__start")) {
			/* Before the release it is still us: no exec yet. */
			snprintf(link, sizeof(link), "/proc/%d/exe", (int)l.pid);
			n = readlink("/proc/self/exe", self, sizeof(self) - 1);
			m = readlink(link, child, sizeof(child) - 1);
			if (ASSERT_GT(n, 0, "self") && ASSERT_GT(m, 0, "child")) {
				self[n] = child[m] = '\0';
				ASSERT_STREQ(child, self, "not yet exec'd");
			}
			ASSERT_OK(launch__release(&l), "release");
			launch__cleanup(&l);
			ASSERT_EQ(reap(l.pid), 0, "then it ran");
		}
	}
	if (test__start_subtest("exec fails")) {
		char *missing[] = { "/nonexistent/mlb", NULL };

		ASSERT_EQ(run(missing, &empty, &err), 127, "the child's exit status");
		ASSERT_EQ(err, -ENOENT, "launch__release gives exec's errno");
	}
	if (test__start_subtest("never released")) {
		char *t[] = { "/bin/true", NULL };
		struct launched l;
		int status;

		if (ASSERT_OK(launch__start(&l, t, &empty), "launch__start")) {
			launch__cleanup(&l);
			ASSERT_EQ(l.gate_fd, -1, "gate closed");
			ASSERT_EQ(l.error_fd, -1, "error pipe closed");
			errno = 0;
			ASSERT_EQ(waitpid(l.pid, &status, WNOHANG), -1, "already reaped");
			ASSERT_EQ(errno, ECHILD, "errno");
			launch__cleanup(&l);	/* twice is harmless */
		}
	}
	if (test__start_subtest("signal mask")) {
		/* The tracer blocks its signals; the command gets child_mask.
		 * grep reads its own mask (a shell would reset it).
		 */
		char *none[] = { "grep", "-qx", "SigBlk:[[:space:]]*0*", "/proc/self/status", NULL };
		char *usr1_only[] = { "grep", "-qx", "SigBlk:[[:space:]]*0*200",
				      "/proc/self/status", NULL };

		if (ASSERT_OK(sigprocmask(SIG_BLOCK, &usr1, &old), "block SIGUSR1")) {
			ASSERT_EQ(run(none, &empty, &err), 0, "nothing blocked in the command");
			sigprocmask(SIG_SETMASK, &old, NULL);
		}
		ASSERT_EQ(run(usr1_only, &usr1, &err), 0, "SIGUSR1 blocked in the command");
	}
}
