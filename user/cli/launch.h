/* user/cli/launch.h: `memleakbpf -- CMD`: start CMD held at a gate, so that the
 * probes are in place before its first instruction, then let it go.
 */
#ifndef LAUNCH_H
#define LAUNCH_H

#include <signal.h>
#include <sys/types.h>

struct launched {
	pid_t pid;
	int gate_fd;		/* write end: closing it lets the child exec */
	int error_fd;		/* read end: the child's errno if exec failed */
};

/* The path CMD resolves to through PATH (malloc'd), or NULL with errno. */
char *launch__resolve(const char *cmd);
/* Fork a child that waits at the gate, then restores sigmask and execs. */
int launch__start(struct launched *l, char **argv, const sigset_t *child_mask);
/* Open the gate; returns 0 once CMD is running, or -errno if exec failed. */
int launch__release(struct launched *l);
/* Close fds; kills a child that was never released. */
void launch__cleanup(struct launched *l);

#endif /* LAUNCH_H */
