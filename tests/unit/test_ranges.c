// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_ranges.c: util/ranges.h, the allocator of row and index
 * ranges of the unwind tables.
 */
#include <errno.h>
#include "test.h"
#include "util/ranges.h"

/* The free list is exactly want (n ranges). */
static bool free_list_is(const struct range_alloc *a, const struct range *want, size_t n)
{
	size_t i;

	if (!ASSERT_EQ(a->nfree, n, "free ranges"))
		goto dump;
	for (i = 0; i < n; i++)
		if (a->free[i].start != want[i].start || a->free[i].len != want[i].len)
			goto dump;
	return true;
dump:
	TEST_FAIL_("free list differs");
	for (i = 0; i < a->nfree; i++)
		fprintf(stderr, "    free [%u, +%u)\n", a->free[i].start, a->free[i].len);
	return false;
}

static uint32_t get(struct range_alloc *a, uint32_t len)
{
	uint32_t at = ~0u;

	ASSERT_OK(range_alloc__get(a, len, &at), "get");
	return at;
}

void test_ranges_alloc(void)
{
	struct range_alloc a;

	if (test__start_subtest("ranges are handed out in order, exactly")) {
		if (!ASSERT_OK(range_alloc__init(&a, 1000), "init"))
			return;
		ASSERT_EQ(get(&a, 100), 0, "first");
		ASSERT_EQ(get(&a, 250), 100, "second");
		ASSERT_EQ(get(&a, 1), 350, "third");
		ASSERT_EQ(a.in_use, 351, "in use");
		ASSERT_EQ(a.high_water, 351, "high water");
		ASSERT_EQ(a.reused, 0, "nothing reused yet");
		free_list_is(&a, (struct range[]){ { 351, 649 } }, 1);
		range_alloc__release(&a);
	}
	if (test__start_subtest("exhaustion: -ENOSPC, nothing changes")) {
		uint32_t at = 7;

		if (!ASSERT_OK(range_alloc__init(&a, 1000), "init"))
			return;
		ASSERT_EQ(get(&a, 600), 0, "600");
		ASSERT_EQ(range_alloc__get(&a, 401, &at), -ENOSPC, "401 of 400 left");
		ASSERT_EQ(at, 7, "start untouched");
		ASSERT_EQ(get(&a, 400), 600, "exactly the rest");
		ASSERT_EQ(range_alloc__get(&a, 1, &at), -ENOSPC, "full");
		ASSERT_EQ(a.in_use, 1000, "all in use");
		free_list_is(&a, NULL, 0);
		ASSERT_EQ(range_alloc__largest(&a), 0, "largest");
		range_alloc__release(&a);
	}
	if (test__start_subtest("a length of 0 takes nothing")) {
		uint32_t at = 7;

		if (!ASSERT_OK(range_alloc__init(&a, 10), "init"))
			return;
		ASSERT_OK(range_alloc__get(&a, 0, &at), "get 0");
		ASSERT_EQ(at, 0, "at 0");
		ASSERT_OK(range_alloc__put(&a, 5, 0), "put 0");
		ASSERT_EQ(a.in_use, 0, "in use");
		free_list_is(&a, (struct range[]){ { 0, 10 } }, 1);
		range_alloc__release(&a);
	}
	if (test__start_subtest("coalescing with the range before, after, and both")) {
		if (!ASSERT_OK(range_alloc__init(&a, 100), "init"))
			return;
		/* A [0,10) B [10,30) C [30,60) D [60,100) */
		get(&a, 10);
		get(&a, 20);
		get(&a, 30);
		get(&a, 40);
		ASSERT_OK(range_alloc__put(&a, 10, 20), "put B");
		free_list_is(&a, (struct range[]){ { 10, 20 } }, 1);
		ASSERT_OK(range_alloc__put(&a, 60, 40), "put D");
		free_list_is(&a, (struct range[]){ { 10, 20 }, { 60, 40 } }, 2);
		/* C joins B before it and D after it: one range */
		ASSERT_OK(range_alloc__put(&a, 30, 30), "put C");
		free_list_is(&a, (struct range[]){ { 10, 90 } }, 1);
		/* A joins the range after it: all free again */
		ASSERT_OK(range_alloc__put(&a, 0, 10), "put A");
		free_list_is(&a, (struct range[]){ { 0, 100 } }, 1);
		ASSERT_EQ(a.in_use, 0, "nothing in use");
		ASSERT_EQ(range_alloc__largest(&a), 100, "largest");
		range_alloc__release(&a);
	}
	if (test__start_subtest("coalescing with the range before only")) {
		if (!ASSERT_OK(range_alloc__init(&a, 100), "init"))
			return;
		get(&a, 10);
		get(&a, 20);
		get(&a, 70);
		ASSERT_OK(range_alloc__put(&a, 0, 10), "put A");
		ASSERT_OK(range_alloc__put(&a, 10, 20), "put B");
		free_list_is(&a, (struct range[]){ { 0, 30 } }, 1);
		range_alloc__release(&a);
	}
	if (test__start_subtest("fragments: too small apart, enough once joined")) {
		uint32_t at;

		if (!ASSERT_OK(range_alloc__init(&a, 100), "init"))
			return;
		/* [0,25) [25,50) [50,75) [75,100) */
		get(&a, 25);
		get(&a, 25);
		get(&a, 25);
		get(&a, 25);
		ASSERT_OK(range_alloc__put(&a, 0, 25), "put 1st");
		ASSERT_OK(range_alloc__put(&a, 50, 25), "put 3rd");
		ASSERT_EQ(range_alloc__largest(&a), 25, "two apart");
		ASSERT_EQ(range_alloc__get(&a, 40, &at), -ENOSPC, "50 free, not 40 in a row");
		ASSERT_OK(range_alloc__put(&a, 25, 25), "put 2nd");
		ASSERT_EQ(range_alloc__largest(&a), 75, "joined");
		ASSERT_EQ(get(&a, 40), 0, "40 in the joined range");
		ASSERT_EQ(a.reused, 40, "all 40 below the high water mark");
		range_alloc__release(&a);
	}
	if (test__start_subtest("best fit: the smallest range that holds it")) {
		if (!ASSERT_OK(range_alloc__init(&a, 100), "init"))
			return;
		/* free after this: [10,40) 30, [50,60) 10, [70,100) 30 */
		get(&a, 10);
		get(&a, 30);
		get(&a, 10);
		get(&a, 10);
		get(&a, 10);
		ASSERT_OK(range_alloc__put(&a, 10, 30), "put 30");
		ASSERT_OK(range_alloc__put(&a, 50, 10), "put 10");
		ASSERT_EQ(get(&a, 8), 50, "8 goes in the 10");
		ASSERT_EQ(get(&a, 20), 10, "20: the lowest of the two 30s");
		free_list_is(&a, (struct range[]){ { 30, 10 }, { 58, 2 }, { 70, 30 } }, 3);
		range_alloc__release(&a);
	}
	if (test__start_subtest("reuse counts what lies below the high water mark")) {
		if (!ASSERT_OK(range_alloc__init(&a, 100), "init"))
			return;
		get(&a, 30);
		get(&a, 20);	/* high water 50 */
		ASSERT_OK(range_alloc__put(&a, 30, 20), "put [30,50)");
		/* [30,70): 20 reused, 20 new */
		ASSERT_EQ(get(&a, 40), 30, "after the first");
		ASSERT_EQ(a.reused, 20, "reused");
		ASSERT_EQ(a.high_water, 70, "high water");
		range_alloc__release(&a);
	}
	if (test__start_subtest("bad puts: out of range, already free")) {
		if (!ASSERT_OK(range_alloc__init(&a, 100), "init"))
			return;
		get(&a, 50);
		ASSERT_EQ(range_alloc__put(&a, 90, 20), -EINVAL, "past capacity");
		ASSERT_EQ(range_alloc__put(&a, 60, 5), -EINVAL, "inside a free range");
		ASSERT_EQ(range_alloc__put(&a, 45, 10), -EINVAL, "overlaps the free range after");
		ASSERT_OK(range_alloc__put(&a, 10, 10), "a hole");
		ASSERT_EQ(range_alloc__put(&a, 15, 10), -EINVAL, "overlaps the free range before");
		ASSERT_EQ(range_alloc__put(&a, 0xfffffff0u, 0x20), -EINVAL, "wraps");
		ASSERT_EQ(a.in_use, 40, "only the hole came back");
		free_list_is(&a, (struct range[]){ { 10, 10 }, { 50, 50 } }, 2);
		range_alloc__release(&a);
	}
}
