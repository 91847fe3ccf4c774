// Memory: create_pmo, map_pmo, unmap_pmo, write_pmo, read_pmo, handle_brk,
// handle_mprotect.
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/pmo.h"
#include "mm/uaccess.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "syscall/syscall.h"

using namespace kern;

namespace {
constexpr usize kPage = mm::kPageSize;

Result<Pmo*> lookup_pmo(u64 slot, u32 rights) {
  Object* o = TRY(cap_get(current_group(), slot, ObjType::Pmo, rights));
  return static_cast<Pmo*>(o);
}

// PROT_* bits -> VmPerm; W+X is refused by the address space.
u32 prot_to_perm(u64 prot) {
  u32 perm = 0;
  if (prot & CHCORE_PROT_READ) perm |= kVmRead;
  if (prot & CHCORE_PROT_WRITE) perm |= kVmWrite;
  if (prot & CHCORE_PROT_EXEC) perm |= kVmExec;
  return perm;
}

// Capability rights -> the VmPerm bits a mapping made with them may have.
u32 rights_to_max_perm(u32 rights) {
  u32 perm = 0;
  if (rights & CHCORE_RIGHT_READ) perm |= kVmRead;
  if (rights & CHCORE_RIGHT_WRITE) perm |= kVmWrite;
  if (rights & CHCORE_RIGHT_EXEC) perm |= kVmExec;
  return perm;
}

u32 prot_to_rights(u64 prot) {
  u32 r = CHCORE_RIGHT_READ;
  if (prot & CHCORE_PROT_WRITE) r |= CHCORE_RIGHT_WRITE;
  if (prot & CHCORE_PROT_EXEC) r |= CHCORE_RIGHT_EXEC;
  return r;
}

// Copies between user memory and a PMO through a bounce page.
template <bool kToPmo>
i64 pmo_copy(u64 slot, u64 offset, u64 buf, u64 len) {
  Result<Pmo*> r = lookup_pmo(slot, kToPmo ? CHCORE_RIGHT_WRITE : CHCORE_RIGHT_READ);
  if (!r.ok()) return to_errno(r.error());
  Ref<Pmo> pmo(r.value());
  if (offset > pmo->size || len > pmo->size - offset) return -CHCORE_EINVAL;
  if (!user_range_ok(buf, len)) return -CHCORE_EFAULT;
  u8* bounce = static_cast<u8*>(mm::kmalloc(kPage));
  if (bounce == nullptr) return -CHCORE_ENOMEM;
  Status s = kOk;
  for (u64 done = 0; done < len && s.ok();) {
    u64 n = kern::min<u64>(kPage, len - done);
    if (kToPmo) {
      s = copy_from_user(bounce, buf + done, n);
      if (s.ok()) s = pmo_write(pmo.get(), offset + done, bounce, n);
    } else {
      s = pmo_read(pmo.get(), offset + done, bounce, n);
      if (s.ok()) s = copy_to_user(buf + done, bounce, n);
    }
    done += n;
  }
  mm::kfree(bounce);
  return s.ok() ? 0 : to_errno(s.error());
}
}  // namespace

extern "C" i64 sys_create_pmo(u64 size, u64 type, u64, u64, u64, u64) {
  PmoType kind;
  switch (type) {
    case CHCORE_PMO_ANONYMOUS: kind = PmoType::Anonymous; break;
    case CHCORE_PMO_DATA: kind = PmoType::Data; break;
    case CHCORE_PMO_SHARED: kind = PmoType::Shared; break;
    default: return -CHCORE_EINVAL;
  }
  Result<Pmo*> pmo = pmo_create(kind, size);
  if (!pmo.ok()) return to_errno(pmo.error());
  Result<u32> slot = current_group()->caps.install(current_group(), pmo.value(), CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    pmo_put(pmo.value());
    return to_errno(slot.error());
  }
  return slot.value();
}

extern "C" i64 sys_map_pmo(u64 cg_slot, u64 pmo_slot, u64 addr, u64 prot, u64, u64) {
  if (prot & ~u64{CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_PROT_EXEC}) return -CHCORE_EINVAL;
  Result<CapGroup*> g = cap_lookup<CapGroup>(cg_slot, CHCORE_RIGHT_CONTROL);
  if (!g.ok()) return to_errno(g.error());
  Ref<CapGroup> group(g.value());
  // The mapping remembers the rights of the capability it is made with, so
  // that mprotect cannot go beyond them. Looking the PMO up with all of
  // those rights makes sure they are the rights of the capability that
  // gives us the object, even if the slot changes in between.
  Result<u64> info = cap_info(current_group(), pmo_slot);
  if (!info.ok()) return to_errno(info.error());
  u32 held = CHCORE_CAP_INFO_RIGHTS(info.value());
  Result<Pmo*> p = lookup_pmo(pmo_slot, prot_to_rights(prot) | held);
  if (!p.ok()) return to_errno(p.error());
  Ref<Pmo> pmo(p.value());
  // Fails with ESRCH once the process has exited (its address space is gone).
  Status s = group->vmspace.map(pmo.get(), addr, pmo->size, prot_to_perm(prot), 0,
                                rights_to_max_perm(held));
  return s.ok() ? 0 : to_errno(s.error());
}

// Unmaps [addr, addr + size of the PMO) in the process.
extern "C" i64 sys_unmap_pmo(u64 cg_slot, u64 pmo_slot, u64 addr, u64, u64, u64) {
  Result<CapGroup*> g = cap_lookup<CapGroup>(cg_slot, CHCORE_RIGHT_CONTROL);
  if (!g.ok()) return to_errno(g.error());
  Ref<CapGroup> group(g.value());
  Result<Pmo*> p = lookup_pmo(pmo_slot, 0);
  if (!p.ok()) return to_errno(p.error());
  Ref<Pmo> pmo(p.value());
  Status s = group->vmspace.unmap(addr, pmo->size);
  return s.ok() ? 0 : to_errno(s.error());
}

extern "C" i64 sys_write_pmo(u64 slot, u64 offset, u64 buf, u64 len, u64, u64) {
  return pmo_copy<true>(slot, offset, buf, len);
}

extern "C" i64 sys_read_pmo(u64 slot, u64 offset, u64 buf, u64 len, u64, u64) {
  return pmo_copy<false>(slot, offset, buf, len);
}

// The heap grows by mapping a new anonymous PMO for each extension and
// shrinks by unmapping. Returns the new break, or the old one on failure
// (Linux's brk convention, which musl relies on).
extern "C" i64 sys_handle_brk(u64 addr, u64, u64, u64, u64, u64) {
  constexpr u64 kHeapMax = 1ull << 40;
  CapGroup* g = current_group();
  SpinGuard l(g->lock);
  if (addr == 0 || addr < CHCORE_HEAP_BASE || addr > CHCORE_HEAP_BASE + kHeapMax)
    return static_cast<i64>(g->brk);
  VirtAddr want = align_up(addr, kPage);
  if (want > g->heap_mapped) {
    Result<Pmo*> pmo = pmo_create(PmoType::Anonymous, want - g->heap_mapped);
    if (!pmo.ok()) return static_cast<i64>(g->brk);
    Status s = g->vmspace.map(pmo.value(), g->heap_mapped, want - g->heap_mapped,
                              kVmRead | kVmWrite, 0);
    pmo_put(pmo.value());
    if (!s.ok()) return static_cast<i64>(g->brk);
  } else if (want < g->heap_mapped) {
    if (!g->vmspace.unmap(want, g->heap_mapped - want).ok()) return static_cast<i64>(g->brk);
  }
  g->heap_mapped = want;
  g->brk = addr;
  return static_cast<i64>(addr);
}

extern "C" i64 sys_handle_mprotect(u64 addr, u64 len, u64 prot, u64, u64, u64) {
  if (prot & ~u64{CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_PROT_EXEC}) return -CHCORE_EINVAL;
  if (len == 0) return 0;
  Status s = current_group()->vmspace.protect(addr, align_up(len, kPage), prot_to_perm(prot));
  return s.ok() ? 0 : to_errno(s.error());
}
