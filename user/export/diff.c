// SPDX-License-Identifier: GPL-2.0
/* user/export/diff.c: `memleakbpf diff BASE NEW`. */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "export/diff.h"
#include "export/exports.h"
#include "export/flamegraph.h"
#include "export/folded.h"
#include "util/format.h"
#include "export/pprof.h"

#define PROG "memleakbpf diff"
#define HINT "Try 'memleakbpf diff --help' for more information.\n"

/* One stack of either profile, its root as matched. */
struct diff_entry {
	const struct psample *s;
	const char *root;	/* frames[0].name, or its comm without " (pid)" */
	bool is_new;
};

static const char *root_name(const struct psample *s, bool keep_pids, char *buf, size_t len)
{
	const char *name = s->nframes ? s->frames[0].name : "";
	const char *open = strrchr(name, '(');

	if (keep_pids || !s->nframes || s->frames[0].kind != FRAME_PROCESS || !open ||
	    open == name || open[-1] != ' ')
		return name;
	snprintf(buf, len, "%.*s", (int)(open - name - 1), name);
	return buf;
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct diff_entry *a = pa, *b = pb;
	int i, c;

	c = strcmp(a->root, b->root);
	if (c)
		return c;
	for (i = 1; i < a->s->nframes && i < b->s->nframes; i++) {
		c = strcmp(a->s->frames[i].name, b->s->frames[i].name);
		if (c)
			return c;
	}
	return a->s->nframes - b->s->nframes;
}

static int growth_cmp(const void *pa, const void *pb)
{
	const struct psample *a = pa, *b = pb;
	int64_t ga = a->value - a->base, gb = b->value - b->base;
	int i, c;

	if (ga != gb)
		return ga > gb ? -1 : 1;
	for (i = 0; i < a->nframes && i < b->nframes; i++) {
		c = strcmp(a->frames[i].name, b->frames[i].name);
		if (c)
			return c;
	}
	return a->nframes - b->nframes;
}

/* Add the group v[0..n) (one stack) to out. */
static int add_group(struct profile *out, const struct diff_entry *v, size_t n)
{
	const struct psample *s = v[0].s;
	struct pframe *frames = calloc(s->nframes ? s->nframes : 1, sizeof(*frames));
	int64_t value = 0, base = 0;
	int category = -1, err;
	size_t i;

	if (!frames)
		return -ENOMEM;
	memcpy(frames, s->frames, s->nframes * sizeof(*frames));
	if (s->nframes)
		frames[0].name = v[0].root;
	for (i = 0; i < n; i++) {
		if (v[i].is_new)
			value += v[i].s->value;
		else
			base += v[i].s->value;
		if (category < 0)
			category = v[i].s->category;
	}
	err = value || base ? profile__add(out, frames, s->nframes, category, value, base) : 0;
	free(frames);
	return err;
}

int diff__merge(const struct profile *base, const struct profile *new, bool keep_pids,
		struct profile *out)
{
	size_t n = base->n + new->n, i, start;
	struct diff_entry *v = calloc(n ? n : 1, sizeof(*v));
	char (*roots)[256] = calloc(n ? n : 1, sizeof(*roots));
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->diff = true;
	out->metric = new->metric;
	if (!v || !roots) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		bool is_new = i >= base->n;
		const struct psample *s = is_new ? &new->v[i - base->n] : &base->v[i];

		v[i] = (struct diff_entry){ s, root_name(s, keep_pids, roots[i], sizeof(roots[i])), is_new };
	}
	qsort(v, n, sizeof(*v), entry_cmp);
	for (start = 0, i = 1; i <= n && !err; i++) {
		if (i < n && !entry_cmp(&v[start], &v[i]))
			continue;
		if (start < n)
			err = add_group(out, v + start, i - start);
		start = i;
	}
	if (!err && out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), growth_cmp);
cleanup:
	if (err)
		profile__release(out);
	free(v);
	free(roots);
	return err;
}

void diff__print(const struct profile *d, int top, FILE *out)
{
	char b[32], n[32], g[32];
	size_t i;
	int k;

	format_bytes(b, sizeof(b), (uint64_t)profile__total(d, true));
	format_bytes(n, sizeof(n), (uint64_t)profile__total(d, false));
	format_bytes_signed(g, sizeof(g), profile__total(d, false) - profile__total(d, true));
	fprintf(out, "%s\n  %s\n  total %s -> %s (%s)\n", d->title, d->subtitle, b, n, g);
	if (!d->n) {
		fprintf(out, "  no stacks in either profile\n");
		return;
	}
	fprintf(out, "Top %d stacks by growth:\n", top);
	for (i = 0; i < d->n && i < (size_t)top; i++) {
		const struct psample *s = &d->v[i];

		format_bytes(b, sizeof(b), (uint64_t)s->base);
		format_bytes(n, sizeof(n), (uint64_t)s->value);
		format_bytes_signed(g, sizeof(g), s->value - s->base);
		fprintf(out, " #%-2zu %9s  %s -> %s  %s\n", i + 1, g, b, n,
			s->nframes ? s->frames[0].name : "?");
		for (k = s->nframes - 1; k >= 1; k--)
			fprintf(out, "       %s\n", s->frames[k].name);
	}
}

/* The command line of `diff`. */
struct diff_args {
	const char *paths[2];		/* BASE, NEW */
	int npaths;
	const char *folded, *flamegraph;
	const char *sample_index;	/* NULL: the file's default */
	bool keep_pids;
	int top;
	bool printed;			/* --help: exit 0 */
};

enum { OPT_FOLDED = 0x100, OPT_FLAMEGRAPH, OPT_SAMPLE_INDEX, OPT_KEEP_PIDS };

static const struct argp_option diff_options[] = {
	{ "folded", OPT_FOLDED, "FILE", 0, "Write a differential folded file (stack BASE NEW per line)", 0 },
	{ "flamegraph", OPT_FLAMEGRAPH, "FILE.svg", 0, "Write a differential flame graph (growth red, shrinkage blue)", 0 },
	{ "sample-index", OPT_SAMPLE_INDEX, "TYPE", 0, "For pprof files: inuse_space (default), "
	  "inuse_objects, alloc_space or alloc_objects", 0 },
	{ "keep-pids", OPT_KEEP_PIDS, 0, 0, "Match stacks by process id too, not only by process name", 0 },
	{ "top", 'T', "N", 0, "Stacks in the summary (default 10)", 0 },
	{ "help", 'h', 0, 0, "Show this help", -1 },
	{},
};

static const char diff_doc[] =
"Which stacks grew between two profiles: BASE and NEW are pprof files\n"
"(memleakbpf --pprof) or folded files (--folded).  The summary ranks stacks by\n"
"growth; --folded and --flamegraph write the differential files.\n"
"\n"
"EXAMPLES:\n"
"    memleakbpf -p 1234 --pprof leak.pb.gz --every -i 60   # a profile a minute\n"
"    memleakbpf diff --flamegraph growth.svg \\\n"
"        leak-20261122T140000.120Z.pb.gz leak-20261122T150000.340Z.pb.gz";

static error_t diff_parse_opt(int key, char *arg, struct argp_state *state)
{
	struct diff_args *a = state->input;
	char *end;
	long v;

	switch (key) {
	case OPT_FOLDED:
		a->folded = arg;
		return 0;
	case OPT_FLAMEGRAPH:
		a->flamegraph = arg;
		return 0;
	case OPT_SAMPLE_INDEX:
		a->sample_index = arg;
		return 0;
	case OPT_KEEP_PIDS:
		a->keep_pids = true;
		return 0;
	case 'T':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || end == arg || v < 1 || v > INT_MAX) {
			fprintf(stderr, PROG ": invalid value for --top: '%s' (expected a number of at least 1)\n", arg);
			return EINVAL;
		}
		a->top = (int)v;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_SHORT_USAGE | ARGP_HELP_LONG | ARGP_HELP_DOC);
		a->printed = true;
		return ECANCELED;
	case ARGP_KEY_INIT:
		state->err_stream = NULL;
		return 0;
	case ARGP_KEY_ARG:
		if (a->npaths == 2) {
			fprintf(stderr, PROG ": unexpected argument '%s' (give BASE and NEW)\n", arg);
			return EINVAL;
		}
		a->paths[a->npaths++] = arg;
		return 0;
	case ARGP_KEY_END:
		if (a->npaths < 2) {
			fprintf(stderr, PROG ": missing %s profile (give BASE and NEW)\n",
				a->npaths ? "NEW" : "BASE");
			return EINVAL;
		}
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static bool is_pprof_file(const char *path)
{
	unsigned char magic[2] = { 0 };
	size_t len = strlen(path);
	FILE *f = fopen(path, "rb");

	if (f) {
		if (fread(magic, 1, 2, f) != 2)
			magic[0] = 0;
		fclose(f);
	}
	if (magic[0] == 0x1f && magic[1] == 0x8b)	/* gzip */
		return true;
	return (len > 3 && !strcmp(path + len - 3, ".pb")) ||
	       (len > 6 && !strcmp(path + len - 6, ".pprof"));
}

static int read_profile(const char *path, const char *sample_index, struct profile *out)
{
	char err[512] = "";
	int ret;

	if (is_pprof_file(path))
		ret = pprof__read(path, sample_index, out, err, sizeof(err));
	else
		ret = folded__read(path, out, err, sizeof(err));
	if (ret)
		fprintf(stderr, "memleakbpf: %s\n", err[0] ? err : strerror(-ret));
	return ret;
}

static int write_diff_folded(FILE *f, const void *ctx) { return folded__write_diff(ctx, f); }
static int write_diff_svg(FILE *f, const void *ctx) { return flamegraph__write(ctx, f); }

int diff__main(int argc, char **argv)
{
	struct argp argp = { diff_options, diff_parse_opt, "BASE NEW", diff_doc };
	struct diff_args a = { .top = 10 };
	struct profile base = { 0 }, new = { 0 }, d = { 0 };
	char *prog = argv[0];
	int code = 1, err;

	argv[0] = (char *)PROG;		/* names the program in the usage line */
	err = argp_parse(&argp, argc, argv, ARGP_NO_EXIT | ARGP_NO_HELP, NULL, &a);
	argv[0] = prog;
	if (err) {
		if (a.printed)
			return 0;
		fputs(HINT, stderr);
		return 2;
	}
	if (read_profile(a.paths[0], a.sample_index, &base) ||
	    read_profile(a.paths[1], a.sample_index, &new))
		goto cleanup;
	if (diff__merge(&base, &new, a.keep_pids, &d)) {
		fprintf(stderr, "memleakbpf: cannot compare the profiles: %s\n", strerror(ENOMEM));
		goto cleanup;
	}
	snprintf(d.title, sizeof(d.title), "memleakbpf diff: growth from %s to %s", a.paths[0], a.paths[1]);
	snprintf(d.subtitle, sizeof(d.subtitle), "%s; red grew, blue shrank",
		 a.sample_index ? a.sample_index :
		 is_pprof_file(a.paths[1]) ? "inuse_space (the default)" : "folded values");
	diff__print(&d, a.top, stdout);
	code = 0;
	if (a.folded && exports_write_file("folded diff", a.folded, write_diff_folded, &d))
		code = 1;
	if (a.flamegraph && exports_write_file("flame graph", a.flamegraph, write_diff_svg, &d))
		code = 1;
cleanup:
	profile__release(&base);
	profile__release(&new);
	profile__release(&d);
	return code;
}
