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
	trend_judge(h->s, h->n, NULL, &t);
	return t;
}

/* The same for a Node.js process with these full collections. */
static struct trend judge_node(const struct hist *h, const struct gc_history *gc)
{
	struct trend t;

	memset(&t, 0x5a, sizeof(t));
	trend_judge(h->s, h->n, gc, &t);
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

	/* Buffers and the V8 heap are judged after full collections only
	 * (see the node: cases), never by reports.
	 */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_BUFFER, 100 * MiB, 3 * MiB, 0);
	ramp(&h, ML_CAT_V8_HEAP, 0, MiB, 0);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "buffer and v8 heap by reports");
	ASSERT_STREQ(verdict_key(VERDICT_OFF_HEAP_LEAK), "off-heap-leak", "buffer key");
	ASSERT_STREQ(verdict_key(VERDICT_V8_HEAP_LEAK), "v8-heap-leak", "v8 key");

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

/* ---- Node.js: the V8 heap, Buffers and native heap, after full collections ---- */

/* A recorded full collection: seconds, V8 live, V8 committed, Buffers,
 * native heap.
 */
struct rec {
	double t;
	int64_t live, heap, buffer, native;
};

static void gc_set(struct gc_history *gc, const struct rec *r, int n)
{
	int i;

	memset(gc, 0, sizeof(*gc));
	gc->n = n;
	for (i = 0; i < n; i++)
		gc->v[i] = (struct gc_full){ .t = r[i].t, .full_total = i + 1, .v8_live = r[i].live,
					      .v8_heap = r[i].heap, .buffer = r[i].buffer, .native = r[i].native };
}

/* Before three full collections the V8 heap, Buffers and native heap have no verdict,
 * whatever they do between collections: the evidence says why.
 */
static void test_gc_insufficient(void)
{
	/* arrayBuffers of a bounded cache at 3 s reports, recorded on node
	 * 20 before V8's first full collection: it climbs, with the garbage
	 * promoted to the old generation
	 */
	static const int64_t climb[7] = {
		5253351, 23931111, 14428355, 33433795, 37234883, 47589571, 53029059,
	};
	static const struct rec one = { 12.0, 3 * MiB, 5 * MiB, 5 * MiB };
	struct gc_history gc = { 0 };
	struct hist h;
	struct trend t;

	hist_init(&h, 7);
	set(&h, ML_CAT_BUFFER, climb);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "no full collection: no verdict");
	ASSERT_EQ(t.reports, 7, "reports looked at");
	ASSERT_EQ(t.rate_bytes_per_s, 0, "no rate");
	ASSERT_STREQ(t.evidence,
		     "no full collection yet: the native heap, V8 heap and Buffers are judged on what "
		     "survives 3; mmap did not grow steadily over the last 7 reports (60s)", "evidence");

	gc_set(&gc, &one, 1);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "one full collection");
	ASSERT_STREQ(t.evidence,
		     "1 of 3 full collections so far: the native heap, V8 heap and Buffers are judged on "
		     "what survives 3; mmap did not grow steadily over the last 7 reports (60s)", "1 of 3");

	h.n = 2;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "two reports");
	ASSERT_EQ(t.reports, 0, "too few reports to look at");
	ASSERT_STREQ(t.evidence,
		     "2 reports so far; a verdict needs 3; 1 of 3 full collections so far: the native heap, "
		     "V8 heap and Buffers are judged on what survives 3", "two reports, 1 of 3");

	/* the native heap of a Node.js process waits too, however steady */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_NATIVE, 1 * MiB, 512 * KiB, 0);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "native: 1 of 3");
	ASSERT_STREQ(t.evidence,
		     "1 of 3 full collections so far: the native heap, V8 heap and Buffers are judged on "
		     "what survives 3; mmap did not grow steadily over the last 6 reports (50s)",
		     "native: 1 of 3 evidence");
	/* mmap keeps its rule: judged, and the wait is said too */
	ramp(&h, ML_CAT_MMAP, 1 * MiB, 512 * KiB, 0);
	gc.n = 0;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_MMAP_LEAK, "mmap leak");
	ASSERT_EQ(t.collections, 0, "a verdict on reports");
	ASSERT_STREQ(t.evidence,
		     "mmap (anon) grew in 5 of 5 intervals, +2.5M over 50s (+3.0M/min), low point up 1572864 "
		     "bytes; no full collection yet: the native heap, V8 heap and Buffers are judged on what "
		     "survives 3", "mmap evidence");
	/* any other process: the native heap on reports, as ever */
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "not Node.js: native leak");
	ASSERT_STREQ(t.evidence,
		     "native heap grew in 5 of 5 intervals, +2.5M over 50s (+3.0M/min), low point up 1572864 "
		     "bytes; mmap (anon) grows too", "not Node.js: native evidence");
}

/* Recorded on node 20 (default flags, memleakbpf -p, reports every 2 s):
 * tests/node/buffer_array.js, 16 KiB Buffers kept at 5 MiB/s (the first
 * full collection came right after attaching: Buffers made before were not
 * seen), and tests/node/listener_leak.js at 3 listeners per 40 ms.
 */
static const struct rec buffer_array[4] = {
	{ 11.73386968, 3619832, 1572864, 786432 },
	{ 24.95803219, 4419960, 2359296, 68157440 },
	{ 38.52401653, 5226928, 3145728, 135528448 },
	{ 51.87682043, 6052216, 4382720, 202702848 },
};
static const struct rec listeners[3] = {
	{ 18.96338785, 236653544, 90243072, 0 },
	{ 23.373609, 288330496, 143888384, 0 },
	{ 28.09030465, 340656960, 198037504, 0 },
};

static void test_gc_leaks(void)
{
	struct gc_history gc;
	struct hist h;
	struct trend t;

	hist_init(&h, 14);
	gc_set(&gc, buffer_array, 3);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_OFF_HEAP_LEAK, "Buffers rise after 3 full collections");
	ASSERT_TRUE(t.rate_bytes_per_s == (135528448.0 - 786432) / (38.52401653 - 11.73386968),
		    "rate over the collections");
	ASSERT_EQ(t.reports, TREND_WINDOW, "reports looked at");
	ASSERT_EQ(t.collections, 3, "full collections it rests on");
	/* the V8 heap rose too, by 1.53 MiB, but by 0.76 MiB before the
	 * last collection: not above 2 MiB
	 */
	ASSERT_STREQ(t.evidence,
		     "off-heap (Buffer) after full collections: 0.8 \u2192 65.0 \u2192 129.2 MiB over 3 "
		     "collections in 27s (+287.8M/min)", "evidence");

	gc_set(&gc, buffer_array, 4);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.collections, 4, "the whole run");
	ASSERT_STREQ(t.evidence, "off-heap (Buffer) after full collections: 0.8 \u2192 65.0 \u2192 129.2 "
		     "\u2192 193.3 MiB over 4 collections in 40s (+287.8M/min)",
		     "the whole run; the V8 heap by 1.53 MiB before the last: not above 2 MiB");

	/* two full collections are not enough, however steep */
	gc_set(&gc, buffer_array, 2);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "2 of 3");
	ASSERT_STRCONTAINS(t.evidence, "2 of 3 full collections so far", "2 of 3 evidence");

	gc_set(&gc, listeners, 3);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_V8_HEAP_LEAK, "V8 heap rises after 3 full collections");
	ASSERT_STREQ(t.evidence,
		     "V8 heap (live) after full collections: 225.7 \u2192 275.0 \u2192 324.9 MiB over 3 "
		     "collections in 9s (+652.0M/min)", "evidence");

	/* Without V8's count (the function inlined), the committed heap, with
	 * the young generation's noise: 107 MiB is above it.
	 */
	gc_set(&gc, listeners, 3);
	gc.v[1].v8_live = -1;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_V8_HEAP_LEAK, "committed");
	ASSERT_STRCONTAINS(t.evidence, "V8 heap (committed) after full collections: 86.1 \u2192 137.2 \u2192 "
			   "188.9 MiB over 3 collections", "committed evidence");
}

static void test_gc_bounded(void)
{
	/* tests/node/lru_buffers.js, full collections 9-15 of 28 recorded */
	static const struct rec lru[7] = {
		{ 102.4269472, 2877256, 2359296, 5242880 },
		{ 106.1297045, 2877144, 2359296, 5341184 },
		{ 109.8063373, 2877144, 2359296, 4980736 },
		{ 111.6823782, 2877256, 2359296, 5242880 },
		{ 115.3685813, 2877144, 2359296, 5439488 },
		{ 119.3425082, 2877144, 2359296, 5308416 },
		{ 121.2150637, 2877256, 2359296, 5242880 },
	};
	/* tests/node/bounded_cache.js traced with --trace-gc: the committed
	 * heap after full collections grows with the young generation, the
	 * live size holds
	 */
	static const struct rec young[3] = {
		{ 20.0, 4718592, 6291456, 0 },
		{ 50.0, 4718592, 25899827, 0 },
		{ 91.0, 4823449, 42152755, 0 },
	};
	struct gc_history gc;
	struct hist h;
	struct trend t;
	int i;

	hist_init(&h, 8);
	gc_set(&gc, lru, 7);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "bounded cache");
	ASSERT_STREQ(t.evidence, "no category grew steadily over the last 8 reports (70s), nor across the "
		     "last full collections (7)", "evidence");

	/* three rising in a row (4.75, 5.00, 5.19 MiB), but by 0.44 MiB */
	gc_set(&gc, lru + 2, 3);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "rises below the noise");

	/* a fall at the last collection ends the run */
	gc_set(&gc, buffer_array, 4);
	for (i = 0; i < 4; i++)
		gc.v[i].v8_live = 4 * MiB;
	gc.v[3].buffer = gc.v[2].buffer - 1;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "fell at the last one");

	/* exactly the noise before the last collection is not above it;
	 * one byte more is
	 */
	for (i = 0; i < 3; i++)
		gc.v[i] = (struct gc_full){ .t = 10.0 * i, .v8_live = MiB, .buffer = 100 * MiB + i };
	gc.n = 3;
	gc.v[1].buffer = 100 * MiB + 2 * MiB;	/* 2% of 100 MiB: 2 MiB */
	gc.v[2].buffer = 100 * MiB + 2 * MiB + 1;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "2% of the size it rose from");
	gc.v[1].buffer++;
	gc.v[2].buffer++;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_OFF_HEAP_LEAK, "one byte above");
	for (i = 0; i < 3; i++)
		gc.v[i].buffer = MiB + i;
	gc.v[1].buffer = 3 * MiB;
	gc.v[2].buffer = 3 * MiB + 1;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "2 MiB from a small size");

	/* lru_buffers.js on a loaded machine: five rising in a row, by
	 * 1.12 MiB before the last
	 */
	static const struct rec loaded[5] = {
		{ 18.9, 3242696, 2883584, 4915207, 81010 },
		{ 24.3, 3235976, 2883584, 5242887, 87370 },
		{ 31.2, 3247616, 2883584, 5701639, 90954 },
		{ 39.1, 3249352, 2883584, 6094855, 94578 },
		{ 47.3, 3097616, 2883584, 6160391, 94922 },
	};
	gc_set(&gc, loaded, 5);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "evicted Buffers that outlived collections");

	/* tests/node/lru_buffers.js, full collections 4-7 of a run: the 6th
	 * left 1.4 MiB more, garbage that died while V8 was marking; the
	 * next freed it
	 */
	static const struct rec floating[4] = {
		{ 29.5, 3247616, 2883584, 5046279, 86218 },
		{ 36.8, 3249352, 2883584, 5111815, 87026 },
		{ 44.4, 3097616, 2883584, 6488071, 97354 },
		{ 50.2, 3092160, 2883584, 4980743, 85450 },
	};
	gc_set(&gc, floating, 3);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "a rise at the last collection alone");
	gc_set(&gc, floating, 4);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "freed by the next");

	/* the committed heap's young generation is noise */
	gc_set(&gc, young, 3);
	for (i = 0; i < 3; i++)
		gc.v[i].v8_live = -1;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "committed heap growing with the young generation");
}

/* Recorded on node 20 (default flags, memleakbpf -p, reports every 2 s):
 * tests/node/intl_formatters.js keeping date formatters (ICU's, malloc'd)
 * and tests/node/lru_buffers.js beside it.
 */
static const struct rec formatters[4] = {
	{ 10.64229367, 3376712, 7602176, 4980736, 17154798 },
	{ 18.68632932, 3495432, 7864320, 4964352, 29403540 },
	{ 26.93430114, 3579792, 16252928, 5177344, 41797828 },
	{ 33.31834735, 3646040, 16252928, 5226496, 51405088 },
};
static const struct rec lru_native[4] = {
	{ 19.6272902, 3308408, 786432, 4915200, 78037 },
	{ 20.25896419, 3237440, 1572864, 4915200, 80165 },
	{ 29.37294953, 3242880, 2621440, 4980736, 84421 },
	{ 50.41507295, 3453824, 3407872, 4915200, 85429 },
};

/* A Node.js process's native heap: judged on its low points after full
 * collections, not on reports.
 */
static void test_gc_native(void)
{
	/* lru_buffers.js's native heap at the reports of 26-40 s: V8's
	 * records of the Buffers not yet collected; today's rule on reports
	 * calls it a leak
	 */
	static const int64_t between[8] = {
		235877, 333925, 127981, 228333, 328813, 283749, 315109, 415461,
	};
	struct gc_history gc;
	struct hist h;
	struct trend t;

	hist_init(&h, 8);
	gc_set(&gc, formatters, 3);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "formatters kept");
	ASSERT_EQ(t.collections, 3, "full collections it rests on");
	ASSERT_TRUE(t.rate_bytes_per_s == (41797828.0 - 17154798) / (26.93430114 - 10.64229367), "rate");
	ASSERT_STREQ(t.evidence,
		     "native heap after full collections: 16.4 → 28.0 → 39.9 MiB over 3 collections "
		     "in 16s (+86.6M/min)", "evidence");
	gc_set(&gc, formatters, 2);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_INSUFFICIENT, "2 of 3");
	ASSERT_STRCONTAINS(t.evidence, "2 of 3 full collections so far: the native heap", "2 of 3 evidence");

	set(&h, ML_CAT_NATIVE, between);
	t = judge(&h);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "on reports: called a leak");
	gc_set(&gc, lru_native, 4);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "after full collections: none");
	ASSERT_STREQ(t.evidence, "no category grew steadily over the last 8 reports (70s), nor across the "
		     "last full collections (4)", "none evidence");

	/* the noise: 2 MiB, or 2% of the size it rose from, before the last */
	gc_set(&gc, lru_native, 3);
	gc.v[1].native = gc.v[0].native + 2 * MiB;
	gc.v[2].native = gc.v[1].native + 1;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "2 MiB is the noise");
	gc.v[1].native++;
	gc.v[2].native++;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "one byte above");
	gc.v[1].native = gc.v[0].native + 1;
	gc.v[2].native = gc.v[0].native + 50 * MiB;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "a rise at the last collection alone");
	gc.v[0].native = 200 * MiB;
	gc.v[1].native = 204 * MiB;
	gc.v[2].native = 205 * MiB;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "2% of 200 MiB");

	/* --sample-bytes: the estimates' error too */
	gc_set(&gc, lru_native, 3);
	gc.v[1].native = gc.v[0].native + 3 * MiB;
	gc.v[2].native = gc.v[1].native + 1;
	gc.v[0].native_noise = gc.v[1].native_noise = 300 * KiB;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NONE, "within 3 sigmas of the sampling error");
	gc.v[0].native_noise = gc.v[1].native_noise = 100 * KiB;
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "beyond them");
}

/* No full collection for a minute while Buffers grow: the report says so. */
static void test_gc_wait(void)
{
	struct gc_history gc = { 0 };
	struct gc_wait w;
	struct hist h;

	hist_init(&h, 7);	/* 10 .. 70 s */
	ramp(&h, ML_CAT_BUFFER, 5 * MiB, 3 * MiB, 0);
	trend_gc_wait(h.s, h.n, &gc, &w);
	ASSERT_TRUE(w.seconds == 60.0, "since the first report");
	ASSERT_EQ(w.buffer_growth, 18 * MiB, "Buffers grew");
	ASSERT_EQ(w.v8_heap_growth, 0, "V8 heap flat");

	h.n = 6;	/* 50 s */
	trend_gc_wait(h.s, h.n, &gc, &w);
	ASSERT_TRUE(w.seconds == 0, "not yet a minute");

	h.n = 7;
	ramp(&h, ML_CAT_BUFFER, 5 * MiB, 2 * MiB, 0);	/* +12 MiB */
	trend_gc_wait(h.s, h.n, &gc, &w);
	ASSERT_TRUE(w.seconds == 0, "too little growth");

	/* since the last full collection, from what it left */
	ramp(&h, ML_CAT_V8_HEAP, 10 * MiB, 4 * MiB, 0);
	gc.n = 1;
	gc.v[0] = (struct gc_full){ .t = 5.0, .v8_live = 3 * MiB, .v8_heap = 8 * MiB, .buffer = MiB };
	trend_gc_wait(h.s, h.n, &gc, &w);
	ASSERT_TRUE(w.seconds == 65.0, "since the full collection");
	ASSERT_EQ(w.buffer_growth, 16 * MiB, "Buffers since");
	ASSERT_EQ(w.v8_heap_growth, 26 * MiB, "committed V8 heap since");

	trend_gc_wait(h.s, h.n, NULL, &w);
	ASSERT_TRUE(w.seconds == 0, "not a Node.js process");
}

static void test_two_leaks(void)
{
	struct hist h;
	struct trend t;

	/* Native +2 MiB per full collection (0.2 MiB/s), Buffers +3 MiB
	 * (0.3 MiB/s): Buffers name the verdict.
	 */
	struct gc_history gc = { .n = 3 };
	int i;

	for (i = 0; i < 3; i++)
		gc.v[i] = (struct gc_full){ .t = 10.0 * (i + 1), .v8_live = 4 * MiB, .buffer = 3 * MiB * i,
					    .native = 2 * MiB + 2 * MiB * i + i };
	hist_init(&h, 6);
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_OFF_HEAP_LEAK, "faster wins");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(6 * MiB) / 20.0, "rate of the faster");
	ASSERT_STRCONTAINS(t.evidence, "off-heap (Buffer)", "evidence names the faster");
	ASSERT_STRCONTAINS(t.evidence, "; native heap grows too", "evidence names the other");

	/* The other way round: the order of the categories does not decide. */
	hist_init(&h, 6);
	ramp(&h, ML_CAT_MMAP, 0, 2 * MiB, 0);
	for (i = 0; i < 3; i++) {
		gc.v[i].v8_live = 4 * MiB + 3 * MiB * i;
		gc.v[i].native = 2 * MiB + 5 * MiB * i;
	}
	t = judge_node(&h, &gc);
	ASSERT_EQ(t.verdict, VERDICT_NATIVE_LEAK, "native fastest");
	ASSERT_TRUE(t.rate_bytes_per_s == (double)(10 * MiB) / 20.0, "native rate");
	ASSERT_STRCONTAINS(t.evidence, "native heap after full collections: 2.0 → 7.0 → 12.0 MiB", "native evidence");
	ASSERT_STRCONTAINS(t.evidence, "; mmap (anon), off-heap (Buffer), V8 heap grow too", "four leaking");

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
	if (test__start_subtest("node: before three full collections"))
		test_gc_insufficient();
	if (test__start_subtest("node: leaks after full collections"))
		test_gc_leaks();
	if (test__start_subtest("node: bounded after full collections"))
		test_gc_bounded();
	if (test__start_subtest("node: the native heap after full collections"))
		test_gc_native();
	if (test__start_subtest("node: waiting for a full collection"))
		test_gc_wait();
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
