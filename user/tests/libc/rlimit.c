/* libc.rlimit: getrlimit / setrlimit / prlimit64 (port/rlimit.c), and the
 * limits enforced where the system has the resource: RLIMIT_NOFILE on new
 * fds, RLIMIT_AS and RLIMIT_DATA on mmap and brk. */
#define _GNU_SOURCE
#define UT_SUITE "rlimit"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utest.h"

#define MIB (1024ul * 1024)

/* The result of a libc call as "-errno" when it failed with -1, else the
 * value. */
#define LIBC(call)                \
  ({                              \
    errno = 0;                    \
    long r_ = (long)(call);       \
    r_ == -1 ? -(long)errno : r_; \
  })
#define EXPECT_ERR(name, call, err) ut_check_eq((name), LIBC(call), -(long)(err), #call, __LINE__)

static int set(int res, rlim_t cur, rlim_t max) {
  struct rlimit r = {cur, max};
  return setrlimit(res, &r);
}

static struct rlimit get(int res) {
  struct rlimit r = {0, 0};
  getrlimit(res, &r);
  return r;
}

static void* map(size_t len, int prot, int flags) {
  return mmap(0, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

static void test_defaults(void) {
  struct rlimit r = get(RLIMIT_NOFILE);
  UT_TRUE("default.nofile_is_the_fd_table", r.rlim_cur == 1024 && r.rlim_max == 1024);
  r = get(RLIMIT_STACK);
  UT_TRUE("default.stack_8mib", r.rlim_cur == 8 * MIB && r.rlim_max == RLIM_INFINITY);
  r = get(RLIMIT_AS);
  UT_TRUE("default.as_unlimited", r.rlim_cur == RLIM_INFINITY && r.rlim_max == RLIM_INFINITY);
  r = get(RLIMIT_DATA);
  UT_TRUE("default.data_unlimited", r.rlim_cur == RLIM_INFINITY && r.rlim_max == RLIM_INFINITY);
  r = get(RLIMIT_CORE);
  UT_TRUE("default.core_zero", r.rlim_cur == 0 && r.rlim_max == RLIM_INFINITY);
  int all = 1;
  for (int res = 0; res < RLIM_NLIMITS; res++) {
    struct rlimit q = {1, 0};
    all &= getrlimit(res, &q) == 0 && q.rlim_cur <= q.rlim_max;
  }
  UT_TRUE("default.every_resource_readable", all);
  struct rlimit q;
  EXPECT_ERR("getrlimit.unknown_resource", getrlimit(RLIM_NLIMITS, &q), EINVAL);
  EXPECT_ERR("getrlimit.negative_resource", getrlimit(-1, &q), EINVAL);
  EXPECT_ERR("setrlimit.unknown_resource", set(RLIM_NLIMITS, 1, 1), EINVAL);
  EXPECT_ERR("getrlimit_syscall.unknown_resource", syscall(SYS_getrlimit, 99, &q), EINVAL);
}

static void test_setting(void) {
  EXPECT_ERR("set.soft_above_hard", set(RLIMIT_CPU, 20, 10), EINVAL);
  UT_EQ("set.recorded", LIBC(set(RLIMIT_CPU, 10, 20)), 0);
  struct rlimit r = get(RLIMIT_CPU);
  UT_TRUE("set.read_back", r.rlim_cur == 10 && r.rlim_max == 20);
  /* Every process is root here: raising a hard limit is allowed. */
  UT_EQ("set.raise_hard", LIBC(set(RLIMIT_CPU, RLIM_INFINITY, RLIM_INFINITY)), 0);
  r = get(RLIMIT_CPU);
  UT_TRUE("set.raised", r.rlim_cur == RLIM_INFINITY && r.rlim_max == RLIM_INFINITY);
  /* Except past the fd table's size (Linux's nr_open): EPERM. */
  EXPECT_ERR("set.nofile_past_the_table", set(RLIMIT_NOFILE, 1024, 1025), EPERM);
  EXPECT_ERR("set.nofile_infinity", set(RLIMIT_NOFILE, 1024, RLIM_INFINITY), EPERM);
  /* prlimit: the old limits are those before the change. */
  struct rlimit new = {7, 30}, old = {0, 0};
  UT_EQ("prlimit.swap", LIBC(prlimit(0, RLIMIT_NICE, &new, &old)), 0);
  UT_TRUE("prlimit.old_is_before", old.rlim_cur == 0 && old.rlim_max == 0);
  r = get(RLIMIT_NICE);
  UT_TRUE("prlimit.new_is_set", r.rlim_cur == 7 && r.rlim_max == 30);
  UT_EQ("prlimit.own_pid", LIBC(prlimit(getpid(), RLIMIT_NICE, 0, &old)), 0);
  UT_TRUE("prlimit.own_pid_reads", old.rlim_cur == 7);
  EXPECT_ERR("prlimit.other_pid", prlimit(getpid() + 1000, RLIMIT_NICE, 0, &old), ESRCH);
  EXPECT_ERR("prlimit.soft_above_hard", prlimit(0, RLIMIT_NICE, &(struct rlimit){5, 4}, 0), EINVAL);
  r = get(RLIMIT_NICE);
  UT_TRUE("prlimit.refused_changes_nothing", r.rlim_cur == 7 && r.rlim_max == 30);
  set(RLIMIT_NICE, 0, 0);
}

static void test_nofile(void) {
  /* fds 0-2 are open: with a soft limit of 6, new fds are 3, 4, 5. */
  UT_EQ("nofile.lower", LIBC(set(RLIMIT_NOFILE, 6, 1024)), 0);
  int a = dup(1), b = dup(1), c = dup(1);
  UT_TRUE("nofile.below_the_limit", a == 3 && b == 4 && c == 5);
  EXPECT_ERR("nofile.dup_emfile", dup(1), EMFILE);
  EXPECT_ERR("nofile.f_dupfd_emfile", fcntl(1, F_DUPFD, 0), EMFILE);
  EXPECT_ERR("nofile.f_dupfd_cloexec_emfile", fcntl(1, F_DUPFD_CLOEXEC, 4), EMFILE);
  EXPECT_ERR("nofile.f_dupfd_at_limit_einval", fcntl(1, F_DUPFD, 6), EINVAL);
  EXPECT_ERR("nofile.dup2_past_limit_ebadf", dup2(1, 6), EBADF);
  EXPECT_ERR("nofile.dup3_past_limit_ebadf", dup3(1, 100, 0), EBADF);
  UT_EQ("nofile.dup2_below_limit", LIBC(dup2(1, 5)), 5);
  struct pollfd p[7];
  for (int i = 0; i < 7; i++) p[i] = (struct pollfd){1, POLLOUT, 0};
  EXPECT_ERR("nofile.poll_more_than_limit_einval", poll(p, 7, 0), EINVAL);
  UT_EQ("nofile.poll_up_to_limit", LIBC(poll(p, 6, 0)), 6);
  /* A freed fd can be had again; fds above a lowered limit keep working. */
  close(b);
  UT_EQ("nofile.reuse_freed_fd", LIBC(dup(1)), 4);
  UT_EQ("nofile.lower_below_open_fds", LIBC(set(RLIMIT_NOFILE, 3, 1024)), 0);
  UT_EQ("nofile.open_fd_above_limit_writes", LIBC(write(c, "", 0)), 0);
  EXPECT_ERR("nofile.nothing_below_3", dup(1), EMFILE);
  UT_EQ("nofile.raise_again", LIBC(set(RLIMIT_NOFILE, 1024, 1024)), 0);
  int d = dup(1);
  UT_EQ("nofile.raised_dup", d, 6);
  close(a);
  close(4);
  close(c);
  close(d);
}

static void test_as(void) {
  UT_EQ("as.lower", LIBC(set(RLIMIT_AS, 64 * MIB, RLIM_INFINITY)), 0);
  EXPECT_ERR("as.mmap_above_limit_enomem", map(128 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE),
             ENOMEM);
  /* 1 MiB mappings until the limit: the program and its heap take a little
   * of the 64 MiB, the mappings the rest. */
  void* maps[64];
  int n = 0;
  while (n < 64 && (maps[n] = map(MIB, PROT_NONE, MAP_PRIVATE)) != MAP_FAILED) n++;
  int err = errno;
  printf("rlimit: %d mappings of 1 MiB under RLIMIT_AS = 64 MiB\n", n);
  UT_TRUE("as.mappings_add_up", n >= 48 && n < 64 && err == ENOMEM);
  void* volatile m = malloc(100 * MIB); /* volatile: clang drops unused mallocs */
  UT_TRUE("as.malloc_null", m == 0 && errno == ENOMEM);
  /* The brk system call (musl's sbrk cannot grow the heap): on failure it
   * returns the old break, as Linux's does. */
  long brk0 = syscall(SYS_brk, 0);
  UT_EQ("as.brk_refused", syscall(SYS_brk, brk0 + 8 * MIB), brk0);
  /* An unmapped one makes room for one more. */
  if (n > 0) {
    munmap(maps[--n], MIB);
    maps[n] = map(MIB, PROT_READ, MAP_PRIVATE);
    UT_TRUE("as.munmap_makes_room", maps[n] != MAP_FAILED);
    if (maps[n] != MAP_FAILED) n++;
  }
  while (n > 0) munmap(maps[--n], MIB);
  UT_EQ("as.raise", LIBC(set(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY)), 0);
  void* big = map(128 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  UT_TRUE("as.unlimited_again", big != MAP_FAILED);
  if (big != MAP_FAILED) munmap(big, 128 * MIB);
}

static void test_data(void) {
  UT_EQ("data.lower", LIBC(set(RLIMIT_DATA, 32 * MIB, RLIM_INFINITY)), 0);
  void* p = map(64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  UT_TRUE("data.private_writable_enomem", p == MAP_FAILED && errno == ENOMEM);
  /* Linux counts only private writable memory as data. */
  p = map(64 * MIB, PROT_READ, MAP_PRIVATE);
  UT_TRUE("data.read_only_is_not_data", p != MAP_FAILED);
  if (p != MAP_FAILED) munmap(p, 64 * MIB);
  p = map(64 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED);
  UT_TRUE("data.shared_is_not_data", p != MAP_FAILED);
  if (p != MAP_FAILED) munmap(p, 64 * MIB);
  p = map(8 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  UT_TRUE("data.below_the_limit", p != MAP_FAILED);
  if (p != MAP_FAILED) munmap(p, 8 * MIB);
  /* The brk heap is data. */
  long brk0 = syscall(SYS_brk, 0);
  UT_EQ("data.brk_refused", syscall(SYS_brk, brk0 + 64 * MIB), brk0);
  UT_EQ("data.brk_small_grows", syscall(SYS_brk, brk0 + 4096), brk0 + 4096);
  UT_EQ("data.brk_shrinks", syscall(SYS_brk, brk0), brk0);
  void* volatile m = malloc(64 * MIB); /* volatile: clang drops unused mallocs */
  UT_TRUE("data.malloc_null", m == 0 && errno == ENOMEM);
  UT_EQ("data.raise", LIBC(set(RLIMIT_DATA, RLIM_INFINITY, RLIM_INFINITY)), 0);
  p = map(64 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  UT_TRUE("data.unlimited_again", p != MAP_FAILED);
  if (p != MAP_FAILED) munmap(p, 64 * MIB);
}

int main(void) {
  test_defaults();
  test_setting();
  test_nofile();
  test_as();
  test_data();
  return ut_finish();
}
