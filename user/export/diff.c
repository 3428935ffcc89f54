// SPDX-License-Identifier: GPL-2.0
/* user/export/diff.c: the work of `memleakbpf diff BASE NEW` (its command
 * line is cli/diff_args.c's): read, match, rank, write.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export/diff.h"
#include "export/exports.h"
#include "export/flamegraph.h"
#include "export/folded.h"
#include "export/pprof.h"
#include "util/format.h"
#include "util/log.h"

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
	if (ret && err[0])
		log_error("%s", err);
	else if (ret)
		log_error("cannot read '%s': %s", path, strerror(-ret));
	return ret;
}

static int write_diff_folded(FILE *f, const void *ctx) { return folded__write_diff(ctx, f); }
static int write_diff_svg(FILE *f, const void *ctx) { return flamegraph__write(ctx, f); }

int diff__run(const struct diff_config *cfg)
{
	struct profile base = { 0 }, new = { 0 }, d = { 0 };
	int err, ret;

	err = read_profile(cfg->base_path, cfg->sample_index, &base);
	if (!err)
		err = read_profile(cfg->new_path, cfg->sample_index, &new);
	if (err)
		goto cleanup;
	err = diff__merge(&base, &new, cfg->keep_pids, &d);
	if (err) {
		log_error("cannot compare '%s' and '%s': %s", cfg->base_path, cfg->new_path,
			  strerror(-err));
		goto cleanup;
	}
	snprintf(d.title, sizeof(d.title), "memleakbpf diff: growth from %s to %s",
		 cfg->base_path, cfg->new_path);
	snprintf(d.subtitle, sizeof(d.subtitle), "%s; red grew, blue shrank",
		 cfg->sample_index ? cfg->sample_index :
		 is_pprof_file(cfg->new_path) ? "inuse_space (the default)" : "folded values");
	diff__print(&d, cfg->top, stdout);
	/* one file failing does not keep the other from being written */
	if (cfg->folded_path)
		err = exports_write_file("folded diff", cfg->folded_path, write_diff_folded, &d);
	if (cfg->flamegraph_path) {
		ret = exports_write_file("flame graph", cfg->flamegraph_path, write_diff_svg, &d);
		if (!err)
			err = ret;
	}
cleanup:
	profile__release(&base);
	profile__release(&new);
	profile__release(&d);
	return err;
}
