/* user.sched: preemption, parallelism, affinity, priorities, sleep and the
 * monotonic clock. */
#define UT_SUITE "sched"
#include "utest.h"
#include "uthread.h"
#include <chcore/launch.h>

static volatile unsigned long spins;
static volatile int stop;

static void spinner(void* arg) {
  (void)arg;
  while (!stop) spins++;
}

/* A thread that never yields must not keep an equal-priority thread on the
 * same CPU from running: the timer preempts it. */
static void test_preemption(void) {
  UT_EQ("pin_self", chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0), 0);
  struct ut_thread t;
  stop = 0;
  UT_EQ("start_spinner", ut_thread_start(&t, spinner, 0), 0);
  UT_EQ("pin_spinner", chcore_sys_set_affinity((unsigned long)t.slot, 0), 0);
  /* Busy work of our own: finishes only if we get the CPU back. */
  unsigned long seen_before = spins;
  unsigned long t0 = ut_now_ns();
  volatile unsigned long work = 0;
  while (spins == seen_before && ut_now_ns() - t0 < 5000000000ul) work++;
  UT_TRUE("spinner_ran_while_we_were_runnable", spins != seen_before);
  /* Keep going until we have seen the spinner's count move 3 times (each
   * time, it ran between two of our own steps, and vice versa), or 10 s
   * have passed: about 30 ms of slices on an idle host; the bound is only
   * there to end a broken run (a loaded host may take far longer than
   * 30 ms, which is no failure). */
  int alternations = 0;
  unsigned long last = spins;
  t0 = ut_now_ns();
  while (alternations < 3 && ut_now_ns() - t0 < 10000000000ul) {
    work++;
    if (spins != last) {
      alternations++;
      last = spins;
    }
  }
  UT_TRUE("threads_alternate_on_one_cpu", alternations >= 3);
  stop = 1;
  ut_thread_join(&t);
  UT_EQ("unpin_self", chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY), 0);
}

/* Four busy threads end up on four different CPUs. */
#define NPAR 4
static volatile unsigned seen_mask[NPAR];
static volatile int par_stop;

static void busy(void* arg) {
  long i = (long)arg;
  while (!par_stop) seen_mask[i] |= 1u << chcore_sys_get_cpu();
}

static int distinct_cpus(const unsigned* m, int n, unsigned used) {
  if (n == 0) return 1;
  for (int c = 0; c < 8; c++)
    if ((m[0] & (1u << c)) && !(used & (1u << c)) && distinct_cpus(m + 1, n - 1, used | (1u << c)))
      return 1;
  return 0;
}

static void test_parallelism(void) {
  struct ut_thread t[NPAR];
  par_stop = 0;
  for (long i = 0; i < NPAR; i++) {
    seen_mask[i] = 0;
    UT_EQ("start_busy", ut_thread_start(&t[i], busy, (void*)i), 0);
  }
  unsigned m[NPAR];
  int ok = 0;
  unsigned long t0 = ut_now_ns();
  while (!ok && ut_now_ns() - t0 < 5000000000ul) {
    ut_sleep_ns(5000000);
    for (int i = 0; i < NPAR; i++) m[i] = seen_mask[i];
    ok = distinct_cpus(m, NPAR, 0);
  }
  par_stop = 1;
  for (int i = 0; i < NPAR; i++) ut_thread_join(&t[i]);
  UT_TRUE("four_threads_on_four_cpus", ok);
}

static volatile int pinned_cpu_ok, pin_go;
static void pinned(void* arg) {
  (void)arg;
  while (!pin_go) chcore_sys_yield();
  int ok = 1;
  for (int i = 0; i < 2000; i++) {
    if (chcore_sys_get_cpu() != 2) ok = 0;
    if (i % 100 == 0) chcore_sys_yield();
  }
  pinned_cpu_ok = ok;
}

static void test_affinity(void) {
  struct ut_thread t;
  pinned_cpu_ok = 0;
  pin_go = 0;
  /* Once pinned, it must only ever see CPU 2. */
  UT_EQ("start", ut_thread_start(&t, pinned, 0), 0);
  UT_EQ("set_affinity", chcore_sys_set_affinity((unsigned long)t.slot, 2), 0);
  UT_EQ("get_affinity", chcore_sys_get_affinity((unsigned long)t.slot), 2);
  UT_EQ("bad_cpu", chcore_sys_set_affinity((unsigned long)t.slot, 99), -CHCORE_EINVAL);
  /* The whole 64-bit value counts: nothing truncates it to a CPU number
   * (1 << 32 once pinned to CPU 0, 0xffffffff once meant "any CPU"). */
  UT_EQ("cpu_1_shl_32", chcore_sys_set_affinity((unsigned long)t.slot, 1ul << 32), -CHCORE_EINVAL);
  UT_EQ("cpu_top_bit", chcore_sys_set_affinity((unsigned long)t.slot, 0x8000000000000000ul),
        -CHCORE_EINVAL);
  UT_EQ("cpu_0xffffffff", chcore_sys_set_affinity((unsigned long)t.slot, 0xfffffffful),
        -CHCORE_EINVAL);
  UT_EQ("cpu_minus_2", chcore_sys_set_affinity((unsigned long)t.slot, (unsigned long)-2l),
        -CHCORE_EINVAL);
  UT_EQ("still_pinned_to_2", chcore_sys_get_affinity((unsigned long)t.slot), 2);
  /* It may have been on another CPU when pinned; a yield moves it. */
  ut_sleep_ns(20000000);
  pin_go = 1;
  ut_thread_join(&t);
  UT_TRUE("pinned_thread_stayed_on_cpu_2", pinned_cpu_ok);
}

/* Higher priority runs first on the same CPU. */
static volatile int order[2];
static volatile int norder, prio_go;
static void record(void* arg) {
  while (!prio_go) chcore_sys_yield();
  order[__atomic_fetch_add(&norder, 1, __ATOMIC_SEQ_CST)] = (int)(long)arg;
}

static void test_priorities(void) {
  norder = 0;
  prio_go = 0;
  UT_EQ("pin_self", chcore_sys_set_affinity(CHCORE_THREAD_SELF, 1), 0);
  UT_EQ("raise_self", chcore_sys_set_priority(CHCORE_THREAD_SELF, 30), 0);
  struct ut_thread lo, hi;
  UT_EQ("start_lo", ut_thread_start(&lo, record, (void*)1), 0);
  UT_EQ("pin_lo", chcore_sys_set_affinity((unsigned long)lo.slot, 1), 0);
  UT_EQ("prio_lo", chcore_sys_set_priority((unsigned long)lo.slot, 5), 0);
  UT_EQ("start_hi", ut_thread_start(&hi, record, (void*)2), 0);
  UT_EQ("pin_hi", chcore_sys_set_affinity((unsigned long)hi.slot, 1), 0);
  UT_EQ("prio_hi", chcore_sys_set_priority((unsigned long)hi.slot, 15), 0);
  UT_EQ("bad_prio", chcore_sys_set_priority((unsigned long)hi.slot, 99), -CHCORE_EINVAL);
  /* Let any that were elsewhere reach CPU 1 (they yield while waiting);
   * then both are runnable there behind us, and we block. */
  ut_sleep_ns(20000000);
  prio_go = 1;
  ut_thread_join(&hi);
  ut_thread_join(&lo);
  UT_EQ("both_ran", norder, 2);
  UT_EQ("high_priority_first", order[0], 2);
  UT_EQ("restore", chcore_sys_set_priority(CHCORE_THREAD_SELF, CHCORE_PRIO_DEFAULT), 0);
  UT_EQ("unpin", chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY), 0);
}

static void test_sleep(void) {
  for (int i = 0; i < 5; i++) {
    unsigned long t0 = ut_now_ns();
    UT_EQ("nanosleep_10ms", ut_sleep_ns(10000000), 0);
    unsigned long dt = ut_now_ns() - t0;
    if (!UT_TRUE("slept_at_least_10ms", dt >= 10000000))
      printf("sched: slept only %lu ns\n", dt);
  }
  /* Absolute deadline. */
  struct ut_timespec ts;
  chcore_sys_clock_gettime(CHCORE_CLOCK_MONOTONIC, (unsigned long)&ts);
  unsigned long target = (unsigned long)ts.sec * 1000000000ul + (unsigned long)ts.nsec + 20000000;
  struct ut_timespec abs = {(long)(target / 1000000000ul), (long)(target % 1000000000ul)};
  UT_EQ("abs_sleep", chcore_sys_clock_nanosleep(CHCORE_CLOCK_MONOTONIC, CHCORE_TIMER_ABSTIME,
                                                   (unsigned long)&abs, 0), 0);
  UT_TRUE("abs_deadline_reached", ut_now_ns() >= target);
  struct ut_timespec bad = {0, 2000000000};
  UT_EQ("bad_nsec", chcore_sys_clock_nanosleep(CHCORE_CLOCK_MONOTONIC, 0, (unsigned long)&bad, 0),
           -CHCORE_EINVAL);
  UT_EQ("bad_clock", chcore_sys_clock_gettime(99, (unsigned long)&ts), -CHCORE_EINVAL);
  UT_EQ("bad_pointer", chcore_sys_clock_gettime(CHCORE_CLOCK_MONOTONIC, 16), -CHCORE_EFAULT);
  UT_EQ("realtime", chcore_sys_clock_gettime(CHCORE_CLOCK_REALTIME, (unsigned long)&ts), 0);
}

/* The monotonic clock never goes backwards, even between CPUs. */
static volatile unsigned long last_seen;
static volatile int backwards;
static void clock_reader(void* arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    unsigned long before = __atomic_load_n(&last_seen, __ATOMIC_ACQUIRE);
    unsigned long now = ut_now_ns();
    if (now < before) backwards = 1;
    unsigned long cur = before;
    while (now > cur && !__atomic_compare_exchange_n(&last_seen, &cur, now, 0, __ATOMIC_ACQ_REL,
                                                     __ATOMIC_ACQUIRE)) {
    }
  }
}

static void test_monotonic(void) {
  struct ut_thread t[4];
  backwards = 0;
  for (long i = 0; i < 4; i++) UT_EQ("start_reader", ut_thread_start(&t[i], clock_reader, 0), 0);
  for (int i = 0; i < 4; i++) ut_thread_join(&t[i]);
  UT_TRUE("monotonic_across_cpus", !backwards);
}

/* exit_group while sibling threads spin on other CPUs: they are stopped
 * (the CPUs running them are interrupted), the status arrives, and every
 * page comes back. */
static void test_exit_while_running(void) {
  long before = 0;
  /* The first cycle is a warm-up: this process's own tables grow once. */
  for (int i = 0; i < 6; i++) {
    if (i == 1) before = ut_settled_free_mem();
    const char* argv[] = {"/tests/spin_exit", 0};
    long child = chcore_spawn_path("/tests/spin_exit", argv, 0);
    if (!UT_TRUE("spawn", child >= 0)) return;
    UT_EQ("exit_status", chcore_wait(child), 7);
  }
  UT_EQ("no_memory_left_behind", ut_settled_free_mem(), before);
}

int main(void) {
  test_exit_while_running();
  test_preemption();
  test_parallelism();
  test_affinity();
  test_priorities();
  test_sleep();
  test_monotonic();
  return ut_finish();
}
