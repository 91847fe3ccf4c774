/* File benchmarks (./chbuild bench; tests/linux/bench.c does the same on
 * Linux, whose initramfs root is a tmpfs too):
 *   tmpfs_write_4k   pwrite of 4 KiB at offset 0 of a file on the root tmpfs
 *   tmpfs_read_4k    pread of those 4 KiB
 *   open_close       open + close of /bench/dir/file (two directories deep)
 *   stat             stat of the same path
 * Each through musl, the C library's fd table and one IPC call to tmpfs
 * (open_close: two). */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bench/bench.h"

#define N 2000

static char page[4096];

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  mkdir("/bench", 0755);
  mkdir("/bench/dir", 0755);
  int fd = open("/bench/dir/file", O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    printf("bench_fs: cannot create /bench/dir/file\n");
    return 1;
  }
  memset(page, 'x', sizeof page);
  for (int i = 0; i < 100; i++) pwrite(fd, page, sizeof page, 0);
  unsigned long t0;
  if (!*only || strcmp(only, "tmpfs_write_4k") == 0) {
    t0 = bench_counter();
    for (int i = 0; i < N; i++) pwrite(fd, page, sizeof page, 0);
    bench_report("tmpfs_write_4k", bench_counter() - t0, N);
  }
  if (!*only || strcmp(only, "tmpfs_read_4k") == 0) {
    for (int i = 0; i < 100; i++) pread(fd, page, sizeof page, 0);
    t0 = bench_counter();
    bench_profile_begin();
    for (int i = 0; i < N; i++) pread(fd, page, sizeof page, 0);
    bench_profile_end();
    bench_report("tmpfs_read_4k", bench_counter() - t0, N);
  }
  if (!*only || strcmp(only, "open_close") == 0) {
    for (int i = 0; i < 100; i++) close(open("/bench/dir/file", O_RDONLY));
    t0 = bench_counter();
    for (int i = 0; i < N; i++) close(open("/bench/dir/file", O_RDONLY));
    bench_report("open_close", bench_counter() - t0, N);
  }
  if (!*only || strcmp(only, "stat") == 0) {
    struct stat st;
    for (int i = 0; i < 100; i++) stat("/bench/dir/file", &st);
    t0 = bench_counter();
    for (int i = 0; i < N; i++) stat("/bench/dir/file", &st);
    bench_report("stat", bench_counter() - t0, N);
  }
  close(fd);
  return 0;
}
