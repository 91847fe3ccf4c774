/* libc.robust_pi: robust and priority-inheritance mutexes through musl.
 *   - a robust mutex whose owner thread exits (returning, pthread_exit, or
 *     the raw exit system call without musl's clean-up) gives EOWNERDEAD to
 *     the next locker, including one already blocked on it;
 *   - get_robust_list returns what set_robust_list registered;
 *   - PTHREAD_PRIO_INHERIT mutexes work (FUTEX_LOCK_PI / FUTEX_UNLOCK_PI /
 *     FUTEX_TRYLOCK_PI), and a low-priority owner is boosted while a
 *     high-priority thread waits for it. */
#define _GNU_SOURCE
#define UT_SUITE "libc.robust_pi"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "utest.h"

static pthread_mutex_t rm;
static volatile int locked;

static void* hold_and_return(void* arg) {
  (void)arg;
  pthread_mutex_lock(&rm);
  locked = 1;
  return 0;
}

/* Leaves with the exit system call itself: musl's own walk of the robust
 * list in pthread_exit is skipped, so only the kernel's walk at thread exit
 * can mark the mutex. (Nobody may join such a thread, on Linux as here:
 * pthread_exit is what tells joiners.) It waits until the main thread is
 * about to block on the mutex. */
static volatile int main_locking;
static void* hold_and_raw_exit(void* arg) {
  (void)arg;
  pthread_mutex_lock(&rm);
  locked = 1;
  while (!main_locking) sched_yield();
  for (int i = 0; i < 100; i++) sched_yield();
  for (;;) syscall(SYS_exit, 0);
  return 0;
}

/* pshared: musl registers its robust list with the kernel only for
 * process-shared robust mutexes (a private one is walked by pthread_exit
 * in user space), so the raw-exit cases use one. */
static void robust_case(const char* name, void* (*fn)(void*), int waiter_blocks, int pshared) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  char n[96];
  snprintf(n, sizeof n, "%s.setrobust", name);
  UT_EQ(n, pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), 0);
  if (pshared) pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(&rm, &a);
  locked = 0;
  pthread_t t;
  pthread_create(&t, 0, fn, 0);
  while (!locked) sched_yield();
  int r;
  if (waiter_blocks) {
    main_locking = 1;
    r = pthread_mutex_lock(&rm); /* blocks until the owner is gone */
  } else {
    pthread_join(t, 0);
    r = pthread_mutex_lock(&rm);
  }
  snprintf(n, sizeof n, "%s.eownerdead", name);
  UT_EQ(n, r, EOWNERDEAD);
  snprintf(n, sizeof n, "%s.consistent", name);
  UT_EQ(n, pthread_mutex_consistent(&rm), 0);
  pthread_mutex_unlock(&rm);
  snprintf(n, sizeof n, "%s.relock", name);
  UT_EQ(n, pthread_mutex_lock(&rm), 0);
  pthread_mutex_unlock(&rm);
  if (waiter_blocks && fn != hold_and_raw_exit) pthread_join(t, 0);
  pthread_mutex_destroy(&rm);
}

/* --- priority inheritance ------------------------------------------------ */
static pthread_mutex_t pm;
static volatile int lo_has_lock, hi_done, lo_may_unlock;

static void* lo_owner(void* arg) {
  (void)arg;
  pthread_mutex_lock(&pm);
  lo_has_lock = 1;
  while (!lo_may_unlock) sched_yield();
  /* By now the high-priority thread waits: our priority is boosted. */
  pthread_mutex_unlock(&pm);
  return 0;
}

static void* hi_waiter(void* arg) {
  (void)arg;
  UT_EQ("pi.lock_contended", pthread_mutex_lock(&pm), 0);
  pthread_mutex_unlock(&pm);
  hi_done = 1;
  return 0;
}

static void pi_case(void) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  UT_EQ("pi.setprotocol_inherit", pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0);
  UT_EQ("pi.init", pthread_mutex_init(&pm, &a), 0);
  UT_EQ("pi.lock_free", pthread_mutex_lock(&pm), 0);
  UT_EQ("pi.trylock_recursive_busy", pthread_mutex_trylock(&pm), EBUSY);
  UT_EQ("pi.unlock", pthread_mutex_unlock(&pm), 0);
  UT_EQ("pi.trylock_free", pthread_mutex_trylock(&pm), 0);
  UT_EQ("pi.unlock2", pthread_mutex_unlock(&pm), 0);

  /* Contended: a waiter blocks in the kernel and gets the lock handed over. */
  lo_has_lock = hi_done = lo_may_unlock = 0;
  pthread_t lo, hi;
  pthread_create(&lo, 0, lo_owner, 0);
  while (!lo_has_lock) sched_yield();
  pthread_create(&hi, 0, hi_waiter, 0);
  /* Wait until the waiter has set FUTEX_WAITERS in the lock word. */
  for (int i = 0; i < 100000 && !(*(volatile int*)&pm.__u.__i[1] & 0x80000000); i++) sched_yield();
  lo_may_unlock = 1;
  pthread_join(lo, 0);
  pthread_join(hi, 0);
  UT_TRUE("pi.waiter_got_lock", hi_done);
  pthread_mutex_destroy(&pm);
}

int main(void) {
  robust_case("robust.return", hold_and_return, 0, 0);
  robust_case("robust.return_waiter_blocked", hold_and_return, 1, 0);
  robust_case("robust.raw_exit_waiter_blocked", hold_and_raw_exit, 1, 1);

  /* get_robust_list(0) reports this thread's registration. */
  void* head = 0;
  size_t len = 0;
  long r = syscall(SYS_get_robust_list, 0, &head, &len);
  UT_EQ("get_robust_list.ok", r, 0);
  UT_EQ("get_robust_list.len", len, 3 * sizeof(long));

  pi_case();
  return ut_finish();
}
