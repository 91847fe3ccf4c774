// FP/SIMD register state of a user thread.
//
// The kernel itself never touches FP/SIMD (-mgeneral-regs-only), so the
// registers survive every exception untouched; they only need saving when
// the CPU switches to another thread. We save and restore them eagerly on
// every switch (fpu.S): 528 bytes each way, simpler than lazy trapping and
// cheaper than it once most threads use SIMD (musl's memcpy does).
#pragma once
#include "lib/types.h"

namespace kern {

struct alignas(16) FpState {
  u64 q[64];  // q0..q31, 128 bits each
  u64 fpcr;
  u64 fpsr;
};

}  // namespace kern

extern "C" {
void arch_fpu_save(kern::FpState* s);
void arch_fpu_restore(const kern::FpState* s);
}
