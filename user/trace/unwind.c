// SPDX-License-Identifier: GPL-2.0
/* user/trace/unwind.c: see unwind.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "target/cfi.h"
#include "trace/cfi_child.h"
#include "trace/unwind.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/log.h"

static const char *const mode_names[] = {
	[ML_UNWIND_AUTO] = "auto",
	[ML_UNWIND_DWARF] = "dwarf",
	[ML_UNWIND_FP] = "fp",
};

const char *unwind_mode_name(enum ml_unwind_mode m)
{
	return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "?";
}

int parse_unwind_mode(const char *s, enum ml_unwind_mode *out)
{
	unsigned m;

	for (m = 0; s && m < sizeof(mode_names) / sizeof(mode_names[0]); m++) {
		if (!strcmp(s, mode_names[m])) {
			*out = m;
			return 0;
		}
	}
	return -EINVAL;
}

/* One file's table, as loaded. */
struct table {
	uint64_t dev, inode;		/* the file (st_dev encoding) */
	char build_id[41];
	enum ml_table_status status;
	uint32_t first_row, nrows;
	uint32_t first_index, nindex;	/* 0 entries: searched whole */
	uint64_t base;			/* vaddr of row pc 0 */
	struct cfi_segment text[CFI_MAX_TEXT];
	int ntext;
};

struct unwinder {
	int procs_fd, files_fd;
	struct ml_unwind_row *rows;	/* "unwind_rows", mapped */
	size_t rows_len;		/* bytes mapped */
	uint32_t capacity, used;	/* rows */
	__u32 *index;			/* "unwind_index", mapped */
	size_t index_len;
	uint32_t index_capacity, index_used;	/* entries */
	struct table *tables;
	size_t ntables, tables_cap;
	struct ml_unwind_proc scratch;	/* the value being built */
	__u32 generation;		/* the last ml_unwind_proc.gen given */
	uint64_t build_ns;
	size_t over_budget;
	size_t build_failures;		/* files whose CFI could not be read */
};

struct unwinder *unwinder__new(const struct unwind_maps *maps)
{
	struct unwinder *u = calloc(1, sizeof(*u));
	int err;

	if (!u)
		return NULL;
	u->procs_fd = maps->procs_fd;
	u->files_fd = maps->files_fd;
	u->rows_len = maps->row_blocks * sizeof(struct ml_row_block);
	u->index_len = maps->index_blocks * sizeof(struct ml_index_block);
	u->rows = mmap(NULL, u->rows_len, PROT_READ | PROT_WRITE, MAP_SHARED, maps->rows_fd, 0);
	u->index = mmap(NULL, u->index_len, PROT_READ | PROT_WRITE, MAP_SHARED, maps->index_fd, 0);
	if (u->rows == MAP_FAILED || u->index == MAP_FAILED) {
		err = errno;
		unwinder__free(u);
		errno = err;
		return NULL;
	}
	u->capacity = maps->row_blocks * ML_ROWS_PER_BLOCK;
	u->index_capacity = maps->index_blocks * ML_INDEX_PER_BLOCK;
	return u;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	if (u->rows && u->rows != MAP_FAILED)
		munmap(u->rows, u->rows_len);
	if (u->index && u->index != MAP_FAILED)
		munmap(u->index, u->index_len);
	free(u->tables);
	free(u);
}

/* Entry k: the last of the table's rows at or below pc k * ML_INDEX_STEP,
 * as an index into all rows.  Without room, the table goes without (its
 * searches cover all its rows).
 */
static void load_index(struct unwinder *u, struct table *t, const struct cfi_table *ct)
{
	uint64_t n = ((uint64_t)ct->rows[ct->nrows - 1].pc >> ML_INDEX_SHIFT) + 2, k;
	size_t r = 0;

	if (n > u->index_capacity - u->index_used)
		return;
	for (k = 0; k < n; k++) {
		while (r + 1 < ct->nrows && ct->rows[r + 1].pc <= k << ML_INDEX_SHIFT)
			r++;
		u->index[u->index_used + k] = t->first_row + r;
	}
	t->first_index = u->index_used;
	t->nindex = n;
	u->index_used += n;
}

static struct table *find_table(struct unwinder *u, uint64_t dev, uint64_t inode)
{
	size_t i;

	for (i = 0; i < u->ntables; i++)
		if (u->tables[i].inode == inode && u->tables[i].dev == dev)
			return &u->tables[i];
	return NULL;
}

/* A table already loaded for a copy of the same file (another path, another
 * container's layer): same build id, same rows.
 */
static const struct table *same_build(const struct unwinder *u, const char *build_id)
{
	size_t i;

	if (!build_id[0])
		return NULL;
	for (i = 0; i < u->ntables; i++)
		if (u->tables[i].status == ML_TABLE_READY && !strcmp(u->tables[i].build_id, build_id))
			return &u->tables[i];
	return NULL;
}

/* The kernel's encoding of a device number (struct super_block's s_dev),
 * what BPF reads from a mapping's file.
 */
static uint32_t kernel_dev(uint64_t dev)
{
	return major(dev) << 20 | minor(dev);
}

/* Let the walk find the file's rows from the kernel's record of a mapping
 * (bpf_find_vma), before its process's mappings are known.  That needs one
 * offset from file to rows for all its executable segments.
 */
static void publish_file(struct unwinder *u, const struct table *t)
{
	struct ml_unwind_file_key key = { .dev = kernel_dev(t->dev), .inode = t->inode };
	struct ml_unwind_file f = { .status = t->status };
	int i;

	if (t->status == ML_TABLE_READY) {
		for (i = 1; i < t->ntext; i++)
			if (t->text[i].vaddr - t->text[i].offset != t->text[0].vaddr - t->text[0].offset)
				return;	/* segments apart: per-process mappings only */
		f.file_to_pc = t->ntext ? (int64_t)(t->text[0].vaddr - t->text[0].offset - t->base) : 0;
		f.first_row = t->first_row;
		f.nrows = t->nrows;
		f.first_index = t->first_index;
		f.nindex = t->nindex;
	}
	if (bpf_map_update_elem(u->files_fd, &key, &f, BPF_ANY))
		log_debug("cannot publish the unwind table of inode %llu: %s",
			  (unsigned long long)t->inode, strerror(errno));
}

/* Build the table of the file at path (or at fallback, the same file seen
 * from our mount namespace), and load its rows.
 */
static void load_table(struct unwinder *u, const char *path, const char *fallback, struct table *t)
{
	const char *name = fallback ? fallback : path;
	struct cfi_table ct = { 0 };
	const struct table *twin;
	uint64_t t0 = clock_monotonic_ns();
	int err;

	err = cfi_child__build(path, fallback, &ct);
	u->build_ns += clock_monotonic_ns() - t0;
	if (err) {
		t->status = ML_TABLE_NONE;
		if (err != -ENODATA && err != -ENOENT)
			u->build_failures++;
		log_info("no unwind table for %s: %s", name,
			 err == -ENODATA ? "no CFI" : err == -ECHILD ? "the builder died (memory limit?)" :
			 strerror(-err));
		return;
	}
	snprintf(t->build_id, sizeof(t->build_id), "%s", ct.build_id);
	memcpy(t->text, ct.text, sizeof(t->text));
	t->ntext = ct.ntext;
	t->base = ct.base;
	twin = same_build(u, ct.build_id);
	if (twin) {
		t->status = ML_TABLE_READY;
		t->first_row = twin->first_row;
		t->nrows = twin->nrows;
		t->first_index = twin->first_index;
		t->nindex = twin->nindex;
	} else if (ct.nrows > u->capacity - u->used) {
		t->status = ML_TABLE_BUDGET;
		u->over_budget++;
		log_warn("the unwind table of %s (%zu rows, %zu KiB) is over the budget of "
			 "--unwind-memory: its frames are walked by frame pointers", name, ct.nrows,
			 ct.nrows * sizeof(struct ml_unwind_row) / 1024);
	} else {
		memcpy(&u->rows[u->used], ct.rows, ct.nrows * sizeof(*ct.rows));
		t->status = ML_TABLE_READY;
		t->first_row = u->used;
		t->nrows = ct.nrows;
		u->used += ct.nrows;
		if (ct.nrows)
			load_index(u, t, &ct);
		log_info("unwind table for %s: %zu rows, %zu FDEs, %.1f ms", name, ct.nrows, ct.nfdes,
			 (clock_monotonic_ns() - t0) / 1e6);
	}
	cfi_table__release(&ct);
}

static struct table *table_for(struct unwinder *u, uint64_t dev, uint64_t inode, const char *path,
			       const char *fallback)
{
	struct table *t = find_table(u, dev, inode);

	if (t)
		return t;
	if (ARRAY_GROW(u->tables, u->tables_cap, u->ntables + 1))
		return NULL;
	t = &u->tables[u->ntables++];
	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->inode = inode;
	t->status = ML_TABLE_PENDING;	/* not a twin of itself */
	load_table(u, path, fallback, t);
	publish_file(u, t);
	return t;
}

static struct table *table_of(struct unwinder *u, const struct proc *p, const struct map_entry *e)
{
	char rooted[PATH_MAX];

	snprintf(rooted, sizeof(rooted), "%s%s", p->root, e->path);
	/* gone from its namespace: ours may have it */
	return table_for(u, makedev(e->dev_major, e->dev_minor), e->inode, rooted, e->path);
}

int unwinder__prepare(struct unwinder *u, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return table_for(u, st.st_dev, st.st_ino, path, NULL) ? 0 : -ENOMEM;
}

/* A row's pc for an address of mapping e: ip - bias. */
static int bias_of(const struct table *t, const struct map_entry *e, __u64 *bias)
{
	int i;

	for (i = 0; i < t->ntext; i++) {
		const struct cfi_segment *s = &t->text[i];

		if (e->offset >= s->offset - (s->offset & 4095) && e->offset < s->offset + s->filesz) {
			*bias = e->start - e->offset + s->offset - s->vaddr + t->base;
			return 0;
		}
	}
	return -ENOENT;
}

static void fill_mapping(struct ml_unwind_mapping *m, const struct table *t, const struct map_entry *e)
{
	memset(m, 0, sizeof(*m));
	m->start = e->start;
	m->end = e->end;
	m->status = t ? t->status : ML_TABLE_PENDING;
	if (m->status != ML_TABLE_READY)
		return;
	if (bias_of(t, e, &m->bias)) {
		m->status = ML_TABLE_NONE;	/* not a mapping of its code */
		return;
	}
	m->first_row = t->first_row;
	m->nrows = t->nrows;
	m->first_index = t->first_index;
	m->nindex = t->nindex;
}

int unwinder__sync(struct unwinder *u, const struct proc *p)
{
	struct ml_unwind_proc *v = &u->scratch;
	__u32 key = p->pid;
	size_t i, left_out = 0;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < p->maps.n; i++) {
		const struct map_entry *e = &p->maps.v[i];

		if (e->perms[2] != 'x' || !map_entry__is_file(e))
			continue;	/* JIT code, the vdso: frame-pointer steps */
		if (v->n == ML_UNWIND_MAPPINGS)
			left_out++;
		else
			fill_mapping(&v->m[v->n++], table_of(u, p, e), e);
	}
	if (left_out)
		log_info("pid %d maps %zu executable files more than the %d walked by tables: "
			 "their frames take frame-pointer steps", p->pid, left_out, ML_UNWIND_MAPPINGS);
	if (!v->n)
		return 0;
	if (!++u->generation)	/* 0 is the cache's empty slot */
		u->generation = 1;
	v->gen = u->generation;
	return bpf_map_update_elem(u->procs_fd, &key, v, BPF_ANY) ? -errno : 0;
}

void unwinder__forget(struct unwinder *u, pid_t pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(u->procs_fd, &key);
}

void unwind_budget_split(uint64_t bytes, size_t *row_blocks, size_t *index_blocks)
{
	*row_blocks = bytes / 4 * 3 / sizeof(struct ml_row_block);
	*index_blocks = bytes / 4 / sizeof(struct ml_index_block);
	if (!*row_blocks)
		*row_blocks = 1;
	if (!*index_blocks)
		*index_blocks = 1;
}

void unwinder__stats(const struct unwinder *u, struct unwind_stats *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < u->ntables; i++) {
		if (u->tables[i].status == ML_TABLE_READY)
			out->tables++;
		else if (u->tables[i].status == ML_TABLE_NONE)
			out->files_without_cfi++;
	}
	out->files_over_budget = u->over_budget;
	out->build_failures = u->build_failures;
	out->rows = u->used;
	out->bytes = (uint64_t)u->used * sizeof(struct ml_unwind_row) +
		     (uint64_t)u->index_used * sizeof(__u32);
	out->budget = u->rows_len + u->index_len;
	out->build_s = u->build_ns / 1e9;
}
