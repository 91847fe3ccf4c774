// Kernel console output. One printk call is printed as a unit: output from
// several CPUs never interleaves inside a call.
#pragma once
#include "lib/types.h"

namespace kern {

int printk(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintk(const char* fmt, __builtin_va_list ap);

// Writes `len` bytes to the console as they are (no "\n" -> "\r\n"), as one
// unit with respect to other printk/console_write calls.
void console_write(const char* buf, usize len);

// The console sink. Set by the platform at boot; until then output is dropped.
using ConsolePutc = void (*)(char c);
void printk_set_console(ConsolePutc putc);

// After a panic, the panicking CPU prints without the lock (another CPU may
// have died holding it) and every other CPU's output is dropped.
void printk_enter_panic_mode();

}  // namespace kern
