/* tests/harness.c: see harness.h. */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"
#include "test.h"

#define MAX_ARGS 64
#define WAIT_MS 30000	/* a bound on every wait, not a synchronisation */

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *data, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->n, data, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static pid_t spawn(const char *path, const char *const *args, int *in_fd, int *out_fd, int *err_fd)
{
	int in[2], out[2], err[2];
	const char *argv[MAX_ARGS + 2];
	pid_t pid;
	int i;

	argv[0] = path;
	for (i = 0; args && args[i] && i < MAX_ARGS; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(path, (char **)argv);
		fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	*in_fd = in[1];
	*out_fd = out[0];
	*err_fd = err[0];
	return pid;
}

static json_t *parse_reports(const char *out)
{
	json_t *arr = json_array();
	const char *line = out;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		json_error_t e;
		json_t *j = json_loadb(line, len, 0, &e);

		if (j && json_is_object(j))
			json_array_append_new(arr, j);
		else
			json_decref(j);
		line = end ? end + 1 : NULL;
	}
	return arr;
}

static int exit_code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ml_run(struct ml_run *r, const char *const *args)
{
	return run_program(r, memleakbpf_path(), args);
}

int run_program(struct ml_run *r, const char *path, const char *const *args)
{
	struct buf out = { 0 }, err = { 0 };
	int in_fd, out_fd, err_fd, status, open_fds = 2;
	uint64_t deadline = now_ms() + 5 * WAIT_MS;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	pid = spawn(path, args, &in_fd, &out_fd, &err_fd);
	if (pid < 0)
		return -1;
	close(in_fd);
	buf_add(&out, "", 0);
	buf_add(&err, "", 0);
	while (open_fds > 0 && now_ms() < deadline) {
		struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
		char chunk[65536];
		int i;

		if (poll(p, 2, 1000) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (!(p[i].revents & (POLLIN | POLLHUP)) || p[i].fd < 0)
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n > 0) {
				buf_add(i ? &err : &out, chunk, n);
			} else {
				close(p[i].fd);
				if (i)
					err_fd = -1;
				else
					out_fd = -1;
				open_fds--;
			}
		}
	}
	if (open_fds > 0) {
		fprintf(stderr, "  memleakbpf did not finish in time: killing it\n");
		kill(pid, SIGKILL);
	}
	waitpid(pid, &status, 0);
	if (out_fd >= 0)
		close(out_fd);
	if (err_fd >= 0)
		close(err_fd);
	r->exit_code = exit_code_of(status);
	r->out = out.s;
	r->err = err.s;
	r->reports = parse_reports(r->out);
	return 0;
}

void ml_run_release(struct ml_run *r)
{
	free(r->out);
	free(r->err);
	json_decref(r->reports);
	memset(r, 0, sizeof(*r));
}

json_t *ml_run_final(const struct ml_run *r)
{
	size_t n = r->reports ? json_array_size(r->reports) : 0;

	return n ? json_array_get(r->reports, n - 1) : NULL;
}

/* ---- background tracer ---- */

struct ml_tracer {
	pid_t pid;
	int in_fd, out_fd, err_fd;
	struct buf out, err;
	size_t out_used;	/* stdout consumed up to here */
	json_t *last;
};

/* Read what is there (waiting up to ms) into the buffers. */
static void pump(struct ml_tracer *t, int ms)
{
	struct pollfd p[2] = { { t->out_fd, POLLIN, 0 }, { t->err_fd, POLLIN, 0 } };
	char chunk[65536];
	int i;

	if (poll(p, 2, ms) <= 0)
		return;
	for (i = 0; i < 2; i++) {
		ssize_t n;

		if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(p[i].fd, chunk, sizeof(chunk));
		if (n > 0) {
			buf_add(i ? &t->err : &t->out, chunk, n);
			if (i)
				fwrite(chunk, 1, n, stderr);	/* keep the tool's words in the log */
		} else {
			close(p[i].fd);
			if (i)
				t->err_fd = -1;
			else
				t->out_fd = -1;
		}
	}
}

bool ml_tracer_wait_stderr(struct ml_tracer *t, const char *needle)
{
	uint64_t deadline = now_ms() + WAIT_MS;

	while (now_ms() < deadline) {
		if (t->err.s && strstr(t->err.s, needle))
			return true;
		if (t->err_fd < 0 && t->out_fd < 0)
			break;
		pump(t, 200);
	}
	return t->err.s && strstr(t->err.s, needle);
}

struct ml_tracer *ml_tracer_start(const char *const *args)
{
	struct ml_tracer *t = calloc(1, sizeof(*t));

	t->pid = spawn(memleakbpf_path(), args, &t->in_fd, &t->out_fd, &t->err_fd);
	if (t->pid < 0) {
		free(t);
		return NULL;
	}
	buf_add(&t->out, "", 0);
	buf_add(&t->err, "", 0);
	if (!ml_tracer_wait_stderr(t, "memleakbpf: tracing ")) {
		fprintf(stderr, "  memleakbpf did not start: %s\n", t->err.s);
		ml_tracer_stop(t, SIGKILL, NULL);
		ml_tracer_free(t);
		return NULL;
	}
	return t;
}

/* The next complete line of stdout, parsed, or NULL at the deadline. */
static json_t *next_report(struct ml_tracer *t)
{
	uint64_t deadline = now_ms() + WAIT_MS;

	for (;;) {
		char *start = t->out.s + t->out_used, *nl = strchr(start, '\n');

		if (nl) {
			json_error_t e;
			json_t *j = json_loadb(start, nl - start, 0, &e);

			t->out_used += nl - start + 1;
			if (j && json_is_object(j)) {
				json_decref(t->last);
				t->last = j;
				return j;
			}
			json_decref(j);
			continue;
		}
		if (now_ms() >= deadline || (t->out_fd < 0))
			return NULL;
		pump(t, 200);
	}
}

json_t *ml_tracer_next_report(struct ml_tracer *t)
{
	return next_report(t);
}

json_t *ml_tracer_report(struct ml_tracer *t)
{
	kill(t->pid, SIGUSR1);
	return next_report(t);
}

int ml_tracer_send(struct ml_tracer *t, const char *line)
{
	size_t n = strlen(line);

	return write(t->in_fd, line, n) == (ssize_t)n ? 0 : -errno;
}

int ml_tracer_stop(struct ml_tracer *t, int sig, json_t **final)
{
	uint64_t deadline = now_ms() + WAIT_MS;
	json_t *last = NULL, *j;
	int status = 0;

	kill(t->pid, sig);
	while ((j = next_report(t))) {
		json_decref(last);
		last = json_incref(j);
		if (json_is_true(json_object_get(j, "final")))
			break;
	}
	/* Drain both pipes while it exits: a tool blocked on a full pipe
	 * would never exit, and the test would hang rather than fail.
	 */
	for (;;) {
		pid_t r = waitpid(t->pid, &status, WNOHANG);

		if (r == t->pid || r < 0) {
			if (r < 0)
				status = -1;
			break;
		}
		if (now_ms() >= deadline) {
			fprintf(stderr, "  memleakbpf did not exit within %d s of signal %d: killed\n",
				WAIT_MS / 1000, sig);
			kill(t->pid, SIGKILL);
			waitpid(t->pid, &status, 0);
			status = -1;
			break;
		}
		pump(t, 200);
	}
	deadline = now_ms() + 2000;	/* what it wrote last; a child may hold the pipes */
	while ((t->err_fd >= 0 || t->out_fd >= 0) && now_ms() < deadline)
		pump(t, 200);
	if (final)
		*final = last;
	else
		json_decref(last);
	return exit_code_of(status);
}

const char *ml_tracer_stderr(struct ml_tracer *t)
{
	return t->err.s;
}

pid_t ml_tracer_pid(struct ml_tracer *t)
{
	return t->pid;
}

void ml_tracer_free(struct ml_tracer *t)
{
	if (!t)
		return;
	if (t->in_fd >= 0)
		close(t->in_fd);
	if (t->out_fd >= 0)
		close(t->out_fd);
	if (t->err_fd >= 0)
		close(t->err_fd);
	json_decref(t->last);
	free(t->out.s);
	free(t->err.s);
	free(t);
}

/* ---- workloads started directly ---- */

int workload_start(struct workload *w, const char *name, const char *const *args)
{
	return workload_start_program(w, workload_path(name), args);
}

int workload_start_program(struct workload *w, const char *path, const char *const *args)
{
	int out_fd;

	w->pid = spawn(path, args, &w->in_fd, &out_fd, &w->err_fd);
	if (w->pid < 0)
		return -1;
	close(out_fd);
	return workload_wait(w, "ready") ? 0 : -1;
}

int workload_send(struct workload *w, const char *line)
{
	size_t n = strlen(line);

	return write(w->in_fd, line, n) == (ssize_t)n ? 0 : -errno;
}

bool workload_wait(struct workload *w, const char *needle)
{
	static char seen[65536];
	uint64_t deadline = now_ms() + WAIT_MS;
	size_t len = 0;

	seen[0] = '\0';
	while (now_ms() < deadline && len < sizeof(seen) - 1) {
		struct pollfd p = { w->err_fd, POLLIN, 0 };
		ssize_t n;

		if (strstr(seen, needle))
			return true;
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(w->err_fd, seen + len, sizeof(seen) - 1 - len);
		if (n <= 0)
			break;
		len += n;
		seen[len] = '\0';
	}
	return strstr(seen, needle) != NULL;
}

int workload_stop(struct workload *w)
{
	int status = 0;

	close(w->in_fd);
	waitpid(w->pid, &status, 0);
	close(w->err_fd);
	return exit_code_of(status);
}

/* ---- report queries ---- */

json_t *report_proc(json_t *report, pid_t pid)
{
	json_t *procs = json_object_get(report, "processes"), *p;
	size_t i;

	json_array_foreach(procs, i, p)
		if (json_integer_value(json_object_get(p, "pid")) == pid)
			return p;
	return NULL;
}

int stack_frame_index(json_t *stack, const char *fn)
{
	json_t *frames = json_object_get(stack, "frames"), *f;
	size_t i;

	json_array_foreach(frames, i, f) {
		const char *name = json_string_value(json_object_get(f, "function"));

		if (name && !strcmp(name, fn))
			return (int)i;
	}
	return -1;
}

static bool stack_matches(json_t *s, pid_t pid, const char *fn)
{
	if (pid > 0 && json_integer_value(json_object_get(s, "pid")) != pid)
		return false;
	return stack_frame_index(s, fn) >= 0;
}

static long long site_sum(json_t *report, pid_t pid, const char *fn, const char *cat,
			  const char *field)
{
	json_t *stacks = json_object_get(report, "stacks"), *s;
	long long sum = 0;
	size_t i;

	json_array_foreach(stacks, i, s) {
		const char *c = json_string_value(json_object_get(s, "category"));

		if (stack_matches(s, pid, fn) && c && !strcmp(c, cat))
			sum += json_integer_value(json_object_get(s, field));
	}
	return sum;
}

long long site_bytes(json_t *report, pid_t pid, const char *fn)
{
	return site_sum(report, pid, fn, "native", "outstanding_bytes");
}

long long site_count(json_t *report, pid_t pid, const char *fn)
{
	return site_sum(report, pid, fn, "native", "outstanding_count");
}

long long site_bytes_cat(json_t *report, pid_t pid, const char *fn, const char *cat)
{
	return site_sum(report, pid, fn, cat, "outstanding_bytes");
}

long long site_count_cat(json_t *report, pid_t pid, const char *fn, const char *cat)
{
	return site_sum(report, pid, fn, cat, "outstanding_count");
}

json_t *site_stack_cat(json_t *report, pid_t pid, const char *fn, const char *cat)
{
	json_t *stacks = json_object_get(report, "stacks"), *s;
	size_t i;

	json_array_foreach(stacks, i, s) {
		const char *c = json_string_value(json_object_get(s, "category"));

		if (stack_matches(s, pid, fn) && (!cat || (c && !strcmp(c, cat))))
			return s;
	}
	return NULL;
}

json_t *site_stack(json_t *report, pid_t pid, const char *fn)
{
	return site_stack_cat(report, pid, fn, "native");
}

const char *site_category(json_t *report, pid_t pid, const char *fn)
{
	json_t *s = site_stack_cat(report, pid, fn, NULL);

	return s ? json_string_value(json_object_get(s, "category")) : NULL;
}

long long proc_category_bytes(json_t *report, pid_t pid, const char *cat)
{
	json_t *p = report_proc(report, pid);

	return json_integer_value(json_object_get(json_object_get(json_object_get(p, "categories"),
								   cat), "bytes"));
}

pid_t report_pid_of(json_t *report, const char *comm)
{
	json_t *procs = json_object_get(report, "processes"), *p;
	size_t i;

	json_array_foreach(procs, i, p) {
		const char *c = json_string_value(json_object_get(p, "comm"));

		if (c && !strcmp(c, comm))
			return json_integer_value(json_object_get(p, "pid"));
	}
	return -1;
}
