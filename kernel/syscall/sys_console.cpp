// Console system calls: putstr, getc, console_read.
#include "console/input.h"
#include "lib/printk.h"
#include "mm/kmalloc.h"
#include "mm/uaccess.h"
#include "syscall/syscall.h"

using namespace kern;

// Writes the bytes exactly as given (no newline translation: a terminal
// wants "\r\n", and that is the libc's stdout's job). Lengths above
// CHCORE_PUTSTR_MAX are refused rather than clamped, so a caller never
// mistakes a short write for success. One call is printed as a unit.
extern "C" i64 sys_putstr(u64 buf, u64 len, u64, u64, u64, u64) {
  if (len > CHCORE_PUTSTR_MAX) return -CHCORE_EINVAL;
  if (len == 0) return 0;
  char* k = static_cast<char*>(mm::kmalloc(len));
  if (k == nullptr) return -CHCORE_ENOMEM;
  Status s = copy_from_user(k, buf, len);
  if (s.ok()) console_write(k, len);
  mm::kfree(k);
  return s.ok() ? static_cast<i64>(len) : to_errno(s.error());
}

// Never blocks (the old interface, kept for compatibility): the oldest byte
// received, or -EAGAIN. Blocking reads are console_read.
extern "C" i64 sys_getc(u64, u64, u64, u64, u64, u64) {
  int c = console_input_getc();
  return c < 0 ? -CHCORE_EAGAIN : c;
}

// Blocking (or not) reads of the console input: console/input.cpp.
extern "C" i64 sys_console_read(u64 buf, u64 len, u64 flags, u64 deadline_ns, u64, u64) {
  return console_input_read(buf, len, flags, deadline_ns);
}
