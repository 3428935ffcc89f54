// SPDX-License-Identifier: GPL-2.0
/* End to end: the room of the unwind tables is reused.
 *
 *   test_e2e_tables_reuse  --unwind-memory 1280K holds the tables of libc,
 *                          ld.so and the driver (eh_reuse) and one of the
 *                          four libbig_ehN.so (375 KiB of rows each, built
 *                          without frame pointers), never two.  Four child
 *                          processes in turn each map one library and
 *                          leak through it; then the driver itself
 *                          dlopen()s, leaks through and dlclose()s each.
 *                          Every leak's stack is whole, from malloc to
 *                          main, and the JSON counts each table released
 *                          and the bytes reused, exactly.
 *
 * A table is released only when another needs its room, so seven
 * releases and no file over the budget say that without reuse the second
 * library would have gone over it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "e2e.h"

#define TABLES_BUDGET "1280K"

static struct ml_tracer *start_driver(void)
{
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "--unwind-memory",
			       TABLES_BUDGET, "--", workload_path("eh_reuse"), NULL };

	return ml_tracer_start(args);
}

/* The pid in the driver's "done CMD N pid P" line. */
static pid_t done_pid(struct ml_tracer *t, const char *cmd, int n)
{
	char needle[64];
	const char *at;

	snprintf(needle, sizeof(needle), "done %s %d pid ", cmd, n);
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, needle), needle))
		return -1;
	at = strstr(ml_tracer_stderr(t), needle);
	return at ? (pid_t)atoi(at + strlen(needle)) : -1;
}

static json_t *tables_of(json_t *rep)
{
	return json_object_get(json_object_get(rep, "unwind"), "tables");
}

static long long tables_field(json_t *rep, const char *key)
{
	json_t *v = json_object_get(tables_of(rep), key);

	if (!json_is_integer(v)) {
		TEST_FAIL_("unwind.tables.%s missing", key);
		return -1;
	}
	return json_integer_value(v);
}

static void log_frames(json_t *stack)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(stack, "frames"), i, f)
		fprintf(stderr, "    #%-2zu %s  %s+%lld\n", i,
			json_string_value(json_object_get(f, "function")) ?: "(no name)",
			json_string_value(json_object_get(f, "module")) ?: "(no module)",
			json_integer_value(json_object_get(f, "module_offset")));
}

/* Frame i onwards is exactly want[], then __libc_start_call_main, ...,
 * _start (glibc's own frames between them as they are).
 */
static bool frames_are(json_t *stack, const char *const *want)
{
	json_t *frames = json_object_get(stack, "frames");
	size_t n = json_array_size(frames), i;
	const char *fn;

	for (i = 0; want[i]; i++) {
		fn = i < n ? json_string_value(json_object_get(json_array_get(frames, i), "function")) : NULL;
		if (!fn || strcmp(fn, want[i]))
			return false;
	}
	fn = i < n ? json_string_value(json_object_get(json_array_get(frames, i), "function")) : NULL;
	if (!fn || strcmp(fn, "__libc_start_call_main"))
		return false;
	fn = json_string_value(json_object_get(json_array_get(frames, n - 1), "function"));
	return fn && !strcmp(fn, "_start");
}

/* Every native stack of pid through big_leaf: frames exactly want, and
 * bytes and blocks in all of them.
 */
static void check_leak(json_t *rep, pid_t pid, const char *const *want, long long bytes, long long count)
{
	json_t *s;
	long long got_bytes = 0, got_count = 0;
	int nstacks = 0;
	size_t i;

	json_array_foreach(json_object_get(rep, "stacks"), i, s) {
		const char *cat = json_string_value(json_object_get(s, "category"));

		if (json_integer_value(json_object_get(s, "pid")) != pid || !cat || strcmp(cat, "native") ||
		    stack_frame_index(s, "big_leaf") < 0)
			continue;
		nstacks++;
		got_bytes += json_integer_value(json_object_get(s, "outstanding_bytes"));
		got_count += json_integer_value(json_object_get(s, "outstanding_count"));
		if (!ASSERT_TRUE(frames_are(s, want), "malloc to main, every frame"))
			log_frames(s);
	}
	if (!ASSERT_GT(nstacks, 0, "stacks through big_leaf"))
		return;
	ASSERT_EQ(got_bytes, bytes, "outstanding bytes");
	ASSERT_EQ(got_count, count, "outstanding blocks");
}

static bool have_workloads(void)
{
	const char *names[] = { "eh_reuse", "libbig_eh1.so", "libbig_eh2.so", "libbig_eh3.so", "libbig_eh4.so" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (access(workload_path(names[i]), R_OK)) {
			TEST_FAIL_("%s is not built: make test", workload_path(names[i]));
			return false;
		}
	}
	return true;
}

void test_e2e_tables_reuse(void)
{
	const char *in_child[] = { "malloc", "big_leaf", "big_mid", "big_leak", "call_library", "in_child",
				   "run_child", "main", NULL };
	const char *in_driver[] = { "malloc", "big_leaf", "big_mid", "big_leak", "call_library", "load_here",
				    "main", NULL };
	long long base_bytes = -1, lib_bytes = -1, driver_bytes = 0;
	struct ml_tracer *t;
	json_t *rep = NULL, *final = NULL;
	char line[32], name[64];
	pid_t pid;
	int n;

	if (!test__require_root() || !have_workloads())
		return;
	t = start_driver();
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, "ready"), "the driver is ready") ||
	    !ASSERT_OK_PTR(rep = ml_tracer_report(t), "a first report"))
		goto out;
	base_bytes = tables_field(rep, "bytes");
	for (n = 1; n <= 4; n++) {
		snprintf(name, sizeof(name), "process %d maps libbig_eh%d.so: its stacks reach main", n, n);
		snprintf(line, sizeof(line), "run %d\n", n);
		if (!ASSERT_OK(ml_tracer_send(t, line), line) || (pid = done_pid(t, "run", n)) <= 0 ||
		    !ASSERT_OK_PTR(rep = ml_tracer_report(t), "a report"))
			goto out;
		if (n == 1)
			lib_bytes = tables_field(rep, "bytes") - base_bytes;
		if (test__start_subtest(name)) {
			check_leak(rep, pid, in_child, 3 * (1000 + n), 3);
			ASSERT_EQ(tables_field(rep, "files_released"), n - 1, "tables released");
			ASSERT_EQ(tables_field(rep, "bytes"), base_bytes + lib_bytes, "one library loaded");
		}
	}
	for (n = 1; n <= 4; n++) {
		snprintf(name, sizeof(name), "the driver dlopen()s and dlclose()s libbig_eh%d.so", n);
		snprintf(line, sizeof(line), "load %d\n", n);
		if (!ASSERT_OK(ml_tracer_send(t, line), line) || (pid = done_pid(t, "load", n)) <= 0 ||
		    !ASSERT_OK_PTR(rep = ml_tracer_report(t), "a report"))
			goto out;
		driver_bytes += 3 * (1000 + n);
		if (test__start_subtest(name)) {
			/* each library is mapped where the last one was: their
			 * stacks are the same addresses, one per call site
			 */
			check_leak(rep, pid, in_driver, driver_bytes, 3 * n);
			ASSERT_EQ(tables_field(rep, "files_released"), 4 + n - 1, "tables released");
		}
	}
	if (test__start_subtest("released and reused, counted exactly")) {
		/* the last library's table, idle since its dlclose(), is
		 * kept until its room is needed
		 */
		ASSERT_GT(lib_bytes, 300 * 1024, "a library's table");
		ASSERT_EQ(tables_field(rep, "files_released"), 7, "tables released");
		ASSERT_EQ(tables_field(rep, "files_idle"), 1, "idle tables");
		ASSERT_EQ(tables_field(rep, "files_over_budget"), 0, "tables over the budget");
		ASSERT_EQ(tables_field(rep, "bytes_reused"), 7 * lib_bytes, "bytes reused");
		ASSERT_EQ(tables_field(rep, "bytes"), base_bytes + lib_bytes, "bytes loaded");
		ASSERT_EQ(json_integer_value(json_object_get(
				  json_object_get(json_object_get(rep, "unwind"), "frame_pointer_steps"), "over_budget")),
			  0, "frame-pointer steps over the budget");
	}
out:
	ml_tracer_send(t, "q\n");
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
	json_decref(final);
	ml_tracer_free(t);
}
