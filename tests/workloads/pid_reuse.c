/* Two processes with one pid, one after the other (test_e2e_hostile_pid_reuse).
 *
 *   pid_reuse [--exec DIR]
 *
 * Commands, a line each on stdin:
 *   A   start A (the first time) and have it malloc(REUSE_A_SIZE) in a_site;
 *       it says "reuse A PID leaked N" (N: its blocks so far)
 *   E   end A: it exits, holding its blocks; says "reuse A PID exited"
 *   B   start B with A's pid (the next pid is set through
 *       /proc/sys/kernel/ns_last_pid, retried until B has it: other
 *       processes take pids too); B does malloc(REUSE_B_SIZE) in b_site
 *       and says "reuse B PID done"
 *   Q   (or EOF) B, if any, exits, then pid_reuse
 * "pid_reuse PID ready" first.
 *
 * A and B are forked children running this image; with --exec they exec
 * DIR/reuse_a and DIR/reuse_b (copies of this program: comm is their name)
 * with --child a, --child b.  A child takes its commands on stdin from
 * pid_reuse: a line makes A leak again, EOF ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "wl.h"

#define REUSE_A_SIZE 262144
#define REUSE_B_SIZE 333333
#define TRIES 5000

NOINLINE void a_site(void) { keep(malloc(REUSE_A_SIZE)); }
NOINLINE void b_site(void) { keep(malloc(REUSE_B_SIZE)); }

static int child_main(char role)
{
	int n = 0;
	char c;

	if (role == 'b') {
		b_site();
		fprintf(stderr, "reuse B %d done\n", (int)getpid());
		while (read(0, &c, 1) == 1)
			;
		return 0;
	}
	while (read(0, &c, 1) == 1) {
		if (c != '\n')
			continue;
		a_site();
		fprintf(stderr, "reuse A %d leaked %d\n", (int)getpid(), ++n);
	}
	return 0;
}

struct child {
	pid_t pid;
	int to;		/* its stdin */
};

/* The child's side after fork: its stdin is the pipe; run its role. */
static void become(char role, int in, const char *exec_dir)
{
	char path[4096], arg[2] = { role, 0 };

	dup2(in, 0);
	close(in);
	if (exec_dir) {
		snprintf(path, sizeof(path), "%s/reuse_%c", exec_dir, role);
		execl(path, path, "--child", arg, (char *)NULL);
		_exit(127);
	}
	_exit(child_main(role));
}

static int set_last_pid(pid_t pid)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC), n, ok;

	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	ok = write(fd, buf, n) == n;
	close(fd);
	return ok ? 0 : -1;
}

/* Fork the child role; with want > 0, retried until it gets pid want.
 * A child with another pid exits at once, touching nothing.
 */
static int start(struct child *c, char role, pid_t want, const char *exec_dir)
{
	int p[2], i;
	pid_t pid;

	for (i = 0; i < (want > 0 ? TRIES : 1); i++) {
		if (pipe(p))
			return -1;
		if (want > 0 && set_last_pid(want - 1))
			return -1;
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			close(p[1]);
			if (want > 0 && getpid() != want)
				_exit(0);
			become(role, p[0], exec_dir);
		}
		close(p[0]);
		if (want <= 0 || pid == want) {
			c->pid = pid;
			c->to = p[1];
			return 0;
		}
		close(p[1]);
		waitpid(pid, NULL, 0);
	}
	errno = EAGAIN;
	return -1;
}

static int finish(struct child *c)
{
	int status = 0;

	close(c->to);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
	return status;
}

int main(int argc, char **argv)
{
	struct child a = { 0 }, b = { 0 };
	const char *exec_dir = NULL;
	pid_t a_pid = 0;
	char line[64];
	FILE *in = stdin;

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child_main(argv[2][0]);
	if (argc == 3 && !strcmp(argv[1], "--exec"))
		exec_dir = argv[2];
	else if (argc != 1)
		return 2;
	fprintf(stderr, "pid_reuse %d ready\n", (int)getpid());
	while (fgets(line, sizeof(line), in) && line[0] != 'Q') {
		switch (line[0]) {
		case 'A':
			if (!a.pid && start(&a, 'a', 0, exec_dir))
				return 1;
			a_pid = a.pid;
			if (write(a.to, "\n", 1) != 1)
				return 1;
			break;
		case 'E':
			finish(&a);
			fprintf(stderr, "reuse A %d exited\n", (int)a_pid);
			break;
		case 'B':
			if (start(&b, 'b', a_pid, exec_dir)) {
				fprintf(stderr, "reuse B: pid %d not had in %d tries\n", (int)a_pid, TRIES);
				return 1;
			}
			break;
		}
	}
	if (b.pid)
		finish(&b);
	return 0;
}
