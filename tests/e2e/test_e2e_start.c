/* End to end: nothing lost at start.  A program whose very first
 * allocation (3,000,000 bytes, first_alloc) is served by an allocator that
 * appears only as it starts -- preloaded by env or a shell, dlopen()ed --
 * is counted from that allocation: `-- CMD` holds its processes at each
 * file it has not looked at yet; system-wide and -p attach to the installed
 * allocators before tracing begins.  And no process is left stopped by a
 * hold, however memleakbpf ends.  Once attached, memleakbpf keeps only the
 * capabilities the rest of the run needs.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "e2e.h"

#define FIRST_SIZE 3000000
#define JEMALLOC "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
#define TCMALLOC "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"

/* An absolute path: the command may run from elsewhere (sh -c). */
static const char *abs_path(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int slot;
	char *p = buf[slot++ % 4];

	if (!realpath(rel, p))
		snprintf(p, PATH_MAX, "%s", rel);
	return p;
}

static const char *myalloc(void)
{
	return abs_path(".output/fixtures/libmyalloc.so");
}

/* Run `memleakbpf --json --top 1000 [--unwind mode] -- cmd...` to its end:
 * the bytes at site of the process named first_alloc, and its allocator
 * in *allocator (static).  -1 after a failed assert.
 */
static long long command_site(const char *mode, const char *const *cmd, const char *site,
			      const char **allocator)
{
	static char alloc_buf[PATH_MAX];
	const char *args[24];
	struct ml_run r;
	long long bytes = -1;
	json_t *final, *p;
	int n = 0, i;

	args[n++] = "--json";
	args[n++] = "--top";
	args[n++] = "1000";
	args[n++] = "--unwind";
	args[n++] = mode;
	args[n++] = "--";
	for (i = 0; cmd[i] && n < 23; i++)
		args[n++] = cmd[i];
	args[n] = NULL;
	*allocator = "";
	if (!ASSERT_OK(ml_run(&r, args), "run memleakbpf"))
		return -1;
	final = ml_run_final(&r);
	if (ASSERT_EQ(r.exit_code, 0, "exit code") && ASSERT_OK_PTR(final, "final report")) {
		pid_t pid = report_pid_of(final, "first_alloc");

		bytes = site_bytes(final, pid, site);
		p = report_proc(final, pid);
		snprintf(alloc_buf, sizeof(alloc_buf), "%s",
			 json_string_value(json_object_get(p, "allocator")) ?: "(none)");
		*allocator = alloc_buf;
	}
	if (bytes != FIRST_SIZE)
		fprintf(stderr, "  stderr: %s\n", r.err);
	ml_run_release(&r);
	return bytes;
}

void test_e2e_start_command(void)
{
	static const char *const modes[] = { "auto", "fp" };
	const char *wl, *allocator;
	char preload_je[64 + PATH_MAX], preload_my[64 + PATH_MAX], script[3 * PATH_MAX];
	char name[128];
	size_t m;

	if (!test__require_root())
		return;
	wl = abs_path(workload_path("first_alloc"));
	snprintf(preload_je, sizeof(preload_je), "LD_PRELOAD=%s", JEMALLOC);
	snprintf(preload_my, sizeof(preload_my), "LD_PRELOAD=%s", myalloc());
	/* the preload set by the shell, in a process it forks */
	snprintf(script, sizeof(script), "%s %s; true", preload_je, wl);
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		snprintf(name, sizeof(name), "env LD_PRELOAD=jemalloc, --unwind %s", modes[m]);
		if (test__start_subtest(name)) {
			const char *cmd[] = { "/usr/bin/env", preload_je, wl, NULL };

			ASSERT_EQ(command_site(modes[m], cmd, "first_alloc_site", &allocator), FIRST_SIZE,
				  "the first allocation");
			ASSERT_STRCONTAINS(allocator, "libjemalloc.so.2", "allocator");
		}
		snprintf(name, sizeof(name), "sh -c, preload set by the shell, --unwind %s", modes[m]);
		if (test__start_subtest(name)) {
			const char *cmd[] = { "/bin/sh", "-c", script, NULL };

			ASSERT_EQ(command_site(modes[m], cmd, "first_alloc_site", &allocator), FIRST_SIZE,
				  "the first allocation");
			ASSERT_STRCONTAINS(allocator, "libjemalloc.so.2", "allocator");
		}
		snprintf(name, sizeof(name), "any library defining malloc, preloaded, --unwind %s",
			 modes[m]);
		if (test__start_subtest(name)) {
			const char *cmd[] = { "/usr/bin/env", preload_my, wl, NULL };

			ASSERT_EQ(command_site(modes[m], cmd, "first_alloc_site", &allocator), FIRST_SIZE,
				  "the first allocation");
			ASSERT_STRCONTAINS(allocator, "libmyalloc.so", "allocator");
		}
		snprintf(name, sizeof(name), "an allocator dlopen()ed and called at once, --unwind %s",
			 modes[m]);
		if (test__start_subtest(name)) {
			const char *cmd[] = { wl, "--dlopen", myalloc(), NULL };

			ASSERT_EQ(command_site(modes[m], cmd, "dlopen_alloc_site", &allocator), FIRST_SIZE,
				  "its first allocation");
		}
	}
}

/* Started after memleakbpf is ready: jemalloc, which no process mapped
 * when memleakbpf started, is probed from the program's first call.  The
 * size window keeps what other processes do out of the tables and the
 * report (a busy machine fills the one and slows the other).
 */
void test_e2e_start_system_wide(void)
{
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h",
			       "--min-size", "2999999", "--max-size", "3000000", NULL };
	char preload[64];
	const char *cmd[3];
	struct ml_tracer *t;
	struct ml_run run;
	json_t *rep, *final = NULL;
	pid_t pid;

	if (!test__require_root())
		return;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s", JEMALLOC);
	cmd[0] = preload;
	cmd[1] = workload_path("first_alloc");
	cmd[2] = NULL;
	if (ASSERT_OK(run_program(&run, "/usr/bin/env", cmd), "run first_alloc") &&
	    ASSERT_EQ(run.exit_code, 0, "first_alloc exit code")) {
		rep = ml_tracer_report(t);
		pid = rep ? report_pid_of(rep, "first_alloc") : -1;
		if (ASSERT_OK_PTR(rep, "report") && ASSERT_GT(pid, 0, "first_alloc reported"))
			ASSERT_EQ(site_bytes(rep, pid, "first_alloc_site"), FIRST_SIZE,
				  "the first allocation");
	}
	ml_run_release(&run);
	ASSERT_EQ(ml_tracer_stop(t, SIGINT, &final), 0, "exit code");
	json_decref(final);
	ml_tracer_free(t);
}

/* -p: a process that loads tcmalloc (dlopen) after memleakbpf attached to
 * it, and calls tcmalloc's malloc at once.
 */
void test_e2e_start_pid(void)
{
	const char *wargs[] = { "--gate", "--dlopen", TCMALLOC, "--wait", NULL };
	const char *args[] = { "--json", "--top", "1000", "--interval", "1h", "-p", NULL, NULL };
	struct workload w = { .pid = -1 };
	struct ml_tracer *t = NULL;
	json_t *rep, *final = NULL;
	char pid_arg[16];

	if (!test__require_root())
		return;
	if (!ASSERT_OK(workload_start(&w, "first_alloc", wargs), "start first_alloc"))
		goto out;
	snprintf(pid_arg, sizeof(pid_arg), "%d", w.pid);
	args[6] = pid_arg;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		goto out;
	kill(w.pid, SIGUSR2);
	if (!ASSERT_TRUE(workload_wait(&w, "done"), "allocated"))
		goto out;
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "report"))
		ASSERT_EQ(site_bytes(rep, w.pid, "dlopen_alloc_site"), FIRST_SIZE, "its first allocation");
out:
	if (w.pid > 0)
		workload_stop(&w);
	if (t) {
		ml_tracer_stop(t, SIGINT, &final);
		json_decref(final);
		ml_tracer_free(t);
	}
}

/* The state letter of /proc/PID/stat ('T' stopped), or 0 once gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');	/* the name may hold anything */
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

/* Wait (bounded) until pid's state is, or is not, 'T'. */
static bool wait_stopped(pid_t pid, bool stopped)
{
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < 3000; i++) {
		if ((proc_state(pid) == 'T') == stopped)
			return true;
		nanosleep(&ms10, NULL);
	}
	return false;
}

/* memleakbpf is stopped (SIGSTOP), so that the process it holds as it
 * dlopen()s a library stays held; then memleakbpf ends by sig.  The
 * process is a grandchild (sh -c '... &'), which memleakbpf does not end.
 */
static void held_then(int sig)
{
	char script[3 * PATH_MAX];
	const char *args[] = { "--json", "--interval", "1h", "--", "/bin/sh", "-c", script, NULL };
	const char *at;
	struct ml_tracer *t;
	json_t *final = NULL;
	pid_t ml, pid = -1;
	bool ended = false;

	snprintf(script, sizeof(script), "%s --gate --dlopen %s & wait",
		 abs_path(workload_path("first_alloc")), myalloc());
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		return;
	ml = ml_tracer_pid(t);
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, " ready"), "first_alloc ready"))
		goto out;
	at = strstr(ml_tracer_stderr(t), "first_alloc ");
	if (!ASSERT_OK_PTR(at, "its pid") || !ASSERT_EQ(sscanf(at, "first_alloc %d", &pid), 1, "pid"))
		goto out;
	kill(ml, SIGSTOP);
	kill(pid, SIGUSR2);
	if (!ASSERT_TRUE(wait_stopped(pid, true), "held as it maps libmyalloc.so")) {
		kill(ml, SIGCONT);
		goto out;
	}
	if (sig == SIGTERM) {
		kill(ml, SIGTERM);
		ASSERT_EQ(ml_tracer_stop(t, SIGCONT, &final), 0, "exit code after SIGTERM");
		/* memleakbpf has exited: what it held goes on already */
		ASSERT_NEQ(proc_state(pid), 'T', "not stopped once memleakbpf has exited");
	} else {
		ml_tracer_stop(t, SIGKILL, &final);
		ASSERT_TRUE(wait_stopped(pid, false), "not stopped once memleakbpf was killed");
	}
	ended = true;
	ASSERT_STRCONTAINS(ml_tracer_stderr(t), "done", "it ran on and allocated");
out:
	if (!ended)
		ml_tracer_stop(t, SIGKILL, NULL);
	if (pid > 0 && proc_state(pid) == 'T') {
		kill(pid, SIGCONT);	/* this test's failure, not the next one's */
		kill(pid, SIGKILL);
	}
	json_decref(final);
	ml_tracer_free(t);
}

void test_e2e_start_no_process_left_stopped(void)
{
	if (!test__require_root())
		return;
	if (test__start_subtest("memleakbpf ends by SIGTERM during a hold"))
		held_then(SIGTERM);
	if (test__start_subtest("memleakbpf killed (SIGKILL) during a hold"))
		held_then(SIGKILL);
}

/* A field of /proc/PID/status ("CapEff"), as a number; ~0 if unread. */
static unsigned long long status_hex(pid_t pid, const char *field)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	size_t n = strlen(field);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return v;
}

/* Once its probes are in, memleakbpf keeps CAP_BPF, CAP_PERFMON,
 * CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH, CAP_DAC_OVERRIDE, CAP_KILL and
 * CAP_CHECKPOINT_RESTORE, in
 * every set (the bounding set too), and still attaches to an allocator a
 * process dlopen()s after that.
 */
void test_e2e_start_least_privilege(void)
{
	const unsigned long long kept = 1ULL << 39 /* bpf */ | 1ULL << 38 /* perfmon */ |
					1ULL << 19 /* sys_ptrace */ | 1ULL << 2 /* dac_read_search */ |
					1ULL << 1 /* dac_override */ | 1ULL << 5 /* kill */ |
					1ULL << 40 /* checkpoint_restore */;
	const char *wargs[] = { "--gate", "--dlopen", TCMALLOC, "--wait", NULL };
	const char *args[] = { "-v", "--json", "--top", "1000", "--interval", "1h", "-p", NULL, NULL };
	struct workload w = { .pid = -1 };
	struct ml_tracer *t = NULL;
	json_t *rep, *final = NULL;
	char pid_arg[16];
	pid_t ml;

	if (!test__require_root())
		return;
	if (!ASSERT_OK(workload_start(&w, "first_alloc", wargs), "start first_alloc"))
		goto out;
	snprintf(pid_arg, sizeof(pid_arg), "%d", w.pid);
	args[7] = pid_arg;
	t = ml_tracer_start(args);
	if (!ASSERT_OK_PTR(t, "start memleakbpf"))
		goto out;
	ml = ml_tracer_pid(t);
	if (!ASSERT_TRUE(ml_tracer_wait_stderr(t, "capabilities kept: bpf,perfmon,sys_ptrace,"
					       "dac_read_search,dac_override,kill,checkpoint_restore"),
				   "says what it keeps"))
		goto out;
	ASSERT_EQ(status_hex(ml, "CapEff"), kept, "effective");
	ASSERT_EQ(status_hex(ml, "CapPrm"), kept, "permitted");
	ASSERT_EQ(status_hex(ml, "CapBnd"), kept, "bounding: no exec brings the rest back");
	ASSERT_EQ(status_hex(ml, "CapInh"), 0, "inheritable");
	kill(w.pid, SIGUSR2);
	if (!ASSERT_TRUE(workload_wait(&w, "done"), "allocated"))
		goto out;
	rep = ml_tracer_report(t);
	if (ASSERT_OK_PTR(rep, "report"))
		ASSERT_EQ(site_bytes(rep, w.pid, "dlopen_alloc_site"), FIRST_SIZE,
			  "an allocator found after the drop is traced");
out:
	if (w.pid > 0)
		workload_stop(&w);
	if (t) {
		ml_tracer_stop(t, SIGINT, &final);
		json_decref(final);
		ml_tracer_free(t);
	}
}
