/* SPDX-License-Identifier: GPL-2.0 */
/* bpf/memleak.h: fixed-layout types shared by bpf/memleak.bpf.c and user/.
 * No pointers, no bool, no libc headers: both sides must agree byte for byte.
 */
#ifndef MEMLEAK_H
#define MEMLEAK_H

#ifndef __VMLINUX_H__
#include <linux/types.h>	/* user space; BPF gets __u64 & co. from vmlinux.h */
#endif

/* Frames kept per stack; the kernel's default perf_event_max_stack is 127. */
#define ML_MAX_FRAMES 127

/* --cgroup subtrees traced at most (slots of the "cgroups" array). */
#define ML_MAX_CGROUPS 8

/* What an allocation is.  Kept as a field on every record so that new
 * classifications (Node.js heaps) need no new maps or key shapes.
 */
enum ml_category {
	ML_CAT_NATIVE = 0,	/* malloc family, as the program asked for it */
	ML_CAT_MMAP = 1,	/* anonymous mappings and brk made by the program */
	ML_CAT_ALLOCATOR = 2,	/* mmap/brk made inside the allocator */
	ML_CAT_V8_HEAP = 3,	/* Node.js: V8's heap pages */
	ML_CAT_BUFFER = 4,	/* Node.js: ArrayBuffer backing stores */
	ML_CAT_MAX = 5,
};

/* Allocator entry points, in the order of the names table in
 * user/target/allocators.c.  The function id travels in the low byte of a
 * probe's BPF cookie.
 */
enum ml_func {
	ML_FN_MALLOC = 0,
	ML_FN_CALLOC,
	ML_FN_REALLOC,
	ML_FN_REALLOCARRAY,
	ML_FN_FREE,
	ML_FN_POSIX_MEMALIGN,
	ML_FN_ALIGNED_ALLOC,
	ML_FN_MEMALIGN,
	ML_FN_VALLOC,
	ML_FN_PVALLOC,
	ML_FN_CXX_NEW,		/* operator new(size_t) and friends: size first */
	ML_FN_CXX_NEW_ARRAY,
	ML_FN_CXX_NEW_NOTHROW,
	ML_FN_CXX_NEW_ARRAY_NOTHROW,
	ML_FN_CXX_NEW_ALIGN,
	ML_FN_CXX_NEW_ARRAY_ALIGN,
	ML_FN_CXX_DELETE,	/* operator delete(void *) and friends: like free */
	ML_FN_CXX_DELETE_ARRAY,
	ML_FN_CXX_DELETE_SIZED,
	ML_FN_CXX_DELETE_ARRAY_SIZED,
	ML_FN_CXX_DELETE_ALIGN,
	ML_FN_CXX_DELETE_ARRAY_ALIGN,
	/* Node.js: node::NodeArrayBufferAllocator, what V8 asks for every
	 * ArrayBuffer/Buffer backing store (process.memoryUsage().arrayBuffers
	 * is its running total).  Methods: `this` first, so the size is
	 * argument 2.  The calloc/malloc they call inside are nested calls:
	 * the block is counted once, as category buffer.  Its Free() needs no
	 * probe (it begins with a lock-prefixed instruction, which the kernel
	 * refuses): it hands the block to free(), which releases it.
	 */
	ML_FN_NODE_AB_ALLOCATE,		/* Allocate(size_t) */
	ML_FN_NODE_AB_ALLOCATE_UNINIT,	/* AllocateUninitialized(size_t) */
	ML_FN_MAX,
};

/* Functions that release a block (entry probe only, the block is argument 1). */
#define ML_FN_IS_RELEASE(fn) ((fn) == ML_FN_FREE ||						\
			      ((fn) >= ML_FN_CXX_DELETE && (fn) <= ML_FN_CXX_DELETE_ARRAY_ALIGN))
/* Functions whose blocks are ArrayBuffer backing stores (category buffer). */
#define ML_FN_IS_BUFFER(fn) ((fn) == ML_FN_NODE_AB_ALLOCATE || (fn) == ML_FN_NODE_AB_ALLOCATE_UNINIT)

/* V8 garbage collections, counted at the collectors' entry points (the
 * cookie of a gc_enter probe).  The end of a full collection is its
 * collector's return (gc_full_end); then V8 sets the next one's limit from
 * the live size of its old generation, argument 1 of
 * MemoryController<V8HeapTrait>::CalculateAllocationLimit (gc_full_live).
 */
enum ml_gc_kind {
	ML_GC_SCAVENGE = 0,	/* ScavengerCollector::CollectGarbage: young generation */
	ML_GC_MINOR_MC,		/* MinorMarkCompactCollector::CollectGarbage: young, by marking */
	ML_GC_FULL,		/* MarkCompactCollector::CollectGarbage: the whole heap */
	ML_GC_MAX,
};

/* BPF cookie layout of an allocator probe: function id in bits 0-7, the
 * number of bytes the probe's offset has pushed onto the stack since the
 * function's first instruction in bits 8-15 (the return address sits that
 * far above the stack pointer when the probe fires).
 *
 * A leaf (ML_COOKIE_LEAF): a function that calls no probed function, only
 * syscalls (glibc's, jemalloc's, tcmalloc's and mimalloc's malloc, calloc
 * and aligned allocators), with its code's extent: the probe's distance
 * from its first byte in bits 16-31, its size in bits 32-63 (0: not a
 * leaf).  An unsampled call to it keeps no return address; a mapping
 * syscall is inside it when the syscall's stack has a frame in its code.
 */
#define ML_COOKIE(fn, sp_adj)	((unsigned long long)(fn) | ((unsigned long long)(sp_adj) << 8))
#define ML_COOKIE_LEAF(delta, size) (((unsigned long long)(delta) << 16) |		\
				     ((unsigned long long)(size) << 32))
#define ML_COOKIE_FN(c)		((c) & 0xff)
#define ML_COOKIE_SP_ADJ(c)	(((c) >> 8) & 0xff)
#define ML_COOKIE_DELTA(c)	(((c) >> 16) & 0xffff)
#define ML_COOKIE_SIZE(c)	((c) >> 32)
#define ML_LEAF_MAX_DELTA	0xffff
#define ML_LEAF_MAX_SIZE	0xffffffffULL

/* Stack ids are 64-bit hashes of the frames: collisions are negligible, and
 * the id does not depend on how the frames were unwound.  0 = no stack.
 */
struct ml_stack {		/* "stacks" value, keyed by __u64 stack id */
	__u32 nr;		/* frames used in ips[], leaf first */
	__u32 end;		/* how a walk by tables ended (enum
				 * ml_unwind_counter, ML_UW_END_*); 0: walked
				 * by frame pointers */
	__u64 ips[ML_MAX_FRAMES];
};

/* ---- Unwinding by CFI (.eh_frame, .debug_frame) ----
 *
 * User space compiles a file's call frame information into rows sorted by
 * address (user/target/cfi.c); all files' rows live in one array map,
 * "unwind_rows".  Each row holds from its pc to the next row's pc.  At an
 * address, the canonical frame address (CFA) is a register plus an offset;
 * the return address is at CFA - 8 and the caller's rsp is the CFA.
 */
enum ml_cfa_rule {
	ML_CFA_NONE = 0,	/* no CFI covers this range (a gap between functions) */
	ML_CFA_RSP,		/* CFA = rsp + cfa_off */
	ML_CFA_RBP,		/* CFA = rbp + cfa_off */
	/* .plt entries: CFA = rsp + cfa_off, plus 8 when (rip & 15) >=
	 * plt_threshold (the push of the lazy binding stub has run)
	 */
	ML_CFA_PLT,
	ML_CFA_END,		/* the outermost frame (_start, clone): the return
				 * address is undefined, the walk is complete */
	ML_CFA_UNSUPPORTED,	/* a rule the walk cannot follow: it stops here */
};

struct ml_unwind_row {
	__u32 pc;		/* the range's start, from the table's base address */
	__s32 cfa_off;
	__s16 rbp_off;		/* rbp saved at CFA + rbp_off; 0: rbp unchanged */
	__u8 cfa_rule;		/* enum ml_cfa_rule */
	__u8 plt_threshold;	/* ML_CFA_PLT only */
};

/* One process's executable mappings, for the walk: sorted by start. */
#define ML_UNWIND_MAPPINGS 256

/* The rows live in blocks, so that an array element (a multiple of 8
 * bytes) holds rows of 12 bytes without padding between them: row i is
 * block i / ML_ROWS_PER_BLOCK, slot i % ML_ROWS_PER_BLOCK.
 */
#define ML_ROWS_PER_BLOCK 64

struct ml_row_block {		/* "unwind_rows" value */
	struct ml_unwind_row rows[ML_ROWS_PER_BLOCK];
};

/* Why a mapping has no rows to walk by: the walk takes a frame-pointer
 * step there (--unwind auto) and counts it under this reason.
 */
enum ml_table_status {
	ML_TABLE_READY = 0,	/* rows [first_row, first_row + nrows) */
	ML_TABLE_NONE,		/* the file has no CFI */
	ML_TABLE_PENDING,	/* not built yet */
	ML_TABLE_BUDGET,	/* over the memory budget of the tables */
};

/* A table's index, so that a search starts among a few rows: entry k of
 * a table holds the last of its rows at or below pc k * ML_INDEX_STEP.
 * Entries live in "unwind_index", in blocks like the rows.
 */
#define ML_INDEX_SHIFT 8
#define ML_INDEX_STEP (1u << ML_INDEX_SHIFT)
#define ML_INDEX_PER_BLOCK 256

struct ml_index_block {		/* "unwind_index" value */
	__u32 rows[ML_INDEX_PER_BLOCK];
};

struct ml_unwind_mapping {
	__u64 start, end;	/* [start, end) in the process */
	__u64 bias;		/* a row's pc = ip - bias */
	__u32 first_row;	/* the file's rows: [first_row, first_row + nrows) */
	__u32 nrows;
	__u32 first_index;	/* its index: [first_index, first_index + nindex) */
	__u32 nindex;
	__u32 status;		/* enum ml_table_status */
	__u32 pad;
};

struct ml_unwind_proc {		/* "unwind_procs" value, keyed by tgid */
	__u32 n;
	__u32 gen;		/* never 0, new with every table user space writes: the
				 * walk's cache of rows holds for one generation */
	struct ml_unwind_mapping m[ML_UNWIND_MAPPINGS];
};

/* Every file with a table, by the file itself: what the walk uses for an
 * address in a mapping it does not find among its process's (a process
 * that has just started, a library just loaded), through the kernel's own
 * record of the mapping (bpf_find_vma).
 */
struct ml_unwind_file_key {	/* "unwind_files" and "known_files" key */
	__u32 dev;		/* the file's device, kernel encoding (major << 20 | minor) */
	__u32 pad;
	__u64 inode;
};

struct ml_unwind_file {		/* "unwind_files" value */
	/* a row's pc = address - mapping start + mapping file offset + file_to_pc */
	__s64 file_to_pc;
	__u32 first_row;
	__u32 nrows;
	__u32 first_index;
	__u32 nindex;
	__u32 status;		/* enum ml_table_status */
	__u32 pad;
};

/* How walks went, a slot each in the "unwind_counts" per-CPU array.
 * Every walk by tables ends one way (ML_UW_END_*); frame-pointer steps
 * taken inside such walks are counted by cause (ML_UW_FP_STEP_*).
 */
enum ml_unwind_counter {
	ML_UW_WALKS = 0,	/* stacks walked by tables */
	ML_UW_END_COMPLETE,	/* reached the outermost frame */
	ML_UW_END_FP,		/* ended on a frame-pointer step */
	ML_UW_END_NO_MAPPING,	/* an address in no known mapping (dwarf mode) */
	ML_UW_END_NO_ROW,	/* an address no CFI covers (dwarf mode) */
	ML_UW_END_READ,		/* stack memory could not be read */
	ML_UW_END_DEPTH,	/* ML_MAX_FRAMES reached */
	ML_UW_END_UNSUPPORTED,	/* a CFI rule the walk cannot follow */
	ML_UW_FP_STEP_NO_MAPPING,	/* JIT or anonymous code */
	ML_UW_FP_STEP_NO_ROW,	/* code without CFI in a file with tables */
	ML_UW_FP_STEP_NO_TABLE,	/* a file without CFI */
	ML_UW_FP_STEP_PENDING,	/* a table not built yet */
	ML_UW_FP_STEP_BUDGET,	/* a table over the budget */
	ML_UW_VMA_LOOKUPS,	/* mappings found through the kernel, not the process's table */
	ML_UW_REPLAYED,		/* walks replayed from the last one on their CPU */
	ML_UW_REPLAYED_DIRECT,	/* of those, read through the direct map (bpf/umem.bpf.h) */
	ML_UW_MAX,
};

/* In "unwind_counts", a replay is one add, to the slot of how the walk it
 * replays ended: ML_UW_REPLAYED_END + ML_UW_END_*, or ML_UW_DIRECT_END +
 * ML_UW_END_* when its words were read through the direct map.  User space
 * folds these slots into ML_UW_WALKS, ML_UW_REPLAYED, the end's own slot
 * and ML_UW_REPLAYED_DIRECT.
 */
#define ML_UW_REPLAYED_END	ML_UW_MAX
#define ML_UW_DIRECT_END	(ML_UW_REPLAYED_END + ML_UW_END_UNSUPPORTED + 1)
#define ML_UW_SLOTS		(ML_UW_DIRECT_END + ML_UW_END_UNSUPPORTED + 1)

/* --unwind */
enum ml_unwind_mode {
	ML_UNWIND_AUTO = 0,	/* tables where they exist, frame pointers elsewhere */
	ML_UNWIND_DWARF,	/* tables only: a walk stops where there are none */
	ML_UNWIND_FP,		/* frame pointers only */
};

/* One process image: the exec id changes at every execve, and differs
 * between two processes that had the same pid, so the entries of an old
 * image never mix with the new one's.  A site: the blocks of one image,
 * stack and category, counted together.
 */
struct ml_stat_key {		/* "site_ids" key */
	__u32 pid;		/* tgid */
	__u32 exec_id;		/* the image: a hash of the process's start time and
				 * task->self_exec_id, never 0 */
	__u64 stack_id;
	__u32 category;		/* enum ml_category */
	/* in struct ml_alloc only (ML_ALLOC_*): how the block was counted
	 * besides its site; 0 in "site_ids" keys
	 */
	__u32 flags;
};

/* A native block counted in its process's "node_mem" native total. */
#define ML_ALLOC_NODE_NATIVE 1

/* "site_stats" value, per CPU, added to atomically: what a site's blocks
 * took and gave back on that CPU (a block freed on another CPU makes both
 * sides differ from what is outstanding there; their sums over the CPUs do
 * not).  Two adds at each allocation and two at each free, where
 * outstanding figures would need four at each allocation.
 */
struct ml_site_counts {
	__u64 alloc_bytes;
	__u64 alloc_count;
	__u64 freed_bytes;
	__u64 freed_count;
};

struct ml_stat {		/* a site's figures, summed over the CPUs */
	__s64 outstanding_bytes;
	__s64 outstanding_count;
	__u64 total_bytes;	/* allocated since tracing began */
	__u64 total_count;
};

/* The outstanding heap blocks: a table BPF reads and writes with plain
 * loads and compare-and-swap, no helper call (a hash map's update and
 * delete cost more than the rest of the accounting).  Its slots are in
 * buckets of ML_BUCKET_SLOTS; a block may live in either of the two
 * buckets its tag hashes to, and goes into the one with more room (two
 * choices keep every bucket short of full up to 70% of the slots in use).
 * A look-up reads every tag of a bucket, so a freed slot is simply empty
 * again.  "block_tags" holds the tags, a cache line per bucket; "blocks"
 * the rest of each slot.  A tag is claimed first (ML_BLOCK_BUSY), then the
 * slot is written, then the tag; whoever swaps a tag back to
 * ML_BLOCK_EMPTY owns the block's end (a double free counts once).  User
 * space reads both arrays through mappings of them, and takes blocks out
 * the same way.
 */
#define ML_BUCKET_SLOTS	8

struct ml_block_tags {
	__u64 tag[ML_BUCKET_SLOTS];	/* ML_BLOCK_EMPTY, _BUSY, or ml_block_tag() */
};

struct ml_block {
	__u64 size;
	__u64 ts_ns;		/* CLOCK_MONOTONIC, to a few ms (block_clock_ns) */
	__u32 pid;		/* tgid */
	__u32 site;		/* its slot in "site_stats" | ML_SITE_* flags */
};

#define ML_BLOCK_EMPTY	0ULL
#define ML_BLOCK_BUSY	1ULL	/* being written */
#define ML_BLOCK_LIVE(tag) ((tag) > ML_BLOCK_BUSY)

/* The address and the low 16 bits of the pid in one word, so that a slot
 * is claimed and released by one compare-and-swap; the pid beside it
 * tells processes apart.  User addresses have 47 bits (48 with 5-level
 * paging without hints); a block above 2^48 is not tracked.
 */
static inline __u64 ml_block_tag(__u32 pid, __u64 addr)
{
	return addr | (__u64)(pid & 0xffff) << 48;
}

/* The mix of a tag that places it: its two buckets, its filter slot. */
static inline __u64 ml_block_hash(__u64 tag)
{
	tag ^= tag >> 33;
	tag *= 0xff51afd7ed558ccdULL;
	tag ^= tag >> 33;
	tag *= 0xc4ceb9fe1a85ec53ULL;
	tag ^= tag >> 33;
	return tag;
}

/* --sample-bytes: "block_filter" counts the blocks in the table by a slot
 * of their hash.  Most blocks freed were never sampled: their free reads
 * one counter, finds 0 and stops, where the two buckets it would read
 * are two cache misses in a table sized for every block (redis-server's
 * free under sampling: 377 ns of BPF, 129 with the filter).  A counter goes up before its block
 * is in the table and down after it is out (by BPF, or by user space's
 * purge), so it is never 0 while one is there.  Not used without sampling,
 * where nearly every block freed is in the table.
 */
#define ML_FILTER_SLOTS	(1U << 16)
#define ML_FILTER_LANES	16

/* A cache line of counters, an element of "block_filter": an array map
 * lays its elements out 8 bytes apart at least, so a single __u32 would
 * leave holes in the mapping user space reads.
 */
struct ml_block_filter {
	__u32 n[ML_FILTER_LANES];
};

static inline __u32 ml_block_filter_slot(__u64 hash)
{
	return (__u32)(hash >> 16) & (ML_FILTER_SLOTS - 1);
}

#define ML_SITE_BUFFER		(1U << 31)	/* category buffer */
#define ML_SITE_NODE_NATIVE	(1U << 30)	/* counted in its process's "node_mem" native total */
#define ML_SITE_SLOT(site)	((site) & ~(ML_SITE_BUFFER | ML_SITE_NODE_NATIVE))
#define ML_MAX_SITES		(1U << 30)

/* "node_mem" value, keyed by pid: a Node.js process's Buffer bytes (blocks
 * of category buffer outstanding, weighed as sites weigh them: with
 * --sample-bytes, estimated bytes in Q8), and their low point from the end
 * of the last full collection to the beginning of the next, which
 * collections' events carry (the ArrayBuffers a full collection found dead
 * are freed by a V8 worker thread, a little after it, or at the next
 * collection).  The same for its native heap (category native): V8's
 * records of each ArrayBuffer (its backing store, its extension) are
 * malloc'd and go with it.  Native blocks are counted from the entry's
 * making on (node's first Buffer, early in its start): the few made
 * before are left out.
 */
struct ml_node_mem {
	__s64 buffer_bytes;
	__s64 buffer_low;
	__s64 native_bytes;
	__s64 native_low;
	__u32 low_open;		/* 1: buffer_low and native_low are being followed */
	__u32 live_wanted;	/* 1: a full collection ended, V8's count of what survived is next */
};

/* One outstanding block as the collector sees it (user space joins a
 * "blocks" slot with its site's key).
 */
struct ml_alloc {
	__u64 size;
	__u64 ts_ns;		/* CLOCK_MONOTONIC, to a few ms */
	struct ml_stat_key key;
};

/* Why events were lost; a slot each in the "drops" per-CPU array. */
enum ml_drop {
	ML_DROP_ALLOCS = 0,	/* block table full: a block went untracked */
	ML_DROP_STATS,		/* site table full: a block went uncounted */
	ML_DROP_STACKS,		/* stacks map full: counted with no stack */
	ML_DROP_EVENTS,		/* ring buffer full: a mapping event was lost */
	ML_DROP_THREADS,	/* no per-thread state could be had */
	ML_DROP_PROC_EVENTS,	/* ring buffer full: a fork, exec or exit event was lost */
	ML_DROP_MAX,
};

/* Events user space must see in order: mappings (whose accounting needs
 * interval arithmetic) and process lifecycle.  Each type has one payload,
 * a member of the union in struct ml_event named beside it.
 */
enum ml_event_type {
	ML_EV_MMAP = 1,		/* map: a new anonymous private mapping */
	ML_EV_MUNMAP,		/* map: addr, len */
	ML_EV_MREMAP,		/* map: addr, len -> new_addr, new_len */
	ML_EV_MPROTECT,		/* map: addr, len, prot */
	ML_EV_BRK,		/* brk */
	ML_EV_EXEC,		/* file: the process image changed (exec_id is
				 * the new one); the executable's text mapping,
				 * path = the file name given to execve */
	ML_EV_EXIT,		/* no payload: the last thread of pid exited */
	ML_EV_FORK,		/* fork: pid forked a traced child */
	ML_EV_MAP_EXEC,		/* file: pid mapped an executable file; path =
				 * the file when known (the interpreter at exec) */
	ML_EV_GC,		/* gc: a V8 garbage collection began, or a full one ended */
};

struct ml_ev_mapping {		/* MMAP, MUNMAP, MREMAP, MPROTECT */
	__u64 addr;		/* the range (MREMAP: before the call) */
	__u64 len;
	__u64 new_addr;		/* MREMAP: the range after the call; 0 otherwise */
	__u64 new_len;
	__u32 prot;		/* MMAP, MPROTECT: PROT_* */
	__u32 flags;		/* MMAP: MAP_*; MREMAP: MREMAP_* */
};

struct ml_ev_brk {		/* BRK */
	__u64 brk;		/* the break after the call (the old one if it failed) */
	__u64 asked;		/* the break asked for */
};

struct ml_ev_file {		/* EXEC, MAP_EXEC: a mapping of an executable file */
	__u64 addr;		/* the mapping */
	__u64 len;
	__u64 offset;		/* its offset in the file */
	__u64 inode;		/* 0: no file (or not found) */
	__u32 dev;		/* the file's device, kernel encoding (major << 20 | minor) */
	/* 1: the process was stopped (SIGSTOP) because user space has not
	 * looked at this file yet ("known_files"): it continues the process
	 * (SIGCONT) once it has attached to the file and built its table
	 */
	__u32 held;
	char path[256];		/* "" when unknown */
};

struct ml_ev_fork {		/* FORK */
	__u32 child;		/* the child's pid */
	__u32 child_exec_id;	/* the child's image (its own: not its parent's) */
};

/* GC: a collection began (after == 0; kind: which collector); a full one
 * ended (after == 1, kind ML_GC_FULL: the return of its collector); V8
 * counted what survived it (after == 2, kind ML_GC_FULL: v8_live).
 */
struct ml_ev_gc {
	__u32 kind;		/* enum ml_gc_kind */
	__u32 after;
	__s64 buffer_bytes;	/* began, ended: the process's Buffer bytes now (struct ml_node_mem) */
	/* began: the least Buffer bytes since the last full collection
	 * ended, until now (-1: not followed: none ended since the previous
	 * full one began); otherwise 0
	 */
	__s64 buffer_low;
	__u64 v8_live;		/* after == 2: V8's live old generation, in bytes */
	__s64 native_bytes;	/* as buffer_bytes, of the native heap */
	__s64 native_low;	/* as buffer_low, of the native heap */
};

struct ml_event {
	__u32 type;		/* enum ml_event_type */
	__u32 pid;
	__u32 tid;
	__u32 exec_id;
	__u64 ts_ns;
	/* Who made a mapping, brk or GC event's memory: the stack (0: none)
	 * and the category its bytes count in.  0 for the other types.
	 */
	__u64 stack_id;
	__u32 category;		/* enum ml_category */
	__u32 pad;
	char comm[16];
	union {
		struct ml_ev_mapping map;
		struct ml_ev_brk brk;
		struct ml_ev_file file;
		struct ml_ev_fork fork;
		struct ml_ev_gc gc;
	};
};

#endif /* MEMLEAK_H */
