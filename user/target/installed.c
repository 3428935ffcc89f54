// SPDX-License-Identifier: GPL-2.0
/* user/target/installed.c: see installed.h. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "target/installed.h"
#include "target/searchpath.h"

/* The part of a library's name before ".so" (libc.so.6 -> libc), as
 * long as ".so" ends the name or a version follows; else 0.
 */
static size_t stem_len(const char *name)
{
	const char *so = name;

	while ((so = strstr(so, ".so"))) {
		if (so[3] == '\0' || so[3] == '.')
			return so - name;
		so += 3;
	}
	return 0;
}

bool installed__is_allocator_name(const char *name)
{
	static const struct {
		const char *stem;
		bool prefix;	/* variants: libtcmalloc_minimal, libmimalloc-secure */
	} known[] = {
		{ "libc", false },
		{ "libjemalloc", false },
		{ "libtcmalloc", true },
		{ "libmimalloc", true },
	};
	size_t len = stem_len(name), i, k;

	for (i = 0; len && i < sizeof(known) / sizeof(known[0]); i++) {
		k = strlen(known[i].stem);
		if (len == k ? !strncmp(name, known[i].stem, k)
			     : known[i].prefix && len > k && !strncmp(name, known[i].stem, k))
			return true;
	}
	return false;
}

static int pick(const struct dirent *de)
{
	return installed__is_allocator_name(de->d_name);
}

static int add_once(char (*files)[PATH_MAX], int n, int max, const char *path)
{
	char real[PATH_MAX];
	struct stat st;
	int i;

	if (!realpath(path, real) || stat(real, &st) || !S_ISREG(st.st_mode))
		return n;
	for (i = 0; i < n; i++)
		if (!strcmp(files[i], real))
			return n;
	if (n < max)
		snprintf(files[n++], PATH_MAX, "%s", real);
	return n;
}

int installed__allocator_files(const char *dirs, char (*files)[PATH_MAX], int max)
{
	struct searchpath sp;
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent **names;
	int n = 0, k, i;

	/* "DIR/." for each entry: the directory itself */
	searchpath__init(&sp, dirs ? dirs : SEARCHPATH_LD_DEFAULT, ":");
	while (searchpath__next(&sp, ".", dir, sizeof(dir))) {
		k = scandir(dir, &names, pick, alphasort);
		for (i = 0; i < k; i++) {
			if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path))
				n = add_once(files, n, max, path);
			free(names[i]);
		}
		if (k >= 0)
			free(names);
	}
	return n;
}
