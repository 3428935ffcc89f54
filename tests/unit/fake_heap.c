// SPDX-License-Identifier: GPL-2.0
/* tests/unit/fake_heap.c: see fake_heap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fake_heap.h"

static long fake_sites(void *ctx, struct heap_site **out)
{
	struct fake_heap *h = ctx;

	*out = NULL;
	if (h->fail)
		return h->fail;
	if (!h->nsites)
		return 0;
	*out = malloc(h->nsites * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, h->sites, h->nsites * sizeof(**out));
	return h->nsites;
}

static long fake_blocks(void *ctx, struct ml_alloc **out)
{
	struct fake_heap *h = ctx;

	*out = NULL;
	if (h->fail)
		return h->fail;
	if (!h->nblocks)
		return 0;
	*out = malloc(h->nblocks * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	memcpy(*out, h->blocks, h->nblocks * sizeof(**out));
	return h->nblocks;
}

static int fake_stack(void *ctx, uint64_t id, struct ml_stack *out)
{
	struct fake_heap *h = ctx;
	int i;

	for (i = 0; i < h->nstacks; i++) {
		if (h->stacks[i].id == id) {
			*out = h->stacks[i].st;
			return 0;
		}
	}
	return -ENOENT;
}

static void fake_drops(void *ctx, uint64_t drops[ML_DROP_MAX])
{
	struct fake_heap *h = ctx;

	memcpy(drops, h->drops, sizeof(h->drops));
}

static void fake_unwind_counts(void *ctx, uint64_t counts[ML_UW_MAX])
{
	struct fake_heap *h = ctx;

	memcpy(counts, h->unwind, sizeof(h->unwind));
}

static int fake_node_mem(void *ctx, uint32_t pid, struct ml_node_mem *out)
{
	struct fake_heap *h = ctx;

	if (!h->node_mem_pid || h->node_mem_pid != pid)
		return -ENOENT;
	*out = h->node_mem;
	return 0;
}

void fake_heap__init(struct fake_heap *h)
{
	memset(h, 0, sizeof(*h));
	h->maps = (struct heap_maps){
		.ctx = h,
		.sites = fake_sites,
		.blocks = fake_blocks,
		.stack = fake_stack,
		.drops = fake_drops,
		.unwind_counts = fake_unwind_counts,
		.node_mem = fake_node_mem,
	};
}

struct heap_site *fake_heap__site(struct fake_heap *h, uint32_t pid, uint32_t exec_id,
				  uint64_t stack_id, uint32_t category, int64_t bytes, int64_t count)
{
	struct ml_stat_key key = { .pid = pid, .exec_id = exec_id, .stack_id = stack_id,
				   .category = category };
	struct heap_site *s = NULL;
	int i;

	for (i = 0; i < h->nsites && !s; i++)
		if (!memcmp(&h->sites[i].key, &key, sizeof(key)))
			s = &h->sites[i];
	if (!s) {
		if (h->nsites == FAKE_MAX)
			abort();	/* a test bigger than the fake */
		s = &h->sites[h->nsites++];
		memset(s, 0, sizeof(*s));
		s->key = key;
	}
	/* totals only grow: what was allocated stays allocated */
	if (bytes > s->stat.outstanding_bytes)
		s->stat.total_bytes += bytes - s->stat.outstanding_bytes;
	if (count > s->stat.outstanding_count)
		s->stat.total_count += count - s->stat.outstanding_count;
	s->stat.outstanding_bytes = bytes;
	s->stat.outstanding_count = count;
	return s;
}

void fake_heap__block(struct fake_heap *h, const struct heap_site *site, uint64_t addr,
		      uint64_t size, uint64_t ts_ns)
{
	if (h->nblocks == FAKE_MAX)
		abort();
	(void)addr;	/* the block's tag in "block_tags"; the collector reads the rest */
	h->blocks[h->nblocks++] = (struct ml_alloc){ .size = size, .ts_ns = ts_ns, .key = site->key };
}

void fake_heap__stack(struct fake_heap *h, uint64_t id, const uint64_t *ips, int n)
{
	if (h->nstacks == FAKE_MAX)
		abort();
	h->stacks[h->nstacks].id = id;
	memset(&h->stacks[h->nstacks].st, 0, sizeof(h->stacks[0].st));
	h->stacks[h->nstacks].st.nr = n;
	memcpy(h->stacks[h->nstacks].st.ips, ips, n * sizeof(*ips));
	h->nstacks++;
}
