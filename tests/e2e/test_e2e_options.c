/* End to end: options that shape what is traced and when reports come. */
#include <string.h>
#include "e2e.h"

void test_e2e_size_filter(void)
{
	const char *extra[] = { "--min-size", "1K", "--max-size", "2K", NULL };
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	rep = run_workload(&r, "alloc_funcs", extra);
	if (!rep)
		goto out;
	pid = report_pid_of(rep, "alloc_funcs");
	ASSERT_EQ(site_bytes(rep, pid, "leak_realloc_null"), 1234, "1234 is in range");
	ASSERT_EQ(site_bytes(rep, pid, "leak_memalign"), 1536, "1536 is in range");
	ASSERT_EQ(site_count(rep, pid, "leak_malloc"), 0, "1000 is below");
	ASSERT_EQ(site_count(rep, pid, "leak_valloc"), 0, "5000 is above");
	ASSERT_EQ(proc_category_bytes(rep, pid, "native"), 1234 + 1536, "process total");
out:
	ml_run_release(&r);
}

void test_e2e_no_malloc_no_mmap(void)
{
	struct ml_run r;
	json_t *rep;
	pid_t pid;

	if (!test__require_root())
		return;
	if (test__start_subtest("--no-malloc")) {
		const char *extra[] = { "--no-malloc", NULL };

		rep = run_workload(&r, "mmap_ops", extra);
		if (rep) {
			pid = report_pid_of(rep, "mmap_ops");
			ASSERT_EQ(proc_category_bytes(rep, pid, "native"), 0, "no heap");
			ASSERT_EQ(site_bytes_cat(rep, pid, "map_keep", "mmap"), 3 * 4096, "mappings still");
		}
		ml_run_release(&r);
	}
	if (test__start_subtest("--no-mmap")) {
		const char *extra[] = { "--no-mmap", NULL };

		rep = run_workload(&r, "alloc_funcs", extra);
		if (rep) {
			pid = report_pid_of(rep, "alloc_funcs");
			ASSERT_EQ(site_bytes(rep, pid, "leak_malloc"), 3000, "heap still");
			ASSERT_EQ(proc_category_bytes(rep, pid, "mmap"), 0, "no mappings");
			ASSERT_EQ(proc_category_bytes(rep, pid, "allocator"), 0, "no arena growth");
		}
		ml_run_release(&r);
	}
}

void test_e2e_interval_duration(void)
{
	struct workload w = { .pid = -1 };
	char pid[16];
	const char *args[] = { "--json", "-p", pid, "--interval", "300ms", "--duration", "1s", NULL };
	struct ml_run r = { 0 };
	json_t *first, *final;
	size_t n;

	if (!test__require_root())
		return;
	if (!ASSERT_OK(workload_start(&w, "stepper", NULL), "start workload"))
		return;
	snprintf(pid, sizeof(pid), "%d", w.pid);
	ml_run(&r, args);
	ASSERT_EQ(r.exit_code, 0, "exit code");
	n = json_array_size(r.reports);
	ASSERT_GE(n, 3, "a report every 300ms, then the final one");
	ASSERT_LE(n, 5, "no more than the interval gives");
	first = json_array_get(r.reports, 0);
	final = ml_run_final(&r);
	if (ASSERT_OK_PTR(final, "final report")) {
		ASSERT_TRUE(json_is_true(json_object_get(final, "final")), "last is final");
		ASSERT_FALSE(json_is_true(json_object_get(first, "final")), "first is not");
		ASSERT_EQ(json_integer_value(json_object_get(final, "report")), (long long)n, "numbered");
		ASSERT_GE(json_real_value(json_object_get(final, "elapsed_s")), 0.95, "ran for --duration");
		ASSERT_FALSE(json_is_true(json_object_get(report_proc(final, w.pid), "exited")),
			     "the target still lives");
	}
	ASSERT_EQ(workload_stop(&w), 0, "workload untouched by -p");
	ml_run_release(&r);
}

void test_e2e_text_report(void)
{
	const char *args[] = { "--top", "3", "--", workload_path("alloc_funcs"), NULL };
	struct ml_run r;

	if (!test__require_root())
		return;
	ml_run(&r, args);
	ASSERT_EQ(r.exit_code, 0, "exit code");
	ASSERT_STRCONTAINS(r.out, "final report 1", "header");
	ASSERT_STRCONTAINS(r.out, "native heap", "category column");
	ASSERT_STRCONTAINS(r.out, "Top 3 stacks by growth:", "stacks heading");
	ASSERT_STRCONTAINS(r.out, "(exited)", "exited process");
	ASSERT_STRCONTAINS(r.out, "\n        leak_malloc ", "a named frame");
	ASSERT_STRCONTAINS(r.out, "alloc_funcs.c:", "file:line");
	ml_run_release(&r);
}
