// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_atomic_file.c: user/util/atomic_file.c in a temporary
 * directory: commit replaces the file, abort and failures leave the old one
 * and no temporary file, and the check fails as the write would.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "test.h"
#include "golden.h"
#include "tmpdir.h"
#include "util/atomic_file.h"

#define NOBODY 65534

static bool put(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	if (!ASSERT_OK_PTR(f, path))
		return false;
	fputs(content, f);
	return ASSERT_OK(fclose(f), path);
}

/* path holds exactly want. */
static void content_is(const char *path, const char *want, const char *name)
{
	size_t len = 0;
	char *got = golden_read(path, &len);

	if (ASSERT_OK_PTR(got, name)) {
		ASSERT_EQ(len, strlen(want), name);
		ASSERT_STREQ(got, want, name);
	}
	free(got);
}

static void commit_replaces(void)
{
	char dir[64], path[PATH_MAX], prefix[PATH_MAX + 8];
	struct atomic_file af;
	struct stat st;
	mode_t old_mask;

	if (!tmpdir_make(dir, sizeof(dir), "atomic"))
		return;
	snprintf(path, sizeof(path), "%s/leak.folded", dir);
	snprintf(prefix, sizeof(prefix), "%s.tmp-", path);
	if (!put(path, "old\n"))
		goto out;
	old_mask = umask(027);
	if (!ASSERT_OK(atomic_file__open(&af, path), "open")) {
		umask(old_mask);
		goto out;
	}
	umask(old_mask);
	ASSERT_STREQ(af.path, path, "target kept");
	ASSERT_EQ(strncmp(af.tmp, prefix, strlen(prefix)), 0, "temporary file beside the target");
	ASSERT_EQ(strlen(af.tmp), strlen(prefix) + 6, "PATH.tmp-XXXXXX");
	ASSERT_OK(access(af.tmp, F_OK), "temporary file exists while open");
	fputs("a;b 12\n", af.f);
	fflush(af.f);
	content_is(path, "old\n", "the old file until commit");
	if (!ASSERT_OK(atomic_file__commit(&af), "commit"))
		goto out;
	content_is(path, "a;b 12\n", "the new content");
	ASSERT_STREQ(tmpdir_list(dir), "leak.folded", "no temporary file left");
	if (ASSERT_OK(stat(path, &st), "stat"))
		ASSERT_EQ(st.st_mode & 07777, 0640, "mode 0666 less the umask 027");
	ASSERT_TRUE(af.f == NULL, "closed");
	ASSERT_STREQ(af.tmp, "", "temporary name cleared");
	/* abort after commit: nothing to remove, the new file stays */
	atomic_file__abort(&af);
	content_is(path, "a;b 12\n", "abort after commit leaves the file");
	ASSERT_EQ(atomic_file__commit(&af), -EBADF, "commit twice");
out:
	tmpdir_remove(dir);
}

static void commit_creates(void)
{
	char dir[64], path[PATH_MAX];
	struct atomic_file af;

	if (!tmpdir_make(dir, sizeof(dir), "atomic"))
		return;
	snprintf(path, sizeof(path), "%s/new.svg", dir);
	if (ASSERT_OK(atomic_file__open(&af, path), "open")) {
		fputs("<svg/>\n", af.f);
		ASSERT_OK(atomic_file__commit(&af), "commit");
		content_is(path, "<svg/>\n", "created");
		ASSERT_STREQ(tmpdir_list(dir), "new.svg", "only the file");
	}
	tmpdir_remove(dir);
}

void test_atomic_file_commit(void)
{
	if (test__start_subtest("replaces"))
		commit_replaces();
	if (test__start_subtest("creates"))
		commit_creates();
}

void test_atomic_file_abort(void)
{
	char dir[64], path[PATH_MAX];
	struct atomic_file af;

	if (!tmpdir_make(dir, sizeof(dir), "atomic"))
		return;
	snprintf(path, sizeof(path), "%s/leak.pb.gz", dir);
	if (!put(path, "old content\n") || !ASSERT_OK(atomic_file__open(&af, path), "open"))
		goto out;
	fputs("half a profile", af.f);
	fflush(af.f);
	ASSERT_STRCONTAINS(tmpdir_list(dir), "leak.pb.gz.tmp-", "temporary file while open");
	atomic_file__abort(&af);
	content_is(path, "old content\n", "old content kept");
	ASSERT_STREQ(tmpdir_list(dir), "leak.pb.gz", "no temporary file left");
	ASSERT_TRUE(af.f == NULL, "closed");
	atomic_file__abort(&af);	/* twice: nothing more happens */
	content_is(path, "old content\n", "abort twice");
out:
	tmpdir_remove(dir);
}

/* A directory where the file should be: the check says so before, the
 * commit when it renames.
 */
static void check_directory(const char *dir)
{
	char sub[PATH_MAX], slash[PATH_MAX], missing_slash[PATH_MAX];
	struct atomic_file af;

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(slash, sizeof(slash), "%s/sub/", dir);
	snprintf(missing_slash, sizeof(missing_slash), "%s/none/", dir);
	if (!ASSERT_OK(mkdir(sub, 0755), "mkdir"))
		return;
	ASSERT_EQ(atomic_file__check(sub), -EISDIR, "check a directory");
	ASSERT_EQ(atomic_file__check(slash), -EISDIR, "check dir/");
	ASSERT_EQ(atomic_file__check(missing_slash), -EISDIR, "check a name ending in /");
	if (ASSERT_OK(atomic_file__open(&af, sub), "open beside it")) {
		fputs("x", af.f);
		ASSERT_EQ(atomic_file__commit(&af), -EISDIR, "commit onto a directory");
	}
	ASSERT_STREQ(tmpdir_list(dir), "sub", "the directory, no temporary file");
	ASSERT_STREQ(tmpdir_list(sub), "", "nothing written into it");
}

static void check_missing(const char *dir)
{
	char path[PATH_MAX];
	struct atomic_file af;

	snprintf(path, sizeof(path), "%s/missing/leak.svg", dir);
	ASSERT_EQ(atomic_file__check(path), -ENOENT, "check");
	ASSERT_EQ(atomic_file__open(&af, path), -ENOENT, "open");
	ASSERT_TRUE(af.f == NULL, "no file");
	ASSERT_STREQ(tmpdir_list(dir), "", "nothing created");
}

/* A regular file where a directory should be: fails for root too. */
static void check_not_dir(const char *dir)
{
	char file[PATH_MAX], path[PATH_MAX];

	snprintf(file, sizeof(file), "%s/plain", dir);
	snprintf(path, sizeof(path), "%s/plain/leak.svg", dir);
	if (put(file, "x"))
		ASSERT_EQ(atomic_file__check(path), -ENOTDIR, "check");
}

/* What a user without write permission gets.  Root may write anywhere, so
 * as root the check runs in a child that became nobody.
 */
static void check_read_only(const char *dir)
{
	char ro[PATH_MAX], path[PATH_MAX];
	struct atomic_file af;
	int status, res[2] = { 1, 1 }, fds[2];
	pid_t pid;

	snprintf(ro, sizeof(ro), "%s/ro", dir);
	snprintf(path, sizeof(path), "%s/ro/leak.folded", dir);
	if (!ASSERT_OK(mkdir(ro, 0555), "mkdir") || !ASSERT_OK(chmod(ro, 0555), "chmod") ||
	    !ASSERT_OK(chmod(dir, 0755), "others may enter"))
		return;
	if (geteuid() != 0) {
		ASSERT_EQ(atomic_file__check(path), -EACCES, "check");
		ASSERT_EQ(atomic_file__open(&af, path), -EACCES, "open");
		ASSERT_STREQ(tmpdir_list(ro), "", "nothing created");
		return;
	}
	if (!ASSERT_OK(pipe(fds), "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(3);
		res[0] = atomic_file__check(path);
		res[1] = atomic_file__open(&af, path);
		_exit(write(fds[1], res, sizeof(res)) == sizeof(res) ? 0 : 4);
	}
	close(fds[1]);
	if (ASSERT_GE(pid, 0, "fork")) {
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
			test__skip("root cannot become nobody here (no CAP_SETUID)");
		} else if (ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child") &&
			   ASSERT_EQ(read(fds[0], res, sizeof(res)), sizeof(res), "results")) {
			ASSERT_EQ(res[0], -EACCES, "check");
			ASSERT_EQ(res[1], -EACCES, "open");
		}
	}
	close(fds[0]);
	ASSERT_STREQ(tmpdir_list(ro), "", "nothing created");
}

/* A 250-byte name is a legal file name, but not once ".tmp-XXXXXX" is
 * added: the check fails now, not after the whole write.
 */
static void check_long_name(const char *dir)
{
	char path[PATH_MAX + 16], name[251];
	struct atomic_file af;
	int fd;

	memset(name, 'a', 250);
	name[250] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ASSERT_EQ(atomic_file__check(path), -ENAMETOOLONG, "check");
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (ASSERT_GE(fd, 0, "the name itself is legal"))
		close(fd);
	ASSERT_STREQ(tmpdir_list(dir), name, "no temporary file left");
	/* a path that does not fit at all */
	memset(path, 'b', PATH_MAX);
	path[0] = '/';
	path[PATH_MAX] = '\0';
	ASSERT_EQ(atomic_file__open(&af, path), -ENAMETOOLONG, "open beyond PATH_MAX");
	ASSERT_TRUE(af.f == NULL, "no file");
}

void test_atomic_file_check(void)
{
	static const struct {
		const char *name;
		void (*fn)(const char *dir);
	} cases[] = {
		{ "directory given as the file", check_directory },
		{ "missing directory", check_missing },
		{ "parent is a file", check_not_dir },
		{ "read-only directory", check_read_only },
		{ "name too long", check_long_name },
	};
	char dir[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!test__start_subtest(cases[i].name) || !tmpdir_make(dir, sizeof(dir), "atomic"))
			continue;
		cases[i].fn(dir);
		tmpdir_remove(dir);
	}
	if (test__start_subtest("writable")) {
		char path[PATH_MAX];

		if (!tmpdir_make(dir, sizeof(dir), "atomic"))
			return;
		snprintf(path, sizeof(path), "%s/leak.svg", dir);
		ASSERT_OK(atomic_file__check(path), "check");
		ASSERT_STREQ(tmpdir_list(dir), "", "the check leaves nothing");
		tmpdir_remove(dir);
	}
}

/* A write that fails (the file size limit, EFBIG) is not committed: the
 * old file stays.  In a child, whose limit goes with it.
 */
void test_atomic_file_write_error(void)
{
	char dir[64], path[PATH_MAX], big[100];
	struct rlimit lim = { 10, 10 };
	struct atomic_file af;
	int status, err;
	pid_t pid;

	if (!tmpdir_make(dir, sizeof(dir), "atomic"))
		return;
	snprintf(path, sizeof(path), "%s/leak.folded", dir);
	if (!put(path, "old\n"))
		goto out;
	memset(big, 'x', sizeof(big));
	pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim))
			_exit(200);
		err = atomic_file__open(&af, path);
		if (err)
			_exit(201);
		fwrite(big, 1, sizeof(big), af.f);	/* buffered: fails at commit */
		_exit(-atomic_file__commit(&af));
	}
	if (!ASSERT_GE(pid, 0, "fork"))
		goto out;
	waitpid(pid, &status, 0);
	if (ASSERT_TRUE(WIFEXITED(status), "child exited"))
		ASSERT_EQ(WEXITSTATUS(status), EFBIG, "commit: -EFBIG");
	content_is(path, "old\n", "old content kept");
	ASSERT_STREQ(tmpdir_list(dir), "leak.folded", "no temporary file left");
out:
	tmpdir_remove(dir);
}
