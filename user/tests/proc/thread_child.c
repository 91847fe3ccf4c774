/* Several threads, ending the process in the way argv[1] asks:
 *   exit_group_from_thread  a second thread calls exit_group(17) while the
 *                           main thread is still running: status 17
 *   main_exits_first        the main thread calls thread_exit; the second
 *                           thread runs on and calls exit_group(23): 23
 *   all_thread_exit         both threads call thread_exit: status 0 */
#include <stdio.h>
#include <string.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>

static volatile int mode;

static void second(void* arg) {
  (void)arg;
  for (int i = 0; i < 10; i++) chcore_sys_yield();
  if (mode == 0) chcore_exit(17);
  if (mode == 1) chcore_exit(23);
  /* mode 2: returning ends this thread with thread_exit. */
}

int main(int argc, char** argv) {
  if (argc != 2) return 100;
  if (strcmp(argv[1], "exit_group_from_thread") == 0) {
    mode = 0;
  } else if (strcmp(argv[1], "main_exits_first") == 0) {
    mode = 1;
  } else if (strcmp(argv[1], "all_thread_exit") == 0) {
    mode = 2;
  } else {
    return 101;
  }
  long t = chcore_thread_create(second, 0, 0);
  if (t < 0) {
    printf("thread_child: create_thread: %ld\n", t);
    return 102;
  }
  if (mode == 0) {
    /* Keep running; the other thread's exit_group must end us. */
    for (long i = 0; i < 1000000; i++) chcore_sys_yield();
    puts("thread_child: exit_group from the second thread did not end the process");
    return 103;
  }
  chcore_thread_exit();
}
