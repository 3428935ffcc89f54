// SPDX-License-Identifier: GPL-2.0
/* user/trace/unwind.c: see unwind.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include "target/cfi.h"
#include "trace/bpfmaps.h"
#include "trace/cfi_child.h"
#include "trace/unwind.h"
#include "util/array.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/pidmap.h"
#include "util/ranges.h"

/* Tables no traced process maps, kept loaded in case a file is mapped
 * again (a command run over and over): past this many, the least recently
 * used go even when their room is not needed, so that the tables of files
 * long gone (an upgraded package's old inodes) do not pile up.
 */
#define UNWIND_IDLE_MAX 64

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

/* Rows and index entries in the maps, shared by the tables of the copies
 * of one build.
 */
struct rowset {
	uint32_t first_row, nrows;
	uint32_t first_index, nindex;	/* 0 entries: searched whole */
	unsigned tables;		/* tables that use it */
};

/* One file's table, as loaded. */
struct table {
	uint64_t dev, inode;		/* the file (st_dev encoding) */
	char *name;			/* its path, for the log */
	char build_id[41];
	enum ml_table_status status;
	struct rowset *rows;		/* ML_TABLE_READY */
	uint64_t base;			/* vaddr of row pc 0 */
	struct cfi_segment text[CFI_MAX_TEXT];
	int ntext;
	unsigned users;			/* mappings in processes' entries of "unwind_procs" */
	uint64_t idle_since;		/* u->clock when users fell to 0 */
};

/* The tables a process's entry in "unwind_procs" points to, one per
 * mapping: what keeps them loaded.
 */
struct proc_tables {
	size_t n;
	struct table *t[ML_UNWIND_MAPPINGS];
};

struct unwinder {
	int procs_fd, files_fd;
	int rows_fd;			/* "unwind_rows" */
	int index_fd;			/* "unwind_index" */
	size_t budget;			/* the bytes of both */
	struct range_alloc row_space, index_space;
	/* Room of released tables, given back to row_space and index_space
	 * only once no walk can still be reading it (wait_for_walks()).
	 */
	struct range *retired_rows, *retired_index;
	size_t nretired_rows, retired_rows_cap, nretired_index, retired_index_cap;
	struct table **tables;
	size_t ntables, tables_cap;
	struct pidmap procs;		/* struct proc_tables */
	struct ml_unwind_proc scratch;	/* the value being built */
	__u32 generation;		/* the last ml_unwind_proc.gen given */
	volatile __u32 *epoch;		/* BPF's unwind_epoch: generation once it is in */
	uint64_t clock;			/* ticks at each table gone idle */
	uint64_t rows_loaded, index_loaded;
	uint64_t build_ns;
	size_t over_budget;
	size_t build_failures;		/* files whose CFI could not be read */
	size_t released;		/* tables released */
	uint64_t bytes_released;
};

struct unwinder *unwinder__new(const struct unwind_maps *maps)
{
	struct unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->procs_fd = maps->procs_fd;
	u->epoch = maps->epoch;
	u->files_fd = maps->files_fd;
	u->rows_fd = maps->rows_fd;
	u->index_fd = maps->index_fd;
	u->budget = maps->row_blocks * sizeof(struct ml_row_block) +
		    maps->index_blocks * sizeof(struct ml_index_block);
	if (range_alloc__init(&u->row_space, maps->row_blocks * ML_ROWS_PER_BLOCK) ||
	    range_alloc__init(&u->index_space, maps->index_blocks * ML_INDEX_PER_BLOCK)) {
		unwinder__free(u);
		errno = ENOMEM;
		return NULL;
	}
	return u;
}

static void table_free(struct table *t)
{
	if (!t)
		return;
	free(t->name);
	free(t);
}

void unwinder__free(struct unwinder *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->ntables; i++) {
		struct rowset *rs = u->tables[i]->rows;

		if (rs && !--rs->tables)
			free(rs);
		table_free(u->tables[i]);
	}
	free(u->tables);
	for (i = 0; i < u->procs.n; i++)
		free(pidmap__at(&u->procs, i));
	pidmap__release(&u->procs);
	range_alloc__release(&u->row_space);
	range_alloc__release(&u->index_space);
	free(u->retired_rows);
	free(u->retired_index);
	free(u);
}

/* ---- room in the maps ---- */

/* Every BPF program that may still read the rows of a table unlinked
 * before this call has returned.  The walks run under RCU (uprobe and
 * tracepoint programs are not sleepable), and membarrier's
 * MEMBARRIER_CMD_GLOBAL returns after an RCU grace period
 * (synchronize_rcu).  Where it is refused (nohz_full), a pause far longer
 * than any walk (microseconds).
 */
static void wait_for_walks(void)
{
	struct timespec pause = { 0, 50 * 1000 * 1000 };

	if (syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		nanosleep(&pause, NULL);
}

static int retire(struct range **v, size_t *n, size_t *cap, uint32_t start, uint32_t len)
{
	if (!len)
		return 0;
	if (ARRAY_GROW(*v, *cap, *n + 1))
		return -ENOMEM;
	(*v)[(*n)++] = (struct range){ start, len };
	return 0;
}

/* The room of the tables released since the last call is free to take. */
static void reclaim(struct unwinder *u)
{
	size_t i;

	if (!u->nretired_rows && !u->nretired_index)
		return;
	wait_for_walks();
	for (i = 0; i < u->nretired_rows; i++)
		range_alloc__put(&u->row_space, u->retired_rows[i].start, u->retired_rows[i].len);
	for (i = 0; i < u->nretired_index; i++)
		range_alloc__put(&u->index_space, u->retired_index[i].start, u->retired_index[i].len);
	u->nretired_rows = u->nretired_index = 0;
}

static uint64_t rowset_bytes(const struct rowset *rs)
{
	return (uint64_t)rs->nrows * sizeof(struct ml_unwind_row) + (uint64_t)rs->nindex * sizeof(__u32);
}

/* The kernel's encoding of a device number (struct super_block's s_dev),
 * what BPF reads from a mapping's file.
 */
static uint32_t kernel_dev(uint64_t dev)
{
	return major(dev) << 20 | minor(dev);
}

static struct ml_unwind_file_key file_key(const struct table *t)
{
	return (struct ml_unwind_file_key){ .dev = kernel_dev(t->dev), .inode = t->inode };
}

/* Forget a table no process's entry points to.  Its rows go with the last
 * table of their build: first out of "unwind_files", then, once no walk
 * can be reading them, back to the free room (reclaim()).
 */
static void drop_table(struct unwinder *u, struct table *t)
{
	struct ml_unwind_file_key key = file_key(t);
	struct rowset *rs = t->rows;
	size_t i;

	bpf_map_delete_elem(u->files_fd, &key);
	if (rs && !--rs->tables) {
		if (retire(&u->retired_rows, &u->nretired_rows, &u->retired_rows_cap, rs->first_row,
			   rs->nrows) ||
		    retire(&u->retired_index, &u->nretired_index, &u->retired_index_cap, rs->first_index,
			   rs->nindex))
			log_warn("out of memory: the room of an unwind table is lost");
		u->rows_loaded -= rs->nrows;
		u->index_loaded -= rs->nindex;
		u->bytes_released += rowset_bytes(rs);
		log_info("released the unwind table of %s (%.1f KiB): no traced process maps it",
			 t->name, rowset_bytes(rs) / 1024.0);
		free(rs);
	}
	if (t->status == ML_TABLE_READY)
		u->released++;
	for (i = 0; i < u->ntables && u->tables[i] != t; i++)
		;
	if (i < u->ntables)
		u->tables[i] = u->tables[--u->ntables];
	table_free(t);
}

/* Release the idle table (no process maps it) of the longest standing,
 * among those with rows when with_rows.  False when there is none.
 */
static bool drop_oldest_idle(struct unwinder *u, bool with_rows)
{
	struct table *oldest = NULL;
	size_t i;

	for (i = 0; i < u->ntables; i++) {
		struct table *t = u->tables[i];

		if (t->users || (with_rows && !t->rows))
			continue;
		if (!oldest || t->idle_since < oldest->idle_since)
			oldest = t;
	}
	if (!oldest)
		return false;
	drop_table(u, oldest);
	return true;
}

static uint64_t retired_len(const struct range *v, size_t n)
{
	uint64_t len = 0;
	size_t i;

	for (i = 0; i < n; i++)
		len += v[i].len;
	return len;
}

/* len slots of space: from the free room, else from the room of idle
 * tables, released least recently used first until what they held could
 * hold it, then taken once no walk reads them.  -ENOSPC when even that is
 * short.
 */
static int take_room(struct unwinder *u, struct range_alloc *space, uint32_t len, uint32_t *first)
{
	bool rows = space == &u->row_space;

	for (;;) {
		if (!range_alloc__get(space, len, first))
			return 0;
		if (!(rows ? u->nretired_rows : u->nretired_index) && !drop_oldest_idle(u, true))
			return -ENOSPC;
		while (range_alloc__largest(space) +
		       (rows ? retired_len(u->retired_rows, u->nretired_rows) :
			       retired_len(u->retired_index, u->nretired_index)) < len &&
		       drop_oldest_idle(u, true))
			;
		reclaim(u);
	}
}

/* ---- building tables ---- */

/* The rows and the index are written through a window on the part being
 * written (map_window_open()): the budget is 64 MiB by default.
 */
static void *table_window(struct map_window *w, int fd, size_t off, size_t len)
{
	void *p = map_window_open(w, fd, off, len, true);

	if (!p)
		log_warn("cannot map the BPF unwind tables: %s", strerror(errno));
	return p;
}

/* Entry k: the last of the table's rows at or below pc k * ML_INDEX_STEP,
 * as an index into all rows.  Without room, the table goes without (its
 * searches cover all its rows).
 */
static void load_index(struct unwinder *u, struct rowset *rs, const struct cfi_table *ct)
{
	uint64_t n = ((uint64_t)ct->rows[ct->nrows - 1].pc >> ML_INDEX_SHIFT) + 2, k;
	struct map_window w;
	uint32_t first, *index;
	size_t r = 0;

	if (n > UINT32_MAX || take_room(u, &u->index_space, n, &first))
		return;
	index = table_window(&w, u->index_fd, (size_t)first * sizeof(*index), n * sizeof(*index));
	if (!index) {
		range_alloc__put(&u->index_space, first, n);
		return;
	}
	for (k = 0; k < n; k++) {
		while (r + 1 < ct->nrows && ct->rows[r + 1].pc <= k << ML_INDEX_SHIFT)
			r++;
		index[k] = rs->first_row + r;
	}
	map_window_close(&w);
	rs->first_index = first;
	rs->nindex = n;
	u->index_loaded += n;
}

static struct table *find_table(struct unwinder *u, uint64_t dev, uint64_t inode)
{
	size_t i;

	for (i = 0; i < u->ntables; i++)
		if (u->tables[i]->inode == inode && u->tables[i]->dev == dev)
			return u->tables[i];
	return NULL;
}

/* A table already loaded for a copy of the same file (another path, another
 * container's layer): same build id, same rows.
 */
static struct table *same_build(const struct unwinder *u, const char *build_id)
{
	size_t i;

	if (!build_id[0])
		return NULL;
	for (i = 0; i < u->ntables; i++)
		if (u->tables[i]->rows && !strcmp(u->tables[i]->build_id, build_id))
			return u->tables[i];
	return NULL;
}

/* Let the walk find the file's rows from the kernel's record of a mapping
 * (bpf_find_vma), before its process's mappings are known.  That needs one
 * offset from file to rows for all its executable segments.
 */
static void publish_file(struct unwinder *u, const struct table *t)
{
	struct ml_unwind_file_key key = file_key(t);
	struct ml_unwind_file f = { .status = t->status };
	int i;

	if (t->rows) {
		for (i = 1; i < t->ntext; i++)
			if (t->text[i].vaddr - t->text[i].offset != t->text[0].vaddr - t->text[0].offset)
				return;	/* segments apart: per-process mappings only */
		f.file_to_pc = t->ntext ? (int64_t)(t->text[0].vaddr - t->text[0].offset - t->base) : 0;
		f.first_row = t->rows->first_row;
		f.nrows = t->rows->nrows;
		f.first_index = t->rows->first_index;
		f.nindex = t->rows->nindex;
	}
	if (bpf_map_update_elem(u->files_fd, &key, &f, BPF_ANY))
		log_debug("cannot publish the unwind table of inode %llu: %s",
			  (unsigned long long)t->inode, strerror(errno));
}

/* The rows of ct into room of their own. */
static struct rowset *load_rows(struct unwinder *u, const struct cfi_table *ct)
{
	struct rowset *rs = calloc(1, sizeof(*rs));
	struct map_window w;
	void *rows;

	if (!rs)
		return NULL;
	if (ct->nrows > UINT32_MAX || take_room(u, &u->row_space, ct->nrows, &rs->first_row)) {
		free(rs);
		return NULL;
	}
	rows = table_window(&w, u->rows_fd, (size_t)rs->first_row * sizeof(*ct->rows),
			   ct->nrows * sizeof(*ct->rows));
	if (!rows) {
		range_alloc__put(&u->row_space, rs->first_row, ct->nrows);
		free(rs);
		return NULL;
	}
	memcpy(rows, ct->rows, ct->nrows * sizeof(*ct->rows));
	map_window_close(&w);
	rs->nrows = ct->nrows;
	u->rows_loaded += ct->nrows;
	if (ct->nrows)
		load_index(u, rs, ct);
	return rs;
}

/* Build the table of the file at path (or at fallback, the same file seen
 * from our mount namespace), and load its rows.
 */
static void load_table(struct unwinder *u, const char *path, const char *fallback, struct table *t)
{
	const char *name = fallback ? fallback : path;
	struct cfi_table ct = { 0 };
	struct table *twin;
	uint64_t t0 = clock_monotonic_ns(), reused = u->row_space.reused;
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
		t->rows = twin->rows;
		t->rows->tables++;
	} else if (!(t->rows = load_rows(u, &ct))) {
		t->status = ML_TABLE_BUDGET;
		u->over_budget++;
		log_warn("the unwind table of %s (%zu rows, %zu KiB) is over the budget of "
			 "--unwind-memory: its frames are walked by frame pointers", name, ct.nrows,
			 ct.nrows * sizeof(struct ml_unwind_row) / 1024);
	} else {
		t->status = ML_TABLE_READY;
		t->rows->tables = 1;
		log_info("unwind table for %s: %zu rows, %zu FDEs, %.1f ms%s", name, ct.nrows, ct.nfdes,
			 (clock_monotonic_ns() - t0) / 1e6,
			 u->row_space.reused != reused ? ", in the room of released tables" : "");
	}
	cfi_table__release(&ct);
}

/* The table of a file, built on first sight (or when it was released),
 * with one more user: it stays while that user holds it.
 */
static struct table *table_for(struct unwinder *u, uint64_t dev, uint64_t inode, const char *path,
			       const char *fallback)
{
	struct table *t = find_table(u, dev, inode);

	if (!t) {
		if (ARRAY_GROW(u->tables, u->tables_cap, u->ntables + 1))
			return NULL;
		t = calloc(1, sizeof(*t));
		if (!t)
			return NULL;
		t->dev = dev;
		t->inode = inode;
		t->name = strdup(fallback ? fallback : path);
		t->status = ML_TABLE_PENDING;
		/* not among the tables yet: not released to make room for itself */
		load_table(u, path, fallback, t);
		publish_file(u, t);
		u->tables[u->ntables++] = t;
	}
	t->users++;
	return t;
}

/* One user fewer.  A table no process maps stays loaded (a file mapped
 * again needs no new build) until its room is needed, or the idle ones
 * are too many; one over the budget goes at once, so that the file is
 * tried again when it is next mapped.
 */
static void table_unuse(struct unwinder *u, struct table *t)
{
	size_t i, idle = 0;

	if (--t->users)
		return;
	t->idle_since = ++u->clock;
	if (t->status == ML_TABLE_BUDGET) {
		drop_table(u, t);
		return;
	}
	for (i = 0; i < u->ntables; i++)
		idle += !u->tables[i]->users;
	for (; idle > UNWIND_IDLE_MAX && drop_oldest_idle(u, false); idle--)
		;
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
	struct table *t;

	if (stat(path, &st))
		return -errno;
	t = table_for(u, st.st_dev, st.st_ino, path, NULL);
	if (!t)
		return -ENOMEM;
	table_unuse(u, t);	/* kept until its room is needed */
	return 0;
}

/* ---- processes ---- */

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
	m->first_row = t->rows->first_row;
	m->nrows = t->rows->nrows;
	m->first_index = t->rows->first_index;
	m->nindex = t->rows->nindex;
}

static void unuse_all(struct unwinder *u, struct proc_tables *pt)
{
	size_t i;

	for (i = 0; i < pt->n; i++)
		table_unuse(u, pt->t[i]);
	pt->n = 0;
}

/* A new ml_unwind_proc.gen: never 0, the row cache's empty slot. */
static __u32 next_generation(struct unwinder *u)
{
	if (!++u->generation)
		u->generation = 1;
	return u->generation;
}

void unwinder__forget_walks(struct unwinder *u)
{
	*u->epoch = next_generation(u);
}

/* pid's walk has no tables now; walks recorded before may not be replayed. */
static void procs_remove(struct unwinder *u, pid_t pid)
{
	__u32 key = pid;

	bpf_map_delete_elem(u->procs_fd, &key);
	*u->epoch = next_generation(u);
}

int unwinder__sync(struct unwinder *u, const struct proc *p)
{
	struct ml_unwind_proc *v = &u->scratch;
	struct proc_tables *old = pidmap__find(&u->procs, p->pid), *now;
	__u32 key = p->pid;
	size_t i, left_out = 0;
	int err = 0;

	now = calloc(1, sizeof(*now));
	if (!now)
		return -ENOMEM;
	memset(v, 0, sizeof(*v));
	for (i = 0; i < p->maps.n; i++) {
		const struct map_entry *e = &p->maps.v[i];
		struct table *t;

		if (e->perms[2] != 'x' || !map_entry__is_file(e) || e->unmapped)
			continue;	/* JIT code, the vdso: frame-pointer steps */
		if (v->n == ML_UNWIND_MAPPINGS) {
			left_out++;
			continue;
		}
		t = table_of(u, p, e);
		fill_mapping(&v->m[v->n++], t, e);
		if (t)
			now->t[now->n++] = t;
	}
	if (left_out)
		log_info("pid %d maps %zu executable files more than the %d walked by tables: "
			 "their frames take frame-pointer steps", p->pid, left_out, ML_UNWIND_MAPPINGS);
	if (v->n) {
		v->gen = next_generation(u);
		if (bpf_map_update_elem(u->procs_fd, &key, v, BPF_ANY))
			err = -errno;
		*u->epoch = v->gen;
	}
	if (!v->n || err) {
		/* nothing of the old entry may stay to point at released rows */
		procs_remove(u, p->pid);
		unuse_all(u, now);
	}
	/* the new entry is in: the old one's tables may go */
	if (old) {
		unuse_all(u, old);
		free(pidmap__remove(&u->procs, p->pid));
	}
	if (now->n && pidmap__insert(&u->procs, p->pid, now)) {
		procs_remove(u, p->pid);
		unuse_all(u, now);
		err = -ENOMEM;
	}
	if (!now->n)
		free(now);
	return err;
}

bool unwinder__knows(const struct unwinder *u, pid_t pid)
{
	return pidmap__find(&u->procs, pid) != NULL;
}

void unwinder__forget(struct unwinder *u, pid_t pid)
{
	struct proc_tables *pt = pidmap__remove(&u->procs, pid);

	procs_remove(u, pid);
	if (!pt)
		return;
	unuse_all(u, pt);
	free(pt);
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
		const struct table *t = u->tables[i];

		if (t->status == ML_TABLE_READY) {
			out->tables++;
			out->idle += !t->users;
		} else if (t->status == ML_TABLE_NONE) {
			out->files_without_cfi++;
		}
	}
	out->files_over_budget = u->over_budget;
	out->build_failures = u->build_failures;
	out->released = u->released;
	out->bytes_released = u->bytes_released;
	out->bytes_reused = u->row_space.reused * sizeof(struct ml_unwind_row) +
			    u->index_space.reused * sizeof(__u32);
	out->rows = u->rows_loaded;
	out->bytes = u->rows_loaded * sizeof(struct ml_unwind_row) + u->index_loaded * sizeof(__u32);
	out->budget = u->budget;
	out->build_s = u->build_ns / 1e9;
}
