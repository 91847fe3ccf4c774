/* The same microbenchmarks as ./chbuild bench, for Debian's arm64 Linux
 * kernel in the same QEMU (tests/qemu/linux_bench.py boots it with this
 * program as /init). Freestanding: raw system calls, no libc, so that
 * nothing but the kernel path is measured. Prints
 *   BENCH <name> <hundredths of a ns per op>
 * (under -icount shift=0: instructions), then powers off. */
typedef unsigned long u64;

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
#define SYS_write 64
#define SYS_exit 93
#define SYS_sched_setaffinity 122
#define SYS_sched_yield 124
#define SYS_reboot 142
#define SYS_getpid 172
#define SYS_clone 220
#define SYS_mmap 222
#define SYS_wait4 260
#define SYS_sync 81

static u64 counter(void) {
  u64 v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
  return v;
}

static void puts_(const char* s) {
  long n = 0;
  while (s[n]) n++;
  sys6(SYS_write, 1, (long)s, n, 0, 0, 0);
}

static void report(const char* name, u64 ticks, u64 ops) {
  u64 f;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
  u64 v = (ticks / f * 100000000000ul + ticks % f * 100000000000ul / f) / ops;
  char num[24];
  int i = 23;
  num[i] = 0;
  do {
    num[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  puts_("BENCH ");
  puts_(name);
  puts_(" ");
  puts_(num + i);
  puts_("\n");
}

static void pin_to_cpu0(void) {
  u64 mask = 1;
  sys6(SYS_sched_setaffinity, 0, sizeof(mask), (long)&mask, 0, 0, 0);
}

#define N 20000

void bench_main(void) {
  /* null_syscall: getpid, the cheapest real system call. */
  u64 t0 = counter();
  for (int i = 0; i < N; i++) sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
  report("null_syscall", counter() - t0, N);

  /* yield_roundtrip: two processes pinned to one CPU yield to each other. */
  pin_to_cpu0();
  long child = sys6(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0, 0);
  if (child == 0) {
    pin_to_cpu0();
    for (int i = 0; i < N + 1000; i++) sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
    sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
  }
  for (int i = 0; i < 100; i++) sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
  t0 = counter();
  for (int i = 0; i < N; i++) sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
  report("yield_roundtrip", counter() - t0, N);
  int status;
  sys6(SYS_wait4, child, (long)&status, 0, 0, 0, 0);

  /* page_fault_anon: first touch of anonymous pages. */
  enum { PAGES = 2048 };
  char* p = (char*)sys6(SYS_mmap, 0, PAGES * 4096L, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
  t0 = counter();
  for (int i = 0; i < PAGES; i++) p[i * 4096L] = 0;
  report("page_fault_anon", counter() - t0, PAGES);

  puts_("BENCH done\n");
  sys6(SYS_sync, 0, 0, 0, 0, 0, 0);
  sys6(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc /* POWER_OFF */, 0, 0, 0);
  for (;;) {
  }
}

__asm__(".global _start\n_start:\n mov x29, #0\n bl bench_main\n b .\n");
