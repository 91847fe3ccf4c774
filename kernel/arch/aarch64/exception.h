// Decoding of exceptions (ESR_EL1) and the C++ side of the vectors.
#pragma once
#include "arch/aarch64/context.h"
#include "lib/types.h"

namespace kern {

// Matches the kind numbers vectors.S passes (FROM_* + KIND_*).
enum class ExceptionKind : u64 { Sync = 0, Irq = 1, Fiq = 2, SError = 3 };
enum class ExceptionOrigin : u64 { El1Sp0 = 0, El1 = 4, El0 = 8, El0Aarch32 = 12 };

// Exception classes (ESR_EL1.EC) the kernel names.
namespace esr {
inline constexpr u32 kUnknown = 0x00, kWfx = 0x01, kFpAccess = 0x07, kIllegalState = 0x0e,
                     kSvc64 = 0x15, kSysReg = 0x18, kInstAbortLower = 0x20,
                     kInstAbortSame = 0x21, kPcAlign = 0x22, kDataAbortLower = 0x24,
                     kDataAbortSame = 0x25, kSpAlign = 0x26, kFpException = 0x2c,
                     kSError = 0x2f, kBrk = 0x3c;
inline constexpr u32 ec(u64 esr) { return (esr >> 26) & 0x3f; }
inline constexpr u32 iss(u64 esr) { return esr & 0x1ffffff; }
}  // namespace esr

// "Data Abort (current EL)", ... ; "Unknown exception class" for reserved ones.
const char* exception_class_name(u32 ec);
// For aborts, a short description of the fault status code, e.g.
// "translation fault, level 3"; nullptr for other classes.
void describe_abort(u64 esr, char* buf, usize size);

// Prints the panic report for an exception taken in the kernel.
void report_kernel_exception(const ArchContext& frame, u64 esr, u64 far, ExceptionKind kind);

}  // namespace kern

extern "C" kern::ArchContext* handle_kernel_exception(kern::ArchContext* frame, u64 kind);
extern "C" kern::ArchContext* handle_user_exception(kern::ArchContext* ctx, u64 kind);
