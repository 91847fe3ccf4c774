#include "tests/user_space.h"

#include "arch/aarch64/sysreg.h"
#include "mm/kmap.h"
#include "mm/page.h"
#include "mm/pmo.h"
#include "mm/vmspace.h"
#include "syscall/syscall.h"
#include "tests/user_layout.h"
#include "uapi/errno.h"

extern "C" {
extern const u8 el0_stub_start[], el0_stub_end[];
i64 arch_run_user(kern::ArchContext* ctx);
[[noreturn]] void arch_resume_kernel(i64 value);
}

namespace kern::ktest {

namespace {
u64 g_exit_detail;

Status map_new(VmSpace& vs, PmoType type, VirtAddr va, usize size, u32 perm, Pmo** out) {
  Pmo* pmo = TRY(pmo_create(type, size));
  Status s = vs.map(pmo, va, size, perm, 0);
  if (s.ok() && out != nullptr) *out = pmo;
  pmo_put(pmo);  // the mapping holds its own reference
  return s;
}

Status build(VmSpace& vs) {
  usize code_size = el0_stub_end - el0_stub_start;
  Pmo* code = nullptr;
  TRY(map_new(vs, PmoType::Data, VirtAddr{USER_CODE_VA}, code_size, kVmRead | kVmExec, &code));
  TRY(pmo_write(code, 0, el0_stub_start, code_size));
  // The stub's code was written through the kernel's data mapping.
  for (usize off = 0; off < code_size; off += mm::kPageSize) {
    PhysAddr pa = TRY(pmo_page(code, off, false));
    arch::sync_icache(pa_to_kva(pa), mm::kPageSize);
  }
  usize stack = USER_STACK_PAGES * mm::kPageSize;
  TRY(map_new(vs, PmoType::Anonymous, VirtAddr{USER_STACK_TOP - stack}, stack, kVmRead | kVmWrite,
              nullptr));
  return kOk;
}
}  // namespace

i64 run_el0_stub(u64 mode, u64* detail, u64 arg, void (*extra)(VmSpace&), u64 arg2) {
  VmSpace vs;
  if (!vs.init().ok()) return -CHCORE_ENOMEM;
  if (!build(vs).ok()) {
    vs.destroy();
    return -CHCORE_ENOMEM;
  }
  if (extra != nullptr) extra(vs);
  vs.activate();
  ArchContextWithTimes frame{};  // the exit path adds CPU time after the context
  ArchContext& ctx = frame.ctx;
  ctx.x[0] = mode;
  ctx.x[1] = arg;
  ctx.x[2] = arg2;
  ctx.elr = USER_CODE_VA;
  ctx.sp = USER_STACK_TOP;
  ctx.spsr = kSpsrEl0t;
  g_exit_detail = 0;
  i64 code = arch_run_user(&ctx);
  vs.destroy();
  *detail = g_exit_detail;
  return code;
}

}  // namespace kern::ktest

// The test-only system calls (numbers in uapi/syscall_nr.h).
kern::SysResult kern::sys_test_echo(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  return static_cast<i64>(a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5);
}

kern::SysResult kern::sys_test_exit(u64 code, u64 detail) {
  kern::ktest::g_exit_detail = detail;
  arch_resume_kernel(static_cast<i64>(code));
}
