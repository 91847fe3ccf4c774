/* The child of ipc.notify's "exit" section: argv[1] is the slot of a
 * notification its parent transferred to it (READ), argv[2] a number of
 * waiter threads W. It starts W threads that wait on the notification
 * without timeout (the first on CPU 0 at a higher priority than the main
 * thread, so it is certainly blocked when the main thread goes on; the
 * others on the other CPUs), then exits with status 0 while they wait.
 * Status 1: bad arguments or a thread could not start; 2: a wait
 * returned, which nothing should have made it do. */
#include <chcore/syscall.h>
#include <stdlib.h>

#include "uthread.h"

static long n, ready;
static volatile int returned;

static void waiter(void* arg) {
  long cpu = (long)arg;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)cpu);
  if (cpu == 0) chcore_sys_set_priority(CHCORE_THREAD_SELF, 20);
  chcore_sys_notify_signal((unsigned long)ready);
  chcore_sys_notify_wait((unsigned long)n, 0, 0);
  returned = 1;
}

int main(int argc, char** argv) {
  if (argc != 3) return 1;
  n = atol(argv[1]);
  int waiters = atoi(argv[2]);
  int cpus = __builtin_popcountl((unsigned long)chcore_sys_online_cpus());
  if (waiters < 1 || waiters > 16 || cpus < 1) return 1;
  ready = chcore_sys_notify_create();
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  static struct ut_thread t[16];
  for (int i = 0; i < waiters; i++)
    if (ut_thread_start(&t[i], waiter, (void*)(long)(i % cpus)) != 0) return 1;
  for (int i = 0; i < waiters; i++) chcore_sys_notify_wait((unsigned long)ready, 0, 0);
  ut_sleep_ns(5000000);    /* the waiters on other CPUs have most likely blocked */
  return returned ? 2 : 0; /* exit_group: the waiters go with the process */
}
