/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/heap.bpf.h: the heap's tables, the one place that knows their shape.
 *
 * "block_tags" and "blocks" hold each outstanding block (struct
 * ml_block_tags, struct ml_block: buckets in arrays, read and written
 * without a helper call, bpf/memleak.h says how); a block
 * names its site, a slot in "site_stats" (per CPU: the bytes and blocks
 * one process image, stack and category took and gave back).
 * "site_ids" gives a site key its slot; a thread remembers the last it
 * asked for (struct site_cache), as a loop allocates from one site again
 * and again.
 */
#ifndef HEAP_BPF_H
#define HEAP_BPF_H

/* Set by user space before load: "block_tags" has bucket_mask + 1
 * buckets (a power of two, at least 2), "blocks" ML_BUCKET_SLOTS slots for
 * each.
 */
const volatile __u32 bucket_mask = 1;
const volatile __u32 max_sites = 0;	/* the slots of "site_stats" */
/* --sample-bytes N: 0, every allocation counted exactly; otherwise one
 * sampled per N bytes on average and weighted (sample_math.h), with the
 * tables user space computed for N; "block_filter" is kept.
 */
const volatile __u64 sample_bytes = 0;
const volatile __u64 sample_thr[ML_SAMPLE_T + 1];
const volatile __u64 sample_g[ML_WEIGHT_N + 1];

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 18);		/* resized by user space */
	__type(key, __u32);
	__type(value, struct ml_block_tags);
} block_tags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 21);		/* resized by user space */
	__type(key, __u32);
	__type(value, struct ml_block);
} blocks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ML_FILTER_SLOTS / ML_FILTER_LANES);
	__type(key, __u32);
	__type(value, struct ml_block_filter);
} block_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 16);		/* resized by user space */
	__type(key, struct ml_stat_key);
	__type(value, __u32);
} site_ids SEC(".maps");

/* Per CPU: a hot site's counters are not bounced between CPUs.  The adds
 * stay atomic because uprobe programs may be preempted on their CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << 16);		/* as "site_ids" */
	__type(key, __u32);
	__type(value, struct ml_site_counts);
} site_stats SEC(".maps");

/* Slots user space took back from sites of processes gone, zeroed, for
 * new sites; slots never used come from site_next.
 */
struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 1 << 16);		/* as "site_ids" */
	__type(value, __u32);
} site_free SEC(".maps");

/* What blocks are stamped with: CLOCK_MONOTONIC in ns, kept current by
 * user space (user/util/ticker.h) every few ms; bpf_ktime_get_ns() costs
 * about half of the rest of an allocator's return.
 */
volatile __u64 block_clock_ns;

volatile __u32 site_next;	/* slots below it have been handed out */
/* Changed by user space after it takes sites back: a thread's memory of
 * its last site is good only under the same value.
 */
volatile __u32 site_epoch;

struct site_cache {
	struct ml_stat_key key;
	__u32 site;
	__u32 epoch;
	__u8 valid;
	__u8 pad[7];
};

static __always_inline void count_drop(__u32 why);

static __always_inline int site_key_eq(const struct ml_stat_key *a, const struct ml_stat_key *b)
{
	return a->stack_id == b->stack_id && a->pid == b->pid && a->exec_id == b->exec_id &&
	       a->category == b->category;
}

/* A slot for a new site: a taken-back one, or one never used. */
static __always_inline long site_slot_new(__u32 *slot)
{
	__u32 n;

	if (!bpf_map_pop_elem(&site_free, slot))
		return 0;
	n = __sync_fetch_and_add(&site_next, 1);
	if (n >= ML_MAX_SITES)
		return -1;
	*slot = n;
	return 0;
}

/* The slot of key's site, made if new; -1 when the table is full (counted). */
static __always_inline long site_of(struct site_cache *c, const struct ml_stat_key *key)
{
	__u32 epoch = site_epoch, slot, *found;
	long err;

	if (c->valid && c->epoch == epoch && site_key_eq(&c->key, key))
		return c->site;
	found = bpf_map_lookup_elem(&site_ids, key);
	if (found) {
		slot = *found;
	} else {
		if (site_slot_new(&slot) || slot >= max_sites) {
			count_drop(ML_DROP_STATS);
			return -1;
		}
		err = bpf_map_update_elem(&site_ids, key, &slot, BPF_NOEXIST);
		if (err) {
			bpf_map_push_elem(&site_free, &slot, 0);
			found = err == -17 /* EEXIST: another CPU was first */ ?
				bpf_map_lookup_elem(&site_ids, key) : NULL;
			if (!found) {
				count_drop(ML_DROP_STATS);
				return -1;
			}
			slot = *found;
		}
	}
	c->key = *key;
	c->site = slot;
	c->epoch = epoch;
	c->valid = 1;
	return slot;
}

static __always_inline struct ml_site_counts *site_counts(__u32 site)
{
	__u32 slot = ML_SITE_SLOT(site);

	return bpf_map_lookup_elem(&site_stats, &slot);
}

/* The two buckets a tag may live in, from its hash. */
static __always_inline void block_buckets(__u64 hash, __u32 *a, __u32 *b)
{
	*a = (__u32)hash & bucket_mask;
	*b = (__u32)(hash >> 32) & bucket_mask;
	if (*b == *a)
		*b = *a ^ 1;
}

/* The filter's counter for a hash (memleak.h), or NULL without sampling. */
static __always_inline __u32 *filter_counter(__u64 hash)
{
	__u32 slot = ml_block_filter_slot(hash), line = slot / ML_FILTER_LANES;
	struct ml_block_filter *f;

	if (!sample_bytes)
		return NULL;
	f = bpf_map_lookup_elem(&block_filter, &line);
	return f ? &f->n[slot % ML_FILTER_LANES] : NULL;
}

static __always_inline struct ml_block *block_slot(__u32 bucket, __u32 i)
{
	__u32 idx = bucket * ML_BUCKET_SLOTS + i;

	return bpf_map_lookup_elem(&blocks, &idx);
}

/* 1 when x is 0, without a branch: each branch that leaves a different
 * state would double the paths the verifier walks through a bucket.
 */
static __always_inline __u32 is_zero(__u64 x)
{
	x |= -x;
	asm volatile("" : "+r"(x));	/* opaque: the compiler would make "x != 0" of it */
	return 1 - (__u32)(x >> 63);
}

/* A bucket's slots holding tag (*match) and empty (*empty), as bit masks. */
static __always_inline void bucket_look(struct ml_block_tags *tags, __u64 tag, __u32 *match,
					__u32 *empty)
{
	__u32 m = 0, e = 0;
	__u64 t;
	int i;

#pragma unroll
	for (i = 0; i < ML_BUCKET_SLOTS; i++) {
		t = tags->tag[i];
		m |= is_zero(t ^ tag) << i;
		e |= is_zero(t) << i;
	}
	*match = m;
	*empty = e;
}

/* A bucket's slots holding tag, as a bit mask. */
static __always_inline __u32 bucket_match(struct ml_block_tags *tags, __u64 tag)
{
	__u32 m = 0;
	int i;

#pragma unroll
	for (i = 0; i < ML_BUCKET_SLOTS; i++)
		m |= is_zero(tags->tag[i] ^ tag) << i;
	return m;
}

static __always_inline int lowest_slot(__u32 m)
{
	int i;

#pragma unroll
	for (i = 0; i < ML_BUCKET_SLOTS; i++)
		if (m & (1U << i))
			return i;
	return -1;
}

static __always_inline __u32 slots_in(__u32 m)
{
	m = (m & 0x55) + ((m >> 1) & 0x55);
	m = (m & 0x33) + ((m >> 2) & 0x33);
	return (m & 0x0f) + (m >> 4);
}

/* Which of the slots in match holds pid's block: its index, or -1.  Two
 * processes may share a tag (the same address, pids equal in their low 16
 * bits): two such in one bucket are told apart, not more.
 */
static __always_inline int bucket_find(__u32 bucket, __u32 match, __u32 pid)
{
	struct ml_block *s;
	int i, round;

#pragma unroll
	for (round = 0; round < 2; round++) {
		i = lowest_slot(match);
		if (i < 0)
			return -1;
		s = block_slot(bucket, i);
		if (s && s->pid == pid)
			return i;
		match &= ~(1U << i);
	}
	return -1;
}

/* Claim one of the empty slots of bucket for b under tag; 0 when placed. */
static __always_inline int bucket_claim(struct ml_block_tags *tags, __u32 bucket, __u32 empty,
					__u64 tag, const struct ml_block *b)
{
	struct ml_block *s;
	int i, round;

	/* another CPU may take a slot first: two tries, then the other bucket */
#pragma unroll
	for (round = 0; round < 2; round++) {
		i = lowest_slot(empty);
		if (i < 0 || i >= ML_BUCKET_SLOTS)
			return -1;
		empty &= ~(1U << i);
		if (__sync_val_compare_and_swap(&tags->tag[i], ML_BLOCK_EMPTY, ML_BLOCK_BUSY) !=
		    ML_BLOCK_EMPTY)
			continue;
		s = block_slot(bucket, i);
		if (!s) {
			tags->tag[i] = ML_BLOCK_EMPTY;
			return -1;
		}
		*s = *b;
		tags->tag[i] = tag;
		return 0;
	}
	return -1;
}

/* Slot i of bucket holds (tag, pid), freed by a path we do not probe:
 * *stale gets it, b takes its place.  0 when done.
 */
static __always_inline int bucket_replace(struct ml_block_tags *tags, __u32 bucket, int i, __u64 tag,
					  const struct ml_block *b, struct ml_block *stale)
{
	struct ml_block *s;

	if (i < 0 || i >= ML_BUCKET_SLOTS)
		return -1;
	s = block_slot(bucket, i);
	if (!s || __sync_val_compare_and_swap(&tags->tag[i], tag, ML_BLOCK_BUSY) != tag)
		return -1;
	*stale = *s;
	*s = *b;
	tags->tag[i] = tag;
	return 0;
}

/* Below this many empty slots, a block goes to the roomier of its two
 * buckets rather than its first: with twice the slots of --max-allocs,
 * no bucket fills (simulated: 1M blocks in 2M slots, churned 4M times),
 * and 84-95% of blocks are found in their first bucket.
 */
#define ML_BUCKET_FIRST_ROOM 3

/* Put b in the table under tag.  A live block with the same tag and pid
 * was freed by a path we do not probe: *stale gets it, and its slot is
 * reused (returns 1).  Returns 0 when placed, -1 when both buckets are
 * full.
 */
static __always_inline int block_place(__u64 tag, __u64 hash, const struct ml_block *b,
				       struct ml_block *stale)
{
	struct ml_block_tags *ta, *tb;
	__u32 a, bb, ma, ea, mb, eb, room_a, room_b;
	int i;

	block_buckets(hash, &a, &bb);
	ta = bpf_map_lookup_elem(&block_tags, &a);
	tb = bpf_map_lookup_elem(&block_tags, &bb);
	if (!ta || !tb)
		return -1;
	bucket_look(ta, tag, &ma, &ea);
	bucket_look(tb, tag, &mb, &eb);
	if (ma | mb) {
		i = bucket_find(a, ma, b->pid);
		if (i >= 0)
			return bucket_replace(ta, a, i, tag, b, stale) ? -1 : 1;
		i = bucket_find(bb, mb, b->pid);
		if (i >= 0)
			return bucket_replace(tb, bb, i, tag, b, stale) ? -1 : 1;
	}
	room_a = slots_in(ea);
	room_b = slots_in(eb);
	if (room_a >= ML_BUCKET_FIRST_ROOM || room_a >= room_b)
		return bucket_claim(ta, a, ea, tag, b) && bucket_claim(tb, bb, eb, tag, b) ? -1 : 0;
	return bucket_claim(tb, bb, eb, tag, b) && bucket_claim(ta, a, ea, tag, b) ? -1 : 0;
}

/* Put b in the table under tag, counted in the filter first: a block in
 * its place (1) was there already, one not placed (-1) is not.
 */
static __always_inline int block_put(__u64 tag, const struct ml_block *b, struct ml_block *stale)
{
	__u64 hash = ml_block_hash(tag);
	__u32 *fc = filter_counter(hash);
	int put;

	if (fc)
		__sync_fetch_and_add(fc, 1);
	put = block_place(tag, hash, b, stale);
	if (fc && put)
		__sync_fetch_and_add(fc, -1);
	return put;
}

/* Take the block (tag, pid) out of the table into *out; 0 when it was
 * there.  A block we do not hold costs the tags of its two buckets, or
 * with the filter, mostly, one counter.
 */
static __always_inline int block_take(__u64 tag, __u32 pid, struct ml_block *out)
{
	struct ml_block_tags *tags;
	struct ml_block *s;
	__u32 a, b, bucket, match, *fc;
	__u64 hash;
	int i;

	hash = ml_block_hash(tag);
	fc = filter_counter(hash);
	if (fc && !*fc)
		return -1;	/* none of its slot's blocks is held: not this one */
	block_buckets(hash, &a, &b);
	bucket = a;
	tags = bpf_map_lookup_elem(&block_tags, &bucket);
	if (!tags)
		return -1;
	match = bucket_match(tags, tag);
	i = match ? bucket_find(bucket, match, pid) : -1;
	if (i < 0) {
		bucket = b;
		tags = bpf_map_lookup_elem(&block_tags, &bucket);
		if (!tags)
			return -1;
		match = bucket_match(tags, tag);
		i = match ? bucket_find(bucket, match, pid) : -1;
	}
	if (i < 0 || i >= ML_BUCKET_SLOTS)
		return -1;
	s = block_slot(bucket, i);
	if (!s)
		return -1;
	*out = *s;
	/* Whoever swaps it out owns it: a double free counts once. */
	if (__sync_val_compare_and_swap(&tags->tag[i], tag, ML_BLOCK_EMPTY) != tag)
		return -1;
	if (fc)
		__sync_fetch_and_add(fc, -1);
	return 0;
}

#endif /* HEAP_BPF_H */
