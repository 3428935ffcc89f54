/* user/trace/node.h: Node.js awareness: which processes run node, what of their
 * memory is V8's heap, and V8's garbage collections.
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
 *    through one is V8 heap (node__classify).  Reservations are not
 *    counted until committed (user/target/regions.c), so the figure is the
 *    committed heap, what heapTotal reports, not V8's large reservations.
 *  - collections: a BPF probe on each collector's entry point (enum
 *    ml_gc_kind) sends an event in order with the mapping events; at each
 *    one the V8 heap's size is noted, and the least of an interval is the
 *    floor the trend verdict judges (growth that survives collections).
 */
#ifndef NODE_H
#define NODE_H

#include "trace/tracer.h"

/* The node executable or libnode that p maps, or NULL; looked up again
 * only when p's map has changed.
 */
const struct allocator_lib *node__of(struct tracer *t, struct proc *p);

/* A mapping event of p (mmap, mremap, mprotect) of category mmap: make it
 * v8_heap when it was made under V8's page allocator.
 */
void node__classify(struct tracer *t, struct proc *p, struct ml_event *e);

/* A V8 collection began in p: count it and note the V8 heap's size. */
void node__on_gc(struct tracer *t, struct proc *p, const struct ml_event *e);

#endif /* NODE_H */
