/* Child for user.sched: starts spinning threads (which spread over the CPUs)
 * and then ends the whole process with exit_group(7) while they run. */
#include <chcore/syscall.h>
#include <chcore/thread.h>

static volatile unsigned long spins[4];

static void spin(void* arg) {
  volatile unsigned long* s = (volatile unsigned long*)arg;
  for (;;) (*s)++;
}

int main(void) {
  for (int i = 0; i < 3; i++) chcore_thread_create(spin, (void*)&spins[i], 0);
  /* Wait until every spinner is running (on other CPUs, in parallel). */
  for (int i = 0; i < 3; i++)
    while (spins[i] == 0) chcore_sys_yield();
  chcore_sys_exit_group(7);
  return 1;
}
