// The benchmark image (kbench.img): microbenchmarks whose results
// tests/qemu/bench.py collects. Each prints
//   BENCH <name> <per-op value x100>
// the time per operation in hundredths of a nanosecond of guest time, from
// the generic counter. Under `-icount shift=0` one instruction takes one
// nanosecond, so the same number is instructions per operation; without
// icount it is wall-clock time. Loop overhead is included and documented.
#include "arch/aarch64/semihosting.h"
#include "arch/aarch64/sysreg.h"
#include "init/image.h"
#include "lib/panic.h"
#include "lib/printk.h"
#include "mm/kmalloc.h"
#include "mm/page.h"
#include "mm/phys.h"
#include "mm/pmo.h"
#include "mm/vmspace.h"
#include "tests/user_space.h"

using namespace kern;

namespace {

// Counter ticks for `ops` operations -> hundredths of a nanosecond per op.
u64 per_op_centi_ns(u64 ticks, u64 ops) {
  u64 freq = arch::counter_freq();
  // ticks * 1e11 / freq overflows past ~1.8e8 ticks; split the product.
  u64 ns100 = ticks / freq * 100000000000ull + ticks % freq * 100000000000ull / freq;
  return ns100 / ops;
}

void report(const char* name, u64 ticks, u64 ops) {
  u64 v = per_op_centi_ns(ticks, ops);
  printk("BENCH %s %lu (%lu.%02lu per op, %lu ops)\n", name, v, v / 100, v % 100, ops);
}

constexpr u64 kOps = 20000;

void bench_buddy() {
  u64 t0 = arch::counter();
  for (u64 i = 0; i < kOps; i++) mm::free_pages(mm::alloc_pages(0));
  report("buddy_alloc_free", arch::counter() - t0, kOps);
}

void bench_kmalloc() {
  mm::kfree(mm::kmalloc(64));  // warm the cache
  u64 t0 = arch::counter();
  for (u64 i = 0; i < kOps; i++) mm::kfree(mm::kmalloc(64));
  report("kmalloc_free", arch::counter() - t0, kOps);
}

void bench_null_syscall() {
  u64 ticks = 0;
  i64 code = ktest::run_el0_stub(6, &ticks, kOps);
  if (code != 0) panic("null_syscall benchmark: stub code %ld", code);
  report("null_syscall", ticks, kOps);
}

constexpr VirtAddr kFaultVa{0x20000000};
constexpr u64 kFaultPages = 2048;

void bench_page_fault() {
  u64 ticks = 0;
  i64 code = ktest::run_el0_stub(
      7, &ticks, kFaultVa.raw(),
      [](VmSpace& vs) {
        Result<Pmo*> pmo = pmo_create(PmoType::Anonymous, kFaultPages * mm::kPageSize);
        if (!pmo.ok()) return;
        (void)vs.map(pmo.value(), kFaultVa, kFaultPages * mm::kPageSize, kVmRead | kVmWrite, 0);
        pmo_put(pmo.value());
      },
      kFaultPages);
  if (code != 0) panic("page_fault_anon benchmark: stub code %ld", code);
  report("page_fault_anon", ticks, kFaultPages);
}

struct Bench {
  const char* name;
  void (*fn)();
};
const Bench kBenches[] = {
    {"null_syscall", bench_null_syscall},
    {"buddy_alloc_free", bench_buddy},
    {"kmalloc_free", bench_kmalloc},
    {"page_fault_anon", bench_page_fault},
};

bool name_is(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

}  // namespace

void image_main() {
  char sel[64];
  if (!semihosting::get_cmdline(sel, sizeof(sel))) sel[0] = '\0';
  for (const Bench& b : kBenches)
    if (sel[0] == '\0' || name_is(sel, b.name)) b.fn();
  printk("BENCH done\n");
  semihosting::exit(0);
}

void kern::system_halt(int code) { semihosting::exit(code); }
