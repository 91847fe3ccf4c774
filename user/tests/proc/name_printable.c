/* proc.name_printable: a process name reaches the console only as
 * printable ASCII.
 *
 * Found by the system-call fuzzer: create_cap_group took any bytes as the
 * name, and the kernel prints it when it kills the process ("process NAME
 * (pid N) killed: ..."), so a name could end that line and start another
 * (a forged "KERNEL PANIC:" line fails the harness), or send escape
 * sequences to the terminal. The kernel now keeps such bytes as '?'.
 *
 * This program names a process "bad\nname\x1b[2J\x80", gives it a thread
 * that faults at once, and waits for it; the QEMU test checks the kernel's
 * line (tests/qemu/CMakeLists.txt). */
#define UT_SUITE "proc"
#include <chcore/syscall.h>
#include <chcore/thread.h>

#include "../utest.h"

int main(void) {
  static const char name[] = "bad\nname\x1b[2J\x80";
  long cg = UT_OK("name_printable.create",
                  chcore_sys_create_cap_group((unsigned long)name, sizeof(name) - 1, 0));
  if (cg < 0) return ut_finish();
  /* Nothing is mapped in the new process: its thread faults at its entry. */
  long t = UT_OK("name_printable.thread", chcore_sys_create_thread(cg, 0x10000, 0, 0, 0, 0));
  if (t >= 0) chcore_cap_release(t);
  long status = chcore_sys_wait_cap_group(cg);
  UT_EQ("name_printable.killed", CHCORE_WTERMSIG(status), CHCORE_SIGSEGV);
  chcore_cap_release(cg);
  return ut_finish();
}
