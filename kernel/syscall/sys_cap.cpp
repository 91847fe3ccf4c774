// Capabilities: cap_copy, cap_transfer, revoke_cap, cap_info.
#include "object/cap_group.h"
#include "object/ref.h"
#include "syscall/syscall.h"

using namespace kern;

extern "C" i64 sys_cap_copy(u64 slot, u64 rights, u64, u64, u64, u64) {
  Result<u32> r = cap_copy(current_group(), slot, static_cast<u32>(rights & CHCORE_RIGHTS_ALL));
  return r.ok() ? r.value() : to_errno(r.error());
}

extern "C" i64 sys_cap_transfer(u64 cg_slot, u64 slot, u64 rights, u64, u64, u64) {
  Result<CapGroup*> g = cap_lookup<CapGroup>(cg_slot, CHCORE_RIGHT_CONTROL);
  if (!g.ok()) return to_errno(g.error());
  Ref<CapGroup> target(g.value());
  Result<u32> r = cap_transfer(current_group(), slot, target.get(),
                               static_cast<u32>(rights & CHCORE_RIGHTS_ALL));
  return r.ok() ? r.value() : to_errno(r.error());
}

extern "C" i64 sys_revoke_cap(u64 slot, u64 flags, u64, u64, u64, u64) {
  Status s;
  if (flags == CHCORE_REVOKE_SELF)
    s = cap_revoke_self(current_group(), slot);
  else if (flags == CHCORE_REVOKE_DERIVED)
    s = cap_revoke_derived(current_group(), slot);
  else
    return -CHCORE_EINVAL;
  return s.ok() ? 0 : to_errno(s.error());
}

extern "C" i64 sys_cap_info(u64 slot, u64, u64, u64, u64, u64) {
  Result<u64> r = cap_info(current_group(), slot);
  return r.ok() ? static_cast<i64>(r.value()) : to_errno(r.error());
}
