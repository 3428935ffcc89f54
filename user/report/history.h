/* user/report/history.h: what each process held at the previous reports.
 *
 * The collector's own state, kept per process image: the totals of the last
 * report (growth is measured against them) and the samples its trend
 * verdict is judged on.  A new image (execve) starts a new history.
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "report/trend.h"

#define HISTORY_SAMPLES 64

struct proc_history {
	pid_t pid;
	uint32_t image;			/* the image it is about (struct proc's image) */
	bool has_last;			/* last_bytes holds the previous report's */
	int64_t last_bytes[ML_CAT_MAX];
	/* how its stacks were walked, each counted when its site first
	 * appears (a stack's walk never changes once it is interned)
	 */
	struct proc_stacks stacks;
	/* oldest first; grown as reports come (most processes of a busy
	 * machine live through one or two), at most HISTORY_SAMPLES
	 */
	struct proc_sample *samples;
	int nsamples, cap;
};

struct history;

struct history *history__new(void);
void history__free(struct history *h);		/* accepts NULL */

/* The history of pid's image (a count of the execve calls seen), created
 * empty on first sight, and started afresh when the process runs another
 * image than it was about.  NULL without memory.
 */
struct proc_history *history__get(struct history *h, pid_t pid, uint32_t image);
void history__forget(struct history *h, pid_t pid);

/* Record a report: its totals become the last ones, and s is appended
 * (the oldest sample goes when full).  -ENOMEM: nothing recorded.
 */
int proc_history__push(struct proc_history *ph, const struct proc_sample *s);

#endif /* HISTORY_H */
