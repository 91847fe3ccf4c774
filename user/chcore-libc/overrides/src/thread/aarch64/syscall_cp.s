// chcore-libc: cancellable system calls (replaces musl's syscall_cp.s).
//
// __syscall_cp_asm(&self->cancel, nr, u, v, w, x, y, z)
//                  x0             x1  x2 x3 x4 x5 x6 x7
//
// Checks the cancellation flag, then tail-calls the dispatcher
// __chcore_dispatch(u, v, w, x, y, z, nr) instead of trapping. The labels
// __cp_begin/__cp_end/__cp_cancel are what pthread_cancel's signal handler
// looks for; ChCore delivers no asynchronous signals yet, so only the flag
// check at __cp_begin acts on a cancellation.

.global __cp_begin
.hidden __cp_begin
.global __cp_end
.hidden __cp_end
.global __cp_cancel
.hidden __cp_cancel
.hidden __cancel
.hidden __chcore_dispatch
.global __syscall_cp_asm
.hidden __syscall_cp_asm
.type __syscall_cp_asm,%function
__syscall_cp_asm:
__cp_begin:
	ldr w0,[x0]
	cbnz w0,__cp_cancel
	mov x8,x1
	mov x0,x2
	mov x1,x3
	mov x2,x4
	mov x3,x5
	mov x4,x6
	mov x5,x7
	mov x6,x8
	b __chcore_dispatch
__cp_end:
	ret
__cp_cancel:
	b __cancel
.size __syscall_cp_asm, . - __syscall_cp_asm
