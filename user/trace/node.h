/* user/trace/node.h: Node.js awareness: which processes run node, what of
 * their memory is V8's heap, and V8's garbage collections.
 *
 * The three Node categories come from three mechanisms, each the one
 * place that knows:
 *  - buffer: BPF probes on node::NodeArrayBufferAllocator::Allocate and
 *    ::AllocateUninitialized (enum ml_func), the allocator V8 asks for
 *    every ArrayBuffer and Buffer backing store; the block goes back
 *    through free().  It is what process.memoryUsage().arrayBuffers adds
 *    up, so the two agree.
 *  - v8_heap: V8 maps its heap pages itself -- reserved PROT_NONE, then
 *    committed with mprotect, 256 KiB a page -- always under a function of
 *    v8::internal::MemoryAllocator.  A mapping event whose stack passes
 *    through one is V8 heap (node_tracker__classify).  Reservations are not
 *    counted until committed (user/target/regions.c), so the figure is the
 *    committed heap, what heapTotal reports, not V8's large reservations.
 *  - collections: a BPF probe on each collector's entry point (enum
 *    ml_gc_kind) sends an event in order with the mapping events; the full
 *    collector's return, and the function where V8 then sets the next
 *    one's limit from the live size of its old generation, send theirs.  What
 *    survives full collections is kept (struct node_full): the trend
 *    verdict of the V8 heap and of Buffers is judged on it, because
 *    objects promoted to the old generation -- garbage or not -- go only
 *    in a full collection, which V8 may not run for minutes.
 *
 * The tracker owns the per-process Node.js state; the tracer feeds it
 * events, the collector reads it at each report.
 */
#ifndef NODE_H
#define NODE_H

#include <stdint.h>
#include "target/allocators.h"
#include "target/proctable.h"
#include "target/regions.h"
#include "trace/heapmaps.h"

struct node_tracker;

/* Looks files up in allocators, reads V8's heap size from regions. */
struct node_tracker *node_tracker__new(struct allocators *allocators, struct regions *regions);
void node_tracker__free(struct node_tracker *n);	/* accepts NULL */

/* The node executable or libnode that p maps, or NULL; looked up again
 * only when p's map or image has changed.
 */
const struct allocator_lib *node_tracker__of(struct node_tracker *n, const struct proc *p);

/* A mapping event e of p (mmap, mremap, mprotect) of category mmap: make it
 * v8_heap when it was made under V8's page allocator (its stack read from
 * maps).
 */
void node_tracker__classify(struct node_tracker *n, const struct proc *p, const struct heap_maps *maps,
			    struct ml_event *e);

/* A V8 collection began, or a full one ended (an ML_EV_GC event): count
 * it, or note what survived it.
 */
void node_tracker__on_gc(struct node_tracker *n, const struct ml_event *e);

/* Full collections remembered per process: the most recent ones. */
#define NODE_FULL_KEEP 8

/* A process right after one full collection (its collector returned). */
struct node_full {
	uint64_t ts_ns;			/* when it ended (CLOCK_MONOTONIC) */
	uint64_t full_total;		/* full collections since tracing began, this one included */
	uint64_t scavenges_total;	/* young-generation collections since tracing began */
	int64_t v8_live;		/* V8's own count of its old generation's live bytes; -1: unknown */
	int64_t v8_heap;		/* the committed V8 heap (category v8_heap) as it ended */
	/* Buffer bytes: their least from its end to the beginning of the
	 * next full collection, or to now (V8 frees the dead ArrayBuffers on
	 * a worker thread, a little after it, or at the next collection;
	 * scavenges free only younger ones: it never falls below what the
	 * full collection left alive)
	 */
	int64_t buffer;
	/* native heap bytes (category native, the blocks made since node's
	 * first Buffer): their least likewise (V8's records of the
	 * ArrayBuffers it found dead are freed with them)
	 */
	int64_t native;
	bool settled;			/* the next full collection has begun: buffer is final */
};

/* The collections of pid's interval that ends at this report. */
struct node_interval {
	uint64_t gc[ML_GC_MAX];		/* in the interval */
	uint64_t gc_total[ML_GC_MAX];	/* since tracing began */
	int nfull;			/* the last full collections, oldest first */
	struct node_full full[NODE_FULL_KEEP];
};

/* End pid's interval: what it saw, then a new interval begins.  maps
 * (NULL: none) brings the Buffer and native low points of a full collection whose
 * watch is still open up to now.
 */
void node_tracker__end_interval(struct node_tracker *n, pid_t pid, const struct heap_maps *maps,
				struct node_interval *out);

/* pid has gone: forget it. */
void node_tracker__forget(struct node_tracker *n, pid_t pid);

#endif /* NODE_H */
