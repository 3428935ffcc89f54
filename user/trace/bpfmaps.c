// SPDX-License-Identifier: GPL-2.0
/* user/trace/bpfmaps.c: batched dumps of BPF hash maps; windows on BPF arrays. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "trace/bpfmaps.h"

#define BATCH 4096

/* get_next_key walk, for kernels without batch lookups.  The walk goes on
 * from the last key read (kept apart: a key deleted under us is skipped,
 * not stored).
 */
static long dump_slow(int fd, size_t ksz, size_t vsz, char **keys, char **vals, size_t cap)
{
	char *prev = malloc(ksz), *k = malloc(ksz);
	bool started = false;
	long n = 0;

	if (!prev || !k) {
		n = -ENOMEM;
		goto out;
	}
	while (bpf_map_get_next_key(fd, started ? prev : NULL, k) == 0) {
		started = true;
		memcpy(prev, k, ksz);
		if ((size_t)n == cap) {
			char *nk = realloc(*keys, (cap + BATCH) * ksz);
			char *nv = nk ? realloc(*vals, (cap + BATCH) * vsz) : NULL;

			if (nk)
				*keys = nk;
			if (!nv) {
				n = -ENOMEM;
				goto out;
			}
			*vals = nv;
			cap += BATCH;
		}
		if (bpf_map_lookup_elem(fd, k, *vals + n * vsz) == 0)
			memcpy(*keys + n++ * ksz, k, ksz);
	}
out:
	free(prev);
	free(k);
	return n;
}

long map_dump(int fd, size_t ksz, size_t vsz, void **keys_out, void **vals_out)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	char *keys = NULL, *vals = NULL;
	uint64_t token = 0;
	size_t n = 0, cap = 0;
	bool first = true;
	long ret;

	for (;;) {
		__u32 count = BATCH;
		int err;

		if (cap - n < BATCH) {
			char *nk = realloc(keys, (cap + BATCH) * ksz);
			char *nv = nk ? realloc(vals, (cap + BATCH) * vsz) : NULL;

			if (nk)
				keys = nk;
			if (!nv) {
				ret = -ENOMEM;
				goto fail;
			}
			vals = nv;
			cap += BATCH;
		}
		err = bpf_map_lookup_batch(fd, first ? NULL : &token, &token,
					   keys + n * ksz, vals + n * vsz, &count, &opts);
		first = false;
		if (err && errno != ENOENT) {
			if (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP) {
				n = 0;
				ret = dump_slow(fd, ksz, vsz, &keys, &vals, cap);
				if (ret < 0)
					goto fail;
				n = ret;
				break;
			}
			ret = -errno;
			goto fail;
		}
		n += count;
		if (err)
			break;	/* ENOENT: that was the last batch */
	}
	if (!n) {
		free(keys);
		free(vals);
		keys = vals = NULL;
	}
	*keys_out = keys;
	*vals_out = vals;
	return n;
fail:
	free(keys);
	free(vals);
	return ret;
}

size_t map_delete_keys(int fd, const void *keys, size_t ksz, size_t n)
{
	const char *k = keys;
	size_t i, done = 0;

	for (i = 0; i < n; i++)
		done += bpf_map_delete_elem(fd, k + i * ksz) == 0;
	return done;
}

void *map_window_open(struct map_window *w, int fd, size_t off, size_t len, bool write)
{
	size_t page = sysconf(_SC_PAGESIZE), start = off / page * page;

	w->len = (off + len - start + page - 1) / page * page;
	w->base = mmap(NULL, w->len, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, fd, start);
	if (w->base == MAP_FAILED) {
		w->base = NULL;
		return NULL;
	}
	return (char *)w->base + (off - start);
}

void map_window_close(struct map_window *w)
{
	if (w->base)
		munmap(w->base, w->len);
	w->base = NULL;
}
