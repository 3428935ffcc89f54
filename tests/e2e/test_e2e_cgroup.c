// SPDX-License-Identifier: GPL-2.0
/* tests/e2e/test_e2e_cgroup.c: --cgroup traces a cgroup v2 subtree, and
 * only it:
 *
 *   test_e2e_cgroup_scope   a cgroup made for the test; first_alloc
 *                           (malloc(3000000) on SIGUSR2) three times:
 *                           one moved in after memleakbpf started, one
 *                           started later inside it (a shell that joins
 *                           it, then execs), one left outside.  The two
 *                           inside are counted exactly, labelled with the
 *                           cgroup; the one outside is not traced.
 *   test_e2e_cgroup_errors  a path that is no cgroup, a file, and --cgroup
 *                           with -p.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"
#include "harness.h"
#include "target/cgroups.h"

#define FIRST_SIZE 3000000

static bool join(const char *dir, pid_t pid)
{
	char path[PATH_MAX + 16];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "we");
	if (!f)
		return false;
	ok = fprintf(f, "%d\n", (int)pid) > 0;
	return fclose(f) == 0 && ok;
}

static const char *str_of(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

void test_e2e_cgroup_scope(void)
{
	const char *gate[] = { "--gate", "--wait", NULL };
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "--cgroup", NULL, NULL };
	struct workload moved = { .pid = -1 }, later = { .pid = -1 }, outside = { .pid = -1 };
	const char *sh_args[] = { "-c", NULL, NULL };
	char dir[PATH_MAX], rel[64], script[3 * PATH_MAX], wl[PATH_MAX];
	const char *mnt = cgroup2_mount();
	struct ml_tracer *t = NULL;
	json_t *rep, *p, *s, *final = NULL;
	bool made = false;

	if (!test__require_root())
		return;
	if (!ASSERT_OK_PTR(mnt, "cgroup2 is mounted"))
		return;
	snprintf(rel, sizeof(rel), "/memleakbpf-e2e-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s%s", mnt, rel);
	if (!ASSERT_OK(mkdir(dir, 0755), "make the cgroup"))
		return;
	made = true;
	if (!ASSERT_OK(workload_start(&moved, "first_alloc", gate), "start the one moved in") ||
	    !ASSERT_OK(workload_start(&outside, "first_alloc", gate), "start the one outside"))
		goto out;
	args[6] = dir;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf --cgroup"))
		goto out;
	ASSERT_STRCONTAINS(ml_tracer_stderr(t), rel, "the announcement names the cgroup");
	if (!ASSERT_TRUE(join(dir, moved.pid), "move a running process in"))
		goto out;
	if (!realpath(workload_path("first_alloc"), wl))
		snprintf(wl, sizeof(wl), "%s", workload_path("first_alloc"));
	snprintf(script, sizeof(script), "echo $$ > %s/cgroup.procs && exec %s --gate --wait", dir, wl);
	sh_args[1] = script;
	if (!ASSERT_OK(workload_start_program(&later, "/bin/sh", sh_args), "start one inside"))
		goto out;
	kill(moved.pid, SIGUSR2);
	kill(later.pid, SIGUSR2);
	kill(outside.pid, SIGUSR2);
	if (!ASSERT_TRUE(workload_wait(&moved, "done"), "moved: allocated") ||
	    !ASSERT_TRUE(workload_wait(&later, "done"), "later: allocated") ||
	    !ASSERT_TRUE(workload_wait(&outside, "done"), "outside: allocated"))
		goto out;
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report"))
		goto out;
	ASSERT_EQ(site_bytes(rep, moved.pid, "first_alloc_site"), FIRST_SIZE, "moved in: exact");
	ASSERT_EQ(site_bytes(rep, later.pid, "first_alloc_site"), FIRST_SIZE, "started inside: exact");
	ASSERT_EQ(site_bytes(rep, outside.pid, "first_alloc_site"), 0, "outside: not traced");
	ASSERT_OK_PTR(!report_proc(rep, outside.pid) ? rep : NULL, "outside: not listed");
	p = report_proc(rep, moved.pid);
	if (ASSERT_OK_PTR(p, "moved: listed")) {
		ASSERT_STREQ(str_of(p, "cgroup"), rel, "moved: its cgroup");
		ASSERT_TRUE(json_is_null(json_object_get(p, "container")), "no container");
	}
	p = report_proc(rep, later.pid);
	if (ASSERT_OK_PTR(p, "later: listed"))
		ASSERT_STREQ(str_of(p, "cgroup"), rel, "later: its cgroup");
	s = site_stack(rep, moved.pid, "first_alloc_site");
	if (ASSERT_OK_PTR(s, "moved: its stack"))
		ASSERT_STREQ(str_of(s, "cgroup"), rel, "the stack carries the cgroup");
out:
	if (t) {
		ml_tracer_stop(t, SIGINT, &final);
		json_decref(final);
		ml_tracer_free(t);
	}
	if (moved.pid > 0)
		workload_stop(&moved);
	if (later.pid > 0)
		workload_stop(&later);
	if (outside.pid > 0)
		workload_stop(&outside);
	if (made)
		ASSERT_OK(rmdir(dir) ? -errno : 0, "remove the cgroup");
}

void test_e2e_cgroup_errors(void)
{
	struct ml_run r;

	if (!test__require_root())
		return;
	if (test__start_subtest("no such cgroup")) {
		const char *args[] = { "--cgroup", "/memleakbpf-no-such-cgroup", NULL };

		if (ASSERT_OK(ml_run(&r, args), "run")) {
			ASSERT_EQ(r.exit_code, 2, "exit code");
			ASSERT_STREQ(r.err, "memleakbpf: invalid value for --cgroup: "
				     "'/memleakbpf-no-such-cgroup' (no such cgroup)\n", "the one line");
			ml_run_release(&r);
		}
	}
	if (test__start_subtest("a file of the cgroup file system")) {
		const char *args[] = { "--cgroup", "cgroup.procs", NULL };

		if (ASSERT_OK(ml_run(&r, args), "run")) {
			ASSERT_EQ(r.exit_code, 2, "exit code");
			ASSERT_STREQ(r.err, "memleakbpf: invalid value for --cgroup: 'cgroup.procs' "
				     "(not a cgroup directory)\n", "the one line");
			ml_run_release(&r);
		}
	}
	if (test__start_subtest("--cgroup and -p")) {
		const char *args[] = { "--cgroup", "/", "-p", "1", NULL };

		if (ASSERT_OK(ml_run(&r, args), "run")) {
			ASSERT_EQ(r.exit_code, 2, "exit code");
			ASSERT_STRCONTAINS(r.err, "memleakbpf: conflicting options: --cgroup '/' and -p",
					   "the conflict");
			ml_run_release(&r);
		}
	}
}
