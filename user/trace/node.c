// SPDX-License-Identifier: GPL-2.0
/* user/trace/node.c: see node.h. */
#include <limits.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "memleak.skel.h"
#include "trace/node.h"

const struct allocator_lib *node__of(struct tracer *t, struct proc *p)
{
	char rooted[PATH_MAX];
	size_t i;

	/* looked at again only when the map has changed (libnode loaded,
	 * the map read anew after execve)
	 */
	if (p->node || p->node_checked_n == p->maps.n)
		return p->node;
	p->node_checked_n = p->maps.n;
	for (i = 0; i < p->maps.n && !p->node; i++) {
		const struct map_entry *e = &p->maps.v[i];
		const struct allocator_lib *lib;

		if (e->perms[2] != 'x' || !map_entry__is_file(e))
			continue;
		snprintf(rooted, sizeof(rooted), "%s%s", p->root, e->path);
		lib = allocators__inspect(t->allocators, rooted, e->path);
		if (!lib)	/* gone from its namespace: ours may have it */
			lib = allocators__inspect(t->allocators, e->path, e->path);
		if (lib && lib->is_node)
			p->node = lib;
	}
	return p->node;
}

/* Is the return address (or, for the leaf, the address) ip in V8's page
 * allocator, in the node file of p?
 */
static bool in_v8_pages(const struct proc *p, const struct allocator_lib *lib, uint64_t ip)
{
	const struct map_entry *e = proc_maps__find(&p->maps, ip);

	if (!e || e->inode != lib->inode || makedev(e->dev_major, e->dev_minor) != lib->dev)
		return false;
	return allocator_lib__in_v8_pages(lib, ip - e->start + e->offset);
}

void node__classify(struct tracer *t, struct proc *p, struct ml_event *e)
{
	const struct allocator_lib *lib;
	struct ml_stack st;
	__u32 i;

	if (e->category != ML_CAT_MMAP || !e->stack_id)
		return;
	lib = node__of(t, p);
	if (!lib || !lib->nv8_pages)
		return;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stacks), &e->stack_id, &st))
		return;
	for (i = 0; i < st.nr && i < ML_MAX_FRAMES; i++) {
		/* a caller's frame is its return address: look up the call */
		if (st.ips[i] && in_v8_pages(p, lib, i ? st.ips[i] - 1 : st.ips[i])) {
			e->category = ML_CAT_V8_HEAP;
			return;
		}
	}
}

struct v8_sum {
	uint32_t exec_id;
	int64_t bytes;
};

static void add_v8(pid_t pid, uint32_t exec_id, const struct region_site *site, void *ctx)
{
	struct v8_sum *sum = ctx;

	if (exec_id == sum->exec_id && site->category == ML_CAT_V8_HEAP)
		sum->bytes += site->outstanding_bytes;
}

void node__on_gc(struct tracer *t, struct proc *p, const struct ml_event *e)
{
	struct v8_sum sum = { .exec_id = e->exec_id };

	if (e->addr >= ML_GC_MAX)
		return;
	p->gc[e->addr]++;
	regions__visit(t->regions, p->pid, e->ts_ns, 0, add_v8, &sum);
	if (p->v8_floor < 0 || sum.bytes < p->v8_floor)
		p->v8_floor = sum.bytes;
}
