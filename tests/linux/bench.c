/* The same microbenchmarks as ./chbuild bench, for Debian's arm64 Linux
 * kernel in the same QEMU (tests/qemu/bench.py, run_linux, boots it on 4
 * CPUs with this program as /init). Freestanding: raw system calls, no
 * libc, so that nothing but the kernel path is measured. Prints
 *   BENCH <name> <hundredths of a ns per op>
 * (under -icount shift=0: instructions), then powers off. */
typedef unsigned long u64;

static long sys6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc #0"
                   : "+r"(x0)
                   : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                   : "memory");
  return x0;
}
#define SYS_mkdirat 34
#define SYS_openat 56
#define SYS_close 57
#define SYS_pread64 67
#define SYS_pwrite64 68
#define SYS_newfstatat 79
#define SYS_pipe2 59
#define SYS_read 63
#define SYS_write 64
#define SYS_exit 93
#define SYS_futex 98
#define SYS_sched_setaffinity 122
#define SYS_sched_yield 124
#define SYS_reboot 142
#define SYS_getpid 172
#define SYS_munmap 215
#define SYS_clone 220
#define SYS_mmap 222
#define SYS_wait4 260
#define SYS_sync 81
#define SYS_execve 221
#define SYS_gettid 178
#define SYS_tkill 130
#define SYS_rt_sigaction 134
#define SYS_rt_sigprocmask 135
#define SYS_rt_sigreturn 139

#define FUTEX_WAIT 0 /* shared (not FUTEX_PRIVATE_FLAG): the word is in a MAP_SHARED page */
#define FUTEX_WAKE 1
#define SIGCHLD 17
#define PROT_RW 3
#define MAP_SHARED_ANON 0x21
#define MAP_PRIVATE_ANON 0x22

static u64 counter(void) {
  u64 v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
  return v;
}

static void puts_(const char* s) {
  long n = 0;
  while (s[n]) n++;
  sys6(SYS_write, 1, (long)s, n, 0, 0, 0);
}

static void report(const char* name, u64 ticks, u64 ops) {
  u64 f;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
  u64 v = (ticks / f * 100000000000ul + ticks % f * 100000000000ul / f) / ops;
  char num[24];
  int i = 23;
  num[i] = 0;
  do {
    num[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  puts_("BENCH ");
  puts_(name);
  puts_(" ");
  puts_(num + i);
  puts_("\n");
}

static long pin(int cpu) {
  u64 mask = 1ul << cpu;
  return sys6(SYS_sched_setaffinity, 0, sizeof(mask), (long)&mask, 0, 0, 0);
}

static void pin_to_cpu0(void) { pin(0); }

#define N 20000
#define WARM 1000 /* unmeasured round trips first (page faults, caches) */

static long fork_(void) { return sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0); }

static void reap(long pid) {
  int status;
  sys6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);
}

static int read_full(long fd, char* b, long n) {
  while (n > 0) {
    long r = sys6(SYS_read, fd, (long)b, n, 0, 0, 0);
    if (r <= 0) return -1;
    b += r;
    n -= r;
  }
  return 0;
}

static int write_full(long fd, const char* b, long n) {
  while (n > 0) {
    long r = sys6(SYS_write, fd, (long)b, n, 0, 0, 0);
    if (r <= 0) return -1;
    b += r;
    n -= r;
  }
  return 0;
}

static long futex(volatile int* word, int op, int val) {
  return sys6(SYS_futex, (long)word, op, val, 0, 0, 0);
}

/* ipc_4pairs: the pairs' start line and their times, in a MAP_SHARED page. */
enum { PAIRS = 4 };
struct pairs {
  volatile int ready[PAIRS];
  volatile int go;
  volatile int failed;
  volatile u64 t0[PAIRS], t1[PAIRS];
};
static struct pairs* pairs;

/* Pair `id` is at the start line; the last of the pairs to arrive lets
 * them all go. Also done for a pair that failed or never started, so that
 * the others never wait for it. */
static void pairs_arrive(int id) {
  __atomic_store_n(&pairs->ready[id], 1, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  int all = 1;
  for (int i = 0; i < PAIRS; i++) all &= __atomic_load_n(&pairs->ready[i], __ATOMIC_SEQ_CST);
  if (all) {
    __atomic_store_n(&pairs->go, 1, __ATOMIC_SEQ_CST);
    futex(&pairs->go, FUTEX_WAKE, 0x7fffffff);
  }
}

/* Pair `id` has warmed up; returns when all pairs have, so that the
 * measured loops run together. */
static void pairs_start_line(int id) {
  pairs_arrive(id);
  while (!__atomic_load_n(&pairs->go, __ATOMIC_SEQ_CST)) futex(&pairs->go, FUTEX_WAIT, 0);
}

static char ping_buf[4096], pong_buf[4096];

/* Pipe ping-pong: the calling process and a child it forks, both pinned to
 * `cpu`, move `len` bytes through one pipe and back through another. One
 * round trip = write + read on each side. WARM unmeasured round trips, then
 * (after `start_line`, if any) N measured ones, whose counter readings go to
 * *t0 and *t1. Returns 0, or -1 if something failed. */
static int pipe_pingpong(int cpu, long len, void (*start_line)(int), int id, volatile u64* t0,
                         volatile u64* t1) {
  int to[2], from[2]; /* to[1] -> to[0] (ping), from[1] -> from[0] (pong) */
  int started = 0;
  if (pin(cpu) != 0) goto fail;
  if (sys6(SYS_pipe2, (long)to, 0, 0, 0, 0, 0) != 0) goto fail;
  if (sys6(SYS_pipe2, (long)from, 0, 0, 0, 0, 0) != 0) goto fail;
  long child = fork_();
  if (child < 0) goto fail;
  if (child == 0) {
    pin(cpu);
    /* Only the ends each side uses stay open: a side that dies is end of
     * file for the other, not a hang. */
    sys6(SYS_close, to[1], 0, 0, 0, 0, 0);
    sys6(SYS_close, from[0], 0, 0, 0, 0, 0);
    for (int i = 0; i < WARM + N; i++)
      if (read_full(to[0], pong_buf, len) || write_full(from[1], pong_buf, len)) break;
    sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
  }
  sys6(SYS_close, to[0], 0, 0, 0, 0, 0);
  sys6(SYS_close, from[1], 0, 0, 0, 0, 0);
  int bad = 0;
  for (int i = 0; i < WARM && !bad; i++)
    bad = write_full(to[1], ping_buf, len) || read_full(from[0], ping_buf, len);
  if (start_line) {
    started = 1;
    start_line(id);
  }
  *t0 = counter();
  for (int i = 0; i < N && !bad; i++)
    bad = write_full(to[1], ping_buf, len) || read_full(from[0], ping_buf, len);
  *t1 = counter();
  sys6(SYS_close, to[1], 0, 0, 0, 0, 0);
  sys6(SYS_close, from[0], 0, 0, 0, 0, 0);
  reap(child);
  if (!bad) return 0;
fail:
  if (start_line && !started) pairs_arrive(id);
  return -1;
}

/* Futex ping-pong on one word in a MAP_SHARED page between the calling
 * process (pinned to cpu_a) and a child (pinned to cpu_b): *turn says whose
 * turn it is; each side, on its turn, passes it on (store + FUTEX_WAKE) and
 * then sleeps in FUTEX_WAIT until it is its turn again. One round trip = two
 * wakes, each of a sleeping process. Returns the counter ticks of N round
 * trips after WARM unmeasured ones, 0 if something failed. */
static u64 futex_pingpong(int cpu_a, int cpu_b) {
  volatile int* turn = (volatile int*)sys6(SYS_mmap, 0, 4096, PROT_RW, MAP_SHARED_ANON, -1, 0);
  if ((long)turn < 0 && (long)turn > -4096) return 0;
  /* cpu_b first: the child's pin below then cannot fail (a child that
   * never took its turn would leave us waiting for ever). */
  if (pin(cpu_b) != 0 || pin(cpu_a) != 0) return 0;
  long child = fork_();
  if (child < 0) return 0;
  if (child == 0) {
    pin(cpu_b);
    for (int i = 0; i < WARM + N; i++) {
      while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 1) futex(turn, FUTEX_WAIT, 0);
      __atomic_store_n(turn, 0, __ATOMIC_RELEASE);
      futex(turn, FUTEX_WAKE, 1);
    }
    sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
  }
  u64 t0 = 0;
  for (int i = 0; i < WARM + N; i++) {
    if (i == WARM) t0 = counter();
    __atomic_store_n(turn, 1, __ATOMIC_RELEASE);
    futex(turn, FUTEX_WAKE, 1);
    while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 0) futex(turn, FUTEX_WAIT, 1);
  }
  u64 ticks = counter() - t0;
  int status = 0;
  sys6(SYS_wait4, child, (long)&status, 0, 0, 0, 0);
  sys6(SYS_munmap, (long)turn, 4096, 0, 0, 0, 0);
  pin(0);
  return status == 0 ? ticks : 0;
}

/* spawn_wait as musl's posix_spawn does it on Linux: clone(CLONE_VM |
 * CLONE_VFORK) of a child that execs a small static program (this one, with
 * an argument: it exits at once), then wait4. */
static u64 spawn_wait(int n) {
  static char* argv[] = {"/init", "exit", 0};
  static char* envp[] = {0};
  static char stack[16384] __attribute__((aligned(16)));
  u64 t0 = counter();
  for (int i = 0; i < n; i++) {
    long pid = sys6(SYS_clone, 0x4000 | 0x100 | SIGCHLD /* VFORK|VM */, (long)(stack + sizeof stack),
                    0, 0, 0, 0);
    if (pid == 0) {
      sys6(SYS_execve, (long)argv[0], (long)argv, (long)envp, 0, 0, 0);
      sys6(SYS_exit, 127, 0, 0, 0, 0, 0);
    }
    if (pid < 0) return 0;
    reap(pid);
  }
  return counter() - t0;
}

/* signal_roundtrip: what musl's raise() does (block every signal, tkill
 * itself, restore the mask, which delivers it), the handler, and
 * rt_sigreturn through our own restorer. */
static volatile long handled;
static void on_signal(int sig) { handled += sig; }
void bench_restorer(void);
__asm__(".text\n.global bench_restorer\nbench_restorer:\n\tmov x8, #139\n\tsvc #0\n");

static u64 signal_roundtrip(void) {
  struct {
    void (*handler)(int);
    u64 flags, restorer, mask;
  } act = {on_signal, 0x04000000 /* SA_RESTORER */, (u64)bench_restorer, 0};
  sys6(SYS_rt_sigaction, 10 /* SIGUSR1 */, (long)&act, 0, 8, 0, 0);
  long tid = sys6(SYS_gettid, 0, 0, 0, 0, 0, 0);
  u64 all = ~0ul, old = 0;
  u64 t0 = counter();
  for (int i = 0; i < N; i++) {
    sys6(SYS_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, (long)&old, 8, 0, 0);
    sys6(SYS_tkill, tid, 10, 0, 0, 0, 0);
    sys6(SYS_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&old, 0, 8, 0, 0);
  }
  return counter() - t0;
}

/* The shell benchmarks, when the initrd has Debian's busybox-static as
 * /bin/busybox (tests/qemu/bench.py, linux_busybox): fork + execve of
 * `/bin/sh -c script sh arg`, + wait4. Returns the counter ticks, 0 if the
 * script failed (or there is no shell). The same scripts as ours
 * (user/tests/bench/shell.c). */
static u64 shell(const char* script, const char* arg) {
  char* argv[] = {"sh", "-c", (char*)script, "sh", (char*)arg, 0};
  static char* envp[] = {"PATH=/bin", 0};
  u64 t0 = counter();
  long pid = fork_();
  if (pid == 0) {
    sys6(SYS_execve, (long)"/bin/sh", (long)argv, (long)envp, 0, 0, 0);
    sys6(SYS_exit, 127, 0, 0, 0, 0, 0);
  }
  if (pid < 0) return 0;
  int status = -1;
  sys6(SYS_wait4, pid, (long)&status, 0, 0, 0, 0);
  u64 t1 = counter();
  return status == 0 ? t1 - t0 : 0;
}

static void shell_bench(const char* name, const char* script, const char* warm,
                        const char* arg, u64 ops) {
  if (!shell(script, warm)) {
    puts_("bench: ");
    puts_(name);
    puts_(" failed (no /bin/sh?)\n");
    return;
  }
  u64 ticks = shell(script, arg);
  if (ticks)
    report(name, ticks, ops);
  else {
    puts_("bench: ");
    puts_(name);
    puts_(" failed\n");
  }
}

void bench_main(long* sp) {
  /* boot_to_shell's Linux figure: QEMU's start to the first instruction of
   * /init (the virtual counter starts with the machine). */
  u64 boot = counter();
  /* "/init exit": the program spawn_wait starts. */
  if (sp[0] > 1) sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
  report("boot_to_shell", boot, 1);
  /* null_syscall: getpid, the cheapest real system call. */
  u64 t0 = counter();
  for (int i = 0; i < N; i++) sys6(SYS_getpid, 0, 0, 0, 0, 0, 0);
  report("null_syscall", counter() - t0, N);

  /* signal_roundtrip: raise + handler + sigreturn. */
  u64 sig_ticks = signal_roundtrip();
  if (handled == 10L * N)
    report("signal_roundtrip", sig_ticks, N);
  else
    puts_("bench: signal_roundtrip: the handler did not run every time\n");

  /* yield_roundtrip: two processes pinned to one CPU yield to each other. */
  pin_to_cpu0();
  long child = sys6(SYS_clone, 17 /* SIGCHLD */, 0, 0, 0, 0, 0);
  if (child == 0) {
    pin_to_cpu0();
    for (int i = 0; i < N + 1000; i++) sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
    sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
  }
  for (int i = 0; i < 100; i++) sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
  t0 = counter();
  for (int i = 0; i < N; i++) sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
  report("yield_roundtrip", counter() - t0, N);
  int status;
  sys6(SYS_wait4, child, (long)&status, 0, 0, 0, 0);

  /* page_fault_anon: first touch of anonymous pages. */
  enum { PAGES = 2048 };
  char* p = (char*)sys6(SYS_mmap, 0, PAGES * 4096L, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
  t0 = counter();
  for (int i = 0; i < PAGES; i++) p[i * 4096L] = 0;
  report("page_fault_anon", counter() - t0, PAGES);
  sys6(SYS_munmap, (long)p, PAGES * 4096L, 0, 0, 0, 0); /* the forks below copy no page tables */

  /* ipc_roundtrip (also reported as pipe_pingpong): 1 byte through a pipe
   * to a process on the same CPU and 1 byte back. */
  u64 a, b;
  if (pipe_pingpong(0, 1, 0, 0, &a, &b) == 0) {
    report("ipc_roundtrip", b - a, N);
    report("pipe_pingpong", b - a, N);
  } else {
    puts_("bench: pipe ping-pong failed\n");
  }

  /* ipc_roundtrip_4k: the same with 4 KiB each way. */
  if (pipe_pingpong(0, 4096, 0, 0, &a, &b) == 0)
    report("ipc_roundtrip_4k", b - a, N);
  else
    puts_("bench: 4 KiB pipe ping-pong failed\n");

  /* futex_pingpong: futex wakes between two processes on one CPU. */
  u64 ticks = futex_pingpong(0, 0);
  if (ticks)
    report("futex_pingpong", ticks, N);
  else
    puts_("bench: futex ping-pong failed\n");

  /* notify_wait: the same between CPU 0 and CPU 1; one figure per wake
   * (a round trip is two: CPU 0 wakes CPU 1's waiter, then back). */
  ticks = futex_pingpong(0, 1);
  if (ticks)
    report("notify_wait", ticks, 2 * N);
  else
    puts_("bench: cross-CPU futex ping-pong failed (fewer than 2 CPUs?)\n");

  /* ipc_4pairs: 4 pipe ping-pong pairs at once, pair k on CPU k. From the
   * first pair's start to the last pair's end, divided by all round trips
   * of all pairs: under -icount the virtual clock advances with every CPU's
   * instructions (QEMU runs the CPUs in turn), so this is the instructions
   * per round trip of one pair. Without icount it is wall time per round
   * trip of the four together (one host thread runs all four CPUs here).
   * Measured on Debian's 6.1: about 13% fewer instructions per round trip
   * than ipc_roundtrip; getrusage shows why: alone, each round trip is one
   * voluntary switch (the writer blocks in read), while with four pairs
   * running a quarter to a third of them are wake-up preemptions instead
   * (the writer is preempted before its read, which then finds its byte). */
  pairs = (struct pairs*)sys6(SYS_mmap, 0, 4096, PROT_RW, MAP_SHARED_ANON, -1, 0);
  if ((long)pairs < 0 && (long)pairs > -4096) {
    puts_("bench: ipc_4pairs: no shared page\n");
  } else if (pin(PAIRS - 1) != 0) {
    puts_("bench: ipc_4pairs needs 4 CPUs\n");
  } else {
    pin_to_cpu0();
    long pid[PAIRS];
    for (int k = 0; k < PAIRS; k++) {
      pid[k] = fork_();
      if (pid[k] == 0) {
        if (pipe_pingpong(k, 1, pairs_start_line, k, &pairs->t0[k], &pairs->t1[k]) != 0)
          pairs->failed = 1;
        sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
      }
      if (pid[k] < 0) {
        pairs->failed = 1;
        pairs_arrive(k); /* stands in for the pair that never started */
      }
    }
    for (int k = 0; k < PAIRS; k++)
      if (pid[k] > 0) reap(pid[k]);
    u64 first = pairs->t0[0], last = pairs->t1[0];
    for (int k = 1; k < PAIRS; k++) {
      if (pairs->t0[k] < first) first = pairs->t0[k];
      if (pairs->t1[k] > last) last = pairs->t1[k];
    }
    if (!pairs->failed)
      report("ipc_4pairs", last - first, PAIRS * N);
    else
      puts_("bench: ipc_4pairs failed\n");
  }

  /* Files on the initramfs root (a tmpfs): as tests/bench/fs.c. */
  {
    static char page[4096];
    static char st[256]; /* struct stat */
    const long AT_FDCWD = -100;
    sys6(SYS_mkdirat, AT_FDCWD, (long)"/bench", 0755, 0, 0, 0);
    sys6(SYS_mkdirat, AT_FDCWD, (long)"/bench/dir", 0755, 0, 0, 0);
    long fd = sys6(SYS_openat, AT_FDCWD, (long)"/bench/dir/file", 02 | 0100 | 01000 /* RDWR|CREAT|TRUNC */,
                   0644, 0, 0);
    if (fd < 0) {
      puts_("bench: cannot create /bench/dir/file\n");
    } else {
      for (int i = 0; i < 100; i++) sys6(SYS_pwrite64, fd, (long)page, 4096, 0, 0, 0);
      t0 = counter();
      for (int i = 0; i < N; i++) sys6(SYS_pwrite64, fd, (long)page, 4096, 0, 0, 0);
      report("tmpfs_write_4k", counter() - t0, N);
      t0 = counter();
      for (int i = 0; i < N; i++) sys6(SYS_pread64, fd, (long)page, 4096, 0, 0, 0);
      report("tmpfs_read_4k", counter() - t0, N);
      sys6(SYS_close, fd, 0, 0, 0, 0, 0);
      t0 = counter();
      for (int i = 0; i < N; i++)
        sys6(SYS_close, sys6(SYS_openat, AT_FDCWD, (long)"/bench/dir/file", 0, 0, 0, 0), 0, 0, 0,
             0, 0);
      report("open_close", counter() - t0, N);
      t0 = counter();
      for (int i = 0; i < N; i++)
        sys6(SYS_newfstatat, AT_FDCWD, (long)"/bench/dir/file", (long)st, 0, 0, 0);
      report("stat", counter() - t0, N);
    }
  }

  {
    /* fork_exit_wait: fork of a process with 1 MiB touched; the child
     * exits at once. */
    enum { MIB = 1 << 20, CPAGES = 2048 };
    char* m = (char*)sys6(SYS_mmap, 0, MIB, 3 /* RW */, 0x22 /* PRIVATE|ANON */, -1, 0);
    for (long i = 0; i < MIB; i += 4096) m[i] = 1;
    u64 f0 = counter();
    for (int i = 0; i < 50; i++) {
      long pid = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
      if (pid == 0) sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
      reap(pid);
    }
    report("fork_exit_wait", counter() - f0, 50);
    /* fork_exec_wait: the same fork, the child execs "/init exit". */
    {
      static char* argv[] = {"/init", "exit", 0};
      static char* envp[] = {0};
      f0 = counter();
      for (int i = 0; i < 50; i++) {
        long pid = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
        if (pid == 0) {
          sys6(SYS_execve, (long)argv[0], (long)argv, (long)envp, 0, 0, 0);
          sys6(SYS_exit, 127, 0, 0, 0, 0, 0);
        }
        reap(pid);
      }
      report("fork_exec_wait", counter() - f0, 50);
    }
    sys6(SYS_munmap, (long)m, MIB, 0, 0, 0, 0);
    /* cow_fault: the first write to each page shared with a child. */
    char* c = (char*)sys6(SYS_mmap, 0, CPAGES * 4096L, 3, 0x22, -1, 0);
    for (long i = 0; i < CPAGES; i++) c[i * 4096] = 1;
    int go[2];
    sys6(SYS_pipe2, (long)go, 0, 0, 0, 0, 0);
    long pid = sys6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0);
    if (pid == 0) {
      char x;
      sys6(SYS_read, go[0], (long)&x, 1, 0, 0, 0);
      sys6(SYS_exit, 0, 0, 0, 0, 0, 0);
    }
    f0 = counter();
    for (long i = 0; i < CPAGES; i++) c[i * 4096] = 2;
    u64 ct = counter() - f0;
    sys6(SYS_write, go[1], (long)"x", 1, 0, 0, 0);
    reap(pid);
    report("cow_fault", ct, CPAGES);
    sys6(SYS_munmap, (long)c, CPAGES * 4096L, 0, 0, 0, 0);
  }

  {
    u64 ticks = spawn_wait(50);
    if (ticks)
      report("spawn_wait", ticks, 50);
    else
      puts_("bench: spawn_wait failed\n");
  }

  shell_bench("shell_true_loop", "i=0; while [ $i -lt $1 ]; do /bin/true; i=$((i+1)); done",
              "10", "1000", 1000);
  shell_bench("shell_pipeline", "[ \"$(seq $1 | sort -n | tail -1)\" = $1 ]", "1000", "100000",
              1);

  puts_("BENCH done\n");
  sys6(SYS_sync, 0, 0, 0, 0, 0, 0);
  sys6(SYS_reboot, 0xfee1dead, 672274793, 0x4321fedc /* POWER_OFF */, 0, 0, 0);
  for (;;) {
  }
}

__asm__(".global _start\n_start:\n mov x29, #0\n mov x0, sp\n bl bench_main\n b .\n");
