// Capabilities and per-process capability tables.
//
// A capability is an object reference plus rights, stored in a slot of a
// process's table. Copies (cap_copy, cap_transfer) record the capability
// they were made from, forming a derivation tree across processes, so that
// revoking "everything derived from this capability" finds every copy, in
// every process. Rights can only be narrowed along the tree.
//
// Locking: one global lock (g_cap_lock in cap_table.cpp) protects every
// table and the derivation trees. Capability operations are short, and one
// lock makes cross-process operations (transfer, revoke-derived) simple to
// get right; per-table locks are a later optimisation. Objects are never
// destroyed under the lock: removed capabilities' references are dropped
// after it is released, because destroying a process revokes capabilities.
#pragma once
#include "lib/result.h"
#include "object/object.h"

namespace kern {

struct CapGroup;

struct Cap {
  Object* obj;  // one reference
  u32 rights;
  u32 slot;
  CapGroup* owner;
  // A capability a process holds to itself (its slot 0, or a copy of it)
  // holds no reference: otherwise a process would keep itself alive.
  bool weak;
  // The derivation tree: the capability this one was copied from, and the
  // copies made from this one (a doubly linked sibling list).
  Cap* parent;
  Cap* first_child;
  Cap* prev_sibling;
  Cap* next_sibling;
};

class CapTable {
 public:
  CapTable() = default;
  CapTable(const CapTable&) = delete;
  CapTable& operator=(const CapTable&) = delete;

  // Installs a new root capability (no parent). Takes over the caller's
  // reference to `obj` on success. Returns the slot.
  [[nodiscard]] Result<u32> install(CapGroup* owner, Object* obj, u32 rights);
  // Removes every capability (process exit) and drops their references.
  void clear();

  u32 capacity_for_test() const { return capacity_; }

 private:
  friend struct CapOps;
  Cap** slots_ = nullptr;
  u32 capacity_ = 0;
  u32 used_ = 0;
};

// Looks up `slot` in `group`'s table: the object (with a new reference the
// caller must obj_put) if the capability exists, has the type `type` and
// every right in `rights`. Err::BadF (no such slot), Err::Inval (wrong
// type), Err::Access (missing rights).
[[nodiscard]] Result<Object*> cap_get(CapGroup* group, u64 slot, ObjType type, u32 rights);
// Type and rights of a slot (cap_info).
[[nodiscard]] Result<u64> cap_info(CapGroup* group, u64 slot);
// Copies `slot` within `group` (rights & old rights). Needs COPY.
[[nodiscard]] Result<u32> cap_copy(CapGroup* group, u64 slot, u32 rights);
// Copies `slot` of `from` into `to`. Needs COPY on the source.
[[nodiscard]] Result<u32> cap_transfer(CapGroup* from, u64 slot, CapGroup* to, u32 rights);
// Deletes the capability in `slot` (its copies stay, re-attached to its parent).
[[nodiscard]] Status cap_revoke_self(CapGroup* group, u64 slot);
// Deletes every capability derived from `slot`, in every process; keeps it.
[[nodiscard]] Status cap_revoke_derived(CapGroup* group, u64 slot);

}  // namespace kern
