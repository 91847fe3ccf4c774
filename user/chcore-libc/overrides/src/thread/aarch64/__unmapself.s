// chcore-libc: the end of a detached thread (replaces musl's __unmapself.s).
//
// __unmapself(base, size) unmaps the calling thread's own stack and ends the
// thread. The C code that does it (__chcore_unmapself, port/thread.c) runs
// on a small static stack, since the thread's own is going away. One stack
// is enough: __pthread_exit calls this holding the thread-list lock, which
// the kernel releases only when the thread has exited (set_tid_address), so
// at most one thread is ever here.

.hidden __chcore_unmapself
.global __unmapself
.type   __unmapself,%function
__unmapself:
	adrp x9,unmap_stack_top
	add x9,x9,:lo12:unmap_stack_top
	mov sp,x9
	mov x29,#0
	mov x30,#0
	b __chcore_unmapself
.size __unmapself, . - __unmapself

.bss
.balign 16
unmap_stack:
	.space 4096
unmap_stack_top:
