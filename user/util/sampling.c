// SPDX-License-Identifier: GPL-2.0
/* user/util/sampling.c: see sampling.h. */
#include <math.h>
#include <string.h>
#include "util/sampling.h"

void sampling__init(struct sampling *s, uint64_t n)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	if (!n)
		return;
	/* R's quantiles: -ln(1 - u/2) at u = i/T, log1p keeps the small ones exact */
	for (i = 0; i <= ML_SAMPLE_T; i++)
		s->thr[i] = (__u64)llround(-log1p(-(double)i / (2.0 * ML_SAMPLE_T)) * (double)n *
					   (1 << ML_Q_THRESHOLD));
	s->g[0] = 1ULL << 32;
	for (i = 1; i <= ML_WEIGHT_N; i++) {
		double x = (double)i / ML_WEIGHT_STEPS;

		s->g[i] = (__u64)llround(x / -expm1(-x) * 4294967296.0);
	}
}

uint64_t sampling__bytes_q8(const struct sampling *s, uint64_t size)
{
	return s->n ? ml_sample_bytes_q8(s->g, s->n, size) : 0;
}

uint64_t sampling__count_q16(const struct sampling *s, uint64_t size)
{
	return s->n ? ml_sample_count_q16(ml_sample_bytes_q8(s->g, s->n, size), size) : 0;
}

int64_t sampling__round(int64_t q, int bits)
{
	int64_t half = (int64_t)1 << (bits - 1);

	return q >= 0 ? (q + half) >> bits : -((-q + half) >> bits);
}

double sampling__exact_weight(uint64_t n, uint64_t size)
{
	return 1.0 / -expm1(-(double)size / (double)n);
}
