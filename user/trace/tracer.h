/* user/trace/tracer.h: the BPF side's life, from open to destroy.
 *
 * tracer__open() configures and loads the skeleton, tracer__attach_*() put
 * the probes in place (allocator uprobes from a data table, mapping and
 * process tracepoints), tracer__process_events() applies the event stream
 * to the process table, the mapping accounting and the Node.js tracker (and
 * attaches to allocators that processes have newly mapped),
 * tracer__purge_exited() lets processes that have gone leave the maps after
 * they were reported, and tracer__destroy() detaches everything (also on
 * an error half way).
 *
 * The tracer owns what it builds; the collector reads it through the
 * accessors at the end (the maps through struct heap_maps).
 */
#ifndef TRACER_H
#define TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "target/proctable.h"
#include "target/regions.h"
#include "trace/heapmaps.h"
#include "trace/node.h"
#include "trace/unwind.h"

enum tracer_mode {
	MODE_SYSTEM = 0,	/* every process */
	MODE_PIDS,		/* -p: these processes, probes filtered by the kernel */
	MODE_COMMAND,		/* -- CMD: the command and its children */
};

struct tracer_config {
	enum tracer_mode mode;
	bool trace_malloc;		/* the allocator's functions */
	bool trace_mmap;		/* anonymous mappings and brk */
	uint64_t min_size, max_size;	/* sizes counted (allocations and mappings) */
	uint64_t max_allocs;		/* outstanding blocks kept */
	uint64_t max_stacks;		/* distinct stacks kept */
	enum ml_unwind_mode unwind;	/* how stacks are walked */
	uint64_t unwind_memory;		/* bytes for all CFI tables */
	uint64_t sample_bytes;		/* --sample-bytes N; 0: every allocation */
	/* --cgroup (MODE_SYSTEM): the subtrees traced, open directories and
	 * their paths (target/cgroups.h); borrowed for the tracer's life
	 */
	int ncgroups;
	const int *cgroup_fds;
	char *const *cgroup_paths;
};

struct tracer;

/* Open and load the BPF programs; prints the reason on failure.
 * Returns NULL with errno set.
 */
struct tracer *tracer__open(const struct tracer_config *cfg);
void tracer__destroy(struct tracer *t);	/* accepts NULL */
/* Close every probe and continue every process BPF stopped (-- CMD): done
 * first when the run ends, before the command is told to end.
 */
void tracer__detach(struct tracer *t);

/* Keep the clock blocks are stamped with current from a thread of its own
 * (started after the capabilities are dropped: it inherits the caller's).
 * Until then each tracer__process_events() sets it.  0 or -errno.
 */
int tracer__start_clock(struct tracer *t);

/* A process to trace (-p, or the command's pid before it runs). */
int tracer__add_target(struct tracer *t, pid_t pid);
/* Mapping and lifecycle tracepoints; tracing begins here. */
int tracer__attach_tracepoints(struct tracer *t);
/* Allocator uprobes for what pid maps now (MODE_PIDS, MODE_SYSTEM): the
 * number of files attached to, or -errno.
 */
int tracer__attach_process(struct tracer *t, pid_t pid);
/* ... for an executable about to run (MODE_COMMAND). */
int tracer__attach_command(struct tracer *t, const char *exe_path);
/* MODE_SYSTEM: every process running now. */
int tracer__attach_all_processes(struct tracer *t);
/* The allocator libraries installed in the standard directories (the C
 * library, jemalloc, tcmalloc, mimalloc), before any process maps them:
 * for pid (MODE_PIDS), or all processes (-1).  A file the kernel refuses
 * is a warning.  Returns how many were attached to.
 */
int tracer__attach_installed(struct tracer *t, pid_t pid);

/* Apply the events queued, without waiting, at most TRACER_EVENTS_PER_PASS
 * of them (a storm that outruns memleakbpf would otherwise keep it here,
 * its reports and signals waiting), then the work they call for (probes on
 * allocators newly mapped).  Returns the number of events handled or
 * -errno.
 */
#define TRACER_EVENTS_PER_PASS 8192
int tracer__process_events(struct tracer *t);
/* After a report: drop from the BPF maps and the accounting the processes
 * seen exiting and the old images of processes that called execve.
 */
void tracer__purge_exited(struct tracer *t);
/* -v, with --sample-bytes: the filter of blocks held checked against the
 * table (heap_tables__filter_check()), in one line saying when.
 */
void tracer__log_filter(struct tracer *t, const char *when);
/* Before a report, when process events were lost since the last call (a
 * full ring buffer: exits among them): every process not seen exiting is looked up
 * in /proc, and one gone, or whose pid names another process now, is taken
 * as exited.  Returns how many.
 */
int tracer__reap_lost_exits(struct tracer *t);
/* Fd to wait on (readable when events are queued). */
int tracer__fd(const struct tracer *t);
/* -p / -- CMD: targets still alive. */
int tracer__live_targets(const struct tracer *t);

/* CLOCK_MONOTONIC when tracing began (tracer__attach_tracepoints). */
uint64_t tracer__start_ns(const struct tracer *t);
/* What the collector reads. */
struct proctable *tracer__procs(struct tracer *t);
struct regions *tracer__regions(struct tracer *t);
struct node_tracker *tracer__node(struct tracer *t);
const struct heap_maps *tracer__heap_maps(struct tracer *t);
/* The CFI tables loaded (all zero with --unwind fp). */
void tracer__unwind_stats(const struct tracer *t, struct unwind_stats *out);

#endif /* TRACER_H */
