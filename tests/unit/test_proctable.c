// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_proctable.c: whether a process is gone (proc__gone), as
 * the tracer asks when exit events were lost.
 */
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include "test.h"
#include "target/proctable.h"

void test_proctable_gone(void)
{
	struct proctable *t = proctable__new();
	struct proc *p;
	pid_t child;

	if (!ASSERT_OK_PTR(t, "table"))
		return;
	p = proctable__get(t, getpid());
	if (test__start_subtest("alive") && ASSERT_OK_PTR(p, "ourselves")) {
		ASSERT_GT(p->start_time, 0, "start time read");
		ASSERT_FALSE(proc__gone(p), "we are not gone");
	}
	if (test__start_subtest("the pid names another process") && p) {
		uint64_t real = p->start_time;

		p->start_time = real + 1;	/* as if the pid had been reused */
		ASSERT_TRUE(proc__gone(p), "another start time");
		p->start_time = real;
	}
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	if (test__start_subtest("exited and reaped") && ASSERT_GT(child, 0, "fork")) {
		p = proctable__get(t, child);
		if (ASSERT_OK_PTR(p, "the child")) {
			ASSERT_FALSE(proc__gone(p), "alive at first");
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			ASSERT_TRUE(proc__gone(p), "gone once reaped");
		}
	} else if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	proctable__free(t);
}
