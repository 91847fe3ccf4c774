// Running EL0 code from in-kernel tests, before processes exist: the EL0 stub
// (el0_stub.S) is copied into a Data PMO and mapped read-only + executable in
// a fresh VmSpace, with an anonymous stack, exactly as a loader will do.
#pragma once
#include "arch/aarch64/context.h"
#include "lib/types.h"

namespace kern {
class VmSpace;
}

namespace kern::ktest {

// Builds the address space; `extra` (may be null) is called to add mappings.
// Runs the stub with x0 = mode, x1 = arg, x2 = arg2 until it calls test_exit(code,
// detail). Returns the code, or -EFAULT if the stub faulted (it is "killed").
// *detail gets the detail. The address space is destroyed afterwards.
i64 run_el0_stub(u64 mode, u64* detail, u64 arg = 0, void (*extra)(VmSpace&) = nullptr,
                 u64 arg2 = 0);

}  // namespace kern::ktest
