// SPDX-License-Identifier: GPL-2.0
/* The arithmetic of --sample-bytes (bpf/sample_math.h, the code BPF runs)
 * against the formulas it stands for, computed in double precision.
 */
#include <math.h>
#include <stdint.h>
#include "test.h"
#include "util/sampling.h"

#define N64K 65536

/* a < b for doubles, saying both when not */
#define ASSERT_DBL_LT(a, b, name) ({						\
	double ___a = (a), ___b = (b);						\
	bool ___ok = ___a < ___b;						\
	if (!___ok) TEST_FAIL_("%s: %s: got %g, expected below %g", (name), #a, ___a, ___b); \
	___ok; })

static struct sampling smp;

/* The survival function of the thresholds the table draws, P(X > y), y in
 * Q16 bytes: G ln 2 + R with P(G = g) = 2^-(g+1) (g < 32; 2^-32 for 32)
 * and R uniform inside each of the T buckets, each of mass 1/T.
 */
static double table_survival(const struct sampling *s, double y)
{
	double total = 0, pg, r, lo, hi;
	int g;
	unsigned i;

	for (g = 0; g <= ML_SAMPLE_G_MAX; g++) {
		pg = g < ML_SAMPLE_G_MAX ? ldexp(1, -(g + 1)) : ldexp(1, -32);
		r = y - (double)g * s->thr[ML_SAMPLE_T];
		if (r < 0) {
			total += pg;
			continue;
		}
		if (r >= s->thr[ML_SAMPLE_T])
			continue;
		/* the bucket holding r: the table is increasing */
		for (i = 0; i < ML_SAMPLE_T && s->thr[i + 1] <= r; i++)
			;
		lo = s->thr[i];
		hi = s->thr[i + 1];
		total += pg * ((double)(ML_SAMPLE_T - i - 1) + (hi - r) / (hi - lo)) / ML_SAMPLE_T;
	}
	return total;
}

void test_sampling_threshold_table(void)
{
	unsigned i;

	sampling__init(&smp, N64K);
	if (test__start_subtest("quantiles of the exponential below ln 2")) {
		for (i = 0; i <= ML_SAMPLE_T; i++) {
			double q = -log(1 - (double)i / (2.0 * ML_SAMPLE_T)) * N64K * 65536;

			if (!ASSERT_DBL_NEAR((double)smp.thr[i], q, 0.5, "thr[i]"))
				break;
		}
		ASSERT_EQ(smp.thr[0], 0, "q_0 = 0");
		ASSERT_EQ(smp.thr[ML_SAMPLE_T], 2977044472ULL, "q_T = N ln 2 (45426.1 bytes, in 1/65536)");
	}
	if (test__start_subtest("widest bucket")) {
		uint64_t widest = 0;

		for (i = 0; i < ML_SAMPLE_T; i++)
			if (smp.thr[i + 1] - smp.thr[i] > widest)
				widest = smp.thr[i + 1] - smp.thr[i];
		/* the last: ln(1 + 1/T) N, in 1/65536 bytes */
		ASSERT_DBL_NEAR((double)widest, log1p(1.0 / ML_SAMPLE_T) * N64K * 65536, 1, "ln(1 + 1/T) N");
	}
}

void test_sampling_threshold_draw(void)
{
	uint64_t L, b5, b6;

	sampling__init(&smp, N64K);
	L = smp.thr[ML_SAMPLE_T];
	b5 = smp.thr[5];
	b6 = smp.thr[6];
	if (test__start_subtest("the lowest draw is 1, never 0")) {
		ASSERT_EQ(ml_sample_threshold(smp.thr, 1, 0), 1, "g 0, bucket 0, start");
	}
	if (test__start_subtest("geometric periods: trailing zero bits")) {
		ASSERT_EQ(ml_sample_threshold(smp.thr, 1, 5u << 20), b5, "g 0");
		ASSERT_EQ(ml_sample_threshold(smp.thr, 2, 5u << 20), L + b5, "g 1");
		ASSERT_EQ(ml_sample_threshold(smp.thr, 0xfff0, 5u << 20), 4 * L + b5, "g 4");
		ASSERT_EQ(ml_sample_threshold(smp.thr, 0x80000000u, 5u << 20), 31 * L + b5, "g 31");
		ASSERT_EQ(ml_sample_threshold(smp.thr, 0, 5u << 20), 32 * L + b5, "g 32: r1 = 0");
	}
	if (test__start_subtest("linear inside a bucket")) {
		ASSERT_EQ(ml_sample_threshold(smp.thr, 1, (5u << 20) | (1u << 19)), b5 + (b6 - b5) / 2,
			  "half way");
		ASSERT_EQ(ml_sample_threshold(smp.thr, 1, (5u << 20) | 0xfffff),
			  b5 + (((b6 - b5) * 0xfffff) >> 20), "the bucket's end");
		ASSERT_EQ(ml_sample_threshold(smp.thr, 1, 0xffffffffu),
			  smp.thr[ML_SAMPLE_T - 1] + (((L - smp.thr[ML_SAMPLE_T - 1]) * 0xfffff) >> 20),
			  "the last bucket");
	}
	if (test__start_subtest("the mean is N")) {
		/* E[G] ln 2 N + E[R]: R's buckets hold equal mass, uniform inside */
		double mean = 0, eg = 0;
		unsigned i;
		int g;

		for (g = 0; g < ML_SAMPLE_G_MAX; g++)
			eg += g * ldexp(1, -(g + 1));
		eg += ML_SAMPLE_G_MAX * ldexp(1, -32);
		for (i = 0; i < ML_SAMPLE_T; i++)
			mean += ((double)smp.thr[i] + smp.thr[i + 1]) / 2 / ML_SAMPLE_T;
		mean = (mean + eg * L) / 65536;
		ASSERT_DBL_NEAR(mean / N64K, 1, 2e-8, "mean / N");
	}
}

/* P(an allocation of s bytes is sampled | the count is a bytes into its
 * threshold) = 1 - S(a + s) / S(a), against 1 - e^(-s/N): within 1/(2T)
 * (bpf/sample_math.h) for every history and size.
 */
static double worst_probability_error(double n)
{
	static const double as[] = { 0, 0.01, 0.3, 0.69, 0.7, 1, 2.5, 7, 15 };
	static const double ss[] = { 1, 3, 16, 100, 1000, 4096, 16384, 65536, 200000, 1 << 20 };
	double worst = 0;
	size_t i, j;

	sampling__init(&smp, n);
	for (i = 0; i < sizeof(as) / sizeof(as[0]); i++) {
		double a = as[i] * n * 65536, sa = table_survival(&smp, a);

		for (j = 0; j < sizeof(ss) / sizeof(ss[0]); j++) {
			double p = 1 - table_survival(&smp, a + ss[j] * 65536) / sa;
			double exact = -expm1(-ss[j] / n), err = fabs(p / exact - 1);

			worst = err > worst ? err : worst;
		}
	}
	return worst;
}

void test_sampling_probability(void)
{
	double w64k = worst_probability_error(N64K);

	/* 9.3e-5 at 64K, 8e-6 at 1K, 1.0e-4 at 1G */
	ASSERT_DBL_LT(w64k, 0.5 / ML_SAMPLE_T, "N = 64K");
	ASSERT_DBL_LT(worst_probability_error(ML_SAMPLE_MIN), 0.5 / ML_SAMPLE_T, "N = 1K");
	ASSERT_DBL_LT(worst_probability_error(ML_SAMPLE_MAX), 0.5 / ML_SAMPLE_T, "N = 1G");
	ASSERT_DBL_LT(0, w64k, "the table is not the exponential (else the test tests nothing)");
}

void test_sampling_weights(void)
{
	static const uint64_t ns[] = { 1024, N64K, 512 * 1024, 1 << 30 };
	size_t k;

	if (test__start_subtest("g tabulated")) {
		sampling__init(&smp, N64K);
		ASSERT_EQ(smp.g[0], 1ULL << 32, "g(0) = 1");
		ASSERT_EQ(smp.g[ML_WEIGHT_STEPS], 6794538219ULL, "g(1) = 1/(1 - 1/e) = 1.5819767");
		ASSERT_DBL_NEAR(smp.g[ML_WEIGHT_N] / 4294967296.0, 32, 1e-9, "g(32) = 32");
	}
	if (test__start_subtest("known values")) {
		sampling__init(&smp, N64K);
		/* s = N: N / (1 - 1/e) = 103676.43 bytes, 1.5819767 allocations */
		ASSERT_DBL_NEAR(sampling__bytes_q8(&smp, N64K) / 256.0, 103676.43, 0.01, "bytes at N");
		ASSERT_DBL_NEAR(sampling__count_q16(&smp, N64K) / 65536.0, 1.5819767, 1e-5, "count at N");
		/* s = 1: N + 1/2 bytes, N + 1/2 allocations */
		ASSERT_DBL_NEAR(sampling__bytes_q8(&smp, 1) / 256.0, 65536.5, 0.01, "bytes at 1");
		ASSERT_DBL_NEAR(sampling__count_q16(&smp, 1) / 65536.0, 65536.5, 0.01, "count at 1");
		/* from 32 N on, a sample is itself, exactly */
		ASSERT_EQ(sampling__bytes_q8(&smp, 32 * N64K), (32ULL * N64K) << 8, "bytes at 32 N");
		ASSERT_EQ(sampling__count_q16(&smp, 32 * N64K), 65536, "count at 32 N");
		ASSERT_EQ(sampling__bytes_q8(&smp, 1ULL << 40), (1ULL << 40) << 8, "bytes at 1T");
		ASSERT_EQ(sampling__count_q16(&smp, 1ULL << 40), 65536, "count at 1T");
		ASSERT_EQ(sampling__bytes_q8(&smp, UINT64_MAX), ML_SAMPLE_SIZE_MAX << 8, "sizes stop at 2^47");
		ASSERT_EQ(sampling__count_q16(&smp, 0), 0, "a size of 0 stands for nothing");
	}
	if (test__start_subtest("within 1.3e-6 + 2^-9/N of 1/(1 - e^(-s/N))")) {
		for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++) {
			double worst_b = 0, worst_c = 0;
			uint64_t s, step;

			sampling__init(&smp, ns[k]);
			step = ns[k] / 997 + 1;	/* not a divisor of the table's steps */
			for (s = 1; s <= 33 * ns[k]; s += (s < 4096 ? 1 : step)) {
				double w = sampling__exact_weight(ns[k], s);
				double b = sampling__bytes_q8(&smp, s) / 256.0 / (s * w) - 1;
				double c = sampling__count_q16(&smp, s) / 65536.0 / w - 1;

				worst_b = fabs(b) > worst_b ? fabs(b) : worst_b;
				worst_c = fabs(c) > worst_c ? fabs(c) : worst_c;
			}
			/* interpolation 1.3e-6, Q8 rounding 2^-9 bytes of at least N */
			ASSERT_DBL_LT(worst_b, 1.3e-6 + 1 / (512.0 * ns[k]), "bytes");
			/* counts: Q16 rounding adds at most 2^-17 allocations */
			ASSERT_DBL_LT(worst_c, 1e-5, "allocations");
		}
	}
}

void test_sampling_round(void)
{
	ASSERT_EQ(sampling__round(0, 8), 0, "0");
	ASSERT_EQ(sampling__round(255, 8), 1, "255/256");
	ASSERT_EQ(sampling__round(128, 8), 1, "a half, up");
	ASSERT_EQ(sampling__round(127, 8), 0, "below a half");
	ASSERT_EQ(sampling__round(-128, 8), -1, "-1/2, away from 0");
	ASSERT_EQ(sampling__round(-127, 8), 0, "above -1/2");
	ASSERT_EQ(sampling__round(3 << 16, 16), 3, "whole");
	ASSERT_EQ(sampling__round(-(5LL << 16) - 1, 16), -5, "negative");
}
