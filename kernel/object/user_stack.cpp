#include "object/user_stack.h"

#include "mm/kmalloc.h"
#include "mm/pmo.h"

namespace kern {

static_assert(CHCORE_ARG_MAX <= kUserStackSize, "the arguments fit in the stack");

Result<VirtAddr> user_stack_create(CapGroup* g, const chcore_stack_args& args) {
  // Measure first: nothing is allocated for arguments that cannot fit.
  u64 size = 0;
  switch (chcore_initial_stack_size(&args, CHCORE_ARG_MAX, &size)) {
    case STACK_OK:
      break;
    case STACK_ERR_TOO_BIG:
      return Err::TooBig;
    default:
      return Err::Inval;
  }
  // Assembled in a kernel buffer, then written to the top of the stack.
  u8* block = static_cast<u8*>(mm::kmalloc(size));
  if (block == nullptr) return Err::NoMem;
  u64 sp = 0;
  if (chcore_initial_stack_build(&args, kUserStackTop.raw(), block, size, &sp) != STACK_OK) {
    mm::kfree(block);
    return Err::Inval;
  }
  Result<Pmo*> stack = pmo_create(PmoType::Anonymous, kUserStackSize);
  Status s = stack.ok() ? pmo_write(stack.value(), kUserStackSize - size, block, size)
                        : Status(stack.error());
  mm::kfree(block);
  if (s.ok())
    s = g->vmspace.map(stack.value(), kUserStackTop - kUserStackSize, kUserStackSize,
                       kVmRead | kVmWrite, 0);
  if (stack.ok()) pmo_put(stack.value());  // the mapping keeps its own reference
  TRY(s);
  return VirtAddr{sp};
}

}  // namespace kern
