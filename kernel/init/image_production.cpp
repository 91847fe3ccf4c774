// The production image: boots, runs the process manager (and through it
// /bin/init), then idles. Never uses semihosting.
#include "init/first_process.h"
#include "init/image.h"
#include "lib/panic.h"
#include "lib/printk.h"

extern "C" [[noreturn]] void halt_forever();

// The first and only process the kernel starts: the process manager, which
// starts the system services and /bin/init.
constexpr const char* CHCORE_INIT_PROGRAM = "/sbin/procmgr";

void image_main() {
  const char* argv[] = {CHCORE_INIT_PROGRAM};
  i64 status = kern::run_first_process(argv[0], argv, 1);
  if (status >= 0 && CHCORE_WIFEXITED(status))
    kern::printk("%s exited with status %ld; the system is idle\n", argv[0],
                 CHCORE_WEXITSTATUS(status));
  else
    kern::printk("%s ended (wait status %ld); the system is idle\n", argv[0], status);
  halt_forever();
}

// A real board has no one to report an exit code to: park this CPU with
// interrupts masked. The others are already parked in wfi (see docs/boot.md).
void kern::system_halt(int) { halt_forever(); }
