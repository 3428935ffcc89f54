/* tests/e2e/e2e.c: see e2e.h. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "e2e.h"

static json_t *run_command(struct ml_run *r, const char *preload, const char *workload,
			   const char *const *extra)
{
	char env[PATH_MAX + 16];
	const char *args[32];
	json_t *final;
	int n = 0, i;

	args[n++] = "--json";
	args[n++] = "--top";
	args[n++] = "1000";
	for (i = 0; extra && extra[i] && n < 26; i++)
		args[n++] = extra[i];
	args[n++] = "--";
	if (preload) {
		snprintf(env, sizeof(env), "LD_PRELOAD=%s", preload);
		args[n++] = "/usr/bin/env";
		args[n++] = env;
	}
	args[n++] = workload_path(workload);
	args[n] = NULL;
	if (!ASSERT_OK(ml_run(r, args), "run memleakbpf"))
		return NULL;
	if (!ASSERT_EQ(r->exit_code, 0, "memleakbpf exit code")) {
		fprintf(stderr, "  stderr: %s\n", r->err);
		return NULL;
	}
	final = ml_run_final(r);
	if (!ASSERT_OK_PTR(final, "final report")) {
		fprintf(stderr, "  stdout: %.2000s\n  stderr: %s\n", r->out, r->err);
		return NULL;
	}
	ASSERT_TRUE(json_is_true(json_object_get(final, "final")), "last report is final");
	return final;
}

json_t *run_workload(struct ml_run *r, const char *workload, const char *const *extra)
{
	return run_command(r, NULL, workload, extra);
}

json_t *run_preloaded(struct ml_run *r, const char *lib, const char *workload,
		      const char *const *extra)
{
	return run_command(r, lib, workload, extra);
}

bool assert_caller(json_t *report, pid_t pid, const char *fn, const char *leaf)
{
	json_t *s = site_stack(report, pid, fn), *frames;
	const char *f0;

	if (!ASSERT_OK_PTR(s, fn))
		return false;
	frames = json_object_get(s, "frames");
	f0 = json_string_value(json_object_get(json_array_get(frames, 0), "function"));
	if (!ASSERT_STREQ(f0, leaf, "leaf frame"))
		return false;
	return ASSERT_EQ(stack_frame_index(s, fn), 1, "immediate caller is frame 1");
}

struct ml_tracer *stepper_start(const char *const *extra)
{
	const char *args[32];
	int n = 0, i;

	args[n++] = "--json";
	args[n++] = "--top";
	args[n++] = "1000";
	args[n++] = "--interval";
	args[n++] = "1h";	/* reports only when asked (SIGUSR1) */
	for (i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n++] = "--";
	args[n++] = workload_path("stepper");
	args[n] = NULL;
	return ml_tracer_start(args);
}

bool stepper_step(struct ml_tracer *t, char c)
{
	char cmd[4] = { c, '\n', 0 }, done[8];

	snprintf(done, sizeof(done), "done %c", c);
	return ASSERT_OK(ml_tracer_send(t, cmd), "send step") &&
	       ASSERT_TRUE(ml_tracer_wait_stderr(t, done), done);
}

/* ---- watchdog ---- */

#define WATCHDOG_PIDS 8

static volatile sig_atomic_t watchdog_fired;
static volatile pid_t watchdog_pids[WATCHDOG_PIDS];

static void watchdog_bite(int sig)
{
	int i;

	(void)sig;
	watchdog_fired = 1;
	for (i = 0; i < WATCHDOG_PIDS; i++)
		if (watchdog_pids[i] > 0)
			kill(watchdog_pids[i], SIGKILL);
}

void watchdog_arm(unsigned seconds)
{
	struct sigaction sa = { .sa_handler = watchdog_bite };	/* no SA_RESTART */
	int i;

	watchdog_fired = 0;
	for (i = 0; i < WATCHDOG_PIDS; i++)
		watchdog_pids[i] = -1;
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

void watchdog_add(pid_t pid)
{
	int i;

	for (i = 0; i < WATCHDOG_PIDS; i++) {
		if (watchdog_pids[i] <= 0) {
			watchdog_pids[i] = pid;
			return;
		}
	}
}

bool watchdog_disarm(void)
{
	int i;

	alarm(0);
	for (i = 0; i < WATCHDOG_PIDS; i++)
		watchdog_pids[i] = -1;
	signal(SIGALRM, SIG_DFL);
	return watchdog_fired;
}
