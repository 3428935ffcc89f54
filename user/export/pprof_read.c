// SPDX-License-Identifier: GPL-2.0
/* user/pprof_read.c: pprof__read(), see pprof.h.
 *
 * Reading inflates, unpacks, checks every index and reference once, then
 * walks the samples.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "export/pprof.h"

#ifndef MEMLEAKBPF_VERSION
#define MEMLEAKBPF_VERSION "unknown"
#endif

#include "export/pprof_format.h"
#include "util/array.h"

#define MAX_UNCOMPRESSED (1ull << 30)	/* a larger profile is not one we wrote */
/* What the samples may expand to, per byte of the (uncompressed) message:
 * a location's inlined lines and its function names are written once and
 * referenced by id, so a small file could name billions of frames.  A
 * real profile has one to a few frames per location id (1 or 2 bytes),
 * and a sample's values and labels take tens of bytes more; names are of
 * a few hundred bytes at most.  At these bounds a 100 KB file is read in
 * a fraction of a second.
 */
#define FRAMES_PER_BYTE 4
#define NAME_BYTES_PER_BYTE 256
#define MAX_NAME_BYTES (1ull << 30)

struct id_entry {
	uint64_t id;
	size_t idx;
};

/* Ids to indices: pprof ids need be neither dense nor in order. */
struct id_index {
	struct id_entry *v;
	size_t n;
};

struct reader {
	const char *path;
	const pb_profile *p;
	struct id_index maps, fns, locs;
	size_t vi;		/* the chosen sample type */
	struct pframe *frames;	/* scratch for one sample */
	char *names;		/* NAME_LEN bytes per frame, for names made up here */
	size_t frames_cap, names_cap;	/* in frames */
	char *err;
	size_t errlen;
	char why[160];
	size_t nframes, max_frames;	/* of all samples so far, and the bound */
	size_t name_bytes, max_name_bytes;
};

/* "path: " and the message in err; returns ret. */
__attribute__((format(printf, 3, 4)))
static int reader__fail(struct reader *rd, int ret, const char *fmt, ...)
{
	size_t o;
	va_list ap;

	if (!rd->errlen)
		return ret;
	snprintf(rd->err, rd->errlen, "%s: ", rd->path);
	o = strlen(rd->err);
	va_start(ap, fmt);
	vsnprintf(rd->err + o, rd->errlen - o, fmt, ap);
	va_end(ap);
	return ret;
}

static int read_all(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n;
	int ret = 0;

	*data = NULL;
	*len = 0;
	if (!f)
		return -errno;
	do {
		if (ARRAY_GROW(*data, cap, *len + 65536)) {
			ret = -ENOMEM;
			break;
		}
		errno = 0;
		n = fread(*data + *len, 1, cap - *len, f);
		*len += n;
	} while (n);
	if (!ret && ferror(f))
		ret = errno ? -errno : -EIO;	/* EISDIR for a directory */
	fclose(f);
	return ret;
}

/* data, gunzipped when it has gzip's magic (concatenated members too). */
static int reader__inflate(struct reader *rd, const uint8_t *data, size_t len, uint8_t **out,
			   size_t *outlen)
{
	z_stream zs = { 0 };
	size_t cap = 0;
	int zret = Z_OK, ret = 0;

	*out = NULL;
	*outlen = 0;
	if (inflateInit2(&zs, 15 + 32) != Z_OK)
		return reader__fail(rd, -ENOMEM, "cannot read: %s", strerror(ENOMEM));
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;	/* the file was read whole: < 4 GiB checked below */
	while (zs.avail_in || zret != Z_STREAM_END) {
		if (zret == Z_STREAM_END && inflateReset(&zs) != Z_OK)
			break;
		if (cap - *outlen < 65536 && (*outlen + 65536 > MAX_UNCOMPRESSED ||
		    ARRAY_GROW(*out, cap, *outlen + 65536))) {
			ret = reader__fail(rd, -EINVAL,
					   "not a pprof profile: more than 1 GiB uncompressed");
			break;
		}
		zs.next_out = *out + *outlen;
		zs.avail_out = (uInt)(cap - *outlen);
		zret = inflate(&zs, Z_NO_FLUSH);
		*outlen = cap - zs.avail_out;
		if (zret == Z_BUF_ERROR || (zret != Z_OK && zret != Z_STREAM_END)) {
			ret = reader__fail(rd, -EINVAL, "not a pprof profile: gzip: %s",
					   zret == Z_BUF_ERROR ? "unexpected end of data" :
					   zs.msg ? zs.msg : "corrupt data");
			break;
		}
	}
	inflateEnd(&zs);
	return ret;
}

static int id_cmp(const void *a, const void *b)
{
	const struct id_entry *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Sort ix (v[i] = { id, i }, filled by the caller) and check the ids. */
static const char *reader__index(struct reader *rd, struct id_index *ix, const char *what)
{
	size_t i;

	qsort(ix->v, ix->n, sizeof(*ix->v), id_cmp);
	for (i = 0; i < ix->n; i++) {
		if (!ix->v[i].id)
			snprintf(rd->why, sizeof(rd->why), "a %s has the reserved id 0", what);
		else if (i && ix->v[i].id == ix->v[i - 1].id)
			snprintf(rd->why, sizeof(rd->why), "two %ss have id %" PRIu64, what,
				 ix->v[i].id);
		else
			continue;
		return rd->why;
	}
	return NULL;
}

/* Index of id in ix, or SIZE_MAX. */
static size_t index__find(const struct id_index *ix, uint64_t id)
{
	struct id_entry key = { id, 0 };
	const struct id_entry *e = ix->n ? bsearch(&key, ix->v, ix->n, sizeof(*ix->v), id_cmp) : NULL;

	return e ? e->idx : SIZE_MAX;
}

static bool str_ok(const pb_profile *p, int64_t i)
{
	return i >= 0 && (uint64_t)i < p->n_string_table;
}

static const char *str_of(const pb_profile *p, int64_t i)
{
	return str_ok(p, i) ? p->string_table[i] : "";
}

/* Mappings and functions: ids and strings. */
static const char *reader__check_tables(struct reader *rd)
{
	const pb_profile *p = rd->p;
	const char *why;
	size_t i;

	for (i = 0; i < p->n_mapping; i++) {
		const pb_mapping *m = p->mapping[i];

		if (!str_ok(p, m->filename) || !str_ok(p, m->build_id))
			return "a mapping's name is not in the string table";
		rd->maps.v[rd->maps.n++] = (struct id_entry){ m->id, i };
	}
	for (i = 0; i < p->n_function; i++) {
		const pb_function *f = p->function[i];

		if (!str_ok(p, f->name) || !str_ok(p, f->system_name) || !str_ok(p, f->filename))
			return "a function's name is not in the string table";
		rd->fns.v[rd->fns.n++] = (struct id_entry){ f->id, i };
	}
	why = reader__index(rd, &rd->maps, "mapping");
	return why ? why : reader__index(rd, &rd->fns, "function");
}

/* Locations: ids, and the mappings and functions they name. */
static const char *reader__check_locations(struct reader *rd)
{
	const pb_profile *p = rd->p;
	size_t i, k;

	for (i = 0; i < p->n_location; i++) {
		const pb_location *l = p->location[i];

		if (l->mapping_id && index__find(&rd->maps, l->mapping_id) == SIZE_MAX) {
			snprintf(rd->why, sizeof(rd->why), "location %" PRIu64 " is in mapping %" PRIu64
				 ", which is not in the file", l->id, l->mapping_id);
			return rd->why;
		}
		for (k = 0; k < l->n_line; k++) {
			if (index__find(&rd->fns, l->line[k]->function_id) != SIZE_MAX)
				continue;
			snprintf(rd->why, sizeof(rd->why), "location %" PRIu64 " has function %" PRIu64
				 ", which is not in the file", l->id, l->line[k]->function_id);
			return rd->why;
		}
		rd->locs.v[rd->locs.n++] = (struct id_entry){ l->id, i };
	}
	return reader__index(rd, &rd->locs, "location");
}

/* Samples: one value per type, known locations, labels in the string table. */
static const char *reader__check_samples(struct reader *rd)
{
	const pb_profile *p = rd->p;
	size_t i, k;

	for (i = 0; i < p->n_sample; i++) {
		const pb_sample *s = p->sample[i];

		if (s->n_value != p->n_sample_type) {
			snprintf(rd->why, sizeof(rd->why),
				 "a sample has %zu values for %zu sample types", s->n_value,
				 p->n_sample_type);
			return rd->why;
		}
		for (k = 0; k < s->n_location_id; k++) {
			if (index__find(&rd->locs, s->location_id[k]) != SIZE_MAX)
				continue;
			snprintf(rd->why, sizeof(rd->why), "a sample has location %" PRIu64
				 ", which is not in the file", s->location_id[k]);
			return rd->why;
		}
		for (k = 0; k < s->n_label; k++)
			if (!str_ok(p, s->label[k]->key) || !str_ok(p, s->label[k]->str) ||
			    !str_ok(p, s->label[k]->num_unit))
				return "a label is not in the string table";
	}
	return NULL;
}

/* Everything the walk over the samples relies on, checked once. */
static int reader__check(struct reader *rd)
{
	const pb_profile *p = rd->p;
	const char *why = NULL;
	size_t i;

	rd->maps.v = calloc(p->n_mapping + 1, sizeof(*rd->maps.v));
	rd->fns.v = calloc(p->n_function + 1, sizeof(*rd->fns.v));
	rd->locs.v = calloc(p->n_location + 1, sizeof(*rd->locs.v));
	if (!rd->maps.v || !rd->fns.v || !rd->locs.v)
		return reader__fail(rd, -ENOMEM, "cannot read: %s", strerror(ENOMEM));
	if (!p->n_string_table || p->string_table[0][0])
		why = "the string table does not start with \"\"";
	else if (!p->n_sample_type)
		why = "no sample types";
	for (i = 0; !why && i < p->n_sample_type; i++)
		if (!str_ok(p, p->sample_type[i]->type) || !str_ok(p, p->sample_type[i]->unit))
			why = "a sample type is not in the string table";
	if (!why && !str_ok(p, p->default_sample_type))
		why = "the default sample type is not in the string table";
	if (!why)
		why = reader__check_tables(rd);
	if (!why)
		why = reader__check_locations(rd);
	if (!why)
		why = reader__check_samples(rd);
	return why ? reader__fail(rd, -EINVAL, "not a pprof profile: %s", why) : 0;
}

/* "alloc_objects, alloc_space, ..." */
static void type_list(const pb_profile *p, char *buf, size_t len)
{
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < p->n_sample_type && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
			      str_of(p, p->sample_type[i]->type));
}

/* By name ("inuse_space") or number; NULL: the default, else the last. */
static int reader__pick_type(struct reader *rd, const char *want)
{
	const pb_profile *p = rd->p;
	bool fallback = !want;	/* not found: the last type, as pprof */
	char have[256], *end;
	unsigned long n;
	size_t i;

	rd->vi = p->n_sample_type - 1;
	if (!want && p->default_sample_type)
		want = str_of(p, p->default_sample_type);
	for (i = 0; want && i < p->n_sample_type; i++) {
		if (!strcmp(str_of(p, p->sample_type[i]->type), want)) {
			rd->vi = i;
			return 0;
		}
	}
	if (fallback)
		return 0;
	n = strtoul(want, &end, 10);
	if (isdigit((unsigned char)want[0]) && !*end && n < p->n_sample_type) {
		rd->vi = n;
		return 0;
	}
	type_list(p, have, sizeof(have));
	return reader__fail(rd, -EINVAL, "no sample type '%s' (have: %s)", want, have);
}

static enum metric metric_of(const char *type, const char *unit)
{
	bool bytes = !strcmp(unit, "bytes"), alloc = strstr(type, "alloc") != NULL;
	size_t i;

	for (i = 0; i < NSAMPLE_TYPES; i++)
		if (!strcmp(type, sample_types[i].type))
			return sample_types[i].metric;
	if (alloc)
		return bytes ? METRIC_ALLOC_BYTES : METRIC_ALLOCS;
	return bytes ? METRIC_OUTSTANDING : METRIC_COUNT;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* JIT code: our "[jit]", perf's anonymous and perf-map names, named
 * anonymous mappings, `perf inject --jit` objects.
 */
static bool is_jit_mapping(const char *file)
{
	size_t n = strlen(file);
	const char *base = base_name(file);

	return !strcmp(file, "[jit]") || !strcmp(file, "//anon") || !strncmp(file, "[anon", 5) ||
	       (!strncmp(file, "/tmp/perf-", 10) && n > 4 && !strcmp(file + n - 4, ".map")) ||
	       (!strncmp(base, "jitted-", 7) && n > 3 && !strcmp(file + n - 3, ".so"));
}

/* A name made up for a frame without a symbol: "[unknown]", "[no stack]"
 * or "module+0x1a2b" (a function with no file that ends so).
 */
static bool is_made_up_name(const char *name, const char *file)
{
	const char *plus = strstr(name, "+0x");

	if (!strcmp(name, "[unknown]") || !strcmp(name, NO_STACK))
		return true;
	if (*file || !plus || plus == name)
		return false;
	for (plus += 3; isxdigit((unsigned char)*plus); plus++)
		;
	return !*plus && plus[-1] != 'x';
}

/* A location without lines: named as profile_frame_name() names report
 * frames, from the mapping.
 */
static const char *unnamed_location(const pb_profile *p, const pb_location *l, const pb_mapping *m,
				    bool jit, char *buf)
{
	struct frame f = { .jit = jit, .module_offset = l->address };

	if (m && *str_of(p, m->filename))
		f.module = str_of(p, m->filename);
	if (m && l->address >= m->memory_start && l->address < m->memory_limit)
		f.module_offset = l->address - m->memory_start + m->file_offset;
	return profile_frame_name(&f, buf, NAME_LEN);
}

/* Frames of location l, root first (the real function, then what was
 * inlined into it); names point into the file or into names[].  Returns
 * how many.
 */
static size_t reader__location(struct reader *rd, const pb_location *l, struct pframe *frames,
			       char *names)
{
	const pb_profile *p = rd->p;
	size_t mi = l->mapping_id ? index__find(&rd->maps, l->mapping_id) : SIZE_MAX;
	const pb_mapping *m = mi != SIZE_MAX ? p->mapping[mi] : NULL;
	bool jit = m && is_jit_mapping(str_of(p, m->filename));
	size_t k;

	if (!l->n_line) {
		frames[0].name = unnamed_location(p, l, m, jit, names);
		frames[0].kind = jit ? FRAME_JIT : FRAME_UNKNOWN;
		return 1;
	}
	for (k = 0; k < l->n_line; k++) {
		size_t line = l->n_line - 1 - k;	/* lines go innermost first */
		const pb_function *fn = p->function[index__find(&rd->fns, l->line[line]->function_id)];
		const char *name = str_of(p, fn->name), *file = str_of(p, fn->filename);

		if (!*name)
			name = str_of(p, fn->system_name);
		if (!*name)
			name = unnamed_location(p, l, m, jit, names + k * NAME_LEN);
		frames[k].name = name;
		if (jit || !strcmp(name, "[jit]"))
			frames[k].kind = FRAME_JIT;
		else if (!*str_of(p, fn->name) && !*str_of(p, fn->system_name))
			frames[k].kind = FRAME_UNKNOWN;
		else if (is_made_up_name(name, file))
			frames[k].kind = FRAME_UNKNOWN;
		else
			frames[k].kind = line < l->n_line - 1 ? FRAME_INLINED : FRAME_NATIVE;
	}
	return l->n_line;
}

/* "comm (pid)" from the labels into buf; NULL without either.  The
 * category label's ML_CAT_* in *category, -1 without one.
 */
static const char *reader__labels(struct reader *rd, const pb_sample *s, char *buf, int *category)
{
	const pb_profile *p = rd->p;
	const char *comm = NULL;
	bool has_pid = false;
	long long pid = 0;
	size_t i;
	int c;

	*category = -1;
	for (i = 0; i < s->n_label; i++) {
		const pb_label *l = s->label[i];
		const char *key = str_of(p, l->key), *str = l->str ? str_of(p, l->str) : NULL;

		if (!strcmp(key, "pid")) {
			has_pid = true;
			pid = str ? strtoll(str, NULL, 10) : l->num;
		} else if (!strcmp(key, "comm") && str) {
			comm = str;
		} else if (!strcmp(key, "category") && str) {
			for (c = 0; c < ML_CAT_MAX; c++)
				if (!strcmp(str, category_key(c)))
					*category = c;
		}
	}
	if (!has_pid)
		return comm;
	snprintf(buf, NAME_LEN, "%s (%lld)", comm ? comm : "?", pid);
	return buf;
}

/* Room for n frames (and their made-up names) in the scratch arrays. */
static int reader__reserve(struct reader *rd, size_t n)
{
	if (ARRAY_GROW(rd->frames, rd->frames_cap, n) ||
	    ARRAY_GROW_ELEM(rd->names, rd->names_cap, n, NAME_LEN))
		return -ENOMEM;
	return 0;
}

static int reader__add_sample(struct reader *rd, const pb_sample *s, struct profile *out)
{
	const pb_profile *p = rd->p;
	size_t n = 1, nf = 0, i;
	const char *root;
	int category, ret;

	for (i = 0; i < s->n_location_id; i++) {
		const pb_location *l = p->location[index__find(&rd->locs, s->location_id[i])];

		n += l->n_line ? l->n_line : 1;
	}
	if (n > rd->max_frames - rd->nframes)
		return reader__fail(rd, -E2BIG, "not a pprof profile: its samples expand to more "
				    "than %zu frames", rd->max_frames);
	rd->nframes += n;
	ret = reader__reserve(rd, n);
	if (ret)
		return ret;
	root = reader__labels(rd, s, rd->names, &category);
	if (root)
		rd->frames[nf++] = (struct pframe){ root, FRAME_PROCESS };
	for (i = s->n_location_id; i--; ) {
		const pb_location *l = p->location[index__find(&rd->locs, s->location_id[i])];

		nf += reader__location(rd, l, rd->frames + nf, rd->names + nf * NAME_LEN);
	}
	/* our stand-in for a stack without frames: none, as in a report */
	if (s->n_location_id == 1 && !strcmp(rd->frames[nf - 1].name, NO_STACK))
		nf--;
	for (i = 0; i < nf; i++) {
		size_t len = strlen(rd->frames[i].name) + 1;

		if (len > rd->max_name_bytes - rd->name_bytes)
			return reader__fail(rd, -E2BIG, "not a pprof profile: its samples expand "
					    "to more than %zu bytes of names", rd->max_name_bytes);
		rd->name_bytes += len;
	}
	return profile__add(out, rd->frames, (int)nf, category, s->value[rd->vi], 0);
}

/* The file's name; what, when and how long. */
static void reader__titles(struct reader *rd, struct profile *out)
{
	const pb_profile *p = rd->p;
	const pb_value_type *vt = p->sample_type[rd->vi];
	time_t when = (time_t)(p->time_nanos / 1000000000);
	size_t o;
	struct tm tm;

	snprintf(out->title, sizeof(out->title), "%s", rd->path);
	o = (size_t)snprintf(out->subtitle, sizeof(out->subtitle), "%s (%s)", str_of(p, vt->type),
			     str_of(p, vt->unit));
	if (p->time_nanos > 0 && o < sizeof(out->subtitle) && gmtime_r(&when, &tm))
		o += strftime(out->subtitle + o, sizeof(out->subtitle) - o,
			      ", %Y-%m-%d %H:%M:%S UTC", &tm);
	if (p->duration_nanos > 0 && o < sizeof(out->subtitle))
		snprintf(out->subtitle + o, sizeof(out->subtitle) - o, ", %.1f s",
			 p->duration_nanos / 1e9);
}

static void reader__release(struct reader *rd)
{
	free(rd->maps.v);
	free(rd->fns.v);
	free(rd->locs.v);
	free(rd->frames);
	free(rd->names);
}

int pprof__read(const char *path, const char *sample_type, struct profile *out, char *err,
		size_t errlen)
{
	struct reader rd = { .path = path, .err = err, .errlen = errlen };
	uint8_t *data = NULL, *raw = NULL;
	pb_profile *p = NULL;
	uint64_t abs_total = 0;
	size_t len = 0, i;
	int ret;

	memset(out, 0, sizeof(*out));
	if (errlen)
		err[0] = '\0';
	ret = read_all(path, &data, &len);
	if (ret) {
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-ret));
		goto cleanup;
	}
	if (len >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		ret = len > UINT32_MAX ? reader__fail(&rd, -EFBIG, "not a pprof profile: too large") :
		      reader__inflate(&rd, data, len, &raw, &len);
		if (ret)
			goto cleanup;
	}
	p = len ? perftools__profiles__profile__unpack(NULL, len, raw ? raw : data) : NULL;
	if (!p) {
		ret = reader__fail(&rd, -EINVAL, "not a pprof profile: %s",
				   len ? "not a profile.proto message" : "the file is empty");
		goto cleanup;
	}
	rd.p = p;
	rd.max_frames = FRAMES_PER_BYTE * len;
	rd.max_name_bytes = len < MAX_NAME_BYTES / NAME_BYTES_PER_BYTE ?
			    NAME_BYTES_PER_BYTE * len : MAX_NAME_BYTES;
	ret = reader__check(&rd);
	if (!ret)
		ret = reader__pick_type(&rd, sample_type);
	if (ret)
		goto cleanup;
	out->metric = metric_of(str_of(p, p->sample_type[rd.vi]->type),
				str_of(p, p->sample_type[rd.vi]->unit));
	reader__titles(&rd, out);
	for (i = 0; i < p->n_sample && !ret; i++) {
		if (!p->sample[i]->value[rd.vi])
			continue;
		if (!profile_read_value_fits(&abs_total, p->sample[i]->value[rd.vi])) {
			ret = reader__fail(&rd, -ERANGE, "not a pprof profile: sample values "
					   "add up to more than 2^60");
			goto cleanup;
		}
		ret = reader__add_sample(&rd, p->sample[i], out);
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-ret));
cleanup:
	if (ret)
		profile__release(out);
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
	reader__release(&rd);
	free(raw);
	free(data);
	return ret;
}
