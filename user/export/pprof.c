// SPDX-License-Identifier: GPL-2.0
/* user/export/pprof.c: pprof__write(), see pprof.h.
 *
 * Encoding builds the protobuf-c message tree of the whole profile (every
 * message from one arena, every table entry interned through a hash of its
 * key), packs it, and deflates it with a gzip wrapper into a sink: a file
 * (--pprof) or memory (the pages --listen serves).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include "profile.pb-c.h"
#include "export/pprof.h"

#ifndef MEMLEAKBPF_VERSION
#define MEMLEAKBPF_VERSION "unknown"
#endif

#include "export/pprof_format.h"
#include "target/cgroups.h"
#include "util/array.h"

/* ---- building blocks: an arena, a hash of byte keys, growing arrays ---- */

#define ARENA_CHUNK (64 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, size;
	alignas(max_align_t) unsigned char data[];
};

/* Every message of the profile being written: freed at once. */
struct arena {
	struct chunk *head;
};

/* len zeroed bytes; NULL when out of memory. */
static void *arena__alloc(struct arena *a, size_t len)
{
	struct chunk *c = a->head;
	void *p;

	len = (len + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (!c || c->size - c->used < len) {
		size_t size = len > ARENA_CHUNK ? len : ARENA_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->next = a->head;
		c->used = 0;
		c->size = size;
		a->head = c;
	}
	p = c->data + c->used;
	c->used += len;
	return memset(p, 0, len);
}

static void arena__release(struct arena *a)
{
	while (a->head) {
		struct chunk *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

struct keyent {
	const unsigned char *key;	/* NULL: a free slot */
	size_t len;
	uint64_t hash;
	uint64_t val;
};

/* Byte strings to values, open addressing; keys are copied to the arena. */
struct keymap {
	struct keyent *v;
	size_t n, cap;		/* cap: a power of two */
};

static uint64_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static struct keyent *keymap__slot(struct keyent *v, size_t cap, const void *key, size_t len,
				   uint64_t hash)
{
	size_t i = hash & (cap - 1);

	while (v[i].key && (v[i].hash != hash || v[i].len != len || memcmp(v[i].key, key, len)))
		i = (i + 1) & (cap - 1);
	return &v[i];
}

static int keymap__grow(struct keymap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 256, i;
	struct keyent *v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->v[i].key)
			*keymap__slot(v, cap, m->v[i].key, m->v[i].len, m->v[i].hash) = m->v[i];
	free(m->v);
	m->v = v;
	m->cap = cap;
	return 0;
}

/* The entry kept under key; a new one (val 0, key copied and
 * NUL-terminated) when there was none.  NULL when out of memory.
 */
static struct keyent *keymap__get(struct keymap *m, struct arena *a, const void *key, size_t len)
{
	uint64_t hash = hash_bytes(key, len);
	struct keyent *e;
	unsigned char *copy;

	if ((m->n + 1) * 4 > m->cap * 3 && keymap__grow(m))
		return NULL;
	e = keymap__slot(m->v, m->cap, key, len, hash);
	if (e->key)
		return e;
	copy = arena__alloc(a, len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, key, len);
	*e = (struct keyent){ copy, len, hash, 0 };
	m->n++;
	return e;
}

/* ---- writing ---- */

/* The profile being written.  Running out of memory sticks in err: later
 * calls do nothing and return 0, and pprof__write() looks at err once per
 * stack.
 */
struct builder {
	pb_profile prof;
	struct arena arena;
	struct keymap strings;		/* value: index + 1 */
	struct keymap functions, mappings, locations;	/* value: id */
	size_t cap_strings, cap_functions, cap_mappings, cap_locations, cap_samples;
	uint64_t *key;			/* scratch: a location's key */
	size_t key_cap;
	int err;
};

static void *builder__alloc(struct builder *b, size_t len)
{
	void *p = b->err ? NULL : arena__alloc(&b->arena, len);

	if (!p && !b->err)
		b->err = -ENOMEM;
	return p;
}

static struct keyent *builder__entry(struct builder *b, struct keymap *m, const void *key, size_t len)
{
	struct keyent *e = b->err ? NULL : keymap__get(m, &b->arena, key, len);

	if (!e && !b->err)
		b->err = -ENOMEM;
	return e;
}

/* A new message of len bytes (zeroed, not yet init'ed) appended to *arr. */
static void *builder__push(struct builder *b, void ***arr, size_t *n, size_t *cap, size_t len)
{
	void *msg = builder__alloc(b, len);

	if (!msg)
		return NULL;
	if (ARRAY_GROW(*arr, *cap, *n + 1)) {
		b->err = -ENOMEM;
		return NULL;
	}
	(*arr)[(*n)++] = msg;
	return msg;
}

/* Index of s in the string table, added the first time it is seen. */
static int64_t builder__string(struct builder *b, const char *s)
{
	pb_profile *p = &b->prof;
	struct keyent *e = builder__entry(b, &b->strings, s, strlen(s));

	if (!e)
		return 0;
	if (!e->val) {
		if (ARRAY_GROW(p->string_table, b->cap_strings, p->n_string_table + 1)) {
			b->err = -ENOMEM;
			return 0;
		}
		p->string_table[p->n_string_table++] = (char *)e->key;	/* NUL-terminated */
		e->val = p->n_string_table;
	}
	return (int64_t)e->val - 1;
}

static pb_value_type *builder__value_type(struct builder *b, const char *type, const char *unit)
{
	pb_value_type *vt = builder__alloc(b, sizeof(*vt));

	if (!vt)
		return NULL;
	perftools__profiles__value_type__init(vt);
	vt->type = builder__string(b, type);
	vt->unit = builder__string(b, unit);
	return vt;
}

/* Function id of f: deduplicated by (name, system_name, file). */
static uint64_t builder__function(struct builder *b, const struct frame *f)
{
	pb_profile *p = &b->prof;
	char buf[NAME_LEN];
	const char *name = profile_frame_name(f, buf, sizeof(buf));
	/* equal to the name: left out, see pprof.h */
	const char *sys = f->system_name && strcmp(f->system_name, name) ? f->system_name : "";
	int64_t key[3] = {
		builder__string(b, name), builder__string(b, sys),
		builder__string(b, f->file ? f->file : ""),
	};
	struct keyent *e = builder__entry(b, &b->functions, key, sizeof(key));
	pb_function *fn;

	if (!e || e->val)
		return e ? e->val : 0;
	fn = builder__push(b, (void ***)&p->function, &p->n_function, &b->cap_functions, sizeof(*fn));
	if (!fn)
		return 0;
	perftools__profiles__function__init(fn);
	fn->id = e->val = p->n_function;
	fn->name = key[0];
	fn->system_name = key[1];
	fn->filename = key[2];
	fn->start_line = f->start_line;
	return fn->id;
}

/* The mapping f is in, of process pid (address spaces differ): NULL when
 * neither module nor range is known.  JIT code without a range goes to
 * the process's "[jit]" mapping, an unnamed range to "[unknown]".
 */
static pb_mapping *builder__mapping(struct builder *b, pid_t pid, const struct frame *f)
{
	pb_profile *p = &b->prof;
	bool ranged = f->map_start || f->map_limit;
	const char *file = f->module ? f->module : f->jit ? "[jit]" : ranged ? "[unknown]" : NULL;
	int64_t key[3];
	struct keyent *e;
	pb_mapping *m;

	if (!file)
		return NULL;
	key[0] = pid;
	key[1] = (int64_t)f->map_start;
	key[2] = builder__string(b, file);
	e = builder__entry(b, &b->mappings, key, sizeof(key));
	if (!e)
		return NULL;
	if (e->val)
		return p->mapping[e->val - 1];
	m = builder__push(b, (void ***)&p->mapping, &p->n_mapping, &b->cap_mappings, sizeof(*m));
	if (!m)
		return NULL;
	perftools__profiles__mapping__init(m);
	m->id = e->val = p->n_mapping;
	m->memory_start = f->map_start;
	m->memory_limit = f->map_limit;
	m->file_offset = f->map_offset;
	m->filename = key[2];
	m->build_id = f->build_id ? builder__string(b, f->build_id) : 0;
	m->has_functions = true;	/* every location has a line: see pprof.h */
	return m;
}

/* A new location; key is [pid, mapping id, address, (function id, line)...]. */
static uint64_t builder__new_location(struct builder *b, pb_mapping *m, const uint64_t *key,
				      const struct frame *run, int n)
{
	pb_profile *p = &b->prof;
	pb_line **lines = builder__alloc(b, n * sizeof(*lines));
	pb_location *loc;
	int i;

	loc = builder__push(b, (void ***)&p->location, &p->n_location, &b->cap_locations, sizeof(*loc));
	if (!loc || !lines)
		return 0;
	perftools__profiles__location__init(loc);
	loc->id = p->n_location;
	loc->mapping_id = key[1];
	loc->address = key[2];
	loc->n_line = n;
	loc->line = lines;
	for (i = 0; i < n; i++) {
		lines[i] = builder__alloc(b, sizeof(*lines[i]));
		if (!lines[i])
			return 0;
		perftools__profiles__line__init(lines[i]);
		lines[i]->function_id = key[3 + 2 * i];
		lines[i]->line = run[i].line;
		if (m) {
			m->has_filenames |= run[i].file != NULL;
			m->has_line_numbers |= run[i].line > 0;
		}
	}
	if (m)
		m->has_inline_frames |= n > 1;
	return loc->id;
}

/* Location id of run[0..n): an inlined run, innermost first, the real
 * function (whose address and mapping the location takes) last.  The same
 * address with other lines (a leaf and a return address can coincide) is
 * another location.
 */
static uint64_t builder__location(struct builder *b, pid_t pid, const struct frame *run, int n)
{
	const struct frame *real = &run[n - 1];
	pb_mapping *m = builder__mapping(b, pid, real);
	size_t len = 3 + 2 * (size_t)n;
	struct keyent *e;
	int i;

	if (b->err)
		return 0;
	if (ARRAY_GROW(b->key, b->key_cap, len)) {
		b->err = -ENOMEM;
		return 0;
	}
	b->key[0] = (uint64_t)pid;
	b->key[1] = m ? m->id : 0;
	b->key[2] = real->addr;
	for (i = 0; i < n; i++) {
		b->key[3 + 2 * i] = builder__function(b, &run[i]);
		b->key[4 + 2 * i] = (uint64_t)run[i].line;
	}
	e = builder__entry(b, &b->locations, b->key, len * sizeof(*b->key));
	if (e && !e->val)
		e->val = builder__new_location(b, m, b->key, run, n);
	return e ? e->val : 0;
}

static pb_label *builder__label(struct builder *b, const char *key, const char *str, int64_t num)
{
	pb_label *l = builder__alloc(b, sizeof(*l));

	if (!l)
		return NULL;
	perftools__profiles__label__init(l);
	l->key = builder__string(b, key);
	if (str)
		l->str = builder__string(b, str);
	else
		l->num = num;
	return l;
}

/* Locations of s, leaf first: one per inlined run, or NO_STACK. */
static size_t builder__stack(struct builder *b, const struct stack_report *s, uint64_t *locs)
{
	struct frame none = { .function = NO_STACK };
	size_t n = 0;
	int i, j;

	for (i = 0; i < s->nframes; i = j + 1) {
		for (j = i; j < s->nframes - 1 && s->frames[j].inlined; j++)
			;
		locs[n++] = builder__location(b, s->pid, &s->frames[i], j - i + 1);
	}
	if (!n)
		locs[n++] = builder__location(b, s->pid, &none, 1);
	return n;
}

#define MAX_SAMPLE_LABELS 6

/* The labels of s's sample into labels[]: how many. */
static size_t builder__sample_labels(struct builder *b, const struct stack_report *s,
				     pb_label **labels)
{
	char container[80], unit[256];
	size_t n = 0;

	labels[n++] = builder__label(b, "pid", NULL, s->pid);
	labels[n++] = builder__label(b, "comm", s->comm ? s->comm : "?", 0);
	labels[n++] = builder__label(b, "category", category_key(s->category), 0);
	if (s->cgroup) {
		cgroup_owner(s->cgroup, container, sizeof(container), unit, sizeof(unit));
		labels[n++] = builder__label(b, "cgroup", s->cgroup, 0);
		if (container[0])
			labels[n++] = builder__label(b, "container", container, 0);
		if (unit[0])
			labels[n++] = builder__label(b, "unit", unit, 0);
	}
	return n;
}

static void builder__add_sample(struct builder *b, const struct stack_report *s)
{
	pb_profile *p = &b->prof;
	pb_sample *smp = builder__push(b, (void ***)&p->sample, &p->n_sample, &b->cap_samples,
				       sizeof(*smp));
	uint64_t *locs = builder__alloc(b, (s->nframes + 1) * sizeof(*locs));
	int64_t *values = builder__alloc(b, NSAMPLE_TYPES * sizeof(*values));
	pb_label **labels = builder__alloc(b, MAX_SAMPLE_LABELS * sizeof(*labels));

	if (!smp || !locs || !values || !labels)
		return;
	perftools__profiles__sample__init(smp);
	smp->n_location_id = builder__stack(b, s, locs);
	smp->location_id = locs;
	/* in sample_types[] order; a negative balance (freed more than
	 * was seen allocated) holds nothing
	 */
	values[0] = (int64_t)s->total_count;
	values[1] = (int64_t)s->total_bytes;
	values[2] = s->outstanding_count > 0 ? s->outstanding_count : 0;
	values[3] = s->outstanding_bytes > 0 ? s->outstanding_bytes : 0;
	smp->n_value = NSAMPLE_TYPES;
	smp->value = values;
	smp->n_label = builder__sample_labels(b, s, labels);
	smp->label = labels;
}

/* Sample types, period and times. */
static void builder__init(struct builder *b, const struct report *r, const char *default_type)
{
	pb_profile *p = &b->prof;
	size_t i;

	memset(b, 0, sizeof(*b));
	perftools__profiles__profile__init(p);
	builder__string(b, "");		/* entry 0, as the format wants */
	p->sample_type = builder__alloc(b, NSAMPLE_TYPES * sizeof(*p->sample_type));
	for (i = 0; p->sample_type && i < NSAMPLE_TYPES; i++)
		p->sample_type[p->n_sample_type++] = builder__value_type(b, sample_types[i].type,
									  sample_types[i].unit);
	p->default_sample_type = builder__string(b, default_type);
	/* every allocation traced: one event is one event; sampled, as Go's
	 * heap profiles: the sampling period, the values already weighted
	 */
	p->period_type = builder__value_type(b, "space", "bytes");
	p->period = r->sample_bytes ? (int64_t)r->sample_bytes : 1;
	/* pprof shows the caller of the allocation API as the leaf (pprof.h) */
	p->drop_frames = builder__string(b, PPROF_DROP_FRAMES);
	p->time_nanos = r->start_wall_ns;
	p->duration_nanos = r->wall_ns - r->start_wall_ns;
}

static void builder__release(struct builder *b)
{
	pb_profile *p = &b->prof;

	free(b->strings.v);
	free(b->functions.v);
	free(b->mappings.v);
	free(b->locations.v);
	free(p->string_table);
	free(p->function);
	free(p->mapping);
	free(p->location);
	free(p->sample);
	free(b->key);
	arena__release(&b->arena);	/* the messages themselves */
}

/* buf deflated with a gzip wrapper (what pprof reads), handed to sink
 * piece by piece.
 */
static int gzip_to(const uint8_t *buf, size_t len, const struct pprof_sink *sink)
{
	unsigned char chunk[64 * 1024];
	z_stream zs = { 0 };
	int ret, err = 0;

	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)buf;
	do {
		size_t have, feed = len > (1u << 30) ? (1u << 30) : len;

		if (!zs.avail_in && feed) {	/* avail_in is 32 bits: feed in pieces */
			zs.avail_in = (uInt)feed;
			len -= feed;
		}
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		ret = deflate(&zs, len || zs.avail_in ? Z_NO_FLUSH : Z_FINISH);
		if (ret == Z_STREAM_ERROR) {
			err = -EINVAL;
			break;
		}
		have = sizeof(chunk) - zs.avail_out;
		if (have && (err = sink->write(sink->ctx, chunk, have)))
			break;
	} while (ret != Z_STREAM_END);
	deflateEnd(&zs);
	return err;
}

/* "libc.so.6", "libfoo.so", "libbar.so_1" (pprof's own test). */
static bool is_shared_library(const char *file)
{
	const char *so;

	for (so = strstr(file, ".so"); so; so = strstr(so + 3, ".so"))
		if (!so[3] || ((so[3] == '.' || so[3] == '_') && isdigit((unsigned char)so[4])))
			return true;
	return false;
}

/* pprof takes the first mapping for the main binary (its "File:" and
 * "Build ID:" lines): put the first program there, not the library the
 * first leaf happened to be in, as pprof does for its legacy formats.
 */
static void builder__main_first(struct builder *b)
{
	pb_profile *p = &b->prof;
	pb_mapping *main;
	size_t i, k;

	for (i = 0; i < p->n_mapping; i++) {
		const char *file = p->string_table[p->mapping[i]->filename];

		if (file[0] == '/' && !is_shared_library(file))
			break;
	}
	if (!i || i == p->n_mapping)
		return;
	main = p->mapping[i];
	p->mapping[i] = p->mapping[0];
	p->mapping[0] = main;
	p->mapping[0]->id = 1;
	p->mapping[i]->id = i + 1;
	for (k = 0; k < p->n_location; k++) {
		pb_location *l = p->location[k];

		if (l->mapping_id == 1 || l->mapping_id == i + 1)
			l->mapping_id = l->mapping_id == 1 ? i + 1 : 1;
	}
}

/* What the file holds, for pprof's header (after the samples: their count). */
static void builder__comment(struct builder *b, const struct report *r)
{
	pb_profile *p = &b->prof;
	char comment[256];

	p->comment = builder__alloc(b, 3 * sizeof(*p->comment));
	if (!p->comment)
		return;
	snprintf(comment, sizeof(comment), "memleakbpf report %d%s: %d stack%s of %d process%s, "
		 "%.1f s traced (memleakbpf %s)", r->seq, r->final ? " (final)" : "", (int)p->n_sample,
		 p->n_sample == 1 ? "" : "s", r->nprocs, r->nprocs == 1 ? "" : "es", r->elapsed_s,
		 MEMLEAKBPF_VERSION);
	p->comment[p->n_comment++] = builder__string(b, comment);
	if (r->dropped) {
		snprintf(comment, sizeof(comment), "%" PRIu64 " events dropped: values may be low",
			 r->dropped);
		p->comment[p->n_comment++] = builder__string(b, comment);
	}
	if (r->sample_bytes) {
		snprintf(comment, sizeof(comment), "estimates: one allocation sampled per %" PRIu64
			 " bytes on average (--sample-bytes), each weighted by 1/(1 - e^(-size/%" PRIu64
			 ")); mappings exact", r->sample_bytes, r->sample_bytes);
		p->comment[p->n_comment++] = builder__string(b, comment);
	}
}

int pprof__encode(const struct report *r, const char *default_type,
		  const struct pprof_sink *sink)
{
	struct builder b;
	uint8_t *buf = NULL;
	size_t len;
	int i, err;

	builder__init(&b, r, default_type ? default_type : DEFAULT_SAMPLE_TYPE);
	for (i = 0; i < r->nprofile && !b.err; i++)
		/* the allocator's arenas hold the native heap: counted once (profile.h) */
		if (r->stacks[i].category != ML_CAT_ALLOCATOR)
			builder__add_sample(&b, &r->stacks[i]);
	builder__comment(&b, r);
	err = b.err;
	if (err)
		goto cleanup;
	builder__main_first(&b);
	len = perftools__profiles__profile__get_packed_size(&b.prof);
	buf = malloc(len ? len : 1);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	perftools__profiles__profile__pack(&b.prof, buf);
	err = gzip_to(buf, len, sink);
cleanup:
	free(buf);
	builder__release(&b);
	return err;
}

static int file_write(void *ctx, const void *buf, size_t len)
{
	errno = 0;
	if (fwrite(buf, 1, len, ctx) != len)
		return errno ? -errno : -EIO;
	return 0;
}

int pprof__write(const struct report *r, FILE *out)
{
	struct pprof_sink sink = { file_write, out };

	return pprof__encode(r, DEFAULT_SAMPLE_TYPE, &sink);
}

static int mem_write(void *ctx, const void *buf, size_t len)
{
	struct pprof_mem *m = ctx;

	if (ARRAY_GROW(m->data, m->cap, m->len + len))
		return -ENOMEM;
	memcpy(m->data + m->len, buf, len);
	m->len += len;
	return 0;
}

int pprof__encode_mem(const struct report *r, const char *default_type, struct pprof_mem *out)
{
	struct pprof_sink sink = { mem_write, out };
	int err;

	memset(out, 0, sizeof(*out));
	err = pprof__encode(r, default_type, &sink);
	if (err) {
		free(out->data);
		memset(out, 0, sizeof(*out));
	}
	return err;
}
