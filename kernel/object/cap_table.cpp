#include "object/cap_table.h"

#include "lib/spinlock.h"
#include "mm/kmalloc.h"
#include "object/cap_group.h"

namespace kern {

using mm::kfree;
using mm::kzalloc;

namespace {
SpinLock g_cap_lock;

// Objects whose last capability went away under the lock; their references
// are dropped once it is released.
struct PutList {
  static constexpr u32 kBatch = 32;
  Object* objs[kBatch];
  u32 n = 0;
};
}  // namespace

// All table manipulation, with g_cap_lock held.
struct CapOps {
  static Cap* lookup(CapGroup* g, u64 slot) TA_REQ(g_cap_lock) {
    CapTable& t = g->caps;
    if (slot >= t.capacity_) return nullptr;
    return t.slots_[slot];
  }

  // A free slot, growing the table (doubling up to CHCORE_MAX_CAPS).
  static Result<u32> free_slot(CapTable& t) TA_REQ(g_cap_lock) {
    if (t.used_ < t.capacity_)
      for (u32 i = 0; i < t.capacity_; i++)
        if (t.slots_[i] == nullptr) return i;
    if (t.capacity_ >= CHCORE_MAX_CAPS) return Err::NoSpc;
    u32 cap = t.capacity_ == 0 ? 16 : t.capacity_ * 2;
    if (cap > CHCORE_MAX_CAPS) cap = CHCORE_MAX_CAPS;
    auto** slots = static_cast<Cap**>(kzalloc(cap * sizeof(Cap*)));
    if (slots == nullptr) return Err::NoMem;
    for (u32 i = 0; i < t.capacity_; i++) slots[i] = t.slots_[i];
    kfree(t.slots_);
    u32 first = t.capacity_;
    t.slots_ = slots;
    t.capacity_ = cap;
    return first;
  }

  static Result<u32> insert(CapGroup* g, Object* obj, u32 rights, Cap* parent) TA_REQ(g_cap_lock) {
    CapTable& t = g->caps;
    u32 slot = TRY(free_slot(t));
    auto* c = static_cast<Cap*>(kzalloc(sizeof(Cap)));
    if (c == nullptr) return Err::NoMem;
    c->obj = obj;
    c->rights = rights;
    c->slot = slot;
    c->owner = g;
    c->weak = obj == g;
    c->parent = parent;
    if (parent != nullptr) {
      c->next_sibling = parent->first_child;
      if (parent->first_child) parent->first_child->prev_sibling = c;
      parent->first_child = c;
    }
    t.slots_[slot] = c;
    t.used_++;
    return slot;
  }

  static void unlink_from_parent(Cap* c) TA_REQ(g_cap_lock) {
    if (c->prev_sibling)
      c->prev_sibling->next_sibling = c->next_sibling;
    else if (c->parent)
      c->parent->first_child = c->next_sibling;
    if (c->next_sibling) c->next_sibling->prev_sibling = c->prev_sibling;
    c->parent = c->prev_sibling = c->next_sibling = nullptr;
  }

  // Removes one capability; its children move up to its parent. Returns the
  // object whose reference the caller must drop (after unlocking), or
  // nullptr for a weak capability.
  static Object* remove(Cap* c) TA_REQ(g_cap_lock) {
    Cap* parent = c->parent;
    unlink_from_parent(c);
    while (Cap* child = c->first_child) {
      unlink_from_parent(child);
      child->parent = parent;
      if (parent) {
        child->next_sibling = parent->first_child;
        if (parent->first_child) parent->first_child->prev_sibling = child;
        parent->first_child = child;
      }
      // (without a parent, the child simply becomes a root)
    }
    CapTable& t = c->owner->caps;
    t.slots_[c->slot] = nullptr;
    t.used_--;
    Object* o = c->weak ? nullptr : c->obj;
    kfree(c);
    return o;
  }
};

namespace {
void drop(Object* o) {
  if (o != nullptr) obj_put(o);
}
}  // namespace

Result<u32> CapTable::install(CapGroup* owner, Object* obj, u32 rights) {
  Result<u32> r = Err::NoMem;
  {
    SpinGuard g(g_cap_lock);
    r = CapOps::insert(owner, obj, rights, nullptr);
  }
  // A weak capability (to the owner itself) does not keep the reference.
  if (r.ok() && obj == owner) obj_put(obj);
  return r;
}

void CapTable::clear() {
  for (;;) {
    PutList puts;
    {
      SpinGuard g(g_cap_lock);
      for (u32 i = 0; i < capacity_ && puts.n < PutList::kBatch; i++)
        if (slots_[i] != nullptr) puts.objs[puts.n++] = CapOps::remove(slots_[i]);
      if (puts.n == 0) {
        kfree(slots_);
        slots_ = nullptr;
        capacity_ = used_ = 0;
        return;
      }
    }
    for (u32 i = 0; i < puts.n; i++) drop(puts.objs[i]);
  }
}

Result<Object*> cap_get(CapGroup* group, u64 slot, ObjType type, u32 rights) {
  SpinGuard g(g_cap_lock);
  Cap* c = CapOps::lookup(group, slot);
  if (c == nullptr) return Err::BadF;
  if (c->obj->type != type) return Err::Inval;
  if ((c->rights & rights) != rights) return Err::Access;
  obj_get(c->obj);
  return c->obj;
}

Result<u64> cap_info(CapGroup* group, u64 slot) {
  SpinGuard g(g_cap_lock);
  Cap* c = CapOps::lookup(group, slot);
  if (c == nullptr) return Err::BadF;
  return static_cast<u64>(c->obj->type) | (static_cast<u64>(c->rights) << 8);
}

Result<u32> cap_transfer(CapGroup* from, u64 slot, CapGroup* to, u32 rights) {
  SpinGuard g(g_cap_lock);
  Cap* c = CapOps::lookup(from, slot);
  if (c == nullptr) return Err::BadF;
  if (!(c->rights & CHCORE_RIGHT_COPY)) return Err::Access;
  if (!to->caps_open) return Err::Inval;  // the target has exited
  bool weak = c->obj == to;
  if (!weak) obj_get(c->obj);
  Result<u32> r = CapOps::insert(to, c->obj, c->rights & rights, c);
  if (!r.ok() && !weak) {
    // Cannot be the last reference: `c` still holds one.
    __atomic_fetch_sub(&c->obj->refcount, 1, __ATOMIC_RELAXED);
  }
  return r;
}

Result<u32> cap_copy(CapGroup* group, u64 slot, u32 rights) {
  return cap_transfer(group, slot, group, rights);
}

Status cap_revoke_self(CapGroup* group, u64 slot) {
  Object* o;
  {
    SpinGuard g(g_cap_lock);
    Cap* c = CapOps::lookup(group, slot);
    if (c == nullptr) return Err::BadF;
    o = CapOps::remove(c);
  }
  drop(o);
  return kOk;
}

Status cap_revoke_derived(CapGroup* group, u64 slot) {
  for (;;) {
    PutList puts;
    {
      SpinGuard g(g_cap_lock);
      Cap* c = CapOps::lookup(group, slot);
      if (c == nullptr) return Err::BadF;
      // Remove leaves of c's subtree first, a batch at a time.
      while (c->first_child != nullptr && puts.n < PutList::kBatch) {
        Cap* leaf = c->first_child;
        while (leaf->first_child != nullptr) leaf = leaf->first_child;
        puts.objs[puts.n++] = CapOps::remove(leaf);
      }
      if (puts.n == 0) return kOk;
    }
    for (u32 i = 0; i < puts.n; i++) drop(puts.objs[i]);
  }
}

}  // namespace kern
