// SPDX-License-Identifier: GPL-2.0
/* user/target/searchpath.c: the directories of PATH, LD_LIBRARY_PATH,
 * DT_RPATH and DT_RUNPATH, as glibc reads them (see searchpath.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "target/searchpath.h"

void searchpath__init(struct searchpath *sp, const char *list, const char *seps)
{
	sp->next = list;
	sp->seps = seps;
	sp->origin = NULL;
}

void searchpath__init_exec(struct searchpath *sp)
{
	const char *path = getenv("PATH");

	searchpath__init(sp, path ? path : SEARCHPATH_EXEC_DEFAULT, ":");
}

void searchpath__init_ld(struct searchpath *sp, const char *list, const char *seps,
			 const char *origin)
{
	searchpath__init(sp, list && *list ? list : NULL, seps);
	sp->origin = origin;
}

/* Length of the dynamic string token ref ("ORIGIN") at p, just after a
 * '$', as "ORIGIN" or "{ORIGIN}"; 0 if it is not there.  Unbraced, it
 * must not run on into a longer name ("$ORIGINAL" is not $ORIGIN), as in
 * ld.so's is_dst().
 */
static size_t dst_len(const char *p, const char *end, const char *ref)
{
	size_t r = strlen(ref), avail = end - p;

	if (avail && *p == '{')
		return avail >= r + 2 && !strncmp(p + 1, ref, r) && p[r + 1] == '}' ? r + 2 : 0;
	if (avail < r || strncmp(p, ref, r))
		return 0;
	if (avail > r && (isalnum((unsigned char)p[r]) || p[r] == '_'))
		return 0;
	return r;
}

/* Append n bytes of s to out (k bytes used of size); false if they do not
 * fit with the terminating NUL.
 */
static bool put(char *out, size_t size, size_t *k, const char *s, size_t n)
{
	if (n >= size - *k)
		return false;
	memcpy(out + *k, s, n);
	*k += n;
	out[*k] = '\0';
	return true;
}

/* "DIR/name" from the entry dir (len bytes), its tokens expanded. */
static bool join(const struct searchpath *sp, const char *dir, size_t len, const char *name,
		 char *out, size_t size)
{
	const char *end = dir + len;
	size_t k = 0, tok;

	if (!size)
		return false;
	out[0] = '\0';
	if (!len && !put(out, size, &k, ".", 1))
		return false;
	while (dir < end) {
		const char *dollar = sp->origin ? memchr(dir, '$', end - dir) : NULL;
		size_t plain = dollar ? (size_t)(dollar - dir) : (size_t)(end - dir);

		if (!put(out, size, &k, dir, plain))
			return false;
		dir += plain;
		if (!dollar)
			break;
		dir++;
		if ((tok = dst_len(dir, end, "ORIGIN"))) {
			if (!put(out, size, &k, sp->origin, strlen(sp->origin)))
				return false;
			dir += tok;
		} else if (dst_len(dir, end, "LIB") || dst_len(dir, end, "PLATFORM")) {
			return false;
		} else if (!put(out, size, &k, "$", 1)) {
			return false;
		}
	}
	return put(out, size, &k, "/", 1) && put(out, size, &k, name, strlen(name));
}

bool searchpath__next(struct searchpath *sp, const char *name, char *out, size_t size)
{
	while (sp->next) {
		const char *entry = sp->next;
		size_t len = strcspn(entry, sp->seps);

		/* strsep's split: "a:" is "a" then "" */
		sp->next = entry[len] ? entry + len + 1 : NULL;
		if (join(sp, entry, len, name, out, size))
			return true;
	}
	return false;
}

int searchpath__find_command(const char *name, char *out, size_t size)
{
	struct searchpath sp;
	struct stat st;

	searchpath__init_exec(&sp);
	while (searchpath__next(&sp, name, out, size))
		if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
	return -ENOENT;
}
