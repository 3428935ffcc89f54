// SPDX-License-Identifier: GPL-2.0
/* memleakbpf: options -> run; signals; nothing else. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include "cli/diff_args.h"
#include "cli/launch.h"
#include "cli/options.h"
#include "export/exports.h"
#include "report/collect.h"
#include "report/report.h"
#include "serve/server.h"
#include "target/cgroups.h"
#include "trace/tracer.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/privileges.h"

/* jemalloc, linked in (Makefile, SELF_ALLOC), reads this at its start:
 * one arena (memleakbpf's work is one thread's), and freed pages handed
 * back to the kernel within a second, not ten (a report's peak is not
 * kept as RSS).  Unused under ASan.
 */
const char *malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct session {
	struct options opts;
	enum tracer_mode mode;
	struct tracer *tracer;
	struct collector *collector;
	struct exports *exports;
	struct server *server;		/* --listen */
	bool export_failed;		/* at the final report: exit 1 */
	struct launched child;
	bool child_running;
	int child_status;
	int sigfd;
	sigset_t old_mask;
	char *exe;
	uint64_t drops_warned[ML_DROP_MAX];	/* drops already warned about on stderr */
	struct export_config exports_cfg;
	/* --cgroup: each subtree's open directory and kernel path */
	int ncgroups;
	int cgroup_fds[OPTIONS_MAX_CGROUPS];
	char *cgroup_paths[OPTIONS_MAX_CGROUPS];
};

_Static_assert(OPTIONS_MAX_CGROUPS == ML_MAX_CGROUPS, "--cgroup's limit is BPF's array");

/* Root, or CAP_BPF and CAP_PERFMON: say which is missing. */
static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	bool bpf, perfmon;

	if (geteuid() == 0)
		return 0;
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	bpf = data[CAP_BPF / 32].effective & (1u << (CAP_BPF % 32));
	perfmon = data[CAP_PERFMON / 32].effective & (1u << (CAP_PERFMON % 32));
	if (bpf && perfmon)
		return 0;
	log_error("needs root, or CAP_BPF and CAP_PERFMON (missing: %s%s%s); try sudo",
		  bpf ? "" : "CAP_BPF", !bpf && !perfmon ? ", " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

static int check_kernel(void)
{
	const char *btf = getenv("MEMLEAKBPF_BTF");

	if (!btf)
		btf = "/sys/kernel/btf/vmlinux";
	if (access(btf, R_OK)) {
		log_error("this kernel has no BTF (%s: %s): memleakbpf needs a kernel built with "
			  "CONFIG_DEBUG_INFO_BTF", btf, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

/* Tracepoints are found through tracefs; mount it where it belongs if
 * nobody has (as perf does).
 */
static int ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
	    access("/sys/kernel/debug/tracing/events", F_OK) == 0)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return 0;
	log_error("tracefs is not mounted and cannot be mounted on /sys/kernel/tracing: %s",
		  strerror(errno));
	return -errno;
}

static int check_pids(const struct options *o)
{
	int i;

	for (i = 0; i < o->npids; i++) {
		if (kill(o->pids[i], 0) && errno == ESRCH) {
			log_error("no process with pid %d", o->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

/* --cgroup's paths, each to a directory of the cgroup2 file system. */
static int check_cgroups(struct session *s)
{
	const char *why = "";
	int i, err;

	for (i = 0; i < s->opts.ncgroups; i++) {
		err = cgroup_resolve(s->opts.cgroups[i], &s->cgroup_paths[i], &s->cgroup_fds[i], &why);
		if (err) {
			log_error("invalid value for --cgroup: '%s' (%s)", s->opts.cgroups[i], why);
			return err;
		}
		s->ncgroups++;
	}
	return 0;
}

static int setup_signals(struct session *s)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, &s->old_mask))
		return -errno;
	s->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return s->sigfd < 0 ? -errno : 0;
}

static int attach_targets(struct session *s)
{
	struct tracer *t = s->tracer;
	int i, err;

	switch (s->mode) {
	case MODE_PIDS:
		for (i = 0; i < s->opts.npids; i++) {
			err = tracer__add_target(t, s->opts.pids[i]);
			if (err)
				return err;
			tracer__attach_installed(t, s->opts.pids[i]);
			err = tracer__attach_process(t, s->opts.pids[i]);
			if (err < 0)
				return err;
			if (err == 0)
				log_warn("pid %d maps no allocator (malloc and free): only its mappings are traced",
					 s->opts.pids[i]);
		}
		return 0;
	case MODE_COMMAND:
		err = tracer__add_target(t, s->child.pid);
		if (err)
			return err;
		err = tracer__attach_command(t, s->exe);
		return err < 0 ? err : 0;
	case MODE_SYSTEM:
	default:
		/* a process started later is counted from its first call */
		tracer__attach_installed(t, -1);
		return tracer__attach_all_processes(t);
	}
}

static struct tracer_config tracer_config_of(const struct session *s)
{
	const struct options *o = &s->opts;

	return (struct tracer_config){
		.mode = s->mode,
		.trace_malloc = !o->no_malloc,
		.trace_mmap = !o->no_mmap,
		.min_size = o->min_size,
		.max_size = o->max_size,
		.max_allocs = o->max_allocs,
		.max_stacks = o->max_stacks,
		.unwind = o->unwind,
		.unwind_memory = o->unwind_memory,
		.sample_bytes = o->sample_bytes,
		.ncgroups = s->ncgroups,
		.cgroup_fds = s->cgroup_fds,
		.cgroup_paths = s->cgroup_paths,
	};
}

static void unwind_tables_of(const void *tracer, struct unwind_stats *out)
{
	tracer__unwind_stats(tracer, out);
}

static int new_collector(struct session *s)
{
	const struct options *o = &s->opts;
	struct tracer *t = s->tracer;
	struct collect_config cfg = {
		.sort = o->sort,
		.top = o->top,
		.min_age_ns = o->min_age_ns,
		/* the pprof pages of --listen are whole profiles, as --pprof */
		.want_all = exports__wanted(&s->exports_cfg) || o->listen,
		.list_all_procs = s->mode != MODE_SYSTEM,
		.start_ns = tracer__start_ns(t),
		.unwind = o->unwind,
		.sample_bytes = o->sample_bytes,
		.show_cgroups = s->ncgroups > 0,
	};
	struct collect_sources src = {
		.procs = tracer__procs(t),
		.regions = tracer__regions(t),
		.node = tracer__node(t),
		.heap = tracer__heap_maps(t),
		.unwind_tables = unwind_tables_of,
		.unwind_ctx = t,
	};

	s->collector = collector__new(&cfg, &src);
	if (!s->collector) {
		log_error("cannot set up the collector: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

static int setup(struct session *s)
{
	struct tracer_config tc = tracer_config_of(s);
	int err;

	err = setup_signals(s);
	if (err)
		return err;
	if (s->mode == MODE_COMMAND) {
		s->exe = launch__resolve(s->opts.cmd[0]);
		if (!s->exe) {
			log_error("cannot run '%s': %s", s->opts.cmd[0], strerror(errno));
			return -ENOENT;
		}
		err = launch__start(&s->child, s->opts.cmd, &s->old_mask);
		if (err) {
			log_error("cannot start '%s': %s", s->opts.cmd[0], strerror(-err));
			return err;
		}
	}
	s->tracer = tracer__open(&tc);
	if (!s->tracer)
		return -errno ? -errno : -EINVAL;
	err = tracer__attach_tracepoints(s->tracer);
	if (!err)
		err = attach_targets(s);
	if (!err)
		err = new_collector(s);
	if (err)
		return err;
	s->exports = exports__new(&s->exports_cfg);
	if (!s->exports) {
		log_error("cannot set up the exports: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	if (s->mode == MODE_COMMAND) {
		err = launch__release(&s->child);
		if (err) {
			log_error("cannot run '%s': %s", s->opts.cmd[0], strerror(-err));
			return err;
		}
		s->child_running = true;
	}
	return 0;
}

static void announce(const struct session *s)
{
	char what[256];
	int i, o = 0;

	switch (s->mode) {
	case MODE_PIDS:
		o = snprintf(what, sizeof(what), "pid");
		for (i = 0; i < s->opts.npids && o < (int)sizeof(what) - 16; i++)
			o += snprintf(what + o, sizeof(what) - o, "%s%d", i ? "," : " ", s->opts.pids[i]);
		break;
	case MODE_COMMAND:
		snprintf(what, sizeof(what), "pid %d (%s) and its children", s->child.pid, s->opts.cmd[0]);
		break;
	default:
		if (!s->ncgroups) {
			snprintf(what, sizeof(what), "all processes");
			break;
		}
		o = snprintf(what, sizeof(what), "cgroup");
		for (i = 0; i < s->ncgroups && o < (int)sizeof(what) - 16; i++)
			o += snprintf(what + o, sizeof(what) - o, "%s%s", i ? "," : " ",
				      s->cgroup_paths[i]);
		if (o < (int)sizeof(what) - 32)
			snprintf(what + o, sizeof(what) - o, " (every process in it, now or later)");
	}
	log_note("tracing %s: %s%s%s; Ctrl-C to end", what,
		 s->opts.no_malloc ? "" : "allocator calls",
		 !s->opts.no_malloc && !s->opts.no_mmap ? " and " : "",
		 s->opts.no_mmap ? "" : "mappings");
}

/* The events queued, for a report: until none is left, or for limit_ns
 * when a storm outruns memleakbpf (the report comes on time; what is left
 * goes to the next).
 */
static void drain_events(struct session *s, uint64_t limit_ns)
{
	uint64_t end = clock_monotonic_ns() + limit_ns;

	while (tracer__process_events(s->tracer) >= TRACER_EVENTS_PER_PASS &&
	       clock_monotonic_ns() < end)
		;
}

/* New drops, once per report, with what can be done about each reason. */
static void warn_drops(struct session *s, const struct report *r)
{
	char why[512];
	int k, o = 0;

	for (k = 0; k < ML_DROP_MAX; k++) {
		if (r->drops[k] <= s->drops_warned[k])
			continue;
		s->drops_warned[k] = r->drops[k];
		if (o < (int)sizeof(why))
			o += snprintf(why + o, sizeof(why) - o, "%s%s %llu (%s)", o ? "; " : "",
				      drop_key(k), (unsigned long long)r->drops[k], drop_remedy(k));
	}
	if (o)
		log_warn("%llu events dropped since start, figures undercount: %s",
			 (unsigned long long)r->dropped, why);
}

static int emit_report(struct session *s, bool final)
{
	uint64_t t0, t1, t2;
	struct report r;
	int err;

	/* the report sees every event up to now, and probes on what they revealed */
	drain_events(s, (final ? 2000 : 200) * 1000000ULL);
	t0 = clock_monotonic_ns();
	tracer__reap_lost_exits(s->tracer);
	err = collector__collect(s->collector, final, &r);
	if (err) {
		report__release(&r);	/* the collector said what failed */
		return err;
	}
	warn_drops(s, &r);
	if (s->opts.json)
		err = report__print_json(&r, stdout);
	else
		report__print_text(&r, stdout);
	fflush(stdout);
	/* after the report: a file that cannot be written loses nothing else */
	if (exports__write(s->exports, &r) && final)
		s->export_failed = true;
	if (s->server)
		server__publish(s->server, &r);	/* a failure keeps the old pages */
	collector__done(s->collector, &r);
	t1 = clock_monotonic_ns();
	/* the end, with -v: the filter must follow the table, and the purge */
	if (final)
		tracer__log_filter(s->tracer, "before the purge");
	t2 = clock_monotonic_ns();
	/* nothing was drained since the collection: what exited was reported */
	tracer__purge_exited(s->tracer);
	/* events wait in the ring meanwhile: what a report costs them */
	log_info("report %d: %d processes, made and written in %.0f ms, purged in %.0f ms", r.seq,
		 r.nprocs, (t1 - t0) / 1e6, (clock_monotonic_ns() - t2) / 1e6);
	if (final)
		tracer__log_filter(s->tracer, "after the purge");
	report__release(&r);
	return err;
}

static void reap_child(struct session *s)
{
	int status;

	if (!s->child_running)
		return;
	if (waitpid(s->child.pid, &status, WNOHANG) == s->child.pid) {
		s->child_running = false;
		s->child_status = status;
	}
}

/* The run goes on while a target lives (-p, -- CMD) or until stopped;
 * serving (--listen), until stopped.
 */
static bool targets_gone(struct session *s)
{
	if (s->mode == MODE_SYSTEM || s->server)
		return false;
	if (s->mode == MODE_COMMAND && s->child_running)
		return false;
	tracer__process_events(s->tracer);
	return tracer__live_targets(s->tracer) <= 0;
}

/* Returns true when the run should end. */
static bool handle_signals(struct session *s, bool *report_now)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			*report_now = true;
			break;
		case SIGCHLD:
			reap_child(s);
			break;
		default:
			stop = true;
		}
	}
	return stop;
}

static int run_loop(struct session *s)
{
	uint64_t start = clock_monotonic_ns(), next = start + s->opts.interval_ns;
	uint64_t end = s->opts.duration_ns ? start + s->opts.duration_ns : UINT64_MAX;
	struct epoll_event ev = { .events = EPOLLIN }, got[2];
	int ep, err = 0;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return -errno;
	ev.data.fd = s->sigfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, s->sigfd, &ev);
	ev.data.fd = tracer__fd(s->tracer);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	for (;;) {
		uint64_t now = clock_monotonic_ns(), wake = next < end ? next : end;
		int timeout = wake > now ? (int)((wake - now + 999999) / 1000000) : 0;
		bool report_now = false;

		epoll_wait(ep, got, 2, timeout);
		tracer__process_events(s->tracer);
		if (handle_signals(s, &report_now))
			break;
		now = clock_monotonic_ns();
		if (now >= end || targets_gone(s))
			break;
		if (now >= next || report_now) {
			err = emit_report(s, false);
			if (err)
				break;
			if (now >= next)
				next += s->opts.interval_ns * ((now - next) / s->opts.interval_ns + 1);
		}
	}
	close(ep);
	return err;
}

static void teardown(struct session *s)
{
	int i;

	server__free(s->server);	/* no request is answered from here on */
	/* No probe, and no process of CMD stopped by one, from here on. */
	if (s->tracer)
		tracer__detach(s->tracer);
	if (s->child_running) {
		/* The run ended first (--duration, Ctrl-C): CMD gets SIGTERM,
		 * and SIGCONT in case a hold stopped it as the probes closed.
		 */
		kill(s->child.pid, SIGTERM);
		kill(s->child.pid, SIGCONT);
		waitpid(s->child.pid, &s->child_status, 0);
		s->child_running = false;
	}
	launch__cleanup(&s->child);
	exports__free(s->exports);
	collector__free(s->collector);
	tracer__destroy(s->tracer);
	free(s->exe);
	if (s->sigfd >= 0)
		close(s->sigfd);
	for (i = 0; i < s->ncgroups; i++) {
		close(s->cgroup_fds[i]);
		free(s->cgroup_paths[i]);
	}
}

int main(int argc, char **argv)
{
	struct session s = { .sigfd = -1, .child = { .pid = -1, .gate_fd = -1, .error_fd = -1 } };
	int err, code;

	if (argc > 1 && !strcmp(argv[1], "diff"))
		return diff__main(argc - 1, argv + 1);
	switch (options__parse(&s.opts, argc, argv)) {
	case OPTIONS_EXIT:
		return 0;
	case OPTIONS_BAD:
		return 2;
	default:
		break;
	}
	log_verbosity = s.opts.verbosity;
	log_setup_libbpf();
	if (check_privileges())
		return 2;
	if (check_kernel() || ensure_tracefs())
		return 1;
	s.exports_cfg = (struct export_config){
		.folded_path = s.opts.folded_path,
		.flamegraph_path = s.opts.flamegraph_path,
		.pprof_path = s.opts.pprof_path,
		.metric = s.opts.metric,
		.every = s.opts.every,
	};
	if (check_pids(&s.opts) || check_cgroups(&s) || exports__check(&s.exports_cfg)) {
		teardown(&s);
		return 2;
	}
	/* a port in use is said now, not after the probes are placed */
	if (s.opts.listen && !(s.server = server__new(&s.opts.listen_addr, s.opts.metrics_top))) {
		teardown(&s);
		return 2;
	}
	s.mode = s.opts.ncmd ? MODE_COMMAND : s.opts.npids ? MODE_PIDS : MODE_SYSTEM;

	err = setup(&s);
	if (err) {
		code = err == -ENOENT && s.mode == MODE_COMMAND && !s.tracer ? 2 : 1;
		goto out;
	}
	/* every probe is in: what the rest of the run needs, no more */
	err = privileges__drop();
	if (err)
		log_warn("cannot drop capabilities: %s; the run keeps them", strerror(-err));
	else
		log_info("capabilities kept: %s", privileges__kept());
	/* MHD's thread, the one clients talk to, is made after the drop (it
	 * inherits the reduced set) and after setup_signals() (it leaves our
	 * signals to the signalfd)
	 */
	if (s.server && server__start(s.server)) {
		code = 1;
		goto out;
	}
	/* the clock blocks are stamped with, from a thread made after the drop */
	err = tracer__start_clock(s.tracer);
	if (err)
		log_warn("cannot start the thread that times blocks: %s; ages are as of the last event read",
			 strerror(-err));
	announce(&s);
	err = run_loop(&s);
	if (!err)
		err = emit_report(&s, true);
	code = err || s.export_failed ? 1 : 0;
out:
	teardown(&s);
	return code;
}
