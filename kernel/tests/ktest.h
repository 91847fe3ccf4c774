// In-kernel tests, run by the test image (ktest.img).
//
//   KTEST(syscall, el0_svc) { ...; KEXPECT(x == 1, "x is %d", x); }
//
// registers "syscall.el0_svc". The QEMU harness selects tests through the
// semihosting command line (a full name, a group such as "syscall", or
// nothing for all); the runner prints "[PASS] name" or "[FAIL] name: why"
// and ends with "N passed, M failed". The command line "list" prints
// "[LIST] name" for every test instead of running them.
//
// Every test needs one line add_ktest(group.name) in tests/qemu/CMakeLists.txt;
// the test ktest.all_registered fails while one is missing (docs/testing.md).
#pragma once
#include "lib/format.h"
#include "lib/types.h"

namespace kern::ktest {

struct Result {
  bool failed = false;
  char why[160] = {};
};

struct Test {
  const char* name;
  void (*fn)(Result&);
};

}  // namespace kern::ktest

#define KTEST(group, name)                                                           \
  static void ktest_##group##_##name(::kern::ktest::Result&);                        \
  [[gnu::used, gnu::section(".ktests")]] static const ::kern::ktest::Test            \
      ktest_entry_##group##_##name = {#group "." #name, ktest_##group##_##name};      \
  static void ktest_##group##_##name([[maybe_unused]] ::kern::ktest::Result& _ktest)

// Records the first failure and returns from the test.
#define KEXPECT(cond, ...)                                              \
  do {                                                                  \
    if (!(cond)) {                                                      \
      _ktest.failed = true;                                             \
      ::kern::snprintf(_ktest.why, sizeof(_ktest.why), __VA_ARGS__);    \
      return;                                                           \
    }                                                                   \
  } while (0)
