// Tests for the VMSAv8-64 page-table library (kernel/arch/aarch64/page_table).
//
// Physical memory is simulated: a table page is an aligned_alloc'd host page
// and its "physical address" is the host pointer (CHCORE_HOST_TEST makes the
// linear-map offset 0). Leaf output addresses are never dereferenced, so they
// can be any number. The fake environment counts live table pages, can run
// out of them on demand, and records every TLB flush together with what the
// table said about that VA at the moment of the flush, which is how
// break-before-make is observed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "../addr_print.h"
#include "arch/aarch64/page_table.h"
#include "arch/aarch64/pte.h"
#include "mm/kmap.h"

using kern::Err;
using kern::ListNode;
using kern::PageTable;
using kern::PtEnv;

namespace {

constexpr u64 k4K = 4096, k2M = 1ull << 21, k1G = 1ull << 30;
constexpr VirtAddr kUpper{0xffff000000000000ull};
constexpr u64 kVaTop = 1ull << 48;
constexpr u16 kAsid = 42;

constexpr u32 R = kern::kVmRead, W = kern::kVmWrite, X = kern::kVmExec, U = kern::kVmUser,
              DEV = kern::kVmDevice, NC = kern::kVmNoCache;

struct FlushRecord {
  VirtAddr va;
  u16 asid;
  bool global;
  // What query() said about `va` when the flush was issued.
  bool mapped;
  PhysAddr pa;
  u32 perm;
};

class FakeEnv final : public PtEnv {
 public:
  FakeEnv() = default;
  FakeEnv(const FakeEnv&) = delete;
  FakeEnv& operator=(const FakeEnv&) = delete;
  ~FakeEnv() {
    for (PhysAddr p : live) std::free(kern::pa_to_kva(p));
  }

  PhysAddr alloc_table() override {
    if (budget == 0) return PhysAddr{};
    if (budget > 0) budget--;
    void* p = std::aligned_alloc(4096, 4096);
    std::memset(p, 0, 4096);
    PhysAddr pa = kern::kva_to_pa(p);
    live.insert(pa);
    links[pa].pa = pa;
    allocs++;
    return pa;
  }
  void free_table(PhysAddr pa) override {
    EXPECT_EQ(live.count(pa), 1u) << "freeing a page that is not a live table page";
    if (!live.count(pa)) return;
    const u64* t = kern::pa_to_kva<const u64>(pa);
    if (std::any_of(t, t + 512, [](u64 v) { return v != 0; })) dirty_frees++;
    EXPECT_FALSE(links[pa].node.linked()) << "freeing a table page still on its tree's list";
    live.erase(pa);
    links.erase(pa);
    std::free(kern::pa_to_kva(pa));
  }
  ListNode* table_link(PhysAddr pa) override {
    EXPECT_EQ(live.count(pa), 1u) << "a list node for a page that is not a live table page";
    return &links[pa].node;
  }
  PhysAddr link_table(ListNode* node) override {
    return reinterpret_cast<Link*>(reinterpret_cast<char*>(node) - offsetof(Link, node))->pa;
  }
  void tlb_flush_page(VirtAddr va, u16 asid, bool global) override {
    FlushRecord f{va, asid, global, false, PhysAddr{}, 0};
    if (watched) {
      usize size;
      f.mapped = watched->query(va, &f.pa, &f.perm, &size).ok();
    }
    flushes.push_back(f);
  }
  void tlb_flush_asid(u16 asid) override { asid_flushes.push_back(asid); }

  void clear_records() {
    flushes.clear();
    asid_flushes.clear();
  }

  const PageTable* watched = nullptr;
  long budget = -1;  // pages alloc_table() may still hand out; -1: no limit
  std::set<PhysAddr> live;
  struct Link {
    ListNode node;
    PhysAddr pa;
  };
  std::map<PhysAddr, Link> links;  // std::map: nodes never move
  usize allocs = 0;
  usize dirty_frees = 0;  // freed pages that still held descriptors
  std::vector<FlushRecord> flushes;
  std::vector<u16> asid_flushes;
};

// --- A walker independent of the library, over raw descriptors ---

u64* table_ptr(u64 desc) { return reinterpret_cast<u64*>(desc & kern::pte::kAddrMask); }
bool is_table_desc(u64 d, int level) { return level < 3 && (d & 3) == 3; }

// The leaf descriptor that translates `va` and its level; 0 if none.
u64 raw_leaf(const PageTable& pt, VirtAddr va, int* level_out = nullptr) {
  u64* t = kern::pa_to_kva<u64>(pt.root());
  for (int level = 0; level < 4; level++) {
    u64 d = t[kern::pte::index(va.raw(), level)];
    if (is_table_desc(d, level)) {
      t = table_ptr(d);
      continue;
    }
    if (level_out) *level_out = level;
    return (d & 1) ? d : 0;
  }
  return 0;
}
u64 raw_leaf(const PageTable& pt, u64 va, int* level_out = nullptr) {
  return raw_leaf(pt, VirtAddr{va}, level_out);
}

// Every descriptor of the tree in walk order: equal dumps, equal trees.
void dump(const u64* t, int level, std::vector<u64>& out) {
  for (int i = 0; i < 512; i++) {
    out.push_back(t[i]);
    if (is_table_desc(t[i], level)) dump(table_ptr(t[i]), level + 1, out);
  }
}
std::vector<u64> dump(const PageTable& pt) {
  std::vector<u64> out;
  dump(kern::pa_to_kva<const u64>(pt.root()), 0, out);
  return out;
}

// Counts table pages and checks that no table but the root is empty.
usize count_tables(const u64* t, int level, bool* empty_found) {
  usize n = 1;
  bool any = false;
  for (int i = 0; i < 512; i++) {
    if (t[i]) any = true;
    if (is_table_desc(t[i], level)) n += count_tables(table_ptr(t[i]), level + 1, empty_found);
  }
  if (!any && level > 0) *empty_found = true;
  return n;
}

struct Q {
  Err err;
  PhysAddr pa{};
  u32 perm = 0;
  usize size = 0;
};
Q query(const PageTable& pt, VirtAddr va) {
  Q q;
  q.err = pt.query(va, &q.pa, &q.perm, &q.size).error();
  return q;
}
Q query(const PageTable& pt, u64 va) { return query(pt, VirtAddr{va}); }

// `va` and `want_pa` may be numbers or typed addresses.
#define EXPECT_MAPS(pt, va, want_pa, want_perm, want_size)           \
  do {                                                               \
    const VirtAddr va_(va);                                          \
    Q q_ = query(pt, va_);                                           \
    EXPECT_EQ(q_.err, Err::None) << std::hex << va_.raw();           \
    EXPECT_EQ(q_.pa, PhysAddr(want_pa)) << std::hex << va_.raw();    \
    EXPECT_EQ(q_.perm, (u32)(want_perm)) << std::hex << va_.raw();   \
    EXPECT_EQ(q_.size, (usize)(want_size)) << std::hex << va_.raw(); \
  } while (0)

#define EXPECT_UNMAPPED(pt, va) \
  EXPECT_EQ(query(pt, VirtAddr(va)).err, Err::NoEnt) << std::hex << VirtAddr(va).raw()

class PageTableTest : public ::testing::Test {
 protected:
  void SetUp() override { init(false); }
  void TearDown() override {
    pt.destroy();
    EXPECT_TRUE(env.live.empty());
    EXPECT_EQ(pt.table_pages(), 0u);
  }
  void init(bool upper) {
    ASSERT_EQ(pt.init(&env, kAsid, upper).error(), Err::None);
    env.watched = &pt;
  }
  void reinit_upper() {
    pt.destroy();
    init(true);
  }
  void expect_consistent() {
    bool empty_found = false;
    usize n = count_tables(kern::pa_to_kva<const u64>(pt.root()), 0, &empty_found);
    EXPECT_FALSE(empty_found) << "an empty table page was left linked";
    EXPECT_EQ(n, pt.table_pages());
    EXPECT_EQ(env.live.size(), pt.table_pages());
  }

  FakeEnv env;
  PageTable pt;
};

// --- Basic mapping and block selection ---

TEST_F(PageTableTest, MapsAndQueriesOnePage) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x80001000}, k4K, R | W).error(), Err::None);
  EXPECT_MAPS(pt, 0x400000, 0x80001000, R | W, k4K);
  EXPECT_MAPS(pt, 0x400abc, 0x80001abc, R | W, k4K);
  EXPECT_UNMAPPED(pt, 0x401000);
  EXPECT_UNMAPPED(pt, 0x3ff000);
  EXPECT_EQ(pt.table_pages(), 4u);  // root, L1, L2, L3
  expect_consistent();
}

// One page into tables that exist already (the page-fault path): no table
// is added, and an existing mapping (page or block) is refused untouched.
TEST_F(PageTableTest, OnePageIntoExistingTables) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x80001000}, k4K, R | W).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x40200000}, PhysAddr{0x80400000}, k2M, R).error(), Err::None);
  const usize tables = pt.table_pages();
  ASSERT_EQ(pt.map(VirtAddr{0x401000}, PhysAddr{0x80005000}, k4K, R | X | U).error(), Err::None);
  EXPECT_MAPS(pt, 0x401000, 0x80005000, R | X | U, k4K);
  EXPECT_EQ(pt.table_pages(), tables);
  EXPECT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x80009000}, k4K, R).error(), Err::Exist);
  EXPECT_MAPS(pt, 0x400000, 0x80001000, R | W, k4K);
  EXPECT_EQ(pt.map(VirtAddr{0x40300000}, PhysAddr{0x80009000}, k4K, R).error(),
            Err::Exist);  // inside the block
  EXPECT_MAPS(pt, 0x40300000, 0x80500000, R, k2M);
  EXPECT_EQ(pt.map(VirtAddr{0x402000}, PhysAddr{0x80009000}, k4K, R | W | X).error(), Err::Inval);
  EXPECT_UNMAPPED(pt, 0x402000);
  EXPECT_EQ(pt.table_pages(), tables);
  expect_consistent();
}

// map_pages: scattered pages across a leaf-table boundary (one walk per
// table), the tables made as needed; a contiguous run from a base; an
// existing page stops it with Exist, the pages before it mapped.
TEST_F(PageTableTest, MapPagesScatteredAcrossLeafTables) {
  const u64 va = 0x400000 + 510 * k4K;  // pages 510, 511 of one L3 table, then the next
  const PhysAddr pages[5] = {PhysAddr{0x80009000}, PhysAddr{0x80003000}, PhysAddr{0x8000f000},
                             PhysAddr{0x80001000}, PhysAddr{0x80020000}};
  ASSERT_EQ(pt.map_pages(VirtAddr{va}, 5, R | U, pages, PhysAddr{}).error(), Err::None);
  for (int i = 0; i < 5; i++) EXPECT_MAPS(pt, va + i * k4K, pages[i], R | U, k4K);
  EXPECT_UNMAPPED(pt, va - k4K);
  EXPECT_UNMAPPED(pt, va + 5 * k4K);
  EXPECT_EQ(pt.table_pages(), 5u);  // root, L1, L2, two L3
  ASSERT_EQ(pt.map_pages(VirtAddr{0x800000}, 3, R | W, nullptr, PhysAddr{0x80100000}).error(),
            Err::None);
  for (int i = 0; i < 3; i++) EXPECT_MAPS(pt, 0x800000 + i * k4K, 0x80100000 + i * k4K, R | W, k4K);
  // Pages 0 and 1 new, page 2 (va + 2 pages) taken: Exist, 0 and 1 stay.
  EXPECT_EQ(pt.map_pages(VirtAddr{va - 2 * k4K}, 4, R, pages, PhysAddr{}).error(), Err::Exist);
  EXPECT_MAPS(pt, va - 2 * k4K, pages[0], R, k4K);
  EXPECT_MAPS(pt, va - k4K, pages[1], R, k4K);
  EXPECT_MAPS(pt, va, pages[0], R | U, k4K);
  EXPECT_EQ(pt.map_pages(VirtAddr{0x900000}, 1, R | W | X, pages, PhysAddr{}).error(), Err::Inval);
  EXPECT_EQ(pt.map_pages(VirtAddr{0x900000}, 0, R, pages, PhysAddr{}).error(), Err::Inval);
  const PhysAddr odd[1] = {PhysAddr{0x80000800}};
  EXPECT_EQ(pt.map_pages(VirtAddr{0x900000}, 1, R, odd, PhysAddr{}).error(), Err::Inval);
  EXPECT_UNMAPPED(pt, 0x900000);
  expect_consistent();
}

// unmap with the caller's empty gap: the tables whose span lies in it go
// (no empty one stays linked); a table reaching outside the gap is kept
// while it holds something.
TEST_F(PageTableTest, UnmapWithGapFreesTablesInIt) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x80001000}, k4K, R).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x7f000000}, PhysAddr{0x80002000}, k4K, R).error(), Err::None);
  const usize tables = pt.table_pages();  // root, L1, two L2, two L3
  ASSERT_EQ(pt.unmap(VirtAddr{0x400000}, k4K, VirtAddr{0}, VirtAddr{0x7f000000}).error(),
            Err::None);
  EXPECT_UNMAPPED(pt, 0x400000);
  EXPECT_MAPS(pt, 0x7f000000, 0x80002000, R, k4K);
  EXPECT_EQ(pt.table_pages(), tables - 2);  // the L3 and the L2 above it
  expect_consistent();
  ASSERT_EQ(pt.unmap(VirtAddr{0x7f000000}, k4K, VirtAddr{0}, VirtAddr::max()).error(), Err::None);
  EXPECT_EQ(pt.table_pages(), 1u);
  expect_consistent();
}

TEST_F(PageTableTest, QueryAcceptsNullOutputs) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x80001000}, k4K, R).error(), Err::None);
  EXPECT_EQ(pt.query(VirtAddr{0x400000}, nullptr, nullptr, nullptr).error(), Err::None);
  EXPECT_EQ(pt.query(VirtAddr{kVaTop}, nullptr, nullptr, nullptr).error(), Err::Inval);
}

TEST_F(PageTableTest, Uses2MiBBlockWhenAligned) {
  ASSERT_EQ(pt.map(VirtAddr{0x40200000}, PhysAddr{0x80400000}, k2M, R | W).error(), Err::None);
  EXPECT_MAPS(pt, 0x40200000, 0x80400000, R | W, k2M);
  EXPECT_MAPS(pt, 0x403ff000, 0x805ff000, R | W, k2M);
  EXPECT_EQ(pt.table_pages(), 3u);  // root, L1, L2
  int level = -1;
  EXPECT_NE(raw_leaf(pt, 0x40200000, &level), 0u);
  EXPECT_EQ(level, 2);
}

TEST_F(PageTableTest, Uses1GiBBlockWhenAligned) {
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{3 * k1G}, k1G, R | X).error(), Err::None);
  EXPECT_MAPS(pt, k1G, 3 * k1G, R | X, k1G);
  EXPECT_MAPS(pt, 2 * k1G - k4K, 4 * k1G - k4K, R | X, k1G);
  EXPECT_EQ(pt.table_pages(), 2u);  // root, L1
}

TEST_F(PageTableTest, NoBlockWhenPaIsNotAligned) {
  ASSERT_EQ(pt.map(VirtAddr{0x40200000}, PhysAddr{0x80401000}, k2M, R).error(), Err::None);
  EXPECT_MAPS(pt, 0x40200000, 0x80401000, R, k4K);
  EXPECT_MAPS(pt, 0x403ff000, 0x80600000, R, k4K);
  EXPECT_EQ(pt.table_pages(), 4u);
}

TEST_F(PageTableTest, MixedAlignmentUsesLargestFittingSizes) {
  // 4K page, 2 MiB block, 1 GiB block, 2 MiB block, 4K page.
  VirtAddr va{k1G - k2M - k4K};
  PhysAddr pa{va.raw() + 8 * k1G};  // congruent: same alignment as va
  usize size = k4K + k2M + k1G + k2M + k4K;
  ASSERT_EQ(pt.map(va, pa, size, R | W).error(), Err::None);
  EXPECT_MAPS(pt, va, pa, R | W, k4K);
  EXPECT_MAPS(pt, va + k4K, pa + k4K, R | W, k2M);
  EXPECT_MAPS(pt, k1G, pa + k4K + k2M, R | W, k1G);
  EXPECT_MAPS(pt, 2 * k1G + k4K, pa + k4K + k2M + k1G + k4K, R | W, k2M);
  EXPECT_MAPS(pt, 2 * k1G + k2M, pa + size - k4K, R | W, k4K);
  EXPECT_UNMAPPED(pt, va - k4K);
  EXPECT_UNMAPPED(pt, va + size);
  // root, L1, L2 for [0,1G), L3 there, L2 for [2G,3G), L3 there
  EXPECT_EQ(pt.table_pages(), 6u);
  expect_consistent();
  ASSERT_EQ(pt.unmap(va, size).error(), Err::None);
  EXPECT_EQ(pt.table_pages(), 1u);
  EXPECT_EQ(env.dirty_frees, 0u);
}

// --- Splitting ---

TEST_F(PageTableTest, UnmapInMiddleOf1GiBBlockSplitsIt) {
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{5 * k1G}, k1G, R | W).error(), Err::None);
  env.clear_records();
  VirtAddr hole{k1G + 0x12345000};
  ASSERT_EQ(pt.unmap(hole, k4K).error(), Err::None);
  EXPECT_UNMAPPED(pt, hole);
  EXPECT_MAPS(pt, hole - k4K, 5 * k1G + 0x12344000, R | W, k4K);
  EXPECT_MAPS(pt, hole + k4K, 5 * k1G + 0x12346000, R | W, k4K);
  EXPECT_MAPS(pt, k1G, 5 * k1G, R | W, k2M);
  EXPECT_MAPS(pt, k1G + 0x12200000, 5 * k1G + 0x12200000, R | W, k4K);
  EXPECT_MAPS(pt, k1G + 0x12400000, 5 * k1G + 0x12400000, R | W, k2M);
  EXPECT_MAPS(pt, 2 * k1G - k4K, 6 * k1G - k4K, R | W, k2M);
  EXPECT_EQ(pt.table_pages(), 4u);  // root, L1, new L2, new L3
  expect_consistent();

  // Break-before-make: the block was gone from the table when it was flushed,
  // and the flush was for an address inside the block.
  ASSERT_EQ(env.flushes.size(), 1u);
  EXPECT_FALSE(env.flushes[0].mapped);
  EXPECT_GE(env.flushes[0].va.raw(), k1G);
  EXPECT_LT(env.flushes[0].va.raw(), 2 * k1G);
  EXPECT_EQ(env.flushes[0].asid, kAsid);
  EXPECT_FALSE(env.flushes[0].global);

  // Everything else can go too; all split tables are freed again.
  ASSERT_EQ(pt.unmap(VirtAddr{k1G}, k1G).error(), Err::None);
  EXPECT_EQ(pt.table_pages(), 1u);
  EXPECT_EQ(env.live.size(), 1u);
  EXPECT_EQ(env.dirty_frees, 0u);
}

TEST_F(PageTableTest, ProtectSubrangeOf2MiBBlock) {
  ASSERT_EQ(pt.map(VirtAddr{0x40200000}, PhysAddr{0x80400000}, k2M, R | W).error(), Err::None);
  env.clear_records();
  ASSERT_EQ(pt.protect(VirtAddr{0x40210000}, 0x10000, R).error(), Err::None);
  EXPECT_MAPS(pt, 0x4020f000, 0x8040f000, R | W, k4K);
  EXPECT_MAPS(pt, 0x40210000, 0x80410000, R, k4K);
  EXPECT_MAPS(pt, 0x4021f000, 0x8041f000, R, k4K);
  EXPECT_MAPS(pt, 0x40220000, 0x80420000, R | W, k4K);
  EXPECT_MAPS(pt, 0x403ff000, 0x805ff000, R | W, k4K);
  EXPECT_EQ(pt.table_pages(), 4u);
  ASSERT_EQ(env.flushes.size(), 1u);
  EXPECT_FALSE(env.flushes[0].mapped);  // break-before-make on the block
  expect_consistent();
}

TEST_F(PageTableTest, ProtectWithSamePermissionsDoesNotSplit) {
  ASSERT_EQ(pt.map(VirtAddr{0x40200000}, PhysAddr{0x80400000}, k2M, R | W).error(), Err::None);
  env.clear_records();
  usize allocs = env.allocs;
  ASSERT_EQ(pt.protect(VirtAddr{0x40210000}, 0x10000, R | W).error(), Err::None);
  EXPECT_EQ(env.allocs, allocs);
  EXPECT_TRUE(env.flushes.empty());
  EXPECT_MAPS(pt, 0x40210000, 0x80410000, R | W, k2M);
}

TEST_F(PageTableTest, ProtectWholeBlockKeepsBlock) {
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{k1G}, k1G, R | W).error(), Err::None);
  env.clear_records();
  ASSERT_EQ(pt.protect(VirtAddr{k1G}, k1G, R).error(), Err::None);
  EXPECT_MAPS(pt, k1G + 0x1000, k1G + 0x1000, R, k1G);
  EXPECT_EQ(pt.table_pages(), 2u);
  // A permission-only change is made in place, then flushed.
  ASSERT_EQ(env.flushes.size(), 1u);
  EXPECT_TRUE(env.flushes[0].mapped);
  EXPECT_EQ(env.flushes[0].perm, R);
}

TEST_F(PageTableTest, ProtectAcrossHoleIsNoEntAndChangesNothing) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x1000000}, 4 * k4K, R | W).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x405000}, PhysAddr{0x2000000}, 4 * k4K, R | W).error(), Err::None);
  auto before = dump(pt);
  env.clear_records();
  EXPECT_EQ(pt.protect(VirtAddr{0x400000}, 9 * k4K, R).error(), Err::NoEnt);
  EXPECT_EQ(dump(pt), before);
  EXPECT_TRUE(env.flushes.empty());
  EXPECT_EQ(pt.protect(VirtAddr{0x500000}, k4K, R).error(), Err::NoEnt);
  EXPECT_EQ(pt.protect(VirtAddr{0x400000}, 4 * k4K, R).error(), Err::None);
  EXPECT_MAPS(pt, 0x403000, 0x1003000, R, k4K);
  EXPECT_MAPS(pt, 0x405000, 0x2000000, R | W, k4K);
}

// --- Freeing ---

TEST_F(PageTableTest, UnmappingEverythingFreesAllTables) {
  ASSERT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, 3 * k4K, R).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{k1G - k2M}, PhysAddr{k1G}, k2M + k1G + 5 * k4K, R | W).error(),
            Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x7f0000000000}, PhysAddr{0x200000000}, 17 * k2M, R | X | U).error(),
            Err::None);
  ASSERT_EQ(pt.map(VirtAddr{kVaTop - k4K}, PhysAddr{0x1000}, k4K, R).error(), Err::None);
  expect_consistent();
  EXPECT_GT(pt.table_pages(), 8u);
  // Piecewise, in an odd order, with overlaps and holes.
  ASSERT_EQ(pt.unmap(VirtAddr{k1G}, k2M + 3 * k4K).error(), Err::None);
  ASSERT_EQ(pt.unmap(VirtAddr{0x7f0000000000 + k4K}, 3 * k2M).error(), Err::None);
  expect_consistent();
  ASSERT_EQ(pt.unmap(VirtAddr{0}, 4 * k1G).error(), Err::None);
  ASSERT_EQ(pt.unmap(VirtAddr{0x7f0000000000}, 64 * k2M).error(), Err::None);
  ASSERT_EQ(pt.unmap(VirtAddr{kVaTop - k2M}, k2M).error(), Err::None);
  EXPECT_EQ(pt.table_pages(), 1u);
  EXPECT_EQ(env.live.size(), 1u);
  EXPECT_EQ(env.dirty_frees, 0u);
  expect_consistent();
}

TEST_F(PageTableTest, UnmapOfUnmappedRangeIsIdempotent) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x1000}, k4K, R).error(), Err::None);
  auto before = dump(pt);
  env.clear_records();
  EXPECT_EQ(pt.unmap(VirtAddr{0x800000}, 16 * k2M).error(), Err::None);
  EXPECT_EQ(pt.unmap(VirtAddr{0x401000}, k4K).error(), Err::None);
  EXPECT_EQ(dump(pt), before);
  EXPECT_TRUE(env.flushes.empty());
  EXPECT_EQ(pt.unmap(VirtAddr{0x400000}, k4K).error(), Err::None);
  EXPECT_EQ(pt.unmap(VirtAddr{0x400000}, k4K).error(), Err::None);
  EXPECT_EQ(pt.table_pages(), 1u);
}

TEST_F(PageTableTest, DestroyFreesEverythingAndAllowsInit) {
  ASSERT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, 300 * k4K, R).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{4 * k1G}, PhysAddr{0}, 2 * k1G + k2M, R).error(), Err::None);
  EXPECT_EQ(pt.init(&env, 1, false).error(), Err::Inval);  // already initialised
  env.clear_records();
  pt.destroy();
  EXPECT_TRUE(env.live.empty());
  EXPECT_EQ(pt.table_pages(), 0u);
  EXPECT_EQ(pt.root(), PhysAddr{});
  ASSERT_EQ(env.asid_flushes.size(), 1u);  // the ASID may be reused at once
  EXPECT_EQ(env.asid_flushes[0], kAsid);
  EXPECT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R).error(),
            Err::Inval);  // not initialised
  EXPECT_EQ(query(pt, 0x1000).err, Err::Inval);
  pt.destroy();  // twice is harmless
  init(false);
  EXPECT_EQ(pt.table_pages(), 1u);
}

// --- Rejected requests change nothing ---

TEST_F(PageTableTest, RejectsBadRangesWithNothingChanged) {
  ASSERT_EQ(pt.map(VirtAddr{0x400000}, PhysAddr{0x1000}, k4K, R).error(), Err::None);
  auto before = dump(pt);
  usize allocs = env.allocs;
  const struct {
    VirtAddr va;
    PhysAddr pa;
    usize size;
  } bad[] = {
      {VirtAddr{0x800800}, PhysAddr{0x1000}, k4K},                // va unaligned
      {VirtAddr{0x800000}, PhysAddr{0x1800}, k4K},                // pa unaligned
      {VirtAddr{0x800000}, PhysAddr{0x1000}, 0x1800},             // size unaligned
      {VirtAddr{0x800000}, PhysAddr{0x1000}, 0},                  // empty
      {VirtAddr{kVaTop - k4K}, PhysAddr{0x1000}, 2 * k4K},        // leaves the lower half
      {VirtAddr{kVaTop}, PhysAddr{0x1000}, k4K},                  // not in the lower half
      {kUpper + k1G, PhysAddr{0x1000}, k4K},                      // upper-half VA in a lower table
      {VirtAddr{0x800000}, PhysAddr{kVaTop - k4K}, 2 * k4K},      // PA beyond 48 bits
      {VirtAddr{0x800000}, PhysAddr{kVaTop}, k4K},                // PA beyond 48 bits
      {VirtAddr{0x800000}, PhysAddr{0x1000}, ~0ull & ~0xfffull},  // wraps
      {VirtAddr{~0ull & ~0xfffull}, PhysAddr{0x1000}, 2 * k4K},   // wraps
  };
  for (const auto& b : bad) {
    EXPECT_EQ(pt.map(b.va, b.pa, b.size, R).error(), Err::Inval)
        << std::hex << b.va.raw() << " " << b.size;
    if (b.pa == PhysAddr{0x1000}) {
      EXPECT_EQ(pt.unmap(b.va, b.size).error(), Err::Inval) << std::hex << b.va.raw();
      EXPECT_EQ(pt.protect(b.va, b.size, R).error(), Err::Inval) << std::hex << b.va.raw();
    }
  }
  EXPECT_EQ(dump(pt), before);
  EXPECT_EQ(env.allocs, allocs);
  // The last page of the lower half is fine.
  EXPECT_EQ(pt.map(VirtAddr{kVaTop - k4K}, PhysAddr{0x1000}, k4K, R).error(), Err::None);
}

TEST_F(PageTableTest, RejectsOverlapWithNothingChanged) {
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{0}, k2M, R).error(), Err::None);  // a 2 MiB block
  ASSERT_EQ(pt.map(VirtAddr{3 * k1G + k4K}, PhysAddr{0}, k4K, R).error(), Err::None);  // a page
  auto before = dump(pt);
  usize allocs = env.allocs, pages = pt.table_pages();
  // A big range that would need many new tables, overlapping only in its
  // last page; the first page of a block; the middle of a block; one page.
  EXPECT_EQ(pt.map(VirtAddr{k4K}, PhysAddr{0x10000000}, k1G, R).error(), Err::Exist);
  EXPECT_EQ(pt.map(VirtAddr{k1G - k4K}, PhysAddr{0x10000000}, 2 * k4K, R).error(), Err::Exist);
  EXPECT_EQ(pt.map(VirtAddr{k1G + 0x10000}, PhysAddr{0x10000000}, k4K, R).error(), Err::Exist);
  EXPECT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{0}, k1G, R).error(), Err::Exist);
  EXPECT_EQ(pt.map(VirtAddr{3 * k1G}, PhysAddr{0}, 8 * k4K, R).error(), Err::Exist);
  EXPECT_EQ(pt.map(VirtAddr{3 * k1G + k4K}, PhysAddr{0}, k4K, R).error(), Err::Exist);
  EXPECT_EQ(dump(pt), before);
  EXPECT_EQ(env.allocs, allocs);
  EXPECT_EQ(pt.table_pages(), pages);
  // Touching is not overlapping.
  EXPECT_EQ(pt.map(VirtAddr{k1G - k4K}, PhysAddr{0}, k4K, R).error(), Err::None);
  EXPECT_EQ(pt.map(VirtAddr{k1G + k2M}, PhysAddr{0}, k4K, R).error(), Err::None);
  EXPECT_EQ(pt.map(VirtAddr{3 * k1G}, PhysAddr{0}, k4K, R).error(), Err::None);
  EXPECT_EQ(pt.map(VirtAddr{3 * k1G + 2 * k4K}, PhysAddr{0}, k4K, R).error(), Err::None);
}

TEST_F(PageTableTest, RejectsBadPermissions) {
  auto before = dump(pt);
  EXPECT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R | W | X).error(), Err::Inval);  // W^X
  EXPECT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, W | X | U).error(), Err::Inval);  // W^X
  EXPECT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R | X | DEV).error(),
            Err::Inval);  // exec device
  EXPECT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R | DEV | NC).error(),
            Err::Inval);  // two types
  EXPECT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R | 64).error(),
            Err::Inval);  // unknown bit
  EXPECT_EQ(dump(pt), before);
  ASSERT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R | W).error(), Err::None);
  EXPECT_EQ(pt.protect(VirtAddr{0x1000}, k4K, R | W | X).error(), Err::Inval);
  EXPECT_MAPS(pt, 0x1000, 0x1000, R | W, k4K);
  // kVmRead is implied.
  ASSERT_EQ(pt.map(VirtAddr{0x2000}, PhysAddr{0x2000}, k4K, W).error(), Err::None);
  EXPECT_MAPS(pt, 0x2000, 0x2000, R | W, k4K);
  ASSERT_EQ(pt.map(VirtAddr{0x3000}, PhysAddr{0x3000}, k4K, 0).error(), Err::None);
  EXPECT_MAPS(pt, 0x3000, 0x3000, R, k4K);
}

// --- Descriptor bits ---

TEST_F(PageTableTest, LowerTableEntriesAreNonGlobalAndUserEntriesPxn) {
  using namespace kern::pte;
  ASSERT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x10000}, k4K, R | W | U).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x2000}, PhysAddr{0x20000}, k4K, R | X | U).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x3000}, PhysAddr{0x30000}, k4K, R | X).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{k1G}, k1G, R | U).error(), Err::None);

  u64 rw = raw_leaf(pt, 0x1000);
  EXPECT_EQ(rw & kAddrMask, 0x10000u);
  EXPECT_TRUE(rw & kNotGlobal);
  EXPECT_TRUE(rw & kPxn);
  EXPECT_TRUE(rw & kUxn);
  EXPECT_TRUE(rw & kApUser);
  EXPECT_FALSE(rw & kApReadOnly);
  EXPECT_TRUE(rw & kAccessFlag);
  EXPECT_EQ(rw & kShInner, kShInner);
  EXPECT_EQ(rw & kAttrIndexMask, attr_index(kMairNormal));
  EXPECT_EQ(rw & 3, 3u);  // page

  u64 rx = raw_leaf(pt, 0x2000);
  EXPECT_TRUE(rx & kNotGlobal);
  EXPECT_TRUE(rx & kPxn);  // never executable by the kernel
  EXPECT_FALSE(rx & kUxn);
  EXPECT_TRUE(rx & kApReadOnly);
  EXPECT_MAPS(pt, 0x2000, 0x20000, R | X | U, k4K);

  u64 krx = raw_leaf(pt, 0x3000);  // a kernel mapping in a lower table
  EXPECT_TRUE(krx & kNotGlobal);
  EXPECT_FALSE(krx & kPxn);
  EXPECT_TRUE(krx & kUxn);
  EXPECT_FALSE(krx & kApUser);

  int level = -1;
  u64 blk = raw_leaf(pt, k1G + 0x5000, &level);
  EXPECT_EQ(level, 1);
  EXPECT_EQ(blk & 3, 1u);  // block
  EXPECT_TRUE(blk & kNotGlobal);
  EXPECT_TRUE(blk & kPxn);
  EXPECT_TRUE(blk & kUxn);
}

TEST_F(PageTableTest, DeviceAndNoCacheMappings) {
  using namespace kern::pte;
  ASSERT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x9000000}, k4K, R | W | DEV).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x2000}, PhysAddr{0x9001000}, k4K, R | W | NC).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x3000}, PhysAddr{0x9002000}, k4K, R | DEV | U).error(), Err::None);
  u64 dev = raw_leaf(pt, 0x1000);
  EXPECT_EQ(dev & kAttrIndexMask, attr_index(kMairDevice));
  EXPECT_TRUE(dev & kPxn);
  EXPECT_TRUE(dev & kUxn);
  EXPECT_MAPS(pt, 0x1000, 0x9000000, R | W | DEV, k4K);
  u64 nc = raw_leaf(pt, 0x2000);
  EXPECT_EQ(nc & kAttrIndexMask, attr_index(kMairNormalNc));
  EXPECT_MAPS(pt, 0x2000, 0x9001000, R | W | NC, k4K);
  u64 udev = raw_leaf(pt, 0x3000);
  EXPECT_TRUE(udev & kPxn);
  EXPECT_TRUE(udev & kUxn);
  EXPECT_MAPS(pt, 0x3000, 0x9002000, R | DEV | U, k4K);
}

TEST_F(PageTableTest, UpperHalfTable) {
  reinit_upper();
  EXPECT_TRUE(pt.upper());
  VirtAddr va = kUpper + 0x40000000;
  ASSERT_EQ(pt.map(va, PhysAddr{0x40000000}, k2M + k4K, R | X).error(), Err::None);
  EXPECT_MAPS(pt, va, 0x40000000, R | X, k2M);
  EXPECT_MAPS(pt, va + k2M, 0x40200000, R | X, k4K);
  u64 d = raw_leaf(pt, va);
  EXPECT_FALSE(d & kern::pte::kNotGlobal);
  EXPECT_FALSE(d & kern::pte::kPxn);
  EXPECT_TRUE(d & kern::pte::kUxn);
  // The index is taken from VA bits [47:0]: the same slot a lower table
  // would use for 0x40000000.
  EXPECT_EQ(kern::pa_to_kva<u64>(pt.root())[0] & 3, 3u);

  EXPECT_EQ(query(pt, 0x40000000).err, Err::Inval);
  EXPECT_EQ(pt.map(VirtAddr{0x40000000}, PhysAddr{0x40000000}, k4K, R).error(), Err::Inval);
  EXPECT_EQ(pt.map(kUpper - k4K, PhysAddr{0}, k4K, R).error(), Err::Inval);
  EXPECT_EQ(pt.map(va + k1G, PhysAddr{0}, k4K, R | U).error(),
            Err::Inval);  // no user pages up here
  // The very last page; and a range running past 2^64.
  EXPECT_EQ(pt.map(VirtAddr{~0ull - 0xfff}, PhysAddr{0x1000}, k4K, R | W).error(), Err::None);
  EXPECT_MAPS(pt, ~0ull, 0x1fff, R | W, k4K);
  EXPECT_EQ(pt.map(VirtAddr{~0ull - 0x1fff}, PhysAddr{0x1000}, 3 * k4K, R).error(), Err::Inval);
  EXPECT_EQ(pt.map(kUpper, PhysAddr{0x1000}, k4K, R).error(), Err::None);
  EXPECT_MAPS(pt, kUpper, 0x1000, R, k4K);

  // Flushes name full upper-half VAs, as global.
  env.clear_records();
  ASSERT_EQ(pt.unmap(va + k2M, k4K).error(), Err::None);
  ASSERT_EQ(env.flushes.size(), 1u);
  EXPECT_EQ(env.flushes[0].va, va + k2M);
  EXPECT_TRUE(env.flushes[0].global);
  ASSERT_EQ(pt.unmap(kUpper, 0 - kUpper.raw()).error(), Err::None);  // the whole half
  EXPECT_EQ(pt.table_pages(), 1u);
}

// --- Break-before-make and TLB maintenance ---

TEST_F(PageTableTest, MemoryTypeChangeUsesBreakBeforeMake) {
  ASSERT_EQ(pt.map(VirtAddr{0x10000}, PhysAddr{0x9000000}, 4 * k4K, R | W).error(), Err::None);
  env.clear_records();
  ASSERT_EQ(pt.protect(VirtAddr{0x10000}, 4 * k4K, R | W | DEV).error(), Err::None);
  ASSERT_EQ(env.flushes.size(), 4u);
  for (const auto& f : env.flushes) EXPECT_FALSE(f.mapped) << std::hex << f.va;
  EXPECT_MAPS(pt, 0x13000, 0x9003000, R | W | DEV, k4K);
  // Permission-only changes are flushed after the new entry is in place.
  env.clear_records();
  ASSERT_EQ(pt.protect(VirtAddr{0x10000}, 4 * k4K, R | DEV).error(), Err::None);
  ASSERT_EQ(env.flushes.size(), 4u);
  for (const auto& f : env.flushes) {
    EXPECT_TRUE(f.mapped);
    EXPECT_EQ(f.perm, R | DEV);
  }
  // Mapping new pages needs no flush.
  env.clear_records();
  ASSERT_EQ(pt.map(VirtAddr{0x20000}, PhysAddr{0x9000000}, 4 * k4K, R | W).error(), Err::None);
  EXPECT_TRUE(env.flushes.empty());
  EXPECT_TRUE(env.asid_flushes.empty());
}

TEST_F(PageTableTest, UnmapFlushesEveryPageAfterClearingIt) {
  ASSERT_EQ(pt.map(VirtAddr{0x10000}, PhysAddr{0x9000000}, 8 * k4K, R | W).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{0x40000000}, PhysAddr{0x40000000}, k2M, R | W).error(), Err::None);
  env.clear_records();
  ASSERT_EQ(pt.unmap(VirtAddr{0x10000}, 8 * k4K).error(), Err::None);
  ASSERT_EQ(env.flushes.size(), 8u);
  for (usize i = 0; i < 8; i++) {
    EXPECT_EQ(env.flushes[i].va.raw(), 0x10000 + i * k4K);
    EXPECT_FALSE(env.flushes[i].mapped);
    EXPECT_EQ(env.flushes[i].asid, kAsid);
  }
  // A whole block: one flush.
  env.clear_records();
  ASSERT_EQ(pt.unmap(VirtAddr{0x40000000}, k2M).error(), Err::None);
  ASSERT_EQ(env.flushes.size(), 1u);
  EXPECT_EQ(env.flushes[0].va.raw(), 0x40000000u);
}

TEST_F(PageTableTest, LargeUserUnmapFlushesTheAsid) {
  ASSERT_EQ(pt.map(VirtAddr{0x10000000}, PhysAddr{0x10001000}, 1000 * k4K, R | W | U).error(),
            Err::None);
  env.clear_records();
  ASSERT_EQ(pt.unmap(VirtAddr{0x10000000}, 1000 * k4K).error(), Err::None);
  ASSERT_EQ(env.asid_flushes.size(), 1u);
  EXPECT_EQ(env.asid_flushes[0], kAsid);
  EXPECT_LE(env.flushes.size(), 64u);
  EXPECT_EQ(pt.table_pages(), 1u);
}

TEST_F(PageTableTest, LargeKernelUnmapFlushesEveryPage) {
  reinit_upper();
  // PA not 2 MiB aligned: 1000 pages, no blocks.
  ASSERT_EQ(pt.map(kUpper + 0x10000000, PhysAddr{0x10001000}, 1000 * k4K, R | W).error(),
            Err::None);
  env.clear_records();
  ASSERT_EQ(pt.unmap(kUpper + 0x10000000, 1000 * k4K).error(), Err::None);
  EXPECT_TRUE(env.asid_flushes.empty());  // would miss global entries
  ASSERT_EQ(env.flushes.size(), 1000u);
  std::set<VirtAddr> seen;
  for (const auto& f : env.flushes) {
    EXPECT_TRUE(f.global);
    EXPECT_FALSE(f.mapped);
    seen.insert(f.va);
  }
  EXPECT_EQ(seen.size(), 1000u);
  EXPECT_EQ(*seen.begin(), kUpper + 0x10000000);
}

// --- Out of memory ---

// Runs `op` with every budget smaller than what it needs, checking each time
// that it fails with NoMem and leaves the tree and the pool as they were;
// then with enough.
template <typename Op>
void check_nomem(FakeEnv& env, PageTable& pt, Op op) {
  auto before = dump(pt);
  usize live = env.live.size(), pages = pt.table_pages();
  for (long budget = 0;; budget++) {
    env.budget = budget;
    env.clear_records();
    Err e = op().error();
    if (e == Err::None) {
      EXPECT_GT(budget, 0) << "the operation needed no tables";
      break;
    }
    ASSERT_EQ(e, Err::NoMem) << "budget " << budget;
    EXPECT_EQ(dump(pt), before) << "budget " << budget;
    EXPECT_EQ(env.live.size(), live);
    EXPECT_EQ(pt.table_pages(), pages);
    EXPECT_TRUE(env.flushes.empty());
    ASSERT_LT(budget, 100);
  }
  env.budget = -1;
}

TEST_F(PageTableTest, NoMemOnMapChangesNothing) {
  ASSERT_EQ(pt.map(VirtAddr{0x1000}, PhysAddr{0x1000}, k4K, R).error(), Err::None);
  // Needs L2+L3 at the start, L1..L3 for the 513 GiB end, in between blocks.
  const PhysAddr pa{9 * k1G - k4K};
  check_nomem(env, pt, [&] { return pt.map(VirtAddr{k1G - k4K}, pa, 512 * k1G + 2 * k4K, R | W); });
  EXPECT_MAPS(pt, k1G - k4K, pa, R | W, k4K);
  EXPECT_MAPS(pt, k1G, pa + k4K, R | W, k1G);
  EXPECT_MAPS(pt, 513 * k1G, pa + 512 * k1G + k4K, R | W, k4K);
  EXPECT_EQ(pt.table_pages(), 2u + 2u + 3u + 1u);  // root, L1, L2+L3 start, L1-L3 end, L3 of 0x1000
  EXPECT_EQ(pt.map(VirtAddr{0}, PhysAddr{0}, kVaTop, R).error(), Err::Exist);
  expect_consistent();
}

TEST_F(PageTableTest, NoMemOnUnmapSplitChangesNothing) {
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{k1G}, k1G, R | W).error(), Err::None);
  ASSERT_EQ(pt.map(VirtAddr{4 * k1G}, PhysAddr{4 * k1G}, k1G, R | W).error(), Err::None);
  // Two edges inside 2 MiB pieces of two different 1 GiB blocks: 4 tables.
  check_nomem(env, pt, [&] { return pt.unmap(VirtAddr{k1G + k2M + k4K}, 3 * k1G); });
  EXPECT_MAPS(pt, k1G + k2M, k1G + k2M, R | W, k4K);
  EXPECT_UNMAPPED(pt, k1G + k2M + k4K);
  EXPECT_UNMAPPED(pt, 4 * k1G + k2M);
  EXPECT_MAPS(pt, 4 * k1G + k2M + k4K, 4 * k1G + k2M + k4K, R | W, k4K);
  EXPECT_MAPS(pt, 4 * k1G + 2 * k2M, 4 * k1G + 2 * k2M, R | W, k2M);
  expect_consistent();
}

TEST_F(PageTableTest, NoMemOnProtectSplitChangesNothing) {
  ASSERT_EQ(pt.map(VirtAddr{k1G}, PhysAddr{k1G}, k1G, R | W).error(), Err::None);
  check_nomem(env, pt, [&] { return pt.protect(VirtAddr{k1G + 5 * k4K}, k2M, R); });
  EXPECT_MAPS(pt, k1G + 4 * k4K, k1G + 4 * k4K, R | W, k4K);
  EXPECT_MAPS(pt, k1G + 5 * k4K, k1G + 5 * k4K, R, k4K);
  EXPECT_MAPS(pt, k1G + k2M + 4 * k4K, k1G + k2M + 4 * k4K, R, k4K);
  EXPECT_MAPS(pt, k1G + k2M + 5 * k4K, k1G + k2M + 5 * k4K, R | W, k4K);
  EXPECT_MAPS(pt, k1G + 2 * k2M, k1G + 2 * k2M, R | W, k2M);
  expect_consistent();
}

TEST(PageTableInit, NoMemForRoot) {
  FakeEnv env;
  env.budget = 0;
  PageTable pt;
  EXPECT_EQ(pt.init(&env, 1, false).error(), Err::NoMem);
  EXPECT_EQ(pt.root(), PhysAddr{});
  EXPECT_EQ(pt.init(nullptr, 1, false).error(), Err::Inval);
  env.budget = -1;
  ASSERT_EQ(pt.init(&env, 1, false).error(), Err::None);
  EXPECT_EQ(pt.asid(), 1);
  pt.destroy();
  EXPECT_TRUE(env.live.empty());
}

// --- Randomised differential test against a page-by-page model ---

struct ModelEntry {
  PhysAddr pa;
  u32 perm;
};

class RandomTest {
 public:
  RandomTest(bool upper, u64 seed) : upper_(upper), rng_(seed) {
    EXPECT_EQ(pt_.init(&env_, kAsid, upper).error(), Err::None);
    env_.watched = &pt_;
    base_ = (upper ? kUpper : VirtAddr{0}) + k1G;
  }
  ~RandomTest() {
    pt_.destroy();
    EXPECT_TRUE(env_.live.empty());
  }

  void run(int ops) {
    for (int i = 0; i < ops && !::testing::Test::HasFatalFailure(); i++) {
      step(i);
      if (::testing::Test::HasFailure()) {
        ADD_FAILURE() << "after op " << i;
        return;
      }
    }
    // The run exercised what it is meant to.
    for (int k = 0; k < kStats; k++) EXPECT_GT(stats_[k], 0u) << "stat " << k;
    printf("ops ok %zu, Exist %zu, NoEnt %zu, Inval %zu; saw 2M %zu, 1G %zu; bbm %zu\n",
           stats_[kOk], stats_[kExist], stats_[kNoEnt], stats_[kInval], stats_[k2MSeen],
           stats_[k1GSeen], stats_[kBbm]);
    // Unmap everything: only the root remains.
    ASSERT_EQ(pt_.unmap(base_, kWindow).error(), Err::None);
    EXPECT_EQ(pt_.table_pages(), 1u);
    EXPECT_EQ(env_.live.size(), 1u);
    EXPECT_EQ(env_.dirty_frees, 0u);
  }

 private:
  static constexpr u64 kWindow = 3 * k1G;  // VAs [base, base + 3 GiB)
  enum { kOk, kExist, kNoEnt, kInval, k2MSeen, k1GSeen, kBbm, kStats };
  usize stats_[kStats] = {};

  void count(Err e) {
    stats_[e == Err::None ? kOk : e == Err::Exist ? kExist : e == Err::NoEnt ? kNoEnt : kInval]++;
  }

  u64 rnd(u64 n) { return std::uniform_int_distribution<u64>(0, n - 1)(rng_); }

  // A random range in the window, biased towards block-sized, block-aligned
  // pieces so that blocks get made, split and partly hit.
  void pick_range(VirtAddr* va, usize* size, bool* huge) {
    u64 cls = rnd(1000);
    u64 off, len;
    *huge = cls < 20;
    if (cls < 20) {  // around a gigabyte
      off = rnd(3) * k1G;
      len = k1G;
      if (rnd(4) == 0) off += rnd(4) * k2M;
      if (rnd(4) == 0) len -= rnd(3) * k2M;
      if (rnd(4) == 0) off += rnd(3) * k4K;
    } else if (cls < 300) {            // a few 2 MiB blocks, sometimes off by pages
      off = rnd(2 * k1G / k2M) * k2M;  // the last GiB is left to the class above
      len = (1 + rnd(3)) * k2M;
      if (rnd(3) == 0) off += rnd(512) * k4K;
      if (rnd(3) == 0) len -= rnd(256) * k4K;
    } else {  // a few pages, clustered so that they collide
      off = rnd(64) * k2M + rnd(600) * k4K;
      len = (1 + rnd(40)) * k4K;
    }
    off = std::min(off, kWindow - k4K);
    len = std::min(len, kWindow - off);
    *va = base_ + off;
    *size = len;
  }

  u32 pick_perm() {
    static const u32 kUser[] = {R,          R | W,     R | X,          R | U,
                                R | W | U,  R | X | U, R | W | U | NC, R | W | DEV,
                                R | W | NC, W,         R | W | X};
    static const u32 kKernel[] = {R, R | W, R | X, R | W | DEV, R | NC, R | W | NC, W, R | W | X};
    return upper_ ? kKernel[rnd(std::size(kKernel))] : kUser[rnd(std::size(kUser))];
  }
  static bool perm_valid(u32 p) { return !((p & W) && (p & X)); }

  void step(int i) {
    VirtAddr va;
    usize size;
    bool huge;
    pick_range(&va, &size, &huge);
    u64 kind = rnd(10);  // map 40%, unmap 30%, protect 30%
    usize npages = size / k4K;

    // The translations before the op, for the TLB checks.
    std::map<VirtAddr, Q> old;
    for (usize p = 0; p < npages; p++) {
      VirtAddr v = va + p * k4K;
      if (model_.count(v)) old[v] = query(pt_, v);
    }
    env_.clear_records();
    usize live_before = env_.live.size();

    if (kind < 4) {
      PhysAddr pa{rnd(1u << 20) * k2M};  // under 2 TiB, 2 MiB aligned
      if (huge || rnd(3) == 0) pa = PhysAddr{rnd(2048) * k1G};
      if (rnd(5) == 0) pa += rnd(512) * k4K;
      u32 perm = pick_perm();
      Err want = Err::None;
      if (!perm_valid(perm)) {
        want = Err::Inval;
      } else {
        for (usize p = 0; p < npages && want == Err::None; p++)
          if (model_.count(va + p * k4K)) want = Err::Exist;
      }
      count(want);
      ASSERT_EQ(pt_.map(va, pa, size, perm).error(), want)
          << "map " << std::hex << va << "+" << size << " perm " << perm;
      if (want == Err::None) {
        for (usize p = 0; p < npages; p++) model_[va + p * k4K] = {pa + p * k4K, perm | R};
      }
      EXPECT_TRUE(env_.flushes.empty());
      if (want != Err::None) EXPECT_EQ(env_.live.size(), live_before);
    } else if (kind < 7) {
      ASSERT_EQ(pt_.unmap(va, size).error(), Err::None) << std::hex << va << "+" << size;
      for (usize p = 0; p < npages; p++) model_.erase(va + p * k4K);
    } else {
      u32 perm = pick_perm();
      Err want = perm_valid(perm) ? Err::None : Err::Inval;
      for (usize p = 0; p < npages && want == Err::None; p++)
        if (!model_.count(va + p * k4K)) want = Err::NoEnt;
      count(want);
      ASSERT_EQ(pt_.protect(va, size, perm).error(), want)
          << "protect " << std::hex << va << "+" << size << " perm " << perm;
      if (want == Err::None) {
        for (usize p = 0; p < npages; p++) model_[va + p * k4K].perm = perm | R;
      } else {
        EXPECT_TRUE(env_.flushes.empty());
        EXPECT_EQ(env_.live.size(), live_before);
      }
    }

    // Every touched page (and its neighbours) translates as the model says.
    for (VirtAddr v = va - (va > base_ ? k4K : 0); v < va + size + k4K && v < base_ + kWindow;
         v += k4K) {
      Q q = query(pt_, v);
      auto it = model_.find(v);
      if (it == model_.end()) {
        ASSERT_EQ(q.err, Err::NoEnt) << std::hex << v;
      } else {
        ASSERT_EQ(q.err, Err::None) << std::hex << v;
        ASSERT_EQ(q.pa, it->second.pa) << std::hex << v;
        ASSERT_EQ(q.perm, it->second.perm) << std::hex << v;
        if (q.size == k2M) stats_[k2MSeen]++;
        if (q.size == k1G) stats_[k1GSeen]++;
      }
    }
    check_tlb(old);
    EXPECT_EQ(pt_.table_pages(), env_.live.size());
    if (i % 64 == 0) {
      bool empty_found = false;
      EXPECT_EQ(count_tables(kern::pa_to_kva<const u64>(pt_.root()), 0, &empty_found),
                pt_.table_pages());
      EXPECT_FALSE(empty_found);
    }
  }

  // No stale translation survives the op, and break-before-make was used
  // where the architecture requires it.
  void check_tlb(const std::map<VirtAddr, Q>& old) {
    std::vector<VirtAddr> flushed, flushed_unmapped;
    for (const auto& f : env_.flushes) {
      EXPECT_EQ(f.global, upper_);
      EXPECT_EQ(f.asid, kAsid);
      flushed.push_back(f.va);
      if (!f.mapped) flushed_unmapped.push_back(f.va);
    }
    std::sort(flushed.begin(), flushed.end());
    std::sort(flushed_unmapped.begin(), flushed_unmapped.end());
    bool asid_flushed = !env_.asid_flushes.empty();
    EXPECT_TRUE(!asid_flushed || !upper_) << "ASID flush cannot remove global entries";
    auto hit = [](const std::vector<VirtAddr>& v, VirtAddr lo, usize len) {
      auto it = std::lower_bound(v.begin(), v.end(), lo);
      return it != v.end() && *it - lo < len;
    };
    for (const auto& [v, o] : old) {
      ASSERT_EQ(o.err, Err::None);
      VirtAddr blk = kern::align_down(v, o.size);  // the TLB may hold the old mapping as one entry
      Q n = query(pt_, v);
      bool changed = n.err != Err::None || n.pa != o.pa || n.perm != o.perm;
      if (changed && !asid_flushed) {
        EXPECT_TRUE(hit(flushed, blk, o.size)) << "stale TLB entry for " << std::hex << v;
      }
      const u32 kType = DEV | NC;
      bool needs_bbm =
          n.err == Err::None && (n.size != o.size || (n.perm & kType) != (o.perm & kType));
      if (needs_bbm) {
        stats_[kBbm]++;
        EXPECT_TRUE(hit(flushed_unmapped, blk, o.size))
            << "no break-before-make for " << std::hex << v;
      }
    }
  }

  bool upper_;
  std::mt19937_64 rng_;
  VirtAddr base_;
  FakeEnv env_;
  PageTable pt_;
  std::map<VirtAddr, ModelEntry> model_;
};

TEST(PageTableRandom, LowerHalfAgainstModel) { RandomTest(false, 0x5eed1234).run(4000); }
TEST(PageTableRandom, UpperHalfAgainstModel) { RandomTest(true, 0xfeedbeef).run(4000); }

}  // namespace
