/* sched.wake_preempt: a thread woken with a higher priority on the waker's
 * CPU runs as soon as the waking call returns (the one exit path, see
 * kernel/sched/sched.h), and a waiter on the CPU where its child dies is
 * never left queued on an idle CPU.
 *
 *   wake_preempt            the tests
 *   wake_preempt child N    (spawned) pins itself to CPU N with priority 15,
 *                           sleeps 50 ms, exits 3
 *   wake_preempt quick N    (spawned) pins itself to CPU N and exits 4 */
#define UT_SUITE "sched.wake_preempt"
#include <stdlib.h>
#include <string.h>
#include <chcore/launch.h>
#include "utest.h"
#include "uthread.h"

#define WAIT (CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG)
#define WAKE (CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG)
#define ROUNDS 200

static volatile unsigned go;      /* round number the waker has started */
static volatile unsigned seen;    /* last round the high-priority thread saw */
static volatile int hi_ready;

/* The high-priority thread: pinned to CPU 0, blocks until each round. */
static void high(void* arg) {
  (void)arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  chcore_sys_set_priority(CHCORE_THREAD_SELF, 20);
  hi_ready = 1;
  for (unsigned i = 1; i <= ROUNDS; i++) {
    unsigned g;
    while ((g = go) < i) chcore_sys_futex((unsigned long)&go, WAIT, g, 0, 0, 0);
    seen = i;
  }
}

static void futex_wake_preempts(void) {
  struct ut_thread t;
  go = seen = 0;
  hi_ready = 0;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  UT_EQ("futex.start", ut_thread_start(&t, high, 0), 0);
  while (!hi_ready) chcore_sys_yield();
  int checked = 0, late = 0;
  for (unsigned i = 1; i <= ROUNDS; i++) {
    go = i;
    long woke;
    /* 0 only while the high thread has not reached its wait yet (it may
     * start on another CPU before it pins itself). */
    while ((woke = chcore_sys_futex((unsigned long)&go, WAKE, 1, 0, 0, 0)) == 0 && seen != i)
      chcore_sys_yield();
    if (woke == 1) {
      checked++;
      if (seen != i) late++;  /* the woken thread has not run yet */
    }
  }
  ut_thread_join(&t);
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
  UT_TRUE("futex.most_rounds_blocked", checked >= ROUNDS - 1);
  if (late != 0)
    ut_fail("futex.woken_runs_before_waker_returns",
            "in %d of %d rounds the flag was not set when futex_wake returned", late, checked);
  else
    ut_report("futex.woken_runs_before_waker_returns", 1, "");
}

/* A parent waiting (priority 20) on a child that exits on the same CPU,
 * beside a low-priority spinner of the parent there: the parent runs
 * before the spinner takes one more step. */
static volatile unsigned long spins;
static volatile unsigned long spins_when_parent_woke;
static volatile int parent_done;
static long child_cg;
static long wait_status;

static void waiter(void* arg) {
  (void)arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  chcore_sys_set_priority(CHCORE_THREAD_SELF, 20);
  wait_status = chcore_sys_wait_cap_group((unsigned long)child_cg);
  spins_when_parent_woke = spins;
  parent_done = 1;
}

static void child_exit_preempts(const char* self) {
  struct ut_thread t;
  const char* argv[] = {self, "child", "0", NULL};
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  child_cg = chcore_spawn_path(self, argv, NULL);
  if (UT_OK("wait.spawn", child_cg) < 0) return;
  parent_done = 0;
  spins = 0;
  UT_EQ("wait.start", ut_thread_start(&t, waiter, 0), 0);
  /* Spin (priority 10) on CPU 0 until the parent thread has run; the child
   * (priority 15) preempts us when its sleep ends, then exits. */
  while (!parent_done) spins++;
  unsigned long after = spins;
  ut_thread_join(&t);
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
  UT_TRUE("wait.status_is_exit_3", CHCORE_WIFEXITED(wait_status) && CHCORE_WEXITSTATUS(wait_status) == 3);
  /* One increment may be in flight (loaded before the interrupt, stored
   * after): more than that means the spinner ran before the parent. */
  if (after > spins_when_parent_woke + 1)
    ut_fail("wait.parent_runs_before_spinner",
            "the spinner took %lu steps between the child's exit and the parent's wake-up",
            after - spins_when_parent_woke);
  else
    ut_report("wait.parent_runs_before_spinner", 1, "");
  chcore_sys_revoke_cap((unsigned long)child_cg, CHCORE_REVOKE_SELF);
}

/* The waiter pinned to the CPU where the child's last thread dies: that CPU
 * reaps the child and must run the waiter, not idle (a lost wake-up would
 * hang here until the harness's timeout). */
static void waiter_on_dying_cpu(const char* self) {
  long mask = chcore_sys_online_cpus();
  int cpu = (mask & 2) ? 1 : 0;
  char arg[4] = {(char)('0' + cpu), 0};
  const char* argv[] = {self, "quick", arg, NULL};
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, cpu);
  int ok = 0;
  for (int i = 0; i < 50; i++) {
    long cg = chcore_spawn_path(self, argv, NULL);
    if (cg < 0) break;
    long st = chcore_sys_wait_cap_group((unsigned long)cg);
    chcore_sys_revoke_cap((unsigned long)cg, CHCORE_REVOKE_SELF);
    if (CHCORE_WIFEXITED(st) && CHCORE_WEXITSTATUS(st) == 4) ok++;
  }
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, CHCORE_CPU_ANY);
  UT_EQ("wait.pinned_waiter_wakes_50_times", ok, 50);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, atoi(argv[2]));
    chcore_sys_set_priority(CHCORE_THREAD_SELF, 15);
    ut_sleep_ns(50000000);
    return 3;
  }
  if (argc == 3 && strcmp(argv[1], "quick") == 0) {
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, atoi(argv[2]));
    return 4;
  }
  futex_wake_preempts();
  child_exit_preempts(argv[0]);
  waiter_on_dying_cpu(argv[0]);
  return ut_finish();
}
