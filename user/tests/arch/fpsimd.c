/* arch.fpsimd: every thread has its own FP/SIMD state and TPIDR_EL0.
 *
 * THREADS threads (pinned to CPUs 0 and 1, so that several share each CPU
 * and yield really switches between them, however the host schedules
 * QEMU; on one CPU all share it) each load their own
 * patterns into x1-x30, q0-q31, FPCR and FPSR, yield, and check that all of
 * it came back; ROUNDS times, with new patterns each round. Each also checks
 * that TPIDR_EL0 keeps its own value. A shared counter shows that other
 * threads ran while one was yielding. */
#define UT_SUITE "fpsimd"
#include <chcore/thread.h>

#include "regs.h"
#include "utest.h"

enum { THREADS = 8, ROUNDS = 300 };

struct worker {
  int id;
  unsigned long tls;
  int failed_round; /* -1: none */
  char why[160];
  unsigned long switches; /* rounds in which another thread made progress */
};

static struct worker workers[THREADS];
static unsigned long progress;
static unsigned long finished;
static unsigned long start_flag;

static unsigned long read_tpidr(void) {
  unsigned long v;
  __asm__ volatile("mrs %0, tpidr_el0" : "=r"(v));
  return v;
}

static void run(struct worker* w) {
  struct regs in, out;
  w->failed_round = -1;
  /* Everyone starts together, so that the threads overlap. */
  while (__atomic_load_n(&start_flag, __ATOMIC_ACQUIRE) == 0) chcore_sys_yield();
  for (int r = 0; r < ROUNDS && w->failed_round < 0; r++) {
    regs_fill(&in, (unsigned long)w->id * 100000 + (unsigned long)r, CHCORE_SYS_yield, 0);
    unsigned long before = __atomic_add_fetch(&progress, 1, __ATOMIC_SEQ_CST);
    long ret = regs_probe(&in, &out);
    if (__atomic_load_n(&progress, __ATOMIC_SEQ_CST) != before) w->switches++;
    if (ret != 0) {
      w->failed_round = r;
      snprintf(w->why, sizeof(w->why), "yield returned %ld", ret);
    } else if (regs_diff(&in, &out, w->why, sizeof(w->why))) {
      w->failed_round = r;
    } else if (read_tpidr() != w->tls) {
      w->failed_round = r;
      snprintf(w->why, sizeof(w->why), "tpidr_el0 %#lx, expected %#lx", read_tpidr(),
                      w->tls);
    }
  }
}

static void thread_main(void* arg) {
  run((struct worker*)arg);
  __atomic_add_fetch(&finished, 1, __ATOMIC_SEQ_CST);
}

int main(void) {
  /* Thread 0 is this one; it sets its own TPIDR_EL0. */
  workers[0].id = 0;
  workers[0].tls = 0x7150000000000000ul;
  __asm__ volatile("msr tpidr_el0, %0" ::"r"(workers[0].tls));
  (void)chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  int created = 1;
  for (int i = 1; i < THREADS; i++) {
    workers[i].id = i;
    workers[i].tls = 0x7150000000000000ul + (unsigned long)i * 0x1111;
    long t = chcore_thread_create(thread_main, &workers[i], workers[i].tls);
    if (t < 0) {
      UT_OK("create_thread", t);
      break;
    }
    /* CPU 1 may not exist (--smp 1): then it stays where it is. */
    (void)chcore_sys_set_affinity((unsigned long)t, (unsigned long)(i % 2));
    chcore_cap_release(t);
    created++;
  }
  UT_EQ("threads_created", created, THREADS);
  __atomic_store_n(&start_flag, 1, __ATOMIC_RELEASE);
  run(&workers[0]);
  for (long i = 0;
       i < 1000000 && __atomic_load_n(&finished, __ATOMIC_SEQ_CST) < (unsigned long)(created - 1);
       i++)
    chcore_sys_yield();
  UT_EQ("threads_finished", finished, created - 1);

  unsigned long switches = 0;
  for (int i = 0; i < created; i++) {
    char name[48];
    snprintf(name, sizeof(name), "thread%d_state_preserved", i);
    if (workers[i].failed_round >= 0) {
      ut_fail(name, "round %d: %s", workers[i].failed_round, workers[i].why);
    } else {
      ut_report(name, 1, "");
    }
    switches += workers[i].switches;
  }
  printf("fpsimd: %d threads x %d yields, other threads ran during %lu of them\n", created,
                ROUNDS, switches);
  UT_TRUE("threads_interleaved", switches > 0);
  return ut_finish();
}
