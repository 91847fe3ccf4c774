/* Assembler macros that save and load an ArchContext (context.h, offsets
 * from asm_offsets.h): shared by the exception entry and exit
 * (vectors.S) and IPC's fast path (ipc/fastpath.S). Assembly only. */
#ifndef CHCORE_ARCH_CONTEXT_MACROS_H
#define CHCORE_ARCH_CONTEXT_MACROS_H

#include "arch/aarch64/asm_offsets.h"

/* x0-x21 to the frame at \base (ArchContext.x[0..21]), in pairs. */
.macro save_x0_x21 base
	stp	x0, x1, [\base, #16 * 0]
	stp	x2, x3, [\base, #16 * 1]
	stp	x4, x5, [\base, #16 * 2]
	stp	x6, x7, [\base, #16 * 3]
	stp	x8, x9, [\base, #16 * 4]
	stp	x10, x11, [\base, #16 * 5]
	stp	x12, x13, [\base, #16 * 6]
	stp	x14, x15, [\base, #16 * 7]
	stp	x16, x17, [\base, #16 * 8]
	stp	x18, x19, [\base, #16 * 9]
	stp	x20, x21, [\base, #16 * 10]
.endm

/* The rest, x22-x29: completes a context that syscall_enter_rest saved. */
.macro save_x22_x29 base
	stp	x22, x23, [\base, #16 * 11]
	stp	x24, x25, [\base, #16 * 12]
	stp	x26, x27, [\base, #16 * 13]
	stp	x28, x29, [\base, #16 * 14]
.endm

.macro load_x22_x29 base
	ldp	x22, x23, [\base, #16 * 11]
	ldp	x24, x25, [\base, #16 * 12]
	ldp	x26, x27, [\base, #16 * 13]
	ldp	x28, x29, [\base, #16 * 14]
.endm

/* x0-x29 to the frame at sp. */
.macro save_x0_x29
	save_x0_x21 sp
	save_x22_x29 sp
.endm

/* x8-x21 from the frame at \base. */
.macro load_x8_x21 base
	ldp	x8, x9, [\base, #16 * 4]
	ldp	x10, x11, [\base, #16 * 5]
	ldp	x12, x13, [\base, #16 * 6]
	ldp	x14, x15, [\base, #16 * 7]
	ldp	x16, x17, [\base, #16 * 8]
	ldp	x18, x19, [\base, #16 * 9]
	ldp	x20, x21, [\base, #16 * 10]
.endm

/* x2-x29; x0 and x1 are the callers' choice (exception_exit). */
.macro restore_x2_x29
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	load_x8_x21 sp
	load_x22_x29 sp
.endm

.macro restore_x0_x29
	ldp	x0, x1, [sp, #16 * 0]
	restore_x2_x29
.endm

/* The synchronous entry from EL0 (see the top), after its vector saved x10
 * and x11 to look at ESR_EL1: the rest of x0-x21 and the special
 * registers; x22-x29 stay live. x9-x11 are saved before they serve as
 * scratch. */
.macro syscall_enter_rest
	stp	x0, x1, [sp, #16 * 0]
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	mrs	x9, sp_el0
	mrs	x10, elr_el1
	mrs	x11, spsr_el1
	stp	x30, x9, [sp, #CTX_X30]
	stp	x10, x11, [sp, #CTX_ELR]
.endm

/* CPU time on entry from EL0 (sched/cpu_time.h): the ticks since this
 * CPU's last stamp were spent at EL0 by the thread whose context is at
 * \ctx: to its CpuTimes and this CPU's user total; the stamp becomes now.
 * x20 = PerCpu; x9-x11 scratch. */
.macro acct_enter_at ctx
	mrs	x9, cntvct_el0
	ldp	x10, x11, [x20, #PERCPU_ACCT_USER]
	sub	x11, x9, x11
	add	x10, x10, x11
	stp	x10, x9, [x20, #PERCPU_ACCT_USER]
	ldr	x10, [\ctx, #CTX_TIMES_USER]
	add	x10, x10, x11
	str	x10, [\ctx, #CTX_TIMES_USER]
.endm

#endif
