// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_rank.c: growth between reports and the ranking of stacks. */
#include <stdint.h>
#include <stdlib.h>
#include "test.h"
#include "report/rank.h"

static struct ml_stat_key key(uint32_t pid, uint32_t exec_id, uint64_t stack_id, uint32_t cat)
{
	struct ml_stat_key k = {
		.pid = pid, .exec_id = exec_id, .stack_id = stack_id, .category = cat,
	};

	return k;
}

static struct site site(uint32_t pid, uint64_t stack_id, int64_t bytes, int64_t count)
{
	struct site s = {
		.key = key(pid, 1, stack_id, ML_CAT_NATIVE),
		.outstanding_bytes = bytes,
		.outstanding_count = count,
	};

	return s;
}

/* The order of v as the list of its stack ids, e.g. "3,1,2". */
static const char *order(const struct site *v, size_t n)
{
	static char buf[256];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < n && o < sizeof(buf); i++)
		o += snprintf(buf + o, sizeof(buf) - o, "%s%llu", i ? "," : "",
			      (unsigned long long)v[i].key.stack_id);
	return buf;
}

static void test_key_cmp(void)
{
	struct ml_stat_key a = key(10, 1, 100, 0), b;

	ASSERT_EQ(site_key_cmp(&a, &a), 0, "equal");
	b = a;
	b.flags = 7;
	ASSERT_EQ(site_key_cmp(&a, &b), 0, "flags are ignored");

	/* Each field decides when the ones before it are equal... */
	b = key(11, 1, 100, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "pid");
	ASSERT_GT(site_key_cmp(&b, &a), 0, "pid reversed");
	b = key(10, 2, 100, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "exec_id");
	b = key(10, 1, 101, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "stack_id");
	b = key(10, 1, 100, 1);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "category");
	ASSERT_GT(site_key_cmp(&b, &a), 0, "category reversed");

	/* ... and outranks every field after it. */
	a = key(10, 9, UINT64_MAX, 4);
	b = key(11, 0, 0, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "pid before exec_id, stack, category");
	a = key(10, 1, UINT64_MAX, 4);
	b = key(10, 2, 0, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "exec_id before stack, category");
	a = key(10, 1, 5, 4);
	b = key(10, 1, 6, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "stack before category");

	/* Unsigned: no wrap through a signed difference. */
	a = key(1, 0, 1, 0);
	b = key(1, 0, UINT64_MAX, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "large stack ids");
	a = key(1, 0, 0, 0);
	b = key(0x80000001u, 0, 0, 0);
	ASSERT_LT(site_key_cmp(&a, &b), 0, "large pids");
}

static void test_sort_find(void)
{
	struct site v[] = {
		site(30, 1, 10, 1), site(10, 2, 10, 1), site(20, 3, 10, 1),
		site(10, 1, 10, 1), site(20, 1, 10, 1),
	};
	size_t n = sizeof(v) / sizeof(v[0]), i;
	struct ml_stat_key k;

	sites_sort_by_key(v, n);
	for (i = 1; i < n; i++)
		ASSERT_LT(site_key_cmp(&v[i - 1].key, &v[i].key), 0, "sorted by key");
	for (i = 0; i < n; i++)
		ASSERT_TRUE(sites_find(v, n, &v[i].key) == &v[i], "find each");
	k = key(20, 1, 2, ML_CAT_NATIVE);
	ASSERT_TRUE(sites_find(v, n, &k) == NULL, "absent key");
	k = key(20, 1, 1, ML_CAT_MMAP);
	ASSERT_TRUE(sites_find(v, n, &k) == NULL, "other category");
	ASSERT_TRUE(sites_find(v, 0, &v[0].key) == NULL, "empty array");
	sites_sort_by_key(v, 0);	/* no-op, no crash */
}

static void test_apply_growth(void)
{
	struct site v[] = {
		site(1, 1, 1000, 2),	/* was 400: grew 600 */
		site(1, 2, 300, 1),	/* new: grew by all it holds */
		site(1, 3, 100, 1),	/* was 5000: shrank */
		site(1, 4, 0, 0),	/* was 2048, all freed */
		site(1, 5, 777, 3),	/* unchanged */
	};
	struct site_prev prev[] = {
		{ .key = key(1, 1, 1, ML_CAT_NATIVE), .outstanding_bytes = 400 },
		{ .key = key(1, 1, 3, ML_CAT_NATIVE), .outstanding_bytes = 5000 },
		{ .key = key(1, 1, 4, ML_CAT_NATIVE), .outstanding_bytes = 2048 },
		{ .key = key(1, 1, 5, ML_CAT_NATIVE), .outstanding_bytes = 777 },
		/* gone now: not represented */
		{ .key = key(1, 1, 9, ML_CAT_NATIVE), .outstanding_bytes = 1 << 20 },
	};
	size_t n = sizeof(v) / sizeof(v[0]);

	sites_apply_growth(v, n, prev, sizeof(prev) / sizeof(prev[0]));
	ASSERT_EQ(v[0].growth_bytes, 600, "existing site: difference");
	ASSERT_EQ(v[1].growth_bytes, 300, "new site: growth = outstanding");
	ASSERT_EQ(v[2].growth_bytes, -4900, "negative growth");
	ASSERT_EQ(v[3].growth_bytes, -2048, "all freed");
	ASSERT_EQ(v[4].growth_bytes, 0, "unchanged");

	/* No previous report: everything is new. */
	sites_apply_growth(v, n, NULL, 0);
	ASSERT_EQ(v[0].growth_bytes, 1000, "first report");
	ASSERT_EQ(v[3].growth_bytes, 0, "first report, nothing held");

	/* Same stack, other category or other exec image: a different site. */
	{
		struct site w = site(1, 1, 50, 1);
		struct site_prev p = { .key = key(1, 1, 1, ML_CAT_MMAP), .outstanding_bytes = 50 };

		sites_apply_growth(&w, 1, &p, 1);
		ASSERT_EQ(w.growth_bytes, 50, "category is part of the key");
		p.key = key(1, 2, 1, ML_CAT_NATIVE);
		sites_apply_growth(&w, 1, &p, 1);
		ASSERT_EQ(w.growth_bytes, 50, "exec_id is part of the key");
	}
}

static void test_two_reports(void)
{
	/* Report 1: three sites, unsorted as they come out of a map. */
	struct site r1[] = {
		site(2, 7, 4096, 1), site(1, 3, 100, 2), site(1, 1, 10, 1),
	};
	/* Report 2: site (1,3) grew, (2,7) shrank, (1,1) vanished, (3,1) appeared. */
	struct site r2[] = {
		site(3, 1, 64, 1), site(2, 7, 1024, 1), site(1, 3, 900, 5),
	};
	struct site_prev *snap;
	struct ml_stat_key k;
	size_t i;

	sites_sort_by_key(r1, 3);
	sites_apply_growth(r1, 3, NULL, 0);
	snap = sites_snapshot(r1, 3);
	if (!ASSERT_OK_PTR(snap, "snapshot"))
		return;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(site_key_cmp(&snap[i].key, &r1[i].key), 0, "snapshot key");
		ASSERT_EQ(snap[i].outstanding_bytes, r1[i].outstanding_bytes, "snapshot bytes");
	}
	for (i = 1; i < 3; i++)
		ASSERT_LT(site_key_cmp(&snap[i - 1].key, &snap[i].key), 0, "snapshot sorted");
	/* The snapshot is a copy: ranking r1 (which reorders it) leaves it alone. */
	sites_rank(r1, 3, SORT_OUTSTANDING);
	ASSERT_EQ(snap[0].key.pid, 1, "snapshot kept its order");
	ASSERT_EQ(snap[2].outstanding_bytes, 4096, "snapshot kept its values");

	sites_sort_by_key(r2, 3);
	sites_apply_growth(r2, 3, snap, 3);
	k = key(1, 1, 3, ML_CAT_NATIVE);
	ASSERT_EQ(sites_find(r2, 3, &k)->growth_bytes, 800, "grew");
	k = key(2, 1, 7, ML_CAT_NATIVE);
	ASSERT_EQ(sites_find(r2, 3, &k)->growth_bytes, -3072, "shrank");
	k = key(3, 1, 1, ML_CAT_NATIVE);
	ASSERT_EQ(sites_find(r2, 3, &k)->growth_bytes, 64, "appeared");
	free(snap);

	/* Report 3 with nothing changed: no growth anywhere. */
	snap = sites_snapshot(r2, 3);
	if (!ASSERT_OK_PTR(snap, "snapshot 2"))
		return;
	sites_apply_growth(r2, 3, snap, 3);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(r2[i].growth_bytes, 0, "steady");
	free(snap);

	snap = sites_snapshot(r2, 0);
	ASSERT_OK_PTR(snap, "snapshot of nothing");
	free(snap);
}

/* Sites for ranking: stack id = name; growth set directly. */
static struct site rs(uint64_t id, int64_t growth, int64_t bytes, int64_t count, uint64_t ts)
{
	struct site s = site(1, id, bytes, count);

	s.growth_bytes = growth;
	s.oldest_ts_ns = ts;
	return s;
}

static void test_rank_keys(void)
{
	/*            id growth  bytes count  oldest */
	struct site base[] = {
		rs(1,   100,  5000,   50,  3000),
		rs(2,   900,  1000,   10,  1000),
		rs(3,  -200,  9000,    1,     0),
		rs(4,   900,  2000,    5,  2000),
		rs(5,     0,   500,   99,  4000),
	};
	struct site v[5];
	size_t n = 5, live;

	memcpy(v, base, sizeof(v));
	live = sites_rank(v, n, SORT_GROWTH);
	ASSERT_EQ(live, 5, "growth: all live");
	/* 2 and 4 tie at +900: 4 holds more */
	ASSERT_STREQ(order(v, n), "4,2,1,5,3", "by growth");

	memcpy(v, base, sizeof(v));
	sites_rank(v, n, SORT_OUTSTANDING);
	ASSERT_STREQ(order(v, n), "3,1,4,2,5", "by outstanding");

	memcpy(v, base, sizeof(v));
	sites_rank(v, n, SORT_COUNT);
	ASSERT_STREQ(order(v, n), "5,1,2,4,3", "by count");

	memcpy(v, base, sizeof(v));
	sites_rank(v, n, SORT_AGE);
	ASSERT_STREQ(order(v, n), "2,4,1,5,3", "by age: oldest first, unknown last");
}

static void test_rank_ties(void)
{
	struct site v[6];
	size_t live;

	/* Equal value: more outstanding first, then by key. */
	v[0] = rs(6, 10, 100, 1, 0);
	v[1] = rs(2, 10, 300, 1, 0);
	v[2] = rs(4, 10, 100, 1, 0);
	v[3] = rs(1, 10, 100, 1, 0);
	v[4] = rs(5, 10, 300, 1, 0);
	v[5] = rs(3, 10, 200, 1, 0);
	live = sites_rank(v, 6, SORT_GROWTH);
	ASSERT_EQ(live, 6, "live");
	ASSERT_STREQ(order(v, 6), "2,5,3,1,4,6", "ties: outstanding, then key");

	/* Same key but for pid: pid decides. */
	v[0] = rs(1, 10, 100, 1, 0);
	v[0].key.pid = 9;
	v[1] = rs(1, 10, 100, 1, 0);
	v[1].key.pid = 3;
	sites_rank(v, 2, SORT_GROWTH);
	ASSERT_EQ(v[0].key.pid, 3, "lower pid first");

	/* Unknown ages all tie: by outstanding, then key. */
	v[0] = rs(3, 0, 100, 1, 0);
	v[1] = rs(1, 0, 100, 1, 0);
	v[2] = rs(2, 0, 500, 1, 0);
	v[3] = rs(4, 0, 100, 1, 42);
	sites_rank(v, 4, SORT_AGE);
	ASSERT_STREQ(order(v, 4), "4,2,1,3", "unknown ages: outstanding, key");

	/* Ages 1 ns apart are not a tie: the older first even if it holds less. */
	v[0] = rs(1, 0, 900, 1, 1001);
	v[1] = rs(2, 0, 100, 1, 1000);
	sites_rank(v, 2, SORT_AGE);
	ASSERT_STREQ(order(v, 2), "2,1", "1 ns older ranks first");

	/* Large timestamps do not overflow. */
	v[0] = rs(1, 0, 100, 1, UINT64_MAX / 2);
	v[1] = rs(2, 0, 100, 1, UINT64_MAX / 2 - 1);
	v[2] = rs(3, 0, 100, 1, 1);
	v[3] = rs(4, 0, 100, 1, 0);
	sites_rank(v, 4, SORT_AGE);
	ASSERT_STREQ(order(v, 4), "3,2,1,4", "large timestamps");
}

static void test_rank_idle_last(void)
{
	struct site base[] = {
		rs(1,    0,    0, 0, 0),	/* nothing held, no growth: idle */
		rs(2,   50,   50, 1, 0),
		rs(3, -800,    0, 0, 0),	/* freed everything: shows as shrinking */
		rs(4,    0,    0, 0, 0),	/* idle */
		rs(5,    0,  700, 7, 0),	/* steady but holding */
		rs(6,    0,  -16, 0, 0),	/* freed more than seen allocated: idle */
	};
	struct site v[6], w[6];
	size_t live, i;

	memcpy(v, base, sizeof(v));
	live = sites_rank(v, 6, SORT_GROWTH);
	ASSERT_EQ(live, 3, "idle sites not counted");
	ASSERT_STREQ(order(v, 3), "2,5,3", "live ranked");
	for (i = 3; i < 6; i++)
		ASSERT_TRUE(v[i].key.stack_id == 1 || v[i].key.stack_id == 4 ||
			    v[i].key.stack_id == 6, "idle at the end");

	memcpy(v, base, sizeof(v));
	live = sites_rank(v, 6, SORT_OUTSTANDING);
	ASSERT_EQ(live, 3, "outstanding: same live set");
	ASSERT_STREQ(order(v, 3), "5,2,3", "by outstanding");

	/* All idle, or none at all. */
	for (i = 0; i < 3; i++)
		v[i] = rs(i + 1, 0, 0, 0, 0);
	ASSERT_EQ(sites_rank(v, 3, SORT_GROWTH), 0, "all idle");
	ASSERT_EQ(sites_rank(v, 0, SORT_GROWTH), 0, "empty");

	/* The input order does not matter: reversed input, same ranking. */
	memcpy(v, base, sizeof(v));
	for (i = 0; i < 6; i++)
		w[i] = base[5 - i];
	sites_rank(v, 6, SORT_COUNT);
	live = sites_rank(w, 6, SORT_COUNT);
	ASSERT_STREQ(order(w, live), "5,2,3", "by count");
	for (i = 0; i < live; i++)
		ASSERT_EQ(v[i].key.stack_id, w[i].key.stack_id, "deterministic");
}

void test_rank(void)
{
	if (test__start_subtest("key order"))
		test_key_cmp();
	if (test__start_subtest("sort and find"))
		test_sort_find();
	if (test__start_subtest("apply growth"))
		test_apply_growth();
	if (test__start_subtest("growth across two reports"))
		test_two_reports();
	if (test__start_subtest("each sort key"))
		test_rank_keys();
	if (test__start_subtest("ties"))
		test_rank_ties();
	if (test__start_subtest("idle sites last"))
		test_rank_idle_last();
}
