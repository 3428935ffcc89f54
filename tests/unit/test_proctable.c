// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_proctable.c: whether a process is gone (proc__gone), as
 * the tracer asks when exit events were lost; a pid taken again, and the
 * images left for the purge.
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

/* A pid taken again: the entry of the process that had it starts over as
 * the new one, and the old one's images are left for the purge.
 */
void test_proctable_reuse(void)
{
	struct proctable *t = proctable__new();
	struct proc *p, *c;
	uint32_t image;

	if (!ASSERT_OK_PTR(t, "table"))
		return;
	p = proctable__exec(t, 4242, 11, "first");
	if (!ASSERT_OK_PTR(p, "a process"))
		goto out;
	if (test__start_subtest("an exec leaves its image")) {
		p = proctable__exec(t, 4242, 12, "second");
		ASSERT_TRUE(p->purge_images, "to purge");
		ASSERT_TRUE(proc__left_image(p, 11), "the old image is left");
		ASSERT_FALSE(proc__left_image(p, 12), "not the current one");
		ASSERT_FALSE(proc__left_image(p, 99), "nor one it never had");
		proc__images_purged(p);
		ASSERT_FALSE(proc__left_image(p, 11), "purged");
	}
	if (test__start_subtest("an exited process's pid taken again")) {
		ASSERT_FALSE(proc__taken_by(p, 77), "alive: not taken");
		proctable__exit(t, 4242, p->exec_id, "second", false);
		ASSERT_FALSE(proc__taken_by(p, p->exec_id), "its own image");
		ASSERT_TRUE(proc__taken_by(p, 77), "another image after its exit");
		image = p->image;
		proc__renew(p, 77);
		ASSERT_FALSE(p->exited, "the new one lives");
		ASSERT_EQ(p->exec_id, 77, "its image");
		ASSERT_NEQ(p->image, image, "a history of its own");
		ASSERT_STREQ(p->comm, "?", "its name is read anew");
		ASSERT_EQ(p->maps.n, 0, "its map too");
		ASSERT_TRUE(proc__left_image(p, 12), "the old process's image is left");
		ASSERT_FALSE(proc__left_image(p, 77), "not its own");
	}
	if (test__start_subtest("an exit of an image not known yet")) {
		c = proctable__get_lazy(t, 4343);
		if (ASSERT_OK_PTR(c, "a process") && ASSERT_OK_PTR(proctable__exit(t, 4343, 21, "x", false), "exit"))
			ASSERT_EQ(c->exec_id, 21, "its image from the exit");
	}
	if (test__start_subtest("a child's image is its own")) {
		c = proctable__fork(t, 4242, 4444, 31);
		if (ASSERT_OK_PTR(c, "the child")) {
			ASSERT_EQ(c->exec_id, 31, "not its parent's");
			ASSERT_EQ(c->ppid, 4242, "its parent");
		}
	}
out:
	proctable__free(t);
}
