// SPDX-License-Identifier: GPL-2.0
/* user/util/pidmap.c: see pidmap.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "util/pidmap.h"

/* Index of pid, or where it would go. */
static size_t lower_bound(const struct pidmap *m, pid_t pid)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void *pidmap__find(const struct pidmap *m, pid_t pid)
{
	size_t i = lower_bound(m, pid);

	return i < m->n && m->v[i].pid == pid ? m->v[i].obj : NULL;
}

int pidmap__insert(struct pidmap *m, pid_t pid, void *obj)
{
	size_t i = lower_bound(m, pid);

	if (ARRAY_GROW(m->v, m->cap, m->n + 1))
		return -ENOMEM;
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
	m->v[i] = (struct pidmap_slot){ pid, obj };
	m->n++;
	return 0;
}

void *pidmap__remove(struct pidmap *m, pid_t pid)
{
	size_t i = lower_bound(m, pid);
	void *obj;

	if (i >= m->n || m->v[i].pid != pid)
		return NULL;
	obj = m->v[i].obj;
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	m->n--;
	return obj;
}

void *pidmap__at(const struct pidmap *m, size_t i)
{
	return i < m->n ? m->v[i].obj : NULL;
}

void pidmap__release(struct pidmap *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}
