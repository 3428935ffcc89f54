// SPDX-License-Identifier: GPL-2.0
/* user/target/proctable.c: the table of traced processes, sorted by pid. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "target/cgroups.h"
#include "target/proctable.h"
#include "util/array.h"
#include "util/pidmap.h"

/* Files kept open at most (proctable__kept_fd). */
#define KEPT_FILES_MAX 256

struct known_file {
	uint32_t major, minor;
	uint64_t inode;
	char *path;
	int fd;			/* kept open (a file not at its path here): -1 none */
	bool at_path;		/* kept: at its path in its process's namespace */
};

struct proctable {
	struct pidmap procs;	/* struct proc */
	struct known_file *files;
	size_t nfiles, files_cap;
	size_t nkept;		/* files[].fd >= 0 */
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
	free(p->cgroup);
	free(p);
}

void proctable__free(struct proctable *t)
{
	struct proc *p;
	size_t i;

	if (!t)
		return;
	for (i = 0; (p = pidmap__at(&t->procs, i)); i++)
		proc_free(p);
	for (i = 0; i < t->nfiles; i++) {
		free(t->files[i].path);
		if (t->files[i].fd >= 0)
			close(t->files[i].fd);
	}
	free(t->files);
	pidmap__release(&t->procs);
	free(t);
}

struct proc *proctable__find(struct proctable *t, pid_t pid)
{
	return pidmap__find(&t->procs, pid);
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

/* Field 22 of /proc/PID/stat (starttime), or 0. */
static uint64_t read_start_time(pid_t pid)
{
	char path[64], buf[1024], *rp;
	unsigned long long v = 0;
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	rp = strrchr(buf, ')');		/* the comm may hold anything */
	if (!rp)
		return 0;
	/* ") S ppid ...": rp at the blank before field 3 (the state), then
	 * each step one field on, to the blank before field 22 (starttime)
	 */
	for (i = 3, rp++; i < 22 && rp; i++)
		rp = strchr(rp + 1, ' ');
	if (rp)
		sscanf(rp + 1, "%llu", &v);
	return v;
}

bool proc__gone(const struct proc *p)
{
	uint64_t now = read_start_time(p->pid);

	return !now || (p->start_time && now != p->start_time);
}

/* Services and containers start as fork, move, exec: read at exec too. */
static void read_cgroup(struct proc *p)
{
	char *path = cgroup_of_pid(p->pid);

	if (!path)
		return;		/* gone: keep what was known */
	free(p->cgroup);
	p->cgroup = path;
}

struct proc *proctable__get_lazy(struct proctable *t, pid_t pid)
{
	struct proc *p = pidmap__find(&t->procs, pid);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	snprintf(p->root, sizeof(p->root), "/proc/%d/root", pid);
	snprintf(p->comm, sizeof(p->comm), "?");
	if (pidmap__insert(&t->procs, pid, p)) {
		free(p);
		return NULL;
	}
	return p;
}

/* A forked child runs its parent's image: same comm and map (its exec
 * id is its own: the image ids of two processes differ).
 */
static void proc__inherit(struct proc *child, const struct proc *parent)
{
	size_t i;

	if (!strcmp(child->comm, "?"))
		proc__set_comm(child, parent->comm);
	child->allocator = parent->allocator;
	if (!child->cgroup && parent->cgroup)
		child->cgroup = strdup(parent->cgroup);
	if (child->maps.n == 0)
		for (i = 0; i < parent->maps.n; i++)
			proc__add_mapping(child, &parent->maps.v[i]);
}

struct proc *proctable__get(struct proctable *t, pid_t pid)
{
	struct proc *p = proctable__get_lazy(t, pid), *parent;

	if (!p || p->loaded)
		return p;
	p->loaded = true;
	read_comm(p);
	read_cgroup(p);
	p->start_time = read_start_time(pid);
	if (!proc__refresh_maps(p))
		proctable__learn_paths(t, &p->maps);
	else if (p->ppid && (parent = proctable__get(t, p->ppid)))
		proc__inherit(p, parent);	/* gone already: it ran its parent's image */
	return p;
}

void proctable__remove(struct proctable *t, pid_t pid)
{
	proc_free(pidmap__remove(&t->procs, pid));
}

struct proc *proctable__at(struct proctable *t, size_t i)
{
	return pidmap__at(&t->procs, i);
}

size_t proctable__count(const struct proctable *t)
{
	return t->procs.n;
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
			    m->v[i].inode == e->inode && m->v[i].offset == e->offset) {
				m->v[i].unmapped = e->unmapped;	/* known, maybe mapped again */
				return 0;
			}
			free(m->v[i].path);
			continue;
		}
		m->v[keep++] = m->v[i];
	}
	m->n = keep;
	if (ARRAY_GROW(m->v, m->cap, m->n + 1))
		return -ENOMEM;
	v = m->v;
	for (i = m->n; i > 0 && v[i - 1].start > e->start; i--)
		v[i] = v[i - 1];
	v[i] = *e;
	v[i].path = strdup(e->path ? e->path : "");
	m->n++;
	m->pid = p->pid;
	return v[i].path ? 0 : -ENOMEM;
}

int proc__unmap(struct proc *p, uint64_t start, uint64_t end)
{
	size_t i;
	int n = 0;

	for (i = 0; i < p->maps.n; i++) {
		struct map_entry *e = &p->maps.v[i];

		if (e->start >= start && e->end <= end && !e->unmapped && e->perms[2] == 'x' &&
		    map_entry__is_file(e)) {
			e->unmapped = true;
			n++;
		}
	}
	return n;
}

void proc__set_comm(struct proc *p, const char *comm)
{
	snprintf(p->comm, sizeof(p->comm), "%.15s", comm);
}

void proc__note_exec_id(struct proc *p, uint32_t exec_id)
{
	if (!p->exec_id)
		p->exec_id = exec_id;
}

void proc__set_allocator(struct proc *p, const char *display_path)
{
	p->allocator = display_path;
}

void proc__set_rescan(struct proc *p, bool rescan)
{
	p->rescan_allocators = rescan;
}

void proc__images_purged(struct proc *p)
{
	p->purge_images = false;
	p->nleft = 0;
	p->left_unknown = false;
}

/* Its current image is over: its entries go at the next purge. */
static void proc_leave_image(struct proc *p)
{
	if (p->exec_id && p->nleft < PROC_LEFT_MAX)
		p->left[p->nleft++] = p->exec_id;
	else
		p->left_unknown = true;
	p->purge_images = true;
}

bool proc__left_image(const struct proc *p, uint32_t exec_id)
{
	uint8_t i;

	if (exec_id == p->exec_id)
		return false;
	if (p->left_unknown)
		return true;
	for (i = 0; i < p->nleft; i++)
		if (p->left[i] == exec_id)
			return true;
	return false;
}

bool proc__taken_by(const struct proc *p, uint32_t exec_id)
{
	return p->exited && exec_id && exec_id != p->exec_id;
}

void proc__renew(struct proc *p, uint32_t exec_id)
{
	proc_leave_image(p);
	p->exec_id = exec_id;
	p->image++;
	p->ppid = 0;
	snprintf(p->comm, sizeof(p->comm), "?");
	p->loaded = false;
	p->exited = false;
	p->rescan_allocators = false;
	proc_maps__release(&p->maps);
	p->allocator = NULL;
	free(p->cgroup);
	p->cgroup = NULL;
	p->start_time = 0;
}

struct proc *proctable__exec(struct proctable *t, pid_t pid, uint32_t exec_id, const char *comm)
{
	bool known = proctable__find(t, pid) != NULL;
	struct proc *p = proctable__get(t, pid);

	if (!p)
		return NULL;
	if (known && p->exec_id != exec_id) {
		/* The old image's memory is gone with it. */
		proc_leave_image(p);
		p->allocator = NULL;
		p->image++;
	}
	p->exec_id = exec_id;
	p->exited = false;
	proc__set_comm(p, comm);
	if (known)
		read_cgroup(p);		/* a new entry read it as it was loaded */
	proc_maps__release(&p->maps);	/* the old image's map is void */
	p->rescan_allocators = true;
	return p;
}

struct proc *proctable__exit(struct proctable *t, pid_t pid, uint32_t exec_id, const char *comm,
			     bool adopt)
{
	struct proc *p = proctable__find(t, pid);

	if (!p && adopt) {
		p = proctable__get_lazy(t, pid);
		if (p) {
			proc__set_comm(p, comm);
			p->exec_id = exec_id;
		}
	}
	if (!p || p->exited)
		return NULL;
	if (exec_id && p->exec_id != exec_id) {
		/* an image we had no event of (or not yet its id): its
		 * entries are the ones to purge with the others
		 */
		if (p->exec_id)
			proc_leave_image(p);
		p->exec_id = exec_id;
	}
	p->exited = true;
	return p;
}

struct proc *proctable__fork(struct proctable *t, pid_t parent_pid, pid_t child_pid,
			     uint32_t child_exec_id)
{
	struct proc *parent = proctable__find(t, parent_pid);
	struct proc *child = proctable__get_lazy(t, child_pid);

	if (!child)
		return NULL;
	child->ppid = parent_pid;
	if (parent)
		parent->forked = true;
	if (child_exec_id)
		child->exec_id = child_exec_id;
	if (parent && parent->loaded) {
		proc__inherit(child, parent);
		child->loaded = true;
	}
	return child;
}

static struct known_file *find_file(struct proctable *t, uint32_t major, uint32_t minor, uint64_t inode)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		if (t->files[i].inode == inode && t->files[i].major == major && t->files[i].minor == minor)
			return &t->files[i];
	return NULL;
}

static bool same_file(const struct stat *st, const struct known_file *f)
{
	return st->st_ino == f->inode && major(st->st_dev) == f->major &&
	       minor(st->st_dev) == f->minor;
}

/* The file of e, in the mount namespace of process pid, if it is f. */
static int open_in_ns(const char *path, const struct known_file *f)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0 && (fstat(fd, &st) || !same_file(&st, f))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A file that its path does not reach here (the process is in another
 * mount namespace, a container's; or it was deleted since it was
 * mapped) can be read after the process has gone, and its namespace with
 * it, only if it is kept open now.
 */
static void keep_if_unreachable(struct proctable *t, struct known_file *f, pid_t pid,
				const struct map_entry *e)
{
	char path[PATH_MAX + 64];
	struct stat st;

	if ((!stat(e->path, &st) && same_file(&st, f)) || pid <= 0 || t->nkept >= KEPT_FILES_MAX)
		return;
	snprintf(path, sizeof(path), "/proc/%d/root%s", (int)pid, e->path);
	f->fd = open_in_ns(path, f);
	f->at_path = f->fd >= 0;
	if (f->fd < 0) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid,
			 e->start, e->end);
		f->fd = open_in_ns(path, f);
	}
	if (f->fd >= 0)
		t->nkept++;
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
		if (ARRAY_GROW(t->files, t->files_cap, t->nfiles + 1))
			return;
		f = &t->files[t->nfiles];
		f->major = e->dev_major;
		f->minor = e->dev_minor;
		f->inode = e->inode;
		f->path = strdup(e->path);
		f->fd = -1;
		f->at_path = false;
		if (!f->path)
			continue;
		t->nfiles++;
		keep_if_unreachable(t, f, m->pid, e);
	}
}

int proctable__kept_fd(struct proctable *t, uint32_t major, uint32_t minor, uint64_t inode,
		       bool *at_path)
{
	struct known_file *f = find_file(t, major, minor, inode);

	if (!f || f->fd < 0)
		return -1;
	*at_path = f->at_path;
	return f->fd;
}

static int file_key_cmp(const void *a, const void *b)
{
	const struct known_file *x = *(const struct known_file *const *)a;
	const struct known_file *y = *(const struct known_file *const *)b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

void proctable__release_kept(struct proctable *t)
{
	struct known_file *kept[KEPT_FILES_MAX], key, *kp = &key, **hit;
	bool used[KEPT_FILES_MAX] = { false };
	const struct proc *p;
	size_t i, j, n = 0;

	if (!t->nkept)
		return;
	for (i = 0; i < t->nfiles && n < KEPT_FILES_MAX; i++)
		if (t->files[i].fd >= 0)
			kept[n++] = &t->files[i];
	qsort(kept, n, sizeof(kept[0]), file_key_cmp);
	for (i = 0; (p = pidmap__at(&t->procs, i)); i++) {
		for (j = 0; j < p->maps.n; j++) {
			const struct map_entry *e = &p->maps.v[j];

			if (!map_entry__is_file(e))
				continue;
			key.inode = e->inode;
			key.major = e->dev_major;
			key.minor = e->dev_minor;
			hit = bsearch(&kp, kept, n, sizeof(kept[0]), file_key_cmp);
			if (hit)
				used[hit - kept] = true;
		}
	}
	for (i = 0; i < n; i++) {
		if (used[i])
			continue;
		close(kept[i]->fd);
		kept[i]->fd = -1;
		t->nkept--;
	}
}

const char *proctable__path_of(struct proctable *t, uint32_t kdev, uint64_t inode)
{
	struct known_file *f = find_file(t, kdev >> 20, kdev & 0xfffff, inode);

	return f ? f->path : NULL;
}
