/* Scheduling benchmarks for ./chbuild bench: prints
 *   BENCH <name> <hundredths of a ns per op>
 * measured with the virtual counter (under -icount shift=0: instructions). */
#include <stdio.h>
#include <string.h>
#include <chcore/syscall.h>
#include "bench/bench.h"
#include "uthread.h"


#define YIELDS 20000
static volatile int go, measured_done;
static volatile unsigned long yield_t0, yield_t1;

/* The partner: yields until the measuring thread is done. */
static void yielder(void* arg) {
  (void)arg;
  while (!go) chcore_sys_yield();
  while (!measured_done) chcore_sys_yield();
}

/* The measuring thread: YIELDS round trips, each its yield and the
 * partner's. */
static void measurer(void* arg) {
  (void)arg;
  while (!go) chcore_sys_yield();
  chcore_sys_yield();
  yield_t0 = bench_counter();
  bench_profile_begin();
  for (int i = 0; i < YIELDS; i++) chcore_sys_yield();
  bench_profile_end();
  yield_t1 = bench_counter();
  measured_done = 1;
}

static void nothing(void* arg) { (void)arg; }

/* Two threads pinned to CPU 0: each yield switches to the other, so one
 * round trip is two yields.
 *   yield_roundtrip     two raw threads that never touch FP/SIMD: the
 *                       kernel's switch alone
 *   yield_roundtrip_fp  the main thread (whose FP/SIMD registers are live:
 *                       musl's memcpy and memset use them) against a raw
 *                       one: each switch away from it also saves its
 *                       FP/SIMD state, as Linux does on every switch */
static unsigned long yield_roundtrip(int main_measures) {
  struct ut_thread a, b;
  go = 0;
  measured_done = 0;
  if (main_measures) {
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
    ut_thread_start(&b, yielder, 0);
    chcore_sys_set_affinity((unsigned long)b.slot, 0);
    go = 1;
    measurer(0);
    ut_thread_join(&b);
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
  } else {
    /* The main thread waits on another CPU. */
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, 1);
    ut_thread_start(&a, measurer, 0);
    chcore_sys_set_affinity((unsigned long)a.slot, 0);
    ut_thread_start(&b, yielder, 0);
    chcore_sys_set_affinity((unsigned long)b.slot, 0);
    go = 1;
    ut_thread_join(&a);
    ut_thread_join(&b);
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
  }
  return yield_t1 - yield_t0;
}

/* wake_preempt: the main thread (priority 10) and a waiter (priority 20),
 * both on CPU 0. The main thread reads the counter and calls futex_wake;
 * the waiter reads it as soon as its futex_wait returns. The difference is
 * the cost from the waker's call to the woken thread's first instruction. */
#define WAKES 2000
static volatile unsigned wake_round;
static volatile unsigned long wake_t0, wake_sum, wake_n;

static void wake_waiter(void* arg) {
  (void)arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  chcore_sys_set_priority(CHCORE_THREAD_SELF, 20);
  for (unsigned i = 1; i <= WAKES; i++) {
    unsigned r;
    int blocked = 0;
    while ((r = wake_round) < i) {
      chcore_sys_futex((unsigned long)&wake_round, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG, r,
                       0, 0, 0);
      blocked = 1;
    }
    unsigned long t1 = bench_counter();
    if (blocked) {
      wake_sum += t1 - wake_t0;
      wake_n++;
    }
  }
}

static void wake_preempt(void) {
  struct ut_thread t;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  wake_round = 0;
  wake_sum = wake_n = 0;
  if (ut_thread_start(&t, wake_waiter, 0) != 0) return;
  for (unsigned i = 1; i <= WAKES; i++) {
    wake_round = i;
    wake_t0 = bench_counter();
    while (chcore_sys_futex((unsigned long)&wake_round,
                            CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG, 1, 0, 0, 0) == 0 &&
           __atomic_load_n(&wake_n, __ATOMIC_SEQ_CST) + 1 < i)
      chcore_sys_yield();
  }
  ut_thread_join(&t);
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
  if (wake_n > 0) bench_report("wake_preempt", wake_sum, wake_n);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  if (!only[0] || !strcmp(only, "yield_roundtrip"))
    bench_report("yield_roundtrip", yield_roundtrip(0), YIELDS);
  if (!only[0] || !strcmp(only, "yield_roundtrip_fp"))
    bench_report("yield_roundtrip_fp", yield_roundtrip(1), YIELDS);
  if (!only[0] || !strcmp(only, "thread_create_join")) {
    /* Create a thread on a cached stack (as a thread library reuses stacks)
     * and join it through set_tid_address + futex, as pthread_join does. */
    enum { N = 500 };
    unsigned long stack;
    long pmo = chcore_map_anon(UT_STACK_SIZE, CHCORE_PMO_ANONYMOUS,
                               CHCORE_PROT_READ | CHCORE_PROT_WRITE, &stack);
    if (pmo < 0) return 1;
    static struct ut_thread t;
    struct ut_thread_start* s = (struct ut_thread_start*)(stack + UT_STACK_SIZE - sizeof(*s));
    s->fn = ut_thread_body;
    s->arg = &t;
    t.fn = nothing;
    unsigned long t0 = bench_counter();
    for (int i = 0; i < N; i++) {
      t.tid_word = 1;
      long slot = chcore_sys_create_thread(CHCORE_SLOT_SELF, (unsigned long)__chcore_thread_entry,
                                           (unsigned long)s & ~15ul, (unsigned long)s, 0, 0);
      if (slot < 0) return 1;
      unsigned v;
      while ((v = __atomic_load_n(&t.tid_word, __ATOMIC_ACQUIRE)) != 0)
        chcore_sys_futex((unsigned long)&t.tid_word, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG,
                         v, 0, 0, 0);
      chcore_sys_revoke_cap((unsigned long)slot, CHCORE_REVOKE_SELF);
    }
    bench_report("thread_create_join", bench_counter() - t0, N);
  }
  if (!only[0] || !strcmp(only, "wake_preempt")) wake_preempt();
  printf("BENCH done\n");
  return 0;
}
