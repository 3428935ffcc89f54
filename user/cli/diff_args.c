// SPDX-License-Identifier: GPL-2.0
/* user/cli/diff_args.c: the command line of `memleakbpf diff`, parsed with
 * argp as the run's is (cli/options.c), then handed to export/diff.c.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cmdline.h"
#include "cli/diff_args.h"
#include "export/diff.h"
#include "util/log.h"

#define DIFF_PROG CMDLINE_PROG " diff"
#define DEFAULT_TOP 10

enum {
	OPT_FOLDED = 0x100,
	OPT_FLAMEGRAPH,
	OPT_SAMPLE_INDEX,
	OPT_KEEP_PIDS,
};

static const struct argp_option option_table[] = {
	{ "folded", OPT_FOLDED, "FILE", 0, "Write a differential folded file (stack BASE NEW per line)", 0 },
	{ "flamegraph", OPT_FLAMEGRAPH, "FILE.svg", 0, "Write a differential flame graph (growth red, shrinkage blue)", 0 },
	{ "sample-index", OPT_SAMPLE_INDEX, "TYPE", 0, "For pprof files: inuse_space (default), "
	  "inuse_objects, alloc_space or alloc_objects", 0 },
	{ "keep-pids", OPT_KEEP_PIDS, 0, 0, "Match stacks by process id too, not only by process name", 0 },
	{ "top", 'T', "N", 0, "Stacks in the summary (default 10)", 0 },
	{ "help", 'h', 0, 0, "Show this help", -1 },
	{},
};

static const char doc[] =
"Which stacks grew between two profiles: BASE and NEW are pprof files\n"
"(memleakbpf --pprof) or folded files (--folded).  The summary ranks stacks by\n"
"growth; --folded and --flamegraph write the differential files.\n"
"\n"
"EXAMPLES:\n"
"    memleakbpf -p 1234 --pprof leak.pb.gz --every -i 60   # a profile a minute\n"
"    memleakbpf diff --flamegraph growth.svg \\\n"
"        leak-20261122T140000.120Z.pb.gz leak-20261122T150000.340Z.pb.gz";

struct parse_ctx {
	struct diff_options *opts;
	bool printed;			/* --help went to stdout */
	bool reported;			/* an error line was logged */
};

static error_t parse_top(struct parse_ctx *ctx, const char *arg)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 1 || v > INT_MAX) {
		log_error("invalid value for --top: '%s' (expected a number of at least 1)", arg);
		ctx->reported = true;
		return EINVAL;
	}
	ctx->opts->top = v;
	return 0;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct parse_ctx *ctx = state->input;
	struct diff_options *o = ctx->opts;

	switch (key) {
	case OPT_FOLDED:
		o->folded_path = arg;
		return 0;
	case OPT_FLAMEGRAPH:
		o->flamegraph_path = arg;
		return 0;
	case OPT_SAMPLE_INDEX:
		o->sample_index = arg;
		return 0;
	case OPT_KEEP_PIDS:
		o->keep_pids = true;
		return 0;
	case 'T':
		return parse_top(ctx, arg);
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_SHORT_USAGE | ARGP_HELP_LONG | ARGP_HELP_DOC);
		ctx->printed = true;
		return ECANCELED;
	case ARGP_KEY_INIT:
		state->err_stream = NULL;	/* our hint, not argp's */
		return 0;
	case ARGP_KEY_ARG:
		if (o->npaths == 2) {
			log_error("unexpected argument '%s' (give BASE and NEW)", arg);
			ctx->reported = true;
			return EINVAL;
		}
		o->paths[o->npaths++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (o->npaths < 2) {
			log_error("missing %s profile (give BASE and NEW)", o->npaths ? "NEW" : "BASE");
			ctx->reported = true;
			return EINVAL;
		}
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp argp = {
	.options = option_table,
	.parser = parse_opt,
	.args_doc = "BASE NEW",
	.doc = doc,
};

enum options_result diff_options__parse(struct diff_options *o, int argc, char **argv)
{
	struct parse_ctx ctx = { .opts = o };
	error_t err;

	memset(o, 0, sizeof(*o));
	o->top = DEFAULT_TOP;
	fflush(stdout);
	err = cmdline__parse(&argp, DIFF_PROG, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, &ctx);
	return cmdline__result(err, ctx.printed, ctx.reported, DIFF_PROG);
}

int diff__main(int argc, char **argv)
{
	struct diff_options o;
	struct diff_config cfg;

	switch (diff_options__parse(&o, argc, argv)) {
	case OPTIONS_EXIT:
		return 0;
	case OPTIONS_BAD:
		return 2;
	default:
		break;
	}
	cfg = (struct diff_config){
		.base_path = o.paths[0],
		.new_path = o.paths[1],
		.folded_path = o.folded_path,
		.flamegraph_path = o.flamegraph_path,
		.sample_index = o.sample_index,
		.keep_pids = o.keep_pids,
		.top = o.top,
	};
	return diff__run(&cfg) ? 1 : 0;
}
