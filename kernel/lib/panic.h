// Fatal kernel errors.
#pragma once
#include "lib/types.h"

namespace kern {

// Prints "KERNEL PANIC: <message>", a backtrace, and stops the system.
[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// Prints a frame-pointer backtrace starting at frame pointer `fp`.
void print_backtrace(u64 pc, u64 fp);

// Stops all CPUs. Test images end QEMU with `exit_code` through semihosting;
// production images park every CPU (defined by each image, see init/).
[[noreturn]] void system_halt(int exit_code);

inline constexpr int kExitPanic = 2;

}  // namespace kern

#define KASSERT(cond)                                                          \
  do {                                                                         \
    if (unlikely(!(cond))) ::kern::panic("assertion failed: %s (%s:%d)", #cond, \
                                         __FILE__, __LINE__);                  \
  } while (0)
