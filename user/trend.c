// SPDX-License-Identifier: GPL-2.0
/* user/trend.c: the per-process leak verdict. */
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "trend.h"

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
};

static struct growth measure(const struct proc_sample *h, int n, unsigned cat)
{
	struct growth g = { .intervals = n - 1 };
	int64_t min_old = INT64_MAX, min_new = INT64_MAX;
	int i, half = n / 2;

	for (i = 0; i < n; i++) {
		int64_t x = h[i].bytes[cat];

		if (i > 0 && x > h[i - 1].bytes[cat])
			g.rises++;
		if (i < half)
			min_old = x < min_old ? x : min_old;
		else
			min_new = x < min_new ? x : min_new;
	}
	g.net = h[n - 1].bytes[cat] - h[0].bytes[cat];
	g.floor_rise = min_new - min_old;
	g.seconds = h[n - 1].t - h[0].t;
	return g;
}

static int leaks(const struct growth *g)
{
	return g->net > TREND_MIN_BYTES && g->floor_rise > 0 && 3 * g->rises >= 2 * g->intervals &&
	       g->seconds > 0;
}

void trend_judge(const struct proc_sample *hist, int n, struct trend *out)
{
	const struct proc_sample *h = hist;
	struct growth best = { 0 };
	unsigned best_cat = 0;
	char net[32], rate[32];
	size_t i;
	int nleaks = 0;

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
		nleaks++;
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
	snprintf(out->evidence, sizeof(out->evidence),
		 "%s grew in %d of %d intervals, %s over %.0fs (%s/min), low point up %lld bytes%s",
		 category_title(best_cat), best.rises, best.intervals, net, best.seconds, rate,
		 (long long)best.floor_rise, nleaks > 1 ? "; other categories grow too" : "");
}
