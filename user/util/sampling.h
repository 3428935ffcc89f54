/* user/util/sampling.h: --sample-bytes N on the user side.
 *
 * The tables the BPF side samples and weighs with (bpf/sample_math.h says
 * how, and how exact), and the same arithmetic here: the collector weighs
 * the blocks it walks (--min-age) exactly as BPF weighed them, and the
 * tracer turns the fixed-point sums of the site table into bytes and allocations.
 */
#ifndef SAMPLING_H
#define SAMPLING_H

#include <stdint.h>
#include <linux/types.h>
#include "sample_math.h"

struct sampling {
	uint64_t n;				/* N; 0: every allocation, exact */
	__u64 thr[ML_SAMPLE_T + 1];		/* threshold quantiles, Q16 bytes */
	__u64 g[ML_WEIGHT_N + 1];		/* g(x) = x / (1 - e^-x), 32.32 */
};

/* Fill s for N = n (0: off; the tables are left zero). */
void sampling__init(struct sampling *s, uint64_t n);

/* What a sampled block of size bytes adds to its site: bytes in Q8 and
 * allocations in Q16 (both 0 when sampling is off).
 */
uint64_t sampling__bytes_q8(const struct sampling *s, uint64_t size);
uint64_t sampling__count_q16(const struct sampling *s, uint64_t size);

/* A fixed-point sum with `bits` fraction bits, rounded to the nearest
 * integer (halves away from zero).
 */
int64_t sampling__round(int64_t q, int bits);

/* 1/p(s) = 1 / (1 - e^(-size/n)) in double precision: the exact weight,
 * for tests and for the bounds they derive.
 */
double sampling__exact_weight(uint64_t n, uint64_t size);

#endif /* SAMPLING_H */
