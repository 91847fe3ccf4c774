/* Exception vectors and the system-call path.
 *
 * While a thread runs at EL0, SP_EL1 points just past its ArchContext. An
 * exception from EL0 therefore saves the user registers straight into the
 * thread's context (exception_enter), then moves to this CPU's exception
 * stack, found through TPIDR_EL1 (switch_to_cpu_stack). exception_exit
 * restores a context and erets, leaving SP_EL1 past it again.
 *
 * A system call saves less (syscall_enter): x0-x21, x30 and the special
 * registers, not x22-x29. Those are callee-saved in the C++ handler, so
 * they still hold the caller's values when it returns, and the fast
 * return leaves them (and SP_EL0, ELR_EL1, SPSR_EL1, which nothing on that
 * path changes) in place. Whatever needs the whole context stores them
 * first (save_x22_x29): the slow return before C++ decides anything, the
 * other synchronous exceptions, and the handlers that hand the CPU to
 * another thread or read or rewrite their caller's context (the stubs at
 * the end, chosen per call by syscall/table.cpp). A handler that rewrites
 * its caller's saved registers, or a kernel exception taken during it
 * (which overwrites ELR_EL1 and SPSR_EL1), sets PerCpu::full_restore, and
 * the return restores everything from the context.
 *
 * Exceptions taken at EL1 (kernel faults) save a frame of the same layout on
 * the current stack and are reported by C++ (exception.cpp).
 *
 * All offsets come from asm_offsets.h, which is static_asserted against the
 * C++ structures. */
#include "arch/aarch64/asm_offsets.h"
#include "uapi/syscall_nr.h"
#include "uapi/errno.h"
#include "uapi/ipc.h"
#include "syscall/stubs.h"
#include "arch/aarch64/context_macros.h"

/* Exception kinds passed to C++; keep in sync with ExceptionKind in exception.h. */
#define KIND_SYNC 0
#define KIND_IRQ 1
#define KIND_FIQ 2
#define KIND_SERROR 3
#define FROM_EL1_SP0 0
#define FROM_EL1 4
#define FROM_EL0 8
#define FROM_EL0_32 12

.macro exception_enter
	sub	sp, sp, #CTX_SIZE
	save_x0_x29
	mrs	x21, sp_el0
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x30, x21, [sp, #CTX_X30]
	stp	x22, x23, [sp, #CTX_ELR]
.endm


/* The kernel-mode variant records the interrupted SP_EL1 in the sp slot. */
.macro kernel_enter
	sub	sp, sp, #CTX_SIZE
	save_x0_x29
	add	x21, sp, #CTX_SIZE
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x30, x21, [sp, #CTX_X30]
	stp	x22, x23, [sp, #CTX_ELR]
.endm

/* x19 keeps the context pointer and x20 this CPU's PerCpu across the C++
 * call (both callee-saved). */
.macro switch_to_cpu_stack
	mrs	x20, tpidr_el1
	ldr	x9, [x20, #PERCPU_CPU_STACK]
	mov	x19, sp
	mov	sp, x9
.endm

/* CPU time (sched/cpu_time.h): the ticks since this CPU's last stamp were
 * spent at EL0 (acct_enter, x19 = the context just saved) or in the kernel
 * (acct_exit, sp = the context about to resume): they go to that thread's
 * CpuTimes, which follow its ArchContext, and to this CPU's totals. x20 =
 * PerCpu; x9-x12 are free on both sides. One counter read each way. */
.macro acct_enter
	acct_enter_at x19
.endm

.macro acct_exit_at ctx
	mrs	x9, cntvct_el0
	ldp	x10, x11, [x20, #PERCPU_ACCT_STAMP]
	sub	x10, x9, x10
	add	x11, x11, x10
	stp	x9, x11, [x20, #PERCPU_ACCT_STAMP]
	ldr	x12, [\ctx, #CTX_TIMES_SYS]
	add	x12, x12, x10
	str	x12, [\ctx, #CTX_TIMES_SYS]
.endm

.macro acct_exit
	acct_exit_at sp
.endm

/* sp = the context to resume, x20 = this CPU's PerCpu (acct_exit). */
.macro exception_exit
	acct_exit
	ldp	x22, x23, [sp, #CTX_ELR]
	ldp	x30, x21, [sp, #CTX_X30]
	msr	sp_el0, x21
	msr	elr_el1, x22
	msr	spsr_el1, x23
	restore_x0_x29
	add	sp, sp, #CTX_SIZE
	eret
	dsb	nsh			/* never reached: stop straight-line speculation */
	isb
.endm

.macro vector_entry label
	.balign 0x80
	b	\label
.endm

/* A kernel-side exception that C++ decodes (and, for now, reports). */
.macro kernel_vector name, kind
\name:
	kernel_enter
	mov	x0, sp
	mov	x1, #\kind
	bl	handle_kernel_exception
	/* Returning means it was handled: resume the interrupted code. It
	 * overwrote ELR_EL1 and SPSR_EL1, so a system call under way must
	 * restore its caller's from the context (the top). */
	mov	sp, x0
	mrs	x9, tpidr_el1
	cbz	x9, kernel_exit
	mov	w10, #1
	strb	w10, [x9, #PERCPU_FULL_RESTORE]
	b	kernel_exit
.endm

.text
.balign 0x800
.global exception_vectors
exception_vectors:
	/* Current EL with SP_EL0: the kernel never runs on SP_EL0. */
	vector_entry	el1t_sync
	vector_entry	el1t_irq
	vector_entry	el1t_fiq
	vector_entry	el1t_serror
	/* Current EL with SP_ELx: exceptions in the kernel. */
	vector_entry	el1h_sync
	vector_entry	el1h_irq
	vector_entry	el1h_fiq
	vector_entry	el1h_serror
	/* Lower EL, AArch64: user space. A system call starts here, in the
	 * vector itself (see el0_svc). */
	.balign 0x80
	sub	sp, sp, #CTX_SIZE
	stp	x10, x11, [sp, #16 * 5]
	mrs	x10, esr_el1
	lsr	x11, x10, #12
	cmp	x11, #(ESR_SVC_HI12 >> 12), lsl #12
	b.eq	el0_svc
	/* `svc #0x1000` asks for IPC's fast path (ipc/fastpath.S) for
	 * ipc_call and ipc_return; any other call so marked is an ordinary one. */
	sub	x11, x11, #(ESR_SVC_HI12 >> 12), lsl #12
	cmp	x11, #(CHCORE_IPC_FAST_SVC >> 12)
	b.ne	el0_sync_not_svc
	cmp	x8, #CHCORE_SYS_ipc_call
	b.eq	ipc_fast_call
	cmp	x8, #CHCORE_SYS_ipc_return
	b.eq	ipc_fast_return
	b	el0_svc
	vector_entry	el0_irq
	vector_entry	el0_fiq
	vector_entry	el0_serror
	/* Lower EL, AArch32: never created, reported as a user fault. */
	vector_entry	el0_32_sync
	vector_entry	el0_32_irq
	vector_entry	el0_32_fiq
	vector_entry	el0_32_serror

kernel_vector	el1t_sync, (FROM_EL1_SP0 + KIND_SYNC)
kernel_vector	el1t_irq, (FROM_EL1_SP0 + KIND_IRQ)
kernel_vector	el1t_fiq, (FROM_EL1_SP0 + KIND_FIQ)
kernel_vector	el1t_serror, (FROM_EL1_SP0 + KIND_SERROR)
kernel_vector	el1h_sync, (FROM_EL1 + KIND_SYNC)
kernel_vector	el1h_irq, (FROM_EL1 + KIND_IRQ)
kernel_vector	el1h_fiq, (FROM_EL1 + KIND_FIQ)
kernel_vector	el1h_serror, (FROM_EL1 + KIND_SERROR)

kernel_exit:
	ldp	x22, x23, [sp, #CTX_ELR]
	ldr	x30, [sp, #CTX_X30]
	msr	elr_el1, x22
	msr	spsr_el1, x23
	restore_x0_x29
	add	sp, sp, #CTX_SIZE
	eret
	dsb	nsh
	isb

/* The system-call fast path: svc from EL0, number in x8, arguments in x0-x5
 * (still live: syscall_enter_rest only stores them). The vector (above)
 * saved x10 and x11 and looked at ESR_EL1: shifted right by 12 it is
 * (EC << 14 | IL << 13 | imm16 >> 12), 0x56000 for `svc #imm` with imm
 * below 0x1000, which is what system calls use. Anything else (other
 * exceptions, and `svc #0x1000`, IPC's fast path) went elsewhere. */
.global el0_svc
el0_svc:
	syscall_enter_rest
	switch_to_cpu_stack
	acct_enter
/* x19 = the caller's context, x20 = PerCpu, arguments in x0-x5, number in
 * x8; IPC's fast path comes here for what it does not handle. */
.global el0_svc_dispatch
el0_svc_dispatch:
	cmp	x8, #CHCORE_NR_SYSCALLS		/* bounds check before indexing */
	b.hs	el0_svc_enosys
	adrp	x16, syscall_table		/* page aligned: no :lo12: add */
	ldr	x16, [x16, x8, lsl #3]
	blr	x16
/* The one exit path, fast case: nothing asks this CPU to reschedule, no
 * hand-off happened and nothing rewrote the context, so the same thread
 * resumes with the result in x0. x21-x29 and the special registers still
 * hold its values; x1-x20 and x30 come back from the context. (Its saved
 * x0 goes stale, which nothing reads before the next entry saves it
 * again.) Otherwise el0_svc_slow. */
.global el0_svc_return
el0_svc_return:
	ldr	x9, [x20, #PERCPU_EXIT_WORK]
	cbnz	x9, el0_svc_slow
	add	sp, x19, #CTX_SIZE
	acct_exit_at x19
	ldr	x30, [sp, #CTX_X30 - CTX_SIZE]
	ldp	x1, x2, [sp, #8 + 16 * 0 - CTX_SIZE]
	ldp	x3, x4, [sp, #8 + 16 * 1 - CTX_SIZE]
	ldp	x5, x6, [sp, #8 + 16 * 2 - CTX_SIZE]
	ldp	x7, x8, [sp, #8 + 16 * 3 - CTX_SIZE]
	ldp	x9, x10, [sp, #8 + 16 * 4 - CTX_SIZE]
	ldp	x11, x12, [sp, #8 + 16 * 5 - CTX_SIZE]
	ldp	x13, x14, [sp, #8 + 16 * 6 - CTX_SIZE]
	ldp	x15, x16, [sp, #8 + 16 * 7 - CTX_SIZE]
	ldp	x17, x18, [sp, #8 + 16 * 8 - CTX_SIZE]
	ldp	x19, x20, [sp, #8 + 16 * 9 - CTX_SIZE]
	eret
	dsb	nsh
	isb

/* x9 = the exit work: need_resched (bits 0-31), switched (bit 32),
 * full_restore (bit 40). */
.global el0_svc_slow
el0_svc_slow:
	cbnz	w9, 2f
	tbz	x9, #32, 1f
	/* Only a hand-off (sched_switch_to, IPC): the handler settled the
	 * caller's result and loaded the new thread; resume it. The caller's
	 * context is complete (its stub stored x22-x29 before the hand-off). */
	str	wzr, [x20, #PERCPU_SWITCHED]	/* and full_restore */
	ldr	x9, [x20, #PERCPU_CUR_CTX]
	mov	sp, x9
	exception_exit
1:	/* Only full_restore: the same thread, its whole context. */
	save_x22_x29 x19
	strb	wzr, [x20, #PERCPU_FULL_RESTORE]
	str	x0, [x19]
	mov	sp, x19
	exception_exit
2:	/* C++ decides (syscall_exit_slow -> sched_exit_to_user) and returns
	 * the context to resume, perhaps another thread's. Unless the handler
	 * already handed the CPU over (then the caller may be running
	 * elsewhere, its context complete), the caller's context is completed
	 * first: it may be switched away from, or get a signal frame. */
	tbnz	x9, #32, 3f
	save_x22_x29 x19
3:	mov	x1, x0
	mov	x0, x19
	bl	syscall_exit_slow
	mov	sp, x0
	exception_exit

el0_svc_enosys:
	mov	x0, #-CHCORE_ENOSYS
	b	el0_svc_return

/* Not a plain system call (x10 and x11 saved). An `svc` with another
 * immediate is a system call all the same; any other synchronous exception
 * goes to C++, which decides and returns the context to resume (so the
 * whole context is saved). A data abort (a page fault, usually the first
 * touch of a page or a copy-on-write) goes straight to its handler. */
el0_sync_not_svc:
	syscall_enter_rest
	switch_to_cpu_stack
	acct_enter
	mrs	x10, esr_el1
	lsr	x9, x10, #ESR_EC_SHIFT
	cmp	x9, #ESR_EC_SVC64
	b.eq	el0_svc_dispatch
	save_x22_x29 x19
	cmp	x9, #ESR_EC_DABT_LOW
	b.ne	1f
	mov	x0, x19
	mov	x1, x10
	mrs	x2, far_el1
	bl	handle_user_data_abort
	mov	sp, x0
	exception_exit
1:	mov	x0, x19
	mov	x1, #(FROM_EL0 + KIND_SYNC)
	bl	handle_user_exception
	mov	sp, x0
	exception_exit

/* Handlers that need more of their caller's context than syscall_enter
 * saved; syscall/table.cpp points the table at these for them, and the
 * stub goes on to syscall_body_<name> (the handler's thunk). x19 = the
 * caller's context, x20 = PerCpu, both callee-saved.
 *
 * syscall_handoff_<name>: the handler may hand the CPU to another thread
 * (sched_switch_to, sched_ipc_switch: yield, IPC's connect, accept, call
 * and return), after which another CPU may run the caller: its context
 * must be complete before the handler runs. */
.macro syscall_handoff name
.global syscall_handoff_\name
syscall_handoff_\name:
	save_x22_x29 x19
	b	syscall_body_\name
.endm

/* syscall_ctx_<name>: the handler reads the caller's whole context (fork
 * copies it) or rewrites it (sigreturn): stored before, loaded back after,
 * and restored in full. */
.macro syscall_ctx name
.global syscall_ctx_\name
syscall_ctx_\name:
	save_x22_x29 x19
	mov	x22, x30
	bl	syscall_body_\name
	mov	x30, x22
	load_x22_x29 x19
	mov	w9, #1
	strb	w9, [x20, #PERCPU_FULL_RESTORE]
	ret
.endm

#define STUB_HANDOFF(name) syscall_handoff name;
#define STUB_CTX(name) syscall_ctx name;
CHCORE_SYSCALL_STUBS(STUB_HANDOFF, STUB_CTX)
#undef STUB_HANDOFF
#undef STUB_CTX

.macro user_vector name, kind
\name:
	exception_enter
	switch_to_cpu_stack
	acct_enter
	mov	x0, x19
	mov	x1, #\kind
	bl	handle_user_exception
	mov	sp, x0
	exception_exit
.endm

user_vector	el0_irq, (FROM_EL0 + KIND_IRQ)
user_vector	el0_fiq, (FROM_EL0 + KIND_FIQ)
user_vector	el0_serror, (FROM_EL0 + KIND_SERROR)
user_vector	el0_32_sync, (FROM_EL0_32 + KIND_SYNC)
user_vector	el0_32_irq, (FROM_EL0_32 + KIND_IRQ)
user_vector	el0_32_fiq, (FROM_EL0_32 + KIND_FIQ)
user_vector	el0_32_serror, (FROM_EL0_32 + KIND_SERROR)

/* void eret_to_context(ArchContext *ctx): enter a context for the first time
 * (or after a switch). Never returns. */
.global eret_to_context
eret_to_context:
	mrs	x20, tpidr_el1
	mov	sp, x0
	exception_exit

/* Records the caller's callee-saved registers and SP as this CPU's resume
 * point (PerCpu.resume); arch_resume_kernel(value) returns there. x9 =
 * PerCpu afterwards. */
.macro save_resume_point
	mrs	x9, tpidr_el1
	add	x10, x9, #PERCPU_RESUME
	stp	x19, x20, [x10, #16 * 0]
	stp	x21, x22, [x10, #16 * 1]
	stp	x23, x24, [x10, #16 * 2]
	stp	x25, x26, [x10, #16 * 3]
	stp	x27, x28, [x10, #16 * 4]
	stp	x29, x30, [x10, #16 * 5]
	mov	x11, sp
	mov	x12, #1
	stp	x11, x12, [x10, #16 * 6]
.endm

/* i64 arch_run_user(ArchContext *ctx): run ctx at EL0 until kernel code calls
 * arch_resume_kernel(value); returns that value. Must be called on a stack
 * other than this CPU's exception stack, which the EL0 exceptions reuse. */
.global arch_run_user
arch_run_user:
	save_resume_point
	str	x0, [x9, #PERCPU_CUR_CTX]
	mov	x20, x9
	mov	sp, x0
	exception_exit

/* void arch_enter_scheduler(void (*fn)(void)): records the resume point and
 * jumps to fn (the scheduler), which erets into threads; it returns here
 * through arch_resume_kernel when no thread is runnable. Same stack rule as
 * arch_run_user. */
.global arch_enter_scheduler
arch_enter_scheduler:
	save_resume_point
	br	x0

/* [[noreturn]] void arch_resume_kernel(i64 value) */
.global arch_resume_kernel
arch_resume_kernel:
	mrs	x9, tpidr_el1
	add	x10, x9, #PERCPU_RESUME
	ldp	x19, x20, [x10, #16 * 0]
	ldp	x21, x22, [x10, #16 * 1]
	ldp	x23, x24, [x10, #16 * 2]
	ldp	x25, x26, [x10, #16 * 3]
	ldp	x27, x28, [x10, #16 * 4]
	ldp	x29, x30, [x10, #16 * 5]
	ldr	x11, [x10, #16 * 6]
	str	xzr, [x10, #16 * 6 + 8]
	mov	sp, x11
	ret
