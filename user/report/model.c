// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include "report/model.h"

static const char *const cat_keys[ML_CAT_MAX] = {
	[ML_CAT_NATIVE] = "native",
	[ML_CAT_MMAP] = "mmap",
	[ML_CAT_ALLOCATOR] = "allocator",
	[ML_CAT_V8_HEAP] = "v8_heap",
	[ML_CAT_BUFFER] = "buffer",
};

static const char *const drop_keys[ML_DROP_MAX] = {
	[ML_DROP_ALLOCS] = "allocs",
	[ML_DROP_STATS] = "stats",
	[ML_DROP_STACKS] = "stacks",
	[ML_DROP_EVENTS] = "events",
	[ML_DROP_THREADS] = "threads",
	[ML_DROP_PROC_EVENTS] = "process_events",
};

static const char *const drop_remedies[ML_DROP_MAX] = {
	[ML_DROP_ALLOCS] = "the block table is full: raise --max-allocs",
	[ML_DROP_STATS] = "the site table is full: raise --max-stacks",
	[ML_DROP_STACKS] = "the stack table is full: raise --max-stacks",
	[ML_DROP_EVENTS] = "mapping events came faster than memleakbpf read them",
	[ML_DROP_THREADS] = "the kernel had no memory for a thread's state",
	[ML_DROP_PROC_EVENTS] = "process events came faster than memleakbpf read them",
};

static const char *const cat_titles[ML_CAT_MAX] = {
	[ML_CAT_NATIVE] = "native heap",
	[ML_CAT_MMAP] = "mmap (anon)",
	[ML_CAT_ALLOCATOR] = "allocator",
	[ML_CAT_V8_HEAP] = "V8 heap",
	[ML_CAT_BUFFER] = "off-heap (Buffer)",
};

const char *category_key(unsigned cat)
{
	return cat < ML_CAT_MAX ? cat_keys[cat] : "unknown";
}

const char *drop_key(unsigned reason)
{
	return reason < ML_DROP_MAX ? drop_keys[reason] : "unknown";
}

const char *drop_remedy(unsigned reason)
{
	return reason < ML_DROP_MAX ? drop_remedies[reason] : "unknown";
}

const char *category_title(unsigned cat)
{
	return cat < ML_CAT_MAX ? cat_titles[cat] : "unknown";
}

bool category_estimated(uint64_t n, unsigned cat)
{
	return n && (cat == ML_CAT_NATIVE || cat == ML_CAT_BUFFER);
}

const char *verdict_key(enum verdict v)
{
	switch (v) {
	case VERDICT_NONE: return "none";
	case VERDICT_NATIVE_LEAK: return "native-leak";
	case VERDICT_MMAP_LEAK: return "mmap-leak";
	case VERDICT_OFF_HEAP_LEAK: return "off-heap-leak";
	case VERDICT_V8_HEAP_LEAK: return "v8-heap-leak";
	case VERDICT_INSUFFICIENT:
	default: return "insufficient-data";
	}
}

void report__release(struct report *r)
{
	int i;

	for (i = 0; i < r->nprofile; i++) {
		free(r->stacks[i].frames);
		free((char *)r->stacks[i].comm);
		free((char *)r->stacks[i].cgroup);
	}
	for (i = 0; i < r->nprocs; i++) {
		free((char *)r->procs[i].comm);
		free((char *)r->procs[i].cgroup);
	}
	free(r->stacks);
	free(r->procs);
	r->stacks = NULL;
	r->procs = NULL;
	r->nstacks = r->nprofile = r->nprocs = 0;
}
