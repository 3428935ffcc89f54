// SPDX-License-Identifier: GPL-2.0
/* user/trace/tracer.c: skeleton lifecycle, probe attachment and the event stream. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "memleak.skel.h"
#include "target/allocators.h"
#include "target/cgroups.h"
#include "target/installed.h"
#include "trace/bpfmaps.h"
#include "trace/heaptables.h"
#include "trace/stacktable.h"
#include "trace/holds.h"
#include "trace/tracer.h"
#include "trace/uprobe_multi.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/sampling.h"
#include "util/ticker.h"

struct attached_lib {
	uint64_t dev, inode;
	pid_t pid;		/* -1: every process */
};

struct tracer {
	struct tracer_config cfg;
	struct memleak_bpf *skel;
	struct ring_buffer *rb;
	struct allocators *allocators;
	struct regions *regions;
	struct stack_sweep *stack_sweep;	/* the stacks unnamed at the last purge */
	struct proctable *procs;
	struct node_tracker *node;
	struct unwinder *unwinder;	/* NULL with --unwind fp */
	struct heap_maps heap;		/* the maps, for the collector */
	uint64_t events_lost_seen;	/* ML_DROP_PROC_EVENTS at the last tracer__reap_lost_exits */
	int events_left;		/* of this pass's TRACER_EVENTS_PER_PASS */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at attach */
	struct bpf_link **links;		/* perf-event links: tracepoints, old kernels' uprobes */
	size_t nlinks, links_cap;
	int *link_fds;				/* uprobe_multi links */
	size_t nlink_fds, link_fds_cap;
	bool multi;				/* uprobes go through uprobe_multi links */
	bool sessions;				/* --sample-bytes: allocators by uprobe sessions */
	struct sampling sampling;		/* --sample-bytes: its tables */
	/* Processes that mapped code since the last pass, whose allocators
	 * are looked for at its end (a walk of the whole table at every pass
	 * costs more than the events under a churn of processes).
	 */
	pid_t *rescan;
	size_t nrescan, rescan_cap;
	bool rescan_all;			/* the list could not grow: every process */
	struct attached_lib *attached;	/* (file, pid) pairs with probes */
	size_t nattached, attached_cap;
	int nlive_targets;		/* -p / -- CMD: targets still alive */
	bool hold;			/* -- CMD: BPF holds a process mapping a new file */
	struct holds *holds;		/* those it stopped (NULL without hold) */
	bool known_full;		/* "known_files" is full (said once) */
	struct ticker *clock;		/* keeps block_clock_ns current */
};

static int handle_event(void *ctx, void *data, size_t size);

/* Blocks of "unwind_rows" and "unwind_index": the budget, or one each
 * for --unwind fp.
 */
static void unwind_blocks(const struct tracer_config *o, size_t *rows, size_t *index)
{
	unwind_budget_split(o->unwind == ML_UNWIND_FP ? 0 : o->unwind_memory, rows, index);
}
static void init_heap_maps(struct tracer *t);

/* --sample-bytes: the tables for N, and one of the two ways of probing
 * allocators: a session (entry and return in one program), or an entry
 * and a return probe.
 */
static void configure_sampling(struct tracer *t)
{
	struct memleak_bpf *skel = t->skel;

	bpf_program__set_autoload(skel->progs.alloc_session, t->sessions);
	bpf_program__set_autoload(skel->progs.alloc_enter, !t->sessions);
	bpf_program__set_autoload(skel->progs.alloc_return, !t->sessions);
	if (!t->cfg.sample_bytes)
		return;
	skel->rodata->sample_bytes = t->sampling.n;
	memcpy((void *)skel->rodata->sample_thr, t->sampling.thr, sizeof(t->sampling.thr));
	memcpy((void *)skel->rodata->sample_g, t->sampling.g, sizeof(t->sampling.g));
}

/* Stack words read through the kernel's direct map (bpf/umem.bpf.h):
 * x86-64 with 4-level page tables, which the kernel says by leaving out
 * the la57 flag.  MEMLEAKBPF_DIRECT_READS=0 turns it off, to compare;
 * MEMLEAKBPF_DIRECT_SKEW=N reads every word N bytes off, for tests that
 * show a wrong translation caught by the checks.
 */
static bool direct_reads_possible(void)
{
#if defined(__x86_64__)
	const char *env = getenv("MEMLEAKBPF_DIRECT_READS");
	bool flags = false, la57 = false;
	char line[8192];
	FILE *f;

	if (env && !strcmp(env, "0"))
		return false;
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		flags = true;
		la57 = strstr(line, " la57 ") || strstr(line, " la57\n");
		break;
	}
	fclose(f);
	return flags && !la57;
#else
	return false;
#endif
}

static void configure(struct tracer *t)
{
	struct memleak_bpf *skel = t->skel;
	const struct tracer_config *o = &t->cfg;
	struct bpf_program *mapping_only[] = {
		skel->progs.munmap_enter, skel->progs.munmap_exit,
		skel->progs.mremap_enter, skel->progs.mremap_exit,
		skel->progs.mprotect_enter, skel->progs.mprotect_exit,
		skel->progs.brk_enter, skel->progs.brk_exit,
	};
	const char *skew = getenv("MEMLEAKBPF_DIRECT_SKEW");
	size_t i, rows, index;

	skel->rodata->self_pid = getpid();
	skel->rodata->filter_targets = o->mode != MODE_SYSTEM;
	skel->rodata->filter_cgroups = o->mode == MODE_SYSTEM ? o->ncgroups : 0;
	skel->rodata->follow_forks = o->mode == MODE_COMMAND;
	skel->rodata->discover_libs = 1;
	skel->rodata->track_mappings = o->trace_mmap;
	skel->rodata->min_size = o->min_size;
	skel->rodata->max_size = o->max_size;
	heap_tables__size(skel, o->max_allocs, o->max_stacks * 2);
	bpf_map__set_max_entries(skel->maps.stacks, o->max_stacks);
	skel->rodata->unwind_mode = o->unwind;
	skel->rodata->umem_enabled = direct_reads_possible();
	if (skew)
		skel->rodata->umem_skew = strtoull(skew, NULL, 0);
	skel->rodata->hold_new_files = t->hold;
	unwind_blocks(o, &rows, &index);
	bpf_map__set_max_entries(skel->maps.unwind_rows, rows);
	bpf_map__set_max_entries(skel->maps.unwind_index, index);
	if (!o->trace_mmap)
		for (i = 0; i < sizeof(mapping_only) / sizeof(mapping_only[0]); i++)
			bpf_program__set_autoload(mapping_only[i], false);
	configure_sampling(t);
	if (!o->trace_malloc) {
		bpf_program__set_autoload(skel->progs.alloc_enter, false);
		bpf_program__set_autoload(skel->progs.alloc_return, false);
		bpf_program__set_autoload(skel->progs.free_enter, false);
	}
}

/* Open and load the skeleton; with multi, the uprobe programs are loaded
 * for uprobe_multi links; with t->sessions, the allocators' for sessions.
 * Returns 0 or -errno (skel NULL on error).
 */

/* --cgroup: the subtrees' directories into BPF's "cgroups" array, before
 * any probe is attached.
 */
static int fill_cgroups(struct tracer *t)
{
	int fd = bpf_map__fd(t->skel->maps.cgroups), err;
	__u32 i;

	for (i = 0; i < (__u32)t->cfg.ncgroups && i < ML_MAX_CGROUPS; i++) {
		if (bpf_map_update_elem(fd, &i, &t->cfg.cgroup_fds[i], BPF_ANY)) {
			err = -errno;
			log_error("cannot trace cgroup %s: %s", t->cfg.cgroup_paths[i], strerror(-err));
			return err;
		}
	}
	return 0;
}
static int load_skeleton(struct tracer *t, bool multi)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	int err;

	oo.btf_custom_path = getenv("MEMLEAKBPF_BTF");
	t->skel = memleak_bpf__open_opts(&oo);
	if (!t->skel)
		return -errno;
	configure(t);
	t->skel->rodata->cookie_in_run_ctx = multi;
	/* For whoever changes the BPF side: the verifier's cost of each
	 * program (insns processed, time), printed with -vv.
	 */
	if (getenv("MEMLEAKBPF_VERIFIER_STATS")) {
		struct bpf_program *prog;

		bpf_object__for_each_program(prog, t->skel->obj)
			bpf_program__set_log_level(prog, 4);
	}
	if (multi) {
		uprobe_multi__prepare(t->skel->progs.alloc_enter);
		uprobe_multi__prepare(t->skel->progs.alloc_return);
		uprobe_multi__prepare(t->skel->progs.free_enter);
		uprobe_multi__prepare(t->skel->progs.anchor_enter);
		uprobe_multi__prepare(t->skel->progs.anchor_return);
		uprobe_multi__prepare(t->skel->progs.gc_enter);
		uprobe_multi__prepare(t->skel->progs.gc_full_end);
		uprobe_multi__prepare(t->skel->progs.gc_full_live);
	}
	if (t->sessions)
		uprobe_session__prepare(t->skel->progs.alloc_session);
	err = memleak_bpf__load(t->skel);
	if (!err) {
		t->skel->bss->block_clock_ns = clock_monotonic_ns();
		err = fill_cgroups(t);
	}
	if (err) {
		memleak_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	return err;
}

struct tracer *tracer__open(const struct tracer_config *cfg)
{
	struct tracer *t;
	int err;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	sampling__init(&t->sampling, cfg->sample_bytes);
	/* Only the command's processes are ours to stop: another process's
	 * parent (a shell) would see it stopped.  A new file matters to the
	 * allocator probes, or to the walk by tables.
	 */
	t->hold = cfg->mode == MODE_COMMAND && (cfg->trace_malloc || cfg->unwind != ML_UNWIND_FP);
	if (t->hold) {
		t->holds = holds__new();	/* before any BPF object: the guard has none */
		if (!t->holds) {
			err = -errno;
			log_error("cannot set up the release of held processes: %s", strerror(-err));
			goto fail;
		}
	}
	/* uprobe_multi (kernel 6.6+) first; one perf-event link per probe
	 * otherwise.
	 */
	t->multi = true;
	/* --sample-bytes: uprobe sessions (kernel 6.12+) skip the returns of
	 * unsampled calls; an entry and a return probe each otherwise
	 * (MEMLEAKBPF_UPROBE_SESSION=0 forces that, for tests and comparisons).
	 */
	t->sessions = cfg->sample_bytes && cfg->trace_malloc &&
		      !(getenv("MEMLEAKBPF_UPROBE_SESSION") &&
			!strcmp(getenv("MEMLEAKBPF_UPROBE_SESSION"), "0"));
	err = load_skeleton(t, true);
	if (err && err != -EPERM && t->sessions) {
		log_debug("uprobe sessions unavailable (%s): an entry and a return probe per "
			  "allocator function", strerror(-err));
		t->sessions = false;
		err = load_skeleton(t, true);
	}
	if (err && err != -EPERM) {
		log_debug("uprobe_multi unavailable (%s): one link per probe", strerror(-err));
		t->multi = false;
		err = load_skeleton(t, false);
	}
	if (!err && cfg->sample_bytes)
		log_info("sampling one allocation per %llu bytes on average%s",
			 (unsigned long long)cfg->sample_bytes,
			 t->sessions ? " (uprobe sessions: unsampled calls skip the return probe)" : "");
	if (err) {
		if (err == -ENOSYS)
			log_error("BPF is unavailable on this kernel (the bpf() system call is not implemented)");
		else if (err == -EPERM)
			log_error("BPF is not permitted here (%s): kernel lockdown, a seccomp policy or "
				  "missing privileges", strerror(-err));
		else
			log_error("cannot load the BPF programs: %s", strerror(-err));
		goto fail;
	}
	if (t->holds) {
		err = holds__arm(t->holds, bpf_map__fd(t->skel->maps.held));
		if (err) {
			log_error("cannot arm the release of held processes: %s", strerror(-err));
			goto fail;
		}
	}
	t->allocators = allocators__new();
	t->regions = regions__new();
	t->stack_sweep = stack_sweep__new();
	t->procs = proctable__new();
	t->node = node_tracker__new(t->allocators, t->regions);
	if (t->cfg.unwind != ML_UNWIND_FP) {
		struct unwind_maps um = {
			.rows_fd = bpf_map__fd(t->skel->maps.unwind_rows),
			.index_fd = bpf_map__fd(t->skel->maps.unwind_index),
			.procs_fd = bpf_map__fd(t->skel->maps.unwind_procs),
			.files_fd = bpf_map__fd(t->skel->maps.unwind_files),
			.epoch = &t->skel->bss->unwind_epoch,
		};

		unwind_blocks(&t->cfg, &um.row_blocks, &um.index_blocks);
		t->unwinder = unwinder__new(&um);
		if (!t->unwinder) {
			err = -errno;
			log_error("cannot map the unwind tables' memory: %s", strerror(-err));
			goto fail;
		}
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), handle_event, t, NULL);
	init_heap_maps(t);
	if (t->procs) {
		/* Our own libraries (libc, the loader) are everyone's. */
		struct proc_maps self = { 0 };

		if (proc_maps__read(getpid(), &self) == 0)
			proctable__learn_paths(t->procs, &self);
		proc_maps__release(&self);
	}
	if (!t->allocators || !t->regions || !t->stack_sweep || !t->procs || !t->node || !t->rb) {
		err = -ENOMEM;
		log_error("cannot set up the tracer: %s", strerror(ENOMEM));
		goto fail;
	}
	return t;
fail:
	tracer__destroy(t);
	errno = -err;
	return NULL;
}

struct closer {
	struct tracer *t;
	size_t first, step;
};

static void *close_links(void *arg)
{
	struct closer *c = arg;
	size_t i;

	for (i = c->first; i < c->t->nlinks + c->t->nlink_fds; i += c->step) {
		if (i < c->t->nlinks)
			bpf_link__destroy(c->t->links[i]);
		else
			close(c->t->link_fds[i - c->t->nlinks]);
	}
	return NULL;
}

/* Each link's release waits for an RCU grace period (~60 ms here): closed
 * one after another, twenty links made every exit take seconds.  Closed
 * from several threads at once, they wait for the same grace periods.
 */
static void destroy_links(struct tracer *t)
{
	enum { CLOSERS = 16 };
	struct closer c[CLOSERS];
	pthread_t th[CLOSERS];
	bool started[CLOSERS] = { false };
	size_t i;

	if (!t->nlinks && !t->nlink_fds)
		return;
	for (i = 0; i < CLOSERS; i++) {
		c[i] = (struct closer){ t, i, CLOSERS };
		started[i] = pthread_create(&th[i], NULL, close_links, &c[i]) == 0;
		if (!started[i])
			close_links(&c[i]);	/* no thread: do it here */
	}
	for (i = 0; i < CLOSERS; i++)
		if (started[i])
			pthread_join(th[i], NULL);
	t->nlinks = t->nlink_fds = 0;
}

void tracer__detach(struct tracer *t)
{
	destroy_links(t);
	if (t->holds)
		holds__release_all(t->holds);
}

void tracer__destroy(struct tracer *t)
{
	if (!t)
		return;
	/* Links first: no probe outlives us, whatever happened before. */
	tracer__detach(t);
	ticker__stop(t->clock);
	holds__free(t->holds);
	free(t->links);
	free(t->link_fds);
	free(t->attached);
	free(t->rescan);
	ring_buffer__free(t->rb);
	memleak_bpf__destroy(t->skel);
	unwinder__free(t->unwinder);
	node_tracker__free(t->node);
	allocators__free(t->allocators);
	regions__free(t->regions);
	stack_sweep__free(t->stack_sweep);
	proctable__free(t->procs);
	free(t);
}

static int keep_link(struct tracer *t, struct bpf_link *link)
{
	if (ARRAY_GROW(t->links, t->links_cap, t->nlinks + 1)) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	t->links[t->nlinks++] = link;
	return 0;
}

int tracer__add_target(struct tracer *t, pid_t pid)
{
	__u32 key = pid, one = 1;
	struct proc *p;

	if (bpf_map__update_elem(t->skel->maps.targets, &key, sizeof(key), &one, sizeof(one), BPF_ANY))
		return -errno;
	p = proctable__get(t->procs, pid);
	if (!p)
		return -ENOMEM;
	t->nlive_targets++;
	return 0;
}

int tracer__attach_tracepoints(struct tracer *t)
{
	struct bpf_object *obj = t->skel->obj;
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, obj) {
		enum bpf_prog_type type = bpf_program__type(prog);
		struct bpf_link *link;

		if (!bpf_program__autoload(prog))
			continue;
		if (type != BPF_PROG_TYPE_TRACEPOINT && type != BPF_PROG_TYPE_TRACING)
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			err = -errno;
			log_error("cannot attach %s: %s", bpf_program__name(prog), strerror(-err));
			return err;
		}
		err = keep_link(t, link);
		if (err)
			return err;
	}
	t->start_ns = clock_monotonic_ns();
	return 0;
}

/* What to attach to one allocator file: a row per program, the return
 * probes first (an entry whose return is missed would leave the thread
 * looking "inside the allocator").
 */
#define PLAN_MAX (ML_FN_MAX + ANCHOR_MAX)
#define INSTALLED_MAX 64	/* allocator libraries attached to in advance */

struct probe_set {
	struct bpf_program *prog;
	bool retprobe;
	bool session;
	size_t n;
	uint64_t offsets[PLAN_MAX];
	uint64_t cookies[PLAN_MAX];
	const char *names[PLAN_MAX];
};

enum { SET_ALLOC_RET, SET_ANCHOR_RET, SET_GC_END, SET_ALLOC, SET_FREE, SET_ANCHOR, SET_GC, SET_GC_LIVE,
       SET_SESSION, SET_MAX };

static void plan_add(struct probe_set *ps, const char *name, uint64_t offset, uint64_t cookie)
{
	ps->names[ps->n] = name;
	ps->offsets[ps->n] = offset;
	ps->cookies[ps->n] = cookie;
	ps->n++;
}

/* Sessions: the allocators' entry and return probes become one session
 * per function, where its return probe was planned (an offset where the
 * return address is at the stack pointer, which hooking the return needs).
 */
static void plan_sessions(const struct tracer *t, struct probe_set plan[SET_MAX])
{
	plan[SET_SESSION] = plan[SET_ALLOC_RET];
	plan[SET_SESSION].prog = t->skel->progs.alloc_session;
	plan[SET_SESSION].retprobe = false;
	plan[SET_SESSION].session = true;
	plan[SET_ALLOC_RET].n = 0;
	plan[SET_ALLOC].n = 0;
}

/* An unsampled call to a leaf keeps no return address (ML_COOKIE_LEAF):
 * whether a syscall is inside it is told by its code in the syscall's
 * stack, which only a walk by tables shows (libc has no frame pointers).
 */
static unsigned long long leaf_cookie(const struct tracer *t, const struct allocator_lib *lib,
				      int fn)
{
	const struct alloc_func *f = &lib->fn[fn];

	if (t->cfg.unwind == ML_UNWIND_FP || !lib->leaf_calls || !alloc_func_is_leaf(fn) ||
	    !f->size || f->size > ML_LEAF_MAX_SIZE || f->probe_delta > ML_LEAF_MAX_DELTA)
		return 0;
	return ML_COOKIE_LEAF(f->probe_delta, f->size);
}

static void plan_lib(const struct tracer *t, const struct allocator_lib *lib,
		     struct probe_set plan[SET_MAX])
{
	struct memleak_bpf *skel = t->skel;
	int fn;

	memset(plan, 0, sizeof(*plan) * SET_MAX);
	plan[SET_ALLOC_RET] = (struct probe_set){ .prog = skel->progs.alloc_return, .retprobe = true };
	plan[SET_ANCHOR_RET] = (struct probe_set){ .prog = skel->progs.anchor_return, .retprobe = true };
	plan[SET_ALLOC].prog = skel->progs.alloc_enter;
	plan[SET_FREE].prog = skel->progs.free_enter;
	plan[SET_ANCHOR].prog = skel->progs.anchor_enter;
	plan[SET_GC].prog = skel->progs.gc_enter;
	for (fn = 0; fn < ML_GC_MAX; fn++)
		if (lib->gc[fn].present)
			plan_add(&plan[SET_GC], v8_gc_function_name(fn),
				 lib->gc[fn].file_offset + lib->gc[fn].probe_delta, fn);
	/* the end of full collections (where rsp is as at the entry: the
	 * return probe hijacks [rsp]), and what survived them
	 */
	plan[SET_GC_END] = (struct probe_set){ .prog = skel->progs.gc_full_end, .retprobe = true };
	if (lib->gc_end.present)
		plan_add(&plan[SET_GC_END], v8_gc_function_name(ML_GC_FULL),
			 lib->gc_end.file_offset + lib->gc_end.probe_delta, 0);
	plan[SET_GC_LIVE].prog = skel->progs.gc_full_live;
	if (lib->gc_live.present)
		plan_add(&plan[SET_GC_LIVE], v8_gc_live_function_name(),
			 lib->gc_live.file_offset + lib->gc_live.probe_delta, 0);
	for (fn = 0; fn < ML_FN_MAX && t->cfg.trace_malloc; fn++) {
		const struct alloc_func *f = &lib->fn[fn];

		if (!f->present || f->alias_of >= 0)
			continue;
		if (ML_FN_IS_RELEASE(fn)) {
			plan_add(&plan[SET_FREE], alloc_func_name(fn), f->file_offset + f->probe_delta,
				 ML_COOKIE(fn, f->sp_adjust));
			continue;
		}
		/* Both at one breakpoint, where rsp is as at the entry (the
		 * return probe hijacks [rsp]; allocators.h).
		 */
		plan_add(&plan[SET_ALLOC_RET], alloc_func_name(fn), f->file_offset + f->probe_delta,
			 ML_COOKIE(fn, f->sp_adjust) | leaf_cookie(t, lib, fn));
		plan_add(&plan[SET_ALLOC], alloc_func_name(fn), f->file_offset + f->probe_delta,
			 ML_COOKIE(fn, f->sp_adjust) | leaf_cookie(t, lib, fn));
	}
	/* A table walk from inside strdup & co reaches their callers (libc
	 * has CFI everywhere): the anchors are for frame-pointer walks only.
	 */
	for (fn = 0; fn < ANCHOR_MAX && t->cfg.unwind == ML_UNWIND_FP; fn++) {
		const struct alloc_func *f = &lib->anchor[fn];

		if (!f->present || f->alias_of >= 0)
			continue;
		/* anchor_enter takes the return address at rsp: sp_adjust is 0 */
		plan_add(&plan[SET_ANCHOR_RET], anchor_func_name(fn), f->file_offset + f->probe_delta, 0);
		plan_add(&plan[SET_ANCHOR], anchor_func_name(fn), f->file_offset + f->probe_delta, 0);
	}
	if (t->sessions)
		plan_sessions(t, plan);
}

/* -v: where each probe of lib went, and whether the kernel emulates the
 * instruction there or single-steps it (~10 us a hit).
 */
static void list_probe(const char *name, const char *kind, const struct alloc_func *f)
{
	log_info("  %-24s %-12s +%-4u %-8s %s", name, kind, f->probe_delta,
		 f->insn[0] ? f->insn : "?", f->emulated ? "emulated" : "single-stepped");
}

static void list_probes(const struct tracer *t, const struct allocator_lib *lib)
{
	int fn;

	if (log_verbosity < 1)
		return;
	log_info("  %-24s %-12s %-5s %-8s %s", "function", "probes", "at", "insn", "kernel");
	for (fn = 0; fn < ML_FN_MAX && t->cfg.trace_malloc; fn++) {
		const struct alloc_func *f = &lib->fn[fn];

		if (f->present && f->alias_of < 0)
			list_probe(alloc_func_name(fn), ML_FN_IS_RELEASE(fn) ? "entry" :
				   t->sessions ? "session" : "entry+return", f);
		else if (f->present)
			log_info("  %-24s as %s", alloc_func_name(fn), alloc_func_name(f->alias_of));
	}
	for (fn = 0; fn < ANCHOR_MAX && t->cfg.unwind == ML_UNWIND_FP; fn++)
		if (lib->anchor[fn].present && lib->anchor[fn].alias_of < 0)
			list_probe(anchor_func_name(fn), "entry+return", &lib->anchor[fn]);
	for (fn = 0; fn < ML_GC_MAX; fn++)
		if (lib->gc[fn].present)
			list_probe(v8_gc_function_name(fn), "entry", &lib->gc[fn]);
	if (lib->gc_end.present)
		list_probe(v8_gc_function_name(ML_GC_FULL), "return", &lib->gc_end);
	if (lib->gc_live.present)
		list_probe(v8_gc_live_function_name(), "entry", &lib->gc_live);
}

static void names_of(const struct probe_set *ps, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < ps->n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", ps->names[i]);
}

/* required: an error; else a warning (a file attached to in advance). */
static int refused(const struct probe_set *ps, const struct allocator_lib *lib, size_t i, int err,
		   bool required)
{
	void (*say)(const char *fmt, ...) = required ? log_error : log_warn;
	const char *then = required ? "" : "; it is attached to when a process maps it";
	char names[512];

	if (i == (size_t)-1)
		names_of(ps, names, sizeof(names));
	else
		snprintf(names, sizeof(names), "%s", ps->names[i]);
	if (err == -EINVAL || err == -EEXIST || err == -EBUSY)
		say("the kernel refused uprobes on %s in %s (%s): another tool may already "
		    "hold a uprobe at one of these addresses (see dmesg)%s",
		    names, lib->display_path, strerror(-err), then);
	else
		say("cannot attach to %s in %s: %s%s", names, lib->display_path, strerror(-err), then);
	return err;
}

static int keep_link_fd(struct tracer *t, int fd)
{
	if (ARRAY_GROW(t->link_fds, t->link_fds_cap, t->nlink_fds + 1)) {
		close(fd);
		return -ENOMEM;
	}
	t->link_fds[t->nlink_fds++] = fd;
	return 0;
}

static int attach_set(struct tracer *t, const struct probe_set *ps, const struct allocator_lib *lib,
		      pid_t pid, bool required)
{
	struct bpf_link *link;
	size_t i;
	int err;

	if (!ps->n)
		return 0;
	if (ps->session) {
		int fd = uprobe_session__attach(bpf_program__fd(ps->prog), lib->path, ps->offsets,
						ps->cookies, ps->n, pid);

		return fd < 0 ? refused(ps, lib, -1, fd, required) : keep_link_fd(t, fd);
	}
	if (t->multi) {
		int fd = uprobe_multi__attach(bpf_program__fd(ps->prog), lib->path, ps->offsets,
					      ps->cookies, ps->n, pid, ps->retprobe);

		return fd < 0 ? refused(ps, lib, -1, fd, required) : keep_link_fd(t, fd);
	}
	for (i = 0; i < ps->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ps->retprobe, .bpf_cookie = ps->cookies[i]);

		link = bpf_program__attach_uprobe_opts(ps->prog, pid, lib->path, ps->offsets[i], &uo);
		if (!link)
			return refused(ps, lib, i, -errno, required);
		err = keep_link(t, link);
		if (err)
			return err;
	}
	return 0;
}

/* Close the links made since there were nlinks and nfds of them. */
static void drop_links_since(struct tracer *t, size_t nlinks, size_t nfds)
{
	while (t->nlinks > nlinks)
		bpf_link__destroy(t->links[--t->nlinks]);
	while (t->nlink_fds > nfds)
		close(t->link_fds[--t->nlink_fds]);
}

/* All of a file's probes or none: a file half attached would be attached
 * again (and count twice) at the next try.
 */
static int attach_lib_as(struct tracer *t, const struct allocator_lib *lib, pid_t pid, bool required)
{
	size_t i, nlinks = t->nlinks, nfds = t->nlink_fds;
	struct probe_set plan[SET_MAX];
	bool listed = false;	/* for another pid (-p) */
	int set, err = 0;

	for (i = 0; i < t->nattached; i++) {
		struct attached_lib *a = &t->attached[i];

		if (a->dev != lib->dev || a->inode != lib->inode)
			continue;
		if (a->pid == -1 || a->pid == pid)
			return 0;
		listed = true;
	}
	plan_lib(t, lib, plan);
	for (set = 0; set < SET_MAX && !err; set++)
		err = attach_set(t, &plan[set], lib, pid, required);
	if (!err && ARRAY_GROW(t->attached, t->attached_cap, t->nattached + 1))
		err = -ENOMEM;
	if (err) {
		drop_links_since(t, nlinks, nfds);
		return err;
	}
	t->attached[t->nattached++] = (struct attached_lib){ lib->dev, lib->inode, pid };
	log_info("attached to %s%s", lib->display_path, pid == -1 ? " (all processes)" : "");
	if (!listed)
		list_probes(t, lib);
	return 0;
}

static int attach_lib(struct tracer *t, const struct allocator_lib *lib, pid_t pid)
{
	return attach_lib_as(t, lib, pid, true);
}

/* The walk learns p's executable mappings as its map says now. */
static void sync_unwind(struct tracer *t, const struct proc *p)
{
	int err;

	if (!t->unwinder)
		return;
	err = unwinder__sync(t->unwinder, p);
	if (err)
		log_warn("cannot give the unwind tables of pid %d (%s) to BPF: %s; its stacks are "
			 "walked by frame pointers", p->pid, p->comm, strerror(-err));
}

/* The kernel's encoding of a device number (what BPF reads of a file). */
static __u32 kernel_dev(unsigned int major, unsigned int minor)
{
	return major << 20 | minor;
}

/* BPF holds the command's processes for the file no more. */
static void mark_known(struct tracer *t, __u32 kdev, __u64 inode)
{
	struct ml_unwind_file_key key = { .dev = kdev, .inode = inode };
	__u8 one = 1;

	if (!bpf_map__update_elem(t->skel->maps.known_files, &key, sizeof(key), &one, sizeof(one),
				  BPF_ANY) || t->known_full)
		return;
	t->known_full = true;
	log_warn("cannot note a file as looked at (%s): the command's processes are stopped a "
		 "moment at every mapping of a file new since", strerror(errno));
}

/* Every executable file p maps has been looked at: probes on it if it is
 * an allocator, its table.
 */
static void mark_known_maps(struct tracer *t, const struct proc *p)
{
	size_t i;

	for (i = 0; i < p->maps.n; i++) {
		const struct map_entry *e = &p->maps.v[i];

		if (e->perms[2] == 'x' && map_entry__is_file(e))
			mark_known(t, kernel_dev(e->dev_major, e->dev_minor), e->inode);
	}
}

/* Per-pid probes for -p (the kernel filters them); one system-wide probe
 * per file otherwise (the BPF side filters by pid where it must).
 */
static pid_t attach_pid_for(const struct tracer *t, pid_t pid)
{
	return t->cfg.mode == MODE_PIDS ? pid : -1;
}

int tracer__attach_process(struct tracer *t, pid_t pid)
{
	const struct allocator_lib *libs[16];
	struct proc *p = proctable__get(t->procs, pid);
	int i, n, err;

	if (!p)
		return -ENOMEM;
	proc__set_rescan(p, false);
	/* A process gone by now (its exec and exit in one batch of events)
	 * is only named: nothing to attach or walk for it.
	 */
	if (!p->exited)
		sync_unwind(t, p);
	n = allocators__for_process(t->allocators, pid, &p->maps, libs, 16);
	for (i = 0; i < n && !p->exited; i++) {
		err = attach_lib(t, libs[i], attach_pid_for(t, pid));
		if (err)
			return err;
	}
	if (t->hold && n >= 0 && !p->exited)
		mark_known_maps(t, p);
	for (i = 0; i < n && !libs[i]->is_allocator; i++)
		;	/* libstdc++ has anchors, not an allocator */
	if (i < n && p->allocator != libs[i]->display_path) {
		/* The most specific one (executable, preload, library) serves. */
		proc__set_allocator(p, libs[i]->display_path);
		if (t->cfg.mode == MODE_SYSTEM)
			log_info("pid %d (%s) allocates with %s", pid, p->comm, p->allocator);
		else
			log_note("pid %d (%s) allocates with %s", pid, p->comm, p->allocator);
	}
	return n;
}

/* The files the command maps first (at most 32), as ld.so will find them:
 * looked at before it runs.  NULL without memory.
 */
static char (*command_files(const char *exe_path, int *n))[PATH_MAX]
{
	char (*files)[PATH_MAX] = calloc(32, sizeof(*files));

	*n = files ? allocators__command_files(exe_path, files, 32) : 0;
	return files;
}

int tracer__attach_command(struct tracer *t, const char *exe_path)
{
	const struct allocator_lib *libs[16], *lib;
	char (*files)[PATH_MAX];
	struct stat st;
	int i, n, nfiles, err = 0;

	files = command_files(exe_path, &nfiles);
	if (!files)
		return -ENOMEM;
	/* The tables first: their builder (a child of ours) allocates a lot,
	 * and would hit every probe placed on the C library.  The command's
	 * first allocations are walked by them (bpf_find_vma finds its
	 * mappings before its own are given to BPF).
	 */
	for (i = 0; i < nfiles && t->unwinder; i++)
		unwinder__prepare(t->unwinder, files[i]);
	n = allocators__for_command(t->allocators, exe_path, libs, 16);
	if (n <= 0) {
		log_error("no allocator (malloc and free) found for %s", exe_path);
		free(files);
		return -ENOENT;
	}
	for (i = 0; i < n && !err; i++)
		err = attach_lib(t, libs[i], -1);
	/* Every file of the first ones looked at: BPF holds the command for
	 * none of them.
	 */
	for (i = 0; i < nfiles && !err; i++) {
		if (stat(files[i], &st))
			continue;
		lib = allocators__inspect(t->allocators, files[i], NULL);
		if (lib)
			err = attach_lib(t, lib, -1);
		if (!err && t->hold)
			mark_known(t, kernel_dev(major(st.st_dev), minor(st.st_dev)), st.st_ino);
	}
	free(files);
	return err ? err : n;
}

int tracer__attach_installed(struct tracer *t, pid_t pid)
{
	uint64_t t0 = clock_monotonic_ns();
	const struct allocator_lib *lib;
	char (*files)[PATH_MAX];
	int i, n, attached = 0;

	files = calloc(INSTALLED_MAX, sizeof(*files));
	if (!files)
		return -ENOMEM;
	n = installed__allocator_files(NULL, files, INSTALLED_MAX);
	for (i = 0; i < n; i++) {
		lib = allocators__inspect(t->allocators, files[i], NULL);
		if (lib && lib->is_allocator && !attach_lib_as(t, lib, attach_pid_for(t, pid), false))
			attached++;
	}
	free(files);
	log_info("attached to %d installed allocator libraries in advance (%.1f ms)", attached,
		 (clock_monotonic_ns() - t0) / 1e6);
	return attached;
}

/* --cgroup: whether pid is in one of the subtrees now (BPF asks the same
 * of every event; this spares tables for the processes it will refuse).
 */
static bool in_scope(const struct tracer *t, pid_t pid)
{
	char *path;
	bool in = false;
	int i;

	if (!t->cfg.ncgroups)
		return true;
	path = cgroup_of_pid(pid);
	for (i = 0; path && i < t->cfg.ncgroups && !in; i++)
		in = cgroup_within(path, t->cfg.cgroup_paths[i]);
	free(path);
	return in;
}

int tracer__attach_all_processes(struct tracer *t)
{
	const struct allocator_lib *libs[16];
	struct dirent *de;
	struct proc *p;
	DIR *dir;
	int i, n, err = 0;

	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while (!err && (de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid() || !in_scope(t, pid))
			continue;
		/* Its map is kept: it may exit before it is first reported. */
		p = proctable__get(t->procs, pid);
		if (!p || !p->maps.n) {
			if (p)
				proctable__remove(t->procs, pid);	/* gone, or a kernel thread */
			continue;
		}
		sync_unwind(t, p);
		n = allocators__for_process(t->allocators, pid, &p->maps, libs, 16);
		for (i = 0; i < n && !err; i++) {
			err = attach_lib(t, libs[i], -1);
			if (libs[i]->is_allocator && !p->allocator)
				proc__set_allocator(p, libs[i]->display_path);
		}
	}
	closedir(dir);
	return err;
}

/* ---- events ---- */

/* The file an event names, if it is the one BPF saw (same device and
 * inode): execve's file name may be relative to the process's directory,
 * or, once it has gone, to ours (where `-- CMD` children usually run).
 */
static const char *resolve_event_path(const struct proc *p, const struct ml_ev_file *f, char *buf,
				      size_t len)
{
	char cwd_link[64], dir[PATH_MAX] = "";
	struct stat st;
	ssize_t n;

	if (!f->path[0])
		return NULL;
	if (f->path[0] == '/') {
		snprintf(buf, len, "%s", f->path);
	} else {
		snprintf(cwd_link, sizeof(cwd_link), "/proc/%d/cwd", p->pid);
		n = readlink(cwd_link, dir, sizeof(dir) - 1);
		if (n > 0)
			dir[n] = '\0';
		else if (!getcwd(dir, sizeof(dir)))
			return NULL;
		snprintf(buf, len, "%s/%s", dir, f->path);
	}
	if (stat(buf, &st) || st.st_ino != f->inode ||
	    major(st.st_dev) != (f->dev >> 20) || minor(st.st_dev) != (f->dev & 0xfffff))
		return NULL;
	return buf;
}

/* Keep the process's map up to date with a mapping BPF described (file by
 * device and inode): from the event alone when the file is known by now,
 * which saves a read of /proc/PID/maps per library; from /proc/PID/maps
 * otherwise, at once, while the process surely lives (it may exit before
 * the next report, and its stacks need the map to be named).
 */
static void note_mapping(struct tracer *t, struct proc *p, const struct ml_ev_file *f)
{
	struct map_entry m = { 0 };
	char resolved[PATH_MAX];
	const char *path = NULL;

	if (f->inode && f->len)
		path = proctable__path_of(t->procs, f->dev, f->inode);
	if (!path) {
		if (proc__refresh_maps(p) == 0) {
			proctable__learn_paths(t->procs, &p->maps);
			return;
		}
		if (!f->inode || !f->len)
			return;
		path = resolve_event_path(p, f, resolved, sizeof(resolved));
		if (!path)
			return;
	}
	m.start = f->addr;
	m.end = f->addr + f->len;
	m.offset = f->offset;
	m.inode = f->inode;
	m.dev_major = f->dev >> 20;
	m.dev_minor = f->dev & 0xfffff;
	memcpy(m.perms, "r-xp", 5);
	m.path = (char *)path;
	proc__add_mapping(p, &m);
}

/* BPF stopped pid until we have looked at a file it mapped: continued
 * after the events are applied (tracer__process_events).
 */
static void note_held(struct tracer *t, const struct ml_event *e)
{
	if (!e->file.held)
		return;
	if (t->holds)
		holds__note(t->holds, e->pid, e->ts_ns);
	else
		kill(e->pid, SIGCONT);	/* cannot happen: BPF holds only with t->holds */
}

/* pid has gone: its entry in "unwind_procs" goes, and with it its hold on
 * the tables it mapped.  Children of its image that have no entry of
 * their own (forked, not exec'd: a daemon's second fork) run its code and
 * are walked through the kernel's record of their mappings: they get an
 * entry first, so that its tables stay theirs.
 */
static void release_unwind(struct tracer *t, const struct proc *p, pid_t pid)
{
	struct proc *c;
	size_t i;

	if (!t->unwinder || !unwinder__knows(t->unwinder, pid))
		return;
	/* most processes that exit never forked: no walk of the table */
	for (i = 0; (!p || p->forked) && (c = proctable__at(t->procs, i)); i++) {
		if (c->ppid != pid || c->exited || c->image || c->rescan_allocators ||
		    unwinder__knows(t->unwinder, c->pid))
			continue;
		c = proctable__get(t->procs, c->pid);	/* its map, read or inherited */
		if (c)
			sync_unwind(t, c);
	}
	unwinder__forget(t->unwinder, pid);
}

/* p's pid names another process now (image exec_id): what we had of the
 * old one goes.  Its exit, if seen, has not been reported yet (a report
 * would have dropped it): that report is lost, the report of a pid tells
 * of one process.
 */
static void pid_taken_again(struct tracer *t, struct proc *p, uint32_t exec_id)
{
	if (p->exited)
		log_info("pid %d (%s) exited and its pid was taken again before a report: "
			 "its last state is not reported", p->pid, p->comm);
	else if (t->cfg.mode != MODE_SYSTEM)
		t->nlive_targets--;	/* its exit was lost */
	if (t->unwinder)
		unwinder__forget(t->unwinder, p->pid);
	if (t->holds)
		holds__forget(t->holds, p->pid);
	proc__renew(p, exec_id);
}

/* The process of an event: its pid's entry, unless that is of a process
 * that has exited (an event of another image: the pid was taken again).
 */
static struct proc *event_proc(struct tracer *t, const struct ml_event *e)
{
	struct proc *p = proctable__find(t->procs, e->pid);

	if (p && proc__taken_by(p, e->exec_id))
		pid_taken_again(t, p, e->exec_id);
	p = proctable__get(t->procs, e->pid);
	if (p)
		proc__note_exec_id(p, e->exec_id);
	return p;
}

/* p maps code not looked at yet: its allocators are looked for at the
 * end of the pass.
 */
static void want_rescan(struct tracer *t, struct proc *p)
{
	proc__set_rescan(p, true);
	if (ARRAY_GROW(t->rescan, t->rescan_cap, t->nrescan + 1))
		t->rescan_all = true;
	else
		t->rescan[t->nrescan++] = p->pid;
}

static void on_exec(struct tracer *t, const struct ml_event *e)
{
	struct proc *p = proctable__find(t->procs, e->pid);

	if (p && proc__taken_by(p, e->exec_id))
		pid_taken_again(t, p, e->exec_id);
	p = proctable__exec(t->procs, e->pid, e->exec_id, e->comm);

	/* the old image's mappings are void: walked through the kernel's
	 * record until its own are given
	 */
	if (t->unwinder)
		unwinder__forget(t->unwinder, e->pid);

	note_held(t, e);
	if (p) {
		note_mapping(t, p, &e->file);
		want_rescan(t, p);
	}
}

static void on_exit_event(struct tracer *t, const struct ml_event *e)
{
	/* System-wide, an unknown process may hold blocks we never had an
	 * event for: its entry lets its final state be reported and its
	 * entries purged.
	 */
	struct proc *p = proctable__exit(t->procs, e->pid, e->exec_id, e->comm,
					 t->cfg.mode == MODE_SYSTEM);

	release_unwind(t, p, e->pid);
	if (t->holds)
		holds__forget(t->holds, e->pid);
	if (!p || t->cfg.mode == MODE_SYSTEM)
		return;
	t->nlive_targets--;
	if (t->cfg.mode == MODE_PIDS)
		log_note("pid %d (%s) exited", p->pid, p->comm);
}

static void on_fork(struct tracer *t, const struct ml_event *e)
{
	struct proc *old = proctable__find(t->procs, e->fork.child);

	/* a new process: an entry of its pid with another image is of the
	 * process that had the pid before
	 */
	if (old && (old->exited || (old->exec_id && old->exec_id != e->fork.child_exec_id)))
		pid_taken_again(t, old, e->fork.child_exec_id);
	if (!proctable__fork(t->procs, e->pid, e->fork.child, e->fork.child_exec_id))
		return;
	if (t->cfg.mode == MODE_COMMAND)
		t->nlive_targets++;
}

static void on_map_exec(struct tracer *t, const struct ml_event *e)
{
	struct proc *p = event_proc(t, e);

	note_held(t, e);
	if (!p)
		return;
	note_mapping(t, p, &e->file);
	want_rescan(t, p);
}

/* Code unmapped (dlclose): the walk stops using its table, which another
 * file may have once no process maps it.
 */
static void note_unmap(struct tracer *t, struct proc *p, const struct ml_event *e)
{
	if (e->type != ML_EV_MUNMAP || !proc__unmap(p, e->map.addr, e->map.addr + e->map.len))
		return;
	if (t->unwinder && unwinder__knows(t->unwinder, p->pid))
		sync_unwind(t, p);
}

static void on_mapping(struct tracer *t, const struct ml_event *e)
{
	struct proc *p = event_proc(t, e);
	struct ml_event ev = *e;

	if (p) {
		node_tracker__classify(t->node, p, &t->heap, &ev);
		note_unmap(t, p, e);
	}
	if (regions__apply(t->regions, &ev))
		log_warn("out of memory accounting a mapping of pid %u", e->pid);
}

/* Buffer or native bytes as BPF weighs them: with --sample-bytes, estimates in Q8. */
static int64_t buffer_bytes_of(const struct tracer *t, int64_t v)
{
	return t->cfg.sample_bytes && v > 0 ? sampling__round(v, ML_Q_BYTES) : v;
}

static void on_gc(struct tracer *t, const struct ml_event *e)
{
	struct ml_event ev = *e;

	ev.gc.buffer_bytes = buffer_bytes_of(t, e->gc.buffer_bytes);
	ev.gc.buffer_low = buffer_bytes_of(t, e->gc.buffer_low);
	ev.gc.native_bytes = buffer_bytes_of(t, e->gc.native_bytes);
	ev.gc.native_low = buffer_bytes_of(t, e->gc.native_low);
	node_tracker__on_gc(t->node, &ev);
}

static int handle_event(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct ml_event *e = data;

	if (size < sizeof(*e))
		return 0;
	switch (e->type) {
	case ML_EV_MMAP:
		if (e->map.len < t->cfg.min_size || e->map.len > t->cfg.max_size)
			break;
		/* fall through */
	case ML_EV_MUNMAP:
	case ML_EV_MREMAP:
	case ML_EV_MPROTECT:
	case ML_EV_BRK:
		on_mapping(t, e);
		break;
	case ML_EV_GC:
		/* a process known from its collections is named like the others */
		if (event_proc(t, e))
			on_gc(t, e);
		break;
	case ML_EV_EXEC:
		on_exec(t, e);
		break;
	case ML_EV_EXIT:
		on_exit_event(t, e);
		break;
	case ML_EV_FORK:
		on_fork(t, e);
		break;
	case ML_EV_MAP_EXEC:
		on_map_exec(t, e);
		break;
	}
	/* handled (and taken out of the ring): stop the pass after it */
	return --t->events_left > 0 ? 0 : -EAGAIN;
}

int tracer__fd(const struct tracer *t)
{
	return ring_buffer__epoll_fd(t->rb);
}

int tracer__live_targets(const struct tracer *t)
{
	return t->nlive_targets;
}

static void look_for_allocators(struct tracer *t, struct proc *p)
{
	if (!p || !p->rescan_allocators)
		return;		/* looked at already: its pid was listed twice */
	if (tracer__attach_process(t, p->pid) < 0 && !p->exited && kill(p->pid, 0) == 0)
		log_warn("could not attach to the allocator of pid %d (%s)", p->pid, p->comm);
}

/* Probes for the allocators that processes have newly mapped. */
static void attach_new_allocators(struct tracer *t)
{
	struct proc *p;
	size_t i;

	if (t->rescan_all)
		for (i = 0; (p = proctable__at(t->procs, i)); i++)
			look_for_allocators(t, p);
	else
		for (i = 0; i < t->nrescan; i++)
			look_for_allocators(t, proctable__find(t->procs, t->rescan[i]));
	t->nrescan = 0;
	t->rescan_all = false;
}

int tracer__start_clock(struct tracer *t)
{
	if (t->clock)
		return 0;
	t->clock = ticker__start((volatile uint64_t *)&t->skel->bss->block_clock_ns, 10);
	return t->clock ? 0 : -errno;
}

int tracer__process_events(struct tracer *t)
{
	int n;

	t->events_left = TRACER_EVENTS_PER_PASS;
	n = ring_buffer__consume(t->rb);
	if (n == -EAGAIN)
		n = TRACER_EVENTS_PER_PASS;	/* more are queued: the next pass */

	if (!t->clock)
		t->skel->bss->block_clock_ns = clock_monotonic_ns();

	attach_new_allocators(t);	/* the tables of what was mapped too */
	if (t->holds)
		holds__release(t->holds);
	return n;
}

/* Entries of a process that has gone, or of an image it has left.  Of
 * an exited process, only its own images': the pid may be another
 * process's already, whose events have not been read.
 */
static bool purge_stat_key(struct tracer *t, __u32 pid, __u32 exec_id)
{
	struct proc *p = proctable__find(t->procs, pid);

	if (!p)
		return false;
	if (p->exited)
		return !p->exec_id || exec_id == p->exec_id || proc__left_image(p, exec_id);
	return p->purge_images && exec_id != p->exec_id;
}

static bool purge_needed(struct tracer *t)
{
	struct proc *p;
	size_t i;

	for (i = 0; (p = proctable__at(t->procs, i)); i++)
		if (p->exited || p->purge_images)
			return true;
	return false;
}

static bool image_gone(void *ctx, uint32_t pid, uint32_t exec_id)
{
	return purge_stat_key(ctx, pid, exec_id);
}

/* One walk of each map for all the processes that need it. */
static void sum_percpu_counters(struct bpf_map *map, uint64_t *out, __u32 n);

int tracer__reap_lost_exits(struct tracer *t)
{
	uint64_t drops[ML_DROP_MAX];
	struct ml_event e;
	struct proc *p;
	size_t j;
	int n = 0;

	sum_percpu_counters(t->skel->maps.drops, drops, ML_DROP_MAX);
	if (drops[ML_DROP_PROC_EVENTS] == t->events_lost_seen)
		return 0;
	t->events_lost_seen = drops[ML_DROP_PROC_EVENTS];
	for (j = 0; (p = proctable__at(t->procs, j)); j++) {
		if (p->exited || !proc__gone(p))
			continue;
		memset(&e, 0, sizeof(e));
		e.type = ML_EV_EXIT;
		e.pid = p->pid;
		e.exec_id = p->exec_id;
		memcpy(e.comm, p->comm, sizeof(e.comm));
		on_exit_event(t, &e);
		n++;
	}
	if (n)
		log_info("%d processes gone without an exit event (the event buffer was full)", n);
	return n;
}

struct stack_ids {
	uint64_t *v;
	size_t n, cap;
	int err;
};

static void add_region_stack(pid_t pid, uint32_t exec_id, const struct region_site *site, void *ctx)
{
	struct stack_ids *ids = ctx;

	if (!site->stack_id || ids->err)
		return;
	if (ARRAY_GROW(ids->v, ids->cap, ids->n + 1))
		ids->err = -ENOMEM;
	else
		ids->v[ids->n++] = site->stack_id;
}

/* The stacks no site names any more (the processes that had them have
 * gone) leave BPF's table, which would fill otherwise; threads and walks
 * that remember one are told (stacks_epoch, unwinder__forget_walks()).
 * heap: the stacks of the heap's sites (heap_tables__purge()), taken over.
 */
static void sweep_stacks(struct tracer *t, uint64_t *heap, size_t nheap)
{
	struct stack_ids ids = { .v = heap, .n = nheap, .cap = nheap };
	long deleted;

	regions__visit(t->regions, 0, 0, 0, add_region_stack, &ids);
	if (!ids.err) {
		ids.n = stack_ids__sort(ids.v, ids.n);
		deleted = stack_sweep__run(t->stack_sweep, bpf_map__fd(t->skel->maps.stacks), ids.v,
					   ids.n);
		if (deleted > 0) {
			__atomic_add_fetch(&t->skel->bss->stacks_epoch, 1, __ATOMIC_RELEASE);
			if (t->unwinder)
				unwinder__forget_walks(t->unwinder);
			log_debug("%ld stacks no longer named left the stack table", deleted);
		}
	}
	free(ids.v);
}

void tracer__purge_exited(struct tracer *t)
{
	uint64_t *heap_stacks;
	size_t nheap_stacks, j;
	struct proc *p;
	int err;

	if (!purge_needed(t))
		return;
	err = heap_tables__purge(t->skel, image_gone, t, &heap_stacks, &nheap_stacks);
	if (err) {
		/* left for the next report's purge; nothing is lost meanwhile */
		log_warn("cannot read the heap's BPF tables to drop processes that have gone: %s",
			 strerror(-err));
		return;
	}
	for (j = 0; (p = proctable__at(t->procs, j));) {
		if (p->exited) {
			/* BPF took it out of "targets" as it exited: the pid
			 * may be a followed child's by now
			 */
			regions__drop_pid(t->regions, p->pid);
			node_tracker__forget(t->node, p->pid);
			if (t->unwinder)
				unwinder__forget(t->unwinder, p->pid);
			proctable__remove(t->procs, p->pid);
			continue;
		}
		if (p->purge_images) {
			regions__drop_other_images(t->regions, p->pid, p->exec_id);
			proc__images_purged(p);
		}
		j++;
	}
	proctable__release_kept(t->procs);
	sweep_stacks(t, heap_stacks, nheap_stacks);
}

/* ---- the maps, for the collector (struct heap_maps) ---- */

/* --sample-bytes: a site's sums are fixed point (sample_math.h). */
static void estimates_of(struct ml_stat *st)
{
	st->outstanding_bytes = sampling__round(st->outstanding_bytes, ML_Q_BYTES);
	st->outstanding_count = sampling__round(st->outstanding_count, ML_Q_COUNT);
	st->total_bytes = sampling__round((int64_t)st->total_bytes, ML_Q_BYTES);
	st->total_count = sampling__round((int64_t)st->total_count, ML_Q_COUNT);
}

/* A site's figures are the sums over its per-CPU slots (a block freed on
 * another CPU than it was allocated on leaves one slot negative).
 */
static long heap_sites(void *ctx, struct heap_site **out)
{
	struct tracer *t = ctx;
	long n, i;

	n = heap_tables__sites(t->skel, out);
	if (n > 0 && t->cfg.sample_bytes)
		for (i = 0; i < n; i++)
			estimates_of(&(*out)[i].stat);
	return n;
}

void tracer__log_filter(struct tracer *t, const char *when)
{
	long held, counted, differ;

	if (log_verbosity < 1 || !t->skel->rodata->sample_bytes)
		return;	/* a walk of the whole table: only when asked */
	differ = heap_tables__filter_check(t->skel, &held, &counted);
	if (differ < 0)
		log_info("block filter, %s: not read: %s", when, strerror((int)-differ));
	else
		log_info("block filter, %s: %ld blocks held, %ld counted, %ld slots differ", when,
			 held, counted, differ);
}

static long heap_blocks(void *ctx, struct ml_alloc **out)
{
	struct tracer *t = ctx;

	return heap_tables__blocks(t->skel, out);
}

static int heap_stack(void *ctx, uint64_t id, struct ml_stack *out)
{
	struct tracer *t = ctx;

	return bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.stacks), &id, out) ? -errno : 0;
}

/* Every slot of a per-CPU array of counters, summed over CPUs. */
static void sum_percpu_counters(struct bpf_map *map, uint64_t *out, __u32 n)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 k;
	int c;

	memset(out, 0, sizeof(uint64_t) * n);
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (k = 0; k < n; k++) {
		if (bpf_map__lookup_elem(map, &k, sizeof(k), vals, sizeof(*vals) * ncpu, 0))
			continue;
		for (c = 0; c < ncpu; c++)
			out[k] += vals[c];
	}
	free(vals);
}

static void heap_drops(void *ctx, uint64_t drops[ML_DROP_MAX])
{
	struct tracer *t = ctx;

	sum_percpu_counters(t->skel->maps.drops, drops, ML_DROP_MAX);
}

static void heap_unwind_counts(void *ctx, uint64_t counts[ML_UW_MAX])
{
	struct tracer *t = ctx;
	uint64_t raw[ML_UW_SLOTS];
	int end;

	sum_percpu_counters(t->skel->maps.unwind_counts, raw, ML_UW_SLOTS);
	memcpy(counts, raw, sizeof(uint64_t) * ML_UW_MAX);
	for (end = ML_UW_END_COMPLETE; end <= ML_UW_END_UNSUPPORTED; end++) {
		uint64_t direct = raw[ML_UW_DIRECT_END + end], n = raw[ML_UW_REPLAYED_END + end] + direct;

		counts[end] += n;
		counts[ML_UW_WALKS] += n;
		counts[ML_UW_REPLAYED] += n;
		counts[ML_UW_REPLAYED_DIRECT] += direct;
	}
}

static int heap_node_mem(void *ctx, uint32_t pid, struct ml_node_mem *out)
{
	struct tracer *t = ctx;

	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.node_mem), &pid, out))
		return -errno;
	out->buffer_bytes = buffer_bytes_of(t, out->buffer_bytes);
	out->buffer_low = buffer_bytes_of(t, out->buffer_low);
	out->native_bytes = buffer_bytes_of(t, out->native_bytes);
	out->native_low = buffer_bytes_of(t, out->native_low);
	return 0;
}

static void init_heap_maps(struct tracer *t)
{
	t->heap = (struct heap_maps){
		.ctx = t,
		.sites = heap_sites,
		.blocks = heap_blocks,
		.stack = heap_stack,
		.drops = heap_drops,
		.unwind_counts = heap_unwind_counts,
		.node_mem = heap_node_mem,
	};
}

uint64_t tracer__start_ns(const struct tracer *t)
{
	return t->start_ns;
}

struct proctable *tracer__procs(struct tracer *t)
{
	return t->procs;
}

struct regions *tracer__regions(struct tracer *t)
{
	return t->regions;
}

struct node_tracker *tracer__node(struct tracer *t)
{
	return t->node;
}

const struct heap_maps *tracer__heap_maps(struct tracer *t)
{
	return &t->heap;
}

void tracer__unwind_stats(const struct tracer *t, struct unwind_stats *out)
{
	if (t->unwinder)
		unwinder__stats(t->unwinder, out);
	else
		memset(out, 0, sizeof(*out));
}
