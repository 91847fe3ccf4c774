// A minimal EL0 address space for in-kernel tests that run before the memory
// manager and processes exist: a few statically allocated tables, 4 KiB pages.
#pragma once
#include "arch/aarch64/context.h"
#include "lib/types.h"

namespace kern::ktest {

class TestUserSpace {
 public:
  // Maps the EL0 stub (read-only, executable) and a stack (read-write,
  // never-execute) and installs the tables in TTBR0 of this CPU.
  bool activate();
  // Restores the previous TTBR0.
  void deactivate();

 private:
  bool map_page(VirtAddr va, PhysAddr pa, u64 attrs);
  u64* alloc_table();
  u64 saved_ttbr0_ = 0;
  u32 tables_used_ = 0;
};

// Runs the EL0 stub in `mode` until it calls test_exit(code, detail).
// Returns the code (or -EFAULT if the stub faulted); *detail gets the detail.
i64 run_el0_stub(u64 mode, u64* detail);

}  // namespace kern::ktest
