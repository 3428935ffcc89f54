// SPDX-License-Identifier: GPL-2.0
/* user/report/trend.c: the per-process leak verdict. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "util/format.h"
#include "report/trend.h"

/* Categories that can carry a verdict, the verdict each gives, and when
 * it is judged on full collections rather than on reports: always (the
 * Node.js categories), for Node.js processes (the native heap), never.
 * "allocator" is left out: it grows because the heap does.
 */
enum judged_on { ON_REPORTS, ON_COLLECTIONS, ON_COLLECTIONS_IF_NODE };

static const struct {
	unsigned cat;
	enum verdict verdict;
	enum judged_on on;
} judged[] = {
	{ ML_CAT_NATIVE, VERDICT_NATIVE_LEAK, ON_COLLECTIONS_IF_NODE },
	{ ML_CAT_MMAP, VERDICT_MMAP_LEAK, ON_REPORTS },
	{ ML_CAT_BUFFER, VERDICT_OFF_HEAP_LEAK, ON_COLLECTIONS },
	{ ML_CAT_V8_HEAP, VERDICT_V8_HEAP_LEAK, ON_COLLECTIONS },
};

#define NJUDGED (sizeof(judged) / sizeof(judged[0]))

/* gc: the full collections of a Node.js process, NULL for any other */
static bool on_collections(size_t i, const struct gc_history *gc)
{
	return judged[i].on == ON_COLLECTIONS || (judged[i].on == ON_COLLECTIONS_IF_NODE && gc);
}

/* ---- by reports ---- */

struct growth {
	int rises, intervals;
	int64_t net, floor_rise;
	double seconds;
	/* sampling error of net and of floor_rise (0: exact figures) */
	double net_noise, floor_noise;
};

/* The standard error of a - b, two estimates with errors ea and eb. */
static double noise_of(int64_t ea, int64_t eb)
{
	return sqrt((double)ea * ea + (double)eb * eb);
}

static struct growth measure(const struct proc_sample *h, int n, unsigned cat)
{
	struct growth g = { .intervals = n - 1 };
	int64_t min_old = INT64_MAX, min_new = INT64_MAX, noise_old = 0, noise_new = 0;
	int i, half = n / 2;

	for (i = 0; i < n; i++) {
		int64_t x = h[i].bytes[cat];

		if (i > 0 && x > h[i - 1].bytes[cat])
			g.rises++;
		if (i < half && x < min_old) {
			min_old = x;
			noise_old = h[i].noise[cat];
		} else if (i >= half && x < min_new) {
			min_new = x;
			noise_new = h[i].noise[cat];
		}
	}
	g.net = h[n - 1].bytes[cat] - h[0].bytes[cat];
	g.floor_rise = min_new - min_old;
	g.net_noise = noise_of(h[n - 1].noise[cat], h[0].noise[cat]);
	g.floor_noise = noise_of(noise_new, noise_old);
	g.seconds = h[n - 1].t - h[0].t;
	return g;
}

static bool leaks(const struct growth *g)
{
	/* the low point must rise by more than jitter: a heap that holds
	 * still moves by some kilobytes from report to report
	 */
	return g->net > TREND_MIN_BYTES + TREND_NOISE_SIGMAS * g->net_noise &&
	       g->floor_rise >= TREND_MIN_FLOOR_RISE + TREND_NOISE_SIGMAS * g->floor_noise &&
	       3 * g->rises >= 2 * g->intervals && g->seconds > 0;
}

/* ---- by full collections ---- */

/* What a category is judged on after full collections: Buffers and the
 * native heap by their low points; the V8 heap by V8's count of its live
 * old generation, or, when a collection of the history lacks it, by the
 * committed heap (which carries the young generation: a larger noise).
 */
enum gc_measure { GC_BUFFER, GC_NATIVE, GC_V8_LIVE, GC_V8_COMMITTED };

static enum gc_measure gc_measure_of(const struct gc_history *gc, unsigned cat)
{
	int i;

	if (cat == ML_CAT_BUFFER)
		return GC_BUFFER;
	if (cat == ML_CAT_NATIVE)
		return GC_NATIVE;
	for (i = 0; i < gc->n; i++)
		if (gc->v[i].v8_live < 0)
			return GC_V8_COMMITTED;
	return GC_V8_LIVE;
}

static int64_t after_gc(const struct gc_full *f, enum gc_measure m)
{
	switch (m) {
	case GC_BUFFER:
		return f->buffer;
	case GC_NATIVE:
		return f->native;
	case GC_V8_LIVE:
		return f->v8_live;
	default:
		return f->v8_heap;
	}
}

/* --sample-bytes: the bound on the standard error of a measure (0: exact) */
static int64_t after_gc_noise(const struct gc_full *f, enum gc_measure m)
{
	return m == GC_BUFFER ? f->buffer_noise : m == GC_NATIVE ? f->native_noise : 0;
}

static int64_t gc_noise(enum gc_measure m, int64_t from)
{
	int64_t noise = trend_gc_noise(from);

	return m == GC_V8_COMMITTED && noise < TREND_GC_COMMITTED_MIN_RISE ? TREND_GC_COMMITTED_MIN_RISE
									      : noise;
}

static const char *after_gc_title(enum gc_measure m)
{
	static const char *const titles[] = {
		[GC_BUFFER] = "off-heap (Buffer)",
		[GC_NATIVE] = "native heap",
		[GC_V8_LIVE] = "V8 heap (live)",
		[GC_V8_COMMITTED] = "V8 heap (committed)",
	};

	return titles[m];
}

/* The run of full collections, ending at the last, after each of which
 * the measure was higher than after the one before.
 */
struct gc_run {
	enum gc_measure m;
	int first, n;		/* gc->v[first..first+n) */
	int64_t rise;
	double seconds;
};

static struct gc_run gc_measure(const struct gc_history *gc, unsigned cat)
{
	struct gc_run r = { .m = gc_measure_of(gc, cat), .first = gc->n - 1, .n = gc->n > 0 };

	if (!r.n)
		return r;
	while (r.first > 0 && after_gc(&gc->v[r.first], r.m) > after_gc(&gc->v[r.first - 1], r.m)) {
		r.first--;
		r.n++;
	}
	r.rise = after_gc(&gc->v[gc->n - 1], r.m) - after_gc(&gc->v[r.first], r.m);
	r.seconds = gc->v[gc->n - 1].t - gc->v[r.first].t;
	return r;
}

/* The run rose by more than the noise before its last collection: one
 * collection that left more than usual (garbage that died while V8 was
 * marking, which the next one frees) is no leak.
 */
static bool gc_leaks(const struct gc_history *gc, const struct gc_run *r)
{
	const struct gc_full *first, *before_last;
	double sampled;

	if (r->n < TREND_GC_COLLECTIONS || r->seconds <= 0)
		return false;
	first = &gc->v[r->first];
	before_last = &gc->v[gc->n - 2];
	sampled = noise_of(after_gc_noise(first, r->m), after_gc_noise(before_last, r->m));
	return after_gc(before_last, r->m) - after_gc(first, r->m) >
	       gc_noise(r->m, after_gc(first, r->m)) + TREND_NOISE_SIGMAS * sampled;
}

/* "38.1 → 52.0 → 71.4 MiB": the sizes of the run, one unit for all. */
static void gc_chain(const struct gc_history *gc, const struct gc_run *r, char *buf, size_t len)
{
	static const struct {
		const char *name;
		double scale;
	} units[] = { { "GiB", 1024.0 * 1024 * 1024 }, { "MiB", 1024.0 * 1024 }, { "KiB", 1024.0 } };
	int64_t top = after_gc(&gc->v[gc->n - 1], r->m);
	size_t o = 0, u = 0;
	int i;

	while (u < 2 && top < units[u].scale)
		u++;
	buf[0] = '\0';
	for (i = r->first; i < gc->n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%.1f", i > r->first ? " \u2192 " : "",
			      after_gc(&gc->v[i], r->m) / units[u].scale);
	if (o < len)
		snprintf(buf + o, len - o, " %s", units[u].name);
}

/* "no full collection yet: ..." / "1 of 3 full collections so far: ..." */
static void gc_waiting(const struct gc_history *gc, char *buf, size_t len)
{
	if (!gc->n)
		snprintf(buf, len, "no full collection yet: the native heap, V8 heap and Buffers are "
			 "judged on what survives %d", TREND_GC_COLLECTIONS);
	else
		snprintf(buf, len, "%d of %d full collections so far: the native heap, V8 heap and "
			 "Buffers are judged on what survives %d", gc->n, TREND_GC_COLLECTIONS,
			 TREND_GC_COLLECTIONS);
}

/* ---- the verdict ---- */

struct candidate {
	bool leaking;
	double rate;			/* bytes per second */
	struct growth g;		/* by reports */
	struct gc_run r;		/* by full collections */
};

void trend_judge(const struct proc_sample *hist, int n, const struct gc_history *gc, struct trend *out)
{
	struct candidate c[NJUDGED] = { 0 };
	const struct proc_sample *h = hist;
	bool by_reports = n >= TREND_MIN_REPORTS;
	bool by_gc = gc && gc->n >= TREND_GC_COLLECTIONS;
	char net[32], rate[32], chain[160], waiting[160];
	char others[96] = "";
	size_t i, best = NJUDGED, o = 0;

	memset(out, 0, sizeof(*out));
	if (n > TREND_WINDOW) {
		h += n - TREND_WINDOW;
		n = TREND_WINDOW;
	}
	for (i = 0; i < NJUDGED; i++) {
		struct candidate *k = &c[i];

		if (on_collections(i, gc)) {
			if (!by_gc)
				continue;
			k->r = gc_measure(gc, judged[i].cat);
			k->leaking = gc_leaks(gc, &k->r);
			k->rate = k->leaking ? k->r.rise / k->r.seconds : 0;
		} else {
			if (!by_reports)
				continue;
			k->g = measure(h, n, judged[i].cat);
			k->leaking = leaks(&k->g);
			k->rate = k->leaking ? k->g.net / k->g.seconds : 0;
		}
		if (k->leaking && (best == NJUDGED || k->rate > c[best].rate))
			best = i;
	}
	out->reports = by_reports || best < NJUDGED ? n : 0;
	if (gc && !by_gc)
		gc_waiting(gc, waiting, sizeof(waiting));
	if (best == NJUDGED) {
		if (!by_reports) {
			out->verdict = VERDICT_INSUFFICIENT;
			snprintf(out->evidence, sizeof(out->evidence), "%d report%s so far; a verdict needs %d%s%s",
				 n, n == 1 ? "" : "s", TREND_MIN_REPORTS, gc && !by_gc ? "; " : "",
				 gc && !by_gc ? waiting : "");
		} else if (gc && !by_gc) {
			out->verdict = VERDICT_INSUFFICIENT;
			snprintf(out->evidence, sizeof(out->evidence),
				 "%s; mmap did not grow steadily over the last %d reports (%.0fs)",
				 waiting, n, h[n - 1].t - h[0].t);
		} else {
			out->verdict = VERDICT_NONE;
			snprintf(out->evidence, sizeof(out->evidence),
				 "no category grew steadily over the last %d reports (%.0fs)%s", n,
				 h[n - 1].t - h[0].t, gc ? ", nor across the last full collections" : "");
			if (gc)
				snprintf(out->evidence + strlen(out->evidence),
					 sizeof(out->evidence) - strlen(out->evidence), " (%d)", gc->n);
		}
		return;
	}
	out->verdict = judged[best].verdict;
	out->rate_bytes_per_s = c[best].rate;
	format_bytes_signed(rate, sizeof(rate), (int64_t)(out->rate_bytes_per_s * 60));
	/* the other leaks, slower: "; native heap, off-heap (Buffer) grow too" */
	for (i = 0; i < NJUDGED; i++)
		if (c[i].leaking && i != best && o < sizeof(others))
			o += snprintf(others + o, sizeof(others) - o, "%s%s", o ? ", " : "; ",
				      category_title(judged[i].cat));
	if (o && o < sizeof(others))
		snprintf(others + o, sizeof(others) - o, " grow%s too", strchr(others, ',') ? "" : "s");
	if (on_collections(best, gc)) {
		out->collections = c[best].r.n;
		gc_chain(gc, &c[best].r, chain, sizeof(chain));
		snprintf(out->evidence, sizeof(out->evidence),
			 "%s after full collections: %s over %d collections in %.0fs (%s/min)%s",
			 after_gc_title(c[best].r.m), chain, c[best].r.n, c[best].r.seconds, rate, others);
		return;
	}
	format_bytes_signed(net, sizeof(net), c[best].g.net);
	snprintf(out->evidence, sizeof(out->evidence),
		 "%s grew in %d of %d intervals, %s over %.0fs (%s/min), low point up %lld bytes%s%s%s",
		 category_title(judged[best].cat), c[best].g.rises, c[best].g.intervals, net,
		 c[best].g.seconds, rate, (long long)c[best].g.floor_rise, others,
		 gc && !by_gc ? "; " : "", gc && !by_gc ? waiting : "");
}

void trend_gc_wait(const struct proc_sample *hist, int n, const struct gc_history *gc, struct gc_wait *out)
{
	const struct proc_sample *now = &hist[n - 1];
	int64_t buffer_base, v8_base;
	double since;

	memset(out, 0, sizeof(*out));
	if (!gc || n <= 0)
		return;
	if (gc->n) {
		const struct gc_full *last = &gc->v[gc->n - 1];

		since = now->t - last->t;
		buffer_base = last->buffer;
		v8_base = last->v8_heap;
	} else {
		since = now->t - hist[0].t;
		buffer_base = hist[0].bytes[ML_CAT_BUFFER];
		v8_base = hist[0].bytes[ML_CAT_V8_HEAP];
	}
	if (since < TREND_GC_WAIT_S)
		return;
	if (now->bytes[ML_CAT_BUFFER] - buffer_base <= TREND_GC_WAIT_BYTES &&
	    now->bytes[ML_CAT_V8_HEAP] - v8_base <= TREND_GC_WAIT_BYTES)
		return;
	out->seconds = since;
	out->buffer_growth = now->bytes[ML_CAT_BUFFER] - buffer_base;
	out->v8_heap_growth = now->bytes[ML_CAT_V8_HEAP] - v8_base;
}
