// Per-CPU data, found through TPIDR_EL1.
#pragma once
#include "arch/aarch64/context.h"
#include "lib/types.h"

namespace kern {

// Callee-saved state of kernel code that entered EL0 through arch_run_user();
// arch_resume_kernel() returns there. Used by in-kernel tests that run EL0
// code before processes exist.
struct KernelResume {
  u64 x19_x30[12];
  u64 sp;
  u64 active;
};

struct alignas(64) PerCpu {
  ArchContext* cur_ctx;  // context of the thread this CPU runs at EL0
  u64 cpu_stack;         // top of this CPU's exception stack
  u64 cpu_id;            // logical CPU number, 0 = boot CPU
  KernelResume resume;
  u64 mpidr;
  void* vmspace;  // VmSpace in TTBR0, or nullptr
  void* current;  // Thread running on this CPU, or nullptr
  // The exit path's work, which vectors.S reads as one u64 on every
  // system-call return (sched/sched.h):
  // need_resched: set (under the scheduler lock) when the exit to user space
  //   must make a scheduling decision: a better thread became runnable here,
  //   the slice ended, the current thread blocked, exited or was killed;
  // switched: the handler already handed this CPU to another thread
  //   (sched_switch_to): resume cur_ctx, not the caller's context;
  // full_restore: the caller's saved registers were rewritten (ctx_rewritten)
  //   or a kernel exception overwrote ELR_EL1/SPSR_EL1: restore them all
  //   (the fast return restores only x1-x20 and x30; vectors.S).
  u32 need_resched;
  u8 switched;
  u8 full_restore;
  u16 exit_work_pad;
  // CPU time (sched/cpu_time.h): counter ticks this CPU spent at EL0 and in
  // the kernel on behalf of threads, and the counter at its last kernel
  // entry or exit from EL0 (or switch). Only this CPU writes them.
  u64 acct_user;
  u64 acct_stamp;
  u64 acct_sys;
  volatile u32 online;
  // Lazy FP/SIMD switching (sched/user_state.h): the thread whose FP/SIMD
  // state this CPU's registers hold, and whether EL0 may use them now
  // (CPACR_EL1.FPEN: only while fp_owner runs). Only this CPU changes them,
  // except that an exiting thread is removed as owner everywhere (under the
  // scheduler lock).
  void* fp_owner;
  u32 fp_enabled;
  // This CPU's scheduler state (sched.cpp's CpuSched), set by
  // sched_init_this_cpu: one load instead of indexing an array by cpu_id.
  void* sched;
};

static_assert(__builtin_offsetof(PerCpu, cur_ctx) == PERCPU_CUR_CTX);
static_assert(__builtin_offsetof(PerCpu, cpu_stack) == PERCPU_CPU_STACK);
static_assert(__builtin_offsetof(PerCpu, cpu_id) == PERCPU_CPU_ID);
static_assert(__builtin_offsetof(PerCpu, resume) == PERCPU_RESUME);
static_assert(__builtin_offsetof(PerCpu, need_resched) == PERCPU_NEED_RESCHED);
static_assert(__builtin_offsetof(PerCpu, need_resched) == PERCPU_EXIT_WORK);
static_assert(__builtin_offsetof(PerCpu, switched) == PERCPU_SWITCHED);
static_assert(__builtin_offsetof(PerCpu, full_restore) == PERCPU_FULL_RESTORE);
static_assert(PERCPU_SWITCHED == PERCPU_EXIT_WORK + 4 && PERCPU_FULL_RESTORE == PERCPU_EXIT_WORK + 5,
              "bits 32 and 40 of the exit work (vectors.S)");
static_assert(__builtin_offsetof(PerCpu, acct_user) == PERCPU_ACCT_USER);
static_assert(__builtin_offsetof(PerCpu, acct_stamp) == PERCPU_ACCT_STAMP);
static_assert(__builtin_offsetof(PerCpu, acct_sys) == PERCPU_ACCT_SYS);
static_assert(PERCPU_ACCT_STAMP == PERCPU_ACCT_USER + 8 && PERCPU_ACCT_SYS == PERCPU_ACCT_STAMP + 8,
              "pairs loaded with ldp");
static_assert(__builtin_offsetof(PerCpu, vmspace) == PERCPU_VMSPACE);
static_assert(__builtin_offsetof(PerCpu, current) == PERCPU_CURRENT);
static_assert(__builtin_offsetof(PerCpu, fp_owner) == PERCPU_FP_OWNER);
static_assert(__builtin_offsetof(PerCpu, fp_enabled) == PERCPU_FP_ENABLED);
static_assert(PERCPU_EXIT_WORK % 8 == 0, "read with one aligned 64-bit load");
static_assert(sizeof(PerCpu) <= PERCPU_SIZE);

inline constexpr u32 kMaxCpus = CHCORE_MAX_CPUS;

extern PerCpu g_per_cpu[kMaxCpus];

#if defined(__aarch64__)
// TPIDR_EL1 is set once per CPU, by percpu_init_this_cpu(), which head.S
// calls before any C++ code of that CPU runs, and a kernel entry never
// moves to another CPU (per-CPU stacks: nothing blocks in the kernel). So
// the value never changes under C++ code, and the read is a pure asm the
// compiler may reuse or move freely (no volatile, no memory operand).
inline PerCpu* this_cpu() {
  PerCpu* p;
  asm("mrs %0, tpidr_el1" : "=r"(p));
  return p;
}
#endif

}  // namespace kern
