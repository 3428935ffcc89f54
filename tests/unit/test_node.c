// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_node.c: the Node.js tracker without BPF: V8 collections
 * and the V8 heap's floor from mapping events, and the v8_heap
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

static void gc(struct node_tracker *n, unsigned kind)
{
	struct ml_event e = { .type = ML_EV_GC, .pid = PID, .exec_id = 1, .ts_ns = 2,
			      .gc = { .kind = kind } };

	node_tracker__on_gc(n, &e);
}

void test_node_collections(void)
{
	struct regions *r = regions__new();
	struct node_tracker *n = node_tracker__new(NULL, r);
	struct node_interval iv;

	if (!ASSERT_OK_PTR(r, "regions") || !ASSERT_OK_PTR(n, "tracker"))
		goto out;
	map_v8(r, 0x10000000, 3 * PAGE_V8);
	gc(n, ML_GC_SCAVENGE);			/* heap 768 KiB */
	unmap(r, 0x10000000, 2 * PAGE_V8);
	gc(n, ML_GC_FULL);			/* 256 KiB: the least */
	map_v8(r, 0x20000000, 4 * PAGE_V8);
	gc(n, ML_GC_FULL);			/* 1280 KiB */
	gc(n, ML_GC_MAX);			/* not a collector: ignored */
	node_tracker__end_interval(n, PID, &iv);
	if (test__start_subtest("an interval's collections and floor")) {
		ASSERT_EQ(iv.gc[ML_GC_SCAVENGE], 1, "scavenges");
		ASSERT_EQ(iv.gc[ML_GC_FULL], 2, "full collections");
		ASSERT_EQ(iv.gc[ML_GC_MINOR_MC], 0, "minor mark-compacts");
		ASSERT_EQ(iv.v8_floor, PAGE_V8, "least V8 heap as a collection began");
	}
	gc(n, ML_GC_SCAVENGE);
	node_tracker__end_interval(n, PID, &iv);
	if (test__start_subtest("the next interval starts afresh")) {
		ASSERT_EQ(iv.gc[ML_GC_FULL], 0, "full in this interval");
		ASSERT_EQ(iv.gc[ML_GC_SCAVENGE], 1, "scavenges in this interval");
		ASSERT_EQ(iv.gc_total[ML_GC_FULL], 2, "full since start");
		ASSERT_EQ(iv.gc_total[ML_GC_SCAVENGE], 2, "scavenges since start");
		ASSERT_EQ(iv.v8_floor, 5 * PAGE_V8, "heap at its one collection");
	}
	node_tracker__end_interval(n, PID, &iv);
	if (test__start_subtest("no collection: no floor"))
		ASSERT_EQ(iv.v8_floor, -1, "floor");
	node_tracker__forget(n, PID);
	node_tracker__end_interval(n, PID, &iv);
	if (test__start_subtest("a process forgotten has no counts"))
		ASSERT_EQ(iv.gc_total[ML_GC_SCAVENGE], 0, "scavenges since start");
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
