/* fs.locks: advisory file locks between processes, as Linux programs use
 * them: fcntl's POSIX record locks (F_SETLK, F_SETLKW, F_GETLK), OFD locks
 * and flock; blocking until the holder lets go, release when the holder
 * closes the file or dies, EDEADLK.
 *
 *   locks [section]          basic | wait | release | deadlock | flock | ofd | leaks
 *   locks child CMD ARGS...  the other process (see child()) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "locks"
#include "utest.h"

extern char** environ;
#define FILE_A "/tmp/locks_a"
static const char* self = "/tests/locks";

static int err(long r) { return r < 0 ? -errno : (int)r; }

static int setlk(int fd, int cmd, short type, off_t start, off_t len) {
  struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
  return err(fcntl(fd, cmd, &fl));
}

/* ---- The other process -------------------------------------------------------------- */
/*   try FILE TYPE(r|w) START LEN   F_SETLK: exit 0 got it, 11 EAGAIN, 2 else
 *   getlk FILE START LEN           F_GETLK for a write lock: prints
 *                                  "TYPE START LEN PID" on stdout
 *   wait FILE START LEN            F_SETLKW write lock, then 'g' on stdout
 *   hold FILE START LEN [S2 L2]    F_SETLK write, 'h' on stdout, waits for a
 *                                  byte on stdin; with S2 L2 then F_SETLKW
 *                                  there and writes its result ('0' or 'D'
 *                                  for EDEADLK) on stdout
 *   flock FILE ex|sh|exnb         flock, then 'g' on stdout; exit 0, 11
 *                                  EWOULDBLOCK */
static int child(int argc, char** argv) {
  if (argc < 4) return 100;
  const char* cmd = argv[2];
  int fd = open(argv[3], O_RDWR);
  if (fd < 0) return 3;
  if (strcmp(cmd, "try") == 0 && argc == 7) {
    int r = setlk(fd, F_SETLK, argv[4][0] == 'w' ? F_WRLCK : F_RDLCK, atol(argv[5]), atol(argv[6]));
    return r == 0 ? 0 : r == -EAGAIN ? 11 : 2;
  }
  if (strcmp(cmd, "getlk") == 0 && argc == 6) {
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = atol(argv[4]),
                       .l_len = atol(argv[5])};
    if (fcntl(fd, F_GETLK, &fl) < 0) return 2;
    printf("%d %ld %ld %d\n", fl.l_type, (long)fl.l_start, (long)fl.l_len, (int)fl.l_pid);
    return 0;
  }
  if (strcmp(cmd, "wait") == 0 && argc == 6) {
    if (setlk(fd, F_SETLKW, F_WRLCK, atol(argv[4]), atol(argv[5])) != 0) return 2;
    return write(1, "g", 1) == 1 ? 0 : 2;
  }
  if (strcmp(cmd, "hold") == 0 && (argc == 6 || argc == 8)) {
    if (setlk(fd, F_SETLK, F_WRLCK, atol(argv[4]), atol(argv[5])) != 0) return 2;
    write(1, "h", 1);
    char c;
    if (read(0, &c, 1) != 1) return 0;
    if (argc == 8) {
      int r = setlk(fd, F_SETLKW, F_WRLCK, atol(argv[6]), atol(argv[7]));
      write(1, r == 0 ? "0" : r == -EDEADLK ? "D" : "?", 1);
    }
    return 0;
  }
  if (strcmp(cmd, "flock") == 0 && argc == 5) {
    int op = strcmp(argv[4], "sh") == 0 ? LOCK_SH : strcmp(argv[4], "ex") == 0 ? LOCK_EX
                                                                               : LOCK_EX | LOCK_NB;
    int r = err(flock(fd, op));
    if (r == -EWOULDBLOCK) return 11;
    if (r != 0) return 2;
    write(1, "g", 1);
    return 0;
  }
  return 100;
}

/* ---- The tests' side ------------------------------------------------------------------ */

/* Spawns "locks child ARGS" with stdin from in and stdout to out (-1: the
 * console); returns its pid. */
static pid_t spawn_child(int in, int out, const char* a1, const char* a2, const char* a3,
                         const char* a4, const char* a5, const char* a6) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (in >= 0) posix_spawn_file_actions_adddup2(&fa, in, 0);
  if (out >= 0) posix_spawn_file_actions_adddup2(&fa, out, 1);
  char* args[] = {(char*)self, "child", (char*)a1, (char*)a2, (char*)a3,
                  (char*)a4,   (char*)a5, (char*)a6, NULL};
  pid_t pid;
  int e = posix_spawn(&pid, self, &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  return e ? -e : pid;
}

static int reap(pid_t pid) {
  int st;
  if (pid <= 0 || waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* The child's exit status for "try". */
static int try_lock(const char* type, const char* start, const char* len) {
  return reap(spawn_child(-1, -1, "try", FILE_A, type, start, len, NULL));
}

static int new_file(void) {
  int fd = open(FILE_A, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) write(fd, "0123456789", 10);
  return fd;
}

/* A byte from fd, or 0 if none came within ms (poll). */
static char byte_within(int fd, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  char c = 0;
  if (poll(&p, 1, ms) == 1 && read(fd, &c, 1) != 1) c = 0;
  return c;
}

static void test_basic(void) {
  int fd = new_file();
  UT_EQ("setlk.write", setlk(fd, F_SETLK, F_WRLCK, 0, 100), 0);
  UT_EQ("other.write_conflicts", try_lock("w", "50", "10"), 11);
  UT_EQ("other.read_conflicts", try_lock("r", "99", "1"), 11);
  UT_EQ("other.beyond_is_free", try_lock("w", "100", "100"), 0);
  /* F_GETLK from the other process sees our lock and our pid. */
  int p[2];
  pipe(p);
  pid_t c = spawn_child(-1, p[1], "getlk", FILE_A, "10", "5", NULL, NULL);
  close(p[1]);
  char out[64] = {0};
  read(p[0], out, sizeof out - 1);
  close(p[0]);
  UT_EQ("getlk.child_status", reap(c), 0);
  char want[64];
  snprintf(want, sizeof want, "%d 0 100 %d\n", F_WRLCK, (int)getpid());
  UT_TRUE("getlk.reports_holder", strcmp(out, want) == 0);
  if (strcmp(out, want)) ut_fail("getlk.text", "got '%s' want '%s'", out, want);
  /* Our own locks never conflict with us: F_GETLK says F_UNLCK. */
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  UT_EQ("getlk.own", err(fcntl(fd, F_GETLK, &fl)), 0);
  UT_EQ("getlk.own_unlck", fl.l_type, F_UNLCK);
  /* Unlocking the middle leaves two locks around a free hole. */
  UT_EQ("unlock.middle", setlk(fd, F_SETLK, F_UNLCK, 40, 20), 0);
  UT_EQ("other.hole_free", try_lock("w", "40", "20"), 0);
  UT_EQ("other.left_held", try_lock("w", "39", "1"), 11);
  UT_EQ("other.right_held", try_lock("w", "60", "1"), 11);
  /* SEEK_END and a negative length. */
  struct flock e = {.l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = 500, .l_len = -10};
  UT_EQ("seek_end.negative_len", err(fcntl(fd, F_SETLK, &e)), 0); /* [500, 510) */
  UT_EQ("other.seek_end_range", try_lock("r", "505", "1"), 11);
  /* Errors. */
  UT_ERR("bad_type", setlk(fd, F_SETLK, 7, 0, 1), EINVAL);
  UT_ERR("getlk_unlck", setlk(fd, F_GETLK, F_UNLCK, 0, 1), EINVAL);
  UT_ERR("negative_start", setlk(fd, F_SETLK, F_WRLCK, -5, 1), EINVAL);
  int ro = open(FILE_A, O_RDONLY);
  UT_ERR("write_lock_on_rdonly", setlk(ro, F_SETLK, F_WRLCK, 1000, 1), EBADF);
  UT_EQ("read_lock_on_rdonly", setlk(ro, F_SETLK, F_RDLCK, 1000, 1), 0);
  UT_ERR("bad_pointer", err(fcntl(fd, F_SETLK, (void*)16)), EFAULT);
  close(ro); /* closing any fd of the file releases the process's locks */
  UT_EQ("close.released_all", try_lock("w", "0", "0"), 0);
  close(fd);
}

static void test_wait(void) {
  int fd = new_file();
  setlk(fd, F_SETLK, F_WRLCK, 0, 10);
  int p[2];
  pipe(p);
  pid_t c = spawn_child(-1, p[1], "wait", FILE_A, "5", "1", NULL, NULL);
  close(p[1]);
  UT_EQ("waiter.blocked_while_held", byte_within(p[0], 200), 0);
  setlk(fd, F_SETLK, F_UNLCK, 0, 10);
  UT_EQ("waiter.gets_it_after_unlock", byte_within(p[0], 10000), 'g');
  UT_EQ("waiter.status", reap(c), 0);
  close(p[0]);
  close(fd);
}

static void test_release(void) {
  int fd = new_file();
  /* A holder that is killed: its locks go with it. */
  int in[2], out[2];
  pipe(in);
  pipe(out);
  pid_t c = spawn_child(in[0], out[1], "hold", FILE_A, "0", "10", NULL, NULL);
  close(in[0]);
  close(out[1]);
  UT_EQ("holder.has_it", byte_within(out[0], 10000), 'h');
  UT_EQ("holder.conflicts", setlk(fd, F_SETLK, F_WRLCK, 0, 1), -EAGAIN);
  kill(c, SIGKILL);
  UT_EQ("holder.killed", reap(c), 1000 + SIGKILL);
  UT_EQ("holder.lock_gone", setlk(fd, F_SETLK, F_WRLCK, 0, 1), 0);
  close(in[1]);
  close(out[0]);
  /* The same again and again: once wait has returned the holder's end,
   * its locks are gone, every time (the kernel reports the exit after the
   * server's close upcall has run, not merely after it started). */
  setlk(fd, F_SETLK, F_UNLCK, 0, 0);
  int still_held = 0;
  for (int i = 0; i < 10; i++) {
    pipe(in);
    pipe(out);
    c = spawn_child(in[0], out[1], "hold", FILE_A, "0", "10", NULL, NULL);
    close(in[0]);
    close(out[1]);
    if (byte_within(out[0], 10000) != 'h') still_held += 100;
    kill(c, SIGKILL);
    reap(c);
    if (setlk(fd, F_SETLK, F_WRLCK, 0, 1) != 0) still_held++;
    setlk(fd, F_SETLK, F_UNLCK, 0, 0);
    close(in[1]);
    close(out[0]);
  }
  UT_EQ("holder.lock_gone_every_time", still_held, 0);
  setlk(fd, F_SETLK, F_WRLCK, 0, 1); /* held again, for the waiter below */
  /* A blocked waiter that is killed leaves nothing behind either. */
  pipe(out);
  c = spawn_child(-1, out[1], "wait", FILE_A, "0", "1", NULL, NULL);
  close(out[1]);
  UT_EQ("waiter.blocked", byte_within(out[0], 200), 0);
  kill(c, SIGKILL);
  UT_EQ("waiter.killed", reap(c), 1000 + SIGKILL);
  setlk(fd, F_SETLK, F_UNLCK, 0, 0);
  UT_EQ("after.free", try_lock("w", "0", "0"), 0);
  close(out[0]);
  close(fd);
}

static void test_deadlock(void) {
  int fd = new_file();
  setlk(fd, F_SETLK, F_WRLCK, 0, 10); /* we hold A */
  int in[2], out[2];
  pipe(in);
  pipe(out);
  /* The child holds B and then waits for A. */
  pid_t c = spawn_child(in[0], out[1], "hold", FILE_A, "20", "10", "0", "10");
  close(in[0]);
  close(out[1]);
  UT_EQ("child.holds_b", byte_within(out[0], 10000), 'h');
  write(in[1], "x", 1); /* now it blocks on A */
  UT_EQ("child.blocked_on_a", byte_within(out[0], 200), 0);
  /* Waiting for B would close the cycle. */
  UT_ERR("edeadlk", setlk(fd, F_SETLKW, F_WRLCK, 20, 10), EDEADLK);
  setlk(fd, F_SETLK, F_UNLCK, 0, 10);
  UT_EQ("child.got_a", byte_within(out[0], 10000), '0');
  UT_EQ("child.status", reap(c), 0);
  close(in[1]);
  close(out[0]);
  close(fd);
}

static void test_flock(void) {
  int fd = new_file();
  UT_EQ("flock.ex", err(flock(fd, LOCK_EX)), 0);
  int d = dup(fd);
  UT_EQ("flock.dup_shares", err(flock(d, LOCK_EX | LOCK_NB)), 0);
  close(d);
  /* A second open is another description: it conflicts, even here. */
  int fd2 = open(FILE_A, O_RDONLY);
  UT_ERR("flock.other_description", err(flock(fd2, LOCK_SH | LOCK_NB)), EWOULDBLOCK);
  /* flock and fcntl locks do not meet (as on Linux). */
  UT_EQ("flock.not_record", try_lock("w", "0", "0"), 0);
  UT_EQ("flock.child_nb", reap(spawn_child(-1, -1, "flock", FILE_A, "exnb", NULL, NULL, NULL)),
        11);
  int p[2];
  pipe(p);
  pid_t c = spawn_child(-1, p[1], "flock", FILE_A, "sh", NULL, NULL, NULL);
  close(p[1]);
  UT_EQ("flock.waiter_blocked", byte_within(p[0], 200), 0);
  UT_EQ("flock.un", err(flock(fd, LOCK_UN)), 0);
  UT_EQ("flock.waiter_woken", byte_within(p[0], 10000), 'g');
  UT_EQ("flock.waiter_status", reap(c), 0);
  close(p[0]);
  /* Closing the description lets go. */
  UT_EQ("flock.ex_again", err(flock(fd, LOCK_EX)), 0);
  close(fd);
  UT_EQ("flock.after_close", err(flock(fd2, LOCK_SH | LOCK_NB)), 0);
  UT_ERR("flock.bad_op", err(flock(fd2, 99)), EINVAL);
  UT_ERR("flock.badf", err(flock(fd, LOCK_SH)), EBADF);
  pipe(p);
  UT_ERR("flock.pipe", err(flock(p[0], LOCK_SH)), EINVAL);
  close(p[0]);
  close(p[1]);
  close(fd2);
}

static void test_ofd(void) {
  int fd = new_file();
  int fd2 = open(FILE_A, O_RDWR);
  struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  UT_EQ("ofd.set", err(fcntl(fd, F_OFD_SETLK, &fl)), 0);
  /* Owned by the description: another open of the same process conflicts. */
  UT_ERR("ofd.other_description", err(fcntl(fd2, F_OFD_SETLK, &fl)), EAGAIN);
  /* And POSIX locks of another process meet them. */
  UT_EQ("ofd.meets_posix", try_lock("w", "5", "1"), 11);
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  UT_EQ("ofd.getlk", err(fcntl(fd2, F_OFD_GETLK, &q)), 0);
  UT_TRUE("ofd.getlk_pid", q.l_type == F_WRLCK && q.l_pid == -1);
  fl.l_pid = 5;
  UT_ERR("ofd.pid_must_be_0", err(fcntl(fd2, F_OFD_SETLK, &fl)), EINVAL);
  close(fd); /* the description goes: its lock too */
  fl.l_pid = 0;
  UT_EQ("ofd.after_close", err(fcntl(fd2, F_OFD_SETLK, &fl)), 0);
  close(fd2);
}

static void cycle(int fd) {
  setlk(fd, F_SETLK, F_WRLCK, 0, 10);
  setlk(fd, F_SETLK, F_RDLCK, 3, 4);
  setlk(fd, F_SETLK, F_UNLCK, 0, 0);
  flock(fd, LOCK_EX);
  flock(fd, LOCK_UN);
}

/* The blocking path: a waiter in another process, woken. */
static void blocked_round(int fd) {
  setlk(fd, F_SETLK, F_WRLCK, 0, 1);
  int p[2];
  pipe(p);
  pid_t c = spawn_child(-1, p[1], "wait", FILE_A, "0", "1", NULL, NULL);
  close(p[1]);
  byte_within(p[0], 50);
  setlk(fd, F_SETLK, F_UNLCK, 0, 1);
  byte_within(p[0], 10000);
  reap(c);
  close(p[0]);
}

static void test_leaks(void) {
  int fd = new_file();
  for (int i = 0; i < 20; i++) cycle(fd);
  for (int i = 0; i < 2; i++) blocked_round(fd);
  long before = ut_settled_free_mem();
  for (int i = 0; i < 500; i++) cycle(fd);
  for (int i = 0; i < 5; i++) blocked_round(fd);
  long after = ut_settled_free_mem();
  /* The five spawns are in the window too; their memory comes back. */
  UT_EQ("leaks.lock_cycles", after, before);
  close(fd);
  unlink(FILE_A);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child(argc, argv);
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("basic", test_basic);
  SECTION("wait", test_wait);
  SECTION("release", test_release);
  SECTION("deadlock", test_deadlock);
  SECTION("flock", test_flock);
  SECTION("ofd", test_ofd);
  SECTION("leaks", test_leaks);
  return ut_finish();
}
