// The C++ side of the exception vectors: everything but the syscall fast path.
#include "arch/aarch64/exception.h"

#include "arch/aarch64/extable.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "irq/irq.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "mm/uaccess.h"
#include "mm/vmspace.h"
#include "object/cap_group.h"
#include "sched/sched.h"
#include "signal/signal.h"

using namespace kern;

extern "C" [[noreturn]] void arch_resume_kernel(i64 value);

namespace kern {

void report_kernel_exception(const ArchContext& f, u64 esr_val, u64 far, ExceptionKind kind) {
  printk_enter_panic_mode();
  const char* what = kind == ExceptionKind::Sync     ? exception_class_name(esr::ec(esr_val))
                     : kind == ExceptionKind::Irq    ? "unexpected IRQ"
                     : kind == ExceptionKind::Fiq    ? "unexpected FIQ"
                                                     : "SError interrupt";
  char detail[96];
  describe_abort(esr_val, detail, sizeof(detail));
  printk("KERNEL PANIC: %s on CPU %lu\n", what, this_cpu()->cpu_id);
  printk("  ESR 0x%016lx (EC 0x%02x: %s)\n", esr_val, esr::ec(esr_val), detail);
  printk("  FAR 0x%016lx  ELR 0x%016lx  SPSR 0x%016lx\n", far, f.elr, f.spsr);
  for (int i = 0; i < 31; i += 3) {
    printk("  ");
    for (int j = i; j < i + 3 && j < 31; j++) printk("x%-2d 0x%016lx  ", j, f.x[j]);
    if (i == 30) printk("sp  0x%016lx", f.sp);
    printk("\n");
  }
  print_backtrace(f.elr, f.x[29]);
  irq_stop_other_cpus();
}

}  // namespace kern

namespace {
// What an abort's ESR says about the access, for the page-fault handler.
// (Every page fault decodes one: kept to a few instructions.)
FaultInfo fault_info(u64 esr_val, u64 far) {
  // DFSC/IFSC bits [5:2]: 0b0001 translation fault, 0b0011 permission fault.
  constexpr FaultType O = FaultType::Other;
  static constexpr FaultType kByFscKind[16] = {
      O, FaultType::Translation, O, FaultType::Permission, O, O, O, O, O, O, O, O, O, O, O, O};
  static_assert(esr::kInstAbortSame == (esr::kInstAbortLower | 1));
  bool inst = (esr::ec(esr_val) | 1) == esr::kInstAbortSame;
  bool write = !inst && ((esr_val >> 6) & 1);
  return FaultInfo{VirtAddr{far}, write, inst, kByFscKind[(esr_val >> 2) & 0xf]};
}

bool is_abort(u32 ec) {
  return ec == esr::kDataAbortLower || ec == esr::kDataAbortSame || ec == esr::kInstAbortLower ||
         ec == esr::kInstAbortSame;
}

// The signal a user fault raises, as Linux raises it: an unresolved abort
// is SIGSEGV (SEGV_ACCERR for a permission fault, else SEGV_MAPERR) or,
// for an alignment fault, SIGBUS; an undefined instruction SIGILL; brk
// SIGTRAP. si_addr is the faulting address (the pc for SIGILL/SIGTRAP).
struct FaultSignal {
  u32 sig;
  i32 code;
  u64 addr;
};
FaultSignal fault_signal(u64 esr_val, u64 far, u64 pc) {
  u32 ec = esr::ec(esr_val);
  if (is_abort(ec)) {
    u32 fsc = esr_val & 0x3f;
    if (fsc == 0x21) return {CHCORE_SIGBUS, CHCORE_BUS_ADRALN, far};  // alignment fault
    bool perm = (fsc >> 2) == 3 || (fsc >> 2) == 2;                   // permission / access flag
    return {CHCORE_SIGSEGV, perm ? CHCORE_SEGV_ACCERR : CHCORE_SEGV_MAPERR, far};
  }
  switch (ec) {
    case esr::kPcAlign:
    case esr::kSpAlign:
      return {CHCORE_SIGBUS, CHCORE_BUS_ADRALN, ec == esr::kPcAlign ? pc : far};
    case esr::kUnknown:
    case esr::kIllegalState:
      return {CHCORE_SIGILL, CHCORE_ILL_ILLOPC, pc};
    case esr::kBrk:
      return {CHCORE_SIGTRAP, CHCORE_TRAP_BRKPT, pc};
    default:
      return {CHCORE_SIGSEGV, CHCORE_SI_KERNEL, pc};
  }
}
}  // namespace

extern "C" ArchContext* handle_kernel_exception(ArchContext* frame, u64 kind) {
  // An interrupt while the kernel ran with IRQs unmasked (on SP_EL1; the
  // kernel never runs on SP_EL0, so el1t_irq stays a panic).
  if (kind == static_cast<u64>(ExceptionOrigin::El1) + static_cast<u64>(ExceptionKind::Irq)) {
    irq_handle();
    return frame;
  }
  u64 esr_val = read_sysreg(esr_el1);
  u64 far = read_sysreg(far_el1);
  if ((kind & 3) == static_cast<u64>(ExceptionKind::Sync) &&
      esr::ec(esr_val) == esr::kDataAbortSame) {
    // Only instructions listed in the fix-up table (the user-copy routines)
    // may fault in the kernel. A fault on a user address there may just be
    // an anonymous page not touched yet: map it and retry the instruction.
    if (u64 fixup = extable_lookup(frame->elr)) {
      VmSpace* vs = current_vmspace();
      if (VirtAddr{far} < kUserTop && vs != nullptr &&
          vs->handle_fault(fault_info(esr_val, far)).ok())
        return frame;
      frame->elr = fixup;
      return frame;
    }
  }
  // FIQs are never configured (every interrupt is an IRQ) and SErrors are
  // fatal.
  report_kernel_exception(*frame, esr_val, far, static_cast<ExceptionKind>(kind & 3));
  printk("KERNEL PANIC: system halted\n");
  system_halt(kExitPanic);
}

namespace {
ArchContext* user_abort(ArchContext* ctx, u64 esr_val, u64 far);
[[gnu::noinline]] ArchContext* user_abort_unresolved(ArchContext* ctx, u64 esr_val, u64 far,
                                                     bool denied);
[[gnu::noinline]] ArchContext* user_fault(ArchContext* ctx, u64 esr_val, u64 far, bool aarch32,
                                          bool denied);
}  // namespace

extern "C" ArchContext* handle_user_exception(ArchContext* ctx, u64 kind) {
  u64 esr_val = read_sysreg(esr_el1);
  u64 far = read_sysreg(far_el1);
  auto k = static_cast<ExceptionKind>(kind & 3);
  bool aarch32 = (kind & ~3ull) == static_cast<u64>(ExceptionOrigin::El0Aarch32);
  if (k == ExceptionKind::Irq) {
    // Not the thread's doing, whatever state it runs in.
    irq_handle();
    return exit_to_user(ctx);
  }
  if (k != ExceptionKind::Sync && !aarch32) {
    // FIQ (never configured) or SError: a kernel or hardware bug.
    report_kernel_exception(*ctx, esr_val, far, k);
    system_halt(kExitPanic);
  }
  if (!aarch32 && esr::ec(esr_val) == esr::kFpAccess && sched_fp_trap()) return exit_to_user(ctx);
  if (!aarch32 && is_abort(esr::ec(esr_val))) return user_abort(ctx, esr_val, far);
  return user_fault(ctx, esr_val, far, aarch32, false);
}

// A data abort from EL0 (vectors.S's fast path; esr and far as read there):
// the page fault that resolves is the case worth a short way.
extern "C" ArchContext* handle_user_data_abort(ArchContext* ctx, u64 esr_val, u64 far) {
  VmSpace* vs = current_vmspace();
  if (vs == nullptr) [[unlikely]]
    return user_abort_unresolved(ctx, esr_val, far, false);
  Status st = vs->handle_fault(fault_info(esr_val, far));
  if (st.ok()) [[likely]]
    return exit_to_user(ctx);
  return user_abort_unresolved(ctx, esr_val, far, st.error() == Err::Access);
}

namespace {

// An abort from EL0: a page fault the address space resolves, else as
// user_abort_unresolved.
ArchContext* user_abort(ArchContext* ctx, u64 esr_val, u64 far) {
  bool denied = false;  // the address is mapped, but not for this access
  if (VmSpace* vs = current_vmspace(); vs != nullptr) {
    Status st = vs->handle_fault(fault_info(esr_val, far));
    if (st.ok()) return exit_to_user(ctx);
    denied = st.error() == Err::Access;
  }
  return user_abort_unresolved(ctx, esr_val, far, denied);
}

// An abort no page fault resolved: a bad pointer in the process's own copy
// routine (set_copy_fixup), whose fix-up returns -EFAULT to its caller;
// else a signal. `denied`: the address is mapped, but not for this access.
[[gnu::noinline]] ArchContext* user_abort_unresolved(ArchContext* ctx, u64 esr_val, u64 far,
                                                     bool denied) {
  Thread* t = current_thread();
  u64 fixup = 0;
  if (esr::ec(esr_val) == esr::kDataAbortLower && t != nullptr &&
      (fixup = copy_fixup_for(t->group, ctx->elr)) != 0) {
    ctx->elr = fixup;
    return exit_to_user(ctx);
  }
  return user_fault(ctx, esr_val, far, false, denied);
}

// A synchronous exception from EL0 that nothing resolved: its signal, or
// the end of its process.
[[gnu::noinline]] ArchContext* user_fault(ArchContext* ctx, u64 esr_val, u64 far, bool aarch32,
                                          bool denied) {
  // A handler for the fault's signal that the thread neither blocks nor
  // ignores: the exit path delivers it. Otherwise the process dies.
  FaultSignal fs = aarch32 ? FaultSignal{CHCORE_SIGILL, CHCORE_ILL_ILLOPC, ctx->elr}
                           : fault_signal(esr_val, far, ctx->elr);
  if (denied && fs.sig == CHCORE_SIGSEGV) fs.code = CHCORE_SEGV_ACCERR;
  if (Thread* t = current_thread();
      t != nullptr && !aarch32 && signal_fault(t, fs.sig, fs.code, fs.addr))
    return exit_to_user(ctx);
  char detail[96];
  describe_abort(esr_val, detail, sizeof(detail));
  const char* what = aarch32 ? "AArch32 exception" : exception_class_name(esr::ec(esr_val));
  if (Thread* t = current_thread()) {
    // Only the faulting process dies; the system carries on.
    CapGroup* g = t->group;
    // FAR is only meaningful for aborts; for other faults report the pc twice.
    u64 addr = is_abort(esr::ec(esr_val)) ? far : ctx->elr;
    printk("process %s (pid %lu) killed: %s (%s) at pc=0x%lx addr=0x%lx\n", g->name, g->pid, what,
           detail, ctx->elr, addr);
    // The wait status of the fault's signal, with the core-dump bit.
    signal_kill_group(g, fs.sig);
    return exit_to_user(ctx);
  }
  printk("user fault: %s (%s) at pc=0x%lx addr=0x%lx\n", what, detail, ctx->elr, far);
  // Before processes exist, only in-kernel tests run EL0 code: end the run.
  if (this_cpu()->resume.active) arch_resume_kernel(-14 /* EFAULT */);
  panic("user fault with no process to kill");
}

}  // namespace
