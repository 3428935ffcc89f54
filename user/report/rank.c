// SPDX-License-Identifier: GPL-2.0
/* user/report/rank.c: growth and ranking arithmetic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/rank.h"

int site_key_cmp(const struct ml_stat_key *a, const struct ml_stat_key *b)
{
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->exec_id != b->exec_id)
		return a->exec_id < b->exec_id ? -1 : 1;
	if (a->stack_id != b->stack_id)
		return a->stack_id < b->stack_id ? -1 : 1;
	if (a->category != b->category)
		return a->category < b->category ? -1 : 1;
	return 0;
}

static int cmp_site_key(const void *a, const void *b)
{
	return site_key_cmp(&((const struct site *)a)->key, &((const struct site *)b)->key);
}

void sites_sort_by_key(struct site *v, size_t n)
{
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_site_key);
}

/* struct site and struct site_prev both begin with their key. */
static int cmp_key_first(const void *key, const void *elem)
{
	return site_key_cmp(key, elem);
}

struct site *sites_find(struct site *v, size_t n, const struct ml_stat_key *key)
{
	return n ? bsearch(key, v, n, sizeof(*v), cmp_key_first) : NULL;
}

static const struct site_prev *prev_find(const struct site_prev *v, size_t n,
					 const struct ml_stat_key *key)
{
	return n ? bsearch(key, v, n, sizeof(*v), cmp_key_first) : NULL;
}

void sites_apply_growth(struct site *v, size_t n, const struct site_prev *prev, size_t nprev)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct site_prev *p = prev_find(prev, nprev, &v[i].key);

		v[i].growth_bytes = v[i].outstanding_bytes - (p ? p->outstanding_bytes : 0);
		v[i].known = p != NULL;
	}
}

struct site_prev *sites_snapshot(const struct site *v, size_t n)
{
	struct site_prev *s = calloc(n ? n : 1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		s[i].key = v[i].key;
		s[i].outstanding_bytes = v[i].outstanding_bytes;
	}
	return s;	/* v is sorted by key, so is s */
}

static enum sort_key rank_key;

static int64_t rank_value(const struct site *s)
{
	switch (rank_key) {
	case SORT_OUTSTANDING:
		return s->outstanding_bytes;
	case SORT_COUNT:
		return s->outstanding_count;
	case SORT_AGE:
		/* oldest first: the smallest timestamp; unknown ages last.  Every
		 * nanosecond counts (no halving), and INT64_MAX - ts >= 0 > INT64_MIN.
		 */
		if (!s->oldest_ts_ns)
			return INT64_MIN;
		return INT64_MAX - (int64_t)(s->oldest_ts_ns < INT64_MAX ? s->oldest_ts_ns : INT64_MAX);
	case SORT_GROWTH:
	default:
		return s->growth_bytes;
	}
}

static int cmp_rank(const void *pa, const void *pb)
{
	const struct site *a = pa, *b = pb;
	int64_t va = rank_value(a), vb = rank_value(b);

	if (va != vb)
		return va > vb ? -1 : 1;
	if (a->outstanding_bytes != b->outstanding_bytes)
		return a->outstanding_bytes > b->outstanding_bytes ? -1 : 1;
	return site_key_cmp(&a->key, &b->key);
}

size_t sites_rank(struct site *v, size_t n, enum sort_key key)
{
	size_t i, live = 0;

	/* Partition: sites with something to show first. */
	for (i = 0; i < n; i++) {
		if (v[i].outstanding_bytes > 0 || v[i].growth_bytes != 0) {
			struct site tmp = v[live];

			v[live] = v[i];
			v[i] = tmp;
			live++;
		}
	}
	rank_key = key;
	if (live > 1)
		qsort(v, live, sizeof(*v), cmp_rank);
	return live;
}

static const char *const sort_names[] = {
	[SORT_GROWTH] = "growth",
	[SORT_OUTSTANDING] = "outstanding",
	[SORT_COUNT] = "count",
	[SORT_AGE] = "age",
};

int parse_sort_key(const char *s, enum sort_key *out)
{
	size_t i;

	for (i = 0; s && i < sizeof(sort_names) / sizeof(sort_names[0]); i++) {
		if (!strcmp(s, sort_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *sort_key_name(enum sort_key k)
{
	if ((unsigned)k >= sizeof(sort_names) / sizeof(sort_names[0]))
		return "?";
	return sort_names[k];
}
