// From the boot mapping to the kernel's real address space.
#include "arch/aarch64/page_table.h"
#include "arch/aarch64/sysreg.h"
#include "boot_map.h"  // platform/<board>/: kDeviceRegions
#include "lib/panic.h"
#include "lib/printk.h"
#include "mm/kernel_pt_env.h"
#include "mm/kmap.h"
#include "mm/mm.h"
#include "mm/phys.h"
#include "platform/platform.h"

extern "C" {
extern const u8 __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];
// head.S: runs from its physical (identity-mapped) address.
void mmu_switch_ttbr1(PhysAddr root);
}

namespace kern {

namespace {
constexpr u64 kPage = 4096;

PageTable g_kernel_pt;
// TTBR0 while no user address space is active: nothing is mapped, so a stray
// access to a low address (a NULL pointer) faults.
alignas(4096) u64 g_empty_ttbr0[512];
MemStats g_stats;

struct Range {
  PhysAddr base, end;
};

// Calls fn(base, end) for each part of [base, end) outside all `holes`
// (which need not be sorted).
template <typename Fn>
void for_each_outside(PhysAddr base, PhysAddr end, const Range* holes, u32 n, Fn fn) {
  while (base < end) {
    // The first hole overlapping what is left.
    const Range* first = nullptr;
    for (u32 i = 0; i < n; i++)
      if (holes[i].end > base && holes[i].base < end && (!first || holes[i].base < first->base))
        first = &holes[i];
    if (first == nullptr) {
      fn(base, end);
      return;
    }
    if (first->base > base) fn(base, first->base);
    base = first->end;
  }
}

void map_or_panic(VirtAddr va, PhysAddr pa, u64 size, u32 perm, const char* what) {
  if (size == 0) return;
  Status s = g_kernel_pt.map(va, pa, size, perm);
  if (!s.ok())
    panic("mm: cannot map %s [0x%lx, 0x%lx): error %d", what, pa.raw(), (pa + size).raw(),
          static_cast<int>(s.error()));
}

void install_kernel_tables() {
  // Switch TTBR1 while executing from the identity map, so no TLB entry of
  // the old and the new tables for the same address can meet (head.S).
  auto switch_fn = reinterpret_cast<void (*)(PhysAddr)>(
      kva_to_pa(reinterpret_cast<const void*>(&mmu_switch_ttbr1)).raw());
  switch_fn(g_kernel_pt.root());
  write_sysreg(ttbr0_el1, kva_to_pa(g_empty_ttbr0).raw());
  arch::isb();
  asm volatile("tlbi vmalle1; dsb nsh; isb" ::: "memory");
}
}  // namespace

PageTable& kernel_page_table() { return g_kernel_pt; }
PhysAddr empty_ttbr0() { return kva_to_pa(g_empty_ttbr0); }
MemStats mm_stats() { return g_stats; }

void mm_init(const plat::MachineInfo& mi) {
  PhysAddr kstart = kva_to_pa(__kernel_start), kend = kva_to_pa(__kernel_end);
  Range holes[plat::MachineInfo::kMaxReserved + 1];
  u32 nholes = 0;
  holes[nholes++] = {kstart, kend};
  for (u32 i = 0; i < mi.reserved_count; i++)
    holes[nholes++] = {align_down(mi.reserved[i].base, kPage),
                       align_up(mi.reserved[i].base + mi.reserved[i].size, kPage)};

  // 1. Physical memory: every RAM range minus the holes.
  for (u32 i = 0; i < mi.mem_count; i++) {
    PhysAddr b = align_up(mi.mem[i].base, kPage);
    PhysAddr e = align_down(mi.mem[i].base + mi.mem[i].size, kPage);
    for_each_outside(b, e, holes, nholes,
                     [](PhysAddr rb, PhysAddr re) { mm::phys_add_region(rb, re - rb); });
  }
  g_stats.total_bytes = mi.total_mem();
  g_stats.reserved_bytes = g_stats.total_bytes - mm::free_page_count() * kPage;

  // 2. The kernel page table: a linear map of RAM, read-write and never
  // executable, except the kernel image itself, which is W^X by section.
  if (!g_kernel_pt.init(kernel_pt_env(), 0, true).ok()) panic("mm: no memory for the kernel page table");
  Range image[1] = {{kstart, kend}};
  for (u32 i = 0; i < mi.mem_count; i++) {
    PhysAddr b = align_up(mi.mem[i].base, kPage);
    PhysAddr e = align_down(mi.mem[i].base + mi.mem[i].size, kPage);
    for_each_outside(b, e, image, 1, [](PhysAddr rb, PhysAddr re) {
      map_or_panic(pa_to_kva_addr(rb), rb, re - rb, kVmRead | kVmWrite, "RAM");
    });
  }
  auto map_kernel = [](const u8* s, const u8* e, u32 perm, const char* what) {
    map_or_panic(VirtAddr{reinterpret_cast<u64>(s)}, kva_to_pa(s), e - s, perm, what);
  };
  map_kernel(__kernel_start, __text_end, kVmRead | kVmExec, "kernel text");
  map_kernel(__text_end, __rodata_end, kVmRead, "kernel rodata");
  map_kernel(__rodata_end, __kernel_end, kVmRead | kVmWrite, "kernel data");
  for (const auto& d : plat::kDeviceRegions)
    map_or_panic(pa_to_kva_addr(d.start), d.start, d.end - d.start, kVmRead | kVmWrite | kVmDevice,
                 "device region");

  install_kernel_tables();
  printk("mm: %lu MiB free, %lu KiB reserved (kernel image %lu KiB)\n",
         mm::free_page_count() * kPage >> 20, g_stats.reserved_bytes >> 10, (kend - kstart) >> 10);
}

void mm_init_secondary() { install_kernel_tables(); }

}  // namespace kern
