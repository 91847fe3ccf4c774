/* Offsets and constants shared between assembly and C++.
 *
 * Assembly cannot see C++ struct layouts, so the numbers live here as plain
 * macros, and context.h / per_cpu.h static_assert every one of them against
 * offsetof() of the real definitions. Change a struct and the build breaks
 * until this file agrees: the two can never drift apart silently. */
#ifndef CHCORE_ARCH_ASM_OFFSETS_H
#define CHCORE_ARCH_ASM_OFFSETS_H

/* struct ArchContext: x0..x30, then SP_EL0, ELR_EL1, SPSR_EL1. */
#define CTX_X0 0
#define CTX_X30 (30 * 8)
#define CTX_SP (31 * 8)
#define CTX_ELR (32 * 8)
#define CTX_SPSR (33 * 8)
#define CTX_SIZE (34 * 8)
/* struct Thread: its CpuTimes (user, system ticks) right after its
 * ArchContext, so the entry and exit reach them from the context pointer. */
#define CTX_TIMES_USER (CTX_SIZE)
#define CTX_TIMES_SYS (CTX_SIZE + 8)

/* struct PerCpu (pointed to by TPIDR_EL1). */
#define PERCPU_CUR_CTX 0
#define PERCPU_CPU_STACK 8
#define PERCPU_CPU_ID 16
#define PERCPU_RESUME 24 /* struct KernelResume: x19..x30, sp */
#define PERCPU_NEED_RESCHED 160 /* u32: the exit path must reschedule */
#define PERCPU_SWITCHED 164     /* u8: a handler handed the CPU over */
#define PERCPU_FULL_RESTORE 165 /* u8: the return restores the whole context */
#define PERCPU_EXIT_WORK 160    /* u64: the three above, read at once */
/* CPU-time accounting (sched/cpu_time.h): this CPU's user ticks, the
 * counter at its last kernel entry or exit, its system ticks. */
#define PERCPU_ACCT_USER 168
#define PERCPU_ACCT_STAMP 176
#define PERCPU_ACCT_SYS 184
#define PERCPU_SIZE 256

#define KERNEL_VA_OFFSET 0xffff000000000000
#define KSTACK_SIZE 0x4000
#define KSTACK_SHIFT 14
#define CHCORE_MAX_CPUS 8

/* ESR_EL1 exception classes used by the entry path. */
#define ESR_EC_SHIFT 26
#define ESR_EC_SVC64 0x15
#define ESR_EC_DABT_LOW 0x24

#endif
