// SPDX-License-Identifier: GPL-2.0
/* End to end: --sample-bytes.  The estimates of three leak sites of known
 * sizes (tests/workloads/sample_leaks.h) under heavy malloc/free churn fall
 * within statistical bounds derived from N; without sampling every figure
 * is exact.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "e2e.h"
#include "gopprof.h"
#include "unit/golden.h"
#include "util/sampling.h"
#include "workloads/sample_leaks.h"
#include "workloads/sample_nested.h"

#define N 65536			/* --sample-bytes 64K */
/* Runs of the workload: half with uprobe sessions, half with the entry and
 * return probes they fall back to.  About 5 s each here, most of it
 * loading the BPF programs.
 */
#define RUNS 4
/* Estimates checked per run: the bytes and allocations of three sites,
 * the bytes allocated by the churn site.
 */
#define CHECKS 7
#define FAIL_PROBABILITY 1e-6

/* One estimated figure: the truth and how far its estimates may stray. */
struct figure {
	const char *name;
	double truth;		/* per run */
	double var;		/* variance of one run's estimate */
	double max_term;	/* the largest |y (I/p - 1)| of one allocation */
	double sum;		/* of the estimates, over the runs */
};

/* One allocation of size bytes, as a term of an estimate of bytes (y =
 * size) or of allocations (y = 1): sampled with p = 1 - e^(-size/N) on its
 * own (the threshold process along a thread's bytes is Poisson, so
 * allocations, disjoint stretches of it, are sampled independently), it
 * adds y/p or nothing: variance y^2 (1 - p)/p, |term| <= y (1/p - 1).
 */
static void add_allocs_n(struct figure *f, double n, uint64_t size, bool bytes, uint64_t every)
{
	double w = sampling__exact_weight(every, size), y = bytes ? (double)size : 1;

	f->truth += n * y;
	f->var += n * y * y * (w - 1);
	if (y * (w - 1) > f->max_term)
		f->max_term = y * (w - 1);
}

static void add_allocs(struct figure *f, double n, uint64_t size, bool bytes)
{
	add_allocs_n(f, n, size, bytes, N);
}

/* The bound on |mean of the RUNS estimates - truth|.  The sum D of the
 * runs' errors is a sum of independent zero-mean terms, each at most M,
 * of total variance V = RUNS var: Bernstein's inequality gives
 * P(|D| >= t) <= 2 exp(-t^2 / (2 (V + M t / 3))), which is delta at
 * t = L M / 3 + sqrt((L M / 3)^2 + 2 L V), L = ln(2 / delta), delta =
 * FAIL_PROBABILITY / CHECKS: a correct implementation fails one of the
 * checks with probability below 1e-6.  On top, the implementation's own
 * error: sampling probabilities within 1.2e-4 and weights within 1e-5 of
 * exact (bpf/sample_math.h), allowed as 2e-4 of the truth, and the report's
 * rounding to whole bytes and allocations, 0.5.
 *
 * leak_a (100 MiB in blocks of 1000 bytes): one run's standard deviation is
 * 2.6 MB (2.5%), the bound on the mean of four runs 7.3%; leak_b (blocks of
 * 10,000) 7.6% and 23%; leak_c (256 KiB blocks) 6.8% and 20%; the churn's
 * 2.2 GB 0.55% and 1.6%.  Unweighted, leak_a's estimate would be 1.5% of
 * the truth and leak_b's 14%.
 */
static double bound(const struct figure *f, int runs, int checks)
{
	double L = log(2 / (FAIL_PROBABILITY / checks)), M = f->max_term, V = runs * f->var;

	return (L * M / 3 + sqrt(L * M / 3 * L * M / 3 + 2 * L * V)) / runs + 2e-4 * f->truth + 0.5;
}

static bool check(const struct figure *f, int runs, int checks)
{
	double mean = f->sum / runs, b = bound(f, runs, checks);
	bool ok = fabs(mean - f->truth) <= b;

	if (!ok)
		TEST_FAIL_("%s: mean estimate %.0f, truth %.0f, allowed +-%.0f (%.2f%%)", f->name,
			   mean, f->truth, b, 100 * b / f->truth);
	return ok;
}

/* Sum of the folded file's values on lines whose stack has ;fn; */
static long long folded_sum(const char *path, const char *fn)
{
	size_t len;
	char *text = golden_read(path, &len), *line, *save = NULL, needle[64];
	long long sum = 0;

	if (!text)
		return -1;
	snprintf(needle, sizeof(needle), ";%s;", fn);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp = strrchr(line, ' ');

		if (sp && strstr(line, needle))
			sum += atoll(sp + 1);
	}
	free(text);
	return sum;
}

/* One run: the final report, the churn's bytes from --folded, and with
 * pprof a pprof file.
 */
static json_t *run_once(struct ml_run *r, const char *sample, const char *folded, bool sessions,
			const char *pprof)
{
	const char *extra[] = { "--sample-bytes", sample, "--folded", folded,
				"--metric", "alloc-bytes", pprof ? "--pprof" : NULL, pprof, NULL };
	json_t *rep;

	if (!sessions)
		setenv("MEMLEAKBPF_UPROBE_SESSION", "0", 1);
	rep = run_workload(r, "sample_leaks", extra);
	unsetenv("MEMLEAKBPF_UPROBE_SESSION");
	if (rep && !ASSERT_EQ(json_integer_value(json_object_get(rep, "dropped")), 0, "nothing dropped"))
		return NULL;
	return rep;
}

/* As Go's heap profiles: values already weighted (go tool pprof shows the
 * report's estimates), the sampling period in the header.
 */
static void check_pprof(const char *path, json_t *rep, pid_t pid)
{
	char *out = NULL;

	if (!go_pprof(path, FLAGS("-traces", "-unit=B", "-sample_index=inuse_space"), &out))
		ASSERT_TRUE(gopprof_has_trace(out, site_bytes(rep, pid, "leak_a"), "leak_a", "main"),
			    "leak_a's estimate");
	free(out);
	out = NULL;
	if (!go_pprof(path, FLAGS("-traces", "-sample_index=inuse_objects"), &out))
		ASSERT_TRUE(gopprof_has_trace(out, site_count(rep, pid, "leak_a"), "leak_a", "main"),
			    "leak_a's estimated count");
	free(out);
	out = NULL;
	if (!go_pprof(path, FLAGS("-raw"), &out)) {
		ASSERT_STRCONTAINS(out, "\nPeriodType: space bytes\nPeriod: 65536\n", "period");
		ASSERT_STRCONTAINS(out, "Comment: estimates: one allocation sampled per 65536 bytes",
				   "says estimates");
	}
	free(out);
}

static long long stack_field(json_t *rep, pid_t pid, const char *fn, const char *field)
{
	return json_integer_value(json_object_get(site_stack(rep, pid, fn), field));
}

void test_e2e_sampling_accuracy(void)
{
	struct figure f[CHECKS] = {
		{ "leak_a bytes" }, { "leak_a allocations" }, { "leak_b bytes" },
		{ "leak_b allocations" }, { "leak_c bytes" }, { "leak_c allocations" },
		{ "churn bytes allocated" },
	};
	char folded[] = "/tmp/memleakbpf-sampling-XXXXXX", pprof[64];
	struct ml_run r;
	uint64_t i;
	int run, fd;

	if (!test__require_root())
		return;
	add_allocs(&f[0], SL_A_N, SL_A_SIZE, true);
	add_allocs(&f[1], SL_A_N, SL_A_SIZE, false);
	add_allocs(&f[2], SL_B_N, SL_B_SIZE, true);
	add_allocs(&f[3], SL_B_N, SL_B_SIZE, false);
	add_allocs(&f[4], SL_C_N, SL_C_SIZE, true);
	add_allocs(&f[5], SL_C_N, SL_C_SIZE, false);
	for (i = 0; i < SL_CHURN_N; i++)
		add_allocs(&f[6], 1, sl_churn_size(i), true);
	fd = mkstemp(folded);
	if (!ASSERT_GE(fd, 0, "mkstemp"))
		return;
	close(fd);
	snprintf(pprof, sizeof(pprof), "%s.pb.gz", folded);
	for (run = 0; run < RUNS; run++) {
		json_t *rep = run_once(&r, "64K", folded, run % 2 == 0, run == 0 ? pprof : NULL);
		pid_t pid;

		if (!rep)
			goto out;
		pid = report_pid_of(rep, "sample_leaks");
		if (run == 0 && test__start_subtest("the report says it estimates")) {
			ASSERT_EQ(json_integer_value(json_object_get(rep, "sampled")), N, "sampled");
			ASSERT_TRUE(json_is_true(json_object_get(site_stack(rep, pid, "leak_a"),
								 "estimated")), "stack estimated");
			ASSERT_TRUE(json_is_true(json_object_get(json_object_get(json_object_get(
					report_proc(rep, pid), "categories"), "native"), "estimated")),
				    "native estimated");
			ASSERT_TRUE(json_is_false(json_object_get(json_object_get(json_object_get(
					report_proc(rep, pid), "categories"), "mmap"), "estimated")),
				    "mappings exact");
		}
		if (run == 0 && test__start_subtest("pprof: weighted values, the period N"))
			check_pprof(pprof, rep, pid);
		f[0].sum += site_bytes(rep, pid, "leak_a");
		f[1].sum += site_count(rep, pid, "leak_a");
		f[2].sum += site_bytes(rep, pid, "leak_b");
		f[3].sum += site_count(rep, pid, "leak_b");
		f[4].sum += site_bytes(rep, pid, "leak_c");
		f[5].sum += site_count(rep, pid, "leak_c");
		f[6].sum += folded_sum(folded, "churn");
		/* a freed block takes back exactly what it added */
		ASSERT_EQ(site_bytes(rep, pid, "churn"), 0, "churn holds nothing");
		ASSERT_EQ(site_count(rep, pid, "churn"), 0, "churn holds no block");
		/* nothing outstanding, nothing allocated: the same estimate */
		ASSERT_EQ(stack_field(rep, pid, "leak_a", "total_bytes"), site_bytes(rep, pid, "leak_a"),
			  "leak_a total");
		ml_run_release(&r);
	}
	if (test__start_subtest("estimates within bounds")) {
		for (i = 0; i < CHECKS; i++)
			check(&f[i], RUNS, CHECKS);
	}
out:
	unlink(folded);
	unlink(pprof);
}

/* Sampling off: every figure exact, as it always was. */
void test_e2e_sampling_off_exact(void)
{
	char folded[] = "/tmp/memleakbpf-sampling-XXXXXX";
	long long churn = 0;
	struct ml_run r;
	json_t *rep;
	uint64_t i;
	pid_t pid;
	int fd;

	if (!test__require_root())
		return;
	fd = mkstemp(folded);
	if (!ASSERT_GE(fd, 0, "mkstemp"))
		return;
	close(fd);
	rep = run_once(&r, "0", folded, true, NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "sample_leaks");
	ASSERT_EQ(json_integer_value(json_object_get(rep, "sampled")), 0, "sampled 0");
	ASSERT_TRUE(json_is_false(json_object_get(site_stack(rep, pid, "leak_a"), "estimated")),
		    "not estimated");
	ASSERT_EQ(site_bytes(rep, pid, "leak_a"), (long long)SL_A_N * SL_A_SIZE, "leak_a bytes");
	ASSERT_EQ(site_count(rep, pid, "leak_a"), SL_A_N, "leak_a count");
	ASSERT_EQ(site_bytes(rep, pid, "leak_b"), (long long)SL_B_N * SL_B_SIZE, "leak_b bytes");
	ASSERT_EQ(site_count(rep, pid, "leak_b"), SL_B_N, "leak_b count");
	ASSERT_EQ(site_bytes(rep, pid, "leak_c"), (long long)SL_C_N * SL_C_SIZE, "leak_c bytes");
	ASSERT_EQ(site_count(rep, pid, "leak_c"), SL_C_N, "leak_c count");
	for (i = 0; i < SL_CHURN_N; i++)
		churn += sl_churn_size(i);
	ASSERT_EQ(folded_sum(folded, "churn"), churn, "churn bytes allocated");
	ASSERT_EQ(site_bytes(rep, pid, "churn"), 0, "churn holds nothing");
	ml_run_release(&r);
out:
	unlink(folded);
}

/* A call inside an unsampled call (new[] -> new -> malloc, realloc(NULL, n)
 * -> malloc) is part of it, not an allocation of its own: each site's count
 * is estimated without bias, as plain malloc's is, with uprobe sessions (the
 * inner call recognised by where it is on the stack) and without (by the
 * return probes).  Counted twice, the inner calls would double the
 * estimates, 9 bounds away.  Bounds as for test_e2e_sampling_accuracy, one
 * run each, six checks: 10.4% of the 30,000 calls (--sample-bytes 1K:
 * 100-byte calls are sampled with p = 0.093, a standard deviation of 1.8%).
 */
void test_e2e_sampling_nested(void)
{
	static const char *const sites[] = { "nested_new()", "nested_realloc()", "plain_malloc()" };
	int mode, k;

	if (!test__require_root())
		return;
	static const char *const modes[] = { "uprobe sessions", "entry and return probes",
					     "uprobe sessions, jemalloc preloaded" };

	for (mode = 0; mode < 3; mode++) {
		const char *extra[] = { "--sample-bytes", "1K", NULL };
		struct ml_run r;
		json_t *rep;
		pid_t pid;

		if (!test__start_subtest(modes[mode]))
			continue;
		/* jemalloc's malloc and calloc keep no return address when
		 * not sampled (ML_COOKIE_LEAF); its new[] is a jump to its
		 * new, which must be seen inside it
		 */
		if (mode == 2 && access(JEMALLOC_PATH, R_OK)) {
			test__skip("no " JEMALLOC_PATH);
			continue;
		}
		if (mode == 1)
			setenv("MEMLEAKBPF_UPROBE_SESSION", "0", 1);
		rep = mode == 2 ? run_preloaded(&r, JEMALLOC_PATH, "sample_nested", extra)
				: run_workload(&r, "sample_nested", extra);
		unsetenv("MEMLEAKBPF_UPROBE_SESSION");
		if (!rep)
			continue;
		pid = report_pid_of(rep, "sample_nested");
		ASSERT_EQ(json_integer_value(json_object_get(rep, "dropped")), 0, "nothing dropped");
		for (k = 0; k < 3; k++) {
			struct figure count = { sites[k] }, bytes = { sites[k] };

			add_allocs_n(&count, SN_N, SN_SIZE, false, 1024);
			add_allocs_n(&bytes, SN_N, SN_SIZE, true, 1024);
			count.sum = site_count(rep, pid, sites[k]);
			bytes.sum = site_bytes(rep, pid, sites[k]);
			check(&count, 1, 6);
			check(&bytes, 1, 6);
		}
		ml_run_release(&r);
	}
}

/* Where the kernel has uprobe sessions (6.12 and later), --sample-bytes
 * uses them: they must load here, not fall back to entry and return probes
 * in silence.  (A verifier refusal of the session program once did, on a
 * kernel without private BPF stacks: its stack was too deep.)
 */
void test_e2e_sampling_sessions_load(void)
{
	const char *args[] = { "-v", "--sample-bytes", "512K", "--interval", "1h", "--", "/bin/true",
			       NULL };
	struct utsname u;
	struct ml_run r = { 0 };
	int major = 0, minor = 0;

	if (!test__require_root())
		return;
	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2 ||
	    major * 1000 + minor < 6012) {
		test__skip("no uprobe sessions before Linux 6.12");
		return;
	}
	unsetenv("MEMLEAKBPF_UPROBE_SESSION");
	if (!ASSERT_OK(ml_run(&r, args), "ran"))
		goto out;
	ASSERT_EQ(r.exit_code, 0, "exit code");
	ASSERT_STRCONTAINS(r.err, "(uprobe sessions: unsampled calls skip the return probe)",
			   "sampling with sessions");
	ASSERT_FALSE(strstr(r.err, "failed to load"), "every program loaded");
	ASSERT_TRUE(strstr(r.err, "memleakbpf:   malloc                   session"),
		    "-v: malloc probed by a session");
out:
	ml_run_release(&r);
}

/* The filter of blocks held (--sample-bytes, bpf/memleak.h) follows the
 * table: -v checks it at the end, before and after the purge of the
 * processes gone.  Two runs of sample_nested under sh, each exiting with
 * its ~8,400 sampled blocks held (90,000 of 100 bytes kept, --sample-bytes
 * 1K): before the purge every slot's counter equals its blocks; after it,
 * nothing is held and every counter is back to 0 (the purge lowers them as
 * BPF does).
 */
void test_e2e_sampling_filter(void)
{
	const char *nested = workload_path("sample_nested");
	char cmd[2 * PATH_MAX + 8];
	const char *args[] = { "-v", "--json", "--sample-bytes", "1K", "--interval", "1h", "--",
			       "/bin/sh", "-c", cmd, NULL };
	struct ml_run r = { 0 };
	const char *line;
	long held = -1, counted = -1, differ = -1;

	if (!test__require_root())
		return;
	snprintf(cmd, sizeof(cmd), "%s && %s", nested, nested);
	if (!ASSERT_OK(ml_run(&r, args), "ran"))
		goto out;
	ASSERT_EQ(r.exit_code, 0, "exit code");
	line = strstr(r.err, "block filter, before the purge: ");
	if (ASSERT_OK_PTR(line, "-v checks the filter before the purge") &&
	    ASSERT_EQ(sscanf(line, "block filter, before the purge: %ld blocks held, %ld counted, "
			     "%ld slots differ", &held, &counted, &differ), 3, "its figures")) {
		/* 2 x 3 x SN_N blocks of SN_SIZE, each sampled with p = 1 - e^(-SN_SIZE/1024):
		 * ~16,700, a standard deviation of 0.7%
		 */
		double expect = 2 * 3 * SN_N * (1 - exp(-(double)SN_SIZE / 1024));

		ASSERT_GT(held, expect * 0.9, "the sampled blocks of both runs held");
		ASSERT_LT(held, expect * 1.1, "the sampled blocks of both runs held");
		ASSERT_EQ(counted, held, "counted as held");
		ASSERT_EQ(differ, 0, "every slot as its blocks");
	}
	ASSERT_STRCONTAINS(r.err, "block filter, after the purge: 0 blocks held, 0 counted, "
			   "0 slots differ", "all gone, all counters 0");
out:
	ml_run_release(&r);
}
