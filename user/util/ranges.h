/* user/util/ranges.h: an allocator of ranges of slots [0, capacity).
 *
 * What the unwind tables use for their rows and index entries in the BPF
 * arrays: a table takes one contiguous range, gives it back when it is
 * released, and a later table reuses the room.  Free ranges are kept
 * sorted and coalesced with their neighbours as they come back, so that
 * releasing every range leaves one free range again.  An allocation takes
 * the smallest free range that holds it (the lowest of equals), which
 * keeps the large free ranges whole for large tables.  Nothing is ever
 * moved: a slot in use stays where it was put.
 */
#ifndef RANGES_H
#define RANGES_H

#include <stddef.h>
#include <stdint.h>

struct range {
	uint32_t start, len;
};

struct range_alloc {
	uint32_t capacity;
	uint32_t in_use;	/* slots allocated */
	uint32_t high_water;	/* one past the highest slot ever allocated */
	uint64_t reused;	/* slots allocated below high_water: room given back and taken again */
	struct range *free;	/* sorted by start, none adjacent to another */
	size_t nfree, free_cap;
};

/* Everything free.  0 or -ENOMEM. */
int range_alloc__init(struct range_alloc *a, uint32_t capacity);
void range_alloc__release(struct range_alloc *a);

/* len slots at *start.  0, or -ENOSPC when no free range holds len
 * (a len of 0 takes nothing and succeeds, at 0).
 */
int range_alloc__get(struct range_alloc *a, uint32_t len, uint32_t *start);
/* Give [start, start + len) back.  0; -EINVAL if any of it is out of
 * range or free already (nothing changes then); -ENOMEM.
 */
int range_alloc__put(struct range_alloc *a, uint32_t start, uint32_t len);
/* The largest free range's length. */
uint32_t range_alloc__largest(const struct range_alloc *a);

#endif /* RANGES_H */
