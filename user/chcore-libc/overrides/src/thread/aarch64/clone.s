// chcore-libc: threads (replaces musl's clone.s, which traps with SYS_clone).
//
// __clone(func, stack, flags, arg, ptid, tls, ctid)
//         x0,   x1,    w2,    x3,  x4,   x5,  x6
//
// is implemented in C by __chcore_clone (port/thread.c) with ChCore's
// create_thread. A thread it creates starts at __chcore_clone_child with
// sp = its stack (the start block on top) and x0 = the start block;
// __chcore_clone_start runs func(arg) and ends the thread.

.hidden __chcore_clone
.hidden __chcore_clone_start
.global __clone
.hidden __clone
.type   __clone,%function
__clone:
	b __chcore_clone
.size __clone, . - __clone

.global __chcore_clone_child
.hidden __chcore_clone_child
.type   __chcore_clone_child,%function
__chcore_clone_child:
	// End the frame-pointer chain: this is the first frame of the thread.
	mov x29,#0
	mov x30,#0
	b __chcore_clone_start
.size __chcore_clone_child, . - __chcore_clone_child
