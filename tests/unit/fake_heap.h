/* tests/unit/fake_heap.h: a struct heap_maps fed by the test, standing in
 * for the BPF maps: sites (the "stats" map, already summed over CPUs),
 * outstanding blocks ("allocs"), stacks, drop counters and a Node.js
 * process's Buffer total ("node_mem").
 */
#ifndef FAKE_HEAP_H
#define FAKE_HEAP_H

#include "trace/heapmaps.h"

#define FAKE_MAX 32

struct fake_heap {
	struct heap_maps maps;
	struct heap_site sites[FAKE_MAX];
	int nsites;
	struct ml_alloc blocks[FAKE_MAX];
	int nblocks;
	struct {
		uint64_t id;
		struct ml_stack st;
	} stacks[FAKE_MAX];
	int nstacks;
	uint64_t drops[ML_DROP_MAX];
	uint64_t unwind[ML_UW_MAX];
	/* "node_mem": one entry, of node_mem_pid when it is not 0 */
	uint32_t node_mem_pid;
	struct ml_node_mem node_mem;
	int fail;		/* nonzero: sites() and blocks() return it */
};

void fake_heap__init(struct fake_heap *h);
/* Set (or add) the figures of site (pid, exec_id, stack_id, category). */
struct heap_site *fake_heap__site(struct fake_heap *h, uint32_t pid, uint32_t exec_id,
				  uint64_t stack_id, uint32_t category, int64_t bytes, int64_t count);
void fake_heap__block(struct fake_heap *h, const struct heap_site *site, uint64_t addr,
		      uint64_t size, uint64_t ts_ns);
/* Stack id with frames ips[0..n), leaf first. */
void fake_heap__stack(struct fake_heap *h, uint64_t id, const uint64_t *ips, int n);

#endif /* FAKE_HEAP_H */
