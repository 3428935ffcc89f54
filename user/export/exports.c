// SPDX-License-Identifier: GPL-2.0
/* user/export/exports.c: the folded file, the flame graph and the pprof profile
 * of a report, written where the command line said.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "export/exports.h"
#include "export/flamegraph.h"
#include "export/folded.h"
#include "util/log.h"
#include "export/pprof.h"
#include "export/profile.h"
#include "util/atomic_file.h"

struct exports {
	struct export_config cfg;
	int64_t last_series_ms;	/* time of the last --every series, 0: none yet */
};

/* One kind of export: its option, where it goes, how it is written. */
struct export_kind {
	const char *option;
	const char *(*path)(const struct export_config *o);
	int (*write)(FILE *f, const void *ctx);
	bool needs_profile;	/* writes a profile (one metric), not the report */
};

static const char *folded_path(const struct export_config *o) { return o->folded_path; }
static const char *flamegraph_path(const struct export_config *o) { return o->flamegraph_path; }
static const char *pprof_path(const struct export_config *o) { return o->pprof_path; }

static int write_folded(FILE *f, const void *ctx) { return folded__write(ctx, f); }
static int write_flamegraph(FILE *f, const void *ctx) { return flamegraph__write(ctx, f); }
static int write_pprof(FILE *f, const void *ctx) { return pprof__write(ctx, f); }

static const struct export_kind kinds[] = {
	{ "--folded", folded_path, write_folded, true },
	{ "--flamegraph", flamegraph_path, write_flamegraph, true },
	{ "--pprof", pprof_path, write_pprof, false },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

bool exports__wanted(const struct export_config *cfg)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].path(cfg))
			return true;
	return false;
}

static int check_path(const char *option, const char *path)
{
	int err = atomic_file__check(path);

	if (err == -EISDIR)
		log_error("cannot write %s '%s': it is a directory", option, path);
	else if (err)
		log_error("cannot write %s '%s': %s", option, path, strerror(-err));
	return err;
}

/* The directory that holds path's last name (base points into path). */
static int stat_dir(const char *path, const char *base, struct stat *st)
{
	char dir[PATH_MAX];

	if (base == path)
		return stat(".", st);
	snprintf(dir, sizeof(dir), "%.*s", (int)(base - path), path);	/* "d/", "/" */
	return stat(dir, st);
}

/* Would a and b replace one directory entry?  "x", "./x" and "d/../x" do;
 * a symlink and its target do not: the rename replaces the link.
 */
static bool same_entry(const char *a, const char *b)
{
	const char *base_a = strrchr(a, '/'), *base_b = strrchr(b, '/');
	struct stat st_a, st_b;

	base_a = base_a ? base_a + 1 : a;
	base_b = base_b ? base_b + 1 : b;
	if (strcmp(base_a, base_b) || stat_dir(a, base_a, &st_a) || stat_dir(b, base_b, &st_b))
		return false;
	return st_a.st_dev == st_b.st_dev && st_a.st_ino == st_b.st_ino;
}

int exports__check(const struct export_config *cfg)
{
	int err = 0, e;
	size_t i, j;

	for (i = 0; i < NKINDS; i++) {
		const char *path = kinds[i].path(cfg);

		if (path && (e = check_path(kinds[i].option, path)) && !err)
			err = e;
	}
	if (err)
		return err;
	/* the command line refuses one spelling twice; this is the same
	 * file spelled two ways, where the second export would replace the first
	 */
	for (i = 0; i < NKINDS; i++) {
		for (j = i + 1; j < NKINDS; j++) {
			const char *a = kinds[i].path(cfg), *b = kinds[j].path(cfg);

			if (!a || !b || !same_entry(a, b))
				continue;
			log_error("conflicting options: %s '%s' and %s '%s' are the same file",
				  kinds[i].option, a, kinds[j].option, b);
			return -EINVAL;
		}
	}
	return 0;
}

struct exports *exports__new(const struct export_config *cfg)
{
	struct exports *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->cfg = *cfg;
	return e;
}

void exports__free(struct exports *e)
{
	free(e);
}

int exports_write_file(const char *what, const char *path,
		       int (*write)(FILE *f, const void *ctx), const void *ctx)
{
	struct atomic_file af;
	int err;

	err = atomic_file__open(&af, path);
	if (err)
		goto fail;
	err = write(af.f, ctx);
	if (err) {
		atomic_file__abort(&af);
		goto fail;
	}
	err = atomic_file__commit(&af);
	if (err)
		goto fail;
	return 0;
fail:
	log_error("cannot write %s '%s': %s", what, path, strerror(-err));
	return err;
}

void exports_series_name(const char *path, int64_t wall_ns, int seq, char *buf, size_t len)
{
	time_t when = (time_t)(wall_ns / 1000000000LL);
	const char *base = strrchr(path, '/'), *ext;
	char stamp[48];
	struct tm tm;
	size_t stem;

	base = base ? base + 1 : path;
	/* the extension: ".pb.gz" whole, else from the last dot (not a leading one) */
	ext = strstr(base, ".pb.gz");
	if (!ext || ext[6])
		ext = strrchr(base, '.');
	if (!ext || ext == base)
		ext = base + strlen(base);
	gmtime_r(&when, &tm);
	strftime(stamp, sizeof(stamp), "-%Y%m%dT%H%M%S", &tm);
	snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), ".%03dZ",
		 (int)(wall_ns / 1000000 % 1000));
	if (seq > 0)
		snprintf(stamp + strlen(stamp), sizeof(stamp) - strlen(stamp), "-%d", seq);
	stem = (size_t)(ext - path);
	snprintf(buf, len, "%.*s%s%s", (int)stem, path, stamp, ext);
}

static int write_kind(const struct export_kind *k, const char *path, const struct report *r,
		      const struct profile *p)
{
	return exports_write_file(k->option + 2, path, k->write,
				  k->needs_profile ? (const void *)p : (const void *)r);
}

int exports__write(struct exports *e, const struct report *r)
{
	struct profile prof = { 0 };
	char series[PATH_MAX];
	int err = 0, ret;
	size_t i;

	if (!e->cfg.every && !r->final)
		return 0;
	/* folded and SVG share one profile; pprof reads the report itself */
	if (e->cfg.folded_path || e->cfg.flamegraph_path) {
		ret = profile__from_report(&prof, r, e->cfg.metric);
		if (ret) {
			log_error("cannot write the exports: %s", strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < NKINDS; i++) {
		const char *path = kinds[i].path(&e->cfg);

		if (!path)
			continue;
		if (e->cfg.every) {
			exports_series_name(path, r->wall_ns,
					    r->wall_ns / 1000000 == e->last_series_ms ? r->seq : 0,
					    series, sizeof(series));
			ret = write_kind(&kinds[i], series, r, &prof);
			if (ret && !err)
				err = ret;
		}
		if (r->final) {
			ret = write_kind(&kinds[i], path, r, &prof);
			if (ret && !err)
				err = ret;
			else if (!ret)
				log_note("wrote %s", path);
		}
	}
	e->last_series_ms = r->wall_ns / 1000000;
	profile__release(&prof);
	return err;
}
