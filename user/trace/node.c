// SPDX-License-Identifier: GPL-2.0
/* user/trace/node.c: see node.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "trace/node.h"
#include "util/pidmap.h"

/* What the tracker knows of one process. */
struct node_proc {
	uint32_t image;			/* struct proc's image it was found in */
	const struct allocator_lib *lib;	/* the node file it maps, or NULL */
	size_t checked_n;		/* maps.n when lib was last looked for */
	uint64_t gc[ML_GC_MAX];		/* V8 collections since tracing began */
	uint64_t gc_last[ML_GC_MAX];	/* ... at the previous report */
	int nfull;			/* the last full collections, oldest first */
	struct node_full *full;		/* NODE_FULL_KEEP, made at the first (most
					 * processes are not Node.js) */
};

static void node_proc__free(struct node_proc *np)
{
	if (np)
		free(np->full);
	free(np);
}

struct node_tracker {
	struct allocators *allocators;
	struct regions *regions;
	struct pidmap procs;		/* struct node_proc */
};

struct node_tracker *node_tracker__new(struct allocators *allocators, struct regions *regions)
{
	struct node_tracker *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->allocators = allocators;
	n->regions = regions;
	return n;
}

void node_tracker__free(struct node_tracker *n)
{
	struct node_proc *np;
	size_t i;

	if (!n)
		return;
	for (i = 0; (np = pidmap__at(&n->procs, i)); i++)
		node_proc__free(np);
	pidmap__release(&n->procs);
	free(n);
}

static struct node_proc *node_proc_get(struct node_tracker *n, pid_t pid)
{
	struct node_proc *np = pidmap__find(&n->procs, pid);

	if (np)
		return np;
	np = calloc(1, sizeof(*np));
	if (!np)
		return NULL;
	if (pidmap__insert(&n->procs, pid, np)) {
		free(np);
		return NULL;
	}
	return np;
}

const struct allocator_lib *node_tracker__of(struct node_tracker *n, const struct proc *p)
{
	struct node_proc *np = node_proc_get(n, p->pid);
	char rooted[PATH_MAX];
	size_t i;

	if (!np)
		return NULL;
	if (np->image != p->image) {	/* the new image may run something else */
		np->image = p->image;
		np->lib = NULL;
		np->checked_n = 0;
	}
	/* looked at again only when the map has changed (libnode loaded,
	 * the map read anew after execve)
	 */
	if (np->lib || np->checked_n == p->maps.n)
		return np->lib;
	np->checked_n = p->maps.n;
	for (i = 0; i < p->maps.n && !np->lib; i++) {
		const struct map_entry *e = &p->maps.v[i];
		const struct allocator_lib *lib;

		if (e->perms[2] != 'x' || !map_entry__is_file(e))
			continue;
		snprintf(rooted, sizeof(rooted), "%s%s", p->root, e->path);
		lib = allocators__inspect(n->allocators, rooted, e->path);
		if (!lib)	/* gone from its namespace: ours may have it */
			lib = allocators__inspect(n->allocators, e->path, e->path);
		if (lib && lib->is_node)
			np->lib = lib;
	}
	return np->lib;
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

void node_tracker__classify(struct node_tracker *n, const struct proc *p, const struct heap_maps *maps,
			    struct ml_event *e)
{
	const struct allocator_lib *lib;
	struct ml_stack st;
	__u32 i;

	if (e->category != ML_CAT_MMAP || !e->stack_id)
		return;
	lib = node_tracker__of(n, p);
	if (!lib || !lib->nv8_pages)
		return;
	if (maps->stack(maps->ctx, e->stack_id, &st))
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

/* A full collection ended: what survived it. */
static void full_over(struct node_tracker *n, struct node_proc *np, const struct ml_event *e)
{
	struct v8_sum sum = { .exec_id = e->exec_id };
	struct node_full *f;

	if (!np->full && !(np->full = calloc(NODE_FULL_KEEP, sizeof(*np->full))))
		return;
	if (n->regions)
		regions__visit(n->regions, e->pid, e->ts_ns, 0, add_v8, &sum);
	if (np->nfull == NODE_FULL_KEEP) {
		memmove(&np->full[0], &np->full[1], (NODE_FULL_KEEP - 1) * sizeof(np->full[0]));
		np->nfull--;
	}
	f = &np->full[np->nfull++];
	*f = (struct node_full){
		.ts_ns = e->ts_ns,
		.full_total = np->gc[ML_GC_FULL],
		.scavenges_total = np->gc[ML_GC_SCAVENGE] + np->gc[ML_GC_MINOR_MC],
		.v8_live = -1,		/* V8 tells it next (an event of its own) */
		.v8_heap = sum.bytes,
		.buffer = e->gc.buffer_bytes,
		.native = e->gc.native_bytes,
	};
}

/* The Buffer and native low points since the last full collection ended:
 * buffer_low and native_low, or -1 when BPF did not follow them; settle:
 * the watch is over.
 */
static void lower_lows(struct node_proc *np, int64_t buffer_low, int64_t native_low, bool settle)
{
	struct node_full *f = np->nfull ? &np->full[np->nfull - 1] : NULL;

	if (!f || f->settled)
		return;
	if (buffer_low >= 0 && buffer_low < f->buffer)
		f->buffer = buffer_low;
	if (native_low >= 0 && native_low < f->native)
		f->native = native_low;
	f->settled = settle;
}

void node_tracker__on_gc(struct node_tracker *n, const struct ml_event *e)
{
	struct node_proc *np;

	if (e->gc.kind >= ML_GC_MAX)
		return;
	np = node_proc_get(n, e->pid);
	if (!np)
		return;
	if (e->gc.after == 1) {
		full_over(n, np, e);
		return;
	}
	if (e->gc.after == 2) {
		if (np->nfull && np->full[np->nfull - 1].v8_live < 0)
			np->full[np->nfull - 1].v8_live = (int64_t)e->gc.v8_live;
		return;
	}
	np->gc[e->gc.kind]++;
	lower_lows(np, e->gc.buffer_low, e->gc.native_low, e->gc.kind == ML_GC_FULL);
}

void node_tracker__end_interval(struct node_tracker *n, pid_t pid, const struct heap_maps *maps,
				struct node_interval *out)
{
	struct node_proc *np = pidmap__find(&n->procs, pid);
	struct ml_node_mem mem;
	int k;

	memset(out, 0, sizeof(*out));
	if (!np)
		return;
	for (k = 0; k < ML_GC_MAX; k++) {
		out->gc[k] = np->gc[k] - np->gc_last[k];
		out->gc_total[k] = np->gc[k];
		np->gc_last[k] = np->gc[k];
	}
	/* the watch of the last collection's low point, up to now */
	if (maps && maps->node_mem && !maps->node_mem(maps->ctx, pid, &mem) && mem.low_open)
		lower_lows(np, mem.buffer_low, mem.native_low, false);
	out->nfull = np->nfull;
	if (np->nfull)
		memcpy(out->full, np->full, np->nfull * sizeof(np->full[0]));
}

void node_tracker__forget(struct node_tracker *n, pid_t pid)
{
	node_proc__free(pidmap__remove(&n->procs, pid));
}
