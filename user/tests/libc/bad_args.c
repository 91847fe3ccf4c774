/* libc.bad_args: the C library's calls with bad pointers and overflowing
 * lengths get Linux's error, and the program goes on.
 *
 * The handlers of the libc port run in the calling process; each reads and
 * writes the caller's memory only through its checked copies
 * (port/usercopy.c: a copy loop whose faults the kernel turns into EFAULT),
 * so a pointer that is NULL, tiny, in the kernel half,
 * unmapped or (for output) read-only gives -1 with errno EFAULT where
 * Linux's system call does, instead of a fault that kills the program.
 * Where musl itself dereferences the pointer before any system call (fstat,
 * sigaction, ppoll's timeout: the same crash as on Linux), the system call
 * is made directly with syscall(). */
#define _GNU_SOURCE
#define UT_SUITE "bad_args"
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "utest.h"

#define PAGE 4096ul

/* The result of a libc call as "-errno" when it failed with -1, else the
 * value. */
#define LIBC(call)                \
  ({                              \
    errno = 0;                    \
    long r_ = (long)(call);       \
    r_ == -1 ? -(long)errno : r_; \
  })
#define EXPECT_ERR(name, call, err) ut_check_eq((name), LIBC(call), -(long)(err), #call, __LINE__)

struct bad {
  const char* name;
  void* p;
  int input_ok; /* readable: fine where the call only reads (read-only memory) */
};

static struct bad bads[6];
static int nbads;

static void add_bad(const char* name, void* p, int input_ok) {
  bads[nbads++] = (struct bad){name, p, input_ok};
}

static char name_buf[128];
static const char* nm(const char* call, const struct bad* b) {
  snprintf(name_buf, sizeof(name_buf), "%s.%s", call, b->name);
  return name_buf;
}

static int main_argc;

/* Calls that store results: every bad pointer, read-only memory included.
 * (Where NULL means "not wanted", it is not a bad pointer: skipped.) */
static void test_outputs(const struct bad* b) {
  void* p = b->p;
  unsigned id;
  EXPECT_ERR(nm("uname", b), uname(p), EFAULT);
  EXPECT_ERR(nm("fstat", b), syscall(SYS_fstat, 1, p), EFAULT);
  EXPECT_ERR(nm("clock_gettime_monotonic", b), clock_gettime(CLOCK_MONOTONIC, p), EFAULT);
  EXPECT_ERR(nm("clock_gettime_realtime", b), clock_gettime(CLOCK_REALTIME, p), EFAULT);
  if (p) EXPECT_ERR(nm("clock_getres", b), clock_getres(CLOCK_MONOTONIC, p), EFAULT);
  EXPECT_ERR(nm("getresuid_first", b), getresuid(p, &id, &id), EFAULT);
  EXPECT_ERR(nm("getresuid_last", b), getresuid(&id, &id, p), EFAULT);
  EXPECT_ERR(nm("getresgid_middle", b), getresgid(&id, p, &id), EFAULT);
  EXPECT_ERR(nm("ioctl_tiocgwinsz", b), ioctl(1, TIOCGWINSZ, p), EFAULT);
  EXPECT_ERR(nm("ioctl_tcgets", b), ioctl(1, TCGETS, p), EFAULT);
  EXPECT_ERR(nm("ioctl_fionread", b), ioctl(0, FIONREAD, p), EFAULT);
  if (p) EXPECT_ERR(nm("rt_sigaction_old", b), syscall(SYS_rt_sigaction, SIGUSR1, 0, p, 8), EFAULT);
  if (p) EXPECT_ERR(nm("sigprocmask_old", b), sigprocmask(SIG_BLOCK, 0, p), EFAULT);
  if (p) EXPECT_ERR(nm("getcpu", b), syscall(SYS_getcpu, p, 0, 0), EFAULT);
  EXPECT_ERR(nm("sched_getaffinity", b), sched_getaffinity(0, 8, p), EFAULT);
  /* musl's getrlimit(r, NULL) asks for nothing (prlimit64 with no old):
   * 0, as on Linux with musl. The system call itself refuses NULL. */
  if (p) EXPECT_ERR(nm("getrlimit", b), getrlimit(RLIMIT_NOFILE, p), EFAULT);
  EXPECT_ERR(nm("getrlimit_syscall", b), syscall(SYS_getrlimit, RLIMIT_NOFILE, p), EFAULT);
  if (p) EXPECT_ERR(nm("prlimit_old", b), prlimit(0, RLIMIT_NOFILE, 0, p), EFAULT);
  EXPECT_ERR(nm("getrandom", b), getrandom(p, 8, 0), EFAULT);
  EXPECT_ERR(nm("read_console", b), read(0, p, 8), EFAULT);
}

/* Calls that only read what they are given: read-only memory is fine. */
static void test_inputs(const struct bad* b) {
  void* p = b->p;
  EXPECT_ERR(nm("write", b), write(1, p, 5), EFAULT);
  EXPECT_ERR(nm("writev_array", b), writev(1, p, 1), EFAULT);
  EXPECT_ERR(nm("readv_array", b), readv(0, p, 1), EFAULT);
  struct iovec iov = {p, 5};
  EXPECT_ERR(nm("writev_buffer", b), writev(1, &iov, 1), EFAULT);
  EXPECT_ERR(nm("ioctl_tiocswinsz", b), ioctl(1, TIOCSWINSZ, p), EFAULT);
  EXPECT_ERR(nm("ioctl_tcsets", b), ioctl(1, TCSETS, p), EFAULT);
  EXPECT_ERR(nm("ioctl_fionbio", b), ioctl(1, FIONBIO, p), EFAULT);
  if (p) EXPECT_ERR(nm("rt_sigaction_new", b), syscall(SYS_rt_sigaction, SIGUSR1, p, 0, 8), EFAULT);
  if (p) EXPECT_ERR(nm("sigprocmask_set", b), sigprocmask(SIG_BLOCK, p, 0), EFAULT);
  EXPECT_ERR(nm("poll", b), poll(p, 1, 0), EFAULT);
  if (p) EXPECT_ERR(nm("ppoll_timeout", b), syscall(SYS_ppoll, 0, 0, p, 0, 8), EFAULT);
  if (p)
    EXPECT_ERR(nm("ppoll_sigmask", b), syscall(SYS_ppoll, 0, 0, &(struct timespec){0, 0}, p, 8),
               EFAULT);
  EXPECT_ERR(nm("sched_setaffinity", b), sched_setaffinity(0, 8, p), EFAULT);
  if (p) EXPECT_ERR(nm("setrlimit", b), setrlimit(RLIMIT_NOFILE, p), EFAULT);
  EXPECT_ERR(nm("setrlimit_syscall", b), syscall(SYS_setrlimit, RLIMIT_NOFILE, p), EFAULT);
  if (p) EXPECT_ERR(nm("prlimit_new", b), prlimit(0, RLIMIT_NOFILE, p, 0), EFAULT);
  EXPECT_ERR(nm("nanosleep", b), nanosleep(p, 0), EFAULT);
}

/* A call that fails with EFAULT changes nothing. */
static void test_nothing_changes(void) {
  void* bad = (void*)0xffff000000001000ul;
  struct sigaction sa;
  syscall(SYS_rt_sigaction, SIGUSR2, bad, 0, 8);
  UT_TRUE("unchanged.sigaction", sigaction(SIGUSR2, 0, &sa) == 0 && sa.sa_handler == SIG_DFL);
  struct winsize ws;
  ioctl(1, TIOCSWINSZ, bad);
  UT_TRUE("unchanged.winsize",
          ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col == 80 && ws.ws_row == 24);
  struct rlimit rl;
  setrlimit(RLIMIT_NOFILE, bad);
  UT_TRUE("unchanged.rlimit", getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 1024);
  sigset_t set;
  sigprocmask(SIG_BLOCK, bad, 0);
  UT_TRUE("unchanged.sigmask", sigprocmask(SIG_BLOCK, 0, &set) == 0 && !sigismember(&set, SIGUSR1));
  /* A writev whose second buffer is bad writes the first. */
  struct iovec iov[2] = {{(void*)"bad_args: first buffer only\n", 28}, {bad, 4}};
  UT_EQ("writev_second_buffer_bad_writes_first", LIBC(writev(1, iov, 2)), 28);
}

/* The same calls with good pointers still work. */
static void test_good_pointers(void) {
  struct utsname u;
  UT_TRUE("good.uname",
          uname(&u) == 0 && strcmp(u.sysname, "ChCore") == 0 && strcmp(u.machine, "aarch64") == 0);
  unsigned r = 7, e = 7, s = 7;
  UT_TRUE("good.getresuid", getresuid(&r, &e, &s) == 0 && r == 0 && e == 0 && s == 0);
  struct timespec a, b;
  UT_TRUE("good.clock_gettime",
          clock_gettime(CLOCK_MONOTONIC, &a) == 0 && clock_gettime(CLOCK_MONOTONIC, &b) == 0 &&
              (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec)));
  UT_TRUE("good.clock_getres",
          clock_getres(CLOCK_MONOTONIC, &a) == 0 && a.tv_sec == 0 && a.tv_nsec > 0);
  struct termios t;
  UT_TRUE("good.tcgetattr", tcgetattr(1, &t) == 0 && (t.c_oflag & ONLCR) && t.c_cc[VMIN] == 1);
  UT_TRUE("good.tcsetattr", tcsetattr(1, TCSANOW, &t) == 0);
  int n = -1;
  UT_TRUE("good.fionread", ioctl(0, FIONREAD, &n) == 0 && n == 0);
  unsigned cpu = 999;
  UT_TRUE("good.getcpu",
          syscall(SYS_getcpu, &cpu, 0, 0) == 0 && cpu < 64 && (int)cpu == sched_getcpu());
  cpu_set_t cs;
  UT_TRUE("good.sched_getaffinity",
          sched_getaffinity(0, sizeof cs, &cs) == 0 && CPU_COUNT(&cs) == main_argc);
  struct pollfd pf = {1, POLLOUT, 0};
  UT_TRUE("good.poll", poll(&pf, 1, 0) == 1 && pf.revents == POLLOUT);
  struct iovec iov[2] = {{(void*)"bad_args: ", 10}, {(void*)"writev works\n", 13}};
  UT_EQ("good.writev", writev(1, iov, 2), 23);
}

/* Lengths that overflow when rounded up to pages: Linux's ENOMEM (mprotect,
 * mmap) or EINVAL (madvise), and nothing changes. mprotect is checked both
 * through musl's function (which rounds the range itself:
 * overrides/src/mman/mprotect.c) and as the bare system call. */
static void test_overflowing_lengths(void) {
  char* page = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!UT_TRUE("lengths.setup", page != MAP_FAILED)) return;
  page[0] = 1;
  EXPECT_ERR("lengths.mprotect_size_max", mprotect(page, SIZE_MAX, PROT_READ), ENOMEM);
  EXPECT_ERR("lengths.mprotect_rounds_to_zero", mprotect(page, SIZE_MAX - PAGE + 2, PROT_READ),
             ENOMEM);
  EXPECT_ERR("lengths.mprotect_end_wraps", mprotect(page, -(uintptr_t)page, PROT_READ), ENOMEM);
  EXPECT_ERR("lengths.mprotect_past_user_space", mprotect(page, 1ul << 48, PROT_READ), ENOMEM);
  EXPECT_ERR("lengths.mprotect_syscall_size_max", syscall(SYS_mprotect, page, SIZE_MAX, PROT_READ),
             ENOMEM);
  EXPECT_ERR("lengths.mprotect_syscall_rounds_to_zero",
             syscall(SYS_mprotect, page, SIZE_MAX - PAGE + 2, PROT_READ), ENOMEM);
  EXPECT_ERR("lengths.mprotect_unaligned_size_max", mprotect(page + 1, SIZE_MAX, PROT_READ),
             ENOMEM);
  EXPECT_ERR("lengths.mprotect_kernel_half", mprotect((void*)0xffff000000001000ul, PAGE, PROT_READ),
             ENOMEM);
  /* Still writable: the refused calls changed no protection. */
  page[1] = 2;
  UT_TRUE("lengths.page_still_writable", page[0] == 1 && page[1] == 2);
  UT_EQ("lengths.mprotect_zero_is_fine", LIBC(mprotect(page, 0, PROT_READ)), 0);
  EXPECT_ERR("lengths.madvise_size_max", madvise(page, SIZE_MAX, MADV_NORMAL), EINVAL);
  EXPECT_ERR("lengths.mmap_size_max",
             syscall(SYS_mmap, 0, SIZE_MAX, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), ENOMEM);
  EXPECT_ERR("lengths.munmap_size_max", munmap(page, SIZE_MAX), EINVAL);
  UT_EQ("lengths.munmap", LIBC(munmap(page, PAGE)), 0);
}

int main(int argc, char** argv) {
  /* argv[1]: the number of CPUs the machine has. */
  main_argc = argc > 1 ? atoi(argv[1]) : 0;
  /* A page that was mapped and is not any more: far from where mmap
   * places memory, so that nothing the calls below map on first use (a
   * connection's buffer, say) lands on it. */
  char* gone = mmap((void*)0x0000180000000000ul, PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  munmap(gone, PAGE);
  add_bad("null", 0, 0);
  add_bad("one", (void*)1, 0);
  add_bad("kernel", (void*)0xffff000000001000ul, 0);
  add_bad("unmapped", gone, 0);
  add_bad("hole", (void*)0x0000100000000000ul, 0); /* 16 TiB: nothing is mapped there */
  add_bad("read_only", (void*)main, 1);
  for (int i = 0; i < nbads; i++) {
    test_outputs(&bads[i]);
    if (!bads[i].input_ok) test_inputs(&bads[i]);
  }
  test_nothing_changes();
  test_good_pointers();
  test_overflowing_lengths();
  return ut_finish();
}
