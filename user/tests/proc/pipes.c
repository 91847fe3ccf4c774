/* proc.pipes: pipes between threads and processes, and waiting for several
 * fds (poll, select, epoll), as a program written for Linux uses them.
 *
 *   pipes [section]   basic | threads | atomic | spawn | kill | poll |
 *                     select | epoll | leaks */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "pipes"
#include "utest.h"

extern char** environ;
#define CHILD "/tests/unix_child"

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, 0);
}

static int err(long r) { return r < 0 ? -errno : (int)r; }

/* The child's exit code, or 1000 + signal. */
static int reap(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -2000;
}

/* The pattern unix_child's "produce" writes. */
static unsigned char pattern(long i) { return (unsigned char)(i * 7 + i / 251); }

/* ---- basic: one process ----------------------------------------------------------- */

static void test_basic(void) {
  int p[2];
  UT_EQ("pipe2.ok", err(pipe2(p, 0)), 0);
  char buf[64];
  UT_EQ("write", write(p[1], "hello", 5), 5);
  int n = -1;
  UT_EQ("fionread", ioctl(p[0], FIONREAD, &n), 0);
  UT_EQ("fionread.count", n, 5);
  UT_EQ("read.partial", read(p[0], buf, 3), 3);
  UT_EQ("read.rest", read(p[0], buf + 3, 60), 2);
  UT_TRUE("read.data", memcmp(buf, "hello", 5) == 0);
  UT_ERR("read.write_end_ebadf", err(read(p[1], buf, 1)), EBADF);
  UT_ERR("write.read_end_ebadf", err(write(p[0], "x", 1)), EBADF);
  UT_ERR("lseek.espipe", err(lseek(p[0], 0, SEEK_SET)), ESPIPE);
  struct stat st;
  UT_EQ("fstat.fifo", fstat(p[0], &st) == 0 && S_ISFIFO(st.st_mode), 1);
  UT_EQ("getpipe_sz", fcntl(p[1], F_GETPIPE_SZ), 65536);
  UT_EQ("getfl.rdonly", fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
  UT_EQ("getfl.wronly", fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
  UT_EQ("getfd.no_cloexec", fcntl(p[0], F_GETFD), 0);
  UT_EQ("write.one", err(write(p[1], "x", 1)), 1);
  UT_ERR("read.bad_buffer", err(read(p[0], (void*)16, 1)), EFAULT);
  UT_EQ("read.after_efault_data_kept", read(p[0], buf, 1), 1);
  UT_ERR("write.bad_buffer", err(write(p[1], (void*)16, 1)), EFAULT);

  /* O_NONBLOCK, by F_SETFL. */
  UT_EQ("setfl.nonblock", fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
  UT_TRUE("getfl.nonblock", fcntl(p[0], F_GETFL) & O_NONBLOCK);
  UT_ERR("read.empty_eagain", err(read(p[0], buf, 1)), EAGAIN);
  UT_EQ("setfl.blocking", fcntl(p[0], F_SETFL, 0), 0);
  UT_TRUE("getfl.blocking", !(fcntl(p[0], F_GETFL) & O_NONBLOCK));

  /* End-of-file once the last write end goes (a dup counts). */
  int w2 = dup(p[1]);
  close(p[1]);
  UT_EQ("write.through_dup", write(w2, "z", 1), 1);
  close(w2);
  UT_EQ("read.data_before_eof", read(p[0], buf, 10), 1);
  UT_EQ("read.eof", read(p[0], buf, 10), 0);
  close(p[0]);

  /* EPIPE once the read end is gone. */
  UT_EQ("pipe.again", err(pipe(p)), 0);
  close(p[0]);
  UT_ERR("write.epipe", err(write(p[1], "x", 1)), EPIPE);
  close(p[1]);

  /* pipe2's flags. */
  UT_EQ("pipe2.flags", err(pipe2(p, O_CLOEXEC | O_NONBLOCK)), 0);
  UT_EQ("pipe2.cloexec", fcntl(p[0], F_GETFD), FD_CLOEXEC);
  UT_TRUE("pipe2.nonblock", fcntl(p[1], F_GETFL) & O_NONBLOCK);
  /* Non-blocking write: fills the pipe, then EAGAIN; a PIPE_BUF write
   * into less room is refused whole. */
  static char big[70000];
  memset(big, 'b', sizeof big);
  UT_EQ("write.nonblock_fills", write(p[1], big, sizeof big), 65536);
  UT_ERR("write.full_eagain", err(write(p[1], big, 1)), EAGAIN);
  UT_EQ("read.some", read(p[0], big, 100), 100);
  UT_ERR("write.pipe_buf_whole_or_nothing", err(write(p[1], big, 4096)), EAGAIN);
  UT_EQ("write.small_fits", write(p[1], big, 100), 100);
  close(p[0]);
  close(p[1]);
  UT_ERR("pipe2.bad_flags", err(pipe2(p, O_APPEND)), EINVAL);
  UT_ERR("pipe.bad_pointer", err(pipe((int*)16)), EFAULT);
}

/* ---- threads: blocking in the kernel ---------------------------------------------- */

struct io {
  int fd;
  long len;
  long done;
  unsigned long sum;
};

static void* reader(void* arg) {
  struct io* io = arg;
  unsigned char buf[7000];
  for (;;) {
    ssize_t r = read(io->fd, buf, sizeof buf);
    if (r <= 0) break;
    for (ssize_t i = 0; i < r; i++) {
      if (buf[i] != pattern(io->done + i)) io->sum++; /* mismatches */
    }
    io->done += r;
  }
  return NULL;
}

static void* late_writer(void* arg) {
  int fd = *(int*)arg;
  sleep_ms(100);
  write(fd, "late", 4);
  return NULL;
}

static void test_threads(void) {
  int p[2];
  pipe(p);
  /* A read blocks until another thread writes. */
  pthread_t t;
  pthread_create(&t, NULL, late_writer, &p[1]);
  long t0 = now_ms();
  char buf[8];
  UT_EQ("read.blocks_then_gets", read(p[0], buf, 8), 4);
  UT_TRUE("read.waited", now_ms() - t0 >= 80);
  pthread_join(t, NULL);

  /* 4 MiB through the pipe to a reading thread: writes block while the
   * pipe is full; nothing lost, reordered or changed. */
  struct io io = {p[0], 0, 0, 0};
  pthread_create(&t, NULL, reader, &io);
  const long total = 4 << 20;
  static unsigned char chunk[100000];
  long sent = 0;
  int ok = 1;
  while (sent < total) {
    long k = total - sent < (long)sizeof chunk ? total - sent : (long)sizeof chunk;
    for (long i = 0; i < k; i++) chunk[i] = pattern(sent + i);
    ssize_t w = write(p[1], chunk, (size_t)k);
    if (w != k) ok = 0;
    if (w <= 0) break;
    sent += w;
  }
  UT_TRUE("write.big_whole", ok);
  close(p[1]);
  pthread_join(t, NULL);
  UT_EQ("read.all_bytes", io.done, total);
  UT_EQ("read.no_mismatch", io.sum, 0);
  close(p[0]);
}

/* ---- atomic: writes of up to PIPE_BUF never interleave ----------------------------- */

static int wfd;
static void* record_writer(void* arg) {
  unsigned char c = (unsigned char)(long)arg;
  unsigned char rec[PIPE_BUF];
  memset(rec, c, sizeof rec);
  for (int i = 0; i < 64; i++) write(wfd, rec, sizeof rec);
  return NULL;
}

static void test_atomic(void) {
  int p[2];
  pipe(p);
  wfd = p[1];
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, record_writer, (void*)(i + 1));
  /* Read record by record once the writers are done or the pipe is full. */
  static unsigned char all[4 * 64 * PIPE_BUF];
  long got = 0;
  while (got < (long)sizeof all) {
    ssize_t r = read(p[0], all + got, sizeof all - (size_t)got);
    if (r <= 0) break;
    got += r;
  }
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  UT_EQ("atomic.all_bytes", got, (long)sizeof all);
  int mixed = 0, count[5] = {0};
  for (long r = 0; r < got / PIPE_BUF; r++) {
    unsigned char* rec = all + r * PIPE_BUF;
    for (int i = 1; i < PIPE_BUF; i++) mixed += rec[i] != rec[0];
    if (rec[0] >= 1 && rec[0] <= 4) count[rec[0]]++;
  }
  UT_EQ("atomic.no_interleaving", mixed, 0);
  UT_TRUE("atomic.every_record", count[1] == 64 && count[2] == 64 && count[3] == 64 && count[4] == 64);
  close(p[0]);
  close(p[1]);
}

/* ---- spawn: producer | consumer ------------------------------------------------------ */

/* Spawns unix_child with args, stdin from in (-1: the console), stdout to
 * out (-1: the console), closing the others listed. */
static pid_t spawn_io(int in, int out, const int* closes, int nclose, char* const* args) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in >= 0) posix_spawn_file_actions_adddup2(&fa, in, 0);
  if (out >= 0) posix_spawn_file_actions_adddup2(&fa, out, 1);
  for (int i = 0; i < nclose; i++) posix_spawn_file_actions_addclose(&fa, closes[i]);
  pid_t pid;
  int e = posix_spawn(&pid, CHILD, &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  return e ? -e : pid;
}

static void test_spawn(void) {
  /* producer | consumer, the consumer's report read from a third pipe. */
  int a[2], b[2];
  pipe(a);
  pipe(b);
  const long n = 1000003;
  char nstr[16];
  snprintf(nstr, sizeof nstr, "%ld", n);
  int cl[] = {a[0], a[1], b[0], b[1]};
  pid_t prod = spawn_io(-1, a[1], cl, 4, (char*[]){CHILD, "produce", nstr, NULL});
  pid_t cons = spawn_io(a[0], b[1], cl, 4, (char*[]){CHILD, "consume", NULL});
  UT_TRUE("spawn.both", prod > 0 && cons > 0);
  close(a[0]);
  close(a[1]);
  close(b[1]);
  char report[64] = {0};
  long got = 0;
  for (ssize_t r; (r = read(b[0], report + got, sizeof report - 1 - (size_t)got)) > 0;) got += r;
  close(b[0]);
  unsigned long sum = 0;
  for (long i = 0; i < n; i++) sum = sum * 31 + pattern(i) + (unsigned long)i;
  char want[64];
  snprintf(want, sizeof want, "%ld %lu\n", n, sum);
  UT_TRUE("pipeline.data", strcmp(report, want) == 0);
  if (strcmp(report, want) != 0) ut_fail("pipeline.report", "got '%s' want '%s'", report, want);
  UT_EQ("pipeline.producer_status", reap(prod), 0);
  UT_EQ("pipeline.consumer_status", reap(cons), 0);

  /* The O_NONBLOCK of an inherited end is the description's, shared. */
  int p[2];
  pipe2(p, O_NONBLOCK);
  pid_t c = spawn_io(p[0], -1, (int[]){p[0], p[1]}, 2, (char*[]){CHILD, "readnb", NULL});
  UT_EQ("inherited.nonblock_shared", reap(c), 0);
  close(p[0]);
  close(p[1]);

  /* A close-on-exec end is not inherited: the reader sees end-of-file
   * while the child (which would hold the write end) still runs. */
  pipe2(p, O_CLOEXEC);
  c = spawn_io(-1, -1, NULL, 0, (char*[]){CHILD, "sleep", NULL});
  close(p[1]);
  struct pollfd hup = {p[0], POLLIN, 0};
  UT_EQ("cloexec.hangup_while_child_runs", poll(&hup, 1, 10000), 1);
  char ch;
  UT_EQ("cloexec.eof", read(p[0], &ch, 1), 0);
  close(p[0]);
  kill(c, SIGKILL);
  reap(c);
}

/* More pipe ends than one request to procmgr carries (8): the rest are
 * sent ahead, and each lands at its fd in the child. */
static void test_many(void) {
  enum { N = 20, FIRST = 100 };  /* above every fd pipe() hands out here */
  int rd[N];
  for (int i = 0; i < N; i++) {
    int p[2];
    pipe(p);
    rd[i] = p[0];
    dup2(p[1], FIRST + i);
    close(p[1]);
  }
  char a[8], b[8];
  snprintf(a, sizeof a, "%d", FIRST);
  snprintf(b, sizeof b, "%d", FIRST + N - 1);
  pid_t c = spawn_io(-1, -1, NULL, 0, (char*[]){CHILD, "writefds", a, b, NULL});
  UT_EQ("many.child_wrote_all", reap(c), 0);
  int right = 0;
  for (int i = 0; i < N; i++) {
    close(FIRST + i);
    char got[16] = {0}, want[16];
    snprintf(want, sizeof want, "%d", FIRST + i);
    read(rd[i], got, sizeof got - 1);
    right += strcmp(got, want) == 0;
    close(rd[i]);
  }
  UT_EQ("many.each_at_its_fd", right, N);
  /* A spawn that fails after ends were sent ahead leaves nothing for the
   * next one. */
  for (int i = 0; i < N; i++) {
    int p[2];
    pipe(p);
    dup2(p[1], FIRST + i);
    close(p[0]);
    close(p[1]);
  }
  pid_t bad;
  char* args[] = {"/tests/no_such_program", NULL};
  UT_EQ("many.failed_spawn", posix_spawn(&bad, args[0], NULL, NULL, args, environ), ENOENT);
  for (int i = 0; i < N; i++) close(FIRST + i);
  int p[2];
  pipe(p);
  dup2(p[1], FIRST);
  close(p[1]);
  c = spawn_io(-1, -1, NULL, 0, (char*[]){CHILD, "writefds", a, a, NULL});
  UT_EQ("many.next_spawn_fine", reap(c), 0);
  close(FIRST);
  char got[16] = {0};
  read(p[0], got, sizeof got - 1);
  UT_TRUE("many.next_spawn_right_end", strcmp(got, a) == 0);
  close(p[0]);
}

/* ---- kill: the other side dies ----------------------------------------------------- */

static void test_kill(void) {
  /* A writer killed mid-stream: the reader gets the bytes written, then
   * end-of-file (the kernel closed the end with the process). */
  int p[2];
  pipe(p);
  pid_t w = spawn_io(-1, p[1], (int[]){p[0], p[1]}, 2, (char*[]){CHILD, "produce", "100000000", NULL});
  close(p[1]);
  char buf[4096];
  long got = 0;
  ssize_t r = read(p[0], buf, sizeof buf);
  if (r > 0) got += r;
  UT_TRUE("killed_writer.some_data", got > 0);
  kill(w, SIGKILL);
  UT_EQ("killed_writer.status", reap(w), 1000 + SIGKILL);
  while ((r = read(p[0], buf, sizeof buf)) > 0) got += r;
  UT_EQ("killed_writer.eof", r, 0);
  close(p[0]);

  /* A reader killed while the writer blocks on a full pipe: the write
   * ends with EPIPE instead of waiting for ever. */
  pipe(p);
  pid_t rd = spawn_io(p[0], -1, (int[]){p[0], p[1]}, 2, (char*[]){CHILD, "sleep", NULL});
  close(p[0]);
  static char big[65536];
  UT_EQ("full.fill", write(p[1], big, sizeof big), (long)sizeof big);
  sleep_ms(50);
  kill(rd, SIGKILL);
  /* The blocked write ends with EPIPE instead of waiting for ever. */
  UT_ERR("killed_reader.epipe", err(write(p[1], big, 1)), EPIPE);
  UT_EQ("killed_reader.status", reap(rd), 1000 + SIGKILL);
  close(p[1]);
}

/* ---- poll ------------------------------------------------------------------------------ */

static void test_poll(void) {
  int p[2];
  pipe(p);
  struct pollfd f[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
  /* The write end is writable, the read end not readable. */
  UT_EQ("poll.writable", poll(f, 2, 0), 1);
  UT_EQ("poll.revents_out", f[1].revents, POLLOUT);
  UT_EQ("poll.revents_none", f[0].revents, 0);
  /* A timeout with nothing ready: waits about as long, returns 0. */
  long t0 = now_ms();
  UT_EQ("poll.timeout", poll(f, 1, 150), 0);
  long waited = now_ms() - t0;
  UT_TRUE("poll.timeout_waited", waited >= 140);
  /* Another thread's write wakes it. */
  pthread_t t;
  pthread_create(&t, NULL, late_writer, &p[1]);
  UT_EQ("poll.woken_by_write", poll(f, 1, 10000), 1); /* not the timeout: 0 */
  UT_EQ("poll.pollin", f[0].revents, POLLIN);
  pthread_join(t, NULL);
  char buf[8];
  read(p[0], buf, sizeof buf);
  /* POLLHUP when the writer goes; POLLERR on a write end without reader. */
  close(p[1]);
  UT_EQ("poll.hup", poll(f, 1, 1000), 1);
  UT_EQ("poll.hup_revents", f[0].revents, POLLHUP);
  close(p[0]);
  pipe(p);
  close(p[0]);
  f[1].fd = p[1];
  UT_EQ("poll.err", poll(&f[1], 1, 0), 1);
  UT_TRUE("poll.err_revents", f[1].revents & POLLERR);
  close(p[1]);
  /* A closed fd is POLLNVAL, a negative one ignored. */
  f[0].fd = p[0];
  f[1].fd = -1;
  UT_EQ("poll.nval", poll(f, 2, 0), 1);
  UT_EQ("poll.nval_revents", f[0].revents, POLLNVAL);
  /* A file is always ready; with it, a pipe is only looked at. */
  int fd = open("/tmp/poll_file", O_CREAT | O_RDWR, 0644);
  pipe(p);
  struct pollfd g[2] = {{fd, POLLIN | POLLOUT, 0}, {p[0], POLLIN, 0}};
  UT_EQ("poll.file_ready", poll(g, 2, -1), 1);
  UT_EQ("poll.file_revents", g[0].revents, POLLIN | POLLOUT);
  close(fd);
  unlink("/tmp/poll_file");
  /* No fds: a sleep. */
  t0 = now_ms();
  UT_EQ("poll.no_fds_sleeps", poll(NULL, 0, 100), 0);
  UT_TRUE("poll.no_fds_waited", now_ms() - t0 >= 90);
  /* Data from another process wakes a poller. */
  pid_t c = spawn_io(-1, p[1], (int[]){p[0], p[1]}, 2, (char*[]){CHILD, "write", "1", "xyz", NULL});
  UT_EQ("poll.from_child", poll(&g[1], 1, 5000), 1);
  UT_EQ("poll.child_status", reap(c), 0);
  close(p[0]);
  close(p[1]);
  UT_ERR("poll.bad_array", err(poll((struct pollfd*)16, 1, 0)), EFAULT);
}

/* ---- select ---------------------------------------------------------------------------- */

static void test_select(void) {
  int p[2], q[2];
  pipe(p);
  pipe(q);
  fd_set r, w;
  FD_ZERO(&r);
  FD_ZERO(&w);
  FD_SET(p[0], &r);
  FD_SET(q[0], &r);
  struct timeval tv = {0, 100000};
  long t0 = now_ms();
  UT_EQ("select.timeout", select(q[0] + 1, &r, NULL, NULL, &tv), 0);
  UT_TRUE("select.waited", now_ms() - t0 >= 90);
  write(q[1], "x", 1);
  FD_SET(p[0], &r);
  FD_SET(q[0], &r);
  FD_SET(p[1], &w);
  int max = p[1] > q[0] ? p[1] : q[0];
  UT_EQ("select.ready", select(max + 1, &r, &w, NULL, NULL), 2);
  UT_TRUE("select.sets", FD_ISSET(q[0], &r) && !FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w));
  close(p[1]);
  FD_ZERO(&r);
  FD_SET(p[0], &r);
  UT_EQ("select.eof_readable", select(p[0] + 1, &r, NULL, NULL, NULL), 1);
  int closed = q[1];
  close(q[1]);
  FD_ZERO(&w);
  FD_SET(closed, &w);
  UT_ERR("select.ebadf", err(select(closed + 1, NULL, &w, NULL, &(struct timeval){0, 0})), EBADF);
  close(p[0]);
  close(q[0]);
}

/* ---- epoll ----------------------------------------------------------------------------- */

static void test_epoll(void) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  UT_TRUE("epoll.create", ep >= 0);
  UT_EQ("epoll.cloexec", fcntl(ep, F_GETFD), FD_CLOEXEC);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 111};
  UT_EQ("epoll.add", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
  UT_ERR("epoll.add_twice", err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev)), EEXIST);
  ev.data.u64 = 222;
  UT_EQ("epoll.add_q", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev), 0);
  struct epoll_event out[4];
  long t0 = now_ms();
  UT_EQ("epoll.timeout", epoll_wait(ep, out, 4, 100), 0);
  UT_TRUE("epoll.waited", now_ms() - t0 >= 90);
  write(q[1], "q", 1);
  UT_EQ("epoll.one_ready", epoll_wait(ep, out, 4, -1), 1);
  UT_TRUE("epoll.data", out[0].data.u64 == 222 && out[0].events == EPOLLIN);
  /* Level-triggered: still ready until read. */
  UT_EQ("epoll.level", epoll_wait(ep, out, 4, 0), 1);
  char c;
  read(q[0], &c, 1);
  UT_EQ("epoll.drained", epoll_wait(ep, out, 4, 0), 0);
  /* A thread's write wakes a blocked epoll_wait. */
  pthread_t t;
  pthread_create(&t, NULL, late_writer, &p[1]);
  UT_EQ("epoll.woken", epoll_wait(ep, out, 4, 5000), 1);
  UT_EQ("epoll.woken_data", out[0].data.u64, 111);
  pthread_join(t, NULL);
  /* One-shot: reported once, until MOD re-arms it. */
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = 333;
  UT_EQ("epoll.mod", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
  UT_EQ("epoll.oneshot_first", epoll_wait(ep, out, 4, 0), 1);
  UT_EQ("epoll.oneshot_then_quiet", epoll_wait(ep, out, 4, 0), 0);
  UT_EQ("epoll.rearm", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev), 0);
  UT_EQ("epoll.rearmed", epoll_wait(ep, out, 4, 0), 1);
  UT_EQ("epoll.del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
  UT_ERR("epoll.del_missing", err(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)), ENOENT);
  UT_ERR("epoll.mod_missing", err(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev)), ENOENT);
  UT_EQ("epoll.after_del", epoll_wait(ep, out, 4, 0), 0);
  /* Hang-up is reported without asking. */
  close(q[1]);
  UT_EQ("epoll.hup", epoll_wait(ep, out, 4, 0), 1);
  UT_TRUE("epoll.hup_bits", out[0].events & EPOLLHUP);
  /* Errors as on Linux. */
  int fd = open("/tmp/epoll_file", O_CREAT | O_RDWR, 0644);
  UT_ERR("epoll.file_eperm", err(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)), EPERM);
  UT_ERR("epoll.self_einval", err(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev)), EINVAL);
  UT_ERR("epoll.not_epoll", err(epoll_ctl(fd, EPOLL_CTL_ADD, p[0], &ev)), EINVAL);
  UT_ERR("epoll.badfd", err(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev)), EBADF);
  UT_ERR("epoll.maxevents", err(epoll_wait(ep, out, 0, 0)), EINVAL);
  UT_ERR("epoll.bad_events", err(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], (void*)16)), EFAULT);
  close(fd);
  unlink("/tmp/epoll_file");
  close(ep);
  close(p[0]);
  close(p[1]);
  close(q[0]);
}

/* ---- leaks ------------------------------------------------------------------------------ */

static void cycle(void) {
  int p[2];
  if (pipe(p) < 0) return;
  char buf[100];
  write(p[1], "0123456789", 10);
  read(p[0], buf, sizeof buf);
  close(p[0]);
  close(p[1]);
}

static void test_leaks(void) {
  for (int i = 0; i < 20; i++) cycle();
  long before = ut_settled_free_mem();
  for (int i = 0; i < 1000; i++) cycle();
  long after = ut_settled_free_mem();
  UT_EQ("leaks.pipe_cycles_1000", after, before);
  /* Ends handed to children and back. */
  int p[2];
  for (int i = 0; i < 5; i++) {
    pipe(p);
    reap(spawn_io(-1, p[1], (int[]){p[0], p[1]}, 2, (char*[]){CHILD, "write", "1", "x", NULL}));
    close(p[0]);
    close(p[1]);
  }
  before = ut_settled_free_mem();
  for (int i = 0; i < 50; i++) {
    pipe(p);
    reap(spawn_io(-1, p[1], (int[]){p[0], p[1]}, 2, (char*[]){CHILD, "write", "1", "x", NULL}));
    close(p[0]);
    close(p[1]);
  }
  after = ut_settled_free_mem();
  UT_EQ("leaks.pipes_to_children_50", after, before);
}

/* ---- sigpipe: a write without readers raises SIGPIPE ---------------------------------- */

static volatile int got_pipe;
static void on_pipe(int sig) { got_pipe = sig; }

static void test_sigpipe(void) {
  /* Default action: the writer dies of it. */
  int p[2];
  pipe(p);
  close(p[0]);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    write(p[1], "x", 1);
    _exit(0);
  }
  UT_EQ("sigpipe.default_kills", reap(pid), 1000 + SIGPIPE);
  /* A handler runs, and the write says EPIPE. */
  signal(SIGPIPE, on_pipe);
  UT_ERR("sigpipe.handled_epipe", err(write(p[1], "x", 1)), EPIPE);
  UT_EQ("sigpipe.handler_ran", got_pipe, SIGPIPE);
  signal(SIGPIPE, SIG_IGN);
  close(p[1]);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  /* The EPIPE checks below want the error, not the signal's default
   * action (as programs that handle EPIPE do). */
  signal(SIGPIPE, SIG_IGN);
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("basic", test_basic);
  SECTION("threads", test_threads);
  SECTION("atomic", test_atomic);
  SECTION("spawn", test_spawn);
  SECTION("many", test_many);
  SECTION("kill", test_kill);
  SECTION("poll", test_poll);
  SECTION("select", test_select);
  SECTION("epoll", test_epoll);
  SECTION("leaks", test_leaks);
  SECTION("sigpipe", test_sigpipe);
  return ut_finish();
}
