/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/heap.bpf.h: the heap's tables, the one place that knows their shape.
 *
 * "blocks" holds each outstanding block (struct ml_block: an open-addressed
 * table in an array, read and written without a helper call); a block
 * names its site, a slot in "site_stats" (per CPU: the outstanding and
 * total bytes and counts of one process image, stack and category).
 * "site_ids" gives a site key its slot; a thread remembers the last it
 * asked for (struct site_cache), as a loop allocates from one site again
 * and again.
 */
#ifndef HEAP_BPF_H
#define HEAP_BPF_H

/* Set by user space before load: "blocks" has block_mask + 1 slots, a
 * power of two.
 */
const volatile __u32 block_mask = 0;
const volatile __u32 max_sites = 0;	/* the slots of "site_stats" */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1 << 21);		/* resized by user space */
	__type(key, __u32);
	__type(value, struct ml_block);
} blocks SEC(".maps");

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
	__type(value, struct ml_stat);
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

static __always_inline struct ml_stat *site_stat(__u32 site)
{
	__u32 slot = ML_SITE_SLOT(site);

	return bpf_map_lookup_elem(&site_stats, &slot);
}

static __always_inline __u32 block_home(__u64 tag)
{
	tag ^= tag >> 33;
	tag *= 0xff51afd7ed558ccdULL;
	tag ^= tag >> 33;
	return (__u32)tag;
}

static __always_inline struct ml_block *block_slot(__u32 home, __u32 i)
{
	__u32 idx = (home + i) & block_mask;

	return bpf_map_lookup_elem(&blocks, &idx);
}

/* Put b in the table under tag.  A live block with the same tag and pid
 * was freed by a path not probed: *stale gets it, and its slot is reused
 * (returns 1).  Returns 0 when placed, -1 when its probe sequence is full.
 */
static __always_inline int block_put(__u64 tag, const struct ml_block *b, struct ml_block *stale)
{
	__u32 home = block_home(tag), i, first_free = ML_BLOCK_PROBES;
	struct ml_block *s;
	__u64 cur;

#pragma clang loop unroll(disable)
	for (i = 0; i < ML_BLOCK_PROBES; i++) {
		s = block_slot(home, i);
		if (!s)
			return -1;
		cur = s->tag;
		if (cur == tag && s->pid == b->pid &&
		    __sync_val_compare_and_swap(&s->tag, tag, ML_BLOCK_BUSY) == tag) {
			*stale = *s;
			stale->tag = tag;
			s->size = b->size;
			s->ts_ns = b->ts_ns;
			s->site = b->site;
			s->tag = tag;
			return 1;
		}
		if (!ML_BLOCK_LIVE(cur) && cur != ML_BLOCK_BUSY && first_free == ML_BLOCK_PROBES)
			first_free = i;
		if (cur == ML_BLOCK_EMPTY)
			break;	/* the same block cannot be further on */
	}
	/* Claim the first free slot; another CPU may take it first. */
#pragma clang loop unroll(disable)
	for (i = first_free; i < ML_BLOCK_PROBES; i++) {
		s = block_slot(home, i);
		if (!s)
			return -1;
		cur = s->tag;
		if (cur != ML_BLOCK_EMPTY && cur != ML_BLOCK_GONE)
			continue;
		if (__sync_val_compare_and_swap(&s->tag, cur, ML_BLOCK_BUSY) != cur)
			continue;
		s->pid = b->pid;
		s->size = b->size;
		s->ts_ns = b->ts_ns;
		s->site = b->site;
		s->tag = tag;
		return 0;
	}
	return -1;
}

/* Take the block (tag, pid) out of the table into *out; 0 when it was
 * there.  A block we do not hold costs the probes up to an empty slot.
 */
static __always_inline int block_take(__u64 tag, __u32 pid, struct ml_block *out)
{
	__u32 home = block_home(tag), i;
	struct ml_block *s;
	__u64 cur;

#pragma clang loop unroll(disable)
	for (i = 0; i < ML_BLOCK_PROBES; i++) {
		s = block_slot(home, i);
		if (!s)
			return -1;
		cur = s->tag;
		if (cur == ML_BLOCK_EMPTY)
			return -1;
		if (cur != tag || s->pid != pid)
			continue;
		*out = *s;
		/* Whoever swaps it out owns it: a double free counts once. */
		if (__sync_val_compare_and_swap(&s->tag, tag, ML_BLOCK_GONE) != tag)
			return -1;
		out->tag = tag;
		return 0;
	}
	return -1;
}

#endif /* HEAP_BPF_H */
