// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_history.c: each process's samples, grown as reports come. */
#include <stdint.h>
#include "test.h"
#include "report/history.h"

static struct proc_sample sample_at(double t)
{
	struct proc_sample s = { .t = t };

	s.bytes[ML_CAT_NATIVE] = (int64_t)t * 1000;
	return s;
}

void test_history(void)
{
	struct history *h = history__new();
	struct proc_history *ph, *again;
	struct proc_sample s;
	int i;

	ASSERT_TRUE(h != NULL, "history__new");
	if (!h)
		return;
	if (test__start_subtest("a new process holds no samples")) {
		ph = history__get(h, 100, 1);
		ASSERT_TRUE(ph != NULL, "get");
		ASSERT_EQ(ph->nsamples, 0, "samples");
		ASSERT_EQ(ph->cap, 0, "no room taken before its first report");
		ASSERT_FALSE(ph->has_last, "no last report");
	}
	if (test__start_subtest("room grows with the reports, to HISTORY_SAMPLES")) {
		ph = history__get(h, 101, 1);
		s = sample_at(1);
		ASSERT_EQ(proc_history__push(ph, &s), 0, "push");
		ASSERT_EQ(ph->cap, 2, "room for two after the first");
		for (i = 2; i <= HISTORY_SAMPLES + 6; i++) {
			s = sample_at(i);
			ASSERT_EQ(proc_history__push(ph, &s), 0, "push");
		}
		ASSERT_EQ(ph->cap, HISTORY_SAMPLES, "room");
		ASSERT_EQ(ph->nsamples, HISTORY_SAMPLES, "samples kept");
		ASSERT_DBL_NEAR(ph->samples[0].t, 7, 0, "the oldest six went");
		ASSERT_DBL_NEAR(ph->samples[HISTORY_SAMPLES - 1].t, HISTORY_SAMPLES + 6, 0, "newest last");
		ASSERT_EQ(ph->last_bytes[ML_CAT_NATIVE], (HISTORY_SAMPLES + 6) * 1000, "last totals");
		ASSERT_TRUE(ph->has_last, "has a last report");
	}
	if (test__start_subtest("the same image keeps its samples")) {
		again = history__get(h, 101, 1);
		ASSERT_EQ(again->nsamples, HISTORY_SAMPLES, "samples");
	}
	if (test__start_subtest("a new image starts afresh")) {
		ph = history__get(h, 101, 2);
		ASSERT_EQ(ph->nsamples, 0, "samples");
		ASSERT_FALSE(ph->has_last, "no last report");
		ASSERT_EQ(ph->image, 2u, "image");
		s = sample_at(500);
		ASSERT_EQ(proc_history__push(ph, &s), 0, "push");
		ASSERT_EQ(ph->nsamples, 1, "one sample");
		ASSERT_DBL_NEAR(ph->samples[0].t, 500, 0, "it");
	}
	if (test__start_subtest("forgotten: started anew")) {
		history__forget(h, 101);
		ph = history__get(h, 101, 2);
		ASSERT_EQ(ph->nsamples, 0, "samples");
		ASSERT_EQ(ph->cap, 0, "room");
	}
	history__free(h);
}
