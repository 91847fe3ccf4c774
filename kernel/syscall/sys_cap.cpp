// Capabilities: cap_copy, cap_transfer, revoke_cap, cap_info.
#include "object/cap_group.h"
#include "object/ref.h"
#include "object/thread.h"
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

// Type and rights; for a process its pid, for a thread its tid (bits
// 16-47, CHCORE_CAP_INFO_ID): what the process manager needs to tell its
// clients apart (a connection names its client's pid) and to give a child
// its Unix pid, the tid of its main thread.
SysResult sys_cap_info(CapSlot slot) {
  u64 info = TRY(cap_info(current_group(), slot.value));
  u64 id = 0;
  if (CHCORE_CAP_INFO_TYPE(info) == CHCORE_OBJ_CAP_GROUP)
    id = TRY(cap_lookup<CapGroup>(slot, 0))->pid;
  else if (CHCORE_CAP_INFO_TYPE(info) == CHCORE_OBJ_THREAD)
    id = TRY(cap_lookup<Thread>(slot, 0))->tid;
  return static_cast<i64>(info | (id & 0xffffffffull) << 16);
}

}  // namespace kern
