// QEMU virt: the interrupt controller is a GICv2 (the default, `-M virt`) or
// a GICv3 (`-M virt,gic-version=3`); the device tree says which and where.
// IPIs are SGIs 0-2, one per IpiKind.
#include "arch/aarch64/per_cpu.h"
#include "lib/panic.h"
#include "mm/kmap.h"
#include "platform/common/gicv2.h"
#include "platform/common/gicv3.h"
#include "platform/platform.h"
#include "platform/qemu-virt/board.h"

namespace plat {

namespace {
enum class GicKind : u8 { None, V2, V3 };

GicKind g_kind = GicKind::None;
GicV2 g_gicv2;
GicV3 g_gicv3;
// Physical addresses from the device tree, mapped once mm/ is up.
PhysAddr g_gicd, g_gicc;
struct PhysRegion {
  PhysAddr base;
  u64 size;
} g_redist[GicV3::kMaxRedistRegions];
u32 g_redist_count;
u64 g_redist_stride;
// The EL1 virtual timer is PPI 11 (INTID 27) on every SBSA-style board,
// QEMU virt included; the device tree's /timer node confirms or overrides it.
u32 g_timer_irq = 27;

constexpr u32 kFirstPpi = 16;
constexpr u32 kFirstSpi = 32;

u32 be32(const void* p, u32 index) { return __builtin_bswap32(static_cast<const u32*>(p)[index]); }

u32 this_cpu_id() { return static_cast<u32>(kern::this_cpu()->cpu_id); }

// The /timer node (compatible "arm,armv8-timer") lists four interrupts in
// the GIC's three-cell format <type number flags>: secure physical,
// non-secure physical, virtual, hypervisor. Type 1 is a PPI.
void find_timer_irq(const kern::fdt::Tree& tree) {
  i32 node;
  const void* data;
  u32 len;
  if (tree.find_compatible("arm,armv8-timer", &node) != kern::fdt::Error::Ok) return;
  if (tree.get_prop(node, "interrupts", &data, &len) != kern::fdt::Error::Ok) return;
  constexpr u32 kCells = 3, kVirtual = 2;
  if (len < (kVirtual + 1) * kCells * 4) return;
  u32 type = be32(data, kVirtual * kCells), number = be32(data, kVirtual * kCells + 1);
  if (type == 1 && number < 16) g_timer_irq = kFirstPpi + number;
}

bool mapped_reg(const kern::fdt::Tree& tree, i32 node, u32 index, PhysAddr* base, u64* size) {
  u64 addr;
  if (tree.reg(node, index, &addr, size) != kern::fdt::Error::Ok) return false;
  *base = PhysAddr{addr};
  return virt::in_device_map(*base, *size);
}
}  // namespace

bool virt::irq_discover(const kern::fdt::Tree& tree, const char** why) {
  i32 node;
  u64 size;
  if (tree.find_compatible("arm,gic-v3", &node) == kern::fdt::Error::Ok) {
    // reg: the distributor, then #redistributor-regions redistributor ranges.
    u32 regions = 1;
    (void)tree.get_u32(node, "#redistributor-regions", &regions);
    if (regions == 0 || regions > GicV3::kMaxRedistRegions || !mapped_reg(tree, node, 0, &g_gicd, &size)) {
      *why = "GICv3 node: bad distributor or redistributor regions";
      return false;
    }
    for (u32 i = 0; i < regions; i++) {
      if (!mapped_reg(tree, node, 1 + i, &g_redist[i].base, &g_redist[i].size)) {
        *why = "GICv3 redistributor region outside the device map";
        return false;
      }
    }
    g_redist_count = regions;
    const void* data;
    u32 len;
    if (tree.get_prop(node, "redistributor-stride", &data, &len) == kern::fdt::Error::Ok && len == 8)
      g_redist_stride = (static_cast<u64>(be32(data, 0)) << 32) | be32(data, 1);
    g_kind = GicKind::V3;
  } else if (tree.find_compatible("arm,cortex-a15-gic", &node) == kern::fdt::Error::Ok ||
             tree.find_compatible("arm,gic-400", &node) == kern::fdt::Error::Ok) {
    // reg: the distributor, then the CPU interface (then GICH/GICV, unused).
    if (!mapped_reg(tree, node, 0, &g_gicd, &size) || !mapped_reg(tree, node, 1, &g_gicc, &size)) {
      *why = "GICv2 node: bad distributor or CPU interface region";
      return false;
    }
    g_kind = GicKind::V2;
  } else {
    *why = "device tree has no GICv2 or GICv3 interrupt controller";
    return false;
  }
  find_timer_irq(tree);
  return true;
}

void irq_init_boot() {
  if (g_kind == GicKind::V2) {
    g_gicv2.init(kern::pa_to_kva_addr(g_gicd).raw(), kern::pa_to_kva_addr(g_gicc).raw());
    g_gicv2.init_boot();
  } else {
    GicV3::Region rd[GicV3::kMaxRedistRegions];
    for (u32 i = 0; i < g_redist_count; i++)
      rd[i] = {kern::pa_to_kva_addr(g_redist[i].base).raw(), g_redist[i].size};
    g_gicv3.init(kern::pa_to_kva_addr(g_gicd).raw(), rd, g_redist_count, g_redist_stride);
    g_gicv3.init_boot(kern::this_cpu()->mpidr);
  }
}

void irq_init_this_cpu() {
  u32 cpu = this_cpu_id();
  if (g_kind == GicKind::V2) {
    g_gicv2.init_this_cpu(cpu);
  } else if (!g_gicv3.init_this_cpu(cpu, kern::this_cpu()->mpidr)) {
    kern::panic("GICv3: no redistributor or no system-register interface for CPU %u (MPIDR 0x%lx)",
                cpu, kern::this_cpu()->mpidr);
  }
}

u32 irq_ack() { return g_kind == GicKind::V2 ? g_gicv2.ack(this_cpu_id()) : g_gicv3.ack(); }

void irq_eoi(u32 irq) {
  if (g_kind == GicKind::V2)
    g_gicv2.eoi(this_cpu_id(), irq);
  else
    g_gicv3.eoi(irq);
}

void irq_enable(u32 irq) {
  if (g_kind == GicKind::V2)
    g_gicv2.enable(irq);
  else
    g_gicv3.enable(this_cpu_id(), irq);
}

void irq_disable(u32 irq) {
  if (g_kind == GicKind::V2)
    g_gicv2.disable(irq);
  else
    g_gicv3.disable(this_cpu_id(), irq);
}

u32 timer_irq() { return g_timer_irq; }

namespace {
u32 gic_lines() { return g_kind == GicKind::V2 ? g_gicv2.lines() : g_gicv3.lines(); }
}  // namespace

bool irq_is_device_line(u32 irq) { return irq >= kFirstSpi && irq < gic_lines(); }

// QEMU wires its devices to the low SPIs (virt.c: the UART is SPI 1, the
// virtio-mmio transports 16-47, the platform bus from 112 on); the last one
// the distributor has is free.
bool test_irq_line(u32* irq) {
  if (gic_lines() <= kFirstSpi) return false;
  *irq = gic_lines() - 1;
  return true;
}

void test_irq_set(bool asserted) {
  u32 irq;
  if (!test_irq_line(&irq)) return;
  if (g_kind == GicKind::V2)
    g_gicv2.set_pending(irq, asserted);
  else
    g_gicv3.set_pending(irq, asserted);
}

// SGI n is IpiKind n.
bool irq_to_ipi(u32 irq, IpiKind* kind) {
  if (irq >= kIpiKinds) return false;
  *kind = static_cast<IpiKind>(irq);
  return true;
}

void ipi_send(u32 cpu, IpiKind kind) {
  u32 sgi = static_cast<u32>(kind);
  if (g_kind == GicKind::V2)
    g_gicv2.send_sgi(this_cpu_id(), cpu, sgi);
  else
    g_gicv3.send_sgi(kern::g_per_cpu[cpu].mpidr, sgi);
}

static_assert(kIpiKinds <= 16, "IPIs are SGIs 0-15");
static_assert(kFirstSpi <= kMaxIrqs);

}  // namespace plat
