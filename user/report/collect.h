/* user/report/collect.h: turn what the tracer gathered into a report
 * (user/report/model.h).
 *
 * collector__collect() reads the BPF maps (through struct heap_maps), the
 * mapping accounting and the process table, computes growth since the
 * previous report, ranks and symbolises the top stacks and judges each
 * process's trend.  It never drains events nor attaches: the caller brings
 * the tracer up to date first.  collector__done(), after the report has
 * been rendered, forgets the processes that have gone.
 */
#ifndef COLLECT_H
#define COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include "report/model.h"
#include "target/proctable.h"
#include "target/regions.h"
#include "trace/heapmaps.h"
#include "trace/node.h"
#include "trace/unwind.h"

struct collect_config {
	enum sort_key sort;		/* ranking of the stacks */
	int top;			/* stacks shown */
	uint64_t min_age_ns;		/* only blocks at least this old count */
	/* Reports carry every stack seen (report.nprofile), symbolised, for
	 * the exports; otherwise only the top ones shown.
	 */
	bool want_all;
	/* Every known process is listed, holding something or not (-p and
	 * -- CMD); system-wide only those that hold something.
	 */
	bool list_all_procs;
	uint64_t start_ns;		/* CLOCK_MONOTONIC when tracing began */
	enum ml_unwind_mode unwind;	/* how stacks are walked (--unwind) */
	uint64_t sample_bytes;		/* --sample-bytes N; 0: every allocation */
	bool show_cgroups;		/* --cgroup: the text names each process's */
	/* Clocks; NULL: the system's (tests set fixed ones). */
	uint64_t (*monotonic_ns)(void);
	int64_t (*realtime_ns)(void);
};

/* What the collector reads; it writes none of it, and the process
 * table only through its functions.
 */
struct collect_sources {
	struct proctable *procs;
	struct regions *regions;
	struct node_tracker *node;
	const struct heap_maps *heap;
	/* The CFI tables loaded, for the report's header; NULL: none. */
	void (*unwind_tables)(const void *ctx, struct unwind_stats *out);
	const void *unwind_ctx;
};

struct collector;

struct collector *collector__new(const struct collect_config *cfg, const struct collect_sources *src);
void collector__free(struct collector *c);	/* accepts NULL */
/* Returns 0 or -errno, with a message logged that says what failed. */
int collector__collect(struct collector *c, bool final, struct report *out);
void collector__done(struct collector *c, const struct report *r);

#endif /* COLLECT_H */
