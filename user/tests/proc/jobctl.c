/* proc.jobctl: stopping and continuing processes, as a shell's job control
 * uses it: SIGSTOP, SIGTSTP/SIGTTIN/SIGTTOU with their default action,
 * SIGCONT, waitpid's WUNTRACED and WCONTINUED, SIGCHLD's CLD_STOPPED and
 * CLD_CONTINUED (and SA_NOCLDSTOP), signals sent to a stopped process,
 * SIGTTIN for a background read of the terminal, wait4 interrupted.
 *
 *   jobctl [section]   stop | defaults | sigchld | threads | pending | sleep | ttin |
 *                      ttou | orphan | wait_eintr */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "jobctl"
#include "utest.h"

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

/* Counters the children bump, shared with the parent across fork. */
static volatile long* shared;

/* A child that counts in shared[slot] until killed. */
/* A child as a shell starts a job: in a process group of its own, whose
 * parent (this program) is in another group of the session. (This
 * program is the first process, in init's place: its own group is
 * orphaned, and there the default stop of SIGTSTP, SIGTTIN and SIGTTOU is
 * discarded, as on Linux.) */
static pid_t job_fork(void) {
  pid_t pid = fork();
  if (pid == 0) setpgid(0, 0);
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

static pid_t counter(int slot) {
  pid_t pid = job_fork();
  if (pid == 0) {
    for (;;) __atomic_add_fetch(&shared[slot], 1, __ATOMIC_RELAXED);
  }
  return pid;
}

/* Waits until shared[slot] moves (the child runs). */
static int moves(int slot) {
  long a = __atomic_load_n(&shared[slot], __ATOMIC_RELAXED);
  for (int i = 0; i < 2000; i++) {
    sleep_ms(1);
    if (__atomic_load_n(&shared[slot], __ATOMIC_RELAXED) != a) return 1;
  }
  return 0;
}

/* Whether shared[slot] stays put for 50 ms (the child is stopped). */
static int frozen(int slot) {
  long a = __atomic_load_n(&shared[slot], __ATOMIC_RELAXED);
  sleep_ms(50);
  return __atomic_load_n(&shared[slot], __ATOMIC_RELAXED) == a;
}

/* waitpid's status, or -errno. */
static int wait_for(pid_t pid, int options) {
  int st;
  pid_t r = waitpid(pid, &st, options);
  if (r < 0) return -errno;
  if (r == 0) return -1000;
  return r == pid ? st : -2000;
}

static void test_stop(void) {
  pid_t c = counter(0);
  UT_TRUE("stop.child_runs", moves(0));
  UT_EQ("stop.sigstop", kill(c, SIGSTOP), 0);
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("stop.wifstopped", st >= 0 && WIFSTOPPED(st));
  UT_EQ("stop.wstopsig", WSTOPSIG(st), SIGSTOP);
  UT_TRUE("stop.frozen", frozen(0));
  /* Reported once: nothing more to wait for now. */
  UT_EQ("stop.reported_once", wait_for(c, WUNTRACED | WNOHANG), -1000);
  /* Without WUNTRACED a stop is not reported. */
  UT_EQ("stop.not_without_wuntraced", wait_for(c, WNOHANG), -1000);
  UT_EQ("stop.sigcont", kill(c, SIGCONT), 0);
  st = wait_for(c, WCONTINUED);
  UT_TRUE("stop.wifcontinued", st >= 0 && WIFCONTINUED(st));
  UT_TRUE("stop.runs_again", moves(0));
  /* A stopped process still dies of SIGKILL. */
  UT_EQ("stop.again", kill(c, SIGSTOP), 0);
  st = wait_for(c, WUNTRACED);
  UT_TRUE("stop.again_stopped", st >= 0 && WIFSTOPPED(st));
  UT_EQ("stop.sigkill", kill(c, SIGKILL), 0);
  st = wait_for(c, 0);
  UT_TRUE("stop.killed", st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* SIGTSTP, SIGTTIN, SIGTTOU stop by default; with a handler the handler
 * runs; ignored, nothing happens. */
static volatile sig_atomic_t got_tstp;
static void on_tstp(int sig) {
  (void)sig;
  got_tstp = 1;
}

static void test_defaults(void) {
  static const int sigs[] = {SIGTSTP, SIGTTIN, SIGTTOU};
  static const char* const names[] = {"defaults.tstp", "defaults.ttin", "defaults.ttou"};
  for (int i = 0; i < 3; i++) {
    pid_t c = counter(1);
    UT_TRUE(names[i], moves(1));
    kill(c, sigs[i]);
    int st = wait_for(c, WUNTRACED);
    UT_TRUE(names[i], st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == sigs[i]);
    kill(c, SIGKILL);
    wait_for(c, 0);
  }
  /* A handler for SIGTSTP: it runs, the process goes on, and exits. */
  pid_t c = fork();
  if (c == 0) {
    signal(SIGTSTP, on_tstp);
    raise(SIGTSTP);
    _exit(got_tstp ? 7 : 8);
  }
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("defaults.handler_runs", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7);
  /* Ignored: nothing. */
  c = fork();
  if (c == 0) {
    signal(SIGTSTP, SIG_IGN);
    raise(SIGTSTP);
    _exit(9);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("defaults.ignored", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 9);
  /* A process that stops itself, continued by its parent. */
  c = fork();
  if (c == 0) {
    raise(SIGSTOP);
    _exit(10);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("defaults.self_stop", st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  kill(c, SIGCONT);
  st = wait_for(c, 0);
  UT_TRUE("defaults.self_stop_resumes", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 10);
}

/* SIGCHLD with what happened to the child. */
static volatile int chld_codes[8];
static volatile int chld_status[8];
static volatile int nchld;
static void on_chld(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  int i = nchld;
  if (i < 8) {
    chld_codes[i] = si->si_code;
    chld_status[i] = si->si_status;
    nchld = i + 1;
  }
}

/* Waits (a while) for the nth SIGCHLD. */
static int chld_arrived(int n) {
  for (int i = 0; i < 2000 && nchld < n; i++) sleep_ms(1);
  return nchld >= n;
}

static void test_sigchld(void) {
  struct sigaction sa = {0};
  sa.sa_sigaction = on_chld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &sa, 0);
  nchld = 0;
  pid_t c = counter(2);
  kill(c, SIGSTOP);
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("sigchld.stopped", st >= 0 && WIFSTOPPED(st));
  UT_TRUE("sigchld.stop_signal", chld_arrived(1));
  UT_EQ("sigchld.cld_stopped", chld_codes[0], CLD_STOPPED);
  UT_EQ("sigchld.stop_status", chld_status[0], SIGSTOP);
  kill(c, SIGCONT);
  UT_TRUE("sigchld.cont_signal", chld_arrived(2));
  UT_EQ("sigchld.cld_continued", chld_codes[1], CLD_CONTINUED);
  UT_EQ("sigchld.cont_status", chld_status[1], SIGCONT);
  kill(c, SIGTERM);
  st = wait_for(c, 0);
  UT_TRUE("sigchld.terminated", st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  UT_TRUE("sigchld.exit_signal", chld_arrived(3));
  UT_EQ("sigchld.cld_killed", chld_codes[2], CLD_KILLED);
  UT_EQ("sigchld.killed_status", chld_status[2], SIGTERM);
  pid_t e = fork();
  if (e == 0) _exit(42);
  st = wait_for(e, 0);
  UT_TRUE("sigchld.exited_signal", chld_arrived(4));
  UT_EQ("sigchld.cld_exited", chld_codes[3], CLD_EXITED);
  UT_EQ("sigchld.exited_status", chld_status[3], 42);

  /* SA_NOCLDSTOP: no SIGCHLD for stops and continues, still for the end. */
  sa.sa_flags |= SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, 0);
  nchld = 0;
  c = counter(2);
  kill(c, SIGSTOP);
  st = wait_for(c, WUNTRACED);
  UT_TRUE("sigchld.nocldstop_stopped", st >= 0 && WIFSTOPPED(st));
  kill(c, SIGCONT);
  st = wait_for(c, WCONTINUED);
  UT_TRUE("sigchld.nocldstop_continued", st >= 0 && WIFCONTINUED(st));
  sleep_ms(20);
  UT_EQ("sigchld.nocldstop_silent", nchld, 0);
  kill(c, SIGKILL);
  wait_for(c, 0);
  UT_TRUE("sigchld.nocldstop_end_reported", chld_arrived(1));
  signal(SIGCHLD, SIG_DFL);
}

/* All threads of a stopped process stop. */
static void* count_thread(void* arg) {
  int slot = (int)(long)arg;
  for (;;) __atomic_add_fetch(&shared[slot], 1, __ATOMIC_RELAXED);
  return 0;
}

static void test_threads(void) {
  pid_t c = job_fork();
  if (c == 0) {
    pthread_t t[3];
    for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, count_thread, (void*)(4 + i));
    count_thread((void*)3);
  }
  int all = 1;
  for (int s = 3; s < 7; s++) all &= moves(s);
  UT_TRUE("threads.all_run", all);
  kill(c, SIGTSTP);
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("threads.stopped", st >= 0 && WIFSTOPPED(st));
  /* Give the other CPUs' threads their kick, then all must stay put. */
  sleep_ms(20);
  long before[7];
  for (int s = 3; s < 7; s++) before[s] = shared[s];
  sleep_ms(50);
  int still = 1;
  for (int s = 3; s < 7; s++) still &= shared[s] == before[s];
  UT_TRUE("threads.all_frozen", still);
  kill(c, SIGCONT);
  all = 1;
  for (int s = 3; s < 7; s++) all &= moves(s);
  UT_TRUE("threads.all_resume", all);
  kill(c, SIGKILL);
  st = wait_for(c, 0);
  UT_TRUE("threads.killed", st >= 0 && WIFSIGNALED(st));
}

/* Signals sent to a stopped process: a handled one waits for SIGCONT, a
 * fatal one ends it at once. */
static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) {
  (void)sig;
  got_usr1 = 1;
}

static void test_pending(void) {
  pid_t c = fork();
  if (c == 0) {
    signal(SIGUSR1, on_usr1);
    while (!got_usr1) __atomic_add_fetch(&shared[7], 1, __ATOMIC_RELAXED);
    _exit(11);
  }
  UT_TRUE("pending.child_runs", moves(7));
  kill(c, SIGSTOP);
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("pending.stopped", st >= 0 && WIFSTOPPED(st));
  kill(c, SIGUSR1);
  /* Still stopped: the handler has not run. */
  UT_EQ("pending.not_yet", wait_for(c, WNOHANG), -1000);
  kill(c, SIGCONT);
  st = wait_for(c, 0);
  UT_TRUE("pending.handled_after_cont", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 11);

  /* (Once it runs its own code: a child just forked blocks signals until
   * fork returns, and a stopped process with SIGTERM blocked stays so.) */
  pid_t d = counter(8);
  UT_TRUE("pending.child2_runs", moves(8));
  kill(d, SIGSTOP);
  st = wait_for(d, WUNTRACED);
  UT_TRUE("pending.stopped2", st >= 0 && WIFSTOPPED(st));
  kill(d, SIGTERM);
  st = wait_for(d, 0);
  UT_TRUE("pending.term_ends_stopped", st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);

  /* SIGCONT discards a pending stop; a stop discards a pending SIGCONT. */
  pid_t e = fork();
  if (e == 0) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTSTP);
    sigprocmask(SIG_BLOCK, &set, 0);
    raise(SIGTSTP);   /* pending, blocked */
    raise(SIGCONT);   /* discards it */
    sigprocmask(SIG_UNBLOCK, &set, 0);
    _exit(12);
  }
  st = wait_for(e, WUNTRACED);
  UT_TRUE("pending.cont_discards_stop", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 12);
}

/* A process stopped in nanosleep finishes its sleep after SIGCONT: the
 * whole of it (the request may be the remainder's memory too, as BusyBox's
 * sleep passes it: nanosleep(&t, &t)). */
static long mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void test_sleep(void) {
  pid_t c = fork();
  if (c == 0) {
    long t0 = mono_ms();
    struct timespec t = {0, 300 * 1000000};
    int r = nanosleep(&t, &t);
    _exit(r != 0 ? 14 : mono_ms() - t0 < 300 ? 15 : 13);
  }
  sleep_ms(20);
  kill(c, SIGSTOP);
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("sleep.stopped", st >= 0 && WIFSTOPPED(st));
  kill(c, SIGCONT);
  st = wait_for(c, 0);
  UT_TRUE("sleep.resumed_sleep_returns_0", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 13);
}

/* A background process group reading the terminal: SIGTTIN stops it; with
 * SIGTTIN ignored the read fails with EIO, with a handler with EINTR. */
static volatile sig_atomic_t got_ttin;
static void on_ttin(int sig) {
  (void)sig;
  got_ttin = 1;
}

static void test_ttin(void) {
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    char ch;
    (void)read(0, &ch, 1);
    _exit(20);
  }
  int st = wait_for(c, WUNTRACED);
  UT_TRUE("ttin.stops", st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
  kill(c, SIGKILL);
  wait_for(c, 0);

  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    signal(SIGTTIN, SIG_IGN);
    char ch;
    _exit(read(0, &ch, 1) < 0 && errno == EIO ? 21 : 22);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("ttin.ignored_eio", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 21);

  c = fork();
  if (c == 0) {
    setpgid(0, 0);
    signal(SIGTTIN, on_ttin);
    char ch;
    long r = read(0, &ch, 1);
    _exit(r < 0 && errno == EINTR && got_ttin ? 23 : 24);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("ttin.handler_eintr", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 23);
}

/* SIGTTOU: a background process that changes the terminal's settings
 * (tcsetattr, tcsetpgrp) is stopped, or goes on if it ignores SIGTTOU (as
 * shells do); a background write goes on, unless TOSTOP is set. */
static pid_t background(int ignore_ttou, int what) {
  pid_t c = fork();
  if (c == 0) {
    setpgid(0, 0);
    if (ignore_ttou) signal(SIGTTOU, SIG_IGN);
    struct termios t;
    tcgetattr(0, &t);
    int r = what == 0 ? tcsetattr(0, TCSANOW, &t) : what == 1 ? tcsetpgrp(0, getpgrp()) : 0;
    if (what == 2) r = write(1, "bg-write\n", 9) == 9 ? 0 : -1;
    _exit(r == 0 ? 30 : 31);
  }
  return c;
}
static int stopped_by_ttou(pid_t c) {
  int st = wait_for(c, WUNTRACED);
  int ok = st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU;
  kill(c, SIGKILL);
  wait_for(c, 0);
  return ok;
}
static int went_on(pid_t c) {
  int st = wait_for(c, WUNTRACED);
  return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 30;
}
static void test_ttou(void) {
  UT_TRUE("ttou.tcsetattr_stops", stopped_by_ttou(background(0, 0)));
  UT_TRUE("ttou.tcsetpgrp_stops", stopped_by_ttou(background(0, 1)));
  UT_TRUE("ttou.ignored_tcsetattr_goes_on", went_on(background(1, 0)));
  UT_TRUE("ttou.write_without_tostop", went_on(background(0, 2)));
  struct termios t0;
  UT_EQ("ttou.foreground_tcsetattr", tcgetattr(0, &t0) == 0 && tcsetattr(0, TCSANOW, &t0) == 0, 1);
  /* With TOSTOP a background write stops too, unless SIGTTOU is ignored. */
  struct termios tost = t0;
  tost.c_lflag |= TOSTOP;
  UT_EQ("ttou.set_tostop", tcsetattr(0, TCSANOW, &tost), 0);
  UT_TRUE("ttou.write_with_tostop_stops", stopped_by_ttou(background(0, 2)));
  UT_TRUE("ttou.ignored_write_with_tostop_goes_on", went_on(background(1, 2)));
  UT_TRUE("ttou.foreground_write_with_tostop", write(1, "fg-write\n", 9) == 9);
  UT_EQ("ttou.clear_tostop", tcsetattr(0, TCSANOW, &t0), 0);
}

/* An orphaned process group with a stopped member gets SIGHUP and SIGCONT:
 * a grandchild in a group of its own stops itself; when its parent ends,
 * nobody in the session could continue it, so SIGHUP ends it. It was
 * adopted by this program (the first process: init's place). And stop
 * signals do not stop an orphaned group. */
static void test_orphan(void) {
  int p[2];
  pipe(p);
  pid_t c = fork();
  if (c == 0) {
    pid_t g = fork();
    if (g == 0) {
      setpgid(0, 0);
      raise(SIGSTOP);
      _exit(9);
    }
    int st;
    if (waitpid(g, &st, WUNTRACED) != g || !WIFSTOPPED(st)) _exit(1);
    write(p[1], &g, sizeof g);
    _exit(0);
  }
  pid_t g = 0;
  UT_EQ("orphan.grandchild_stopped", read(p[0], &g, sizeof g), sizeof g);
  int st = wait_for(c, 0);
  UT_TRUE("orphan.parent_ended", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  st = wait_for(g, 0);
  UT_TRUE("orphan.hangup", st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGHUP);
  close(p[0]);
  close(p[1]);

  /* In an orphaned group (a new session's: its leader's parent is in
   * another session) the default stop of SIGTSTP, SIGTTIN and SIGTTOU is
   * discarded, as on Linux; SIGSTOP still stops. In a group that is not
   * orphaned SIGTSTP stops. */
  c = fork();
  if (c == 0) {
    if (setsid() < 0) _exit(1);
    raise(SIGTSTP);
    raise(SIGTTIN);
    raise(SIGTTOU);
    _exit(40);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("orphan.stop_signals_discarded", st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 40);
  c = fork();
  if (c == 0) {
    if (setsid() < 0) _exit(1);
    raise(SIGSTOP);
    _exit(41);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("orphan.sigstop_still_stops", st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
  kill(c, SIGKILL);
  wait_for(c, 0);
  c = fork();
  if (c == 0) {
    setpgid(0, 0); /* its parent is in another group of the session */
    raise(SIGTSTP);
    _exit(42);
  }
  st = wait_for(c, WUNTRACED);
  UT_TRUE("orphan.not_orphaned_stops", st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
  kill(c, SIGKILL);
  wait_for(c, 0);
}

/* wait4 is interrupted by a signal whose handler runs (EINTR), and goes on
 * waiting under SA_RESTART. A helper child signals the parent while it
 * waits (after 100 ms), then ends the child waited for (after 300 ms). */
static volatile sig_atomic_t got_usr2;
static void on_usr2(int sig) {
  (void)sig;
  got_usr2++;
}

static void wait_interrupted(int restart, const char* name_ret, const char* name_handler) {
  struct sigaction sa = {0};
  sa.sa_handler = on_usr2;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigaction(SIGUSR2, &sa, 0);
  got_usr2 = 0;
  pid_t a = fork();
  if (a == 0) {
    for (;;) pause();
  }
  pid_t parent = getpid();
  pid_t b = fork();
  if (b == 0) {
    sleep_ms(100);
    kill(parent, SIGUSR2);
    sleep_ms(200);
    kill(a, SIGTERM);
    _exit(0);
  }
  int st;
  pid_t r = waitpid(a, &st, 0);
  if (restart)
    UT_TRUE(name_ret, r == a && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
  else
    UT_TRUE(name_ret, r == -1 && errno == EINTR);
  UT_EQ(name_handler, got_usr2, 1);
  waitpid(a, &st, 0);
  waitpid(b, &st, 0);
  signal(SIGUSR2, SIG_DFL);
}

static void test_wait_eintr(void) {
  wait_interrupted(0, "wait_eintr.eintr", "wait_eintr.handler_ran");
  wait_interrupted(1, "wait_eintr.sa_restart_goes_on", "wait_eintr.restart_handler_ran");
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return 1;
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("stop", test_stop);
  SECTION("defaults", test_defaults);
  SECTION("sigchld", test_sigchld);
  SECTION("threads", test_threads);
  SECTION("pending", test_pending);
  SECTION("sleep", test_sleep);
  SECTION("ttin", test_ttin);
  SECTION("ttou", test_ttou);
  SECTION("orphan", test_orphan);
  SECTION("wait_eintr", test_wait_eintr);
  return ut_finish();
}
