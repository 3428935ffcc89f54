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
 */
#ifndef UNWIND_BPF_H
#define UNWIND_BPF_H

const volatile __u8 unwind_mode = ML_UNWIND_AUTO;	/* enum ml_unwind_mode */

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
	__uint(max_entries, ML_UW_MAX);
	__type(key, __u32);
	__type(value, __u64);
} unwind_counts SEC(".maps");

static __always_inline void count_unwind(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&unwind_counts, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* A binary search for the last entry at or below key, one halving per
 * bpf_loop step: verified once, rather than once per path through an
 * unrolled search.
 */
struct bsearch {
	void *base;		/* the mappings (NULL: the rows) */
	__u64 key;
	__u32 lo, n;
};

static __always_inline struct ml_unwind_row *row_at(__u32 idx)
{
	__u32 block = idx / ML_ROWS_PER_BLOCK;
	struct ml_row_block *b = bpf_map_lookup_elem(&unwind_rows, &block);

	return b ? &b->rows[idx % ML_ROWS_PER_BLOCK] : NULL;
}

static long mapping_halve(__u32 i, void *data)
{
	struct bsearch *bs = data;
	struct ml_unwind_proc *proc = bs->base;
	__u32 half = bs->n / 2;

	if (!bs->n)
		return 1;
	if (proc->m[(bs->lo + half) & (ML_UNWIND_MAPPINGS - 1)].start <= bs->key) {
		bs->lo += half + 1;
		bs->n -= half + 1;
	} else {
		bs->n = half;
	}
	return 0;
}

static long row_halve(__u32 i, void *data)
{
	struct bsearch *bs = data;
	__u32 half = bs->n / 2;
	struct ml_unwind_row *r;

	if (!bs->n)
		return 1;
	r = row_at(bs->lo + half);
	if (!r) {
		bs->n = 0;
		return 1;
	}
	if (r->pc <= bs->key) {
		bs->lo += half + 1;
		bs->n -= half + 1;
	} else {
		bs->n = half;
	}
	return 0;
}

/* The mapping that holds pc, the last one starting at or below it: 1 +
 * its index in proc->m, 0 for none.
 */
static __always_inline __u32 find_mapping(struct ml_unwind_proc *proc, __u64 pc)
{
	struct bsearch bs = { .base = proc, .key = pc, .lo = 0, .n = proc->n };
	struct ml_unwind_mapping *m;

	if (bs.n > ML_UNWIND_MAPPINGS)
		bs.n = ML_UNWIND_MAPPINGS;
	bpf_loop(10, mapping_halve, &bs, 0);	/* log2(ML_UNWIND_MAPPINGS) + 2 */
	if (!bs.lo)
		return 0;
	m = &proc->m[(bs.lo - 1) & (ML_UNWIND_MAPPINGS - 1)];
	return pc < m->end ? bs.lo : 0;
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
 * searched among the rows its index entries enclose.
 */
static __always_inline struct ml_unwind_row *find_row(const struct ml_unwind_mapping *m, __u32 rel)
{
	struct bsearch bs = { .key = rel, .lo = m->first_row, .n = m->nrows };
	__u32 k = rel >> ML_INDEX_SHIFT, lo, hi;

	if (k + 1 < m->nindex && !index_at(m->first_index + k, &lo) &&
	    !index_at(m->first_index + k + 1, &hi) && lo <= hi &&
	    lo >= m->first_row && hi < m->first_row + m->nrows) {
		bs.lo = lo;
		bs.n = hi - lo + 1;
	}
	bpf_loop(26, row_halve, &bs, 0);	/* tables hold fewer than 2^24 rows */
	return bs.lo > m->first_row ? row_at(bs.lo - 1) : NULL;
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
	__u64 win_len;		/* 0 when the copy could not be made */
	__u64 *cut;		/* a scratch word in map memory (read_stack) */
	__u64 sp0;
	__u64 ip, sp, bp;
	__u64 ra_at;		/* where the leaf's return address is, if it has no row */
	__u64 id;		/* the hash so far */
	__u32 end;		/* enum ml_unwind_counter, once the walk is over */
	__u32 caller;		/* ip is a return address: look up the call */
	__u32 last;		/* 1 + the index in proc of the previous frame's mapping: a
				 * caller is often in the same file; 0: none */
	struct ml_unwind_mapping *vma;	/* a mapping found through the kernel (scratch) */
};

/* 8 bytes of the stack, from the window when they are in it. */
static __always_inline int read_stack(struct uwalk *w, __u64 addr, __u64 *out)
{
	volatile __u64 *cut = w->cut;
	__u64 off = addr - w->sp0;

	if (off + 8 <= w->win_len) {
		/* Through memory the verifier does not follow: indexing the
		 * window would make it track sp, rbp and the CFA exactly back
		 * through every step, and no two walks would ever look alike.
		 */
		*cut = off;
		off = *cut & (ML_STACK_WINDOW - 1);
		if (off > ML_STACK_WINDOW - 8)
			return -1;
		*out = *(__u64 *)(w->window + off);
		return 0;
	}
	return bpf_probe_read_user(out, sizeof(*out), (void *)addr) ? -1 : 0;
}

/* One frame-pointer step: {saved rbp, return address} at rbp. */
static __always_inline int fp_step(struct uwalk *w)
{
	__u64 bp = w->bp, next;

	/* The ABI's end of the chain: _start zeroes rbp (ld.so's own
	 * _start has no CFI to say so)
	 */
	if (!bp) {
		w->end = ML_UW_END_COMPLETE;
		return 1;
	}
	if (!next_fp_ok(bp, w->sp - 1) || read_stack(w, bp, &next) || read_stack(w, bp + 8, &w->ip)) {
		w->end = ML_UW_END_FP;
		return 1;
	}
	w->sp = bp + 16;
	w->bp = next;
	return 0;
}

static __always_inline int row_step(struct uwalk *w, const struct ml_unwind_row *r)
{
	__u64 cfa, ra;

	switch (r->cfa_rule) {
	case ML_CFA_RSP:
		cfa = w->sp + r->cfa_off;
		break;
	case ML_CFA_RBP:
		cfa = w->bp + r->cfa_off;
		break;
	case ML_CFA_PLT:
		cfa = w->sp + r->cfa_off + ((w->ip & 15) >= r->plt_threshold ? 8 : 0);
		break;
	case ML_CFA_END:
		w->end = ML_UW_END_COMPLETE;
		return 1;
	default:
		w->end = ML_UW_END_UNSUPPORTED;
		return 1;
	}
	if (read_stack(w, cfa - 8, &ra) ||
	    (r->rbp_off && read_stack(w, cfa + r->rbp_off, &w->bp))) {
		w->end = ML_UW_END_READ;
		return 1;
	}
	w->sp = cfa;
	w->ip = ra;
	return 0;
}

/* The leaf, at a probe on a function's entry (or a syscall) without a row:
 * its return address is at ra_at, which the probe's placement knows, so
 * that the immediate caller is never lost.
 */
static __always_inline int leaf_step(struct uwalk *w)
{
	if (read_stack(w, w->ra_at, &w->ip)) {
		w->end = ML_UW_END_READ;
		return 1;
	}
	w->sp = w->ra_at + 8;
	return 0;
}

/* Where there is no row: a frame-pointer step (auto), or the end (dwarf). */
static __always_inline int no_row_step(struct uwalk *w, __u32 fp_reason, __u32 end)
{
	if (!w->caller)
		return leaf_step(w);
	if (unwind_mode == ML_UNWIND_DWARF) {
		w->end = end;
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

/* One frame; a bpf_loop callback.  Returns 1 when the walk is over. */
static long uwalk_step(__u32 i, void *data)
{
	struct uwalk *w = data;
	__u64 pc = w->caller ? w->ip - 1 : w->ip;
	struct ml_unwind_mapping *m = NULL;
	struct ml_unwind_row *r;
	int done;

	if (w->proc && w->last) {
		m = &w->proc->m[(w->last - 1) & (ML_UNWIND_MAPPINGS - 1)];
		if (pc < m->start || pc >= m->end)
			m = NULL;
	}
	if (!m && w->proc) {
		w->last = find_mapping(w->proc, pc);
		if (w->last)
			m = &w->proc->m[(w->last - 1) & (ML_UNWIND_MAPPINGS - 1)];
	}
	if (!m)
		m = find_vma_mapping(pc, w->vma);
	if (!m) {
		done = no_row_step(w, ML_UW_FP_STEP_NO_MAPPING, ML_UW_END_NO_MAPPING);
	} else if (m->status != ML_TABLE_READY) {
		done = no_row_step(w, fp_reason_of(m->status), ML_UW_END_NO_ROW);
	} else {
		r = pc - m->bias < (1ULL << 32) ? find_row(m, pc - m->bias) : NULL;
		if (r && r->cfa_rule != ML_CFA_NONE)
			done = row_step(w, r);
		else
			done = no_row_step(w, ML_UW_FP_STEP_NO_ROW, ML_UW_END_NO_ROW);
	}
	if (done)
		return 1;
	if (!w->ip) {		/* a zeroed return address closes some stacks */
		w->end = ML_UW_END_COMPLETE;
		return 1;
	}
	if (w->s->nr >= ML_MAX_FRAMES) {
		w->end = ML_UW_END_DEPTH;
		return 1;
	}
	w->caller = 1;
	walk_add_ip(w->s, &w->id, w->ip);
	return 0;
}

/* The walk by tables from (ip, sp, bp); frames go into s.  Returns how
 * it ended (enum ml_unwind_counter).
 */
static __always_inline __u32 unwind_by_tables(struct ml_unwind_proc *proc, struct ml_stack *s,
					      __u8 *window, __u64 win_len, __u64 *cut,
					      struct ml_unwind_mapping *vma, __u64 ip, __u64 sp,
					      __u64 bp, __u64 ra_at, __u64 *id)
{
	struct uwalk w = {
		.s = s, .proc = proc, .window = window, .win_len = win_len, .cut = cut, .vma = vma,
		.sp0 = sp,
		.ip = ip, .sp = sp, .bp = bp, .ra_at = ra_at, .id = *id,
	};

	walk_add_ip(s, &w.id, ip);
	bpf_loop(ML_MAX_FRAMES, uwalk_step, &w, 0);
	if (!w.end)
		w.end = ML_UW_END_DEPTH;
	*id = w.id;
	count_unwind(ML_UW_WALKS);
	count_unwind(w.end);
	return w.end;
}

#endif /* UNWIND_BPF_H */
