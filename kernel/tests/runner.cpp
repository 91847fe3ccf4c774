// The test image's main: runs the selected in-kernel tests and reports to the
// harness through the console and the semihosting exit code.
#include "arch/aarch64/semihosting.h"
#include "init/first_process.h"
#include "init/image.h"
#include "lib/cmdline.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "tests/ktest.h"
#include "uapi/object.h"

using namespace kern;

extern "C" const ktest::Test __ktests_start[], __ktests_end[];

static bool same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) a++, b++;
  return *a == *b;
}

// A test is selected by its full name, by its group ("syscall" selects
// "syscall.*"), or by an empty selection or "all".
static bool selected(const char* name, const char* sel) {
  if (sel[0] == '\0' || same(sel, "all")) return true;
  usize i = 0;
  for (; sel[i] != '\0'; i++)
    if (name[i] != sel[i]) return false;
  return name[i] == '\0' || name[i] == '.';
}

// The first process: the process manager (user/system-services/procmgr).
constexpr const char* kProcmgr = "/sbin/procmgr";

// "exec /path arg...": run one program (through procmgr) and end QEMU
// with its exit status (./chbuild exec and the user.* tests). The words are
// shell-quoted (lib/cmdline.h), so an argument may hold spaces, quotes,
// leading dashes or nothing at all.
[[noreturn]] static void exec_program(char* cmd) {
  // Room for every word of the 2 KiB command line (a word takes at least a
  // character and a separator). The loader takes as many arguments as fit
  // in CHCORE_ARG_MAX and refuses (E2BIG) what does not, never cutting any.
  constexpr u32 kMaxArgs = 1024;
  static char* words[kMaxArgs];
  CmdlineWords split = split_cmdline(cmd, words, kMaxArgs);
  if (split.error == CmdlineError::kUnterminated) {
    printk("exec: unbalanced quote or final backslash in the command line\n");
    semihosting::exit(127);
  }
  if (split.error == CmdlineError::kTooManyWords) {
    printk("exec: more than %u words (the program and its arguments)\n", kMaxArgs);
    semihosting::exit(127);
  }
  u32 argc = split.count;
  if (argc == 0) {
    printk("exec: no program given\n");
    semihosting::exit(127);
  }
  // The kernel starts the process manager only; it runs the program (its
  // arguments) after the system services and exits with the program's
  // status, as a shell reports it (the code, or 128 + signal).
  static const char* argv[kMaxArgs + 1];
  argv[0] = kProcmgr;
  for (u32 i = 0; i < argc; i++) argv[i + 1] = words[i];
  i64 status = run_first_process(kProcmgr, argv, argc + 1);
  if (status < 0) semihosting::exit(127);  // could not start
  if (CHCORE_WIFEXITED(status)) {
    printk("[exec] %s exited with status %ld\n", words[0], CHCORE_WEXITSTATUS(status));
    semihosting::exit(static_cast<int>(CHCORE_WEXITSTATUS(status)));
  }
  printk("[exec] %s was killed (signal %ld)\n", kProcmgr, CHCORE_WTERMSIG(status));
  semihosting::exit(128 + static_cast<int>(CHCORE_WTERMSIG(status)));
}

void image_main() {
  // Room for `./chbuild exec` with long arguments. QEMU refuses to return
  // a command line that does not fit, so nothing is cut silently.
  static char sel[2048];
  if (!semihosting::get_cmdline(sel, sizeof(sel))) {
    printk("semihosting: no command line (longer than %lu bytes?)\n", sizeof(sel) - 1);
    semihosting::exit(127);
  }
  if (sel[0] == 'e' && sel[1] == 'x' && sel[2] == 'e' && sel[3] == 'c' && sel[4] == ' ')
    exec_program(sel + 5);
  // QEMU may prefix the kernel's file name; the selection is the last word.
  const char* s = sel;
  for (const char* p = sel; *p; p++)
    if (*p == ' ') s = p + 1;

  // "list": name every test compiled in, without running any. The suite's
  // ktest.all_registered check (tests/qemu/ktest_all_ran.py) compares this
  // with the tests registered in tests/qemu/CMakeLists.txt.
  if (same(s, "list")) {
    for (const ktest::Test* t = __ktests_start; t < __ktests_end; t++)
      printk("[LIST] %s\n", t->name);
    printk("ktest: %ld tests compiled in\n", __ktests_end - __ktests_start);
    semihosting::exit(0);
  }

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
