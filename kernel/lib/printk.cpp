#include "lib/printk.h"

#include "arch/aarch64/per_cpu.h"
#include "lib/format.h"
#include "lib/spinlock.h"

namespace kern {

namespace {
SpinLock g_console_lock;
ConsolePutc g_putc = nullptr;
// CPU number + 1 of the panicking CPU; 0 while the system is healthy.
u64 g_panic_cpu = 0;

void sink(void*, char c) {
  if (c == '\n') g_putc('\r');
  g_putc(c);
}
}  // namespace

void printk_set_console(ConsolePutc putc) { g_putc = putc; }

void printk_enter_panic_mode() {
  u64 expected = 0;
  __atomic_compare_exchange_n(&g_panic_cpu, &expected, this_cpu()->cpu_id + 1, false,
                              __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int vprintk(const char* fmt, __builtin_va_list ap) TA_NO_THREAD_SAFETY_ANALYSIS {
  if (g_putc == nullptr) return 0;
  u64 panic_cpu = __atomic_load_n(&g_panic_cpu, __ATOMIC_ACQUIRE);
  if (panic_cpu != 0) {
    if (panic_cpu != this_cpu()->cpu_id + 1) return 0;
    return vformat(sink, nullptr, fmt, ap);
  }
  SpinGuard guard(g_console_lock);
  return vformat(sink, nullptr, fmt, ap);
}

void console_write(const char* buf, usize len) TA_NO_THREAD_SAFETY_ANALYSIS {
  if (g_putc == nullptr) return;
  u64 panic_cpu = __atomic_load_n(&g_panic_cpu, __ATOMIC_ACQUIRE);
  if (panic_cpu != 0 && panic_cpu != this_cpu()->cpu_id + 1) return;
  if (panic_cpu == 0) g_console_lock.lock();
  for (usize i = 0; i < len; i++) g_putc(buf[i]);
  if (panic_cpu == 0) g_console_lock.unlock();
}

int printk(const char* fmt, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  int n = vprintk(fmt, ap);
  __builtin_va_end(ap);
  return n;
}

}  // namespace kern
