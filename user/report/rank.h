/* user/report/rank.h: growth between reports and the ranking of stacks.
 *
 * Pure arithmetic over arrays, so that the rules are testable on their own:
 * growth is outstanding now minus outstanding at the previous report (a
 * site not seen before grew by all it holds); ranking is by the sort key,
 * largest first, ties broken by outstanding bytes, then by key, so that
 * two reports of the same state rank alike.
 */
#ifndef RANK_H
#define RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memleak.h"

/* How stacks are ranked (--sort). */
enum sort_key { SORT_GROWTH = 0, SORT_OUTSTANDING, SORT_COUNT, SORT_AGE };

int parse_sort_key(const char *s, enum sort_key *out);	/* 0 or -EINVAL */
const char *sort_key_name(enum sort_key k);		/* "growth", ...; "?" out of range */

struct site {
	struct ml_stat_key key;
	int64_t outstanding_bytes;
	int64_t outstanding_count;
	uint64_t total_bytes;
	uint64_t total_count;
	uint64_t oldest_ts_ns;		/* 0: unknown or nothing outstanding */
	int64_t growth_bytes;		/* filled by sites_apply_growth */
	bool known;			/* in the previous report (sites_apply_growth) */
};

struct site_prev {
	struct ml_stat_key key;
	int64_t outstanding_bytes;
};

int site_key_cmp(const struct ml_stat_key *a, const struct ml_stat_key *b);

/* Sort sites by key (needed before sites_find / sites_apply_growth). */
void sites_sort_by_key(struct site *v, size_t n);
struct site *sites_find(struct site *v, size_t n, const struct ml_stat_key *key);

/* Set growth_bytes and known of every site from prev (sorted by key).  Sites that
 * were in prev but are gone now are not represented (nothing to show).
 */
void sites_apply_growth(struct site *v, size_t n, const struct site_prev *prev, size_t nprev);

/* Snapshot for the next report: a sorted array of (key, outstanding). */
struct site_prev *sites_snapshot(const struct site *v, size_t n);

/* Order v for display by key (SORT_*).  Sites with nothing
 * outstanding and no growth are moved to the end; returns how many remain
 * in front (the candidates for the top N).
 */
size_t sites_rank(struct site *v, size_t n, enum sort_key key);

#endif /* RANK_H */
