// The VMSAv8-64 page-table library: 4 translation levels (L0..L3), 4 KiB
// granule, 48-bit VAs. One PageTable is one tree, serving either TTBR0 (user
// address spaces, VAs below 2^48) or TTBR1 (the kernel, VAs from
// 0xffff000000000000). Index computations use VA bits [47:0] in both halves.
//
// Mapping sizes: map() uses 1 GiB blocks (L1) and 2 MiB blocks (L2) wherever
// the VA, the PA and the remaining size allow, 4 KiB pages (L3) otherwise.
//
// Concurrency: a PageTable has no lock of its own; the owner (the address
// space) serialises all calls. The hardware walker, however, reads the tables
// concurrently, on this and other CPUs. Therefore:
//  - every descriptor is written with one single-copy-atomic 64-bit store;
//  - a new table is filled completely before the descriptor that links it
//    is stored (with a barrier between the two);
//  - a valid entry is replaced by a different valid one with
//    break-before-make when the architecture requires it (see page_table.cpp);
//  - every operation ends with the TLB maintenance it needs done, so after
//    it returns no CPU can use a stale translation.
//
// Errors are detected before anything is changed ("check, then act"): an
// operation that fails leaves the tree exactly as it was. That includes
// Err::NoMem: the table pages an operation needs are counted and allocated
// up front.
#pragma once
#include "lib/list.h"
#include "lib/result.h"
#include "lib/types.h"

namespace kern {

// Mapping permissions and memory types.
//  - kVmRead is implied: AArch64 cannot express write-only or execute-only
//    (for EL1) pages, so every mapping is readable and query() always
//    reports kVmRead.
//  - Write and Exec together are rejected (W^X).
//  - kVmUser makes the page accessible from EL0 (only in lower-half tables).
//    User mappings are never executable at EL1 (PXN); kernel mappings are
//    never executable at EL0 (UXN).
//  - kVmDevice: Device-nGnRnE, never executable; kVmNoCache: Normal
//    non-cacheable. Without either: Normal write-back, inner shareable.
//    At most one of them; kVmDevice with kVmExec is rejected.
enum VmPerm : u32 {
  kVmRead = 1,
  kVmWrite = 2,
  kVmExec = 4,
  kVmUser = 8,
  kVmDevice = 16,
  kVmNoCache = 32,
};
inline constexpr u32 kVmPermMask = kVmRead | kVmWrite | kVmExec | kVmUser | kVmDevice | kVmNoCache;

// What the page-table code needs from its surroundings. The kernel implements
// it with the page allocator and TLBI instructions; host tests with a
// simulated memory pool and a recording fake.
//
// The page-table code issues `dsb ishst` before calling the flush functions
// and `dsb ish; isb` after them; the implementation only issues the TLBIs.
class PtEnv {
 public:
  // A zeroed, 4 KiB-aligned page for a translation table; 0 on exhaustion.
  virtual PhysAddr alloc_table() = 0;
  // Returns a page obtained from alloc_table(). When called from unmap() the
  // page is all zeroes and no longer reachable from the tree; from destroy()
  // it may still hold (stale) descriptors.
  virtual void free_table(PhysAddr pa) = 0;
  // A list node that belongs to the table page `pa` while it is allocated
  // (the kernel: the node of its Page metadata), and the page a node belongs
  // to. A PageTable keeps the pages of its tree on a list through them, so
  // destroy() frees them without walking the tree.
  virtual ListNode* table_link(PhysAddr pa) = 0;
  virtual PhysAddr link_table(ListNode* node) = 0;
  // Invalidates, on all CPUs of the inner-shareable domain, every cached
  // translation of the page `va`, including cached intermediate (table)
  // entries for it: TLBI VAE1IS (ASID in Xt[63:48]) for non-global entries,
  // TLBI VAAE1IS for `global` ones, Xt[43:0] = VA[55:12]. Not the
  // last-level-only VALE1IS/VAALE1IS: unmap() frees table pages relying on the
  // walk-cache invalidation. For a block entry `va` is the block's base; a TLBI
  // by VA removes the whole block's translation.
  virtual void tlb_flush_page(VirtAddr va, u16 asid, bool global) = 0;
  // Invalidates all non-global translations and all cached table entries of
  // `asid`: TLBI ASIDE1IS, ASID in Xt[63:48].
  virtual void tlb_flush_asid(u16 asid) = 0;

 protected:
  ~PtEnv() = default;
};

class PageTable {
 public:
  PageTable() = default;
  PageTable(const PageTable&) = delete;
  PageTable& operator=(const PageTable&) = delete;

  // Allocates the root table. `upper`: this tree serves TTBR1 (kernel,
  // global entries); otherwise TTBR0 (non-global entries tagged with `asid`).
  // Err::Inval if already initialised, Err::NoMem if no root page.
  [[nodiscard]] Status init(PtEnv* env, u16 asid, bool upper);

  // Maps [va, va + size) to [pa, pa + size).
  // Err::Inval: va, pa or size not 4 KiB aligned, size 0, the VA range wraps
  //   or leaves this table's half, the PA range exceeds 48 bits, or `perm` is
  //   invalid (unknown bits, W+X, Device+Exec, Device+NoCache, User in an
  //   upper table).
  // Err::Exist: any page of the range is already mapped.
  // Err::NoMem: not enough table pages.
  [[nodiscard]] Status map(VirtAddr va, PhysAddr pa, usize size, u32 perm);

  // Maps n 4 KiB pages from va: page i to pages[i], or to base + i pages
  // when `pages` is null (the pages of a PMO, as VmSpace::map maps them
  // eagerly). One walk per leaf table instead of one per page. Errors as
  // map(); on Err::Exist or Err::NoMem the pages before the failing one
  // stay mapped (the caller unmaps the range).
  [[nodiscard]] Status map_pages(VirtAddr va, usize n, u32 perm, const PhysAddr* pages,
                                 PhysAddr base);

  // Unmaps every mapped page in [va, va + size); pages that are not mapped
  // are skipped, so unmapping an unmapped range succeeds (idempotent).
  // Blocks partly inside the range are split (break-before-make). Table pages
  // left empty are freed and unlinked (the root is kept).
  // Err::Inval: bad range (as for map). Err::NoMem: a block would have to be
  // split and no table page is available (nothing is changed).
  // [gap_lo, gap_hi), if given, contains [va, va + size) and the caller knows
  // nothing else is mapped in it (VmSpace: no region is there): a table
  // whose whole span lies in it is freed without reading its 512 entries.
  [[nodiscard]] Status unmap(VirtAddr va, usize size, VirtAddr gap_lo = VirtAddr{},
                             VirtAddr gap_hi = VirtAddr{});

  // Gives every page in [va, va + size) the permissions `perm` (same rules as
  // map()). Blocks partly inside the range are split if their permissions
  // change. Err::NoEnt if any page of the range is unmapped; Err::Inval,
  // Err::NoMem as above. Nothing is changed on error.
  [[nodiscard]] Status protect(VirtAddr va, usize size, u32 perm);

  // fork's copy-on-write: every page mapped in [va, va + size) of this
  // (user) tree is mapped at the same address in `child`, a user tree with
  // nothing mapped in the range, with the same attributes; with
  // `write_protect`, the pages lose their write permission in both trees
  // (here in place, the TLB flushed before return). Tables the child needs
  // are allocated as the walk goes: on Err::NoMem the child holds part of
  // the range (the caller discards it) and this tree may hold part of its
  // pages write-protected (harmless: a write fault gives the permission
  // back). Err::Inval for an upper tree or a bad range, Err::Exist if the
  // child has something mapped there.
  [[nodiscard]] Status fork_range(PageTable& child, VirtAddr va, usize size, bool write_protect);

  // Points the mapped 4 KiB page `va` at `pa` with `perm`, by
  // break-before-make (copy-on-write's last step). Err::NoEnt if `va` is
  // not mapped by a 4 KiB page; Err::Inval as map().
  [[nodiscard]] Status remap_page(VirtAddr va, PhysAddr pa, u32 perm);

  // Translates `va`: the physical address it maps to, the permissions of its
  // mapping (always including kVmRead), and the size of the mapping that
  // contains it (4 KiB, 2 MiB or 1 GiB). Any output pointer may be null.
  // Err::NoEnt if unmapped; Err::Inval if `va` is outside this table's half.
  [[nodiscard]] Status query(VirtAddr va, PhysAddr* pa, u32* perm, usize* mapping_size) const;

  // Frees every table page, the root included (from the tree's list of its
  // pages: no walk over the 512 entries of each table). The caller must ensure no CPU
  // uses the tree any more (not installed in any TTBR). For a lower-half
  // table the ASID is flushed first, so it can be reused at once; an
  // upper-half (global) tree is the caller's to flush. Afterwards init() may
  // be called again.
  void destroy();

  PhysAddr root() const { return root_; }
  u16 asid() const { return asid_; }
  bool upper() const { return upper_; }
  // Table pages this tree owns (the root included; 0 when not initialised).
  usize table_pages() const { return table_pages_; }

 private:
  struct Ctx;

  bool range_ok(VirtAddr va, usize size) const;
  u64 offset_of(VirtAddr va) const;
  VirtAddr va_of(u64 offset) const;

  u64* leaf_slot(u64 offset, bool* exist) const;
  [[gnu::noinline]] Status map_range(VirtAddr va, PhysAddr pa, usize size, u32 perm);
  bool map_plan(const u64* t, int level, u64 s, u64 end, PhysAddr pa, usize* need) const;
  void map_apply(Ctx& c, u64* t, int level, u64 s, u64 end, PhysAddr pa, u64 attrs);
  void unmap_plan(const u64* t, int level, u64 s, u64 end, usize* need) const;
  bool unmap_apply(Ctx& c, u64* t, int level, u64 s, u64 end, bool live, u64 gap_lo = 0,
                   u64 gap_hi = 0);
  bool protect_plan(const u64* t, int level, u64 s, u64 end, u64 attrs, usize* need) const;
  void protect_apply(Ctx& c, u64* t, int level, u64 s, u64 end, u64 attrs, bool live);
  u64* split_block(Ctx& c, u64 block, int level);
  [[nodiscard]] Status reserve(Ctx& c, usize n);
  void finish(Ctx& c);
  void replace_live(u64* slot, u64 desc, u64 offset);
  // A table page joins the tree / leaves it and goes back to the env.
  void adopt(PhysAddr pa);
  void release(PhysAddr pa);
  Status fork_apply(Ctx& c, PageTable& child, u64* t, u64* ct, int level, u64 s, u64 end,
                    bool write_protect);

  PtEnv* env_ = nullptr;
  PhysAddr root_{};
  usize table_pages_ = 0;
  // Every table page in the tree, through PtEnv::table_link.
  List<ListNode, 0> tables_;
  u16 asid_ = 0;
  bool upper_ = false;
};

}  // namespace kern
