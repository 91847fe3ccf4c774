/* user.sched_stress: 200 threads over all CPUs create, block, wake and exit
 * in a loop for a few seconds; afterwards no thread is left and free memory
 * is back where it started. */
#define UT_SUITE "sched_stress"
#include "utest.h"
#include "uthread.h"

#define NTHREADS 200
#define SECONDS 3

static volatile unsigned gate;
static volatile unsigned long done_work;

static void worker(void* arg) {
  (void)arg;
  /* Block on the gate until the main thread opens it, then work a little. */
  while (__atomic_load_n(&gate, __ATOMIC_ACQUIRE) == 0)
    chcore_sys_futex((unsigned long)&gate, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG, 0, 0, 0, 0);
  for (int i = 0; i < 100; i++) __atomic_fetch_add(&done_work, 1, __ATOMIC_RELAXED);
  if (chcore_sys_get_cpu() & 1) chcore_sys_yield();
}

static struct ut_thread threads[NTHREADS];

static int run_round(void) {
  int failures = 0;
  gate = 0;
  for (int i = 0; i < NTHREADS; i++)
    if (ut_thread_start(&threads[i], worker, 0) != 0) failures++;
  ut_sleep_ns(1000000);
  __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
  chcore_sys_futex((unsigned long)&gate, CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG, 0x7fffffff,
                   0, 0, 0);
  for (int i = 0; i < NTHREADS; i++) ut_thread_join(&threads[i]);
  return failures;
}

static int rounds, failures;

static void run_for(unsigned long ns) {
  unsigned long t0 = ut_now_ns();
  while (ut_now_ns() - t0 < ns) {
    failures += run_round();
    rounds++;
  }
}

int main(void) {
  /* Memory may grow once to a high-water mark (page tables of the stack
   * area, capability-table and slab pages). A leak is memory that keeps
   * going: after the first half of the run, the second half must end with
   * exactly as much free memory as the first. */
  long start = chcore_sys_get_free_mem();
  run_for(SECONDS * 500000000ul);
  long half = ut_settled_free_mem();
  run_for(SECONDS * 500000000ul);
  long end = ut_settled_free_mem();
  UT_EQ("all_threads_started", failures, 0);
  UT_EQ("all_work_done", done_work, (unsigned long)rounds * NTHREADS * 100);
  printf("sched_stress: %d rounds of %d threads; free memory at start %ld, half-way %ld, end %ld\n",
                rounds, NTHREADS, start, half, end);
  UT_TRUE("several_rounds", rounds >= 4);
  UT_EQ("no_memory_leaked", end, half);
  UT_TRUE("one_time_growth_is_small", start - half <= 256 * 1024);
  return ut_finish();
}
