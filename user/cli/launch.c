// SPDX-License-Identifier: GPL-2.0
/* user/cli/launch.c: run CMD under the probes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "cli/launch.h"
#include "target/searchpath.h"

char *launch__resolve(const char *cmd)
{
	char full[PATH_MAX];
	int err;

	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK))
			return NULL;
		return realpath(cmd, NULL);
	}
	/* The file execvp() in launch__start() will run. */
	err = searchpath__find_command(cmd, full, sizeof(full));
	if (err) {
		errno = -err;
		return NULL;
	}
	return realpath(full, NULL);
}

int launch__start(struct launched *l, char **argv, const sigset_t *child_mask)
{
	int gate[2], errp[2];
	char c;

	l->pid = -1;
	l->gate_fd = l->error_fd = -1;
	if (pipe2(gate, O_CLOEXEC))
		return -errno;
	if (pipe2(errp, O_CLOEXEC)) {
		close(gate[0]);
		close(gate[1]);
		return -errno;
	}
	l->pid = fork();
	if (l->pid < 0) {
		int err = -errno;

		close(gate[0]); close(gate[1]); close(errp[0]); close(errp[1]);
		return err;
	}
	if (l->pid == 0) {
		int err;

		close(gate[1]);
		close(errp[0]);
		/* Wait for the probes; EOF without a byte means we were abandoned. */
		if (read(gate[0], &c, 1) != 1)
			_exit(127);
		sigprocmask(SIG_SETMASK, child_mask, NULL);
		execvp(argv[0], argv);
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(gate[0]);
	close(errp[1]);
	l->gate_fd = gate[1];
	l->error_fd = errp[0];
	return 0;
}

int launch__release(struct launched *l)
{
	int err = 0;
	ssize_t n;

	if (write(l->gate_fd, "g", 1) != 1)
		return -errno;
	close(l->gate_fd);
	l->gate_fd = -1;
	/* The error pipe closes on a successful exec (O_CLOEXEC). */
	n = read(l->error_fd, &err, sizeof(err));
	close(l->error_fd);
	l->error_fd = -1;
	return n == sizeof(err) ? -err : 0;
}

void launch__cleanup(struct launched *l)
{
	if (l->gate_fd >= 0) {
		close(l->gate_fd);	/* the child sees EOF and exits 127 */
		l->gate_fd = -1;
		if (l->pid > 0)
			waitpid(l->pid, NULL, 0);
	}
	if (l->error_fd >= 0) {
		close(l->error_fd);
		l->error_fd = -1;
	}
}
