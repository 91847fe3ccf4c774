/* proc.cancel: pthread_cancel as a program written for Linux uses it:
 * asynchronous cancellation of a thread that spins in user code, and
 * deferred cancellation of threads blocked in cancellation points (sleep,
 * pthread_cond_wait, read and poll of an empty pipe, sigwaitinfo,
 * waitpid), with cleanup handlers run and the thread's result
 * PTHREAD_CANCELED; a cancellation that waits while cancellation is
 * disabled, and one that a thread meets at its next cancellation point;
 * blocking calls that are not cancellation points (a mutex) are not
 * cut short by a pending cancellation.
 *
 *   cancel [section]   async | sleep | cond | pipe | poll | sigwait | waitpid |
 *                      disabled | next_cp | not_cp */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "cancel"
#include "utest.h"

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

static volatile int ready, cleaned, after_cp;
static void on_cleanup(void* arg) { cleaned = (int)(long)arg; }

static void wait_ready(void) {
  while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) sched_yield();
}
static void set_ready(void) { __atomic_store_n(&ready, 1, __ATOMIC_RELEASE); }

/* Starts fn, waits until it says it is about to block, gives it a moment
 * to get there (if the cancellation comes before it blocks, it is acted on
 * at the call's flag check: the same outcome), cancels it and joins it,
 * failing instead of hanging if it never ends. Returns 1 if the thread
 * ended cancelled with its cleanup handler run. */
static int cancel_blocked(const char* name, void* (*fn)(void*)) {
  ready = cleaned = after_cp = 0;
  pthread_t t;
  if (pthread_create(&t, 0, fn, 0) != 0) return ut_report(name, 0, "pthread_create failed");
  wait_ready();
  sleep_ms(20);
  int rc = pthread_cancel(t);
  void* res = 0;
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 60;
  int j = pthread_timedjoin_np(t, &res, &dl);
  char why[160];
  snprintf(why, sizeof why, "cancel %d, join %d, result %p (PTHREAD_CANCELED %p), cleanup %d, "
           "went on past the call %d", rc, j, res, PTHREAD_CANCELED, cleaned, after_cp);
  return ut_report(name, rc == 0 && j == 0 && res == PTHREAD_CANCELED && cleaned == 1 &&
                             after_cp == 0, why);
}

/* async: a thread with asynchronous cancellation that never makes a call. */
static volatile unsigned long spins;
static void* spinner(void* arg) {
  (void)arg;
  pthread_cleanup_push(on_cleanup, (void*)1);
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, 0);
  set_ready();
  for (;;) spins++;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_async(void) {
  cancel_blocked("async_spinning", spinner);
  UT_TRUE("async_spun", spins > 0);
}

static void* sleeper(void* arg) {
  (void)arg;
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  sleep(100);
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_sleep(void) { cancel_blocked("deferred_sleep", sleeper); }

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void unlock_mu(void* arg) {
  (void)arg;
  cleaned = 1;
  pthread_mutex_unlock(&mu);
}
static void* cond_waiter(void* arg) {
  (void)arg;
  pthread_mutex_lock(&mu);
  pthread_cleanup_push(unlock_mu, 0);
  set_ready();
  for (;;) pthread_cond_wait(&cv, &mu);
  pthread_cleanup_pop(1);
  return 0;
}
static void test_cond(void) {
  cancel_blocked("deferred_cond_wait", cond_waiter);
  /* pthread_cond_wait took the mutex back before the cleanup handler
   * released it. */
  UT_EQ("cond_mutex_free", pthread_mutex_trylock(&mu), 0);
  pthread_mutex_unlock(&mu);
}

static int fds[2];
static void* pipe_reader(void* arg) {
  (void)arg;
  char c;
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  read(fds[0], &c, 1); /* nothing is ever written */
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void* pipe_poller(void* arg) {
  (void)arg;
  struct pollfd p = {fds[0], POLLIN, 0};
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  poll(&p, 1, -1);
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_pipe(void) {
  if (pipe(fds) != 0) {
    ut_report("pipe", 0, "pipe failed");
    return;
  }
  /* The read is restarted after a handler with SA_RESTART: cancellation
   * must still end it (musl installs SIGCANCEL's handler with it). */
  cancel_blocked("deferred_pipe_read", pipe_reader);
  close(fds[0]);
  close(fds[1]);
}
static void test_poll(void) {
  if (pipe(fds) != 0) {
    ut_report("pipe", 0, "pipe failed");
    return;
  }
  cancel_blocked("deferred_poll", pipe_poller);
  close(fds[0]);
  close(fds[1]);
}

static void* sig_waiter(void* arg) {
  (void)arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &set, 0);
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  siginfo_t info;
  sigwaitinfo(&set, &info);
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_sigwait(void) { cancel_blocked("deferred_sigwaitinfo", sig_waiter); }

static pid_t child;
static void* child_waiter(void* arg) {
  (void)arg;
  int st;
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  waitpid(child, &st, 0);
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_waitpid(void) {
  child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  cancel_blocked("deferred_waitpid", child_waiter);
  kill(child, SIGKILL);
  int st;
  UT_EQ("waitpid_child_still_mine", waitpid(child, &st, 0), child);
}

/* disabled: the cancellation waits until the thread enables it, then acts
 * at pthread_testcancel. */
static volatile int slept_fully;
static void* disabled_sleeper(void* arg) {
  (void)arg;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, 0);
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  /* (SIGCANCEL still interrupts the sleep, as on Linux: EINTR, and the
   * loop sleeps on; what must not happen is the thread ending here.) */
  sleep_ms(200);
  slept_fully = 1;
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, 0);
  pthread_testcancel();
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_disabled(void) {
  slept_fully = 0;
  cancel_blocked("disabled_then_testcancel", disabled_sleeper);
  UT_TRUE("disabled_sleep_not_cut", slept_fully == 1);
}

/* next_cp: cancelled while in user code, the thread ends at its next
 * cancellation point (a read that would block), without blocking. */
static volatile int go_on;
static void* late_reader(void* arg) {
  (void)arg;
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  while (!__atomic_load_n(&go_on, __ATOMIC_ACQUIRE)) {
  }
  char c;
  read(fds[0], &c, 1);
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_next_cp(void) {
  if (pipe(fds) != 0) return;
  go_on = 0;
  ready = cleaned = after_cp = 0;
  pthread_t t;
  pthread_create(&t, 0, late_reader, 0);
  wait_ready();
  pthread_cancel(t);
  sleep_ms(20);
  __atomic_store_n(&go_on, 1, __ATOMIC_RELEASE);
  void* res = 0;
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 60;
  int j = pthread_timedjoin_np(t, &res, &dl);
  UT_TRUE("next_cp_cancelled", j == 0 && res == PTHREAD_CANCELED && cleaned == 1 && !after_cp);
  close(fds[0]);
  close(fds[1]);
}

/* not_cp: a pending cancellation does not cut short a wait for a mutex (not
 * a cancellation point): the thread gets the mutex, then ends at
 * pthread_testcancel. */
static volatile int got_mutex;
static void* mutex_taker(void* arg) {
  (void)arg;
  pthread_cleanup_push(on_cleanup, (void*)1);
  set_ready();
  int r = pthread_mutex_lock(&mu);
  got_mutex = r == 0;
  if (r == 0) pthread_mutex_unlock(&mu);
  pthread_testcancel();
  after_cp = 1;
  pthread_cleanup_pop(0);
  return 0;
}
static void test_not_cp(void) {
  got_mutex = 0;
  ready = cleaned = after_cp = 0;
  pthread_mutex_lock(&mu);
  pthread_t t;
  pthread_create(&t, 0, mutex_taker, 0);
  wait_ready();
  sleep_ms(20);
  pthread_cancel(t);
  sleep_ms(20);
  pthread_mutex_unlock(&mu);
  void* res = 0;
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 60;
  int j = pthread_timedjoin_np(t, &res, &dl);
  UT_TRUE("not_cp_mutex_taken", got_mutex == 1);
  UT_TRUE("not_cp_then_cancelled", j == 0 && res == PTHREAD_CANCELED && cleaned == 1 && !after_cp);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("async", test_async);
  SECTION("sleep", test_sleep);
  SECTION("cond", test_cond);
  SECTION("pipe", test_pipe);
  SECTION("poll", test_poll);
  SECTION("sigwait", test_sigwait);
  SECTION("waitpid", test_waitpid);
  SECTION("disabled", test_disabled);
  SECTION("next_cp", test_next_cp);
  SECTION("not_cp", test_not_cp);
  return ut_finish();
}
