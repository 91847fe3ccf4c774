/* Process entry. The kernel (for the first process) and chcore_spawn (for
 * every other one) start the main thread here with the Linux initial stack:
 *
 *   sp -> argc
 *         argv[0] ... argv[argc-1], NULL
 *         envp[0] ... NULL
 *         auxv: (type, value) pairs ending with (AT_NULL, 0)
 *         ... the strings and the AT_RANDOM bytes, higher up
 *
 * sp is 16-byte aligned. All other registers are 0 (x0 is not used: Linux
 * passes a termination function there for dynamic programs; we have none).
 * __chcore_start records the vectors, runs the constructors, calls main and
 * exits with its result; it never returns. */
	.section .text._start, "ax", %progbits
	.global	_start
	.type	_start, %function
	.p2align 2
_start:
	/* Terminate the frame-pointer chain for debuggers and backtraces. */
	mov	x29, #0
	mov	x30, #0
	mov	x0, sp
	bl	__chcore_start
	/* Not reached: __chcore_start is noreturn. */
	udf	#0
	.size	_start, . - _start

	.section .note.GNU-stack, "", %progbits
