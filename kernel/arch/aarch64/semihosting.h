// Arm semihosting (hlt #0xf000): lets a *test* image read its command line
// from, and report its exit code to, QEMU. Production images never call it:
// a real board has no debugger to answer, and the hlt would fault.
#pragma once
#include "lib/types.h"

namespace kern::semihosting {

// Copies the command line QEMU was given (-semihosting-config arg=...) into
// buf (NUL-terminated). Returns false if there is none.
bool get_cmdline(char* buf, usize size);

[[noreturn]] void exit(int code);

}  // namespace kern::semihosting
