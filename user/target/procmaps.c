// SPDX-License-Identifier: GPL-2.0
/* user/target/procmaps.c: a process's memory map, from /proc/PID/maps.
 *
 * A line is "start-end perms offset major:minor inode   path"; the path may
 * be absent, may contain spaces and may end in " (deleted)".  Lines are
 * read whole with getline(), whatever their length.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/procmaps.h"
#include "util/array.h"

#define DELETED_SUFFIX " (deleted)"

/* A hex or decimal field followed by sep (or by a blank when sep is ' '). */
static int parse_field(char **sp, int base, char sep, uint64_t *out)
{
	char *s = *sp, *end;

	if (!((*s >= '0' && *s <= '9') || (base == 16 && ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f'))))
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, base);
	if (errno || *end != sep)
		return -EINVAL;
	*sp = end + 1;
	return 0;
}

/* One line, without its newline, into e (e->path malloc'd). */
static int parse_line(char *line, struct map_entry *e)
{
	uint64_t major, minor;
	char *s = line;
	size_t len;

	memset(e, 0, sizeof(*e));
	if (parse_field(&s, 16, '-', &e->start) || parse_field(&s, 16, ' ', &e->end))
		return -EINVAL;
	if (strlen(s) < 5 || s[4] != ' ')
		return -EINVAL;
	memcpy(e->perms, s, 4);
	e->perms[4] = '\0';
	s += 5;
	if (parse_field(&s, 16, ' ', &e->offset) || parse_field(&s, 16, ':', &major) ||
	    parse_field(&s, 16, ' ', &minor))
		return -EINVAL;
	/* The inode is the last field when there is no path. */
	if (parse_field(&s, 10, ' ', &e->inode)) {
		char *end;

		errno = 0;
		e->inode = strtoull(s, &end, 10);
		if (errno || end == s || *end)
			return -EINVAL;
		s = end;
	}
	/* [start, end) is never empty in the kernel's list. */
	if (e->end <= e->start || major > UINT32_MAX || minor > UINT32_MAX)
		return -EINVAL;
	e->dev_major = major;
	e->dev_minor = minor;
	/* Padding up to the path column; the path keeps its own spaces. */
	while (*s == ' ')
		s++;
	len = strlen(s);
	e->path = strndup(s, len);
	return e->path ? 0 : -ENOMEM;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct map_entry *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int proc_maps__parse(FILE *f, struct proc_maps *out)
{
	struct proc_maps m = { 0 };
	size_t linecap = 0;
	char *line = NULL;
	ssize_t len;
	int err = 0;

	errno = 0;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		if (ARRAY_GROW(m.v, m.cap, m.n + 1)) {
			err = -ENOMEM;
			goto cleanup;
		}
		err = parse_line(line, &m.v[m.n]);
		if (err) {
			free(m.v[m.n].path);
			goto cleanup;
		}
		m.n++;
	}
	if (ferror(f)) {
		err = errno ? -errno : -EIO;
		goto cleanup;
	}
	/* The kernel lists by address already; text from elsewhere may not. */
	if (m.n > 1)
		qsort(m.v, m.n, sizeof(*m.v), entry_cmp);
cleanup:
	free(line);
	if (err) {
		proc_maps__release(&m);
		memset(out, 0, sizeof(*out));
		return err;
	}
	*out = m;
	return 0;
}

int proc_maps__read(pid_t pid, struct proc_maps *out)
{
	char path[64];
	FILE *f;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ESRCH ? -ENOENT : -errno;
	err = proc_maps__parse(f, out);
	fclose(f);
	if (err == -ESRCH)
		err = -ENOENT;	/* exited while we read */
	if (!err)
		out->pid = pid;
	return err;
}

const struct map_entry *proc_maps__find(const struct proc_maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m ? m->n : 0;

	/* The last entry starting at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= m->v[lo - 1].end)
		return NULL;
	return &m->v[lo - 1];
}

int map_entry__is_file(const struct map_entry *e)
{
	size_t len, dlen = strlen(DELETED_SUFFIX);

	if (!e || !e->path || e->path[0] != '/' || !e->inode)
		return 0;
	len = strlen(e->path);
	return !(len >= dlen && strcmp(e->path + len - dlen, DELETED_SUFFIX) == 0);
}

void proc_maps__release(struct proc_maps *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	memset(m, 0, sizeof(*m));
}
