// The VMSAv8-64 page-table library (see page_table.h).
//
// Every operation runs in two passes over the affected part of the tree:
//  1. plan (const): validate (overlap for map, holes for protect) and count
//     the table pages the change needs;
//  2. apply: allocate exactly that many pages up front (Err::NoMem here
//     changes nothing), then make the change, which can no longer fail.
//
// Break-before-make (Arm ARM D8.16, "Using break-before-make when updating
// translation table entries"). A live valid entry is replaced by another
// valid entry through an invalid one (store 0; dsb ishst; TLBI; dsb ish;
// isb; store new) when the change affects anything but permissions:
//  - a block is split into a table (the block size changes);
//  - the memory type (AttrIndx) changes (protect() to/from Device/NoCache).
// Permission-only changes (AP[2:1], PXN, UXN) are made in place and the TLB
// is invalidated afterwards; the architecture allows that, and it avoids a
// window in which other CPUs take translation faults on, for instance, live
// kernel memory whose permissions are being tightened. (Linux's
// pgattr_change_is_safe() draws the same line.) The output address and nG
// never change on a live entry here.
//
// Splitting: a block partly inside the range is copied into a new table of
// next-level entries with the same output addresses and attributes. That
// table is private until it is linked, so the operation is first applied to
// it without any TLB maintenance (splitting further if needed), and then it
// replaces the block in one break-before-make step. A single TLBI by VA
// at the block's base invalidates the old block translation: a TLB entry for
// a block is one that "would be used to translate" every VA in the block.
//
// TLB invalidation of entries that are cleared or changed in place is
// batched (TlbBatch): the stores come first, then one dsb ishst, the TLBIs,
// and one dsb ish; isb before the operation returns. A user (non-global)
// table flushes its whole ASID instead once the batch overflows; a kernel
// (global) table flushes per page, since an ASID flush misses global entries.
//
// Freeing tables: a table page left empty by unmap() is unlinked from its
// parent, and freed only after the batch has been flushed. The per-VA
// invalidations (TLBI VAE1IS/VAAE1IS, or ASIDE1IS) also remove cached table
// entries (walk caches) for those VAs, and every table that becomes empty
// had at least one of its leaves cleared, and flushed, by this operation;
// so no walker can reach the page once it is freed.
#include "arch/aarch64/page_table.h"

#include "arch/aarch64/pte.h"
#include "mm/kmap.h"

namespace kern {

namespace {

constexpr int kLeafLevel = 3;
constexpr u64 kPageBytes = 4096;
constexpr u64 kHalfSize = 1ull << 48;         // each half of the address space
constexpr u64 kUpperBase = ~(kHalfSize - 1);  // 0xffff000000000000

// --- Barriers (nothing to do on the host, where no walker exists) ---

// Orders the stores that fill a new table before the store that links it.
inline void barrier_publish() {
#ifdef __aarch64__
  asm volatile("dmb ishst" ::: "memory");
#else
  asm volatile("" ::: "memory");
#endif
}
// Makes descriptor stores visible to all walkers before TLBIs are issued.
inline void barrier_before_tlbi() {
#ifdef __aarch64__
  asm volatile("dsb ishst" ::: "memory");
#else
  asm volatile("" ::: "memory");
#endif
}
// Waits for the TLBIs to complete everywhere and resynchronises this CPU.
inline void barrier_after_tlbi() {
#ifdef __aarch64__
  asm volatile("dsb ish\n\tisb" ::: "memory");
#else
  asm volatile("" ::: "memory");
#endif
}
// New (invalid -> valid) mappings need no TLBI, only to be visible to this
// CPU's walker before the caller uses them.
inline void barrier_new_mappings() {
#ifdef __aarch64__
  asm volatile("dsb ishst\n\tisb" ::: "memory");
#else
  asm volatile("" ::: "memory");
#endif
}

// --- Descriptors ---

// Single-copy-atomic 64-bit accesses: the walker must never see a torn entry.
inline u64 load(const u64* slot) { return __atomic_load_n(slot, __ATOMIC_RELAXED); }
inline void store(u64* slot, u64 v) { __atomic_store_n(slot, v, __ATOMIC_RELAXED); }

inline bool is_valid(u64 d) { return (d & pte::kValid) != 0; }
inline bool is_table(u64 d, int level) {
  return level < kLeafLevel && (d & (pte::kValid | pte::kTable)) == (pte::kValid | pte::kTable);
}
inline PhysAddr table_pa(u64 d) { return PhysAddr{d & pte::kAddrMask}; }
inline u64* table_of(u64 d) { return pa_to_kva<u64>(table_pa(d)); }
inline u64 make_table(const u64* t) { return kva_to_pa(t).raw() | pte::kTable | pte::kValid; }

inline PhysAddr leaf_oa(u64 d, int level) {
  return PhysAddr{d & pte::kAddrMask & ~(pte::level_size(level) - 1)};
}
// Everything in a leaf but the output address and the type bits.
inline u64 leaf_attrs(u64 d) { return d & ~(pte::kAddrMask | pte::kValid | pte::kTable); }
inline u64 make_leaf(PhysAddr oa, u64 attrs, int level) {
  return oa.raw() | attrs | pte::kValid | (level == kLeafLevel ? pte::kPage : pte::kBlock);
}

inline bool perm_ok(u32 perm, bool upper) {
  if (perm & ~kVmPermMask) return false;
  if ((perm & kVmWrite) && (perm & kVmExec)) return false;  // W^X
  if ((perm & kVmDevice) && (perm & (kVmNoCache | kVmExec))) return false;
  if ((perm & kVmUser) && upper) return false;  // EL0 has no business in TTBR1
  return true;
}

constexpr u64 compute_attrs(u32 perm, bool upper) {
  u64 a;
  if (perm & kVmDevice) {
    a = pte::kDevice;  // includes PXN | UXN
  } else {
    a = pte::attr_index((perm & kVmNoCache) ? pte::kMairNormalNc : pte::kMairNormal) |
        pte::kShInner | pte::kAccessFlag;
  }
  if (!(perm & kVmWrite)) a |= pte::kApReadOnly;
  bool exec = (perm & kVmExec) != 0;
  if (perm & kVmUser) {
    // EL0-writable pages are implicitly PXN; say so for every user page.
    a |= pte::kApUser | pte::kPxn | (exec ? 0 : pte::kUxn);
  } else {
    a |= pte::kUxn | (exec ? 0 : pte::kPxn);
  }
  if (!upper) a |= pte::kNotGlobal;
  return a;
}

// Every valid perm has kVmPermMask's bits only: one table per half, so that
// the page-fault path finds a descriptor's attributes with one load.
struct AttrTable {
  u64 v[2][kVmPermMask + 1];
};
constexpr AttrTable make_attr_table() {
  AttrTable t{};
  for (u32 p = 0; p <= kVmPermMask; p++) {
    t.v[0][p] = compute_attrs(p, false);
    t.v[1][p] = compute_attrs(p, true);
  }
  return t;
}
constexpr AttrTable kAttrs = make_attr_table();

// `perm` must have passed perm_ok().
inline u64 attrs_for(u32 perm, bool upper) { return kAttrs.v[upper ? 1 : 0][perm & kVmPermMask]; }

u32 perm_of(u64 d) {
  u32 p = kVmRead;
  if (!(d & pte::kApReadOnly)) p |= kVmWrite;
  bool user = (d & pte::kApUser) != 0;
  if (user) p |= kVmUser;
  if (!(d & (user ? pte::kUxn : pte::kPxn))) p |= kVmExec;
  u64 idx = (d & pte::kAttrIndexMask) >> 2;
  if (idx == pte::kMairDevice) p |= kVmDevice;
  if (idx == pte::kMairNormalNc) p |= kVmNoCache;
  return p;
}

// Can [s, e) at `level` (inside one entry) be one block mapping to `pa`?
inline bool block_fits(int level, u64 s, u64 e, PhysAddr pa) {
  u64 sz = pte::level_size(level);
  return (level == 1 || level == 2) && e - s == sz && is_aligned(pa, sz);
}

// The end of the entry-sized chunk of [s, end) that starts at s.
inline u64 chunk_end(u64 s, u64 end, int level) {
  u64 sz = pte::level_size(level);
  return min(align_down(s, sz) + sz, end);
}

// Table pages needed to split a block at `level` of which only [s, e) is
// affected: one for the block, plus one per child block cut by the range.
usize split_cost(int level, u64 s, u64 e) {
  usize n = 1;
  int child = level + 1;
  if (child < kLeafLevel) {
    for (u64 cs = s; cs < e;) {
      u64 ce = chunk_end(cs, e, child);
      if (ce - cs != pte::level_size(child)) n += split_cost(child, cs, ce);
      cs = ce;
    }
  }
  return n;
}

// Eight entries at a time: unmap asks this of every table it cleared
// something in, and most of a small process's tables are nearly empty.
bool table_empty(const u64* t) {
  static_assert(pte::kEntries % 8 == 0);
  for (unsigned i = 0; i < pte::kEntries; i += 8)
    if ((load(&t[i]) | load(&t[i + 1]) | load(&t[i + 2]) | load(&t[i + 3]) | load(&t[i + 4]) |
         load(&t[i + 5]) | load(&t[i + 6]) | load(&t[i + 7])) != 0)
      return false;
  return true;
}

// Deferred TLB invalidation for entries cleared or changed in place.
class TlbBatch {
 public:
  TlbBatch(PtEnv* env, u16 asid, bool global) : env_(env), asid_(asid), global_(global) {}

  void add(VirtAddr va) {
    if (whole_asid_) return;
    if (n_ == kMax) {
      if (!global_) {
        whole_asid_ = true;
        return;
      }
      flush();
    }
    va_[n_++] = va;
  }

  void flush() {
    if (n_ == 0 && !whole_asid_) return;
    barrier_before_tlbi();
    if (whole_asid_) {
      env_->tlb_flush_asid(asid_);
    } else {
      for (usize i = 0; i < n_; i++) env_->tlb_flush_page(va_[i], asid_, global_);
    }
    barrier_after_tlbi();
    n_ = 0;
    whole_asid_ = false;
  }

 private:
  static constexpr usize kMax = 64;
  PtEnv* env_;
  u16 asid_;
  bool global_;
  bool whole_asid_ = false;
  usize n_ = 0;
  VirtAddr va_[kMax];
};

}  // namespace

// State of one apply pass.
struct PageTable::Ctx {
  Ctx(PtEnv* env, u16 asid, bool global) : tlb(env, asid, global) {}
  // Zeroed table pages allocated by the plan, chained through their word 0.
  PhysAddr reserve{};
  // Unlinked empty tables, chained the same way; freed after tlb.flush().
  // (A page-aligned link has bit 0 clear: a walker that still reads the page
  // sees an invalid descriptor.)
  PhysAddr to_free{};
  TlbBatch tlb;
};

namespace {

inline void push_page(PhysAddr* chain, PhysAddr pa) {
  *pa_to_kva<u64>(pa) = chain->raw();
  *chain = pa;
}
inline PhysAddr pop_page(PhysAddr* chain) {
  PhysAddr pa = *chain;
  if (unlikely(pa == PhysAddr{})) __builtin_trap();  // the plan under-counted: a bug, never an OOM
  u64* w = pa_to_kva<u64>(pa);
  *chain = PhysAddr{*w};
  *w = 0;
  return pa;
}

}  // namespace

// --- Address helpers ---

bool PageTable::range_ok(VirtAddr va, usize size) const {
  if (size == 0 || !is_aligned(va, kPageBytes) || !is_aligned(size, kPageBytes)) return false;
  const u64 v = va.raw();
  if (upper_) return v >= kUpperBase && size <= 0 - v;  // 0 - v: bytes up to 2^64
  return v < kHalfSize && size <= kHalfSize - v;
}

// Both halves index the tables with VA bits [47:0].
u64 PageTable::offset_of(VirtAddr va) const { return va.raw() & (kHalfSize - 1); }
VirtAddr PageTable::va_of(u64 offset) const {
  return VirtAddr{upper_ ? offset | kUpperBase : offset};
}

// --- Life cycle ---

Status PageTable::init(PtEnv* env, u16 asid, bool upper) {
  if (root_ != PhysAddr{} || !env) return Err::Inval;
  PhysAddr r = env->alloc_table();
  if (r == PhysAddr{}) return Err::NoMem;
  env_ = env;
  root_ = r;
  adopt(r);
  asid_ = asid;
  upper_ = upper;
  return kOk;
}

void PageTable::adopt(PhysAddr pa) {
  tables_.push_back(env_->table_link(pa));
  table_pages_++;
}

void PageTable::release(PhysAddr pa) {
  tables_.remove(env_->table_link(pa));
  env_->free_table(pa);
  table_pages_--;
}

// A small process uses a handful of the 512 entries of each upper-level
// table: walking the tree to find its tables was most of the cost of
// destroying its address space. The list names them all.
void PageTable::destroy() {
  if (root_ == PhysAddr{}) return;
  if (!upper_) {
    barrier_before_tlbi();
    env_->tlb_flush_asid(asid_);
    barrier_after_tlbi();
  }
  while (ListNode* n = tables_.pop_front()) env_->free_table(env_->link_table(n));
  table_pages_ = 0;
  root_ = PhysAddr{};
}

// --- query ---

Status PageTable::query(VirtAddr va, PhysAddr* pa, u32* perm, usize* mapping_size) const {
  if (root_ == PhysAddr{}) return Err::Inval;
  if (upper_ ? va.raw() < kUpperBase : va.raw() >= kHalfSize) return Err::Inval;
  u64 off = offset_of(va);
  const u64* t = pa_to_kva<u64>(root_);
  for (int level = 0;; level++) {
    u64 d = load(&t[pte::index(off, level)]);
    if (is_table(d, level)) {
      t = table_of(d);
      continue;
    }
    // Level 0 has no blocks with 4 KiB granules; bit 1 clear at level 3 is
    // reserved. The walker faults on both, and so do we.
    if (!is_valid(d) || level == 0 || (level == kLeafLevel && !(d & pte::kPage))) {
      return Err::NoEnt;
    }
    u64 sz = pte::level_size(level);
    if (pa) *pa = leaf_oa(d, level) + (off & (sz - 1));  // leaf_oa is sz-aligned
    if (perm) *perm = perm_of(d);
    if (mapping_size) *mapping_size = sz;
    return kOk;
  }
}

// --- Shared apply helpers ---

// Replaces the live valid entry at `slot` (covering VA offset `offset`)
// with `desc` by break-before-make.
void PageTable::replace_live(u64* slot, u64 desc, u64 offset) {
  store(slot, 0);
  barrier_before_tlbi();
  env_->tlb_flush_page(va_of(offset), asid_, upper_);
  barrier_after_tlbi();
  store(slot, desc);
}

// A private table of next-level entries equivalent to the block `block`.
u64* PageTable::split_block(Ctx& c, u64 block, int level) {
  PhysAddr pa = pop_page(&c.reserve);
  adopt(pa);
  u64* t = pa_to_kva<u64>(pa);
  int child = level + 1;
  u64 sz = pte::level_size(child);
  PhysAddr oa = leaf_oa(block, level);
  u64 attrs = leaf_attrs(block);
  for (unsigned i = 0; i < pte::kEntries; i++) t[i] = make_leaf(oa + i * sz, attrs, child);
  return t;
}

// --- map ---

// Checks that nothing in [s, end) is mapped and counts the tables needed.
// `t` is null for a table that does not exist yet.
bool PageTable::map_plan(const u64* t, int level, u64 s, u64 end, PhysAddr pa, usize* need) const {
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    PhysAddr cpa = pa + (cs - s);
    u64 d = t ? load(&t[pte::index(cs, level)]) : 0;
    if (is_table(d, level)) {
      if (!map_plan(table_of(d), level + 1, cs, ce, cpa, need)) return false;
    } else if (is_valid(d)) {
      return false;  // a page or block overlaps
    } else if (level < kLeafLevel && !block_fits(level, cs, ce, cpa)) {
      ++*need;
      if (level + 1 < kLeafLevel) (void)map_plan(nullptr, level + 1, cs, ce, cpa, need);
    }
    cs = ce;
  }
  return true;
}

void PageTable::map_apply(Ctx& c, u64* t, int level, u64 s, u64 end, PhysAddr pa, u64 attrs) {
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    PhysAddr cpa = pa + (cs - s);
    u64* slot = &t[pte::index(cs, level)];
    u64 d = load(slot);
    if (is_table(d, level)) {
      map_apply(c, table_of(d), level + 1, cs, ce, cpa, attrs);
    } else if (level == kLeafLevel || block_fits(level, cs, ce, cpa)) {
      store(slot, make_leaf(cpa, attrs, level));  // invalid -> valid: no TLBI
    } else {
      // Fill the new subtree while it is private, then link it.
      PhysAddr cpa_table = pop_page(&c.reserve);
      adopt(cpa_table);
      u64* child = pa_to_kva<u64>(cpa_table);
      map_apply(c, child, level + 1, cs, ce, cpa, attrs);
      barrier_publish();
      store(slot, make_table(child));
    }
    cs = ce;
  }
}

// One 4 KiB page whose tables all exist (the page-fault case): a walk and
// one store, without the plan/apply passes. nullptr if a table is missing
// (the general path then builds it); sets *exist if anything is mapped there.
u64* PageTable::leaf_slot(u64 offset, bool* exist) const {
  u64* t = pa_to_kva<u64>(root_);
  for (int level = 0; level < kLeafLevel; level++) {
    u64 d = load(&t[pte::index(offset, level)]);
    if (!is_table(d, level)) {
      *exist = is_valid(d);  // a block covers it
      return nullptr;
    }
    t = table_of(d);
  }
  u64* slot = &t[pte::index(offset, kLeafLevel)];
  *exist = is_valid(load(slot));
  return slot;
}

Status PageTable::map(VirtAddr va, PhysAddr pa, usize size, u32 perm) {
  if (root_ == PhysAddr{} || !perm_ok(perm, upper_) || !range_ok(va, size)) return Err::Inval;
  if (!is_aligned(pa, kPageBytes) || pa.raw() >= kHalfSize || size > kHalfSize - pa.raw()) {
    return Err::Inval;
  }
  if (size == kPageBytes) {
    bool exist = false;
    u64* slot = leaf_slot(offset_of(va), &exist);
    if (exist) return Err::Exist;
    if (slot != nullptr) {
      store(slot, make_leaf(pa, attrs_for(perm, upper_), kLeafLevel));  // invalid -> valid
      barrier_new_mappings();
      return kOk;
    }
  }
  return map_range(va, pa, size, perm);
}

Status PageTable::map_pages(VirtAddr va, usize n, u32 perm, const PhysAddr* pages,
                            PhysAddr base) {
  if (root_ == PhysAddr{} || !perm_ok(perm, upper_) || n == 0 || n > kHalfSize / kPageBytes ||
      !range_ok(va, n * kPageBytes)) {
    return Err::Inval;
  }
  const u64 attrs = attrs_for(perm, upper_);
  u64 off = offset_of(va);
  Status st = kOk;
  for (usize i = 0; i < n && st.ok();) {
    bool exist = false;
    u64* slot = leaf_slot(off, &exist);
    if (slot == nullptr) {
      // No leaf table yet: the general path makes it, with this page.
      st = exist ? Status(Err::Exist)
                 : map(va_of(off), pages ? pages[i] : base + i * kPageBytes, kPageBytes, perm);
      off += kPageBytes;
      i++;
      continue;
    }
    // The rest of this leaf table.
    usize k = min<usize>(pte::kEntries - pte::index(off, kLeafLevel), n - i);
    for (usize j = 0; j < k && st.ok(); j++, i++) {
      PhysAddr pa = pages ? pages[i] : base + i * kPageBytes;
      if (!is_aligned(pa, kPageBytes) || pa.raw() >= kHalfSize)
        st = Err::Inval;
      else if (is_valid(load(&slot[j])))
        st = Err::Exist;
      else
        store(&slot[j], make_leaf(pa, attrs, kLeafLevel));  // invalid -> valid
    }
    off += k * kPageBytes;
  }
  barrier_new_mappings();
  return st;
}

// The general case of map(), arguments checked.
Status PageTable::map_range(VirtAddr va, PhysAddr pa, usize size, u32 perm) {
  u64 s = offset_of(va), end = s + size;
  u64* root = pa_to_kva<u64>(root_);

  usize need = 0;
  if (!map_plan(root, 0, s, end, pa, &need)) return Err::Exist;
  Ctx c(env_, asid_, upper_);
  TRY(reserve(c, need));
  // Point of no return.
  map_apply(c, root, 0, s, end, pa, attrs_for(perm, upper_));
  barrier_new_mappings();
  finish(c);
  return kOk;
}

// --- unmap ---

void PageTable::unmap_plan(const u64* t, int level, u64 s, u64 end, usize* need) const {
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    u64 d = load(&t[pte::index(cs, level)]);
    if (is_table(d, level)) {
      // A leaf table holds pages only: nothing in it can need a split.
      if (level + 1 < kLeafLevel) unmap_plan(table_of(d), level + 1, cs, ce, need);
    } else if (is_valid(d) && ce - cs != pte::level_size(level)) {
      *need += split_cost(level, cs, ce);
    }
    cs = ce;
  }
}

// Returns whether any entry of `t` was cleared. `live`: `t` is reachable by
// the walker (otherwise it is a private split table: no TLB maintenance).
bool PageTable::unmap_apply(Ctx& c, u64* t, int level, u64 s, u64 end, bool live, u64 gap_lo,
                            u64 gap_hi) {
  bool cleared = false;
  if (level == kLeafLevel) {
    // Pages only: one entry per 4 KiB, most of them empty in a sparse range.
    u64* slot = &t[pte::index(s, level)];
    for (u64 cs = s; cs < end; cs += kPageBytes, slot++) {
      if (!is_valid(load(slot))) continue;
      store(slot, 0);
      if (live) c.tlb.add(va_of(cs));
      cleared = true;
    }
    return cleared;
  }
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    u64* slot = &t[pte::index(cs, level)];
    u64 d = load(slot);
    if (is_table(d, level)) {
      u64* child = table_of(d);
      // A table whose whole span the range covers is empty once cleared,
      // and so is one whose span lies in the caller's empty gap.
      u64 span = pte::level_size(level), ts = align_down(cs, span);
      bool whole = ce - cs == span || (ts >= gap_lo && span <= gap_hi - ts && gap_hi > gap_lo);
      if (unmap_apply(c, child, level + 1, cs, ce, live, gap_lo, gap_hi) &&
          (whole || table_empty(child))) {
        store(slot, 0);
        push_page(&c.to_free, kva_to_pa(child));
        cleared = true;
      }
    } else if (is_valid(d)) {
      if (ce - cs == pte::level_size(level)) {
        store(slot, 0);
        if (live) c.tlb.add(va_of(cs));  // cs is the page's or block's base
        cleared = true;
      } else {
        u64* child = split_block(c, d, level);
        (void)unmap_apply(c, child, level + 1, cs, ce, false);
        if (live) {
          replace_live(slot, make_table(child), align_down(cs, pte::level_size(level)));
        } else {
          store(slot, make_table(child));
        }
      }
    }
    cs = ce;
  }
  return cleared;
}

void PageTable::finish(Ctx& c) {
  c.tlb.flush();
  while (c.to_free != PhysAddr{}) release(pop_page(&c.to_free));
  // The plan counts exactly; anything left would be a bug, but not a leak.
  while (c.reserve != PhysAddr{}) env_->free_table(pop_page(&c.reserve));
}

Status PageTable::unmap(VirtAddr va, usize size, VirtAddr gap_lo, VirtAddr gap_hi) {
  if (root_ == PhysAddr{} || !range_ok(va, size)) return Err::Inval;
  u64 s = offset_of(va), end = s + size;
  u64 lo = 0, hi = 0;
  if (gap_lo <= va && gap_hi >= va + size && gap_hi > gap_lo) {
    lo = offset_of(gap_lo);
    hi = gap_hi.raw() - gap_lo.raw() + lo;
  }
  u64* root = pa_to_kva<u64>(root_);

  usize need = 0;
  unmap_plan(root, 0, s, end, &need);
  Ctx c(env_, asid_, upper_);
  TRY(reserve(c, need));
  // Point of no return.
  (void)unmap_apply(c, root, 0, s, end, true, lo, hi);
  finish(c);
  return kOk;
}

// --- protect ---

// Checks that every page of [s, end) is mapped and counts the tables needed
// to split blocks whose attributes would change only in part.
bool PageTable::protect_plan(const u64* t, int level, u64 s, u64 end, u64 attrs,
                             usize* need) const {
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    u64 d = load(&t[pte::index(cs, level)]);
    if (is_table(d, level)) {
      if (!protect_plan(table_of(d), level + 1, cs, ce, attrs, need)) return false;
    } else if (!is_valid(d)) {
      return false;
    } else if (ce - cs != pte::level_size(level) && leaf_attrs(d) != attrs) {
      *need += split_cost(level, cs, ce);
    }
    cs = ce;
  }
  return true;
}

void PageTable::protect_apply(Ctx& c, u64* t, int level, u64 s, u64 end, u64 attrs, bool live) {
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    u64* slot = &t[pte::index(cs, level)];
    u64 d = load(slot);
    if (is_table(d, level)) {
      protect_apply(c, table_of(d), level + 1, cs, ce, attrs, live);
    } else if (leaf_attrs(d) == attrs) {
      // Already as requested: leave it (and any block) alone.
    } else if (ce - cs == pte::level_size(level)) {
      u64 n = make_leaf(leaf_oa(d, level), attrs, level);
      if (!live) {
        store(slot, n);
      } else if (((d ^ n) & ~pte::kPermBits) == 0) {
        store(slot, n);  // permissions only: in place, then TLBI
        c.tlb.add(va_of(cs));
      } else {
        replace_live(slot, n, cs);  // memory type changes: break-before-make
      }
    } else {
      u64* child = split_block(c, d, level);
      protect_apply(c, child, level + 1, cs, ce, attrs, false);
      if (live) {
        replace_live(slot, make_table(child), align_down(cs, pte::level_size(level)));
      } else {
        store(slot, make_table(child));
      }
    }
    cs = ce;
  }
}

Status PageTable::protect(VirtAddr va, usize size, u32 perm) {
  if (root_ == PhysAddr{} || !perm_ok(perm, upper_) || !range_ok(va, size)) return Err::Inval;
  u64 s = offset_of(va), end = s + size;
  u64* root = pa_to_kva<u64>(root_);
  u64 attrs = attrs_for(perm, upper_);

  usize need = 0;
  if (!protect_plan(root, 0, s, end, attrs, &need)) return Err::NoEnt;
  Ctx c(env_, asid_, upper_);
  TRY(reserve(c, need));
  // Point of no return.
  protect_apply(c, root, 0, s, end, attrs, true);
  finish(c);
  return kOk;
}

// --- fork ---
//
// The child's tree is not live (no CPU has it in a TTBR until the child's
// first thread runs, and that switch has the barriers it needs), so it is
// written without TLB maintenance. Here, only permissions change, in place
// (no break-before-make needed), and the batch flushes them before
// fork_range returns: after that no CPU holds a writable translation of a
// page the child shares (docs/memory.md, "fork and copy-on-write").

Status PageTable::fork_range(PageTable& child, VirtAddr va, usize size, bool write_protect) {
  if (root_ == PhysAddr{} || child.root_ == PhysAddr{} || upper_ || child.upper_ ||
      !range_ok(va, size))
    return Err::Inval;
  u64 s = offset_of(va), end = s + size;
  Ctx c(env_, asid_, upper_);
  Status st = fork_apply(c, child, pa_to_kva<u64>(root_), pa_to_kva<u64>(child.root_), 0, s, end,
                         write_protect);
  finish(c);
  return st;
}

Status PageTable::fork_apply(Ctx& c, PageTable& child, u64* t, u64* ct, int level, u64 s,
                             u64 end, bool write_protect) {
  if (level == kLeafLevel) {
    // The common case, a table of pages: one pass over its entries.
    unsigned i0 = pte::index(s, level);
    unsigned i1 = i0 + static_cast<unsigned>((end - s) / kPageBytes);
    for (unsigned i = i0; i < i1; i++) {
      u64 d = load(&t[i]);
      if (!is_valid(d)) continue;
      if (ct[i] != 0) return Err::Exist;
      if (write_protect && !(d & pte::kApReadOnly)) {
        d |= pte::kApReadOnly;
        store(&t[i], d);
        c.tlb.add(va_of(align_down(s, pte::level_size(level - 1)) + u64{i} * kPageBytes));
      }
      store(&ct[i], d);
    }
    return kOk;
  }
  for (u64 cs = s; cs < end;) {
    u64 ce = chunk_end(cs, end, level);
    unsigned i = pte::index(cs, level);
    u64 d = load(&t[i]);
    if (is_table(d, level)) {
      u64 cd = load(&ct[i]);
      u64* sub;
      if (is_table(cd, level)) {
        sub = table_of(cd);
      } else if (cd != 0) {
        return Err::Exist;
      } else {
        PhysAddr p = child.env_->alloc_table();
        if (p == PhysAddr{}) return Err::NoMem;
        child.adopt(p);
        sub = pa_to_kva<u64>(p);
        store(&ct[i], make_table(sub));
      }
      TRY(fork_apply(c, child, table_of(d), sub, level + 1, cs, ce, write_protect));
    } else if (is_valid(d)) {
      // Blocks: user trees have none (user mappings are 4 KiB pages).
      return Err::Inval;
    }
    cs = ce;
  }
  return kOk;
}

Status PageTable::remap_page(VirtAddr va, PhysAddr pa, u32 perm) {
  if (root_ == PhysAddr{} || !perm_ok(perm, upper_) || !range_ok(va, kPageBytes) ||
      !is_aligned(pa, kPageBytes) || pa.raw() >= kHalfSize)
    return Err::Inval;
  bool exist = false;
  u64 off = offset_of(va);
  u64* slot = leaf_slot(off, &exist);
  if (slot == nullptr || !exist) return Err::NoEnt;
  replace_live(slot, make_leaf(pa, attrs_for(perm, upper_), kLeafLevel), off);
  barrier_new_mappings();
  return kOk;
}

// Allocates the `n` table pages an apply pass will take; all or nothing.
Status PageTable::reserve(Ctx& c, usize n) {
  for (usize i = 0; i < n; i++) {
    PhysAddr p = env_->alloc_table();
    if (p == PhysAddr{}) {
      while (c.reserve != PhysAddr{}) env_->free_table(pop_page(&c.reserve));
      return Err::NoMem;
    }
    push_page(&c.reserve, p);
  }
  return kOk;
}

}  // namespace kern
