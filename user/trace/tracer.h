/* user/trace/tracer.h: the BPF side's life, from open to destroy.
 *
 * tracer__open() configures and loads the skeleton, tracer__attach_*() put
 * the probes in place (allocator uprobes from a data table, mapping and
 * process tracepoints), tracer__poll() reads the event stream into the
 * process table and the mapping accounting, tracer__destroy() detaches
 * everything (also on an error half way).
 */
#ifndef TRACER_H
#define TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "cli/options.h"
#include "target/proctable.h"
#include "target/regions.h"
#include "target/allocators.h"

struct memleak_bpf;

enum tracer_mode {
	MODE_SYSTEM = 0,	/* every process */
	MODE_PIDS,		/* -p: these processes, probes filtered by the kernel */
	MODE_COMMAND,		/* -- CMD: the command and its children */
};

struct tracer {
	struct memleak_bpf *skel;
	struct ring_buffer *rb;
	struct allocators *allocators;
	struct regions *regions;
	struct proctable *procs;
	const struct options *opts;
	enum tracer_mode mode;
	uint64_t start_ns;		/* CLOCK_MONOTONIC at attach */
	struct bpf_link **links;		/* perf-event links: tracepoints, old kernels' uprobes */
	size_t nlinks, links_cap;
	int *link_fds;				/* uprobe_multi links */
	size_t nlink_fds, link_fds_cap;
	bool multi;				/* uprobes go through uprobe_multi links */
	struct attached_lib *attached;	/* (file, pid) pairs with probes */
	size_t nattached, attached_cap;
	int nlive_targets;		/* -p / -- CMD: targets still alive */
	bool pending_purge;		/* some process needs its entries dropped */
};

/* Open and load the BPF programs for opts; prints the reason on failure.
 * Returns NULL with errno set.
 */
struct tracer *tracer__open(const struct options *opts, enum tracer_mode mode);
void tracer__destroy(struct tracer *t);	/* accepts NULL */

/* A process to trace (-p, or the command's pid before it runs). */
int tracer__add_target(struct tracer *t, pid_t pid);
/* Mapping and lifecycle tracepoints. */
int tracer__attach_tracepoints(struct tracer *t);
/* Allocator uprobes for what pid maps now (MODE_PIDS, MODE_SYSTEM), or
 * for an executable about to run (MODE_COMMAND, exe_path).
 */
int tracer__attach_process(struct tracer *t, pid_t pid);
int tracer__attach_command(struct tracer *t, const char *exe_path);
/* MODE_SYSTEM: every process running now. */
int tracer__attach_all_processes(struct tracer *t);

/* Wait up to timeout_ms for events and apply them.  Returns the number of
 * events handled or a negative errno.
 */
int tracer__poll(struct tracer *t, int timeout_ms);
/* Handle events already queued, without waiting. */
int tracer__drain(struct tracer *t);
/* Work deferred from event handling: maps re-reads, new allocators. */
void tracer__housekeeping(struct tracer *t);
/* Drop from BPF maps and accounting the processes reported as exited and
 * the old images of processes that called execve.
 */
void tracer__purge(struct tracer *t);
/* Fd to wait on (readable when events are queued). */
int tracer__fd(const struct tracer *t);

/* Counters of lost events by reason (enum ml_drop), summed over CPUs. */
void tracer__drops(struct tracer *t, uint64_t drops[ML_DROP_MAX]);
uint64_t tracer__now_ns(void);

#endif /* TRACER_H */
