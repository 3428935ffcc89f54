/* End to end: each error a user can meet, its one line and its exit code. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <bpf/bpf.h>
#include "target/allocators.h"
#include "e2e.h"

/* The BPF program ids a process holds, from /proc/PID/fdinfo. */
static int held_prog_ids(pid_t pid, __u32 *ids, int max)
{
	char dir[64], path[384], line[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fdinfo", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &ids[n]) == 1 && n < max)
				n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int count_alive_now(const __u32 *ids, int n)
{
	int i, alive = 0;

	for (i = 0; i < n; i++) {
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd >= 0) {
			alive++;
			close(fd);
		}
	}
	return alive;
}

/* Programs whose last link went are freed after an RCU grace period:
 * poll for that, bounded (this waits for the kernel, not for a guess).
 */
static int count_alive(const __u32 *ids, int n)
{
	int i, alive = count_alive_now(ids, n);
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	for (i = 0; alive && i < 250; i++) {
		nanosleep(&tick, NULL);
		alive = count_alive_now(ids, n);
	}
	return alive;
}

static int one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl && !strchr(nl + 1, '\n');
}

void test_e2e_errors(void)
{
	struct ml_run r;

	if (test__start_subtest("bad option value")) {
		const char *args[] = { "--interval", "abc", NULL };

		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STRCONTAINS(r.err, "--interval", "names the option");
		ASSERT_STRCONTAINS(r.err, "abc", "names the value");
		ASSERT_STRCONTAINS(r.err, "--help", "usage hint");
		ml_run_release(&r);
	}
	if (test__start_subtest("--sample-bytes out of range")) {
		const char *args[] = { "--sample-bytes", "100", "-p", "1", NULL };

		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STRCONTAINS(r.err, "invalid value for --sample-bytes: '100' (expected 0 (every "
				   "allocation) or a size from 1K to 1G, like 512K)", "says so");
		ASSERT_STREQ(r.out, "", "no report");
		ml_run_release(&r);
	}
	if (test__start_subtest("unknown option")) {
		const char *args[] = { "--frobnicate", NULL };

		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STRCONTAINS(r.err, "frobnicate", "names the option");
		ml_run_release(&r);
	}
	if (test__start_subtest("not root") && test__require_root()) {
		char self[PATH_MAX];
		const char *args[] = { "--reuid=65534", "--regid=65534", "--clear-groups", self, "-p", "1", NULL };

		if (!realpath(memleakbpf_path(), self))
			self[0] = '\0';
		run_program(&r, "/usr/bin/setpriv", args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STRCONTAINS(r.err, "CAP_BPF", "names the missing privilege");
		ASSERT_TRUE(one_line(r.err), "one line");
		ml_run_release(&r);
	}
	if (test__start_subtest("no BTF") && test__require_root()) {
		const char *args[] = { "-p", "1", NULL };

		setenv("MEMLEAKBPF_BTF", "/nonexistent/vmlinux", 1);
		ml_run(&r, args);
		unsetenv("MEMLEAKBPF_BTF");
		ASSERT_EQ(r.exit_code, 1, "exit code");
		ASSERT_STRCONTAINS(r.err, "no BTF", "says what is missing");
		ASSERT_TRUE(one_line(r.err), "one line");
		ml_run_release(&r);
	}
	if (test__start_subtest("pid that does not exist") && test__require_root()) {
		char pid[16];
		const char *args[] = { "-p", pid, NULL };
		int p = 4000000;

		while (kill(p, 0) == 0)
			p++;
		snprintf(pid, sizeof(pid), "%d", p);
		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STRCONTAINS(r.err, "no process with pid", "says so");
		ASSERT_STRCONTAINS(r.err, pid, "names the pid");
		ml_run_release(&r);
	}
	if (test__start_subtest("command that does not exist") && test__require_root()) {
		const char *args[] = { "--", "/nonexistent/program", NULL };

		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 2, "exit code");
		ASSERT_STRCONTAINS(r.err, "/nonexistent/program", "names the command");
		ml_run_release(&r);
	}
}

void test_e2e_map_full(void)
{
	struct ml_run r;
	json_t *rep;

	if (!test__require_root())
		return;
	if (test__start_subtest("drops counted in JSON")) {
		const char *extra[] = { "--max-allocs", "16", NULL };

		rep = run_workload(&r, "threads", extra);
		if (rep) {
			json_t *drops = json_object_get(rep, "drops");

			ASSERT_GT(json_integer_value(json_object_get(rep, "dropped")), 0, "dropped");
			ASSERT_GT(json_integer_value(json_object_get(drops, "allocs")), 0, "allocs drops");
			/* --max-allocs 16: a table of 32 slots (twice N, a power of two) */
			ASSERT_LE(site_count(rep, -1, "thread_leak"), 32, "no more than the table holds");
		}
		ml_run_release(&r);
	}
	if (test__start_subtest("warning in the text report")) {
		const char *args[] = { "--max-allocs", "16", "--", workload_path("threads"), NULL };

		ml_run(&r, args);
		ASSERT_EQ(r.exit_code, 0, "exit code");
		ASSERT_STRCONTAINS(r.out, "WARNING", "report warns");
		ASSERT_STRCONTAINS(r.out, "events dropped", "report counts");
		ASSERT_STRCONTAINS(r.err, "events dropped since start, figures undercount: allocs ",
				   "stderr warns, by reason");
		ASSERT_STRCONTAINS(r.err, "(the block table is full: raise --max-allocs)",
				   "and says what to do");
		ml_run_release(&r);
	}
}

void test_e2e_sigterm_detaches(void)
{
	const char *args[] = { "--json", "--interval", "1h", "--", workload_path("stepper"), NULL };
	struct ml_tracer *t;
	json_t *final = NULL;
	__u32 ids[256];
	int n;

	if (!test__require_root())
		return;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	n = held_prog_ids(ml_tracer_pid(t), ids, 256);
	ASSERT_GE(n, 3, "BPF programs held while tracing");
	ASSERT_EQ(count_alive_now(ids, n), n, "they are loaded");
	ASSERT_EQ(ml_tracer_stop(t, SIGTERM, &final), 0, "exit code on SIGTERM");
	ASSERT_TRUE(final && json_is_true(json_object_get(final, "final")), "final report");
	ASSERT_EQ(count_alive(ids, n), 0, "nothing left behind");
	json_decref(final);
	ml_tracer_free(t);
}

/* tracefs control files: one write each, no seeking (fopen's "a" fails). */
static int tracefs_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Another tool holds a uprobe at malloc's address with a reference counter
 * (as USDT-style tools do): the kernel refuses ours, and we must say so.
 */
void test_e2e_uprobe_held_elsewhere(void)
{
	const char *events = "/sys/kernel/tracing/uprobe_events";
	const char *enable = "/sys/kernel/tracing/events/memleakbpf_test/held/enable";
	struct allocators *a = NULL;
	const struct allocator_lib *lib;
	char exe[PATH_MAX], def[PATH_MAX + 64];
	struct ml_run r = { 0 };

	if (!test__require_root())
		return;
	if (access("/sys/kernel/tracing/events", F_OK))
		mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL);
	if (!ASSERT_OK_PTR(realpath(workload_path("static_leak"), exe), "workload path"))
		return;
	a = allocators__new();
	lib = allocators__inspect(a, exe, exe);
	if (!ASSERT_OK_PTR(lib, "static_leak is an allocator"))
		goto out;
	snprintf(def, sizeof(def), "p:memleakbpf_test/held %s:0x%llx(0x%llx)\n", exe,
		 (unsigned long long)lib->fn[ML_FN_MALLOC].file_offset,
		 (unsigned long long)lib->fn[ML_FN_MALLOC].file_offset + 8);
	/* A run that died half way may have left it: start clean. */
	tracefs_write(enable, "0\n");
	tracefs_write(events, "-:memleakbpf_test/held\n");
	if (!ASSERT_OK(tracefs_write(events, def), "define the other tool's uprobe"))
		goto out;
	if (!ASSERT_OK(tracefs_write(enable, "1\n"), "enable it"))
		goto remove;
	{
		const char *args[] = { "--", exe, NULL };

		ml_run(&r, args);
	}
	ASSERT_EQ(r.exit_code, 1, "exit code");
	ASSERT_STRCONTAINS(r.err, "another tool", "says why");
	ASSERT_STRCONTAINS(r.err, "malloc", "names the function");
	tracefs_write(enable, "0\n");
	ml_run_release(&r);
remove:
	tracefs_write(events, "-:memleakbpf_test/held\n");
out:
	allocators__free(a);
}

/* Attach to a process busy in malloc on four threads, detach with Ctrl-C,
 * attach again and get killed with SIGKILL: the process never notices, and
 * no probe is left behind.
 */
void test_e2e_detach_under_load(void)
{
	struct workload w = { .pid = -1 };
	struct ml_tracer *t;
	char pid[16];
	const char *args[] = { "--json", "--interval", "1h", "-p", pid, NULL };
	json_t *final = NULL;
	__u32 ids[256];
	int n, round;

	if (!test__require_root())
		return;
	if (!ASSERT_OK(workload_start(&w, "churn_forever", NULL), "start workload"))
		return;
	snprintf(pid, sizeof(pid), "%d", w.pid);
	for (round = 0; round < 2; round++) {
		t = ml_tracer_start(args);
		if (!ASSERT_OK_PTR(t, "start memleakbpf"))
			break;
		ASSERT_OK_PTR(ml_tracer_report(t), "a report while the threads churn");
		n = held_prog_ids(ml_tracer_pid(t), ids, 256);
		if (round == 0) {
			ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "Ctrl-C");
			ASSERT_OK_PTR(final, "final report");
			json_decref(final);
			final = NULL;
		} else {
			ml_tracer_stop(t, SIGKILL, NULL);
		}
		ASSERT_EQ(count_alive(ids, n), 0, "no probe left behind");
		ml_tracer_free(t);
		ASSERT_EQ(kill(w.pid, 0), 0, "the workload lives on");
	}
	ASSERT_EQ(workload_stop(&w), 0, "every block intact, exit 0");
}

/* Run memleakbpf with bpf() failing with err (a seccomp filter); returns
 * its exit code and stderr in r.
 */
static void run_without_bpf(struct ml_run *r, int err)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_bpf, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (err & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
	char buf[4096];
	int errp[2], status;
	size_t len;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(errp))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(errp[1], 2);
		close(errp[0]);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(125);
		execl(memleakbpf_path(), "memleakbpf", "-p", "1", (char *)NULL);
		_exit(126);
	}
	close(errp[1]);
	for (len = 0; len < sizeof(buf) - 1; len += n) {
		n = read(errp[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
	}
	buf[len] = '\0';
	close(errp[0]);
	waitpid(pid, &status, 0);
	r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	r->err = strdup(buf);
}

void test_e2e_no_bpf(void)
{
	struct ml_run r;

	if (!test__require_root())
		return;
	if (test__start_subtest("bpf() not implemented")) {
		run_without_bpf(&r, ENOSYS);
		ASSERT_EQ(r.exit_code, 1, "exit code");
		ASSERT_STRCONTAINS(r.err, "BPF is unavailable on this kernel", "says what is missing");
		ASSERT_TRUE(one_line(r.err), "one line");
		ml_run_release(&r);
	}
	if (test__start_subtest("bpf() not permitted")) {
		run_without_bpf(&r, EPERM);
		ASSERT_EQ(r.exit_code, 1, "exit code");
		ASSERT_STRCONTAINS(r.err, "BPF is not permitted here", "says so");
		ASSERT_TRUE(one_line(r.err), "one line");
		ml_run_release(&r);
	}
}

/* A flood of mapping events while memleakbpf reads none (stopped): the
 * mapping events beyond three quarters of the ring buffer are dropped and
 * counted; the events of a process started meanwhile (fork, exec, its
 * executable mappings, exit) have the last quarter, and none is lost: it
 * is named by its exec, its 3,000,000 bytes are its own, and its exit is
 * seen.
 */
void test_e2e_ring_flood(void)
{
	const char *args[] = { "--json", "--top", "100", "--interval", "1h", "--",
			       workload_path("map_storm"), NULL };
	struct timespec pause = { 1, 500 * 1000 * 1000 };
	struct ml_tracer *t;
	json_t *rep, *proc, *drops, *final = NULL;
	const char *err;
	pid_t child = -1;

	if (!test__require_root())
		return;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start"))
		return;
	if (!ASSERT_OK(ml_tracer_send(t, "storm\n"), "storm") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, "storming"), "storming"))
		goto out;
	/* memleakbpf reads nothing: the storm fills the ring in milliseconds */
	ASSERT_OK(kill(ml_tracer_pid(t), SIGSTOP), "stop memleakbpf");
	nanosleep(&pause, NULL);
	ASSERT_OK(ml_tracer_send(t, "spawn\n"), "spawn");
	nanosleep(&pause, NULL);
	ASSERT_OK(kill(ml_tracer_pid(t), SIGCONT), "resume memleakbpf");
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, "done"), "first_alloc allocated"))
		goto out;
	err = strstr(ml_tracer_stderr(t), "spawned ");
	if (err)
		child = atoi(err + 8);
	if (!ASSERT_GT(child, 0, "child pid") || !ASSERT_OK(ml_tracer_send(t, "calm\n"), "calm") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, "calm"), "the storm stopped"))
		goto out;
	rep = ml_tracer_report(t);
	if (!ASSERT_OK_PTR(rep, "report"))
		goto out;
	drops = json_object_get(rep, "drops");
	ASSERT_GT(json_integer_value(json_object_get(drops, "events")), 0, "mapping events dropped");
	ASSERT_EQ(json_integer_value(json_object_get(drops, "process_events")), 0,
		  "no process event dropped");
	proc = report_proc(rep, child);
	if (ASSERT_OK_PTR(proc, "the child is reported")) {
		ASSERT_STREQ(json_string_value(json_object_get(proc, "comm")), "first_alloc",
			     "named by its exec");
		ASSERT_FALSE(json_is_true(json_object_get(proc, "exited")), "alive");
	}
	ASSERT_EQ(site_bytes(rep, child, "first_alloc_site"), 3000000, "its first allocation");
	ASSERT_EQ(proc_category_bytes(rep, child, "native"), 3000000, "its native bytes, no more");
	if (!ASSERT_OK(ml_tracer_send(t, "reap\n"), "reap") ||
	    !ASSERT_TRUE(ml_tracer_wait_stderr(t, "reaped"), "reaped"))
		goto out;
	rep = ml_tracer_report(t);
	proc = rep ? report_proc(rep, child) : NULL;
	if (ASSERT_OK_PTR(proc, "the child is reported after its exit"))
		ASSERT_TRUE(json_is_true(json_object_get(proc, "exited")), "its exit seen");
out:
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "memleakbpf exit code");
	json_decref(final);
	ml_tracer_free(t);
}

/* Processes come and go, each with stacks of its own (its libraries at
 * addresses of their own): 250 runs of first_alloc, a dozen stacks each
 * (3,000 in all), through a table of 2048.  The stacks of those gone leave
 * the table, so that it never fills: nothing is dropped.
 */
void test_e2e_stack_table_churn(void)
{
	char script[PATH_MAX + 128];
	const char *args[] = { "--json", "--top", "1000", "--interval", "1s", "--max-stacks", "2048",
			       "--", "/bin/sh", "-c", script, NULL };
	struct ml_run r;
	json_t *final, *drops;

	if (!test__require_root())
		return;
	snprintf(script, sizeof(script),
		 "i=0; while [ $i -lt 250 ]; do %s; sleep 0.05; i=$((i + 1)); done; sleep 2.5",
		 workload_path("first_alloc"));
	if (!ASSERT_OK(ml_run(&r, args), "run memleakbpf") || !ASSERT_EQ(r.exit_code, 0, "exit code"))
		goto out;
	final = ml_run_final(&r);
	if (!ASSERT_OK_PTR(final, "final report"))
		goto out;
	drops = json_object_get(final, "drops");
	ASSERT_EQ(json_integer_value(json_object_get(drops, "stacks")), 0, "no stack dropped");
	ASSERT_EQ(json_integer_value(json_object_get(final, "dropped")), 0, "nothing dropped");
	ASSERT_GE(json_array_size(r.reports), 8, "a report a second");
out:
	ml_run_release(&r);
}
