// SPDX-License-Identifier: GPL-2.0
/* tests/unit/test_regions.c: interval accounting of mappings and brk. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "test.h"
#include "target/regions.h"

#define PG	4096ULL
#define A	0x7f0000000000ULL
#define B	0x7f1000000000ULL
#define RW	(PROT_READ | PROT_WRITE)
#define CAT	ML_CAT_MMAP

static uint32_t cur_pid = 100, cur_exec = 1;

static struct ml_event event(uint32_t type, uint64_t stack_id, uint64_t ts_ns)
{
	struct ml_event e = {
		.type = type, .pid = cur_pid, .tid = cur_pid, .exec_id = cur_exec,
		.ts_ns = ts_ns, .stack_id = stack_id, .category = CAT,
	};

	return e;
}

static int do_mmap(struct regions *r, uint64_t addr, uint64_t len, uint32_t prot,
		   uint64_t stack_id, uint64_t ts_ns)
{
	struct ml_event e = event(ML_EV_MMAP, stack_id, ts_ns);

	e.map.addr = addr;
	e.map.len = len;
	e.map.prot = prot;
	e.map.flags = MAP_PRIVATE | MAP_ANONYMOUS;
	return regions__apply(r, &e);
}

static int do_munmap(struct regions *r, uint64_t addr, uint64_t len)
{
	struct ml_event e = event(ML_EV_MUNMAP, 0, 0);

	e.map.addr = addr;
	e.map.len = len;
	return regions__apply(r, &e);
}

static int do_mremap(struct regions *r, uint64_t addr, uint64_t len, uint64_t addr2,
		     uint64_t len2, uint64_t stack_id, uint64_t ts_ns)
{
	struct ml_event e = event(ML_EV_MREMAP, stack_id, ts_ns);

	e.map.addr = addr;
	e.map.len = len;
	e.map.new_addr = addr2;
	e.map.new_len = len2;
	e.map.flags = addr2 != addr ? MREMAP_MAYMOVE : 0;
	return regions__apply(r, &e);
}

static int do_mprotect(struct regions *r, uint64_t addr, uint64_t len, uint32_t prot,
		       uint64_t stack_id, uint64_t ts_ns)
{
	struct ml_event e = event(ML_EV_MPROTECT, stack_id, ts_ns);

	e.map.addr = addr;
	e.map.len = len;
	e.map.prot = prot;
	return regions__apply(r, &e);
}

static int do_brk(struct regions *r, uint64_t now, uint64_t asked, uint64_t stack_id,
		  uint64_t ts_ns)
{
	struct ml_event e = event(ML_EV_BRK, stack_id, ts_ns);

	e.brk.brk = now;
	e.brk.asked = asked;
	return regions__apply(r, &e);
}

struct lookup {
	uint32_t pid, exec_id;
	uint64_t stack_id;
	struct region_site site;
	int found, visited;
};

static void lookup_fn(pid_t pid, uint32_t exec_id, const struct region_site *s, void *ctx)
{
	struct lookup *l = ctx;

	l->visited++;
	if ((uint32_t)pid == l->pid && exec_id == l->exec_id && s->stack_id == l->stack_id &&
	    s->category == CAT) {
		l->site = *s;
		l->found++;
	}
}

/* The site of stack_id in the current image; zeroes if not visited. */
static struct region_site site_aged(struct regions *r, uint64_t stack_id, uint64_t now_ns,
				    uint64_t min_age_ns)
{
	struct lookup l = { .pid = cur_pid, .exec_id = cur_exec, .stack_id = stack_id };

	regions__visit(r, cur_pid, now_ns, min_age_ns, lookup_fn, &l);
	return l.site;
}

static struct region_site site_of(struct regions *r, uint64_t stack_id)
{
	return site_aged(r, stack_id, 0, 0);
}

static int visited(struct regions *r, pid_t pid)
{
	struct lookup l = { 0 };

	regions__visit(r, pid, 0, 0, lookup_fn, &l);
	return l.visited;
}

#define ASSERT_SITE(r, stack, bytes, count, name) ({				\
	struct region_site ___s = site_of(r, stack);				\
	ASSERT_EQ(___s.outstanding_bytes, bytes, name " bytes") &&		\
	ASSERT_EQ(___s.outstanding_count, count, name " count"); })

static struct regions *fresh(struct regions **r)
{
	regions__free(*r);
	cur_pid = 100;
	cur_exec = 1;
	*r = regions__new();
	return *r;
}

void test_regions_mmap(void)
{
	struct regions *r = NULL;
	struct region_site s;

	if (test__start_subtest("mmap kept") && ASSERT_OK_PTR(fresh(&r), "new")) {
		ASSERT_OK(do_mmap(r, A, 3 * PG + 1, RW, 1, 10), "mmap");
		s = site_of(r, 1);
		ASSERT_EQ(s.outstanding_bytes, 4 * PG, "rounded up to pages");
		ASSERT_EQ(s.outstanding_count, 1, "count");
		ASSERT_EQ(s.total_bytes, 4 * PG, "total bytes");
		ASSERT_EQ(s.total_count, 1, "total count");
		ASSERT_EQ(s.oldest_ts_ns, 10, "oldest");
	}
	if (test__start_subtest("munmap whole") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		ASSERT_OK(do_munmap(r, A, 4 * PG), "munmap");
		s = site_of(r, 1);
		ASSERT_EQ(s.outstanding_bytes, 0, "bytes");
		ASSERT_EQ(s.outstanding_count, 0, "count");
		ASSERT_EQ(s.oldest_ts_ns, 0, "oldest");
		ASSERT_EQ(s.total_bytes, 4 * PG, "total bytes kept");
		ASSERT_EQ(s.total_count, 1, "total count kept");
	}
	if (test__start_subtest("partial munmap head") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 8 * PG, RW, 1, 10);
		do_munmap(r, A, 2 * PG);
		ASSERT_SITE(r, 1, 6 * PG, 1, "head cut");
	}
	if (test__start_subtest("partial munmap tail") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 8 * PG, RW, 1, 10);
		do_munmap(r, A + 7 * PG, 1);	/* one byte is one page */
		ASSERT_SITE(r, 1, 7 * PG, 1, "tail cut");
	}
	if (test__start_subtest("partial munmap middle") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 8 * PG, RW, 1, 10);
		do_munmap(r, A + 3 * PG, 2 * PG);
		ASSERT_SITE(r, 1, 6 * PG, 1, "two pieces, one mapping");
		do_munmap(r, A, 3 * PG);
		ASSERT_SITE(r, 1, 3 * PG, 1, "upper piece");
		do_munmap(r, A + 5 * PG, 3 * PG);
		ASSERT_SITE(r, 1, 0, 0, "all gone");
	}
	if (test__start_subtest("munmap spanning two mappings") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		do_mmap(r, A + 4 * PG, 4 * PG, RW, 2, 20);
		do_munmap(r, A + 2 * PG, 4 * PG);
		ASSERT_SITE(r, 1, 2 * PG, 1, "lower");
		ASSERT_SITE(r, 2, 2 * PG, 1, "upper");
		do_munmap(r, A - 16 * PG, 64 * PG);
		ASSERT_SITE(r, 1, 0, 0, "lower gone");
		ASSERT_SITE(r, 2, 0, 0, "upper gone");
	}
	if (test__start_subtest("MAP_FIXED replaces") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		do_mmap(r, A + PG, 2 * PG, RW, 2, 20);
		ASSERT_SITE(r, 1, 2 * PG, 1, "old owner keeps both ends");
		ASSERT_SITE(r, 2, 2 * PG, 1, "new owner");
		ASSERT_EQ(site_of(r, 1).total_bytes, 4 * PG, "old total");
		do_mmap(r, A, 4 * PG, 0, 3, 30);	/* a reservation over all */
		ASSERT_SITE(r, 1, 0, 0, "old owner replaced");
		ASSERT_SITE(r, 2, 0, 0, "new owner replaced");
		ASSERT_EQ(visited(r, 0), 2, "a reservation is no site");
	}
	if (test__start_subtest("untracked and invalid ranges") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		ASSERT_OK(do_munmap(r, B, 4 * PG), "munmap elsewhere");
		ASSERT_OK(do_munmap(r, A + 1, PG), "unaligned munmap fails in the kernel");
		ASSERT_OK(do_munmap(r, A, 0), "empty munmap");
		ASSERT_OK(do_mmap(r, B, 0, RW, 2, 10), "empty mmap");
		ASSERT_SITE(r, 1, 4 * PG, 1, "untouched");
		ASSERT_EQ(visited(r, 0), 1, "sites");
	}
	if (test__start_subtest("many mappings") && ASSERT_OK_PTR(fresh(&r), "new")) {
		uint64_t i, n = 50000;

		for (i = 0; i < n; i++)
			do_mmap(r, A + i * 2 * PG, PG, RW, 1 + (i & 1), i);
		for (i = 0; i < n; i += 2)	/* unmap stack 1's */
			do_munmap(r, A + i * 2 * PG, PG);
		do_munmap(r, A + 2 * PG, 4 * PG);	/* two holes and one of stack 2 */
		ASSERT_SITE(r, 1, 0, 0, "stack 1");
		ASSERT_SITE(r, 2, (n / 2 - 1) * PG, n / 2 - 1, "stack 2");
	}
	regions__free(r);
	regions__free(NULL);
}

void test_regions_mremap(void)
{
	struct regions *r = NULL;
	struct region_site s;

	if (test__start_subtest("grow in place") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 2 * PG, RW, 1, 10);
		ASSERT_OK(do_mremap(r, A, 2 * PG, A, 5 * PG, 2, 20), "mremap");
		ASSERT_SITE(r, 1, 2 * PG, 1, "old bytes stay the mmap's");
		ASSERT_SITE(r, 2, 3 * PG, 1, "growth is the mremap's");
		s = site_of(r, 2);
		ASSERT_EQ(s.total_bytes, 3 * PG, "growth total");
		ASSERT_EQ(s.oldest_ts_ns, 20, "growth age");
		do_munmap(r, A, 5 * PG);
		ASSERT_SITE(r, 1, 0, 0, "old gone");
		ASSERT_SITE(r, 2, 0, 0, "growth gone");
	}
	if (test__start_subtest("grow by the same site stays one mapping") &&
	    ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 2 * PG, RW, 1, 10);
		do_mremap(r, A, 2 * PG, A, 5 * PG, 1, 20);
		ASSERT_SITE(r, 1, 5 * PG, 1, "joined");
		s = site_of(r, 1);
		ASSERT_EQ(s.total_bytes, 5 * PG, "total bytes");
		ASSERT_EQ(s.total_count, 1, "total count");
		ASSERT_EQ(s.oldest_ts_ns, 10, "oldest");
	}
	if (test__start_subtest("grow with move") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 2 * PG, RW, 1, 10);
		ASSERT_OK(do_mremap(r, A, 2 * PG, B, 4 * PG, 2, 20), "mremap");
		ASSERT_SITE(r, 1, 2 * PG, 1, "moved");
		ASSERT_SITE(r, 2, 2 * PG, 1, "growth");
		do_munmap(r, A, 2 * PG);
		ASSERT_SITE(r, 1, 2 * PG, 1, "old address is empty");
		do_munmap(r, B, PG);
		ASSERT_SITE(r, 1, PG, 1, "moved bytes live at the new address");
		ASSERT_EQ(site_of(r, 1).oldest_ts_ns, 10, "age moves along");
	}
	if (test__start_subtest("shrink") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		ASSERT_OK(do_mremap(r, A, 4 * PG, A, PG + 1, 2, 20), "mremap");
		ASSERT_SITE(r, 1, 2 * PG, 1, "tail released");
		ASSERT_EQ(site_of(r, 1).total_bytes, 4 * PG, "total kept");
		ASSERT_EQ(visited(r, 0), 1, "a shrink owns nothing");
		do_mremap(r, A, 2 * PG, B, PG, 2, 30);
		ASSERT_SITE(r, 1, PG, 1, "shrink with move");
		do_munmap(r, B, PG);
		ASSERT_SITE(r, 1, 0, 0, "gone");
	}
	if (test__start_subtest("move then munmap at the new address") &&
	    ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 3 * PG, RW, 1, 10);
		do_mmap(r, B + PG, PG, RW, 3, 15);	/* replaced by the move */
		do_mremap(r, A, 3 * PG, B, 3 * PG, 2, 20);
		ASSERT_SITE(r, 1, 3 * PG, 1, "moved");
		ASSERT_SITE(r, 3, 0, 0, "what was there is replaced");
		ASSERT_EQ(visited(r, 0), 2, "same size: nothing for the mremap");
		do_munmap(r, B, 3 * PG);
		ASSERT_SITE(r, 1, 0, 0, "gone");
	}
	if (test__start_subtest("move keeps the pieces of a cut mapping") &&
	    ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		do_mprotect(r, A + PG, PG, PROT_NONE, 0, 12);
		do_mremap(r, A, 4 * PG, B, 6 * PG, 2, 20);
		ASSERT_SITE(r, 1, 3 * PG, 1, "pieces");
		ASSERT_SITE(r, 2, 2 * PG, 1, "growth");
		do_mprotect(r, B, 6 * PG, RW, 4, 30);
		ASSERT_SITE(r, 4, PG, 1, "the hole moved as reserved");
	}
	if (test__start_subtest("untracked old range counts only growth") &&
	    ASSERT_OK_PTR(fresh(&r), "new")) {
		ASSERT_OK(do_mremap(r, A, 2 * PG, B, 3 * PG, 2, 20), "mremap");
		ASSERT_SITE(r, 2, PG, 1, "growth");
		do_munmap(r, B, 2 * PG);
		ASSERT_SITE(r, 2, PG, 1, "old part was never tracked");
	}
	if (test__start_subtest("growth of a reservation stays reserved") &&
	    ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 2 * PG, PROT_NONE, 1, 10);
		do_mremap(r, A, 2 * PG, A, 4 * PG, 2, 20);
		ASSERT_EQ(visited(r, 0), 0, "nothing counted");
		do_mprotect(r, A, 4 * PG, RW, 3, 30);
		ASSERT_SITE(r, 3, 4 * PG, 1, "all of it was reserved");
	}
	regions__free(r);
}

void test_regions_mprotect(void)
{
	struct regions *r = NULL;
	struct region_site s;

	if (test__start_subtest("reserve then mprotect part") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 16 * PG, PROT_NONE, 1, 10);
		ASSERT_EQ(visited(r, 0), 0, "a reservation counts nothing");
		ASSERT_OK(do_mprotect(r, A + 4 * PG, 2 * PG, RW, 2, 20), "mprotect");
		ASSERT_SITE(r, 2, 2 * PG, 1, "made usable");
		ASSERT_EQ(site_of(r, 2).oldest_ts_ns, 20, "age of the mprotect");
		do_mprotect(r, A + 4 * PG, 6 * PG, RW, 3, 30);
		ASSERT_SITE(r, 2, 2 * PG, 1, "already usable stays");
		ASSERT_SITE(r, 3, 4 * PG, 1, "only reserved bytes turn");
		s = site_of(r, 3);
		ASSERT_EQ(s.total_bytes, 4 * PG, "total bytes");
		ASSERT_EQ(s.total_count, 1, "total count");
		do_mprotect(r, A, 16 * PG, PROT_READ, 3, 40);
		ASSERT_SITE(r, 3, 14 * PG, 2, "both ends, one more mapping");
		do_munmap(r, A, 16 * PG);
		ASSERT_SITE(r, 2, 0, 0, "gone");
		ASSERT_SITE(r, 3, 0, 0, "gone");
	}
	if (test__start_subtest("mprotect to none uncounts") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		do_mprotect(r, A + PG, PG, PROT_NONE, 2, 20);
		ASSERT_SITE(r, 1, 3 * PG, 1, "hole");
		ASSERT_EQ(site_of(r, 1).total_bytes, 4 * PG, "total kept");
		do_mprotect(r, A, 4 * PG, PROT_READ, 2, 30);
		ASSERT_SITE(r, 1, 3 * PG, 1, "usable stays the mmap's");
		ASSERT_SITE(r, 2, PG, 1, "hole is the mprotect's");
	}
	if (test__start_subtest("untracked memory") && ASSERT_OK_PTR(fresh(&r), "new")) {
		ASSERT_OK(do_mprotect(r, B, 4 * PG, RW, 2, 20), "mprotect");
		do_mmap(r, A, 4 * PG, RW, 1, 10);
		ASSERT_OK(do_mprotect(r, B, 4 * PG, RW, 2, 20), "mprotect");
		ASSERT_OK(do_mprotect(r, B, 4 * PG, PROT_NONE, 2, 20), "mprotect");
		ASSERT_EQ(visited(r, 0), 1, "only the mmap");
	}
	regions__free(r);
}

void test_regions_brk(void)
{
	const uint64_t base = 0x555555559000ULL;
	struct regions *r = NULL;
	struct region_site s;

	if (test__start_subtest("first brk only sets the base") && ASSERT_OK_PTR(fresh(&r), "new")) {
		ASSERT_OK(do_brk(r, base, 0, 1, 10), "brk(0)");
		ASSERT_EQ(visited(r, 0), 0, "nothing counted");
		do_brk(r, base + 0x21000, base + 0x21000, 1, 20);
		ASSERT_SITE(r, 1, 0x21000, 1, "growth from the base");
	}
	if (test__start_subtest("grow twice then shrink") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_brk(r, base, 0, 1, 10);
		do_brk(r, base + 0x21000, base + 0x21000, 1, 20);
		do_brk(r, base + 0x42000, base + 0x42000, 2, 30);
		ASSERT_SITE(r, 1, 0x21000, 1, "first growth");
		ASSERT_SITE(r, 2, 0x21000, 1, "second growth");
		do_brk(r, base + 0x10000, base + 0x10000, 3, 40);
		ASSERT_SITE(r, 1, 0x10000, 1, "first growth cut");
		ASSERT_SITE(r, 2, 0, 0, "second growth released");
		ASSERT_EQ(visited(r, 0), 2, "a shrink owns nothing");
		s = site_of(r, 2);
		ASSERT_EQ(s.total_bytes, 0x21000, "total kept");
		ASSERT_EQ(s.total_count, 1, "total count kept");
	}
	if (test__start_subtest("failed brk changes nothing") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_brk(r, base, 0, 1, 10);
		do_brk(r, base + 0x1000, base + 0x1000, 1, 20);
		ASSERT_OK(do_brk(r, base + 0x1000, base + 0x100000000ULL, 2, 30), "failed brk");
		ASSERT_SITE(r, 1, 0x1000, 1, "kept");
		ASSERT_EQ(visited(r, 0), 1, "the failure owns nothing");
	}
	if (test__start_subtest("break rounds to pages") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_brk(r, base, 0, 1, 10);
		do_brk(r, base + 0x10, base + 0x10, 1, 20);
		ASSERT_SITE(r, 1, PG, 1, "one page mapped");
		do_brk(r, base + 0x800, base + 0x800, 2, 30);
		ASSERT_EQ(visited(r, 0), 1, "same page: nothing new");
		do_brk(r, base + PG + 1, base + PG + 1, 2, 40);
		ASSERT_SITE(r, 2, PG, 1, "next page");
		do_brk(r, base + PG, base + PG, 2, 50);
		ASSERT_SITE(r, 2, 0, 0, "released");
		ASSERT_SITE(r, 1, PG, 1, "first page stays");
	}
	if (test__start_subtest("munmap of the heap") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_brk(r, base, 0, 1, 10);
		do_brk(r, base + 4 * PG, base + 4 * PG, 1, 20);
		do_munmap(r, base + PG, PG);
		ASSERT_SITE(r, 1, 3 * PG, 1, "a heap is an interval like others");
	}
	regions__free(r);
}

void test_regions_age(void)
{
	struct regions *r = NULL;
	struct region_site s;

	if (test__start_subtest("min_age counts old bytes") && ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 2 * PG, RW, 1, 100);
		do_mmap(r, B, 3 * PG, RW, 1, 500);
		s = site_aged(r, 1, 1000, 600);
		ASSERT_EQ(s.outstanding_bytes, 2 * PG, "old only");
		ASSERT_EQ(s.outstanding_count, 1, "old count");
		ASSERT_EQ(s.oldest_ts_ns, 100, "oldest");
		ASSERT_EQ(s.total_bytes, 5 * PG, "totals are not aged");
		s = site_aged(r, 1, 1000, 500);
		ASSERT_EQ(s.outstanding_bytes, 5 * PG, "both, at the boundary");
		ASSERT_EQ(s.outstanding_count, 2, "both count");
		s = site_aged(r, 1, 1000, 2000);
		ASSERT_EQ(s.outstanding_bytes, 0, "none old enough");
		ASSERT_EQ(s.outstanding_count, 0, "none count");
		ASSERT_EQ(s.oldest_ts_ns, 0, "no oldest");
		ASSERT_EQ(s.total_count, 2, "still visited");
		s = site_aged(r, 1, 50, 10);
		ASSERT_EQ(s.outstanding_bytes, 0, "ts after now is young");
	}
	if (test__start_subtest("a joined growth has its own age") &&
	    ASSERT_OK_PTR(fresh(&r), "new")) {
		do_mmap(r, A, 2 * PG, RW, 1, 100);
		do_mremap(r, A, 2 * PG, A, 6 * PG, 1, 800);
		s = site_aged(r, 1, 1000, 500);
		ASSERT_EQ(s.outstanding_bytes, 2 * PG, "old part");
		ASSERT_EQ(s.outstanding_count, 1, "one mapping");
		s = site_aged(r, 1, 1000, 0);
		ASSERT_EQ(s.outstanding_bytes, 6 * PG, "all");
		ASSERT_EQ(s.outstanding_count, 1, "one mapping");
	}
	regions__free(r);
}

struct census {
	int per_pid[3];
	uint64_t bytes;
};

static void census_fn(pid_t pid, uint32_t exec_id, const struct region_site *s, void *ctx)
{
	struct census *c = ctx;

	c->per_pid[pid == 100 ? 0 : pid == 200 ? 1 : 2]++;
	c->bytes += s->outstanding_bytes;
}

void test_regions_images(void)
{
	struct regions *r = NULL;
	struct census c;

	if (!ASSERT_OK_PTR(fresh(&r), "new"))
		return;
	do_mmap(r, A, 2 * PG, RW, 1, 10);		/* pid 100, exec 1 */
	cur_exec = 2;
	do_mmap(r, A, 3 * PG, RW, 1, 10);		/* pid 100, exec 2 */
	cur_pid = 200;
	cur_exec = 1;
	do_mmap(r, A, 4 * PG, RW, 1, 10);		/* pid 200, exec 1 */

	if (test__start_subtest("two pids kept apart")) {
		cur_pid = 100;
		do_munmap(r, A, PG);
		ASSERT_SITE(r, 1, PG, 1, "pid 100 cut");
		cur_pid = 200;
		ASSERT_SITE(r, 1, 4 * PG, 1, "pid 200 intact");
		ASSERT_EQ(visited(r, 200), 1, "visit one pid");
		ASSERT_EQ(visited(r, 0), 3, "visit all");
	}
	if (test__start_subtest("two exec images kept apart")) {
		cur_pid = 100;
		cur_exec = 2;
		ASSERT_SITE(r, 1, 3 * PG, 1, "new image");
		cur_exec = 1;
		ASSERT_SITE(r, 1, PG, 1, "old image");
	}
	if (test__start_subtest("drop_other_images")) {
		regions__drop_other_images(r, 100, 2);
		memset(&c, 0, sizeof(c));
		regions__visit(r, 0, 0, 0, census_fn, &c);
		ASSERT_EQ(c.per_pid[0], 1, "pid 100 keeps one image");
		ASSERT_EQ(c.per_pid[1], 1, "pid 200 untouched");
		ASSERT_EQ(c.bytes, 7 * PG, "bytes");
		cur_pid = 100;
		cur_exec = 2;
		ASSERT_SITE(r, 1, 3 * PG, 1, "kept image");
	}
	if (test__start_subtest("drop_pid")) {
		regions__drop_pid(r, 200);
		regions__drop_pid(r, 12345);
		memset(&c, 0, sizeof(c));
		regions__visit(r, 0, 0, 0, census_fn, &c);
		ASSERT_EQ(c.per_pid[0], 1, "pid 100 stays");
		ASSERT_EQ(c.per_pid[1], 0, "pid 200 gone");
		regions__drop_pid(r, 100);
		ASSERT_EQ(visited(r, 0), 0, "empty");
		cur_pid = 200;
		cur_exec = 1;
		do_munmap(r, A, PG);	/* an image that is gone */
		ASSERT_EQ(visited(r, 0), 0, "still empty");
	}
	regions__free(r);
}

/* ---- randomized comparison with a page-by-page model ---- */

#define M_PAGES		512
#define M_BASE		0x40000000ULL
#define M_BRK_PAGE	400
#define M_SITES		6		/* stack 1..3 x category MMAP/ALLOCATOR */

struct mpage {
	int state;			/* 0 untracked, 1 reserved, 2 counted */
	int site, alloc;
	uint64_t ts;
};

struct model {
	struct mpage p[M_PAGES];
	uint64_t total_bytes[M_SITES], total_count[M_SITES];
	uint64_t brk;			/* offset from M_BASE */
	bool brk_known;
	int next_alloc;
};

static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return n ? rnd_state % n : 0;
}

static uint64_t page_up(uint64_t x)
{
	return (x + PG - 1) / PG;
}

static void model_clear(struct model *m, uint64_t a, uint64_t n)
{
	uint64_t i;

	for (i = a; i < a + n && i < M_PAGES; i++)
		memset(&m->p[i], 0, sizeof(m->p[i]));
}

static void model_map(struct model *m, uint64_t a, uint64_t n, int site, bool counted,
		      uint64_t ts)
{
	int id = ++m->next_alloc;
	uint64_t i;

	for (i = a; i < a + n; i++) {
		m->p[i].state = counted ? 2 : 1;
		m->p[i].site = site;
		m->p[i].alloc = id;
		m->p[i].ts = ts;
	}
	if (counted && n) {
		m->total_bytes[site] += n * PG;
		m->total_count[site]++;
	}
}

static void model_mremap(struct model *m, uint64_t a, uint64_t old_n, uint64_t b,
			 uint64_t new_n, int site, uint64_t ts)
{
	struct mpage tmp[M_PAGES], last = { 0 };
	uint64_t keep = old_n < new_n ? old_n : new_n, i;

	memcpy(tmp, &m->p[a], keep * sizeof(tmp[0]));
	if (keep)
		last = m->p[a + keep - 1];
	model_clear(m, a, old_n);
	model_clear(m, b, new_n);
	memcpy(&m->p[b], tmp, keep * sizeof(tmp[0]));
	if (new_n <= old_n)
		return;
	if (last.state == 1) {
		model_map(m, b + old_n, new_n - old_n, site, false, ts);
	} else if (last.state == 2 && last.site == site) {
		for (i = b + old_n; i < b + new_n; i++)
			m->p[i] = (struct mpage){ 2, site, last.alloc, ts };
		m->total_bytes[site] += (new_n - old_n) * PG;
	} else {
		model_map(m, b + old_n, new_n - old_n, site, true, ts);
	}
}

static void model_mprotect(struct model *m, uint64_t a, uint64_t n, bool usable, int site,
			   uint64_t ts)
{
	int id = ++m->next_alloc;
	uint64_t i, turned = 0;

	for (i = a; i < a + n; i++) {
		if (usable && m->p[i].state == 1) {
			m->p[i] = (struct mpage){ 2, site, id, ts };
			turned++;
		} else if (!usable && m->p[i].state == 2) {
			m->p[i].state = 1;
		}
	}
	if (turned) {
		m->total_bytes[site] += turned * PG;
		m->total_count[site]++;
	}
}

static void model_brk(struct model *m, uint64_t now, int site, uint64_t ts)
{
	uint64_t old = m->brk;

	if (m->brk_known && now > old && page_up(old) < page_up(now)) {
		model_clear(m, page_up(old), page_up(now) - page_up(old));
		model_map(m, page_up(old), page_up(now) - page_up(old), site, true, ts);
	} else if (m->brk_known && now < old) {
		model_clear(m, page_up(now), page_up(old) - page_up(now));
	}
	m->brk = now;
	m->brk_known = true;
}

struct got {
	struct region_site s[M_SITES];
	int seen[M_SITES], bad;
};

static int site_index(uint64_t stack_id, uint32_t category)
{
	if (stack_id < 1 || stack_id > 3 || category < ML_CAT_MMAP || category > ML_CAT_ALLOCATOR)
		return -1;
	return (stack_id - 1) * 2 + (category - ML_CAT_MMAP);
}

static void got_fn(pid_t pid, uint32_t exec_id, const struct region_site *s, void *ctx)
{
	struct got *g = ctx;
	int i = site_index(s->stack_id, s->category);

	if (i < 0 || pid != 100 || exec_id != 1) {
		g->bad++;
		return;
	}
	g->seen[i]++;
	g->s[i] = *s;
}

static bool model_check(struct regions *r, struct model *m, uint64_t now, uint64_t min_age,
			int step)
{
	static char counted[1 << 16];
	struct got g = { 0 };
	uint64_t bytes, count, oldest, i;
	int k;

	regions__visit(r, 100, now, min_age, got_fn, &g);
	if (!ASSERT_EQ(g.bad, 0, "unknown site"))
		return false;
	for (k = 0; k < M_SITES; k++) {
		bytes = count = oldest = 0;
		memset(counted, 0, sizeof(counted));
		for (i = 0; i < M_PAGES; i++) {
			const struct mpage *p = &m->p[i];

			if (p->state != 2 || p->site != k || now < p->ts || now - p->ts < min_age)
				continue;
			bytes += PG;
			if (!counted[p->alloc]) {
				counted[p->alloc] = 1;
				count++;
			}
			if (!oldest || p->ts < oldest)
				oldest = p->ts;
		}
		if (!ASSERT_EQ(g.seen[k], m->total_bytes[k] ? 1 : 0, "visited") ||
		    !ASSERT_EQ(g.s[k].outstanding_bytes, bytes, "outstanding bytes") ||
		    !ASSERT_EQ(g.s[k].outstanding_count, count, "outstanding count") ||
		    !ASSERT_EQ(g.s[k].oldest_ts_ns, oldest, "oldest") ||
		    !ASSERT_EQ(g.s[k].total_bytes, m->total_bytes[k], "total bytes") ||
		    !ASSERT_EQ(g.s[k].total_count, m->total_count[k], "total count")) {
			fprintf(stderr, "  step %d, site %d, min_age %llu\n", step, k,
				(unsigned long long)min_age);
			return false;
		}
	}
	return true;
}

/* One random operation on both; page numbers keep everything inside the model. */
static void random_op(struct regions *r, struct model *m, uint64_t ts)
{
	int site = rnd(M_SITES);
	struct ml_event e = event(0, 1 + site / 2, ts);
	uint64_t a, n, b, len, len2;

	e.category = ML_CAT_MMAP + site % 2;
	switch (rnd(6)) {
	case 0:
	case 1:		/* mmap, a quarter of them reservations */
		a = rnd(256);
		len = 1 + rnd(64 * PG);
		n = page_up(len);
		e.type = ML_EV_MMAP;
		e.map.prot = rnd(4) ? RW : PROT_NONE;
		model_clear(m, a, n);
		model_map(m, a, n, site, e.map.prot, ts);
		break;
	case 2:		/* munmap */
		a = rnd(M_PAGES);
		len = 1 + rnd(80 * PG);
		if (a + page_up(len) > M_PAGES)
			len = (M_PAGES - a) * PG;
		n = page_up(len);
		e.type = ML_EV_MUNMAP;
		model_clear(m, a, n);
		break;
	case 3:		/* mremap: in place a third of the time */
		a = rnd(256);
		len = rnd(8) ? 1 + rnd(64 * PG) : 0;
		b = rnd(3) ? rnd(256) : a;
		len2 = 1 + rnd(64 * PG);
		e.type = ML_EV_MREMAP;
		e.map.new_addr = M_BASE + b * PG;
		e.map.new_len = len2;
		model_mremap(m, a, page_up(len), b, page_up(len2), site, ts);
		break;
	case 4:		/* mprotect, usable or not */
		a = rnd(M_PAGES);
		len = rnd(80 * PG);
		if (a + page_up(len) > M_PAGES)
			len = (M_PAGES - a) * PG;
		e.type = ML_EV_MPROTECT;
		e.map.prot = rnd(2) ? PROT_READ : PROT_NONE;
		model_mprotect(m, a, page_up(len), e.map.prot, site, ts);
		break;
	default:	/* brk: unaligned breaks, some failures */
		a = M_BRK_PAGE;
		len = rnd(5) || !m->brk_known ? 0x10 + rnd(100 * PG) : m->brk - a * PG;
		e.type = ML_EV_BRK;
		e.brk.asked = M_BASE + a * PG + len;
		model_brk(m, a * PG + len, site, ts);
		break;
	}
	if (e.type != ML_EV_BRK) {
		e.map.addr = M_BASE + a * PG;
		e.map.len = len;
	} else {
		e.brk.brk = e.brk.asked;
	}
	ASSERT_OK(regions__apply(r, &e), "apply");
}

void test_regions_random(void)
{
	struct model *m = calloc(1, sizeof(*m));
	struct regions *r = regions__new();
	uint64_t ts = 0;
	int step;

	if (!ASSERT_OK_PTR(m, "model") || !ASSERT_OK_PTR(r, "new"))
		goto cleanup;
	cur_pid = 100;
	cur_exec = 1;
	for (step = 0; step < 5000; step++) {
		ts += 1 + rnd(20);
		random_op(r, m, ts);
		if (!model_check(r, m, ts, 0, step))
			break;
		if (step % 50 == 0 && !model_check(r, m, ts, rnd(ts + 1), step))
			break;
	}
	/* another image's events leave this one alone */
	cur_exec = 2;
	do_munmap(r, M_BASE, M_PAGES * PG);
	cur_exec = 1;
	model_check(r, m, ts, 0, step);
cleanup:
	regions__free(r);
	free(m);
}
