/* tests/e2e/e2e.h: helpers shared by the end-to-end tests. */
#ifndef E2E_H
#define E2E_H

#include "harness.h"
#include "test.h"

/* Run `memleakbpf --json --top 1000 [extra...] -- workload` to its end and
 * return its final report (NULL after a failed assert).
 */
json_t *run_workload(struct ml_run *r, const char *workload, const char *const *extra);

/* Assert the stack of fn in report: its leaf frame is leaf (the allocator
 * function), the frame right after the leaf is fn (its immediate caller).
 */
bool assert_caller(json_t *report, pid_t pid, const char *fn, const char *leaf);

#endif
