// SPDX-License-Identifier: GPL-2.0
/* user/export/folded.c: folded stacks, written and read back. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "export/folded.h"
#include "util/array.h"

/* One output line: the escaped stack and its values. */
struct folded_line {
	char *stack;
	int64_t value, base;
};

void folded_escape(const char *name, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	const unsigned char *c;

	if (!len)
		return;
	if (!f) {
		buf[0] = '\0';
		return;
	}
	for (c = (const unsigned char *)name; *c; c++) {
		if (*c == '\\')
			fputs("\\\\", f);
		else if (*c == '\n')
			fputs("\\n", f);
		else if (*c == ';' || *c < 0x20 || *c == 0x7f || (*c == ' ' && !c[1]) ||
			 (*c == '#' && c == (const unsigned char *)name))
			/* a blank ending the name: the reader trims those before the
			 * value; a '#' starting it: a line starting so is a comment
			 */
			fprintf(f, "\\x%02x", *c);
		else
			fputc(*c, f);
	}
	fclose(f);
	buf[len - 1] = '\0';
}

/* The escaped, ';'-joined stack of one sample (malloc'd), or NULL. */
static char *stack_string(const struct psample *s)
{
	char *out = NULL, *esc = NULL;
	size_t outlen = 0, esccap = 0;
	FILE *f = open_memstream(&out, &outlen);
	int i;

	if (!f)
		return NULL;
	for (i = 0; i < s->nframes; i++) {
		/* escaping can grow a name to 4 times its length */
		size_t need = strlen(s->frames[i].name) * 4 + 1;

		if (ARRAY_GROW(esc, esccap, need))
			break;
		folded_escape(s->frames[i].name, esc, need);
		fprintf(f, "%s%s", i ? ";" : "", esc);
	}
	free(esc);
	if (fclose(f) || i < s->nframes) {
		free(out);
		return NULL;
	}
	return out;
}

static int line_cmp_stack(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->stack, ((const struct folded_line *)b)->stack);
}

static int line_cmp_growth(const void *pa, const void *pb)
{
	const struct folded_line *a = pa, *b = pb;
	int64_t ga = a->value - a->base, gb = b->value - b->base;

	if (ga != gb)
		return ga > gb ? -1 : 1;
	return strcmp(a->stack, b->stack);
}

/* Lines of p, sorted by stack, identical stacks merged.  *n set. */
static struct folded_line *folded_lines(const struct profile *p, size_t *n)
{
	struct folded_line *v = calloc(p->n ? p->n : 1, sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (i = 0; i < p->n; i++) {
		v[i].stack = stack_string(&p->v[i]);
		v[i].value = p->v[i].value;
		v[i].base = p->v[i].base;
		if (!v[i].stack) {
			while (i--)
				free(v[i].stack);
			free(v);
			return NULL;
		}
	}
	qsort(v, p->n, sizeof(*v), line_cmp_stack);
	for (i = 0; i < p->n; i++) {
		if (k && !strcmp(v[k - 1].stack, v[i].stack)) {
			v[k - 1].value += v[i].value;
			v[k - 1].base += v[i].base;
			free(v[i].stack);
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
	return v;
}

static void folded_lines_free(struct folded_line *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].stack);
	free(v);
}

/* The lines of p, by stack; a diff ranked by growth with BASE before NEW. */
static int write_lines(const struct profile *p, bool diff, FILE *out)
{
	struct folded_line *v;
	size_t n = 0, i;

	v = folded_lines(p, &n);
	if (!v)
		return -ENOMEM;
	if (diff)
		qsort(v, n, sizeof(*v), line_cmp_growth);
	for (i = 0; i < n; i++) {
		if (diff)
			fprintf(out, "%s %" PRId64 " %" PRId64 "\n", v[i].stack, v[i].base, v[i].value);
		else
			fprintf(out, "%s %" PRId64 "\n", v[i].stack, v[i].value);
	}
	folded_lines_free(v, n);
	return fflush(out) || ferror(out) ? -EIO : 0;
}

int folded__write(const struct profile *p, FILE *out)
{
	return write_lines(p, false, out);
}

int folded__write_diff(const struct profile *p, FILE *out)
{
	return write_lines(p, true, out);
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Undo folded_escape in place. */
static void unescape(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] == '\\') {
			*w++ = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
			   isxdigit((unsigned char)s[3]) && (s[2] != '0' || s[3] != '0')) {
			/* \x00 is left as written: a name cannot hold a NUL */
			*w++ = (char)(hexval((unsigned char)s[2]) * 16 + hexval((unsigned char)s[3]));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

/* "comm (1234)" */
static bool is_process_name(const char *s)
{
	size_t n = strlen(s);
	const char *open = strrchr(s, '(');

	if (n < 4 || s[n - 1] != ')' || !open || open == s || open[-1] != ' ')
		return false;
	for (open++; open < s + n - 1; open++)
		if (!isdigit((unsigned char)*open))
			return false;
	return true;
}

static enum frame_kind guess_kind(const char *name, int depth)
{
	if (depth == 0 && is_process_name(name))
		return FRAME_PROCESS;
	if (!strcmp(name, "[jit]"))
		return FRAME_JIT;
	if (!strcmp(name, "[unknown]") || strstr(name, "+0x"))
		return FRAME_UNKNOWN;
	return FRAME_NATIVE;
}

/* "a;b;c 123": split into frames (unescaped, in place) and the value. */
static int parse_line(char *line, struct pframe *frames, int max, int *nframes, int64_t *value)
{
	char *space = strrchr(line, ' '), *end, *tok, *save = NULL;
	int n = 0;

	if (!space || space == line)
		return -EINVAL;
	errno = 0;
	*value = strtoll(space + 1, &end, 10);
	if (errno || end == space + 1 || *end)
		return -EINVAL;
	while (space > line && space[-1] == ' ')
		space--;
	*space = '\0';
	for (tok = strtok_r(line, ";", &save); tok && n < max; tok = strtok_r(NULL, ";", &save)) {
		unescape(tok);
		frames[n].name = tok;
		frames[n].kind = guess_kind(tok, n);
		n++;
	}
	*nframes = n;
	return n ? 0 : -EINVAL;
}

#define FOLDED_MAX_FRAMES 1024

int folded__read(const char *path, struct profile *out, char *err, size_t errlen)
{
	struct pframe *frames = calloc(FOLDED_MAX_FRAMES, sizeof(*frames));
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	uint64_t abs_total = 0;
	long lineno = 0;
	ssize_t len;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->title, sizeof(out->title), "%s", path);
	if (!f || !frames) {
		ret = -errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		goto cleanup;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		int64_t value;
		int nframes;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (parse_line(line, frames, FOLDED_MAX_FRAMES, &nframes, &value)) {
			ret = -EINVAL;
			snprintf(err, errlen, "%s:%ld: not a folded stack line (frames;... VALUE)",
				 path, lineno);
			goto cleanup;
		}
		if (!profile_read_value_fits(&abs_total, value)) {
			ret = -ERANGE;
			snprintf(err, errlen, "%s:%ld: value out of range (the values of a file "
				 "add up to at most 2^60)", path, lineno);
			goto cleanup;
		}
		ret = profile__add(out, frames, nframes, -1, value, 0);
		if (ret) {
			snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-ret));
			goto cleanup;
		}
	}
	if (ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(EIO));
	}
cleanup:
	if (ret)
		profile__release(out);
	if (f)
		fclose(f);
	free(line);
	free(frames);
	return ret;
}
