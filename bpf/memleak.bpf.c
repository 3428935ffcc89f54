// SPDX-License-Identifier: GPL-2.0
/* memleakbpf: allocator uprobes and mapping tracepoints.
 *
 * Heap blocks are accounted here, in BPF, on every call (bpf/heap.bpf.h):
 * "blocks" holds each outstanding block, "site_stats" the bytes and blocks
 * allocated and freed per (process image, stack, category).  Mappings (mmap, munmap, mremap,
 * mprotect, brk) are rare and need interval arithmetic, so they go to user
 * space through the ring buffer, in order, with their stack already taken.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "memleak.h"
#include "sample_math.h"
#include "stack.bpf.h"
#include "heap.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define MAP_SHARED	0x01
#define MAP_PRIVATE	0x02
#define MAP_TYPE	0x0f
#define MAP_ANONYMOUS	0x20
#define PROT_EXEC	0x4
#define MAX_ERRNO	4095

/* Set by user space before load. */
const volatile __u32 self_pid = 0;		/* never trace ourselves */
const volatile __u8 filter_targets = 0;		/* only pids in "targets" */
const volatile __u8 filter_cgroups = 0;		/* only tasks under the first N "cgroups" */
const volatile __u8 follow_forks = 0;		/* children of targets become targets */
const volatile __u8 discover_libs = 0;		/* report executable file mappings */
const volatile __u8 track_mappings = 1;		/* account mmap, munmap, mremap, mprotect, brk */
const volatile __u64 min_size = 0;
const volatile __u64 max_size = ~0ULL;
/* -- CMD: stop a process that maps an executable file user space has not
 * looked at yet ("known_files"), or whose table is not in (never built, or
 * released since), until it has: probes on the file if it is an allocator,
 * its unwind table (ml_ev_file.held)
 */
const volatile __u8 hold_new_files = 0;

/* Uprobe sessions (kernel 6.12+): one program at entry and return, the
 * entry says whether the return runs.
 */
extern bool bpf_session_is_return(void) __ksym __weak;

/* Set by user space when every allocator probe is a uprobe_multi or
 * session link: their cookie is in the run context the kernel keeps in
 * the task (probe_cookie()).
 */
const volatile __u8 cookie_in_run_ctx = 0;

/* The uprobe_multi run context the kernel keeps in the task while a
 * multi or session program runs, or NULL when it cannot be read.
 */
static __always_inline struct bpf_uprobe_multi_run_ctx *multi_run_ctx(struct task_struct *task)
{
	if (!cookie_in_run_ctx || !bpf_core_type_exists(struct bpf_uprobe_multi_run_ctx) ||
	    !bpf_rdonly_cast)
		return NULL;
	return bpf_rdonly_cast(task->bpf_ctx, bpf_core_type_id_kernel(struct bpf_uprobe_multi_run_ctx));
}

/* The attach cookie of the probe running: three loads from the run
 * context, where bpf_get_attach_cookie() is a helper call (~19 ns here,
 * with the SRSO return thunk).
 */
static __always_inline __u64 probe_cookie(struct pt_regs *ctx, struct task_struct *task)
{
	struct bpf_uprobe_multi_run_ctx *rc = multi_run_ctx(task);

	return rc ? rc->uprobe->cookie : bpf_get_attach_cookie(ctx);
}

/* Is this session program run at the return?  From the same run context,
 * where bpf_session_is_return() is a kfunc call (~15 ns here).
 */
static __always_inline int session_is_return(struct task_struct *task)
{
	struct bpf_uprobe_multi_run_ctx *rc = multi_run_ctx(task);

	if (rc && bpf_core_field_exists(rc->session_ctx.is_return))
		return rc->session_ctx.is_return;
	return bpf_session_is_return();
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u32);			/* tgid */
	__type(value, __u32);			/* unused */
} targets SEC(".maps");

/* --cgroup: the cgroup v2 directories whose subtrees are traced. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, ML_MAX_CGROUPS);
	__type(key, __u32);
	__type(value, __u32);
} cgroups SEC(".maps");

/* Executable files user space has looked at (written by it): mapping one
 * holds no process.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, struct ml_unwind_file_key);
	__type(value, __u8);
} known_files SEC(".maps");

/* Processes stopped by a hold and not continued yet: what user space
 * continues when it ends, whatever the events it has not read.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u32);			/* tgid */
	__type(value, __u32);			/* unused */
} held SEC(".maps");

/* Node.js: Buffer bytes per process (struct ml_node_mem), kept here so
 * that a collection's event can say what they were at that moment.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u32);			/* tgid */
	__type(value, struct ml_node_mem);
} node_mem SEC(".maps");

#define ML_EVENTS_BYTES (1 << 22)

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ML_EVENTS_BYTES);
} events SEC(".maps");

/* Mapping and collection events stop at three quarters of the ring: the
 * rest is kept for the process events (fork, exec, new executable
 * mappings, exit), which keep the accounting of processes whole when a
 * storm of mappings outruns user space.  One ring keeps them all in order.
 */
static __always_inline struct ml_event *reserve_event(int process_event)
{
	struct ml_event *e = NULL;

	if (process_event ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) <= ML_EVENTS_BYTES / 4 * 3)
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	return e;
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ML_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Per-thread state: the allocator call in flight and the syscall in flight. */
struct ml_thread {
	__u64 entry_sp;		/* user sp at the outermost allocator entry */
	__u64 size;		/* bytes asked for */
	__u64 arg;		/* the first argument: realloc's block, posix_memalign's memptr */
	__u64 stack_id;		/* stack of the outermost call */
	struct ml_block old;	/* realloc: the block being replaced */
	__u32 depth;		/* allocator calls nested on this thread */
	__u32 func;		/* enum ml_func of the outermost call */
	__u8 record;		/* the new block passes the size filter */
	__u8 has_old;		/* old holds a block taken out of "blocks" */
	__u8 sc_type;		/* enum ml_event_type of the syscall in flight */
	__u8 pad;
	__u32 sc_category;
	__u64 sc_stack_id;
	__u64 sc_addr, sc_len, sc_len2;
	__u32 sc_prot, sc_flags;
	/* A libc function that allocates on its caller's behalf (strdup,
	 * asprintf, getline, sbrk, mremap, ...) and is built without frame
	 * pointers: its callers are lost to a frame-pointer walk from inside
	 * it, so the stack is taken at its entry and used for what it does.
	 */
	__u64 anchor_sp;
	__u64 anchor_stack_id;
	__u32 anchor_depth;
	__u32 pid;		/* at the entry in flight: its return asks no helper */
	__u64 last_stack_id;	/* known to be in "stacks" already, under */
	__u32 last_stack_epoch;	/* this stacks_epoch */
	__u32 umem_reads;	/* words it read through the direct map: one in 1024 is checked */
	/* --sample-bytes: Q16 bytes left until the next sample (armed: drawn) */
	__s64 sample_left;
	__u8 sample_armed;
	__u8 no_node_mem;	/* its process had no "node_mem" entry at node_mem_epoch_seen */
	__u8 pad3[2];
	__u32 node_mem_epoch_seen;
	/* The unsampled call in flight, when its return is not probed
	 * (sessions): where its return address is, and what it was.  A call
	 * or syscall below it, with the address still there, is inside it.
	 * A leaf's (u_size, ML_COOKIE_LEAF) keeps its code's start in u_ra
	 * instead: reading the address costs ~165 ns, more than the rest of
	 * the unsampled call's work.
	 */
	__u32 u_func;
	__u32 u_size;
	__u64 u_frame;
	__u64 u_ra;
	struct site_cache site;	/* the last site of its blocks */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ml_thread);
} threads SEC(".maps");

static __always_inline void count_drop(__u32 why)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &why);

	if (n)
		__sync_fetch_and_add(n, 1);	/* per CPU, but preemptible */
}

/* Whether the current process (pid) is traced.  Never ourselves, nor,
 * system-wide, our own children: the unwind-table builder allocates
 * heavily, and tracing it would slow every table down.
 */
static __always_inline int traced(struct task_struct *task, __u32 pid)
{
	__u32 i;

	if (pid == self_pid)
		return 0;
	if (filter_targets)
		return bpf_map_lookup_elem(&targets, &pid) != NULL;
	if (task->real_parent->tgid == self_pid)
		return 0;
	if (!filter_cgroups)
		return 1;
	/* Asked at a thread's first event and at every event of a thread
	 * not traced: one moved into a subtree later is traced from then on.
	 */
	for (i = 0; i < ML_MAX_CGROUPS && i < filter_cgroups; i++)
		if (bpf_current_task_under_cgroup(&cgroups, i) == 1)
			return 1;
	return 0;
}

/* The current thread's ids as bpf_get_current_pid_tgid() gives them, read
 * from its task: a load rather than a helper call (~40 ns here, with the
 * return thunk of the SRSO mitigation).
 */
static __always_inline __u64 task_pid_tgid(struct task_struct *task)
{
	return (__u64)task->tgid << 32 | (__u32)task->pid;
}

/* The id of the process image task runs (struct ml_stat_key.exec_id):
 * self_exec_id counts the execve calls of a line of processes, and a
 * child inherits it, so siblings share it; the start time of the thread
 * group tells them apart, and a pid taken again by another process.
 * Never 0 (user space: not known).
 */
static __always_inline __u32 image_id(struct task_struct *task)
{
	__u64 h = (task->group_leader->start_boottime + task->self_exec_id) * 0x9e3779b97f4a7c15ULL;

	return (__u32)(h >> 32) ?: 1;
}

/* task: the current one (bpf_get_current_task_btf(), which a program asks
 * once).
 */
static __always_inline struct ml_thread *thread_state(struct task_struct *task, int create)
{
	struct ml_thread *t;

	t = bpf_task_storage_get(&threads, task, 0, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (!t && create)
		count_drop(ML_DROP_THREADS);
	return t;
}

/* The state of the current thread if it is traced.  Only traced threads
 * get state, so having it answers the question without a look at
 * "targets" (whose answer cannot change for a live thread: -p pids are
 * fixed, followed children are added before they run).
 */
static __always_inline struct ml_thread *traced_thread(struct task_struct *task, __u32 pid,
							int create)
{
	struct ml_thread *t = thread_state(task, 0);

	if (t || !create || !traced(task, pid))
		return t;
	return thread_state(task, 1);
}

/* t's last stack id, forgotten once user space has taken stacks back. */
static __always_inline __u64 *last_stack(struct ml_thread *t)
{
	__u32 epoch = stacks_epoch;

	if (t->last_stack_epoch != epoch) {
		t->last_stack_id = 0;
		t->last_stack_epoch = epoch;
	}
	return &t->last_stack_id;
}

/* The stack of an allocation or mapping made at sp: the enclosing
 * anchor's, or one taken now (ra_at: where the caller's return address is).
 */
static __always_inline __u64 stack_for(struct ml_thread *t, struct task_struct *task,
				       __u64 pid_tgid, __u64 ip, __u64 sp, __u64 fp, __u64 ra_at)
{
	if (t->anchor_depth && sp < t->anchor_sp)
		return t->anchor_stack_id;
	return capture_stack(task, pid_tgid, ip, sp, fp, ra_at, last_stack(t));
}

/* What one block adds to its site: its size and 1, or, sampled, the
 * bytes (Q8) and allocations (Q16) it stands for.  A function of the size
 * alone, so that its free takes back exactly what it added.
 */
static __always_inline __u64 block_bytes(__u64 size)
{
	return sample_bytes ? ml_sample_bytes_q8(sample_g, sample_bytes, size) : size;
}

static __always_inline __u64 block_count(__u64 bytes, __u64 size)
{
	return sample_bytes ? ml_sample_count_q16(bytes, size) : 1;
}

/* Counts the "node_mem" entries made: a thread that found none for its
 * process under the same count needs no look-up to know it still has none.
 */
volatile __u32 node_mem_epoch;

/* pid's "node_mem" entry, made when create (its first Buffer) and missing. */
static __always_inline struct ml_node_mem *node_mem_of(__u32 pid, int create)
{
	static const struct ml_node_mem zero;
	struct ml_node_mem *m = bpf_map_lookup_elem(&node_mem, &pid);
	long err;

	if (m || !create)
		return m;
	err = bpf_map_update_elem(&node_mem, &pid, &zero, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */) {
		count_drop(ML_DROP_STATS);
		return NULL;
	}
	__sync_fetch_and_add(&node_mem_epoch, 1);
	return bpf_map_lookup_elem(&node_mem, &pid);
}

/* The same for a native block of thread t: most processes are not Node.js,
 * and their threads skip the look-up (a helper call, a hash) until an
 * entry is made somewhere.
 */
static __always_inline struct ml_node_mem *node_mem_of_thread(__u32 pid, struct ml_thread *t)
{
	__u32 epoch = node_mem_epoch;
	struct ml_node_mem *m;

	if (t->no_node_mem && t->node_mem_epoch_seen == epoch)
		return NULL;
	m = bpf_map_lookup_elem(&node_mem, &pid);
	t->no_node_mem = !m;
	t->node_mem_epoch_seen = epoch;
	return m;
}

/* A block of delta bytes (< 0) went, weighed as its site counts it: the
 * running total, and the low point after a full collection.
 */
static __always_inline void node_mem_add(__s64 *bytes, __s64 *low, __u32 low_open, __s64 delta)
{
	__s64 now;

	__sync_fetch_and_add(bytes, delta);
	if (low_open) {
		now = *bytes;
		if (now < *low)
			*low = now;	/* racy, at worst a little high */
	}
}

/* The block b goes back: out of its process's Node.js totals. */
static __always_inline void node_mem_sub(const struct ml_block *b)
{
	__s64 delta = -(__s64)block_bytes(b->size);
	struct ml_node_mem *m;

	if (b->site & ML_SITE_BUFFER) {
		m = node_mem_of(b->pid, 1);
		if (m)
			node_mem_add(&m->buffer_bytes, &m->buffer_low, m->low_open, delta);
	} else if (b->site & ML_SITE_NODE_NATIVE) {
		m = node_mem_of(b->pid, 0);
		if (m)
			node_mem_add(&m->native_bytes, &m->native_low, m->low_open, delta);
	}
}

/* The block b is gone: out of its site's outstanding figures. */
static __always_inline void block_gone(const struct ml_block *b)
{
	struct ml_site_counts *sc;
	__u64 bytes;

	node_mem_sub(b);
	sc = site_counts(b->site);
	if (!sc)
		return;
	bytes = block_bytes(b->size);
	__sync_fetch_and_add(&sc->freed_bytes, bytes);
	__sync_fetch_and_add(&sc->freed_count, block_count(bytes, b->size));
}

/* A block came back from the allocator: remember it and count it. */
static __always_inline void record_block(struct task_struct *task, __u32 pid, __u64 addr,
					struct ml_thread *t)
{
	struct ml_stat_key key = {
		.pid = pid,
		.exec_id = image_id(task),
		.stack_id = t->stack_id,
		.category = ML_FN_IS_BUFFER(t->func) ? ML_CAT_BUFFER : ML_CAT_NATIVE,
	};
	struct ml_block b = { .size = t->size, .pid = pid }, stale;
	struct ml_node_mem *m;
	struct ml_site_counts *sc;
	__u64 bytes;
	long site;
	int put;

	if (addr >> 48) {
		count_drop(ML_DROP_ALLOCS);	/* cannot be tagged (struct ml_block) */
		return;
	}
	site = site_of(&t->site, &key);
	if (site < 0)
		return;
	b.site = site;
	/* a Node.js process's native blocks are also counted in its total */
	if (key.category == ML_CAT_BUFFER) {
		m = node_mem_of(pid, 1);
		b.site |= ML_SITE_BUFFER;
	} else {
		m = node_mem_of_thread(pid, t);
		if (m)
			b.site |= ML_SITE_NODE_NATIVE;
	}
	b.ts_ns = block_clock_ns;
	put = block_put(ml_block_tag(pid, addr), &b, &stale);
	if (put < 0) {
		count_drop(ML_DROP_ALLOCS);
		return;
	}
	/* The address was freed by a path we do not probe: the stale block
	 * is retired as this one takes its place.
	 */
	if (put == 1)
		block_gone(&stale);
	bytes = block_bytes(b.size);
	if (m)
		__sync_fetch_and_add(key.category == ML_CAT_BUFFER ? &m->buffer_bytes : &m->native_bytes,
				     bytes);
	sc = site_counts(site);
	if (!sc)
		return;
	__sync_fetch_and_add(&sc->alloc_bytes, bytes);
	__sync_fetch_and_add(&sc->alloc_count, block_count(bytes, b.size));
}

/* Take pid's block at addr out of "blocks"; returns 0 when it was there. */
static __always_inline int take_block(__u32 pid, __u64 addr, struct ml_block *out)
{
	return block_take(ml_block_tag(pid, addr), pid, out);
}

static __always_inline __u64 requested_size(__u32 fn, struct pt_regs *ctx)
{
	__u64 a = PT_REGS_PARM1(ctx), b = PT_REGS_PARM2(ctx), c = PT_REGS_PARM3(ctx);

	switch (fn) {
	case ML_FN_MALLOC:
	case ML_FN_VALLOC:
	case ML_FN_PVALLOC:
	case ML_FN_CXX_NEW:
	case ML_FN_CXX_NEW_ARRAY:
	case ML_FN_CXX_NEW_NOTHROW:
	case ML_FN_CXX_NEW_ARRAY_NOTHROW:
	case ML_FN_CXX_NEW_ALIGN:
	case ML_FN_CXX_NEW_ARRAY_ALIGN:
		return a;
	case ML_FN_NODE_AB_ALLOCATE:
	case ML_FN_NODE_AB_ALLOCATE_UNINIT:
		return b;
	case ML_FN_CALLOC:
		return a * b;	/* an overflowing product fails: NULL, not counted */
	case ML_FN_REALLOC:
	case ML_FN_ALIGNED_ALLOC:
	case ML_FN_MEMALIGN:
		return b;
	case ML_FN_REALLOCARRAY:
		return b * c;
	case ML_FN_POSIX_MEMALIGN:
		return c;
	default:
		return 0;
	}
}

/* ---- sampling (--sample-bytes) ---- */

static __always_inline __u64 draw_threshold(void)
{
	return ml_sample_threshold(sample_thr, bpf_get_prandom_u32(), bpf_get_prandom_u32());
}

/* Count size bytes down the thread's threshold: 1 when this allocation
 * takes it to 0 or below (sampled), and a new one is drawn.
 */
static __always_inline int sample_take(struct ml_thread *t, __u64 size)
{
	__s64 left;

	if (!t->sample_armed) {
		t->sample_left = draw_threshold();
		t->sample_armed = 1;
	}
	left = t->sample_left - (__s64)ml_sample_consumed(size);
	if (left > 0) {
		t->sample_left = left;
		return 0;
	}
	t->sample_left = draw_threshold();
	return 1;
}

/* Is a call (of fn) or a syscall whose return address would sit at frame
 * inside the unsampled call in flight?  Below its return address, with
 * that address still in place (once it returned, the next call from its
 * caller overwrites it); at the same place only a tail call made by it
 * (reallocarray -> realloc, new[] -> new): another function, same address.
 * Another tracer's return probe on a call puts the uprobe trampoline there
 * instead, before our entry program runs or after: both sides compare the
 * address it keeps (bpf/uretprobe.bpf.h); one it no longer finds counts as
 * the same.
 */
static __always_inline int in_unsampled(struct task_struct *task, struct ml_thread *t, __u64 frame,
					__u32 fn)
{
	__u64 ra;

	if (!t->u_frame || frame > t->u_frame || (frame == t->u_frame && fn == t->u_func))
		return 0;
	if (t->u_size)
		return 0;	/* a leaf: no call is inside it; a syscall, see in_leaf() */
	if (umem_read_one(task, t->u_frame, &ra, !(++t->umem_reads & 1023)))
		return 0;
	ra = uretprobe_original(task, ra, t->u_frame);
	return ra == t->u_ra || ra == uprobe_trampoline(task);
}

/* Is the syscall whose stack is stack_id inside the unsampled leaf call
 * in flight (u_size)?  Its frames then include the leaf's code: the
 * syscall's own address, or a return address into the leaf.
 */
static __always_inline int in_leaf(struct ml_thread *t, __u64 sp, __u64 stack_id)
{
	struct ml_stack *s;
	__u32 i;

	if (!t->u_size || !t->u_frame || sp > t->u_frame || !stack_id)
		return 0;
	s = bpf_map_lookup_elem(&stacks, &stack_id);
	if (!s)
		return 0;
	for (i = 0; i < ML_MAX_FRAMES && i < s->nr; i++)
		if (s->ips[i] - t->u_ra <= t->u_size)
			return 1;
	return 0;
}

/* alloc_entry() with session: the call is sampled, its stack is still to
 * be taken (session_stack()); its return runs.
 */
#define ML_SESSION_STACK 2

/* Entry of every allocating function; the cookie says which one.  With
 * session, the return runs only when this returns 0 or ML_SESSION_STACK.
 */
static __always_inline int alloc_entry(struct pt_regs *ctx, struct task_struct *task,
				       const int session)
{
	__u64 cookie = probe_cookie(ctx, task), pid_tgid = task_pid_tgid(task);
	__u32 pid = pid_tgid >> 32, fn = ML_COOKIE_FN(cookie);
	__u64 sp = PT_REGS_SP(ctx), frame = sp + ML_COOKIE_SP_ADJ(cookie);
	__u64 size, arg = PT_REGS_PARM1(ctx);
	struct ml_thread *t;
	__u8 record, has_old = 0;

	t = traced_thread(task, pid, 1);
	if (!t)
		return session;
	/* A call at or below the outermost entry's stack is nested inside the
	 * allocator (realloc(NULL, n) -> malloc, reallocarray's tail call to
	 * realloc); a call above it means the outer call's return was never
	 * seen, and its state is stale.
	 */
	if (t->depth && sp <= t->entry_sp) {
		if (session)
			return 1;	/* the outer call's return is the one that counts */
		t->depth++;
		return 0;
	}
	if (session && in_unsampled(task, t, frame, fn))
		return 1;
	size = requested_size(fn, ctx);
	record = size >= min_size && size <= max_size;
	if (sample_bytes && record)
		record = sample_take(t, size);
	if ((fn == ML_FN_REALLOC || fn == ML_FN_REALLOCARRAY) && arg)
		has_old = !take_block(pid, arg, &t->old);
	if (session && !record && !has_old) {
		/* nothing to do at its return: not probed */
		t->depth = 0;
		t->u_func = fn;
		t->u_size = ML_COOKIE_SIZE(cookie);
		if (t->u_size) {
			t->u_frame = frame;
			t->u_ra = PT_REGS_IP(ctx) - ML_COOKIE_DELTA(cookie);
			return 1;
		}
		t->u_frame = umem_read_one(task, frame, &t->u_ra, !(++t->umem_reads & 1023)) ? 0 : frame;
		t->u_ra = uretprobe_original(task, t->u_ra, frame);
		return 1;
	}
	t->u_frame = 0;
	t->depth = 1;
	t->func = fn;
	t->pid = pid;
	t->entry_sp = sp;
	t->arg = arg;
	t->size = size;
	t->record = record;
	t->has_old = has_old;
	t->stack_id = 0;
	if (record && session)
		return ML_SESSION_STACK;
	if (record)
		t->stack_id = stack_for(t, task, pid_tgid, PT_REGS_IP(ctx), sp, PT_REGS_FP(ctx), frame);
	return 0;
}

static __always_inline int alloc_exit(struct pt_regs *ctx, struct task_struct *task)
{
	__u64 ret = PT_REGS_RC(ctx);
	struct ml_thread *t;
	__u64 addr = ret;
	__u32 pid;

	t = thread_state(task, 0);
	if (!t || !t->depth)
		return 0;	/* entered before we attached */
	if (--t->depth)
		return 0;	/* a nested call returned */
	pid = t->pid;

	switch (t->func) {
	case ML_FN_POSIX_MEMALIGN:
		if ((int)ret != 0 || bpf_probe_read_user(&addr, sizeof(addr), (void *)t->arg))
			addr = 0;
		break;
	case ML_FN_REALLOC:
	case ML_FN_REALLOCARRAY:
		if (!t->has_old)
			break;
		if (!ret && t->size) {
			/* Failed: the old block is still valid, put it back. */
			struct ml_block stale;

			if (block_put(ml_block_tag(pid, t->arg), &t->old, &stale) == 0)
				return 0;
		}
		block_gone(&t->old);	/* moved, resized or freed by realloc(p, 0) */
		break;
	}
	if (addr && t->record)
		record_block(task, pid, addr, t);
	return 0;
}

SEC("uprobe")
int alloc_enter(struct pt_regs *ctx)
{
	return alloc_entry(ctx, bpf_get_current_task_btf(), 0);
}

SEC("uretprobe")
int alloc_return(struct pt_regs *ctx)
{
	return alloc_exit(ctx, bpf_get_current_task_btf());
}

/* The session program's three parts are functions of their own, called in
 * turn: where the kernel has no private BPF stacks (PVM guests, for one), a
 * program and the functions it calls, nested, may use 512 bytes of stack in
 * all, and the three inlined into one frame, under the walk's callback,
 * need more.
 */
static __noinline int session_entry(struct pt_regs *ctx, struct task_struct *task)
{
	return alloc_entry(ctx, task, 1);
}

static __noinline int session_exit(struct pt_regs *ctx, struct task_struct *task)
{
	return alloc_exit(ctx, task);
}

/* The stack of the sampled call session_entry() readied. */
static __noinline int session_stack(struct pt_regs *ctx, struct task_struct *task)
{
	__u64 pid_tgid = task_pid_tgid(task), sp = PT_REGS_SP(ctx);
	struct ml_thread *t = thread_state(task, 0);

	if (!t)
		return 0;
	t->stack_id = stack_for(t, task, pid_tgid, PT_REGS_IP(ctx), sp, PT_REGS_FP(ctx),
				sp + ML_COOKIE_SP_ADJ(probe_cookie(ctx, task)));
	return 0;
}

/* --sample-bytes with uprobe sessions: the return of an unsampled call is
 * never taken (a return probe costs about half of an entry and return).
 */
SEC("uprobe")
int alloc_session(struct pt_regs *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	int ret;

	if (session_is_return(task))
		return session_exit(ctx, task);
	ret = session_entry(ctx, task);
	if (ret == ML_SESSION_STACK)
		return session_stack(ctx, task);
	return ret;
}

SEC("uprobe")
int free_enter(struct pt_regs *ctx)
{
	/* bpf_get_current_task_btf() is a helper call too on this kernel
	 * (not inlined), but a cheaper one than bpf_get_current_pid_tgid():
	 * 84.5 against 88.5 ns a free
	 */
	__u32 pid = task_pid_tgid(bpf_get_current_task_btf()) >> 32;
	__u64 addr = PT_REGS_PARM1(ctx);
	struct ml_block b;

	/* One look-up and nothing more for a block we do not hold: one of a
	 * process not traced (blocks are keyed by pid), made before we
	 * attached, or not sampled.  A free() inside realloc() finds nothing
	 * either: realloc's entry took the old block out of "blocks".
	 */
	if (addr && take_block(pid, addr, &b) == 0)
		block_gone(&b);
	return 0;
}

/* Entry and return of an anchor (see struct ml_thread): both are probed at
 * the function's first byte, where the caller's frame chain is intact.
 */
SEC("uprobe")
int anchor_enter(struct pt_regs *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = task_pid_tgid(task), sp = PT_REGS_SP(ctx);
	struct ml_thread *t;

	t = traced_thread(task, pid_tgid >> 32, 1);
	if (!t)
		return 0;
	if (t->anchor_depth && sp > t->anchor_sp)
		t->anchor_depth = 0;	/* a return we never saw */
	if (t->anchor_depth++)
		return 0;		/* nested: the outer one names the stack */
	t->anchor_sp = sp;
	if (t->depth && sp <= t->entry_sp)
		t->anchor_stack_id = t->stack_id;	/* inside the allocator */
	else
		t->anchor_stack_id = capture_stack(task, pid_tgid, PT_REGS_IP(ctx), sp,
						   PT_REGS_FP(ctx), sp, last_stack(t));
	return 0;
}

SEC("uretprobe")
int anchor_return(struct pt_regs *ctx)
{
	struct ml_thread *t = thread_state(bpf_get_current_task_btf(), 0);

	if (t && t->anchor_depth)
		t->anchor_depth--;
	return 0;
}

/* ---- mappings ---- */


/* Start of a mapping syscall: decide whose memory it is and take the stack
 * now, while the user stack is the caller's.
 */
static __always_inline int syscall_begin(void *ctx, __u8 type, __u64 addr,
					 __u64 len, __u64 len2, __u32 prot, __u32 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = task_pid_tgid(task), sp;
	struct pt_regs *regs;
	struct ml_thread *t;

	t = traced_thread(task, pid_tgid >> 32, 1);
	if (!t)
		return 0;
	t->sc_type = type;
	t->sc_addr = addr;
	t->sc_len = len;
	t->sc_len2 = len2;
	t->sc_prot = prot;
	t->sc_flags = flags;
	t->sc_stack_id = 0;
	if (type == ML_EV_MUNMAP || type == ML_EV_MAP_EXEC) {
		t->sc_category = ML_CAT_MMAP;
		return 0;	/* releases and discoveries need no stack */
	}
	/* The user registers as the syscall found them. */
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	sp = BPF_CORE_READ(regs, sp);
	if (t->depth && sp <= t->entry_sp) {
		t->sc_category = ML_CAT_ALLOCATOR;
		t->sc_stack_id = t->stack_id;
		/* sampling: an unsampled call took no stack */
		if (!sample_bytes || t->sc_stack_id)
			return 0;
	} else if (sample_bytes && in_unsampled(task, t, sp, ML_FN_MAX)) {
		t->sc_category = ML_CAT_ALLOCATOR;
	} else {
		t->sc_category = ML_CAT_MMAP;
	}
	t->sc_stack_id = stack_for(t, task, pid_tgid, BPF_CORE_READ(regs, ip), sp,
				   BPF_CORE_READ(regs, bp), sp);
	if (sample_bytes && t->sc_category == ML_CAT_MMAP && in_leaf(t, sp, t->sc_stack_id))
		t->sc_category = ML_CAT_ALLOCATOR;
	return 0;
}

struct vma_ctx {
	struct ml_ev_file *file;
};

/* The file just mapped is new to user space: stop the process before it
 * runs the file's code (a preloaded or dlopen'ed allocator's constructors
 * allocate at once, and so does the code that called dlopen), so that
 * none of its allocations is missed and none of its stacks cut short.
 * The signal takes effect on the way back to user space; user space sends
 * SIGCONT once it has attached to the file and built its table.  The
 * process is in "held" first: nobody is stopped that could be forgotten.
 */
static __always_inline void hold_until_known(struct ml_ev_file *file)
{
	struct ml_unwind_file_key key = { .dev = file->dev, .inode = file->inode };
	__u32 pid = bpf_get_current_pid_tgid() >> 32, one = 1;

	if (!hold_new_files || !file->inode)
		return;
	if (bpf_map_lookup_elem(&known_files, &key) &&
	    (unwind_mode == ML_UNWIND_FP || bpf_map_lookup_elem(&unwind_files, &key)))
		return;
	if (bpf_map_update_elem(&held, &pid, &one, BPF_ANY))
		return;
	if (!bpf_send_signal(19 /* SIGSTOP */))
		file->held = 1;
	else
		bpf_map_delete_elem(&held, &pid);
}

static long describe_vma(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct ml_ev_file *file = ((struct vma_ctx *)data)->file;
	struct file *f = vma->vm_file;

	file->addr = vma->vm_start;
	file->len = vma->vm_end - vma->vm_start;
	file->offset = (__u64)vma->vm_pgoff << 12;
	if (f) {
		file->inode = BPF_CORE_READ(f, f_inode, i_ino);
		file->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	}
	return 0;
}

static __always_inline int syscall_end(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct ml_thread *t = thread_state(task, 0);
	struct ml_event *e;
	__u8 type;

	if (!t || !t->sc_type)
		return 0;
	type = t->sc_type;
	t->sc_type = 0;
	if (ret < 0 && ret >= -MAX_ERRNO && type != ML_EV_BRK)
		return 0;	/* failed: nothing changed */
	if ((type == ML_EV_MUNMAP || type == ML_EV_MPROTECT) && ret != 0)
		return 0;

	/* a new executable mapping is a process event: a file to attach to */
	e = reserve_event(type == ML_EV_MAP_EXEC);
	if (!e) {
		count_drop(type == ML_EV_MAP_EXEC ? ML_DROP_PROC_EVENTS : ML_DROP_EVENTS);
		return 0;
	}
	/* the payload is a union: clear it so that no byte goes out unset */
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->pid = task->tgid;
	e->tid = task->pid;
	e->exec_id = image_id(task);
	e->ts_ns = bpf_ktime_get_ns();
	e->stack_id = t->sc_stack_id;
	e->category = t->sc_category;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	switch (type) {
	case ML_EV_MAP_EXEC: {
		/* Say which file is mapped where, so that the process can be
		 * symbolised even if it exits before /proc/PID/maps is read.
		 */
		struct vma_ctx vc = { .file = &e->file };

		e->stack_id = 0;
		e->category = 0;
		bpf_find_vma(task, ret, describe_vma, &vc, 0);
		hold_until_known(&e->file);
		break;
	}
	case ML_EV_BRK:
		e->brk.brk = ret;
		e->brk.asked = t->sc_addr;
		break;
	default:
		e->map.addr = type == ML_EV_MMAP ? ret : t->sc_addr;
		e->map.len = t->sc_len;
		e->map.prot = t->sc_prot;
		e->map.flags = t->sc_flags;
		if (type == ML_EV_MREMAP) {
			e->map.new_addr = ret;
			e->map.new_len = t->sc_len2;
		}
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_mmap")
int mmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 len = ctx->args[1];
	__u32 prot = ctx->args[2], flags = ctx->args[3];

	if (track_mappings && (flags & MAP_ANONYMOUS) && (flags & MAP_TYPE) == MAP_PRIVATE)
		return syscall_begin(ctx, ML_EV_MMAP, ctx->args[0], len, 0, prot, flags);
	if (discover_libs && (prot & PROT_EXEC))
		return syscall_begin(ctx, ML_EV_MAP_EXEC, ctx->args[0], len, 0, prot, flags);
	/* A file or shared mapping placed over tracked memory (MAP_FIXED)
	 * replaces it: account for it as an unmap.
	 */
	if (track_mappings && (flags & 0x10 /* MAP_FIXED */))
		return syscall_begin(ctx, ML_EV_MUNMAP, ctx->args[0], len, 0, prot, flags);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_mmap")
int mmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_end(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_munmap")
int munmap_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_begin(ctx, ML_EV_MUNMAP, ctx->args[0], ctx->args[1], 0, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_munmap")
int munmap_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_end(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_mremap")
int mremap_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_begin(ctx, ML_EV_MREMAP, ctx->args[0], ctx->args[1],
			     ctx->args[2], 0, ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_exit_mremap")
int mremap_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_end(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_mprotect")
int mprotect_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_begin(ctx, ML_EV_MPROTECT, ctx->args[0], ctx->args[1], 0,
			     ctx->args[2], 0);
}

SEC("tracepoint/syscalls/sys_exit_mprotect")
int mprotect_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_end(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_brk")
int brk_enter(struct trace_event_raw_sys_enter *ctx)
{
	return syscall_begin(ctx, ML_EV_BRK, ctx->args[0], 0, 0, 0, 0);
}

SEC("tracepoint/syscalls/sys_exit_brk")
int brk_exit(struct trace_event_raw_sys_exit *ctx)
{
	return syscall_end(ctx->ret);
}

/* ---- process lifecycle ---- */

static __always_inline struct ml_event *task_event(__u32 type, struct task_struct *task)
{
	struct ml_event *e = reserve_event(type != ML_EV_GC);

	if (!e) {
		count_drop(type == ML_EV_GC ? ML_DROP_EVENTS : ML_DROP_PROC_EVENTS);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->type = type;
	e->pid = task->tgid;
	e->tid = task->pid;
	e->exec_id = image_id(task);
	e->ts_ns = bpf_ktime_get_ns();
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	return e;
}

static __always_inline void emit_fork(struct task_struct *parent, struct task_struct *child)
{
	struct ml_event *e = task_event(ML_EV_FORK, parent);

	if (!e)
		return;
	e->fork.child = child->tgid;
	e->fork.child_exec_id = image_id(child);
	bpf_ringbuf_submit(e, 0);
}

/* Describe the mapping at addr (file, offset) in an event of its own kind. */
static __always_inline void emit_mapping(__u32 type, struct task_struct *task, __u64 addr,
					 const char *path)
{
	struct ml_event *e = task_event(type, task);
	struct vma_ctx vc;

	if (!e)
		return;
	vc.file = &e->file;
	bpf_find_vma(task, addr, describe_vma, &vc, 0);
	hold_until_known(&e->file);
	if (path)
		bpf_probe_read_kernel_str(e->file.path, sizeof(e->file.path), path);
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = parent->tgid, cpid = child->tgid;
	__u32 one = 1;

	if (child->pid != child->tgid)
		return 0;	/* a new thread, not a new process */
	if (filter_targets) {
		if (!follow_forks || !bpf_map_lookup_elem(&targets, &ppid))
			return 0;
		bpf_map_update_elem(&targets, &cpid, &one, BPF_ANY);
	} else if (ppid == self_pid) {
		return 0;
	}
	/* User space learns whose image the child runs until it calls execve
	 * (to name its stacks if it exits before its map can be read).
	 */
	emit_fork(parent, child);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 start_code = BPF_CORE_READ(task, mm, start_code), ip;
	struct pt_regs *regs;
	__u32 tgid;

	if (!traced(task, task->tgid))
		return 0;
	/* The kernel mapped the executable and its interpreter itself: say
	 * where, so that a process that exits at once can still be named.
	 * The ELF interpreter (ld.so) is where the new image starts, outside
	 * the executable's code; its path is not in bprm (bprm->interp is a
	 * script's), user space knows the file by device and inode.
	 */
	tgid = task->tgid;
	bpf_map_delete_elem(&node_mem, &tgid);	/* the old image's Buffers are gone */
	emit_mapping(ML_EV_EXEC, task, start_code, BPF_CORE_READ(bprm, filename));
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	ip = BPF_CORE_READ(regs, ip);
	if (ip < start_code || ip >= BPF_CORE_READ(task, mm, end_code))
		emit_mapping(ML_EV_MAP_EXEC, task, ip, NULL);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit, struct task_struct *task)
{
	struct ml_event *e;
	__u32 tgid;

	/* The group is gone when its live count has dropped to zero. */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (!traced(task, task->tgid))
		return 0;
	tgid = task->tgid;
	bpf_map_delete_elem(&node_mem, &tgid);
	/* the pid may name another process soon: it is not a target */
	if (filter_targets)
		bpf_map_delete_elem(&targets, &tgid);
	e = task_event(ML_EV_EXIT, task);
	if (e)
		bpf_ringbuf_submit(e, 0);
	return 0;
}

/* ---- V8 ---- */

/* A V8 collector begins: an event in order with the mapping events, so
 * that user space counts collections per interval.  It carries the Buffer
 * and native low points since the last full collection ended; a full one
 * ends that watch.  (Until the next full collection, Buffers never fall
 * below what the last one left alive: scavenges free only younger ones.)
 */
SEC("uprobe")
int gc_enter(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct ml_node_mem *m;
	struct ml_event *e;

	if (!traced(bpf_get_current_task_btf(), pid))
		return 0;
	e = task_event(ML_EV_GC, bpf_get_current_task_btf());
	if (!e)
		return 0;
	e->gc.kind = bpf_get_attach_cookie(ctx);
	e->gc.buffer_low = -1;
	e->gc.native_low = -1;
	m = bpf_map_lookup_elem(&node_mem, &pid);
	if (m) {
		e->gc.buffer_bytes = m->buffer_bytes;
		e->gc.native_bytes = m->native_bytes;
		if (m->low_open) {
			e->gc.buffer_low = m->buffer_low;
			e->gc.native_low = m->native_low;
		}
		if (e->gc.kind == ML_GC_FULL)
			m->low_open = 0;
		m->live_wanted = 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* The full collector returned: what survived it.  Buffers and the native
 * heap are watched from here to the next collection for their low point, and V8's own count of
 * its live old generation comes next (gc_full_live).
 */
SEC("uretprobe")
int gc_full_end(struct pt_regs *ctx)
{
	static const struct ml_node_mem zero;
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct ml_node_mem *m;
	struct ml_event *e;

	if (!traced(bpf_get_current_task_btf(), pid))
		return 0;
	m = bpf_map_lookup_elem(&node_mem, &pid);
	if (!m) {
		if (!bpf_map_update_elem(&node_mem, &pid, &zero, BPF_NOEXIST))
			__sync_fetch_and_add(&node_mem_epoch, 1);
		m = bpf_map_lookup_elem(&node_mem, &pid);
	}
	e = task_event(ML_EV_GC, bpf_get_current_task_btf());
	if (!e)
		return 0;
	e->gc.kind = ML_GC_FULL;
	e->gc.after = 1;
	if (m) {
		e->gc.buffer_bytes = m->buffer_bytes;
		e->gc.native_bytes = m->native_bytes;
		m->buffer_low = m->buffer_bytes;
		m->native_low = m->native_bytes;
		m->low_open = 1;
		m->live_wanted = 1;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* MemoryController<V8HeapTrait>::CalculateAllocationLimit(heap,
 * current_size, ...): after a full collection (its first call since one
 * ended), current_size is the live size of V8's old generation.  V8 also
 * calls it after some scavenges: those calls are not wanted.
 */
SEC("uprobe")
int gc_full_live(struct pt_regs *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct ml_node_mem *m = bpf_map_lookup_elem(&node_mem, &pid);
	struct ml_event *e;

	if (!m || !m->live_wanted)
		return 0;
	m->live_wanted = 0;
	e = task_event(ML_EV_GC, bpf_get_current_task_btf());
	if (!e)
		return 0;
	e->gc.kind = ML_GC_FULL;
	e->gc.after = 2;
	e->gc.v8_live = PT_REGS_PARM2(ctx);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
