/* spawn_wait (./chbuild bench): posix_spawn of a small static program
 * that exits at once (/tests/nop), plus waitpid. The whole way: musl, the
 * libc's spawn (fd table), procmgr (reads the ELF from tmpfs, builds the
 * process, a reaper thread), the child's start and exit, the wait. */
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench/bench.h"

extern char** environ;
#define N 50

static int once(void) {
  pid_t pid;
  char* args[] = {"/tests/nop", NULL};
  if (posix_spawn(&pid, args[0], NULL, NULL, args, environ) != 0) return -1;
  int st;
  return waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? 0 : -1;
}

int main(void) {
  for (int i = 0; i < 5; i++)
    if (once() < 0) {
      printf("bench_spawn: spawning /tests/nop failed\n");
      return 1;
    }
  unsigned long t0 = bench_counter();
  bench_profile_begin();
  for (int i = 0; i < N; i++) once();
  bench_profile_end();
  bench_report("spawn_wait", bench_counter() - t0, N);
  return 0;
}
