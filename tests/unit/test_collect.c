// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_collect.c: the collector without BPF, fed recorded map
 * contents (tests/unit/fake_heap.c), mapping events and process events.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "test.h"
#include "fake_heap.h"
#include "report/collect.h"
#include "target/allocators.h"

/* Above the kernel's largest pid_max (2^22): never a live process, so that
 * nothing is read from /proc for them.
 */
#define PID_A 4200001
#define PID_B 4200002
#define SEC 1000000000ull

static uint64_t fake_now = 100 * SEC;

static uint64_t fixed_monotonic(void)
{
	return fake_now;
}

static int64_t fixed_realtime(void)
{
	return 1764000000LL * 1000000000LL + fake_now;
}

struct bench {
	struct fake_heap heap;
	struct proctable *procs;
	struct regions *regions;
	struct allocators *allocators;
	struct node_tracker *node;
	struct collector *c;
	struct report r;
	bool have_report;
};

static bool bench_init(struct bench *b, const struct collect_config *over)
{
	struct collect_config cfg = {
		.sort = SORT_GROWTH, .top = 10, .start_ns = 10 * SEC,
		.monotonic_ns = fixed_monotonic, .realtime_ns = fixed_realtime,
	};
	struct collect_sources src;

	memset(b, 0, sizeof(*b));
	fake_now = 100 * SEC;
	if (over) {
		cfg.sort = over->sort;
		cfg.top = over->top ? over->top : cfg.top;
		cfg.min_age_ns = over->min_age_ns;
		cfg.want_all = over->want_all;
		cfg.list_all_procs = over->list_all_procs;
	}
	fake_heap__init(&b->heap);
	b->procs = proctable__new();
	b->regions = regions__new();
	b->allocators = allocators__new();
	b->node = node_tracker__new(b->allocators, b->regions);
	src = (struct collect_sources){ b->procs, b->regions, b->node, &b->heap.maps };
	b->c = collector__new(&cfg, &src);
	return ASSERT_OK_PTR(b->procs, "proctable") && ASSERT_OK_PTR(b->regions, "regions") &&
	       ASSERT_OK_PTR(b->node, "node tracker") && ASSERT_OK_PTR(b->c, "collector");
}

static void bench_release_report(struct bench *b)
{
	if (b->have_report)
		report__release(&b->r);
	b->have_report = false;
}

/* One report, as the run loop makes it (collector__done included). */
static bool bench_collect(struct bench *b)
{
	int err;

	bench_release_report(b);
	err = collector__collect(b->c, false, &b->r);
	b->have_report = true;
	if (!ASSERT_OK(err, "collect"))
		return false;
	collector__done(b->c, &b->r);
	return true;
}

static void bench_free(struct bench *b)
{
	bench_release_report(b);
	collector__free(b->c);
	node_tracker__free(b->node);
	allocators__free(b->allocators);
	regions__free(b->regions);
	proctable__free(b->procs);
}

static const struct proc_report *proc_of(const struct report *r, pid_t pid)
{
	int i;

	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

static const struct stack_report *stack_of(const struct report *r, uint64_t stack_id)
{
	int i;

	for (i = 0; i < r->nprofile; i++)
		if (r->stacks[i].stack_id == stack_id)
			return &r->stacks[i];
	return NULL;
}

void test_collect_growth(void)
{
	const struct stack_report *s;
	const struct proc_report *p;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "leaky");
	fake_heap__site(&b.heap, PID_A, 7, 11, ML_CAT_NATIVE, 4096, 4);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	s = stack_of(&b.r, 11);
	if (test__start_subtest("first report: everything held is growth")) {
		ASSERT_EQ(b.r.seq, 1, "seq");
		ASSERT_DBL_NEAR(b.r.elapsed_s, 90.0, 1e-9, "elapsed since start_ns");
		if (ASSERT_OK_PTR(p, "process") && ASSERT_OK_PTR(s, "stack")) {
			ASSERT_STREQ(p->comm, "leaky", "comm from the exec event");
			ASSERT_EQ(p->cat[ML_CAT_NATIVE].bytes, 4096, "native bytes");
			ASSERT_EQ(p->cat[ML_CAT_NATIVE].count, 4, "native blocks");
			ASSERT_EQ(p->cat[ML_CAT_NATIVE].growth_bytes, 4096, "native growth");
			ASSERT_EQ(s->outstanding_bytes, 4096, "stack bytes");
			ASSERT_EQ(s->growth_bytes, 4096, "stack growth");
			ASSERT_EQ(s->total_bytes, 4096, "stack total");
			ASSERT_STREQ(s->comm, "leaky", "stack comm");
		}
	}
	fake_heap__site(&b.heap, PID_A, 7, 11, ML_CAT_NATIVE, 6144, 6);
	fake_now += 10 * SEC;
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	s = stack_of(&b.r, 11);
	if (test__start_subtest("second report: growth since the first") &&
	    ASSERT_OK_PTR(p, "process") && ASSERT_OK_PTR(s, "stack")) {
		ASSERT_EQ(b.r.seq, 2, "seq");
		ASSERT_EQ(p->cat[ML_CAT_NATIVE].growth_bytes, 2048, "process growth");
		ASSERT_EQ(s->growth_bytes, 2048, "stack growth");
		ASSERT_EQ(s->total_bytes, 6144, "total allocated");
		ASSERT_EQ(s->total_count, 6, "total allocations");
	}
	fake_heap__site(&b.heap, PID_A, 7, 11, ML_CAT_NATIVE, 1024, 1);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("shrinking is negative growth") && ASSERT_OK_PTR(p, "process"))
		ASSERT_EQ(p->cat[ML_CAT_NATIVE].growth_bytes, -5120, "process growth");
out:
	bench_free(&b);
}

void test_collect_rank(void)
{
	struct collect_config cfg = { .sort = SORT_GROWTH, .top = 2 };
	struct bench b;

	if (!bench_init(&b, &cfg))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "ranked");
	fake_heap__site(&b.heap, PID_A, 7, 21, ML_CAT_NATIVE, 100, 1);
	fake_heap__site(&b.heap, PID_A, 7, 22, ML_CAT_NATIVE, 300, 1);
	fake_heap__site(&b.heap, PID_A, 7, 23, ML_CAT_NATIVE, 200, 1);
	fake_heap__site(&b.heap, PID_A, 7, 24, ML_CAT_NATIVE, 0, 0);	/* all freed */
	if (!bench_collect(&b))
		goto out;
	ASSERT_EQ(b.r.nstacks_total, 3, "stacks holding something");
	if (ASSERT_EQ(b.r.nstacks, 2, "shown: --top")) {
		ASSERT_EQ(b.r.stacks[0].stack_id, 22, "largest growth first");
		ASSERT_EQ(b.r.stacks[1].stack_id, 23, "then the next");
	}
	ASSERT_EQ(b.r.nprofile, 2, "only the shown stacks are built");
out:
	bench_free(&b);
}

void test_collect_want_all(void)
{
	struct collect_config cfg = { .top = 1, .want_all = true };
	struct bench b;

	if (!bench_init(&b, &cfg))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "profiled");
	fake_heap__site(&b.heap, PID_A, 7, 31, ML_CAT_NATIVE, 500, 1);
	fake_heap__site(&b.heap, PID_A, 7, 32, ML_CAT_NATIVE, 700, 2);
	fake_heap__site(&b.heap, PID_A, 7, 33, ML_CAT_NATIVE, 0, 0);
	b.heap.sites[2].stat.total_bytes = 900;	/* allocated, then all freed */
	if (!bench_collect(&b))
		goto out;
	ASSERT_EQ(b.r.nstacks, 1, "shown");
	ASSERT_EQ(b.r.nprofile, 3, "every stack seen, for the exports");
	if (ASSERT_OK_PTR(stack_of(&b.r, 33), "a stack that holds nothing now"))
		ASSERT_EQ(stack_of(&b.r, 33)->total_bytes, 900, "its allocations count");
out:
	bench_free(&b);
}

void test_collect_min_age(void)
{
	struct collect_config cfg = { .min_age_ns = 30 * SEC };
	const struct stack_report *s;
	struct heap_site *site;
	struct bench b;

	if (!bench_init(&b, &cfg))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "aging");
	site = fake_heap__site(&b.heap, PID_A, 7, 41, ML_CAT_NATIVE, 1000 + 24, 2);
	fake_heap__block(&b.heap, site, 0x1000, 1000, 10 * SEC);	/* 90 s old */
	fake_heap__block(&b.heap, site, 0x2000, 24, 95 * SEC);		/* 5 s old */
	if (!bench_collect(&b))
		goto out;
	s = stack_of(&b.r, 41);
	ASSERT_TRUE(b.r.ages_known, "ages measured");
	if (ASSERT_OK_PTR(s, "stack")) {
		ASSERT_EQ(s->outstanding_bytes, 1000, "only blocks 30 s old or more");
		ASSERT_EQ(s->outstanding_count, 1, "one of two blocks");
		ASSERT_DBL_NEAR(s->oldest_age_s, 90.0, 1e-9, "oldest block's age");
	}
	if (ASSERT_OK_PTR(proc_of(&b.r, PID_A), "process"))
		ASSERT_EQ(proc_of(&b.r, PID_A)->cat[ML_CAT_NATIVE].bytes, 1000, "process total");
out:
	bench_free(&b);
}

void test_collect_mappings(void)
{
	struct ml_event e = {
		.type = ML_EV_MMAP, .pid = PID_A, .tid = PID_A, .exec_id = 7, .ts_ns = 50 * SEC,
		.stack_id = 51, .category = ML_CAT_MMAP,
		.map = { .addr = 0x7f0000000000ULL, .len = 3 * 4096, .prot = 3, .flags = 0x22 },
	};
	const struct stack_report *s;
	const struct proc_report *p;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "mapper");
	if (!ASSERT_OK(regions__apply(b.regions, &e), "mmap event") || !bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	s = stack_of(&b.r, 51);
	if (ASSERT_OK_PTR(p, "process") && ASSERT_OK_PTR(s, "stack")) {
		ASSERT_EQ(p->cat[ML_CAT_MMAP].bytes, 12288, "mmap bytes");
		ASSERT_EQ(p->cat[ML_CAT_MMAP].count, 1, "one mapping");
		ASSERT_EQ(s->category, ML_CAT_MMAP, "category");
		ASSERT_EQ(s->outstanding_bytes, 12288, "stack bytes");
		ASSERT_DBL_NEAR(s->oldest_age_s, 50.0, 1e-9, "mapped 50 s ago");
	}
out:
	bench_free(&b);
}

void test_collect_images(void)
{
	const struct proc_report *p;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "before");
	fake_heap__site(&b.heap, PID_A, 7, 61, ML_CAT_NATIVE, 4096, 1);
	if (!bench_collect(&b))
		goto out;
	/* execve: the old image's entries stay in the maps until purged */
	proctable__exec(b.procs, PID_A, 8, "after");
	fake_heap__site(&b.heap, PID_A, 8, 62, ML_CAT_NATIVE, 1024, 1);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("the old image is not shown"))
		ASSERT_TRUE(stack_of(&b.r, 61) == NULL && stack_of(&b.r, 62) != NULL, "stacks shown");
	if (test__start_subtest("the new image's history starts afresh") && ASSERT_OK_PTR(p, "process")) {
		ASSERT_STREQ(p->comm, "after", "comm");
		ASSERT_EQ(p->cat[ML_CAT_NATIVE].bytes, 1024, "bytes");
		ASSERT_EQ(p->cat[ML_CAT_NATIVE].growth_bytes, 1024, "growth from nothing");
		ASSERT_EQ(p->trend.verdict, VERDICT_INSUFFICIENT, "one report of this image");
	}
out:
	bench_free(&b);
}

void test_collect_exited(void)
{
	const struct proc_report *p;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "short");
	fake_heap__site(&b.heap, PID_A, 7, 71, ML_CAT_NATIVE, 4096, 1);
	if (!bench_collect(&b))
		goto out;
	proctable__exit(b.procs, PID_A, 7, "short", false);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("its last report says it exited") && ASSERT_OK_PTR(p, "process"))
		ASSERT_TRUE(p->exited, "exited");
	/* The tracer drops it (tracer__purge_exited); the pid comes back as
	 * another process, which must not be measured against the old one.
	 */
	proctable__remove(b.procs, PID_A);
	b.heap.nsites = 0;
	proctable__exec(b.procs, PID_A, 9, "reused");
	fake_heap__site(&b.heap, PID_A, 9, 72, ML_CAT_NATIVE, 2048, 1);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("a reused pid starts afresh") && ASSERT_OK_PTR(p, "process")) {
		ASSERT_FALSE(p->exited, "alive");
		ASSERT_EQ(p->cat[ML_CAT_NATIVE].growth_bytes, 2048, "growth from nothing");
	}
out:
	bench_free(&b);
}

void test_collect_procs_listed(void)
{
	struct collect_config targets = { .list_all_procs = true };
	struct bench b;

	if (bench_init(&b, NULL)) {
		proctable__exec(b.procs, PID_A, 7, "holder");
		proctable__exec(b.procs, PID_B, 7, "idle");
		fake_heap__site(&b.heap, PID_A, 7, 81, ML_CAT_NATIVE, 64, 1);
		if (bench_collect(&b) && test__start_subtest("system-wide: only processes that hold memory")) {
			ASSERT_EQ(b.r.nprocs, 1, "processes");
			ASSERT_TRUE(proc_of(&b.r, PID_B) == NULL, "idle left out");
		}
	}
	bench_free(&b);
	if (bench_init(&b, &targets)) {
		proctable__exec(b.procs, PID_B, 7, "idle");
		if (bench_collect(&b) && test__start_subtest("targets: every process") &&
		    ASSERT_EQ(b.r.nprocs, 1, "processes") && ASSERT_OK_PTR(proc_of(&b.r, PID_B), "idle")) {
			ASSERT_EQ(proc_of(&b.r, PID_B)->cat[ML_CAT_NATIVE].bytes, 0, "nothing held");
			ASSERT_TRUE(proc_of(&b.r, PID_B)->has_category[ML_CAT_NATIVE], "native shown");
			ASSERT_FALSE(proc_of(&b.r, PID_B)->has_category[ML_CAT_BUFFER], "buffer not");
		}
	}
	bench_free(&b);
}

void test_collect_gc(void)
{
	struct ml_event gc = { .type = ML_EV_GC, .pid = PID_A, .tid = PID_A, .exec_id = 7 };
	const struct proc_report *p;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "node");
	fake_heap__site(&b.heap, PID_A, 7, 91, ML_CAT_NATIVE, 64, 1);
	gc.gc.kind = ML_GC_FULL;
	node_tracker__on_gc(b.node, &gc);
	node_tracker__on_gc(b.node, &gc);
	/* the second full collection ends 25 s after tracing began */
	gc.ts_ns = 35 * SEC;
	gc.gc = (struct ml_ev_gc){ .kind = ML_GC_FULL, .after = 1, .buffer_bytes = 7000000 };
	node_tracker__on_gc(b.node, &gc);
	gc.gc = (struct ml_ev_gc){ .kind = ML_GC_FULL, .after = 2, .v8_live = 3000000 };
	node_tracker__on_gc(b.node, &gc);
	gc.gc = (struct ml_ev_gc){ .kind = ML_GC_SCAVENGE, .buffer_low = 6000000 };
	node_tracker__on_gc(b.node, &gc);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("collections of the interval") && ASSERT_OK_PTR(p, "process")) {
		ASSERT_EQ(p->gc[ML_GC_FULL], 2, "full");
		ASSERT_EQ(p->gc[ML_GC_SCAVENGE], 1, "scavenges");
		ASSERT_EQ(p->gc_total[ML_GC_FULL], 2, "full since start");
	}
	if (test__start_subtest("what survived a full collection") && ASSERT_OK_PTR(p, "process") &&
	    ASSERT_EQ(p->full.n, 1, "one ended")) {
		ASSERT_DBL_NEAR(p->full.v[0].t, 25.0, 1e-9, "seconds since tracing began");
		ASSERT_EQ(p->full.v[0].full_total, 2, "the second");
		ASSERT_EQ(p->full.v[0].scavenges_total, 0, "no scavenge before it");
		ASSERT_EQ(p->full.v[0].v8_live, 3000000, "V8's count");
		ASSERT_EQ(p->full.v[0].v8_heap, 0, "no V8 heap mapped");
		ASSERT_EQ(p->full.v[0].buffer, 6000000, "Buffers at their least since");
	}
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("a new interval starts at each report") && ASSERT_OK_PTR(p, "process")) {
		ASSERT_EQ(p->gc[ML_GC_FULL], 0, "full");
		ASSERT_EQ(p->gc_total[ML_GC_FULL], 2, "full since start");
		ASSERT_EQ(p->gc_total[ML_GC_SCAVENGE], 1, "scavenges since start");
	}
out:
	bench_free(&b);
}

void test_collect_drops(void)
{
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	b.heap.drops[ML_DROP_ALLOCS] = 3;
	b.heap.drops[ML_DROP_EVENTS] = 2;
	if (!bench_collect(&b))
		goto out;
	ASSERT_EQ(b.r.dropped, 5, "all drops");
	ASSERT_EQ(b.r.drops[ML_DROP_ALLOCS], 3, "allocs map full");
	ASSERT_EQ(b.r.drops[ML_DROP_EVENTS], 2, "ring buffer full");
out:
	bench_free(&b);
}

void test_collect_map_error(void)
{
	struct bench b;
	int err;

	if (!bench_init(&b, NULL))
		goto out;
	b.heap.fail = -EIO;
	err = collector__collect(b.c, false, &b.r);
	b.have_report = true;
	ASSERT_EQ(err, -EIO, "the map's error comes back");
out:
	bench_free(&b);
}

void test_collect_symbols(void)
{
	uint64_t ips[2] = { (uint64_t)(uintptr_t)fake_heap__init, 0 };
	const struct stack_report *s;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	/* our own process: a real map to name the frame from */
	fake_heap__stack(&b.heap, 101, ips, 1);
	fake_heap__site(&b.heap, getpid(), 0, 101, ML_CAT_NATIVE, 128, 1);
	if (!bench_collect(&b))
		goto out;
	s = stack_of(&b.r, 101);
	if (ASSERT_OK_PTR(s, "stack") && ASSERT_GE(s->nframes, 1, "frames")) {
		ASSERT_STREQ(s->frames[0].function, "fake_heap__init", "leaf named");
		ASSERT_STRCONTAINS(s->frames[0].module, "test_runner", "module");
		ASSERT_STREQ(s->comm, "test_runner", "comm from /proc");
	}
out:
	bench_free(&b);
}

void test_collect_stack_walks(void)
{
	uint64_t ips[2] = { 0x1000, 0x2000 };
	const struct proc_report *p;
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "walked");
	fake_heap__stack(&b.heap, 201, ips, 2);
	b.heap.stacks[b.heap.nstacks - 1].st.end = ML_UW_END_COMPLETE;
	fake_heap__stack(&b.heap, 202, ips, 1);
	b.heap.stacks[b.heap.nstacks - 1].st.end = ML_UW_END_READ;
	fake_heap__stack(&b.heap, 203, ips, 2);	/* end 0: by frame pointers */
	fake_heap__site(&b.heap, PID_A, 7, 201, ML_CAT_NATIVE, 64, 1);
	fake_heap__site(&b.heap, PID_A, 7, 202, ML_CAT_NATIVE, 64, 1);
	fake_heap__site(&b.heap, PID_A, 7, 203, ML_CAT_MMAP, 4096, 1);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("each stack by how it was walked") && ASSERT_OK_PTR(p, "process")) {
		ASSERT_EQ(p->stacks.complete, 1, "complete");
		ASSERT_EQ(p->stacks.truncated, 1, "truncated");
		ASSERT_EQ(p->stacks.frame_pointers, 1, "frame pointers");
	}
	fake_heap__stack(&b.heap, 204, ips, 2);
	b.heap.stacks[b.heap.nstacks - 1].st.end = ML_UW_END_COMPLETE;
	fake_heap__site(&b.heap, PID_A, 7, 204, ML_CAT_NATIVE, 32, 1);
	if (!bench_collect(&b))
		goto out;
	p = proc_of(&b.r, PID_A);
	if (test__start_subtest("a stack counts once, new ones add") && ASSERT_OK_PTR(p, "process")) {
		ASSERT_EQ(p->stacks.complete, 2, "complete");
		ASSERT_EQ(p->stacks.truncated, 1, "truncated");
		ASSERT_EQ(p->stacks.frame_pointers, 1, "frame pointers");
	}
out:
	bench_free(&b);
}

/* System-wide, a process that exited holding only mappings is summed, its
 * stacks left out; one that exited holding heap blocks is listed; -p and
 * -- CMD list every process.
 */
void test_collect_exited_folded(void)
{
	struct collect_config targets = { .list_all_procs = true };
	struct bench b;

	if (!bench_init(&b, NULL))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "true");
	proctable__exec(b.procs, PID_B, 7, "leaker");
	fake_heap__site(&b.heap, PID_A, 7, 91, ML_CAT_MMAP, 12288, 1);
	fake_heap__site(&b.heap, PID_A, 7, 92, ML_CAT_ALLOCATOR, 135168, 1);
	fake_heap__site(&b.heap, PID_B, 7, 93, ML_CAT_NATIVE, 4096, 2);
	fake_heap__site(&b.heap, PID_B, 7, 94, ML_CAT_MMAP, 8192, 1);
	proctable__exit(b.procs, PID_A, 7, "true", false);
	proctable__exit(b.procs, PID_B, 7, "leaker", false);
	if (!bench_collect(&b))
		goto out;
	if (test__start_subtest("mappings only: summed, not listed")) {
		ASSERT_EQ(b.r.exited_folded.processes, 1, "folded processes");
		ASSERT_EQ(b.r.exited_folded.bytes, 12288 + 135168, "what they held");
		ASSERT_TRUE(proc_of(&b.r, PID_A) == NULL, "not listed");
		ASSERT_TRUE(stack_of(&b.r, 91) == NULL && stack_of(&b.r, 92) == NULL, "its stacks out");
	}
	if (test__start_subtest("heap blocks at exit: listed") && ASSERT_OK_PTR(proc_of(&b.r, PID_B), "B")) {
		ASSERT_TRUE(proc_of(&b.r, PID_B)->exited, "exited");
		ASSERT_OK_PTR(stack_of(&b.r, 93), "its heap stack");
		ASSERT_OK_PTR(stack_of(&b.r, 94), "its mapping stack");
	}
	bench_free(&b);
	if (!bench_init(&b, &targets))
		goto out;
	proctable__exec(b.procs, PID_A, 7, "true");
	fake_heap__site(&b.heap, PID_A, 7, 91, ML_CAT_MMAP, 12288, 1);
	proctable__exit(b.procs, PID_A, 7, "true", false);
	if (bench_collect(&b) && test__start_subtest("targets: listed")) {
		ASSERT_EQ(b.r.exited_folded.processes, 0, "none folded");
		ASSERT_OK_PTR(proc_of(&b.r, PID_A), "listed");
	}
out:
	bench_free(&b);
}
