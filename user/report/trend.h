/* user/report/trend.h: is a process leaking, and what?
 *
 * Native heap and mmap: over the last reports (at most TREND_WINDOW), a
 * category leaks when it grew by more than TREND_MIN_BYTES in net, grew in
 * at least two thirds of the intervals, and its low point rose by
 * TREND_MIN_FLOOR_RISE or more (the least value of the recent half is above
 * the least of the older half: a heap holding still jitters by some
 * kilobytes).  A sawtooth that returns to its base, or a cache that fills
 * and then holds, fails the last two tests.
 *
 * Node.js's V8 heap, Buffers and native heap: by what survives full
 * collections only.  Objects that outlived two scavenges are promoted to
 * the old generation, and only a full (mark-compact) collection frees them
 * -- and their Buffers, and V8's malloc'd records of each ArrayBuffer (its
 * backing store, its extension) -- which V8 may not run for minutes:
 * between two, a bounded cache climbs by tens of MiB of garbage, and its
 * native heap by some hundreds of KiB.  So a category leaks when its size
 * right after a full collection (the V8 heap by V8's own count of its live
 * old generation; Buffers and the native heap by their low point as the
 * dead ones were freed) rose at each of at least TREND_GC_COLLECTIONS
 * consecutive full collections, and by more than trend_gc_noise() from the
 * first of them to the one before the last: a collection may leave more
 * than usual -- the garbage that died while V8 was marking (concurrently,
 * for a while), which the next one frees -- and one such, the last, is no
 * leak.  (Recorded, tests/node/lru_buffers.js: Buffers 4.81, 4.88, then
 * 6.19 MiB, then 4.75 again.)
 * Before TREND_GC_COLLECTIONS full collections, they have no verdict
 * (insufficient-data).  Other processes' native heap is judged on reports.
 *
 * Estimates (--sample-bytes) must beat their sampling error as well: every
 * rise exceeds TREND_NOISE_SIGMAS standard errors of the difference.
 * With several leaking categories, the fastest names the verdict.
 */
#ifndef TREND_H
#define TREND_H

#include "report/model.h"

/* What a process held at one report: the history a verdict is judged on. */
struct proc_sample {
	double t;			/* seconds since tracing began */
	int64_t bytes[ML_CAT_MAX];
	uint32_t gc[ML_GC_MAX];		/* Node.js: V8 collections in the interval that ends here */
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

#define TREND_GC_COLLECTIONS 3
/* The noise of sizes after full collections: a live set holding still
 * moves with the work in flight when the collection ran (requests, a
 * cache's last insertions before its evictions).  Measured on node 20,
 * bounded workloads traced for 80 s, 28 and 8 full collections
 * (tests/node/lru_buffers.js: 300 bodies of 16 KiB, 20 in and 20 out per
 * 50 ms; tests/node/bounded_cache.js): Buffers between 4.69 and 5.31 MiB,
 * V8's live old generation between 2.74 and 3.25 MiB, and between 4.09 and
 * 4.56 MiB; the native heap of lru_buffers.js (blocks since memleakbpf
 * attached) 78 to 97 KiB, rising 78, 80, 84, 85 KiB at four in a row.  On
 * a loaded machine (2 CPUs, other tests running) V8 marks for longer, and
 * more of the cache's evicted Buffers outlive a collection: over 12 runs
 * of lru_buffers.js, Buffers after full collections between 4.69 and 6.19
 * MiB, and once 4.69, 5.00, 5.44, 5.81, 5.88 MiB, five rising in a row.
 * A rise must be above 2 MiB, and above 2% of the size it rose from: a
 * server with 1 GiB live has more in flight than one with 10 MiB.
 */
#define TREND_GC_MIN_RISE (2 * 1024 * 1024)
/* Without V8's count of its live old generation (a node where that
 * function is inlined), the committed heap: it carries the young
 * generation, which V8 resizes up to two 16 MiB semi-spaces -- measured
 * after full collections of a bounded cache: 6.0, 24.7, 40.2 MiB
 * committed, 4.6 MiB live each time.
 */
#define TREND_GC_COMMITTED_MIN_RISE (48 * 1024 * 1024)
#define TREND_GC_MIN_RISE_DIVISOR 50
static inline int64_t trend_gc_noise(int64_t from)
{
	int64_t rel = from / TREND_GC_MIN_RISE_DIVISOR;

	return rel > TREND_GC_MIN_RISE ? rel : TREND_GC_MIN_RISE;
}

/* No full collection for TREND_GC_WAIT_S while Buffers or the committed V8
 * heap grew by more than TREND_GC_WAIT_BYTES: the report says so, and how
 * to have one sooner.
 */
#define TREND_GC_WAIT_S 60.0
#define TREND_GC_WAIT_BYTES (16 * 1024 * 1024)

/* hist: the reports, oldest first; gc: the last full collections of a
 * Node.js process, NULL for any other.
 */
void trend_judge(const struct proc_sample *hist, int n, const struct gc_history *gc, struct trend *out);

/* Is a Node.js process waiting for a full collection (struct gc_wait)?
 * Since its last one, or, before the first, since its first report.
 */
void trend_gc_wait(const struct proc_sample *hist, int n, const struct gc_history *gc, struct gc_wait *out);

#endif /* TREND_H */
