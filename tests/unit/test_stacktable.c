// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_stacktable.c: the sweep of the stack table on a real BPF
 * hash map: a stack goes once it has been unnamed at two sweeps in a row,
 * and never while a site names it.
 */
#include <unistd.h>
#include <bpf/bpf.h>
#include "test.h"
#include "trace/stacktable.h"

static bool present(int fd, uint64_t id)
{
	char value[8];

	return bpf_map_lookup_elem(fd, &id, value) == 0;
}

void test_stacktable_sweep(void)
{
	uint64_t ids[] = { 11, 22, 33, 44 }, keep[] = { 44, 11, 11 }, none[1];
	struct stack_sweep *s = NULL;
	char value[8] = { 0 };
	size_t i, n;
	int fd;

	if (!test__require_root())
		return;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "stacks_test", sizeof(uint64_t), sizeof(value), 64,
			    NULL);
	if (!ASSERT_GE(fd, 0, "bpf_map_create"))
		return;
	for (i = 0; i < 4; i++)
		ASSERT_OK(bpf_map_update_elem(fd, &ids[i], value, BPF_NOEXIST), "insert");
	s = stack_sweep__new();
	if (!ASSERT_OK_PTR(s, "stack_sweep__new"))
		goto out;
	n = stack_ids__sort(keep, 3);
	if (test__start_subtest("sorted, once each")) {
		ASSERT_EQ(n, 2, "two ids");
		ASSERT_EQ(keep[0], 11, "11 first");
		ASSERT_EQ(keep[1], 44, "then 44");
	}
	if (test__start_subtest("first sweep: nothing goes")) {
		ASSERT_EQ(stack_sweep__run(s, fd, keep, n), 0, "deleted");
		for (i = 0; i < 4; i++)
			ASSERT_TRUE(present(fd, ids[i]), "still there");
	}
	if (test__start_subtest("second sweep: the unnamed go, the named stay")) {
		/* 33 is named again since the first sweep (a new site) */
		uint64_t keep2[] = { 11, 33, 44 };

		ASSERT_EQ(stack_sweep__run(s, fd, keep2, 3), 1, "deleted");
		ASSERT_FALSE(present(fd, 22), "22 gone");
		ASSERT_TRUE(present(fd, 11), "11 kept");
		ASSERT_TRUE(present(fd, 33), "33 kept");
		ASSERT_TRUE(present(fd, 44), "44 kept");
	}
	if (test__start_subtest("a stack new since the last sweep waits one more")) {
		uint64_t fresh = 55;

		ASSERT_OK(bpf_map_update_elem(fd, &fresh, value, BPF_NOEXIST), "insert 55");
		ASSERT_EQ(stack_sweep__run(s, fd, none, 0), 0, "nothing deleted");
		ASSERT_TRUE(present(fd, 55), "55 kept for now");
		ASSERT_EQ(stack_sweep__run(s, fd, none, 0), 4, "then all unnamed go");
		for (i = 0; i < 4; i++)
			ASSERT_FALSE(present(fd, ids[i]), "gone");
		ASSERT_FALSE(present(fd, 55), "55 gone");
	}
out:
	stack_sweep__free(s);
	close(fd);
}
