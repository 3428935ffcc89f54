/* user/target/cfi.h: a file's call frame information compiled into unwind
 * rows (struct ml_unwind_row, bpf/memleak.h "Unwinding by CFI").
 *
 * The rows come from elfutils' CFI interpreter (libdw): the FDEs are listed
 * from the sorted search table of .eh_frame_hdr, or, without one (static
 * executables) and for a file with only .debug_frame, from the entries
 * themselves (dwarf_next_cfi); then each FDE is stepped row by row with
 * dwarf_cfi_addrframe/dwarf_frame_info.  libdw only reads a copy of the
 * section whose FDEs have been vetted: an FDE whose start is encoded
 * otherwise than absolute or pc-relative in 4 or 8 bytes, or whose program
 * (or its CIE's) names a register above 255, nests DW_CFA_remember_state
 * deeper than 64, holds an expression longer than 1 KiB, or does not
 * decode cleanly, is refused (counted in nbad, no rows).  Every row holds
 * from its pc to the next row's pc; a range no FDE covers (between
 * functions, and after the last one) is an ML_CFA_NONE row, so a binary
 * search never stretches a function's last row over code that has no
 * CFI.  Consecutive identical rows are merged.  Addresses below the first
 * row have no CFI either.
 *
 * x86-64 only.  Files may be hostile: every count and offset is bounded,
 * and a malformed file is an error, never a crash.
 */
#ifndef CFI_H
#define CFI_H

#include <gelf.h>
#include <stddef.h>
#include <stdint.h>
#include "memleak.h"

/* An executable PT_LOAD segment: maps a process address to a vaddr,
 * vaddr = addr - mapping start + mapping offset - offset + seg vaddr,
 * for a mapping whose file offset falls in [offset, offset + filesz).
 */
struct cfi_segment {
	uint64_t vaddr, offset, filesz;
};

#define CFI_MAX_TEXT	8		/* executable segments kept, in file order */
#define CFI_MAX_ROWS	(16u << 20)	/* rows of one table, before merging */

struct cfi_table {
	uint64_t base;			/* vaddr of row pc 0: the least FDE start */
	struct ml_unwind_row *rows;	/* sorted by pc, no two alike in a row */
	size_t nrows;
	struct cfi_segment text[CFI_MAX_TEXT];
	int ntext;
	char build_id[41];		/* lower-case hex; "" if none (or longer) */
	/* Statistics. */
	size_t nfdes;			/* FDEs listed (distinct starts) */
	size_t nunsupported;		/* ranges made ML_CFA_UNSUPPORTED (before merging) */
	size_t nbad;			/* FDEs refused, or libdw could not read: ML_CFA_NONE */
};

/* Build the table of the ELF file at path.  0, or -errno:
 *   -ENODATA	the file has no CFI (no FDE in .eh_frame nor .debug_frame)
 *   -ENOTSUP	not x86-64 ELF64; every FDE refused (see above); no section
 *		table and an eh_frame_ptr encoded otherwise than absolute or
 *		pc-relative
 *   -E2BIG	the rows span more than 4 GiB, or exceed CFI_MAX_ROWS, or the
 *		FDEs have too many rows to step through
 *   -ETIMEDOUT	stepping took more than 5 s of CPU (only a hostile file does)
 *   -EINVAL	malformed (.eh_frame_hdr out of bounds, bad version, ...)
 *   -ENOMEM, or the errno of open()
 * On error *out is empty (nothing to release, but releasing is harmless).
 */
int cfi_table__build(const char *path, struct cfi_table *out);
/* The same from an open Elf: a file, or an image in memory (elf_memory).
 * elf stays the caller's (a compressed .debug_frame is left decompressed
 * in it, as libdw would).
 */
int cfi_table__build_elf(Elf *elf, struct cfi_table *out);
/* The row holding vaddr (ML_CFA_NONE rows included), or NULL below the
 * first row or for an empty table.  Binary search.
 */
const struct ml_unwind_row *cfi_table__find(const struct cfi_table *t, uint64_t vaddr);
/* Frees the rows; t may be reused after.  Accepts an empty t. */
void cfi_table__release(struct cfi_table *t);

#endif /* CFI_H */
