/* user/export/profile.h: stacks as names, root first, with one value each.
 *
 * What the folded file, the flame graph and `memleakbpf diff` share: a
 * report reduced to one metric (profile__from_report), or a folded or
 * pprof file read back (folded__read, pprof__read).  frames[0] is the
 * process, "comm (pid)"; the leaf, where the allocation was made, is last.
 * Names are plain text (not escaped); each writer escapes for its format.
 */
#ifndef PROFILE_H
#define PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "report/model.h"

/* What the folded file and the flame graph measure (--metric). */
enum metric {
	METRIC_OUTSTANDING = 0,	/* bytes still held (default) */
	METRIC_GROWTH,		/* bytes grown since the previous report; shrinkage left out */
	METRIC_COUNT,		/* allocations still held */
	METRIC_ALLOCS,		/* allocations made since tracing began */
	METRIC_ALLOC_BYTES,	/* bytes allocated since tracing began */
	METRIC_MAX,
};

int parse_metric(const char *s, enum metric *out);	/* 0 or -EINVAL */
const char *metric_name(enum metric m);		/* "outstanding", "growth", ... */
const char *metric_unit(enum metric m);		/* "bytes" or "allocations" */
const char *metric_title(enum metric m);	/* "outstanding bytes", ... */

enum frame_kind {
	FRAME_PROCESS = 0,	/* the root: "comm (pid)" */
	FRAME_NATIVE,		/* a named function in a module */
	FRAME_INLINED,		/* a named function inlined into the next frame */
	FRAME_JIT,		/* JIT code: named from a perf map, or "[jit]" */
	FRAME_UNKNOWN,		/* no symbol: "module+0xoff" or "[unknown]" */
	FRAME_KIND_MAX,
};

struct pframe {
	const char *name;	/* owned by the profile */
	enum frame_kind kind;
};

struct psample {
	int nframes;
	struct pframe *frames;	/* root first */
	int category;		/* ML_CAT_*, or -1 when unknown (a foreign file) */
	int64_t value;		/* in the metric's unit */
	int64_t base;		/* diff profiles: the value in BASE */
};

struct profile {
	size_t n, cap;
	struct psample *v;
	enum metric metric;
	bool diff;		/* base is meaningful: value is NEW, base is BASE */
	char title[256];	/* what: "memleakbpf: outstanding bytes of leaky (5150), node (4242)" */
	char subtitle[256];	/* when and how long: "2026-11-22 14:02:11 UTC, 30.0 s traced" */
};

/* Every stack of r (r->nprofile of them) with a non-zero value in metric
 * m; growth keeps only stacks that grew.  Stacks of the allocator category
 * are left out: the arenas they mapped hold the native heap blocks, which
 * are already there, so the total is not counted twice.  Titles say which
 * processes, when, how long and which metric.  0 or -ENOMEM.
 */
int profile__from_report(struct profile *p, const struct report *r, enum metric m);

/* Append a sample; names are copied.  0 or -ENOMEM. */
int profile__add(struct profile *p, const struct pframe *frames, int nframes, int category,
		 int64_t value, int64_t base);

/* The name a report frame goes by in a profile: the function, else
 * "[jit]" or "basename(module)+0xoffset" or "[unknown]".
 */
const char *profile_frame_name(const struct frame *f, char *buf, size_t len);
enum frame_kind profile_frame_kind(const struct frame *f);

/* What a file read back (folded__read, pprof__read) may hold: its values
 * add up, in absolute value, to at most 2^60, so that no sum or difference
 * made of two such files (merged lines, a diff, a flame graph's widths)
 * overflows.  Adds |value| to *abs_total: false once it is past the bound.
 */
#define PROFILE_READ_MAX (INT64_C(1) << 60)
bool profile_read_value_fits(uint64_t *abs_total, int64_t value);

/* Sum of values (and of bases). */
int64_t profile__total(const struct profile *p, bool base);

void profile__release(struct profile *p);	/* accepts an empty profile */

#endif /* PROFILE_H */
