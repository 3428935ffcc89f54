/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/umem.bpf.h: words of the current process's memory, read through
 * the kernel's direct map.
 *
 * bpf_probe_read_user() costs 100-180 ns here whatever it copies: a
 * helper call, copy_from_user_nofault() and the hardened-usercopy checks
 * of the destination, every call and return paying the SRSO return thunk.
 * A replay (bpf/unwind.bpf.h) needs about ten words of the stack at every
 * allocation.  The process's page tables give the physical page of a word
 * instead (four loads of entries the MMU has just walked), and the word is
 * read at that page's address in the kernel's direct map: plain loads,
 * which the JIT guards against faults (bpf_rdonly_cast()).  A replay of 9
 * words costs ~40 ns this way against ~180 ns for one copy of its 1.2 KiB.
 *
 * Only x86-64 with 4-level page tables (user space says: umem_enabled).
 * A page not present, a 1 GiB page, memory not cached write-back or a
 * special mapping are left to bpf_probe_read_user().  The way is trusted
 * once it proved itself: until ML_UMEM_PROOF non-zero words agreed, the
 * words a caller names (a replay's first and last, a single word) are
 * also read with bpf_probe_read_user() and compared; one that differs
 * turns the way off for good, and the caller reads with the copy.
 * Trusted, one read in 1024 is checked again (the caller says which).
 */
#ifndef UMEM_BPF_H
#define UMEM_BPF_H

const volatile __u8 umem_enabled = 0;
const volatile __u64 umem_skew = 0;	/* tests: words read this far off must be caught */

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* The direct map's base, randomized with CONFIG_RANDOMIZE_MEMORY (then the
 * variable exists, in /proc/kallsyms with CONFIG_KALLSYMS_ALL, as on
 * Debian's kernels); __PAGE_OFFSET_BASE_L4 otherwise.  A randomized base
 * that kallsyms does not show is guessed wrong: the checks turn the way
 * off.
 */
extern const void page_offset_base __ksym __weak;
#define ML_DIRECT_MAP_L4 0xffff888000000000ULL

enum ml_umem_state {
	ML_UMEM_UNPROVEN = 0,
	ML_UMEM_TRUSTED,
	ML_UMEM_OFF,
};

#define ML_UMEM_PROOF 64

volatile __u32 umem_state;	/* enum ml_umem_state */
volatile __u32 umem_proofs;	/* words that agreed while unproven */
volatile __u64 umem_base;	/* the direct map's base, once read */

/* Page-table entry bits (arch/x86/include/asm/pgtable_types.h) */
#define ML_PTE_PRESENT	(1ULL << 0)
#define ML_PTE_PWT	(1ULL << 3)
#define ML_PTE_PCD	(1ULL << 4)
#define ML_PTE_PSE	(1ULL << 7)	/* a huge page above the last level */
#define ML_PTE_PAT	(1ULL << 7)	/* at the last level */
#define ML_PTE_SPECIAL	(1ULL << 9)	/* no struct page behind: PFN maps */
#define ML_PTE_PAT_LARGE (1ULL << 12)	/* in a huge page's entry */
#define ML_PTE_PFN	0x000ffffffffff000ULL
#define ML_HUGE_2M	(1ULL << 21)

/* The pages of one range of user memory, at most two: a replay's words
 * lie within ML_UNWIND_WINDOW (4 KiB) of the stack pointer.
 */
struct umem {
	__u64 pgd;	/* the process's top table, in the direct map; 0: do not use */
	__u64 base;	/* the direct map's base */
	__u64 page;	/* the first user page of the range */
	__u64 kpage[2];	/* it and the next, in the direct map */
	__u32 check;	/* compare words read both ways */
};

/* The unsigned long at kernel address addr: a load the JIT guards (a
 * fault reads 0).  pt_regs stands for "a struct of unsigned longs".  The
 * empty asm keeps the load here: sunk into one with a load through a
 * stack pointer (the other way's result), it is refused by the verifier.
 */
static __always_inline __u64 kernel_word(__u64 addr)
{
	struct pt_regs *p = bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct pt_regs));
	__u64 v = p->r15;

	asm volatile("" : "+r"(v));
	return v;
}

static __always_inline __u64 umem_direct_map(void)
{
	__u64 base = umem_base;

	if (base)
		return base;
	base = ML_DIRECT_MAP_L4;
	if (&page_offset_base &&
	    bpf_probe_read_kernel(&base, sizeof(base), &page_offset_base)) {
		umem_state = ML_UMEM_OFF;	/* not to ask again at every call */
		return 0;
	}
	umem_base = base;
	return base;
}

/* Where user page va is in the direct map, or 0. */
static __always_inline __u64 umem_page(struct umem *u, __u64 va)
{
	__u64 e, base = u->base;

	e = kernel_word(u->pgd + ((va >> 39) & 511) * 8);
	if (!(e & ML_PTE_PRESENT))
		return 0;
	e = kernel_word(base + (e & ML_PTE_PFN) + ((va >> 30) & 511) * 8);
	if (!(e & ML_PTE_PRESENT) || (e & ML_PTE_PSE))
		return 0;
	e = kernel_word(base + (e & ML_PTE_PFN) + ((va >> 21) & 511) * 8);
	if (!(e & ML_PTE_PRESENT))
		return 0;
	if (e & ML_PTE_PSE) {
		if (e & (ML_PTE_PWT | ML_PTE_PCD | ML_PTE_PAT_LARGE | ML_PTE_SPECIAL))
			return 0;
		return base + (e & ML_PTE_PFN & ~(ML_HUGE_2M - 1)) + (va & (ML_HUGE_2M - 1));
	}
	e = kernel_word(base + (e & ML_PTE_PFN) + ((va >> 12) & 511) * 8);
	if ((e & (ML_PTE_PRESENT | ML_PTE_PWT | ML_PTE_PCD | ML_PTE_PAT | ML_PTE_SPECIAL)) !=
	    ML_PTE_PRESENT)
		return 0;
	return base + (e & ML_PTE_PFN);
}

/* Ready u for words of task's memory in [va, va + len), len at most 4
 * KiB; check: compare the words umem_check() is given.  0, or -1 when this
 * way cannot read them (then read them with bpf_probe_read_user()).
 */
static __always_inline int umem_begin(struct umem *u, struct task_struct *task, __u64 va,
				      __u64 len, int check)
{
	__u32 state = umem_state;
	struct mm_struct *mm;

	if (!umem_enabled || state == ML_UMEM_OFF || !bpf_rdonly_cast || !len || len > 4096)
		return -1;
	u->base = umem_direct_map();
	mm = task->mm;
	if (!u->base || !mm)
		return -1;
	u->pgd = (__u64)mm->pgd;
	u->check = check || state != ML_UMEM_TRUSTED;
	u->page = va & ~4095ULL;
	u->kpage[0] = umem_page(u, u->page);
	if (!u->kpage[0])
		return -1;
	u->kpage[0] += umem_skew;
	u->kpage[1] = 0;
	if (((va + len - 1) & ~4095ULL) != u->page) {
		u->kpage[1] = umem_page(u, u->page + 4096);
		if (!u->kpage[1])
			return -1;
		u->kpage[1] += umem_skew;
	}
	return 0;
}

/* The aligned word at va, inside the range umem_begin() readied. */
static __always_inline __u64 umem_word(struct umem *u, __u64 va)
{
	__u64 k = va - u->page >= 4096 ? u->kpage[1] : u->kpage[0];

	return kernel_word(k + (va & 4095 & ~7ULL));
}

/* With u->check, the word at va read both ways: one that differs turns
 * the way off for good.  0 when they agree (or nothing was asked).
 */
static __always_inline int umem_check(struct umem *u, __u64 va)
{
	__u64 v, w;

	if (!u->check)
		return 0;
	v = umem_word(u, va);
	if (bpf_probe_read_user(&w, sizeof(w), (void *)va))
		return -1;
	if (w != v) {
		umem_state = ML_UMEM_OFF;
		return -1;
	}
	if (w && umem_state == ML_UMEM_UNPROVEN &&
	    __sync_add_and_fetch(&umem_proofs, 1) >= ML_UMEM_PROOF)
		umem_state = ML_UMEM_TRUSTED;
	return 0;
}

/* One aligned word at va, whichever way works; 0 when read. */
static __always_inline int umem_read_one(struct task_struct *task, __u64 va, __u64 *out, int check)
{
	struct umem u;

	if (!(va & 7) && !umem_begin(&u, task, va, 8, check) && !umem_check(&u, va)) {
		*out = umem_word(&u, va);
		return 0;
	}
	return bpf_probe_read_user(out, sizeof(*out), (void *)va) ? -1 : 0;
}

#endif /* UMEM_BPF_H */
