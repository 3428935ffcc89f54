/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/stack.bpf.h: user stack capture, the one place that knows how.
 *
 * capture_stack() returns a stack id: a 64-bit hash of the frames, interned
 * in the "stacks" map.  Today it walks frame pointers (bpf_get_stack) and
 * adds the caller's return address read at the stack pointer, which a
 * frame-pointer walk from a function's first instructions never sees.  A
 * DWARF unwinder will replace the walk here and nowhere else.
 */
#ifndef STACK_BPF_H
#define STACK_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 15);
	__type(key, __u64);
	__type(value, struct ml_stack);
} stacks SEC(".maps");

/* The stack is built here before it is hashed: too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ml_stack);
} stack_scratch SEC(".maps");

static __always_inline void count_drop(__u32 why);

static __always_inline __u64 mix64(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* ra_at: user address holding the return address into the caller. */
static __always_inline __u64 capture_stack(void *ctx, __u64 ra_at)
{
	__u32 zero = 0;
	struct ml_stack *s = bpf_map_lookup_elem(&stack_scratch, &zero);
	__u64 id = 0x9e3779b97f4a7c15ULL, ra = 0;
	long n, err;
	__u32 i, nr;

	if (!s)
		return 0;
	/* ips[0] = the probed instruction, ips[1] = the caller, then the walk. */
	n = bpf_get_stack(ctx, &s->ips[1], (ML_MAX_FRAMES - 1) * sizeof(__u64),
			  BPF_F_USER_STACK);
	if (n <= 0)
		return 0;
	nr = n / sizeof(__u64) + 1;
	s->ips[0] = s->ips[1];
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)ra_at) || !ra || (nr > 2 && s->ips[2] == ra)) {
		/* No caller to add, or the walk already has it: close the gap. */
		for (i = 1; i < ML_MAX_FRAMES - 1; i++) {
			if (i + 1 >= nr)
				break;
			s->ips[i] = s->ips[i + 1];
		}
		nr--;
	} else {
		s->ips[1] = ra;
	}
	s->nr = nr;
	for (i = 0; i < ML_MAX_FRAMES; i++) {
		if (i >= nr)
			break;
		id = mix64(id ^ s->ips[i]) + i;
	}
	id |= 1;	/* 0 means "no stack" */
	if (bpf_map_lookup_elem(&stacks, &id))
		return id;
	err = bpf_map_update_elem(&stacks, &id, s, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		count_drop(ML_DROP_STACKS);
		return 0;
	}
	return id;
}

#endif /* STACK_BPF_H */
