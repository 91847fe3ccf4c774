// chcore-libc: signal return trampolines (replace musl's restore.s).
//
// sigaction installs __restore/__restore_rt as the return address of a
// signal frame (SA_RESTORER). A handler returns here with sp at its frame;
// musl's version makes Linux's rt_sigreturn (x8 = 139), ours the kernel's
// sigreturn, whose `svc` lives with the other native stubs
// (port/native_syscall.c: __chcore_sigreturn_trampoline). A plain branch:
// sp and every register stay as the handler left them.

.hidden __chcore_sigreturn_trampoline
.global __restore
.hidden __restore
.type __restore,%function
__restore:
.global __restore_rt
.hidden __restore_rt
.type __restore_rt,%function
__restore_rt:
	b __chcore_sigreturn_trampoline
.size __restore_rt, . - __restore_rt
