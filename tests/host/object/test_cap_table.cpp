// Tests for capability tables (object/cap_table.h): lookups with type and
// rights checks, copies and transfers, the derivation tree and revocation,
// growth and the CHCORE_MAX_CAPS limit, reserve/commit (all or none), and
// the collection of processes that nothing live reaches.
//
// cap_table.cpp is compiled as it is for the kernel. What it needs from the
// rest of the kernel is provided here: kzalloc/kfree (calloc/free, with
// failure injection and a count of live blocks), panic, and the two hooks
// of the object layer, obj_put and cap_table_of, over two stand-in object
// types: Proc (a process: an object owning a table, destroyed by clearing
// it, as cap_group_destroy does) and Thing (any other object). Every test
// ends by checking that every object and every allocation is gone.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "mm/kmalloc.h"
#include "object/cap_table.h"

using kern::CapCopy;
using kern::CapReservation;
using kern::CapTable;
using kern::Err;
using kern::Object;
using kern::ObjType;

namespace {

std::atomic<long> g_live_blocks{0};    // kzalloc'd, not kfree'd
std::atomic<long> g_alloc_fail_in{0};  // > 0: the n-th allocation from now fails
std::atomic<long> g_live_objects{0};

constexpr u32 kAll = CHCORE_RIGHTS_ALL;
constexpr u32 kRead = CHCORE_RIGHT_READ;
constexpr u32 kWrite = CHCORE_RIGHT_WRITE;
constexpr u32 kCopy = CHCORE_RIGHT_COPY;

struct Thing : Object {
  Thing() {
    kern::obj_init(this, ObjType::Pmo);
    g_live_objects++;
  }
};

// A process: owns a table. "Started" ones stand for processes with threads.
struct Proc : Object {
  CapTable caps{this};
  Proc() {
    kern::obj_init(this, ObjType::CapGroup);
    g_live_objects++;
  }
};

u32 refs(const Object* o) { return __atomic_load_n(&o->refcount, __ATOMIC_ACQUIRE); }

}  // namespace

namespace kern {
namespace mm {
void* kzalloc(usize size) {
  if (g_alloc_fail_in > 0 && --g_alloc_fail_in == 0) return nullptr;
  void* p = std::calloc(1, size);
  if (p != nullptr) g_live_blocks++;
  return p;
}
void kfree(void* p) {
  if (p == nullptr) return;
  g_live_blocks--;
  std::free(p);
}
}  // namespace mm

void panic(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::abort();
}

CapTable* cap_table_of(Object* o) {
  return o->type == ObjType::CapGroup ? &static_cast<Proc*>(o)->caps : nullptr;
}

// As object/object.cpp, with the stand-ins' destructors.
void obj_put(Object* o) {
  bool last;
  if (CapTable* t = cap_table_of(o)) {
    last = t->owner_put();
  } else {
    u32 old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
    if (old == 0) panic("obj_put: reference count was 0");
    last = old == 1;
  }
  if (!last) return;
  g_live_objects--;
  if (o->type == ObjType::CapGroup) {
    auto* p = static_cast<Proc*>(o);
    p->caps.clear();  // as cap_group_destroy
    delete p;
  } else {
    delete static_cast<Thing*>(o);
  }
}
}  // namespace kern

namespace {

using kern::obj_get;
using kern::obj_put;

class CapTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_alloc_fail_in = 0;
    ASSERT_EQ(g_live_blocks, 0);
    ASSERT_EQ(g_live_objects, 0);
  }
  // Every test drops what it made (held_); then nothing may be left.
  void TearDown() override {
    g_alloc_fail_in = 0;
    for (Object* o : held_) obj_put(o);
    EXPECT_EQ(g_live_objects, 0) << "objects leaked";
    EXPECT_EQ(g_live_blocks, 0) << "allocations leaked";
  }

  // A process whose reference the test holds (dropped in TearDown), with
  // itself in slot 0 as cap_group_create makes it.
  Proc* proc(bool started = false) {
    auto* p = new Proc();
    obj_get(p);
    EXPECT_EQ(p->caps.install(p, kAll).value(), 0u);
    if (started) p->caps.owner_started();
    held_.push_back(p);
    return p;
  }
  Thing* thing() {
    auto* t = new Thing();
    held_.push_back(t);
    return t;
  }
  // Installs a capability to `o` in `p` (with a reference of its own).
  u32 give(Proc* p, Object* o, u32 rights) {
    obj_get(o);
    kern::Result<u32> r = p->caps.install(o, rights);
    EXPECT_TRUE(r.ok());
    return r.value();
  }
  // Gives `p` a capability to `o`, which the test then lets go of.
  u32 give_away(Proc* p, Object* o, u32 rights) {
    u32 slot = give(p, o, rights);
    for (auto it = held_.begin(); it != held_.end(); ++it) {
      if (*it == o) {
        held_.erase(it);
        obj_put(o);
        break;
      }
    }
    return slot;
  }

  std::vector<Object*> held_;
};

// --- Types -------------------------------------------------------------------

TEST(ObjTypes, ListGivesTagsNumbersAndNames) {
  static_assert(kern::ObjTypeOf<kern::CapGroup>::value == ObjType::CapGroup);
  static_assert(kern::ObjTypeOf<kern::Thread>::value == ObjType::Thread);
  static_assert(kern::ObjTypeOf<kern::Pmo>::value == ObjType::Pmo);
  EXPECT_EQ(static_cast<int>(ObjType::CapGroup), CHCORE_OBJ_CAP_GROUP);
  EXPECT_EQ(static_cast<int>(ObjType::Thread), CHCORE_OBJ_THREAD);
  EXPECT_EQ(static_cast<int>(ObjType::Pmo), CHCORE_OBJ_PMO);
  EXPECT_STREQ(kern::obj_type_name(ObjType::CapGroup), "cap_group");
  EXPECT_STREQ(kern::obj_type_name(ObjType::Thread), "thread");
  EXPECT_STREQ(kern::obj_type_name(ObjType::Pmo), "pmo");
  EXPECT_STREQ(kern::obj_type_name(static_cast<ObjType>(0)), "?");
}

// --- Lookups -----------------------------------------------------------------

TEST_F(CapTableTest, GetChecksSlotTypeAndRights) {
  Proc* p = proc();
  Thing* x = thing();
  u32 s = give(p, x, kRead | kCopy);
  EXPECT_EQ(refs(x), 2u);

  auto got = p->caps.get(s, ObjType::Pmo, kRead);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), x);
  EXPECT_EQ(refs(x), 3u);  // the lookup's reference
  obj_put(got.value());

  EXPECT_EQ(p->caps.get(s, ObjType::Pmo, 0).error(), Err::None);
  obj_put(x);  // (that lookup's reference)
  EXPECT_EQ(p->caps.get(s, ObjType::Thread, kRead).error(), Err::Inval);
  EXPECT_EQ(p->caps.get(s, ObjType::Pmo, kWrite).error(), Err::Access);
  EXPECT_EQ(p->caps.get(s, ObjType::Pmo, kRead | kWrite).error(), Err::Access);
  for (u64 bad : {u64{s + 1}, u64{1023}, u64{1024}, u64{1} << 32, ~u64{0}})
    EXPECT_EQ(p->caps.get(bad, ObjType::Pmo, 0).error(), Err::BadF) << bad;
  EXPECT_EQ(refs(x), 2u);  // failed lookups took nothing
}

TEST_F(CapTableTest, InfoReportsTypeAndRights) {
  Proc* p = proc();
  u32 s = give(p, thing(), kRead | kCopy);
  EXPECT_EQ(p->caps.info(s).value(), u64{CHCORE_OBJ_PMO} | u64{kRead | kCopy} << 8);
  EXPECT_EQ(p->caps.info(0).value(), u64{CHCORE_OBJ_CAP_GROUP} | u64{kAll} << 8);
  EXPECT_EQ(p->caps.info(s + 1).error(), Err::BadF);
}

TEST_F(CapTableTest, CapabilityToOwnerHoldsNoReference) {
  Proc* p = proc();
  EXPECT_EQ(refs(p), 1u);  // the test's; slot 0 holds none
  u32 again = p->caps.copy_to(0, p->caps, kAll).value();
  EXPECT_EQ(refs(p), 1u);
  // To another process, a capability to p is an ordinary one.
  Proc* q = proc();
  u32 theirs = p->caps.copy_to(again, q->caps, kRead).value();
  EXPECT_EQ(refs(p), 2u);
  EXPECT_TRUE(q->caps.revoke_self(theirs).ok());
  EXPECT_EQ(refs(p), 1u);
}

// --- Copies, transfers, the derivation tree ----------------------------------

TEST_F(CapTableTest, CopyNarrowsRightsAndNeedsCopyRight) {
  Proc* p = proc();
  Thing* x = thing();
  u32 s = give(p, x, kAll);
  u32 ro = p->caps.copy_to(s, p->caps, kRead | kCopy).value();
  EXPECT_NE(ro, s);
  EXPECT_EQ(p->caps.info(ro).value() >> 8, kRead | kCopy);
  EXPECT_EQ(p->caps.get(ro, ObjType::Pmo, kWrite).error(), Err::Access);
  // Asking for more than the source has gives what the source has.
  u32 wide = p->caps.copy_to(ro, p->caps, kAll).value();
  EXPECT_EQ(p->caps.info(wide).value() >> 8, kRead | kCopy);
  // Without COPY, no further copies, here or elsewhere.
  u32 nocopy = p->caps.copy_to(s, p->caps, kRead).value();
  EXPECT_EQ(p->caps.copy_to(nocopy, p->caps, kRead).error(), Err::Access);
  Proc* q = proc();
  EXPECT_EQ(p->caps.copy_to(nocopy, q->caps, kRead).error(), Err::Access);
  EXPECT_EQ(p->caps.copy_to(99, q->caps, kRead).error(), Err::BadF);
  EXPECT_EQ(refs(x), 5u);                  // the test and four capabilities
  EXPECT_EQ(q->caps.used_for_test(), 1u);  // only its slot 0
}

TEST_F(CapTableTest, TransferReachesOtherTableWithItsOwnSlot) {
  Proc* a = proc();
  Proc* b = proc();
  Thing* x = thing();
  u32 mine = give(a, x, kAll);
  u32 theirs = a->caps.copy_to(mine, b->caps, kRead).value();
  EXPECT_EQ(theirs, 1u);  // b's lowest free slot
  auto got = b->caps.get(theirs, ObjType::Pmo, kRead);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), x);
  obj_put(got.value());
  EXPECT_EQ(b->caps.get(theirs, ObjType::Pmo, kWrite).error(), Err::Access);
  // Deleting the source leaves the copy (it becomes a root).
  EXPECT_TRUE(a->caps.revoke_self(mine).ok());
  EXPECT_TRUE(b->caps.info(theirs).ok());
  EXPECT_EQ(refs(x), 2u);
}

TEST_F(CapTableTest, TransferIntoClosedTableFails) {
  Proc* a = proc();
  Proc* b = proc();
  Thing* x = thing();
  u32 s = give(a, x, kAll);
  b->caps.close();
  EXPECT_EQ(a->caps.copy_to(s, b->caps, kRead).error(), Err::Inval);
  // Errors about the source come first.
  EXPECT_EQ(a->caps.copy_to(s + 1, b->caps, kRead).error(), Err::BadF);
  EXPECT_EQ(b->caps.install(thing(), kAll).error(), Err::Inval);
  EXPECT_EQ(refs(x), 2u);
  EXPECT_TRUE(a->caps.info(s).ok());
}

TEST_F(CapTableTest, RevokeSelfReattachesChildrenToParent) {
  Proc* a = proc();
  Proc* b = proc();
  Proc* c = proc();
  Thing* x = thing();
  u32 root = give(a, x, kAll);
  u32 child = a->caps.copy_to(root, b->caps, kAll).value();
  u32 grandchild = b->caps.copy_to(child, c->caps, kRead | kCopy).value();
  u32 sibling = a->caps.copy_to(root, a->caps, kRead).value();

  EXPECT_TRUE(b->caps.revoke_self(child).ok());
  EXPECT_EQ(b->caps.info(child).error(), Err::BadF);
  EXPECT_TRUE(c->caps.info(grandchild).ok()) << "a copy of the revoked capability must stay";
  EXPECT_EQ(refs(x), 4u);
  // The grandchild now hangs below the root: revoking what the root
  // derived reaches it.
  EXPECT_TRUE(a->caps.revoke_derived(root).ok());
  EXPECT_EQ(c->caps.info(grandchild).error(), Err::BadF);
  EXPECT_EQ(a->caps.info(sibling).error(), Err::BadF);
  EXPECT_TRUE(a->caps.info(root).ok());
  EXPECT_EQ(refs(x), 2u);
}

TEST_F(CapTableTest, RevokeSelfOfRootLeavesCopiesAsRoots) {
  Proc* a = proc();
  Proc* b = proc();
  Thing* x = thing();
  u32 root = give(a, x, kAll);
  u32 c1 = a->caps.copy_to(root, b->caps, kAll).value();
  u32 c2 = a->caps.copy_to(root, b->caps, kAll).value();
  u32 c1_child = b->caps.copy_to(c1, a->caps, kRead).value();
  EXPECT_TRUE(a->caps.revoke_self(root).ok());
  EXPECT_TRUE(b->caps.info(c1).ok());
  EXPECT_TRUE(b->caps.info(c2).ok());
  // The former siblings are unrelated now: revoking below one leaves the other.
  EXPECT_TRUE(b->caps.revoke_derived(c2).ok());
  EXPECT_TRUE(a->caps.info(c1_child).ok());
  EXPECT_TRUE(b->caps.revoke_derived(c1).ok());
  EXPECT_EQ(a->caps.info(c1_child).error(), Err::BadF);
  EXPECT_EQ(refs(x), 3u);
}

TEST_F(CapTableTest, RevokeDerivedReachesEveryTable) {
  Proc* a = proc();
  Proc* b = proc();
  Proc* c = proc();
  Thing* x = thing();
  u32 root = give(a, x, kAll);
  u32 b1 = a->caps.copy_to(root, b->caps, kAll).value();
  u32 c1 = b->caps.copy_to(b1, c->caps, kAll).value();
  u32 c1c = c->caps.copy_to(c1, c->caps, kRead).value();
  u32 a2 = a->caps.copy_to(root, a->caps, kAll).value();
  u32 c2 = a->caps.copy_to(a2, c->caps, kRead).value();
  // More than one batch of removals (PutList::kBatch is 32).
  std::vector<u32> many;
  for (int i = 0; i < 70; i++) many.push_back(b->caps.copy_to(b1, b->caps, kRead).value());
  EXPECT_EQ(refs(x), 77u);

  // Below a copy: only its own subtree.
  EXPECT_TRUE(b->caps.revoke_derived(b1).ok());
  EXPECT_EQ(c->caps.info(c1).error(), Err::BadF);
  EXPECT_EQ(c->caps.info(c1c).error(), Err::BadF);
  for (u32 s : many) EXPECT_EQ(b->caps.info(s).error(), Err::BadF);
  EXPECT_TRUE(b->caps.info(b1).ok());
  EXPECT_TRUE(c->caps.info(c2).ok());
  EXPECT_EQ(refs(x), 5u);

  EXPECT_TRUE(a->caps.revoke_derived(root).ok());
  for (auto [p, s] : {std::pair{b, b1}, {a, a2}, {c, c2}})
    EXPECT_EQ(p->caps.info(s).error(), Err::BadF);
  EXPECT_TRUE(a->caps.info(root).ok());
  EXPECT_EQ(refs(x), 2u);
  EXPECT_EQ(a->caps.revoke_derived(root + 100).error(), Err::BadF);
  EXPECT_EQ(a->caps.revoke_self(root + 100).error(), Err::BadF);
}

TEST_F(CapTableTest, ClearDropsEveryReference) {
  Proc* p = proc();
  Thing* x = thing();
  Proc* q = proc();
  for (int i = 0; i < 40; i++) give(p, x, kAll);
  give(p, q, kAll);
  EXPECT_EQ(refs(x), 41u);
  p->caps.clear();
  EXPECT_EQ(refs(x), 1u);
  EXPECT_EQ(refs(q), 1u);
  EXPECT_EQ(p->caps.used_for_test(), 0u);
  EXPECT_EQ(p->caps.capacity_for_test(), 0u);                     // the array is gone too
  EXPECT_EQ(p->caps.install(thing(), kAll).error(), Err::Inval);  // and it stays closed
}

// --- Growth and the limit ------------------------------------------------------

TEST_F(CapTableTest, TableGrowsAndKeepsCapabilities) {
  Proc* p = proc();
  EXPECT_EQ(p->caps.capacity_for_test(), 16u);
  std::vector<Thing*> things;
  std::vector<u32> slots;
  for (int i = 0; i < 100; i++) {
    things.push_back(thing());
    slots.push_back(give(p, things.back(), kRead));
    EXPECT_EQ(slots.back(), u32(i + 1));  // lowest free slot first
  }
  EXPECT_EQ(p->caps.capacity_for_test(), 128u);
  for (int i = 0; i < 100; i++) {
    auto got = p->caps.get(slots[i], ObjType::Pmo, kRead);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got.value(), things[i]);
    obj_put(got.value());
  }
  // A freed slot is reused before the table grows.
  EXPECT_TRUE(p->caps.revoke_self(slots[41]).ok());
  EXPECT_EQ(give(p, thing(), kRead), slots[41]);
}

TEST_F(CapTableTest, LimitIsMaxCaps) {
  Proc* p = proc();
  Thing* x = thing();
  for (u32 i = 1; i < CHCORE_MAX_CAPS; i++) ASSERT_EQ(give(p, x, kRead), i);
  EXPECT_EQ(p->caps.capacity_for_test(), u32{CHCORE_MAX_CAPS});
  obj_get(x);
  EXPECT_EQ(p->caps.install(x, kRead).error(), Err::NoSpc);
  obj_put(x);
  CapReservation r;
  EXPECT_EQ(p->caps.reserve(1, r).error(), Err::NoSpc);
  EXPECT_EQ(p->caps.copy_to(0, p->caps, kRead).error(), Err::NoSpc);
  EXPECT_EQ(refs(x), u32{CHCORE_MAX_CAPS});
  EXPECT_TRUE(p->caps.revoke_self(500).ok());
  EXPECT_EQ(give(p, x, kRead), 500u);
}

TEST_F(CapTableTest, GrowthFailureChangesNothing) {
  Proc* p = proc();
  Thing* x = thing();
  for (u32 i = 1; i < 16; i++) give(p, x, kRead);
  ASSERT_EQ(p->caps.capacity_for_test(), 16u);
  long blocks = g_live_blocks;
  // reserve allocates the capability, then (under the lock) the bigger array.
  for (long fail : {1, 2}) {
    g_alloc_fail_in = fail;
    obj_get(x);
    EXPECT_EQ(p->caps.install(x, kRead).error(), Err::NoMem) << "failing allocation " << fail;
    obj_put(x);  // install took nothing
    EXPECT_EQ(p->caps.capacity_for_test(), 16u);
    EXPECT_EQ(p->caps.used_for_test(), 16u);
    EXPECT_EQ(g_live_blocks, blocks);
    EXPECT_EQ(refs(x), 16u);
  }
  EXPECT_EQ(give(p, x, kRead), 16u);
}

// --- Reserve and commit ----------------------------------------------------------

TEST_F(CapTableTest, ReservedSlotsAreInvisibleUntilCommitted) {
  Proc* p = proc();
  CapReservation r;
  ASSERT_TRUE(p->caps.reserve(8, r).ok());
  EXPECT_EQ(r.size(), 8u);
  for (u32 i = 0; i < 8; i++) {
    EXPECT_EQ(r.slot(i), i + 1);
    EXPECT_EQ(p->caps.info(r.slot(i)).error(), Err::BadF);
    EXPECT_EQ(p->caps.revoke_self(r.slot(i)).error(), Err::BadF);
    EXPECT_EQ(p->caps.copy_to(r.slot(i), p->caps, kAll).error(), Err::BadF);
  }
  // Other installs go around them.
  Thing* x = thing();
  EXPECT_EQ(give(p, x, kRead), 9u);
  std::vector<Thing*> things;
  for (u32 i = 0; i < 8; i++) {
    things.push_back(thing());
    obj_get(things[i]);
    EXPECT_EQ(r.commit(i, things[i], kRead | kWrite), r.slot(i));
  }
  for (u32 i = 0; i < 8; i++) {
    auto got = p->caps.get(r.slot(i), ObjType::Pmo, kRead | kWrite);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got.value(), things[i]);
    obj_put(got.value());
  }
}

// The value form hands the slots over in a Result (move-only); an error
// leaves nothing reserved.
static kern::Result<u32> reserve_two_and_commit_one(CapTable& t, Thing* x) {
  CapReservation r = TRY(t.reserve(2));
  return r.commit(0, x, kRead);
}

TEST_F(CapTableTest, ReserveAsValueMovesTheSlots) {
  Proc* p = proc();
  u32 used = p->caps.used_for_test();
  Thing* x = thing();
  obj_get(x);
  kern::Result<u32> s = reserve_two_and_commit_one(p->caps, x);
  ASSERT_TRUE(s.ok());
  // The uncommitted second slot was released when the reservation ended.
  EXPECT_EQ(p->caps.used_for_test(), used + 1);
  EXPECT_EQ(p->caps.reserve(0).error(), Err::Inval);
  EXPECT_EQ(p->caps.used_for_test(), used + 1);
}

TEST_F(CapTableTest, ReserveRejectsBadCounts) {
  Proc* p = proc();
  CapReservation r;
  EXPECT_EQ(p->caps.reserve(0, r).error(), Err::Inval);
  EXPECT_EQ(p->caps.reserve(CapTable::kMaxReserve + 1, r).error(), Err::Inval);
  EXPECT_EQ(p->caps.used_for_test(), 1u);
}

TEST_F(CapTableTest, ReserveAtTheLimitIsAllOrNothing) {
  Proc* p = proc();
  Thing* x = thing();
  for (u32 i = 1; i < CHCORE_MAX_CAPS - 3; i++) give(p, x, kRead);
  CapReservation r;
  EXPECT_EQ(p->caps.reserve(4, r).error(), Err::NoSpc);
  EXPECT_EQ(p->caps.used_for_test(), u32{CHCORE_MAX_CAPS - 3});
  ASSERT_TRUE(p->caps.reserve(3, r).ok());
  EXPECT_EQ(p->caps.used_for_test(), u32{CHCORE_MAX_CAPS});
  r.reset();
  EXPECT_EQ(p->caps.used_for_test(), u32{CHCORE_MAX_CAPS - 3});
}

TEST_F(CapTableTest, ReserveOutOfMemoryAtEveryStepChangesNothing) {
  Proc* p = proc();
  Thing* x = thing();
  for (u32 i = 1; i < 12; i++) give(p, x, kRead);  // 8 more need a bigger table
  long blocks = g_live_blocks;
  // 8 capabilities, then the array: fail each allocation in turn.
  for (long fail = 1; fail <= 9; fail++) {
    g_alloc_fail_in = fail;
    CapReservation r;
    EXPECT_EQ(p->caps.reserve(8, r).error(), Err::NoMem) << "failing allocation " << fail;
    EXPECT_EQ(r.size(), 0u);
    EXPECT_EQ(g_live_blocks, blocks);
    EXPECT_EQ(p->caps.used_for_test(), 12u);
    EXPECT_EQ(p->caps.capacity_for_test(), 16u);
  }
  g_alloc_fail_in = 0;
  CapReservation r;
  EXPECT_TRUE(p->caps.reserve(8, r).ok());
  EXPECT_EQ(p->caps.capacity_for_test(), 32u);
}

TEST_F(CapTableTest, UncommittedSlotsAreReleased) {
  Proc* p = proc();
  long blocks = g_live_blocks;
  {
    CapReservation r;
    ASSERT_TRUE(p->caps.reserve(4, r).ok());
    obj_get(thing());
    r.commit(0, held_.back(), kRead);
    obj_get(thing());
    r.commit(2, held_.back(), kRead);
  }  // slots 2 and 4 go back
  EXPECT_EQ(p->caps.used_for_test(), 3u);
  EXPECT_EQ(g_live_blocks, blocks + 2);  // the two capabilities only
  EXPECT_TRUE(p->caps.info(1).ok());
  EXPECT_EQ(p->caps.info(2).error(), Err::BadF);
  EXPECT_TRUE(p->caps.info(3).ok());
  CapReservation again;
  ASSERT_TRUE(p->caps.reserve(2, again).ok());
  EXPECT_EQ(again.slot(0), 2u);
  EXPECT_EQ(again.slot(1), 4u);
}

TEST_F(CapTableTest, ReservationMovesWithoutReleasing) {
  Proc* p = proc();
  CapReservation a;
  ASSERT_TRUE(p->caps.reserve(2, a).ok());
  CapReservation b(static_cast<CapReservation&&>(a));
  EXPECT_EQ(a.size(), 0u);
  a.reset();  // nothing to release
  EXPECT_EQ(p->caps.used_for_test(), 3u);
  CapReservation c;
  c = static_cast<CapReservation&&>(b);
  obj_get(thing());
  EXPECT_EQ(c.commit(1, held_.back(), kRead), 2u);
  // Reserving into a reservation that holds slots releases them first.
  ASSERT_TRUE(p->caps.reserve(1, c).ok());
  EXPECT_EQ(c.slot(0), 1u);
  EXPECT_EQ(p->caps.used_for_test(), 3u);
}

// IPC's case: copies of several of the sender's capabilities, all or none.
TEST_F(CapTableTest, CommitCopiesIsAllOrNone) {
  Proc* sender = proc();
  Proc* receiver = proc();
  std::vector<Thing*> things;
  CapCopy copies[8];
  for (u32 i = 0; i < 8; i++) {
    things.push_back(thing());
    // The fifth lacks COPY.
    copies[i] = {give(sender, things[i], i == 4 ? kRead : kAll), kRead | kCopy};
  }
  CapReservation r;
  ASSERT_TRUE(receiver->caps.reserve(8, r).ok());
  EXPECT_EQ(r.commit_copies(sender->caps, copies).error(), Err::Access);
  copies[4].slot = 60;  // empty
  EXPECT_EQ(r.commit_copies(sender->caps, copies).error(), Err::BadF);
  for (u32 i = 0; i < 8; i++) {
    EXPECT_EQ(refs(things[i]), 2u) << "a failed commit took a reference";
    EXPECT_EQ(receiver->caps.info(r.slot(i)).error(), Err::BadF);
  }
  EXPECT_EQ(receiver->caps.used_for_test(), 9u);  // still reserved

  copies[4].slot = give(sender, things[4], kAll);
  ASSERT_TRUE(r.commit_copies(sender->caps, copies).ok());
  for (u32 i = 0; i < 8; i++) {
    EXPECT_EQ(receiver->caps.info(r.slot(i)).value(),
              u64{CHCORE_OBJ_PMO} | u64{kRead | kCopy} << 8);
    EXPECT_EQ(refs(things[i]), i == 4 ? 4u : 3u);
  }
  // The copies are children of the sender's capabilities.
  EXPECT_TRUE(sender->caps.revoke_derived(copies[2].slot).ok());
  EXPECT_EQ(receiver->caps.info(r.slot(2)).error(), Err::BadF);
  EXPECT_TRUE(receiver->caps.info(r.slot(3)).ok());
  r.reset();  // all committed: nothing to release
  EXPECT_EQ(receiver->caps.used_for_test(), 8u);
}

TEST_F(CapTableTest, CommitCopiesWithinOneTableAndOfItsOwner) {
  Proc* p = proc();
  Proc* q = proc();
  CapReservation r;
  ASSERT_TRUE(p->caps.reserve(2, r).ok());
  u32 q_in_p = give(p, q, kAll);
  CapCopy copies[2] = {{0, kRead | kCopy}, {q_in_p, kRead}};
  ASSERT_TRUE(r.commit_copies(p->caps, copies).ok());
  EXPECT_EQ(refs(p), 1u);  // a copy of the self capability is weak as well
  EXPECT_EQ(refs(q), 3u);
  EXPECT_TRUE(p->caps.revoke_derived(0).ok());
  EXPECT_EQ(p->caps.info(r.slot(0)).error(), Err::BadF);
}

// The receiver exits between reserve and commit: nothing may leak.
TEST_F(CapTableTest, CommitIntoTableClosedMeanwhileDropsTheObject) {
  Proc* sender = proc();
  Proc* receiver = proc();
  Thing* x = thing();
  u32 s = give(sender, x, kAll);
  CapReservation r;
  ASSERT_TRUE(receiver->caps.reserve(3, r).ok());
  receiver->caps.clear();
  EXPECT_EQ(receiver->caps.capacity_for_test(), 16u);  // kept for the reservation
  obj_get(x);
  r.commit(0, x, kAll);
  CapCopy copy[1] = {{s, kRead}};
  CapReservation r2 = static_cast<CapReservation&&>(r);
  EXPECT_EQ(refs(x), 2u);
  r2.reset();
  EXPECT_EQ(receiver->caps.used_for_test(), 0u);
  EXPECT_EQ(receiver->caps.capacity_for_test(), 0u);  // the last slot freed the array
  // And the same through commit_copies.
  Proc* other = proc();
  ASSERT_TRUE(other->caps.reserve(1, r).ok());
  other->caps.clear();
  ASSERT_TRUE(r.commit_copies(sender->caps, copy).ok());
  EXPECT_EQ(refs(x), 2u);
  EXPECT_EQ(other->caps.capacity_for_test(), 0u);
}

TEST_F(CapTableTest, ReserveInClosedTableFails) {
  Proc* p = proc();
  p->caps.close();
  CapReservation r;
  EXPECT_EQ(p->caps.reserve(1, r).error(), Err::Inval);
}

// --- Processes that nothing live reaches -------------------------------------

class CapCycleTest : public CapTableTest {};

// A creator (a started process) makes two processes holding each other,
// then lets go of them.
TEST_F(CapCycleTest, PairIsFreedWhenCreatorLetsGo) {
  Proc* creator = proc(/*started=*/true);
  Proc* a = proc();
  Proc* b = proc();
  u32 sa = give_away(creator, a, kAll);
  u32 sb = give_away(creator, b, kAll);
  EXPECT_EQ(refs(a), 1u);
  ASSERT_TRUE(creator->caps.copy_to(sb, a->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, b->caps, kRead).ok());
  Thing* x = thing();
  give(a, x, kRead);
  give(b, x, kRead);
  long objects = g_live_objects;
  EXPECT_TRUE(creator->caps.revoke_self(sa).ok());
  EXPECT_EQ(g_live_objects, objects) << "b still reaches a";
  EXPECT_TRUE(creator->caps.revoke_self(sb).ok());
  EXPECT_EQ(g_live_objects, objects - 2);
  EXPECT_EQ(refs(x), 1u);
}

// The same, through revoke_derived: the creator's copies in each other.
TEST_F(CapCycleTest, PairIsFreedWhenCreatorRevokesDerived) {
  Proc* creator = proc(true);
  Proc* a = proc();
  Proc* b = proc();
  u32 sa = give_away(creator, a, kAll);
  u32 sb = give_away(creator, b, kAll);
  ASSERT_TRUE(creator->caps.copy_to(sb, a->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, b->caps, kAll).ok());
  long objects = g_live_objects;
  // Revoking what the creator derived breaks the cycle from outside.
  EXPECT_TRUE(creator->caps.revoke_derived(sa).ok());
  EXPECT_TRUE(creator->caps.revoke_derived(sb).ok());
  EXPECT_EQ(g_live_objects, objects);
  EXPECT_TRUE(creator->caps.revoke_self(sa).ok());
  EXPECT_EQ(g_live_objects, objects - 1);  // a: nobody holds it
  EXPECT_TRUE(creator->caps.revoke_self(sb).ok());
  EXPECT_EQ(g_live_objects, objects - 2);
}

TEST_F(CapCycleTest, RingWithChordsAndSelfReferencesIsFreed) {
  Proc* creator = proc(true);
  constexpr int n = 40;
  std::vector<u32> slots;
  for (int i = 0; i < n; i++) slots.push_back(give_away(creator, proc(), kAll));
  auto table = [&](int i) {
    auto got = creator->caps.get(slots[i], ObjType::CapGroup, 0);
    Proc* p = static_cast<Proc*>(got.value());
    obj_put(p);
    return &p->caps;
  };
  for (int i = 0; i < n; i++) {
    ASSERT_TRUE(creator->caps.copy_to(slots[(i + 1) % n], *table(i), kAll).ok());
    ASSERT_TRUE(creator->caps.copy_to(slots[(i * 7) % n], *table(i), kRead).ok());
    ASSERT_TRUE(creator->caps.copy_to(slots[i], *table(i), kRead).ok());  // itself
  }
  long objects = g_live_objects;
  for (int i = 0; i < n - 1; i++) EXPECT_TRUE(creator->caps.revoke_self(slots[i]).ok());
  EXPECT_EQ(g_live_objects, objects);
  EXPECT_TRUE(creator->caps.revoke_self(slots[n - 1]).ok());
  EXPECT_EQ(g_live_objects, objects - n);
}

// A cycle that a live process reaches, even through a passive one, stays.
TEST_F(CapCycleTest, CycleReachableFromLiveProcessIsKept) {
  Proc* creator = proc(true);
  Proc* a = proc();
  Proc* b = proc();
  Proc* holder = proc();  // passive too
  u32 sa = give_away(creator, a, kAll);
  u32 sb = give_away(creator, b, kAll);
  u32 sh = give_away(creator, holder, kAll);
  ASSERT_TRUE(creator->caps.copy_to(sb, a->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, b->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, holder->caps, kAll).ok());
  long objects = g_live_objects;
  EXPECT_TRUE(creator->caps.revoke_self(sa).ok());
  EXPECT_TRUE(creator->caps.revoke_self(sb).ok());
  EXPECT_EQ(g_live_objects, objects);
  // Still usable through the holder.
  auto got = holder->caps.get(1, ObjType::CapGroup, 0);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got.value(), a);
  obj_put(got.value());
  EXPECT_TRUE(creator->caps.revoke_self(sh).ok());
  EXPECT_EQ(g_live_objects, objects - 3);
}

// A process that has started threads is alive through them (here: held
// by the test), not collected; when it exits (its table cleared), what it
// held goes.
TEST_F(CapCycleTest, StartedProcessIsNotCollected) {
  Proc* creator = proc(true);
  Proc* runner = proc(true);
  Proc* a = proc();
  Proc* b = proc();
  u32 sa = give_away(creator, a, kAll);
  u32 sb = give_away(creator, b, kAll);
  ASSERT_TRUE(creator->caps.copy_to(sb, a->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, b->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, runner->caps, kAll).ok());
  // A started process in the cycle: its capability keeps a and b.
  u32 sr = give(creator, runner, kAll);
  ASSERT_TRUE(creator->caps.copy_to(sr, a->caps, kAll).ok());
  long objects = g_live_objects;
  EXPECT_TRUE(creator->caps.revoke_self(sa).ok());
  EXPECT_TRUE(creator->caps.revoke_self(sb).ok());
  EXPECT_TRUE(creator->caps.revoke_self(sr).ok());
  EXPECT_EQ(g_live_objects, objects);
  runner->caps.clear();  // it exits
  EXPECT_EQ(g_live_objects, objects - 2);
  EXPECT_EQ(refs(runner), 1u);  // the test's: a's capability went with a
}

// A reference held outside every table (a system call in progress) keeps
// the cycle until it is dropped.
TEST_F(CapCycleTest, ReferenceInFlightDefersCollection) {
  Proc* creator = proc(true);
  Proc* a = proc();
  Proc* b = proc();
  u32 sa = give_away(creator, a, kAll);
  u32 sb = give_away(creator, b, kAll);
  ASSERT_TRUE(creator->caps.copy_to(sb, a->caps, kAll).ok());
  ASSERT_TRUE(creator->caps.copy_to(sa, b->caps, kAll).ok());
  auto in_flight = creator->caps.get(sb, ObjType::CapGroup, 0);
  ASSERT_TRUE(in_flight.ok());
  long objects = g_live_objects;
  EXPECT_TRUE(creator->caps.revoke_self(sa).ok());
  EXPECT_TRUE(creator->caps.revoke_self(sb).ok());
  EXPECT_EQ(g_live_objects, objects);
  obj_put(in_flight.value());
  EXPECT_EQ(g_live_objects, objects - 2);
}

// Two live processes drop the last two outside references at the same
// time, over and over: whichever goes second must find the pair garbage.
TEST_F(CapCycleTest, ConcurrentLastReferencesFreeThePair) {
  constexpr int kRounds = 3000;
  Proc* left = proc(true);
  Proc* right = proc(true);
  long objects = g_live_objects;
  std::atomic<int> go{0}, done{0};
  u32 slot[2];
  auto worker = [&](Proc* me, int side) {
    for (int round = 1; round <= kRounds; round++) {
      while (go.load() < round) std::this_thread::yield();
      EXPECT_TRUE(me->caps.revoke_self(slot[side]).ok());
      done++;
    }
  };
  std::thread t1(worker, left, 0), t2(worker, right, 1);
  for (int round = 1; round <= kRounds; round++) {
    auto* a = new Proc();
    auto* b = new Proc();
    obj_get(a);  // for the self capability (which drops it)
    obj_get(b);
    EXPECT_TRUE(a->caps.install(a, kAll).ok());
    EXPECT_TRUE(b->caps.install(b, kAll).ok());
    slot[0] = left->caps.install(a, kAll).value();  // takes the creation reference
    slot[1] = right->caps.install(b, kAll).value();
    EXPECT_TRUE(left->caps.copy_to(slot[0], b->caps, kAll).ok());
    EXPECT_TRUE(right->caps.copy_to(slot[1], a->caps, kAll).ok());
    go = round;
    while (done.load() < 2 * round) std::this_thread::yield();
    if (g_live_objects != objects) {
      ADD_FAILURE() << "round " << round << ": the pair was not freed";
      go = kRounds;
      break;
    }
  }
  go = kRounds;
  t1.join();
  t2.join();
}

// Several threads build and drop cycles, copy into each other's processes
// and revoke, at once; in the end everything is freed.
TEST_F(CapCycleTest, ConcurrentChurnLeavesNothing) {
  constexpr int kThreads = 2;
  std::vector<Proc*> creators;
  for (int i = 0; i < kThreads; i++) creators.push_back(proc(true));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Proc* me = creators[t];
      Proc* next = creators[(t + 1) % kThreads];
      for (int round = 0; round < 500; round++) {
        u32 s[3];
        for (u32& slot : s) {
          auto* p = new Proc();
          obj_get(p);
          EXPECT_TRUE(p->caps.install(p, kAll).ok());
          slot = me->caps.install(p, kAll).value();
        }
        for (int i = 0; i < 3; i++) {
          auto got = me->caps.get(s[i], ObjType::CapGroup, 0);
          auto* p = static_cast<Proc*>(got.value());
          EXPECT_TRUE(me->caps.copy_to(s[(i + 1) % 3], p->caps, kAll).ok());
          obj_put(p);
        }
        // One of them also reachable from a neighbour for a while.
        auto lent = me->caps.copy_to(s[round % 3], next->caps, kRead);
        for (u32 slot : s) EXPECT_TRUE(me->caps.revoke_self(slot).ok());
        if (lent.ok()) EXPECT_TRUE(next->caps.revoke_self(lent.value()).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(g_live_objects, kThreads);  // only the creators
}

}  // namespace
