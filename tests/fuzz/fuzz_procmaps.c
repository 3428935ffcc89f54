/* tests/fuzz/fuzz_procmaps.c: libFuzzer target for user/target/procmaps.c.
 *
 * The input is text in /proc/PID/maps format, read through fmemopen() by
 * proc_maps__parse() (the function proc_maps__read() hands the file to).
 * A map that parses must be well formed: entries sorted by start, each
 * with start < end, perms of 4 characters, a NUL-terminated path with no
 * newline in it, found by proc_maps__find() at its first and (when the
 * next one does not overlap it) its last byte, and nothing found below
 * the first.  A map that does not parse must be left empty.  Built and run by
 * tests/fuzz.mk (`make fuzz`).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "target/procmaps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_maps(const struct proc_maps *m)
{
	size_t i;

	if (m->n && (!m->v || m->cap < m->n))
		abort();
	for (i = 0; i < m->n; i++) {
		const struct map_entry *e = &m->v[i];
		const struct map_entry *f;

		if (e->start >= e->end)
			abort();
		if (i && e->start < e[-1].start)
			abort();
		if (e->perms[4] != '\0' || strlen(e->perms) != 4)
			abort();
		/* NUL-terminated (ASan sees a read past the allocation). */
		if (!e->path || memchr(e->path, '\n', strlen(e->path)))
			abort();
		f = proc_maps__find(m, e->start);
		if (!f || f->start != e->start || e->start >= f->end)
			abort();
		/* Overlaps are not the kernel's; when the next entry starts
		 * at or after its end, the whole of [start, end) is found.
		 */
		if ((i + 1 == m->n || e->end <= e[1].start) && proc_maps__find(m, e->end - 1) != e)
			abort();
	}
	if (m->n && m->v[0].start && proc_maps__find(m, m->v[0].start - 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_maps m;
	FILE *f;
	int err;

	/* Read only: fmemopen() does not write to the buffer in mode "r". */
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	memset(&m, 0xa5, sizeof(m));
	err = proc_maps__parse(f, &m);
	fclose(f);
	if (err) {
		if (m.n || m.v || m.cap)
			abort();
		return 0;
	}
	check_maps(&m);
	proc_maps__release(&m);
	return 0;
}
