// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_node.c: the Node.js tracker without BPF: V8 collections
 * and what survived full ones, from GC and mapping events, and the v8_heap
 * classification of a mapping made under V8's page allocator in the
 * machine's real node executable.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "test.h"
#include "fake_heap.h"
#include "trace/node.h"

#define PID 4200011	/* above any pid_max: nothing is read from /proc */
#define PAGE_V8 (256 * 1024)
#define NODE_BIN "/usr/bin/node"

static void map_v8(struct regions *r, uint64_t addr, uint64_t len)
{
	struct ml_event e = {
		.type = ML_EV_MMAP, .pid = PID, .exec_id = 1, .ts_ns = 1, .stack_id = 5,
		.category = ML_CAT_V8_HEAP,
		.map = { .addr = addr, .len = len, .prot = PROT_READ | PROT_WRITE },
	};

	regions__apply(r, &e);
}

static void unmap(struct regions *r, uint64_t addr, uint64_t len)
{
	struct ml_event e = { .type = ML_EV_MUNMAP, .pid = PID, .exec_id = 1,
			      .map = { .addr = addr, .len = len } };

	regions__apply(r, &e);
}

#define MiB (1024 * 1024LL)

/* A collection of kind begins; buffer_low: BPF's low point since the last
 * full collection ended (-1: none followed); the native heap's is 1 MiB
 * above it.
 */
static void gc_begin(struct node_tracker *n, unsigned kind, int64_t buffer_low)
{
	struct ml_event e = { .type = ML_EV_GC, .pid = PID, .exec_id = 1, .ts_ns = 2,
			      .gc = { .kind = kind, .buffer_low = buffer_low,
				      .native_low = buffer_low < 0 ? -1 : buffer_low + MiB } };

	node_tracker__on_gc(n, &e);
}

/* A full collection ends at ts_ns with buffer Buffer bytes (and 2 MiB
 * more of native heap), then V8 counts live bytes in its old generation
 * (live < 0: that event does not come).
 */
static void gc_full_end(struct node_tracker *n, uint64_t ts_ns, int64_t buffer, int64_t live)
{
	struct ml_event e = { .type = ML_EV_GC, .pid = PID, .exec_id = 1, .ts_ns = ts_ns,
			      .gc = { .kind = ML_GC_FULL, .after = 1, .buffer_bytes = buffer,
				      .native_bytes = buffer + 2 * MiB } };

	node_tracker__on_gc(n, &e);
	if (live < 0)
		return;
	e.gc = (struct ml_ev_gc){ .kind = ML_GC_FULL, .after = 2, .v8_live = live };
	node_tracker__on_gc(n, &e);
}

void test_node_collections(void)
{
	struct regions *r = regions__new();
	struct node_tracker *n = node_tracker__new(NULL, r);
	struct fake_heap heap;
	struct node_interval iv;
	int i;

	fake_heap__init(&heap);
	if (!ASSERT_OK_PTR(r, "regions") || !ASSERT_OK_PTR(n, "tracker"))
		goto out;
	map_v8(r, 0x10000000, 3 * PAGE_V8);
	gc_begin(n, ML_GC_SCAVENGE, -1);
	gc_begin(n, ML_GC_FULL, -1);
	unmap(r, 0x10000000, 2 * PAGE_V8);
	gc_full_end(n, 1000000000, 50 * MiB, 3 * MiB);	/* heap 256 KiB committed */
	gc_full_end(n, 1000000000, 0, -1);		/* (the second event only) */
	gc_begin(n, ML_GC_MAX, -1);			/* not a collector: ignored */
	/* the watch is open: the report takes BPF's low point so far */
	heap.node_mem_pid = PID;
	heap.node_mem = (struct ml_node_mem){ .buffer_bytes = 9 * MiB, .buffer_low = 8 * MiB,
					      .native_bytes = 60 * MiB, .native_low = 55 * MiB, .low_open = 1 };
	node_tracker__end_interval(n, PID, &heap.maps, &iv);
	if (test__start_subtest("an interval's collections")) {
		ASSERT_EQ(iv.gc[ML_GC_SCAVENGE], 1, "scavenges");
		ASSERT_EQ(iv.gc[ML_GC_FULL], 1, "full collections");
		ASSERT_EQ(iv.gc[ML_GC_MINOR_MC], 0, "minor mark-compacts");
	}
	if (test__start_subtest("what survived a full collection")) {
		ASSERT_EQ(iv.nfull, 2, "two ended");
		ASSERT_EQ(iv.full[0].ts_ns, 1000000000, "when");
		ASSERT_EQ(iv.full[0].full_total, 1, "which full collection");
		ASSERT_EQ(iv.full[0].scavenges_total, 1, "scavenges by then");
		ASSERT_EQ(iv.full[0].v8_heap, PAGE_V8, "committed V8 heap as it ended");
		ASSERT_EQ(iv.full[0].v8_live, 3 * MiB, "V8's count of what lives");
		ASSERT_EQ(iv.full[0].buffer, 50 * MiB, "Buffers as it ended (the next event was not a collection)");
		ASSERT_EQ(iv.full[0].native, 52 * MiB, "native heap as it ended");
		ASSERT_EQ(iv.full[1].v8_live, -1, "V8's count not (yet) told");
		ASSERT_EQ(iv.full[1].buffer, 0, "the low point of BPF is not below 0");
		ASSERT_EQ(iv.full[1].native, 2 * MiB, "nor the native heap's");
		ASSERT_FALSE(iv.full[1].settled, "the watch is open");
	}
	/* the next collection begins: the watch ends with BPF's low point */
	gc_full_end(n, 2000000000, 40 * MiB, 4 * MiB);
	heap.node_mem = (struct ml_node_mem){ .buffer_bytes = 12 * MiB, .buffer_low = 8 * MiB,
					      .native_bytes = 45 * MiB, .native_low = 30 * MiB, .low_open = 1 };
	node_tracker__end_interval(n, PID, &heap.maps, &iv);
	if (test__start_subtest("the low point so far, at a report")) {
		ASSERT_EQ(iv.full[2].buffer, 8 * MiB, "Buffers once the dead ones were freed");
		ASSERT_EQ(iv.full[2].native, 30 * MiB, "native heap likewise");
	}
	/* scavenges bring the low point so far; the next full collection
	 * ends the watch
	 */
	gc_begin(n, ML_GC_SCAVENGE, 6 * MiB);
	heap.node_mem_pid = 0;
	node_tracker__end_interval(n, PID, &heap.maps, &iv);
	if (test__start_subtest("the low point at a scavenge")) {
		ASSERT_EQ(iv.full[2].buffer, 6 * MiB, "Buffers so far");
		ASSERT_EQ(iv.full[2].native, 7 * MiB, "native heap so far");
		ASSERT_FALSE(iv.full[2].settled, "still watched");
	}
	gc_begin(n, ML_GC_FULL, 5 * MiB);
	gc_begin(n, ML_GC_SCAVENGE, 1 * MiB);	/* a later watch's: not this collection's */
	node_tracker__end_interval(n, PID, &heap.maps, &iv);
	if (test__start_subtest("the low point when the next full collection began")) {
		ASSERT_EQ(iv.nfull, 3, "three ended");
		ASSERT_EQ(iv.full[2].buffer, 5 * MiB, "Buffers at their least");
		ASSERT_EQ(iv.full[2].native, 6 * MiB, "native heap at its least");
		ASSERT_TRUE(iv.full[2].settled, "settled");
		ASSERT_EQ(iv.full[2].scavenges_total, 1, "scavenges by then");
		ASSERT_EQ(iv.gc[ML_GC_SCAVENGE], 1, "scavenges in this interval");
		ASSERT_EQ(iv.gc_total[ML_GC_SCAVENGE], 3, "scavenges since start");
		ASSERT_EQ(iv.gc_total[ML_GC_FULL], 2, "full since start");
	}
	for (i = 0; i < NODE_FULL_KEEP; i++) {
		gc_full_end(n, 3000000000ull + i, i * MiB, i * MiB);
		gc_begin(n, ML_GC_FULL, -1);
	}
	node_tracker__end_interval(n, PID, NULL, &iv);
	if (test__start_subtest("the last full collections are kept")) {
		ASSERT_EQ(iv.nfull, NODE_FULL_KEEP, "kept");
		ASSERT_EQ(iv.full[0].ts_ns, 3000000000ull, "oldest kept");
		ASSERT_EQ(iv.full[NODE_FULL_KEEP - 1].v8_live, (NODE_FULL_KEEP - 1) * MiB, "newest last");
		ASSERT_EQ(iv.full[NODE_FULL_KEEP - 1].full_total, 1 + NODE_FULL_KEEP, "its number");
		ASSERT_EQ(iv.gc_total[ML_GC_FULL], 2 + NODE_FULL_KEEP, "full since start");
	}
	node_tracker__forget(n, PID);
	node_tracker__end_interval(n, PID, NULL, &iv);
	if (test__start_subtest("a process forgotten has no counts")) {
		ASSERT_EQ(iv.gc_total[ML_GC_SCAVENGE], 0, "scavenges since start");
		ASSERT_EQ(iv.nfull, 0, "full collections kept");
	}
out:
	node_tracker__free(n);
	regions__free(r);
}

/* A process that maps the real node executable at base. */
static struct proc *node_proc(struct proctable *pt, uint64_t base)
{
	struct map_entry m = { .start = base, .offset = 0, .path = NODE_BIN };
	struct proc *p = proctable__get_lazy(pt, PID);
	struct stat st;

	if (!p || stat(NODE_BIN, &st))
		return NULL;
	m.end = base + ((st.st_size + 4095) & ~4095ull);
	m.inode = st.st_ino;
	m.dev_major = major(st.st_dev);
	m.dev_minor = minor(st.st_dev);
	memcpy(m.perms, "r-xp", 5);
	return proc__add_mapping(p, &m) ? NULL : p;
}

void test_node_classify(void)
{
	const uint64_t base = 0x555500000000ULL;
	struct allocators *a = allocators__new();
	struct proctable *pt = proctable__new();
	struct node_tracker *n = node_tracker__new(a, NULL);
	const struct allocator_lib *lib;
	struct fake_heap heap;
	struct ml_event e = { .type = ML_EV_MMAP, .pid = PID, .exec_id = 1 };
	uint64_t in_v8, ips[2];
	struct proc *p;

	if (access(NODE_BIN, R_OK)) {
		test__skip("no " NODE_BIN " (tools/install-deps.sh installs nodejs)");
		goto out;
	}
	if (!ASSERT_OK_PTR(a, "allocators") || !ASSERT_OK_PTR(pt, "proctable") ||
	    !ASSERT_OK_PTR(n, "tracker"))
		goto out;
	p = node_proc(pt, base);
	if (!ASSERT_OK_PTR(p, "process mapping node"))
		goto out;
	lib = node_tracker__of(n, p);
	if (!ASSERT_OK_PTR(lib, "node found in the process's map") ||
	    !ASSERT_GT(lib->nv8_pages, 0, "V8's page allocator functions"))
		goto out;
	if (test__start_subtest("the probe points of full collections")) {
		ASSERT_TRUE(lib->gc[ML_GC_FULL].present, "the full collector");
		ASSERT_TRUE(lib->gc_end.present, "its return");
		ASSERT_EQ(lib->gc_end.file_offset, lib->gc[ML_GC_FULL].file_offset, "the same function");
		ASSERT_EQ(lib->gc_end.sp_adjust, 0, "its return probe where rsp is as at the entry");
		ASSERT_TRUE(lib->gc_live.present, "where V8 counts what survived one");
		ASSERT_NEQ(lib->gc_live.file_offset, lib->gc[ML_GC_FULL].file_offset, "two functions");
		ASSERT_STREQ(v8_gc_live_function_name(), "MemoryController<V8HeapTrait>::CalculateAllocationLimit",
			     "its name");
	}
	fake_heap__init(&heap);
	/* the leaf in the kernel's mmap wrapper, the caller a V8 function */
	in_v8 = base + lib->v8_pages[0].start;
	ips[0] = 0x7f0000001000ULL;
	ips[1] = in_v8 + 1;		/* a return address: after the call */
	fake_heap__stack(&heap, 7, ips, 2);
	ips[1] = base + 0x10;		/* not V8's page allocator */
	fake_heap__stack(&heap, 8, ips, 2);

	e.stack_id = 7;
	e.category = ML_CAT_MMAP;
	node_tracker__classify(n, p, &heap.maps, &e);
	if (test__start_subtest("a mapping under V8's page allocator is v8_heap"))
		ASSERT_EQ(e.category, ML_CAT_V8_HEAP, "category");
	e.stack_id = 8;
	e.category = ML_CAT_MMAP;
	node_tracker__classify(n, p, &heap.maps, &e);
	if (test__start_subtest("another mapping stays mmap"))
		ASSERT_EQ(e.category, ML_CAT_MMAP, "category");
	e.stack_id = 7;
	e.category = ML_CAT_ALLOCATOR;
	node_tracker__classify(n, p, &heap.maps, &e);
	if (test__start_subtest("the allocator's own mappings are left alone"))
		ASSERT_EQ(e.category, ML_CAT_ALLOCATOR, "category");
	e.stack_id = 99;
	e.category = ML_CAT_MMAP;
	node_tracker__classify(n, p, &heap.maps, &e);
	if (test__start_subtest("a stack not kept leaves it mmap"))
		ASSERT_EQ(e.category, ML_CAT_MMAP, "category");
out:
	node_tracker__free(n);
	proctable__free(pt);
	allocators__free(a);
}
