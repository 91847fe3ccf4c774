/* system.poweroff, system.reboot: reboot(2) stops or restarts the machine
 * (QEMU ends: it runs with -no-reboot), after its bad arguments were
 * refused.
 *
 *   power off | reboot */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>
#define UT_SUITE "power"
#include "utest.h"

int main(int argc, char** argv) {
  int reboot_it = argc > 1 && strcmp(argv[1], "reboot") == 0;
  UT_TRUE("bad_magic", syscall(SYS_reboot, 0x12345678, 672274793, RB_POWER_OFF, 0) < 0 &&
                           errno == EINVAL);
  UT_TRUE("bad_command", syscall(SYS_reboot, 0xfee1dead, 672274793, 0x777, 0) < 0 &&
                             errno == EINVAL);
  UT_EQ("ctrl_alt_del_on", reboot(RB_ENABLE_CAD), 0);
  UT_EQ("ctrl_alt_del_off", reboot(RB_DISABLE_CAD), 0);
  int failed = ut_finish();
  fflush(stdout);
  if (failed) return failed;
  reboot(reboot_it ? RB_AUTOBOOT : RB_POWER_OFF);
  printf("[FAIL] power.still_running: %s\n", strerror(errno));
  return 1;
}
