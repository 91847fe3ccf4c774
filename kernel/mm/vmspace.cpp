#include "mm/vmspace.h"

#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "lib/new.h"
#include "lib/string.h"
#include "mm/kernel_pt_env.h"
#include "mm/kmalloc.h"
#include "mm/kmap.h"
#include "mm/mm.h"
#include "mm/page.h"
#include "mm/phys.h"
#include "mm/uaccess.h"

namespace kern {

using mm::kfree;
using mm::kzalloc;

namespace {
constexpr usize kPage = mm::kPageSize;

// ASIDs: 0 belongs to the kernel (the empty TTBR0); user spaces get 1..4095.
constexpr u32 kMaxAsids = 4096;
SpinLock g_asid_lock;
u64 g_asid_bitmap[kMaxAsids / 64] TA_GUARDED(g_asid_lock) = {1};

Result<u16> asid_alloc() {
  SpinGuard g(g_asid_lock);
  for (u32 w = 0; w < kMaxAsids / 64; w++) {
    if (g_asid_bitmap[w] == ~0ull) continue;
    u32 bit = __builtin_ctzll(~g_asid_bitmap[w]);
    g_asid_bitmap[w] |= 1ull << bit;
    return static_cast<u16>(w * 64 + bit);
  }
  return Err::Busy;
}

void asid_free(u16 asid) {
  SpinGuard g(g_asid_lock);
  g_asid_bitmap[asid / 64] &= ~(1ull << (asid % 64));
}

VmRegion* region_alloc() {
  void* mem = kzalloc(sizeof(VmRegion));
  return mem == nullptr ? nullptr : new (mem) VmRegion();
}
}  // namespace

// Tells the region set how to allocate split-off regions and what removing
// a piece means: unmap it from the page table, drop the PMO reference.
class VmSpace::Hooks final : public VmRegionHooks {
 public:
  explicit Hooks(PageTable& pt) : pt_(pt) {}
  VmRegion* alloc_region() override { return region_alloc(); }
  void on_gap(VirtAddr lo, VirtAddr hi) override {
    gap_lo_ = lo;
    gap_hi_ = hi;
  }
  void on_remove(VmRegion* r, VirtAddr start, usize size, bool whole) override {
    // Unmapping a range that was never touched is fine for the page table.
    (void)pt_.unmap(start, size, gap_lo_, gap_hi_);
    if (whole) {
      pmo_put(r->pmo);
      kfree(r);
    }
  }
  void on_split(VmRegion*, VmRegion* right) override { pmo_get(right->pmo); }

 private:
  PageTable& pt_;
  VirtAddr gap_lo_{}, gap_hi_{};  // no region here once the removal is done
};

Status VmSpace::init() {
  u16 asid = TRY(asid_alloc());
  SpinGuard g(lock_);
  Status s = pt_.init(kernel_pt_env(), asid, false);
  if (!s.ok()) {
    asid_free(asid);
    return s;
  }
  asid_ = asid;
  ttbr0_ = pt_.root().raw() | (static_cast<u64>(asid) << 48);
  live_ = true;
  return kOk;
}

void VmSpace::destroy() {
  if (current_vmspace() == this) deactivate_vmspace();
  {
    SpinGuard g(lock_);
    live_ = false;
    while (VmRegion* r = regions_.take_first()) {
      pmo_put(r->pmo);
      kfree(r);
    }
    pt_.destroy();
  }
  kernel_pt_env()->tlb_flush_asid(asid_);
  asid_free(asid_);
  asid_ = 0;
}

Status VmSpace::map(Pmo* pmo, VirtAddr va, usize size, u32 perm, usize pmo_offset, u32 max_perm,
                    bool dontfork) {
  if (size == 0 || !is_aligned(va, kPage) || !is_aligned(size, kPage) ||
      !is_aligned(pmo_offset, kPage) || !user_range_ok(va, size))
    return Err::Inval;
  if (pmo_offset > pmo->size || size > pmo->size - pmo_offset) return Err::Inval;
  if ((perm & kVmWrite) && (perm & kVmExec)) return Err::Inval;
  perm = (perm & kVmMayAll) | kVmRead;
  max_perm &= pmo_max_perm(pmo);
  if (perm & ~max_perm) return Err::Access;
  perm |= kVmUser;
  if (pmo->kind == PmoType::Device) perm |= kVmDevice;

  auto* r = region_alloc();
  if (r == nullptr) return Err::NoMem;
  r->start = va;
  r->size = size;
  r->perm = perm;
  r->max_perm = max_perm;
  r->dontfork = dontfork;
  r->pmo = pmo;
  r->pmo_offset = pmo_offset;

  SpinGuard g(lock_);
  Status s = live_ ? regions_.insert(r) : Status(kErrSpaceGone);
  if (!s.ok()) {
    kfree(r);
    return s;
  }
  pmo_get(pmo);
  // Data and Device PMOs are mapped eagerly (every page now): their pages
  // exist and are usually all touched. User mappings are always 4 KiB
  // pages, so unmapping part of a region never has to split a block (which
  // could need memory and fail). Physical PMOs are mapped on first touch
  // (handle_fault), like Anonymous ones: the boot ramdisk, several MiB, is
  // mapped into every process procmgr starts, and eagerly that cost some
  // 300,000 instructions a spawn (and the page tables a process exit
  // frees) for the few pages a process ever reads.
  if (pmo->kind == PmoType::Data || pmo->kind == PmoType::Device) {
    usize n = size / kPage;
    if (pmo_is_fixed(pmo)) {
      s = pt_.map_pages(va, n, perm, nullptr, pmo->device_base + pmo_offset);
    } else {
      // A Data PMO has every page from its creation (a missing one: NoEnt,
      // as pmo_page says); its lock keeps the array still meanwhile.
      SpinGuard pg(pmo->lock);
      const PhysAddr* pages = pmo->pages + pmo_offset / kPage;
      for (usize i = 0; i < n && s.ok(); i++)
        if (pages[i] == PhysAddr{}) s = Err::NoEnt;
      if (s.ok()) s = pt_.map_pages(va, n, perm, pages, PhysAddr{});
    }
    if (!s.ok()) {
      Hooks hooks(pt_);
      (void)regions_.remove_range(va, size, &hooks);  // whole region: cannot need a split
      return s;
    }
  }
  return kOk;
}

Status VmSpace::unmap(VirtAddr va, usize size) {
  if (size == 0 || !is_aligned(va, kPage) || !is_aligned(size, kPage) || !user_range_ok(va, size))
    return Err::Inval;
  SpinGuard g(lock_);
  if (!live_) return kErrSpaceGone;
  // The page table frees the tables that lie wholly in the free gap the
  // removal leaves (Hooks::on_gap) without reading them.
  Hooks hooks(pt_);
  return regions_.remove_range(va, size, &hooks);
}

// Splits the region containing `at` (if `at` is strictly inside it) into two
// regions that map the same PMO; `spare` supplies the new one. The page
// table does not change.
bool VmSpace::split_at(VirtAddr at, VmRegion*& spare) {
  VmRegion* r = regions_.find(at);
  if (r == nullptr || r->start == at) return false;
  VmRegion* right = spare;
  spare = nullptr;
  right->start = at;
  right->size = r->end() - at;
  right->perm = r->perm;
  right->max_perm = r->max_perm;
  right->dontfork = r->dontfork;
  right->pmo = r->pmo;
  right->pmo_offset = r->pmo_offset + (at - r->start);
  r->size = at - r->start;
  pmo_get(right->pmo);
  Status s = regions_.insert(right);  // cannot overlap: it is carved out of r
  (void)s;
  return true;
}

Status VmSpace::protect(VirtAddr va, usize size, u32 perm) {
  if (size == 0 || !is_aligned(va, kPage) || !is_aligned(size, kPage) || !user_range_ok(va, size))
    return Err::Inval;
  if ((perm & kVmWrite) && (perm & kVmExec)) return Err::Inval;
  // Write or execute imply read on AArch64; no bits at all means no access.
  u32 want = perm & (kVmRead | kVmWrite | kVmExec);
  if (want != 0) want |= kVmRead | kVmUser;
  VmRegion* spare[2] = {region_alloc(), region_alloc()};
  SpinGuard g(lock_);
  Status result = live_ ? kOk : kErrSpaceGone;
  // Check first: the whole range must be covered by regions that may take
  // the new permissions.
  for (VirtAddr a = va; result.ok() && a < va + size;) {
    VmRegion* r = regions_.find(a);
    if (r == nullptr) {
      result = Err::NoMem;  // Linux's mprotect says ENOMEM for unmapped ranges
    } else if (r->pmo->kind == PmoType::Device && (want & kVmExec)) {
      result = Err::Inval;
    } else if (want & kVmMayAll & ~r->max_perm) {
      // Beyond the rights it was mapped with (e.g. a read-only capability):
      // Linux's EACCES for PROT_WRITE on a read-only shared file mapping.
      result = Err::Access;
    } else {
      a = r->end();
    }
  }
  if (result.ok() && (spare[0] == nullptr || spare[1] == nullptr)) result = Err::NoMem;
  if (result.ok()) {
    // Cut the regions at both ends of the range, then change whole regions.
    VmRegion* s0 = spare[0];
    VmRegion* s1 = spare[1];
    if (split_at(va, s0)) spare[0] = nullptr;
    if (split_at(va + size, s1)) spare[1] = nullptr;
    for (VirtAddr a = va; a < va + size;) {
      VmRegion* r = regions_.find(a);
      u32 p = want == 0 ? 0 : want | (r->perm & kVmDevice);
      r->perm = p;
      if (p == 0) {
        // No access: drop the mappings (the PMO keeps its pages).
        (void)pt_.unmap(r->start, r->size);
      } else {
        // Present pages take the new permissions; absent ones fault in with them.
        bool cow = (p & kVmWrite) && pmo_is_private(r->pmo);
        PhysAddr pa;
        for (VirtAddr pg = r->start; pg < r->end(); pg += kPage) {
          if (!pt_.query(pg, &pa, nullptr, nullptr).ok()) continue;
          // A page shared copy-on-write stays read-only until written.
          (void)pt_.protect(pg, kPage, cow && pmo_page_is_shared(pa) ? p & ~kVmWrite : p);
        }
      }
      a = r->end();
    }
  }
  for (VmRegion* s : spare) kfree(s);
  return result;
}

Status VmSpace::handle_fault(const FaultInfo& f) {
  if (f.addr >= kUserTop) return Err::Fault;
  if (f.type != FaultType::Translation && !(f.type == FaultType::Permission && f.write))
    return Err::Fault;
  SpinGuard g(lock_);
  VmRegion* r = regions_.find(f.addr);
  if (r == nullptr) return Err::Fault;
  // Mapped, but not for this access: Access (SEGV_ACCERR for a signal).
  if (!(r->perm & kVmRead) || (f.write && !(r->perm & kVmWrite)) ||
      (f.exec && !(r->perm & kVmExec)))
    return Err::Access;
  VirtAddr page = align_down(f.addr, kPage);
  usize offset = r->pmo_offset + (page - r->start);
  if (f.type == FaultType::Permission) return cow_fault(r, page);
  // Every kind of PMO: Anonymous and Shared pages appear here; Physical
  // ones are mapped here on first touch; Data and Device ones were mapped
  // at map(), but may have been unmapped by protect(PROT_NONE) and back.
  PhysAddr pa;
  u32 perm = r->perm;
  if (f.write) {
    pa = TRY(pmo_page_for_write(r->pmo, offset));
  } else {
    pa = TRY(pmo_page(r->pmo, offset, true));
    // A page still shared copy-on-write is read-only until written.
    if ((perm & kVmWrite) && pmo_is_private(r->pmo) && pmo_page_is_shared(pa)) perm &= ~kVmWrite;
  }
  Status s = pt_.map(page, pa, kPage, perm);
  // Another CPU may have mapped it between the fault and our lock.
  if (!s.ok() && s.error() != Err::Exist) return s;
  return kOk;
}

// A write to a present read-only page of a writable region: the page is
// shared copy-on-write (or was: the other side copied it already, and it
// is ours alone now). Gives this space a private page, writable.
Status VmSpace::cow_fault(VmRegion* r, VirtAddr page) {
  PhysAddr old;
  u32 now;
  if (!pt_.query(page, &old, &now, nullptr).ok()) return kOk;  // unmapped meanwhile: retry
  if (now & kVmWrite) return kOk;  // another CPU resolved it first
  PhysAddr pa = TRY(pmo_page_for_write(r->pmo, r->pmo_offset + (page - r->start)));
  if (pa == old) return pt_.protect(page, kPage, r->perm);  // in place, TLB flushed
  // A new page: the old one stays mapped read-only until the switch, so
  // no CPU can have written it after the copy was taken.
  return pt_.remap_page(page, pa, r->perm);
}

Status VmSpace::fork_into(VmSpace& child) {
  static u64 g_fork_gen = 0;
  u64 gen = __atomic_add_fetch(&g_fork_gen, 1, __ATOMIC_RELAXED);
  SpinGuard g(lock_);
  SpinGuard cg(child.lock_);
  if (!live_ || !child.live_) return kErrSpaceGone;
  if (!child.regions_.empty()) return Err::Inval;
  // Pass 1: how many of our regions map each private PMO. One that nothing
  // else holds (its references are exactly those regions') can be shared
  // copy-on-write: nobody else can write its pages or add a mapping that
  // copy-on-write would leave stale.
  // A region the child does not get is not counted: a PMO it maps is
  // deep-copied for the child, never shared copy-on-write with a mapping
  // that stays writable here.
  for (VmRegion* r : regions_) {
    Pmo* p = r->pmo;
    if (!pmo_is_private(p) || r->dontfork) continue;
    SpinGuard pg(p->lock);
    if (p->fork_gen != gen) {
      p->fork_gen = gen;
      p->fork_regions = 0;
      p->fork_clone = nullptr;
    }
    p->fork_regions++;
  }
  // Pass 2: the child's regions.
  for (VmRegion* r : regions_) {
    if (r->dontfork) continue;
    Pmo* p = r->pmo;
    bool cow = false;
    Pmo* cp = p;  // what the child maps
    if (pmo_is_private(p) && (r->max_perm & kVmWrite)) {
      Pmo* clone;
      bool exclusive;
      {
        SpinGuard pg(p->lock);
        clone = p->fork_gen == gen ? p->fork_clone : nullptr;
        exclusive = p->fork_gen == gen &&
                    __atomic_load_n(&p->refcount, __ATOMIC_ACQUIRE) == p->fork_regions;
      }
      cow = exclusive;
      if (clone != nullptr) {
        pmo_get(clone);
        cp = clone;
      } else {
        cp = TRY(exclusive ? pmo_cow_clone(p) : pmo_deep_copy(p));
        SpinGuard pg(p->lock);
        // For the next region of ours that maps p (the child's region
        // below holds this reference).
        if (p->fork_gen == gen) p->fork_clone = cp;
      }
    } else {
      pmo_get(p);
    }
    VmRegion* c = region_alloc();
    if (c == nullptr) {
      pmo_put(cp);
      return Err::NoMem;
    }
    c->start = r->start;
    c->size = r->size;
    c->perm = r->perm;
    c->max_perm = r->max_perm;
    c->pmo = cp;
    c->pmo_offset = r->pmo_offset;
    Status s = child.regions_.insert(c);  // cannot fail: a copy of a valid set
    if (!s.ok()) {
      pmo_put(cp);
      kfree(c);
      return s;
    }
    // The pages: entered in the child's table as they are here (write
    // protected on both sides for copy-on-write), except for a deep copy,
    // whose pages are new (it faults them in).
    if (cp == p || cow) TRY(pt_.fork_range(child.pt_, r->start, r->size, cow));
  }
  return kOk;
}

void VmSpace::fork_copy_now(VmSpace& child, VirtAddr va) {
  if (va >= kUserTop) return;
  VirtAddr page = align_down(va, kPage);
  SpinGuard g(lock_);
  SpinGuard cg(child.lock_);
  VmRegion* r = regions_.find(page);
  VmRegion* cr = child.regions_.find(page);
  if (r == nullptr || cr == nullptr || r->dontfork || !(r->perm & kVmWrite) ||
      !pmo_is_private(r->pmo) || cr->pmo == r->pmo || cr->start != r->start ||
      cr->pmo_offset != r->pmo_offset)
    return;
  PhysAddr mapped, child_mapped;
  if (!pt_.query(page, &mapped, nullptr, nullptr).ok() ||
      !child.pt_.query(page, &child_mapped, nullptr, nullptr).ok() || mapped != child_mapped)
    return;
  usize idx = (r->pmo_offset + (page - r->start)) / kPage;
  // The child's PMO is its own (it has never run): only its region holds it.
  SpinGuard pg(r->pmo->lock);
  SpinGuard cpg(cr->pmo->lock);
  PhysAddr pa = r->pmo->pages[idx];
  if (pa != mapped || cr->pmo->pages[idx] != pa ||
      __atomic_load_n(&mm::pa_to_page(pa)->refcount, __ATOMIC_ACQUIRE) != 2)
    return;
  void* copy = mm::get_pages(0, false);
  if (copy == nullptr) return;
  memcpy(copy, pa_to_kva<void>(pa), kPage);
  if (!child.pt_.remap_page(page, kva_to_pa(copy), cr->perm).ok()) {
    mm::put_pages(copy);
    return;
  }
  cr->pmo->pages[idx] = kva_to_pa(copy);
  mm::page_unref(mm::pa_to_page(pa));  // the child's reference: ours alone again
  (void)pt_.protect(page, kPage, r->perm);
}

Status VmSpace::query(VirtAddr va, PhysAddr* pa, u32* perm) {
  SpinGuard g(lock_);
  usize sz;
  return pt_.query(va, pa, perm, &sz);
}

bool VmSpace::shared_key(VirtAddr va, const void** obj, u64* offset) {
  SpinGuard g(lock_);
  VmRegion* r = regions_.find(va);
  if (r == nullptr || r->pmo == nullptr || r->pmo->kind != PmoType::Shared) return false;
  *obj = r->pmo;
  *offset = r->pmo_offset + static_cast<u64>(va - r->start);
  return true;
}

Status VmSpace::read(VirtAddr va, void* dst, usize len) {
  SpinGuard g(lock_);
  if (!live_) return kErrSpaceGone;
  u8* out = static_cast<u8*>(dst);
  while (len > 0) {
    VmRegion* r = regions_.find(va);
    if (r == nullptr || (r->perm & kVmRead) == 0 || r->pmo->kind == PmoType::Device)
      return Err::Fault;
    usize off = r->pmo_offset + static_cast<usize>(va - r->start);
    usize in_page = off % kPage;
    usize chunk = kPage - in_page;
    if (chunk > len) chunk = len;
    if (chunk > static_cast<usize>(r->end() - va)) chunk = static_cast<usize>(r->end() - va);
    if (off >= r->pmo->size) return Err::Fault;
    if (pmo_is_fixed(r->pmo)) {
      memcpy(out, pa_to_kva<u8>(PhysAddr{r->pmo->device_base.raw() + off}), chunk);
    } else {
      // Under the PMO's lock: a copy-on-write fault may replace the page.
      SpinGuard p(r->pmo->lock);
      PhysAddr pa = r->pmo->pages[off / kPage];
      if (pa == PhysAddr{})
        memset(out, 0, chunk);
      else
        memcpy(out, pa_to_kva<u8>(pa) + in_page, chunk);
    }
    out += chunk;
    va = va + chunk;
    len -= chunk;
  }
  return kOk;
}

usize VmSpace::region_count() {
  SpinGuard g(lock_);
  return regions_.count();
}

namespace {
// Pages of [offset, offset + size) of the PMO that have memory. Device and
// Physical PMOs name memory that is always there.
usize resident_pages(Pmo* pmo, usize offset, usize size) {
  if (pmo_is_fixed(pmo)) return size / kPage;
  SpinGuard g(pmo->lock);
  usize n = 0;
  for (usize i = offset / kPage; i < (offset + size) / kPage && i < pmo->size / kPage; i++)
    if (pmo->pages[i] != PhysAddr{}) n++;
  return n;
}

u32 region_kind(const Pmo* pmo) {
  switch (pmo->kind) {
    case PmoType::Anonymous:
      return CHCORE_REGION_ANONYMOUS;
    case PmoType::Data:
      return CHCORE_REGION_DATA;
    case PmoType::Device:
      return CHCORE_REGION_DEVICE;
    case PmoType::Shared:
      return CHCORE_REGION_SHARED;
    case PmoType::Physical:
      return CHCORE_REGION_PHYSICAL;
  }
  return CHCORE_REGION_ANONYMOUS;
}
}  // namespace

bool VmSpace::region_info(usize index, chcore_region_info* out) {
  SpinGuard g(lock_);
  if (!live_) return false;
  usize i = 0;
  for (VmRegion* r : regions_) {
    if (i++ != index) continue;
    out->start = r->start.raw();
    out->size = r->size;
    out->offset = r->pmo_offset;
    out->perm = r->perm & (kVmRead | kVmWrite | kVmExec);
    out->kind = region_kind(r->pmo);
    out->resident = resident_pages(r->pmo, r->pmo_offset, r->size);
    return true;
  }
  return false;
}

void VmSpace::usage(usize* regions, usize* bytes, usize* resident) {
  SpinGuard g(lock_);
  *regions = *bytes = *resident = 0;
  if (!live_) return;
  for (VmRegion* r : regions_) {
    ++*regions;
    *bytes += r->size;
    *resident += resident_pages(r->pmo, r->pmo_offset, r->size);
  }
}


void deactivate_vmspace() {
  this_cpu()->vmspace = nullptr;
  write_sysreg(ttbr0_el1, empty_ttbr0().raw());
  arch::isb();
}

}  // namespace kern
