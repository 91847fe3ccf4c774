#include "arch/aarch64/semihosting.h"

namespace kern::semihosting {

namespace {
constexpr u64 kSysGetCmdline = 0x15;
constexpr u64 kSysExit = 0x18;
constexpr u64 kAdpStoppedApplicationExit = 0x20026;

u64 call(u64 op, u64 arg) {
  register u64 x0 asm("x0") = op;
  register u64 x1 asm("x1") = arg;
  asm volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
  return x0;
}
}  // namespace

bool get_cmdline(char* buf, usize size) {
  if (size == 0) return false;
  u64 block[2] = {reinterpret_cast<u64>(buf), size - 1};
  if (call(kSysGetCmdline, reinterpret_cast<u64>(block)) != 0) return false;
  buf[block[1] < size ? block[1] : size - 1] = '\0';
  return true;
}

void exit(int code) {
  // AArch64 SYS_EXIT takes a parameter block: reason, exit code.
  u64 block[2] = {kAdpStoppedApplicationExit, static_cast<u64>(static_cast<u32>(code))};
  for (;;) call(kSysExit, reinterpret_cast<u64>(block));
}

}  // namespace kern::semihosting
