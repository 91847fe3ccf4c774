// Capabilities: cap_copy, cap_transfer, revoke_cap, cap_info.
#include "object/cap_group.h"
#include "object/ref.h"
#include "syscall/syscall.h"

namespace kern {

SysResult sys_cap_copy(CapSlot slot, u64 rights) {
  return TRY(cap_copy(current_group(), slot.value, static_cast<u32>(rights & CHCORE_RIGHTS_ALL)));
}

SysResult sys_cap_transfer(CapSlot cg, CapSlot slot, u64 rights) {
  Ref<CapGroup> target = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  return TRY(cap_transfer(current_group(), slot.value, target.get(),
                          static_cast<u32>(rights & CHCORE_RIGHTS_ALL)));
}

SysResult sys_revoke_cap(CapSlot slot, u64 flags) {
  if (flags == CHCORE_REVOKE_SELF)
    TRY(cap_revoke_self(current_group(), slot.value));
  else if (flags == CHCORE_REVOKE_DERIVED)
    TRY(cap_revoke_derived(current_group(), slot.value));
  else
    return Err::Inval;
  return 0;
}

SysResult sys_cap_info(CapSlot slot) {
  return static_cast<i64>(TRY(cap_info(current_group(), slot.value)));
}

}  // namespace kern
