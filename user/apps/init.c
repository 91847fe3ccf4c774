/* The first user process of the production image (for now): greets, runs
 * /bin/hello from the ramdisk, waits for it and reports how it ended. */
#include <chcore/launch.h>
#include <stdio.h>

int main(int argc, char** argv) {
  printf("init: hello from user space (pid via argv[0]=%s)\n",
                argc > 0 ? argv[0] : "(none)");
  long child = chcore_spawn_path("/bin/hello", 0, 0);
  if (child < 0) {
    printf("init: cannot start /bin/hello: error %ld\n", child);
    return 1;
  }
  long status = chcore_wait(child);
  printf("init: /bin/hello exited with status %ld\n", status);
  return 0;
}
