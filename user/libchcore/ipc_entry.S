/* Where the kernel enters a server's threads (libchcore/ipc.c).
 *
 * Each call starts a handler thread at __chcore_ipc_handler_entry with
 * sp = its client slot (the slot sits at the top of the handler's stack)
 * and the message in x0-x8: badge, w0-w3, info, received slots, the
 * caller's pid. It calls
 * __chcore_ipc_dispatch(slot, regs, out), then ipc_return with the reply
 * that left in `out`. The connect thread starts at __chcore_ipc_connect_entry
 * with sp = the server. */
#include <uapi/ipc.h>
#include <uapi/syscall_nr.h>

/* The handler's frame: the message registers x0-x8 (72 bytes, 80 with
 * padding), then the reply (x0-x5, 48 bytes, and the capability
 * descriptors, 32 bytes). */
#define FRAME 160
#define OUT 80
#define OUT_CAPS (OUT + 48)

	.text
	.global	__chcore_ipc_handler_entry
	.type	__chcore_ipc_handler_entry, %function
	.p2align 2
__chcore_ipc_handler_entry:
	mov	x9, sp
	sub	sp, sp, #FRAME
	stp	x0, x1, [sp, #0]
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	str	x8, [sp, #64]
	mov	x29, #0
	mov	x30, #0
	mov	x0, x9
	mov	x1, sp
	add	x2, sp, #OUT
	bl	__chcore_ipc_dispatch
	mov	x9, x0
	ldp	x0, x1, [sp, #OUT]
	ldp	x2, x3, [sp, #OUT + 16]
	ldp	x4, x5, [sp, #OUT + 32]
	add	x6, sp, #OUT_CAPS
	/* After a close, the slot (and this stack) is free for the next client
	 * from this store on: nothing below touches memory. */
	cbz	x9, 1f
	stlr	wzr, [x9]
1:	mov	x8, #CHCORE_SYS_ipc_return
	svc	#CHCORE_IPC_FAST_SVC
	/* Only an error comes back (the reply's capabilities could not be
	 * sent): reply with the error alone. */
	mov	x1, #0
	mov	x2, #0
	mov	x3, #0
	mov	x4, #0
	mov	x5, #0
	svc	#0
	mov	x8, #CHCORE_SYS_thread_exit
	svc	#0
	.size	__chcore_ipc_handler_entry, . - __chcore_ipc_handler_entry

	.global	__chcore_ipc_connect_entry
	.type	__chcore_ipc_connect_entry, %function
	.p2align 2
__chcore_ipc_connect_entry:
	mov	x9, sp
	mov	x29, #0
	mov	x30, #0
	mov	x0, x9		/* the server */
	mov	x1, x2		/* buffer size */
	mov	x2, x3		/* client pid */
	mov	x9, x4		/* the client's word */
	and	x3, x6, #0xffff	/* the buffer PMO's slot here */
	mov	x4, x5		/* info */
	mov	x5, x9
	bl	__chcore_ipc_connect
	/* Returns only to refuse the client (x0 = -errno), or to end the
	 * close upcall. */
	mov	x1, #0
	mov	x2, #0
	mov	x3, #0
	mov	x4, #0
	mov	x5, #0
	mov	x8, #CHCORE_SYS_ipc_return
	svc	#0
	mov	x8, #CHCORE_SYS_thread_exit
	svc	#0
	.size	__chcore_ipc_connect_entry, . - __chcore_ipc_connect_entry

	.section .note.GNU-stack, "", %progbits
