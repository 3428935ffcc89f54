// SPDX-License-Identifier: GPL-2.0
/* tests/unit/tmpdir.c: see tmpdir.h. */
#include <dirent.h>
#include <ftw.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "test.h"
#include "tmpdir.h"

bool tmpdir_make(char *dir, size_t len, const char *what)
{
	snprintf(dir, len, "/tmp/memleakbpf-%s-XXXXXX", what);
	return ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *tmpdir_list(const char *dir)
{
	static char buf[4096];
	char *names[64];
	struct dirent *de;
	size_t n = 0, i, off = 0;
	DIR *d = opendir(dir);

	if (!d)
		return "(unreadable)";
	while ((de = readdir(d)) && n < sizeof(names) / sizeof(names[0]))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (off < sizeof(buf))
			off += snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "",
					names[i] ? names[i] : "(null)");
		free(names[i]);
	}
	return buf;
}

static int make_writable(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void tmpdir_remove(const char *dir)
{
	/* a read-only directory a test made cannot be emptied as it is */
	nftw(dir, make_writable, 8, FTW_PHYS);
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}
