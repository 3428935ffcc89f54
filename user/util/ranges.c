// SPDX-License-Identifier: GPL-2.0
/* user/util/ranges.c: see ranges.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "util/ranges.h"

int range_alloc__init(struct range_alloc *a, uint32_t capacity)
{
	memset(a, 0, sizeof(*a));
	a->capacity = capacity;
	if (!capacity)
		return 0;
	if (ARRAY_GROW(a->free, a->free_cap, 1))
		return -ENOMEM;
	a->free[0] = (struct range){ 0, capacity };
	a->nfree = 1;
	return 0;
}

void range_alloc__release(struct range_alloc *a)
{
	free(a->free);
	memset(a, 0, sizeof(*a));
}

int range_alloc__get(struct range_alloc *a, uint32_t len, uint32_t *start)
{
	size_t i, best = a->nfree;
	uint32_t at, end;

	if (!len) {
		*start = 0;
		return 0;
	}
	for (i = 0; i < a->nfree; i++)
		if (a->free[i].len >= len && (best == a->nfree || a->free[i].len < a->free[best].len))
			best = i;
	if (best == a->nfree)
		return -ENOSPC;
	at = a->free[best].start;
	a->free[best].start += len;
	a->free[best].len -= len;
	if (!a->free[best].len) {
		memmove(&a->free[best], &a->free[best + 1], (a->nfree - best - 1) * sizeof(*a->free));
		a->nfree--;
	}
	end = at + len;
	if (at < a->high_water)
		a->reused += (end < a->high_water ? end : a->high_water) - at;
	if (end > a->high_water)
		a->high_water = end;
	a->in_use += len;
	*start = at;
	return 0;
}

int range_alloc__put(struct range_alloc *a, uint32_t start, uint32_t len)
{
	uint64_t end = (uint64_t)start + len;
	size_t i;
	bool join_prev, join_next;

	if (!len)
		return 0;
	if (end > a->capacity)
		return -EINVAL;
	/* i: the first free range after start */
	for (i = 0; i < a->nfree && a->free[i].start <= start; i++)
		;
	if (i > 0 && a->free[i - 1].start + (uint64_t)a->free[i - 1].len > start)
		return -EINVAL;	/* overlaps the free range before */
	if (i < a->nfree && a->free[i].start < end)
		return -EINVAL;	/* overlaps the free range after */
	join_prev = i > 0 && a->free[i - 1].start + a->free[i - 1].len == start;
	join_next = i < a->nfree && a->free[i].start == end;
	if (join_prev && join_next) {
		a->free[i - 1].len += len + a->free[i].len;
		memmove(&a->free[i], &a->free[i + 1], (a->nfree - i - 1) * sizeof(*a->free));
		a->nfree--;
	} else if (join_prev) {
		a->free[i - 1].len += len;
	} else if (join_next) {
		a->free[i].start = start;
		a->free[i].len += len;
	} else {
		if (ARRAY_GROW(a->free, a->free_cap, a->nfree + 1))
			return -ENOMEM;
		memmove(&a->free[i + 1], &a->free[i], (a->nfree - i) * sizeof(*a->free));
		a->free[i] = (struct range){ start, len };
		a->nfree++;
	}
	a->in_use -= len;
	return 0;
}

uint32_t range_alloc__largest(const struct range_alloc *a)
{
	uint32_t best = 0;
	size_t i;

	for (i = 0; i < a->nfree; i++)
		if (a->free[i].len > best)
			best = a->free[i].len;
	return best;
}
