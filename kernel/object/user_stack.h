// The main stack of a process the kernel starts itself (the first process;
// user space builds every later one, user/libchcore/launch.c): anonymous
// memory below kUserStackTop, with the Linux initial stack at its top, laid
// out by the builder that libchcore's launcher uses too
// (lib/initial_stack.h).
#pragma once
#include "lib/initial_stack.h"
#include "lib/result.h"
#include "object/cap_group.h"

namespace kern {

// Where the stack ends, and how big it is.
inline constexpr VirtAddr kUserStackTop{0x0000700000000000ull};
inline constexpr usize kUserStackSize = 8ull << 20;

// Maps the stack into `g` and writes `args` at its top; returns the initial
// sp. Err::TooBig (E2BIG) if argv, envp, auxv and their strings need more
// than CHCORE_ARG_MAX bytes, as the launcher; Err::Inval for malformed
// `args`; Err::NoMem.
[[nodiscard]] Result<VirtAddr> user_stack_create(CapGroup* g, const chcore_stack_args& args);

}  // namespace kern
