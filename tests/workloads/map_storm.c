/* A storm of mappings, and a child started in the middle of it, for the
 * test that a flood of mapping events cannot push out the events of
 * processes (tests/e2e/test_e2e_errors.c, test_e2e_ring_flood).
 *
 * Says "ready", then reads commands on stdin:
 *   storm   a thread maps and unmaps a page as fast as it can ("storming")
 *   spawn   fork and exec first_alloc --wait (beside this program): its
 *           stdin is a pipe this program holds ("spawned PID")
 *   calm    the storm stops ("calm")
 *   reap    close the child's stdin and wait for it ("reaped")
 * and exits at EOF.
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "wl.h"

static volatile int storming;

static void *storm(void *arg)
{
	(void)arg;
	while (storming) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p != MAP_FAILED)
			munmap(p, 4096);
	}
	return NULL;
}

static pid_t spawn_first_alloc(const char *self, int *to_child)
{
	char path[PATH_MAX];
	const char *slash = strrchr(self, '/');
	int fds[2];
	pid_t pid;

	snprintf(path, sizeof(path), "%.*sfirst_alloc", slash ? (int)(slash - self + 1) : 0, self);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(path, path, "--wait", (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	*to_child = fds[1];
	return pid;
}

int main(int argc, char **argv)
{
	pthread_t thread;
	char line[64], msg[64];
	int to_child = -1, running = 0;
	pid_t child = -1;

	(void)argc;
	signal(SIGPIPE, SIG_IGN);
	say("ready");
	while (fgets(line, sizeof(line), stdin)) {
		if (!strcmp(line, "storm\n") && !running) {
			storming = 1;
			running = !pthread_create(&thread, NULL, storm, NULL);
			say(running ? "storming" : "no thread");
		} else if (!strcmp(line, "spawn\n") && child < 0) {
			child = spawn_first_alloc(argv[0], &to_child);
			snprintf(msg, sizeof(msg), "spawned %d", (int)child);
			say(msg);
		} else if (!strcmp(line, "calm\n") && running) {
			storming = 0;
			pthread_join(thread, NULL);
			running = 0;
			say("calm");
		} else if (!strcmp(line, "reap\n") && child > 0) {
			close(to_child);
			waitpid(child, NULL, 0);
			child = -1;
			say("reaped");
		}
	}
	if (running) {
		storming = 0;
		pthread_join(thread, NULL);
	}
	return 0;
}
