/* user/report/model.h: one report, as every renderer sees it.
 *
 * collect.c fills it from the BPF maps, the mapping accounting and the
 * process table; report_text.c, report_json.c and the exports only read it.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "memleak.h"
#include "report/rank.h"		/* enum sort_key */

/* Category names: JSON keys ("native", "mmap", ...) and text headings. */
const char *category_key(unsigned cat);
const char *category_title(unsigned cat);
/* Why events were dropped (ML_DROP_*): "allocs", "stacks", ... */
const char *drop_key(unsigned reason);
/* What a user can do about a reason's drops, one clause. */
const char *drop_remedy(unsigned reason);
/* With --sample-bytes N (n > 0), are cat's figures estimates?  Heap
 * blocks are sampled (native, buffer); mappings are always exact.
 */
bool category_estimated(uint64_t n, unsigned cat);

struct frame {
	uint64_t addr;
	const char *module;	/* path, "[jit]", or NULL */
	uint64_t module_offset;
	const char *function;	/* NULL: unknown; C++ names demangled */
	const char *system_name;	/* the symbol as linked (mangled); NULL: as function */
	const char *file;	/* NULL without debug info */
	int line;
	int start_line;		/* where the function is declared; 0: unknown */
	const char *build_id;	/* of module, hex; NULL: none */
	/* the mapping addr lies in: [map_start, map_limit) at file offset
	 * map_offset; all 0 when addr is in no mapping we know
	 */
	uint64_t map_start, map_limit, map_offset;
	bool jit;		/* named from a perf map, or anonymous code */
	bool inlined;		/* an inlined call inside the next frame */
};

struct stack_report {
	pid_t pid;
	const char *comm;
	const char *cgroup;	/* its process's cgroup v2 path; NULL: unknown */
	unsigned category;
	uint64_t stack_id;
	int64_t outstanding_bytes;
	int64_t outstanding_count;
	int64_t growth_bytes;	/* since the previous report */
	uint64_t total_bytes;	/* allocated since tracing began */
	uint64_t total_count;
	double oldest_age_s;	/* < 0: unknown (ages are taken with --min-age / --sort age) */
	bool estimated;		/* sampled: bytes and counts are estimates */
	int nframes;
	struct frame *frames;	/* leaf first */
};

struct category_state {
	int64_t bytes;
	int64_t count;
	int64_t growth_bytes;	/* since the previous report */
	bool estimated;		/* sampled: estimates */
};

enum verdict {
	VERDICT_INSUFFICIENT = 0,
	VERDICT_NONE,
	VERDICT_NATIVE_LEAK,
	VERDICT_MMAP_LEAK,
	VERDICT_OFF_HEAP_LEAK,
	VERDICT_V8_HEAP_LEAK,
};

const char *verdict_key(enum verdict v);	/* "native-leak", ... */

struct trend {
	enum verdict verdict;
	double rate_bytes_per_s;	/* of the growing category; 0 otherwise */
	int reports;			/* reports the verdict looked at */
	int collections;		/* full collections a leak judged on them rests on; 0: other verdicts */
	char evidence[320];		/* in words: what the verdict rests on */
};

/* Node.js: a process right after a full V8 collection, what survived it. */
struct gc_full {
	double t;			/* seconds since tracing began */
	uint64_t full_total;		/* full collections since tracing began, this one included */
	uint64_t scavenges_total;	/* young-generation collections since tracing began */
	int64_t v8_live;		/* V8's live old generation: the V8 heap's verdict is judged on it */
	int64_t v8_heap;		/* the committed V8 heap */
	int64_t buffer;			/* Buffer bytes (their low point as dead ones were freed) */
	int64_t buffer_noise;		/* --sample-bytes: bound on buffer's standard error (0: exact) */
	int64_t native;			/* native heap bytes, likewise (its low point) */
	int64_t native_noise;		/* --sample-bytes: bound on native's standard error (0: exact) */
};

#define GC_FULL_KEEP 8

/* The last full collections of a Node.js process, oldest first. */
struct gc_history {
	int n;
	struct gc_full v[GC_FULL_KEEP];
};

/* Node.js: V8 has run no full collection for a long time while Buffers or
 * its heap grew, so their verdicts wait (see trend.h).
 */
struct gc_wait {
	double seconds;			/* without a full collection; 0: not waiting */
	int64_t buffer_growth;		/* over those seconds */
	int64_t v8_heap_growth;
};

/* How the stacks of a process were walked: counted over its sites. */
struct proc_stacks {
	uint64_t complete;		/* by tables, to the outermost frame */
	uint64_t truncated;		/* by tables, ended early (see struct unwind_report) */
	uint64_t frame_pointers;	/* by frame pointers alone */
};

struct proc_report {
	pid_t pid;
	const char *comm;
	const char *cgroup;		/* cgroup v2 path; NULL: unknown */
	bool exited;
	const char *allocator;		/* file the allocator probes are on, or NULL */
	bool has_category[ML_CAT_MAX];
	struct category_state cat[ML_CAT_MAX];
	/* the seconds growth_bytes spans: since this process's previous
	 * report, or since tracing began at its first
	 */
	double growth_s;
	struct trend trend;
	bool is_node;			/* runs Node.js: gc is meaningful */
	uint64_t gc[ML_GC_MAX];		/* V8 collections in the interval */
	uint64_t gc_total[ML_GC_MAX];	/* ... since tracing began */
	struct gc_history full;		/* the last full collections */
	struct gc_wait gc_wait;
	struct proc_stacks stacks;
};

/* How stacks were walked since tracing began (--unwind). */
struct unwind_report {
	bool known;			/* false: nothing to say (a report made by hand) */
	enum ml_unwind_mode mode;
	uint64_t counts[ML_UW_MAX];	/* walks, how they ended, frame-pointer steps */
	/* the CFI tables loaded */
	uint64_t tables, rows, files_without_cfi, files_over_budget, files_failed;
	uint64_t bytes, budget;
	/* tables no process maps: still loaded (idle), released since the
	 * start, and what later tables took of the room they held
	 */
	uint64_t files_idle, files_released, bytes_reused;
};

struct report {
	int seq;			/* 1, 2, ... */
	time_t wall;			/* when it was taken */
	int64_t wall_ns;		/* the same, in ns since the epoch */
	int64_t start_wall_ns;		/* when tracing began, ns since the epoch */
	double elapsed_s;		/* since tracing began */
	bool final;
	uint64_t dropped;		/* all drops since start */
	uint64_t drops[ML_DROP_MAX];	/* by reason */
	struct unwind_report unwind;
	enum sort_key sort;
	int top;
	uint64_t min_age_ns;
	/* --sample-bytes: one allocation sampled per this many bytes on
	 * average, heap figures estimated (category_estimated); 0: exact
	 */
	uint64_t sample_bytes;
	bool ages_known;		/* oldest_age_s was measured */
	bool show_cgroups;		/* the text names each process's cgroup (--cgroup) */
	/* System-wide: processes that exited holding only mappings, summed
	 * rather than listed (their stacks left out too)
	 */
	struct {
		uint64_t processes;
		int64_t bytes;		/* all they held at exit */
	} exited_folded;
	int nprocs;
	struct proc_report *procs;	/* by pid */
	int nstacks;			/* shown: stacks[0..nstacks), at most top */
	struct stack_report *stacks;	/* ranked */
	int nstacks_total;		/* stacks with something outstanding or grown */
	/* stacks[0..nprofile) are built: nstacks, or, when an export asked
	 * (collector__want_all), every stack seen since tracing began,
	 * including those that hold nothing now (their allocations count).
	 */
	int nprofile;
};

void report__release(struct report *r);	/* frees the arrays; accepts an empty report */

#endif /* MODEL_H */
