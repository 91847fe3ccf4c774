/* env_spawn VAR=VAL prog args...: starts prog from the ramdisk with the
 * environment {VAR=VAL} (the first process gets none), waits, and exits
 * with its exit code (128 + signal if killed). A libchcore program (build
 * it with the other user/tests), used to run libc tests with
 * CHCORE_STRACE=1. */
#include <chcore/launch.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 3) return 151;
  const char* envp[2] = {argv[1], 0};
  long child = chcore_spawn_path(argv[2], (const char* const*)(argv + 2), envp);
  if (child < 0) {
    printf("env_spawn: cannot start %s: error %ld\n", argv[2], child);
    return 150;
  }
  long status = chcore_wait(child);
  return status >= 0 ? (int)status : (int)(128 - status);
}
