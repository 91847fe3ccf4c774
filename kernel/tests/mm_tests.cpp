// Memory management on the real machine: allocators, the MMU, faults.
#include "arch/aarch64/page_table.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/kmap.h"
#include "mm/mm.h"
#include "mm/page.h"
#include "mm/phys.h"
#include "mm/pmo.h"
#include "mm/uaccess.h"
#include "mm/vmspace.h"
#include "tests/ktest.h"
#include "tests/user_space.h"
#include "uapi/errno.h"

using namespace kern;
using mm::kPageSize;

extern "C" {
extern const u8 __kernel_start[], __text_end[], __rodata_end[];
i64 arch_probe_write(void* addr);
}

namespace {
constexpr VirtAddr kAnonVa{0x10000000};
u64 g_data_word = 42;  // something in .data
const u64 g_rodata_word = 7;
}  // namespace

// Free pages with the slab caches' spare empty slabs given back, so that a
// leak check compares like with like.
static usize settled_free_pages() {
  mm::kmalloc_shrink();
  return mm::free_page_count();
}

KTEST(mm, free_memory_accounted) {
  MemStats st = mm_stats();
  u64 free = mm::free_page_count() * kPageSize;
  u64 meta = st.total_bytes / kPageSize * sizeof(mm::Page);
  KEXPECT(free <= st.total_bytes, "free %lu > total %lu", free, st.total_bytes);
  // Only the kernel image, the page metadata and firmware leftovers
  // (device tree, spin table: well under 2 MiB) may be missing.
  u64 image = reinterpret_cast<u64>(__rodata_end) - reinterpret_cast<u64>(__kernel_start);
  KEXPECT(free + meta + image + (4ull << 20) >= st.total_bytes,
          "only %lu of %lu bytes free (metadata %lu)", free, st.total_bytes, meta);
}

KTEST(mm, buddy_exhaustion_and_return) {
  usize start = settled_free_pages();
  const u32 orders[] = {0, 9};
  for (u32 order : orders) {
    // Chain the pages through their own memory: no other allocation needed.
    void* head = nullptr;
    usize got = 0;
    while (void* p = mm::get_pages(order, false)) {
      *static_cast<void**>(p) = head;
      head = p;
      got++;
    }
    KEXPECT(mm::get_pages(order, false) == nullptr, "order %u: allocation after exhaustion", order);
    KEXPECT(got > 0, "order %u: nothing allocated", order);
    while (head != nullptr) {
      void* next = *static_cast<void**>(head);
      mm::put_pages(head);
      head = next;
    }
    KEXPECT(settled_free_pages() == start, "order %u: free count %lu, was %lu", order,
            mm::free_page_count(), start);
  }
  KEXPECT(mm::phys_bad_frees() == 0, "bad frees: %lu", mm::phys_bad_frees());
}

KTEST(mm, kmalloc_classes_and_exhaustion) {
  usize start = settled_free_pages();
  void* objs[64];
  for (usize i = 0; i < 64; i++) {
    usize size = 1 + i * 97;
    objs[i] = mm::kmalloc(size);
    KEXPECT(objs[i] != nullptr, "kmalloc(%lu) failed", size);
    memset(objs[i], static_cast<int>(i), size);
  }
  for (usize i = 0; i < 64; i++) {
    usize size = 1 + i * 97;
    const u8* p = static_cast<const u8*>(objs[i]);
    KEXPECT(p[0] == i && p[size - 1] == i, "object %lu was overwritten", i);
    mm::kfree(objs[i]);
  }
  // Large allocations until exhaustion: a null result, never a panic.
  void* head = nullptr;
  usize n = 0;
  while (void* p = mm::kmalloc(1 << 20)) {
    *static_cast<void**>(p) = head;
    head = p;
    n++;
  }
  KEXPECT(n > 0, "no 1 MiB allocation succeeded");
  while (head != nullptr) {
    void* next = *static_cast<void**>(head);
    mm::kfree(head);
    head = next;
  }
  KEXPECT(mm::kmalloc(0) == nullptr, "kmalloc(0) returned memory");
  mm::kmalloc_shrink();
  KEXPECT(settled_free_pages() == start, "free count %lu, was %lu", mm::free_page_count(), start);
}

KTEST(mm, anonymous_memory_through_the_mmu) {
  usize start = settled_free_pages();
  VmSpace vs;
  KEXPECT(vs.init().ok(), "vmspace init failed");
  Result<Pmo*> pmo = pmo_create(PmoType::Anonymous, 64 * kPageSize);
  KEXPECT(pmo.ok(), "pmo_create failed");
  KEXPECT(vs.map(pmo.value(), kAnonVa, 64 * kPageSize, kVmRead | kVmWrite, 0).ok(), "map failed");
  pmo_put(pmo.value());
  vs.activate();
  usize before_touch = mm::free_page_count();
  // Each copy_to_user first faults a zeroed page in (from EL1, via the fix-up path).
  for (u64 i = 0; i < 64; i++) {
    u64 v = i * 0x1234567;
    KEXPECT(copy_to_user(kAnonVa + i * kPageSize + 8, &v, sizeof(v)).ok(), "write page %lu", i);
  }
  KEXPECT(before_touch - mm::free_page_count() >= 64, "only %lu pages allocated",
          before_touch - mm::free_page_count());
  for (u64 i = 0; i < 64; i++) {
    u64 v = 0, zero = 1;
    KEXPECT(copy_from_user(&v, kAnonVa + i * kPageSize + 8, sizeof(v)).ok(), "read page %lu", i);
    KEXPECT(copy_from_user(&zero, kAnonVa + i * kPageSize, sizeof(zero)).ok(), "read page %lu", i);
    KEXPECT(v == i * 0x1234567 && zero == 0, "page %lu holds 0x%lx / 0x%lx", i, v, zero);
  }
  PhysAddr pa;
  u32 perm;
  KEXPECT(vs.query(kAnonVa, &pa, &perm).ok(), "page not mapped after touch");
  KEXPECT((perm & kVmUser) && (perm & kVmWrite) && !(perm & kVmExec), "perm 0x%x", perm);
  KEXPECT(vs.unmap(kAnonVa, 32 * kPageSize).ok(), "unmap failed");
  u64 v;
  KEXPECT(!copy_from_user(&v, kAnonVa, sizeof(v)).ok(), "unmapped page still readable");
  KEXPECT(copy_from_user(&v, kAnonVa + 40 * kPageSize + 8, sizeof(v)).ok() && v == 40 * 0x1234567,
          "the other half lost its data");
  vs.destroy();
  KEXPECT(settled_free_pages() == start, "leaked %ld pages",
          static_cast<long>(start) - static_cast<long>(settled_free_pages()));
}

KTEST(mm, el0_touches_anonymous_pages) {
  usize start = settled_free_pages();
  u64 detail = 0;
  i64 code = ktest::run_el0_stub(2, &detail, kAnonVa.raw(), [](VmSpace& vs) {
    Result<Pmo*> pmo = pmo_create(PmoType::Anonymous, 16 * kPageSize);
    if (!pmo.ok()) return;
    (void)vs.map(pmo.value(), kAnonVa, 16 * kPageSize, kVmRead | kVmWrite, 0);
    pmo_put(pmo.value());
  });
  KEXPECT(code == 0, "EL0 stub: code %ld detail 0x%lx", code, detail);
  KEXPECT(detail == 16, "touched %lu pages", detail);
  KEXPECT(settled_free_pages() == start, "leaked %ld pages",
          static_cast<long>(start) - static_cast<long>(settled_free_pages()));
}

KTEST(mm, bad_user_accesses_are_killed) {
  usize start = settled_free_pages();
  struct {
    u64 mode;
    const char* what;
  } cases[] = {{3, "write to read-only code"}, {4, "read of NULL"}, {5, "execute from the stack"}};
  for (auto& c : cases) {
    u64 detail = 0;
    i64 code = ktest::run_el0_stub(c.mode, &detail);
    KEXPECT(code == -CHCORE_EFAULT, "%s: not stopped (code %ld)", c.what, code);
  }
  KEXPECT(settled_free_pages() == start, "leaked pages");
}

KTEST(mm, copy_from_user_rejects_bad_ranges) {
  u8 buf[32];
  // Nothing mapped in TTBR0 at all.
  KEXPECT(copy_from_user(buf, VirtAddr{0x1000}, 16).error() == Err::Fault, "unmapped address");
  KEXPECT(copy_from_user(buf, VirtAddr{0}, 16).error() == Err::Fault, "NULL");
  KEXPECT(copy_to_user(VirtAddr{0x1000}, buf, 16).error() == Err::Fault, "unmapped destination");
  // Kernel addresses and wrapping ranges never reach the copy routine.
  KEXPECT(
      copy_from_user(buf, VirtAddr{reinterpret_cast<u64>(&g_data_word)}, 8).error() == Err::Fault,
      "kernel address accepted");
  KEXPECT(copy_from_user(buf, VirtAddr::max() - 4, 16).error() == Err::Fault, "wrapping range");
  KEXPECT(copy_from_user(buf, kUserTop - 8, 16).error() == Err::Fault, "range past user space");
  char s[16];
  KEXPECT(strncpy_from_user(s, VirtAddr{0x2000}, sizeof(s)).error() == Err::Fault,
          "strncpy unmapped");

  // A range whose tail is unmapped fails part-way: -EFAULT, and we carry on.
  VmSpace vs;
  KEXPECT(vs.init().ok(), "vmspace init failed");
  Result<Pmo*> pmo = pmo_create(PmoType::Anonymous, kPageSize);
  KEXPECT(pmo.ok(), "pmo_create");
  KEXPECT(vs.map(pmo.value(), kAnonVa, kPageSize, kVmRead | kVmWrite, 0).ok(), "map");
  pmo_put(pmo.value());
  vs.activate();
  const char msg[] = "hello";
  KEXPECT(copy_to_user(kAnonVa + kPageSize - 6, msg, 6).ok(), "copy into the page");
  KEXPECT(copy_from_user(buf, kAnonVa + kPageSize - 8, 16).error() == Err::Fault, "tail unmapped");
  Result<usize> n = strncpy_from_user(s, kAnonVa + kPageSize - 6, sizeof(s));
  KEXPECT(n.ok() && n.value() == 5 && s[4] == 'o', "strncpy_from_user of a good string");
  vs.destroy();
}

KTEST(mm, kernel_image_is_w_xor_x) {
  PageTable& pt = kernel_page_table();
  PhysAddr pa;
  u32 perm;
  usize size;
  KEXPECT(pt.query(VirtAddr{reinterpret_cast<u64>(&arch_probe_write)}, &pa, &perm, &size).ok(),
          "text");
  KEXPECT((perm & kVmExec) && !(perm & kVmWrite) && !(perm & kVmUser), "text perm 0x%x", perm);
  KEXPECT(pt.query(VirtAddr{reinterpret_cast<u64>(&g_rodata_word)}, &pa, &perm, &size).ok(),
          "rodata");
  KEXPECT(!(perm & kVmExec) && !(perm & kVmWrite), "rodata perm 0x%x", perm);
  KEXPECT(pt.query(VirtAddr{reinterpret_cast<u64>(&g_data_word)}, &pa, &perm, &size).ok(), "data");
  KEXPECT(!(perm & kVmExec) && (perm & kVmWrite), "data perm 0x%x", perm);
  // Writes really fault (through the fix-up, so the kernel goes on).
  KEXPECT(arch_probe_write(reinterpret_cast<void*>(&arch_probe_write)) == -CHCORE_EFAULT,
          "kernel text is writable");
  KEXPECT(arch_probe_write(const_cast<u64*>(&g_rodata_word)) == -CHCORE_EFAULT,
          "kernel rodata is writable");
  KEXPECT(arch_probe_write(&g_data_word) == 0, "kernel data is not writable");
  // Free RAM is mapped, but never executable.
  void* page = mm::get_pages(0, false);
  KEXPECT(page != nullptr, "no page");
  KEXPECT(
      pt.query(VirtAddr{reinterpret_cast<u64>(page)}, &pa, &perm, &size).ok() && !(perm & kVmExec),
      "linear map executable");
  mm::put_pages(page);
}

KTEST(mm, shared_pmo_between_two_spaces) {
  usize start = settled_free_pages();
  VmSpace a, b;
  KEXPECT(a.init().ok() && b.init().ok(), "init");
  Result<Pmo*> pmo = pmo_create(PmoType::Shared, 4 * kPageSize);
  KEXPECT(pmo.ok(), "pmo_create");
  KEXPECT(a.map(pmo.value(), kAnonVa, 4 * kPageSize, kVmRead | kVmWrite, 0).ok(), "map a");
  KEXPECT(b.map(pmo.value(), kAnonVa + 0x100000, 4 * kPageSize, kVmRead, 0).ok(), "map b");
  pmo_put(pmo.value());
  a.activate();
  u64 v = 0xfeedface;
  KEXPECT(copy_to_user(kAnonVa + 2 * kPageSize, &v, 8).ok(), "write through a");
  KEXPECT(a.unmap(kAnonVa, 4 * kPageSize).ok(), "unmap a");
  b.activate();
  u64 r = 0;
  KEXPECT(copy_from_user(&r, kAnonVa + 0x100000 + 2 * kPageSize, 8).ok() && r == v,
          "b sees 0x%lx", r);
  KEXPECT(copy_to_user(kAnonVa + 0x100000, &v, 8).error() == Err::Fault, "b's read-only mapping written");
  a.destroy();
  b.destroy();
  KEXPECT(settled_free_pages() == start, "shared pages leaked");
}

// What file mappings rest on (docs/mmap.md): part of a Shared PMO mapped
// at an offset shows that part; a futex word in it has one key, the PMO
// and the offset, whichever space maps it and where; zeroing a range of
// the PMO clears the pages it has and allocates none.
KTEST(mm, shared_pmo_parts_keys_and_zero) {
  usize start = settled_free_pages();
  VmSpace a, b;
  KEXPECT(a.init().ok() && b.init().ok(), "init");
  Result<Pmo*> pmo = pmo_create(PmoType::Shared, 8 * kPageSize);
  KEXPECT(pmo.ok(), "pmo_create");
  Pmo* p = pmo.value();
  KEXPECT(a.map(p, kAnonVa, 8 * kPageSize, kVmRead | kVmWrite, 0).ok(), "map a");
  // b maps pages 2..3 of it.
  KEXPECT(b.map(p, kAnonVa + 0x100000, 2 * kPageSize, kVmRead | kVmWrite, 2 * kPageSize).ok(),
          "map b at an offset");
  KEXPECT(b.map(p, kAnonVa + 0x200000, 2 * kPageSize, kVmRead, 7 * kPageSize).error() == Err::Inval,
          "a part past the end refused");
  a.activate();
  u64 v = 0x1234;
  KEXPECT(copy_to_user(kAnonVa + 2 * kPageSize + 8, &v, 8).ok(), "write through a");
  b.activate();
  u64 r = 0;
  KEXPECT(copy_from_user(&r, kAnonVa + 0x100000 + 8, 8).ok() && r == v, "b sees 0x%lx", r);
  const void* ka = nullptr;
  const void* kb = nullptr;
  u64 oa = 0, ob = 1;
  KEXPECT(a.shared_key(kAnonVa + 2 * kPageSize + 8, &ka, &oa), "a's key");
  KEXPECT(b.shared_key(kAnonVa + 0x100000 + 8, &kb, &ob), "b's key");
  KEXPECT(ka == p && kb == p && oa == 2 * kPageSize + 8 && ob == oa, "keys differ: %lu %lu", oa,
          ob);
  KEXPECT(!b.shared_key(kAnonVa, &kb, &ob), "a key where nothing is mapped");
  // Zeroing: pages 0-1 untouched (none allocated), page 2 cleared.
  usize before = mm::free_page_count();
  KEXPECT(pmo_zero(p, 0, 3 * kPageSize).ok(), "pmo_zero");
  KEXPECT(mm::free_page_count() == before, "pmo_zero allocated pages");
  KEXPECT(copy_from_user(&r, kAnonVa + 0x100000 + 8, 8).ok() && r == 0, "not zeroed: 0x%lx", r);
  KEXPECT(pmo_zero(p, 8 * kPageSize, 1).error() == Err::Inval, "past the end");
  KEXPECT(pmo_zero(p, ~usize{0}, 2).error() == Err::Inval, "wrapping");
  pmo_put(p);
  a.destroy();
  b.destroy();
  KEXPECT(settled_free_pages() == start, "pages leaked");
}
