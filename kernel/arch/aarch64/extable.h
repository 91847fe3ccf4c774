// The exception fix-up table: instructions allowed to fault, and where to
// continue when they do (uaccess.S).
#pragma once
#include "lib/types.h"

namespace kern {

struct ExTableEntry {
  u64 insn;
  u64 fixup;
};

// The fix-up address for a faulting pc, or 0 if the pc has none.
u64 extable_lookup(u64 pc);

}  // namespace kern
