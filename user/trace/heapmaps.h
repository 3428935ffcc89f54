/* user/trace/heapmaps.h: what BPF aggregated, read through an interface.
 *
 * The tracer reads its maps (user/trace/tracer.c); the unit tests feed
 * recorded contents, so that everything above the BPF maps -- the
 * collector, the Node.js classifier -- runs without BPF.
 */
#ifndef HEAPMAPS_H
#define HEAPMAPS_H

#include <stdint.h>
#include <linux/types.h>	/* memleak.h's __u32 and friends */
#include "memleak.h"

/* One site ("site_ids" and its "site_stats" slot), its per-CPU figures summed. */
struct heap_site {
	struct ml_stat_key key;
	struct ml_stat stat;
};

struct heap_maps {
	void *ctx;
	/* Every site, summed over CPUs, in *out (the caller frees
	 * it).  Returns how many, or -errno.
	 */
	long (*sites)(void *ctx, struct heap_site **out);
	/* Every outstanding block (the block table) in *out (the caller
	 * frees it).  Returns how many, or -errno.
	 */
	long (*blocks)(void *ctx, struct ml_alloc **out);
	/* The frames of stack id.  0, or -ENOENT when not kept. */
	int (*stack)(void *ctx, uint64_t id, struct ml_stack *out);
	/* Events lost since tracing began, by reason (enum ml_drop). */
	void (*drops)(void *ctx, uint64_t drops[ML_DROP_MAX]);
	/* How stack walks went since tracing began (enum ml_unwind_counter). */
	void (*unwind_counts)(void *ctx, uint64_t counts[ML_UW_MAX]);
	/* Node.js: pid's "node_mem" entry.  0, or -ENOENT when it has none. */
	int (*node_mem)(void *ctx, uint32_t pid, struct ml_node_mem *out);
};

#endif /* HEAPMAPS_H */
