// SPDX-License-Identifier: GPL-2.0
/* user/report/trend.c: the per-process leak verdict. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "util/format.h"
#include "report/trend.h"

/* Categories that can carry a verdict, and the verdict each gives.
 * "allocator" is left out: it grows because the heap does.
 */
static const struct {
	unsigned cat;
	enum verdict verdict;
} judged[] = {
	{ ML_CAT_NATIVE, VERDICT_NATIVE_LEAK },
	{ ML_CAT_MMAP, VERDICT_MMAP_LEAK },
	{ ML_CAT_BUFFER, VERDICT_OFF_HEAP_LEAK },
	{ ML_CAT_V8_HEAP, VERDICT_V8_HEAP_LEAK },
};

struct growth {
	int rises, intervals;
	int64_t net, floor_rise;
	double seconds;
	/* sampling error of net and of floor_rise (0: exact figures) */
	double net_noise, floor_noise;
};

/* The V8 heap is judged by what survives collections: its least size as
 * a collection began, over the interval (V8 grows its heap between
 * collections and gives pages back after them, so the size at report time
 * saws); the size at report time when no collection ran.
 */
static int64_t value_of(const struct proc_sample *s, unsigned cat)
{
	if (cat == ML_CAT_V8_HEAP && s->v8_floor >= 0)
		return s->v8_floor;
	return s->bytes[cat];
}

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
		int64_t x = value_of(&h[i], cat);

		if (i > 0 && x > value_of(&h[i - 1], cat))
			g.rises++;
		if (i < half && x < min_old) {
			min_old = x;
			noise_old = h[i].noise[cat];
		} else if (i >= half && x < min_new) {
			min_new = x;
			noise_new = h[i].noise[cat];
		}
	}
	g.net = value_of(&h[n - 1], cat) - value_of(&h[0], cat);
	g.floor_rise = min_new - min_old;
	g.net_noise = noise_of(h[n - 1].noise[cat], h[0].noise[cat]);
	g.floor_noise = noise_of(noise_new, noise_old);
	g.seconds = h[n - 1].t - h[0].t;
	return g;
}

static int leaks(const struct growth *g)
{
	/* the low point must rise by more than jitter: a heap that holds
	 * still moves by some kilobytes from report to report
	 */
	return g->net > TREND_MIN_BYTES + TREND_NOISE_SIGMAS * g->net_noise &&
	       g->floor_rise >= TREND_MIN_FLOOR_RISE + TREND_NOISE_SIGMAS * g->floor_noise &&
	       3 * g->rises >= 2 * g->intervals &&
	       g->seconds > 0;
}

/* ", with 31 scavenges and 4 full collections of V8 in 5 reports": what
 * the growth survived (Node.js processes; empty otherwise).
 */
static void gc_evidence(const struct proc_sample *h, int n, unsigned cat, char *buf, size_t len)
{
	uint64_t minor = 0, full = 0;
	int i;

	/* the first sample's collections came before the window's growth */
	for (i = 1; i < n; i++) {
		minor += h[i].gc[ML_GC_SCAVENGE] + h[i].gc[ML_GC_MINOR_MC];
		full += h[i].gc[ML_GC_FULL];
	}
	buf[0] = '\0';
	if (!minor && !full)
		return;
	snprintf(buf, len, "; it survived %llu scavenge%s and %llu full collection%s%s",
		 (unsigned long long)minor, minor == 1 ? "" : "s", (unsigned long long)full,
		 full == 1 ? "" : "s", cat == ML_CAT_V8_HEAP ? " (sizes taken as collections began)" : "");
}

void trend_judge(const struct proc_sample *hist, int n, struct trend *out)
{
	char gcs[128];
	const struct proc_sample *h = hist;
	struct growth best = { 0 };
	unsigned best_cat = 0;
	char net[32], rate[32];
	bool leaking[ML_CAT_MAX] = { false };
	char others[96] = "";
	size_t i, o = 0;

	memset(out, 0, sizeof(*out));
	if (n < TREND_MIN_REPORTS) {
		out->verdict = VERDICT_INSUFFICIENT;
		snprintf(out->evidence, sizeof(out->evidence),
			 "%d report%s so far; a verdict needs %d", n, n == 1 ? "" : "s",
			 TREND_MIN_REPORTS);
		return;
	}
	if (n > TREND_WINDOW) {
		h += n - TREND_WINDOW;
		n = TREND_WINDOW;
	}
	out->verdict = VERDICT_NONE;
	out->reports = n;
	for (i = 0; i < sizeof(judged) / sizeof(judged[0]); i++) {
		struct growth g = measure(h, n, judged[i].cat);

		if (!leaks(&g))
			continue;
		leaking[judged[i].cat] = true;
		if (!best.seconds || g.net / g.seconds > best.net / best.seconds) {
			best = g;
			best_cat = judged[i].cat;
			out->verdict = judged[i].verdict;
		}
	}
	if (out->verdict == VERDICT_NONE) {
		snprintf(out->evidence, sizeof(out->evidence),
			 "no category grew steadily over the last %d reports (%.0fs)", n, h[n - 1].t - h[0].t);
		return;
	}
	out->rate_bytes_per_s = best.net / best.seconds;
	format_bytes_signed(net, sizeof(net), best.net);
	format_bytes_signed(rate, sizeof(rate), (int64_t)(out->rate_bytes_per_s * 60));
	gc_evidence(h, n, best_cat, gcs, sizeof(gcs));
	/* the other leaks, slower: "; native heap, off-heap (Buffer) grow too" */
	for (i = 0; i < sizeof(judged) / sizeof(judged[0]); i++)
		if (leaking[judged[i].cat] && judged[i].cat != best_cat && o < sizeof(others))
			o += snprintf(others + o, sizeof(others) - o, "%s%s", o ? ", " : "; ",
				      category_title(judged[i].cat));
	if (o && o < sizeof(others))
		snprintf(others + o, sizeof(others) - o, " grow%s too", strchr(others, ',') ? "" : "s");
	snprintf(out->evidence, sizeof(out->evidence),
		 "%s grew in %d of %d intervals, %s over %.0fs (%s/min), low point up %lld bytes%s%s",
		 category_title(best_cat), best.rises, best.intervals, net, best.seconds, rate,
		 (long long)best.floor_rise, gcs, others);
}
