// chcore-libc: cancellable system calls (replaces musl's syscall_cp.s).
//
// __syscall_cp_asm(&self->cancel, nr, u, v, w, x, y, z)
//                  x0             x1  x2 x3 x4 x5 x6 x7
//
// On Linux this is one `svc` between the labels __cp_begin and __cp_end,
// and pthread_cancel's handler (src/thread/pthread_cancel.c, ours) sends a
// thread it finds there to __cp_cancel. Here the call goes through the
// dispatcher, which may take locks and make several kernel calls, so:
//   - __cp_begin..__cp_end covers only the check of the cancellation
//     flag: a SIGCANCEL there is acted on at once, as on Linux;
//   - then, for the length of the dispatch, the thread-local
//     __chcore_cp_flag holds &self->cancel (the value before is kept and
//     put back, for a cancellable call made by a signal handler that
//     interrupted another one). The port's blocking kernel calls (futex
//     waits, sleeps, pipe and console reads and writes, poll,
//     notify_wait, sigsuspend, sigtimedwait) go through __chcore_cp_svc
//     (port/native_syscall.c), which returns -EINTR instead of blocking
//     when that flag says a cancellation is pending, and which the
//     handler steers to the same -EINTR when SIGCANCEL interrupts its
//     `svc`. The dispatcher then unwinds as for any EINTR, and
//     __syscall_cp_c acts on the cancellation.

.global __cp_begin
.hidden __cp_begin
.global __cp_end
.hidden __cp_end
.global __cp_cancel
.hidden __cp_cancel
.hidden __cancel
.hidden __chcore_dispatch
.hidden __chcore_cp_flag
.global __syscall_cp_asm
.hidden __syscall_cp_asm
.type __syscall_cp_asm,%function
__syscall_cp_asm:
__cp_begin:
	ldr w9,[x0]
	cbnz w9,__cp_cancel
__cp_end:
	stp x29,x30,[sp,#-32]!
	mov x29,sp
	mrs x10,tpidr_el0
	add x10,x10,#:tprel_hi12:__chcore_cp_flag
	add x10,x10,#:tprel_lo12_nc:__chcore_cp_flag
	ldr x11,[x10]
	stp x10,x11,[sp,#16]
	str x0,[x10]
	// __chcore_dispatch(u, v, w, x, y, z, nr)
	mov x8,x1
	mov x0,x2
	mov x1,x3
	mov x2,x4
	mov x3,x5
	mov x4,x6
	mov x5,x7
	mov x6,x8
	bl __chcore_dispatch
	ldp x10,x11,[sp,#16]
	str x11,[x10]
	ldp x29,x30,[sp],#32
	ret
__cp_cancel:
	b __cancel
.size __syscall_cp_asm, . - __syscall_cp_asm
