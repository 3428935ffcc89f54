/* tests/fuzz/fuzz_cfi.c: libFuzzer target for user/target/cfi.c.
 *
 * The input is an ELF image opened with elf_memory() and compiled into a
 * table by cfi_table__build_elf(); a table that builds must be well
 * formed (sorted, no two alike in a row, a NONE row last, every row found
 * by cfi_table__find).  Built and run by tests/fuzz.mk (`make fuzz`).
 *
 * libdw is the system's, not instrumented: the sanitizers see this file,
 * cfi.c and the allocations libdw makes (malloc is interposed), not libdw's
 * reads.  -rss_limit_mb / -malloc_limit_mb catch what would cost
 * gigabytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include "target/cfi.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (elf_version(EV_CURRENT) == EV_NONE)
		abort();
	return 0;
}

static void check_table(const struct cfi_table *t)
{
	size_t i;

	if (!t->nrows || t->rows[0].pc != 0 || t->rows[t->nrows - 1].cfa_rule != ML_CFA_NONE)
		__builtin_trap();
	for (i = 0; i < t->nrows; i++) {
		const struct ml_unwind_row *r = &t->rows[i];

		if (r->cfa_rule > ML_CFA_UNSUPPORTED)
			__builtin_trap();
		if (i && (r->pc <= r[-1].pc ||
			  (r->cfa_rule == r[-1].cfa_rule && r->cfa_off == r[-1].cfa_off &&
			   r->rbp_off == r[-1].rbp_off && r->plt_threshold == r[-1].plt_threshold)))
			__builtin_trap();
		if (cfi_table__find(t, t->base + r->pc) != r)
			__builtin_trap();
	}
	if (t->base && cfi_table__find(t, t->base - 1))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfi_table t;
	char *image;
	Elf *elf;

	/* The image is the Elf's while it is open: a copy of the input. */
	image = malloc(size ? size : 1);
	if (!image)
		return 0;
	memcpy(image, data, size);
	elf = elf_memory(image, size);
	if (elf) {
		if (cfi_table__build_elf(elf, &t) == 0)
			check_table(&t);
		cfi_table__release(&t);
		elf_end(elf);
	}
	free(image);
	return 0;
}
