// SPDX-License-Identifier: GPL-2.0
/* user/trace/holds.c: see holds.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include "trace/holds.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/log.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/* Entries of "held" (bpf/memleak.bpf.c): a bound on a sweep. */
#define HELD_MAX (1 << 14)

struct holds {
	int held_fd;		/* the "held" map (the skeleton's); -1 until armed */
	int guard_sock;		/* to the guard: the map, then 'q' at a clean end */
	pid_t guard;
	struct hold *v;		/* noted, not released yet */
	size_t n, cap;
	uint64_t count, total_ns, max_ns;	/* holds released, how long */
};

struct hold {
	pid_t pid;
	uint64_t since_ns;	/* CLOCK_MONOTONIC */
};

/* Continue every process in the map and empty it. */
static void sweep(int fd)
{
	__u32 pid;
	int i;

	for (i = 0; i < HELD_MAX + 64 && bpf_map_get_next_key(fd, NULL, &pid) == 0; i++) {
		kill(pid, SIGCONT);
		if (bpf_map_delete_elem(fd, &pid) && errno != ENOENT)
			break;
	}
}

static int receive_fd(int sock)
{
	char data, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

/* memleakbpf said 'q' (it has released everything itself), or ended
 * without a word: then wait until it has exited.  True for the latter.
 */
static bool died(int sock, int pidfd)
{
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	char c;

	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			return true;
		if (p[0].revents) {
			if (read(sock, &c, 1) == 1 && c == 'q')
				return false;
			break;
		}
	}
	p[0] = p[1];
	while (poll(p, 1, -1) < 0 && errno == EINTR)
		;
	return true;
}

/* The guard: keeps the map, a socket and the pidfd of memleakbpf, nothing
 * else (no program, no link, no stdout).  Once memleakbpf has exited, its
 * links are closed (the pidfd says so after its files are): nothing can
 * stop a process any more.  A program that was running as they closed
 * may still have stopped one, hence a second sweep.
 */
static void guard(int sock, int pidfd)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE };
	int lo = sock < pidfd ? sock : pidfd, hi = sock < pidfd ? pidfd : sock, fd;
	size_t i;

	close_range(0, lo - 1, 0);
	close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
	prctl(PR_SET_NAME, "memleakbpf-hold");
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	fd = receive_fd(sock);
	if (fd < 0 || !died(sock, pidfd))
		_exit(0);	/* never armed, or all released by memleakbpf */
	sweep(fd);
	usleep(100 * 1000);
	sweep(fd);
	_exit(0);
}

struct holds *holds__new(void)
{
	struct holds *h = calloc(1, sizeof(*h));
	int sv[2], pidfd, err;
	pid_t pid;

	if (!h)
		return NULL;
	h->held_fd = h->guard_sock = -1;
	pidfd = syscall(SYS_pidfd_open, getpid(), 0);
	if (pidfd < 0) {
		/* The end of the run still releases them; a crash would not. */
		log_debug("no guard for held processes (pidfd_open: %s)", strerror(errno));
		return h;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		err = errno;
		close(pidfd);
		free(h);
		errno = err;
		return NULL;
	}
	pid = fork();
	if (pid == 0)
		guard(sv[1], pidfd);
	err = errno;
	close(sv[1]);
	close(pidfd);
	if (pid < 0) {
		close(sv[0]);
		free(h);
		errno = err;
		return NULL;
	}
	h->guard_sock = sv[0];
	h->guard = pid;
	return h;
}

int holds__arm(struct holds *h, int held_fd)
{
	char data = 'm', control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int err = 0;

	h->held_fd = held_fd;
	if (h->guard_sock < 0)
		return 0;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &held_fd, sizeof(int));
	if (sendmsg(h->guard_sock, &msg, MSG_NOSIGNAL) != 1)
		err = -errno;
	return err;
}

void holds__note(struct holds *h, pid_t pid, uint64_t since_ns)
{
	if (ARRAY_GROW(h->v, h->cap, h->n + 1)) {
		kill(pid, SIGCONT);	/* never leave it stopped */
		return;
	}
	h->v[h->n++] = (struct hold){ pid, since_ns };
}

void holds__release(struct holds *h)
{
	uint64_t now = clock_monotonic_ns(), d;
	__u32 key;
	size_t i;

	for (i = 0; i < h->n; i++) {
		key = h->v[i].pid;
		if (h->held_fd >= 0)
			bpf_map_delete_elem(h->held_fd, &key);
		kill(key, SIGCONT);
		d = now > h->v[i].since_ns ? now - h->v[i].since_ns : 0;
		h->count++;
		h->total_ns += d;
		if (d > h->max_ns)
			h->max_ns = d;
	}
	h->n = 0;
}

void holds__release_all(struct holds *h)
{
	holds__release(h);
	if (h->held_fd >= 0)
		sweep(h->held_fd);
}

void holds__forget(struct holds *h, pid_t pid)
{
	__u32 key = pid;

	if (h->held_fd >= 0)
		bpf_map_delete_elem(h->held_fd, &key);
}

void holds__free(struct holds *h)
{
	if (!h)
		return;
	holds__release_all(h);
	if (h->count)
		log_info("processes held %llu times while a new file was looked at: %.2f ms on "
			 "average, %.2f ms at most", (unsigned long long)h->count,
			 h->total_ns / 1e6 / h->count, h->max_ns / 1e6);
	if (h->guard_sock >= 0) {
		/* a clean end: the guard has nothing left to do */
		if (send(h->guard_sock, "q", 1, MSG_NOSIGNAL) != 1)
			kill(h->guard, SIGKILL);
		close(h->guard_sock);
		while (waitpid(h->guard, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(h->v);
	free(h);
}
