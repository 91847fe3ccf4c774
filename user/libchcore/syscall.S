/* The generic system-call entry, for numbers known only at run time:
 *   long chcore_syscall6(long nr, a0, a1, a2, a3, a4, a5)
 * C passes nr in x0 and the arguments in x1-x6; the kernel wants the number
 * in x8 and the arguments in x0-x5. x8 is the indirect-result register,
 * caller-saved, so it is free to use here. The inline stubs in
 * chcore/syscall.h are the usual way in; this one is for tests and tracing. */
	.text
	.global	chcore_syscall6
	.type	chcore_syscall6, %function
	.p2align 2
chcore_syscall6:
	mov	x8, x0
	mov	x0, x1
	mov	x1, x2
	mov	x2, x3
	mov	x3, x4
	mov	x4, x5
	mov	x5, x6
	svc	#0
	ret
	.size	chcore_syscall6, . - chcore_syscall6

	.section .note.GNU-stack, "", %progbits
