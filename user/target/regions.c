// SPDX-License-Identifier: GPL-2.0
/* user/target/regions.c: interval accounting of anonymous mappings and the break.
 *
 * Each process image keeps its tracked ranges in a treap (a randomized
 * binary search tree) keyed by start address.  Every range operation first
 * cuts the intervals that straddle its bounds, then splits the range out of
 * the tree, works on it and merges it back: O(log n + k) expected for k
 * intervals touched, where a sorted array would memmove O(n) per cut.
 *
 * An interval points at the allocation it came from (struct alloc), so the
 * pieces of one mapping cut by munmap or mprotect still count as one in
 * outstanding_count.  Reserved (PROT_NONE) intervals own no allocation.
 * Outstanding bytes, counts and ages are derived from the intervals when
 * visiting; only the "ever" totals are kept incrementally.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "target/regions.h"

#define REGION_PAGE	4096ULL
#define PAGE_UP(x)	(((x) + REGION_PAGE - 1) & ~(REGION_PAGE - 1))

struct site {
	struct region_site pub;
	struct site *next;		/* hash chain */
};

/* One mapping as the program made it; its pieces point here. */
struct alloc {
	struct site *site;
	uint64_t seen;			/* visit generation that last counted it */
	uint32_t refs;			/* intervals pointing here */
};

struct ival {
	uint64_t start, end;		/* [start, end), page aligned */
	uint64_t ts_ns;			/* when its bytes were counted */
	struct alloc *alloc;		/* NULL: reserved, not counted */
	struct ival *left, *right;
	uint32_t prio;			/* heap order: parents have larger prio */
};

struct image {
	uint32_t pid, exec_id;
	struct image *next;		/* hash chain */
	struct ival *root;
	struct site **sites;		/* hash of (stack_id, category) */
	size_t nsites, site_buckets;
	uint64_t brk;
	bool brk_known;
};

struct regions {
	struct image **images;		/* hash of pid */
	size_t nimages, image_buckets;
	uint64_t gen;
	uint32_t rng;
};

/* ---- treap ---- */

static uint32_t regions__random(struct regions *r)
{
	/* xorshift32: the priorities only need to look random */
	uint32_t x = r->rng;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	r->rng = x;
	return x;
}

static void alloc_get(struct alloc *a)
{
	if (a)
		a->refs++;
}

static void alloc_put(struct alloc *a)
{
	if (a && --a->refs == 0)
		free(a);
}

static void tree_free(struct ival *t)
{
	if (!t)
		return;
	tree_free(t->left);
	tree_free(t->right);
	alloc_put(t->alloc);
	free(t);
}

/* Split t into the intervals starting below key and the others. */
static void tree_split(struct ival *t, uint64_t key, struct ival **lo, struct ival **hi)
{
	if (!t) {
		*lo = *hi = NULL;
	} else if (t->start < key) {
		tree_split(t->right, key, &t->right, hi);
		*lo = t;
	} else {
		tree_split(t->left, key, lo, &t->left);
		*hi = t;
	}
}

/* Join two treaps where every interval of a lies below those of b. */
static struct ival *tree_merge(struct ival *a, struct ival *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (a->prio > b->prio) {
		a->right = tree_merge(a->right, b);
		return a;
	}
	b->left = tree_merge(a, b->left);
	return b;
}

/* Put sub, whose intervals all lie in a range free in *root, at start. */
static void tree_put(struct ival **root, struct ival *sub, uint64_t start)
{
	struct ival *lo, *hi;

	tree_split(*root, start, &lo, &hi);
	*root = tree_merge(tree_merge(lo, sub), hi);
}

/* Take [s, e) out of *root; no interval may straddle s or e (tree_cut). */
static struct ival *tree_take(struct ival **root, uint64_t s, uint64_t e)
{
	struct ival *lo, *mid, *hi;

	tree_split(*root, s, &lo, &mid);
	tree_split(mid, e, &mid, &hi);
	*root = tree_merge(lo, hi);
	return mid;
}

/* Cut the interval straddling x, if any, in two so that a range bound at x
 * takes whole intervals.  The pieces keep the owner: nothing is counted
 * differently, so a failure here leaves the accounting intact.
 */
static int tree_cut(struct regions *r, struct ival **root, uint64_t x)
{
	struct ival *n = *root, *c = NULL, *piece;

	while (n) {
		if (n->start < x) {
			c = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	if (!c || c->end <= x)
		return 0;
	piece = malloc(sizeof(*piece));
	if (!piece)
		return -ENOMEM;
	*piece = *c;
	piece->start = x;
	piece->left = piece->right = NULL;
	piece->prio = regions__random(r);
	alloc_get(piece->alloc);
	c->end = x;
	tree_put(root, piece, x);
	return 0;
}

static struct ival *tree_last(struct ival *t)
{
	while (t && t->right)
		t = t->right;
	return t;
}

static void tree_shift(struct ival *t, uint64_t delta)
{
	/* unsigned wrap-around moves down as well as up */
	if (!t)
		return;
	t->start += delta;
	t->end += delta;
	tree_shift(t->left, delta);
	tree_shift(t->right, delta);
}

static uint64_t tree_reserved_bytes(const struct ival *t)
{
	if (!t)
		return 0;
	return (t->alloc ? 0 : t->end - t->start) +
	       tree_reserved_bytes(t->left) + tree_reserved_bytes(t->right);
}

/* Count reserved intervals as a, or un-count counted ones (a == NULL). */
static void tree_protect(struct ival *t, struct alloc *a, uint64_t ts_ns)
{
	if (!t)
		return;
	if (a && !t->alloc) {
		t->alloc = a;
		alloc_get(a);
		t->ts_ns = ts_ns;
	} else if (!a && t->alloc) {
		alloc_put(t->alloc);
		t->alloc = NULL;
	}
	tree_protect(t->left, a, ts_ns);
	tree_protect(t->right, a, ts_ns);
}

/* ---- sites and images ---- */

static size_t site_hash(uint64_t stack_id, uint32_t category, size_t buckets)
{
	uint64_t h = (stack_id ^ ((uint64_t)category << 56)) * 0x9e3779b97f4a7c15ULL;

	return (h >> 32) & (buckets - 1);
}

/* By pid alone: a process has few images (one per exec), and dropping a
 * process's images then visits one chain, not the whole table (a report
 * after a churn drops thousands).
 */
static size_t image_hash(uint32_t pid, size_t buckets)
{
	uint64_t h = (uint64_t)pid * 0x9e3779b97f4a7c15ULL;

	return (h >> 32) & (buckets - 1);
}

static int image__grow_sites(struct image *img)
{
	size_t n = img->site_buckets ? img->site_buckets * 2 : 16, i;
	struct site **b = calloc(n, sizeof(*b)), *s, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < img->site_buckets; i++) {
		for (s = img->sites[i]; s; s = next) {
			size_t h = site_hash(s->pub.stack_id, s->pub.category, n);

			next = s->next;
			s->next = b[h];
			b[h] = s;
		}
	}
	free(img->sites);
	img->sites = b;
	img->site_buckets = n;
	return 0;
}

static struct site *image__site(struct image *img, uint64_t stack_id, uint32_t category)
{
	struct site *s;
	size_t h;

	if (img->site_buckets) {
		h = site_hash(stack_id, category, img->site_buckets);
		for (s = img->sites[h]; s; s = s->next)
			if (s->pub.stack_id == stack_id && s->pub.category == category)
				return s;
	}
	if (img->nsites >= img->site_buckets && image__grow_sites(img))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pub.stack_id = stack_id;
	s->pub.category = category;
	h = site_hash(stack_id, category, img->site_buckets);
	s->next = img->sites[h];
	img->sites[h] = s;
	img->nsites++;
	return s;
}

static void image__free(struct image *img)
{
	struct site *s, *next;
	size_t i;

	if (!img)
		return;
	tree_free(img->root);
	for (i = 0; i < img->site_buckets; i++) {
		for (s = img->sites[i]; s; s = next) {
			next = s->next;
			free(s);
		}
	}
	free(img->sites);
	free(img);
}

static int regions__grow_images(struct regions *r)
{
	size_t n = r->image_buckets ? r->image_buckets * 2 : 64, i;
	struct image **b = calloc(n, sizeof(*b)), *img, *next;

	if (!b)
		return -ENOMEM;
	for (i = 0; i < r->image_buckets; i++) {
		for (img = r->images[i]; img; img = next) {
			size_t h = image_hash(img->pid, n);

			next = img->next;
			img->next = b[h];
			b[h] = img;
		}
	}
	free(r->images);
	r->images = b;
	r->image_buckets = n;
	return 0;
}

static struct image *regions__image(struct regions *r, uint32_t pid, uint32_t exec_id,
				    bool create)
{
	struct image *img;
	size_t h;

	if (r->image_buckets) {
		h = image_hash(pid, r->image_buckets);
		for (img = r->images[h]; img; img = img->next)
			if (img->pid == pid && img->exec_id == exec_id)
				return img;
	}
	if (!create)
		return NULL;
	if (r->nimages >= r->image_buckets && regions__grow_images(r))
		return NULL;
	img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	img->pid = pid;
	img->exec_id = exec_id;
	h = image_hash(pid, r->image_buckets);
	img->next = r->images[h];
	r->images[h] = img;
	r->nimages++;
	return img;
}

/* ---- events ---- */

/* The range a mapping syscall acted on, as the kernel sees it: the start
 * must be page aligned (else the call failed), the length rounds up.
 */
static bool page_range(uint64_t addr, uint64_t len, uint64_t *s, uint64_t *e)
{
	if (addr & (REGION_PAGE - 1) || len == 0 || addr > UINT64_MAX - REGION_PAGE ||
	    len > UINT64_MAX - REGION_PAGE - addr)
		return false;
	*s = addr;
	*e = addr + PAGE_UP(len);
	return true;
}

static int image__cut(struct regions *r, struct image *img, uint64_t s, uint64_t e)
{
	int err = tree_cut(r, &img->root, s);

	return err ? err : tree_cut(r, &img->root, e);
}

static struct ival *ival_new(struct regions *r, uint64_t s, uint64_t e, uint64_t ts_ns)
{
	struct ival *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->start = s;
	n->end = e;
	n->ts_ns = ts_ns;
	n->prio = regions__random(r);
	return n;
}

static struct alloc *alloc_new(struct site *site)
{
	struct alloc *a = calloc(1, sizeof(*a));

	if (a)
		a->site = site;
	return a;
}

/* Replace whatever was tracked in [s, e) by a new interval of e's site:
 * counted, or reserved when !counted.  Used by mmap and brk growth.
 */
static int image__map(struct regions *r, struct image *img, const struct ml_event *e,
		      uint64_t s, uint64_t end, bool counted)
{
	struct site *site = NULL;
	struct ival *n;
	int err = -ENOMEM;

	n = ival_new(r, s, end, e->ts_ns);
	if (!n)
		goto cleanup;
	if (counted) {
		site = image__site(img, e->stack_id, e->category);
		if (!site)
			goto cleanup;
		n->alloc = alloc_new(site);
		if (!n->alloc)
			goto cleanup;
		n->alloc->refs = 1;
	}
	err = image__cut(r, img, s, end);
	if (err)
		goto cleanup;
	tree_free(tree_take(&img->root, s, end));
	tree_put(&img->root, n, s);
	if (site) {
		site->pub.total_bytes += end - s;
		site->pub.total_count++;
	}
	return 0;
cleanup:
	if (n)
		free(n->alloc);
	free(n);
	return err;
}

static int image__unmap(struct regions *r, struct image *img, uint64_t s, uint64_t e)
{
	int err = image__cut(r, img, s, e);

	if (err)
		return err;
	tree_free(tree_take(&img->root, s, e));
	return 0;
}

static int image__mprotect(struct regions *r, struct image *img, const struct ml_event *e)
{
	bool usable = e->map.prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
	struct alloc *a = NULL;
	struct site *site;
	struct ival *mid;
	uint64_t s, end, bytes = 0;
	int err;

	if (!page_range(e->map.addr, e->map.len, &s, &end))
		return 0;
	err = image__cut(r, img, s, end);
	if (err)
		return err;
	mid = tree_take(&img->root, s, end);
	if (usable) {
		bytes = tree_reserved_bytes(mid);
		if (!bytes)
			goto out;
		/* what was reserved becomes the mprotect's: one new mapping */
		site = image__site(img, e->stack_id, e->category);
		a = site ? alloc_new(site) : NULL;
		if (!a) {
			err = -ENOMEM;
			goto out;
		}
		site->pub.total_bytes += bytes;
		site->pub.total_count++;
	}
	tree_protect(mid, a, e->ts_ns);
out:
	tree_put(&img->root, mid, s);
	return err;
}

/* mremap: the tracked pieces of the old range move, keeping owner and age;
 * growth is the mremap's, or joins the mapping it extends when that mapping
 * is the same site's (a realloc-like grow stays one mapping).  Growth of a
 * reserved tail stays reserved.  MREMAP_DONTUNMAP leaves an empty mapping
 * behind, not tracked: its pages moved.
 */
static int image__mremap(struct regions *r, struct image *img, const struct ml_event *e)
{
	uint64_t old_s, old_e, new_s, new_e, keep, grow_s;
	struct ival *grow = NULL, *mid, *last;
	struct alloc *a = NULL;
	struct site *site = NULL;
	int err = -ENOMEM;

	if (!page_range(e->map.new_addr, e->map.new_len, &new_s, &new_e))
		return 0;
	/* old_len 0 (a shared mapping's duplicate) moves nothing */
	old_s = old_e = e->map.addr;
	if (e->map.addr & (REGION_PAGE - 1) ||
	    (e->map.len && !page_range(e->map.addr, e->map.len, &old_s, &old_e)))
		return 0;
	keep = old_e - old_s < new_e - new_s ? old_e - old_s : new_e - new_s;
	grow_s = new_s + keep;
	if (grow_s < new_e) {
		grow = ival_new(r, grow_s, new_e, e->ts_ns);
		site = image__site(img, e->stack_id, e->category);
		a = site ? alloc_new(site) : NULL;
		if (!grow || !a)
			goto cleanup;
	}
	err = image__cut(r, img, old_s, old_e);
	if (!err)
		err = image__cut(r, img, old_s + keep, new_s);
	if (!err)
		err = tree_cut(r, &img->root, new_e);
	if (err)
		goto cleanup;

	mid = tree_take(&img->root, old_s, old_s + keep);
	tree_free(tree_take(&img->root, old_s + keep, old_e));
	last = tree_last(mid);
	tree_shift(mid, new_s - old_s);
	tree_free(tree_take(&img->root, new_s, new_e));
	tree_put(&img->root, mid, new_s);
	if (!grow)
		return 0;

	if (last && last->end == grow_s && !last->alloc) {
		/* a reservation grows reserved: grow->alloc stays NULL */
	} else if (last && last->end == grow_s && last->alloc->site == site) {
		grow->alloc = last->alloc;
		site->pub.total_bytes += new_e - grow_s;
	} else {
		grow->alloc = a;
		a = NULL;
		site->pub.total_bytes += new_e - grow_s;
		site->pub.total_count++;
	}
	alloc_get(grow->alloc);
	tree_put(&img->root, grow, grow_s);
	grow = NULL;
	err = 0;
cleanup:
	free(grow);
	free(a);
	return err;
}

static int image__brk(struct regions *r, struct image *img, const struct ml_event *e)
{
	uint64_t old = img->brk, now = e->brk.brk;
	int err = 0;

	/* the first break seen is the base; a failed brk returns the old one */
	if (!img->brk_known || now == old)
		goto out;
	/* the heap's mapping ends at the break rounded up to a page */
	if (now > old && PAGE_UP(old) < PAGE_UP(now))
		err = image__map(r, img, e, PAGE_UP(old), PAGE_UP(now), true);
	else if (now < old && PAGE_UP(now) < PAGE_UP(old))
		err = image__unmap(r, img, PAGE_UP(now), PAGE_UP(old));
out:
	if (!err) {
		img->brk = now;
		img->brk_known = true;
	}
	return err;
}

int regions__apply(struct regions *r, const struct ml_event *e)
{
	/* what can count bytes opens an image; the rest act on tracked ones */
	bool create = e->type == ML_EV_MMAP || e->type == ML_EV_BRK || e->type == ML_EV_MREMAP;
	struct image *img;
	uint64_t s, end;

	if (e->type < ML_EV_MMAP || e->type > ML_EV_BRK)
		return 0;
	img = regions__image(r, e->pid, e->exec_id, create);
	if (!img)
		return create ? -ENOMEM : 0;
	switch (e->type) {
	case ML_EV_MMAP:
		if (!page_range(e->map.addr, e->map.len, &s, &end))
			return 0;
		return image__map(r, img, e, s, end,
				  e->map.prot & (PROT_READ | PROT_WRITE | PROT_EXEC));
	case ML_EV_MUNMAP:
		if (!page_range(e->map.addr, e->map.len, &s, &end))
			return 0;
		return image__unmap(r, img, s, end);
	case ML_EV_MREMAP:
		return image__mremap(r, img, e);
	case ML_EV_MPROTECT:
		return image__mprotect(r, img, e);
	case ML_EV_BRK:
		return image__brk(r, img, e);
	}
	return 0;
}

/* ---- lifecycle ---- */

struct regions *regions__new(void)
{
	struct regions *r = calloc(1, sizeof(*r));

	if (r)
		r->rng = 0x2545f491;
	return r;
}

static void regions__drop_if(struct regions *r, pid_t pid, bool keep_one, uint32_t keep)
{
	struct image **pp, *img;

	if (!r->image_buckets)
		return;
	pp = &r->images[image_hash(pid, r->image_buckets)];
	while ((img = *pp)) {
		if (img->pid == (uint32_t)pid && !(keep_one && img->exec_id == keep)) {
			*pp = img->next;
			image__free(img);
			r->nimages--;
		} else {
			pp = &img->next;
		}
	}
}

void regions__drop_pid(struct regions *r, pid_t pid)
{
	regions__drop_if(r, pid, false, 0);
}

void regions__drop_other_images(struct regions *r, pid_t pid, uint32_t keep_exec_id)
{
	regions__drop_if(r, pid, true, keep_exec_id);
}

void regions__free(struct regions *r)
{
	struct image *img, *next;
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->image_buckets; i++) {
		for (img = r->images[i]; img; img = next) {
			next = img->next;
			image__free(img);
		}
	}
	free(r->images);
	free(r);
}

/* ---- visiting ---- */

struct visit {
	uint64_t gen, now_ns, min_age_ns;
};

static void tree_tally(const struct ival *t, struct visit *v)
{
	struct site *s;

	if (!t)
		return;
	tree_tally(t->left, v);
	if (t->alloc && (!v->min_age_ns ||
			 (v->now_ns >= t->ts_ns && v->now_ns - t->ts_ns >= v->min_age_ns))) {
		s = t->alloc->site;
		s->pub.outstanding_bytes += t->end - t->start;
		if (t->alloc->seen != v->gen) {
			t->alloc->seen = v->gen;
			s->pub.outstanding_count++;
		}
		if (!s->pub.oldest_ts_ns || t->ts_ns < s->pub.oldest_ts_ns)
			s->pub.oldest_ts_ns = t->ts_ns;
	}
	tree_tally(t->right, v);
}

static void image__visit(struct image *img, struct visit *v, regions_visit_fn fn, void *ctx)
{
	struct site *s;
	size_t i;

	for (i = 0; i < img->site_buckets; i++) {
		for (s = img->sites[i]; s; s = s->next) {
			s->pub.outstanding_bytes = 0;
			s->pub.outstanding_count = 0;
			s->pub.oldest_ts_ns = 0;
		}
	}
	tree_tally(img->root, v);
	for (i = 0; i < img->site_buckets; i++)
		for (s = img->sites[i]; s; s = s->next)
			if (s->pub.total_bytes || s->pub.outstanding_bytes)
				fn(img->pid, img->exec_id, &s->pub, ctx);
}

void regions__visit(struct regions *r, pid_t pid, uint64_t now_ns, uint64_t min_age_ns,
		    regions_visit_fn fn, void *ctx)
{
	struct visit v = { .now_ns = now_ns, .min_age_ns = min_age_ns };
	struct image *img;
	size_t i;

	for (i = 0; i < r->image_buckets; i++) {
		for (img = r->images[i]; img; img = img->next) {
			if (pid && img->pid != (uint32_t)pid)
				continue;
			v.gen = ++r->gen;
			image__visit(img, &v, fn, ctx);
		}
	}
}
