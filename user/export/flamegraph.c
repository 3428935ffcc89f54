// SPDX-License-Identifier: GPL-2.0
/* user/export/flamegraph.c: a profile as an interactive SVG flame graph.
 *
 * The samples are sorted by stack (frame names, root first), so that every
 * frame of the graph is a run of consecutive samples: the children of a
 * frame at depth d are the runs of equal frames[d] inside its run, already
 * in name order.  Prefix sums over the sorted samples give any run's value
 * in O(1), so no tree is built and frames too narrow to draw cost nothing
 * but the scan that skips them: O(n log n) comparisons of stacks for n
 * samples, then O(n) per level of the graph.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "export/flamegraph.h"
#include "util/format.h"

#define FG_WIDTH	1200	/* px */
#define FG_XPAD		10	/* px either side of the frames */
#define FG_GRAPH_W	(FG_WIDTH - 2 * FG_XPAD)
#define FG_FRAME_H	16	/* px per level; rects are 1 px shorter */
#define FG_CHAR_W	7.2	/* px: a 12 px monospace advance (0.6 em) */
#define FG_TITLE_CHAR_W	9.6	/* the same at 16 px */
#define FG_TITLE_W	1000	/* px for the title lines, clear of the controls */
#define FG_TOP		70	/* px above the frames: title, subtitle, totals */
#define FG_NARROW	2000	/* narrower than total/2000 (0.6 px): merged */
#define FG_NAME_MAX	2000	/* bytes of a name kept; longer ones are cut */
#define FG_NCAT		(ML_CAT_MAX + 1)	/* the categories, then "unknown" */

/* Set in user/flamegraph_js.S from user/flamegraph.js, NUL-terminated. */
extern const char flamegraph_js[];

enum fg_colour {
	COL_NATIVE = ML_CAT_NATIVE,
	COL_MMAP = ML_CAT_MMAP,
	COL_ALLOCATOR = ML_CAT_ALLOCATOR,
	COL_V8_HEAP = ML_CAT_V8_HEAP,
	COL_BUFFER = ML_CAT_BUFFER,
	COL_OTHER = ML_CAT_MAX,	/* a sample of no known category */
	COL_JIT,
	COL_UNKNOWN,
	COL_PROCESS,
	COL_MERGED,
	COL_GREW,		/* the legend of a diff */
	COL_SHRANK,
	COL_SAME,
	COL_MAX,
};

/* A hue family each; a hash of the name picks the hue and lightness inside
 * it, so that neighbours differ.  Labels NULL: category_title().
 */
static const struct palette {
	const char *label;
	int hue, hue_span;	/* degrees */
	int sat;		/* % */
	int light, light_span;	/* % */
} palettes[COL_MAX] = {
	[COL_NATIVE]	= { NULL, 0, 30, 85, 58, 10 },		/* red to orange */
	[COL_MMAP]	= { NULL, 258, 26, 55, 68, 10 },	/* violet */
	[COL_ALLOCATOR]	= { NULL, 45, 14, 90, 52, 12 },		/* gold */
	[COL_V8_HEAP]	= { NULL, 198, 24, 70, 62, 10 },	/* blue */
	[COL_BUFFER]	= { NULL, 318, 22, 70, 76, 8 },		/* pink */
	[COL_OTHER]	= { "uncategorised", 28, 12, 40, 66, 10 },	/* tan */
	[COL_JIT]	= { "JIT", 128, 40, 50, 55, 12 },	/* green to teal */
	[COL_UNKNOWN]	= { "no symbol", 0, 0, 0, 62, 14 },	/* grey */
	[COL_PROCESS]	= { "process", 214, 0, 22, 82, 0 },	/* slate */
	[COL_MERGED]	= { "small frames", 0, 0, 0, 91, 0 },	/* pale grey */
	[COL_GREW]	= { "grew", 0, 0, 100, 62, 0 },
	[COL_SHRANK]	= { "shrank", 240, 0, 100, 62, 0 },
	[COL_SAME]	= { "unchanged", 60, 0, 10, 87, 0 },
};

/* Sums over a run of samples. */
struct fg_sums {
	int64_t w;		/* width: value, or max(value, base) in a diff */
	int64_t v, b;		/* value and base */
	int64_t cat[FG_NCAT];	/* w by category */
};

struct flamegraph {
	const struct profile *p;
	const struct psample **v;	/* the samples with a width, sorted by stack */
	size_t n;
	struct fg_sums *sum;		/* sum[i]: of v[0..i) */
	int64_t total;			/* width of "all" */
	double scale;			/* px per unit of width */
	int64_t narrow;			/* a frame with w * narrow < total is merged */
	bool bytes;			/* the unit is bytes */
	FILE *out;			/* NULL: lay out (count) only */
	size_t nframes;
	int maxdepth;
	bool used[COL_MAX];		/* colours drawn, for the legend */
	char *name;			/* the current name, made XML-safe */
};

static int64_t sample_width(const struct profile *p, const struct psample *s)
{
	int64_t w = s->value > 0 ? s->value : 0;

	if (p->diff && s->base > w)
		w = s->base;
	return w;
}

static int stack_cmp(const void *pa, const void *pb)
{
	const struct psample *a = *(const struct psample *const *)pa;
	const struct psample *b = *(const struct psample *const *)pb;
	int i, c;

	for (i = 0; i < a->nframes && i < b->nframes; i++) {
		c = strcmp(a->frames[i].name, b->frames[i].name);
		if (c)
			return c;
	}
	return (a->nframes > b->nframes) - (a->nframes < b->nframes);
}

/* Sort the samples that have a width and sum them up. */
static int fg_prepare(struct flamegraph *g)
{
	const struct profile *p = g->p;
	size_t i;

	g->v = calloc(p->n ? p->n : 1, sizeof(*g->v));
	g->sum = calloc(p->n + 1, sizeof(*g->sum));
	if (!g->v || !g->sum)
		return -ENOMEM;
	for (i = 0; i < p->n; i++)
		if (sample_width(p, &p->v[i]) > 0)
			g->v[g->n++] = &p->v[i];
	qsort(g->v, g->n, sizeof(*g->v), stack_cmp);
	for (i = 0; i < g->n; i++) {
		const struct psample *s = g->v[i];
		int64_t w = sample_width(p, s);
		int cat = s->category >= 0 && s->category < ML_CAT_MAX ? s->category : ML_CAT_MAX;

		g->sum[i + 1] = g->sum[i];
		g->sum[i + 1].w += w;
		g->sum[i + 1].v += s->value;
		g->sum[i + 1].b += s->base;
		g->sum[i + 1].cat[cat] += w;
	}
	g->total = g->sum[g->n].w;
	g->scale = g->total ? (double)FG_GRAPH_W / (double)g->total : 0;
	g->bytes = !strcmp(metric_unit(p->metric), "bytes");
	return 0;
}

static void sums_add(struct fg_sums *to, const struct fg_sums *hi, const struct fg_sums *lo)
{
	int k;

	to->w += hi->w - lo->w;
	to->v += hi->v - lo->v;
	to->b += hi->b - lo->b;
	for (k = 0; k < FG_NCAT; k++)
		to->cat[k] += hi->cat[k] - lo->cat[k];
}

/* One code point of s: its length, and *cp (U+FFFD when s is not UTF-8). */
static int utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t v, min;
	int n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 1, v = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 2, v = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 3, v = s[0] & 0x07, min = 0x10000;
	else
		goto bad;
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			goto bad;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n + 1;
bad:
	*cp = 0xfffd;
	return 1;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* s as one line of valid XML text in dst (room for max + 8 bytes): bytes
 * that are not UTF-8, control characters (a newline would split the
 * tooltip's first line, the name the script reads back) and non-characters
 * become U+FFFD; cut with ".." after max bytes.
 */
static void xml_clean(char *dst, size_t max, const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t o = 0;
	uint32_t cp;

	while (*c && o < max) {
		c += utf8_next(c, &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff)
			cp = 0xfffd;
		o += utf8_put(dst + o, cp);
	}
	if (*c) {
		dst[o++] = '.';
		dst[o++] = '.';
	}
	dst[o] = '\0';
}

/* A frame's name, clean, in g->name; NULL without memory. */
static const char *fg_clean(struct flamegraph *g, const char *s)
{
	if (!g->name) {
		g->name = malloc(FG_NAME_MAX + 8);
		if (!g->name)
			return NULL;
	}
	xml_clean(g->name, FG_NAME_MAX, s);
	return g->name;
}

/* The first len bytes of s (clean UTF-8), escaped for text and attributes. */
static void xml_put(FILE *f, const char *s, size_t len)
{
	const char *e = s + len;

	for (; s < e && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: putc(*s, f);
		}
	}
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (*s & 0xc0) != 0x80;
	return n;
}

static void xml_puts(FILE *f, const char *s)
{
	xml_put(f, s, strlen(s));
}

/* Text that fits w px (3 px of margin each side) in characters of cw px,
 * as the script does it on zoom: whole, or cut to "..", or nothing below
 * three characters.
 */
static void fg_fit_text(FILE *f, const char *name, double w, double cw)
{
	int fit = (int)((w - 6) / cw), chars = 0;
	const char *c, *cut = NULL;

	if (fit < 3)
		return;
	for (c = name; *c; c++) {
		if ((*c & 0xc0) == 0x80)
			continue;
		if (chars == fit - 2)
			cut = c;
		chars++;
	}
	if (chars <= fit) {
		xml_puts(f, name);
		return;
	}
	xml_put(f, name, (size_t)(cut - name));
	fputs("..", f);
}

/* "190.2 MiB (199,438,336 bytes)", "812 bytes", "2,918 allocations" */
static void fg_amount(const struct flamegraph *g, int64_t v, bool sign, char *buf, size_t len)
{
	const char *s = v < 0 ? "-" : sign ? "+" : "";
	uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
	char human[32], exact[32];

	format_count(exact, sizeof(exact), (int64_t)m);
	if (!g->bytes) {
		snprintf(buf, len, "%s%s %s", s, exact, metric_unit(g->p->metric));
		return;
	}
	if (m < 1024) {
		snprintf(buf, len, "%s%s bytes", s, exact);
		return;
	}
	format_bytes(human, sizeof(human), m);
	snprintf(buf, len, "%s%s (%s%s bytes)", s, human, s, exact);
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* hsl(h, s%, l%) as "rgb(r,g,b)", without libm. */
static void hsl_rgb(char *buf, size_t len, int h, int s, int l)
{
	double c = (1 - (2 * l / 100.0 - 1 < 0 ? 1 - 2 * l / 100.0 : 2 * l / 100.0 - 1)) * s / 100.0;
	double hp = (h % 360) / 60.0, m, r = 0, gr = 0, b = 0;
	double frac = hp - 2 * (int)(hp / 2) - 1, x = c * (1 - (frac < 0 ? -frac : frac));

	switch ((int)hp) {
	case 0: r = c; gr = x; break;
	case 1: r = x; gr = c; break;
	case 2: gr = c; b = x; break;
	case 3: gr = x; b = c; break;
	case 4: r = x; b = c; break;
	default: r = c; b = x; break;
	}
	m = l / 100.0 - c / 2;
	snprintf(buf, len, "rgb(%d,%d,%d)", (int)((r + m) * 255 + 0.5), (int)((gr + m) * 255 + 0.5),
		 (int)((b + m) * 255 + 0.5));
}

static void palette_fill(char *buf, size_t len, enum fg_colour col, const char *name)
{
	const struct palette *pal = &palettes[col];
	uint32_t h = name ? name_hash(name) : 0;
	int hue = pal->hue + (pal->hue_span ? (int)(h % (uint32_t)pal->hue_span) : 0);
	int light = pal->light + (pal->light_span ? (int)((h >> 16) % (uint32_t)pal->light_span) : 0);

	hsl_rgb(buf, len, hue, pal->sat, light);
}

/* A diff frame: red when it grew, blue when it shrank, deeper the larger
 * the change relative to its width; a light neutral when unchanged.
 */
static void delta_fill(char *buf, size_t len, const struct fg_sums *s)
{
	int64_t d = s->v - s->b;
	double rel = s->w ? (double)(d < 0 ? -d : d) / (double)s->w : 0;
	int c;

	if (!d) {
		palette_fill(buf, len, COL_SAME, NULL);
		return;
	}
	if (rel > 1)
		rel = 1;
	/* ease out: a 10% change already shows clearly */
	c = 215 - (int)(185 * rel * (2 - rel));
	if (d > 0)
		snprintf(buf, len, "rgb(255,%d,%d)", c, c);
	else
		snprintf(buf, len, "rgb(%d,%d,255)", c, c);
}

static int major_category(const struct fg_sums *s)
{
	int k, best = 0;

	for (k = 1; k < FG_NCAT; k++)
		if (s->cat[k] > s->cat[best])
			best = k;
	return best;
}

static enum fg_colour frame_colour(const struct fg_sums *s, int depth, enum frame_kind kind,
				   size_t nsmall)
{
	if (nsmall)
		return COL_MERGED;
	if (depth == 0 || kind == FRAME_PROCESS)
		return COL_PROCESS;
	if (kind == FRAME_JIT)
		return COL_JIT;
	if (kind == FRAME_UNKNOWN)
		return COL_UNKNOWN;
	return (enum fg_colour)major_category(s);
}

/* A frame to draw: the samples [lo, hi) at depth (0: "all"), or nsmall
 * narrow siblings merged.
 */
struct fg_run {
	size_t lo, hi;
	int depth;
	size_t nsmall;
	int64_t off;		/* left edge, in units of width */
	struct fg_sums s;
};

static void fg_describe(const struct flamegraph *g, const struct fg_run *r, enum frame_kind kind,
			char *buf, size_t len)
{
	int cat = major_category(&r->s);
	const char *what = cat < ML_CAT_MAX ? category_title((unsigned)cat) : NULL;
	bool deeper = r->nsmall == 1 && g->v[r->hi - 1]->nframes > r->depth;

	if (r->depth == 0)
		snprintf(buf, len, "%zu stacks", r->hi - r->lo);
	else if (r->nsmall > 1)
		snprintf(buf, len, "%zu frames under %g%% each, merged%s%s", r->nsmall,
			 100.0 / (double)g->narrow, what ? "; mostly " : "", what ? what : "");
	else if (kind == FRAME_PROCESS)
		snprintf(buf, len, "process%s", deeper ? "; too narrow: callees not drawn" : "");
	else
		snprintf(buf, len, "%s%s%s%s%s", what ? what : "category unknown",
			 kind == FRAME_INLINED ? ", inlined" : "", kind == FRAME_JIT ? ", JIT code" : "",
			 kind == FRAME_UNKNOWN ? ", no symbol" : "",
			 deeper ? "; too narrow: callees not drawn" : "");
}

/* The tooltip, which the script also shows on the details line: the name
 * (first line, read back by the script), the value, what the frame is.
 */
static void fg_tooltip(FILE *f, const struct flamegraph *g, const char *name,
		       const struct fg_run *r, enum frame_kind kind)
{
	const struct fg_sums *s = &r->s;
	double pct = 100.0 * (double)s->w / (double)g->total;
	char a[96], b[96], d[96], what[160], line[512];

	xml_puts(f, name);
	fg_describe(g, r, kind, what, sizeof(what));
	if (!g->p->diff) {
		fg_amount(g, s->v, false, a, sizeof(a));
		snprintf(line, sizeof(line), "\n%s, %.2f%%\n%s", a, pct, what);
	} else {
		fg_amount(g, s->b, false, a, sizeof(a));
		fg_amount(g, s->v, false, b, sizeof(b));
		fg_amount(g, s->v - s->b, true, d, sizeof(d));
		if (s->b)
			snprintf(line, sizeof(line), "\n%s -> %s\ndelta %s, %+.1f%%; %.2f%% of the width\n%s",
				 a, b, d, 100.0 * (double)(s->v - s->b) / (double)s->b, pct, what);
		else
			snprintf(line, sizeof(line), "\n%s -> %s\ndelta %s, new; %.2f%% of the width\n%s",
				 a, b, d, pct, what);
	}
	xml_puts(f, line);
}

/* One frame: a <g> with its tooltip, rect and text.  While laying out, it
 * only counts, and says when the budget of frames is spent.
 */
static int fg_frame(struct flamegraph *g, const struct fg_run *r)
{
	const struct pframe *pf = r->depth ? &g->v[r->lo]->frames[r->depth - 1] : NULL;
	enum frame_kind kind = pf ? pf->kind : FRAME_PROCESS;
	bool syn = !pf || r->nsmall > 1;	/* "all" and merged frames: not searched */
	double x = FG_XPAD + (double)r->off * g->scale, w = (double)r->s.w * g->scale;
	int y = FG_TOP + (g->maxdepth - r->depth) * FG_FRAME_H;
	char fill[48], small[48];
	const char *name;
	enum fg_colour col;

	g->nframes++;
	if (!g->out) {
		if (r->depth > g->maxdepth)
			g->maxdepth = r->depth;
		return g->narrow > 1 && g->nframes > FLAMEGRAPH_MAX_FRAMES ? -E2BIG : 0;
	}
	snprintf(small, sizeof(small), "[%zu small frames]", r->nsmall);
	name = fg_clean(g, r->nsmall > 1 ? small : pf ? pf->name : "all");
	if (!name)
		return -ENOMEM;
	col = frame_colour(&r->s, r->depth, kind, r->nsmall > 1);
	if (g->p->diff) {
		delta_fill(fill, sizeof(fill), &r->s);
		col = r->s.v > r->s.b ? COL_GREW : r->s.v < r->s.b ? COL_SHRANK : COL_SAME;
	} else {
		palette_fill(fill, sizeof(fill), col, name);
	}
	g->used[col] = true;
	fprintf(g->out, "<g class=\"f%s\" data-x=\"%" PRId64 "\" data-v=\"%" PRId64 "\" data-d=\"%d\"><title>",
		syn ? " syn" : "", r->off, r->s.w, r->depth);
	fg_tooltip(g->out, g, name, r, kind);
	fprintf(g->out, "</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" rx=\"2\" fill=\"%s\"/>"
		"<text x=\"%.2f\" y=\"%.1f\">", x, y, w, FG_FRAME_H - 1, fill, x + 3, y + 11.5);
	fg_fit_text(g->out, name, w, FG_CHAR_W);
	fputs("</text></g>\n", g->out);
	return 0;
}

/* The frame of samples [lo, hi) at depth, then its children: the runs of
 * equal frames[depth] among the samples that go deeper (the others end
 * here and sort first).  Children are packed from the left in name order;
 * those narrower than total/narrow become one frame after them.
 */
static int fg_node(struct flamegraph *g, size_t lo, size_t hi, int depth, int64_t off)
{
	struct fg_run r = { .lo = lo, .hi = hi, .depth = depth, .off = off };
	struct fg_run small = { .depth = depth + 1 };
	size_t i = lo, j;
	int err;

	sums_add(&r.s, &g->sum[hi], &g->sum[lo]);
	err = fg_frame(g, &r);
	if (err)
		return err;
	while (i < hi && g->v[i]->nframes <= depth)
		i++;
	for (; i < hi; i = j) {
		const char *name = g->v[i]->frames[depth].name;
		int64_t w;

		for (j = i + 1; j < hi && !strcmp(g->v[j]->frames[depth].name, name); j++)
			;
		w = g->sum[j].w - g->sum[i].w;
		if ((double)w * (double)g->narrow < (double)g->total) {
			if (!small.nsmall++) {	/* the first: kept, drawn alone if alone */
				small.lo = i;
				small.hi = j;
			}
			sums_add(&small.s, &g->sum[j], &g->sum[i]);
			continue;
		}
		err = fg_node(g, i, j, depth + 1, off);
		if (err)
			return err;
		off += w;
	}
	small.off = off;
	return small.nsmall ? fg_frame(g, &small) : 0;
}

/* Raise the threshold of narrow frames until the graph fits the budget. */
static int fg_layout(struct flamegraph *g)
{
	int err;

	for (g->narrow = FG_NARROW;; g->narrow /= 2) {
		g->nframes = 0;
		g->maxdepth = 0;
		err = fg_node(g, 0, g->n, 0, 0);
		if (err != -E2BIG)
			return err;
	}
}

/* The title, clean: which processes and metric; a diff says it is one. */
static void fg_title(const struct flamegraph *g, char *buf, size_t len)
{
	char raw[320];

	snprintf(raw, sizeof(raw), "%s%s", g->p->diff ? "Differential flame graph: " : "",
		 g->p->title[0] ? g->p->title : "memleakbpf");
	xml_clean(buf, len - 8, raw);
}

/* "outstanding bytes: total 190.2 MiB (199,438,336 bytes), 3 stacks" */
static void fg_totals(const struct flamegraph *g, char *buf, size_t len)
{
	const struct fg_sums *s = &g->sum[g->n];
	char a[96], b[96], d[96];

	fg_amount(g, s->v, false, b, sizeof(b));
	if (!g->p->diff) {
		snprintf(buf, len, "%s: total %s, %zu stacks", metric_title(g->p->metric), b, g->n);
		return;
	}
	fg_amount(g, s->b, false, a, sizeof(a));
	fg_amount(g, s->v - s->b, true, d, sizeof(d));
	snprintf(buf, len, "%s: %s -> %s, delta %s, %zu stacks",
		 metric_title(g->p->metric), a, b, d, g->n);
}

static void fg_header(const struct flamegraph *g, int height)
{
	FILE *f = g->out;
	char title[1024], subtitle[1024], totals[512];
	bool big;

	fg_title(g, title, sizeof(title));
	xml_clean(subtitle, sizeof(subtitle) - 8, g->p->subtitle);
	fg_totals(g, totals, sizeof(totals));
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\">\n<title>", FG_WIDTH, height, FG_WIDTH, height);
	xml_puts(f, title);
	fputs("</title>\n<desc>Flame graph written by memleakbpf: the root at the bottom, width "
	      "proportional to value. Click a frame to zoom, Escape to reset; \"/\" or Ctrl-F "
	      "searches.</desc>\n<style>\n"
	      "text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	      "text.title { font-size: 16px; }\n"
	      ".f text { pointer-events: none; }\n"
	      ".f:hover rect { stroke: #000; stroke-width: 0.7; }\n"
	      ".parent { opacity: 0.6; }\n"
	      ".ctl { cursor: pointer; fill: #1f4e9a; }\n"
	      ".ctl:hover { text-decoration: underline; }\n</style>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#f7f7f2\"/>\n", FG_WIDTH, height);
	/* the title large, or small rather than cut; clear of the controls */
	big = (double)utf8_chars(title) * FG_TITLE_CHAR_W <= FG_TITLE_W - 6;
	fprintf(f, "<text id=\"title\"%s x=\"%d\" y=\"24\" text-anchor=\"middle\">",
		big ? " class=\"title\"" : "", FG_WIDTH / 2);
	fg_fit_text(f, title, FG_TITLE_W, big ? FG_TITLE_CHAR_W : FG_CHAR_W);
	fprintf(f, "</text>\n<text id=\"subtitle\" x=\"%d\" y=\"42\" text-anchor=\"middle\">", FG_WIDTH / 2);
	fg_fit_text(f, subtitle, FG_TITLE_W, FG_CHAR_W);
	fprintf(f, "</text>\n<text id=\"totals\" x=\"%d\" y=\"58\" text-anchor=\"middle\">", FG_WIDTH / 2);
	fg_fit_text(f, totals, FG_GRAPH_W, FG_CHAR_W);
	/* dead without the script: it shows them */
	fprintf(f, "</text>\n<text id=\"unzoom\" class=\"ctl\" x=\"%d\" y=\"24\" style=\"display:none\">"
		"Reset Zoom</text>\n<text id=\"search\" class=\"ctl\" x=\"%d\" y=\"24\" text-anchor=\"end\" "
		"style=\"display:none\">Search</text>\n<text id=\"clear\" class=\"ctl\" x=\"%d\" y=\"42\" "
		"text-anchor=\"end\" style=\"display:none\">Clear search</text>\n",
		FG_XPAD, FG_WIDTH - FG_XPAD, FG_WIDTH - FG_XPAD);
}

/* The details line (filled by the script on hover), the search result,
 * and a legend of the colours drawn.
 */
static void fg_footer(const struct flamegraph *g, int bottom)
{
	static const enum fg_colour order[] = {
		COL_NATIVE, COL_MMAP, COL_ALLOCATOR, COL_V8_HEAP, COL_BUFFER, COL_OTHER, COL_JIT,
		COL_UNKNOWN, COL_PROCESS, COL_MERGED, COL_GREW, COL_SHRANK, COL_SAME,
	};
	FILE *f = g->out;
	double x = FG_XPAD;
	size_t i;

	fprintf(f, "<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n"
		"<text id=\"matched\" x=\"%d\" y=\"%d\" text-anchor=\"end\"> </text>\n<g id=\"legend\">\n",
		FG_XPAD, bottom + 18, FG_WIDTH - FG_XPAD, bottom + 18);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum fg_colour c = order[i];
		const char *label = palettes[c].label ? palettes[c].label : category_title(c);
		char fill[48];

		if (!g->used[c])
			continue;
		palette_fill(fill, sizeof(fill), c, NULL);
		fprintf(f, "<rect x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\" stroke=\"#666\" "
			"stroke-width=\"0.5\"/><text x=\"%.1f\" y=\"%d\">%s</text>\n",
			x, bottom + 30, fill, x + 14, bottom + 39, label);
		x += 14 + FG_CHAR_W * (double)strlen(label) + 18;
	}
	fputs("</g>\n", f);
}

/* The script, in a CDATA section that "]]>" would end: split it there. */
static void fg_script(FILE *f)
{
	const char *s = flamegraph_js, *end;

	fputs("<script type=\"text/ecmascript\"><![CDATA[\n", f);
	while ((end = strstr(s, "]]>"))) {
		fwrite(s, 1, (size_t)(end - s) + 2, f);
		fputs("]]><![CDATA[", f);
		s = end + 2;
	}
	fputs(s, f);
	fputs("]]></script>\n", f);
}

int flamegraph__write(const struct profile *p, FILE *out)
{
	struct flamegraph g = { .p = p };
	int err, bottom;

	err = fg_prepare(&g);
	if (!err && g.n)
		err = fg_layout(&g);
	if (err)
		goto cleanup;
	g.out = out;
	bottom = FG_TOP + (g.n ? g.maxdepth + 1 : 3) * FG_FRAME_H;
	fg_header(&g, bottom + 48);
	if (g.n) {
		fprintf(out, "<g id=\"frames\" data-total=\"%" PRId64 "\" data-x0=\"%d\" data-w=\"%d\" "
			"data-cw=\"%.1f\">\n", g.total, FG_XPAD, FG_GRAPH_W, FG_CHAR_W);
		err = fg_node(&g, 0, g.n, 0, 0);
		if (err)
			goto cleanup;
		fputs("</g>\n", out);
	} else {
		fprintf(out, "<text id=\"empty\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">Nothing to show: "
			"no stack has a value in this profile.</text>\n", FG_WIDTH / 2, FG_TOP + 28);
	}
	fg_footer(&g, bottom);
	fg_script(out);
	fputs("</svg>\n", out);
	if (fflush(out) || ferror(out))
		err = -EIO;
cleanup:
	free(g.v);
	free(g.sum);
	free(g.name);
	return err;
}
