/* End to end: reports over time: ranking by growth, --min-age, -p with two
 * processes, system-wide mode and a process that starts after us.
 */
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "e2e.h"
#include "trace/cfi_child.h"

#define MIB (1 << 20)

static int rank_of(json_t *report, const char *fn)
{
	json_t *stacks = json_object_get(report, "stacks"), *s;
	size_t i;

	json_array_foreach(stacks, i, s)
		if (stack_frame_index(s, fn) >= 0)
			return (int)i;
	return -1;
}

void test_e2e_growth_ranking(void)
{
	struct ml_tracer *t;
	json_t *r1, *r2, *final = NULL;
	pid_t pid;

	if (!test__require_root())
		return;
	t = stepper_start(NULL);
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	if (!stepper_step(t, 'A'))
		goto out;
	r1 = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(r1, "report 1"))
		goto out;
	pid = report_pid_of(r1, "stepper");
	if (test__start_subtest("first report: all is growth")) {
		ASSERT_EQ(site_bytes(r1, pid, "steady_big"), 4 * MIB, "steady_big bytes");
		ASSERT_EQ(site_bytes(r1, pid, "rising"), 1 * MIB, "rising bytes");
		ASSERT_EQ(rank_of(r1, "steady_big"), 0, "steady_big grew most");
	}
	json_incref(r1);
	if (!stepper_step(t, 'B'))
		goto out1;
	r2 = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(r2, "report 2"))
		goto out1;
	if (test__start_subtest("second report ranks by growth")) {
		json_t *s = site_stack(r2, pid, "rising");

		ASSERT_EQ(rank_of(r2, "rising"), 0, "rising grew most");
		ASSERT_EQ(json_integer_value(json_object_get(s, "growth_bytes")), 2 * MIB, "rising growth");
		ASSERT_EQ(site_bytes(r2, pid, "rising"), 3 * MIB, "rising outstanding");
		s = site_stack(r2, pid, "steady_big");
		ASSERT_EQ(json_integer_value(json_object_get(s, "growth_bytes")), 0, "steady growth");
		/* Few blocks: their ages are measured without being asked. */
		ASSERT_TRUE(json_is_real(json_object_get(s, "oldest_age_s")), "age known");
		ASSERT_GE(json_real_value(json_object_get(s, "oldest_age_s")), 0.0, "age");
		ASSERT_EQ(json_integer_value(json_object_get(r2, "report")), 2, "report number");
	}
	if (test__start_subtest("process growth")) {
		json_t *p = report_proc(r2, pid);
		json_t *native = json_object_get(json_object_get(p, "categories"), "native");

		ASSERT_GE(json_integer_value(json_object_get(native, "growth_bytes")), 2 * MIB, "native growth");
		ASSERT_LT(json_integer_value(json_object_get(native, "growth_bytes")), 2 * MIB + 65536, "native growth");
	}
out1:
	json_decref(r1);
out:
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "exit code after SIGINT");
	if (test__start_subtest("final report on SIGINT"))
		ASSERT_TRUE(final && json_is_true(json_object_get(final, "final")), "final");
	json_decref(final);
	ml_tracer_free(t);
}

void test_e2e_min_age(void)
{
	const char *extra[] = { "--min-age", "2s", NULL };
	struct ml_tracer *t;
	json_t *rep, *final = NULL;
	pid_t pid;

	if (!test__require_root())
		return;
	t = stepper_start(extra);
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	if (!stepper_step(t, 'O'))
		goto out;
	sleep(3);	/* the blocks must age: time itself is what is tested */
	if (!stepper_step(t, 'Y'))
		goto out;
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report"))
		goto out;
	pid = report_pid_of(rep, "stepper");
	ASSERT_EQ(site_bytes(rep, pid, "old_blocks"), 16 * 4096, "old blocks counted");
	ASSERT_EQ(site_count(rep, pid, "young_blocks"), 0, "young blocks left out");
	{
		json_t *s = site_stack(rep, pid, "old_blocks");
		double age = json_real_value(json_object_get(s, "oldest_age_s"));

		ASSERT_GE(age, 2.0, "oldest age");
		ASSERT_LT(age, 60.0, "oldest age");
	}
out:
	ml_tracer_stop(t, SIGTERM, &final);
	json_decref(final);
	ml_tracer_free(t);
}

void test_e2e_two_pids(void)
{
	struct workload a = { .pid = -1 }, b = { .pid = -1 };
	struct ml_tracer *t = NULL;
	pid_t exited_pid;
	json_t *rep, *final = NULL;
	char pids[64];

	if (!test__require_root())
		return;
	if (!ASSERT_OK(workload_start(&a, "stepper", NULL), "start a") ||
	    !ASSERT_OK(workload_start(&b, "stepper", NULL), "start b"))
		goto out;
	snprintf(pids, sizeof(pids), "%d,%d", a.pid, b.pid);
	{
		const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "-p", pids, NULL };

		t = ml_tracer_start(args);
	}
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		goto out;
	workload_send(&a, "A\n");
	workload_send(&b, "O\n");
	ASSERT_TRUE(workload_wait(&a, "done A"), "a stepped");
	ASSERT_TRUE(workload_wait(&b, "done O"), "b stepped");
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report"))
		goto out;
	ASSERT_EQ(site_bytes(rep, a.pid, "steady_big"), 4 * MIB, "a: steady_big");
	ASSERT_EQ(site_bytes(rep, a.pid, "rising"), 1 * MIB, "a: rising");
	ASSERT_EQ(site_bytes(rep, b.pid, "old_blocks"), 16 * 4096, "b: old_blocks");
	ASSERT_EQ(site_bytes(rep, b.pid, "steady_big"), 0, "b did not step A");
	ASSERT_EQ(json_array_size(json_object_get(rep, "processes")), 2, "two processes");
	/* One exits: a note, and the run goes on for the other. */
	exited_pid = a.pid;
	workload_stop(&a);
	a.pid = -1;
	ASSERT_TRUE(ml_tracer_wait_stderr(t, "exited"), "note about the exit");
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "report after one exited")) {
		json_t *gone = report_proc(rep, exited_pid);

		/* Its final state, once... */
		ASSERT_TRUE(gone && json_is_true(json_object_get(gone, "exited")), "reported as exited");
		ASSERT_EQ(site_bytes(rep, exited_pid, "steady_big"), 4 * MIB, "what it held at exit");
	}
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "next report")) {
		/* ...then it leaves the maps. */
		ASSERT_FALSE(report_proc(rep, exited_pid), "forgotten");
		ASSERT_EQ(site_count(rep, exited_pid, "steady_big"), 0, "its stacks too");
		ASSERT_EQ(site_bytes(rep, b.pid, "old_blocks"), 16 * 4096, "the other one stays");
	}
	workload_stop(&b);
	b.pid = -1;
	/* Both gone: memleakbpf ends by itself with a final report. */
	ASSERT_EQ(ml_tracer_stop(t, 0, &final), 0, "exit code");
	ASSERT_TRUE(final && json_is_true(json_object_get(final, "final")), "final report");
out:
	json_decref(final);
	if (a.pid > 0)
		workload_stop(&a);
	if (b.pid > 0)
		workload_stop(&b);
	ml_tracer_free(t);
}

void test_e2e_system_wide(void)
{
	const char *args[] = { "--json", "--top", "100000", "--interval", "1h", NULL };
	struct workload w = { .pid = -1 };
	struct ml_tracer *t;
	json_t *rep, *final = NULL;

	if (!test__require_root())
		return;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	/* Started after memleakbpf: found by its exec and library loads. */
	if (!ASSERT_OK(workload_start(&w, "stepper", NULL), "start workload"))
		goto out;
	workload_send(&w, "A\n");
	ASSERT_TRUE(workload_wait(&w, "done A"), "stepped");
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "report")) {
		ASSERT_EQ(site_bytes(rep, w.pid, "steady_big"), 4 * MIB, "steady_big");
		ASSERT_EQ(site_bytes(rep, w.pid, "rising"), 1 * MIB, "rising");
	}
	/* Short-lived processes, gone before any report: named all the same. */
	{
		struct ml_run run;
		pid_t parent;

		run_program(&run, workload_path("forker"), NULL);
		ASSERT_EQ(run.exit_code, 0, "forker ran");
		ml_run_release(&run);
		rep = ml_tracer_report(t);
		if (ASSERT_OK_PTR(rep, "report after forker")) {
			parent = report_pid_of(rep, "forker");
			ASSERT_EQ(site_bytes(rep, parent, "parent_leak"), 1111, "parent");
			ASSERT_EQ(site_bytes(rep, -1, "child_leak"), 2222, "forked child, named");
			ASSERT_EQ(site_bytes(rep, report_pid_of(rep, "exec_target"), "exec_leak"), 3333,
				  "exec'd child, named");
			/* It built tables for stepper's and forker's files in
			 * children of its own: never traced.
			 */
			ASSERT_EQ(report_pid_of(rep, CFI_CHILD_COMM), -1, "its table builders untraced");
		}
	}
out:
	if (w.pid > 0)
		workload_stop(&w);
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "exit code");
	json_decref(final);
	ml_tracer_free(t);
}

/* A preloaded allocator replaces glibc's malloc: found when it is mapped,
 * named, and its blocks counted exactly.
 */
static void check_preloaded(const char *lib)
{
	char preload[256];
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "--",
			       "/usr/bin/env", preload, workload_path("stepper"), NULL };
	struct ml_tracer *t;
	json_t *rep, *final = NULL, *p;
	pid_t pid;

	snprintf(preload, sizeof(preload), "LD_PRELOAD=/usr/lib/x86_64-linux-gnu/%s", lib);
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, lib), "says which allocator"))
		goto out;
	if (!stepper_step(t, 'A'))
		goto out;
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report"))
		goto out;
	pid = report_pid_of(rep, "stepper");
	p = report_proc(rep, pid);
	ASSERT_STRCONTAINS(json_string_value(json_object_get(p, "allocator")), lib, "allocator");
	ASSERT_EQ(site_bytes(rep, pid, "steady_big"), 4 * MIB, "steady_big");
	ASSERT_EQ(site_bytes(rep, pid, "rising"), 1 * MIB, "rising");
	assert_caller(rep, pid, "rising", "malloc");
out:
	ml_tracer_stop(t, SIGINT, &final);
	json_decref(final);
	ml_tracer_free(t);
}

void test_e2e_other_allocators(void)
{
	if (!test__require_root())
		return;
	if (test__start_subtest("jemalloc"))
		check_preloaded("libjemalloc.so.2");
	if (test__start_subtest("tcmalloc"))
		check_preloaded("libtcmalloc_minimal.so.4");
}

static const char *verdict_of(json_t *report, pid_t pid)
{
	return json_string_value(json_object_get(json_object_get(report_proc(report, pid), "trend"),
						 "verdict"));
}

/* Steady growth over several reports is a leak; a sawtooth is not. */
void test_e2e_trend(void)
{
	struct ml_tracer *t;
	json_t *rep = NULL, *final = NULL;
	pid_t pid = -1;
	int i;

	if (!test__require_root())
		return;
	t = stepper_start(NULL);
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	if (test__start_subtest("steady growth")) {
		for (i = 0; i < 4 && stepper_step(t, 'B'); i++) {
			rep = ml_tracer_report(t);
			if (!ASSERT_OK_PTR(rep, "report"))
				break;
			pid = report_pid_of(rep, "stepper");
			if (i == 0)
				ASSERT_STREQ(verdict_of(rep, pid), "insufficient-data", "one report");
		}
		if (rep) {
			json_t *trend = json_object_get(report_proc(rep, pid), "trend");

			ASSERT_STREQ(verdict_of(rep, pid), "native-leak", "verdict");
			ASSERT_GT(json_real_value(json_object_get(trend, "rate_bytes_per_s")), 0, "rate");
			ASSERT_STRCONTAINS(json_string_value(json_object_get(trend, "evidence")),
					   "native heap grew in", "evidence");
		}
	}
	if (test__start_subtest("sawtooth")) {
		/* Free, grow, free, grow...: back to the base each time. */
		for (i = 0; i < 8; i++) {
			if (!stepper_step(t, i % 2 ? 'B' : 'F'))
				break;
			rep = ml_tracer_report(t);
			if (!ASSERT_OK_PTR(rep, "report"))
				break;
		}
		if (rep)
			ASSERT_STREQ(verdict_of(rep, pid), "none", "verdict");
	}
	ml_tracer_stop(t, SIGINT, &final);
	json_decref(final);
	ml_tracer_free(t);
}

/* A process in a mount namespace of its own, running a file that exists
 * only there: its allocator and its symbols are found through
 * /proc/PID/root.
 */
void test_e2e_mount_namespace(void)
{
	char dir[] = "/tmp/memleakbpf-ns.XXXXXX", script[3 * PATH_MAX], stepper[PATH_MAX], pid[16];
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "-p", pid, NULL };
	struct workload w = { .pid = -1 };
	struct ml_tracer *t = NULL;
	json_t *rep, *final = NULL;

	if (!test__require_root())
		return;
	if (!ASSERT_OK_PTR(mkdtemp(dir), "temporary directory") ||
	    !ASSERT_OK_PTR(realpath(workload_path("stepper"), stepper), "stepper"))
		return;
	snprintf(script, sizeof(script),
		 "mount -t tmpfs memleakbpf-test %s && cp %s %s/hidden_stepper && exec %s/hidden_stepper",
		 dir, stepper, dir, dir);
	{
		const char *ns_args[] = { "--mount", "--propagation", "private", "/bin/sh", "-c", script, NULL };

		if (!ASSERT_OK(workload_start_program(&w, "/usr/bin/unshare", ns_args), "start in a namespace"))
			goto out;
	}
	ASSERT_NEQ(access(strcat(strcpy(stepper, dir), "/hidden_stepper"), F_OK), 0,
		   "the file is not in our namespace");
	snprintf(pid, sizeof(pid), "%d", w.pid);
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		goto out;
	workload_send(&w, "A\n");
	ASSERT_TRUE(workload_wait(&w, "done A"), "stepped");
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "report")) {
		ASSERT_EQ(site_bytes(rep, w.pid, "steady_big"), 4 * MIB, "named through /proc/PID/root");
		assert_caller(rep, w.pid, "rising", "malloc");
	}
	ml_tracer_stop(t, SIGINT, &final);
out:
	json_decref(final);
	ml_tracer_free(t);
	if (w.pid > 0)
		workload_stop(&w);
	rmdir(dir);
}
