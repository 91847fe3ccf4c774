/* Starts argv[1] (with the remaining arguments) from the ramdisk that its
 * parent shared with it, waits for it, and exits with its status (a
 * negative one as 200 + -status, so the parent can tell it from a crash of
 * this process). Exits 150 if the program could not be started. */
#include <chcore/launch.h>
#include <stdio.h>

int main(int argc, char** argv) {
  if (argc < 2) return 151;
  long child = chcore_spawn_path(argv[1], (const char* const*)(argv + 1), 0);
  if (child < 0) {
    printf("spawn_child: cannot start %s: error %ld\n", argv[1], child);
    return 150;
  }
  long status = chcore_wait(child);
  return status >= 0 ? (int)status : (int)(200 - status);
}
