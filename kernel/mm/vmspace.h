// A user address space: a page table with its own ASID, and the ordered set
// of VM regions that say which PMO backs which addresses.
//
// Locking: `lock_` protects the region set and the page table. The page-fault
// path takes it too, so a fault never sees a half-removed region. PMOs have
// their own lock (taken inside ours: VmSpace::lock_ -> Pmo::lock).
#pragma once
#include "arch/aarch64/page_table.h"
#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "lib/result.h"
#include "lib/spinlock.h"
#include "mm/pmo.h"
#include "mm/vm_region.h"
#include "uapi/object.h"

namespace kern {

// What a mapping may become when nothing narrower is said: anything
// (memory the process owns alone, such as its ELF segments, heap and stacks;
// W and X are still never granted together).
inline constexpr u32 kVmMayAll = kVmRead | kVmWrite | kVmExec;

// map/unmap/protect on an address space that destroy() has torn down, i.e.
// of a process that has exited: ESRCH, as for any call naming a process
// that is gone.
inline constexpr Err kErrSpaceGone = Err::Srch;

enum class FaultType : u8 { Translation, Permission, Other };

struct FaultInfo {
  VirtAddr addr;
  bool write;
  bool exec;
  FaultType type;
};

class VmSpace {
 public:
  VmSpace() = default;
  VmSpace(const VmSpace&) = delete;
  VmSpace& operator=(const VmSpace&) = delete;

  // Allocates an ASID and an empty page table. Err::NoMem / Err::Busy (no ASID).
  [[nodiscard]] Status init();
  // Unmaps everything, drops every PMO reference, frees the page table and
  // the ASID. Later map/unmap/protect calls fail with kErrSpaceGone (a call
  // racing with destroy either fails so or is undone by it: never a leak).
  // The object may be init()ed again.
  void destroy();

  // Maps [va, va+size) to the PMO from byte `pmo_offset` with `perm`
  // (kVmRead/Write/Exec; kVmUser is implied). Takes a PMO reference.
  // `max_perm` (kVmRead/Write/Exec) is what protect() may make of the region
  // later: for a capability's PMO, the rights of that capability. It is
  // narrowed by what the PMO's memory allows (pmo_max_perm).
  // Err::Inval: unaligned, zero, outside user space, outside the PMO, or W+X.
  // Err::Access: `perm` exceeds `max_perm`.
  // Err::Exist: overlaps an existing region. Data and Device PMOs are mapped
  // at once; Anonymous and Shared pages on first touch. `dontfork`: a
  // fork's child does not get the mapping (VmRegion::dontfork).
  [[nodiscard]] Status map(Pmo* pmo, VirtAddr va, usize size, u32 perm, usize pmo_offset,
                           u32 max_perm = kVmMayAll, bool dontfork = false);
  // Removes [va, va+size) (partial regions are split). Unmapped parts are fine.
  [[nodiscard]] Status unmap(VirtAddr va, usize size);
  // Changes the permissions of [va, va+size), which must be covered by
  // regions (else Err::NoMem, as Linux's mprotect); regions are split at the
  // ends of the range. perm 0 means no access at all (PROT_NONE). Err::Access
  // if a region may not have `perm` (its max_perm); nothing is changed then.
  // The contents never change: pages made inaccessible are only unmapped
  // from the page table and come back on the next touch.
  [[nodiscard]] Status protect(VirtAddr va, usize size, u32 perm);

  // Resolves a fault on a user address: a translation fault inside a region
  // whose permissions allow the access maps the PMO's page there (for
  // Anonymous and Shared PMOs allocated and zeroed if new; Data and fixed
  // PMOs have theirs already: after protect(PROT_NONE) and back, their pages
  // come back this way). A region that does not allow the access is
  // Err::Access (SEGV_ACCERR); anything else Err::Fault.
  [[nodiscard]] Status handle_fault(const FaultInfo& f);

  // fork: fills `child` (initialised, with nothing mapped) with a copy of
  // this address space. Memory that only this space maps privately
  // (Anonymous and Data PMOs with write permission possible) becomes
  // copy-on-write: the child gets a clone of the PMO sharing its pages, and
  // both sides map them read-only until one writes (handle_fault). Shared,
  // Device and Physical PMOs, and memory that can never be written, are
  // mapped by both (a MAP_SHARED mapping stays shared); private memory that
  // something else also holds (a capability to the PMO) is copied at once.
  // Present pages are entered in the child's page table too, so the child
  // does not fault them in again. Err::NoMem (the child then holds part of
  // the copy: the caller destroys it), kErrSpaceGone.
  [[nodiscard]] Status fork_into(VmSpace& child);
  // After fork_into: if the page at `va` is shared copy-on-write by this
  // space and `child` alone, the child gets its own copy now and this
  // space its page back writable (a page both are about to write: two
  // faults saved for one copy). Anything else, or no memory: nothing
  // changes (the page stays copy-on-write).
  void fork_copy_now(VmSpace& child, VirtAddr va);

  // Installs this address space in TTBR0 of the calling CPU.
  // Loads it into TTBR0 on this CPU (inline: IPC switches address spaces
  // on every call).
  void activate() TA_NO_THREAD_SAFETY_ANALYSIS {
    this_cpu()->vmspace = this;
    write_sysreg(ttbr0_el1, ttbr0_);
    arch::isb();
  }

  // Copies [va, va + len) of this address space's memory into the kernel
  // buffer dst, as the process itself would read it, without faulting
  // anything in: a page not allocated yet reads as zeros. The range must
  // lie in readable regions of normal memory (not device registers), else
  // Err::Fault; kErrSpaceGone once destroyed. Each call is one snapshot
  // under the lock (cap_group_read, for /proc; keep len small).
  [[nodiscard]] Status read(VirtAddr va, void* dst, usize len);

  // Physical address and permissions of a mapped page (for tests).
  [[nodiscard]] Status query(VirtAddr va, PhysAddr* pa, u32* perm);

  // The futex key of the word at va: for a word in a Shared PMO, the PMO
  // and the word's offset in it (the same in every process that maps it);
  // false for anything else (the caller keys by address space and va).
  bool shared_key(VirtAddr va, const void** obj, u64* offset);

  u16 asid() const { return asid_; }
  usize region_count();

  // For /proc (sys_cap_group_regions, sys_cap_group_stat): region number
  // `index` in address order, with the pages of it that have memory; false
  // past the last region (or once destroyed). Each call takes the lock
  // afresh, so a listing made of several calls is not one snapshot.
  bool region_info(usize index, chcore_region_info* out);
  // How many regions, the bytes they cover, and their resident pages.
  void usage(usize* regions, usize* bytes, usize* resident);

 private:
  class Hooks;
  bool split_at(VirtAddr at, VmRegion*& spare) TA_REQ(lock_);
  Status cow_fault(VmRegion* r, VirtAddr page) TA_REQ(lock_);
  SpinLock lock_;
  PageTable pt_ TA_GUARDED(lock_);
  VmRegionSet regions_ TA_GUARDED(lock_);
  u16 asid_ = 0;
  // TTBR0_EL1's value for this space (root table and ASID), fixed by
  // init(): what activate() and IPC's fast path (ipc/fastpath.S) load.
  u64 ttbr0_ = 0;
  friend struct IpcFastLayout;
  bool live_ TA_GUARDED(lock_) = false;  // between init() and destroy()
};

// The address space active on this CPU (nullptr: none, TTBR0 is empty).
inline VmSpace* current_vmspace() { return static_cast<VmSpace*>(this_cpu()->vmspace); }
// Returns this CPU to the empty TTBR0.
void deactivate_vmspace();

}  // namespace kern
