// Raspberry Pi 3: the BCM2835 system timer at 0x3f003000 (BCM2835 ARM
// Peripherals, chapter 12), used only as the board's test interrupt line
// (plat::test_irq_line): a free-running 1 MHz counter (CLO, the low 32
// bits) and four compare registers; when CLO equals compare n, bit n of the
// status register CS is set and VideoCore interrupt n is asserted until
// software writes that bit back to CS. The GPU uses compares 0 and 2; 1 and
// 3 are the ARM's. The kernel keeps its time with the generic timer and
// uses nothing else of this device.
#include "mm/kmap.h"
#include "platform/common/mmio.h"
#include "platform/platform.h"
#include "platform/raspi3/board.h"

namespace plat {

namespace {
constexpr PhysAddr kSystemTimer{0x3f003000};
constexpr u32 kCs = 0x00;   // status: bit n = compare n matched (write 1 to clear)
constexpr u32 kClo = 0x04;  // counter, low 32 bits (microseconds)
constexpr u32 kC1 = 0x10;   // compare 1
constexpr u32 kMatch1 = 1u << 1;
constexpr u32 kTestGpuIrq = 1;  // VideoCore interrupt of compare 1
// How far ahead a match is programmed: the compare is for equality, so a
// value the counter has already passed would match only after it wraps
// (71 minutes). Checked and retried below.
constexpr u32 kLeadUs = 20;

u64 reg(u32 off) { return kern::pa_to_kva_addr(kSystemTimer).raw() + off; }
}  // namespace

bool test_irq_line(u32* irq) {
  *irq = raspi3::kIrqGpuBase + kTestGpuIrq;
  return true;
}

void test_irq_set(bool asserted) {
  if (!asserted) {
    // A match the raise below programmed and then replaced may still be
    // on its way (QEMU runs the compare's timer on another host thread,
    // so its expiry can land between our read of CS and our new write of
    // C1): moving the compare half the counter's range away cancels it,
    // before the status bit is cleared. Otherwise it could assert the
    // line again after this lower, and the driver's next acknowledge
    // would see a second interrupt for one raise.
    mmio_write32(reg(kC1), mmio_read32(reg(kClo)) + 0x80000000u);
    mmio_write32(reg(kCs), kMatch1);
    return;
  }
  // Program a match a few microseconds ahead, until the counter is seen
  // still short of it after the write: then the match cannot have been
  // missed. (If CS already says matched, the line is asserted anyway.)
  for (;;) {
    u32 target = mmio_read32(reg(kClo)) + kLeadUs;
    mmio_write32(reg(kC1), target);
    if (static_cast<i32>(target - mmio_read32(reg(kClo))) > 0) return;
    if (mmio_read32(reg(kCs)) & kMatch1) return;
  }
}

}  // namespace plat
