/* spawn_wait (./chbuild bench): posix_spawn of a small static program
 * that exits at once (/tests/nop), plus waitpid. The whole way: musl, the
 * libc's spawn (fd table), procmgr (reads the ELF from tmpfs, builds the
 * process, a reaper thread), the child's start and exit, the wait.
 *
 * fork_exec_wait: fork, exec of /tests/nop in the child, waitpid.
 * fork_exit_wait: a process with 1 MiB of its memory touched forks, the
 * child exits at once, the parent waits. cow_fault: the first write to
 * each page of 8 MiB shared copy-on-write with a child (a fault, a copy,
 * a new mapping), per page. With the argument page_fault_anon, profile.py's
 * markers surround the first touch of each page of a fresh mapping. */
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static int fork_once(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  int st;
  return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? 0 : -1;
}

/* fork_exec_wait: fork, the child execs /tests/nop, waitpid. */
static int fork_exec_once(void) {
  pid_t pid = fork();
  if (pid == 0) {
    char* args[] = {"/tests/nop", NULL};
    execve(args[0], args, environ);
    _exit(127);
  }
  int st;
  return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Which loop the profile markers surround (argv[1]; profile.py). */
static const char* profiled = "spawn_wait";
#define PROFILE_BEGIN(name) \
  if (strcmp(profiled, name) == 0) bench_profile_begin()
#define PROFILE_END(name) \
  if (strcmp(profiled, name) == 0) bench_profile_end()

static void bench_fork(void) {
  for (int i = 0; i < 5; i++)
    if (fork_exec_once() < 0) {
      printf("bench_spawn: fork + exec failed\n");
      return;
    }
  unsigned long t1 = bench_counter();
  PROFILE_BEGIN("fork_exec_wait");
  for (int i = 0; i < N; i++) fork_exec_once();
  PROFILE_END("fork_exec_wait");
  bench_report("fork_exec_wait", bench_counter() - t1, N);

  char* mem = malloc(1 << 20);
  memset(mem, 1, 1 << 20);
  for (int i = 0; i < 5; i++)
    if (fork_once() < 0) {
      printf("bench_spawn: fork failed\n");
      return;
    }
  unsigned long t0 = bench_counter();
  PROFILE_BEGIN("fork_exit_wait");
  for (int i = 0; i < N; i++) fork_once();
  PROFILE_END("fork_exit_wait");
  bench_report("fork_exit_wait", bench_counter() - t0, N);
  free(mem);

  enum { PAGES = 2048 };
  char* p = mmap(0, PAGES * 4096l, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(p, 1, PAGES * 4096l);
  int go[2];
  pipe(go);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    read(go[0], &c, 1); /* holds the pages until the parent has written */
    _exit(0);
  }
  t0 = bench_counter();
  for (int i = 0; i < PAGES; i++) p[i * 4096l] = 2;
  unsigned long t = bench_counter() - t0;
  write(go[1], "x", 1);
  int st;
  waitpid(pid, &st, 0);
  bench_report("cow_fault", t, PAGES);
  munmap(p, PAGES * 4096l);

  /* Only for profile.py (kbench.img's page_fault_anon has the figure):
   * the first touch of each page of a fresh anonymous mapping. */
  if (strcmp(profiled, "page_fault_anon") == 0) {
    p = mmap(0, PAGES * 4096l, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bench_profile_begin();
    for (int i = 0; i < PAGES; i++) p[i * 4096l] = 2;
    bench_profile_end();
    munmap(p, PAGES * 4096l);
  }
}

int main(int argc, char** argv) {
  if (argc > 1) profiled = argv[1];
  for (int i = 0; i < 5; i++)
    if (once() < 0) {
      printf("bench_spawn: spawning /tests/nop failed\n");
      return 1;
    }
  unsigned long t0 = bench_counter();
  PROFILE_BEGIN("spawn_wait");
  for (int i = 0; i < N; i++) once();
  PROFILE_END("spawn_wait");
  bench_report("spawn_wait", bench_counter() - t0, N);
  bench_fork();
  return 0;
}
