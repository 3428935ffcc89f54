/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/stack.bpf.h: user stack capture, the one place that knows how.
 *
 * capture_stack() returns a stack id: a 64-bit hash of the frames, interned
 * in the "stacks" map.  A process with CFI tables is walked by them
 * (bpf/unwind.bpf.h); otherwise frame pointers are walked, with the
 * caller's return address read at the stack pointer, which a frame-pointer
 * walk from a function's first instructions never sees.
 */
#ifndef STACK_BPF_H
#define STACK_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 15);
	__type(key, __u64);
	__type(value, struct ml_stack);
} stacks SEC(".maps");

/* Bumped by user space after it takes stacks no site names out of
 * "stacks" (user/trace/stacktable.h): a thread's memory of its last stack
 * id is good only under the same value.
 */
volatile __u32 stacks_epoch;

/* The top of the user stack is copied in one read and walked in place:
 * every call and return costs ~20 ns on these machines (the return thunk
 * of the SRSO mitigation), a helper call more, and a 1 KiB copy about as
 * much as one.  Frames beyond the window are read one by one (a walk by
 * tables grows its window instead: bpf/unwind.bpf.h).
 */
#define ML_STACK_WINDOW 1024

static __always_inline void count_drop(__u32 why);

static __always_inline __u64 mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The frame-pointer walk, by hand rather than bpf_get_stack: it stops
 * before a frame pointer that cannot be one (not above the last, not
 * aligned, too far), where the kernel's walk would take a page fault on
 * it.  Every program pays that fault otherwise: glibc's
 * __libc_start_call_main, built without frame pointers, leaves rbp = 7 below
 * main, and the fault costs more than the rest of the walk (~0.6 us).
 */
#define ML_MAX_FRAME_SIZE (8ULL << 20)

static __always_inline int next_fp_ok(__u64 next, __u64 cur)
{
	return next > cur && !(next & 7) && next - cur < ML_MAX_FRAME_SIZE;
}

struct walk {
	struct ml_stack *s;
	__u64 *frame;	/* {saved fp, return address} of the current frame */
	__u8 *window;	/* a copy of [sp, sp + ML_STACK_WINDOW), or NULL */
	__u64 sp;
	__u64 fp;	/* the frame to read next, 0 at the end */
	__u64 ra;	/* the caller's return address, ips[1] */
	__u64 id;	/* the hash so far */
};

/* Append a frame and fold it into the hash: whichever walk found them,
 * the same frames give the same id.
 */
static __always_inline void walk_add_ip(struct ml_stack *s, __u64 *id, __u64 ip)
{
	__u32 nr = s->nr;

	if (nr >= ML_MAX_FRAMES)
		return;
	s->ips[nr] = ip;
	s->nr = nr + 1;
	*id = mix64(*id ^ ip) + nr;
}

static __always_inline void walk_add(struct walk *w, __u64 ip)
{
	walk_add_ip(w->s, &w->id, ip);
}

/* One frame: {saved fp, return address} at fp.  A bpf_loop callback, so
 * that the verifier checks one step rather than every length of walk.
 */
static long walk_step(__u32 i, void *data)
{
	struct walk *w = data;
	__u64 off = w->fp - w->sp, *frame = w->frame;

	if (w->window && off <= ML_STACK_WINDOW - 16) {
		off &= ML_STACK_WINDOW - 1;	/* for the verifier: off is in range */
		if (off > ML_STACK_WINDOW - 16)
			return 1;
		frame[0] = *(__u64 *)(w->window + off);
		frame[1] = *(__u64 *)(w->window + off + 8);
	} else if (bpf_probe_read_user(frame, 16, (void *)w->fp)) {
		return 1;
	}
	if (!frame[1])
		return 1;
	/* From a function's first bytes the walk starts at the caller's
	 * frame, whose return address is the caller's caller; after a
	 * prologue it would repeat ra: skip it.
	 */
	if (!(w->s->nr == 2 && frame[1] == w->ra))
		walk_add(w, frame[1]);
	w->fp = next_fp_ok(frame[0], w->fp) ? frame[0] : 0;
	return w->fp ? 0 : 1;
}

/* Frames inside the window, without a helper call or a callback. */
#define ML_INLINE_FRAMES 24

static __always_inline void walk_window(struct walk *w)
{
	__u64 off, next, ret;
	__u32 i;

	for (i = 0; i < ML_INLINE_FRAMES && w->fp; i++) {
		off = w->fp - w->sp;
		if (off > ML_STACK_WINDOW - 16)
			return;		/* beyond the window: the slow path */
		off &= ML_STACK_WINDOW - 1;	/* for the verifier */
		if (off > ML_STACK_WINDOW - 16)
			return;
		next = *(__u64 *)(w->window + off);
		ret = *(__u64 *)(w->window + off + 8);
		if (!ret) {
			w->fp = 0;
			return;
		}
		if (!(w->s->nr == 2 && ret == w->ra))
			walk_add(w, ret);
		w->fp = next_fp_ok(next, w->fp) ? next : 0;
	}
}

#include "umem.bpf.h"
#include "uretprobe.bpf.h"
#include "unwind.bpf.h"

/* The stack is built here before it is hashed: too big for the BPF stack. */
struct stack_scratch {
	struct ml_stack s;
	__u64 frame[2];		/* the frame being read */
	struct unwind_scratch uw;
	__u8 window[2 * ML_UNWIND_WINDOW];	/* room for grow_window()'s reads */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_scratch);
} stack_scratch SEC(".maps");

/* task, pid_tgid: the current thread's (each helper call costs ~40 ns: a
 * program asks once);
 * ip, sp, fp: the user registers at a function's entry or at a syscall;
 * ra_at: the user address that holds the return address into the caller;
 * last: the caller's memory of the last id it got (a loop allocates from
 * the same stack again and again: no need to look it up each time).
 */
static __always_inline __u64 capture_stack(struct task_struct *task, __u64 pid_tgid, __u64 ip,
					   __u64 sp, __u64 fp, __u64 ra_at, __u64 *last)
{
	struct walk w = { .id = 0x9e3779b97f4a7c15ULL, .sp = sp };
	struct stack_scratch *sc;
	__u32 zero = 0;
	long err;

	sc = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!sc)
		return 0;
	if (unwind_mode != ML_UNWIND_FP &&
	    unwind_replay_early(task, pid_tgid, sc->window, &sc->uw, ip, sp, fp, ra_at, &w.id))
		return *last = w.id | 1;
	w.s = &sc->s;
	w.frame = sc->frame;
	w.s->nr = 0;
	w.s->end = 0;
	/* Near the top of a stack the window may run past its end: then
	 * every frame is read on its own.
	 */
	if (!bpf_probe_read_user(sc->window, ML_STACK_WINDOW, (void *)sp)) {
		w.window = sc->window;
		uretprobe_restore(task, sc->window, sp, ra_at);
	}
	if (unwind_mode != ML_UNWIND_FP) {
		w.s->end = unwind_by_tables(pid_tgid, w.s, sc->window, w.window ? ML_STACK_WINDOW : 0,
					     &sc->uw, ip, sp, fp, ra_at, &w.id);
		goto intern;
	}
	walk_add(&w, ip);
	if (w.window && ra_at - sp <= ML_STACK_WINDOW - 8)
		w.ra = *(__u64 *)(w.window + ((ra_at - sp) & (ML_STACK_WINDOW - 1) & ~7ULL));
	else if (bpf_probe_read_user(&w.ra, sizeof(w.ra), (void *)ra_at))
		w.ra = 0;
	if (w.ra)
		walk_add(&w, w.ra);
	/* Not a frame pointer: the caller keeps none. */
	w.fp = next_fp_ok(fp, sp) ? fp : 0;
	if (w.fp && w.window)
		walk_window(&w);
	if (w.fp)
		bpf_loop(ML_MAX_FRAMES, walk_step, &w, 0);
intern:
	w.id |= 1;	/* 0 means "no stack" */
	if (w.id == *last || bpf_map_lookup_elem(&stacks, &w.id))
		return *last = w.id;
	err = bpf_map_update_elem(&stacks, &w.id, w.s, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		count_drop(ML_DROP_STACKS);
		return 0;
	}
	return *last = w.id;
}

#endif /* STACK_BPF_H */
