#include "tests/user_space.h"

#include "arch/aarch64/pte.h"
#include "arch/aarch64/sysreg.h"
#include "lib/string.h"
#include "mm/kmap.h"
#include "tests/user_layout.h"
#include "uapi/errno.h"

extern "C" {
extern const u8 el0_stub_start[], el0_stub_end[];
i64 arch_run_user(kern::ArchContext* ctx);
[[noreturn]] void arch_resume_kernel(i64 value);
}

namespace kern::ktest {

namespace {
constexpr u32 kMaxTables = 6;
constexpr u64 kAsid = 1;
alignas(4096) u64 g_tables[kMaxTables][pte::kEntries];
alignas(4096) u8 g_stack[USER_STACK_PAGES][4096];
u64 g_exit_detail;
}  // namespace

u64* TestUserSpace::alloc_table() {
  if (tables_used_ == kMaxTables) return nullptr;
  u64* t = g_tables[tables_used_++];
  memset(t, 0, sizeof(g_tables[0]));
  return t;
}

bool TestUserSpace::map_page(VirtAddr va, PhysAddr pa, u64 attrs) {
  u64* table = g_tables[0];
  for (int level = 0; level < 3; level++) {
    u64& e = table[pte::index(va, level)];
    if (!(e & pte::kValid)) {
      u64* next = alloc_table();
      if (next == nullptr) return false;
      e = kva_to_pa(next) | pte::kTable | pte::kValid;
    }
    table = pa_to_kva<u64>(e & pte::kAddrMask);
  }
  table[pte::index(va, 3)] = pa | attrs | pte::kPage | pte::kValid;
  return true;
}

bool TestUserSpace::activate() {
  tables_used_ = 0;
  u64* l0 = alloc_table();
  constexpr u64 kUser = pte::kNormal | pte::kApUser | pte::kNotGlobal | pte::kPxn;
  for (u64 off = 0; off < static_cast<u64>(el0_stub_end - el0_stub_start); off += 4096)
    if (!map_page(USER_CODE_VA + off, kva_to_pa(el0_stub_start + off), kUser | pte::kApReadOnly))
      return false;
  for (u64 i = 0; i < USER_STACK_PAGES; i++)
    if (!map_page(USER_STACK_TOP - (USER_STACK_PAGES - i) * 4096, kva_to_pa(g_stack[i]),
                  kUser | pte::kUxn))
      return false;
  arch::dsb_ish();
  saved_ttbr0_ = read_sysreg(ttbr0_el1);
  write_sysreg(ttbr0_el1, kva_to_pa(l0) | (kAsid << 48));
  arch::isb();
  asm volatile("tlbi aside1, %0; dsb ish; isb" ::"r"(kAsid << 48) : "memory");
  return true;
}

void TestUserSpace::deactivate() {
  write_sysreg(ttbr0_el1, saved_ttbr0_);
  arch::isb();
  asm volatile("tlbi aside1, %0; dsb ish; isb" ::"r"(kAsid << 48) : "memory");
}

i64 run_el0_stub(u64 mode, u64* detail) {
  TestUserSpace us;
  if (!us.activate()) return -CHCORE_ENOMEM;
  ArchContext ctx{};
  ctx.x[0] = mode;
  ctx.elr = USER_CODE_VA;
  ctx.sp = USER_STACK_TOP;
  ctx.spsr = kSpsrEl0t;
  g_exit_detail = 0;
  i64 code = arch_run_user(&ctx);
  us.deactivate();
  *detail = g_exit_detail;
  return code;
}

}  // namespace kern::ktest

// The test-only system calls (numbers in uapi/syscall_nr.h).
extern "C" i64 sys_test_echo(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  return static_cast<i64>(a0 + 2 * a1 + 3 * a2 + 4 * a3 + 5 * a4 + 6 * a5);
}

extern "C" i64 sys_test_exit(u64 code, u64 detail, u64, u64, u64, u64) {
  kern::ktest::g_exit_detail = detail;
  arch_resume_kernel(static_cast<i64>(code));
}
