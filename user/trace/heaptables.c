// SPDX-License-Identifier: GPL-2.0
/* user/trace/heaptables.c: the heap's BPF tables from user space.
 *
 * The block table ("block_tags" and "blocks", 64 MiB by default) is read
 * through windows of a few MiB at a time (map_window_open()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "memleak.skel.h"
#include "trace/bpfmaps.h"
#include "trace/heaptables.h"

#define CHUNK_BUCKETS 16384	/* 1 MiB of tags, 3 MiB of slots: page-aligned offsets */
#define STATS_BATCH 4096

void heap_tables__size(struct memleak_bpf *skel, uint64_t max_blocks, uint64_t max_sites)
{
	uint64_t slots = 2 * ML_BUCKET_SLOTS;

	/* twice the slots: two choices keep buckets short of full to 70% */
	while (slots < 2 * max_blocks && slots < (1ULL << 31))
		slots <<= 1;
	if (max_sites > ML_MAX_SITES)
		max_sites = ML_MAX_SITES;
	bpf_map__set_max_entries(skel->maps.block_tags, slots / ML_BUCKET_SLOTS);
	bpf_map__set_max_entries(skel->maps.blocks, slots);
	skel->rodata->bucket_mask = slots / ML_BUCKET_SLOTS - 1;
	bpf_map__set_max_entries(skel->maps.site_ids, max_sites);
	bpf_map__set_max_entries(skel->maps.site_stats, max_sites);
	bpf_map__set_max_entries(skel->maps.site_free, max_sites);
	skel->rodata->max_sites = max_sites;
}

/* Site keys by slot, from "site_ids". */
struct site_index {
	struct ml_stat_key *keys;	/* by slot */
	unsigned char *known;		/* 1: keys[slot] is a site's */
	uint32_t nslots;		/* the highest slot named + 1 */
	struct ml_stat_key *ids;	/* the dump: keys and their slots */
	uint32_t *slots;
	long n;
};

static void site_index_free(struct site_index *ix)
{
	free(ix->keys);
	free(ix->known);
	free(ix->ids);
	free(ix->slots);
}

static int site_index_read(struct memleak_bpf *skel, struct site_index *ix)
{
	uint32_t max = bpf_map__max_entries(skel->maps.site_stats);
	long i;

	memset(ix, 0, sizeof(*ix));
	ix->n = map_dump(bpf_map__fd(skel->maps.site_ids), sizeof(*ix->ids), sizeof(*ix->slots),
			 (void **)&ix->ids, (void **)&ix->slots);
	if (ix->n < 0)
		return ix->n;
	for (i = 0; i < ix->n; i++)
		if (ix->slots[i] < max && ix->slots[i] >= ix->nslots)
			ix->nslots = ix->slots[i] + 1;
	ix->keys = calloc(ix->nslots ? ix->nslots : 1, sizeof(*ix->keys));
	ix->known = calloc(ix->nslots ? ix->nslots : 1, 1);
	if (!ix->keys || !ix->known) {
		site_index_free(ix);
		return -ENOMEM;
	}
	for (i = 0; i < ix->n; i++) {
		if (ix->slots[i] >= ix->nslots)
			continue;
		ix->keys[ix->slots[i]] = ix->ids[i];
		ix->known[ix->slots[i]] = 1;
	}
	return 0;
}

/* The per-CPU figures of slots [0, n), summed, into sum[]. */
static int site_stats_read(struct memleak_bpf *skel, uint32_t n, struct ml_stat *sum)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = bpf_map__fd(skel->maps.site_stats), ncpu = libbpf_num_possible_cpus();
	uint32_t *keys = NULL, token = 0, done = 0, i;
	struct ml_site_counts *vals = NULL;
	int err = 0, c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	keys = malloc(STATS_BATCH * sizeof(*keys));
	vals = malloc((size_t)STATS_BATCH * ncpu * sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto out;
	}
	while (done < n) {
		__u32 count = n - done < STATS_BATCH ? n - done : STATS_BATCH;

		if (bpf_map_lookup_batch(fd, done ? &token : NULL, &token, keys, vals, &count,
					 &opts) && errno != ENOENT) {
			err = -errno;
			goto out;
		}
		if (!count)
			break;
		for (i = 0; i < count; i++) {
			struct ml_stat *s;

			if (keys[i] >= n)
				continue;
			s = &sum[keys[i]];
			for (c = 0; c < ncpu; c++) {
				const struct ml_site_counts *v = &vals[(size_t)i * ncpu + c];

				s->outstanding_bytes += v->alloc_bytes - v->freed_bytes;
				s->outstanding_count += v->alloc_count - v->freed_count;
				s->total_bytes += v->alloc_bytes;
				s->total_count += v->alloc_count;
			}
		}
		done += count;
	}
out:
	free(keys);
	free(vals);
	return err;
}

long heap_tables__sites(struct memleak_bpf *skel, struct heap_site **out)
{
	struct ml_stat *sum = NULL;
	struct heap_site *sites = NULL;
	struct site_index ix;
	long i, n = 0;
	int err;

	*out = NULL;
	err = site_index_read(skel, &ix);
	if (err)
		return err;
	if (ix.n) {
		sum = calloc(ix.nslots ? ix.nslots : 1, sizeof(*sum));
		sites = calloc(ix.n, sizeof(*sites));
		err = !sum || !sites ? -ENOMEM : site_stats_read(skel, ix.nslots, sum);
	}
	for (i = 0; !err && i < ix.n; i++) {
		if (ix.slots[i] >= ix.nslots)
			continue;
		sites[n].key = ix.ids[i];
		sites[n++].stat = sum[ix.slots[i]];
	}
	free(sum);
	site_index_free(&ix);
	if (err) {
		free(sites);
		return err;
	}
	*out = sites;
	return n;
}

/* One live slot, copied as it is between two reads of its tag. */
static int block_copy(const uint64_t *tag_word, const struct ml_block *s, struct ml_block *out,
		      uint64_t *tag)
{
	*tag = __atomic_load_n(tag_word, __ATOMIC_ACQUIRE);
	if (!ML_BLOCK_LIVE(*tag))
		return 0;
	*out = *s;
	return __atomic_load_n(tag_word, __ATOMIC_ACQUIRE) == *tag;
}

/* Calls visit() on every live slot of the block table, mapped writable
 * when write (visit may then swap the tag).  Returns 0 or -errno.
 */
static int blocks_walk(struct memleak_bpf *skel, int write,
		       int (*visit)(uint64_t *tag_word, uint64_t tag, const struct ml_block *copy,
				    void *ctx),
		       void *ctx)
{
	size_t nbuckets = bpf_map__max_entries(skel->maps.block_tags), first, n, i;
	int tags_fd = bpf_map__fd(skel->maps.block_tags), slots_fd = bpf_map__fd(skel->maps.blocks);
	int err = 0;

	for (first = 0; first < nbuckets && !err; first += n) {
		struct map_window tw, sw;
		struct ml_block_tags *tags;
		struct ml_block *slots, copy;
		uint64_t tag;

		n = nbuckets - first < CHUNK_BUCKETS ? nbuckets - first : CHUNK_BUCKETS;
		tags = map_window_open(&tw, tags_fd, first * sizeof(*tags), n * sizeof(*tags), write);
		slots = map_window_open(&sw, slots_fd, first * ML_BUCKET_SLOTS * sizeof(*slots),
					n * ML_BUCKET_SLOTS * sizeof(*slots), false);
		if (!tags || !slots)
			err = -errno;
		for (i = 0; i < n * ML_BUCKET_SLOTS && !err; i++) {
			uint64_t *word = (uint64_t *)&tags[i / ML_BUCKET_SLOTS].tag[i % ML_BUCKET_SLOTS];

			if (block_copy(word, &slots[i], &copy, &tag))
				err = visit(word, tag, &copy, ctx);
		}
		map_window_close(&tw);
		map_window_close(&sw);
	}
	return err;
}

struct blocks_out {
	const struct site_index *ix;
	struct ml_alloc *v;
	size_t n, cap;
};

static int collect_block(uint64_t *tag_word, uint64_t tag, const struct ml_block *b, void *ctx)
{
	struct blocks_out *o = ctx;
	uint32_t site = ML_SITE_SLOT(b->site);
	struct ml_alloc *a;

	if (site >= o->ix->nslots || !o->ix->known[site])
		return 0;	/* a site made since "site_ids" was read */
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 4096;
		struct ml_alloc *v = realloc(o->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		o->v = v;
		o->cap = cap;
	}
	a = &o->v[o->n++];
	a->size = b->size;
	a->ts_ns = b->ts_ns;
	a->key = o->ix->keys[site];
	a->key.flags = b->site & ML_SITE_NODE_NATIVE ? ML_ALLOC_NODE_NATIVE : 0;
	return 0;
}

long heap_tables__blocks(struct memleak_bpf *skel, struct ml_alloc **out)
{
	struct site_index ix;
	struct blocks_out o = { .ix = &ix };
	int err;

	*out = NULL;
	err = site_index_read(skel, &ix);
	if (!err)
		err = blocks_walk(skel, 0, collect_block, &o);
	site_index_free(&ix);
	if (err) {
		free(o.v);
		return err;
	}
	*out = o.v;
	return o.n;
}

/* "block_filter", mapped whole (256 KiB), or NULL and errno. */
static struct ml_block_filter *filter_open(struct map_window *w, struct memleak_bpf *skel,
					   bool write)
{
	return map_window_open(w, bpf_map__fd(skel->maps.block_filter), 0,
			       ML_FILTER_SLOTS / ML_FILTER_LANES * sizeof(struct ml_block_filter),
			       write);
}

/* Slot slot's counter in a mapping of "block_filter". */
static uint32_t *filter_counter(struct ml_block_filter *filter, uint32_t slot)
{
	return &filter[slot / ML_FILTER_LANES].n[slot % ML_FILTER_LANES];
}

struct purge {
	const struct site_index *ix;
	unsigned char *gone;		/* by slot */
	struct ml_block_filter *filter;	/* mapped when BPF keeps it */
};

static int purge_block(uint64_t *tag_word, uint64_t tag, const struct ml_block *b, void *ctx)
{
	struct purge *p = ctx;
	uint32_t site = ML_SITE_SLOT(b->site);

	if (site >= p->ix->nslots || !p->gone[site])
		return 0;
	/* as BPF takes a block: out of the table, then out of the filter */
	if (__atomic_compare_exchange_n(tag_word, &tag, ML_BLOCK_EMPTY, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED) &&
	    p->filter)
		__atomic_fetch_sub(filter_counter(p->filter, ml_block_filter_slot(ml_block_hash(tag))),
				   1, __ATOMIC_ACQ_REL);
	return 0;
}

int heap_tables__purge(struct memleak_bpf *skel, heap_gone_fn gone, void *ctx, uint64_t **kept,
		       size_t *nkept)
{
	int ids_fd = bpf_map__fd(skel->maps.site_ids), stats_fd = bpf_map__fd(skel->maps.site_stats);
	int free_fd = bpf_map__fd(skel->maps.site_free), ncpu = libbpf_num_possible_cpus();
	struct site_index ix;
	struct purge p = { .ix = &ix };
	struct map_window fw = { 0 };
	struct ml_site_counts *zero = NULL;
	uint64_t *named = NULL;
	size_t nnamed = 0;
	long i, ngone = 0;
	int err;

	*kept = NULL;
	*nkept = 0;
	err = site_index_read(skel, &ix);
	if (err)
		return err;
	p.gone = calloc(ix.nslots ? ix.nslots : 1, 1);
	zero = calloc(ncpu > 0 ? ncpu : 1, sizeof(*zero));
	named = malloc((ix.n ? ix.n : 1) * sizeof(*named));
	if (!p.gone || !zero || !named) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < ix.n; i++)
		if (ix.slots[i] < ix.nslots && gone(ctx, ix.ids[i].pid, ix.ids[i].exec_id)) {
			p.gone[ix.slots[i]] = 1;
			ngone++;
		} else {
			named[nnamed++] = ix.ids[i].stack_id;
		}
	if (!ngone)
		goto out;
	if (skel->rodata->sample_bytes) {
		p.filter = filter_open(&fw, skel, true);
		if (!p.filter) {
			err = -errno;
			goto out;
		}
	}
	/* Blocks first: none may name a slot once it is handed out again. */
	err = blocks_walk(skel, 1, purge_block, &p);
	if (err)
		goto out;
	for (i = 0; i < ix.n; i++)
		if (ix.slots[i] < ix.nslots && p.gone[ix.slots[i]])
			bpf_map_delete_elem(ids_fd, &ix.ids[i]);
	/* Threads forget the sites they remember... */
	__atomic_fetch_add(&skel->bss->site_epoch, 1, __ATOMIC_SEQ_CST);
	/* ...and the slots go back zeroed. */
	for (i = 0; i < ix.n; i++) {
		uint32_t slot = ix.slots[i];

		if (slot >= ix.nslots || !p.gone[slot])
			continue;
		if (bpf_map_update_elem(stats_fd, &slot, zero, BPF_ANY) == 0)
			bpf_map_update_elem(free_fd, NULL, &slot, BPF_ANY);
	}
out:
	if (err) {
		free(named);
	} else {
		*kept = named;
		*nkept = nnamed;
	}
	map_window_close(&fw);
	free(zero);
	free(p.gone);
	site_index_free(&ix);
	return err;
}

static int count_filter_slot(uint64_t *tag_word, uint64_t tag, const struct ml_block *b, void *ctx)
{
	uint32_t *held = ctx;

	held[ml_block_filter_slot(ml_block_hash(tag))]++;
	return 0;
}

long heap_tables__filter_check(struct memleak_bpf *skel, long *held, long *counted)
{
	uint32_t *by_slot = calloc(ML_FILTER_SLOTS, sizeof(*by_slot));
	struct ml_block_filter *filter;
	struct map_window fw = { 0 };
	long differ = 0;
	size_t i;
	int err;

	*held = *counted = 0;
	if (!by_slot)
		return -ENOMEM;
	err = blocks_walk(skel, 0, count_filter_slot, by_slot);
	filter = err ? NULL : filter_open(&fw, skel, false);
	if (!err && !filter)
		err = -errno;
	for (i = 0; filter && i < ML_FILTER_SLOTS; i++) {
		uint32_t n = __atomic_load_n(filter_counter(filter, i), __ATOMIC_RELAXED);

		*held += by_slot[i];
		*counted += n;
		differ += n != by_slot[i];
	}
	map_window_close(&fw);
	free(by_slot);
	return err ? err : differ;
}
