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

#define PERCPU_VMSPACE 144   /* the VmSpace in TTBR0 */
#define PERCPU_CURRENT 152   /* the Thread running here */
#define PERCPU_FP_OWNER 200  /* whose FP/SIMD state the registers hold */
#define PERCPU_FP_ENABLED 208 /* u32: EL0 may use FP/SIMD now */

/* IPC's fast path (ipc/fastpath.S), static_asserted in ipc/ipc.cpp and
 * object/cap_table.cpp. */
#define OBJ_TYPE 0      /* u8 ObjType */
#define OBJ_REFCOUNT 4  /* u32 */
#define OBJ_CONNECTION 5 /* ObjType::Connection */
#define THREAD_CTX 16
#define THREAD_FP 304      /* FpState (arch_fpu_save's layout) */
#define THREAD_TPIDR 832
#define THREAD_GROUP 840
#define THREAD_STATE 848   /* u8 ThreadState; with on_cpu (849) one halfword */
#define THREAD_SC 928
#define THREAD_OWN_SC 936
#define THREAD_CPU 952     /* u32 */
#define THREAD_FP_CPU 956  /* u32 */
#define THREAD_FP_LIVE 960 /* bool */
#define THREAD_KILL 961    /* bool kill_pending */
#define THREAD_FP_EAGER 962 /* u8 */
#define THREAD_BY_WAKER 976 /* bool result_by_waker */
#define THREAD_IPC_PORT 1032
#define THREAD_SIG_PENDING 1048
#define THREAD_SIG_INTERRUPTED 2890 /* bool */
#define TS_RUNNING 2       /* ThreadState values */
#define TS_BLOCKED 3
#define TS_IPCIDLE 5
#define GROUP_CAPS_SLOTS 24    /* CapGroup::caps.slots_ (Cap**) */
#define GROUP_CAPS_CAPACITY 32 /* u32 */
#define GROUP_TTBR0 184        /* CapGroup::vmspace.ttbr0_ */
#define GROUP_VMSPACE 88
#define GROUP_PID 200          /* u64 CapGroup::pid */
#define GROUP_SIG_PENDING 2512
#define GROUP_SIG_STOPPED 2520 /* bool */
#define CAP_OBJ 0
#define CAP_RIGHTS 8           /* u32 */
#define PORT_CALLER 16         /* IpcPort: caller, inflight (a pair) */
#define PORT_PENDING 32
#define PORT_NWAITERS 40       /* u32 */
#define PORT_ENTRY 80          /* entry, stack_top (a pair) */
#define PORT_BADGE 96
#define PORT_BUF_SIZE 104
#define PORT_THREAD 120
#define CONN_PORT 16           /* Connection::port */
/* ipc_fast_tail's flags */
#define IPC_TAIL_NEXT_WORK 1
#define IPC_TAIL_PREV_STOPPED 2
#define IPC_TAIL_WAKE 4

#define KERNEL_VA_OFFSET 0xffff000000000000
#define KSTACK_SIZE 0x4000
#define KSTACK_SHIFT 14
#define CHCORE_MAX_CPUS 8

/* ESR_EL1 exception classes used by the entry path. */
#define ESR_EC_SHIFT 26
#define ESR_EC_SVC64 0x15
#define ESR_EC_DABT_LOW 0x24
/* ESR_EL1 >> 12 of `svc #imm` from AArch64 with imm < 0x1000 (EC, IL set). */
#define ESR_SVC_HI12 0x56000

#endif
