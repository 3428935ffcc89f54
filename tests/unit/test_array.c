// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_array.c: util/array.h, growing arrays in place. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "util/array.h"

struct rec {
	uint64_t a, b;
	char name[40];
};

void test_array_grow(void)
{
	if (test__start_subtest("first growth")) {
		struct rec *v = NULL;
		size_t cap = 0;

		if (ASSERT_OK(ARRAY_GROW(v, cap, 1), "grow") && ASSERT_OK_PTR(v, "v")) {
			ASSERT_EQ(cap, ARRAY_MIN_CAP, "starts at ARRAY_MIN_CAP");
			v[cap - 1].a = 1;	/* the whole capacity is usable */
		}
		free(v);
	}
	if (test__start_subtest("need 0: nothing allocated")) {
		int *v = NULL;
		size_t cap = 0;

		ASSERT_OK(ARRAY_GROW(v, cap, 0), "grow");
		ASSERT_TRUE(v == NULL, "still NULL");
		ASSERT_EQ(cap, 0, "cap");
	}
	if (test__start_subtest("room already")) {
		int *v = NULL, *before;
		size_t cap = 0;

		if (ASSERT_OK(ARRAY_GROW(v, cap, 10), "grow")) {
			before = v;
			ASSERT_OK(ARRAY_GROW(v, cap, ARRAY_MIN_CAP), "no growth");
			ASSERT_TRUE(v == before, "same pointer");
			ASSERT_EQ(cap, ARRAY_MIN_CAP, "same cap");
		}
		free(v);
	}
	if (test__start_subtest("doubles, keeps contents")) {
		size_t cap = 0, n;
		int *v = NULL;
		bool kept = true;

		for (n = 0; n < 1000; n++) {
			if (!ASSERT_OK(ARRAY_GROW(v, cap, n + 1), "grow"))
				break;
			v[n] = (int)n * 7;
		}
		ASSERT_EQ(cap, 1024, "16 doubled to 1024");
		for (n = 0; n < 1000 && v; n++)
			kept &= v[n] == (int)n * 7;
		ASSERT_TRUE(kept, "contents kept");
		ASSERT_OK(ARRAY_GROW(v, cap, 5000), "jump");
		ASSERT_EQ(cap, 8192, "doubled until it holds need");
		free(v);
	}
	if (test__start_subtest("runtime element size")) {
		char *v = NULL;
		size_t cap = 0;

		if (ASSERT_OK(ARRAY_GROW_ELEM(v, cap, 20, 64), "grow") && ASSERT_OK_PTR(v, "v")) {
			ASSERT_EQ(cap, 32, "in elements, not bytes");
			v[cap * 64 - 1] = 'x';
		}
		free(v);
	}
	if (test__start_subtest("array of const pointers")) {
		const struct rec **v = NULL;
		static const struct rec r = { 1, 2, "r" };
		size_t cap = 0;

		if (ASSERT_OK(ARRAY_GROW(v, cap, 3), "grow")) {
			v[2] = &r;
			ASSERT_STREQ(v[2]->name, "r", "element");
		}
		free(v);
	}
	if (test__start_subtest("overflow")) {
		int *v = NULL;
		size_t cap = 0;

		ASSERT_OK(ARRAY_GROW(v, cap, 4), "grow");
		ASSERT_EQ(ARRAY_GROW(v, cap, SIZE_MAX / sizeof(int) + 1), -ENOMEM,
			  "need * size past SIZE_MAX");
		ASSERT_EQ(ARRAY_GROW(v, cap, SIZE_MAX), -ENOMEM, "SIZE_MAX elements");
		ASSERT_EQ(cap, ARRAY_MIN_CAP, "cap untouched");
		ASSERT_OK_PTR(v, "array kept");
		free(v);
	}
	if (test__start_subtest("failed realloc leaves the array")) {
		/* 4 elements of a quarter of the address space: the doubling
		 * stops at the largest count that fits, and realloc refuses it.
		 */
		size_t huge = SIZE_MAX / 4, cap = 0;
		char *v = NULL;

		ASSERT_EQ(ARRAY_GROW_ELEM(v, cap, 3, huge), -ENOMEM, "too big for memory");
		ASSERT_TRUE(v == NULL, "v untouched");
		ASSERT_EQ(cap, 0, "cap untouched");
		if (ASSERT_OK(ARRAY_GROW_ELEM(v, cap, 8, 2), "a small one")) {
			v[0] = 'k';
			ASSERT_EQ(ARRAY_GROW_ELEM(v, cap, SIZE_MAX / 2, 2), -ENOMEM,
				  "SIZE_MAX bytes: fits size_t, not memory");
			ASSERT_EQ(v[0], 'k', "contents kept");
			ASSERT_EQ(cap, ARRAY_MIN_CAP, "cap kept");
		}
		free(v);
	}
	if (test__start_subtest("element size 0")) {
		void *v = NULL;
		size_t cap = 0;

		ASSERT_EQ(array_grow(&v, &cap, 1, 0), -EINVAL, "rejected");
		ASSERT_TRUE(v == NULL, "nothing allocated");
	}
}
