/* End to end: every allocation function, realloc's shapes, libc's own
 * allocations, threads, a static binary.  Exact bytes, named frames.
 */
#include <signal.h>
#include "e2e.h"

void test_e2e_alloc_funcs(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "alloc_funcs", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "alloc_funcs");
	ASSERT_GT(pid, 0, "workload pid in the report");
	if (test__start_subtest("exited with its leaks")) {
		json_t *p = report_proc(rep, pid);

		ASSERT_TRUE(json_is_true(json_object_get(p, "exited")), "exited");
	}
	if (test__start_subtest("malloc")) {
		ASSERT_EQ(site_bytes(rep, pid, "leak_malloc"), 3000, "bytes");
		ASSERT_EQ(site_count(rep, pid, "leak_malloc"), 3, "count");
		assert_caller(rep, pid, "leak_malloc", "malloc");
	}
	if (test__start_subtest("calloc")) {
		ASSERT_EQ(site_bytes(rep, pid, "leak_calloc"), 1000, "bytes");
		assert_caller(rep, pid, "leak_calloc", "calloc");
	}
	if (test__start_subtest("realloc(NULL, n)")) {
		ASSERT_EQ(site_bytes(rep, pid, "leak_realloc_null"), 1234, "bytes");
		ASSERT_EQ(site_count(rep, pid, "leak_realloc_null"), 1, "counted once, not as malloc too");
	}
	if (test__start_subtest("reallocarray")) {
		ASSERT_EQ(site_bytes(rep, pid, "leak_reallocarray"), 700, "bytes");
		ASSERT_EQ(site_count(rep, pid, "leak_reallocarray"), 1, "count");
	}
	if (test__start_subtest("posix_memalign")) {
		ASSERT_EQ(site_bytes(rep, pid, "leak_posix_memalign"), 4000, "bytes");
		assert_caller(rep, pid, "leak_posix_memalign", "posix_memalign");
	}
	if (test__start_subtest("aligned_alloc"))
		ASSERT_EQ(site_bytes(rep, pid, "leak_aligned_alloc"), 512, "bytes");
	if (test__start_subtest("memalign"))
		ASSERT_EQ(site_bytes(rep, pid, "leak_memalign"), 1536, "bytes");
	if (test__start_subtest("valloc"))
		ASSERT_EQ(site_bytes(rep, pid, "leak_valloc"), 5000, "bytes");
	if (test__start_subtest("pvalloc"))
		ASSERT_EQ(site_bytes(rep, pid, "leak_pvalloc"), 3000, "bytes");
	if (test__start_subtest("freed blocks leave nothing")) {
		ASSERT_EQ(site_bytes(rep, pid, "malloc_then_free"), 0, "bytes");
		ASSERT_EQ(site_count(rep, pid, "malloc_then_free"), 0, "count");
	}
	if (test__start_subtest("failed allocations are not counted")) {
		ASSERT_EQ(site_count(rep, pid, "failed_malloc"), 0, "malloc NULL");
		ASSERT_EQ(site_count(rep, pid, "failed_calloc"), 0, "calloc NULL");
		ASSERT_EQ(site_count(rep, pid, "failed_realloc"), 0, "realloc NULL");
		ASSERT_EQ(site_bytes(rep, pid, "keep_for_failed_realloc"), 2222,
			  "block kept by a failed realloc");
	}
	if (test__start_subtest("process totals exact")) {
		/* Every block above, and nothing else: free(NULL), the freed
		 * and the failed calls changed nothing.
		 */
		json_t *native = json_object_get(json_object_get(report_proc(rep, pid), "categories"),
						 "native");

		ASSERT_EQ(json_integer_value(json_object_get(native, "bytes")),
			  3000 + 1000 + 1234 + 700 + 4000 + 512 + 1536 + 5000 + 3000 + 2222, "bytes");
		ASSERT_EQ(json_integer_value(json_object_get(native, "count")), 12, "count");
		ASSERT_EQ(json_integer_value(json_object_get(rep, "dropped")), 0, "nothing dropped");
	}
	if (test__start_subtest("categories")) {
		/* The first malloc grows the heap: that brk is the allocator's. */
		ASSERT_EQ(site_bytes_cat(rep, pid, "leak_malloc", "native"), 3000, "native");
		ASSERT_GE(site_bytes_cat(rep, pid, "leak_malloc", "allocator"), 128 * 1024, "allocator");
		ASSERT_EQ(site_bytes_cat(rep, pid, "leak_malloc", "mmap"), 0, "not the program's mmap");
	}
out:
	ml_run_release(&r);
}

void test_e2e_realloc(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "realloc_chain", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "realloc_chain");
	if (test__start_subtest("grow keeps one block")) {
		ASSERT_EQ(site_bytes(rep, pid, "journal_grow"), 777777, "outstanding");
		ASSERT_EQ(site_count(rep, pid, "journal_grow"), 1, "count");
	}
	if (test__start_subtest("shrink")) {
		ASSERT_EQ(site_bytes(rep, pid, "journal_shrink"), 100, "outstanding");
		ASSERT_EQ(site_count(rep, pid, "journal_shrink"), 1, "count");
	}
	if (test__start_subtest("move")) {
		ASSERT_EQ(site_bytes(rep, pid, "journal_move"), 200000, "outstanding");
		ASSERT_EQ(site_count(rep, pid, "journal_move"), 1, "count");
	}
	if (test__start_subtest("shrink to zero frees")) {
		ASSERT_EQ(site_bytes(rep, pid, "shrink_to_zero"), 0, "outstanding");
		ASSERT_EQ(site_count(rep, pid, "shrink_to_zero"), 0, "outstanding count");
	}
	if (test__start_subtest("realloc(NULL, n) is one allocation")) {
		ASSERT_EQ(site_bytes(rep, pid, "realloc_from_null"), 4242, "outstanding");
		ASSERT_EQ(site_count(rep, pid, "realloc_from_null"), 1, "count");
		assert_caller(rep, pid, "realloc_from_null", "realloc");
	}
out:
	ml_run_release(&r);
}

/* The first frames of fn's stack are want (NULL-terminated), by name. */
static void assert_leaf_frames(json_t *rep, pid_t pid, const char *fn, const char *const *want)
{
	json_t *s = site_stack(rep, pid, fn), *frames;
	const char *got;
	int i;

	if (!ASSERT_OK_PTR(s, fn))
		return;
	frames = json_object_get(s, "frames");
	for (i = 0; want[i]; i++) {
		got = json_string_value(json_object_get(json_array_get(frames, i), "function"));
		if (!ASSERT_STREQ(got, want[i], fn))
			return;
	}
}

/* libc's functions that allocate for their caller: the walk by tables
 * goes through them (the frame-pointer walk's anchors: test_e2e_unwind).
 */
void test_e2e_libc_internal(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "libc_internal", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "libc_internal");
	if (test__start_subtest("strdup")) {
		ASSERT_EQ(site_bytes(rep, pid, "dup_string"), 12, "bytes");
		ASSERT_EQ(site_count(rep, pid, "dup_string"), 1, "count once, not as malloc too");
		assert_leaf_frames(rep, pid, "dup_string",
				   (const char *[]){ "malloc", "strdup", "dup_string", "main", NULL });
	}
	if (test__start_subtest("strndup")) {
		ASSERT_EQ(site_bytes(rep, pid, "dup_prefix"), 6, "bytes");
		assert_leaf_frames(rep, pid, "dup_prefix",
				   (const char *[]){ "malloc", "strndup", "dup_prefix", "main", NULL });
	}
	if (test__start_subtest("asprintf")) {
		/* one 6-byte block, from the buffer vasprintf filled */
		ASSERT_EQ(site_bytes(rep, pid, "print_to_string"), 6, "bytes");
		ASSERT_EQ(site_count(rep, pid, "print_to_string"), 1, "count");
		assert_leaf_frames(rep, pid, "print_to_string",
				   (const char *[]){ "malloc", "__vasprintf_internal", "asprintf",
						     "print_to_string", "main", NULL });
	}
out:
	ml_run_release(&r);
}

void test_e2e_threads(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "threads", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "threads");
	if (test__start_subtest("every thread counted")) {
		ASSERT_EQ(site_bytes(rep, pid, "thread_leak"), 4 * 25 * 1000, "bytes");
		ASSERT_EQ(site_count(rep, pid, "thread_leak"), 100, "count");
	}
	if (test__start_subtest("freed by another thread"))
		ASSERT_EQ(site_count(rep, pid, "handoff_alloc"), 0, "count");
	if (test__start_subtest("arena reservations are not memory")) {
		/* Each thread arena reserves 64 MiB PROT_NONE and makes a part
		 * of it usable with mprotect: only that part counts.
		 */
		ASSERT_GT(proc_category_bytes(rep, pid, "allocator"), 0, "arenas' usable part");
		ASSERT_LT(proc_category_bytes(rep, pid, "allocator"), 4 << 20, "not the reservations");
	}
out:
	ml_run_release(&r);
}

void test_e2e_static_binary(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "static_leak", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "static_leak");
	ASSERT_EQ(site_bytes(rep, pid, "static_site"), 3500, "bytes");
	ASSERT_EQ(site_count(rep, pid, "static_site"), 5, "count");
	ASSERT_STRCONTAINS(json_string_value(json_object_get(report_proc(rep, pid), "allocator")),
			   "static_leak", "allocator is the executable");
out:
	ml_run_release(&r);
}

void test_e2e_cxx_new(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "cxx_new", NULL);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "cxx_new");
	if (test__start_subtest("operator new")) {
		ASSERT_EQ(site_bytes(rep, pid, "shop::make_widgets()"), 3 * 48, "bytes");
		ASSERT_EQ(site_count(rep, pid, "shop::make_widgets()"), 3, "count");
		assert_caller(rep, pid, "shop::make_widgets()", "operator new(unsigned long)");
	}
	if (test__start_subtest("operator new[]")) {
		ASSERT_EQ(site_bytes(rep, pid, "shop::make_array()"), 40, "bytes");
		assert_caller(rep, pid, "shop::make_array()", "operator new[](unsigned long)");
	}
	if (test__start_subtest("nothrow new"))
		ASSERT_EQ(site_bytes(rep, pid, "shop::make_nothrow()"), 48, "bytes");
	if (test__start_subtest("jemalloc's own operator new")) {
		/* It does not call malloc: new itself is the allocation. */
		const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "--", "/usr/bin/env",
				       "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2",
				       workload_path("cxx_new"), "--wait", NULL };
		struct ml_tracer *t = ml_tracer_start(args);
		json_t *final = NULL;

		if (ASSERT_OK_PTR(t, "start") &&
		    ASSERT_TRUE(ml_tracer_wait_stderr(t, "libjemalloc.so.2"), "jemalloc attached") &&
		    ASSERT_OK(ml_tracer_send(t, "go\n"), "go") &&
		    ASSERT_TRUE(ml_tracer_wait_stderr(t, "done"), "allocated")) {
			json_t *rj = ml_tracer_report(t);
			pid_t jp = report_pid_of(rj, "cxx_new");

			ASSERT_EQ(site_bytes(rj, jp, "shop::make_widgets()"), 3 * 48, "bytes");
			assert_caller(rj, jp, "shop::make_widgets()", "operator new(unsigned long)");
		}
		if (t)
			ml_tracer_stop(t, SIGINT, &final);
		json_decref(final);
		ml_tracer_free(t);
	}
out:
	ml_run_release(&r);
}
