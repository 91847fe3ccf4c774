/* proc.threads_exit_together: a process whose threads all end with
 * thread_exit at the same moment, on different CPUs, exits (status 0), and
 * its waiter wakes.
 *
 * Found by the system-call fuzzer (tests/fuzz): each thread_exit used to
 * decide on its own whether it was the last thread ("am I the only thread
 * left?"), but the threads leave the process's list only when they are
 * reaped, after the call. Two threads exiting together each saw the other
 * and neither ended the process: it stayed "running" with no thread,
 * wait_cap_group never returned, and its memory stayed until its last
 * capability went.
 *
 * Each round starts a process with four threads that yield 0-2 times and
 * exit, and waits for it. A watchdog thread fails the test if one wait
 * takes more than 10 s (the harness's own limit would only say "timeout"). */
#define UT_SUITE "proc"
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <pthread.h>
#include <stdlib.h>

#include "../fuzz/fuzz.h" /* fz_spin_entry: yields x0 & 0xff times, then thread_exit */
#include "../utest.h"

enum { ROUNDS = 2000, THREADS = 4, CODE_VA = 0x10000 };

static volatile int round_now, round_done = -1;

static void* watchdog(void* arg) {
  (void)arg;
  for (;;) {
    int r = round_now;
    struct timespec t = {10, 0};
    nanosleep(&t, 0);
    if (round_now == r && round_done != r) {
      ut_fail("threads_exit_together",
              "round %d: the process's threads have all exited, but wait_cap_group has not "
              "returned after 10 s",
              r);
      ut_finish();
      exit(1);
    }
  }
  return 0;
}

/* A process with the spin code at CODE_VA and no thread yet. */
static long make_process(void) {
  long cg = chcore_sys_create_cap_group((unsigned long)"together", 8, 0);
  long code = chcore_sys_create_pmo(4096, CHCORE_PMO_DATA);
  if (cg < 0 || code < 0) return cg < 0 ? cg : code;
  unsigned long len = (unsigned long)(fz_spin_end - (const char*)fz_spin_entry);
  long r = chcore_sys_write_pmo((unsigned long)code, 0, (unsigned long)fz_spin_entry, len);
  if (r == 0)
    r = chcore_sys_map_pmo((unsigned long)cg, (unsigned long)code, CODE_VA,
                           CHCORE_PROT_READ | CHCORE_PROT_EXEC);
  chcore_cap_release(code);
  return r < 0 ? r : cg;
}

int main(void) {
  pthread_t t;
  if (!UT_TRUE("watchdog_started", pthread_create(&t, 0, watchdog, 0) == 0)) return ut_finish();
  long before = ut_settled_free_mem();
  int bad_status = 0, failed_setup = 0;
  for (int i = 0; i < ROUNDS; i++) {
    round_now = i;
    long cg = make_process();
    if (cg < 0) {
      failed_setup = 1;
      break;
    }
    for (int k = 0; k < THREADS; k++) {
      long th =
          chcore_sys_create_thread((unsigned long)cg, CODE_VA, 0, (unsigned long)(i % 3), 0, 0);
      if (th >= 0) chcore_cap_release(th);
    }
    long status = chcore_sys_wait_cap_group((unsigned long)cg);
    if (status != CHCORE_WSTATUS_EXITED(0) && !bad_status) {
      bad_status = 1;
      ut_fail("exit_status_0", "round %d: wait status %#lx, expected exited with 0", i, status);
    }
    chcore_cap_release(cg);
    round_done = i;
  }
  UT_TRUE("setup", !failed_setup);
  UT_TRUE("threads_exit_together", round_done == ROUNDS - 1);
  if (!bad_status) UT_TRUE("exit_status_0", 1);
  long after = ut_settled_free_mem();
  UT_EQ("free_memory_unchanged", after, before);
  return ut_finish();
}
