// A test image that faults in the kernel on purpose, to prove that a kernel
// fault is decoded and that the QEMU harness reports it as a failure.
#include "arch/aarch64/semihosting.h"
#include "init/image.h"
#include "lib/panic.h"
#include "lib/printk.h"

// Not inlined, so the backtrace shows a real call chain.
[[gnu::noinline]] static void write_to_unmapped_kernel_address() {
  volatile u64* p = reinterpret_cast<volatile u64*>(0xffffff00dead0000ull);
  *p = 0x1234;
}

[[gnu::noinline]] static void fault_path() { write_to_unmapped_kernel_address(); }

void image_main() {
  kern::printk("kfault: writing to an unmapped kernel address\n");
  fault_path();
  kern::printk("kfault: the write did not fault\n");
  kern::semihosting::exit(1);
}

void kern::system_halt(int code) { kern::semihosting::exit(code); }
