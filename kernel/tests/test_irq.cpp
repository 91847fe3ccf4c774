// test_irq(op), test kernels only: raises and lowers the board's test
// interrupt line (plat::test_irq_line), so that user-space tests can check
// that an interrupt reaches a bound notification, stays masked until
// irq_ack, and comes again after it, without a real device.
#include "platform/platform.h"
#include "syscall/syscall.h"
#include "uapi/notify.h"

kern::SysResult kern::sys_test_irq(u64 op) {
  u32 line;
  if (!plat::test_irq_line(&line)) return Err::NoDev;
  switch (op) {
    case CHCORE_TEST_IRQ_LINE:
      return line;
    case CHCORE_TEST_IRQ_RAISE:
      plat::test_irq_set(true);
      return 0;
    case CHCORE_TEST_IRQ_LOWER:
      plat::test_irq_set(false);
      return 0;
    default:
      return Err::Inval;
  }
}
