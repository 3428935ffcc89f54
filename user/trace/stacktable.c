/* user/trace/stacktable.c: see stacktable.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "trace/stacktable.h"
#include "util/array.h"

struct stack_sweep {
	uint64_t *unnamed;	/* not in keep at the last run, sorted */
	size_t n;
};

struct stack_sweep *stack_sweep__new(void)
{
	return calloc(1, sizeof(struct stack_sweep));
}

void stack_sweep__free(struct stack_sweep *s)
{
	if (!s)
		return;
	free(s->unnamed);
	free(s);
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

size_t stack_ids__sort(uint64_t *ids, size_t n)
{
	size_t i, m = 0;

	if (n > 1)
		qsort(ids, n, sizeof(*ids), id_cmp);
	for (i = 0; i < n; i++)
		if (!m || ids[m - 1] != ids[i])
			ids[m++] = ids[i];
	return m;
}

static bool has(const uint64_t *ids, size_t n, uint64_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), id_cmp);
}

long stack_sweep__run(struct stack_sweep *s, int fd, const uint64_t *keep, size_t n)
{
	uint64_t *unnamed = NULL, *gone = NULL, key, next;
	size_t nunnamed = 0, cap_unnamed = 0, ngone = 0, cap_gone = 0, i;
	long deleted = 0;
	int err;

	/* the keys first: a key deleted in the walk would restart it */
	for (err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		if (has(keep, n, key))
			continue;
		if (has(s->unnamed, s->n, key)) {
			if (ARRAY_GROW(gone, cap_gone, ngone + 1))
				break;
			gone[ngone++] = key;
		} else {
			if (ARRAY_GROW(unnamed, cap_unnamed, nunnamed + 1))
				break;
			unnamed[nunnamed++] = key;
		}
	}
	if (!err)
		err = -ENOMEM;	/* left the walk early */
	if (err != -ENOENT) {	/* the end of the keys */
		free(unnamed);
		free(gone);
		return err;
	}
	for (i = 0; i < ngone; i++)
		if (!bpf_map_delete_elem(fd, &gone[i]))
			deleted++;
	free(gone);
	free(s->unnamed);
	s->unnamed = unnamed;
	s->n = stack_ids__sort(unnamed, nunnamed);
	return deleted;
}
