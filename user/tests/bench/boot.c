/* boot_to_init (./chbuild bench): how long from QEMU's start (the virtual
 * counter starts at 0 with the machine) to the first line of the program
 * procmgr runs, the place of /bin/init: the kernel's boot, procmgr, tmpfs
 * filling / from the ramdisk, fsm, the mounts, loading this program from
 * tmpfs and its C library's start-up. Under -icount one counter
 * nanosecond is one instruction (of all CPUs together). */
#include "bench/bench.h"

int main(void) {
  unsigned long now = bench_counter();
  bench_report("boot_to_init", now, 1);
  return 0;
}
