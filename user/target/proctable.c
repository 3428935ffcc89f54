// SPDX-License-Identifier: GPL-2.0
/* user/target/proctable.c: the table of traced processes, sorted by pid. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/proctable.h"

struct known_file {
	uint32_t major, minor;
	uint64_t inode;
	char *path;
};

struct proctable {
	struct proc **v;	/* sorted by pid */
	size_t n, cap;
	struct known_file *files;
	size_t nfiles, files_cap;
};

struct proctable *proctable__new(void)
{
	return calloc(1, sizeof(struct proctable));
}

static void proc_free(struct proc *p)
{
	if (!p)
		return;
	proc_maps__release(&p->maps);
	free(p);
}

void proctable__free(struct proctable *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		proc_free(t->v[i]);
	for (i = 0; i < t->nfiles; i++)
		free(t->files[i].path);
	free(t->files);
	free(t->v);
	free(t);
}

/* Index of pid, or where it would go. */
static size_t lower_bound(const struct proctable *t, pid_t pid)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (t->v[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct proc *proctable__find(struct proctable *t, pid_t pid)
{
	size_t i = lower_bound(t, pid);

	return i < t->n && t->v[i]->pid == pid ? t->v[i] : NULL;
}

static void read_comm(struct proc *p)
{
	char path[64], buf[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", p->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		proc__set_comm(p, buf);
	}
	fclose(f);
}

struct proc *proctable__get_lazy(struct proctable *t, pid_t pid)
{
	size_t i = lower_bound(t, pid);
	struct proc *p;

	if (i < t->n && t->v[i]->pid == pid)
		return t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct proc **v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->v8_floor = -1;
	snprintf(p->root, sizeof(p->root), "/proc/%d/root", pid);
	snprintf(p->comm, sizeof(p->comm), "?");
	memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
	t->v[i] = p;
	t->n++;
	return p;
}

struct proc *proctable__get(struct proctable *t, pid_t pid)
{
	struct proc *p = proctable__get_lazy(t, pid), *parent;

	if (!p || p->loaded)
		return p;
	p->loaded = true;
	read_comm(p);
	if (proc__refresh_maps(p) && p->ppid && (parent = proctable__get(t, p->ppid)))
		proc__inherit(p, parent);	/* gone already: it ran its parent's image */
	return p;
}

void proc__inherit(struct proc *child, const struct proc *parent)
{
	size_t i;

	child->exec_id = parent->exec_id;
	if (!strcmp(child->comm, "?"))
		proc__set_comm(child, parent->comm);
	child->allocator = parent->allocator;
	if (child->maps.n == 0)
		for (i = 0; i < parent->maps.n; i++)
			proc__add_mapping(child, &parent->maps.v[i]);
}

void proctable__remove(struct proctable *t, pid_t pid)
{
	size_t i = lower_bound(t, pid);

	if (i >= t->n || t->v[i]->pid != pid)
		return;
	proc_free(t->v[i]);
	memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
	t->n--;
}

struct proc *proctable__at(struct proctable *t, size_t i)
{
	return i < t->n ? t->v[i] : NULL;
}

size_t proctable__count(const struct proctable *t)
{
	return t->n;
}

int proc__refresh_maps(struct proc *p)
{
	struct proc_maps fresh = { 0 };
	int err;

	err = proc_maps__read(p->pid, &fresh);
	if (!err && fresh.n == 0) {
		err = -ENOENT;	/* exited (a zombie has no map) */
		proc_maps__release(&fresh);
	}
	if (err)
		return err;	/* gone: keep what we had */
	proc_maps__release(&p->maps);
	p->maps = fresh;
	return 0;
}

int proc__add_mapping(struct proc *p, const struct map_entry *e)
{
	struct proc_maps *m = &p->maps;
	struct map_entry *v;
	size_t i, keep;

	/* What it overlaps was unmapped since: the new mapping replaces it. */
	for (i = 0, keep = 0; i < m->n; i++) {
		if (m->v[i].start < e->end && e->start < m->v[i].end) {
			if (m->v[i].start == e->start && m->v[i].end == e->end &&
			    m->v[i].inode == e->inode && m->v[i].offset == e->offset)
				return 0;	/* already known */
			free(m->v[i].path);
			continue;
		}
		m->v[keep++] = m->v[i];
	}
	m->n = keep;
	v = realloc(m->v, (m->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->v = v;
	for (i = m->n; i > 0 && v[i - 1].start > e->start; i--)
		v[i] = v[i - 1];
	v[i] = *e;
	v[i].path = strdup(e->path ? e->path : "");
	m->n++;
	m->pid = p->pid;
	return v[i].path ? 0 : -ENOMEM;
}

void proc__set_comm(struct proc *p, const char *comm)
{
	snprintf(p->comm, sizeof(p->comm), "%.15s", comm);
}

void proc__push_sample(struct proc *p, double t, const int64_t bytes[ML_CAT_MAX])
{
	struct proc_sample *s;
	int i;

	if (p->nhist == PROC_HISTORY) {
		memmove(&p->hist[0], &p->hist[1], (PROC_HISTORY - 1) * sizeof(p->hist[0]));
		p->nhist--;
	}
	s = &p->hist[p->nhist++];
	s->t = t;
	memcpy(s->bytes, bytes, sizeof(s->bytes));
	for (i = 0; i < ML_GC_MAX; i++) {
		s->gc[i] = (uint32_t)(p->gc[i] - p->gc_last[i]);
		p->gc_last[i] = p->gc[i];
	}
	s->v8_floor = p->v8_floor;
	p->v8_floor = -1;
}

static struct known_file *find_file(struct proctable *t, uint32_t major, uint32_t minor, uint64_t inode)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		if (t->files[i].inode == inode && t->files[i].major == major && t->files[i].minor == minor)
			return &t->files[i];
	return NULL;
}

void proctable__learn_paths(struct proctable *t, const struct proc_maps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		const struct map_entry *e = &m->v[i];
		struct known_file *f;

		if (!map_entry__is_file(e) || e->perms[2] != 'x' ||
		    find_file(t, e->dev_major, e->dev_minor, e->inode))
			continue;
		if (t->nfiles == t->files_cap) {
			size_t cap = t->files_cap ? t->files_cap * 2 : 64;
			struct known_file *v = realloc(t->files, cap * sizeof(*v));

			if (!v)
				return;
			t->files = v;
			t->files_cap = cap;
		}
		f = &t->files[t->nfiles];
		f->major = e->dev_major;
		f->minor = e->dev_minor;
		f->inode = e->inode;
		f->path = strdup(e->path);
		if (f->path)
			t->nfiles++;
	}
}

const char *proctable__path_of(struct proctable *t, uint32_t kdev, uint64_t inode)
{
	struct known_file *f = find_file(t, kdev >> 20, kdev & 0xfffff, inode);

	return f ? f->path : NULL;
}
