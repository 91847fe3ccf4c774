// Names for exception classes and abort status codes (Arm ARM, ESR_EL1).
#include "arch/aarch64/exception.h"
#include "lib/format.h"

namespace kern {

const char* exception_class_name(u32 ec) {
  switch (ec) {
    case esr::kUnknown: return "Unknown reason (undefined instruction)";
    case esr::kWfx: return "Trapped WFI/WFE";
    case esr::kFpAccess: return "Trapped FP/SIMD access";
    case esr::kIllegalState: return "Illegal execution state";
    case esr::kSvc64: return "SVC (AArch64)";
    case esr::kSysReg: return "Trapped MSR/MRS/system instruction";
    case esr::kInstAbortLower: return "Instruction Abort (lower EL)";
    case esr::kInstAbortSame: return "Instruction Abort (current EL)";
    case esr::kPcAlign: return "PC alignment fault";
    case esr::kDataAbortLower: return "Data Abort (lower EL)";
    case esr::kDataAbortSame: return "Data Abort (current EL)";
    case esr::kSpAlign: return "SP alignment fault";
    case esr::kFpException: return "Floating-point exception";
    case esr::kSError: return "SError interrupt";
    case 0x30: return "Breakpoint (lower EL)";
    case 0x31: return "Breakpoint (current EL)";
    case 0x32: return "Software step (lower EL)";
    case 0x33: return "Software step (current EL)";
    case 0x34: return "Watchpoint (lower EL)";
    case 0x35: return "Watchpoint (current EL)";
    case esr::kBrk: return "BRK instruction";
    default: return "Unknown exception class";
  }
}

void describe_abort(u64 esr_val, char* buf, usize size) {
  u32 ec = esr::ec(esr_val);
  bool data = ec == esr::kDataAbortLower || ec == esr::kDataAbortSame;
  bool inst = ec == esr::kInstAbortLower || ec == esr::kInstAbortSame;
  if (!data && !inst) {
    snprintf(buf, size, "ISS 0x%x", esr::iss(esr_val));
    return;
  }
  u32 fsc = esr_val & 0x3f;
  u32 level = fsc & 3;
  const char* what;
  switch (fsc >> 2) {
    case 0x0: what = "address size fault"; break;
    case 0x1: what = "translation fault"; break;
    case 0x2: what = "access flag fault"; break;
    case 0x3: what = "permission fault"; break;
    default:
      what = fsc == 0x21 ? "alignment fault" : fsc == 0x10 ? "external abort" : "other fault";
      level = 4;  // no level for these
  }
  const char* rw = data ? ((esr_val >> 6) & 1 ? ", write" : ", read") : ", instruction fetch";
  if (level < 4)
    snprintf(buf, size, "%s, level %u%s", what, level, rw);
  else
    snprintf(buf, size, "%s (FSC 0x%x)%s", what, fsc, rw);
}

}  // namespace kern
