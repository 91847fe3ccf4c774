/* The notify_wait benchmark for ./chbuild bench (tests/qemu/bench.py):
 * prints
 *   BENCH notify_wait <hundredths of a ns per operation>
 * measured with the virtual counter (under -icount shift=0: instructions).
 *
 * One operation: a notify_signal on one CPU that wakes a thread blocked in
 * notify_wait on another CPU, until that thread is back in user space;
 * the woken thread then does the same the other way. Two threads, pinned to
 * CPUs 0 and 1, ping-pong ROUNDS times over two notifications: 2 * ROUNDS
 * operations, each a signal, a cross-CPU wake-up (reschedule IPI, the idle
 * CPU leaving wfi) and the return from the wait. Everything both CPUs
 * execute meanwhile is counted (icount is one clock for all CPUs). */
#include <chcore/syscall.h>
#include <stdio.h>
#include <string.h>

#include "bench/bench.h"
#include "uthread.h"

#define ROUNDS 2000
#define WARMUP 100

static long ping, pong;


static void partner(void* arg) {
  (void)arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 1);
  for (int i = 0; i < WARMUP + ROUNDS; i++) {
    chcore_sys_notify_wait((unsigned long)ping, 0, 0);
    chcore_sys_notify_signal((unsigned long)pong);
  }
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  if (only[0] && strcmp(only, "notify_wait") != 0) {
    printf("BENCH done\n");
    return 0;
  }
  if (__builtin_popcountl((unsigned long)chcore_sys_online_cpus()) < 2) {
    printf("notify_wait: needs 2 CPUs\n");
    return 1;
  }
  ping = chcore_sys_notify_create();
  pong = chcore_sys_notify_create();
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  struct ut_thread t;
  if (ping < 0 || pong < 0 || ut_thread_start(&t, partner, 0) != 0) return 1;
  for (int i = 0; i < WARMUP; i++) {
    chcore_sys_notify_signal((unsigned long)ping);
    chcore_sys_notify_wait((unsigned long)pong, 0, 0);
  }
  unsigned long t0 = bench_counter();
  for (int i = 0; i < ROUNDS; i++) {
    chcore_sys_notify_signal((unsigned long)ping);
    chcore_sys_notify_wait((unsigned long)pong, 0, 0);
  }
  unsigned long t1 = bench_counter();
  ut_thread_join(&t);
  bench_report("notify_wait", t1 - t0, 2 * ROUNDS);
  /* For comparison (docs/notifications.md), not a named benchmark: the two
   * calls alone, when nothing blocks: a signal counted, then taken. */
  t0 = bench_counter();
  for (int i = 0; i < ROUNDS; i++) {
    chcore_sys_notify_signal((unsigned long)ping);
    chcore_sys_notify_wait((unsigned long)ping, 0, 0);
  }
  t1 = bench_counter();
  bench_report("notify_signal_then_wait_same_cpu", t1 - t0, ROUNDS);
  printf("BENCH done\n");
  return 0;
}
