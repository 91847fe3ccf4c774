// user/chcore-libc/port/fd.c: the libc's fd table and the generic file
// system calls, driven through the entry points musl uses (the Linux
// handlers __chcore_linux_<name>) and the description API of chcore_fd.h.
//
// fd.c is compiled for the host against stand-ins for musl's internal
// headers (libc/shim/); the functions it calls from other port files
// (console, clock, yield, the checked copies of the caller's memory, the
// RLIMIT_NOFILE limit) are fakes below. Its table is process-wide state,
// so every test leaves it as it found it: the fixture closes every fd,
// reinstalls the console at 0-2 and checks that the description pool has
// not leaked.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#define hidden __attribute__((__visibility__("hidden")))
extern "C" {
#include "chcore_fd.h"
#include "kstat.h"
#include "uapi/pipe.h"
}
#undef hidden

namespace {

// ---- A fake description type that records what reaches its ops. ----------------

struct Fake {
  std::atomic<int> reads{0}, writes{0}, closes{0}, polls{0}, writevs{0};
  std::atomic<int> used_after_close{0};  // an op ran after close: a refcount bug
  std::string written;                   // single-threaded tests only
  std::vector<size_t> write_sizes;
  long write_max = LONG_MAX;  // bytes each write accepts (short writes)
  long write_error_at = -1;   // this write call (0-based) fails with -EIO
  long read_max = LONG_MAX;
  int ready = 0;              // what poll reports
  int ready_after_polls = -1; // if >= 0: `ready` only from this poll call on
  int last_poll_want = 0;
  off_t last_off = 0;
  int last_whence = 0;
  unsigned long last_req = 0;
  int last_cmd = 0;
  long last_arg = 0;
  int last_iovcnt = 0;
  // Run inside write, as if another thread did it during the call.
  void (*during_write)(Fake *) = nullptr;
  int closes_seen_during_write = -1;
};

Fake *fake_of(chcore_fd *d) { return static_cast<Fake *>(d->priv); }

void check_alive(Fake *f) {
  if (f->closes.load() != 0) f->used_after_close++;
}

long fake_read(chcore_fd *d, void *buf, size_t len) {
  Fake *f = fake_of(d);
  check_alive(f);
  f->reads++;
  size_t n = len < static_cast<size_t>(f->read_max) ? len : static_cast<size_t>(f->read_max);
  memset(buf, 'r', n);
  return static_cast<long>(n);
}

long fake_write(chcore_fd *d, const void *, size_t len) {
  Fake *f = fake_of(d);
  check_alive(f);
  int call = f->writes++;
  if (f->during_write) {
    f->during_write(f);
    f->closes_seen_during_write = f->closes.load();
  }
  if (call == f->write_error_at) return -EIO;
  size_t n = len < static_cast<size_t>(f->write_max) ? len : static_cast<size_t>(f->write_max);
  return static_cast<long>(n);
}

// Single-threaded variant that keeps the bytes.
long fake_write_keep(chcore_fd *d, const void *buf, size_t len) {
  Fake *f = fake_of(d);
  long r = fake_write(d, buf, len);
  f->write_sizes.push_back(len);
  if (r > 0) f->written.append(static_cast<const char *>(buf), static_cast<size_t>(r));
  return r;
}

long fake_close(chcore_fd *d) {
  fake_of(d)->closes++;
  return 0;
}

long fake_lseek(chcore_fd *d, off_t off, int whence) {
  Fake *f = fake_of(d);
  f->last_off = off;
  f->last_whence = whence;
  return 4242;
}

long fake_ioctl(chcore_fd *d, unsigned long req, void *) {
  fake_of(d)->last_req = req;
  return 7;
}

long fake_fcntl(chcore_fd *d, int cmd, long arg) {
  fake_of(d)->last_cmd = cmd;
  fake_of(d)->last_arg = arg;
  return 11;
}

int fake_poll(chcore_fd *d, int want) {
  Fake *f = fake_of(d);
  int n = f->polls++;
  f->last_poll_want = want;
  if (f->ready_after_polls >= 0 && n < f->ready_after_polls) return 0;
  return f->ready;
}

long fake_writev(chcore_fd *d, const iovec *iov, int cnt) {
  Fake *f = fake_of(d);
  f->writevs++;
  f->last_iovcnt = cnt;
  long total = 0;
  for (int i = 0; i < cnt; i++) total += static_cast<long>(iov[i].iov_len);
  return total;
}

long fake_pread(chcore_fd *d, void *, size_t len, off_t off) {
  fake_of(d)->last_off = off;
  return static_cast<long>(len);
}

long fake_pwrite(chcore_fd *d, const void *, size_t len, off_t off) {
  fake_of(d)->last_off = off;
  return static_cast<long>(len);
}

long fake_fstat(chcore_fd *, struct kstat *st) {
  st->st_size = 1234;
  st->st_mode = 0020666;
  return 0;
}

// Every op; writev NULL, so writev goes through write.
const chcore_fd_ops full_ops = {
    .read = fake_read,
    .write = fake_write_keep,
    .close = fake_close,
    .lseek = fake_lseek,
    .ioctl = fake_ioctl,
    .fcntl = fake_fcntl,
    .poll = fake_poll,
    .writev = nullptr,
    .pread = fake_pread,
    .pwrite = fake_pwrite,
    .fstat = fake_fstat,
    .getfl = nullptr,
    .setfl = nullptr,
    .wait_slot = nullptr,
};

const chcore_fd_ops writev_ops = {
    .read = fake_read,
    .write = fake_write_keep,
    .close = fake_close,
    .lseek = nullptr,
    .ioctl = nullptr,
    .fcntl = nullptr,
    .poll = nullptr,
    .writev = fake_writev,
    .pread = nullptr,
    .pwrite = nullptr,
    .fstat = nullptr,
    .getfl = nullptr,
    .setfl = nullptr,
    .wait_slot = nullptr,
};

// Only close, to see the release; everything else takes the generic answer.
const chcore_fd_ops close_only_ops = {
    .read = nullptr,
    .write = nullptr,
    .close = fake_close,
    .lseek = nullptr,
    .ioctl = nullptr,
    .fcntl = nullptr,
    .poll = nullptr,
    .writev = nullptr,
    .pread = nullptr,
    .pwrite = nullptr,
    .fstat = nullptr,
    .getfl = nullptr,
    .setfl = nullptr,
    .wait_slot = nullptr,
};

// Thread-safe write for the concurrent test (no std::string).
long fake_write_mt(chcore_fd *d, const void *buf, size_t len) { return fake_write(d, buf, len); }

const chcore_fd_ops mt_ops = {
    .read = fake_read,
    .write = fake_write_mt,
    .close = fake_close,
    .lseek = nullptr,
    .ioctl = nullptr,
    .fcntl = nullptr,
    .poll = nullptr,
    .writev = nullptr,
    .pread = nullptr,
    .pwrite = nullptr,
    .fstat = nullptr,
    .getfl = nullptr,
    .setfl = nullptr,
    .wait_slot = nullptr,
};

// ---- Fakes of the other port files. ----------------------------------------------

Fake console_fake[3];
std::atomic<unsigned long> fake_clock{1'000'000'000ul};
std::atomic<int> yields{0};
std::vector<unsigned long> sleeps;
bool console_input = false;                           // the fake kernel's console
std::atomic<int> copies{0};                            // checked copies made
unsigned long long fake_nofile = RLIM_INFINITY;        // soft RLIMIT_NOFILE
struct KernelPoll {
  std::vector<chcore_poll_item> items;
  unsigned long deadline;
};
std::vector<KernelPoll> kernel_polls;                   // the poll calls made

// The console is waited on in the kernel (its poll call).
unsigned console_wait_slot(chcore_fd *) { return CHCORE_POLL_CONSOLE; }

const chcore_fd_ops console_ops = {
    .read = fake_read,
    .write = fake_write_keep,
    .close = fake_close,
    .lseek = nullptr,
    .ioctl = nullptr,
    .fcntl = nullptr,
    .poll = fake_poll,
    .writev = nullptr,
    .pread = nullptr,
    .pwrite = nullptr,
    .fstat = nullptr,
    .getfl = nullptr,
    .setfl = nullptr,
    .wait_slot = console_wait_slot,
};

}  // namespace

extern "C" {

struct chcore_fd __chcore_console_fds[3] = {
    {.type = CHCORE_FD_STDIN, .refs = 0, .flags = O_RDWR, .ops = &console_ops,
     .priv = &console_fake[0], .offset = 0, .name = "/dev/console", .tag = {}},
    {.type = CHCORE_FD_STDOUT, .refs = 0, .flags = O_RDWR, .ops = &console_ops,
     .priv = &console_fake[1], .offset = 0, .name = "/dev/console", .tag = {}},
    {.type = CHCORE_FD_STDERR, .refs = 0, .flags = O_RDWR, .ops = &console_ops,
     .priv = &console_fake[2], .offset = 0, .name = "/dev/console", .tag = {}},
};

int __chcore_fd_is_console(const struct chcore_fd *f) { return f->ops == &console_ops; }

// /proc's view (fd.c registers it at init): nothing to do on the host.
long __chcore_sys_set_proc_info(unsigned long) { return 0; }
const char *__chcore_cwd_buffer(void) { return ""; }

// The kernel's poll: the console has input when console_input is set; other
// slots never have events. Blocking "until the deadline" makes the fake
// clock jump there.
long __chcore_sys_poll(unsigned long items, unsigned long n, unsigned long deadline) {
  auto *it = reinterpret_cast<chcore_poll_item *>(items);
  kernel_polls.push_back({std::vector<chcore_poll_item>(it, it + n), deadline});
  long ready = 0;
  for (unsigned long i = 0; i < n; i++) {
    it[i].revents = 0;
    if (it[i].slot == CHCORE_POLL_CONSOLE && console_input)
      it[i].revents = static_cast<short>(it[i].events & CHCORE_POLLIN);
    if (it[i].revents) ready++;
  }
  if (ready == 0 && deadline != CHCORE_POLL_NOW) {
    if (deadline == CHCORE_POLL_FOREVER) {
      fprintf(stderr, "poll would block for ever\n");
      abort();
    }
    if (deadline > fake_clock) fake_clock = deadline;
  }
  return ready;
}

// A ppoll that never returns would spin here for ever: stop it.
static void check_not_stuck() {
  if (yields.load() + sleeps.size() > 1'000'000) {
    fprintf(stderr, "ppoll is stuck: a million yields and sleeps\n");
    abort();
  }
}

long __chcore_sys_yield(void) {
  yields++;
  check_not_stuck();
  return 0;
}

void __chcore_sleep_ns(unsigned long ns) {
  sleeps.push_back(ns);
  fake_clock += ns;
  check_not_stuck();
}

unsigned long __chcore_monotonic_ns(void) { return fake_clock; }

// The kernel's user_copy, as far as these tests need it: the first page and
// anything above the host's user half are not the caller's memory.
static bool bad_range(const void *p, size_t len) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p);
  return len > 0 && (a < 4096 || a >= (1ul << 47) || a + len < a);
}

long __chcore_copy_in(void *dst, const void *user_src, size_t len) {
  copies++;
  if (bad_range(user_src, len)) return -EFAULT;
  if (len) memmove(dst, user_src, len);
  return 0;
}

long __chcore_copy_out(void *user_dst, const void *src, size_t len) {
  copies++;
  if (bad_range(user_dst, len)) return -EFAULT;
  if (len) memmove(user_dst, src, len);
  return 0;
}

unsigned long long __chcore_rlimit(int resource) {
  return resource == RLIMIT_NOFILE ? fake_nofile : RLIM_INFINITY;
}

}  // extern "C"

namespace {

// ---- Calls as musl makes them: six argument registers. ---------------------------

template <class... A>
long sys(chcore_linux_fn fn, A... a) {
  static_assert(sizeof...(A) <= 6);
  long v[6] = {((long)a)...};
  return fn(v[0], v[1], v[2], v[3], v[4], v[5]);
}

long do_read(long fd, void *buf, size_t len) { return sys(__chcore_linux_read, fd, buf, len); }
long do_write(long fd, const void *buf, size_t len) {
  return sys(__chcore_linux_write, fd, buf, len);
}
long do_close(long fd) { return sys(__chcore_linux_close, fd); }
long do_dup(long fd) { return sys(__chcore_linux_dup, fd); }
long do_dup3(long o, long n, long flags) { return sys(__chcore_linux_dup3, o, n, flags); }
long do_fcntl(long fd, long cmd, long arg = 0) { return sys(__chcore_linux_fcntl, fd, cmd, arg); }

// musl's dup2 where there is no dup2 system call (aarch64,
// src/unistd/dup2.c): the same fd is checked with F_GETFD, others go to dup3.
long musl_dup2(long o, long n) {
  if (o == n) {
    long r = do_fcntl(o, F_GETFD);
    return r >= 0 ? o : r;
  }
  long r;
  while ((r = do_dup3(o, n, 0)) == -EBUSY) {
  }
  return r;
}

bool is_open(int fd) { return do_fcntl(fd, F_GETFD) >= 0; }

class FdTable : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_clock = 1'000'000'000ul;
    yields = 0;
    sleeps.clear();
    console_input = false;
    kernel_polls.clear();
    for (Fake &f : console_fake) reset(f);
  }

  void TearDown() override {
    fake_nofile = RLIM_INFINITY;
    for (auto &f : fakes_) EXPECT_EQ(f->used_after_close.load(), 0);
    // Close everything, then put the console back at 0-2.
    for (int fd = 0; fd < CHCORE_FD_MAX; fd++) do_close(fd);
    for (int i = 0; i < 3; i++) {
      // The console's static descriptions are not reference-counted
      // (__chcore_fd_hold/put leave them alone): still as fd_init set them.
      EXPECT_EQ(__atomic_load_n(&__chcore_console_fds[i].refs, __ATOMIC_RELAXED), 1)
          << "console description " << i;
      __chcore_console_fds[i].refs = 1;
      EXPECT_EQ(__chcore_fd_install(&__chcore_console_fds[i], i, 0), i);
    }
    // No description of the pool may have leaked: all of it is free.
    std::vector<chcore_fd *> all;
    for (int i = 0; i < CHCORE_FD_POOL; i++) {
      chcore_fd *d = __chcore_fd_new(CHCORE_FD_FILE, &close_only_ops, O_RDWR, &leak_check_);
      EXPECT_NE(d, nullptr) << "pool slot " << i << " leaked";
      if (d) all.push_back(d);
    }
    for (chcore_fd *d : all) __chcore_fd_put(d);
    EXPECT_EQ(leak_check_.closes.load(), static_cast<int>(all.size()));
  }

  static void reset(Fake &f) {
    f.~Fake();
    new (&f) Fake;
  }

  Fake &fake() { return *fakes_.emplace_back(std::make_unique<Fake>()); }

  chcore_fd *make(Fake &f, int flags = O_RDWR, const chcore_fd_ops *ops = &full_ops) {
    chcore_fd *d = __chcore_fd_new(CHCORE_FD_FILE, ops, flags, &f);
    EXPECT_NE(d, nullptr);
    return d;
  }

  // A new description installed at the lowest free fd >= min_fd.
  int open_fake(Fake &f, int flags = O_RDWR, const chcore_fd_ops *ops = &full_ops,
                int min_fd = 0) {
    chcore_fd *d = make(f, flags, ops);
    return d ? __chcore_fd_install(d, min_fd, 0) : -1;
  }

  std::vector<std::unique_ptr<Fake>> fakes_;
  Fake leak_check_;
};

// ---- The table --------------------------------------------------------------------

TEST_F(FdTable, ConsoleIsAtFds0To2AtStart) {
  for (int fd = 0; fd < 3; fd++) {
    EXPECT_EQ(do_fcntl(fd, F_GETFD), 0) << fd;
    EXPECT_EQ(do_fcntl(fd, F_GETFL), O_RDWR) << fd;
  }
  EXPECT_EQ(do_fcntl(3, F_GETFD), -EBADF);
  EXPECT_EQ(do_write(1, "hi", 2), 2);
  EXPECT_EQ(console_fake[1].written, "hi");
  EXPECT_EQ(console_fake[2].writes.load(), 0);
  // A new fd starts after them.
  Fake &f = fake();
  EXPECT_EQ(open_fake(f), 3);
}

TEST_F(FdTable, InstallTakesTheLowestFreeFdAtOrAboveMin) {
  Fake &a = fake(), &b = fake(), &c = fake(), &d = fake(), &e = fake(), &g = fake();
  EXPECT_EQ(open_fake(a), 3);
  EXPECT_EQ(open_fake(b, O_RDWR, &full_ops, 10), 10);
  EXPECT_EQ(open_fake(c), 4);
  EXPECT_EQ(open_fake(d, O_RDWR, &full_ops, 10), 11);
  EXPECT_EQ(do_close(3), 0);
  EXPECT_EQ(open_fake(e, O_RDWR, &full_ops, -5), 3);  // a negative minimum is 0
  EXPECT_EQ(do_close(10), 0);
  EXPECT_EQ(open_fake(g, O_RDWR, &full_ops, 5), 5);
  // Each fd reaches its own description.
  EXPECT_EQ(do_write(11, "d", 1), 1);
  EXPECT_EQ(do_write(3, "e", 1), 1);
  EXPECT_EQ(d.written, "d");
  EXPECT_EQ(e.written, "e");
  EXPECT_EQ(b.closes.load(), 1);
  EXPECT_EQ(a.closes.load(), 1);
}

TEST_F(FdTable, DupGivesTheLowestFreeFdSharingTheDescription) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  EXPECT_EQ(do_dup(3), 4);
  EXPECT_EQ(do_dup(0), 5);
  EXPECT_EQ(do_close(4), 0);
  EXPECT_EQ(do_dup(3), 4);
  EXPECT_EQ(do_write(4, "via4", 4), 4);
  EXPECT_EQ(do_write(3, "via3", 4), 4);
  EXPECT_EQ(f.written, "via4via3");
  // Status flags belong to the description, so a dup sees them.
  EXPECT_EQ(do_fcntl(3, F_SETFL, O_NONBLOCK), 0);
  EXPECT_EQ(do_fcntl(4, F_GETFL), O_RDWR | O_NONBLOCK);
  EXPECT_EQ(do_write(5, "c", 1), 1);
  EXPECT_EQ(console_fake[0].written, "c");
}

TEST_F(FdTable, CloseReleasesTheDescriptionWithTheLastFd) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  ASSERT_EQ(do_dup(3), 4);
  ASSERT_EQ(do_dup(4), 5);
  EXPECT_EQ(do_close(3), 0);
  EXPECT_EQ(f.closes.load(), 0);
  EXPECT_EQ(do_close(5), 0);
  EXPECT_EQ(f.closes.load(), 0);
  EXPECT_EQ(do_write(4, "x", 1), 1);
  EXPECT_EQ(do_close(4), 0);
  EXPECT_EQ(f.closes.load(), 1);
  EXPECT_EQ(do_close(4), -EBADF);
  EXPECT_EQ(do_close(3), -EBADF);
  EXPECT_EQ(f.closes.load(), 1);
}

TEST_F(FdTable, ANewDescriptionNotInstalledIsReleasedByPut) {
  Fake &f = fake();
  chcore_fd *d = make(f);
  ASSERT_NE(d, nullptr);
  __chcore_fd_put(d);
  EXPECT_EQ(f.closes.load(), 1);
}

TEST_F(FdTable, Dup2OntoAnOpenFdClosesWhatWasThere) {
  Fake &a = fake(), &b = fake();
  ASSERT_EQ(open_fake(a), 3);
  ASSERT_EQ(open_fake(b), 4);
  EXPECT_EQ(musl_dup2(3, 4), 4);
  EXPECT_EQ(b.closes.load(), 1);
  EXPECT_EQ(a.closes.load(), 0);
  EXPECT_EQ(do_write(4, "a", 1), 1);
  EXPECT_EQ(a.written, "a");
  EXPECT_TRUE(b.written.empty());
  // Onto an fd that already holds the same description: nothing closes.
  EXPECT_EQ(do_dup3(4, 3, 0), 3);
  EXPECT_EQ(a.closes.load(), 0);
  // Onto a closed fd: just opens it.
  EXPECT_EQ(do_dup3(3, 20, 0), 20);
  EXPECT_EQ(do_close(3), 0);
  EXPECT_EQ(do_close(4), 0);
  EXPECT_EQ(a.closes.load(), 0);
  EXPECT_EQ(do_close(20), 0);
  EXPECT_EQ(a.closes.load(), 1);
  EXPECT_EQ(b.closes.load(), 1);
}

TEST_F(FdTable, Dup2OverTheConsoleKeepsItsOtherFds) {
  Fake &a = fake();
  ASSERT_EQ(open_fake(a), 3);
  ASSERT_EQ(musl_dup2(3, 1), 1);
  EXPECT_EQ(do_write(1, "redirected", 10), 10);
  EXPECT_EQ(a.written, "redirected");
  // fd 1 was its only fd, but the console's descriptions are static and
  // not reference-counted: never released, never closed.
  EXPECT_EQ(console_fake[1].closes.load(), 0);
  EXPECT_EQ(do_write(2, "e", 1), 1);
  EXPECT_EQ(console_fake[2].written, "e");
}

TEST_F(FdTable, SameFdDup3IsEinvalAndDup2ReturnsTheFd) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  EXPECT_EQ(do_dup3(3, 3, 0), -EINVAL);
  EXPECT_EQ(do_dup3(3, 3, O_CLOEXEC), -EINVAL);
  EXPECT_EQ(musl_dup2(3, 3), 3);
  EXPECT_EQ(musl_dup2(0, 0), 0);
  EXPECT_EQ(musl_dup2(9, 9), -EBADF);  // closed
  EXPECT_EQ(f.closes.load(), 0);
  EXPECT_TRUE(is_open(3));
  EXPECT_FALSE(is_open(4));  // nothing new was opened
}

TEST_F(FdTable, Dup3CloexecMarksOnlyTheNewFd) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  EXPECT_EQ(do_dup3(3, 7, O_CLOEXEC), 7);
  EXPECT_EQ(do_fcntl(7, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(do_fcntl(3, F_GETFD), 0);
  // A plain dup3 onto it clears the flag of the slot.
  EXPECT_EQ(do_dup3(3, 7, 0), 7);
  EXPECT_EQ(do_fcntl(7, F_GETFD), 0);
  // Any other flag is EINVAL and changes nothing.
  EXPECT_EQ(do_dup3(3, 8, O_NONBLOCK), -EINVAL);
  EXPECT_EQ(do_dup3(3, 8, O_CLOEXEC | O_APPEND), -EINVAL);
  EXPECT_FALSE(is_open(8));
  // newfd out of range.
  EXPECT_EQ(do_dup3(3, CHCORE_FD_MAX, 0), -EBADF);
  EXPECT_EQ(do_dup3(3, -1, 0), -EBADF);
  EXPECT_EQ(f.closes.load(), 0);
  EXPECT_EQ(do_close(3), 0);
  EXPECT_EQ(do_close(7), 0);
  EXPECT_EQ(f.closes.load(), 1);
}

TEST_F(FdTable, BadFdsGiveEbadfForEveryCall) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  char buf[4] = {};
  iovec iov = {buf, sizeof buf};
  struct kstat st;
  int on = 1;
  for (long fd : {-1L, -1000L, (long)CHCORE_FD_MAX, (long)CHCORE_FD_MAX + 7, 500L, 4L}) {
    SCOPED_TRACE(fd);
    EXPECT_EQ(do_read(fd, buf, sizeof buf), -EBADF);
    EXPECT_EQ(do_write(fd, buf, sizeof buf), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_readv, fd, &iov, 1), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_writev, fd, &iov, 1), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_pread64, fd, buf, sizeof buf, 0), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_pwrite64, fd, buf, sizeof buf, 0), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_lseek, fd, 0, SEEK_SET), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_ioctl, fd, FIONBIO, &on), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_ioctl, fd, FIOCLEX), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_ioctl, fd, 0x1234, 0), -EBADF);
    EXPECT_EQ(do_fcntl(fd, F_GETFD), -EBADF);
    EXPECT_EQ(do_fcntl(fd, F_SETFD, FD_CLOEXEC), -EBADF);
    EXPECT_EQ(do_fcntl(fd, F_GETFL), -EBADF);
    EXPECT_EQ(do_fcntl(fd, F_SETFL, O_NONBLOCK), -EBADF);
    EXPECT_EQ(do_fcntl(fd, F_DUPFD, 0), -EBADF);
    EXPECT_EQ(do_fcntl(fd, F_DUPFD_CLOEXEC, 0), -EBADF);
    EXPECT_EQ(sys(__chcore_linux_fstat, fd, &st), -EBADF);
    EXPECT_EQ(do_close(fd), -EBADF);
    EXPECT_EQ(do_dup(fd), -EBADF);
    EXPECT_EQ(do_dup3(fd, 9, 0), -EBADF);
    EXPECT_EQ(__chcore_fd_get(static_cast<int>(fd)), nullptr);
  }
  // None of it opened an fd or touched the open description.
  EXPECT_FALSE(is_open(4));
  EXPECT_FALSE(is_open(9));
  EXPECT_EQ(f.reads.load() + f.writes.load() + f.closes.load(), 0);
}

// ---- References held by calls in progress ---------------------------------------

TEST_F(FdTable, AReferenceKeepsTheDescriptionAliveAfterClose) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  chcore_fd *d = __chcore_fd_get(3);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->priv, &f);
  EXPECT_EQ(do_close(3), 0);
  EXPECT_EQ(f.closes.load(), 0);
  EXPECT_EQ(__chcore_fd_get(3), nullptr);  // the fd is gone at once
  EXPECT_FALSE(is_open(3));
  EXPECT_EQ(d->ops->write(d, "late", 4), 4);
  __chcore_fd_put(d);
  EXPECT_EQ(f.closes.load(), 1);
}

TEST_F(FdTable, CloseDuringAWriteReleasesAfterTheWrite) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  f.during_write = [](Fake *) { EXPECT_EQ(do_close(3), 0); };
  EXPECT_EQ(do_write(3, "abc", 3), 3);
  EXPECT_EQ(f.closes_seen_during_write, 0);
  EXPECT_EQ(f.closes.load(), 1);
  EXPECT_EQ(do_write(3, "abc", 3), -EBADF);
}

// ---- Access modes and the generic answers -----------------------------------------

TEST_F(FdTable, AccessModeIsChecked) {
  Fake &wo = fake(), &ro = fake();
  char buf[8];
  iovec iov = {buf, sizeof buf};
  int w = open_fake(wo, O_WRONLY), r = open_fake(ro, O_RDONLY);
  ASSERT_GE(w, 3);
  ASSERT_GE(r, 3);
  EXPECT_EQ(do_read(w, buf, sizeof buf), -EBADF);
  EXPECT_EQ(sys(__chcore_linux_readv, w, &iov, 1), -EBADF);
  EXPECT_EQ(sys(__chcore_linux_pread64, w, buf, sizeof buf, 0), -EBADF);
  EXPECT_EQ(do_write(w, "ok", 2), 2);
  EXPECT_EQ(do_write(r, "no", 2), -EBADF);
  EXPECT_EQ(sys(__chcore_linux_writev, r, &iov, 1), -EBADF);
  EXPECT_EQ(sys(__chcore_linux_pwrite64, r, buf, sizeof buf, 0), -EBADF);
  EXPECT_EQ(do_read(r, buf, sizeof buf), 8);
  EXPECT_EQ(wo.reads.load(), 0);
  EXPECT_EQ(ro.writes.load(), 0);
  EXPECT_EQ(wo.writes.load(), 1);
  EXPECT_EQ(ro.reads.load(), 1);
  // Not changeable with F_SETFL.
  EXPECT_EQ(do_fcntl(r, F_SETFL, O_RDWR), 0);
  EXPECT_EQ(do_write(r, "no", 2), -EBADF);
}

TEST_F(FdTable, NullOpsGiveTheGenericAnswers) {
  Fake &f = fake();
  int fd = open_fake(f, O_RDWR, &close_only_ops);
  ASSERT_EQ(fd, 3);
  char buf[4];
  iovec iov = {buf, sizeof buf};
  struct kstat st;
  EXPECT_EQ(do_read(fd, buf, sizeof buf), -EINVAL);
  EXPECT_EQ(do_write(fd, buf, sizeof buf), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_readv, fd, &iov, 1), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_writev, fd, &iov, 1), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_lseek, fd, 0, SEEK_SET), -ESPIPE);
  EXPECT_EQ(sys(__chcore_linux_pread64, fd, buf, sizeof buf, 0), -ESPIPE);
  EXPECT_EQ(sys(__chcore_linux_pwrite64, fd, buf, sizeof buf, 0), -ESPIPE);
  EXPECT_EQ(sys(__chcore_linux_ioctl, fd, TCGETS, buf), -ENOTTY);
  EXPECT_EQ(do_fcntl(fd, F_GETLK, 0), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_fstat, fd, &st), -ENOSYS);
  // ... while the table's own commands still work.
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_RDWR);
  EXPECT_EQ(do_fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFD), FD_CLOEXEC);
}

TEST_F(FdTable, OpsReceiveTheirArguments) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  char buf[16];
  EXPECT_EQ(sys(__chcore_linux_lseek, fd, -42, SEEK_CUR), 4242);
  EXPECT_EQ(f.last_off, -42);
  EXPECT_EQ(f.last_whence, SEEK_CUR);
  EXPECT_EQ(sys(__chcore_linux_ioctl, fd, TCGETS, buf), 7);
  EXPECT_EQ(f.last_req, static_cast<unsigned long>(TCGETS));
  // The request is 32 bits, like Linux's: garbage above is ignored.
  EXPECT_EQ(sys(__chcore_linux_ioctl, fd, 0xdead00000000L | TCGETS, buf), 7);
  EXPECT_EQ(f.last_req, static_cast<unsigned long>(TCGETS));
  EXPECT_EQ(do_fcntl(fd, F_GETLK, 99), 11);
  EXPECT_EQ(f.last_cmd, F_GETLK);
  EXPECT_EQ(f.last_arg, 99);
  EXPECT_EQ(sys(__chcore_linux_pread64, fd, buf, 5, 1000), 5);
  EXPECT_EQ(f.last_off, 1000);
  EXPECT_EQ(sys(__chcore_linux_pwrite64, fd, buf, 6, 2000), 6);
  EXPECT_EQ(f.last_off, 2000);
  EXPECT_EQ(sys(__chcore_linux_pread64, fd, buf, 5, -1), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_pwrite64, fd, buf, 5, -1), -EINVAL);
  struct kstat st = {};
  EXPECT_EQ(sys(__chcore_linux_fstat, fd, &st), 0);
  EXPECT_EQ(st.st_size, 1234);
  memset(buf, 0, sizeof buf);
  EXPECT_EQ(do_read(fd, buf, 3), 3);
  EXPECT_STREQ(buf, "rrr");
}

// ---- readv / writev ---------------------------------------------------------------

TEST_F(FdTable, WritevWritesEachBufferInOrderWithoutWritevOp) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  char a[] = "abc", b[] = "", c[] = "defg", d[] = "hi";
  iovec iov[] = {{a, 3}, {b, 0}, {c, 4}, {d, 2}};
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 4), 9);
  EXPECT_EQ(f.written, "abcdefghi");
  EXPECT_EQ(f.write_sizes, (std::vector<size_t>{3, 4, 2}));  // empty buffers skipped
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 0), 0);
}

TEST_F(FdTable, WritevStopsAtAShortWrite) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  char a[] = "abc", c[] = "defg", d[] = "hi";
  iovec iov[] = {{a, 3}, {c, 4}, {d, 2}};
  f.write_max = 3;  // "defg" is cut short
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 3), 6);
  EXPECT_EQ(f.written, "abcdef");
  EXPECT_EQ(f.write_sizes, (std::vector<size_t>{3, 4}));  // "hi" not attempted
}

TEST_F(FdTable, WritevReportsTheErrorOnlyWhenNothingWasWritten) {
  Fake &f = fake(), &g = fake();
  int fd = open_fake(f), fg = open_fake(g);
  char a[] = "abc", c[] = "defg";
  iovec iov[] = {{a, 3}, {c, 4}};
  f.write_error_at = 0;
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 2), -EIO);
  EXPECT_EQ(f.writes.load(), 1);
  g.write_error_at = 1;
  EXPECT_EQ(sys(__chcore_linux_writev, fg, iov, 2), 3);
  EXPECT_EQ(g.writes.load(), 2);
}

TEST_F(FdTable, WritevUsesTheWritevOpWhenThere) {
  Fake &f = fake();
  int fd = open_fake(f, O_WRONLY, &writev_ops);
  ASSERT_EQ(fd, 3);
  char a[] = "abc", c[] = "defg";
  iovec iov[] = {{a, 3}, {c, 4}};
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 2), 7);
  EXPECT_EQ(f.writevs.load(), 1);
  EXPECT_EQ(f.last_iovcnt, 2);
  EXPECT_EQ(f.writes.load(), 0);
}

TEST_F(FdTable, ReadvFillsEachBufferAndStopsShort) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  char a[4] = {}, b[4] = {}, c[4] = {};
  iovec iov[] = {{a, 2}, {b, 3}, {c, 3}};
  EXPECT_EQ(sys(__chcore_linux_readv, fd, iov, 3), 8);
  EXPECT_EQ(f.reads.load(), 3);
  f.read_max = 2;  // b gets 2 of 3: stop there
  EXPECT_EQ(sys(__chcore_linux_readv, fd, iov, 3), 4);
  EXPECT_EQ(f.reads.load(), 5);
}

TEST_F(FdTable, BadIovecsAreEinval) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  char a[1];
  iovec iov[2] = {{a, SSIZE_MAX}, {a, 1}};  // the total does not fit ssize_t
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 2), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_readv, fd, iov, 2), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, -1), -EINVAL);
  std::vector<iovec> many(IOV_MAX + 1, iovec{a, 0});
  EXPECT_EQ(sys(__chcore_linux_writev, fd, many.data(), IOV_MAX + 1), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_writev, fd, many.data(), IOV_MAX), 0);
  EXPECT_EQ(f.writes.load() + f.reads.load(), 0);
}

// ---- fcntl and ioctl --------------------------------------------------------------

TEST_F(FdTable, FcntlSetflChangesOnlyAppendAndNonblock) {
  Fake &f = fake();
  int fd = open_fake(f, O_WRONLY);
  ASSERT_EQ(fd, 3);
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_WRONLY);
  EXPECT_EQ(do_fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDWR | O_CLOEXEC | O_CREAT), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_WRONLY | O_APPEND | O_NONBLOCK);
  EXPECT_EQ(do_fcntl(fd, F_SETFL, O_APPEND), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_WRONLY | O_APPEND);
  EXPECT_EQ(do_fcntl(fd, F_SETFL, 0), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_WRONLY);
  // FIONBIO is the same flag.
  int on = 1, off = 0;
  EXPECT_EQ(sys(__chcore_linux_ioctl, fd, FIONBIO, &on), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_WRONLY | O_NONBLOCK);
  EXPECT_EQ(sys(__chcore_linux_ioctl, fd, FIONBIO, &off), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFL), O_WRONLY);
}

TEST_F(FdTable, FdFlagsBelongToTheFdNotTheDescription) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  ASSERT_EQ(do_dup(3), 4);
  EXPECT_EQ(do_fcntl(3, F_SETFD, FD_CLOEXEC), 0);
  EXPECT_EQ(do_fcntl(3, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(do_fcntl(4, F_GETFD), 0);
  EXPECT_EQ(do_fcntl(3, F_SETFD, 0), 0);
  EXPECT_EQ(do_fcntl(3, F_GETFD), 0);
  EXPECT_EQ(sys(__chcore_linux_ioctl, 4, FIOCLEX), 0);
  EXPECT_EQ(do_fcntl(4, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(do_fcntl(3, F_GETFD), 0);
  EXPECT_EQ(sys(__chcore_linux_ioctl, 4, FIONCLEX), 0);
  EXPECT_EQ(do_fcntl(4, F_GETFD), 0);
  // A new fd in a slot whose previous fd had FD_CLOEXEC starts without it.
  EXPECT_EQ(do_fcntl(4, F_SETFD, FD_CLOEXEC), 0);
  EXPECT_EQ(do_close(4), 0);
  EXPECT_EQ(do_dup(3), 4);
  EXPECT_EQ(do_fcntl(4, F_GETFD), 0);
}

TEST_F(FdTable, FcntlDupfdHonoursTheMinimum) {
  Fake &f = fake();
  ASSERT_EQ(open_fake(f), 3);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, 10), 10);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, 10), 11);
  EXPECT_EQ(do_fcntl(3, F_DUPFD_CLOEXEC, 10), 12);
  EXPECT_EQ(do_fcntl(12, F_GETFD), FD_CLOEXEC);
  EXPECT_EQ(do_fcntl(10, F_GETFD), 0);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, 0), 4);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, CHCORE_FD_MAX - 1), CHCORE_FD_MAX - 1);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, CHCORE_FD_MAX - 1), -EMFILE);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, -1), -EINVAL);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, CHCORE_FD_MAX), -EINVAL);
  EXPECT_EQ(do_write(12, "x", 1), 1);
  EXPECT_EQ(f.written, "x");
  // The failed calls kept no reference: closing the six fds releases it.
  for (int fd : {3, 4, 10, 11, 12, CHCORE_FD_MAX - 1}) {
    EXPECT_EQ(f.closes.load(), 0);
    EXPECT_EQ(do_close(fd), 0);
  }
  EXPECT_EQ(f.closes.load(), 1);
}

// ---- Exhaustion -------------------------------------------------------------------

TEST_F(FdTable, AFullTableGivesEmfileAndRecovers) {
  Fake &f = fake(), &extra = fake(), &later = fake();
  ASSERT_EQ(open_fake(f), 3);
  for (int fd = 4; fd < CHCORE_FD_MAX; fd++) ASSERT_EQ(do_dup(3), fd);
  EXPECT_EQ(do_dup(3), -EMFILE);
  EXPECT_EQ(do_fcntl(3, F_DUPFD, 0), -EMFILE);
  // A new description that finds no fd is released.
  chcore_fd *d = make(extra);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(__chcore_fd_install(d, 0, 0), -EMFILE);
  EXPECT_EQ(extra.closes.load(), 1);
  // dup3 still replaces an open fd.
  EXPECT_EQ(do_dup3(0, 700, 0), 700);
  EXPECT_EQ(do_close(500), 0);
  EXPECT_EQ(do_dup(3), 500);
  EXPECT_EQ(do_close(900), 0);
  EXPECT_EQ(open_fake(later), 900);
  for (int fd = 3; fd < CHCORE_FD_MAX; fd++) EXPECT_EQ(do_close(fd), 0) << fd;
  EXPECT_EQ(f.closes.load(), 1);
  EXPECT_EQ(later.closes.load(), 1);
  EXPECT_EQ(extra.closes.load(), 1);
}

TEST_F(FdTable, ThePoolGivesNullWhenExhaustedAndRecovers) {
  std::vector<chcore_fd *> ds;
  Fake &f = fake();
  for (int i = 0; i < CHCORE_FD_POOL; i++) {
    chcore_fd *d = __chcore_fd_new(CHCORE_FD_FILE, &full_ops, O_RDWR, &f);
    ASSERT_NE(d, nullptr) << i;
    ds.push_back(d);
  }
  EXPECT_EQ(__chcore_fd_new(CHCORE_FD_FILE, &full_ops, O_RDWR, &f), nullptr);
  // Installed descriptions come back when their fds close.
  int fd = __chcore_fd_install(ds[10], 0, 0);
  ASSERT_EQ(fd, 3);
  ASSERT_EQ(do_dup(fd), 4);
  EXPECT_EQ(do_close(3), 0);
  EXPECT_EQ(__chcore_fd_new(CHCORE_FD_FILE, &full_ops, O_RDWR, &f), nullptr);
  EXPECT_EQ(do_close(4), 0);
  EXPECT_EQ(f.closes.load(), 1);
  chcore_fd *again = __chcore_fd_new(CHCORE_FD_PIPE, &full_ops, O_RDONLY, &f);
  ASSERT_EQ(again, ds[10]);  // the same slot, fresh
  EXPECT_EQ(again->type, CHCORE_FD_PIPE);
  EXPECT_EQ(again->flags, O_RDONLY);
  EXPECT_EQ(again->offset, 0);
  ds[10] = again;
  for (chcore_fd *d : ds) __chcore_fd_put(d);
  EXPECT_EQ(f.closes.load(), 1 + CHCORE_FD_POOL);
}

// ---- ppoll ------------------------------------------------------------------------

long do_ppoll(pollfd *p, unsigned long n, const timespec *tmo) {
  return sys(__chcore_linux_ppoll, p, n, tmo, 0, 8);
}

const timespec zero_timeout = {0, 0};

TEST_F(FdTable, PpollReportsReadyEventsAndNval) {
  Fake &in = fake(), &idle = fake(), &hup = fake(), &nulpoll = fake();
  int fin = open_fake(in), fidle = open_fake(idle), fhup = open_fake(hup);
  int fnul = open_fake(nulpoll, O_RDWR, &close_only_ops);
  in.ready = POLLIN | POLLOUT;  // POLLOUT not asked for
  hup.ready = POLLHUP;          // always reported
  pollfd p[] = {
      {fin, POLLIN, 77},  {fidle, POLLIN | POLLOUT, 77}, {fhup, POLLOUT, 77},
      {600, POLLIN, 77},  {-1, POLLIN, 77},              {fnul, POLLOUT, 77},
      {CHCORE_FD_MAX + 3, POLLIN, 77},
  };
  timespec zero = {0, 0};
  EXPECT_EQ(do_ppoll(p, 7, &zero), 5);
  EXPECT_EQ(p[0].revents, POLLIN);
  EXPECT_EQ(p[1].revents, 0);
  EXPECT_EQ(p[2].revents, POLLHUP);
  EXPECT_EQ(p[3].revents, POLLNVAL);
  EXPECT_EQ(p[4].revents, 0);  // negative fds are skipped
  EXPECT_EQ(p[5].revents, POLLOUT);  // no poll op: always ready
  EXPECT_EQ(p[6].revents, POLLNVAL);
  EXPECT_EQ(in.last_poll_want, POLLIN | POLLERR | POLLHUP);
  EXPECT_EQ(yields.load(), 0);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(FdTable, PpollWithZeroTimeoutReturnsAtOnce) {
  Fake &idle = fake();
  int fd = open_fake(idle);
  pollfd p = {fd, POLLIN, 0};
  timespec zero = {0, 0};
  unsigned long t0 = fake_clock;
  EXPECT_EQ(do_ppoll(&p, 1, &zero), 0);
  EXPECT_EQ(p.revents, 0);
  EXPECT_EQ(idle.polls.load(), 1);
  EXPECT_EQ(yields.load(), 0);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_TRUE(kernel_polls.empty());
  EXPECT_EQ(fake_clock.load(), t0);
}

TEST_F(FdTable, PpollTimesOutAfterTheTimeout) {
  Fake &idle = fake();
  int fd = open_fake(idle);
  pollfd p = {fd, POLLIN, 0};
  timespec t = {0, 55'500'000};  // 55.5 ms
  unsigned long t0 = fake_clock;
  EXPECT_EQ(do_ppoll(&p, 1, &t), 0);
  EXPECT_EQ(p.revents, 0);
  // It waited exactly until the deadline (fake clock), in sleeps of at most
  // 10 ms, never in the kernel's console wait.
  EXPECT_EQ(fake_clock.load() - t0, 55'500'000ul);
  unsigned long slept = 0;
  for (unsigned long s : sleeps) {
    EXPECT_GT(s, 0ul);
    EXPECT_LE(s, 10'000'000ul);
    slept += s;
  }
  EXPECT_EQ(slept, 55'500'000ul);
  EXPECT_TRUE(kernel_polls.empty());
  EXPECT_GT(idle.polls.load(), 1);
}

TEST_F(FdTable, PpollWaitsUntilAnFdBecomesReady) {
  Fake &slow = fake(), &idle = fake();
  int fs = open_fake(slow), fi = open_fake(idle);
  slow.ready = POLLIN;
  slow.ready_after_polls = 40;  // the 41st look finds it ready
  pollfd p[] = {{fi, POLLIN, 0}, {fs, POLLIN, 0}};
  EXPECT_EQ(do_ppoll(p, 2, nullptr), 1);  // no timeout
  EXPECT_EQ(p[0].revents, 0);
  EXPECT_EQ(p[1].revents, POLLIN);
  EXPECT_EQ(slow.polls.load(), 41);
  EXPECT_EQ(yields.load() + static_cast<int>(sleeps.size()), 40);
}

TEST_F(FdTable, PpollOnConsoleInputWaitsInTheKernel) {
  pollfd p = {0, POLLIN, 0};
  timespec t = {2, 500};
  unsigned long t0 = fake_clock;
  EXPECT_EQ(do_ppoll(&p, 1, &t), 0);
  ASSERT_EQ(kernel_polls.size(), 1u);
  EXPECT_EQ(kernel_polls[0].deadline, t0 + 2'000'000'500ul);
  ASSERT_EQ(kernel_polls[0].items.size(), 1u);
  EXPECT_EQ(kernel_polls[0].items[0].slot, CHCORE_POLL_CONSOLE);
  EXPECT_EQ(kernel_polls[0].items[0].events, CHCORE_POLLIN);
  EXPECT_EQ(yields.load(), 0);
  EXPECT_TRUE(sleeps.empty());

  // Input arrives: the kernel reports it.
  kernel_polls.clear();
  console_input = true;
  EXPECT_EQ(do_ppoll(&p, 1, nullptr), 1);
  EXPECT_EQ(p.revents, POLLIN);
  ASSERT_EQ(kernel_polls.size(), 1u);
  EXPECT_EQ(kernel_polls[0].deadline, CHCORE_POLL_FOREVER);
}

TEST_F(FdTable, PpollWithReadyFdOnlyLooksAtTheConsole) {
  Fake &in = fake();
  int fd = open_fake(in);
  in.ready = POLLIN;
  pollfd p[] = {{0, POLLIN | POLLOUT, 0}, {fd, POLLIN, 0}};
  EXPECT_EQ(do_ppoll(p, 2, nullptr), 1);
  EXPECT_EQ(p[0].revents, 0);  // the fake kernel's console is not writable
  EXPECT_EQ(p[1].revents, POLLIN);
  ASSERT_EQ(kernel_polls.size(), 1u);
  EXPECT_EQ(kernel_polls[0].deadline, CHCORE_POLL_NOW);
  EXPECT_EQ(kernel_polls[0].items[0].events, CHCORE_POLLIN | CHCORE_POLLOUT);
}

TEST_F(FdTable, PpollWithAnUnwaitableFdGoesInSteps) {
  Fake &idle = fake();
  int fd = open_fake(idle);
  pollfd p[] = {{0, POLLIN, 0}, {fd, POLLIN, 0}};
  timespec t = {0, 30'000'000};
  EXPECT_EQ(do_ppoll(p, 2, &t), 0);
  // Every kernel call only looked; the waiting was done in steps.
  ASSERT_FALSE(kernel_polls.empty());
  for (const KernelPoll &k : kernel_polls) EXPECT_EQ(k.deadline, CHCORE_POLL_NOW);
  EXPECT_GT(yields.load(), 0);

  // Console input ends it.
  kernel_polls.clear();
  console_input = true;
  EXPECT_EQ(do_ppoll(p, 2, nullptr), 1);
  EXPECT_EQ(p[0].revents, POLLIN);
}

TEST_F(FdTable, PpollWithoutFdsSleepsInTheKernel) {
  timespec t = {0, 7'000'000};
  unsigned long t0 = fake_clock;
  EXPECT_EQ(do_ppoll(nullptr, 0, &t), 0);
  ASSERT_EQ(kernel_polls.size(), 1u);
  EXPECT_EQ(kernel_polls[0].deadline, t0 + 7'000'000ul);
  EXPECT_TRUE(sleeps.empty());
}

TEST_F(FdTable, PpollRejectsBadArguments) {
  pollfd p = {0, POLLIN, 0};
  timespec bad_ns = {0, 1'000'000'000}, neg = {-1, 0};
  EXPECT_EQ(do_ppoll(&p, 1, &bad_ns), -EINVAL);
  EXPECT_EQ(do_ppoll(&p, 1, &neg), -EINVAL);
  EXPECT_EQ(do_ppoll(&p, CHCORE_FD_MAX + 1, nullptr), -EINVAL);
  EXPECT_TRUE(kernel_polls.empty());
}

// ---- The caller's memory: read and written only through the checked copy -------

TEST_F(FdTable, BadCallerPointersAreEfault) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  void *null = nullptr, *one = reinterpret_cast<void *>(1);
  void *kernel = reinterpret_cast<void *>(0xffff000000001000ul);
  for (void *bad : {null, one, kernel}) {
    EXPECT_EQ(sys(__chcore_linux_writev, fd, bad, 1), -EFAULT) << bad;
    EXPECT_EQ(sys(__chcore_linux_readv, fd, bad, 1), -EFAULT) << bad;
    EXPECT_EQ(sys(__chcore_linux_fstat, fd, bad), -EFAULT) << bad;
    EXPECT_EQ(sys(__chcore_linux_ioctl, fd, FIONBIO, bad), -EFAULT) << bad;
    EXPECT_EQ(do_ppoll(static_cast<pollfd *>(bad), 1, nullptr), -EFAULT) << bad;
    pollfd p = {fd, POLLIN, 0};
    if (bad != null)  // a NULL timeout is none: wait for ever
      EXPECT_EQ(do_ppoll(&p, 1, static_cast<timespec *>(bad)), -EFAULT) << bad;
  }
  EXPECT_EQ(f.writes.load() + f.reads.load() + f.polls.load(), 0);
  // ppoll's signal mask: checked (size, then pointer), otherwise ignored.
  pollfd p = {fd, POLLOUT, 0};
  unsigned long mask = 0;
  f.ready = POLLOUT;
  EXPECT_EQ(sys(__chcore_linux_ppoll, &p, 1, &zero_timeout, &mask, 4), -EINVAL);
  EXPECT_EQ(sys(__chcore_linux_ppoll, &p, 1, &zero_timeout, one, 8), -EFAULT);
  EXPECT_EQ(sys(__chcore_linux_ppoll, &p, 1, &zero_timeout, &mask, 8), 1);
  EXPECT_EQ(p.revents, POLLOUT);
  // A bad array in the second batch of 32: nothing is written.
  char a[] = "x";
  std::vector<iovec> iov(40, iovec{a, 1});
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov.data(), 40), 40);
  EXPECT_EQ(f.writes.load(), 40);
  EXPECT_EQ(sys(__chcore_linux_writev, fd, reinterpret_cast<iovec *>(4096 - 32 * sizeof(iovec)), 40),
            -EFAULT);
  EXPECT_EQ(f.writes.load(), 40);
  // No array, no entries: nothing to read, as on Linux.
  EXPECT_EQ(sys(__chcore_linux_writev, fd, null, 0), 0);
  EXPECT_EQ(do_ppoll(nullptr, 0, &zero_timeout), 0);
}

TEST_F(FdTable, CallerStructuresGoThroughTheCopy) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  char a[] = "ab";
  iovec iov[] = {{a, 1}, {a + 1, 1}};
  int before = copies.load();
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov, 2), 2);
  EXPECT_GT(copies.load(), before);
  struct kstat st = {};
  before = copies.load();
  EXPECT_EQ(sys(__chcore_linux_fstat, fd, &st), 0);
  EXPECT_EQ(st.st_size, 1234);
  EXPECT_GT(copies.load(), before);
  int on = 1;
  EXPECT_EQ(sys(__chcore_linux_ioctl, fd, FIONBIO, &on), 0);
  EXPECT_EQ(do_fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
}

TEST_F(FdTable, WritevInBatchesKeepsOrderAndStopsShort) {
  Fake &f = fake();
  int fd = open_fake(f, O_WRONLY);
  ASSERT_EQ(fd, 3);
  std::string text;
  for (int i = 0; i < 70; i++) text += static_cast<char>('A' + i % 26);
  std::vector<iovec> iov;
  for (int i = 0; i < 70; i++) iov.push_back({&text[i], 1});
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov.data(), 70), 70);
  EXPECT_EQ(f.written, text);
  // Through a writev op: one call per batch of 32, all bytes counted.
  Fake &g = fake();
  int gd = open_fake(g, O_WRONLY, &writev_ops);
  EXPECT_EQ(sys(__chcore_linux_writev, gd, iov.data(), 70), 70);
  EXPECT_EQ(g.writevs.load(), 3);
  EXPECT_EQ(g.last_iovcnt, 6);
  // A short write in the second batch ends the call there.
  f.written.clear();
  f.write_max = 0;
  f.write_error_at = -1;
  EXPECT_EQ(sys(__chcore_linux_writev, fd, iov.data(), 70), 0);
}

// ---- RLIMIT_NOFILE ------------------------------------------------------------------

TEST_F(FdTable, LoweredNofileLimitsNewFds) {
  Fake &f = fake();
  int fd = open_fake(f);
  ASSERT_EQ(fd, 3);
  fake_nofile = 6;
  EXPECT_EQ(do_dup(fd), 4);
  EXPECT_EQ(do_dup(fd), 5);
  EXPECT_EQ(do_dup(fd), -EMFILE);
  EXPECT_EQ(do_fcntl(fd, F_DUPFD, 2), -EMFILE);   // 2..5 all taken
  EXPECT_EQ(do_fcntl(fd, F_DUPFD, 6), -EINVAL);   // at the limit: Linux's EINVAL
  EXPECT_EQ(do_fcntl(fd, F_DUPFD_CLOEXEC, 100), -EINVAL);
  EXPECT_EQ(do_dup3(fd, 6, 0), -EBADF);           // dup2/dup3 past it: EBADF
  EXPECT_EQ(musl_dup2(fd, 100), -EBADF);
  EXPECT_EQ(do_dup3(fd, 5, 0), 5);                // below it: fine
  pollfd p[7] = {};
  for (pollfd &q : p) q = {fd, POLLOUT, 0};
  f.ready = POLLOUT;
  EXPECT_EQ(do_ppoll(p, 7, &zero_timeout), -EINVAL);
  EXPECT_EQ(do_ppoll(p, 6, &zero_timeout), 6);
  // Fds already above a lowered limit stay usable.
  EXPECT_EQ(do_close(4), 0);
  EXPECT_EQ(do_dup(fd), 4);
  fake_nofile = 4;
  EXPECT_EQ(do_write(5, "z", 1), 1);
  EXPECT_EQ(do_dup(fd), -EMFILE);
  fake_nofile = RLIM_INFINITY;
  EXPECT_EQ(do_dup(fd), 6);
}

// ---- Threads ----------------------------------------------------------------------

// Threads install, dup, dup3 onto a shared fd, write through it and close,
// all at once. Each description's close must run exactly once, never while
// a call is using it, and at the end only what the test holds is open.
TEST_F(FdTable, ConcurrentDupAndCloseReleaseEveryDescriptionOnce) {
  constexpr int kThreads = 4, kIters = 2500, kShared = 100;
  std::unique_ptr<Fake[]> recs(new Fake[kThreads * kIters]);
  Fake &held = fake();
  int held_fd = open_fake(held, O_RDWR, &mt_ops);
  ASSERT_EQ(held_fd, 3);
  std::atomic<int> errors{0}, go{0};

  auto worker = [&](int t) {
    go++;
    while (go.load() < kThreads) {
    }
    for (int i = 0; i < kIters; i++) {
      Fake *rec = &recs[t * kIters + i];
      chcore_fd *d = __chcore_fd_new(CHCORE_FD_FILE, &mt_ops, O_RDWR, rec);
      if (!d) {
        errors++;
        continue;
      }
      long fd = __chcore_fd_install(d, 3, 0);
      long fd2 = do_dup(fd);
      long h = do_dup(held_fd);
      if (fd < 0 || fd2 < 0 || h < 0) errors++;
      if (do_dup3(fd2, kShared, 0) != kShared) errors++;
      long w = do_write(kShared, "x", 1);  // whoever is there now
      if (w != 1 && w != -EBADF) errors++;
      if (do_write(fd, "y", 1) != 1) errors++;
      if (i % 7 == 0) do_close(kShared);  // may already be closed
      if (do_close(fd) != 0 || do_close(fd2) != 0 || do_close(h) != 0) errors++;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) threads.emplace_back(worker, t);
  for (auto &th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);

  do_close(kShared);
  std::vector<int> open;
  for (int fd = 0; fd < CHCORE_FD_MAX; fd++)
    if (is_open(fd)) open.push_back(fd);
  EXPECT_EQ(open, (std::vector<int>{0, 1, 2, held_fd}));
  int bad_closes = 0, used_after_close = 0, writes = 0;
  for (int i = 0; i < kThreads * kIters; i++) {
    bad_closes += recs[i].closes.load() != 1;
    used_after_close += recs[i].used_after_close.load();
    writes += recs[i].writes.load();
  }
  EXPECT_EQ(bad_closes, 0);
  EXPECT_EQ(used_after_close, 0);
  EXPECT_GE(writes, kThreads * kIters);
  EXPECT_EQ(held.closes.load(), 0);
  EXPECT_EQ(do_close(held_fd), 0);
  EXPECT_EQ(held.closes.load(), 1);
}

}  // namespace
