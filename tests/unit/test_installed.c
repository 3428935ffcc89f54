// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_installed.c: the allocator libraries found by name in
 * the standard directories, to be attached to in advance.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "test.h"
#include "tmpdir.h"
#include "target/installed.h"

void test_installed_names(void)
{
	static const char *const yes[] = {
		"libc.so.6", "libjemalloc.so.2", "libjemalloc.so", "libtcmalloc.so.4",
		"libtcmalloc_minimal.so.4.5.10", "libtcmalloc_and_profiler.so.4",
		"libmimalloc.so.2", "libmimalloc-secure.so.2.1",
	};
	static const char *const no[] = {
		"libc_malloc_debug.so.0", "libcap.so.2", "libc.a", "libjemalloc_pic.a",
		"libjemalloc.sox", "libc.so6", "libcrypt.so.1", "jemalloc.so.2", "libc",
		"libmimalloc.a", "libtcmalloc.so-old", "",
	};
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ASSERT_TRUE(installed__is_allocator_name(yes[i]), yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ASSERT_FALSE(installed__is_allocator_name(no[i]), no[i]);
}

static bool make_file(const char *dir, const char *name)
{
	char path[2 * PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static bool make_link(const char *dir, const char *name, const char *target)
{
	char path[2 * PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return symlink(target, path) == 0;
}

void test_installed_files(void)
{
	char root[PATH_MAX] = "", real[PATH_MAX], a[PATH_MAX + 8], b[PATH_MAX + 8];
	char (*files)[PATH_MAX] = calloc(8, sizeof(*files));
	char dirs[3 * PATH_MAX], want[3][2 * PATH_MAX];
	int n;

	if (!ASSERT_OK_PTR(files, "files") || !tmpdir_make(root, sizeof(root), "installed"))
		goto out;
	if (!ASSERT_OK_PTR(realpath(root, real), "realpath"))
		goto out;
	snprintf(a, sizeof(a), "%s/a", real);
	snprintf(b, sizeof(b), "%s/b", real);
	if (!ASSERT_OK(mkdir(a, 0755), "a") || !ASSERT_OK(mkdir(b, 0755), "b") ||
	    !ASSERT_TRUE(make_file(a, "libtcmalloc_minimal.so.4.5.10") && make_file(a, "libc.so.6") &&
			 make_file(a, "libcap.so.2") && make_file(b, "libjemalloc.so.2") &&
			 make_file(b, "libfoo.so"), "files") ||
	    !ASSERT_TRUE(make_link(a, "libtcmalloc_minimal.so.4", "libtcmalloc_minimal.so.4.5.10") &&
			 /* another directory's name for a file already listed */
			 make_link(b, "libc.so.6", "../a/libc.so.6") &&
			 /* a library named like one, that is not where it points */
			 make_link(b, "libmimalloc.so.2", "missing.so") &&
			 make_link(b, "libjemalloc.so", "libjemalloc.so.2"), "links"))
		goto out;
	snprintf(want[0], sizeof(want[0]), "%s/libc.so.6", a);
	snprintf(want[1], sizeof(want[1]), "%s/libtcmalloc_minimal.so.4.5.10", a);
	snprintf(want[2], sizeof(want[2]), "%s/libjemalloc.so.2", b);
	if (test__start_subtest("each file once, by its real path, in directory order")) {
		snprintf(dirs, sizeof(dirs), "%s:/nonexistent:%s", a, b);
		n = installed__allocator_files(dirs, files, 8);
		if (ASSERT_EQ(n, 3, "files found")) {
			ASSERT_STREQ(files[0], want[0], "libc.so.6");
			ASSERT_STREQ(files[1], want[1], "tcmalloc's real file, once");
			ASSERT_STREQ(files[2], want[2], "jemalloc's real file, once");
		}
	}
	if (test__start_subtest("at most max")) {
		snprintf(dirs, sizeof(dirs), "%s:%s", a, b);
		n = installed__allocator_files(dirs, files, 2);
		if (ASSERT_EQ(n, 2, "capped"))
			ASSERT_STREQ(files[1], want[1], "the first two");
	}
	if (test__start_subtest("the other order")) {
		snprintf(dirs, sizeof(dirs), "%s:%s", b, a);
		n = installed__allocator_files(dirs, files, 8);
		if (ASSERT_EQ(n, 3, "files found")) {
			/* b's libc.so.6 and libjemalloc.so* sorted by name */
			ASSERT_STREQ(files[0], want[0], "b/libc.so.6 is a's");
			ASSERT_STREQ(files[1], want[2], "jemalloc");
			ASSERT_STREQ(files[2], want[1], "tcmalloc");
		}
	}
	if (test__start_subtest("this machine's C library"))
		ASSERT_GE(installed__allocator_files(NULL, files, 8), 1, "libc.so.6 at least");
out:
	if (root[0])
		tmpdir_remove(root);
	free(files);
}
