/* Register-level helpers for the ABI tests; see regs.h for the layouts. */
#include <uapi/syscall_nr.h>

/* Pairs of registers with the offsets of their slots in struct regs. */
#define QPAIRS(op, base) \
	op q0, q1, [base, #0]; \
	op q2, q3, [base, #32]; \
	op q4, q5, [base, #64]; \
	op q6, q7, [base, #96]; \
	op q8, q9, [base, #128]; \
	op q10, q11, [base, #160]; \
	op q12, q13, [base, #192]; \
	op q14, q15, [base, #224]; \
	op q16, q17, [base, #256]; \
	op q18, q19, [base, #288]; \
	op q20, q21, [base, #320]; \
	op q22, q23, [base, #352]; \
	op q24, q25, [base, #384]; \
	op q26, q27, [base, #416]; \
	op q28, q29, [base, #448]; \
	op q30, q31, [base, #480];
#define XPAIRS_2_9(op, base) \
	op x2, x3, [base, #16]; \
	op x4, x5, [base, #32]; \
	op x6, x7, [base, #48]; \
	op x8, x9, [base, #64];
#define XPAIRS_10_29(op, base) \
	op x10, x11, [base, #80]; \
	op x12, x13, [base, #96]; \
	op x14, x15, [base, #112]; \
	op x16, x17, [base, #128]; \
	op x18, x19, [base, #144]; \
	op x20, x21, [base, #160]; \
	op x22, x23, [base, #176]; \
	op x24, x25, [base, #192]; \
	op x26, x27, [base, #208]; \
	op x28, x29, [base, #224];

#define OFF_SP 248
#define OFF_FPCR 256
#define OFF_FPSR 264
#define OFF_SP_BEFORE 272
#define OFF_Q 288
#define OFF_TPIDR 256
#define OFF_DUMP_FPCR 264
#define OFF_DUMP_FPSR 272
#define OFF_DONE 280

/* Frame: x29/x30, x19-x28, d8-d15, out pointer, caller's FPCR, 2 scratch. */
#define FRAME 192
#define F_OUT 160
#define F_FPCR 168
#define F_SCRATCH 176

	.text

.macro REGS_PROBE name, imm
	.global	\name
	.type	\name, %function
	.p2align 2
\name:
	sub	sp, sp, #FRAME
	stp	x29, x30, [sp, #0]
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	str	x1, [sp, #F_OUT]
	mrs	x2, fpcr
	str	x2, [sp, #F_FPCR]
	mov	x2, sp
	str	x2, [x1, #OFF_SP_BEFORE]

	mov	x9, x0
	add	x10, x9, #OFF_Q
	QPAIRS(ldp, x10)
	ldr	x10, [x9, #OFF_FPCR]
	msr	fpcr, x10
	ldr	x10, [x9, #OFF_FPSR]
	msr	fpsr, x10
	ldp	x0, x1, [x9, #0]
	ldp	x2, x3, [x9, #16]
	ldp	x4, x5, [x9, #32]
	ldp	x6, x7, [x9, #48]
	ldr	x8, [x9, #64]
	XPAIRS_10_29(ldp, x9)
	ldr	x30, [x9, #240]
	ldr	x9, [x9, #72]

	svc	#\imm

	stp	x0, x1, [sp, #F_SCRATCH]
	ldr	x0, [sp, #F_OUT]
	XPAIRS_2_9(stp, x0)
	XPAIRS_10_29(stp, x0)
	str	x30, [x0, #240]
	mov	x1, sp
	str	x1, [x0, #OFF_SP]
	ldp	x2, x3, [sp, #F_SCRATCH]
	stp	x2, x3, [x0, #0]
	mrs	x2, fpcr
	str	x2, [x0, #OFF_FPCR]
	mrs	x2, fpsr
	str	x2, [x0, #OFF_FPSR]
	add	x1, x0, #OFF_Q
	QPAIRS(stp, x1)

	ldr	x2, [sp, #F_FPCR]
	msr	fpcr, x2
	ldr	x0, [x0, #0]
	ldp	x29, x30, [sp, #0]
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #FRAME
	ret
	.size	\name, . - \name
.endm

/* long regs_probe(const struct regs *in, struct regs *out) */
REGS_PROBE regs_probe, 0
/* The same with `svc #0x1000` (IPC's fast path, uapi/ipc.h). */
REGS_PROBE regs_probe_ipc_fast, 0x1000

/* Thread entry: ends the thread at once. */
	.global	regs_exit_thread
	.type	regs_exit_thread, %function
	.p2align 2
regs_exit_thread:
	mov	x8, #CHCORE_SYS_thread_exit
	svc	#0
	b	regs_exit_thread
	.size	regs_exit_thread, . - regs_exit_thread

/* Thread entry: x0 -> struct thread_dump. Records the registers the thread
 * started with, then sets done and ends the thread. */
	.global	regs_dump_thread
	.type	regs_dump_thread, %function
	.p2align 2
regs_dump_thread:
	str	x0, [x0, #0]
	str	x1, [x0, #8]
	XPAIRS_2_9(stp, x0)
	XPAIRS_10_29(stp, x0)
	str	x30, [x0, #240]
	mov	x1, sp
	str	x1, [x0, #OFF_SP]
	mrs	x1, tpidr_el0
	str	x1, [x0, #OFF_TPIDR]
	mrs	x1, fpcr
	str	x1, [x0, #OFF_DUMP_FPCR]
	mrs	x1, fpsr
	str	x1, [x0, #OFF_DUMP_FPSR]
	add	x1, x0, #OFF_Q
	QPAIRS(stp, x1)
	mov	x1, #1
	add	x2, x0, #OFF_DONE
	stlr	x1, [x2]
1:	mov	x8, #CHCORE_SYS_thread_exit
	svc	#0
	b	1b
	.size	regs_dump_thread, . - regs_dump_thread

	.section .note.GNU-stack, "", %progbits
