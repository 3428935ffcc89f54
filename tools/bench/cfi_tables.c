// SPDX-License-Identifier: GPL-2.0
/* tools/bench/cfi_tables.c: what building an unwind table costs, per file:
 * time (best of 3), rows, and the bytes they take in BPF.  Missing files
 * are said and skipped.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "target/cfi.h"
#include "util/clock.h"

int main(int argc, char **argv)
{
	int i, round;

	printf("%-44s %10s %10s %10s %8s\n", "file", "build ms", "rows", "KiB", "FDEs");
	for (i = 1; i < argc; i++) {
		double best = -1;
		size_t rows = 0, fdes = 0;
		int err = 0;

		if (access(argv[i], R_OK)) {
			printf("%-44s (not installed)\n", argv[i]);
			continue;
		}
		for (round = 0; round < 3 && !err; round++) {
			struct cfi_table t = { 0 };
			uint64_t t0 = clock_monotonic_ns();
			double ms;

			err = cfi_table__build(argv[i], &t);
			ms = (clock_monotonic_ns() - t0) / 1e6;
			if (best < 0 || ms < best)
				best = ms;
			rows = t.nrows;
			fdes = t.nfdes;
			cfi_table__release(&t);
		}
		if (err)
			printf("%-44s error: %s\n", argv[i], strerror(-err));
		else
			printf("%-44s %10.1f %10zu %10.1f %8zu\n", argv[i], best, rows,
			       rows * sizeof(struct ml_unwind_row) / 1024.0, fdes);
	}
	return 0;
}
