/* user.futex: wake-one, wake-all, value mismatch, timeout, requeue. */
#define UT_SUITE "futex"
#include "utest.h"
#include "uthread.h"

#define WAIT (CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG)
#define WAKE (CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG)
#define CMP_REQUEUE (CHCORE_FUTEX_CMP_REQUEUE | CHCORE_FUTEX_PRIVATE_FLAG)

static volatile unsigned word, word2;
static volatile int woken, waiting;

static void waiter(void* arg) {
  volatile unsigned* w = (volatile unsigned*)arg;
  __atomic_fetch_add(&waiting, 1, __ATOMIC_SEQ_CST);
  while (*w == 0) chcore_sys_futex((unsigned long)w, WAIT, 0, 0, 0, 0);
  __atomic_fetch_add(&woken, 1, __ATOMIC_SEQ_CST);
}

/* Spins (yielding) until n threads are blocked in the kernel on `w`:
 * waiting counts arrivals; a short sleep lets them reach the futex. */
static void settle(int n) {
  while (__atomic_load_n(&waiting, __ATOMIC_SEQ_CST) < n) chcore_sys_yield();
  ut_sleep_ns(30000000);
}

/* Like waiter, but counts each wake-up, and re-waits (for wake-one counting). */
static volatile int wakeups;
static void counting_waiter(void* arg) {
  volatile unsigned* w = (volatile unsigned*)arg;
  __atomic_fetch_add(&waiting, 1, __ATOMIC_SEQ_CST);
  long r = chcore_sys_futex((unsigned long)w, WAIT, 0, 0, 0, 0);
  if (r == 0) __atomic_fetch_add(&wakeups, 1, __ATOMIC_SEQ_CST);
  /* Park elsewhere until the test ends, so the counts above stay exact. */
  while (word2 != 2) chcore_sys_futex((unsigned long)&word2, WAIT, word2, 0, 0, 0);
}

int main(void) {
  struct ut_thread t[3];

  /* A wait on a changed value returns at once with -EAGAIN. */
  word = 5;
  unsigned long t0 = ut_now_ns();
  UT_EQ("mismatch_is_eagain", chcore_sys_futex((unsigned long)&word, WAIT, 4, 0, 0, 0), -CHCORE_EAGAIN);
  UT_TRUE("mismatch_returns_at_once", ut_now_ns() - t0 < 100000000);

  /* A wait with a timeout times out, not early. */
  struct ut_timespec to = {0, 20000000};
  t0 = ut_now_ns();
  UT_EQ("timeout", chcore_sys_futex((unsigned long)&word, WAIT, 5, (unsigned long)&to, 0, 0),
        -CHCORE_ETIMEDOUT);
  UT_TRUE("timeout_not_early", ut_now_ns() - t0 >= 20000000);

  /* Bad arguments. */
  UT_EQ("misaligned", chcore_sys_futex((unsigned long)&word + 1, WAIT, 5, 0, 0, 0), -CHCORE_EINVAL);
  UT_EQ("unmapped", chcore_sys_futex(0x1000, WAIT, 0, 0, 0, 0), -CHCORE_EFAULT);
  UT_EQ("kernel_address", chcore_sys_futex(0xffff000040000000ul, WAIT, 0, 0, 0, 0), -CHCORE_EINVAL);
  UT_EQ("unknown_op", chcore_sys_futex((unsigned long)&word, 77, 0, 0, 0, 0), -CHCORE_ENOSYS);
  UT_EQ("wake_nobody", chcore_sys_futex((unsigned long)&word, WAKE, 10, 0, 0, 0), 0);

  /* Wake-one wakes exactly one of three. */
  word = 0;
  word2 = 0;
  waiting = wakeups = 0;
  for (int i = 0; i < 3; i++) UT_EQ("start", ut_thread_start(&t[i], counting_waiter, (void*)&word), 0);
  settle(3);
  word = 1;
  UT_EQ("wake_one_returns_1", chcore_sys_futex((unsigned long)&word, WAKE, 1, 0, 0, 0), 1);
  ut_sleep_ns(30000000);
  UT_EQ("wake_one_woke_exactly_one", wakeups, 1);
  /* Wake-all wakes the other two. */
  UT_EQ("wake_all_returns_2", chcore_sys_futex((unsigned long)&word, WAKE, 0x7fffffff, 0, 0, 0), 2);
  ut_sleep_ns(30000000);
  UT_EQ("wake_all_woke_the_rest", wakeups, 3);
  word2 = 2;
  chcore_sys_futex((unsigned long)&word2, WAKE, 0x7fffffff, 0, 0, 0);
  for (int i = 0; i < 3; i++) ut_thread_join(&t[i]);

  /* Requeue: wake one, move two to word2; then waking word2 reaches them. */
  word = 0;
  word2 = 0;
  waiting = woken = 0;
  for (int i = 0; i < 3; i++) UT_EQ("start_rq", ut_thread_start(&t[i], waiter, (void*)&word), 0);
  settle(3);
  UT_EQ("cmp_requeue_mismatch",
        chcore_sys_futex((unsigned long)&word, CMP_REQUEUE, 1, 2, (unsigned long)&word2, 9),
        -CHCORE_EAGAIN);
  UT_EQ("cmp_requeue", chcore_sys_futex((unsigned long)&word, CMP_REQUEUE, 0, 3,
                                        (unsigned long)&word2, 0), 3);
  /* Nobody waits on word any more: waking it wakes no one. */
  word = 1;
  UT_EQ("moved_away", chcore_sys_futex((unsigned long)&word, WAKE, 10, 0, 0, 0), 0);
  UT_EQ("wake_requeued", chcore_sys_futex((unsigned long)&word2, WAKE, 10, 0, 0, 0), 3);
  for (int i = 0; i < 3; i++) ut_thread_join(&t[i]);
  UT_EQ("all_woken", woken, 3);
  return ut_finish();
}
