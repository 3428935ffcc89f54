/* user/report/trend.h: is a process leaking, and what?
 *
 * A category leaks when, over the last reports (at most TREND_WINDOW), it
 * grew by more than TREND_MIN_BYTES in net, grew in at least two thirds of
 * the intervals, and its low point rose by TREND_MIN_FLOOR_RISE or more
 * (the least value of the recent half is above the least of the older
 * half: a heap holding still jitters by some kilobytes).  A sawtooth that returns to its
 * base, or a cache that fills and then holds, fails the last two tests.
 * With several leaking categories, the fastest names the verdict.
 */
#ifndef TREND_H
#define TREND_H

#include "report/model.h"
#include "target/proctable.h"

#define TREND_MIN_REPORTS 3
#define TREND_WINDOW 8
#define TREND_MIN_BYTES (64 * 1024)
#define TREND_MIN_FLOOR_RISE (32 * 1024)

void trend_judge(const struct proc_sample *hist, int n, struct trend *out);

#endif /* TREND_H */
