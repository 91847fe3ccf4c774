/* CPU time, process names and timers as a program sees them.
 *
 *   cputime [section]   times | children | procfs | name | alarm | itimer |
 *                       cputimer | timer | timer_thread | timer_leaks
 *
 * No check depends on how fast the machine is: a spinning thread spins
 * until its own CPU clock has advanced, and is then compared with a thread
 * that slept; waits for signals have a generous wall-clock limit only
 * against hanging. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "cputime"
#include "../utest.h"

#define SPIN_NS 200000000ul /* 200 ms of CPU time */
#define GIVE_UP_S 60        /* wall-clock limit against hanging */

static unsigned long ns_of(struct timespec ts) {
  return (unsigned long)ts.tv_sec * 1000000000ul + (unsigned long)ts.tv_nsec;
}
static unsigned long clock_ns(clockid_t c) {
  struct timespec ts;
  if (clock_gettime(c, &ts) != 0) return 0;
  return ns_of(ts);
}
static unsigned long tv_ns(struct timeval tv) {
  return (unsigned long)tv.tv_sec * 1000000000ul + (unsigned long)tv.tv_usec * 1000ul;
}

/* Spins until this thread has used `ns` of CPU time (or the wall clock
 * says it never will); returns whether it got there. */
static int spin_cpu(unsigned long ns) {
  unsigned long start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  unsigned long wall = clock_ns(CLOCK_MONOTONIC);
  volatile unsigned long x = 0;
  while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < ns) {
    for (int i = 0; i < 10000; i++) x += (unsigned long)i;
    if (clock_ns(CLOCK_MONOTONIC) - wall > GIVE_UP_S * 1000000000ul) return 0;
  }
  return 1;
}

/* ---- times: the spinning thread's times against a sleeping one's ------------ */

static unsigned long sleeper_ns;
static struct rusage sleeper_ru;
static void* sleeper(void* arg) {
  (void)arg;
  struct timespec t = {0, 200000000};
  nanosleep(&t, 0);
  sleeper_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  getrusage(RUSAGE_THREAD, &sleeper_ru);
  return 0;
}

static void test_times(void) {
  unsigned long p0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  pthread_t th;
  UT_EQ("times.sleeper_started", pthread_create(&th, 0, sleeper, 0), 0);
  UT_TRUE("times.spun", spin_cpu(SPIN_NS));
  pthread_join(th, 0);
  unsigned long mine = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  /* The thread's first: the process's, read after, includes it. (Read
   * the other way round, the thread's could be ahead by whatever the
   * host took from QEMU in between: guest time is the host's.) */
  struct rusage self, thread;
  UT_EQ("times.getrusage_thread", getrusage(RUSAGE_THREAD, &thread), 0);
  UT_EQ("times.getrusage_self", getrusage(RUSAGE_SELF, &self), 0);
  UT_TRUE("times.thread_clock_advanced", mine >= SPIN_NS);
  UT_TRUE("times.spinner_has_user_time", tv_ns(thread.ru_utime) > 0);
  UT_TRUE("times.spinner_mostly_user", tv_ns(thread.ru_utime) > tv_ns(thread.ru_stime));
  UT_TRUE("times.sleeper_used_less", sleeper_ns < mine);
  UT_TRUE("times.sleeper_rusage_less", tv_ns(sleeper_ru.ru_utime) + tv_ns(sleeper_ru.ru_stime) <
                                           tv_ns(thread.ru_utime) + tv_ns(thread.ru_stime));
  UT_TRUE("times.process_at_least_thread",
          tv_ns(self.ru_utime) + tv_ns(self.ru_stime) + 2000 >= /* 2 us: two roundings */
              tv_ns(thread.ru_utime) + tv_ns(thread.ru_stime));
  unsigned long p1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  UT_TRUE("times.process_clock_advanced", p1 > p0 && p1 - p0 >= SPIN_NS);
  /* Never backwards, although the sleeper has exited meanwhile. */
  int back = 0;
  for (int i = 0, prev = 0; i < 1000; i++) {
    unsigned long v = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (prev && v < p1) back++;
    p1 = v;
    prev = 1;
  }
  UT_EQ("times.process_clock_monotonic", back, 0);
  /* The clocks of this thread and process by id (musl's encoding). */
  clockid_t tc, pc;
  UT_EQ("times.pthread_getcpuclockid", pthread_getcpuclockid(pthread_self(), &tc), 0);
  UT_TRUE("times.thread_clock_by_id", clock_ns(tc) >= mine);
  UT_EQ("times.clock_getcpuclockid", clock_getcpuclockid(0, &pc), 0);
  UT_TRUE("times.process_clock_by_id", clock_ns(pc) >= mine);
  UT_EQ("times.no_such_process_clock", clock_getcpuclockid(999999, &pc), EINVAL);
  struct tms t;
  clock_t el = times(&t);
  UT_TRUE("times.times_user", t.tms_utime > 0);
  UT_TRUE("times.times_elapsed", el != (clock_t)-1 && el > 0);
  struct timespec res;
  UT_TRUE("times.getres",
          clock_getres(CLOCK_PROCESS_CPUTIME_ID, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
  UT_TRUE("times.clock", clock() > 0);
  UT_TRUE("times.bad_who", getrusage(7, &self) == -1 && errno == EINVAL);
  UT_TRUE("times.bad_pointer", getrusage(RUSAGE_SELF, (struct rusage*)16) == -1 && errno == EFAULT);
}

/* ---- children: a spinning child's time reaches its parent ------------------- */

static void test_children(void) {
  struct rusage before;
  getrusage(RUSAGE_CHILDREN, &before);
  UT_TRUE("children.none_yet", tv_ns(before.ru_utime) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* A grandchild's time counts too, once its parent has waited for it. */
    pid_t g = fork();
    if (g == 0) _exit(spin_cpu(SPIN_NS) ? 0 : 1);
    int st;
    waitpid(g, &st, 0);
    _exit(spin_cpu(SPIN_NS) && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1);
  }
  int st = -1;
  struct rusage ru;
  memset(&ru, 0xff, sizeof ru);
  UT_EQ("children.wait4", wait4(pid, &st, 0, &ru), pid);
  UT_TRUE("children.spun", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  UT_TRUE("children.wait4_rusage", tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime) >= SPIN_NS);
  UT_TRUE("children.wait4_grandchild", tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime) >= 2 * SPIN_NS);
  struct rusage after;
  getrusage(RUSAGE_CHILDREN, &after);
  UT_TRUE("children.getrusage", tv_ns(after.ru_utime) + tv_ns(after.ru_stime) >= 2 * SPIN_NS);
  struct tms t;
  times(&t);
  /* Each of the two is rounded down to a clock tick (10 ms). */
  UT_TRUE("children.times", t.tms_cutime + t.tms_cstime >= 2 * (clock_t)(SPIN_NS / 10000000) - 2);
  /* A fork's child starts from zero. */
  pid = fork();
  if (pid == 0) {
    struct rusage c;
    getrusage(RUSAGE_CHILDREN, &c);
    _exit(tv_ns(c.ru_utime) == 0 ? 0 : 1);
  }
  waitpid(pid, &st, 0);
  UT_TRUE("children.fork_starts_at_zero", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- procfs: /proc/self/stat and /proc/stat show the times ------------------ */

static int read_file(const char* path, char* buf, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t got = read(fd, buf, n - 1);
  close(fd);
  if (got < 0) return -1;
  buf[got] = 0;
  return (int)got;
}

static void test_procfs(void) {
  UT_TRUE("procfs.spun", spin_cpu(SPIN_NS));
  char buf[4096];
  UT_TRUE("procfs.read_self_stat", read_file("/proc/self/stat", buf, sizeof buf) > 0);
  /* Fields after "(comm) ": 3 state ... 14 utime 15 stime. */
  char* p = strrchr(buf, ')');
  unsigned long f[20] = {0};
  int n = 0;
  if (p) {
    p += 2;
    char state;
    n = sscanf(p, "%c %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu", &state, &f[4], &f[5], &f[6],
               &f[7], &f[8], &f[9], &f[10], &f[11], &f[12], &f[13], &f[14], &f[15]);
  }
  UT_EQ("procfs.stat_fields", n, 13);
  UT_TRUE("procfs.stat_utime", f[14] > 0);
  UT_TRUE("procfs.read_stat", read_file("/proc/stat", buf, sizeof buf) > 0);
  unsigned long user = 0, nice = 0, sys = 0, idle = 0;
  UT_EQ("procfs.stat_cpu_line", sscanf(buf, "cpu %lu %lu %lu %lu", &user, &nice, &sys, &idle), 4);
  UT_TRUE("procfs.stat_cpu_user", user > 0);
  UT_TRUE("procfs.stat_cpu_idle", idle > 0);
  UT_TRUE("procfs.stat_cpu0", strstr(buf, "\ncpu0 ") != 0);
}

/* ---- name: prctl(PR_SET_NAME) shows in /proc -------------------------------- */

static void test_name(void) {
  char name[16] = "";
  UT_EQ("name.get_default", prctl(PR_GET_NAME, name), 0);
  UT_TRUE("name.default_is_program", strcmp(name, "cputime") == 0);
  UT_EQ("name.set", prctl(PR_SET_NAME, "my-worker"), 0);
  memset(name, 0, sizeof name);
  prctl(PR_GET_NAME, name);
  UT_TRUE("name.get", strcmp(name, "my-worker") == 0);
  char buf[4096];
  UT_TRUE("name.comm",
          read_file("/proc/self/comm", buf, sizeof buf) > 0 && strcmp(buf, "my-worker\n") == 0);
  read_file("/proc/self/stat", buf, sizeof buf);
  UT_TRUE("name.stat", strstr(buf, "(my-worker)") != 0);
  read_file("/proc/self/status", buf, sizeof buf);
  UT_TRUE("name.status", strncmp(buf, "Name:\tmy-worker\n", 16) == 0);
  /* Longer names are cut to 15 bytes, as on Linux. */
  UT_EQ("name.set_long", prctl(PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz"), 0);
  read_file("/proc/self/comm", buf, sizeof buf);
  UT_TRUE("name.long_cut", strcmp(buf, "abcdefghijklmno\n") == 0);
  /* A fork's child keeps it. */
  pid_t pid = fork();
  if (pid == 0) {
    char b[64];
    read_file("/proc/self/comm", b, sizeof b);
    _exit(strcmp(b, "abcdefghijklmno\n") == 0 ? 0 : 1);
  }
  int st;
  waitpid(pid, &st, 0);
  UT_TRUE("name.fork_keeps", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  UT_TRUE("name.bad_pointer", prctl(PR_SET_NAME, (char*)16) == -1 && errno == EFAULT);
  UT_TRUE("name.bad_option", prctl(12345, 0) == -1 && errno == EINVAL);
}

/* ---- alarm and setitimer ----------------------------------------------------- */

static volatile int alarms;
static void on_alarm(int sig) {
  (void)sig;
  alarms++;
}

/* Waits (sleeping in short steps) until `*count` reaches n or the wall
 * clock gives up. */
static int wait_count(volatile int* count, int n) {
  unsigned long wall = clock_ns(CLOCK_MONOTONIC);
  while (*count < n) {
    struct timespec t = {0, 10000000};
    nanosleep(&t, 0);
    if (clock_ns(CLOCK_MONOTONIC) - wall > GIVE_UP_S * 1000000000ul) return 0;
  }
  return 1;
}

static void test_alarm(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, 0);
  alarms = 0;
  UT_EQ("alarm.none_before", alarm(1), 0);
  UT_TRUE("alarm.delivered", wait_count(&alarms, 1));
  /* A pending alarm is replaced: alarm returns the seconds left. */
  alarm(100);
  unsigned left = alarm(0);
  UT_TRUE("alarm.seconds_left", left >= 99 && left <= 100);
  struct itimerval it;
  UT_TRUE("alarm.cancelled",
          getitimer(ITIMER_REAL, &it) == 0 && it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);
  /* A sleep that the alarm's handler interrupts: EINTR. */
  alarms = 0;
  struct itimerval shot = {{0, 0}, {0, 100000}};
  UT_EQ("alarm.setitimer", setitimer(ITIMER_REAL, &shot, 0), 0);
  struct timespec t = {30, 0}, rem = {0, 0};
  int r = nanosleep(&t, &rem);
  UT_TRUE("alarm.sleep_interrupted", r == -1 && errno == EINTR && alarms == 1);
  UT_TRUE("alarm.time_left", rem.tv_sec > 0 && rem.tv_sec <= 30);
  /* Without a handler, SIGALRM ends the process. */
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGALRM, SIG_DFL);
    alarm(1);
    for (;;) pause();
  }
  int st;
  waitpid(pid, &st, 0);
  UT_TRUE("alarm.default_kills", WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
  /* Timers are not inherited by a fork's child. */
  alarm(100);
  pid = fork();
  if (pid == 0) _exit(alarm(0) == 0 ? 0 : 1);
  waitpid(pid, &st, 0);
  alarm(0);
  UT_TRUE("alarm.not_inherited", WIFEXITED(st) && WEXITSTATUS(st) == 0);
  struct itimerval bad = {{0, 0}, {0, 1000000}};
  UT_TRUE("alarm.bad_usec", setitimer(ITIMER_REAL, &bad, 0) == -1 && errno == EINVAL);
  UT_TRUE("alarm.bad_pointer",
          setitimer(ITIMER_REAL, (struct itimerval*)16, 0) == -1 && errno == EFAULT);
}

static void test_itimer(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, 0);
  alarms = 0;
  struct itimerval every = {{0, 20000}, {0, 20000}};
  UT_EQ("itimer.set", setitimer(ITIMER_REAL, &every, 0), 0);
  struct itimerval cur;
  UT_TRUE("itimer.get_armed", getitimer(ITIMER_REAL, &cur) == 0 &&
                                  cur.it_interval.tv_usec == 20000 &&
                                  (cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0));
  UT_TRUE("itimer.fires_repeatedly", wait_count(&alarms, 5));
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  UT_EQ("itimer.stop", setitimer(ITIMER_REAL, &off, &old), 0);
  UT_TRUE("itimer.old_setting", old.it_interval.tv_usec == 20000);
  int n = alarms;
  struct timespec t = {0, 200000000};
  nanosleep(&t, 0);
  UT_TRUE("itimer.stopped", alarms == n);
}

/* ---- cputimer: ITIMER_VIRTUAL, ITIMER_PROF, timers on CPU-time clocks ------ */

static volatile int vt_hits, prof_hits, cpu_hits;
static void on_vtalrm(int sig) { (void)sig; vt_hits++; }
static void on_prof(int sig) { (void)sig; prof_hits++; }
static void on_cpu_timer(int sig) { (void)sig; cpu_hits++; }

/* Spins (this thread's CPU time) until *count reaches n or `max_ns` of CPU
 * time have gone: whether the count was reached. */
static int spin_until(volatile int* count, int n, unsigned long max_ns) {
  unsigned long start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
  unsigned long wall = clock_ns(CLOCK_MONOTONIC);
  volatile unsigned long x = 0;
  while (*count < n && clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < max_ns) {
    for (int i = 0; i < 10000; i++) x += (unsigned long)i;
    if (clock_ns(CLOCK_MONOTONIC) - wall > GIVE_UP_S * 1000000000ul) break;
  }
  return *count >= n;
}

static void* spin_thread(void* arg) {
  return spin_cpu((unsigned long)arg) ? 0 : (void*)1;
}

static void test_cputimer(void) {
  signal(SIGVTALRM, on_vtalrm);
  signal(SIGPROF, on_prof);
  signal(SIGUSR2, on_cpu_timer);
  struct timespec nap = {0, 300000000};
  /* ITIMER_VIRTUAL counts user time only: sleeping does not run it down. */
  vt_hits = 0;
  struct itimerval once = {{0, 0}, {0, 50000}};
  UT_EQ("cputimer.virtual_set", setitimer(ITIMER_VIRTUAL, &once, 0), 0);
  struct itimerval cur;
  UT_TRUE("cputimer.virtual_get", getitimer(ITIMER_VIRTUAL, &cur) == 0 &&
                                      cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
                                      cur.it_value.tv_usec <= 50000);
  nanosleep(&nap, 0);
  UT_EQ("cputimer.virtual_not_while_asleep", vt_hits, 0);
  UT_TRUE("cputimer.virtual_fires_on_cpu", spin_until(&vt_hits, 1, 5 * SPIN_NS));
  UT_TRUE("cputimer.virtual_one_shot_disarmed",
          getitimer(ITIMER_VIRTUAL, &cur) == 0 && cur.it_value.tv_sec == 0 &&
              cur.it_value.tv_usec == 0);
  /* ITIMER_PROF, periodic; then stopped. */
  prof_hits = 0;
  struct itimerval every = {{0, 20000}, {0, 20000}};
  UT_EQ("cputimer.prof_set", setitimer(ITIMER_PROF, &every, 0), 0);
  UT_TRUE("cputimer.prof_periodic", spin_until(&prof_hits, 3, 10 * SPIN_NS));
  struct itimerval off = {{0, 0}, {0, 0}}, old;
  UT_EQ("cputimer.prof_stop", setitimer(ITIMER_PROF, &off, &old), 0);
  UT_TRUE("cputimer.prof_old", old.it_interval.tv_usec == 20000);
  int n = prof_hits;
  UT_TRUE("cputimer.prof_stopped", spin_cpu(SPIN_NS / 2) && prof_hits == n);
  UT_TRUE("cputimer.bad_which", setitimer(3, &once, 0) == -1 && errno == EINVAL);

  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  struct itimerspec soon = {{0, 0}, {0, 50000000}};
  /* CLOCK_THREAD_CPUTIME_ID: the creator's time; another thread's
   * spinning does not count. */
  timer_t tt;
  UT_EQ("cputimer.thread_create", timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, &tt), 0);
  cpu_hits = 0;
  UT_EQ("cputimer.thread_arm", timer_settime(tt, 0, &soon, 0), 0);
  pthread_t th;
  void* res = (void*)1;
  pthread_create(&th, 0, spin_thread, (void*)(3 * SPIN_NS / 2));
  pthread_join(th, &res);
  UT_TRUE("cputimer.thread_other_spun", res == 0);
  UT_EQ("cputimer.thread_not_by_other", cpu_hits, 0);
  UT_TRUE("cputimer.thread_fires_on_own", spin_until(&cpu_hits, 1, 5 * SPIN_NS));
  timer_delete(tt);
  /* CLOCK_PROCESS_CPUTIME_ID: every thread's time counts. */
  timer_t pt;
  UT_EQ("cputimer.process_create", timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &pt), 0);
  cpu_hits = 0;
  UT_EQ("cputimer.process_arm", timer_settime(pt, 0, &soon, 0), 0);
  struct itimerspec icur;
  UT_TRUE("cputimer.process_gettime",
          timer_gettime(pt, &icur) == 0 && icur.it_value.tv_sec == 0 &&
              icur.it_value.tv_nsec > 0 && icur.it_value.tv_nsec <= 50000000);
  pthread_create(&th, 0, spin_thread, (void*)(3 * SPIN_NS / 2));
  pthread_join(th, &res);
  for (int i = 0; i < 50 && cpu_hits == 0; i++) nanosleep(&(struct timespec){0, 10000000}, 0);
  UT_TRUE("cputimer.process_by_other_thread", res == 0 && cpu_hits == 1);
  UT_EQ("cputimer.process_delete", timer_delete(pt), 0);
}

/* ---- timer_create ---------------------------------------------------------- */

static volatile int timer_hits;
static volatile int timer_code, timer_value;
static void on_timer(int sig, siginfo_t* si, void* uc) {
  (void)sig;
  (void)uc;
  timer_code = si->si_code;
  timer_value = si->si_value.sival_int;
  timer_hits++;
}

static void test_timer(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_timer;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGUSR1, &sa, 0);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  ev.sigev_value.sival_int = 42;
  timer_t t;
  UT_EQ("timer.create", timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
  struct itimerspec cur;
  UT_TRUE("timer.created_disarmed",
          timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  timer_hits = 0;
  struct itimerspec once = {{0, 0}, {0, 50000000}};
  UT_EQ("timer.arm", timer_settime(t, 0, &once, 0), 0);
  UT_TRUE("timer.fires", wait_count(&timer_hits, 1));
  UT_EQ("timer.si_code", timer_code, SI_TIMER);
  UT_EQ("timer.si_value", timer_value, 42);
  UT_TRUE("timer.one_shot_disarmed",
          timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  /* Periodic, armed at an absolute time. */
  timer_hits = 0;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  now.tv_nsec += 20000000;
  if (now.tv_nsec >= 1000000000) {
    now.tv_sec++;
    now.tv_nsec -= 1000000000;
  }
  struct itimerspec every = {{0, 20000000}, now};
  UT_EQ("timer.arm_absolute", timer_settime(t, TIMER_ABSTIME, &every, 0), 0);
  UT_TRUE("timer.periodic", wait_count(&timer_hits, 4));
  UT_TRUE("timer.overrun", timer_getoverrun(t) >= 0);
  UT_EQ("timer.delete", timer_delete(t), 0);
  int n = timer_hits;
  struct timespec pause_t = {0, 200000000};
  nanosleep(&pause_t, 0);
  UT_TRUE("timer.deleted_silent", timer_hits == n);
  /* A realtime timer, absolute, in the past: fires at once. */
  ev.sigev_value.sival_int = 7;
  timer_t rt;
  UT_EQ("timer.create_realtime", timer_create(CLOCK_REALTIME, &ev, &rt), 0);
  timer_hits = 0;
  struct itimerspec past = {{0, 0}, {1, 0}};
  UT_EQ("timer.arm_past", timer_settime(rt, TIMER_ABSTIME, &past, 0), 0);
  UT_TRUE("timer.past_fires", wait_count(&timer_hits, 1) && timer_value == 7);
  timer_delete(rt);
  /* SIGEV_NONE: never signals, but runs. */
  ev.sigev_notify = SIGEV_NONE;
  timer_t quiet;
  UT_EQ("timer.create_none", timer_create(CLOCK_MONOTONIC, &ev, &quiet), 0);
  struct itimerspec later = {{0, 0}, {100, 0}};
  timer_settime(quiet, 0, &later, 0);
  UT_TRUE("timer.none_counts_down", timer_gettime(quiet, &cur) == 0 && cur.it_value.tv_sec <= 100 &&
                                        cur.it_value.tv_sec >= 98);
  timer_delete(quiet);
  UT_TRUE("timer.deleted_einval", timer_settime(quiet, 0, &later, 0) == -1 && errno == EINVAL);
  UT_TRUE("timer.bad_clock", timer_create((clockid_t)99, 0, &quiet) == -1 && errno == EINVAL);
}

/* ---- SIGEV_THREAD (musl: a helper thread waiting for SIGEV_THREAD_ID) ------- */

static volatile int thread_hits;
static volatile int thread_value;
static void notified(union sigval v) {
  thread_value = v.sival_int;
  __atomic_add_fetch(&thread_hits, 1, __ATOMIC_SEQ_CST);
}

static void test_timer_thread(void) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_THREAD;
  ev.sigev_notify_function = notified;
  ev.sigev_value.sival_int = 99;
  timer_t t;
  UT_EQ("timer_thread.create", timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
  struct itimerspec every = {{0, 20000000}, {0, 20000000}};
  UT_EQ("timer_thread.arm", timer_settime(t, 0, &every, 0), 0);
  UT_TRUE("timer_thread.called", wait_count(&thread_hits, 3));
  UT_EQ("timer_thread.value", thread_value, 99);
  struct itimerspec cur;
  UT_TRUE("timer_thread.gettime",
          timer_gettime(t, &cur) == 0 && cur.it_interval.tv_nsec == 20000000);
  UT_EQ("timer_thread.delete", timer_delete(t), 0);
  struct timespec p = {0, 100000000};
  nanosleep(&p, 0);
  int n = thread_hits;
  nanosleep(&p, 0);
  UT_TRUE("timer_thread.stopped", thread_hits == n);
}

/* ---- timer_leaks: timers of exited processes are freed ---------------------- */

static void child_with_timers(int i) {
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  signal(SIGUSR2, SIG_IGN);
  for (int k = 0; k < 5; k++) {
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) _exit(1);
    struct itimerspec s = {{0, k == 0 ? 1000000 : 0}, {k == 0 ? 0 : 1000, 1000000}};
    timer_settime(t, 0, &s, 0);
  }
  alarm(1000);
  _exit(i & 0x3f);
}

static void test_timer_leaks(void) {
  int bad = 0, st;
  for (int i = 0; i < 20; i++) {
    pid_t pid = fork();
    if (pid == 0) child_with_timers(i);
    waitpid(pid, &st, 0);
  }
  long before = ut_settled_free_mem();
  for (int i = 0; i < 100; i++) {
    pid_t pid = fork();
    if (pid == 0) child_with_timers(i);
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0x3f))
      bad++;
  }
  /* And in this process: create, arm, delete. */
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_NONE;
  for (int i = 0; i < 200; i++) {
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &ev, &t) != 0) {
      bad++;
      continue;
    }
    struct itimerspec s = {{1, 0}, {1, 0}};
    timer_settime(t, 0, &s, 0);
    timer_delete(t);
  }
  long after = ut_settled_free_mem();
  UT_EQ("timer_leaks.all_ok", bad, 0);
  UT_EQ("timer_leaks.no_memory_lost", after, before);
  /* At most CHCORE_TIMERS_MAX (64) per process: then EAGAIN. */
  timer_t ts[70];
  int made = 0;
  while (made < 70 && timer_create(CLOCK_MONOTONIC, &ev, &ts[made]) == 0) made++;
  UT_TRUE("timer_leaks.limit", made > 0 && made <= 64 && errno == EAGAIN);
  for (int i = 0; i < made; i++) timer_delete(ts[i]);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("times", test_times);
  SECTION("children", test_children);
  SECTION("procfs", test_procfs);
  SECTION("name", test_name);
  SECTION("alarm", test_alarm);
  SECTION("itimer", test_itimer);
  SECTION("cputimer", test_cputimer);
  SECTION("timer", test_timer);
  SECTION("timer_thread", test_timer_thread);
  SECTION("timer_leaks", test_timer_leaks);
  return ut_finish();
}
