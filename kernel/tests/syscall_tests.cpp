// The system-call entry path, exercised from EL0 before processes exist.
#include "tests/ktest.h"
#include "tests/user_space.h"

using namespace kern;

KTEST(syscall, el0_svc) {
  u64 detail = 0;
  i64 code = ktest::run_el0_stub(0, &detail);
  KEXPECT(code != 1, "test_echo returned a wrong value (iterations left: %lu)", detail);
  KEXPECT(code != 3, "SP_EL0 changed across svc (now 0x%lx)", detail);
  KEXPECT(code < 0x100 || code > 0x11e, "x%ld changed across svc (iterations left: %lu)",
          code - 0x100, detail);
  KEXPECT(code == 0, "EL0 stub ended with code %ld, detail 0x%lx", code, detail);
  KEXPECT(detail == 10000, "only %lu of 10000 svc round trips checked", detail);
}

KTEST(syscall, enosys) {
  u64 detail = 0;
  i64 code = ktest::run_el0_stub(1, &detail);
  KEXPECT(code == 0, "EL0 check %ld failed: x0 = 0x%lx (10-15: expected -ENOSYS, 16: null, 17: echo)",
          code, detail);
}
