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
	uint64_t base;			/* vaddr of row pc 0 */
	struct cfi_segment text[CFI_MAX_TEXT];
	int ntext;
};

struct unwinder {
	int procs_fd, files_fd;
	struct ml_unwind_row *rows;	/* "unwind_rows", mapped */
	size_t rows_len;		/* bytes mapped */
	uint32_t capacity, used;	/* rows */
	struct table *tables;
	size_t ntables, tables_cap;
	struct ml_unwind_proc scratch;	/* the value being built */
	uint64_t build_ns;
	size_t over_budget;
};

struct unwinder *unwinder__new(int rows_fd, size_t nblocks, int procs_fd, int files_fd)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->procs_fd = procs_fd;
	u->files_fd = files_fd;
	u->rows_len = nblocks * sizeof(struct ml_row_block);
	u->rows = mmap(NULL, u->rows_len, PROT_READ | PROT_WRITE, MAP_SHARED, rows_fd, 0);
	if (u->rows == MAP_FAILED) {
		int err = errno;

		free(u);
		errno = err;
		return NULL;
	}
	u->capacity = nblocks * ML_ROWS_PER_BLOCK;
	return u;
}

void unwinder__free(struct unwinder *u)
{
	if (!u)
		return;
	munmap(u->rows, u->rows_len);
	free(u->tables);
	free(u);
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

	err = cfi_table__build(path, &ct);
	if ((err == -ENOENT || err == -ESRCH) && fallback)
		err = cfi_table__build(fallback, &ct);
	u->build_ns += clock_monotonic_ns() - t0;
	if (err) {
		t->status = ML_TABLE_NONE;
		log_info("no unwind table for %s: %s", name, err == -ENODATA ? "no CFI" : strerror(-err));
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
	return bpf_map_update_elem(u->procs_fd, &key, v, BPF_ANY) ? -errno : 0;
}

void unwinder__forget(struct unwinder *u, pid_t pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(u->procs_fd, &key);
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
	out->rows = u->used;
	out->bytes = (uint64_t)u->used * sizeof(struct ml_unwind_row);
	out->budget = (uint64_t)u->capacity * sizeof(struct ml_unwind_row);
	out->build_s = u->build_ns / 1e9;
}
