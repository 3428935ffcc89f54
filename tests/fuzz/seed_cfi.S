/* tests/fuzz/seed_cfi.S: a small static program whose CFI uses what
 * compilers and glibc's assembly do, as seeds for tests/fuzz/fuzz_cfi.c
 * (tests/fuzz.mk links it with and without .eh_frame_hdr, and, with
 * -DDEBUG_FRAME, into .debug_frame).  Never run.
 *   _start     ra undefined (the outermost frame)
 *   f_plr      CIE "zPLR": personality (indirect|pcrel|sdata4) and LSDA;
 *              pushes, remember/restore state
 *   f_fp       a frame pointer; DW_CFA_register, offsets of r12-r15
 *   f_sig      CIE "zRS" (a signal frame); CFA and rip by expressions
 *   f_plt      the CFA expression of .plt entries
 */
#ifdef DEBUG_FRAME
	.cfi_sections .debug_frame
#endif
	.text
	.globl	_start
	.type	_start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip
	xor	%ebp, %ebp
	call	f_plr
	call	f_fp
	call	f_sig
	call	f_plt
	hlt
	.cfi_endproc
	.size	_start, .-_start

	.type	f_plr, @function
f_plr:
	.cfi_startproc
#ifndef DEBUG_FRAME
	.cfi_personality 0x9b, pers_ref
	.cfi_lsda 0x1b, lsda
#endif
	push	%rbx
	.cfi_def_cfa_offset 16
	.cfi_offset rbx, -16
	sub	$32, %rsp
	.cfi_def_cfa_offset 48
	test	%rdi, %rdi
	je	1f
	.cfi_remember_state
	add	$32, %rsp
	.cfi_def_cfa_offset 16
	pop	%rbx
	.cfi_restore rbx
	.cfi_def_cfa_offset 8
	ret
1:
	.cfi_restore_state
	add	$32, %rsp
	.cfi_def_cfa_offset 16
	pop	%rbx
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	f_plr, .-f_plr

	.type	f_fp, @function
f_fp:
	.cfi_startproc
	push	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset rbp, -16
	mov	%rsp, %rbp
	.cfi_def_cfa_register rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	.cfi_offset r15, -24
	.cfi_offset r14, -32
	.cfi_offset r13, -40
	.cfi_offset r12, -48
	mov	%rbx, %r11
	.cfi_register rbx, r11
	mov	%r11, %rbx
	.cfi_same_value rbx
	lea	-32(%rbp), %rsp
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	.cfi_def_cfa rsp, 8
	ret
	.cfi_endproc
	.size	f_fp, .-f_fp

	.type	f_sig, @function
	nop
f_sig:
	.cfi_startproc
#ifndef DEBUG_FRAME
	.cfi_signal_frame
#endif
	/* DW_CFA_def_cfa_expression: *(rsp + 160) */
	.cfi_escape 0x0f, 0x04, 0x77, 0xa0, 0x01, 0x06
	/* DW_CFA_expression rip: rsp + 168; rbp: rsp + 120 */
	.cfi_escape 0x10, 0x10, 0x03, 0x77, 0xa8, 0x01
	.cfi_escape 0x10, 0x06, 0x02, 0x77, 0x78
	mov	$15, %eax
	syscall
	.cfi_endproc
	.size	f_sig, .-f_sig

	.type	f_plt, @function
f_plt:
	.cfi_startproc
	.cfi_def_cfa_offset 16
	.cfi_offset rip, -8
	/* GNU ld's .plt rule: rsp + 8 + ((rip & 15) >= 11) * 8 */
	.cfi_escape 0x0f, 0x0b, 0x77, 0x08, 0x80, 0x00, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22
	jmp	*pers_ref(%rip)
	push	$0
	jmp	f_plr
	.cfi_endproc
	.size	f_plt, .-f_plt

	.type	pers, @function
pers:
	ret
	.size	pers, .-pers

	.section .rodata
	.align	8
pers_ref:
	.quad	pers
lsda:
	.byte	0xff, 0xff, 0x01, 0x00
