#include "arch/aarch64/extable.h"

extern "C" const kern::ExTableEntry __ex_table_start[], __ex_table_end[];

namespace kern {

// The table is a handful of entries: a linear scan is the simplest correct
// lookup, and it only runs when a fault has already happened.
u64 extable_lookup(u64 pc) {
  for (const ExTableEntry* e = __ex_table_start; e < __ex_table_end; e++)
    if (e->insn == pc) return e->fixup;
  return 0;
}

}  // namespace kern
