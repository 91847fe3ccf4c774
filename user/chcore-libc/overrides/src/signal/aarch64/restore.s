// chcore-libc: signal return trampolines (replace musl's restore.s).
//
// sigaction installs __restore/__restore_rt as the return address of a
// signal frame. ChCore builds no signal frames: a signal raised by the
// program itself is delivered as an ordinary call of its handler
// (port/signal.c), which simply returns. These are therefore never reached;
// if one is, rt_sigreturn goes to the dispatcher, which ends the process
// with a message.

.hidden __chcore_dispatch
.global __restore
.hidden __restore
.type __restore,%function
__restore:
.global __restore_rt
.hidden __restore_rt
.type __restore_rt,%function
__restore_rt:
	mov x0,sp
	mov x1,#0
	mov x2,#0
	mov x3,#0
	mov x4,#0
	mov x5,#0
	mov x6,#139 // SYS_rt_sigreturn
	bl __chcore_dispatch
	b __restore_rt
.size __restore_rt, . - __restore_rt
