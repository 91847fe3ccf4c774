/* First code of a thread made by chcore_thread_create: x0 points at the
 * {fn, arg} pair at the top of the new stack. Calls fn(arg), then ends the
 * thread. */
#include <uapi/syscall_nr.h>

	.text
	.global	__chcore_thread_entry
	.type	__chcore_thread_entry, %function
	.p2align 2
__chcore_thread_entry:
	mov	x29, #0
	mov	x30, #0
	ldp	x1, x0, [x0]
	blr	x1
1:	mov	x8, #CHCORE_SYS_thread_exit
	svc	#0
	b	1b
	.size	__chcore_thread_entry, . - __chcore_thread_entry

	.section .note.GNU-stack, "", %progbits
