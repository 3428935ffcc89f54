/* tests/harness.h: running the real memleakbpf binary from end-to-end tests.
 *
 * ml_run() runs it to completion and keeps stdout, stderr, the exit code and
 * the parsed NDJSON reports.  ml_tracer_start() runs it in the background,
 * its stdin a pipe (a `-- CMD` workload reads its steps from it), and waits
 * for its "tracing ..." line: no sleeps.  Reports on demand with SIGUSR1.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>

struct ml_run {
	int exit_code;		/* -1: killed by a signal */
	char *out, *err;
	json_t *reports;	/* array of the report objects, in order */
};

/* args: NULL-terminated, without argv[0].  Returns 0 when it ran. */
int ml_run(struct ml_run *r, const char *const *args);
void ml_run_release(struct ml_run *r);
/* The same for another program (path absolute), e.g. setpriv. */
int run_program(struct ml_run *r, const char *path, const char *const *args);
json_t *ml_run_final(const struct ml_run *r);	/* last report, or NULL */

struct ml_tracer;

struct ml_tracer *ml_tracer_start(const char *const *args);
/* Ask for a report now (SIGUSR1) and return it (owned by the tracer). */
json_t *ml_tracer_report(struct ml_tracer *t);
/* The next report as it comes (--interval), owned by the tracer; NULL at
 * the deadline.
 */
json_t *ml_tracer_next_report(struct ml_tracer *t);
/* Send a line to the workload's stdin. */
int ml_tracer_send(struct ml_tracer *t, const char *line);
/* Wait until a stderr line contains needle (e.g. a workload's "done A"). */
bool ml_tracer_wait_stderr(struct ml_tracer *t, const char *needle);
/* SIGINT (or sig), collect the final report and the exit code. */
int ml_tracer_stop(struct ml_tracer *t, int sig, json_t **final);
const char *ml_tracer_stderr(struct ml_tracer *t);
pid_t ml_tracer_pid(struct ml_tracer *t);
void ml_tracer_free(struct ml_tracer *t);

/* A workload started directly (for -p and system-wide tests): its stdin
 * and stderr are pipes.
 */
struct workload {
	pid_t pid;
	int in_fd, err_fd;
};
int workload_start(struct workload *w, const char *name, const char *const *args);
/* The same for any program (path absolute) that says "ready" on stderr. */
int workload_start_program(struct workload *w, const char *path, const char *const *args);
int workload_send(struct workload *w, const char *line);
bool workload_wait(struct workload *w, const char *needle);
int workload_stop(struct workload *w);	/* closes stdin, waits; exit code */

/* Queries on a report.  A "site" is every stack with a frame whose
 * function is exactly fn (of pid, or any pid when pid <= 0), of category
 * "native" (site_bytes, site_count) or cat.
 */
json_t *report_proc(json_t *report, pid_t pid);
long long site_bytes(json_t *report, pid_t pid, const char *fn);
long long site_count(json_t *report, pid_t pid, const char *fn);
long long site_bytes_cat(json_t *report, pid_t pid, const char *fn, const char *cat);
long long site_count_cat(json_t *report, pid_t pid, const char *fn, const char *cat);
/* The first native stack with fn among its frames; of category cat
 * (any when NULL).
 */
json_t *site_stack(json_t *report, pid_t pid, const char *fn);
json_t *site_stack_cat(json_t *report, pid_t pid, const char *fn, const char *cat);
/* Index of fn in a stack's frames, or -1. */
int stack_frame_index(json_t *stack, const char *fn);
/* The category of the first stack (of any category) with fn, or NULL. */
const char *site_category(json_t *report, pid_t pid, const char *fn);
long long proc_category_bytes(json_t *report, pid_t pid, const char *cat);
/* pid of the first process named comm, or -1. */
pid_t report_pid_of(json_t *report, const char *comm);

#endif /* HARNESS_H */
