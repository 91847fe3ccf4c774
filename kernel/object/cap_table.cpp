#include "object/cap_table.h"

#include "arch/aarch64/asm_offsets.h"

#include "lib/panic.h"
#include "mm/kmalloc.h"

namespace kern {

using mm::kfree;
using mm::kzalloc;

SpinLock CapTable::lock_;

struct Cap {
  Object* obj;  // one reference, unless weak
  u32 rights;
  u32 slot;
  CapTable* table;
  // A capability a table holds to its own owner (a process's slot 0, or a
  // copy of it) holds no reference: otherwise a process would keep itself
  // alive.
  bool weak;
  // The derivation tree: the capability this one was copied from, and the
  // copies made from this one (a doubly linked sibling list).
  Cap* parent;
  Cap* first_child;
  Cap* prev_sibling;
  Cap* next_sibling;
};

// ipc/fastpath.S reads a capability's object and rights.
static_assert(__builtin_offsetof(Cap, obj) == CAP_OBJ && __builtin_offsetof(Cap, rights) == CAP_RIGHTS);

namespace {
// What a reserved slot holds until it is committed or released. Its object
// is nullptr, which ipc/fastpath.S takes for "no capability".
Cap g_reserved_slot;
Cap* const kReserved = &g_reserved_slot;

// Objects whose capabilities went away under the lock; their references
// are dropped once it is released.
struct PutList {
  static constexpr u32 kBatch = 32;
  Object* objs[kBatch];
  u32 n = 0;

  void add(Object* o) {
    if (o != nullptr) objs[n++] = o;
  }
  void drop() {
    for (u32 i = 0; i < n; i++) obj_put(objs[i]);
    n = 0;
  }
};

// The cycle collector's marks (CapTable::gc_state_).
enum : u8 { kUnvisited = 0, kVisited, kLive };
}  // namespace

// All table manipulation, with the lock held.
struct CapOps {
  static Cap* lookup(CapTable& t, u64 slot) TA_REQ(CapTable::lock_) {
    if (slot >= t.capacity_) return nullptr;
    Cap* c = t.slots_[slot];
    return c == kReserved ? nullptr : c;
  }

  // A real capability in slot i (not empty, not reserved).
  static Cap* at(CapTable& t, u32 i) TA_REQ(CapTable::lock_) {
    Cap* c = t.slots_[i];
    return c == kReserved ? nullptr : c;
  }

  // Grows the table until it has `n` free slots. Err::NoSpc, Err::NoMem:
  // then nothing changed.
  static Status make_room(CapTable& t, u32 n) TA_REQ(CapTable::lock_) {
    if (t.capacity_ - t.used_ >= n) return kOk;
    u32 cap = t.capacity_ == 0 ? 16 : t.capacity_ * 2;
    while (cap < CHCORE_MAX_CAPS && cap - t.used_ < n) cap *= 2;
    if (cap > CHCORE_MAX_CAPS) cap = CHCORE_MAX_CAPS;
    if (cap - t.used_ < n) return Err::NoSpc;
    auto** slots = static_cast<Cap**>(kzalloc(cap * sizeof(Cap*)));
    if (slots == nullptr) return Err::NoMem;
    for (u32 i = 0; i < t.capacity_; i++) slots[i] = t.slots_[i];
    kfree(t.slots_);
    t.slots_ = slots;
    t.capacity_ = cap;
    return kOk;
  }

  // A closed table whose last slot went away gives back its array.
  static void maybe_free_array(CapTable& t) TA_REQ(CapTable::lock_) {
    if (t.open_ || t.used_ != 0) return;
    kfree(t.slots_);
    t.slots_ = nullptr;
    t.capacity_ = 0;
    t.free_hint_ = 0;
  }

  static void link_child(Cap* parent, Cap* c) TA_REQ(CapTable::lock_) {
    c->parent = parent;
    c->prev_sibling = nullptr;
    c->next_sibling = parent->first_child;
    if (parent->first_child) parent->first_child->prev_sibling = c;
    parent->first_child = c;
  }

  static void unlink_from_parent(Cap* c) TA_REQ(CapTable::lock_) {
    if (c->prev_sibling)
      c->prev_sibling->next_sibling = c->next_sibling;
    else if (c->parent)
      c->parent->first_child = c->next_sibling;
    if (c->next_sibling) c->next_sibling->prev_sibling = c->prev_sibling;
    c->parent = c->prev_sibling = c->next_sibling = nullptr;
  }

  // Puts capability `c` (memory from a reservation) into reserved slot
  // `slot`, naming `obj` (whose reference the caller passes: the capability
  // keeps it). Returns the object whose reference the caller must drop
  // after unlocking: `obj` for a weak capability, or when the table was
  // closed meanwhile (then `c` is freed and the slot released).
  static Object* place(CapTable& t, u32 slot, Cap* c, Object* obj, u32 rights, Cap* parent)
      TA_REQ(CapTable::lock_) {
    KASSERT(t.slots_[slot] == kReserved);
    t.reserved_--;
    if (!t.open_) {
      t.slots_[slot] = nullptr;
      t.used_--;
      if (slot < t.free_hint_) t.free_hint_ = slot;
      maybe_free_array(t);
      kfree(c);
      return obj;
    }
    c->obj = obj;
    c->rights = rights;
    c->slot = slot;
    c->table = &t;
    c->weak = obj == t.owner_;
    if (!c->weak && cap_table_of(obj) != nullptr) t.group_caps_++;
    c->first_child = nullptr;
    if (parent != nullptr)
      link_child(parent, c);
    else
      c->parent = c->prev_sibling = c->next_sibling = nullptr;
    t.slots_[slot] = c;
    t.gen_++;
    return c->weak ? obj : nullptr;
  }

  // Removes one capability; its children move up to its parent (or become
  // roots). Returns the object whose reference the caller must drop (after
  // unlocking), or nullptr for a weak capability.
  static Object* remove(Cap* c) TA_REQ(CapTable::lock_) {
    Cap* parent = c->parent;
    unlink_from_parent(c);
    while (Cap* child = c->first_child) {
      unlink_from_parent(child);
      if (parent != nullptr) link_child(parent, child);
    }
    CapTable& t = *c->table;
    t.slots_[c->slot] = nullptr;
    t.used_--;
    t.gen_++;
    if (c->slot < t.free_hint_) t.free_hint_ = c->slot;
    if (!c->weak && cap_table_of(c->obj) != nullptr) t.group_caps_--;
    Object* o = c->weak ? nullptr : c->obj;
    kfree(c);
    return o;
  }

  // The reservation's slots that are not committed go back to the table.
  static void release(CapReservation& r) TA_REQ(CapTable::lock_) {
    CapTable& t = *r.table_;
    for (u32 i = 0; i < r.n_; i++) {
      if (r.committed_ & (1u << i)) continue;
      KASSERT(t.slots_[r.slots_[i]] == kReserved);
      t.slots_[r.slots_[i]] = nullptr;
      t.used_--;
      if (r.slots_[i] < t.free_hint_) t.free_hint_ = r.slots_[i];
      t.reserved_--;
    }
    maybe_free_array(t);
  }

  // --- Finding processes that nothing live reaches -------------------------
  //
  // A "passive" table belongs to an owner that has never started a thread
  // (and is open): only references keep such an owner alive. Trial deletion
  // (after Bacon and Rajan's synchronous cycle collection), over the passive
  // tables reachable from `root` through capabilities:
  //  1. visit them, counting for each how many references it gets from the
  //     visited tables' capabilities (gc_internal_);
  //  2. a table whose owner has more references than that is referenced
  //     from elsewhere (a live process, a thread, a system call in
  //     progress, a table that is not passive): it is live, and so is every
  //     visited table it reaches;
  //  3. the rest is garbage: nothing outside it holds a reference, so nothing
  //     can get one any more. Its tables are closed and returned (each with a
  //     reference taken), to be cleared once the lock is released.
  // `root`'s reference count includes one reference of the caller's, which
  // is about to go: it is not counted. Reference counts can only grow
  // through a capability (under this lock) or an existing reference, and
  // every reference to a passive owner is dropped through owner_put, under
  // this lock: so a group found to hold only references to itself stays so.
  // Cost: one pass over the slots of the passive tables reachable from root.
  static CapTable* collect(CapTable& root) TA_REQ(CapTable::lock_) {
    root.gc_state_ = kVisited;
    root.gc_internal_ = 0;
    root.gc_next_ = nullptr;
    CapTable* tail = &root;
    for (CapTable* t = &root; t != nullptr; t = t->gc_next_) {
      for (u32 i = 0; i < t->capacity_; i++) {
        Cap* c = at(*t, i);
        if (c == nullptr || c->weak) continue;
        CapTable* u = cap_table_of(c->obj);
        if (u == nullptr || !u->passive()) continue;
        if (u->gc_state_ == kUnvisited) {
          u->gc_state_ = kVisited;
          u->gc_internal_ = 0;
          u->gc_next_ = nullptr;
          tail->gc_next_ = u;
          tail = u;
        }
        u->gc_internal_++;
      }
    }
    // The usual case, a system call's reference to a child being set up
    // (create, map, transfer, then start): the root reaches no other
    // passive table and something outside holds it. Live, and nothing else
    // was visited: done without the passes below.
    if (tail == &root) {
      u32 refs = __atomic_load_n(&root.owner_->refcount, __ATOMIC_ACQUIRE) - 1;
      root.gc_state_ = kUnvisited;
      if (refs > root.gc_internal_) return nullptr;
      root.gc_state_ = kVisited;
    }

    CapTable* live = nullptr;
    for (CapTable* t = &root; t != nullptr; t = t->gc_next_) {
      u32 refs = __atomic_load_n(&t->owner_->refcount, __ATOMIC_ACQUIRE);
      if (t == &root) refs--;
      if (refs > t->gc_internal_) {
        t->gc_state_ = kLive;
        t->gc_stack_next_ = live;
        live = t;
      }
    }
    while (CapTable* t = live) {
      live = t->gc_stack_next_;
      for (u32 i = 0; i < t->capacity_; i++) {
        Cap* c = at(*t, i);
        if (c == nullptr || c->weak) continue;
        CapTable* u = cap_table_of(c->obj);
        if (u == nullptr || u->gc_state_ != kVisited) continue;
        u->gc_state_ = kLive;
        u->gc_stack_next_ = live;
        live = u;
      }
    }

    CapTable* dead = nullptr;
    for (CapTable* t = &root; t != nullptr; t = t->gc_next_) {
      if (t->gc_state_ == kVisited) {
        t->open_ = false;
        obj_get(t->owner_);
        t->dead_next_ = dead;
        dead = t;
      }
      t->gc_state_ = kUnvisited;
    }
    return dead;
  }
};

// --- Reservations ------------------------------------------------------------

Status CapTable::reserve(u32 n, CapReservation& out) {
  out.reset();
  if (n == 0 || n > kMaxReserve) return Err::Inval;
  // The capabilities' memory comes first, so that commit cannot fail.
  Cap* nodes[kMaxReserve] = {};
  for (u32 i = 0; i < n; i++) {
    nodes[i] = static_cast<Cap*>(kzalloc(sizeof(Cap)));
    if (nodes[i] == nullptr) {
      for (u32 j = 0; j < i; j++) kfree(nodes[j]);
      return Err::NoMem;
    }
  }
  Status s = kOk;
  {
    SpinGuard g(lock_);
    if (!open_) {
      s = Err::Inval;
    } else {
      s = CapOps::make_room(*this, n);
    }
    if (s.ok()) {
      u32 found = 0;
      u32 i = free_hint_;
      for (; found < n; i++) {
        if (slots_[i] != nullptr) continue;
        slots_[i] = kReserved;
        out.slots_[found] = i;
        out.nodes_[found] = nodes[found];
        found++;
      }
      free_hint_ = i;
      used_ += n;
      reserved_ += n;
      out.table_ = this;
      out.n_ = n;
      out.committed_ = 0;
    }
  }
  if (!s.ok())
    for (u32 i = 0; i < n; i++) kfree(nodes[i]);
  return s;
}

CapReservation::CapReservation(CapReservation&& other) {
  *this = static_cast<CapReservation&&>(other);
}

CapReservation& CapReservation::operator=(CapReservation&& other) {
  if (this == &other) return *this;
  reset();
  table_ = other.table_;
  n_ = other.n_;
  committed_ = other.committed_;
  for (u32 i = 0; i < CapTable::kMaxReserve; i++) {
    slots_[i] = other.slots_[i];
    nodes_[i] = other.nodes_[i];
    other.nodes_[i] = nullptr;
  }
  other.table_ = nullptr;
  other.n_ = 0;
  other.committed_ = 0;
  return *this;
}

u32 CapReservation::commit(u32 i, Object* obj, u32 rights) {
  KASSERT(table_ != nullptr && i < n_ && !(committed_ & (1u << i)));
  Cap* c = nodes_[i];
  nodes_[i] = nullptr;
  committed_ |= 1u << i;
  Object* drop;
  {
    SpinGuard g(CapTable::lock_);
    drop = CapOps::place(*table_, slots_[i], c, obj, rights, nullptr);
  }
  if (drop != nullptr) obj_put(drop);
  return slots_[i];
}

Status CapReservation::commit_copies(CapTable& from, const CapCopy* copies) {
  KASSERT(table_ != nullptr && committed_ == 0);
  PutList puts;  // copies into a table closed meanwhile (at most kMaxReserve)
  {
    SpinGuard g(CapTable::lock_);
    Cap* src[CapTable::kMaxReserve];
    for (u32 i = 0; i < n_; i++) {
      src[i] = CapOps::lookup(from, copies[i].slot);
      if (src[i] == nullptr) return Err::BadF;
      if (!(src[i]->rights & CHCORE_RIGHT_COPY)) return Err::Access;
    }
    // The point of no return.
    for (u32 i = 0; i < n_; i++) {
      Object* obj = src[i]->obj;
      obj_get(obj);  // the copy's (dropped below if it is weak)
      puts.add(CapOps::place(*table_, slots_[i], nodes_[i], obj, src[i]->rights & copies[i].rights,
                             src[i]));
      nodes_[i] = nullptr;
      committed_ |= 1u << i;
    }
  }
  // Each of these objects is still held by its source capability, or by
  // the caller: none of these is a last reference, except through a race
  // with a revocation, which obj_put handles like any other.
  puts.drop();
  return kOk;
}

void CapReservation::reset() {
  if (table_ == nullptr) return;
  {
    SpinGuard g(CapTable::lock_);
    CapOps::release(*this);
  }
  for (u32 i = 0; i < n_; i++) {
    kfree(nodes_[i]);
    nodes_[i] = nullptr;
  }
  table_ = nullptr;
  n_ = 0;
  committed_ = 0;
}

// --- Table operations --------------------------------------------------------

Result<u32> CapTable::install(Object* obj, u32 rights) {
  CapReservation r;
  TRY(reserve(1, r));
  return r.commit(0, obj, rights);
}

Result<u32> CapTable::install(Object* owner, Object* obj, u32 rights) {
  KASSERT(owner == owner_);
  return install(obj, rights);
}

Result<Object*> CapTable::get(u64 slot, ObjType type, u32 rights) {
  SpinGuard g(lock_);
  Cap* c = CapOps::lookup(*this, slot);
  if (c == nullptr) return Err::BadF;
  if (c->obj->type != type) return Err::Inval;
  if ((c->rights & rights) != rights) return Err::Access;
  obj_get(c->obj);
  return c->obj;
}

Result<u64> CapTable::info(u64 slot) {
  SpinGuard g(lock_);
  Cap* c = CapOps::lookup(*this, slot);
  if (c == nullptr) return Err::BadF;
  return static_cast<u64>(c->obj->type) | (static_cast<u64>(c->rights) << 8);
}

Result<u32> CapTable::copy_to(u64 slot, CapTable& to, u32 rights) {
  {
    // Errors about the source come first (commit_copies checks again).
    SpinGuard g(lock_);
    Cap* c = CapOps::lookup(*this, slot);
    if (c == nullptr) return Err::BadF;
    if (!(c->rights & CHCORE_RIGHT_COPY)) return Err::Access;
  }
  CapReservation r;
  TRY(to.reserve(1, r));
  CapCopy copy{slot, rights};
  TRY(r.commit_copies(*this, &copy));
  return r.slot(0);
}

Status CapTable::revoke_self(u64 slot) {
  Object* o;
  {
    SpinGuard g(lock_);
    Cap* c = CapOps::lookup(*this, slot);
    if (c == nullptr) return Err::BadF;
    o = CapOps::remove(c);
  }
  if (o != nullptr) obj_put(o);
  return kOk;
}

Status CapTable::revoke_derived(u64 slot) {
  for (;;) {
    PutList puts;
    u32 removed = 0;
    {
      SpinGuard g(lock_);
      Cap* c = CapOps::lookup(*this, slot);
      if (c == nullptr) return Err::BadF;
      // Remove leaves of c's subtree first, a batch at a time.
      while (c->first_child != nullptr && removed < PutList::kBatch) {
        Cap* leaf = c->first_child;
        while (leaf->first_child != nullptr) leaf = leaf->first_child;
        puts.add(CapOps::remove(leaf));
        removed++;
      }
      if (removed == 0) return kOk;
    }
    puts.drop();
  }
}

Status CapTable::fork_into(CapTable& child, bool (*keep)(const Object*)) {
  // Memory first: a capability for each one fork copies, counted under
  // the lock, and a slot array for the child if its own is smaller than
  // ours. If the table changed meanwhile (gen_, capacity_), again.
  constexpr u32 kOnStack = 32;
  for (;;) {
    u32 n = 0, cap, gen;
    bool need_slots;
    {
      SpinGuard g(lock_);
      cap = capacity_;
      gen = gen_;
      need_slots = cap > child.capacity_;
      for (u32 i = 1; i < capacity_; i++) {
        Cap* c = CapOps::at(*this, i);
        if (c != nullptr && !c->weak && keep(c->obj)) n++;
      }
    }
    Cap* on_stack[kOnStack];
    auto** nodes = n <= kOnStack ? on_stack : static_cast<Cap**>(kzalloc(n * sizeof(Cap*)));
    auto** slots = need_slots ? static_cast<Cap**>(kzalloc(cap * sizeof(Cap*))) : nullptr;
    bool ok = nodes != nullptr && (slots != nullptr || !need_slots);
    u32 allocated = 0;
    for (; ok && allocated < n; allocated++)
      ok = (nodes[allocated] = static_cast<Cap*>(kzalloc(sizeof(Cap)))) != nullptr;
    if (!ok && allocated > 0) allocated--;  // the one that failed is nullptr
    Status result = ok ? Status(kOk) : Status(Err::NoMem);
    PutList puts;  // weak copies' references (none expected)
    u32 used_nodes = 0;
    bool retry = false;
    if (ok) {
      SpinGuard g(lock_);
      if (gen_ != gen || capacity_ != cap || (cap > child.capacity_) != need_slots) {
        retry = true;
      } else if (!child.open_ || child.started_ || child.used_ != 1 || child.reserved_ != 0 ||
                 child.capacity_ == 0 || CapOps::at(child, 0) == nullptr ||
                 CapOps::at(child, 0)->obj != child.owner_) {
        result = Err::Inval;
      } else {
        // The child's array, as large as ours, with its own slot 0.
        if (need_slots) {
          slots[0] = child.slots_[0];
          kfree(child.slots_);
          child.slots_ = slots;
          child.capacity_ = cap;
          slots = nullptr;
        }
        for (u32 i = 1; i < capacity_; i++) {
          Cap* c = CapOps::at(*this, i);
          if (c == nullptr || c->weak || !keep(c->obj)) continue;
          child.slots_[i] = kReserved;
          child.used_++;
          child.reserved_++;
          obj_get(c->obj);
          puts.add(CapOps::place(child, i, nodes[used_nodes++], c->obj, c->rights, c));
        }
        child.free_hint_ = 1;
      }
    }
    // A kfree under the capability lock is fine, but not needed.
    if (slots != nullptr) kfree(slots);
    for (u32 i = used_nodes; i < allocated; i++) kfree(nodes[i]);
    if (nodes != on_stack && nodes != nullptr) kfree(nodes);
    puts.drop();
    if (!retry) return result;
  }
}

void CapTable::close() {
  SpinGuard g(lock_);
  open_ = false;
}

void CapTable::clear() {
  for (;;) {
    PutList puts;
    u32 removed = 0;
    {
      SpinGuard g(lock_);
      open_ = false;
      for (u32 i = 0; i < capacity_ && removed < PutList::kBatch; i++) {
        if (Cap* c = CapOps::at(*this, i)) {
          puts.add(CapOps::remove(c));
          removed++;
        }
      }
      if (removed == 0) {
        // Reserved slots keep the array until their reservation lets go.
        CapOps::maybe_free_array(*this);
        return;
      }
    }
    puts.drop();
  }
}

void CapTable::owner_started() {
  SpinGuard g(lock_);
  started_ = true;
}

// Both flags only ever change one way (open -> closed, not started ->
// started), so a stale read errs towards taking the lock.
bool CapTable::passive_unlocked() const TA_NO_THREAD_SAFETY_ANALYSIS {
  return __atomic_load_n(&open_, __ATOMIC_RELAXED) && !__atomic_load_n(&started_, __ATOMIC_RELAXED);
}

namespace {
// Drops one reference; true if it was the last.
bool drop_ref(Object* o) {
  u32 old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
  KASSERT(old != 0);
  return old == 1;
}
}  // namespace

bool CapTable::owner_put() {
  if (!passive_unlocked()) return drop_ref(owner_);
  CapTable* dead = nullptr;
  bool last;
  {
    SpinGuard g(lock_);
    // With one reference left (the caller's), the owner simply goes. A
    // table without capabilities to processes reaches no other table, so
    // the other references are from outside: live, nothing to collect
    // (the usual case: procmgr's system calls on a child it is setting up).
    if (passive() && group_caps_ > 0 && __atomic_load_n(&owner_->refcount, __ATOMIC_ACQUIRE) > 1)
      dead = CapOps::collect(*this);
    // Under the lock: a collection that runs next must not count this
    // reference as one from outside.
    last = drop_ref(owner_);
  }
  // Clearing the unreachable tables drops the references that held the
  // group together; the owners go with the last of them.
  while (dead != nullptr) {
    CapTable* t = dead;
    {
      SpinGuard g(lock_);
      dead = t->dead_next_;
      t->dead_next_ = nullptr;
    }
    t->clear();
    obj_put(t->owner_);
  }
  return last;
}

u32 CapTable::capacity_for_test() const TA_NO_THREAD_SAFETY_ANALYSIS { return capacity_; }
u32 CapTable::used_for_test() const TA_NO_THREAD_SAFETY_ANALYSIS { return used_; }

}  // namespace kern
