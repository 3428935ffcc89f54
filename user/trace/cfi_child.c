// SPDX-License-Identifier: GPL-2.0
/* user/trace/cfi_child.c: see cfi_child.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "trace/cfi_child.h"
#include "util/clock.h"

/* What the child sends: this, then nrows rows. */
struct cfi_reply {
	int err;
	struct cfi_table table;		/* rows: not a pointer the parent can use */
};

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* The file could not be opened there (the process gone from its mount
 * namespace, /proc/PID/root out of reach): the same file may be in ours.
 */
static bool cannot_open(int err)
{
	return err == -ENOENT || err == -ESRCH || err == -EACCES || err == -EPERM || err == -ENOTDIR;
}

/* ASan (make SANITIZE=1) reserves terabytes of address space for its
 * shadow memory at start: under any RLIMIT_AS every later mmap, and so
 * every allocation, fails.  That build goes without the cap.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ML_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ML_ASAN 1
#endif
#endif

static void child(int fd, const char *path, const char *fallback, pid_t parent)
{
	struct rlimit lim = { CFI_CHILD_MEMORY, CFI_CHILD_MEMORY };
	struct cfi_reply r = { 0 };

	/* Nothing of memleakbpf's outlives it here: not its BPF links (fds
	 * inherited), not the child itself.
	 */
	close_range(3, fd - 1, 0);
	close_range(fd + 1, ~0U, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
#ifndef ML_ASAN
	setrlimit(RLIMIT_AS, &lim);
#else
	(void)lim;
#endif
	prctl(PR_SET_NAME, CFI_CHILD_COMM);	/* what ps and the tracer see */
	r.err = cfi_table__build(path, &r.table);
	if (fallback && cannot_open(r.err))
		r.err = cfi_table__build(fallback, &r.table);
	if (write_all(fd, &r, sizeof(r)) ||
	    (!r.err && write_all(fd, r.table.rows, r.table.nrows * sizeof(*r.table.rows))))
		_exit(1);
	_exit(0);
}

/* Read len bytes before the deadline (CLOCK_MONOTONIC ns). */
static int read_all(int fd, void *buf, size_t len, uint64_t deadline)
{
	char *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = clock_monotonic_ns();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1) < 0 && errno != EINTR)
			return -errno;
		n = read(fd, p, len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -ECHILD;	/* it died before saying all */
		p += n;
		len -= n;
	}
	return 0;
}

int cfi_child__build(const char *path, const char *fallback, struct cfi_table *out)
{
	uint64_t deadline = clock_monotonic_ns() + CFI_CHILD_SECONDS * 1000000000ULL;
	struct cfi_reply r;
	int fds[2], err, status;
	pid_t pid, self = getpid();

	memset(out, 0, sizeof(*out));
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		close(fds[0]);
		child(fds[1], path, fallback, self);
	}
	close(fds[1]);
	err = read_all(fds[0], &r, sizeof(r), deadline);
	if (!err)
		err = r.err;
	if (!err && r.table.nrows > CFI_MAX_ROWS)
		err = -E2BIG;
	if (!err) {
		*out = r.table;
		out->rows = malloc(r.table.nrows * sizeof(*out->rows) + 1);
		err = out->rows ? read_all(fds[0], out->rows, r.table.nrows * sizeof(*out->rows), deadline)
				: -ENOMEM;
	}
	close(fds[0]);
	if (err == -ETIMEDOUT)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (err)
		cfi_table__release(out);
	return err;
}
