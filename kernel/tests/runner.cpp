// The test image's main: runs the selected in-kernel tests and reports to the
// harness through the console and the semihosting exit code.
#include "arch/aarch64/semihosting.h"
#include "init/image.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "tests/ktest.h"

using namespace kern;

extern "C" const ktest::Test __ktests_start[], __ktests_end[];

// A test is selected by its full name, by its group ("syscall" selects
// "syscall.*"), or by an empty selection.
static bool selected(const char* name, const char* sel) {
  if (sel[0] == '\0' || (sel[0] == 'a' && sel[1] == 'l' && sel[2] == 'l' && sel[3] == '\0'))
    return true;
  usize i = 0;
  for (; sel[i] != '\0'; i++)
    if (name[i] != sel[i]) return false;
  return name[i] == '\0' || name[i] == '.';
}

void image_main() {
  char sel[128];
  if (!semihosting::get_cmdline(sel, sizeof(sel))) sel[0] = '\0';
  // QEMU may prefix the kernel's file name; the selection is the last word.
  const char* s = sel;
  for (const char* p = sel; *p; p++)
    if (*p == ' ') s = p + 1;

  u32 passed = 0, failed = 0;
  for (const ktest::Test* t = __ktests_start; t < __ktests_end; t++) {
    if (!selected(t->name, s)) continue;
    ktest::Result r;
    t->fn(r);
    if (r.failed) {
      printk("[FAIL] %s: %s\n", t->name, r.why);
      failed++;
    } else {
      printk("[PASS] %s\n", t->name);
      passed++;
    }
  }
  if (passed + failed == 0) printk("no test matches '%s'\n", s);
  printk("%u passed, %u failed\n", passed, failed);
  semihosting::exit(failed == 0 && passed > 0 ? 0 : 1);
}

void kern::system_halt(int code) { semihosting::exit(code); }
