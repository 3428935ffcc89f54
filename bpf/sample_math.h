/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/sample_math.h: the integer arithmetic of --sample-bytes N, the same
 * code in bpf/memleak.bpf.c and in user space (user/util/sampling.c builds
 * its tables; tests/unit/test_sampling.c holds it to the formulas).
 *
 * Each thread counts the bytes it allocates down from a threshold drawn
 * from the exponential distribution of mean N; the allocation that takes
 * the count to 0 or below is sampled and a new threshold is drawn from its
 * end (the exponential has no memory, so nothing is carried over).  Every
 * allocation of s bytes is then sampled with p(s) = 1 - e^(-s/N), whatever
 * came before, and a sample counts 1/p(s) allocations and s/p(s) bytes:
 * the sums are unbiased (Horvitz-Thompson) estimates.
 *
 * No floating point in BPF:
 *
 * Thresholds.  Exp(1) = G ln 2 + R, with G geometric (P(G = k) = 2^-(k+1):
 * the trailing zero bits of a random word) and R the exponential restricted
 * to [0, ln 2).  R comes from a table of its quantiles q_i at i/T (T =
 * ML_SAMPLE_T), uniform between two of them: every bucket has the mass the
 * exponential gives it, and the density inside a bucket is off by at most
 * half its width, ln(1 + 1/T) < 1/T.  So the rate of sampling at any point,
 * and p(s) after any history, are within 1/(2T) = 1.2e-4 of exact (G stops
 * at 32: thresholds beyond 22N, probability 2^-32, are cut there).
 * (tests/unit/test_sampling.c measures at most 1.0e-4 over histories and
 * sizes, for N from 1K to 1G.)
 *
 * Weights.  s/p(s) = N g(s/N) with g(x) = x / (1 - e^(-x)), a smooth
 * function from g(0) = 1 with 0 < g' < 1 and g'' <= 1/6.  g is tabulated at
 * steps of 1/ML_WEIGHT_STEPS in [0, ML_WEIGHT_XMAX] in 32.32 fixed point and
 * interpolated linearly: within h^2/48 = 1.3e-6 of exact, plus the
 * rounding below.  From x = 32 on,
 * p = 1 within e^-32 and a sample counts as itself.
 *
 * Units: thresholds and the count down in 1/65536 bytes (Q16: the rounding
 * of the table moves a bucket's edges by 2^-17 bytes, 3e-5 of its width at
 * N = 1K), estimated bytes in 1/256 (Q8) and estimated allocations in
 * 1/65536 (user space rounds the sums): a sample's share is rounded by at
 * most 2^-9 bytes (1.9e-6 of it at N = 1K) and 2^-17 allocations (7.6e-6).
 * Sizes stop at 2^47 bytes.
 */
#ifndef SAMPLE_MATH_H
#define SAMPLE_MATH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define ML_SAMPLE_MIN (1ULL << 10)	/* --sample-bytes: 1K ... */
#define ML_SAMPLE_MAX (1ULL << 30)	/* ... 1G (fixed point below fits) */

#define ML_SAMPLE_T_BITS 12
#define ML_SAMPLE_T (1U << ML_SAMPLE_T_BITS)	/* quantile buckets of R */
#define ML_SAMPLE_FRAC_BITS (32 - ML_SAMPLE_T_BITS)	/* where in a bucket */
#define ML_SAMPLE_G_MAX 32

#define ML_WEIGHT_STEPS_BITS 7
#define ML_WEIGHT_STEPS (1U << ML_WEIGHT_STEPS_BITS)	/* table points per unit of x */
#define ML_WEIGHT_XMAX 32
#define ML_WEIGHT_N (ML_WEIGHT_XMAX * ML_WEIGHT_STEPS)	/* intervals */

#define ML_Q_THRESHOLD 16	/* thresholds and the count down: bytes in 1/65536 */
#define ML_Q_BYTES 8		/* estimated bytes in 1/256 */
#define ML_Q_COUNT 16		/* estimated allocations in 1/65536 */
#define ML_SAMPLE_SIZE_MAX (1ULL << 47)
#define ML_SAMPLE_COUNT_MAX (1ULL << 40)	/* what one allocation takes off the count */

/* thr[i] = N q_i in Q16, q_i = -ln(1 - i/(2T)), i = 0..T (thr[T] = N ln 2).
 * r1, r2: random words.  A threshold in Q16 bytes, at least 1.
 */
static __always_inline __u64 ml_sample_threshold(const volatile __u64 *thr, __u32 r1, __u32 r2)
{
	__u64 g = 0, x = r1, i = r2 >> ML_SAMPLE_FRAC_BITS;
	__u64 f = r2 & ((1U << ML_SAMPLE_FRAC_BITS) - 1), lo, hi, v;

	if (!x) {
		g = ML_SAMPLE_G_MAX;
	} else {
		if (!(x & 0xffff)) { g += 16; x >>= 16; }
		if (!(x & 0xff)) { g += 8; x >>= 8; }
		if (!(x & 0xf)) { g += 4; x >>= 4; }
		if (!(x & 0x3)) { g += 2; x >>= 2; }
		if (!(x & 0x1)) { g += 1; }
	}
	if (i >= ML_SAMPLE_T)		/* for the verifier: r2 >> 20 is below T */
		i = ML_SAMPLE_T - 1;
	lo = thr[i];
	hi = thr[i + 1];
	v = g * thr[ML_SAMPLE_T] + lo + (((hi - lo) * f) >> ML_SAMPLE_FRAC_BITS);
	return v ? v : 1;
}

static __always_inline __u64 ml_sample_size(__u64 size)
{
	return size < ML_SAMPLE_SIZE_MAX ? size : ML_SAMPLE_SIZE_MAX;
}

/* What an allocation of size bytes takes off the count, in Q16: sizes
 * above 1T (sampled anyway: N <= 1G) stop there, so that nothing overflows.
 */
static __always_inline __u64 ml_sample_consumed(__u64 size)
{
	return (size < ML_SAMPLE_COUNT_MAX ? size : ML_SAMPLE_COUNT_MAX) << ML_Q_THRESHOLD;
}

/* The bytes a sampled allocation of size bytes stands for, s/p(s), in Q8.
 * gtab[j] = g(j / ML_WEIGHT_STEPS) in 32.32, j = 0..ML_WEIGHT_N; n = N.
 */
static __always_inline __u64 ml_sample_bytes_q8(const volatile __u64 *gtab, __u64 n, __u64 size)
{
	__u64 i, rem, lo, hi, gq;

	size = ml_sample_size(size);
	if (size >= ML_WEIGHT_XMAX * n)
		return size << ML_Q_BYTES;
	i = (size << ML_WEIGHT_STEPS_BITS) / n;
	rem = (size << ML_WEIGHT_STEPS_BITS) - i * n;
	if (i >= ML_WEIGHT_N)		/* for the verifier: size < 32n */
		return size << ML_Q_BYTES;
	lo = gtab[i];
	hi = gtab[i + 1];
	gq = lo + ((hi - lo) * rem + n / 2) / n;
	return ((n * (gq >> 32)) << ML_Q_BYTES) +
	       ((n * (gq & 0xffffffffULL) + (1ULL << (31 - ML_Q_BYTES))) >> (32 - ML_Q_BYTES));
}

/* The allocations it stands for, 1/p(s), in Q16: its bytes over its size. */
static __always_inline __u64 ml_sample_count_q16(__u64 bytes_q8, __u64 size)
{
	size = ml_sample_size(size);
	if (!size)
		return 0;
	return ((bytes_q8 << (ML_Q_COUNT - ML_Q_BYTES)) + size / 2) / size;
}

#endif /* SAMPLE_MATH_H */
