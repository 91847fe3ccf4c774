#include "mm/pmo.h"

#include "lib/new.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/kmap.h"
#include "mm/page.h"
#include "mm/phys.h"

namespace kern {

using mm::kfree;
using mm::kzalloc;

namespace {
constexpr usize kPage = mm::kPageSize;

Result<PhysAddr> alloc_zeroed_page() {
  void* p = mm::get_pages(0, true);
  if (p == nullptr) return Err::NoMem;
  return kva_to_pa(p);
}

void release_page(PhysAddr pa) { mm::page_unref(mm::pa_to_page(pa)); }

usize page_count(const Pmo* pmo) { return pmo->size / kPage; }
}  // namespace

Result<Pmo*> pmo_create(PmoType type, usize size, PhysAddr device_base) {
  if (size == 0 || !is_aligned(size, kPage)) return Err::Inval;
  bool fixed = type == PmoType::Device || type == PmoType::Physical;
  if (fixed && (!is_aligned(device_base, kPage) || device_base + size < device_base))
    return Err::Inval;
  // Refuse what cannot be backed before allocating anything (Linux's
  // default overcommit heuristic): one PMO larger than the free memory
  // could never be filled. Nothing else could be freed to make room (no
  // page cache, no swap). Smaller ones may still overcommit: Anonymous
  // pages come on first touch.
  if (!fixed && (size > kPmoMaxSize || size / kPage > mm::free_page_count_hint())) return Err::NoMem;
  void* mem = kzalloc(sizeof(Pmo));
  if (mem == nullptr) return Err::NoMem;
  Pmo* pmo = new (mem) Pmo();
  obj_init(pmo, ObjType::Pmo);
  pmo->kind = type;
  pmo->size = size;
  pmo->device_base = device_base;
  if (fixed) return pmo;

  usize n = size / kPage;
  auto* pages = static_cast<PhysAddr*>(kzalloc(n * sizeof(PhysAddr)));
  if (pages == nullptr) {
    kfree(pmo);
    return Err::NoMem;
  }
  if (type == PmoType::Data) {
    for (usize i = 0; i < n; i++) {
      Result<PhysAddr> pa = alloc_zeroed_page();
      if (!pa.ok()) {
        for (usize j = 0; j < i; j++) release_page(pages[j]);
        kfree(pages);
        kfree(pmo);
        return Err::NoMem;
      }
      pages[i] = pa.value();
    }
  }
  SpinGuard g(pmo->lock);
  pmo->pages = pages;
  return pmo;
}

namespace {
// Calls f(i) for each allocated page of a page array of n entries. A stack
// or heap PMO is large and sparse (a few pages touched of thousands): runs
// of empty entries are skipped eight at a time.
template <typename F>
void for_each_page(const PhysAddr* pages, usize n, F f) {
  usize i = 0;
  for (; i + 8 <= n; i += 8) {
    if ((pages[i].raw() | pages[i + 1].raw() | pages[i + 2].raw() | pages[i + 3].raw() |
         pages[i + 4].raw() | pages[i + 5].raw() | pages[i + 6].raw() | pages[i + 7].raw()) == 0)
      continue;
    for (usize j = i; j < i + 8; j++)
      if (pages[j] != PhysAddr{}) f(j);
  }
  for (; i < n; i++)
    if (pages[i] != PhysAddr{}) f(i);
}

void release_all(PhysAddr* pages, usize n) {
  for_each_page(pages, n, [pages](usize i) { release_page(pages[i]); });
}
}  // namespace

void pmo_destroy(Pmo* pmo) TA_NO_THREAD_SAFETY_ANALYSIS {
  // Last reference: nobody else can reach the PMO any more.
  if (pmo->pages != nullptr) {
    release_all(pmo->pages, page_count(pmo));
    kfree(pmo->pages);
  }
  kfree(pmo);
}

Result<PhysAddr> pmo_page(Pmo* pmo, usize offset, bool allocate) {
  if (offset >= pmo->size) return Err::Inval;
  if (pmo_is_fixed(pmo)) return pmo->device_base + align_down(offset, kPage);
  usize idx = offset / kPage;
  SpinGuard g(pmo->lock);
  if (pmo->pages[idx] != PhysAddr{}) return pmo->pages[idx];
  if (!allocate || pmo->kind == PmoType::Data) return Err::NoEnt;
  PhysAddr pa = TRY(alloc_zeroed_page());
  pmo->pages[idx] = pa;
  return pa;
}

bool pmo_page_is_shared(PhysAddr pa) {
  return __atomic_load_n(&mm::pa_to_page(pa)->refcount, __ATOMIC_ACQUIRE) > 1;
}

Result<PhysAddr> pmo_page_for_write(Pmo* pmo, usize offset) {
  if (!pmo_is_private(pmo)) return pmo_page(pmo, offset, true);
  if (offset >= pmo->size) return Err::Inval;
  usize idx = offset / kPage;
  SpinGuard g(pmo->lock);
  PhysAddr pa = pmo->pages[idx];
  if (pa == PhysAddr{}) {
    if (pmo->kind == PmoType::Data) return Err::NoEnt;
    pa = TRY(alloc_zeroed_page());
    pmo->pages[idx] = pa;
    return pa;
  }
  // Ours alone (the other sharers have copied it or gone): write in place.
  // The acquire pairs with the release of the last other holder's unref,
  // which it makes after its copy.
  if (!pmo_page_is_shared(pa)) return pa;
  void* copy = mm::get_pages(0, false);
  if (copy == nullptr) return Err::NoMem;
  memcpy(copy, pa_to_kva<void>(pa), kPage);
  pmo->pages[idx] = kva_to_pa(copy);
  release_page(pa);
  return pmo->pages[idx];
}

namespace {
// A PMO of `pmo`'s kind and size whose pages are filled by
// fill(new pages array) under `pmo`'s lock.
template <typename Fill>
Result<Pmo*> pmo_clone_with(Pmo* pmo, Fill fill) TA_NO_THREAD_SAFETY_ANALYSIS {
  if (!pmo_is_private(pmo)) return Err::Inval;
  void* mem = kzalloc(sizeof(Pmo));
  if (mem == nullptr) return Err::NoMem;
  auto* pages = static_cast<PhysAddr*>(kzalloc(page_count(pmo) * sizeof(PhysAddr)));
  if (pages == nullptr) {
    kfree(mem);
    return Err::NoMem;
  }
  Pmo* clone = new (mem) Pmo();
  obj_init(clone, ObjType::Pmo);
  clone->kind = pmo->kind;
  clone->size = pmo->size;
  Status s = kOk;
  {
    SpinGuard g(pmo->lock);
    s = fill(pmo->pages, pages);
  }
  if (!s.ok()) {
    release_all(pages, page_count(pmo));
    kfree(pages);
    kfree(clone);
    return s.error();
  }
  clone->pages = pages;
  return clone;
}
}  // namespace

Result<Pmo*> pmo_cow_clone(Pmo* pmo) {
  usize n = page_count(pmo);
  return pmo_clone_with(pmo, [n](const PhysAddr* from, PhysAddr* to) -> Status {
    for_each_page(from, n, [from, to](usize i) {
      mm::page_ref(mm::pa_to_page(from[i]));
      to[i] = from[i];
    });
    return kOk;
  });
}

Result<Pmo*> pmo_deep_copy(Pmo* pmo) {
  usize n = page_count(pmo);
  return pmo_clone_with(pmo, [n](const PhysAddr* from, PhysAddr* to) -> Status {
    for (usize i = 0; i < n; i++) {
      if (from[i] == PhysAddr{}) continue;
      void* p = mm::get_pages(0, false);
      if (p == nullptr) return Err::NoMem;
      memcpy(p, pa_to_kva<void>(from[i]), kPage);
      to[i] = kva_to_pa(p);
    }
    return kOk;
  });
}

Status pmo_write(Pmo* pmo, usize offset, const void* src, usize len) {
  // Physical PMOs may be read-only kernel memory (the ramdisk).
  if (pmo->kind == PmoType::Physical) return Err::Inval;
  const u8* s = static_cast<const u8*>(src);
  return pmo_for_range(pmo, offset, len, [&](u8* p, usize n) -> Status {
    memcpy(p, s, n);
    s += n;
    return kOk;
  });
}

Status pmo_read(Pmo* pmo, usize offset, void* dst, usize len) {
  u8* d = static_cast<u8*>(dst);
  return pmo_for_range(
      pmo, offset, len,
      [&](u8* p, usize n) -> Status {
        memcpy(d, p, n);
        d += n;
        return kOk;
      },
      false);
}

Status pmo_zero(Pmo* pmo, usize offset, usize len) {
  if (pmo_is_fixed(pmo)) return Err::Inval;
  if (offset > pmo->size || len > pmo->size - offset) return Err::Inval;
  while (len > 0) {
    usize in_page = offset % kPage;
    usize chunk = kern::min(len, kPage - in_page);
    Result<PhysAddr> pa = pmo_page(pmo, offset, false);
    if (pa.ok()) memset(pa_to_kva<u8>(pa.value()) + in_page, 0, chunk);
    offset += chunk;
    len -= chunk;
  }
  return kOk;
}

}  // namespace kern
