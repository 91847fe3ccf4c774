/* pipe_pingpong (./chbuild bench): 1 byte through a pipe to another process
 * on the same CPU and 1 byte back through a second pipe, as Linux's figure
 * is measured (tests/linux/bench.c: two processes pinned to CPU 0). The
 * whole way: musl's read and write, the fd table, the kernel's pipe_read
 * and pipe_write, the wake-up and the switch between the processes.
 *
 *   bench_pipe          the benchmark (spawns itself as the echo side)
 *   bench_pipe echo     copies stdin to stdout a byte at a time */
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bench/bench.h"
#include "chcore/syscall.h"

extern char** environ;
#define N 2000

int main(int argc, char** argv) {
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  char c = 'x';
  if (argc > 1 && strcmp(argv[1], "echo") == 0) {
    while (read(0, &c, 1) == 1)
      if (write(1, &c, 1) != 1) break;
    return 0;
  }
  int to[2], from[2];
  if (pipe(to) < 0 || pipe(from) < 0) {
    printf("bench_pipe: pipe failed\n");
    return 1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, to[0], 0);
  posix_spawn_file_actions_adddup2(&fa, from[1], 1);
  int all[] = {to[0], to[1], from[0], from[1]};
  for (int i = 0; i < 4; i++) posix_spawn_file_actions_addclose(&fa, all[i]);
  pid_t pid;
  char* args[] = {argv[0], "echo", NULL};
  if (posix_spawn(&pid, args[0], &fa, NULL, args, environ) != 0) {
    printf("bench_pipe: spawn failed\n");
    return 1;
  }
  close(to[0]);
  close(from[1]);
  for (int i = 0; i < 100; i++)
    if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1) {
      printf("bench_pipe: the echo process does not answer\n");
      return 1;
    }
  unsigned long t0 = bench_counter();
  for (int i = 0; i < N; i++) {
    write(to[1], &c, 1);
    read(from[0], &c, 1);
  }
  bench_report("pipe_pingpong", bench_counter() - t0, N);
  close(to[1]);
  int st;
  waitpid(pid, &st, 0);
  return 0;
}
