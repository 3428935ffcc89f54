/* user/report/trend.h: is a process leaking, and what?
 *
 * A category leaks when, over the last reports (at most TREND_WINDOW), it
 * grew by more than TREND_MIN_BYTES in net, grew in at least two thirds of
 * the intervals, and its low point rose by TREND_MIN_FLOOR_RISE or more
 * (the least value of the recent half is above the least of the older
 * half: a heap holding still jitters by some kilobytes).  Estimates
 * (--sample-bytes) must beat their sampling error as well: both rises
 * exceed TREND_NOISE_SIGMAS standard errors of their difference.  A sawtooth that returns to its
 * base, or a cache that fills and then holds, fails the last two tests.
 * With several leaking categories, the fastest names the verdict.
 */
#ifndef TREND_H
#define TREND_H

#include "report/model.h"

/* What a process held at one report: the history a verdict is judged on. */
struct proc_sample {
	double t;			/* seconds since tracing began */
	int64_t bytes[ML_CAT_MAX];
	/* Node.js, over the interval that ends here: V8 collections, and
	 * the least V8 heap seen as one began (-1: no collection)
	 */
	uint32_t gc[ML_GC_MAX];
	int64_t v8_floor;
	/* --sample-bytes: a bound on the standard error of each estimated
	 * category's bytes (0: exact)
	 */
	int64_t noise[ML_CAT_MAX];
};

#define TREND_MIN_REPORTS 3
#define TREND_WINDOW 8
#define TREND_MIN_BYTES (64 * 1024)
#define TREND_MIN_FLOOR_RISE (32 * 1024)
/* Estimates (--sample-bytes) must also rise by this many standard errors
 * of the two figures compared.
 */
#define TREND_NOISE_SIGMAS 3

void trend_judge(const struct proc_sample *hist, int n, struct trend *out);

#endif /* TREND_H */
