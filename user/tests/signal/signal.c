/* /tests/signal: signals delivered by the kernel (docs/signals.md).
 *
 *   signal [SECTION]      all sections, or one:
 *   info      siginfo of raise/kill, SA_SIGINFO ucontext (pc, fault address),
 *             a handler that moves the pc on (sigreturn restores it)
 *   mask      blocked signals pend and are delivered on unblock, sigpending,
 *             nesting, sa_mask, SA_RESETHAND, SA_NODEFER
 *   fpsimd    v0-v31, FPSR and FPCR intact across a handler clobbering them
 *   faults    SIGSEGV (SEGV_MAPERR, SEGV_ACCERR) recovered with siglongjmp,
 *             SIGILL, SIGBUS, SIGTRAP; a blocked SIGSEGV still kills
 *   altstack  stack overflow on a guard page, handled on sigaltstack
 *   restart   a second thread's signal interrupts futex wait, pipe read,
 *             nanosleep and poll: EINTR, or restarted with SA_RESTART (not
 *             nanosleep and poll)
 *   suspend   sigsuspend, sigtimedwait
 *   kill      another process (posix_spawn): its handler sees si_pid and
 *             SI_USER; default actions and their wait statuses; a frame
 *             that cannot be written, forged sigreturn frames: SIGSEGV
 *   queue     sigqueue with a value, to this process and to another (SI_QUEUE,
 *             si_value, si_pid); real-time signals queue in order (to this
 *             process and to a thread), lowest number first, a full queue
 *             EAGAIN, a standard signal merges; errors
 *   tgkill    tgkill and rt_tgsigqueueinfo to a thread of another process
 *             (and rt_tgsigqueueinfo to one of this process)
 *   pidfd     pidfd_open, pidfd_send_signal, poll of a pidfd, waitid
 *   signalfd  signals read from a signalfd; poll; a new set; errors
 *
 * The child modes (argv[1] = "child-...") are this program run by "kill". */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* Linux's futex operations (no <linux/futex.h> in this sysroot). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define UT_SUITE "signal"
#include "utest.h"

extern char** environ;

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, 0);
}

static int install(int sig, void (*fn)(int, siginfo_t*, void*), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  return sigaction(sig, &sa, 0);
}

static void block(int sig, int how) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigprocmask(how, &s, 0);
}

/* ---- info ------------------------------------------------------------------------- */
static volatile int got_sig, got_code, got_pid, got_count;
static volatile uintptr_t got_pc, got_addr;

static void record(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  got_pid = si->si_pid;
  got_count++;
}

/* brk at a known place: the handler sees it as the pc and steps over it. */
extern char brk_here[];
static void on_trap(int sig, siginfo_t* si, void* ucv) {
  ucontext_t* uc = ucv;
  got_sig = sig;
  got_code = si->si_code;
  got_addr = (uintptr_t)si->si_addr;
  got_pc = uc->uc_mcontext.pc;
  uc->uc_mcontext.pc += 4;
  uc->uc_mcontext.regs[19] = 0x5151; /* sigreturn restores what the handler leaves */
  got_count++;
}

static void test_info(void) {
  got_count = 0;
  UT_EQ("info.sigaction", install(SIGUSR1, record, 0), 0);
  UT_EQ("info.raise", raise(SIGUSR1), 0);
  UT_EQ("info.raise_signo", got_sig, SIGUSR1);
  UT_EQ("info.raise_code", got_code, SI_TKILL);
  UT_EQ("info.raise_pid", got_pid, getpid());
  UT_EQ("info.kill", kill(getpid(), SIGUSR1), 0);
  UT_EQ("info.kill_code", got_code, SI_USER);
  UT_EQ("info.kill_pid", got_pid, getpid());
  UT_EQ("info.count", got_count, 2);

  UT_EQ("info.trap_sigaction", install(SIGTRAP, on_trap, 0), 0);
  uint64_t x19;
  __asm__ volatile(
      "mov x19, #7\n"
      ".globl brk_here\n"
      "brk_here: brk #0\n"
      "mov %0, x19\n"
      : "=r"(x19)
      :
      : "x19", "memory");
  UT_EQ("info.trap_signo", got_sig, SIGTRAP);
  UT_EQ("info.trap_code", got_code, TRAP_BRKPT);
  UT_EQ("info.ucontext_pc", got_pc, (uintptr_t)brk_here);
  UT_EQ("info.trap_addr", got_addr, (uintptr_t)brk_here);
  UT_EQ("info.sigreturn_restores_regs", x19, 0x5151);
  signal(SIGTRAP, SIG_DFL);
  signal(SIGUSR1, SIG_DFL);
}

/* ---- mask ------------------------------------------------------------------------- */
static volatile int depth, max_depth, order[8], norder;

static void nest(int sig, siginfo_t* si, void* uc) {
  (void)si;
  (void)uc;
  depth++;
  if (depth > max_depth) max_depth = depth;
  if (norder < 8) order[norder++] = sig;
  if (sig == SIGUSR1 && norder == 1) {
    raise(SIGUSR2); /* sa_mask of SIGUSR1 decides whether it nests */
    raise(SIGUSR1); /* blocked while its own handler runs: after */
  }
  depth--;
}

static int resethand_calls;
static void count_only(int sig) {
  (void)sig;
  resethand_calls++;
}

static volatile int nodefer_depth, nodefer_max;
static void nodefer(int sig) {
  nodefer_depth++;
  if (nodefer_depth > nodefer_max) nodefer_max = nodefer_depth;
  if (nodefer_depth == 1) raise(sig); /* runs at once, nested */
  nodefer_depth--;
}

static void test_mask(void) {
  sigset_t set;
  got_count = 0;
  install(SIGUSR1, record, 0);
  block(SIGUSR1, SIG_BLOCK);
  raise(SIGUSR1);
  UT_EQ("mask.blocked_not_delivered", got_count, 0);
  sigemptyset(&set);
  sigpending(&set);
  UT_TRUE("mask.sigpending", sigismember(&set, SIGUSR1));
  block(SIGUSR1, SIG_UNBLOCK);
  UT_EQ("mask.delivered_on_unblock", got_count, 1);
  sigemptyset(&set);
  sigpending(&set);
  UT_TRUE("mask.no_longer_pending", !sigismember(&set, SIGUSR1));

  /* Nesting: SIGUSR2 nests inside SIGUSR1's handler; the second SIGUSR1
   * waits until the first handler returns. */
  depth = max_depth = norder = 0;
  install(SIGUSR1, nest, 0);
  install(SIGUSR2, nest, 0);
  raise(SIGUSR1);
  UT_EQ("mask.nested_depth", max_depth, 2);
  UT_TRUE("mask.nested_order",
          norder == 3 && order[0] == SIGUSR1 && order[1] == SIGUSR2 && order[2] == SIGUSR1);

  /* sa_mask holding SIGUSR2: it waits for the SIGUSR1 handler to end. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = nest;
  sa.sa_flags = SA_SIGINFO;
  sigaddset(&sa.sa_mask, SIGUSR2);
  sigaction(SIGUSR1, &sa, 0);
  depth = max_depth = norder = 0;
  raise(SIGUSR1);
  UT_EQ("mask.sa_mask_defers", max_depth, 1);
  sigset_t now;
  sigprocmask(SIG_BLOCK, 0, &now);
  UT_TRUE("mask.restored_after_handler",
          !sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));

  /* SA_RESETHAND: one call, then the default action (SIGURG: ignore). */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = count_only;
  sa.sa_flags = SA_RESETHAND;
  sigaction(SIGURG, &sa, 0);
  raise(SIGURG);
  raise(SIGURG);
  struct sigaction cur;
  sigaction(SIGURG, 0, &cur);
  UT_EQ("mask.resethand_once", resethand_calls, 1);
  UT_TRUE("mask.resethand_default", cur.sa_handler == SIG_DFL);

  /* SA_NODEFER: the handler's own signal nests. */
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = nodefer;
  sa.sa_flags = SA_NODEFER;
  sigaction(SIGUSR2, &sa, 0);
  raise(SIGUSR2);
  UT_EQ("mask.nodefer_nests", nodefer_max, 2);
  signal(SIGUSR1, SIG_DFL);
  signal(SIGUSR2, SIG_DFL);

  /* SIGKILL and SIGSTOP: no handler, never blocked. */
  UT_TRUE("mask.sigkill_no_handler", sigaction(SIGKILL, &sa, 0) == -1 && errno == EINVAL);
  sigfillset(&set);
  sigprocmask(SIG_SETMASK, &set, 0);
  sigprocmask(SIG_SETMASK, 0, &now);
  UT_TRUE("mask.sigkill_unblockable", !sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP));
  sigemptyset(&set);
  sigprocmask(SIG_SETMASK, &set, 0);
}

/* ---- fpsimd ----------------------------------------------------------------------- */
static void clobber_fp(int sig, siginfo_t* si, void* ucv) {
  (void)sig;
  (void)si;
  ucontext_t* uc = ucv;
  uc->uc_mcontext.pc += 4;
  __asm__ volatile(
      "movi v0.16b, #0xee\n movi v1.16b, #0xee\n movi v2.16b, #0xee\n movi v3.16b, #0xee\n"
      "movi v4.16b, #0xee\n movi v5.16b, #0xee\n movi v6.16b, #0xee\n movi v7.16b, #0xee\n"
      "movi v8.16b, #0xee\n movi v9.16b, #0xee\n movi v10.16b, #0xee\n movi v11.16b, #0xee\n"
      "movi v12.16b, #0xee\n movi v13.16b, #0xee\n movi v14.16b, #0xee\n movi v15.16b, #0xee\n"
      "movi v16.16b, #0xee\n movi v17.16b, #0xee\n movi v18.16b, #0xee\n movi v19.16b, #0xee\n"
      "movi v20.16b, #0xee\n movi v21.16b, #0xee\n movi v22.16b, #0xee\n movi v23.16b, #0xee\n"
      "movi v24.16b, #0xee\n movi v25.16b, #0xee\n movi v26.16b, #0xee\n movi v27.16b, #0xee\n"
      "movi v28.16b, #0xee\n movi v29.16b, #0xee\n movi v30.16b, #0xee\n movi v31.16b, #0xee\n"
      "mov x9, #0x3000000\n msr fpcr, x9\n mov x9, #0x1f\n msr fpsr, x9\n" ::
          : "x9", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12",
            "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23", "v24",
            "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  got_count++;
}

static void test_fpsimd(void) {
  static uint8_t in[32][16] __attribute__((aligned(16))), out[32][16] __attribute__((aligned(16)));
  for (int r = 0; r < 32; r++)
    for (int b = 0; b < 16; b++) in[r][b] = (uint8_t)(r * 16 + b + 1);
  memset(out, 0, sizeof out);
  got_count = 0;
  install(SIGTRAP, clobber_fp, 0);
  uint64_t fpcr = 0, fpsr = 0;
  __asm__ volatile(
      "mov x9, %2\n"
      "ld1 {v0.16b-v3.16b}, [x9], #64\n ld1 {v4.16b-v7.16b}, [x9], #64\n"
      "ld1 {v8.16b-v11.16b}, [x9], #64\n ld1 {v12.16b-v15.16b}, [x9], #64\n"
      "ld1 {v16.16b-v19.16b}, [x9], #64\n ld1 {v20.16b-v23.16b}, [x9], #64\n"
      "ld1 {v24.16b-v27.16b}, [x9], #64\n ld1 {v28.16b-v31.16b}, [x9], #64\n"
      "mov x10, #0x400000\n msr fpcr, x10\n mov x10, #0x8\n msr fpsr, x10\n"
      "brk #1\n"
      "mrs %0, fpcr\n mrs %1, fpsr\n"
      "mov x9, %3\n"
      "st1 {v0.16b-v3.16b}, [x9], #64\n st1 {v4.16b-v7.16b}, [x9], #64\n"
      "st1 {v8.16b-v11.16b}, [x9], #64\n st1 {v12.16b-v15.16b}, [x9], #64\n"
      "st1 {v16.16b-v19.16b}, [x9], #64\n st1 {v20.16b-v23.16b}, [x9], #64\n"
      "st1 {v24.16b-v27.16b}, [x9], #64\n st1 {v28.16b-v31.16b}, [x9], #64\n"
      "msr fpcr, xzr\n msr fpsr, xzr\n"
      : "=&r"(fpcr), "=&r"(fpsr)
      : "r"(in), "r"(out)
      : "x9", "x10", "memory", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",
        "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20", "v21", "v22", "v23",
        "v24", "v25", "v26", "v27", "v28", "v29", "v30", "v31");
  UT_EQ("fpsimd.handler_ran", got_count, 1);
  int bad = -1;
  for (int r = 0; r < 32 && bad < 0; r++)
    if (memcmp(in[r], out[r], 16) != 0) bad = r;
  if (bad >= 0)
    ut_fail("fpsimd.vregs_intact", "v%d changed across the handler", bad);
  else
    ut_report("fpsimd.vregs_intact", 1, "");
  UT_EQ("fpsimd.fpcr_intact", fpcr, 0x400000);
  UT_EQ("fpsimd.fpsr_intact", fpsr, 0x8);
  signal(SIGTRAP, SIG_DFL);
}

/* ---- faults ----------------------------------------------------------------------- */
static sigjmp_buf jb;
static void to_jmp(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  got_sig = sig;
  got_code = si->si_code;
  got_addr = (uintptr_t)si->si_addr;
  siglongjmp(jb, 1);
}

extern char udf_here[];
static void test_faults(void) {
  install(SIGSEGV, to_jmp, 0);
  install(SIGILL, to_jmp, 0);
  install(SIGBUS, to_jmp, 0);
  volatile int* bad = (volatile int*)0x10;
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    (void)*bad;
    ut_fail("faults.maperr", "the read of 0x10 did not fault");
  } else {
    UT_EQ("faults.maperr_signo", got_sig, SIGSEGV);
    UT_EQ("faults.maperr_code", got_code, SEGV_MAPERR);
    UT_EQ("faults.maperr_addr", got_addr, 0x10);
  }
  char* ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  UT_TRUE("faults.mmap_ro", ro != MAP_FAILED);
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    *(volatile char*)(ro + 8) = 1;
    ut_fail("faults.accerr", "the write to read-only memory did not fault");
  } else {
    UT_EQ("faults.accerr_signo", got_sig, SIGSEGV);
    UT_EQ("faults.accerr_code", got_code, SEGV_ACCERR);
    UT_EQ("faults.accerr_addr", got_addr, (uintptr_t)(ro + 8));
  }
  /* Again: siglongjmp restored the mask (SIGSEGV is not left blocked). */
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    (void)*bad;
  } else {
    UT_EQ("faults.second_segv", got_sig, SIGSEGV);
  }
  got_sig = 0;
  if (sigsetjmp(jb, 1) == 0) {
    __asm__ volatile(".globl udf_here\nudf_here: .inst 0x00000000\n" ::: "memory");
    ut_fail("faults.sigill", "udf did not fault");
  } else {
    UT_EQ("faults.sigill_signo", got_sig, SIGILL);
    UT_EQ("faults.sigill_code", got_code, ILL_ILLOPC);
    UT_EQ("faults.sigill_addr", got_addr, (uintptr_t)udf_here);
  }
  got_sig = 0;
  static uint64_t words[2];
  if (sigsetjmp(jb, 1) == 0) {
    uint64_t v;
    /* Exclusive loads must be aligned, whatever SCTLR says. */
    __asm__ volatile("ldxr %0, [%1]" : "=r"(v) : "r"((char*)words + 1) : "memory");
    ut_fail("faults.sigbus", "unaligned ldxr did not fault");
  } else {
    UT_EQ("faults.sigbus_signo", got_sig, SIGBUS);
    UT_EQ("faults.sigbus_code", got_code, BUS_ADRALN);
    UT_EQ("faults.sigbus_addr", got_addr, (uintptr_t)words + 1);
  }
  munmap(ro, 4096);
  signal(SIGSEGV, SIG_DFL);
  signal(SIGILL, SIG_DFL);
  signal(SIGBUS, SIG_DFL);
}

/* ---- altstack --------------------------------------------------------------------- */
static char altstack[65536] __attribute__((aligned(16)));
static volatile int on_alt;
static void overflow_handler(int sig, siginfo_t* si, void* uc) {
  (void)uc;
  char here;
  got_sig = sig;
  got_addr = (uintptr_t)si->si_addr;
  on_alt = &here >= altstack && &here < altstack + sizeof altstack;
  siglongjmp(jb, 1);
}

static volatile int recurse_limit = 1 << 30;
static int recurse(int n) {
  volatile char pad[512];
  if (n > recurse_limit) return 0;
  pad[0] = (char)n;
  return recurse(n + 1) + pad[0];
}

static void* overflow_thread(void* arg) {
  (void)arg;
  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  if (sigaltstack(&ss, 0) != 0) return (void*)1;
  stack_t cur;
  sigaltstack(0, &cur);
  if (cur.ss_sp != altstack || cur.ss_flags != 0) return (void*)2;
  if (sigsetjmp(jb, 1) == 0) {
    recurse(0);
    return (void*)3;
  }
  return (void*)0;
}

static void test_altstack(void) {
  install(SIGSEGV, overflow_handler, SA_ONSTACK);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 128 * 1024);
  pthread_t t;
  void* r = (void*)-1;
  got_sig = 0;
  on_alt = 0;
  UT_EQ("altstack.thread", pthread_create(&t, &a, overflow_thread, 0), 0);
  pthread_join(t, &r);
  UT_EQ("altstack.result", (long)r, 0);
  UT_EQ("altstack.segv", got_sig, SIGSEGV);
  UT_TRUE("altstack.handler_on_altstack", on_alt);
  stack_t small = {.ss_sp = altstack, .ss_size = 1024, .ss_flags = 0};
  UT_TRUE("altstack.too_small", sigaltstack(&small, 0) == -1 && errno == ENOMEM);
  signal(SIGSEGV, SIG_DFL);
}

/* ---- restart ---------------------------------------------------------------------- */
/* The helper signals the main thread until it says it is done; then, if
 * asked, ends the wait itself (a pipe write, a futex wake). */
static pthread_t main_thread;
static volatile int done, wakeups_wanted, handled;
static int rp[2];
static volatile uint32_t fword;
static void on_usr1(int sig) {
  (void)sig;
  handled++;
}

static void* pester(void* arg) {
  int release = (int)(long)arg; /* 1: write the pipe, 2: wake the futex */
  while (!done) {
    pthread_kill(main_thread, SIGUSR1);
    sleep_ms(5);
    if (release && handled >= wakeups_wanted) {
      if (release == 1) write(rp[1], "x", 1);
      if (release == 2) {
        __atomic_store_n(&fword, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
      }
      release = 0;
    }
  }
  return 0;
}

static long run_pestered(int release, int wanted, long (*op)(void)) {
  pthread_t t;
  done = 0;
  handled = 0;
  wakeups_wanted = wanted;
  pthread_create(&t, 0, pester, (void*)(long)release);
  long r = op();
  int e = errno;
  done = 1;
  pthread_join(t, 0);
  errno = e;
  return r;
}

static long op_read(void) {
  char c;
  return read(rp[0], &c, 1);
}
static long op_futex(void) { return syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0); }
static long op_poll(void) {
  struct pollfd p = {.fd = rp[0], .events = POLLIN};
  return poll(&p, 1, -1);
}
static struct timespec sleep_left;
static long op_sleep(void) {
  struct timespec t = {100, 0};
  sleep_left.tv_sec = sleep_left.tv_nsec = -1;
  return nanosleep(&t, &sleep_left);
}
/* The time left that an interrupted nanosleep reports: some, at most what
 * was asked for. */
static int left_ok(void) {
  long long ns = (long long)sleep_left.tv_sec * 1000000000ll + sleep_left.tv_nsec;
  return sleep_left.tv_nsec >= 0 && sleep_left.tv_nsec < 1000000000l && ns > 0 &&
         ns <= 100000000000ll;
}

static void test_restart(void) {
  main_thread = pthread_self();
  pipe(rp);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, 0);
  long r = run_pestered(0, 0, op_read);
  UT_TRUE("restart.pipe_read_eintr", r == -1 && errno == EINTR);
  fword = 0;
  r = run_pestered(0, 0, op_futex);
  UT_TRUE("restart.futex_eintr", r == -1 && errno == EINTR);
  r = run_pestered(0, 0, op_sleep);
  UT_TRUE("restart.nanosleep_eintr", r == -1 && errno == EINTR);
  UT_TRUE("restart.nanosleep_time_left", left_ok());
  r = run_pestered(0, 0, op_poll);
  UT_TRUE("restart.poll_eintr", r == -1 && errno == EINTR);

  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, 0);
  r = run_pestered(1, 3, op_read);
  UT_EQ("restart.pipe_read_restarted", r, 1);
  UT_TRUE("restart.pipe_read_handled", handled >= 3);
  fword = 0;
  r = run_pestered(2, 3, op_futex);
  UT_EQ("restart.futex_restarted", r, 0);
  UT_TRUE("restart.futex_handled", handled >= 3);
  r = run_pestered(0, 0, op_sleep);
  UT_TRUE("restart.nanosleep_never_restarted", r == -1 && errno == EINTR);
  r = run_pestered(0, 0, op_poll);
  UT_TRUE("restart.poll_never_restarted", r == -1 && errno == EINTR);
  signal(SIGUSR1, SIG_DFL);
  close(rp[0]);
  close(rp[1]);
}

/* ---- suspend ---------------------------------------------------------------------- */
static long op_suspend(void) {
  sigset_t none;
  sigemptyset(&none);
  return sigsuspend(&none);
}
static volatile int waited_sig;
static void* wait_usr2(void* arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  siginfo_t si;
  waited_sig = sigwaitinfo(&s, &si);
  return 0;
}

static void test_suspend(void) {
  main_thread = pthread_self();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART; /* sigsuspend is never restarted */
  sigaction(SIGUSR1, &sa, 0);
  block(SIGUSR1, SIG_BLOCK);
  long r = run_pestered(0, 0, op_suspend);
  UT_TRUE("suspend.eintr", r == -1 && errno == EINTR);
  UT_TRUE("suspend.handler_ran", handled >= 1);
  sigset_t now;
  sigprocmask(SIG_BLOCK, 0, &now);
  UT_TRUE("suspend.mask_restored", sigismember(&now, SIGUSR1));
  block(SIGUSR1, SIG_UNBLOCK);
  signal(SIGUSR1, SIG_DFL);

  /* sigtimedwait: a pending one at once, with its siginfo; a timeout. */
  block(SIGUSR2, SIG_BLOCK);
  raise(SIGUSR2);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR2);
  siginfo_t si;
  struct timespec zero = {0, 0}, short_ = {0, 20000000};
  UT_EQ("sigtimedwait.pending", sigtimedwait(&s, &si, &zero), SIGUSR2);
  UT_EQ("sigtimedwait.signo", si.si_signo, SIGUSR2);
  UT_EQ("sigtimedwait.code", si.si_code, SI_TKILL);
  UT_EQ("sigtimedwait.pid", si.si_pid, getpid());
  UT_TRUE("sigtimedwait.timeout", sigtimedwait(&s, &si, &short_) == -1 && errno == EAGAIN);
  /* A thread waiting in sigwaitinfo (SIGUSR2 blocked there too: the mask
   * is inherited) takes the signal sent to the process. */
  pthread_t t;
  waited_sig = 0;
  pthread_create(&t, 0, wait_usr2, 0);
  for (int i = 0; i < 1000 && waited_sig == 0; i++) {
    kill(getpid(), SIGUSR2);
    sleep_ms(5);
    /* Ours pend meanwhile (blocked here): drain them. */
    while (sigtimedwait(&s, &si, &zero) == SIGUSR2) {
    }
  }
  pthread_join(t, 0);
  UT_EQ("sigwaitinfo.woken", waited_sig, SIGUSR2);
  block(SIGUSR2, SIG_UNBLOCK);
}

/* ---- kill ------------------------------------------------------------------------- */
static pid_t spawn_child(const char* mode, int* ready_fd) {
  int p[2];
  if (pipe(p) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addclose(&fa, p[0]);
  pid_t pid;
  char* args[] = {"/tests/signal", (char*)mode, NULL};
  int e = posix_spawn(&pid, args[0], &fa, NULL, args, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(p[1]);
  if (e != 0) {
    close(p[0]);
    return -e;
  }
  *ready_fd = p[0];
  return pid;
}

/* Waits for the child's "ready" byte. */
static int wait_ready(int fd) {
  char c = 0;
  int r = (int)read(fd, &c, 1);
  close(fd);
  return r == 1 && c == 'r';
}

static int status_of(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -1;
  return st;
}

static void test_kill(void) {
  int fd;
  pid_t c = spawn_child("child-handler", &fd);
  UT_TRUE("kill.spawn", c > 0);
  if (c > 0) {
    UT_TRUE("kill.child_ready", wait_ready(fd));
    UT_EQ("kill.send", kill(c, SIGUSR1), 0);
    int st = status_of(c);
    UT_TRUE("kill.child_handler_saw_sender", WIFEXITED(st) && WEXITSTATUS(st) == 42);
  }
  /* Default actions: ignore (SIGCHLD, SIGURG, SIGWINCH, SIGCONT) then
   * terminate; terminate with the core bit. */
  c = spawn_child("child-pause", &fd);
  if (c > 0) {
    wait_ready(fd);
    kill(c, SIGCHLD);
    kill(c, SIGURG);
    kill(c, SIGWINCH);
    kill(c, SIGCONT);
    kill(c, SIGTERM);
    int st = status_of(c);
    UT_TRUE("kill.default_terminate", WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && !WCOREDUMP(st));
  }
  c = spawn_child("child-pause", &fd);
  if (c > 0) {
    wait_ready(fd);
    kill(c, SIGQUIT);
    int st = status_of(c);
    UT_TRUE("kill.default_core", WIFSIGNALED(st) && WTERMSIG(st) == SIGQUIT && WCOREDUMP(st));
  }
  c = spawn_child("child-segv", &fd);
  if (c > 0) {
    close(fd);
    int st = status_of(c);
    UT_TRUE("kill.fault_status", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && WCOREDUMP(st));
  }
  c = spawn_child("child-blocked-segv", &fd);
  if (c > 0) {
    close(fd);
    int st = status_of(c);
    UT_TRUE("kill.blocked_fault_kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
  }
  /* The kernel's checks: a frame it cannot write, frames it must not
   * resume. */
  static const char* const bad[] = {"child-bad-stack", "child-forged-pstate", "child-forged-magic"};
  static const char* const names[] = {"kill.bad_stack_segv", "kill.forged_pstate_segv",
                                      "kill.forged_magic_segv"};
  for (int i = 0; i < 3; i++) {
    c = spawn_child(bad[i], &fd);
    if (c > 0) {
      close(fd);
      int st = status_of(c);
      UT_TRUE(names[i], WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
    }
  }
  c = spawn_child("child-pause", &fd);
  if (c > 0) {
    wait_ready(fd);
    kill(c, SIGKILL);
    int st = status_of(c);
    UT_TRUE("kill.sigkill", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  }
}

/* ---- children --------------------------------------------------------------------- */
static volatile int child_pid_seen, child_code_seen;
static void child_record(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  child_pid_seen = si->si_pid;
  child_code_seen = si->si_code;
}

static int child(const char* mode) {
  if (strcmp(mode, "child-handler") == 0) {
    install(SIGUSR1, child_record, 0);
    block(SIGUSR1, SIG_BLOCK);
    write(1, "r", 1);
    sigset_t none;
    sigemptyset(&none);
    while (child_pid_seen == 0) sigsuspend(&none);
    return child_pid_seen == getppid() && child_code_seen == SI_USER ? 42 : 1;
  }
  if (strcmp(mode, "child-pause") == 0) {
    write(1, "r", 1);
    for (;;) pause();
  }
  if (strcmp(mode, "child-segv") == 0) {
    *(volatile int*)0x10 = 1;
    return 1;
  }
  if (strcmp(mode, "child-bad-stack") == 0) {
    /* A handler, but no stack for its frame: SIGSEGV ends the process. */
    install(SIGTRAP, on_trap, 0);
    __asm__ volatile("mov x9, #0x10\n mov sp, x9\n brk #0\n" ::: "x9", "memory");
    return 1;
  }
  if (strcmp(mode, "child-forged-pstate") == 0 || strcmp(mode, "child-forged-magic") == 0) {
    /* sigreturn with a frame that would resume at EL1h (or has no fpsimd
     * record): the kernel refuses it and ends the process as SIGSEGV. */
    static uint64_t frame[4800 / 8] __attribute__((aligned(16)));
    ucontext_t* uc = (ucontext_t*)((char*)frame + 128);
    uc->uc_mcontext.pc = (uintptr_t)child;
    uc->uc_mcontext.sp = (uintptr_t)frame;
    uc->uc_mcontext.pstate = strcmp(mode, "child-forged-pstate") == 0 ? 0x3c5 : 0;
    uint32_t* rec = (uint32_t*)uc->uc_mcontext.__reserved;
    rec[0] = strcmp(mode, "child-forged-magic") == 0 ? 0x12345678 : 0x46508001;
    rec[1] = 528;
    __asm__ volatile("mov sp, %0\n mov x8, #68\n svc #0\n" ::"r"(frame) : "x8", "memory");
    return 1;
  }
  if (strcmp(mode, "child-blocked-segv") == 0) {
    install(SIGSEGV, to_jmp, 0);
    block(SIGSEGV, SIG_BLOCK);
    *(volatile int*)0x10 = 1;
    return 1;
  }
  return 2;
}

/* ---- queue: sigqueue with a value, to this process and another -------------------- */

static volatile int q_code, q_value, q_pid;
static void on_queued(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  q_code = si->si_code;
  q_value = si->si_value.sival_int;
  q_pid = si->si_pid;
}

static void test_queue(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_queued;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, 0);
  union sigval v = {.sival_int = 1234};
  UT_EQ("queue.self", sigqueue(getpid(), SIGUSR1, v), 0);
  UT_EQ("queue.self_code", q_code, SI_QUEUE);
  UT_EQ("queue.self_value", q_value, 1234);
  UT_EQ("queue.self_pid", q_pid, getpid());
  signal(SIGUSR1, SIG_DFL);

  int p[2];
  UT_EQ("queue.pipe", pipe(p), 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &set, 0);
  pid_t c = fork();
  if (c == 0) {
    write(p[1], "r", 1);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    _exit(sig == SIGRTMIN && si.si_code == SI_QUEUE && si.si_value.sival_int == 777 &&
                  si.si_pid == getppid()
              ? 0
              : 1);
  }
  sigprocmask(SIG_UNBLOCK, &set, 0);
  char ch;
  UT_EQ("queue.child_ready", read(p[0], &ch, 1), 1);
  v.sival_int = 777;
  UT_EQ("queue.other", sigqueue(c, SIGRTMIN, v), 0);
  int st;
  UT_EQ("queue.other_reaped", waitpid(c, &st, 0), c);
  UT_TRUE("queue.other_saw_value_code_sender", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  close(p[0]);
  close(p[1]);

  /* Real-time signals queue, each with its value, in the order sent and
   * the lower number first; a standard one sent twice is delivered once.
   * POSIX's 32 at least per process; the kernel's queue then says EAGAIN. */
  sigset_t rt;
  sigemptyset(&rt);
  sigaddset(&rt, SIGRTMIN + 1);
  sigaddset(&rt, SIGRTMIN + 2);
  sigaddset(&rt, SIGUSR2);
  sigprocmask(SIG_BLOCK, &rt, 0);
  for (int i = 1; i <= 3; i++) {
    v.sival_int = 100 + i;
    sigqueue(getpid(), SIGRTMIN + 2, v);
  }
  v.sival_int = 200;
  sigqueue(getpid(), SIGRTMIN + 1, v);
  v.sival_int = 300;
  sigqueue(getpid(), SIGUSR2, v);
  v.sival_int = 301;
  sigqueue(getpid(), SIGUSR2, v);
  int got[6], vals[6], n = 0;
  struct timespec zero = {0, 0};
  siginfo_t si;
  while (n < 6 && (got[n] = sigtimedwait(&rt, &si, &zero)) > 0) vals[n++] = si.si_value.sival_int;
  UT_EQ("queue.rt_count", n, 5);
  UT_TRUE("queue.rt_order", n == 5 && got[0] == SIGUSR2 && vals[0] == 300 &&
                                got[1] == SIGRTMIN + 1 && vals[1] == 200 &&
                                got[2] == SIGRTMIN + 2 && vals[2] == 101 && vals[3] == 102 &&
                                vals[4] == 103);
  int sent = 0;
  v.sival_int = 0;
  while (sent < 100 && sigqueue(getpid(), SIGRTMIN + 1, v) == 0) sent++;
  UT_TRUE("queue.rt_full_eagain", sent >= 32 && sent < 100 && errno == EAGAIN);
  int drained = 0;
  while (sigtimedwait(&rt, &si, &zero) == SIGRTMIN + 1) drained++;
  UT_EQ("queue.rt_drained", drained, sent);
  /* To a thread: tgkill-style with rt_tgsigqueueinfo, queued on it. */
  for (int i = 1; i <= 3; i++) {
    siginfo_t q = {0};
    q.si_signo = SIGRTMIN + 2;
    q.si_code = SI_QUEUE;
    q.si_pid = getpid();
    q.si_value.sival_int = 400 + i;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN + 2, &q);
  }
  UT_TRUE("queue.rt_thread_order",
          sigtimedwait(&rt, &si, &zero) == SIGRTMIN + 2 && si.si_value.sival_int == 401 &&
              sigtimedwait(&rt, &si, &zero) == SIGRTMIN + 2 && si.si_value.sival_int == 402 &&
              sigtimedwait(&rt, &si, &zero) == SIGRTMIN + 2 && si.si_value.sival_int == 403 &&
              sigtimedwait(&rt, &si, &zero) < 0 && errno == EAGAIN);
  sigprocmask(SIG_UNBLOCK, &rt, 0);

  UT_TRUE("queue.no_such_process", sigqueue(999999, SIGUSR1, v) < 0 && errno == ESRCH);
  UT_TRUE("queue.bad_signal", sigqueue(getpid(), 65, v) < 0 && errno == EINVAL);
  /* A kernel's code (SI_USER) may not be forged for another process. */
  c = fork();
  if (c == 0) {
    pause();
    _exit(0);
  }
  siginfo_t forged = {0};
  forged.si_signo = SIGUSR2;
  forged.si_code = SI_USER;
  UT_TRUE("queue.forged_code_eperm",
          syscall(SYS_rt_sigqueueinfo, c, SIGUSR2, &forged) < 0 && errno == EPERM);
  UT_TRUE("queue.bad_info_pointer",
          syscall(SYS_rt_sigqueueinfo, c, SIGUSR2, (void*)16) < 0 && errno == EFAULT);
  kill(c, SIGKILL);
  waitpid(c, &st, 0);
}

/* tgkill and rt_tgsigqueueinfo to a thread of another process: the forked
 * child's second thread gets them (SI_TKILL / SI_QUEUE with the value,
 * si_pid the sender), and its first thread, which blocks them too, never
 * sees them pending: they went to that thread, not to the process. */
static int tg_to_child[2], tg_from_child[2], tg_go_second[2];
static void* tg_second(void* arg) {
  (void)arg;
  pid_t tid = gettid();
  write(tg_from_child[1], &tid, sizeof tid);
  char go;
  if (read(tg_go_second[0], &go, 1) != 1) return (void*)1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  siginfo_t a, b;
  int ok = sigwaitinfo(&set, &a) == SIGUSR1 && a.si_code == SI_TKILL && a.si_pid == getppid() &&
           sigwaitinfo(&set, &b) == SIGUSR2 && b.si_code == SI_QUEUE &&
           b.si_value.sival_int == 4242 && b.si_pid == getppid();
  return ok ? 0 : (void*)1;
}
static void test_tgkill(void) {
  if (pipe(tg_to_child) != 0 || pipe(tg_from_child) != 0 || pipe(tg_go_second) != 0) {
    ut_report("tgkill.pipes", 0, "pipe failed");
    return;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, 0);
  pid_t c = fork();
  if (c == 0) {
    pthread_t t;
    if (pthread_create(&t, 0, tg_second, 0) != 0) _exit(2);
    char go;
    if (read(tg_to_child[0], &go, 1) != 1) _exit(3); /* both signals sent */
    sigset_t pend;
    sigpending(&pend);
    int stray = sigismember(&pend, SIGUSR1) || sigismember(&pend, SIGUSR2);
    write(tg_go_second[1], "g", 1); /* the second thread may take them now */
    void* res;
    pthread_join(t, &res);
    _exit(stray ? 4 : res ? 5 : 0);
  }
  sigprocmask(SIG_UNBLOCK, &set, 0);
  pid_t tid = 0;
  UT_EQ("tgkill.child_tid", read(tg_from_child[0], &tid, sizeof tid), sizeof tid);
  UT_EQ("tgkill.check_only", syscall(SYS_tgkill, c, tid, 0), 0);
  UT_EQ("tgkill.other_process", syscall(SYS_tgkill, c, tid, SIGUSR1), 0);
  siginfo_t si = {0};
  si.si_signo = SIGUSR2;
  si.si_code = SI_QUEUE;
  si.si_pid = 1; /* replaced by the sender's */
  si.si_value.sival_int = 4242;
  UT_EQ("tgsigqueueinfo.other_process", syscall(SYS_rt_tgsigqueueinfo, c, tid, SIGUSR2, &si), 0);
  UT_TRUE("tgkill.no_such_thread", syscall(SYS_tgkill, c, 0x7ffffff0, SIGUSR1) < 0 && errno == ESRCH);
  UT_TRUE("tgkill.no_such_process", syscall(SYS_tgkill, 999999, tid, SIGUSR1) < 0 && errno == ESRCH);
  si.si_code = SI_USER;
  UT_TRUE("tgsigqueueinfo.forged_code_eperm",
          syscall(SYS_rt_tgsigqueueinfo, c, tid, SIGUSR2, &si) < 0 && errno == EPERM);
  write(tg_to_child[1], "g", 1);
  int st;
  UT_EQ("tgkill.child_reaped", waitpid(c, &st, 0), c);
  UT_TRUE("tgkill.thread_got_both_process_neither", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("tgkill: child status 0x%x\n", st);

  /* To a thread of this process: rt_tgsigqueueinfo through the kernel. */
  siginfo_t got;
  si.si_code = SI_QUEUE;
  si.si_value.sival_int = 99;
  sigprocmask(SIG_BLOCK, &set, 0);
  UT_EQ("tgsigqueueinfo.self", syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR2, &si), 0);
  UT_TRUE("tgsigqueueinfo.self_taken", sigwaitinfo(&set, &got) == SIGUSR2 &&
                                           got.si_code == SI_QUEUE && got.si_value.sival_int == 99 &&
                                           got.si_pid == getpid());
  sigprocmask(SIG_UNBLOCK, &set, 0);
  for (int i = 0; i < 2; i++) {
    close(tg_to_child[i]);
    close(tg_from_child[i]);
    close(tg_go_second[i]);
  }
}

/* pidfds and waitid: a process named by a pidfd is signalled through it,
 * the pidfd becomes readable when it ends, waitid(P_PIDFD) reaps it with
 * its siginfo; waitid's other id types and codes; errors. */
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
static int pidfd_open_(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static long pidfd_send_(int fd, int sig, siginfo_t* info, unsigned flags) {
  return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static void test_pidfd(void) {
  /* Blocked before the fork: the child has it blocked from its start, so
   * the parent's signal cannot come before the child blocks it. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  sigprocmask(SIG_BLOCK, &set, 0);
  pid_t c = fork();
  if (c == 0) {
    siginfo_t si;
    if (sigwaitinfo(&set, &si) != SIGUSR2 || si.si_code != SI_QUEUE) _exit(1);
    _exit(si.si_value.sival_int); /* 55 */
  }
  sigprocmask(SIG_UNBLOCK, &set, 0);
  int fd = pidfd_open_(c, 0);
  UT_TRUE("pidfd.open", fd >= 0);
  UT_TRUE("pidfd.cloexec", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  struct pollfd p = {fd, POLLIN, 0};
  UT_EQ("pidfd.poll_running", poll(&p, 1, 0), 0);
  siginfo_t q = {0};
  q.si_signo = SIGUSR2;
  q.si_code = SI_QUEUE;
  q.si_value.sival_int = 55;
  UT_EQ("pidfd.send_queued", pidfd_send_(fd, SIGUSR2, &q, 0), 0);
  UT_EQ("pidfd.poll_ended", poll(&p, 1, 60000), 1);
  UT_TRUE("pidfd.pollin", (p.revents & POLLIN) != 0);
  siginfo_t si;
  memset(&si, 0xff, sizeof si);
  UT_EQ("pidfd.waitid", waitid(P_PIDFD, fd, &si, WEXITED), 0);
  UT_TRUE("pidfd.waitid_info", si.si_signo == SIGCHLD && si.si_code == CLD_EXITED &&
                                   si.si_status == 55 && si.si_pid == c);
  UT_TRUE("pidfd.send_after_end", pidfd_send_(fd, SIGTERM, 0, 0) < 0 && errno == ESRCH);
  close(fd);

  c = fork();
  if (c == 0) {
    for (;;) pause();
  }
  fd = pidfd_open_(c, 0);
  UT_EQ("pidfd.send_kill", pidfd_send_(fd, SIGTERM, 0, 0), 0);
  memset(&si, 0, sizeof si);
  UT_EQ("waitid.p_pid", waitid(P_PID, c, &si, WEXITED), 0);
  UT_TRUE("waitid.killed", si.si_code == CLD_KILLED && si.si_status == SIGTERM && si.si_pid == c);
  close(fd);

  c = fork();
  if (c == 0) {
    raise(SIGSTOP);
    _exit(7);
  }
  memset(&si, 0, sizeof si);
  UT_EQ("waitid.stopped", waitid(P_PID, c, &si, WEXITED | WSTOPPED), 0);
  UT_TRUE("waitid.stopped_info", si.si_code == CLD_STOPPED && si.si_status == SIGSTOP);
  memset(&si, 0xff, sizeof si);
  UT_EQ("waitid.wnohang_nothing", waitid(P_PID, c, &si, WEXITED | WNOHANG), 0);
  UT_EQ("waitid.wnohang_zero_pid", si.si_pid, 0);
  kill(c, SIGCONT);
  memset(&si, 0, sizeof si);
  UT_EQ("waitid.continued", waitid(P_ALL, 0, &si, WEXITED | WCONTINUED), 0);
  UT_TRUE("waitid.continued_info", si.si_code == CLD_CONTINUED || si.si_code == CLD_EXITED);
  if (si.si_code == CLD_CONTINUED) waitid(P_PGID, 0, &si, WEXITED);
  UT_TRUE("waitid.exited_7", si.si_code == CLD_EXITED && si.si_status == 7 && si.si_pid == c);

  UT_TRUE("pidfd.no_such_process", pidfd_open_(999999, 0) < 0 && errno == ESRCH);
  UT_TRUE("pidfd.bad_flags", pidfd_open_(getpid(), 1) < 0 && errno == EINVAL);
  UT_TRUE("pidfd.not_a_pidfd", pidfd_send_(0, SIGTERM, 0, 0) < 0 && errno == EINVAL);
  UT_TRUE("pidfd.bad_fd", pidfd_send_(999, SIGTERM, 0, 0) < 0 && errno == EBADF);
  fd = pidfd_open_(getpid(), 0);
  UT_TRUE("pidfd.bad_send_flags", pidfd_send_(fd, 0, 0, 1) < 0 && errno == EINVAL);
  UT_EQ("pidfd.self_check", pidfd_send_(fd, 0, 0, 0), 0);
  close(fd);
  UT_TRUE("waitid.bad_idtype", waitid(42, 0, &si, WEXITED) < 0 && errno == EINVAL);
  UT_TRUE("waitid.no_children", waitid(P_ALL, 0, &si, WEXITED) < 0 && errno == ECHILD);
}

/* signalfd: signals of its set read as records (non-blocking, blocking,
 * several at once, SIGCHLD's status, a queued value), poll, a new set,
 * errors. */
static void* send_usr1_later(void* arg) {
  (void)arg;
  struct timespec t = {0, 50 * 1000000};
  nanosleep(&t, 0);
  kill(getpid(), SIGUSR1);
  return 0;
}
static void test_signalfd(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, 0);
  int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  UT_TRUE("signalfd.open", fd >= 0);
  UT_TRUE("signalfd.cloexec", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
  struct signalfd_siginfo r[2];
  UT_TRUE("signalfd.empty_eagain", read(fd, r, sizeof r) < 0 && errno == EAGAIN);
  struct pollfd p = {fd, POLLIN, 0};
  UT_EQ("signalfd.poll_empty", poll(&p, 1, 0), 0);
  kill(getpid(), SIGUSR1);
  UT_EQ("signalfd.poll_pending", poll(&p, 1, 0), 1);
  UT_EQ("signalfd.read_one", read(fd, r, sizeof r), (long)sizeof r[0]);
  UT_TRUE("signalfd.record", r[0].ssi_signo == SIGUSR1 && r[0].ssi_code == SI_USER &&
                                 r[0].ssi_pid == (uint32_t)getpid());
  union sigval v = {.sival_int = 77};
  sigqueue(getpid(), SIGUSR2, v);
  kill(getpid(), SIGUSR1);
  UT_EQ("signalfd.read_two", read(fd, r, sizeof r), (long)sizeof r);
  UT_TRUE("signalfd.two_records", r[0].ssi_signo == SIGUSR1 && r[1].ssi_signo == SIGUSR2 &&
                                      r[1].ssi_code == SI_QUEUE && r[1].ssi_int == 77);
  pid_t c = fork();
  if (c == 0) _exit(3);
  int st;
  waitpid(c, &st, 0);
  UT_EQ("signalfd.sigchld", read(fd, r, sizeof r[0]), (long)sizeof r[0]);
  UT_TRUE("signalfd.sigchld_record", r[0].ssi_signo == SIGCHLD && r[0].ssi_code == CLD_EXITED &&
                                         r[0].ssi_status == 3 && r[0].ssi_pid == (uint32_t)c);
  /* Blocking: another thread sends the signal a moment later. */
  int bfd = signalfd(-1, &set, 0);
  pthread_t t;
  pthread_create(&t, 0, send_usr1_later, 0);
  UT_EQ("signalfd.blocking_read", read(bfd, r, sizeof r), (long)sizeof r[0]);
  UT_EQ("signalfd.blocking_record", r[0].ssi_signo, SIGUSR1);
  pthread_join(t, 0);
  close(bfd);
  /* A new set: SIGUSR1 is no longer the signalfd's. */
  sigset_t only2;
  sigemptyset(&only2);
  sigaddset(&only2, SIGUSR2);
  UT_EQ("signalfd.new_set", signalfd(fd, &only2, 0), fd);
  kill(getpid(), SIGUSR1);
  UT_EQ("signalfd.not_in_set", poll(&p, 1, 0), 0);
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, SIGUSR1);
  siginfo_t si;
  UT_EQ("signalfd.still_pending", sigwaitinfo(&one, &si), SIGUSR1);
  UT_TRUE("signalfd.small_buffer", read(fd, r, 8) < 0 && errno == EINVAL);
  UT_TRUE("signalfd.not_a_signalfd", signalfd(0, &set, 0) < 0 && errno == EINVAL);
  UT_TRUE("signalfd.bad_fd", signalfd(999, &set, 0) < 0 && errno == EBADF);
  UT_TRUE("signalfd.bad_flags", signalfd(-1, &set, 0x1) < 0 && errno == EINVAL);
  close(fd);
  sigprocmask(SIG_UNBLOCK, &set, 0);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  if (strncmp(only, "child-", 6) == 0) return child(only);
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("info", test_info);
  SECTION("mask", test_mask);
  SECTION("fpsimd", test_fpsimd);
  SECTION("faults", test_faults);
  SECTION("altstack", test_altstack);
  SECTION("restart", test_restart);
  SECTION("suspend", test_suspend);
  SECTION("kill", test_kill);
  SECTION("queue", test_queue);
  SECTION("tgkill", test_tgkill);
  SECTION("pidfd", test_pidfd);
  SECTION("signalfd", test_signalfd);
  return ut_finish();
}
