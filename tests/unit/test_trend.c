// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_trend.c: the leak verdict on synthetic report histories. */
#include <stdint.h>
#include "test.h"
#include "report/trend.h"

#define KiB 1024LL
#define MiB (1024 * KiB)
#define MAXS 16

/* A history of n reports every 10 s (t = 10, 20, ...), every category at a
 * steady nonzero level unless a test changes it.
 */
struct hist {
	int n;
	struct proc_sample s[MAXS];
};

static void hist_init(struct hist *h, int n)
{
	int i, k;

	memset(h, 0, sizeof(*h));
	h->n = n;
	for (i = 0; i < n; i++) {
		h->s[i].t = 10.0 * (i + 1);
		h->s[i].v8_floor = -1;	/* no V8 collection */
		for (k = 0; k < ML_CAT_MAX; k++)
			h->s[i].bytes[k] = (k + 1) * MiB;
	}
}

/* Category cat: base + step * i from sample from on (earlier samples: base). */
static void ramp(struct hist *h, unsigned cat, int64_t base, int64_t step, int from)
{
	int i;

	for (i = 0; i < h->n; i++)
		h->s[i].bytes[cat] = base + step * (i < from ? 0 : i - from);
}

static void set(struct hist *h, unsigned cat, const int64_t *v)
{
	int i;

	for (i = 0; i < h->n; i++)
		h->s[i].bytes[cat] = v[i];
}

static struct trend judge(const struct hist *h)
{
	struct trend t;

	memset(&t, 0x5a, sizeof(t));	/* trend_judge must fill it all */
	trend_judge(h->s, h->n, &t);
	return t;
}

static void test_insufficient(void)
{
	struct hist h;
	struct trend t;

	hist_init(&h, 2);
	ramp(&h, ML_CAT_NATIVE, 0, 100 * MiB, 0);	/* steep, but only 2 reports */
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "2 reports");
	ASSERT_STREQ(verdict_key(t.verdict), "insufficient-data", "key");
	ASSERT_EQ(t.rate_bytes_per_s, 0, "no rate");
	ASSERT_STREQ(t.evidence, "2 reports so far; a verdict needs 3", "evidence");

	h.n = 1;
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "1 report");
	ASSERT_STREQ(t.evidence, "1 report so far; a verdict needs 3", "evidence, singular");

	h.n = 0;
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "no report");
	ASSERT_STREQ(t.evidence, "0 reports so far; a verdict needs 3", "evidence, none");
}

static void test_native_steady(void)
{
	struct hist h;
	struct trend t;

	/* 6 reports, +512 KiB each: 2.5 MiB over 50 s. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_NATIVE, 1 * MiB, 512 * KiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "verdict");
	ASSERT_STREQ(verdict_key(t.verdict), "native-leak", "key");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(5 * 512 * KiB) / 50.0, "exact rate");
	ASSERT_DBL_NEAR(t.rate_bytes_per_s, 52428.8, 1e-9, "rate");
	/* low point: min of the recent half (samples 3..5) - min of the older half */
	ASSERT_STREQ(t.evidence,
		     "native heap grew in 5 of 5 intervals, +2.5M over 50s (+3.0M/min), "
		     "low point up 1572864 bytes", "evidence");

	/* Irregular spacing: the rate is from the first and last sample only. */
	h.s[1].t = 11;
	h.s[4].t = 58;
	h.s[5].t = 90;
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "irregular: verdict");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(5 * 512 * KiB) / 80.0, "irregular: rate");

	/* Just three reports suffice. */
	hist_init(&h, 3);
	ramp(&h, ML_CAT_NATIVE, 0, MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "3 reports");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(2 * MiB) / 20.0, "3 reports: rate");
}

static void test_sawtooth(void)
{
	static const int64_t saw[] = {
		4 * MiB, 5 * MiB, 6 * MiB, 4 * MiB, 5 * MiB, 6 * MiB, 4 * MiB, 5 * MiB,
	};
	struct hist h;
	struct trend t;

	/* Mostly rising, net +1 MiB, but it keeps returning to 4 MiB. */
	hist_init(&h, 8);
	set(&h, ML_CAT_NATIVE, saw);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "sawtooth");
	ASSERT_STREQ(verdict_key(t.verdict), "none", "key");
	ASSERT_EQ(t.rate_bytes_per_s, 0, "no rate");
	ASSERT_STREQ(t.evidence, "no category grew steadily over the last 8 reports (70s)",
		     "evidence");
}

static void test_cache_plateau(void)
{
	static const int64_t cache[] = {
		0, 2 * MiB, 4 * MiB, 6 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB,
	};
	static const int64_t full[] = {
		0, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB,
	};
	struct hist h;
	struct trend t;

	/* Fills over 4 reports, then holds to the end of the window. */
	hist_init(&h, 8);
	set(&h, ML_CAT_NATIVE, cache);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "fills then holds");

	hist_init(&h, 8);
	set(&h, ML_CAT_MMAP, full);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "fills at once then holds");

	/* Flat everywhere. */
	hist_init(&h, 8);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "flat");
}

static void test_categories(void)
{
	struct hist h;
	struct trend t;

	hist_init(&h, 6);
	ramp(&h, ML_CAT_MMAP, 0, 2 * MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_MMAP_LEAK, "mmap");
	ASSERT_STREQ(verdict_key(t.verdict), "mmap-leak", "mmap key");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(10 * MiB) / 50.0, "mmap rate");
	ASSERT_STRCONTAINS(t.evidence, "mmap (anon) grew in 5 of 5 intervals", "mmap evidence");

	hist_init(&h, 6);
	ramp(&h, ML_CAT_BUFFER, 100 * MiB, 3 * MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_OFF_HEAP_LEAK, "buffer");
	ASSERT_STREQ(verdict_key(t.verdict), "off-heap-leak", "buffer key");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(15 * MiB) / 50.0, "buffer rate");
	ASSERT_STRCONTAINS(t.evidence, "off-heap (Buffer) grew", "buffer evidence");

	hist_init(&h, 6);
	ramp(&h, ML_CAT_V8_HEAP, 0, MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_V8_HEAP_LEAK, "v8 heap");
	ASSERT_STREQ(verdict_key(t.verdict), "v8-heap-leak", "v8 key");

	/* The allocator's own arenas grow because the heap does: no verdict alone. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_ALLOCATOR, 0, 8 * MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "allocator alone");

	/* Shrinking steadily is no leak. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_NATIVE, 100 * MiB, -MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "shrinking");
}

/* Node.js: the V8 heap is judged by its size as collections began. */
static void test_v8_floors(void)
{
	struct hist h;
	struct trend t;
	int i;

	/* At report time it saws (V8 grows between collections); after them
	 * it climbs by 4 MiB an interval: a leak, and the evidence says
	 * what it survived.
	 */
	hist_init(&h, 6);
	for (i = 0; i < h.n; i++) {
		h.s[i].bytes[ML_CAT_V8_HEAP] = (i % 2 ? 90 : 60) * MiB;
		h.s[i].v8_floor = (40 + 4 * i) * MiB;
		h.s[i].gc[ML_GC_SCAVENGE] = 7;
		h.s[i].gc[ML_GC_FULL] = 2;
	}
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_V8_HEAP_LEAK, "floors rise");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(20 * MiB) / 50.0, "rate of the floors");
	ASSERT_STRCONTAINS(t.evidence, "; it survived 35 scavenges and 10 full collections "
			   "(sizes taken as collections began)", "collections in the evidence");

	/* Rising at report time, but every collection brings it back: a cache
	 * refilled between collections, no leak.
	 */
	hist_init(&h, 6);
	for (i = 0; i < h.n; i++) {
		h.s[i].bytes[ML_CAT_V8_HEAP] = (60 + 5 * i) * MiB;
		h.s[i].v8_floor = (i % 2 ? 41 : 40) * MiB;
		h.s[i].gc[ML_GC_FULL] = 1;
	}
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "floors flat");

	/* A Buffer leak of a Node process says what it survived, without the
	 * V8 note.
	 */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_BUFFER, 0, 3 * MiB, 0);
	for (i = 0; i < h.n; i++)
		h.s[i].gc[ML_GC_MINOR_MC] = 1;
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_OFF_HEAP_LEAK, "buffer");
	ASSERT_STRCONTAINS(t.evidence, "; it survived 5 scavenges and 0 full collections", "gc");
	ASSERT_FALSE(strstr(t.evidence, "sizes taken"), "no V8 note");
}

static void test_two_leaks(void)
{
	struct hist h;
	struct trend t;

	/* Native +1 MiB per report, buffer +3 MiB: buffer names the verdict. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_NATIVE, 0, MiB, 0);
	ramp(&h, ML_CAT_BUFFER, 0, 3 * MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_OFF_HEAP_LEAK, "faster wins");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(15 * MiB) / 50.0, "rate of the faster");
	ASSERT_STRCONTAINS(t.evidence, "off-heap (Buffer)", "evidence names the faster");
	ASSERT_STRCONTAINS(t.evidence, "; native heap grows too", "evidence names the other");

	/* The other way round: the order of the categories does not decide. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_NATIVE, 0, 5 * MiB, 0);
	ramp(&h, ML_CAT_V8_HEAP, 0, MiB, 0);
	ramp(&h, ML_CAT_MMAP, 0, 2 * MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "native fastest");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(25 * MiB) / 50.0, "native rate");
	ASSERT_STRCONTAINS(t.evidence, "; mmap (anon), V8 heap grow too", "three leaking");

	/* One leak: no mention of others. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_NATIVE, 0, 5 * MiB, 0);
	t = judge(&h);
	ASSERT_TRUE(!strstr(t.evidence, "other categories"), "single leak");
}

static void test_min_bytes(void)
{
	struct hist h;
	struct trend t;

	/* 7 steady rises of 1000 bytes: 7000 in net, below the threshold. */
	hist_init(&h, 8);
	ramp(&h, ML_CAT_NATIVE, MiB, 1000, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "small growth");

	/* Exactly TREND_MIN_BYTES is not more than it. */
	hist_init(&h, 3);
	ramp(&h, ML_CAT_NATIVE, MiB, TREND_MIN_BYTES / 2, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "exactly the threshold");

	h.s[2].bytes[ML_CAT_NATIVE] += 1;
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "one byte over");

	/* A heap holding still (a full cache) jitters: one jump of 130 KB
	 * at the end, the low point up by 1,920 bytes only.  Seen on node.
	 */
	{
		static const int64_t jitter[4] = { 2493537, 2487649, 2489569, 2623737 };

		hist_init(&h, 4);
		set(&h, ML_CAT_NATIVE, jitter);
		t = judge(&h);
		ASSERT_EQ(t.verdict, VERDICT_NONE, "jitter");
	}
}

static void test_window(void)
{
	struct hist h;
	struct trend t;

	/* 12 reports: a steep rise in the first 4, then 8 flat. */
	hist_init(&h, 12);
	ramp(&h, ML_CAT_NATIVE, 0, 10 * MiB, 0);
	for (int i = 4; i < 12; i++)
		h.s[i].bytes[ML_CAT_NATIVE] = h.s[3].bytes[ML_CAT_NATIVE];
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "old rise, 8 flat");
	ASSERT_STREQ(t.evidence, "no category grew steadily over the last 8 reports (70s)",
		     "evidence counts the window");

	/* 4 flat, then 8 rising: the rate is over the window (samples 4..11). */
	hist_init(&h, 12);
	ramp(&h, ML_CAT_NATIVE, 50 * MiB, MiB, 4);
	h.s[0].bytes[ML_CAT_NATIVE] = 0;	/* outside the window: ignored */
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "recent rise");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(7 * MiB) / 70.0, "rate over the window");
	ASSERT_STRCONTAINS(t.evidence, "grew in 7 of 7 intervals, +7.0M over 70s",
			   "evidence over the window");

	/* A sawtooth long ago does not spoil a leak in the window, and one
	 * sample more than the window moves it on by one.
	 */
	hist_init(&h, 9);
	ramp(&h, ML_CAT_NATIVE, 0, MiB, 1);
	h.s[0].bytes[ML_CAT_NATIVE] = 500 * MiB;
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "9 samples: first dropped");
}

void test_trend(void)
{
	if (test__start_subtest("insufficient data"))
		test_insufficient();
	if (test__start_subtest("steady native growth"))
		test_native_steady();
	if (test__start_subtest("sawtooth"))
		test_sawtooth();
	if (test__start_subtest("cache plateau"))
		test_cache_plateau();
	if (test__start_subtest("categories"))
		test_categories();
	if (test__start_subtest("two leaks"))
		test_two_leaks();
	if (test__start_subtest("v8 heap after collections"))
		test_v8_floors();
	if (test__start_subtest("below TREND_MIN_BYTES"))
		test_min_bytes();
	if (test__start_subtest("window"))
		test_window();
}

/* --sample-bytes: estimates jitter by their sampling error.  A heap of
 * 100 MiB estimated with N = 512K has a standard error of up to
 * sqrt(N * 100 MiB) = 7.2 MiB: growth within three of them (of the
 * difference of two reports) is not a leak, growth beyond is.
 */
void test_trend_sampled(void)
{
	int64_t noise = 7680 * KiB;	/* sqrt(512K * 100M) = 7.24M, rounded up */
	struct hist h;
	struct trend t;
	int i;

	if (test__start_subtest("growth within the noise is no leak")) {
		/* +2 MiB a report, 14 MiB over 8 reports: a leak were it exact */
		hist_init(&h, 8);
		ramp(&h, ML_CAT_NATIVE, 100 * MiB, 2 * MiB, 0);
		t = judge(&h);
		ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "exact: a leak");
		for (i = 0; i < h.n; i++)
			h.s[i].noise[ML_CAT_NATIVE] = noise;
		t = judge(&h);
		ASSERT_EQ(t.verdict, VERDICT_NONE, "estimated: within 3 errors of the difference");
	}
	if (test__start_subtest("growth beyond the noise is a leak")) {
		/* +8 MiB a report: 56 MiB net, the low point up 32 MiB; 3 errors
		 * of the difference: 3 sqrt(2) 7.5M = 32 MiB
		 */
		hist_init(&h, 8);
		ramp(&h, ML_CAT_NATIVE, 100 * MiB, 8 * MiB, 0);
		for (i = 0; i < h.n; i++)
			h.s[i].noise[ML_CAT_NATIVE] = noise;
		t = judge(&h);
		ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "leak");
		ASSERT_DBL_NEAR(t.rate_bytes_per_s, 56.0 * MiB / 70, 1, "rate");
	}
	if (test__start_subtest("exact categories keep their thresholds")) {
		/* the mmap category is exact (noise 0): +1 MiB a report leaks */
		hist_init(&h, 8);
		ramp(&h, ML_CAT_MMAP, 10 * MiB, 1 * MiB, 0);
		for (i = 0; i < h.n; i++)
			h.s[i].noise[ML_CAT_NATIVE] = noise;
		t = judge(&h);
		ASSERT_EQ(t.verdict, VERDICT_MMAP_LEAK, "mmap leak");
	}
}
