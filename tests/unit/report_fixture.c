// SPDX-License-Identifier: GPL-2.0
/* tests/unit/report_fixture.c: see report_fixture.h. */
#include <string.h>
#include "report_fixture.h"

#define NODE "/usr/bin/node"
#define LIBC "/usr/lib/x86_64-linux-gnu/libc.so.6"
#define LIBC_BUILD_ID "c047672cae7964324658491e7dee26748ae5d2f8"
#define LEAKY_BUILD_ID "0123456789abcdef0123456789abcdef01234567"

static struct proc_report procs[2];
static struct stack_report stacks[5];
/* node in a container, leaky a systemd service */
#define NODE_CGROUP FIXTURE_NODE_CGROUP
#define LEAKY_CGROUP "/system.slice/leaky.service"

static struct frame node_frames[8], leaky_frames[3], freed_frames[2];

static const struct frame node_frames0[8] = {
	{ .addr = 0x7f3a1c2b4e10, .module = LIBC, .module_offset = 0x9ee10,
	  .function = "malloc", .system_name = "__libc_malloc", .build_id = LIBC_BUILD_ID,
	  .map_start = 0x7f3a1c23c000, .map_limit = 0x7f3a1c3b1000, .map_offset = 0x26000 },
	{ .addr = 0x55d0c0a1b2c3, .module = NODE, .module_offset = 0xa1b2c3,
	  .function = "node::NodeArrayBufferAllocator::Allocate(unsigned long)",
	  .system_name = "_ZN4node24NodeArrayBufferAllocator8AllocateEm",
	  .file = "../src/api/environment.cc", .line = 102, .start_line = 98 },
	{ .addr = 0x55d0c0c0ffee, .module = NODE, .module_offset = 0xc0ffee,
	  .function = "v8::internal::Heap::AllocateExternalBackingStore(...)",
	  .file = "../deps/v8/src/heap/heap.cc", .line = 3010, .inlined = true },
	{ .addr = 0x55d0c0f00000, .module = NODE, .module_offset = 0xf00000 },
	{ .addr = 0x3e8a1f2c4a80, .module = "[jit]",
	  .function = "LazyCompile:*leakBuffer /app/leak.js:2", .jit = true },
	{ .addr = 0x3e8a1f2c9000, .module = "[jit]", .jit = true },
	{ .addr = 0x55d0c0a00123, .module = NODE, .module_offset = 0xa00123,
	  .function = "main" },
	{ .addr = 0xdeadbeef },
};

static const struct frame leaky_frames0[3] = {
	{ .addr = 0x7f3a1c2b4e10, .module = LIBC, .module_offset = 0x9ee10,
	  .function = "malloc" },
	{ .addr = 0x5608a0001234, .module = "/opt/leaky/bin/leaky", .module_offset = 0x1234,
	  .function = FIXTURE_HOSTILE, .file = "/opt/leaky/src/leaky.c", .line = 42,
	  .start_line = 40, .build_id = LEAKY_BUILD_ID,
	  .map_start = 0x5608a0001000, .map_limit = 0x5608a0002000, .map_offset = 0x1000 },
	{ .addr = 0x5608a0001400, .module = "/opt/leaky/bin/leaky", .module_offset = 0x1400,
	  .function = "main", .file = "/opt/leaky/src/leaky.c", .line = 77,
	  .start_line = 70, .build_id = LEAKY_BUILD_ID,
	  .map_start = 0x5608a0001000, .map_limit = 0x5608a0002000, .map_offset = 0x1000 },
};

/* All freed again: only in the profile (allocations made). */
static const struct frame freed_frames0[2] = {
	{ .addr = 0x7f3a1c2b4e10, .module = LIBC, .module_offset = 0x9ee10,
	  .function = "malloc", .system_name = "__libc_malloc", .build_id = LIBC_BUILD_ID,
	  .map_start = 0x7f3a1c23c000, .map_limit = 0x7f3a1c3b1000, .map_offset = 0x26000 },
	{ .addr = 0x5608a0001400, .module = "/opt/leaky/bin/leaky", .module_offset = 0x1400,
	  .function = "main", .file = "/opt/leaky/src/leaky.c", .line = 77,
	  .start_line = 70, .build_id = LEAKY_BUILD_ID,
	  .map_start = 0x5608a0001000, .map_limit = 0x5608a0002000, .map_offset = 0x1000 },
};

static void fixture_procs(void)
{
	struct proc_report *node = &procs[0], *leaky = &procs[1];

	memset(procs, 0, sizeof(procs));
	node->pid = 4242;
	node->comm = "node";
	node->cgroup = NODE_CGROUP;
	node->allocator = LIBC;
	node->has_category[ML_CAT_NATIVE] = true;
	node->has_category[ML_CAT_MMAP] = true;
	node->has_category[ML_CAT_ALLOCATOR] = true;
	node->has_category[ML_CAT_BUFFER] = true;
	node->cat[ML_CAT_NATIVE] = (struct category_state){ 222298112, 51234, 20552089 };
	node->cat[ML_CAT_MMAP] = (struct category_state){ 100663296, 12, 0 };
	node->cat[ML_CAT_ALLOCATOR] = (struct category_state){ 268435456, 4, 1048576 };
	node->cat[ML_CAT_BUFFER] = (struct category_state){ 199438336, 2918, 20552089 };
	node->is_node = true;
	node->gc[ML_GC_SCAVENGE] = 12;
	node->gc[ML_GC_FULL] = 2;
	node->gc_total[ML_GC_SCAVENGE] = 40;
	node->gc_total[ML_GC_MINOR_MC] = 1;
	node->gc_total[ML_GC_FULL] = 5;
	/* three full collections, Buffers up 78 MB in 40 s: 1,950,000 B/s */
	node->full.n = 3;
	node->full.v[0] = (struct gc_full){ 10.5, 3, 30, 31457280, 41943040, 40000000, 0, 180000000, 0 };
	node->full.v[1] = (struct gc_full){ 30.0, 4, 36, 31719424, 42205184, 79000000, 0, 195000000, 0 };
	node->full.v[2] = (struct gc_full){ 50.5, 5, 41, 31457280, 41943040, 118000000, 0, 212000000, 0 };
	node->gc_wait = (struct gc_wait){ 75.0, 20971520, -262144 };
	node->trend.verdict = VERDICT_OFF_HEAP_LEAK;
	node->trend.rate_bytes_per_s = 1950000;
	node->trend.reports = 3;
	node->trend.collections = 3;
	strcpy(node->trend.evidence,
	       "off-heap (Buffer) after full collections: 38.1 \u2192 75.3 \u2192 112.5 MiB over 3 "
	       "collections in 40s (+111.6M/min); native heap grows too");

	leaky->pid = 5150;
	leaky->comm = "leaky";
	leaky->cgroup = LEAKY_CGROUP;
	leaky->exited = true;
	leaky->has_category[ML_CAT_NATIVE] = true;
	leaky->has_category[ML_CAT_MMAP] = true;
	leaky->has_category[ML_CAT_ALLOCATOR] = true;
	leaky->cat[ML_CAT_NATIVE] = (struct category_state){ 40960, 10, -4096 };
	leaky->cat[ML_CAT_MMAP] = (struct category_state){ 0, 0, -1048576 };
	leaky->cat[ML_CAT_ALLOCATOR] = (struct category_state){ 135168, 1, 0 };
	leaky->trend.verdict = VERDICT_INSUFFICIENT;
	strcpy(leaky->trend.evidence, "2 reports so far; a verdict needs 3");
}

static void fixture_stacks(void)
{
	memcpy(node_frames, node_frames0, sizeof(node_frames));
	memcpy(leaky_frames, leaky_frames0, sizeof(leaky_frames));
	memcpy(freed_frames, freed_frames0, sizeof(freed_frames));
	memset(stacks, 0, sizeof(stacks));
	stacks[0] = (struct stack_report){
		.pid = 4242, .comm = "node", .cgroup = NODE_CGROUP, .category = ML_CAT_BUFFER,
		.stack_id = 0x1111, .outstanding_bytes = 199438336, .outstanding_count = 2918,
		.growth_bytes = 20552089, .total_bytes = 250000000, .total_count = 3500,
		.oldest_age_s = 61.25, .nframes = 8, .frames = node_frames,
	};
	stacks[1] = (struct stack_report){
		.pid = 5150, .comm = "leaky", .cgroup = LEAKY_CGROUP, .category = ML_CAT_NATIVE,
		.stack_id = 0x2222, .outstanding_bytes = 40960, .outstanding_count = 10,
		.growth_bytes = -4096, .total_bytes = 81920, .total_count = 20,
		.oldest_age_s = -1, .nframes = 3, .frames = leaky_frames,
	};
	stacks[2] = (struct stack_report){
		.pid = 4242, .comm = "node", .cgroup = NODE_CGROUP, .category = ML_CAT_MMAP,
		.stack_id = 0, .outstanding_bytes = 4096, .outstanding_count = 1,
		.growth_bytes = 0, .total_bytes = 4096, .total_count = 1,
		.oldest_age_s = 0.4, .nframes = 0, .frames = NULL,
	};
	stacks[3] = (struct stack_report){
		.pid = 5150, .comm = "leaky", .cgroup = LEAKY_CGROUP, .category = ML_CAT_NATIVE,
		.stack_id = 0x3333, .outstanding_bytes = 0, .outstanding_count = 0,
		.growth_bytes = -65536, .total_bytes = 1048576, .total_count = 16,
		.oldest_age_s = -1, .nframes = 2, .frames = freed_frames,
	};
	/* the arena malloc mapped for them: it holds native blocks, so the
	 * profile exports leave it out
	 */
	stacks[4] = (struct stack_report){
		.pid = 5150, .comm = "leaky", .cgroup = LEAKY_CGROUP, .category = ML_CAT_ALLOCATOR,
		.stack_id = 0x3333, .outstanding_bytes = 135168, .outstanding_count = 1,
		.growth_bytes = 0, .total_bytes = 135168, .total_count = 1,
		.oldest_age_s = -1, .nframes = 2, .frames = freed_frames,
	};
}

void report_fixture(struct report *r)
{
	fixture_procs();
	fixture_stacks();
	memset(r, 0, sizeof(*r));
	r->seq = 3;
	r->wall = FIXTURE_WALL;
	r->wall_ns = FIXTURE_WALL * 1000000000LL + 250000000;
	r->start_wall_ns = r->wall_ns - 30000000000LL;
	r->elapsed_s = 30.0;
	r->final = false;
	r->dropped = 1234;
	r->drops[ML_DROP_STACKS] = 1000;
	r->drops[ML_DROP_EVENTS] = 234;
	r->sort = SORT_GROWTH;
	r->top = 10;
	r->min_age_ns = 30000000000ULL;
	r->ages_known = true;
	r->nprocs = 2;
	r->procs = procs;
	r->nstacks = 3;
	r->stacks = stacks;
	r->nstacks_total = 5;
	r->nprofile = 5;
}
