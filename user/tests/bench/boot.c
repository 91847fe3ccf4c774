/* boot_to_init (./chbuild bench): how long from QEMU's start (the virtual
 * counter starts at 0 with the machine) to the first line of the program
 * procmgr runs, the place of /bin/init: the kernel's boot, procmgr, tmpfs
 * filling / from the ramdisk, fsm, the mounts, loading this program from
 * tmpfs and its C library's start-up. Under -icount one counter
 * nanosecond is one instruction (of all CPUs together).
 *
 * boot_to_shell: the same program run by the console shell's profile as
 * its last command before the first prompt (tests/qemu/bench.py adds
 * /etc/profile.d/bench.sh calling `bench_boot boot_to_shell`): the boot
 * above, /bin/init, the login shell and /etc/profile, and this program's
 * own fork and exec. */
#include <string.h>
#include "bench/bench.h"

int main(int argc, char** argv) {
  unsigned long now = bench_counter();
  bench_report(argc > 1 && strcmp(argv[1], "boot_to_shell") == 0 ? "boot_to_shell"
                                                                  : "boot_to_init",
               now, 1);
  return 0;
}
