/* head_64.S: arch/x86/kernel/head_64.S + entry/entry_64.S-alike: startup_64 and __fentry__ */

/*
 * The machine starts CPU 0 here in 64-bit kernel mode, interrupts off,
 * with a valid stack in %rsp.
 */
	.text
	.globl	startup_64
	.type	startup_64, @function
startup_64:
	andq	$-16, %rsp		/* the ABI's call alignment */
	call	start_kernel
	/* start_kernel returned: halt for good (hlt with IF clear never resumes). */
1:	cli
	hlt
	jmp	1b
	.size	startup_64, . - startup_64

/*
 * Every traced function begins with "call __fentry__" (gcc -pg -mfentry).
 * Boot code later turns those calls into nops; until then this returns.
 */
	.globl	__fentry__
	.type	__fentry__, @function
__fentry__:
	ret
	.size	__fentry__, . - __fentry__

/*
 * gcc emits its __mcount_loc records without alignment.  This empty piece,
 * linked first, makes the output section 8-byte aligned, so every record
 * (one 8-byte call-site address per traced function) is naturally aligned.
 */
	.section __mcount_loc, "a", @progbits
	.balign	8

	.section .note.GNU-stack, "", @progbits
