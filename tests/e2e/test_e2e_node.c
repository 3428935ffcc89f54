// SPDX-License-Identifier: GPL-2.0
/* End to end: Node.js.  Real node processes run the scripts of tests/node/
 * under `memleakbpf --json --interval 1h -- /usr/bin/node [FLAGS] SCRIPT`.
 * Reports are taken on demand about a second apart; right before and right
 * after each one the script is asked ("m") for its own
 * process.memoryUsage(), and the report is held against it: `buffer`
 * within 5% of arrayBuffers and `v8_heap` within 15% of heapTotal (at the
 * last report; twice that at every report), then the verdict of each case,
 * the GC counts (against node's own, from perf_hooks), and for the Buffer
 * leak run with --perf-basic-prof the JS function in its top stack.
 *
 * Node runs with its default flags: V8 collects as it would in a service.
 * A few seconds see scavenges, seldom three full collections, so the V8
 * heap and Buffers get no verdict here: each case checks that the verdict
 * says it waits for full collections, and that what survived those that
 * ran is reported (gc.after_full).  The verdicts themselves, which take
 * tens of seconds of default collections, are checked by
 * test_e2e_node_gc.c on scripts side by side.  One case shortens the wait,
 * and says why.
 *
 * Every test is bounded: every wait of the harness (30 s), the scripts
 * (they exit after 60 s) and a watchdog (NODE_TEST_BOUND_S) that kills
 * memleakbpf and node when a test overruns.
 */
#include <glob.h>
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
#define NODE_SCRIPTS "tests/node"
#define MAX_SAMPLES 16
#define SAMPLE_GAP_MS 1000	/* between reports: the workload runs meanwhile */
#ifndef NODE_TEST_BOUND_S
#define NODE_TEST_BOUND_S 90	/* a whole test, start to stop: a hang guard, not a
				 * speed target (a test takes ~20 s on a quiet machine) */
#endif

#define BUFFER_TOL_PCT 5.0	/* buffer vs arrayBuffers, the issue's */
#define V8_TOL_PCT 15.0		/* v8_heap vs heapTotal, the issue's */
#define EARLY_TOL_FACTOR 2.0	/* at every report, not only the last */

#define KIB 1024LL
#define MIB (1024 * KIB)

/* One report and what the script said of itself right before it and right
 * after it (process.memoryUsage() + "gc": {minor, major}): the report's
 * moment lies between the two.
 */
struct sample {
	json_t *report;
	json_t *before, *mem;	/* mem: after */
	unsigned report_ms;	/* from the signal to the report's line */
};

struct node_run {
	const char *script;
	struct ml_tracer *t;
	pid_t pid;		/* the node process */
	int n;
	struct sample s[MAX_SAMPLES];
	uint64_t start_ms, next_ms;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static void sleep_until(uint64_t ms)
{
	uint64_t now;

	while ((now = now_ms()) < ms) {
		struct timespec d = { (ms - now) / 1000, (ms - now) % 1000 * 1000000 };

		nanosleep(&d, NULL);
	}
}

/* ---- running a script ---- */

static bool node_available(void)
{
	if (access(NODE_BIN, X_OK) == 0)
		return true;
	test__skip(NODE_BIN " not found");
	return false;
}

/* Start `memleakbpf ... -- node [flags...] tests/node/script` and wait for
 * the script's "ready pid=N".  flags: NULL-terminated, or NULL.
 */
static bool node_start(struct node_run *r, const char *script, const char *const *flags)
{
	char rel[PATH_MAX], path[PATH_MAX];
	const char *args[32];
	const char *ready;
	int n = 0, i;

	memset(r, 0, sizeof(*r));
	r->script = script;
	r->pid = -1;
	snprintf(rel, sizeof(rel), NODE_SCRIPTS "/%s", script);
	if (!ASSERT_OK_PTR(realpath(rel, path), rel))
		return false;
	args[n++] = "--json";
	args[n++] = "--top";
	args[n++] = "50";
	args[n++] = "--interval";
	args[n++] = "1h";	/* reports only when asked */
	args[n++] = "--";
	args[n++] = NODE_BIN;
	for (i = 0; flags && flags[i] && n < 30; i++)
		args[n++] = flags[i];
	args[n++] = path;
	args[n] = NULL;
	r->start_ms = now_ms();
	r->t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(r->t, "start memleakbpf"))
		return false;
	watchdog_arm(NODE_TEST_BOUND_S);
	watchdog_add(ml_tracer_pid(r->t));
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(r->t, "ready pid="), "the script is ready"))
		return false;
	ready = strstr(ml_tracer_stderr(r->t), "ready pid=");
	r->pid = (pid_t)strtol(ready + strlen("ready pid="), NULL, 10);
	watchdog_add(r->pid);
	r->next_ms = now_ms() + SAMPLE_GAP_MS;
	return ASSERT_GT(r->pid, 0, "pid of node");
}

/* The JSON of the line of stderr that starts with needle, or NULL. */
static json_t *stderr_json(struct ml_tracer *t, const char *needle)
{
	const char *at = strstr(ml_tracer_stderr(t), needle), *brace, *nl;
	json_error_t e;

	if (!at)
		return NULL;
	brace = strchr(at, '{');
	nl = strchr(at, '\n');
	if (!brace || (nl && nl < brace))
		return NULL;
	return json_loadb(brace, nl ? (size_t)(nl - brace) : strlen(brace), 0, &e);
}

/* Ask the script for its memoryUsage() now, tagged tag. */
static json_t *node_mem(struct node_run *r, int tag)
{
	char cmd[32], needle[32];

	snprintf(cmd, sizeof(cmd), "m %d\n", tag);
	snprintf(needle, sizeof(needle), "mem %d {", tag);
	if (!ASSERT_OK(ml_tracer_send(r->t, cmd), "ask for memoryUsage") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(r->t, needle), needle))
		return NULL;
	return stderr_json(r->t, needle);
}

/* At the next tick (SAMPLE_GAP_MS after the last): "m", a report, "m". */
static bool node_sample(struct node_run *r)
{
	struct sample *s = &r->s[r->n];
	uint64_t asked;
	json_t *rep;

	if (!ASSERT_LT(r->n, MAX_SAMPLES, "samples"))
		return false;
	memset(s, 0, sizeof(*s));
	sleep_until(r->next_ms);
	r->next_ms += SAMPLE_GAP_MS;
	s->before = node_mem(r, 2 * r->n + 1);
	if (!ASSERT_OK_PTR(s->before, "memoryUsage before the report"))
		return false;
	asked = now_ms();
	rep = ml_tracer_report(r->t);
	s->report_ms = now_ms() - asked;
	if (!ASSERT_OK_PTR(rep, "report"))
		goto fail;
	s->report = json_incref(rep);
	s->mem = node_mem(r, 2 * r->n + 2);
	if (!ASSERT_OK_PTR(s->mem, "memoryUsage after the report") ||
	    !ASSERT_OK_PTR(report_proc(s->report, r->pid), "node in the report"))
		goto fail;
	r->n++;
	return true;
fail:
	json_decref(s->before);
	json_decref(s->report);
	json_decref(s->mem);
	return false;
}

static bool node_samples(struct node_run *r, int count)
{
	int i;

	for (i = 0; i < count; i++)
		if (!node_sample(r))
			return false;
	return true;
}

static json_t *proc_at(struct node_run *r, int i)
{
	return report_proc(r->s[i].report, r->pid);
}

static json_t *category_at(struct node_run *r, int i, const char *cat)
{
	return json_object_get(json_object_get(proc_at(r, i), "categories"), cat);
}

static long long cat_bytes(struct node_run *r, int i, const char *cat)
{
	return json_integer_value(json_object_get(category_at(r, i, cat), "bytes"));
}

static long long mem_of(struct node_run *r, int i, const char *key)
{
	return json_integer_value(json_object_get(r->s[i].mem, key));
}

static long long mem_before(struct node_run *r, int i, const char *key)
{
	return json_integer_value(json_object_get(r->s[i].before, key));
}

static const char *trend_field(struct node_run *r, int i, const char *key)
{
	return json_string_value(json_object_get(json_object_get(proc_at(r, i), "trend"), key));
}

static const char *verdict_at(struct node_run *r, int i)
{
	return trend_field(r, i, "verdict");
}

/* A "gc" count of the process at report i; -1 when there is none. */
static long long gc_at(struct node_run *r, int i, const char *key)
{
	json_t *v = json_object_get(json_object_get(proc_at(r, i), "gc"), key);

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

static long long node_gc_at(struct node_run *r, int i, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(r->s[i].mem, "gc"), key));
}

static long long node_gc_before(struct node_run *r, int i, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(r->s[i].before, "gc"), key));
}

/* One line per report for the log: what the lead needs when a check fails. */
static void node_log(struct node_run *r)
{
	int i;

	fprintf(stderr, "  %s, pid %d: report (ms to get it): buffer/arrayBuffers (before..after)  "
		"v8_heap/heapTotal (before..after)  native  mmap  verdict  gc (memleakbpf | node after)\n",
		r->script, (int)r->pid);
	for (i = 0; i < r->n; i++)
		fprintf(stderr, "   #%lld %6.2fs (%ums)  %lld/%lld..%lld  %lld/%lld..%lld  %lld  %lld  %s  %lld scav %lld full | %lld minor %lld major\n",
			json_integer_value(json_object_get(r->s[i].report, "report")),
			json_real_value(json_object_get(r->s[i].report, "elapsed_s")), r->s[i].report_ms,
			cat_bytes(r, i, "buffer"), mem_before(r, i, "arrayBuffers"), mem_of(r, i, "arrayBuffers"),
			cat_bytes(r, i, "v8_heap"), mem_before(r, i, "heapTotal"), mem_of(r, i, "heapTotal"),
			cat_bytes(r, i, "native"), cat_bytes(r, i, "mmap"),
			verdict_at(r, i) ? verdict_at(r, i) : "(none)",
			gc_at(r, i, "scavenges_total"), gc_at(r, i, "full_total"),
			node_gc_at(r, i, "minor"), node_gc_at(r, i, "major"));
	if (r->n)
		fprintf(stderr, "   evidence: %s\n", trend_field(r, r->n - 1, "evidence") ?: "(none)");
}

/* Ask the script to exit, stop memleakbpf, release everything; the test
 * must have stayed within its bound.
 */
static void node_finish(struct node_run *r)
{
	json_t *final = NULL;
	bool fired;
	int i;

	if (r->t) {
		ml_tracer_send(r->t, "q\n");
		ASSERT_EQ(ml_tracer_stop(r->t, SIGINT, &final), 0, "memleakbpf exit code");
		json_decref(final);
	}
	fired = watchdog_disarm();
	if (r->pid > 0) {
		/* With --perf-basic-prof node leaves its map in /tmp and a
		 * V8 log in the working directory.
		 */
		char path[64];
		glob_t g;
		size_t k;

		snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)r->pid);
		unlink(path);
		snprintf(path, sizeof(path), "isolate-0x*-%d-v8.log", (int)r->pid);
		if (!glob(path, 0, NULL, &g)) {
			for (k = 0; k < g.gl_pathc; k++)
				unlink(g.gl_pathv[k]);
			globfree(&g);
		}
	}
	ASSERT_FALSE(fired, "the test overran its bound and was killed");
	ml_tracer_free(r->t);
	for (i = 0; i < r->n; i++) {
		json_decref(r->s[i].before);
		json_decref(r->s[i].report);
		json_decref(r->s[i].mem);
	}
	memset(r, 0, sizeof(*r));
}

/* ---- checks ---- */

/* |got - want| <= pct% of want */
static bool within_pct(long long got, long long want, double pct)
{
	double diff = (double)got - (double)want;

	return want > 0 && (diff < 0 ? -diff : diff) <= (double)want * pct / 100.0;
}

static double off_pct(long long got, long long want)
{
	return want ? 100.0 * ((double)got - (double)want) / (double)want : 0.0;
}

#define ASSERT_WITHIN_PCT(got, want, pct, name) ({				\
	long long ___g = (got), ___w = (want);					\
	bool ___ok = within_pct(___g, ___w, (pct));				\
	if (!___ok) TEST_FAIL_("%s: got %lld, expected %lld within %.0f%% (off by %+.1f%%)", \
			       (name), ___g, ___w, (double)(pct), off_pct(___g, ___w)); \
	___ok; })

/* What the script says key was at the moment of report i: it grows or
 * shrinks while memleakbpf writes its report (symbolising takes 0.1-0.7 s),
 * so the report is held against the value of [before, after] nearest to
 * what it says.
 */
static long long mem_at_report(struct node_run *r, int i, const char *key, long long reported)
{
	long long a = mem_before(r, i, key), b = mem_of(r, i, key);
	long long lo = a < b ? a : b, hi = a < b ? b : a;

	return reported < lo ? lo : reported > hi ? hi : reported;
}

/* The category against the script's own figure: within pct at the last
 * report, within EARLY_TOL_FACTOR * pct at every report.
 */
static void check_category(struct node_run *r, const char *cat, const char *mem_key, double pct)
{
	char name[96];
	int i;

	for (i = 0; i < r->n; i++) {
		bool last = i == r->n - 1;
		long long got = cat_bytes(r, i, cat);

		snprintf(name, sizeof(name), "%s vs %s at report %d%s", cat, mem_key, i + 1,
			 last ? " (last)" : "");
		if (!ASSERT_OK_PTR(category_at(r, i, cat), name))
			return;
		ASSERT_WITHIN_PCT(got, mem_at_report(r, i, mem_key, got),
				  last ? pct : pct * EARLY_TOL_FACTOR, name);
	}
}

static void check_buffer(struct node_run *r)
{
	if (test__start_subtest("buffer vs arrayBuffers"))
		check_category(r, "buffer", "arrayBuffers", BUFFER_TOL_PCT);
}

static void check_v8_heap(struct node_run *r)
{
	if (test__start_subtest("v8_heap vs heapTotal"))
		check_category(r, "v8_heap", "heapTotal", V8_TOL_PCT);
}

static json_t *after_full_at(struct node_run *r, int i)
{
	return json_object_get(json_object_get(proc_at(r, i), "gc"), "after_full");
}

/* Every full collection (traced from the start) has its entry in
 * gc.after_full, the last 8 of them, in order; one may be under way as a
 * report is taken.  V8's live old generation fits in its committed heap.
 */
static void check_after_full(struct node_run *r)
{
	int i;

	if (!test__start_subtest("what survived full collections"))
		return;
	for (i = 0; i < r->n; i++) {
		json_t *after = after_full_at(r, i), *f, *prev = NULL;
		long long full = gc_at(r, i, "full_total"), want = full < 8 ? full : 8;
		size_t k;

		if (!ASSERT_TRUE(json_is_array(after), "gc.after_full is an array"))
			return;
		ASSERT_TRUE((long long)json_array_size(after) == want ||
			    (long long)json_array_size(after) == want - 1,
			    "an entry per full collection (one may be under way)");
		json_array_foreach(after, k, f) {
			long long live = json_integer_value(json_object_get(f, "v8_live_bytes"));

			ASSERT_GT(live, 0, "V8's live old generation");
			ASSERT_LE(live, json_integer_value(json_object_get(f, "v8_heap_bytes")),
				  "live within the committed heap");
			ASSERT_GE(json_integer_value(json_object_get(f, "buffer_bytes")), 0, "Buffers");
			ASSERT_TRUE(json_is_integer(json_object_get(f, "native_bytes")), "native heap");
			ASSERT_GE(json_integer_value(json_object_get(f, "native_bytes")), 0, "native heap");
			if (prev) {
				ASSERT_EQ(json_integer_value(json_object_get(f, "full_total")),
					  json_integer_value(json_object_get(prev, "full_total")) + 1,
					  "consecutive full collections");
				ASSERT_TRUE(json_real_value(json_object_get(f, "elapsed_s")) >=
					    json_real_value(json_object_get(prev, "elapsed_s")), "in time order");
			}
			prev = f;
		}
	}
}

/* Before three full collections no report judges the V8 heap, Buffers or
 * native heap, and the evidence says what it waits for.
 */
static void check_waits_for_full(struct node_run *r)
{
	char want[64];
	int i;

	if (!test__start_subtest("verdict waits for full collections"))
		return;
	ASSERT_STREQ(verdict_at(r, 0), "insufficient-data", "one report is not enough");
	for (i = 0; i < r->n; i++) {
		size_t n = json_array_size(after_full_at(r, i));
		const char *v = verdict_at(r, i), *ev = trend_field(r, i, "evidence");

		if (n >= 3 || !ASSERT_OK_PTR(v, "verdict") || !ASSERT_OK_PTR(ev, "evidence"))
			continue;
		ASSERT_TRUE(strcmp(v, "off-heap-leak") && strcmp(v, "v8-heap-leak") && strcmp(v, "native-leak"), v);
		if (n)
			snprintf(want, sizeof(want), "%zu of 3 full collections so far", n);
		else
			snprintf(want, sizeof(want), "no full collection yet");
		ASSERT_STRCONTAINS(ev, want, "the evidence says it waits");
	}
}

/* GC counts: in every report, never going back, the per-interval counts
 * adding up to the totals, near what node itself saw, and collections
 * between the first report and the last (moving).  need_scavenges: the
 * run must have scavenged by the last report.
 */
static void check_gc(struct node_run *r, bool need_scavenges)
{
	static const char *const keys[] = { "scavenges", "full", "scavenges_total", "full_total" };
	int i, last = r->n - 1;
	size_t k;

	if (!test__start_subtest("gc counts"))
		return;
	for (i = 0; i < r->n; i++)
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!ASSERT_GE(gc_at(r, i, keys[k]), 0, keys[k]))
				return;
	for (i = 1; i < r->n; i++) {
		ASSERT_EQ(gc_at(r, i, "scavenges_total"), gc_at(r, i - 1, "scavenges_total") + gc_at(r, i, "scavenges"),
			  "scavenges_total grows by the interval's scavenges");
		ASSERT_EQ(gc_at(r, i, "full_total"), gc_at(r, i - 1, "full_total") + gc_at(r, i, "full"),
			  "full_total grows by the interval's full collections");
	}
	if (need_scavenges)
		ASSERT_GT(gc_at(r, last, "scavenges_total"), 0, "scavenged by the last report");
	ASSERT_GT(gc_at(r, last, "scavenges_total") + gc_at(r, last, "full_total"),
		  gc_at(r, 0, "scavenges_total") + gc_at(r, 0, "full_total"),
		  "collections between the first report and the last");
	/* Node tells of a collection a little after it: between what it said
	 * before the report and after it, give or take a little.
	 */
	ASSERT_GE(gc_at(r, last, "scavenges_total"), node_gc_before(r, last, "minor") - 2,
		  "scavenges as node counts them (perf_hooks minor), before the report");
	ASSERT_LE(gc_at(r, last, "scavenges_total"), node_gc_at(r, last, "minor") + 2,
		  "scavenges as node counts them (perf_hooks minor), after the report");
	ASSERT_GE(gc_at(r, last, "full_total"), node_gc_before(r, last, "major") - 2,
		  "full collections as node counts them (perf_hooks major), before the report");
	ASSERT_LE(gc_at(r, last, "full_total"), node_gc_at(r, last, "major") + 2,
		  "full collections as node counts them (perf_hooks major), after the report");
}

/* The first stack of category cat of the process (stacks come ranked). */
static json_t *top_stack(struct node_run *r, int i, const char *cat)
{
	json_t *stacks = json_object_get(r->s[i].report, "stacks"), *s;
	size_t k;

	json_array_foreach(stacks, k, s) {
		const char *c = json_string_value(json_object_get(s, "category"));

		if (json_integer_value(json_object_get(s, "pid")) == r->pid && c && !strcmp(c, cat))
			return s;
	}
	return NULL;
}

/* Index of the first frame whose function contains part, or -1. */
static int frame_containing(json_t *stack, const char *part)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f) {
		const char *fn = json_string_value(json_object_get(f, "function"));

		if (fn && strstr(fn, part))
			return (int)i;
	}
	return -1;
}

static void log_stack(json_t *stack)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	fprintf(stderr, "  the stack (%lld bytes):\n",
		json_integer_value(json_object_get(stack, "outstanding_bytes")));
	json_array_foreach(frames, i, f)
		fprintf(stderr, "    %s  %s\n", json_string_value(json_object_get(f, "function")) ?: "(null)",
			json_string_value(json_object_get(f, "module")) ?: "");
}

/* What every case begins with: the script run for count reports, each
 * logged, and both Node categories held against the script's own figures.
 * false when it could not run that far; node_finish() either way.
 */
static bool node_case(struct node_run *r, const char *script, const char *const *flags, int count)
{
	if (!node_start(r, script, flags) || !node_samples(r, count))
		return false;
	node_log(r);
	check_buffer(r);
	check_v8_heap(r);
	check_after_full(r);
	return true;
}

/* ---- the cases ---- */

/* Buffers kept in a Map without bound, allocated in leakBuffer. */
void test_e2e_node_buffer_leak(void)
{
	const char *flags[] = { "--perf-basic-prof", NULL };
	struct node_run r;

	if (!test__require_root() || !node_available())
		return;
	if (node_case(&r, "buffer_leak.js", flags, 6)) {
		check_waits_for_full(&r);
		if (test__start_subtest("top stack names leakBuffer")) {
			json_t *s = top_stack(&r, r.n - 1, "buffer");

			if (ASSERT_OK_PTR(s, "a buffer stack")) {
				bool ok = ASSERT_GE(frame_containing(s, "leakBuffer"), 0,
						    "a frame of leakBuffer (from /tmp/perf-PID.map)");

				ok &= ASSERT_GE(frame_containing(s, "NodeArrayBufferAllocator"), 0,
						"the allocator's frame");
				ok &= ASSERT_GE(json_integer_value(json_object_get(s, "outstanding_bytes")), 1 * MIB,
						"what it holds");
				if (!ok)
					log_stack(s);
			}
		}
		check_gc(&r, true);
	}
	node_finish(&r);
}

/* A closure over a big object, captured by a listener added per request. */
void test_e2e_node_listener_leak(void)
{
	struct node_run r;

	if (!test__require_root() || !node_available())
		return;
	if (node_case(&r, "listener_leak.js", NULL, 6)) {
		if (test__start_subtest("node warns"))
			ASSERT_STRCONTAINS(ml_tracer_stderr(r.t), "MaxListenersExceededWarning", "node's own warning");
		check_waits_for_full(&r);
		check_gc(&r, true);
	}
	node_finish(&r);
}

/* A global array that grows per request. */
void test_e2e_node_global_array(void)
{
	struct node_run r;

	if (!test__require_root() || !node_available())
		return;
	if (node_case(&r, "global_array.js", NULL, 6)) {
		check_waits_for_full(&r);
		check_gc(&r, true);
	}
	node_finish(&r);
}

/* A queue whose producer outruns its consumer. */
void test_e2e_node_queue_leak(void)
{
	struct node_run r;

	if (!test__require_root() || !node_available())
		return;
	if (node_case(&r, "queue_leak.js", NULL, 6)) {
		check_waits_for_full(&r);
		check_gc(&r, true);
	}
	node_finish(&r);
}

/* A bounded LRU cache, once filled: never a V8 heap or Buffer leak. */
void test_e2e_node_bounded_cache(void)
{
	struct node_run r;
	int i;

	if (!test__require_root() || !node_available())
		return;
	if (node_start(&r, "bounded_cache.js", NULL) &&
	    ASSERT_TRUE(ml_tracer_wait_stderr(r.t, "filled"), "the cache fills")) {
		r.next_ms = now_ms() + 2 * SAMPLE_GAP_MS;	/* and settles */
		if (node_samples(&r, 6)) {
			node_log(&r);
			check_v8_heap(&r);
			check_buffer(&r);
			check_after_full(&r);
			check_waits_for_full(&r);
			if (test__start_subtest("verdict")) {
				for (i = 0; i < r.n; i++)
					ASSERT_TRUE(strcmp(verdict_at(&r, i), "off-heap-leak") &&
						    strcmp(verdict_at(&r, i), "v8-heap-leak"), verdict_at(&r, i));
				ASSERT_OK_PTR(trend_field(&r, r.n - 1, "evidence"), "evidence in words");
			}
			check_gc(&r, false);
		}
	}
	node_finish(&r);
}

/* Buffers and JS objects both leak: the faster one names the verdict, the
 * evidence names the other.  --gc-global shortens the wait: every
 * collection is a full one, so the three full collections each verdict
 * needs come within these six seconds instead of a minute; the rule is the
 * same.
 */
void test_e2e_node_mixed(void)
{
	const char *flags[] = { "--gc-global", NULL };
	struct node_run r;

	if (!test__require_root() || !node_available())
		return;
	if (node_case(&r, "mixed.js", flags, 6)) {
		if (test__start_subtest("verdict")) {
			const char *v = verdict_at(&r, r.n - 1);

			ASSERT_TRUE(v && (!strcmp(v, "off-heap-leak") || !strcmp(v, "v8-heap-leak")),
				    "one of the two leaks names the verdict");
		}
		if (test__start_subtest("evidence names the other leak")) {
			const char *v = verdict_at(&r, r.n - 1), *ev = trend_field(&r, r.n - 1, "evidence");
			const char *other = v && !strcmp(v, "off-heap-leak") ? "V8 heap" : "off-heap";

			if (ASSERT_OK_PTR(ev, "evidence"))
				ASSERT_TRUE(strcasestr(ev, other), other);
		}
		check_gc(&r, false);	/* every collection is a full one */
	}
	node_finish(&r);
}

/* Does nothing: no leak, the categories still right, no collections. */
void test_e2e_node_idle(void)
{
	struct node_run r;

	if (!test__require_root() || !node_available())
		return;
	if (node_case(&r, "idle.js", NULL, 4)) {
		check_waits_for_full(&r);
		if (test__start_subtest("verdict")) {
			const char *v = verdict_at(&r, r.n - 1);

			/* V8 has no reason to collect: no full collection, no verdict */
			ASSERT_STREQ(v, "insufficient-data", "four reports, no full collection");
			ASSERT_LT(llabs(json_integer_value(json_object_get(category_at(&r, r.n - 1, "buffer"),
									   "growth_bytes"))), 64 * KIB,
				  "buffer growth in the last interval");
		}
		if (test__start_subtest("gc counts present")) {
			/* it allocates nothing: V8 has no reason to collect */
			ASSERT_EQ(gc_at(&r, r.n - 1, "scavenges_total"), node_gc_at(&r, r.n - 1, "minor"),
				  "scavenges_total, as node counts them");
			ASSERT_EQ(gc_at(&r, r.n - 1, "full_total"), node_gc_at(&r, r.n - 1, "major"),
				  "full_total, as node counts them");
		}
	}
	node_finish(&r);
}
