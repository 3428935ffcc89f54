// SPDX-License-Identifier: GPL-2.0
/* tests/gopprof.c: see gopprof.h. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "gopprof.h"
#include "harness.h"
#include "test.h"

#define GO "/usr/bin/go"

/* s with runs of blanks made one blank, and none at either end of a line. */
static char *squeeze(const char *s)
{
	char *out = malloc(strlen(s) + 1), *w = out;

	if (!out)
		return NULL;
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t') {
			if (w > out && w[-1] != ' ' && w[-1] != '\n')
				*w++ = ' ';
			continue;
		}
		if (*s == '\n' && w > out && w[-1] == ' ')
			w--;
		*w++ = *s;
	}
	*w = '\0';
	return out;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Nothing on stderr; from a URL, only the lines saying what was fetched
 * and where it was saved (in the temporary PPROF_TMPDIR).
 */
static bool quiet_enough(const char *err, const char *path)
{
	const char *line;

	if (strncmp(path, "http://", 7))
		return !err[0];
	for (line = err; *line; line = strchr(line, '\n') + 1) {
		if (strncmp(line, "Fetching profile over HTTP from ", 32) &&
		    strncmp(line, "Saved profile in ", 17))
			return false;
		if (!strchr(line, '\n'))
			break;
	}
	return true;
}

/* pprof's environment: see gopprof.h. */
int go_pprof(const char *path, const char *const *flags, char **out)
{
	char dir[] = "/tmp/memleakbpf-gopprof-XXXXXX", cache[64], gopath[64], tmpdir[64];
	const char *args[32] = { "-i", "PATH=/usr/bin:/bin", "GOTOOLCHAIN=local", "GOPROXY=off",
				 "GOFLAGS=-mod=mod", "PPROF_BINARY_PATH=/nonexistent",
				 "http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9",
				 "HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9" };
	struct ml_run r;
	int n = 10, ret = -1;

	*out = NULL;
	if (access(GO, X_OK)) {
		TEST_FAIL_("%s: %s (tools/install-deps.sh installs golang-go)", GO, strerror(errno));
		return -1;
	}
	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return -1;
	snprintf(cache, sizeof(cache), "GOCACHE=%s", dir);
	snprintf(gopath, sizeof(gopath), "GOPATH=%s", dir);
	snprintf(tmpdir, sizeof(tmpdir), "PPROF_TMPDIR=%s", dir);
	args[n++] = cache;
	args[n++] = gopath;
	args[n++] = tmpdir;
	args[n++] = GO;
	args[n++] = "tool";
	args[n++] = "pprof";
	while (*flags && n < 30)
		args[n++] = *flags++;
	args[n++] = path;
	args[n] = NULL;
	if (!ASSERT_OK(run_program(&r, "/usr/bin/env", args), "run env go tool pprof"))
		goto cleanup;
	if (r.exit_code || !quiet_enough(r.err, path))
		TEST_FAIL_("go tool pprof %s: exit %d: %s", args[n - 2], r.exit_code, r.err);
	else
		ret = 0;
	*out = squeeze(r.out);
	ml_run_release(&r);
cleanup:
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return ret;
}

bool gopprof_top_entry(const char *out, const char *name, long long *flat, long long *cum)
{
	size_t len = strlen(name);
	const char *line;

	for (line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p = line;
		char *end;
		int field;

		*flat = strtoll(line, &end, 10);
		if (end == line || (*end != 'B' && *end != ' '))
			continue;
		/* flat flat% sum% cum cum% name */
		for (field = 0; field < 5 && p; field++) {
			if (field == 3)
				*cum = strtoll(p, NULL, 10);
			p = strchr(p, ' ');
			p = p ? p + 1 : NULL;
		}
		if (p && !strncmp(p, name, len) && (p[len] == '\n' || !p[len]))
			return true;
	}
	return false;
}

void gopprof_top_is(const char *out, const char *name, long long flat, long long cum)
{
	long long f = -1, c = -1;

	if (!gopprof_top_entry(out, name, &f, &c)) {
		TEST_FAIL_("-top has no line for \"%s\":\n%s", name, out);
		return;
	}
	ASSERT_EQ(f, flat, name);
	ASSERT_EQ(c, cum, name);
}

/* The next trace after *p (traces are separated by "-----------+" lines):
 * [*b, *e); false when there is none.
 */
static bool next_trace(const char **p, const char **b, const char **e)
{
	const char *sep = strstr(*p, "-----------+");

	if (!sep)
		return false;
	*b = strchr(sep, '\n');
	if (!*b)
		return false;
	(*b)++;
	*e = strstr(*b, "-----------+");
	if (!*e)
		*e = *b + strlen(*b);
	*p = *e;
	return true;
}

/* A frame line of a trace is fn, or a value then " fn". */
static bool line_is_frame(const char *line, const char *end, const char *fn)
{
	size_t len = strlen(fn);

	if ((size_t)(end - line) < len || strncmp(end - len, fn, len))
		return false;
	return end - len == line || end[-(long)len - 1] == ' ';
}

bool gopprof_has_trace(const char *traces, int64_t value, const char *fn, const char *caller)
{
	const char *p = traces, *b, *e;

	while (next_trace(&p, &b, &e)) {
		const char *line = b, *found_fn = NULL;
		bool first_frame = true, need_caller = caller != NULL;
		long long v = -1;

		while (line < e) {
			const char *nl = memchr(line, '\n', e - line);
			const char *end = nl ? nl : e;
			char *num_end;
			long long n;

			/* the first line without a label carries the value */
			if (first_frame && !memchr(line, ':', end - line)) {
				n = strtoll(line, &num_end, 10);
				if (num_end > line && (*num_end == 'B' || *num_end == ' ')) {
					v = n;
					first_frame = false;
				}
			}
			if (!first_frame && !found_fn && line_is_frame(line, end, fn))
				found_fn = line;
			else if (found_fn && need_caller && line_is_frame(line, end, caller))
				need_caller = false;
			line = nl ? nl + 1 : e;
		}
		if (v == value && found_fn && !need_caller)
			return true;
	}
	return false;
}
