// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_cfi_child.c: a table built in a child process is the
 * table built here, and a child's failure is an error, not ours.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "trace/cfi_child.h"

#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"

void test_cfi_child_same_table(void)
{
	struct cfi_table here = { 0 }, there = { 0 };

	if (!ASSERT_OK(cfi_table__build(LIBC, &here), "built here") ||
	    !ASSERT_OK(cfi_child__build(LIBC, NULL, &there), "built in a child"))
		goto out;
	ASSERT_EQ(there.nrows, here.nrows, "rows");
	ASSERT_EQ(there.base, here.base, "base");
	ASSERT_EQ(there.ntext, here.ntext, "executable segments");
	ASSERT_STREQ(there.build_id, here.build_id, "build id");
	ASSERT_TRUE(there.nrows == here.nrows &&
		    !memcmp(there.rows, here.rows, here.nrows * sizeof(*here.rows)), "every row alike");
out:
	cfi_table__release(&here);
	cfi_table__release(&there);
}

void test_cfi_child_errors(void)
{
	struct cfi_table t = { 0 };
	char path[] = "/tmp/memleakbpf-cfi-child-XXXXXX";
	int fd;

	if (test__start_subtest("a missing file"))
		ASSERT_EQ(cfi_child__build("/nonexistent/lib.so", NULL, &t), -ENOENT, "error");
	if (test__start_subtest("gone from its namespace: the fallback path"))
		ASSERT_OK(cfi_child__build("/proc/1/root/nonexistent/libc.so.6", LIBC, &t), "built");
	cfi_table__release(&t);
	fd = mkstemp(path);
	if (!ASSERT_GE(fd, 0, "temporary file"))
		return;
	ASSERT_EQ(write(fd, "#!/bin/sh\n", 10), 10, "write");
	close(fd);
	if (test__start_subtest("not ELF")) {
		ASSERT_LT(cfi_child__build(path, NULL, &t), 0, "an error");
		ASSERT_EQ(t.nrows, 0, "no rows");
		ASSERT_TRUE(t.rows == NULL, "nothing to free");
	}
	unlink(path);
}
