// SPDX-License-Identifier: GPL-2.0
/* tests/unit/golden.c: golden files for the renderers' tests. */
#include <stdlib.h>
#include "test.h"
#include "golden.h"

char *golden_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(size + 1);
	if (!buf)
		goto out;
	if (fread(buf, 1, size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[size] = '\0';
	*len = size;
out:
	fclose(f);
	return buf;
}

static bool golden_write(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f) {
		TEST_FAIL_("cannot write %s: %m", path);
		return false;
	}
	ok = fwrite(buf, 1, len, f) == len;
	ok = !fclose(f) && ok;
	if (!ok)
		TEST_FAIL_("cannot write %s", path);
	else
		fprintf(stderr, "  UPDATE_GOLDEN=1: wrote %s (%zu bytes); review it before keeping it\n",
			path, len);
	return ok;
}

/* Where the output first differs, as line and column, for the message. */
static void first_difference(const char *a, size_t alen, const char *b, size_t blen,
			     int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < alen && i < blen && a[i] == b[i]; i++) {
		if (a[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

bool golden_check(const char *path, const char *buf, size_t len)
{
	const char *update = getenv("UPDATE_GOLDEN");
	size_t glen = 0;
	char *golden;
	bool same;
	int line, col;

	if (update && !strcmp(update, "1"))
		return golden_write(path, buf, len);
	golden = golden_read(path, &glen);
	if (!golden) {
		TEST_FAIL_("cannot read %s (run from the repository root; UPDATE_GOLDEN=1 creates it)",
			   path);
		return false;
	}
	same = glen == len && !memcmp(golden, buf, len);
	if (!same) {
		first_difference(golden, glen, buf, len, &line, &col);
		TEST_FAIL_("output differs from %s at line %d, column %d "
			   "(if the change is intended: UPDATE_GOLDEN=1 .output/test_runner -u)\n"
			   "--- expected ---\n%s--- got ---\n%.*s--- end ---",
			   path, line, col, golden, (int)len, buf);
	}
	free(golden);
	return same;
}
