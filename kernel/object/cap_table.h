// Capabilities and per-process capability tables.
//
// A capability is an object reference plus rights, stored in a slot of a
// process's table. Copies (copy_to, CapReservation::commit_copies) record
// the capability they were made from, forming a derivation tree across
// processes, so that revoking "everything derived from this capability"
// finds every copy, in every process. Rights can only be narrowed along the
// tree.
//
// Installing several capabilities at once, all or none (check, then act):
//
//   CapReservation r = TRY(target->caps.reserve(n));  // may fail: nothing changed
//   TRY(r.commit_copies(sender->caps, copies));  // checks every source, then copies all
//   // or, for new objects: r.commit(i, obj, rights) for each i, which cannot fail
//
// A reservation holds n free slots (and the memory of n capabilities), so
// committing needs no allocation; whatever is not committed is released
// when it goes out of scope. Whoever holds a reservation keeps the table's
// owner alive (holds a reference) meanwhile.
//
// Locking: one global lock (CapTable::lock_) protects every table, the
// derivation trees and the cycle collector's state. Capability operations
// are short, and one lock makes cross-process operations (transfer,
// revoke-derived, finding unreachable processes) simple to get right;
// per-table locks are a later optimisation. Lock order: a process's lock ->
// the capability lock; nothing is taken under the capability lock, and
// objects are never destroyed under it: removed capabilities' references
// are dropped after it is released, because destroying a process revokes
// capabilities.
//
// Who keeps a table's owner (a process) alive: the references to it, from
// capabilities, its threads and system calls in progress. A process that
// has never started a thread is kept alive only by those references, so a
// group of such processes holding capabilities to each other would keep
// itself alive forever; CapTable::owner_put finds such groups once nothing
// live reaches them (see docs/processes.md).
#pragma once
#include "lib/result.h"
#include "lib/spinlock.h"
#include "object/object.h"

namespace kern {

struct Cap;  // one capability (cap_table.cpp)
class CapReservation;

// One capability to copy: a slot of the source table, and the rights the
// copy may keep (it gets the source's rights & `rights`).
struct CapCopy {
  u64 slot;
  u32 rights;
};

class CapTable {
 public:
  // The most slots one reservation holds (an IPC message carries up to 8
  // capabilities).
  static constexpr u32 kMaxReserve = 8;

  // `owner` is the object (process) whose table this is: a capability to it
  // held in its own table holds no reference (it would keep itself alive).
  explicit CapTable(Object* owner) : owner_(owner) {}
  CapTable(const CapTable&) = delete;
  CapTable& operator=(const CapTable&) = delete;

  // Reserves `n` (1..kMaxReserve) free slots, the lowest ones, growing the
  // table (doubling, up to CHCORE_MAX_CAPS) if needed, into `out` (which
  // releases what it held first). Err::Inval (bad n, or the table is
  // closed), Err::NoSpc (not n free slots below CHCORE_MAX_CAPS), Err::NoMem;
  // on failure the table is unchanged.
  [[nodiscard]] Status reserve(u32 n, CapReservation& out);
  // The same as a value: `CapReservation r = TRY(table.reserve(n));`.
  [[nodiscard]] Result<CapReservation> reserve(u32 n);
  // Installs a new root capability (no parent): reserve(1) + commit. Takes
  // over the caller's reference to `obj` on success. Returns the slot.
  [[nodiscard]] Result<u32> install(Object* obj, u32 rights);
  // The same; `owner` must be the table's owner (the form callers used
  // before the table knew its owner).
  [[nodiscard]] Result<u32> install(Object* owner, Object* obj, u32 rights);

  // The object in `slot` (with a new reference the caller must obj_put) if
  // the capability exists, names an object of type `type` and has every
  // right in `rights`. Err::BadF (no such slot), Err::Inval (wrong type),
  // Err::Access (missing rights).
  [[nodiscard]] Result<Object*> get(u64 slot, ObjType type, u32 rights);
  // Type and rights of a slot (cap_info's encoding).
  [[nodiscard]] Result<u64> info(u64 slot);
  // Copies `slot` into `to` (which may be this table), with the rights
  // narrowed to `rights`; the copy is a child of the source in the
  // derivation tree. Needs COPY on the source. Err::BadF, Err::Access,
  // Err::Inval (`to` is closed), Err::NoSpc, Err::NoMem.
  [[nodiscard]] Result<u32> copy_to(u64 slot, CapTable& to, u32 rights);
  // Deletes the capability in `slot`; the copies made from it stay,
  // re-attached to its parent.
  [[nodiscard]] Status revoke_self(u64 slot);
  // Deletes every capability derived from `slot`, in every table; keeps it.
  [[nodiscard]] Status revoke_derived(u64 slot);

  // fork: copies every capability of this table for which keep(object)
  // says so into the same slot of `child` (whose only capability is its
  // owner's own, in slot 0), with the same rights, as children of ours in
  // the derivation tree. Capabilities to this table's owner (weak) are not
  // copied. Err::Inval (`child` not empty, closed or started), Err::NoMem.
  [[nodiscard]] Status fork_into(CapTable& child, bool (*keep)(const Object*));

  // Nothing more is installed (the owner exits); commits into the table
  // from now on drop their object instead.
  void close();
  // Closes the table and removes every capability, dropping their references.
  void clear();
  // The owner has started a thread: it is alive as long as its threads are,
  // and the table is emptied when it exits, so the cycle collector no longer
  // needs to look at it.
  void owner_started();
  // Drops one reference to the owner, first checking, if the owner has never
  // started a thread, whether that reference was the last thing that made
  // it (and the processes it holds) reachable from anything live; every
  // table found unreachable is closed and cleared, which frees the group.
  // Returns true if this was the owner's last reference: the caller
  // destroys it. obj_put calls this for owners of tables.
  [[nodiscard]] bool owner_put();

  Object* owner() const { return owner_; }
  u32 capacity_for_test() const;
  u32 used_for_test() const;  // slots holding a capability or reserved

 private:
  friend struct CapOps;
  friend class CapReservation;
  friend struct IpcFastLayout;  // ipc/fastpath.S looks up capabilities too
  // Its assembly name is for ipc/fastpath.S.
  static SpinLock lock_ asm("chcore_cap_table_lock");

  bool passive() const TA_REQ(lock_) { return open_ && !started_; }
  bool passive_unlocked() const;

  Object* const owner_;
  Cap** slots_ TA_GUARDED(lock_) = nullptr;
  u32 capacity_ TA_GUARDED(lock_) = 0;
  u32 used_ TA_GUARDED(lock_) = 0;      // slots holding a capability or reserved
  u32 reserved_ TA_GUARDED(lock_) = 0;  // reserved, not yet committed
  // No slot below this is free: reserve's search starts here.
  u32 free_hint_ TA_GUARDED(lock_) = 0;
  // Strong capabilities to processes in this table: without any, the cycle
  // collector has nothing to follow from here (owner_put skips it).
  u32 group_caps_ TA_GUARDED(lock_) = 0;
  bool open_ TA_GUARDED(lock_) = true;
  bool started_ TA_GUARDED(lock_) = false;

  // The cycle collector's state (cap_table.cpp), meaningful during one run.
  u8 gc_state_ TA_GUARDED(lock_) = 0;
  u32 gc_internal_ TA_GUARDED(lock_) = 0;  // references from the tables visited
  // Bumped whenever a slot gains or loses a capability (fork_into's check
  // that what it counted is still so). Here: in the padding before the
  // pointers, so that the offsets ipc/fastpath.S uses stay.
  u32 gen_ TA_GUARDED(lock_) = 0;
  CapTable* gc_next_ TA_GUARDED(lock_) = nullptr;
  CapTable* gc_stack_next_ TA_GUARDED(lock_) = nullptr;
  CapTable* dead_next_ TA_GUARDED(lock_) = nullptr;
};

// Slots reserved in a table by CapTable::reserve, filled by commit or
// commit_copies; the rest is released by reset() or the destructor.
class CapReservation {
 public:
  CapReservation() = default;
  CapReservation(CapReservation&& other);
  CapReservation& operator=(CapReservation&& other);
  CapReservation(const CapReservation&) = delete;
  CapReservation& operator=(const CapReservation&) = delete;
  ~CapReservation() { reset(); }

  u32 size() const { return n_; }
  // The slot the i-th capability gets (valid before and after commit).
  u32 slot(u32 i) const { return slots_[i]; }

  // Installs a new root capability to `obj` in the i-th slot, taking over
  // the caller's reference to `obj`. Cannot fail. If the table was closed
  // meanwhile (its owner exited), the reference is dropped instead, as if
  // the capability had been installed just before the exit. Returns the
  // slot. May drop a reference: call it without spinlocks held.
  u32 commit(u32 i, Object* obj, u32 rights);
  // Fills every slot, none committed yet, with a copy of `from`'s
  // capability copies[i].slot narrowed to copies[i].rights (a child of it in
  // the derivation tree), all or none: Err::BadF (a source slot is empty)
  // or Err::Access (a source lacks COPY), and then nothing is installed
  // and the reservation is kept. `from` may be the reserving table.
  [[nodiscard]] Status commit_copies(CapTable& from, const CapCopy* copies);
  // Releases the slots not committed.
  void reset();

 private:
  friend class CapTable;
  friend struct CapOps;
  CapTable* table_ = nullptr;
  u32 n_ = 0;
  u32 committed_ = 0;  // bit i: slot i is committed
  u32 slots_[CapTable::kMaxReserve] = {};
  Cap* nodes_[CapTable::kMaxReserve] = {};  // allocated, not yet committed
};

// The capability table that object `o` owns, or nullptr if it owns none.
// Defined next to the owners' types (object/cap_group.cpp: processes); the
// host tests define their own.
CapTable* cap_table_of(Object* o);

inline Result<CapReservation> CapTable::reserve(u32 n) {
  CapReservation r;
  TRY(reserve(n, r));
  return r;
}

}  // namespace kern
