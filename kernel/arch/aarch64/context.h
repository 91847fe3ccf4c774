// The register frame saved on every exception.
#pragma once
#include "arch/aarch64/asm_offsets.h"
#include "lib/types.h"

namespace kern {

// The user-visible register state of a thread, in the order exception_enter
// stores it (vectors.S). For a frame taken from EL1 (a kernel fault) the `sp`
// slot holds the interrupted SP_EL1 instead of SP_EL0.
struct ArchContext {
  u64 x[31];
  u64 sp;
  u64 elr;
  u64 spsr;
};

static_assert(__builtin_offsetof(ArchContext, x) == CTX_X0);
static_assert(__builtin_offsetof(ArchContext, x[30]) == CTX_X30);
static_assert(__builtin_offsetof(ArchContext, sp) == CTX_SP);
static_assert(__builtin_offsetof(ArchContext, elr) == CTX_ELR);
static_assert(__builtin_offsetof(ArchContext, spsr) == CTX_SPSR);
static_assert(sizeof(ArchContext) == CTX_SIZE);
// exception_enter moves SP_EL1 down by the frame size; SP must stay 16-byte aligned.
static_assert(CTX_SIZE % 16 == 0);

// CPU time a thread has used, in counter ticks (sched/cpu_time.h): at EL0,
// and in the kernel. It follows the thread's ArchContext in memory (the
// entry and exit paths add to it through the context pointer), so every
// context that EL0 runs on is followed by one.
struct CpuTimes {
  u64 user;
  u64 sys;
};
// A context with its times: what EL0 code that is not a thread runs on
// (the in-kernel tests).
struct ArchContextWithTimes {
  ArchContext ctx;
  CpuTimes times;
};
static_assert(__builtin_offsetof(ArchContextWithTimes, times) == CTX_TIMES_USER);
static_assert(__builtin_offsetof(ArchContextWithTimes, times.sys) == CTX_TIMES_SYS);

// SPSR values for entering a context.
inline constexpr u64 kSpsrEl0t = 0x0;      // EL0, AArch64, interrupts unmasked
inline constexpr u64 kSpsrEl1hMasked = 0x3c5;  // EL1h, DAIF all masked

}  // namespace kern
