// SPDX-License-Identifier: GPL-2.0
/* user/export/exports.c: the folded file, the flame graph and the pprof profile
 * of a report, written where the command line said.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "export/exports.h"
#include "export/flamegraph.h"
#include "export/folded.h"
#include "util/log.h"
#include "export/pprof.h"
#include "export/profile.h"

struct exports {
	const struct options *opts;
	int64_t last_series_ms;	/* time of the last --every series, 0: none yet */
};

/* One kind of export: its option, where it goes, how it is written. */
struct export_kind {
	const char *option;
	const char *(*path)(const struct options *o);
	int (*write)(FILE *f, const void *ctx);
	bool needs_profile;	/* writes a profile (one metric), not the report */
};

static const char *folded_path(const struct options *o) { return o->folded_path; }
static const char *flamegraph_path(const struct options *o) { return o->flamegraph_path; }
static const char *pprof_path(const struct options *o) { return o->pprof_path; }

static int write_folded(FILE *f, const void *ctx) { return folded__write(ctx, f); }
static int write_flamegraph(FILE *f, const void *ctx) { return flamegraph__write(ctx, f); }
static int write_pprof(FILE *f, const void *ctx) { return pprof__write(ctx, f); }

static const struct export_kind kinds[] = {
	{ "--folded", folded_path, write_folded, true },
	{ "--flamegraph", flamegraph_path, write_flamegraph, true },
	{ "--pprof", pprof_path, write_pprof, false },
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

bool exports__wanted(const struct options *opts)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].path(opts))
			return true;
	return false;
}

/* Can a file be created beside path, and renamed onto it? */
static int check_path(const char *option, const char *path)
{
	char *copy = strdup(path), tmp[PATH_MAX];
	struct stat st;
	int fd, err = 0;

	if (!copy)
		return -ENOMEM;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		log_error("cannot write %s '%s': it is a directory", option, path);
		err = -EISDIR;
		goto cleanup;
	}
	snprintf(tmp, sizeof(tmp), "%s/.memleakbpf-check-XXXXXX", dirname(copy));
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		log_error("cannot write %s '%s': %s", option, path, strerror(errno));
		goto cleanup;
	}
	close(fd);
	unlink(tmp);
cleanup:
	free(copy);
	return err;
}

int exports__check(const struct options *opts)
{
	int err = 0, e;
	size_t i;

	for (i = 0; i < NKINDS; i++) {
		const char *path = kinds[i].path(opts);

		if (path && (e = check_path(kinds[i].option, path)) && !err)
			err = e;
	}
	return err;
}

struct exports *exports__new(const struct options *opts)
{
	struct exports *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->opts = opts;
	return e;
}

void exports__free(struct exports *e)
{
	free(e);
}

int exports_write_file(const char *what, const char *path,
		       int (*write)(FILE *f, const void *ctx), const void *ctx)
{
	char tmp[PATH_MAX];
	mode_t mask;
	FILE *f = NULL;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path) >= (int)sizeof(tmp)) {
		err = -ENAMETOOLONG;
		goto fail;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);	/* as if created with open(2) */
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail_tmp;
	}
	err = write(f, ctx);
	if (fflush(f) && !err)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		goto fail_tmp;
	if (rename(tmp, path)) {
		err = -errno;
		goto fail_tmp;
	}
	return 0;
fail_tmp:
	unlink(tmp);
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

	if (!e->opts->every && !r->final)
		return 0;
	/* folded and SVG share one profile; pprof reads the report itself */
	if (e->opts->folded_path || e->opts->flamegraph_path) {
		ret = profile__from_report(&prof, r, e->opts->metric);
		if (ret) {
			log_error("cannot write the exports: %s", strerror(-ret));
			return ret;
		}
	}
	for (i = 0; i < NKINDS; i++) {
		const char *path = kinds[i].path(e->opts);

		if (!path)
			continue;
		if (e->opts->every) {
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
