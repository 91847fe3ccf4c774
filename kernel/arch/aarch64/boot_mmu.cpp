// The boot page tables: enough mapping to run the kernel in the upper half
// with caches on. mm/ replaces them with the real kernel address space.
//
// This runs with the MMU off at the physical load address, before .bss is
// cleared: it may only use PC-relative addressing (the default small code
// model does), aligned accesses (device-memory semantics apply), and data
// that it initialises itself.
#include "arch/aarch64/pte.h"
#include "arch/aarch64/sysreg.h"
#include "boot_map.h"  // platform/<plat>/: kBootRegions

using namespace kern;

namespace {
constexpr unsigned kMaxL2Tables = 4;
constexpr u64 kGiB = 1ull << 30, k2MiB = 1ull << 21;
}  // namespace

// One L0 table shared by TTBR0 (identity) and TTBR1 (linear map at
// KERNEL_VA_OFFSET): bits [47:0] of a kernel VA equal the physical address, so
// both halves index the same tables.
extern "C" {
alignas(4096) [[gnu::section(".boot_pt")]] u64 boot_pt_l0[pte::kEntries];
alignas(4096) [[gnu::section(".boot_pt")]] u64 boot_pt_l1[pte::kEntries];
alignas(4096) [[gnu::section(".boot_pt")]] u64 boot_pt_l2[kMaxL2Tables][pte::kEntries];
}

static u64 attrs_for(plat::BootMemType t) {
  u64 a = t == plat::BootMemType::Normal ? pte::kNormal | pte::kUxn : pte::kDevice;
  return a;
}

// The type of the 2 MiB block at `pa`, or Unmapped.
static plat::BootMemType type_at(PhysAddr pa) {
  for (const auto& r : plat::kBootRegions)
    if (pa >= r.start && pa < r.end) return r.type;
  return plat::BootMemType::Unmapped;
}

static void zero_table(u64* t) {
  for (unsigned i = 0; i < pte::kEntries; i++) t[i] = 0;
}

extern "C" [[gnu::section(".text.boot")]] void boot_build_page_tables() {
  zero_table(boot_pt_l0);
  zero_table(boot_pt_l1);
  boot_pt_l0[0] = reinterpret_cast<u64>(boot_pt_l1) | pte::kTable | pte::kValid;

  PhysAddr top{};
  for (const auto& r : plat::kBootRegions) top = r.end > top ? r.end : top;
  unsigned gibs = align_up(top.raw(), kGiB) / kGiB;
  if (gibs > pte::kEntries) gibs = pte::kEntries;

  unsigned l2_used = 0;
  for (unsigned gib = 0; gib < gibs; gib++) {
    PhysAddr base{gib * kGiB};
    // A whole GiB of one type becomes a single 1 GiB block.
    plat::BootMemType first = type_at(base);
    bool uniform = true;
    for (u64 off = k2MiB; off < kGiB; off += k2MiB)
      if (type_at(base + off) != first) { uniform = false; break; }
    if (uniform) {
      if (first != plat::BootMemType::Unmapped)
        boot_pt_l1[gib] = base.raw() | attrs_for(first) | pte::kBlock | pte::kValid;
      continue;
    }
    if (l2_used == kMaxL2Tables) break;  // boot_map.h asks for too much detail
    u64* l2 = boot_pt_l2[l2_used++];
    for (unsigned i = 0; i < pte::kEntries; i++) {
      PhysAddr pa = base + i * k2MiB;
      plat::BootMemType t = type_at(pa);
      l2[i] = t == plat::BootMemType::Unmapped
                  ? 0
                  : pa.raw() | attrs_for(t) | pte::kBlock | pte::kValid;
    }
    boot_pt_l1[gib] = reinterpret_cast<u64>(l2) | pte::kTable | pte::kValid;
  }
  // The walker will read these through the cache once the MMU is on; make
  // sure no stale line shadows what we just wrote to memory.
  arch::dcache_inval(boot_pt_l0, sizeof(boot_pt_l0));
  arch::dcache_inval(boot_pt_l1, sizeof(boot_pt_l1));
  arch::dcache_inval(boot_pt_l2, sizeof(boot_pt_l2));
}
