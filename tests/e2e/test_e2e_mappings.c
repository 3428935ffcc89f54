/* End to end: anonymous mappings and the break, exact to the page. */
#include "e2e.h"

#define PAGE 4096

void test_e2e_mappings(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "mmap_ops", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "mmap_ops");
	if (test__start_subtest("mmap kept")) {
		ASSERT_EQ(site_bytes_cat(rep, pid, "map_keep", "mmap"), 3 * PAGE, "bytes");
		ASSERT_STREQ(site_category(rep, pid, "map_keep"), "mmap", "category");
	}
	if (test__start_subtest("mmap then munmap"))
		ASSERT_EQ(site_bytes_cat(rep, pid, "map_unmapped", "mmap"), 0, "bytes");
	if (test__start_subtest("partial munmap"))
		ASSERT_EQ(site_bytes_cat(rep, pid, "map_partial", "mmap"), 6 * PAGE, "bytes");
	if (test__start_subtest("mremap grow"))
		ASSERT_EQ(site_bytes_cat(rep, pid, "map_remap_grow", "mmap"), 5 * PAGE, "bytes");
	if (test__start_subtest("mremap shrink"))
		ASSERT_EQ(site_bytes_cat(rep, pid, "map_remap_shrink", "mmap"), 1 * PAGE, "bytes");
	if (test__start_subtest("file mappings are not allocations"))
		ASSERT_EQ(site_count_cat(rep, pid, "map_file", "mmap"), 0, "count");
	if (test__start_subtest("sbrk by the program")) {
		ASSERT_EQ(site_bytes_cat(rep, pid, "grow_break", "mmap"), 12 * PAGE, "bytes");
		ASSERT_STREQ(site_category(rep, pid, "grow_break"), "mmap", "category");
	}
	if (test__start_subtest("process totals")) {
		/* The program's own mappings, and nothing else of category mmap
		 * but what libc's loader or stdio may map: at least ours.
		 */
		ASSERT_GE(proc_category_bytes(rep, pid, "mmap"), (3 + 6 + 5 + 1 + 12) * PAGE, "mmap bytes");
	}
out:
	ml_run_release(&r);
}

void test_e2e_allocator_category(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	/* realloc_chain's 200000-byte block is mmapped by malloc itself. */
	rep = run_workload(&r, "realloc_chain", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "realloc_chain");
	ASSERT_GE(proc_category_bytes(rep, pid, "allocator"), 200000, "allocator bytes");
	ASSERT_GE(site_bytes_cat(rep, pid, "journal_move", "allocator"), 200000, "the mmap of the block");
	ASSERT_EQ(site_bytes_cat(rep, pid, "journal_move", "mmap"), 0, "not the program's mmap");
	ASSERT_EQ(site_bytes_cat(rep, pid, "journal_move", "native"), 200000, "the block itself");
out:
	ml_run_release(&r);
}
