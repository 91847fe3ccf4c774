// Tests for the buddy allocator (kern::mm::BuddyPool) and the global physical
// page API over several pools (mm/phys.h).
//
// Physical memory is simulated with host buffers aligned to 16 MiB, so the
// physical address of a page is its host address and the alignment of every
// block can be checked against the real address. BuddyPool tests keep the
// metadata in a separate vector; phys tests let phys_add_region carve it out
// of the buffer, as the kernel does.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "../addr_print.h"
#include "mm/buddy.h"
#include "mm/kmap.h"
#include "mm/phys.h"

namespace {

using kern::mm::BuddyPool;
using kern::mm::kPageFree;
using kern::mm::kPageHead;
using kern::mm::kPageSize;
using kern::mm::kPageUseNone;
using kern::mm::kPageUseSlab;
using kern::mm::Page;

constexpr u32 kMaxOrder = BuddyPool::kMaxOrder;
constexpr usize kAlign = usize{16} << 20;  // 16 MiB: a max-order block

// Simulated RAM: `bytes` starting `offset` bytes past a 16 MiB boundary.
class SimRam {
 public:
  explicit SimRam(usize bytes, usize offset = 0) {
    const usize total = (bytes + offset + kAlign - 1) / kAlign * kAlign;
    mem_ = std::aligned_alloc(kAlign, total);
    if (mem_ == nullptr) std::abort();
    base_ = kern::kva_to_pa(mem_) + offset;
  }
  ~SimRam() { std::free(mem_); }
  SimRam(const SimRam&) = delete;
  SimRam& operator=(const SimRam&) = delete;

  PhysAddr base() const { return base_; }

 private:
  void* mem_;
  PhysAddr base_;
};

using Snapshot = std::array<usize, kMaxOrder + 1>;

Snapshot free_lists(const BuddyPool& pool) {
  Snapshot s{};
  for (u32 k = 0; k <= kMaxOrder; k++) s[k] = pool.free_blocks(k);
  return s;
}

// A pool of `npages` pages starting `lead` pages past a 16 MiB boundary.
class BuddyTest : public ::testing::Test {
 protected:
  void make(usize npages, usize lead = 0) {
    ram_ = std::make_unique<SimRam>(npages * kPageSize, lead * kPageSize);
    meta_.assign(npages, Page{});
    pool_ = std::make_unique<PoolBox>();
    pool().init(ram_->base(), npages, meta_.data());
  }
  BuddyPool& pool() { return pool_->pool; }
  PhysAddr pa(const Page* p) { return pool().page_to_pa(p); }

  // BuddyPool hides ordinary operator new; wrap it to put it on the heap.
  struct PoolBox {
    BuddyPool pool;
  };
  std::unique_ptr<SimRam> ram_;
  std::vector<Page> meta_;
  std::unique_ptr<PoolBox> pool_;
};

TEST_F(BuddyTest, SeedsLargestAlignedBlocks) {
  make(3 * 4096 + 5);
  EXPECT_EQ(pool().total_pages(), 3u * 4096 + 5);
  EXPECT_EQ(pool().free_pages(), 3u * 4096 + 5);
  Snapshot want{};
  want[12] = 3;
  want[2] = 1;
  want[0] = 1;
  EXPECT_EQ(free_lists(pool()), want);
  EXPECT_TRUE(pool().check_invariants());
}

TEST_F(BuddyTest, SeedsAroundUnalignedBase) {
  // Base one page below a 16 MiB boundary; 4096 + 3 pages: 1 page before
  // the boundary, one max-order block, 2 pages after.
  make(4096 + 3, 4095);
  Snapshot want{};
  want[0] = 1;
  want[12] = 1;
  want[1] = 1;
  EXPECT_EQ(free_lists(pool()), want);
  EXPECT_TRUE(pool().check_invariants());
}

TEST_F(BuddyTest, AllocFreeEveryOrder) {
  make(2 * 4096 + 777, 3);
  const Snapshot initial = free_lists(pool());
  for (u32 order = 0; order <= kMaxOrder; order++) {
    Page* p = pool().alloc(order);
    ASSERT_NE(p, nullptr) << "order " << order;
    EXPECT_EQ(p->flags, kPageHead);
    EXPECT_EQ(p->order, order);
    EXPECT_EQ(p->refcount, 1u);
    EXPECT_TRUE(kern::is_aligned(pa(p), kPageSize << order)) << "order " << order;
    EXPECT_TRUE(pool().contains(pa(p)));
    EXPECT_TRUE(pool().contains(pa(p) + (kPageSize << order) - 1));
    EXPECT_EQ(pool().pa_to_page(pa(p)), p);
    EXPECT_EQ(pool().free_pages(), pool().total_pages() - (usize{1} << order));
    EXPECT_TRUE(pool().check_invariants());
    // The memory is usable.
    std::memset(kern::pa_to_kva(pa(p)), 0x5a, kPageSize << order);
    pool().free(p);
    EXPECT_TRUE(pool().check_invariants());
    EXPECT_EQ(pool().free_pages(), pool().total_pages());
    EXPECT_EQ(free_lists(pool()), initial) << "order " << order;
  }
  EXPECT_EQ(pool().bad_frees(), 0u);
}

TEST_F(BuddyTest, BadOrderFails) {
  make(64);
  EXPECT_EQ(pool().alloc(kMaxOrder + 1), nullptr);
  EXPECT_EQ(pool().alloc(~0u), nullptr);
  EXPECT_EQ(pool().alloc(7), nullptr);  // 128 pages > 64
  EXPECT_NE(pool().alloc(6), nullptr);
  EXPECT_EQ(pool().alloc(0), nullptr);
  EXPECT_TRUE(pool().check_invariants());
}

TEST_F(BuddyTest, PaToPageOutside) {
  make(100, 1);
  const PhysAddr base = ram_->base();
  EXPECT_EQ(pool().pa_to_page(base - 1), nullptr);
  EXPECT_EQ(pool().pa_to_page(base + 100 * kPageSize), nullptr);
  EXPECT_EQ(pool().pa_to_page(base), &meta_[0]);
  EXPECT_EQ(pool().pa_to_page(base + 100 * kPageSize - 1), &meta_[99]);
  EXPECT_FALSE(pool().contains(PhysAddr{0}));
}

TEST_F(BuddyTest, CoalescesBackToInitialState) {
  make(4096 + 1000, 17);
  const Snapshot initial = free_lists(pool());
  std::vector<Page*> pages;
  while (Page* p = pool().alloc(0)) pages.push_back(p);
  ASSERT_EQ(pages.size(), pool().total_pages());
  EXPECT_EQ(pool().free_pages(), 0u);
  EXPECT_TRUE(pool().check_invariants());
  std::mt19937 rng(7);
  std::shuffle(pages.begin(), pages.end(), rng);
  for (Page* p : pages) pool().free(p);
  EXPECT_TRUE(pool().check_invariants());
  EXPECT_EQ(pool().free_pages(), pool().total_pages());
  EXPECT_EQ(free_lists(pool()), initial);
}

TEST_F(BuddyTest, ExhaustionAtEveryOrder) {
  make(3 * 4096 + 2000, 5);
  const Snapshot initial = free_lists(pool());
  for (u32 order = 0; order <= kMaxOrder; order++) {
    std::vector<Page*> blocks;
    while (Page* p = pool().alloc(order)) blocks.push_back(p);
    // Every aligned 2^order run inside the pool was handed out.
    const usize lead = (ram_->base().raw() / kPageSize) % (usize{1} << kMaxOrder);
    const usize n = usize{1} << order;
    const usize first = (lead + n - 1) / n, last = (lead + pool().total_pages()) / n;
    EXPECT_EQ(blocks.size(), last > first ? last - first : 0) << "order " << order;
    EXPECT_EQ(pool().alloc(order), nullptr);
    EXPECT_TRUE(pool().check_invariants());
    for (Page* p : blocks) pool().free(p);
    EXPECT_TRUE(pool().check_invariants());
    EXPECT_EQ(pool().free_pages(), pool().total_pages());
    EXPECT_EQ(free_lists(pool()), initial);
  }
}

// Odd sizes and bases: every page can be allocated exactly once, and greedy
// allocation from the largest order down also covers the whole pool.
TEST_F(BuddyTest, OddSizesAndBases) {
  const std::pair<usize, usize> shapes[] = {{1, 0},        {1, 1},      {2, 1},       {7, 3},
                                            {1000, 1},     {4095, 1},   {4097, 4095}, {5000, 123},
                                            {12345, 2049}, {8193, 4095}};
  for (auto [npages, lead] : shapes) {
    SCOPED_TRACE(testing::Message() << npages << " pages, lead " << lead);
    make(npages, lead);
    const Snapshot initial = free_lists(pool());
    EXPECT_TRUE(pool().check_invariants());

    std::vector<Page*> pages;
    while (Page* p = pool().alloc(0)) pages.push_back(p);
    EXPECT_EQ(pages.size(), npages);
    for (Page* p : pages) pool().free(p);
    EXPECT_EQ(free_lists(pool()), initial);

    usize got = 0;
    std::vector<Page*> blocks;
    for (int order = kMaxOrder; order >= 0; order--) {
      while (Page* p = pool().alloc(order)) {
        EXPECT_TRUE(kern::is_aligned(pa(p), kPageSize << order));
        blocks.push_back(p);
        got += usize{1} << order;
      }
    }
    EXPECT_EQ(got, npages);
    EXPECT_EQ(pool().free_pages(), 0u);
    EXPECT_TRUE(pool().check_invariants());
    for (Page* p : blocks) pool().free(p);
    EXPECT_TRUE(pool().check_invariants());
    EXPECT_EQ(free_lists(pool()), initial);
    EXPECT_EQ(pool().bad_frees(), 0u);
  }
}

// Random allocs and frees of random orders. After every step: invariants,
// free count, and no two live blocks overlap (an owner map of pages, plus a
// tag written into each block's first and last word and checked at free).
TEST_F(BuddyTest, RandomStress) {
  constexpr usize kPages = 5000;
  make(kPages, 77);
  const Snapshot initial = free_lists(pool());
  struct Live {
    Page* head;
    u32 order;
    u64 tag;
  };
  std::vector<Live> live;
  std::vector<u32> owner(kPages, 0);  // 0 = free, else tag
  usize live_pages = 0;
  u64 next_tag = 1;
  std::mt19937_64 rng(20240601);
  constexpr int kSteps = 25000;
  int allocs = 0, failures = 0;

  auto words = [&](const Live& b) {
    u64* first = kern::pa_to_kva<u64>(pa(b.head));
    u64* last = first + (kPageSize << b.order) / sizeof(u64) - 1;
    return std::pair{first, last};
  };

  for (int step = 0; step < kSteps; step++) {
    const bool do_alloc = live.empty() || rng() % 100 < 55;
    if (do_alloc) {
      // Small orders are common, big ones rare.
      u32 order = 0;
      while (order < kMaxOrder && rng() % 100 < 40) order++;
      if (rng() % 50 == 0) order = static_cast<u32>(rng() % (kMaxOrder + 2));  // incl. bad
      Page* p = pool().alloc(order);
      if (p == nullptr) {
        failures++;
        // Only when no free block is large enough.
        for (u32 k = order; k <= kMaxOrder; k++) ASSERT_EQ(pool().free_blocks(k), 0u);
      } else {
        allocs++;
        ASSERT_LE(order, kMaxOrder);
        ASSERT_TRUE(kern::is_aligned(pa(p), kPageSize << order));
        const usize first = static_cast<usize>(p - meta_.data());
        ASSERT_LE(first + (usize{1} << order), kPages);
        const u32 tag = static_cast<u32>(next_tag++);
        for (usize i = first; i < first + (usize{1} << order); i++) {
          ASSERT_EQ(owner[i], 0u) << "page " << i << " handed out twice";
          owner[i] = tag;
        }
        Live b{p, order, tag};
        auto [w0, w1] = words(b);
        *w0 = tag;
        *w1 = ~u64{tag};
        live.push_back(b);
        live_pages += usize{1} << order;
      }
    } else {
      const usize i = rng() % live.size();
      const Live b = live[i];
      live[i] = live.back();
      live.pop_back();
      auto [w0, w1] = words(b);
      ASSERT_EQ(*w0, b.tag);
      ASSERT_EQ(*w1, ~b.tag);
      const usize first = static_cast<usize>(b.head - meta_.data());
      for (usize j = first; j < first + (usize{1} << b.order); j++) owner[j] = 0;
      pool().free(b.head);
      live_pages -= usize{1} << b.order;
    }
    ASSERT_TRUE(pool().check_invariants()) << "step " << step;
    ASSERT_EQ(pool().free_pages(), kPages - live_pages) << "step " << step;
  }
  EXPECT_GT(allocs, kSteps / 3);
  EXPECT_GT(failures, 0);  // the pool was under pressure at times
  for (const Live& b : live) pool().free(b.head);
  EXPECT_TRUE(pool().check_invariants());
  EXPECT_EQ(pool().free_pages(), kPages);
  EXPECT_EQ(free_lists(pool()), initial);
  EXPECT_EQ(pool().bad_frees(), 0u);
}

TEST_F(BuddyTest, DoubleFreeDetected) {
  make(64);
  const Snapshot initial = free_lists(pool());
  Page* a = pool().alloc(0);
  Page* b = pool().alloc(0);  // a's buddy: a frees without merging
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  pool().free(a);
  const usize free_after = pool().free_pages();
  pool().free(a);  // NOLINT(clang-analyzer-unix.Malloc): a is a free block head
  EXPECT_EQ(pool().bad_frees(), 1u);
  EXPECT_EQ(pool().free_pages(), free_after);
  EXPECT_TRUE(pool().check_invariants());
  pool().free(b);  // merges with a and up
  pool().free(a);  // a is now inside a free block
  pool().free(b);
  EXPECT_EQ(pool().bad_frees(), 3u);
  EXPECT_TRUE(pool().check_invariants());
  EXPECT_EQ(free_lists(pool()), initial);

  Page* big = pool().alloc(3);
  pool().free(big);
  pool().free(big);  // NOLINT(clang-analyzer-unix.Malloc): deliberate double free
  EXPECT_EQ(pool().bad_frees(), 4u);
  EXPECT_TRUE(pool().check_invariants());
  EXPECT_EQ(pool().free_pages(), 64u);
}

TEST_F(BuddyTest, AllocSplitHandsOutSeparatePages) {
  make(64);
  const Snapshot initial = free_lists(pool());
  Page* out[16] = {};
  ASSERT_EQ(pool().alloc_split(4, out), 16u);
  EXPECT_EQ(pool().free_pages(), 48u);
  std::vector<PhysAddr> pas;
  for (Page* p : out) {
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->flags, kPageHead);  // each page is a block of its own
    EXPECT_EQ(p->order, 0u);
    EXPECT_EQ(p->refcount, 1u);
    pas.push_back(pa(p));
  }
  std::sort(pas.begin(), pas.end());
  EXPECT_TRUE(kern::is_aligned(pas[0], 16 * kPageSize));  // one aligned 16-page block
  for (usize i = 1; i < pas.size(); i++) EXPECT_EQ(pas[i], pas[0] + i * kPageSize);
  EXPECT_TRUE(pool().check_invariants());
  // Freed one by one, they merge back.
  for (Page* p : out) pool().free(p);
  EXPECT_EQ(pool().bad_frees(), 0u);
  EXPECT_EQ(free_lists(pool()), initial);
  EXPECT_TRUE(pool().check_invariants());
}

TEST_F(BuddyTest, AllocSplitTakesASmallerBlockWhenNeeded) {
  make(24);  // free blocks of 16 and 8 pages
  Page* out[16] = {};
  ASSERT_EQ(pool().alloc_split(4, out), 16u);
  EXPECT_EQ(pool().alloc_split(4, out), 8u);  // no 16-page block left: the 8
  EXPECT_EQ(pool().alloc_split(4, out), 0u);
  EXPECT_EQ(pool().free_pages(), 0u);
  EXPECT_TRUE(pool().check_invariants());
}

TEST_F(BuddyTest, BadPointersDetected) {
  make(64);
  Page* block = pool().alloc(2);
  ASSERT_NE(block, nullptr);
  const usize free_before = pool().free_pages();
  usize bad = 0;
  auto refused = [&](Page* p, const char* what) {
    pool().free(p);  // NOLINT(clang-analyzer-unix.Malloc): deliberately bad
    EXPECT_EQ(pool().bad_frees(), ++bad) << what;
    EXPECT_TRUE(pool().check_invariants()) << what;
    EXPECT_EQ(pool().free_pages(), free_before) << what;
  };
  refused(block + 1, "tail page of an allocated block");
  refused(block + 3, "last page of an allocated block");
  refused(nullptr, "nullptr");
  // Pointers computed as integers: as pointer arithmetic they would be UB.
  const uptr meta = reinterpret_cast<uptr>(meta_.data());
  auto page_at = [](uptr a) {
    return reinterpret_cast<Page*>(a);  // NOLINT(performance-no-int-to-ptr)
  };
  refused(page_at(meta + 64 * sizeof(Page)), "one past the metadata");
  refused(page_at(meta - sizeof(Page)), "before the metadata");
  refused(page_at(reinterpret_cast<uptr>(block) + 8), "misaligned");
  Page outside{};
  refused(&outside, "a Page not in the pool");
  Page* never = pool().pa_to_page(pool().base() + 40 * kPageSize);
  refused(never, "a page that was never allocated");

  block->refcount = 2;
  refused(block, "a block still shared");
  block->refcount = 1;
  block->use = kPageUseSlab;
  refused(block, "a live slab");
  block->use = kPageUseNone;

  EXPECT_EQ(block->flags, kPageHead);
  pool().free(block);
  EXPECT_EQ(pool().bad_frees(), bad);
  EXPECT_EQ(pool().free_pages(), 64u);
  EXPECT_TRUE(pool().check_invariants());
}

TEST_F(BuddyTest, CheckInvariantsCatchesCorruption) {
  make(64);
  Page* a = pool().alloc(0);
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(pool().check_invariants());
  a->flags = kPageFree;  // free-looking but in no list
  EXPECT_FALSE(pool().check_invariants());
  a->flags = kPageHead;
  a->order = 1;  // now overlaps its free buddy
  EXPECT_FALSE(pool().check_invariants());
  a->order = 0;
  EXPECT_TRUE(pool().check_invariants());
  pool().free(a);
  EXPECT_TRUE(pool().check_invariants());
}

// ---------------------------------------------------------------------------
// The global API over several pools.

namespace mm = kern::mm;

class PhysTest : public ::testing::Test {
 protected:
  void SetUp() override { mm::phys_reset_for_test(); }
  void TearDown() override { mm::phys_reset_for_test(); }

  // Adds a region of `bytes` at `offset` into a fresh buffer; returns its base.
  PhysAddr add(usize bytes, usize offset = 0) {
    rams_.push_back(std::make_unique<SimRam>(bytes, offset));
    mm::phys_add_region(rams_.back()->base(), bytes);
    return rams_.back()->base();
  }
  std::vector<std::unique_ptr<SimRam>> rams_;
};

TEST_F(PhysTest, MetadataCarvedFromRegion) {
  // 8 MiB + 3 pages + 100 bytes, starting 100 bytes into a page: trimmed to
  // whole pages inward, which loses the partial first page.
  const usize bytes = (8u << 20) + 3 * kPageSize + 100;
  const PhysAddr base = add(bytes, 100);
  const PhysAddr start = kern::align_up(base, kPageSize);
  const usize npages = (kern::align_down(base + bytes, kPageSize) - start) / kPageSize;
  EXPECT_EQ(npages, 2048u + 2);
  const usize meta = mm::phys_meta_pages(npages);
  // The fewest pages that hold the metadata of all the others.
  EXPECT_GE(meta * kPageSize, (npages - meta) * sizeof(Page));
  EXPECT_LT((meta - 1) * kPageSize, (npages - meta + 1) * sizeof(Page));

  ASSERT_EQ(mm::phys_pool_count(), 1u);
  EXPECT_EQ(mm::total_page_count(), npages - meta);
  EXPECT_EQ(mm::free_page_count(), npages - meta);
  // The metadata pages are not managed; the first page after them is.
  EXPECT_EQ(mm::pa_to_page(start), nullptr);
  EXPECT_EQ(mm::pa_to_page(start + (meta - 1) * kPageSize), nullptr);
  Page* first = mm::pa_to_page(start + meta * kPageSize);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(kern::kva_to_pa(first), start);  // metadata[0] at the region start
  EXPECT_EQ(mm::pa_to_page(start + npages * kPageSize), nullptr);
  EXPECT_EQ(mm::page_to_pa(first), start + meta * kPageSize);
}

TEST_F(PhysTest, SmallAndOverlappingRegionsIgnored) {
  add(4 * kPageSize);
  EXPECT_EQ(mm::phys_pool_count(), 0u);
  mm::phys_add_region(PhysAddr{0x1000}, 0);
  mm::phys_add_region(PhysAddr::max() - 100, 1000);  // would wrap
  EXPECT_EQ(mm::phys_pool_count(), 0u);
  const PhysAddr base = add(1u << 20);
  EXPECT_EQ(mm::phys_pool_count(), 1u);
  mm::phys_add_region(base + (512u << 10), 1u << 20);  // overlaps
  EXPECT_EQ(mm::phys_pool_count(), 1u);
  for (u32 i = 1; i < mm::kMaxPhysPools + 2; i++) add(256 * kPageSize);
  EXPECT_EQ(mm::phys_pool_count(), mm::kMaxPhysPools);
}

// The largest pool first (pa_to_page's inline path), then the others in
// the order they were added.
TEST_F(PhysTest, AllocatesFromTheLargestPoolThenInOrder) {
  const PhysAddr a = add(64 * kPageSize, kPageSize);  // small, unaligned
  const PhysAddr b = add(4u << 20);
  const PhysAddr c = add(2u << 20, 3 * kPageSize);
  ASSERT_EQ(mm::phys_pool_count(), 3u);
  const usize total = mm::total_page_count();
  EXPECT_EQ(total, 64 - mm::phys_meta_pages(64) + 1024 - mm::phys_meta_pages(1024) + 512 -
                       mm::phys_meta_pages(512));
  EXPECT_EQ(mm::free_page_count(), total);

  auto in = [](PhysAddr pa, PhysAddr base, usize bytes) { return pa - base < bytes; };
  std::vector<Page*> pages;
  usize from_a = 0, from_b = 0, from_c = 0;
  while (Page* p = mm::alloc_pages(0)) {
    const PhysAddr pa = mm::page_to_pa(p);
    EXPECT_EQ(mm::pa_to_page(pa), p);
    EXPECT_EQ(kern::kva_to_pa(mm::page_to_kva(p)), pa);
    if (in(pa, b, 4u << 20)) {
      EXPECT_EQ(from_a + from_c, 0u) << "the largest pool is used first";
      from_b++;
    } else if (in(pa, a, 64 * kPageSize)) {
      EXPECT_EQ(from_c, 0u) << "then the first one added";
      from_a++;
    } else {
      EXPECT_TRUE(in(pa, c, 2u << 20));
      from_c++;
    }
    pages.push_back(p);
  }
  EXPECT_EQ(pages.size(), total);
  EXPECT_EQ(from_a, 64 - mm::phys_meta_pages(64));
  EXPECT_EQ(from_b, 1024 - mm::phys_meta_pages(1024));
  EXPECT_EQ(mm::free_page_count(), 0u);
  for (Page* p : pages) mm::free_pages(p);
  EXPECT_EQ(mm::free_page_count(), total);
  EXPECT_EQ(mm::phys_bad_frees(), 0u);

  // A big block comes from a pool large enough for it.
  Page* big = mm::alloc_pages(8);  // 1 MiB: not in pool a
  ASSERT_NE(big, nullptr);
  EXPECT_TRUE(in(mm::page_to_pa(big), b, 4u << 20));
  mm::free_pages(big);
  EXPECT_EQ(mm::alloc_pages(kMaxOrder), nullptr);  // no pool has 16 MiB
  EXPECT_EQ(mm::alloc_pages(kMaxOrder + 1), nullptr);
  EXPECT_EQ(mm::free_page_count(), total);
}

TEST_F(PhysTest, GetPutPages) {
  add(1u << 20);
  const usize start = mm::free_page_count();
  u8* p = static_cast<u8*>(mm::get_pages(2, false));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(kern::is_aligned(reinterpret_cast<uptr>(p), 4 * kPageSize));
  std::memset(p, 0xAA, 4 * kPageSize);
  mm::put_pages(p);
  u8* z = static_cast<u8*>(mm::get_pages(2, true));
  ASSERT_EQ(z, p);  // the same block comes back
  for (usize i = 0; i < 4 * kPageSize; i++) ASSERT_EQ(z[i], 0) << i;
  EXPECT_EQ(mm::free_page_count(), start - 4);

  mm::put_pages(nullptr);
  EXPECT_EQ(mm::phys_bad_frees(), 0u);
  mm::put_pages(z + kPageSize);  // inside the block
  mm::put_pages(z + 1);          // not page aligned
  int local = 0;
  mm::put_pages(&local);  // not in any pool
  mm::free_pages(reinterpret_cast<Page*>(&local));
  EXPECT_EQ(mm::phys_bad_frees(), 4u);
  EXPECT_EQ(mm::free_page_count(), start - 4);
  mm::put_pages(z);
  mm::put_pages(z);  // double
  EXPECT_EQ(mm::phys_bad_frees(), 5u);
  EXPECT_EQ(mm::free_page_count(), start);
  EXPECT_EQ(mm::get_pages(kMaxOrder + 1, true), nullptr);
}

// Freed order-0 pages go to the (per-CPU) page cache: still counted free,
// handed out again first, still refused when freed twice, and given back to
// the pools when a larger block needs them.
TEST_F(PhysTest, PageCacheKeepsTheAccounting) {
  add(64 * kPageSize);
  const usize total = mm::free_page_count();
  Page* a = mm::alloc_pages(0);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(mm::free_page_count(), total - 1);
  mm::free_pages(a);
  EXPECT_EQ(mm::free_page_count(), total);
  mm::free_pages(a);  // NOLINT(clang-analyzer-unix.Malloc): deliberate double free
  EXPECT_EQ(mm::phys_bad_frees(), 1u);
  EXPECT_EQ(mm::free_page_count(), total);
  Page* again = mm::alloc_pages(0);
  EXPECT_EQ(again, a);  // the page freed last comes back first
  mm::free_pages(again);

  // Every page cached or free: the largest block the pool has must still
  // be available, which needs the cached pages back in the pool.
  std::vector<Page*> pages;
  while (Page* p = mm::alloc_pages(0)) pages.push_back(p);
  EXPECT_EQ(pages.size(), total);
  for (Page* p : pages) mm::free_pages(p);
  EXPECT_EQ(mm::free_page_count(), total);
  Page* big = mm::alloc_pages(5);  // 32 of the 63 pages, aligned
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(mm::free_page_count(), total - 32);
  mm::free_pages(big);
  EXPECT_EQ(mm::free_page_count(), total);
  EXPECT_EQ(mm::phys_bad_frees(), 1u);
}

TEST_F(PhysTest, RefcountedPages) {
  add(1u << 20);
  const usize start = mm::free_page_count();
  Page* p = mm::alloc_pages(1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->refcount, 1u);
  mm::page_ref(p);
  mm::free_pages(p);  // still shared: refused
  EXPECT_EQ(mm::phys_bad_frees(), 1u);
  mm::page_unref(p);
  EXPECT_EQ(mm::free_page_count(), start - 2);
  mm::page_unref(p);  // last reference frees
  EXPECT_EQ(mm::free_page_count(), start);
  EXPECT_EQ(mm::phys_bad_frees(), 1u);
}

}  // namespace
