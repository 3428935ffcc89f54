/* The bulk of libbig_ehN.so's .eh_frame: BIG_EH_FUNCS functions that
 * nothing calls, each pushing and popping eight registers, every push
 * and pop with its CFA rule: sixteen unwind rows a function (the rows
 * after the last pop and at the next function's entry are alike, and
 * merge).  Many small FDEs rather than one large one: a table is built by
 * stepping each FDE row by row.
 */
	.text
	.rept BIG_EH_FUNCS
	.cfi_startproc
	.irp reg, rbx, rbp, r12, r13, r14, r15, rsi, rdi
	push %\reg
	.cfi_adjust_cfa_offset 8
	.endr
	.irp reg, rdi, rsi, r15, r14, r13, r12, rbp, rbx
	pop %\reg
	.cfi_adjust_cfa_offset -8
	.endr
	ret
	.cfi_endproc
	.endr

	.section .note.GNU-stack,"",@progbits
