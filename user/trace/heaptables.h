/* user/trace/heaptables.h: the heap's BPF tables (bpf/heap.bpf.h) from
 * user space: their sizes, reading them for the collector, and taking back
 * the entries of processes gone.
 */
#ifndef HEAPTABLES_H
#define HEAPTABLES_H

#include <stdbool.h>
#include <stdint.h>
#include "trace/heapmaps.h"

struct memleak_bpf;

/* Before load: room for max_blocks outstanding blocks (the table has
 * twice as many slots, so that probe sequences stay short) and max_sites
 * sites.
 */
void heap_tables__size(struct memleak_bpf *skel, uint64_t max_blocks, uint64_t max_sites);

/* Every site, its per-CPU figures summed (fixed point with --sample-bytes,
 * as BPF keeps them), in *out (the caller frees it).  Returns how many, or
 * -errno.
 */
long heap_tables__sites(struct memleak_bpf *skel, struct heap_site **out);

/* Every outstanding block with its site's key, in *out (the caller frees
 * it).  Returns how many, or -errno.
 */
long heap_tables__blocks(struct memleak_bpf *skel, struct ml_alloc **out);

/* Take out the blocks and sites of the images gone(ctx, pid, exec_id)
 * names, and hand their site slots back to BPF.  The stack ids of the
 * sites left go in *kept, *nkept of them (repeats possible; the caller
 * frees it).  Returns 0 or -errno (nothing is lost: what is left is taken
 * at the next call; *kept is then NULL).
 */
typedef bool (*heap_gone_fn)(void *ctx, uint32_t pid, uint32_t exec_id);
int heap_tables__purge(struct memleak_bpf *skel, heap_gone_fn gone, void *ctx, uint64_t **kept,
		       size_t *nkept);

/* With --sample-bytes, the filter of blocks held (bpf/memleak.h) against
 * the table: the blocks held (*held) and counted (*counted); returns how
 * many of its slots differ from their blocks (0 while nothing is in
 * flight), or -errno.
 */
long heap_tables__filter_check(struct memleak_bpf *skel, long *held, long *counted);

#endif /* HEAPTABLES_H */
