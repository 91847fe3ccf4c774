/* proc.fork: fork and copy-on-write, as a program written for Linux uses
 * them. A child reports what it found through its exit status: 0 when all
 * its checks held, else the number of the first that failed.
 *
 *   fork [section]   basic | memory | shared | fds | threads | nested |
 *                    vfork | cow_smp | cycles | nproc */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "fork"
#include <chcore/syscall.h>
#include "utest.h"

/* The child's exit code, or 1000 + signal. */
static int reap(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -2000;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, 0);
}

#define CHILD_CHECK(n, cond) \
  do {                       \
    if (!(cond)) _exit(n);   \
  } while (0)

/* ---- basic: return values, pids, parents, statuses ---------------------------------- */

static volatile int got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }
static volatile int got_chld;
static void on_chld(int sig) { got_chld = sig; }

static void test_basic(void) {
  pid_t me = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    CHILD_CHECK(1, getpid() != me);
    CHILD_CHECK(2, getppid() == me);
    CHILD_CHECK(3, gettid() == getpid());
    _exit(42);
  }
  UT_TRUE("basic.parent_gets_pid", pid > 0 && pid != me);
  UT_EQ("basic.exit_status", reap(pid), 42);
  UT_ERR("basic.no_more_children", waitpid(-1, 0, WNOHANG) < 0 ? -errno : 0, ECHILD);
  /* exit() in the child runs its atexit handlers and flushes stdio. */
  pid = fork();
  if (pid == 0) exit(3);
  UT_EQ("basic.exit_via_libc", reap(pid), 3);
  /* Signal actions and the mask are copied. */
  signal(SIGUSR1, on_usr1);
  sigset_t m, old;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR2);
  sigprocmask(SIG_BLOCK, &m, &old);
  pid = fork();
  if (pid == 0) {
    raise(SIGUSR1);
    CHILD_CHECK(1, got_usr1 == SIGUSR1);
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    CHILD_CHECK(2, sigismember(&now, SIGUSR2));
    raise(SIGUSR2); /* blocked: pends, the child lives on */
    _exit(0);
  }
  UT_EQ("basic.signals_copied", reap(pid), 0);
  sigprocmask(SIG_SETMASK, &old, 0);
  signal(SIGUSR1, SIG_DFL);
  /* SIGCHLD when a child ends. */
  got_chld = 0;
  signal(SIGCHLD, on_chld);
  pid = fork();
  if (pid == 0) _exit(4);
  for (int i = 0; i < 2000 && !got_chld; i++) sleep_ms(1);
  UT_EQ("basic.sigchld", got_chld, SIGCHLD);
  UT_EQ("basic.sigchld_child_status", reap(pid), 4);
  signal(SIGCHLD, SIG_DFL);
  /* A child killed by a signal. */
  pid = fork();
  if (pid == 0) {
    for (;;) sleep_ms(100);
  }
  sleep_ms(20);
  UT_EQ("basic.kill", kill(pid, SIGKILL), 0);
  UT_EQ("basic.killed_status", reap(pid), 1000 + SIGKILL);
}

/* ---- memory: each side's writes invisible to the other ------------------------------ */

static int data_word = 1234;
static char bss_block[3 * 4096];

static void test_memory(void) {
  int stack_word = 77;
  size_t heap_len = 1 << 20;
  unsigned char* heap = malloc(heap_len);
  for (size_t i = 0; i < heap_len; i++) heap[i] = (unsigned char)i;
  char* anon = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(anon, 'a', 8 * 4096);
  memset(bss_block, 'b', sizeof bss_block);
  int p2c[2], c2p[2];
  pipe(p2c);
  pipe(c2p);
  pid_t pid = fork();
  if (pid == 0) {
    /* What the parent had at the fork. */
    CHILD_CHECK(1, data_word == 1234 && stack_word == 77);
    CHILD_CHECK(2, heap[12345] == (unsigned char)12345 && anon[5000] == 'a');
    CHILD_CHECK(3, bss_block[4096 * 2 + 7] == 'b');
    /* Our writes... */
    data_word = 1;
    stack_word = 2;
    for (size_t i = 0; i < heap_len; i += 4096) heap[i] = 0xee;
    memset(anon, 'c', 8 * 4096);
    bss_block[0] = 'c';
    char x;
    write(c2p[1], "w", 1);
    /* ... and, after the parent's own writes, still ours. */
    read(p2c[0], &x, 1);
    CHILD_CHECK(4, data_word == 1 && stack_word == 2 && bss_block[0] == 'c');
    for (size_t i = 0; i < heap_len; i += 4096) CHILD_CHECK(5, heap[i] == 0xee);
    CHILD_CHECK(6, heap[1] == 1 && anon[100] == 'c' && bss_block[1] == 'b');
    _exit(0);
  }
  char x;
  read(c2p[0], &x, 1); /* the child has written */
  UT_EQ("memory.data_kept", data_word, 1234);
  UT_EQ("memory.stack_kept", stack_word, 77);
  int heap_ok = 1;
  for (size_t i = 0; i < heap_len; i++) heap_ok &= heap[i] == (unsigned char)i;
  UT_TRUE("memory.heap_kept", heap_ok);
  UT_EQ("memory.mmap_kept", anon[4096 * 7], 'a');
  UT_EQ("memory.bss_kept", bss_block[0], 'b');
  data_word = 9;
  memset(bss_block, 'p', sizeof bss_block);
  for (size_t i = 0; i < heap_len; i += 4096) heap[i] = 0x11;
  write(p2c[1], "g", 1);
  UT_EQ("memory.child_checks", reap(pid), 0);
  UT_EQ("memory.parent_writes_kept", data_word + heap[4096] + bss_block[5], 9 + 0x11 + 'p');
  munmap(anon, 8 * 4096);
  free(heap);
  close(p2c[0]);
  close(p2c[1]);
  close(c2p[0]);
  close(c2p[1]);
}

/* ---- shared: a MAP_SHARED mapping stays shared -------------------------------------- */

static void test_shared(void) {
  volatile int* sh = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  UT_TRUE("shared.mmap", sh != MAP_FAILED);
  sh[0] = 5;
  pid_t pid = fork();
  if (pid == 0) {
    CHILD_CHECK(1, sh[0] == 5);
    sh[1] = 6;
    while (sh[2] != 7) sched_yield();
    _exit(0);
  }
  while (sh[1] != 6) sched_yield();
  UT_EQ("shared.child_write_seen", sh[1], 6);
  sh[2] = 7;
  UT_EQ("shared.parent_write_seen", reap(pid), 0);
  munmap((void*)sh, 4096);
}

/* A mapping made with CHCORE_MAP_DONTFORK (the C library's IPC buffers)
 * is not the child's: touching its address kills the child (SIGSEGV),
 * while the parent keeps it. An unknown flag is EINVAL. */
#define DONTFORK_VA 0x5f0000000000ul /* in libchcore's area, far above its use */
static void test_dontfork(void) {
  long pmo = chcore_sys_create_pmo(4096, CHCORE_PMO_ANONYMOUS);
  UT_TRUE("dontfork.pmo", pmo >= 0);
  UT_ERR("dontfork.unknown_flag",
         chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, DONTFORK_VA, CHCORE_PROT_READ | 0x200), EINVAL);
  UT_EQ("dontfork.map",
        chcore_sys_map_pmo(CHCORE_SLOT_SELF, pmo, DONTFORK_VA,
                           CHCORE_PROT_READ | CHCORE_PROT_WRITE | CHCORE_MAP_DONTFORK),
        0);
  volatile int* p = (volatile int*)DONTFORK_VA;
  p[0] = 42;
  pid_t pid = fork();
  if (pid == 0) _exit(p[0] == 42 ? 1 : 2); /* never returns: the address is unmapped */
  UT_EQ("dontfork.child_faults", reap(pid), 1000 + SIGSEGV);
  /* The rest of the address space is the child's as usual. */
  pid = fork();
  if (pid == 0) _exit(got_usr1 == 0 ? 3 : 4);
  UT_EQ("dontfork.rest_copied", reap(pid), 3);
  UT_EQ("dontfork.parent_keeps", p[0], 42);
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, pmo, DONTFORK_VA);
  chcore_sys_revoke_cap(pmo, CHCORE_REVOKE_SELF);
}

/* ---- fds: pipes and files inherited, offsets shared -------------------------------- */

static void test_fds(void) {
  int p[2];
  pipe(p);
  const char* path = "/tmp/fork_fds";
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
  UT_OK("fds.open", fd);
  write(fd, "12", 2);
  int cloexec = open(path, O_RDONLY | O_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    close(p[0]);
    CHILD_CHECK(1, write(p[1], "from child", 10) == 10);
    /* The same description: the offset is the parent's, 2. */
    CHILD_CHECK(2, lseek(fd, 0, SEEK_CUR) == 2);
    CHILD_CHECK(3, write(fd, "abc", 3) == 3);
    /* Close-on-exec is kept until an exec. */
    char c;
    CHILD_CHECK(4, pread(cloexec, &c, 1, 0) == 1 && c == '1');
    CHILD_CHECK(5, fcntl(cloexec, F_GETFD) == FD_CLOEXEC);
    _exit(0);
  }
  close(p[1]);
  char buf[32] = {0};
  UT_EQ("fds.pipe_from_child", read(p[0], buf, sizeof buf), 10);
  UT_EQ("fds.pipe_data", memcmp(buf, "from child", 10), 0);
  UT_EQ("fds.child_checks", reap(pid), 0);
  UT_EQ("fds.pipe_eof_after_child", read(p[0], buf, sizeof buf), 0);
  /* The child's write moved our offset too. */
  UT_EQ("fds.offset_shared", lseek(fd, 0, SEEK_CUR), 5);
  write(fd, "def", 3);
  memset(buf, 0, sizeof buf);
  UT_EQ("fds.file_size", pread(fd, buf, sizeof buf, 0), 8);
  UT_EQ("fds.file_data", strcmp(buf, "12abcdef"), 0);
  close(fd);
  close(cloexec);
  close(p[0]);
  unlink(path);
}

/* ---- threads: only the calling thread is copied ------------------------------------ */

static volatile long counters[8];
static volatile int stop_threads;

static void* spinner(void* arg) {
  long i = (long)arg;
  while (!stop_threads) {
    counters[i]++;
    if (counters[i] % 1024 == 0) sched_yield();
  }
  return 0;
}

static void* child_thread(void* arg) { return (void*)((long)arg + 1); }

static void test_threads(void) {
  pthread_t t[8];
  for (long i = 0; i < 7; i++) pthread_create(&t[i], 0, spinner, (void*)i);
  sleep_ms(20);
  pid_t pid = fork();
  if (pid == 0) {
    /* The spinners were not copied: their counters stand still here. */
    long before[7];
    for (int i = 0; i < 7; i++) before[i] = counters[i];
    sleep_ms(50);
    for (int i = 0; i < 7; i++) CHILD_CHECK(1, counters[i] == before[i]);
    /* The child can make threads of its own. */
    pthread_t c;
    void* r = 0;
    CHILD_CHECK(2, pthread_create(&c, 0, child_thread, (void*)41) == 0);
    CHILD_CHECK(3, pthread_join(c, &r) == 0 && (long)r == 42);
    /* And fork again. */
    pid_t g = fork();
    if (g == 0) _exit(5);
    CHILD_CHECK(4, reap(g) == 5);
    _exit(0);
  }
  UT_EQ("threads.child_checks", reap(pid), 0);
  long before = counters[0];
  sleep_ms(20);
  UT_TRUE("threads.parent_threads_run_on", counters[0] != before);
  stop_threads = 1;
  for (int i = 0; i < 7; i++) pthread_join(t[i], 0);
}

/* ---- nested: a chain of forks, each waited for by its parent ------------------------ */

static void test_nested(void) {
  int depth = 0;
  pid_t top = getpid();
  for (; depth < 5; depth++) {
    pid_t pid = fork();
    if (pid != 0) {
      int st = reap(pid);
      if (getpid() != top) _exit(st == depth + 1 ? depth : 100);
      /* Each parent passes on its child's depth, checked. */
      UT_EQ("nested.chain_status", st, 1);
      return;
    }
  }
  _exit(5);
}

/* ---- vfork: the child may only exec or _exit ---------------------------------------- */

static void test_vfork(void) {
  pid_t pid = vfork();
  if (pid == 0) _exit(9);
  UT_TRUE("vfork.pid", pid > 0);
  UT_EQ("vfork.status", reap(pid), 9);
}

/* ---- cow_smp: both sides writing the shared pages at once, on two CPUs -------------- */

static void test_cow_smp(void) {
  size_t len = 64 * 4096;
  long* m = mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  size_t n = len / sizeof(long);
  for (size_t i = 0; i < n; i++) m[i] = (long)i;
  for (int round = 0; round < 4; round++) {
    pid_t pid = fork();
    if (pid == 0) {
      for (size_t i = 0; i < n; i += 7) m[i] = -(long)i - 1;
      for (size_t i = 0; i < n; i++)
        CHILD_CHECK(1, m[i] == (i % 7 == 0 ? -(long)i - 1 : (long)i + round * 3));
      _exit(0);
    }
    for (size_t i = 0; i < n; i += 3) m[i] = (long)i + 1000000;
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= m[i] == (i % 3 == 0 ? (long)i + 1000000 : (long)i + round * 3);
    UT_TRUE("cow_smp.parent_values", ok);
    UT_EQ("cow_smp.child_values", reap(pid), 0);
    for (size_t i = 0; i < n; i++) m[i] = (long)i + (round + 1) * 3;
  }
  munmap(m, len);
}

/* ---- cycles: fork/exit/wait many times, no memory lost ------------------------------ */

static int cycles = 1000;

static void test_cycles(void) {
  char* touched = malloc(1 << 20);
  memset(touched, 1, 1 << 20);
  /* A warm-up doing the same: caches (procmgr's reaper, the kernel's
   * slabs and per-CPU page caches) reach their steady state. */
  for (int i = 0; i < 50; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      touched[i * 4096] = 2;
      _exit(i & 0x7f);
    }
    reap(pid);
  }
  long before = ut_settled_free_mem();
  int bad = 0;
    for (int i = 0; i < cycles; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      touched[i * 997 % (1 << 20)] = 2; /* one copied page */
      _exit(i & 0x7f);
    }
    if (pid < 0 || reap(pid) != (i & 0x7f)) bad++;
  }
  /* Read before the first report: stdout's buffer is memory too. */
  long after = ut_settled_free_mem();
  UT_EQ("cycles.all_ok", bad, 0);
  UT_EQ("cycles.no_memory_lost", after, before);
  free(touched);
}

/* ---- nproc: a fork bomb stopped by RLIMIT_NPROC ----------------------------------- */

/* One bomb: a group forking until RLIMIT_NPROC says EAGAIN, then killed. */
static void bomb(const char* round) {
  char name[64];
  int p[2];
  pipe(p);
  pid_t boss = fork();
  if (boss == 0) {
    setpgid(0, 0);
    struct rlimit rl = {40, 40};
    setrlimit(RLIMIT_NPROC, &rl);
    /* Every process forks as long as it can; each child then waits. */
    int made = 0;
    for (;;) {
      pid_t c = fork();
      if (c < 0) break;
      if (c == 0) {
        made = 0;
        continue; /* the child forks on too */
      }
      made++;
      if (made > 100) break;
    }
    int e = errno;
    /* Report how the first failure looked, once (the boss). */
    if (getpid() == getpgrp()) {
      char r = e == EAGAIN ? 'A' : 'x';
      write(p[1], &r, 1);
    }
    for (;;) pause();
  }
  char r = 0;
  read(p[0], &r, 1);
  snprintf(name, sizeof name, "nproc.%s.eagain", round);
  UT_EQ(name, r, 'A');
  /* The system is alive: a fork outside the group works. */
  pid_t other = fork();
  if (other == 0) _exit(6);
  snprintf(name, sizeof name, "nproc.%s.system_alive", round);
  UT_EQ(name, reap(other), 6);
  /* End the bomb: the whole group; a fork in flight may have started one
   * more after that, so again until nobody is left. */
  snprintf(name, sizeof name, "nproc.%s.kill_group", round);
  UT_EQ(name, kill(-boss, SIGKILL), 0);
  for (int i = 0; i < 200 && kill(-boss, SIGKILL) == 0; i++) sleep_ms(10);
  snprintf(name, sizeof name, "nproc.%s.boss_killed", round);
  UT_EQ(name, reap(boss), 1000 + SIGKILL);
  close(p[0]);
  close(p[1]);
  /* Orphans went to init (us): wait for what is ours. */
  while (waitpid(-1, 0, 0) > 0) {
  }
}

static void test_nproc(void) {
  /* Twice: the limit holds again once the first bomb is gone. (Memory
   * is checked by the cycles section; here the number of processes that
   * run at once, and so procmgr's reaper threads, vary from run to run.) */
  bomb("first");
  bomb("second");
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  if (argc > 2) cycles = atoi(argv[2]);
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("basic", test_basic);
  SECTION("memory", test_memory);
  SECTION("shared", test_shared);
  SECTION("dontfork", test_dontfork);
  SECTION("fds", test_fds);
  SECTION("threads", test_threads);
  SECTION("nested", test_nested);
  SECTION("vfork", test_vfork);
  SECTION("cow_smp", test_cow_smp);
  SECTION("cycles", test_cycles);
  SECTION("nproc", test_nproc);
  return ut_finish();
}
