/* tests/fuzz/fuzz_perfmap.c: libFuzzer target for the perf map reader of
 * user/sym/symbolize.c (/tmp/perf-PID.map, written by the traced process).
 *
 * The input is the file's text, read through fmemopen() by
 * perf_map__parse() (symbolize.c is compiled in: the parser is static).  A
 * table that parses must be well formed: sorted by start, one entry per
 * start, every size non-zero and in range, every name non-empty with no
 * newline, each entry found by perf_map__find() at its first and last
 * byte when the next one does not start inside it.  Built and run by
 * tests/fuzz.mk (`make fuzz`).
 */
#include "../../user/sym/symbolize.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct perf_map *pm)
{
	size_t i;

	if (pm->n > PERF_MAP_MAX_ENTRIES || (pm->n && !pm->v))
		abort();
	for (i = 0; i < pm->n; i++) {
		const struct jit_sym *e = &pm->v[i];
		size_t len = strlen(e->name);

		if (!e->size || e->start + e->size < e->start || !len ||
		    len >= PERF_MAP_LINE_MAX || memchr(e->name, '\n', len))
			abort();
		if (i && e->start <= e[-1].start)
			abort();
		if (perf_map__find(pm, e->start) != e)
			abort();
		if ((i + 1 == pm->n || e[1].start - e->start >= e->size) &&
		    perf_map__find(pm, e->start + e->size - 1) != e)
			abort();
	}
	if (pm->n && pm->v[0].start && perf_map__find(pm, pm->v[0].start - 1))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_map pm = { .pid = 1 };
	FILE *f;

	/* mode "r": fmemopen() does not write to the buffer */
	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	perf_map__parse(&pm, f);
	fclose(f);
	check_table(&pm);
	perf_map__clear(&pm);
	return 0;
}
