/* Ends in the way argv asks, for the process tests:
 *   exit_with N            exit_group(N)
 *   exit_with ret N        return N from main (crt0 calls exit_group)
 *   exit_with thread_exit  the only thread calls thread_exit: status 0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <chcore/syscall.h>

static long parse_long(const char* s) {
  long sign = 1, v = 0;
  if (*s == '-') {
    sign = -1;
    s++;
  }
  while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
  return sign * v;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "thread_exit") == 0) chcore_thread_exit();
  if (argc == 3 && strcmp(argv[1], "ret") == 0) return (int)parse_long(argv[2]);
  if (argc == 2) exit((int)parse_long(argv[1]));
  printf("exit_with: bad arguments (argc %d)\n", argc);
  return 100;
}
