// The exception frame and per-CPU layouts that vectors.S relies on. The
// kernel build static_asserts the same facts; this test documents them and
// checks the properties the assembly assumes beyond plain offsets.
#include <gtest/gtest.h>

#include <cstddef>

#include "arch/aarch64/asm_offsets.h"
#include "arch/aarch64/context.h"
#include "arch/aarch64/per_cpu.h"

using kern::ArchContext;
using kern::PerCpu;

TEST(ExceptionFrame, HoldsThirtyFourRegisters) {
  EXPECT_EQ(sizeof(ArchContext), 34u * 8);
  EXPECT_EQ(CTX_SIZE, 34 * 8);
}

TEST(ExceptionFrame, GeneralRegistersComeFirstInOrder) {
  for (int i = 0; i < 31; i++)
    EXPECT_EQ(offsetof(ArchContext, x) + i * sizeof(u64), static_cast<size_t>(i * 8)) << "x" << i;
  EXPECT_EQ(offsetof(ArchContext, x[30]), static_cast<size_t>(CTX_X30));
}

TEST(ExceptionFrame, SystemRegistersFollow) {
  EXPECT_EQ(offsetof(ArchContext, sp), static_cast<size_t>(CTX_SP));
  EXPECT_EQ(offsetof(ArchContext, elr), static_cast<size_t>(CTX_ELR));
  EXPECT_EQ(offsetof(ArchContext, spsr), static_cast<size_t>(CTX_SPSR));
}

TEST(ExceptionFrame, PairedStoresLineUp) {
  // vectors.S stores x30 with SP_EL0 and ELR with SPSR using stp: each pair
  // must be adjacent and the pair 16-byte aligned within the frame.
  EXPECT_EQ(CTX_SP, CTX_X30 + 8);
  EXPECT_EQ(CTX_SPSR, CTX_ELR + 8);
  EXPECT_EQ(CTX_X30 % 16, 0);
  EXPECT_EQ(CTX_ELR % 16, 0);
  // SP_EL1 moves down by the frame size and must stay 16-byte aligned.
  EXPECT_EQ(CTX_SIZE % 16, 0);
}

TEST(PerCpu, FieldsTheAssemblyReads) {
  EXPECT_EQ(offsetof(PerCpu, cur_ctx), static_cast<size_t>(PERCPU_CUR_CTX));
  EXPECT_EQ(offsetof(PerCpu, cpu_stack), static_cast<size_t>(PERCPU_CPU_STACK));
  EXPECT_EQ(offsetof(PerCpu, resume), static_cast<size_t>(PERCPU_RESUME));
  // arch_run_user stores x19..x30 then sp and the active flag in 16-byte pairs.
  EXPECT_EQ(sizeof(kern::KernelResume), 14u * 8);
  EXPECT_EQ(offsetof(kern::KernelResume, sp), 12u * 8);
  EXPECT_LE(sizeof(PerCpu), static_cast<size_t>(PERCPU_SIZE));
}

TEST(KernelStacks, SizeMatchesShift) { EXPECT_EQ(KSTACK_SIZE, 1 << KSTACK_SHIFT); }
