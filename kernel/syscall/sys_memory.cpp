// Memory: create_pmo, map_pmo, map_pmo_range, unmap_pmo, unmap_range,
// write_pmo, read_pmo, zero_pmo, handle_brk, handle_mprotect.
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/pmo.h"
#include "mm/uaccess.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "syscall/syscall.h"

namespace kern {

namespace {
constexpr usize kPage = mm::kPageSize;

// PROT_* bits, or the READ/WRITE/EXEC rights of a capability (the same
// bits), -> VmPerm. W+X is refused by the address space.
static_assert(CHCORE_PROT_READ == CHCORE_RIGHT_READ && CHCORE_PROT_WRITE == CHCORE_RIGHT_WRITE &&
              CHCORE_PROT_EXEC == CHCORE_RIGHT_EXEC);
constexpr u64 kMapProtBits = CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_PROT_EXEC;

// map_pmo's and map_pmo_range's prot: the PROT_* bits stay in *prot, the
// result says CHCORE_MAP_DONTFORK; any other bit is EINVAL.
Result<bool> take_map_flags(u64* prot) {
  if (*prot & ~u64{kMapProtBits | CHCORE_MAP_DONTFORK}) return Err::Inval;
  bool dontfork = (*prot & CHCORE_MAP_DONTFORK) != 0;
  *prot &= kMapProtBits;
  return dontfork;
}

u32 prot_to_perm(u64 prot) {
  u32 perm = 0;
  if (prot & CHCORE_PROT_READ) perm |= kVmRead;
  if (prot & CHCORE_PROT_WRITE) perm |= kVmWrite;
  if (prot & CHCORE_PROT_EXEC) perm |= kVmExec;
  return perm;
}

// Capability rights -> the VmPerm bits a mapping made with them may have.
u32 rights_to_max_perm(u32 rights) { return prot_to_perm(rights); }

u32 prot_to_rights(u64 prot) {
  u32 r = CHCORE_RIGHT_READ;
  if (prot & CHCORE_PROT_WRITE) r |= CHCORE_RIGHT_WRITE;
  if (prot & CHCORE_PROT_EXEC) r |= CHCORE_RIGHT_EXEC;
  return r;
}

// Copies between user memory and a PMO, straight to or from the PMO's
// pages (pmo_for_range holds no lock while copying, so a fault on the user
// buffer is an ordinary page fault, or -EFAULT). A Physical PMO (the
// ramdisk in the kernel image) is never written.
template <bool kToPmo, typename Buf>
SysResult pmo_copy(CapSlot slot, u64 offset, Buf buf, u64 len) {
  Ref<Pmo> pmo = TRY(cap_lookup<Pmo>(slot, kToPmo ? CHCORE_RIGHT_WRITE : CHCORE_RIGHT_READ));
  if (offset > pmo->size || len > pmo->size - offset) return Err::Inval;
  if (!buf.range_ok(len)) return Err::Fault;
  if constexpr (kToPmo)
    if (pmo->kind == PmoType::Physical) return Err::Inval;
  u64 done = 0;
  TRY(pmo_for_range(pmo.get(), offset, len, [&](u8* p, usize n) -> Status {
    Status s = kOk;
    if constexpr (kToPmo)
      s = (buf + done).read_array(p, n);
    else
      s = (buf + done).write_array(p, n);
    done += n;
    return s;
  }, kToPmo));
  return 0;
}
}  // namespace

SysResult sys_create_pmo(u64 size, u64 type) {
  PmoType kind;
  switch (type) {
    case CHCORE_PMO_ANONYMOUS: kind = PmoType::Anonymous; break;
    case CHCORE_PMO_DATA: kind = PmoType::Data; break;
    case CHCORE_PMO_SHARED: kind = PmoType::Shared; break;
    default: return Err::Inval;
  }
  Pmo* pmo = TRY(pmo_create(kind, size));
  Result<u32> slot = current_group()->caps.install(current_group(), pmo, CHCORE_RIGHTS_ALL);
  if (!slot.ok()) pmo_put(pmo);
  return TRY(slot);
}

SysResult sys_map_pmo(CapSlot cg, CapSlot pmo_slot, VirtAddr addr, u64 prot) {
  bool dontfork = TRY(take_map_flags(&prot));
  Ref<CapGroup> group = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  // The mapping remembers the rights of the capability it is made with, so
  // that mprotect cannot go beyond them. Looking the PMO up with all of
  // those rights makes sure they are the rights of the capability that
  // gives us the object, even if the slot changes in between.
  u32 held = CHCORE_CAP_INFO_RIGHTS(TRY(cap_info(current_group(), pmo_slot.value)));
  Ref<Pmo> pmo = TRY(cap_lookup<Pmo>(pmo_slot, prot_to_rights(prot) | held));
  // Fails with ESRCH once the process has exited (its address space is gone).
  TRY(group->vmspace.map(pmo.get(), addr, pmo->size, prot_to_perm(prot), 0,
                         rights_to_max_perm(held), dontfork));
  return 0;
}

// Maps [offset, offset + len) of the PMO at addr: a file's mapping, which
// shows part of the file's PMO (user/chcore-libc/port/mm.c). Otherwise as
// map_pmo; offset and len are page-aligned, len > 0, within the PMO.
SysResult sys_map_pmo_range(CapSlot cg, CapSlot pmo_slot, VirtAddr addr, u64 prot, u64 offset,
                            u64 len) {
  bool dontfork = TRY(take_map_flags(&prot));
  Ref<CapGroup> group = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  u32 held = CHCORE_CAP_INFO_RIGHTS(TRY(cap_info(current_group(), pmo_slot.value)));
  Ref<Pmo> pmo = TRY(cap_lookup<Pmo>(pmo_slot, prot_to_rights(prot) | held));
  // VmSpace::map checks alignment, the range inside the PMO (without
  // overflow) and the address range.
  TRY(group->vmspace.map(pmo.get(), addr, len, prot_to_perm(prot), offset,
                         rights_to_max_perm(held), dontfork));
  return 0;
}

// Unmaps whatever is mapped in [addr, addr + len) (len rounded up to whole
// pages), whole regions or parts of them; nothing there is no error.
SysResult sys_unmap_range(CapSlot cg, VirtAddr addr, u64 len) {
  Ref<CapGroup> group = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  if (len == 0 || len > kUserTop.raw()) return Err::Inval;  // rounding up must not wrap
  TRY(group->vmspace.unmap(addr, align_up(len, kPage)));
  return 0;
}

SysResult sys_zero_pmo(CapSlot slot, u64 offset, u64 len) {
  Ref<Pmo> pmo = TRY(cap_lookup<Pmo>(slot, CHCORE_RIGHT_WRITE));
  TRY(pmo_zero(pmo.get(), offset, len));
  return 0;
}

// Unmaps [addr, addr + size of the PMO) in the process.
SysResult sys_unmap_pmo(CapSlot cg, CapSlot pmo_slot, VirtAddr addr) {
  Ref<CapGroup> group = TRY(cap_lookup<CapGroup>(cg, CHCORE_RIGHT_CONTROL));
  Ref<Pmo> pmo = TRY(cap_lookup<Pmo>(pmo_slot, 0));
  TRY(group->vmspace.unmap(addr, pmo->size));
  return 0;
}

SysResult sys_write_pmo(CapSlot slot, u64 offset, UserPtr<const u8> buf, u64 len) {
  return pmo_copy<true>(slot, offset, buf, len);
}

SysResult sys_read_pmo(CapSlot slot, u64 offset, UserPtr<u8> buf, u64 len) {
  return pmo_copy<false>(slot, offset, buf, len);
}

// The heap grows by mapping a new anonymous PMO for each extension and
// shrinks by unmapping. Returns the new break, or the old one on failure
// (Linux's brk convention, which musl relies on).
SysResult sys_handle_brk(VirtAddr addr) {
  constexpr u64 kHeapMax = 1ull << 40;
  constexpr VirtAddr kHeapBase{CHCORE_HEAP_BASE};
  CapGroup* g = current_group();
  SpinGuard l(g->lock);
  if (addr == VirtAddr{} || addr < kHeapBase || addr > kHeapBase + kHeapMax)
    return static_cast<i64>(g->brk.raw());
  VirtAddr want = align_up(addr, kPage);
  if (want > g->heap_mapped) {
    Result<Pmo*> pmo = pmo_create(PmoType::Anonymous, want - g->heap_mapped);
    if (!pmo.ok()) return static_cast<i64>(g->brk.raw());
    Status s = g->vmspace.map(pmo.value(), g->heap_mapped, want - g->heap_mapped,
                              kVmRead | kVmWrite, 0);
    pmo_put(pmo.value());
    if (!s.ok()) return static_cast<i64>(g->brk.raw());
  } else if (want < g->heap_mapped) {
    if (!g->vmspace.unmap(want, g->heap_mapped - want).ok()) return static_cast<i64>(g->brk.raw());
  }
  g->heap_mapped = want;
  g->brk = addr;
  return static_cast<i64>(addr.raw());
}

SysResult sys_handle_mprotect(VirtAddr addr, u64 len, u64 prot) {
  if (prot & ~u64{CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_PROT_EXEC}) return Err::Inval;
  if (len == 0) return 0;
  if (len > kUserTop.raw()) return Err::NoMem;  // rounding up must not wrap
  TRY(current_group()->vmspace.protect(addr, align_up(len, kPage), prot_to_perm(prot)));
  return 0;
}

}  // namespace kern
