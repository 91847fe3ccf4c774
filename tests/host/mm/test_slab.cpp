// Tests for the slab caches and kmalloc (mm/slab.h, mm/kmalloc.h), on top of
// the real phys allocator over simulated RAM (host buffers whose physical
// address is their host address).
//
// Every test ends with an xv6-style leak check: after freeing everything and
// returning the caches' spare empty slabs, free_page_count() must be exactly
// what it was before the test allocated anything.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "mm/kmalloc.h"
#include "mm/kmap.h"
#include "mm/phys.h"
#include "mm/slab.h"

namespace {

namespace mm = kern::mm;
using mm::kfree;
using mm::kmalloc;
using mm::kPageSize;
using mm::ksize;
using mm::kzalloc;
using mm::Page;

constexpr usize kAlign = usize{16} << 20;

class KmallocTest : public ::testing::Test {
 protected:
  void SetUp() override { use_ram(32u << 20); }
  void TearDown() override {
    mm::kmalloc_reset_for_test();
    mm::phys_reset_for_test();
    std::free(ram_);
  }

  // Starts over with `bytes` of simulated RAM as the only region.
  void use_ram(usize bytes) {
    mm::kmalloc_reset_for_test();
    mm::phys_reset_for_test();
    std::free(ram_);
    ram_ = std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
    ASSERT_NE(ram_, nullptr);
    mm::phys_add_region(kern::kva_to_pa(ram_), bytes);
    ASSERT_EQ(mm::phys_pool_count(), 1u);
    start_free_ = mm::free_page_count();
  }

  // Leak check: everything freed, spare slabs returned, no bad frees unless
  // the test expected some.
  void expect_no_leak(usize bad_frees = 0) {
    mm::kmalloc_shrink();
    EXPECT_EQ(mm::free_page_count(), start_free_);
    EXPECT_EQ(mm::kmalloc_bad_frees(), bad_frees);
    EXPECT_EQ(mm::phys_bad_frees(), 0u);
  }

  static usize class_size(usize size) {
    usize c = 32;
    while (c < size) c *= 2;
    return c;
  }

  void* ram_ = nullptr;
  usize start_free_ = 0;
};

bool aligned(const void* p, usize a) { return reinterpret_cast<uptr>(p) % a == 0; }

void fill(void* p, usize n, u8 seed) {
  u8* b = static_cast<u8*>(p);
  for (usize i = 0; i < n; i++) b[i] = static_cast<u8>(seed + i * 7);
}

bool check(const void* p, usize n, u8 seed) {
  const u8* b = static_cast<const u8*>(p);
  for (usize i = 0; i < n; i++) {
    if (b[i] != static_cast<u8>(seed + i * 7)) return false;
  }
  return true;
}

TEST_F(KmallocTest, CacheGeometry) {
  struct {
    usize size;
    u32 order;
    u32 objects;
  } const want[] = {{32, 0, 128}, {64, 0, 64},  {128, 0, 32}, {256, 0, 16},
                    {512, 0, 8},  {1024, 1, 8}, {2048, 2, 8}};
  for (auto w : want) {
    const mm::SlabCache* c = mm::kmalloc_cache_for(w.size);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->object_size(), w.size);
    EXPECT_EQ(c->slab_order(), w.order) << w.size;
    EXPECT_EQ(c->objects_per_slab(), w.objects) << w.size;
    EXPECT_GE(c->objects_per_slab(), 8u);
  }
  EXPECT_EQ(mm::kmalloc_cache_for(0), nullptr);
  EXPECT_EQ(mm::kmalloc_cache_for(2049), nullptr);
  EXPECT_EQ(mm::kmalloc_cache_for(33), mm::kmalloc_cache_for(64));
  EXPECT_EQ(mm::kmalloc_cache_for(1), mm::kmalloc_cache_for(32));
  EXPECT_FALSE(mm::SlabCache::valid_geometry(4, 0));   // 256 objects: too many
  EXPECT_FALSE(mm::SlabCache::valid_geometry(13, 0));  // bigger than the slab
  EXPECT_TRUE(mm::SlabCache::valid_geometry(12, 0));
}

TEST_F(KmallocTest, EveryClassSizeAndAlignment) {
  const usize sizes[] = {1,   2,   31,  32,  33,  63,  64,   65,   100,  127,  128,  129,
                         255, 256, 257, 511, 512, 513, 1000, 1023, 1024, 1025, 2047, 2048};
  for (usize size : sizes) {
    void* p = kmalloc(size);
    ASSERT_NE(p, nullptr) << size;
    const usize cls = class_size(size);
    EXPECT_EQ(ksize(p), cls) << size;
    EXPECT_TRUE(aligned(p, cls)) << size << " -> " << p;
    fill(p, cls, static_cast<u8>(size));
    EXPECT_TRUE(check(p, cls, static_cast<u8>(size)));
    kfree(p);
  }
  expect_no_leak();
}

TEST_F(KmallocTest, ZeroSizeAndNull) {
  EXPECT_EQ(kmalloc(0), nullptr);
  EXPECT_EQ(kzalloc(0), nullptr);
  kfree(nullptr);
  EXPECT_EQ(ksize(nullptr), 0u);
  EXPECT_EQ(kmalloc(~usize{0}), nullptr);
  EXPECT_EQ(kmalloc((kPageSize << mm::kMaxOrder) + 1), nullptr);
  expect_no_leak();
}

TEST_F(KmallocTest, FreedObjectIsReusedFromSameSlab) {
  for (usize size = 32; size <= 2048; size *= 2) {
    SCOPED_TRACE(size);
    std::vector<void*> objs;
    objs.reserve(10);
    for (int i = 0; i < 10; i++) objs.push_back(kmalloc(size));
    for (void* o : objs) ASSERT_NE(o, nullptr);
    void* victim = objs[4];
    kfree(victim);
    void* again = kmalloc(size);
    EXPECT_EQ(again, victim);
    objs[4] = again;
    // Free then allocate at once: same object.
    kfree(objs[9]);
    EXPECT_EQ(kmalloc(size), objs[9]);
    for (void* o : objs) kfree(o);
  }
  expect_no_leak();
}

// Many objects of every class, filled with distinct patterns: none overlaps
// another, and freeing in random order with checks before each free.
TEST_F(KmallocTest, ObjectsDoNotOverlap) {
  std::mt19937 rng(42);
  for (usize size = 32; size <= 2048; size *= 2) {
    SCOPED_TRACE(size);
    const usize per_slab = mm::kmalloc_cache_for(size)->objects_per_slab();
    const usize n = per_slab * 3 + 5;
    std::vector<void*> objs;
    for (usize i = 0; i < n; i++) {
      void* p = kmalloc(size);
      ASSERT_NE(p, nullptr);
      ASSERT_TRUE(aligned(p, size));
      fill(p, size, static_cast<u8>(i));
      objs.push_back(p);
    }
    std::vector<void*> sorted = objs;
    std::sort(sorted.begin(), sorted.end());
    for (usize i = 1; i < sorted.size(); i++) {
      ASSERT_GE(static_cast<char*>(sorted[i]) - static_cast<char*>(sorted[i - 1]),
                static_cast<std::ptrdiff_t>(size));
    }
    for (usize i = 0; i < n; i++) ASSERT_TRUE(check(objs[i], size, static_cast<u8>(i))) << i;
    const mm::SlabCache::Stats st = mm::kmalloc_cache_for(size)->stats();
    EXPECT_EQ(st.objects_in_use, n);
    EXPECT_EQ(st.full_slabs, 3u);
    EXPECT_EQ(st.partial_slabs, 1u);

    std::vector<usize> order(n);
    for (usize i = 0; i < n; i++) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (usize k = 0; k < n; k++) {
      const usize i = order[k];
      ASSERT_TRUE(check(objs[i], size, static_cast<u8>(i))) << i;
      kfree(objs[i]);
    }
    EXPECT_EQ(mm::kmalloc_cache_for(size)->stats().objects_in_use, 0u);
  }
  expect_no_leak();
}

TEST_F(KmallocTest, KeepsOneEmptySlab) {
  const mm::SlabCache* c = mm::kmalloc_cache_for(64);
  std::vector<void*> objs;
  objs.reserve(usize{64} * 3);
  for (int i = 0; i < 64 * 3; i++) objs.push_back(kmalloc(64));  // three full slabs
  EXPECT_EQ(mm::free_page_count(), start_free_ - 3);
  for (void* o : objs) kfree(o);
  EXPECT_EQ(c->stats().empty_slabs, 1u);
  EXPECT_EQ(mm::free_page_count(), start_free_ - 1);  // one kept, two returned
  // Reuses the kept slab.
  void* p = kmalloc(64);
  EXPECT_EQ(mm::free_page_count(), start_free_ - 1);
  EXPECT_EQ(c->stats().empty_slabs, 0u);
  kfree(p);
  EXPECT_EQ(mm::kmalloc_shrink(), 1u);
  EXPECT_EQ(mm::free_page_count(), start_free_);
  expect_no_leak();
}

TEST_F(KmallocTest, KzallocZeroes) {
  for (usize size : {24ul, 64ul, 1500ul, 2048ul, 5000ul, 70000ul}) {
    void* dirty = kmalloc(size);
    ASSERT_NE(dirty, nullptr);
    std::memset(dirty, 0xFF, size);
    const uptr dirty_addr = reinterpret_cast<uptr>(dirty);
    kfree(dirty);
    u8* z = static_cast<u8*>(kzalloc(size));
    ASSERT_NE(z, nullptr);
    EXPECT_EQ(reinterpret_cast<uptr>(z), dirty_addr) << size;  // same memory came back
    for (usize i = 0; i < size; i++) ASSERT_EQ(z[i], 0) << size << " @" << i;
    kfree(z);
  }
  expect_no_leak();
}

TEST_F(KmallocTest, LargeAllocationsUseWholeBlocks) {
  struct {
    usize size;
    usize block;
  } const cases[] = {{2049, 4096},
                     {4096, 4096},
                     {4097, 8192},
                     {8192, 8192},
                     {12000, 16384},
                     {1u << 20, 1u << 20},
                     {(1u << 20) + 1, 2u << 20}};
  std::vector<void*> live;
  for (auto c : cases) {
    void* p = kmalloc(c.size);
    ASSERT_NE(p, nullptr) << c.size;
    EXPECT_TRUE(aligned(p, kPageSize)) << c.size;
    EXPECT_EQ(ksize(p), c.block) << c.size;
    Page* head = mm::pa_to_page(kern::kva_to_pa(p));
    ASSERT_NE(head, nullptr);
    EXPECT_EQ(head->use, mm::kPageUseKmalloc);
    fill(p, c.size, static_cast<u8>(c.size));
    live.push_back(p);
  }
  for (usize i = 0; i < live.size(); i++) {
    EXPECT_TRUE(check(live[i], cases[i].size, static_cast<u8>(cases[i].size)));
    kfree(live[i]);
  }
  EXPECT_EQ(kmalloc(17u << 20), nullptr);  // more than a max-order block
  expect_no_leak();
}

// A small region runs out: kmalloc returns nullptr rather than failing in any
// other way, and everything comes back.
TEST_F(KmallocTest, ExhaustionReturnsNullAndNothingLeaks) {
  use_ram(64 * kPageSize);
  const usize pages = mm::free_page_count();
  ASSERT_EQ(pages, 64 - mm::phys_meta_pages(64));

  std::vector<void*> objs;
  while (void* p = kmalloc(64)) objs.push_back(p);
  EXPECT_EQ(objs.size(), pages * 64);  // every page became a full slab
  EXPECT_EQ(mm::free_page_count(), 0u);
  EXPECT_EQ(kmalloc(64), nullptr);
  EXPECT_EQ(kmalloc(32), nullptr);
  EXPECT_EQ(kmalloc(4096), nullptr);
  EXPECT_EQ(kzalloc(100), nullptr);
  for (void* p : objs) kfree(p);
  expect_no_leak();

  // Mixed sizes until the first failure of each kind, then free everything.
  std::mt19937 rng(3);
  std::vector<void*> mixed;
  int failures = 0;
  while (failures < 50) {
    const usize size = 1 + rng() % 9000;
    void* p = kmalloc(size);
    if (p == nullptr) {
      failures++;
      continue;
    }
    fill(p, size, static_cast<u8>(size));
    mixed.push_back(p);
  }
  EXPECT_LT(mm::free_page_count(), 4u);
  for (void* p : mixed) kfree(p);
  expect_no_leak();
}

// An empty slab kept by one cache is given back when another needs the page.
TEST_F(KmallocTest, ShrinksCachesBeforeFailing) {
  use_ram(64 * kPageSize);
  const usize pages = mm::free_page_count();
  std::vector<void*> objs;
  while (void* p = kmalloc(128)) objs.push_back(p);
  ASSERT_EQ(objs.size(), pages * 32);
  for (void* p : objs) kfree(p);  // one empty slab stays in the 128 cache
  EXPECT_EQ(mm::free_page_count(), pages - 1);
  objs.clear();
  while (void* p = kmalloc(256)) objs.push_back(p);
  EXPECT_EQ(objs.size(), pages * 16);  // including the page the 128 cache kept
  for (void* p : objs) kfree(p);
  expect_no_leak();
}

TEST_F(KmallocTest, BadFreesAreDetectedAndHarmless) {
  std::vector<void*> keep;
  for (int i = 0; i < 20; i++) {
    keep.push_back(kmalloc(128));
    fill(keep.back(), 128, static_cast<u8>(i));
  }
  usize bad = 0;
  auto refused = [&](void* p, const char* what) {
    kfree(p);
    EXPECT_EQ(mm::kmalloc_bad_frees(), ++bad) << what;
  };

  char* obj = static_cast<char*>(kmalloc(64));
  ASSERT_NE(obj, nullptr);
  refused(obj + 1, "interior pointer");
  refused(obj + 32, "half-way into a 64-byte object");
  EXPECT_EQ(ksize(obj + 32), 0u);
  kfree(obj);
  refused(obj, "double free of a slab object");
  // The slab's empty twin stays; the second double free still finds a slab.
  refused(obj, "triple free");

  int on_stack = 0;
  refused(&on_stack, "not in RAM managed by phys");
  refused(ram_, "the metadata area");

  char* big = static_cast<char*>(kmalloc(3 * kPageSize));
  ASSERT_NE(big, nullptr);
  refused(big + kPageSize, "second page of a large block");
  refused(big + 8, "inside the first page of a large block");
  kfree(big);
  refused(big, "double free of a large block");

  void* pages = mm::get_pages(0, false);
  ASSERT_NE(pages, nullptr);
  refused(pages, "a block from get_pages");
  mm::put_pages(pages);

  // A slab object is not a page block either.
  void* small = kmalloc(32);
  mm::put_pages(small);
  EXPECT_EQ(mm::phys_bad_frees(), 1u);
  kfree(small);

  // 2 KiB objects live in 4-page slabs: a pointer into a tail page that is
  // not an object start, then a real object in a tail page.
  std::vector<char*> twok;
  twok.reserve(8);
  for (int i = 0; i < 8; i++) twok.push_back(static_cast<char*>(kmalloc(2048)));
  refused(twok[3] + 1024, "middle of a 2 KiB object in a slab tail page");
  EXPECT_EQ(ksize(twok[5]), 2048u);
  for (char* p : twok) kfree(p);

  // Nothing else was disturbed.
  for (int i = 0; i < 20; i++) EXPECT_TRUE(check(keep[i], 128, static_cast<u8>(i))) << i;
  EXPECT_EQ(mm::kmalloc_cache_for(128)->stats().objects_in_use, 20u);
  for (void* p : keep) kfree(p);
  mm::kmalloc_shrink();
  EXPECT_EQ(mm::free_page_count(), start_free_);
  EXPECT_EQ(mm::kmalloc_bad_frees(), bad);
  EXPECT_EQ(mm::phys_bad_frees(), 1u);
}

// Random kmalloc/kfree of random sizes with pattern checks, then a leak check.
TEST_F(KmallocTest, RandomStress) {
  struct Live {
    void* p;
    usize size;
    u8 seed;
  };
  std::vector<Live> live;
  std::mt19937_64 rng(777);
  for (int step = 0; step < 30000; step++) {
    if (live.empty() || rng() % 100 < 55) {
      usize size = 1 + rng() % 2048;
      if (rng() % 20 == 0) size = 1 + rng() % (200u << 10);
      void* p = kmalloc(size);
      ASSERT_NE(p, nullptr);
      ASSERT_GE(ksize(p), size);
      const u8 seed = static_cast<u8>(rng());
      // Patterns on the whole object catch overlaps; only edges for big ones.
      if (size <= 4096) {
        fill(p, size, seed);
      } else {
        fill(p, 64, seed);
        fill(static_cast<char*>(p) + size - 64, 64, seed);
      }
      live.push_back({p, size, seed});
    } else {
      const usize i = rng() % live.size();
      const Live l = live[i];
      live[i] = live.back();
      live.pop_back();
      if (l.size <= 4096) {
        ASSERT_TRUE(check(l.p, l.size, l.seed));
      } else {
        ASSERT_TRUE(check(l.p, 64, l.seed));
        ASSERT_TRUE(check(static_cast<char*>(l.p) + l.size - 64, 64, l.seed));
      }
      kfree(l.p);
    }
  }
  for (const Live& l : live) kfree(l.p);
  expect_no_leak();
}

// The locks: several threads allocating and freeing at once.
TEST_F(KmallocTest, ConcurrentThreads) {
  constexpr int kThreads = 4;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([t, &errors] {
      std::mt19937 rng(100 + t);
      std::vector<std::pair<u8*, usize>> mine;
      for (int i = 0; i < 5000; i++) {
        if (mine.empty() || rng() % 2 == 0) {
          const usize size = 1 + rng() % (rng() % 10 == 0 ? 20000 : 2048);
          u8* p = static_cast<u8*>(kmalloc(size));
          if (p == nullptr) {
            errors++;
            continue;
          }
          std::memset(p, t + 1, size);
          mine.push_back({p, size});
        } else {
          auto [p, size] = mine.back();
          mine.pop_back();
          for (usize j = 0; j < size; j++) {
            if (p[j] != t + 1) {
              errors++;
              break;
            }
          }
          kfree(p);
        }
      }
      for (auto [p, size] : mine) kfree(p);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  expect_no_leak();
}

}  // namespace
