// SPDX-License-Identifier: GPL-2.0
/* user/cli/options.c: the command line, parsed with argp.
 *
 * argp runs with ARGP_NO_EXIT (main cleans up and picks the exit code),
 * ARGP_NO_HELP (our own -h, --usage and -V, so that printing them is seen
 * and reported as OPTIONS_EXIT) and ARGP_IN_ORDER (nothing after "--" is
 * parsed: it is the command, options included).  Every error logs one
 * line naming the option and its value (getopt's own too, see
 * cli/cmdline.h), then the usage hint follows.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmdline.h"
#include "cli/options.h"
#include "util/log.h"
#include "sample_math.h"

#ifndef MEMLEAKBPF_VERSION
#define MEMLEAKBPF_VERSION "unknown"
#endif

#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC 1000000000ULL

#define DEFAULT_INTERVAL_NS (10 * NSEC_PER_SEC)
#define DEFAULT_TOP 10
#define DEFAULT_METRICS_TOP 20
#define DEFAULT_MAX_ALLOCS (1ULL << 20)
#define DEFAULT_MAX_STACKS (1ULL << 15)
#define DEFAULT_UNWIND_MEMORY (64ULL << 20)
#define MAX_UNWIND_MEMORY (4ULL << 30)

/* The expected shape of each kind of value, for the error line. */
#define EXPECT_DURATION "expected a duration like 500ms, 10s, 2m"
#define EXPECT_SIZE "expected a size like 4096, 4K, 1M, 2G"
#define EXPECT_PIDS "expected a pid or comma-separated pids like 12,34"

enum {
	OPT_MIN_AGE = 0x100,
	OPT_MIN_SIZE,
	OPT_MAX_SIZE,
	OPT_SORT,
	OPT_SAMPLE_BYTES,
	OPT_NO_MALLOC,
	OPT_NO_MMAP,
	OPT_JSON,
	OPT_FOLDED,
	OPT_FLAMEGRAPH,
	OPT_PPROF,
	OPT_METRIC,
	OPT_EVERY,
	OPT_MAX_ALLOCS,
	OPT_MAX_STACKS,
	OPT_UNWIND,
	OPT_UNWIND_MEMORY,
	OPT_LISTEN,
	OPT_METRICS_TOP,
	OPT_USAGE,
	OPT_CGROUP,
};

static const char args_doc[] = "[-- CMD [ARG...]]";

static const char doc[] =
"Find memory leaks: trace allocations that are not freed and report the\n"
"stacks that hold the most, every interval.\n"
"\n"
"USAGE: memleakbpf [OPTIONS]                  trace every process\n"
"       memleakbpf -p PID[,PID...] [OPTIONS]  trace these processes\n"
"       memleakbpf --cgroup PATH [OPTIONS]    trace a service or container\n"
"       memleakbpf [OPTIONS] -- CMD [ARG...]  start CMD and trace it\n"
"       memleakbpf diff BASE NEW [OPTIONS]    compare two profiles\n"
"\n"
"EXAMPLES:\n"
"    memleakbpf -p 1234 --interval 10   # pid 1234, a report every 10s\n"
"    memleakbpf --top 20 --min-age 30s  # 20 stacks, allocations older than 30s\n"
"    memleakbpf -- ./cmd args           # start ./cmd args and trace it\n"
"    memleakbpf --cgroup system.slice/redis-server.service\n"
"                                       # a unit, and what it starts later\n"
"    memleakbpf --json -d 30s -p 1234   # NDJSON reports for 30s, then exit\n"
"    memleakbpf -p 1234 --sample-bytes 512K\n"
"                                       # production: sampled, estimates\n"
"    memleakbpf -p 1234 --flamegraph leak.svg --pprof leak.pb.gz\n"
"                                       # exports when Ctrl-C ends the run\n"
"    memleakbpf diff base.pb.gz new.pb.gz --flamegraph growth.svg\n"
"                                       # which stacks grew between two profiles\n"
"    memleakbpf --listen 9464 -i 15s    # agent: /metrics and /debug/pprof/heap\n"
"                                       # on 127.0.0.1:9464 until stopped\n"
"\v"
"Sizes accept K, M, G, T (powers of 1024); durations accept ms, s, m, h\n"
"(a bare number is seconds).";

static const struct argp_option option_table[] = {
	{ 0, 0, 0, 0, "What to trace:", 1 },
	{ "pid", 'p', "PID[,PID]", 0, "Processes to trace (repeatable; default: all)", 1 },
	{ "cgroup", OPT_CGROUP, "PATH", 0, "Every process in this cgroup v2 subtree, started "
	  "later or moved in included (repeatable, up to 8; as /proc/PID/cgroup shows it, "
	  "or under the cgroup2 mount)", 1 },
	{ "no-malloc", OPT_NO_MALLOC, 0, 0, "Leave out allocator calls (malloc, free...)", 1 },
	{ "no-mmap", OPT_NO_MMAP, 0, 0, "Leave out mmap, munmap, mremap and brk", 1 },
	{ "min-size", OPT_MIN_SIZE, "SIZE", 0, "Only allocations of at least SIZE bytes", 1 },
	{ "max-size", OPT_MAX_SIZE, "SIZE", 0, "Only allocations of at most SIZE bytes", 1 },
	{ "sample-bytes", OPT_SAMPLE_BYTES, "N", 0,
	  "Sample allocations, one per N bytes allocated on average (1K to 1G), and report "
	  "weighted estimates: for production (default 0: every allocation, exact)", 1 },

	{ 0, 0, 0, 0, "Reports:", 2 },
	{ "interval", 'i', "DUR", 0, "Print a report every DUR (default 10s)", 2 },
	{ "duration", 'd', "DUR", 0, "Stop after DUR and print the final report", 2 },
	{ "top", 'T', "N", 0, "Stacks per report (default 10)", 2 },
	{ "min-age", OPT_MIN_AGE, "DUR", 0, "Count only allocations at least DUR old", 2 },
	{ "sort", OPT_SORT, "KEY", 0, "growth (default), outstanding, count or age", 2 },
	{ "json", OPT_JSON, 0, 0, "NDJSON on stdout, one object per report", 2 },
	{ "verbose", 'v', 0, 0, "More commentary on stderr, with where each probe went (repeatable)", 2 },
	{ "quiet", 'q', 0, 0, "Less commentary on stderr", 2 },

	{ 0, 0, 0, 0, "Exports, written when the run ends:", 3 },
	{ "folded", OPT_FOLDED, "FILE", 0, "Folded stacks (flamegraph.pl, inferno, speedscope)", 3 },
	{ "flamegraph", OPT_FLAMEGRAPH, "FILE.svg", 0, "Interactive SVG flame graph", 3 },
	{ "pprof", OPT_PPROF, "FILE.pb.gz", 0,
	  "pprof heap profile (go tool pprof): allocated and in-use objects and bytes", 3 },
	{ "metric", OPT_METRIC, "M", 0, "What --folded and --flamegraph measure: outstanding "
	  "(bytes held, default), growth (bytes since the previous report), count (allocations "
	  "held), allocs (allocations made), alloc-bytes (bytes allocated)", 3 },
	{ "every", OPT_EVERY, 0, 0, "Also write the exports at every report, the report's time "
	  "in the file names (leak.svg -> leak-20261122T140211.250Z.svg)", 3 },

	{ 0, 0, 0, 0, "Serving (agent mode), run until stopped:", 4 },
	{ "listen", OPT_LISTEN, "[ADDR:]PORT", 0, "Serve the latest report over HTTP: /metrics "
	  "(Prometheus), /debug/pprof/heap and /debug/pprof/allocs (pprof); a bare port is "
	  "127.0.0.1, any other address is given as 0.0.0.0:PORT or [::]:PORT", 4 },
	{ "metrics-top", OPT_METRICS_TOP, "N", 0, "Processes with series of their own in /metrics, "
	  "by outstanding bytes; the others are summed as pid=\"other\" (default 20)", 4 },

	{ 0, 0, 0, 0, "Advanced:", 5 },
	{ "max-allocs", OPT_MAX_ALLOCS, "N", 0,
	  "Allocations tracked at once (default 1M; the table has twice as many slots, a power "
	  "of two, and holds up to that many)", 5 },
	{ "max-stacks", OPT_MAX_STACKS, "N", 0, "Distinct stacks kept (default 32K)", 5 },
	{ "unwind", OPT_UNWIND, "MODE", 0, "How stacks are walked: auto (default: the .eh_frame "
	  "tables of each file, frame pointers where there are none), dwarf (tables only) or fp "
	  "(frame pointers only)", 5 },
	{ "unwind-memory", OPT_UNWIND_MEMORY, "SIZE", 0,
	  "Memory for the unwind tables of all files (default 64M)", 5 },

	{ 0, 0, 0, 0, "Help:", -1 },
	{ "help", 'h', 0, 0, "Show this help", -1 },
	{ "usage", OPT_USAGE, 0, 0, "Show a short usage message", -1 },
	{ "version", 'V', 0, 0, "Print the version", -1 },
	{},
};

struct parse_ctx {
	struct options *opts;
	char **argv;			/* the caller's: cmd points into it */
	bool printed;			/* help or version went to stdout */
	bool reported;			/* an error line went to stderr */
	const char *min_size_arg;	/* as given, for the range error */
	const char *max_size_arg;
	const char *first_pid_arg;	/* for the -p / -- CMD conflict */
	const char *metrics_top_arg;	/* given: needs --listen */
};

/* Powers of 1024 by suffix letter. */
static int size_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return -1;
	}
}

/* Digits only: no sign, no blanks (strtoull would take both). */
static int parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, *s - '0', &v))
			return -EINVAL;
	}
	*sp = s;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v;
	int shift = 0;

	if (!s || parse_digits(&s, &v))
		return -EINVAL;
	if (*s && (shift = size_shift(*s)) >= 0) {
		s++;
		/* "4K", "4KB", "4KiB" */
		if (*s == 'i' || *s == 'I')
			s++;
		if (*s == 'b' || *s == 'B')
			s++;
	} else if (*s == 'b' || *s == 'B') {
		shift = 0;
		s++;
	}
	if (*s || shift < 0)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* Nanoseconds per unit; 0 for an unknown unit.  No unit means seconds. */
static uint64_t duration_unit(const char *u)
{
	if (!*u || !strcmp(u, "s"))
		return NSEC_PER_SEC;
	if (!strcmp(u, "ms"))
		return NSEC_PER_MSEC;
	if (!strcmp(u, "m"))
		return 60 * NSEC_PER_SEC;
	if (!strcmp(u, "h"))
		return 3600 * NSEC_PER_SEC;
	return 0;
}

int parse_duration(const char *s, uint64_t *out_ns)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, unit, ns;
	bool digits = false;
	unsigned __int128 part;

	if (!s)
		return -EINVAL;
	if (*s >= '0' && *s <= '9') {
		if (parse_digits(&s, &whole))
			return -EINVAL;
		digits = true;
	}
	if (*s == '.') {
		/* Nine decimals are below a nanosecond for every unit. */
		for (s++; *s >= '0' && *s <= '9'; s++) {
			digits = true;
			if (frac_div < NSEC_PER_SEC) {
				frac = frac * 10 + (*s - '0');
				frac_div *= 10;
			}
		}
	}
	if (!digits)
		return -EINVAL;
	unit = duration_unit(s);
	if (!unit)
		return -EINVAL;
	if (__builtin_mul_overflow(whole, unit, &ns))
		return -EINVAL;
	part = (unsigned __int128)frac * unit / frac_div;
	if (__builtin_add_overflow(ns, (uint64_t)part, &ns))
		return -EINVAL;
	*out_ns = ns;
	return 0;
}

/* Appends to pids[*npids]; all or nothing.  Duplicates are kept once.
 * -E2BIG when more than max pids would result.
 */
int parse_pid_list(const char *s, pid_t *pids, int *npids, int max)
{
	pid_t tmp[OPTIONS_MAX_PIDS];
	int n = *npids, i;

	if (!s || n < 0 || n > max || max > OPTIONS_MAX_PIDS)
		return -EINVAL;
	memcpy(tmp, pids, n * sizeof(*pids));
	for (;;) {
		uint64_t v;

		if (parse_digits(&s, &v) || v == 0 || v > INT_MAX)
			return -EINVAL;
		if (*s != ',' && *s)
			return -EINVAL;
		for (i = 0; i < n && tmp[i] != (pid_t)v; i++)
			;
		if (i == n) {
			if (n == max)
				return -E2BIG;
			tmp[n++] = v;
		}
		if (!*s)
			break;
		s++;	/* ',' and then a pid must follow */
	}
	memcpy(pids, tmp, n * sizeof(*pids));
	*npids = n;
	return 0;
}

static void options__set_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->interval_ns = DEFAULT_INTERVAL_NS;
	o->top = DEFAULT_TOP;
	o->metrics_top = DEFAULT_METRICS_TOP;
	o->min_size = 0;
	o->max_size = UINT64_MAX;
	o->sort = SORT_GROWTH;
	o->max_allocs = DEFAULT_MAX_ALLOCS;
	o->max_stacks = DEFAULT_MAX_STACKS;
	o->unwind = ML_UNWIND_AUTO;
	o->unwind_memory = DEFAULT_UNWIND_MEMORY;
}

/* One line naming the option and the value; the hint follows later. */
static error_t bad_value(struct parse_ctx *ctx, const char *opt, const char *arg,
			 const char *expected)
{
	log_error("invalid value for %s: '%s' (%s)", opt, arg, expected);
	ctx->reported = true;
	return EINVAL;
}

static error_t parse_duration_opt(struct parse_ctx *ctx, const char *opt, const char *arg,
				  bool nonzero, uint64_t *out)
{
	uint64_t ns;

	if (parse_duration(arg, &ns))
		return bad_value(ctx, opt, arg, EXPECT_DURATION);
	if (nonzero && !ns)
		return bad_value(ctx, opt, arg, "expected a duration greater than 0");
	*out = ns;
	return 0;
}

/* A table size: positive, size suffixes allowed, fits a BPF map. */
static error_t parse_count_opt(struct parse_ctx *ctx, const char *opt, const char *arg,
			       uint64_t *out)
{
	uint64_t v;

	if (parse_size(arg, &v) || v == 0 || v > UINT32_MAX)
		return bad_value(ctx, opt, arg, "expected a count from 1 to 4294967295, like 65536 or 1M");
	*out = v;
	return 0;
}

static error_t parse_path_opt(struct parse_ctx *ctx, const char *opt, const char *arg,
			      const char **out)
{
	if (!*arg)
		return bad_value(ctx, opt, arg, "expected a file name");
	*out = arg;
	return 0;
}

static error_t parse_pid_opt(struct parse_ctx *ctx, const char *arg)
{
	struct options *o = ctx->opts;
	int err;

	err = parse_pid_list(arg, o->pids, &o->npids, OPTIONS_MAX_PIDS);
	if (err == -E2BIG)
		return bad_value(ctx, "--pid", arg, "too many pids, at most 64 in all");
	if (err)
		return bad_value(ctx, "--pid", arg, EXPECT_PIDS);
	if (!ctx->first_pid_arg)
		ctx->first_pid_arg = arg;
	return 0;
}

static error_t parse_top_opt(struct parse_ctx *ctx, const char *opt, const char *arg, int *out)
{
	const char *s = arg;
	uint64_t v;

	if (parse_digits(&s, &v) || *s || v < 1 || v > INT_MAX)
		return bad_value(ctx, opt, arg, "expected a number of at least 1");
	*out = v;
	return 0;
}

/* A plain argument: after "--" the command and its arguments, else an error. */
static error_t parse_arg(struct parse_ctx *ctx, struct argp_state *state, const char *arg)
{
	int idx = state->next - 1;	/* argv[idx] is arg */

	if (!state->quoted || idx < state->quoted) {
		log_error("unexpected argument '%s' (to start a command, put it after --)", arg);
		ctx->reported = true;
		return EINVAL;
	}
	ctx->opts->cmd = ctx->argv + idx;
	ctx->opts->ncmd = state->argc - idx;
	state->next = state->argc;	/* all of it belongs to the command */
	return 0;
}

/* Two exports into one file would overwrite each other. */
static int check_export_paths(struct parse_ctx *ctx)
{
	const struct options *o = ctx->opts;
	const char *names[3] = { "--folded", "--flamegraph", "--pprof" };
	const char *paths[3] = { o->folded_path, o->flamegraph_path, o->pprof_path };
	int i, j;

	for (i = 0; i < 3; i++) {
		for (j = i + 1; j < 3; j++) {
			if (!paths[i] || !paths[j] || strcmp(paths[i], paths[j]))
				continue;
			log_error("conflicting options: %s and %s both write '%s'",
				  names[i], names[j], paths[i]);
			ctx->reported = true;
			return -EINVAL;
		}
	}
	return 0;
}

/* Checks across options, once all are in. */
static error_t parse_end(struct parse_ctx *ctx, struct argp_state *state)
{
	struct options *o = ctx->opts;

	if (state->quoted && !o->ncmd) {
		log_error("missing command after '--'");
		ctx->reported = true;
		return EINVAL;
	}
	if (o->ncgroups && (o->npids || o->ncmd)) {
		log_error("conflicting options: --cgroup '%s' and %s (trace a cgroup, some "
			  "processes or a command)", o->cgroups[0], o->npids ? "-p" : "--");
		ctx->reported = true;
		return EINVAL;
	}
	if (o->npids && o->ncmd) {
		log_error("conflicting options: -p '%s' and -- '%s' (trace running "
			  "processes or start a command, not both)", ctx->first_pid_arg, o->cmd[0]);
		ctx->reported = true;
		return EINVAL;
	}
	if (o->min_size > o->max_size) {
		log_error("invalid value for --min-size: '%s' is larger than --max-size '%s'",
			  ctx->min_size_arg, ctx->max_size_arg);
		ctx->reported = true;
		return EINVAL;
	}
	if (check_export_paths(ctx))
		return EINVAL;
	if (o->every && !o->folded_path && !o->flamegraph_path && !o->pprof_path) {
		log_error("--every needs an export (--folded, --flamegraph or --pprof)");
		ctx->reported = true;
		return EINVAL;
	}
	if (ctx->metrics_top_arg && !o->listen) {
		log_error("--metrics-top needs --listen");
		ctx->reported = true;
		return EINVAL;
	}
	if (o->no_malloc && o->sample_bytes) {
		log_error("conflicting options: --sample-bytes and --no-malloc (sampling is of "
			  "allocator calls)");
		ctx->reported = true;
		return EINVAL;
	}
	if (o->no_malloc && o->no_mmap) {
		log_error("conflicting options: --no-malloc and --no-mmap (nothing would be traced)");
		ctx->reported = true;
		return EINVAL;
	}
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *ctx = state->input;
	struct options *o = ctx->opts;

	switch (key) {
	case 'p':
		return parse_pid_opt(ctx, arg);
	case OPT_CGROUP:
		if (o->ncgroups == OPTIONS_MAX_CGROUPS)
			return bad_value(ctx, "--cgroup", arg, "too many cgroups, at most 8");
		if (!*arg)
			return bad_value(ctx, "--cgroup", arg, "expected a cgroup path");
		o->cgroups[o->ncgroups++] = arg;
		return 0;
	case 'i':
		return parse_duration_opt(ctx, "--interval", arg, true, &o->interval_ns);
	case 'd':
		return parse_duration_opt(ctx, "--duration", arg, true, &o->duration_ns);
	case 'T':
		return parse_top_opt(ctx, "--top", arg, &o->top);
	case OPT_MIN_AGE:
		return parse_duration_opt(ctx, "--min-age", arg, false, &o->min_age_ns);
	case OPT_MIN_SIZE:
		ctx->min_size_arg = arg;
		return parse_size(arg, &o->min_size) ?
		       bad_value(ctx, "--min-size", arg, EXPECT_SIZE) : 0;
	case OPT_MAX_SIZE:
		ctx->max_size_arg = arg;
		return parse_size(arg, &o->max_size) ?
		       bad_value(ctx, "--max-size", arg, EXPECT_SIZE) : 0;
	case OPT_SORT:
		return parse_sort_key(arg, &o->sort) ?
		       bad_value(ctx, "--sort", arg, "expected growth, outstanding, count or age") : 0;
	case OPT_SAMPLE_BYTES:
		if (parse_size(arg, &o->sample_bytes) ||
		    (o->sample_bytes && (o->sample_bytes < ML_SAMPLE_MIN || o->sample_bytes > ML_SAMPLE_MAX)))
			return bad_value(ctx, "--sample-bytes", arg,
					 "expected 0 (every allocation) or a size from 1K to 1G, like 512K");
		return 0;
	case OPT_NO_MALLOC:
		o->no_malloc = true;
		return 0;
	case OPT_NO_MMAP:
		o->no_mmap = true;
		return 0;
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_FOLDED:
		return parse_path_opt(ctx, "--folded", arg, &o->folded_path);
	case OPT_FLAMEGRAPH:
		return parse_path_opt(ctx, "--flamegraph", arg, &o->flamegraph_path);
	case OPT_PPROF:
		return parse_path_opt(ctx, "--pprof", arg, &o->pprof_path);
	case OPT_METRIC:
		return parse_metric(arg, &o->metric) ?
		       bad_value(ctx, "--metric", arg, "expected outstanding, growth, count, allocs or alloc-bytes") : 0;
	case OPT_EVERY:
		o->every = true;
		return 0;
	case OPT_MAX_ALLOCS:
		return parse_count_opt(ctx, "--max-allocs", arg, &o->max_allocs);
	case OPT_MAX_STACKS:
		return parse_count_opt(ctx, "--max-stacks", arg, &o->max_stacks);
	case OPT_UNWIND:
		return parse_unwind_mode(arg, &o->unwind) ?
		       bad_value(ctx, "--unwind", arg, "expected auto, dwarf or fp") : 0;
	case OPT_LISTEN:
		if (listen_addr_parse(arg, &o->listen_addr))
			return bad_value(ctx, "--listen", arg, "expected PORT or ADDR:PORT, the address "
					 "numeric and the port from 1 to 65535, like 9464, 0.0.0.0:9464 or [::1]:9464");
		o->listen = true;
		return 0;
	case OPT_METRICS_TOP:
		ctx->metrics_top_arg = arg;
		return parse_top_opt(ctx, "--metrics-top", arg, &o->metrics_top);
	case OPT_UNWIND_MEMORY:
		if (parse_size(arg, &o->unwind_memory) || o->unwind_memory < 1024 ||
		    o->unwind_memory > MAX_UNWIND_MEMORY)
			return bad_value(ctx, "--unwind-memory", arg, "expected a size from 1K to 4G, like 64M");
		return 0;
	case 'v':
		o->verbosity++;
		return 0;
	case 'q':
		o->verbosity--;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_SHORT_USAGE | ARGP_HELP_LONG | ARGP_HELP_DOC);
		ctx->printed = true;
		return ECANCELED;	/* stop here: nothing else matters */
	case OPT_USAGE:
		argp_state_help(state, stdout, ARGP_HELP_USAGE);
		ctx->printed = true;
		return ECANCELED;
	case 'V':
		printf(CMDLINE_PROG " %s\n", MEMLEAKBPF_VERSION);
		ctx->printed = true;
		return ECANCELED;
	case ARGP_KEY_INIT:
		/* getopt's own line (unknown option, missing value) is logged
		 * (cli/cmdline.c); argp's hint, which names --usage, is
		 * replaced by ours.
		 */
		state->err_stream = NULL;
		return 0;
	case ARGP_KEY_ARG:
		return parse_arg(ctx, state, arg);
	case ARGP_KEY_END:
		return parse_end(ctx, state);
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = option_table,
	.parser = parse_opt,
	.args_doc = args_doc,
	.doc = doc,
};

enum options_result options__parse(struct options *opts, int argc, char **argv)
{
	struct parse_ctx ctx = { .opts = opts, .argv = argv };
	error_t err;

	options__set_defaults(opts);
	if (argc < 1)
		return OPTIONS_OK;
	fflush(stdout);
	err = cmdline__parse(&argp, CMDLINE_PROG, argc, argv,
			     ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_IN_ORDER, &ctx);
	return cmdline__result(err, ctx.printed, ctx.reported, CMDLINE_PROG);
}
