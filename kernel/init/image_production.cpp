// The production image: boots, then idles (user space arrives with the
// processes issue). Never uses semihosting.
#include "init/image.h"
#include "lib/panic.h"
#include "lib/printk.h"

extern "C" [[noreturn]] void halt_forever();

void image_main() {
  kern::printk("boot complete; no user space yet, idling\n");
  halt_forever();
}

// A real board has no one to report an exit code to: park this CPU with
// interrupts masked. The others are already parked in wfi (see docs/boot.md).
void kern::system_halt(int) { halt_forever(); }
