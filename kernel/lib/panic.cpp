#include "lib/panic.h"

#include "arch/aarch64/per_cpu.h"
#include "irq/irq.h"
#include "lib/format.h"
#include "lib/printk.h"

namespace kern {

// Stacks a frame pointer may legitimately point into (per_cpu.cpp).
bool is_kernel_stack_address(u64 addr, usize len);

void print_backtrace(u64 pc, u64 fp) {
  printk("  backtrace:\n    #0  0x%016lx\n", pc);
  // AArch64 frame record: fp[0] = caller's fp, fp[1] = return address. We only
  // follow records that lie inside a kernel stack, so a corrupt chain ends the
  // walk instead of faulting again.
  for (int depth = 1; depth < 32 && fp != 0; depth++) {
    if ((fp & 7) != 0 || !is_kernel_stack_address(fp, 16)) break;
    const u64* rec = reinterpret_cast<const u64*>(fp);
    u64 lr = rec[1];
    if (lr == 0) break;
    printk("    #%-2d 0x%016lx\n", depth, lr - 4);  // the call instruction
    if (rec[0] <= fp) break;                       // stacks grow down; callers are above
    fp = rec[0];
  }
}

void panic(const char* fmt, ...) {
  printk_enter_panic_mode();
  char msg[256];
  __builtin_va_list ap;
  __builtin_va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  __builtin_va_end(ap);
  printk("KERNEL PANIC: %s on CPU %lu\n", msg, this_cpu()->cpu_id);
  // Start at our caller: its return address, and the frame record it saved.
  const u64* own_record = static_cast<const u64*>(__builtin_frame_address(0));
  print_backtrace(reinterpret_cast<u64>(__builtin_return_address(0)) - 4, own_record[0]);
  irq_stop_other_cpus();
  printk("KERNEL PANIC: system halted\n");
  system_halt(kExitPanic);
}

}  // namespace kern
