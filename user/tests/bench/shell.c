/* The shell benchmarks of the userland issue (./chbuild bench), the same
 * scripts that tests/linux/bench.c gives Debian's busybox-static on Linux:
 *
 * shell_true_loop: BusyBox ash runs /bin/true 1,000 times (the path, so
 * that every iteration is a fork, an exec of /bin/busybox and a wait, not
 * a builtin); figure per iteration.
 * shell_pipeline: `seq 100000 | sort -n | tail -1`, its output checked;
 * figure for the whole pipeline.
 *
 * Each runs once unmeasured first (tmpfs, caches), then measured from the
 * spawn of /bin/sh to the end of its wait. */
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "bench/bench.h"

extern char** environ;

/* Runs `sh -c script sh arg` and returns its exit status (-1 if not an
 * exit). */
static int run(const char* script, const char* arg) {
  char* args[] = {"sh", "-c", (char*)script, "sh", (char*)arg, NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/bin/sh", NULL, NULL, args, environ) != 0) return -1;
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

static const char kTrueLoop[] = "i=0; while [ $i -lt $1 ]; do /bin/true; i=$((i+1)); done";
static const char kPipeline[] = "[ \"$(seq $1 | sort -n | tail -1)\" = $1 ]";

static void measure(const char* name, const char* script, const char* warm, const char* arg,
                    unsigned long ops) {
  if (run(script, warm) != 0) {
    printf("bench_shell: %s failed\n", name);
    return;
  }
  unsigned long t0 = bench_counter();
  bench_profile_begin();
  int rc = run(script, arg);
  bench_profile_end();
  unsigned long t1 = bench_counter();
  if (rc != 0) {
    printf("bench_shell: %s failed (status %d)\n", name, rc);
    return;
  }
  bench_report(name, t1 - t0, ops);
}

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "";
  if (strcmp(which, "shell_true_loop") == 0) measure(which, kTrueLoop, "10", "1000", 1000);
  else if (strcmp(which, "shell_pipeline") == 0) measure(which, kPipeline, "1000", "100000", 1);
  else {
    printf("usage: bench_shell shell_true_loop|shell_pipeline\n");
    return 2;
  }
  return 0;
}
