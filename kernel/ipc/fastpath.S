/* IPC's fast path: ipc_call and ipc_return in assembly, from the exception
 * entry to the eret into the other thread, without entering C++.
 *
 * A client asks for it with `svc #0x1000` (CHCORE_IPC_FAST_SVC, uapi/ipc.h)
 * instead of `svc #0`; the number in x8 and the registers are the same, so
 * whatever the fast path does not take goes through the ordinary system
 * call (kernel/ipc/ipc.cpp: ipc_call, ipc_return), which gives the same
 * results, only slower. el0_sync (arch/aarch64/vectors.S) tells the two
 * apart by ESR_EL1 before saving more than x10 and x11, so no other system
 * call pays for the test.
 *
 * What the fast path takes (everything else: the ordinary call):
 *   ipc_call    a message of words and perhaps a buffer length (no
 *               capabilities, no other info bits), on a Connection
 *               capability with WRITE, whose handler is idle and off every
 *               CPU (one CAS claims it), from a thread that is not being
 *               stopped and is not that handler itself;
 *   ipc_return  the same kind of message, from a connection's handler in a
 *               call, whose caller is blocked off every CPU (one CAS claims
 *               it). A handler that used FP/SIMD has its registers saved.
 *
 * Step by step (ipc.cpp's port_call and port_return do the same in C++,
 * and docs/ipc.md tells the story):
 *
 *  call:  1. save the client's whole context (it blocks: another CPU may
 *            resume it, or a signal may build a frame from it) and charge
 *            the time since the last stamp to it as user time;
 *         2. look the capability up under the capability lock and take a
 *            reference to the connection (the call's, dropped by the
 *            return);
 *         3. claim the handler: state and on_cpu, one halfword, from
 *            (IpcIdle, off) to (Running, on) in one CAS. From here the
 *            call owns the port (ipc.h): it writes caller and inflight,
 *            takes a reference to the client thread, lends its scheduling
 *            context, marks its result as the return's to write;
 *         4. switch this CPU: FP/SIMD access off (the client's registers
 *            stay live, fp_live), TPIDR_EL0, the thread's cpu, PerCpu's
 *            current and cur_ctx, TTBR0 (root and ASID, no TLB work);
 *         5. look at the handler's signals and stop, then release the
 *            client: (Blocked, off) in one store, and look at its stop
 *            (Dekker with sched_stop, as sched_ipc_switch does);
 *         6. enter the handler at its entry with its stack, the badge in
 *            x0, the message in x1-x5 (x6, x7 = 0), the caller's pid in
 *            x8, its other registers as it left them. Rare cases (a
 *            signal, a stop) complete the handler's context, mark the
 *            hand-off (switched) and leave the rest to C++ and the
 *            ordinary exit.
 *  return: the mirror image, but nothing of the handler is saved unless
 *         the fast path gives up (it starts afresh at its entry next
 *         time), the caller gets the handler's x0-x5 (x6, x7 = 0), the
 *         handler is released as (IpcIdle, off), a caller waiting for the
 *         port is woken (by C++), and the two references are dropped
 *         (by C++ if one of them is the last).
 *
 * CPU time: the fast path reads the counter once, on entry; the kernel
 * instructions after it count as user time of the thread it enters.
 *
 * Registers. On entry sp = the current thread's context (ArchContext),
 * x10 = ESR_EL1; x10 and x11 of EL0 are saved. In the call: x20 = PerCpu,
 * x21 = the client's process, x22 = the client thread, x23 = the
 * connection, x25 = the handler, x26 = its context, x27 = its process. In
 * the return (after the point of no return): x20 = PerCpu, x22 = the
 * handler, x12 = the port, x13 = the caller, x14 = the connection, x26 =
 * the caller's context, x27 = its process. */
#include "arch/aarch64/asm_offsets.h"
#include "arch/aarch64/context_macros.h"
#include "uapi/syscall_nr.h"

.text

/* Makes \next current on this CPU after \prev (step 4): TLS, cpu, current,
 * cur_ctx = \ctx, the address space of \group. x9-x11 scratch. */
.macro fast_switch prev, next, ctx, group
	mrs	x9, tpidr_el0
	str	x9, [\prev, #THREAD_TPIDR]
	ldr	x9, [\next, #THREAD_TPIDR]
	msr	tpidr_el0, x9
	ldr	w10, [x20, #PERCPU_CPU_ID]
	str	w10, [\next, #THREAD_CPU]
	str	\next, [x20, #PERCPU_CURRENT]
	add	\ctx, \next, #THREAD_CTX
	str	\ctx, [x20, #PERCPU_CUR_CTX]
	ldr	\group, [\next, #THREAD_GROUP]
	add	x9, \group, #GROUP_VMSPACE
	ldr	x11, [\group, #GROUP_TTBR0]
	str	x9, [x20, #PERCPU_VMSPACE]
	msr	ttbr0_el1, x11
	isb
.endm

/* x\out = nonzero if \t (of process \group) has a stop or signal work that
 * the exit path must see (signal_work_hinted and kill_pending, as
 * sched_ipc_switch asks). Register numbers: \out, \s1, \s2. */
.macro fast_next_work out, t, group, s1, s2
	add	x\out, \t, #THREAD_KILL
	ldarb	w\out, [x\out]
	ldr	x\s1, [\t, #THREAD_SIG_PENDING]
	ldr	x\s2, [\group, #GROUP_SIG_PENDING]
	orr	x\out, x\out, x\s1
	orr	x\out, x\out, x\s2
	ldrb	w\s1, [\t, #THREAD_SIG_INTERRUPTED]
	ldrb	w\s2, [\group, #GROUP_SIG_STOPPED]
	orr	x\out, x\out, x\s1
	orr	x\out, x\out, x\s2
.endm

/* Loads x8-x30 from the context at sp (the thread about to run), leaves sp
 * just past it and erets. */
.macro fast_enter_rest
	load_x8_x21 sp
	load_x22_x29 sp
	ldr	x30, [sp, #CTX_X30]
	add	sp, sp, #CTX_SIZE
	eret
	dsb	nsh			/* never reached: stop straight-line speculation */
	isb
.endm

/* ---- ipc_call: x0 = connection slot, x1-x4 = words, x5 = info --------------- */
.global ipc_fast_call
ipc_fast_call:
	/* 1. The client's whole context, and its time. */
	save_x22_x29 sp
	syscall_enter_rest
	mrs	x20, tpidr_el1
	acct_enter_at sp

	/* 2. The capability, under the capability lock (a ticket lock:
	 * served ticket in the low word, next in the high word). */
	sub	x22, sp, #THREAD_CTX
	ldr	x21, [x22, #THREAD_GROUP]
	adrp	x9, chcore_cap_table_lock
	add	x9, x9, :lo12:chcore_cap_table_lock
	mov	x10, #(1 << 32)
1:	ldaxr	x11, [x9]
	add	x12, x11, x10
	stxr	w13, x12, [x9]
	cbnz	w13, 1b
	eor	x12, x11, x11, lsr #32
	cbnz	w12, call_lock_wait
call_locked:
	ldr	w11, [x21, #GROUP_CAPS_CAPACITY]
	cmp	x0, x11
	b.hs	call_unlock_slow
	ldr	x11, [x21, #GROUP_CAPS_SLOTS]
	ldr	x11, [x11, x0, lsl #3]
	cbz	x11, call_unlock_slow		/* an empty slot */
	ldr	x23, [x11, #CAP_OBJ]
	ldr	w12, [x11, #CAP_RIGHTS]
	cbz	x23, call_unlock_slow		/* a reserved slot */
	tbz	w12, #1, call_unlock_slow	/* CHCORE_RIGHT_WRITE */
	ldrb	w12, [x23, #OBJ_TYPE]
	cmp	w12, #OBJ_CONNECTION
	b.ne	call_unlock_slow
	add	x12, x23, #OBJ_REFCOUNT
2:	ldxr	w13, [x12]
	add	w13, w13, #1
	stxr	w14, w13, [x12]
	cbnz	w14, 2b
	ldr	w13, [x9]
	add	w13, w13, #1
	stlr	w13, [x9]

	/* The message, the client's stop. */
	cbnz	x5, call_info
call_info_ok:
	ldr	x25, [x23, #CONN_PORT + PORT_THREAD]
	ldrb	w9, [x22, #THREAD_KILL]
	cbnz	w9, call_put_slow

	/* 3. Claim the handler: (IpcIdle, off) -> (Running, on). Not idle
	 * (busy, dead, or the caller itself): the ordinary call decides. */
	add	x9, x25, #THREAD_STATE
	mov	w10, #(TS_RUNNING | (1 << 8))
4:	ldaxrh	w11, [x9]
	cmp	w11, #TS_IPCIDLE
	b.ne	call_busy
	stlxrh	w11, w10, [x9]
	cbnz	w11, 4b

	/* The point of no return: the call owns the port. */
	stp	x22, x23, [x23, #CONN_PORT + PORT_CALLER]
	add	x9, x22, #OBJ_REFCOUNT		/* p->caller's reference */
5:	ldxr	w10, [x9]
	add	w10, w10, #1
	stxr	w11, w10, [x9]
	cbnz	w11, 5b
	ldr	x9, [x22, #THREAD_SC]
	str	x9, [x25, #THREAD_SC]		/* the client's budget */
	mov	w9, #1
	strb	w9, [x22, #THREAD_BY_WAKER]	/* the return writes its x0-x7 */

	/* 4. Switch. FP/SIMD: if EL0 may use it now, the registers are the
	 * client's; they stay live for it, access off for the handler. */
	ldr	w10, [x20, #PERCPU_FP_ENABLED]
	cbz	w10, 6f
	strb	w9, [x22, #THREAD_FP_LIVE]
	mov	x10, #(1 << 20)
	msr	cpacr_el1, x10
	isb
	str	wzr, [x20, #PERCPU_FP_ENABLED]
6:	fast_switch x22, x25, x26, x27
	ldr	x9, [x21, #GROUP_PID]
	str	x9, [x26, #8 * 8]		/* the handler's x8: the caller's pid */

	/* 5. The handler's work, then the client leaves the CPU. */
	fast_next_work 12, x25, x27, 13, 14
	add	x9, x22, #THREAD_STATE
	mov	w10, #TS_BLOCKED
	stlrh	w10, [x9]
	add	x9, x22, #THREAD_KILL
	ldarb	w13, [x9]
	orr	x9, x12, x13
	cbnz	x9, call_rare

	/* 6. Enter the handler. */
	ldr	x0, [x23, #CONN_PORT + PORT_BADGE]
	ldp	x9, x10, [x23, #CONN_PORT + PORT_ENTRY]
	msr	elr_el1, x9
	msr	sp_el0, x10
	msr	spsr_el1, xzr			/* EL0t, interrupts unmasked */
	mov	x6, xzr
	mov	x7, xzr
	mov	sp, x26
	fast_enter_rest

call_info:				/* a length only, within the buffer */
	tst	x5, #0xffffffff00000000
	b.ne	call_put_slow
	ldr	x9, [x23, #CONN_PORT + PORT_BUF_SIZE]
	cmp	x5, x9
	b.hi	call_put_slow
	b	call_info_ok

call_lock_wait:				/* x11 = the word we saw: our ticket is its high half */
	lsr	x12, x11, #32
7:	yield
	ldar	w13, [x9]
	cmp	w13, w12
	b.ne	7b
	b	call_locked

call_busy:
	clrex
	b	call_put_slow

call_unlock_slow:
	ldr	w13, [x9]
	add	w13, w13, #1
	stlr	w13, [x9]
	/* fall through */
/* The ordinary path from the fast call: x21-x29 get their EL0 values back
 * (they are callee-saved in C++), x19 = the context, the CPU's stack. */
.macro call_to_ordinary
	ldr	x21, [sp, #8 * 21]
	load_x22_x29 sp
	mov	x19, sp
	ldr	x9, [x20, #PERCPU_CPU_STACK]
	mov	sp, x9
.endm

/* Nothing taken: the ordinary system call, from its dispatch. */
call_slow:
	call_to_ordinary
	b	el0_svc_dispatch

/* The reference to the connection is taken: the ordinary call takes it
 * over (ipc_fast_call_slow, with x1-x6 as they came), and returns as a
 * system call does. */
call_put_slow:
	mov	x0, x23
	call_to_ordinary
	bl	ipc_fast_call_slow
	b	el0_svc_return

/* After the switch, x12 = the handler's work, x13 = the client stopped:
 * the handler's context is completed and the ordinary exit resumes it
 * (PerCpu::switched), after ipc_fast_tail. */
call_rare:
	ldr	x0, [x23, #CONN_PORT + PORT_BADGE]
	stp	x0, x1, [x26, #16 * 0]
	stp	x2, x3, [x26, #16 * 1]
	stp	x4, x5, [x26, #16 * 2]
	stp	xzr, xzr, [x26, #16 * 3]
	ldp	x9, x10, [x23, #CONN_PORT + PORT_ENTRY]
	str	x10, [x26, #CTX_SP]
	stp	x9, xzr, [x26, #CTX_ELR]
	mov	x0, x22
	mov	w1, #TS_BLOCKED
	cmp	x12, #0
	cset	w2, ne				/* IPC_TAIL_NEXT_WORK */
	cmp	x13, #0
	mov	w9, #IPC_TAIL_PREV_STOPPED
	csel	w9, w9, wzr, ne
	orr	w2, w2, w9
	mov	x3, xzr
	mov	x4, xzr
	mov	x5, xzr
	b	fast_tail

/* Common end of the rare cases: x0-x5 = ipc_fast_tail's arguments. */
fast_tail:
	mov	w9, #1
	strb	w9, [x20, #PERCPU_SWITCHED]
	mov	x19, sp
	ldr	x9, [x20, #PERCPU_CPU_STACK]
	mov	sp, x9
	bl	ipc_fast_tail
	ldr	x9, [x20, #PERCPU_EXIT_WORK]
	b	el0_svc_slow

/* ---- ipc_return: x0 = result, x1-x4 = words, x5 = info ---------------------- */
.global ipc_fast_return
ipc_fast_return:
	/* Scratch registers, saved so that giving up leaves the handler's
	 * registers as they were. */
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	mrs	x11, tpidr_el1
	ldr	x12, [sp, #(THREAD_IPC_PORT - THREAD_CTX)]
	cbz	x12, ret_slow			/* not a handler */
	ldp	x13, x14, [x12, #PORT_CALLER]
	cbz	x13, ret_slow			/* not in a call */
	ldr	x15, [x12, #PORT_PENDING]
	cbnz	x15, ret_slow			/* a connect upcall (a server's port) */
	cbnz	x5, ret_info
	/* Claim the caller: (Blocked, off) -> (Running, on). */
ret_info_ok:
	add	x15, x13, #THREAD_STATE
	mov	w16, #(TS_RUNNING | (1 << 8))
2:	ldaxrh	w17, [x15]
	cmp	w17, #TS_BLOCKED
	b.ne	ret_busy			/* stopped, or still leaving its CPU */
	stlxrh	w17, w16, [x15]
	cbnz	w17, 2b

	/* The point of no return. */
	mov	x20, x11
	sub	x22, sp, #THREAD_CTX
	stp	xzr, xzr, [x12, #PORT_CALLER]
	add	x9, x22, #THREAD_OWN_SC
	str	x9, [x22, #THREAD_SC]
	strb	wzr, [x13, #THREAD_BY_WAKER]
	acct_enter_at sp
	/* The handler used FP/SIMD in this call (access is on only for the
	 * registers' owner): its registers are saved now, as a switch through
	 * the scheduler would, and the access goes off. */
	ldr	w9, [x20, #PERCPU_FP_ENABLED]
	cbnz	w9, ret_save_fp
ret_fp_saved:
	fast_switch x22, x13, x26, x27
	/* FP/SIMD access again if the caller had it at its call (fp_live),
	 * the registers still hold its state (x10 = this CPU's number, from
	 * fast_switch) and it used FP/SIMD lately (fp_eager counts down).
	 * Otherwise its first FP/SIMD instruction traps (sched_fp_trap, which
	 * finds its registers in place and only opens the access). */
	ldrb	w9, [x13, #THREAD_FP_LIVE]
	cbz	w9, 3f
	ldrb	w9, [x13, #THREAD_FP_EAGER]
	cbz	w9, 3f
	sub	w9, w9, #1
	strb	w9, [x13, #THREAD_FP_EAGER]
	ldr	x9, [x20, #PERCPU_FP_OWNER]
	cmp	x9, x13
	b.ne	3f
	ldr	w9, [x13, #THREAD_FP_CPU]
	cmp	w9, w10
	b.ne	3f
	strb	wzr, [x13, #THREAD_FP_LIVE]	/* an ordinary running owner again */
	mov	x9, #(3 << 20)
	msr	cpacr_el1, x9
	isb
	mov	w9, #1
	str	w9, [x20, #PERCPU_FP_ENABLED]
3:	fast_next_work 15, x13, x27, 16, 17
	/* The handler is free again, and leaves the CPU. */
	add	x9, x22, #THREAD_STATE
	mov	w10, #TS_IPCIDLE
	stlrh	w10, [x9]
	add	x9, x22, #THREAD_KILL
	ldarb	w16, [x9]
	add	x9, x12, #PORT_NWAITERS
	ldar	w17, [x9]
	orr	x9, x15, x16
	orr	x9, x9, x17
	cbnz	x9, ret_rare
	/* The call's references: to the caller, to the connection (not the
	 * last ones, or C++ drops them). */
	add	x9, x13, #OBJ_REFCOUNT
4:	ldxr	w10, [x9]
	cmp	w10, #1
	b.ls	ret_last_ref
	sub	w10, w10, #1
	stlxr	w11, w10, [x9]			/* release, as obj_put_fast */
	cbnz	w11, 4b
	add	x9, x14, #OBJ_REFCOUNT
5:	ldxr	w10, [x9]
	cmp	w10, #1
	b.ls	ret_last_conn
	sub	w10, w10, #1
	stlxr	w11, w10, [x9]
	cbnz	w11, 5b
	/* Resume the caller with the handler's x0-x5. */
	mov	x6, xzr
	mov	x7, xzr
	mov	sp, x26
	ldp	x9, x10, [sp, #CTX_ELR]
	ldr	x11, [sp, #CTX_SP]
	msr	elr_el1, x9
	msr	spsr_el1, x10
	msr	sp_el0, x11
	fast_enter_rest

ret_save_fp:				/* arch_fpu_save uses x0-x2 (and returns by x30) */
	mov	x15, x0
	mov	x16, x1
	mov	x17, x2
	add	x0, x22, #THREAD_FP
	bl	arch_fpu_save
	mov	x0, x15
	mov	x1, x16
	mov	x2, x17
	strb	wzr, [x22, #THREAD_FP_LIVE]
	mov	x9, #(1 << 20)
	msr	cpacr_el1, x9
	isb
	str	wzr, [x20, #PERCPU_FP_ENABLED]
	b	ret_fp_saved

ret_info:				/* a length only, within the buffer */
	tst	x5, #0xffffffff00000000
	b.ne	ret_slow
	ldr	x15, [x12, #PORT_BUF_SIZE]
	cmp	x5, x15
	b.hi	ret_slow
	b	ret_info_ok

ret_busy:
	clrex
ret_slow:				/* the ordinary path, registers as they came */
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	b	el0_svc

/* The rare cases of the return: the caller's context gets the message
 * first, and the ordinary exit resumes it after ipc_fast_tail. */
.macro ret_store_message
	stp	x0, x1, [x26, #16 * 0]
	stp	x2, x3, [x26, #16 * 1]
	stp	x4, x5, [x26, #16 * 2]
	stp	xzr, xzr, [x26, #16 * 3]
.endm

ret_last_ref:				/* the caller's reference may be the last */
	mov	x9, x13
	b	1f
ret_last_conn:				/* the connection's may be (the caller's is dropped) */
	mov	x9, xzr
1:	clrex
	ret_store_message
	mov	w2, wzr
	mov	x4, x9
	mov	x5, x14
	b	ret_tail

/* x15 = the caller's work, x16 = the handler stopped, x17 = waiters. */
ret_rare:
	ret_store_message
	cmp	x15, #0
	cset	w2, ne				/* IPC_TAIL_NEXT_WORK */
	cmp	x16, #0
	mov	w9, #IPC_TAIL_PREV_STOPPED
	csel	w9, w9, wzr, ne
	orr	w2, w2, w9
	cmp	x17, #0
	mov	w9, #IPC_TAIL_WAKE
	csel	w9, w9, wzr, ne
	orr	w2, w2, w9
	mov	x4, x13
	mov	x5, x14
ret_tail:
	mov	x0, x22
	mov	w1, #TS_IPCIDLE
	mov	x3, x12
	b	fast_tail
