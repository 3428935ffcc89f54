/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/unwind.bpf.h: the walk of a user stack by CFI tables.
 *
 * User space compiles each executable file's .eh_frame into rows
 * (user/target/cfi.c), loads them into "unwind_rows" and gives every
 * traced process its mappings in "unwind_procs" (user/trace/unwind.c).
 * Each step finds the mapping of the address, the row that covers it,
 * and from the row the canonical frame address (CFA): the return address
 * is at CFA - 8, the caller's rsp is the CFA, and rbp is restored from
 * where the row says it was saved.  Where there is no row (JIT code, a
 * file without CFI, a table not loaded yet) one frame-pointer step is
 * taken and the walk goes back to the tables (--unwind auto).
 *
 * What it costs: a frame whose row is in the per-CPU cache of rows by
 * address costs a lookup and a step; otherwise the mapping (the last one
 * used first), two index entries and ~5 halvings among rows.  Calls are
 * what cost most on these machines, so the searches are inline loops and
 * bpf_loop takes two frames a step; the walk's state lives in map memory
 * so that the verifier checks a step once (tools/bench-unwind.sh).
 */
#ifndef UNWIND_BPF_H
#define UNWIND_BPF_H

const volatile __u8 unwind_mode = ML_UNWIND_AUTO;	/* enum ml_unwind_mode */
/* The generation of the last change to "unwind_procs", a write or a
 * removal (user space sets it after each: user/trace/unwind.c).  A walk
 * made under the same value saw the same tables: a replay needs no look-up
 * of the process's entry.
 */
volatile __u32 unwind_epoch;

#define ML_UNWIND_WINDOW 4096	/* what a walk grows the stack window to */

/* The state of a walk, kept in map memory (the stack scratch) rather than
 * on the BPF stack: the verifier does not follow values through map
 * memory, so it checks one frame of the walk for all frames, where values
 * it tracked from frame to frame would make every walk look new.
 */
struct uwalk_regs {
	__u64 win_len;		/* bytes in the window, 0 when the copy failed */
	__u32 win_grows;	/* the window may take another chunk */
	__u32 pad;
	__u64 sp0;		/* the stack pointer the window starts at */
	__u64 ip, sp, bp;
	__u64 ra_at;		/* where the leaf's return address is, if it has no row */
	__u64 id;		/* the hash so far */
	__u32 end;		/* enum ml_unwind_counter, once the walk is over */
	__u32 caller;		/* ip is a return address: look up the call */
	__u32 last;		/* 1 + the index in proc of the previous frame's mapping: a
				 * caller is often in the same file; 0: none */
	__u32 bp_initial;	/* bp is still the one the walk started from */
	/* 1 + where in the window bp was read from, until a frame uses it:
	 * only then is the word recorded in the memo.  Code without frame
	 * pointers saves rbp as any callee-saved register, holding a
	 * request's pointers: recorded at once, it would make each walk
	 * look new.
	 */
	__u32 bp_from;
	__u32 pad2;
};

struct row_search {		/* the bounds of find_row() and find_mapping() */
	__u32 lo, n;
};

/* A walk is a function of its inputs: the registers it starts from, the
 * process's tables (their generation) and the stack words it reads.  A
 * walk on a CPU keeps those inputs and its result in one of its CPU's
 * memos, chosen by the registers; when a later walk on that CPU is the
 * same thread's, from the same registers, and every word the earlier one
 * read still holds the same value, the result is the same: it is replayed
 * by comparing those words alone.  A loop that allocates from one place
 * pays for its stack once; so does a server whose requests allocate from
 * a few dozen places in turn (one memo would be taken by each in turn).
 * The registers choose a set of two memos: two callers of one allocating
 * function often call it with the same registers, and take turns.
 */
#define ML_MEMO_READS 256
#define ML_MEMO_SLOTS 64	/* memos per CPU, a power of two */

struct walk_memo {
	__u64 ip, sp, bp, ra_at;
	__u64 id;		/* the stack id the walk gave */
	__u32 tid;
	__u32 epoch;		/* unwind_epoch when the walk began */
	__u32 end;		/* how the walk ended (ML_UW_END_*) */
	__u32 valid;		/* replayable: recorded whole (ok), not being recorded */
	__u32 need_bp;		/* the walk used the rbp it started from (frame-pointer
				 * code): a replay needs the same; elsewhere rbp is just
				 * a register whose value does not matter */
	__u32 nreads;
	__u32 read_end;		/* the end of the furthest word read, from sp */
	__u32 ok;		/* the walk being recorded has read nothing outside the
				 * window, found no mapping through the kernel, not made
				 * too many reads */
	__u64 used;		/* unwind_scratch.tick when last recorded or replayed */
	__u32 off[ML_MEMO_READS];	/* where each word is, from sp */
	__u64 val[ML_MEMO_READS];	/* what it held */
};

struct unwind_scratch {
	__u32 seq;		/* walks begun: one begun meanwhile (preemption) voids a memo */
	__u32 pad;
	__u64 tick;		/* memos recorded and replayed: which of a set is older */
	struct uwalk_regs regs;
	struct row_search rs;
	__u64 cut;		/* see read_stack() */
	struct ml_unwind_mapping vma;	/* a mapping found through the kernel */
	struct umem umem;	/* a replay's reads through the direct map */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ML_MEMO_SLOTS);
	__type(key, __u32);
	__type(value, struct walk_memo);
} walk_memos SEC(".maps");

/* The set of two memos for a walk from these registers: its first slot. */
static __always_inline __u32 memo_set(__u64 ip, __u64 sp, __u64 ra_at)
{
	return (((sp ^ (ip << 7) ^ (ra_at << 3)) * 0x9e3779b97f4a7c15ULL) >> 32) &
	       (ML_MEMO_SLOTS - 2);
}

static __always_inline struct walk_memo *memo_at(__u32 slot)
{
	slot &= ML_MEMO_SLOTS - 1;
	return bpf_map_lookup_elem(&walk_memos, &slot);
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* resized by user space */
	__uint(map_flags, BPF_F_MMAPABLE);	/* user space writes the rows in place */
	__type(key, __u32);
	__type(value, struct ml_row_block);
} unwind_rows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* resized by user space */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ml_index_block);
} unwind_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 13);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);			/* tgid */
	__type(value, struct ml_unwind_proc);
} unwind_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 13);
	__type(key, struct ml_unwind_file_key);
	__type(value, struct ml_unwind_file);
} unwind_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ML_UW_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} unwind_counts SEC(".maps");

/* Rows found lately, by the address looked up: most walks climb through
 * the same call sites again and again, and a hit costs one load and two
 * compares where the mapping, the index and a search cost a dozen.  A
 * slot holds for the process's generation of mappings (user space gives
 * each new mapping table a new one), so that nothing stale is used after
 * an exec, a dlopen or a dlclose.
 */
#define ML_ROW_CACHE_BITS 12
#define ML_ROW_CACHE_SLOTS (1u << ML_ROW_CACHE_BITS)

struct ml_row_cache_slot {
	__u64 pc;
	__u32 gen;
	struct ml_unwind_row row;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ML_ROW_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct ml_row_cache_slot);
} unwind_row_cache SEC(".maps");

static __always_inline struct ml_row_cache_slot *row_cache_slot(__u64 pc)
{
	__u32 slot = (pc * 0x9e3779b97f4a7c15ULL) >> (64 - ML_ROW_CACHE_BITS);

	return bpf_map_lookup_elem(&unwind_row_cache, &slot);
}

static __always_inline void count_unwind(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&unwind_counts, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline struct ml_unwind_row *row_at(__u32 idx)
{
	__u32 block = idx / ML_ROWS_PER_BLOCK;
	struct ml_row_block *b = bpf_map_lookup_elem(&unwind_rows, &block);

	return b ? &b->rows[idx % ML_ROWS_PER_BLOCK] : NULL;
}

/* The mapping that holds pc, the last one starting at or below it: 1 +
 * its index in proc->m, 0 for none.  Inline, like find_row().
 */
#define ML_MAPPING_HALVINGS 9	/* log2(ML_UNWIND_MAPPINGS) + 1 */

static __always_inline __u32 find_mapping(struct ml_unwind_proc *proc, __u64 pc,
					  volatile struct row_search *rs)
{
	struct ml_unwind_mapping *m;
	__u32 j, lo, n, half;

	rs->lo = 0;
	rs->n = proc->n < ML_UNWIND_MAPPINGS ? proc->n : ML_UNWIND_MAPPINGS;
#pragma clang loop unroll(disable)
	for (j = 0; j < ML_MAPPING_HALVINGS; j++) {
		n = rs->n;
		if (!n)
			break;
		lo = rs->lo;
		half = n / 2;
		if (proc->m[(lo + half) & (ML_UNWIND_MAPPINGS - 1)].start <= pc) {
			rs->lo = lo + half + 1;
			rs->n = n - half - 1;
		} else {
			rs->n = half;
		}
	}
	lo = rs->lo;
	if (!lo)
		return 0;
	m = &proc->m[(lo - 1) & (ML_UNWIND_MAPPINGS - 1)];
	return pc < m->end ? lo : 0;
}

static __always_inline int index_at(__u32 idx, __u32 *out)
{
	__u32 block = idx / ML_INDEX_PER_BLOCK;
	struct ml_index_block *b = bpf_map_lookup_elem(&unwind_index, &block);

	if (!b)
		return -1;
	*out = b->rows[idx % ML_INDEX_PER_BLOCK];
	return 0;
}

/* The row covering rel in the mapping's table: the last one at or below,
 * searched among the rows its index entries enclose.  Inline, not a
 * bpf_loop callback: every call and return costs ~20 ns on this kind of
 * machine (the return thunk of the SRSO mitigation), and a search is ~5
 * halvings.  The bounds live in map memory (the scratch): read back, they
 * are values the verifier knows nothing of, so that it checks one halving
 * for every search rather than each sequence of halvings a table allows.
 */
#define ML_ROW_HALVINGS 25	/* tables hold fewer than 2^24 rows */

static __always_inline struct ml_unwind_row *find_row(const struct ml_unwind_mapping *m, __u32 rel,
						       volatile struct row_search *rs)
{
	__u32 k = rel >> ML_INDEX_SHIFT, first = m->first_row, n = m->nrows, a, b, j, lo, half;
	struct ml_unwind_row *r;

	rs->lo = first;
	rs->n = n;
	if (k + 1 < m->nindex && !index_at(m->first_index + k, &a) &&
	    !index_at(m->first_index + k + 1, &b) && a <= b && a >= first && b < first + n) {
		rs->lo = a;
		rs->n = b - a + 1;
	}
#pragma clang loop unroll(disable)
	for (j = 0; j < ML_ROW_HALVINGS; j++) {
		n = rs->n;
		if (!n)
			break;
		lo = rs->lo;
		half = n / 2;
		r = row_at(lo + half);
		if (!r)
			return NULL;
		if (r->pc <= rel) {
			rs->lo = lo + half + 1;
			rs->n = n - half - 1;
		} else {
			rs->n = half;
		}
	}
	lo = rs->lo;
	return lo > first ? row_at(lo - 1) : NULL;
}

/* The mapping that holds pc as the kernel knows it, made into an entry of
 * the walk's kind from the file's table: a process whose own mappings the
 * walk does not know yet (just started, a library just loaded).
 */
struct vma_lookup {
	struct ml_unwind_mapping *out;
	int found;
};

static long describe_text_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_lookup *l = data;
	struct ml_unwind_file_key key = { 0 };
	struct ml_unwind_file *f;
	struct file *file = vma->vm_file;

	if (!file)
		return 0;
	key.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	key.inode = BPF_CORE_READ(file, f_inode, i_ino);
	f = bpf_map_lookup_elem(&unwind_files, &key);
	if (!f)
		return 0;
	l->out->start = vma->vm_start;
	l->out->end = vma->vm_end;
	l->out->bias = vma->vm_start - (vma->vm_pgoff << 12) - f->file_to_pc;
	l->out->first_row = f->first_row;
	l->out->nrows = f->nrows;
	l->out->first_index = f->first_index;
	l->out->nindex = f->nindex;
	l->out->status = f->status;
	l->found = 1;
	return 0;
}

static __always_inline struct ml_unwind_mapping *find_vma_mapping(__u64 pc, struct ml_unwind_mapping *out)
{
	struct vma_lookup l = { .out = out };

	count_unwind(ML_UW_VMA_LOOKUPS);
	bpf_find_vma(bpf_get_current_task_btf(), pc, describe_text_vma, &l, 0);
	return l.found ? out : NULL;
}

struct uwalk {
	struct ml_stack *s;
	struct ml_unwind_proc *proc;
	__u8 *window;		/* a copy of [sp0, sp0 + win_len) */
	struct unwind_scratch *us;	/* the walk's registers and search bounds */
	struct uwalk_regs *r;	/* = &us->regs */
	struct walk_memo *memo;	/* of the registers' set (memo_set()), being recorded */
};

static __always_inline void memo_read(struct uwalk *w, __u64 off, __u64 val)
{
	struct walk_memo *m = w->memo;
	__u32 i = m->nreads;

	if (i >= ML_MEMO_READS) {
		m->ok = 0;
		return;
	}
	m->off[i & (ML_MEMO_READS - 1)] = off;
	m->val[i & (ML_MEMO_READS - 1)] = val;
	m->nreads = i + 1;
	if (off + 8 > m->read_end)
		m->read_end = off + 8;
}

/* The window grows as the walk climbs, to the next KiB the walk needs,
 * in one read: a deep stack costs a helper call per KiB or more rather
 * than one or two per frame.  A read past the top of the stack (where a
 * program's first frames are) stops its growth: the rest is read frame
 * by frame.
 */
static __always_inline int grow_window(struct uwalk *w, __u64 need)
{
	volatile __u64 *cut = &w->us->cut;
	__u64 at, len;

	if (!w->r->win_grows)
		return -1;
	*cut = w->r->win_len;
	at = *cut & (ML_UNWIND_WINDOW - ML_STACK_WINDOW);
	*cut = ((need + ML_STACK_WINDOW - 1) & ~(__u64)(ML_STACK_WINDOW - 1)) - at;
	len = *cut & (ML_UNWIND_WINDOW - 1);	/* the window has room for at + len */
	if (at != w->r->win_len || !len ||
	    bpf_probe_read_user(w->window + at, len, (void *)(w->r->sp0 + at))) {
		w->r->win_grows = 0;
		return -1;
	}
	w->r->win_len = at + len;
	return 0;
}

/* 8 bytes of the stack, from the window when they are in it; recorded
 * in the memo, or, for a saved rbp (from), when a frame uses it.
 */
static __always_inline int read_stack_to(struct uwalk *w, __u64 addr, __u64 *out, __u32 *from)
{
	volatile __u64 *cut = &w->us->cut;
	__u64 off = addr - w->r->sp0;

	if (off + 8 <= w->r->win_len || (off + 8 <= ML_UNWIND_WINDOW && !grow_window(w, off + 8))) {
		/* Through memory the verifier does not follow: indexing the
		 * window would make it track sp, rbp and the CFA exactly back
		 * through every step, and no two walks would ever look alike.
		 */
		*cut = off;
		off = *cut & (ML_UNWIND_WINDOW - 1);
		if (off > ML_UNWIND_WINDOW - 8)
			return -1;
		*out = *(__u64 *)(w->window + off);
		if (from)
			*from = off + 1;
		else
			memo_read(w, off, *out);
		return 0;
	}
	w->memo->ok = 0;
	return bpf_probe_read_user(out, sizeof(*out), (void *)addr) ? -1 : 0;
}

static __always_inline int read_stack(struct uwalk *w, __u64 addr, __u64 *out)
{
	return read_stack_to(w, addr, out, NULL);
}

/* A saved rbp, into bp. */
static __always_inline int read_bp(struct uwalk *w, __u64 addr)
{
	w->r->bp_from = 0;
	return read_stack_to(w, addr, &w->r->bp, &w->r->bp_from);
}

/* The walk depends on rbp: the one it started from (see struct
 * walk_memo), or the word it was read from.
 */
static __always_inline void bp_used(struct uwalk *w)
{
	if (w->r->bp_initial)
		w->memo->need_bp = 1;
	else if (w->r->bp_from)
		memo_read(w, w->r->bp_from - 1, w->r->bp);
	w->r->bp_from = 0;
}

/* One frame-pointer step: {saved rbp, return address} at rbp. */
static __always_inline int fp_step(struct uwalk *w)
{
	__u64 bp = w->r->bp;

	bp_used(w);
	/* The ABI's end of the chain: _start zeroes rbp (ld.so's own
	 * _start has no CFI to say so)
	 */
	if (!bp) {
		w->r->end = ML_UW_END_COMPLETE;
		return 1;
	}
	if (!next_fp_ok(bp, w->r->sp - 1) || read_stack(w, bp + 8, &w->r->ip) || read_bp(w, bp)) {
		w->r->end = ML_UW_END_FP;
		return 1;
	}
	w->r->sp = bp + 16;
	w->r->bp_initial = 0;
	return 0;
}

static __always_inline int row_step(struct uwalk *w, const struct ml_unwind_row *r)
{
	__u64 cfa, ra;

	switch (r->cfa_rule) {
	case ML_CFA_RSP:
		cfa = w->r->sp + r->cfa_off;
		break;
	case ML_CFA_RBP:
		bp_used(w);
		cfa = w->r->bp + r->cfa_off;
		break;
	case ML_CFA_PLT:
		cfa = w->r->sp + r->cfa_off + ((w->r->ip & 15) >= r->plt_threshold ? 8 : 0);
		break;
	case ML_CFA_END:
		w->r->end = ML_UW_END_COMPLETE;
		return 1;
	default:
		w->r->end = ML_UW_END_UNSUPPORTED;
		return 1;
	}
	if (read_stack(w, cfa - 8, &ra) || (r->rbp_off && read_bp(w, cfa + r->rbp_off))) {
		w->r->end = ML_UW_END_READ;
		return 1;
	}
	if (r->rbp_off)
		w->r->bp_initial = 0;
	w->r->sp = cfa;
	w->r->ip = ra;
	return 0;
}

/* The leaf, at a probe on a function's entry (or a syscall) without a row:
 * its return address is at ra_at, which the probe's placement knows, so
 * that the immediate caller is never lost.
 */
static __always_inline int leaf_step(struct uwalk *w)
{
	if (read_stack(w, w->r->ra_at, &w->r->ip)) {
		w->r->end = ML_UW_END_READ;
		return 1;
	}
	w->r->sp = w->r->ra_at + 8;
	return 0;
}

/* Where there is no row: a frame-pointer step (auto), or the end (dwarf). */
static __always_inline int no_row_step(struct uwalk *w, __u32 fp_reason, __u32 end)
{
	if (!w->r->caller)
		return leaf_step(w);
	if (unwind_mode == ML_UNWIND_DWARF) {
		w->r->end = end;
		return 1;
	}
	count_unwind(fp_reason);
	return fp_step(w);
}

static __always_inline __u32 fp_reason_of(__u32 table_status)
{
	switch (table_status) {
	case ML_TABLE_NONE:
		return ML_UW_FP_STEP_NO_TABLE;
	case ML_TABLE_PENDING:
		return ML_UW_FP_STEP_PENDING;
	case ML_TABLE_BUDGET:
		return ML_UW_FP_STEP_BUDGET;
	default:
		return ML_UW_FP_STEP_NO_ROW;
	}
}

/* The row for pc by the process's mappings and their tables.  NULL when
 * there is none: then *fp_reason says why (for the count of frame-pointer
 * steps), *end how a walk by tables only ends there, and *cacheable
 * whether the row may be remembered under the process's generation.
 */
static __always_inline struct ml_unwind_row *lookup_row(struct uwalk *w, __u64 pc, __u32 *fp_reason,
							 __u32 *end, int *cacheable)
{
	struct ml_unwind_mapping *m = NULL;
	struct ml_unwind_row *r;

	*cacheable = 0;
	if (w->proc && w->r->last) {
		m = &w->proc->m[(w->r->last - 1) & (ML_UNWIND_MAPPINGS - 1)];
		if (pc < m->start || pc >= m->end)
			m = NULL;
	}
	if (!m && w->proc) {
		w->r->last = find_mapping(w->proc, pc, &w->us->rs);
		if (w->r->last)
			m = &w->proc->m[(w->r->last - 1) & (ML_UNWIND_MAPPINGS - 1)];
	}
	if (m) {
		*cacheable = 1;
	} else {
		w->memo->ok = 0;	/* the kernel's state, not recorded */
		m = find_vma_mapping(pc, &w->us->vma);
	}
	if (!m) {
		*fp_reason = ML_UW_FP_STEP_NO_MAPPING;
		*end = ML_UW_END_NO_MAPPING;
		return NULL;
	}
	*end = ML_UW_END_NO_ROW;
	if (m->status != ML_TABLE_READY) {
		*fp_reason = fp_reason_of(m->status);
		return NULL;
	}
	*fp_reason = ML_UW_FP_STEP_NO_ROW;
	r = pc - m->bias < (1ULL << 32) ? find_row(m, pc - m->bias, &w->us->rs) : NULL;
	return r && r->cfa_rule != ML_CFA_NONE ? r : NULL;
}

/* One frame.  Returns 1 when the walk is over. */
static __always_inline int uwalk_frame(struct uwalk *w)
{
	struct ml_row_cache_slot *slot = NULL;
	struct ml_unwind_row row, *r;
	__u32 fp_reason = 0, end = 0, gen = 0;
	int done, found = 0, cacheable;
	__u64 pc;

	/* The registers are read back from map memory at every frame (see
	 * struct uwalk_regs): no value is carried from one frame to the next
	 * where the verifier could follow it.
	 */
	asm volatile("" ::: "memory");
	pc = w->r->caller ? w->r->ip - 1 : w->r->ip;
	if (w->proc) {
		gen = w->proc->gen;
		slot = row_cache_slot(pc);
		if (slot && slot->pc == pc && slot->gen == gen) {
			row = slot->row;
			found = 1;
		}
	}
	if (!found) {
		r = lookup_row(w, pc, &fp_reason, &end, &cacheable);
		if (r) {
			/* a copy either way: one row_step() to verify, not one
			 * per kind of map the row came from
			 */
			row = *r;
			found = 1;
			if (slot && cacheable) {
				slot->pc = pc;
				slot->gen = gen;
				slot->row = row;
			}
		}
	}
	done = found ? row_step(w, &row) : no_row_step(w, fp_reason, end);
	if (done)
		return 1;
	if (!w->r->ip) {		/* a zeroed return address closes some stacks */
		w->r->end = ML_UW_END_COMPLETE;
		return 1;
	}
	if (w->s->nr >= ML_MAX_FRAMES) {
		w->r->end = ML_UW_END_DEPTH;
		return 1;
	}
	w->r->caller = 1;
	walk_add_ip(w->s, &w->r->id, w->r->ip);
	return 0;
}

/* Frames a bpf_loop step walks: a loop inside the callback, so that half
 * the frames cost no call, and the verifier still checks one step rather
 * than every length of walk.  More frames a step bought nothing measurable
 * (30 frames: 4 and 8 within the noise of 2) and cost 2x and 5x the
 * verifier's work, at every start.
 */
#define ML_FRAMES_PER_STEP 2

static long uwalk_steps(__u32 i, void *data)
{
	struct uwalk *w = data;
	__u32 k;

#pragma clang loop unroll(disable)
	for (k = 0; k < ML_FRAMES_PER_STEP; k++)
		if (uwalk_frame(w))
			return 1;
	return 0;
}

/* Whether every word the last walk read holds the same value in window. */
static __always_inline int memo_words_match(struct walk_memo *m, __u8 *window)
{
	__u64 off;
	__u32 i, n = m->nreads;

#pragma clang loop unroll(disable)
	for (i = 0; i < ML_MEMO_READS; i++) {
		if (i >= n)
			return 1;
		off = m->off[i] & (ML_UNWIND_WINDOW - 1);	/* map memory: nothing to cut */
		if (off > ML_UNWIND_WINDOW - 8 || *(__u64 *)(window + off) != m->val[i])
			return 0;
	}
	return 1;
}

/* Whether memo m was a walk from these registers, in this thread, with
 * the tables as they are: then its words decide.
 */
static __always_inline int memo_keys_match(struct walk_memo *m, __u32 tid, __u64 ip, __u64 sp,
					   __u64 bp, __u64 ra_at)
{
	return m->valid && m->tid == tid && m->epoch == unwind_epoch && m->ip == ip &&
	       m->sp == sp && (!m->need_bp || m->bp == bp) && m->ra_at == ra_at &&
	       m->read_end && m->read_end <= ML_UNWIND_WINDOW;
}

/* Memos of up to this many words are replayed in place (python3.11's
 * and redis-server's read fewer).  Deeper, a word read in place costs
 * about twice one compared in a copy, which the copy's fixed cost no
 * longer outweighs (60 frames, ~120 words: 439 ns in place, 433 copied);
 * and the verifier walks the loop once per word it may read.
 */
#define ML_DIRECT_READS 64

/* Whether every word the last walk read holds the same value in the
 * stack, read in place through the direct map (u: bpf/umem.bpf.h); ra,
 * the word at ra_at (ra_off from sp) as uretprobe_restore() gives it.
 * -1 for a word not aligned, which only the copy can compare.
 */
static __always_inline int memo_words_match_direct(struct walk_memo *m, struct umem *u, __u64 sp,
						   __u64 ra_off, __u64 ra)
{
	__u64 off, v;
	__u32 i, n = m->nreads;

#pragma clang loop unroll(disable)
	for (i = 0; i < ML_DIRECT_READS; i++) {
		if (i >= n)
			return 1;
		off = m->off[i] & (ML_UNWIND_WINDOW - 1);
		if (off & 7)
			return -1;
		v = off == ra_off ? ra : umem_word(u, sp + off);
		if (v != m->val[i])
			return 0;
	}
	return 1;
}

/* The replay of a walk a memo keeps, before any of the stack is copied:
 * the registers pick the memos of their set that may match.  Their words
 * are read in place through the direct map where it can; otherwise only
 * the bytes up to the furthest word they read are copied (a 1 KiB copy
 * costs as much as the rest of a replay).  1 when one stands for this
 * walk (*id).
 */
static __always_inline int unwind_replay_early(struct task_struct *task, __u64 pid_tgid,
					       __u8 *window, struct unwind_scratch *us, __u64 ip,
					       __u64 sp, __u64 bp, __u64 ra_at, __u64 *id)
{
	__u32 set = memo_set(ip, sp, ra_at), tid = (__u32)pid_tgid, direct = 0;
	struct walk_memo *a = memo_at(set), *b = memo_at(set + 1), *m = NULL;
	struct umem *u = &us->umem;
	int match_a, match_b, r;
	__u64 len = 0, ra_off = ra_at - sp, ra = 0;

	if (!a || !b)
		return 0;
	match_a = memo_keys_match(a, tid, ip, sp, bp, ra_at);
	match_b = memo_keys_match(b, tid, ip, sp, bp, ra_at);
	if (match_a)
		len = a->read_end;
	if (match_b && b->read_end > len)
		len = b->read_end;
	len &= 2 * ML_UNWIND_WINDOW - 1;	/* for the verifier */
	if (!len || len > ML_UNWIND_WINDOW)
		return 0;
	/* in place: the words at sp and at the furthest one read are checked
	 * against a copy while the way is unproven, and now and then after
	 */
	if (!(sp & 7) && (!match_a || a->nreads <= ML_DIRECT_READS) &&
	    (!match_b || b->nreads <= ML_DIRECT_READS) &&
	    !umem_begin(u, task, sp, len, !(us->tick & 1023)) && !umem_check(u, sp) &&
	    !umem_check(u, sp + ((len - 8) & ~7ULL))) {
		if (ra_off <= ML_STACK_WINDOW - 8 && !(ra_off & 7))
			ra = uretprobe_original(task, umem_word(u, ra_at), ra_at);
		else
			ra_off = ~0ULL;		/* not restored: read as it is */
		r = match_a ? memo_words_match_direct(a, u, sp, ra_off, ra) : 0;
		if (r > 0)
			m = a;
		else if (!r && match_b && (r = memo_words_match_direct(b, u, sp, ra_off, ra)) > 0)
			m = b;
		if (m) {
			direct = 1;
			goto found;
		}
		if (!r)
			return 0;
	}
	if (bpf_probe_read_user(window, len, (void *)sp))
		return 0;
	uretprobe_restore(task, window, sp, ra_at);
	if (match_a && memo_words_match(a, window))
		m = a;
	else if (match_b && memo_words_match(b, window))
		m = b;
	else
		return 0;
found:
	m->used = ++us->tick;
	*id = m->id;
	count_unwind((direct ? ML_UW_DIRECT_END : ML_UW_REPLAYED_END) + m->end);
	return 1;
}

/* The walk by tables from (ip, sp, bp); frames go into s, and the walk
 * into the older memo of its registers' set (unwind_replay_early() found
 * none to replay).  Returns how it ended (enum ml_unwind_counter).
 */
static __always_inline __u32 unwind_by_tables(__u64 pid_tgid, struct ml_stack *s,
					      __u8 *window, __u64 win_len, struct unwind_scratch *us,
					      __u64 ip, __u64 sp, __u64 bp, __u64 ra_at, __u64 *id)
{
	__u32 set = memo_set(ip, sp, ra_at);
	struct walk_memo *a = memo_at(set), *b = memo_at(set + 1), *m;
	struct uwalk w = { .s = s, .window = window, .us = us, .r = &us->regs };
	struct uwalk_regs *r = &us->regs;
	__u32 tid = (__u32)pid_tgid, pid = pid_tgid >> 32, epoch = unwind_epoch, seq;

	if (!a || !b)
		return ML_UW_END_READ;
	m = !a->valid || (b->valid && a->used <= b->used) ? a : b;
	w.memo = m;
	count_unwind(ML_UW_WALKS);
	/* without its mappings (a process just started) the walk finds
	 * each through the kernel
	 */
	w.proc = bpf_map_lookup_elem(&unwind_procs, &pid);
	seq = ++us->seq;
	m->valid = 0;
	m->nreads = 0;
	m->read_end = 0;
	m->need_bp = 0;
	r->win_len = win_len;
	r->win_grows = win_len != 0;
	r->sp0 = sp;
	r->ip = ip;
	r->sp = sp;
	r->bp = bp;
	r->ra_at = ra_at;
	r->id = *id;
	r->end = 0;
	r->caller = 0;
	r->last = 0;
	r->bp_initial = 1;
	r->bp_from = 0;
	m->ok = 1;		/* until a walk step says otherwise */
	walk_add_ip(s, &r->id, ip);
	bpf_loop((ML_MAX_FRAMES + ML_FRAMES_PER_STEP - 1) / ML_FRAMES_PER_STEP, uwalk_steps, &w, 0);
	if (!r->end)
		r->end = ML_UW_END_DEPTH;
	*id = r->id;
	count_unwind(r->end);
	/* Valid only once whole: a replay on this CPU meanwhile (after a
	 * preemption) must not pair the old registers with the new words.
	 */
	if (us->seq == seq && m->ok) {
		m->tid = tid;
		m->epoch = epoch;
		m->ip = ip;
		m->sp = sp;
		m->bp = bp;
		m->ra_at = ra_at;
		m->id = r->id;
		m->end = r->end;
		m->used = ++us->tick;
		m->valid = 1;
	}
	return r->end;
}

#endif /* UNWIND_BPF_H */
