// SPDX-License-Identifier: GPL-2.0
/* End to end: Node.js verdicts on what survives full collections, with
 * node's default flags.  Five scripts of tests/node/ run side by side,
 * each its own node process, traced by one `memleakbpf -p` with a report
 * every two seconds for a minute, or up to a minute and a half until the
 * leaks have had three full collections (V8 runs them tens of seconds
 * apart: the five share that wait):
 *  - lru_buffers.js, a bounded cache of 16 KiB Buffers: between full
 *    collections arrayBuffers climbs by tens of MiB, and the native heap
 *    by some hundreds of KiB (V8's records of each ArrayBuffer); no report
 *    calls it a leak of any kind, and after each full collection Buffers
 *    are the cache's 300 bodies;
 *  - buffer_array.js, Buffers kept in an array at 5 MiB/s: off-heap-leak
 *    from the first report that has three full collections on;
 *  - listener_closures.js, closures kept by listeners at 7.5 MiB/s:
 *    v8-heap-leak, likewise;
 *  - intl_formatters.js, date formatters kept (ICU's, malloc'd, about
 *    1.5 MiB/s), beside a bounded Buffer cache: native-leak, likewise;
 *  - idle.js: insufficient-data (V8 has no reason to collect) or none.
 * The scripts start idle, memleakbpf attaches (-p: a cold start of four
 * traced node processes takes long on a busy machine), then they are told
 * "go"; they outlive the test and exit when their stdin closes.  The times
 * measured are logged.
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "e2e.h"

#define NODE_BIN "/usr/bin/node"
#define MIN_REPORTS 30		/* a minute */
#define REPORTS 45		/* at most */
#define REPORT_GAP_MS 2000
#define BOUND_S 240		/* the whole test, start to stop */
#define BODY (16 * 1024)	/* lru_buffers.js: 300 bodies */

#define KIB 1024LL
#define MIB (1024 * KIB)

enum { LRU, BUFFERS, LISTENERS, FORMATTERS, IDLE, SCRIPTS };

static const struct {
	const char *script;
	const char *per_tick;		/* NODE_TEST_PER_TICK, or NULL */
} scripts[SCRIPTS] = {
	[LRU] = { "lru_buffers.js", NULL },
	[BUFFERS] = { "buffer_array.js", NULL },
	[LISTENERS] = { "listener_closures.js", "3" },
	[FORMATTERS] = { "intl_formatters.js", NULL },
	[IDLE] = { "idle.js", NULL },
};

struct gc_run {
	struct workload w[SCRIPTS];
	bool started[SCRIPTS];
	struct ml_tracer *t;
	int n;
	json_t *reports[REPORTS];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static bool start_script(struct gc_run *g, int i)
{
	char rel[PATH_MAX], path[PATH_MAX];
	const char *args[] = { path, NULL };
	int err;

	snprintf(rel, sizeof(rel), "tests/node/%s", scripts[i].script);
	if (!ASSERT_OK_PTR(realpath(rel, path), rel))
		return false;
	setenv("NODE_TEST_LIFETIME_S", "600", 1);	/* longer than the test: stdin ends it */
	setenv("NODE_TEST_GO", "wait", 1);
	if (scripts[i].per_tick)
		setenv("NODE_TEST_PER_TICK", scripts[i].per_tick, 1);
	err = workload_start_program(&g->w[i], NODE_BIN, args);
	unsetenv("NODE_TEST_PER_TICK");
	unsetenv("NODE_TEST_GO");
	unsetenv("NODE_TEST_LIFETIME_S");
	if (!ASSERT_OK(err, scripts[i].script))
		return false;
	g->started[i] = true;
	watchdog_add(g->w[i].pid);
	return true;
}

static bool gc_run_start(struct gc_run *g)
{
	char pids[128];
	const char *args[] = { "--json", "--interval", "1h", "-p", pids, NULL };
	size_t o = 0;
	int i;

	memset(g, 0, sizeof(*g));
	watchdog_arm(BOUND_S);
	for (i = 0; i < SCRIPTS; i++) {
		if (!start_script(g, i))
			return false;
		o += snprintf(pids + o, sizeof(pids) - o, "%s%d", i ? "," : "", (int)g->w[i].pid);
	}
	g->t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(g->t, "start memleakbpf -p"))
		return false;
	watchdog_add(ml_tracer_pid(g->t));
	for (i = 0; i < SCRIPTS; i++)
		if (!ASSERT_OK(workload_send(&g->w[i], "go\n"), "go"))
			return false;
	return true;
}

/* json_array_size(gc.after_full) of script s in report k */
static size_t fulls(struct gc_run *g, int s, int k);

static bool gc_run_reports(struct gc_run *g)
{
	uint64_t next = now_ms();

	for (g->n = 0; g->n < REPORTS; g->n++) {
		json_t *rep;

		if (g->n >= MIN_REPORTS && fulls(g, BUFFERS, g->n - 1) >= 3 && fulls(g, LISTENERS, g->n - 1) >= 3 &&
		    fulls(g, FORMATTERS, g->n - 1) >= 3)
			break;
		while (now_ms() < next)
			usleep(20000);
		next += REPORT_GAP_MS;
		rep = ml_tracer_report(g->t);
		if (!ASSERT_OK_PTR(rep, "report"))
			return false;
		g->reports[g->n] = json_incref(rep);
	}
	return true;
}

static void gc_run_stop(struct gc_run *g)
{
	json_t *final = NULL;
	int i;

	if (g->t) {
		ASSERT_EQ(ml_tracer_stop(g->t, SIGINT, &final), 0, "memleakbpf exit code");
		json_decref(final);
		ml_tracer_free(g->t);
	}
	for (i = 0; i < SCRIPTS; i++)
		if (g->started[i])
			workload_stop(&g->w[i]);	/* stdin closes: the script exits */
	ASSERT_FALSE(watchdog_disarm(), "the test overran its bound and was killed");
	for (i = 0; i < g->n; i++)
		json_decref(g->reports[i]);
}

/* ---- a process in report k ---- */

static json_t *proc_in(struct gc_run *g, int s, int k)
{
	return report_proc(g->reports[k], g->w[s].pid);
}

static const char *trend_of(struct gc_run *g, int s, int k, const char *key)
{
	return json_string_value(json_object_get(json_object_get(proc_in(g, s, k), "trend"), key)) ?: "";
}

static json_t *after_full(struct gc_run *g, int s, int k)
{
	return json_object_get(json_object_get(proc_in(g, s, k), "gc"), "after_full");
}

static size_t fulls(struct gc_run *g, int s, int k)
{
	return json_array_size(after_full(g, s, k));
}

static double elapsed(struct gc_run *g, int k)
{
	return json_real_value(json_object_get(g->reports[k], "elapsed_s"));
}

static bool judged_after_gc(const char *verdict)
{
	return !strcmp(verdict, "off-heap-leak") || !strcmp(verdict, "v8-heap-leak") ||
	       !strcmp(verdict, "native-leak");
}

/* One line per report, then the last sizes after full collections. */
static void log_script(struct gc_run *g, int s)
{
	json_t *after, *f;
	size_t i;
	int k;

	fprintf(stderr, "  %s, pid %d: report at s: verdict (full collections, buffer, v8_heap, native)\n",
		scripts[s].script, (int)g->w[s].pid);
	for (k = 0; k < g->n; k++) {
		json_t *cats = json_object_get(proc_in(g, s, k), "categories");

		fprintf(stderr, "   %6.1f %s (%lld, %lld, %lld, %lld)\n", elapsed(g, k), trend_of(g, s, k, "verdict"),
			json_integer_value(json_object_get(json_object_get(proc_in(g, s, k), "gc"), "full_total")),
			json_integer_value(json_object_get(json_object_get(cats, "buffer"), "bytes")),
			json_integer_value(json_object_get(json_object_get(cats, "v8_heap"), "bytes")),
			json_integer_value(json_object_get(json_object_get(cats, "native"), "bytes")));
	}
	after = after_full(g, s, g->n - 1);
	json_array_foreach(after, i, f)
		fprintf(stderr, "   after full collection %lld at %.1fs: V8 live %lld, committed %lld, Buffers %lld, "
			"native %lld\n",
			json_integer_value(json_object_get(f, "full_total")),
			json_real_value(json_object_get(f, "elapsed_s")),
			json_integer_value(json_object_get(f, "v8_live_bytes")),
			json_integer_value(json_object_get(f, "v8_heap_bytes")),
			json_integer_value(json_object_get(f, "buffer_bytes")),
			json_integer_value(json_object_get(f, "native_bytes")));
	fprintf(stderr, "   evidence: %s\n", trend_of(g, s, g->n - 1, "evidence"));
}

/* The first report that has three full collections of script s, or -1. */
static int third_full(struct gc_run *g, int s)
{
	int k;

	for (k = 0; k < g->n; k++)
		if (fulls(g, s, k) >= 3)
			return k;
	return -1;
}

/* A leak: no verdict on it before three full collections, the verdict
 * from the first report that has them on, its evidence on what survived.
 */
static void check_leak(struct gc_run *g, int s, const char *verdict, const char *evidence)
{
	int k, third = third_full(g, s);
	json_t *f;

	if (!ASSERT_GE(third, 0, "three full collections within the reports"))
		return;
	f = json_array_get(after_full(g, s, third), 2);
	fprintf(stderr, "  %s: third full collection at %.1fs, %s from the report at %.1fs "
		"(memleakbpf attached before the first report, at %.1fs)\n", scripts[s].script,
		json_real_value(json_object_get(f, "elapsed_s")), verdict, elapsed(g, third), elapsed(g, 0));
	for (k = 0; k < third; k++) {
		ASSERT_FALSE(judged_after_gc(trend_of(g, s, k, "verdict")), "no verdict before three");
		if (k >= 2)	/* three reports: it is the full collections it waits for */
			ASSERT_TRUE(strstr(trend_of(g, s, k, "evidence"), " of 3 full collections so far: "
					   "the native heap, V8 heap and Buffers") ||
				    strstr(trend_of(g, s, k, "evidence"), "no full collection yet: the native heap"),
				    trend_of(g, s, k, "evidence"));
	}
	for (k = third; k < g->n; k++) {
		ASSERT_STREQ(trend_of(g, s, k, "verdict"), verdict, "verdict once there are three");
		ASSERT_STRCONTAINS(trend_of(g, s, k, "evidence"), evidence, "evidence");
	}
}

void test_e2e_node_gc(void)
{
	struct gc_run g;
	json_t *after, *f;
	int k, verdicts[3] = { 0 };
	size_t i;

	if (!test__require_root())
		return;
	if (access(NODE_BIN, X_OK)) {
		test__skip(NODE_BIN " not found");
		return;
	}
	if (!gc_run_start(&g) || !gc_run_reports(&g))
		goto out;
	for (k = 0; k < SCRIPTS; k++)
		log_script(&g, k);
	if (test__start_subtest("a bounded cache is no leak")) {
		/* of any kind: V8's records of the Buffers not yet collected
		 * are native heap that only a full collection frees
		 */
		for (k = 0; k < g.n; k++) {
			const char *v = trend_of(&g, LRU, k, "verdict");

			verdicts[0] += !strcmp(v, "insufficient-data");
			verdicts[1] += !strcmp(v, "none");
			verdicts[2] += !strcmp(v, "insufficient-data") || !strcmp(v, "none") ? 0 : 1;
			ASSERT_TRUE(!strcmp(v, "insufficient-data") || !strcmp(v, "none"),
				    trend_of(&g, LRU, k, "evidence"));
		}
		fprintf(stderr, "  lru_buffers.js: %d reports: insufficient-data %d, none %d, a leak %d\n", g.n,
			verdicts[0], verdicts[1], verdicts[2]);
		/* all but the last: its low point may still be coming, as
		 * V8 frees the dead ones after it
		 */
		after = after_full(&g, LRU, g.n - 1);
		json_array_foreach(after, i, f) {
			long long b = json_integer_value(json_object_get(f, "buffer_bytes"));

			if (i + 1 == json_array_size(after))
				break;
			ASSERT_GE(b, 300 * BODY, "Buffers after a full collection: the cache's bodies");
			ASSERT_LE(b, 400 * BODY, "and not the garbage between collections");
		}
		if (json_array_size(after) >= 3) {
			ASSERT_FALSE(strstr(trend_of(&g, LRU, g.n - 1, "evidence"), "so far") ||
				     strstr(trend_of(&g, LRU, g.n - 1, "evidence"), "no full collection yet"),
				     "judged after three full collections");
			ASSERT_STREQ(trend_of(&g, LRU, g.n - 1, "verdict"), "none", "no leak");
		}
	}
	if (test__start_subtest("Buffers kept: off-heap-leak"))
		check_leak(&g, BUFFERS, "off-heap-leak", "off-heap (Buffer) after full collections: ");
	if (test__start_subtest("listeners kept: v8-heap-leak"))
		check_leak(&g, LISTENERS, "v8-heap-leak", "V8 heap (live) after full collections: ");
	if (test__start_subtest("formatters kept: native-leak"))
		check_leak(&g, FORMATTERS, "native-leak", "native heap after full collections: ");
	if (test__start_subtest("idle: no leak")) {
		for (k = 0; k < g.n; k++) {
			const char *v = trend_of(&g, IDLE, k, "verdict");

			ASSERT_TRUE(!strcmp(v, "insufficient-data") || !strcmp(v, "none"), v);
			if (!json_array_size(after_full(&g, IDLE, k)))
				ASSERT_STRCONTAINS(trend_of(&g, IDLE, k, "evidence"), "no full collection yet: "
						   "the native heap", "evidence");
		}
	}
out:
	gc_run_stop(&g);
}
