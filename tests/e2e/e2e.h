/* tests/e2e/e2e.h: helpers shared by the end-to-end tests. */
#ifndef E2E_H
#define E2E_H

#include "harness.h"
#include "test.h"

/* Run `memleakbpf --json --top 1000 [extra...] -- workload` to its end and
 * return its final report (NULL after a failed assert).
 */
json_t *run_workload(struct ml_run *r, const char *workload, const char *const *extra);

/* The same, the workload run as "env LD_PRELOAD=lib workload". */
json_t *run_preloaded(struct ml_run *r, const char *lib, const char *workload,
		      const char *const *extra);

/* Debian's libjemalloc2 */
#define JEMALLOC_PATH "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"

/* Assert the stack of fn in report: its leaf frame is leaf (the allocator
 * function), the frame right after the leaf is fn (its immediate caller).
 */
bool assert_caller(json_t *report, pid_t pid, const char *fn, const char *leaf);

/* The stepper workload under `memleakbpf --json --top 1000 --interval 1h
 * [extra...] --`: reports only when asked (ml_tracer_report).
 */
struct ml_tracer *stepper_start(const char *const *extra);
/* Send a step (A, B, O, Y, F) and wait for its "done". */
bool stepper_step(struct ml_tracer *t, char c);

/* A bound on a whole test: after seconds, the pids added are killed
 * (SIGKILL), which ends any wait on them.  One at a time.
 */
void watchdog_arm(unsigned seconds);
void watchdog_add(pid_t pid);
/* Disarm; true when it fired. */
bool watchdog_disarm(void);

#endif
