// Tests for the ordered region set of an address space (kernel/mm/vm_region).
// Regions are allocated with new; the hooks delete the ones handed back, and
// every test ends with no region leaked (ASan's leak check).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "../addr_print.h"
#include "mm/vm_region.h"

using kern::Err;
using kern::VmRegion;
using kern::VmRegionSet;

namespace {

constexpr u64 P = 4096;

kern::Pmo* pmo_tag(uptr n) { return reinterpret_cast<kern::Pmo*>(n * 16); }

// Test helpers take addresses as numbers; the set's own API takes VirtAddr.
VmRegion* mk(u64 start, usize size, usize pmo_offset = 0, u32 perm = 3, uptr pmo = 1) {
  auto* r = new VmRegion;
  r->start = VirtAddr{start};
  r->size = size;
  r->pmo_offset = pmo_offset;
  r->perm = perm;
  r->pmo = pmo_tag(pmo);
  return r;
}

struct Removed {
  u64 region_start;  // the region as it was at the time of the call
  usize region_size;
  usize region_pmo_offset;
  u64 start;
  usize size;
  bool whole;
  bool operator==(const Removed&) const = default;
};

class Hooks final : public kern::VmRegionHooks {
 public:
  VmRegion* alloc_region() override {
    if (budget == 0) return nullptr;
    if (budget > 0) budget--;
    auto* r = new VmRegion;
    r->start = VirtAddr{0xdead000};  // garbage the set must overwrite
    r->size = 77;
    r->pmo_offset = 99;
    return r;
  }
  void on_remove(VmRegion* r, VirtAddr start, usize size, bool whole) override {
    removed.push_back({r->start.raw(), r->size, r->pmo_offset, start.raw(), size, whole});
    EXPECT_EQ(r->node.linked(), !whole);
    EXPECT_GE(start, r->start);
    EXPECT_LE(start + size, r->end());
    if (whole) delete r;
  }
  void on_split(VmRegion* left, VmRegion* right) override {
    EXPECT_EQ(left->pmo, right->pmo);
    EXPECT_TRUE(right->node.linked());
    splits++;
  }
  void on_gap(VirtAddr lo, VirtAddr hi) override {
    gaps.push_back({lo.raw(), hi.raw()});
  }

  long budget = -1;
  std::vector<std::pair<u64, u64>> gaps;
  std::vector<Removed> removed;
  int splits = 0;
};

class VmRegionTest : public ::testing::Test {
 protected:
  void TearDown() override {
    while (VmRegion* r = set.take_first()) delete r;
    EXPECT_EQ(set.count(), 0u);
  }
  // Inserts a new region, which the set then owns (or deletes it on failure).
  Err add(u64 start, usize size, usize pmo_offset = 0) {
    VmRegion* r = mk(start, size, pmo_offset);
    Err e = set.insert(r).error();
    if (e != Err::None) delete r;
    return e;
  }
  struct Span {
    u64 start;
    usize size;
    usize pmo_offset;
    bool operator==(const Span&) const = default;
  };
  std::vector<Span> spans() const {
    std::vector<Span> v;
    for (VmRegion* r : set) v.push_back({r->start.raw(), r->size, r->pmo_offset});
    return v;
  }

  VmRegionSet set;
  Hooks hooks;
};

TEST_F(VmRegionTest, InsertKeepsRegionsSorted) {
  EXPECT_EQ(add(0x50000, P), Err::None);
  EXPECT_EQ(add(0x10000, 2 * P), Err::None);
  EXPECT_EQ(add(0x90000, P), Err::None);
  EXPECT_EQ(add(0x30000, P), Err::None);
  EXPECT_EQ(add(0x0, P), Err::None);
  EXPECT_EQ(set.count(), 5u);
  std::vector<u64> starts;
  for (VmRegion* r : set) starts.push_back(r->start.raw());
  EXPECT_EQ(starts, (std::vector<u64>{0x0, 0x10000, 0x30000, 0x50000, 0x90000}));
  EXPECT_EQ(set.first()->start, VirtAddr{0});
  EXPECT_EQ(set.next(set.first())->start, VirtAddr{0x10000});
}

TEST_F(VmRegionTest, InsertRejectsBadRegions) {
  EXPECT_EQ(add(0x10000, 0), Err::Inval);
  EXPECT_EQ(add(0x10800, P), Err::Inval);
  EXPECT_EQ(add(0x10000, P + 1), Err::Inval);
  EXPECT_EQ(add(~0ull - P + 1, 2 * P), Err::Inval);  // wraps
  EXPECT_EQ(add(~0ull - P + 1, P), Err::Inval);      // would end at 2^64
  EXPECT_EQ(add(~0ull - 2 * P + 1, P), Err::None);   // the page below is fine
  VmRegion* r = mk(0x10000, P);
  ASSERT_EQ(set.insert(r).error(), Err::None);
  EXPECT_EQ(set.insert(r).error(), Err::Inval);  // already linked
  EXPECT_EQ(set.insert(nullptr).error(), Err::Inval);
  EXPECT_EQ(set.count(), 2u);
}

TEST_F(VmRegionTest, OverlapEdgeCases) {
  ASSERT_EQ(add(0x10000, 0x10000), Err::None);  // [0x10000, 0x20000)
  auto before = spans();
  EXPECT_EQ(add(0xf000, 2 * P), Err::Exist);     // one page over the start
  EXPECT_EQ(add(0x1f000, 2 * P), Err::Exist);    // one page over the end
  EXPECT_EQ(add(0x10000, 0x10000), Err::Exist);  // identical
  EXPECT_EQ(add(0x14000, P), Err::Exist);        // inside
  EXPECT_EQ(add(0x0, 0x100000), Err::Exist);     // around
  EXPECT_EQ(add(0x10000, P), Err::Exist);        // first page
  EXPECT_EQ(add(0x1f000, P), Err::Exist);        // last page
  EXPECT_TRUE(spans() == before);
  // Touching on either side is fine; then a one-page hole between two
  // regions takes exactly one page.
  EXPECT_EQ(add(0xf000, P), Err::None);
  EXPECT_EQ(add(0x20000, P), Err::None);
  EXPECT_EQ(add(0x22000, P), Err::None);
  EXPECT_EQ(add(0x21000, 2 * P), Err::Exist);
  EXPECT_EQ(add(0x20000, 2 * P), Err::Exist);
  EXPECT_EQ(add(0x21000, P), Err::None);
  EXPECT_EQ(set.count(), 5u);
}

TEST_F(VmRegionTest, FindAndFirstOverlap) {
  ASSERT_EQ(add(0x10000, 0x4000), Err::None);
  ASSERT_EQ(add(0x20000, 0x4000), Err::None);
  VmRegion* a = set.first();
  VmRegion* b = set.next(a);
  EXPECT_EQ(set.find(VirtAddr{0x10000}), a);
  EXPECT_EQ(set.find(VirtAddr{0x13fff}), a);
  EXPECT_EQ(set.find(VirtAddr{0x14000}), nullptr);
  EXPECT_EQ(set.find(VirtAddr{0xffff}), nullptr);
  EXPECT_EQ(set.find(VirtAddr{0x20123}), b);
  EXPECT_EQ(set.find(VirtAddr{0x24000}), nullptr);
  EXPECT_EQ(set.find(VirtAddr{~0ull}), nullptr);

  EXPECT_EQ(set.first_overlap(VirtAddr{0}, 0x10000), nullptr);
  EXPECT_EQ(set.first_overlap(VirtAddr{0}, 0x10001), a);
  EXPECT_EQ(set.first_overlap(VirtAddr{0x13fff}, 0x100000), a);
  EXPECT_EQ(set.first_overlap(VirtAddr{0x14000}, 0xc000), nullptr);
  EXPECT_EQ(set.first_overlap(VirtAddr{0x14000}, 0xc001), b);
  EXPECT_EQ(set.first_overlap(VirtAddr{0x12000}, 0), nullptr);
  EXPECT_EQ(set.first_overlap(VirtAddr{0x21000}, ~0ull), b);  // clipped at 2^64
  EXPECT_EQ(set.first_overlap(VirtAddr{0x24000}, ~0ull), nullptr);
}

TEST_F(VmRegionTest, RemoveMiddleSplitsRegion) {
  ASSERT_EQ(add(0x100000, 0x10000, 0x5000), Err::None);
  set.first()->perm = 5;
  set.first()->max_perm = 7;
  ASSERT_EQ(set.remove_range(VirtAddr{0x104000}, 0x2000, &hooks).error(), Err::None);
  EXPECT_TRUE(spans() ==
              (std::vector<Span>{{0x100000, 0x4000, 0x5000}, {0x106000, 0xa000, 0xb000}}));
  ASSERT_EQ(hooks.removed.size(), 1u);
  EXPECT_TRUE(hooks.removed[0] == (Removed{0x100000, 0x10000, 0x5000, 0x104000, 0x2000, false}));
  EXPECT_EQ(hooks.splits, 1);
  VmRegion* right = set.next(set.first());
  EXPECT_EQ(right->perm, 5u);
  EXPECT_EQ(right->max_perm, 7u);  // the split-off part keeps what it may become
  EXPECT_EQ(right->pmo, pmo_tag(1));
  EXPECT_EQ(set.find(VirtAddr{0x105000}), nullptr);
  EXPECT_EQ(set.find(VirtAddr{0x106000}), right);
}

TEST_F(VmRegionTest, TrimLeftAndRight) {
  ASSERT_EQ(add(0x100000, 0x10000, 0x5000), Err::None);
  ASSERT_EQ(set.remove_range(VirtAddr{0xf0000}, 0x13000, &hooks).error(),
            Err::None);  // left 3 pages
  EXPECT_TRUE(spans() == (std::vector<Span>{{0x103000, 0xd000, 0x8000}}));
  ASSERT_EQ(set.remove_range(VirtAddr{0x10e000}, 0x100000, &hooks).error(),
            Err::None);  // right 2 pages
  EXPECT_TRUE(spans() == (std::vector<Span>{{0x103000, 0xb000, 0x8000}}));
  ASSERT_EQ(hooks.removed.size(), 2u);
  EXPECT_TRUE(hooks.removed[0] == (Removed{0x100000, 0x10000, 0x5000, 0x100000, 0x3000, false}));
  EXPECT_TRUE(hooks.removed[1] == (Removed{0x103000, 0xd000, 0x8000, 0x10e000, 0x2000, false}));
  EXPECT_EQ(hooks.splits, 0);
  // Exactly the region: unlinked and handed over.
  ASSERT_EQ(set.remove_range(VirtAddr{0x103000}, 0xb000, &hooks).error(), Err::None);
  EXPECT_EQ(set.count(), 0u);
  ASSERT_EQ(hooks.removed.size(), 3u);
  EXPECT_TRUE(hooks.removed[2].whole);
}

TEST_F(VmRegionTest, RemoveSpanningSeveralRegions) {
  ASSERT_EQ(add(1 * P, 2 * P, 0x100000), Err::None);   // A [1, 3)
  ASSERT_EQ(add(4 * P, 2 * P, 0x200000), Err::None);   // B [4, 6)
  ASSERT_EQ(add(7 * P, 2 * P, 0x300000), Err::None);   // C [7, 9)
  ASSERT_EQ(add(10 * P, 2 * P, 0x400000), Err::None);  // D [10, 12)
  ASSERT_EQ(add(20 * P, 2 * P, 0x500000), Err::None);  // E, untouched
  ASSERT_EQ(set.remove_range(VirtAddr{2 * P}, 9 * P, &hooks).error(), Err::None);
  EXPECT_TRUE(spans() ==
              (std::vector<Span>{
                  {1 * P, P, 0x100000}, {11 * P, P, 0x400000 + P}, {20 * P, 2 * P, 0x500000}}));
  EXPECT_TRUE(hooks.removed == (std::vector<Removed>{
                                   {1 * P, 2 * P, 0x100000, 2 * P, P, false},
                                   {4 * P, 2 * P, 0x200000, 4 * P, 2 * P, true},
                                   {7 * P, 2 * P, 0x300000, 7 * P, 2 * P, true},
                                   {10 * P, 2 * P, 0x400000, 10 * P, P, false},
                               }));
}

// The gap a removal leaves, told before the first on_remove: from the
// region below (or the range's start if a region reaches in) to the one
// above (or the range's end), 0 and the top of the address space at the ends.
TEST_F(VmRegionTest, RemovalReportsTheGapItLeaves) {
  ASSERT_EQ(add(1 * P, 2 * P), Err::None);   // A [1, 3)
  ASSERT_EQ(add(4 * P, 2 * P), Err::None);   // B [4, 6)
  ASSERT_EQ(add(7 * P, 2 * P), Err::None);   // C [7, 9)
  ASSERT_EQ(add(20 * P, 2 * P), Err::None);  // D [20, 22)
  ASSERT_EQ(set.remove_range(VirtAddr{4 * P}, 2 * P, &hooks).error(), Err::None);  // B whole
  ASSERT_EQ(set.remove_range(VirtAddr{8 * P}, 1 * P, &hooks).error(), Err::None);  // C's right page
  ASSERT_EQ(set.remove_range(VirtAddr{20 * P}, 8 * P, &hooks).error(), Err::None);  // D, past it
  ASSERT_EQ(set.remove_range(VirtAddr{0}, 2 * P, &hooks).error(), Err::None);       // A's left page
  ASSERT_EQ(add(30 * P, 4 * P), Err::None);  // E [30, 34)
  ASSERT_EQ(set.remove_range(VirtAddr{31 * P}, 1 * P, &hooks).error(), Err::None);  // E's middle
  ASSERT_EQ(set.remove_range(VirtAddr{40 * P}, 1 * P, &hooks).error(), Err::None);  // nothing there
  EXPECT_TRUE(hooks.gaps == (std::vector<std::pair<u64, u64>>{{3 * P, 7 * P},
                                                                {8 * P, 20 * P},
                                                                {8 * P, ~u64{0}},
                                                                {0, 2 * P},
                                                                {31 * P, 32 * P}}));
}

TEST_F(VmRegionTest, RemoveOfEmptyRangeAndBadArguments) {
  ASSERT_EQ(add(0x10000, 0x4000), Err::None);
  EXPECT_EQ(set.remove_range(VirtAddr{0x20000}, 0x10000, &hooks).error(), Err::None);
  EXPECT_EQ(set.remove_range(VirtAddr{0x14000}, 0x1000, &hooks).error(), Err::None);  // touching
  EXPECT_EQ(set.remove_range(VirtAddr{0xf000}, 0x1000, &hooks).error(), Err::None);   // touching
  EXPECT_EQ(set.remove_range(VirtAddr{0x10000}, 0, &hooks).error(), Err::Inval);
  EXPECT_EQ(set.remove_range(VirtAddr{0x10800}, P, &hooks).error(), Err::Inval);
  EXPECT_EQ(set.remove_range(VirtAddr{0x10000}, P - 1, &hooks).error(), Err::Inval);
  EXPECT_EQ(set.remove_range(VirtAddr{~0ull - P + 1}, 2 * P, &hooks).error(), Err::Inval);
  EXPECT_TRUE(hooks.removed.empty());
  EXPECT_EQ(set.count(), 1u);
}

TEST_F(VmRegionTest, NoMemOnSplitChangesNothing) {
  ASSERT_EQ(add(0x100000, 0x10000, 0x5000), Err::None);
  ASSERT_EQ(add(0x200000, 0x10000, 0x6000), Err::None);
  auto before = spans();
  hooks.budget = 0;
  EXPECT_EQ(set.remove_range(VirtAddr{0x104000}, 0x2000, &hooks).error(), Err::NoMem);
  EXPECT_TRUE(spans() == before);
  EXPECT_TRUE(hooks.removed.empty());
  EXPECT_EQ(hooks.splits, 0);
  // Trimming and whole removal need no allocation.
  EXPECT_EQ(set.remove_range(VirtAddr{0x100000}, 0x2000, &hooks).error(), Err::None);
  EXPECT_EQ(set.remove_range(VirtAddr{0x200000}, 0x10000, &hooks).error(), Err::None);
  hooks.budget = 1;
  EXPECT_EQ(set.remove_range(VirtAddr{0x104000}, 0x2000, &hooks).error(), Err::None);
  EXPECT_EQ(set.count(), 2u);
}

TEST_F(VmRegionTest, FindGap) {
  const u64 kLimit = 1ull << 47;
  auto gap = [&](u64 hint, usize size, u64 limit) {
    auto r = set.find_gap(VirtAddr{hint}, size, VirtAddr{limit});
    return r.ok() ? r.value().raw() : static_cast<u64>(r.error()) | (1ull << 63);
  };
  constexpr u64 kNoMem = static_cast<u64>(Err::NoMem) | (1ull << 63);
  constexpr u64 kInval = static_cast<u64>(Err::Inval) | (1ull << 63);
  EXPECT_EQ(gap(0, 0x10000, kLimit), 0u);       // empty set
  ASSERT_EQ(add(0x10000, 0x10000), Err::None);  // [0x10000, 0x20000)
  ASSERT_EQ(add(0x30000, 0x10000), Err::None);  // [0x30000, 0x40000)
  EXPECT_EQ(gap(0, 0x10000, kLimit), 0u);       // exactly fits below the first
  EXPECT_EQ(gap(0x1000, 0x10000, kLimit), 0x20000u);
  EXPECT_EQ(gap(0x8000, 0x10000, kLimit), 0x20000u);
  EXPECT_EQ(gap(0x15000, 0x1000, kLimit), 0x20000u);  // hint inside a region
  EXPECT_EQ(gap(0x20000, 0x10001 & ~0xfffull, kLimit), 0x20000u);
  EXPECT_EQ(gap(0x20000, 0x11000, kLimit), 0x40000u);
  EXPECT_EQ(gap(0x1, P, kLimit), 0x1000u);  // hint rounded up
  EXPECT_EQ(gap(0x40000, 0x10000, 0x50000), 0x40000u);
  EXPECT_EQ(gap(0x40000, 0x10000, 0x4f000), kNoMem);
  EXPECT_EQ(gap(0x20000, 0x20000, 0x50000), kNoMem);
  EXPECT_EQ(gap(0, 0x10000, 0x8000), kNoMem);  // limit below everything
  EXPECT_EQ(gap(~0ull - 10, P, ~0ull), kNoMem);
  EXPECT_EQ(gap(0, ~0ull & ~0xfffull, ~0ull), kNoMem);
  EXPECT_EQ(gap(0, 0, kLimit), kInval);
  EXPECT_EQ(gap(0, 0x1800, kLimit), kInval);
}

TEST_F(VmRegionTest, TakeFirstEmptiesTheSet) {
  ASSERT_EQ(add(0x30000, P), Err::None);
  ASSERT_EQ(add(0x10000, P), Err::None);
  VmRegion* r = set.take_first();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->start, VirtAddr{0x10000});
  EXPECT_FALSE(r->node.linked());
  delete r;
  EXPECT_EQ(set.count(), 1u);
}

// Random inserts and removals against a page-by-page model; after each step
// the set must be sorted, disjoint, and agree with the model on every page
// (which region-start it belongs to is not tracked, only its PMO offset).
TEST_F(VmRegionTest, RandomAgainstPageModel) {
  std::mt19937_64 rng(0xabcdef);
  auto rnd = [&](u64 n) { return std::uniform_int_distribution<u64>(0, n - 1)(rng); };
  constexpr u64 kPages = 256;
  struct PageInfo {
    usize pmo_offset;
    uptr pmo;
  };
  std::map<u64, PageInfo> model;  // page number -> backing
  uptr next_pmo = 1;
  for (int step = 0; step < 5000; step++) {
    u64 first = rnd(kPages), n = 1 + rnd(24);
    n = std::min(n, kPages - first);
    if (rnd(2)) {
      bool overlap = false;
      for (u64 p = first; p < first + n; p++) overlap |= model.count(p) != 0;
      usize off = rnd(1000) * P;
      uptr pmo = next_pmo++;
      VmRegion* r = mk(first * P, n * P, off, 3, pmo);
      Err e = set.insert(r).error();
      ASSERT_EQ(e, overlap ? Err::Exist : Err::None) << step;
      if (e != Err::None) {
        delete r;
        continue;
      }
      for (u64 p = first; p < first + n; p++) model[p] = {off + (p - first) * P, pmo};
    } else {
      hooks.removed.clear();
      hooks.budget = rnd(4) == 0 ? 0 : -1;
      // A split is needed iff one region sticks out on both sides.
      VmRegion* r = set.find(VirtAddr{first * P});
      bool needs_split = r && r->start.raw() < first * P && r->end().raw() > (first + n) * P;
      Err e = set.remove_range(VirtAddr{first * P}, n * P, &hooks).error();
      ASSERT_EQ(e, needs_split && hooks.budget == 0 ? Err::NoMem : Err::None) << step;
      if (e != Err::None) {
        ASSERT_TRUE(hooks.removed.empty());
      } else {
        usize removed_bytes = 0;
        for (const auto& rm : hooks.removed) removed_bytes += rm.size;
        usize expected = 0;
        for (u64 p = first; p < first + n; p++) expected += model.erase(p) * P;
        ASSERT_EQ(removed_bytes, expected) << step;
      }
    }
    // Check the whole set against the model.
    VirtAddr prev_end{0};
    usize pages = 0;
    for (VmRegion* reg : set) {
      ASSERT_GE(reg->start, prev_end) << step;
      prev_end = reg->end();
      for (u64 p = reg->start.raw() / P; p < reg->end().raw() / P; p++) {
        auto it = model.find(p);
        ASSERT_NE(it, model.end()) << step;
        ASSERT_EQ(it->second.pmo_offset, reg->pmo_offset + (p * P - reg->start.raw())) << step;
        ASSERT_EQ(it->second.pmo, reinterpret_cast<uptr>(reg->pmo) / 16) << step;
        pages++;
      }
    }
    ASSERT_EQ(pages, model.size()) << step;
    for (int k = 0; k < 4; k++) {
      u64 p = rnd(kPages);
      VmRegion* f = set.find(VirtAddr{p * P + rnd(P)});
      ASSERT_EQ(f != nullptr, model.count(p) != 0) << step;
    }
  }
}

}  // namespace
