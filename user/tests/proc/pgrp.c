/* proc.pgrp: process groups and sessions (setpgid, getpgid, getpgrp,
 * setsid, getsid), kill of a group and of everything (-1), waitpid of a
 * group, as a shell's job control uses them.
 *
 *   pgrp [section]   ids | rules | kill | wait */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "pgrp"
#include "utest.h"

static int reap(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -2000;
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, 0);
}

#define ERR(x) ((x) < 0 ? -errno : (x))

/* A child that sleeps until killed (or exits with `code` after ms). */
static pid_t sleeper(long ms, int code) {
  pid_t pid = fork();
  if (pid == 0) {
    sleep_ms(ms);
    _exit(code);
  }
  return pid;
}

static void test_ids(void) {
  pid_t me = getpid();
  UT_EQ("ids.getpgid_self_is_getpgrp", getpgid(0), getpgrp());
  UT_EQ("ids.getpgid_by_pid", getpgid(me), getpgrp());
  UT_EQ("ids.getsid_self", getsid(0), getsid(me));
  UT_ERR("ids.getpgid_no_such", ERR(getpgid(999999)), ESRCH);
  /* A child inherits group and session. */
  pid_t c = sleeper(50, 0);
  UT_EQ("ids.child_group", getpgid(c), getpgrp());
  UT_EQ("ids.child_session", getsid(c), getsid(0));
  /* Its own group: setpgid(child, 0) from the parent. */
  UT_EQ("ids.setpgid_child", ERR(setpgid(c, 0)), 0);
  UT_EQ("ids.child_leads_group", getpgid(c), c);
  UT_EQ("ids.child_exit", reap(c), 0);
  /* setsid in a child: a new session and group, led by it. */
  pid_t pid = fork();
  if (pid == 0) {
    pid_t s = setsid();
    if (s != getpid() || getsid(0) != s || getpgrp() != s) _exit(1);
    /* A session leader cannot change group, nor setsid again. */
    if (setpgid(0, 0) == 0 || errno != EPERM) _exit(2);
    if (setsid() != -1 || errno != EPERM) _exit(3);
    _exit(0);
  }
  UT_EQ("ids.setsid_in_child", reap(pid), 0);
  /* A group whose only member has ended but is not reaped yet still
   * exists, as on Linux: a shell's `echo a | tr a-z A-Z` puts tr into the
   * group echo leads, and echo may be gone (not yet waited for) by then. */
  pid_t z = fork();
  if (z == 0) {
    setpgid(0, 0);
    _exit(0);
  }
  setpgid(z, z); /* as a shell does on its side; may be too late */
  sleep_ms(50);  /* ended: a zombie */
  pid_t j = fork();
  if (j == 0) _exit(setpgid(0, z) == 0 && getpgrp() == z ? 0 : 10 + errno);
  UT_EQ("ids.join_group_of_unreaped", reap(j), 0);
  UT_EQ("ids.unreaped_leader", reap(z), 0);
}

static void test_rules(void) {
  /* A group of our own, then a child moved into it and back. */
  pid_t pid = fork();
  if (pid == 0) {
    if (setpgid(0, 0) != 0) _exit(1);
    pid_t mine = getpgrp();
    if (mine != getpid()) _exit(2);
    pid_t c = sleeper(100, 0);
    if (getpgid(c) != mine) _exit(3);
    /* Into a group that does not exist: EPERM. */
    if (setpgid(c, 424242) == 0 || errno != EPERM) _exit(4);
    /* Not our child: ESRCH. */
    if (setpgid(getppid(), 0) == 0 || errno != ESRCH) _exit(5);
    if (setpgid(c, -1) == 0 || errno != EINVAL) _exit(6);
    reap(c);
    /* A child that has exec'd: EACCES. */
    pid_t e = fork();
    if (e == 0) {
      execl("/tests/nop", "nop", (char*)0);
      _exit(9);
    }
    sleep_ms(30);
    int r = setpgid(e, 0);
    int err = errno;
    reap(e);
    /* It may have ended already (ESRCH after its reap is impossible: not
     * yet reaped), so EACCES is the answer. */
    if (r == 0 || err != EACCES) _exit(7);
    _exit(0);
  }
  UT_EQ("rules.all", reap(pid), 0);
}

static void test_kill(void) {
  /* A leader with three children in its group, one child elsewhere. */
  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    pid_t a = sleeper(100000, 0), b = sleeper(100000, 0), c = sleeper(100000, 0);
    pid_t other = fork();
    if (other == 0) {
      setpgid(0, 0);
      sleep_ms(500);
      _exit(44);
    }
    sleep_ms(30);
    /* kill(-group): all three children; the leader itself too, unless it
     * ignores the signal. */
    signal(SIGTERM, SIG_IGN);
    if (kill(-getpgrp(), SIGTERM) != 0) _exit(1);
    if (reap(a) != 1000 + SIGTERM || reap(b) != 1000 + SIGTERM || reap(c) != 1000 + SIGTERM)
      _exit(2);
    if (reap(other) != 44) _exit(3);
    /* kill(0): the caller's group. */
    pid_t d = sleeper(100000, 0);
    sleep_ms(10);
    signal(SIGUSR1, SIG_IGN); /* the leader is in its group too */
    if (kill(0, SIGUSR1) != 0) _exit(4);
    _exit(reap(d) == 1000 + SIGUSR1 ? 0 : 5);
  }
  UT_EQ("kill.group", reap(leader), 0);
  UT_ERR("kill.no_such_group", ERR(kill(-424242, SIGTERM)), ESRCH);
  UT_EQ("kill.group_probe", ERR(kill(-getpgrp(), 0)), 0);
}

static void test_wait(void) {
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    pid_t in = sleeper(20, 5);
    pid_t out = fork();
    if (out == 0) {
      setpgid(0, 0);
      sleep_ms(60);
      _exit(6);
    }
    int st;
    /* waitpid(0): a child in our group, not the other one. */
    if (waitpid(0, &st, 0) != in || WEXITSTATUS(st) != 5) _exit(1);
    if (waitpid(0, &st, WNOHANG) != -1 || errno != ECHILD) _exit(2);
    /* waitpid(-group). */
    if (waitpid(-out, &st, 0) != out || WEXITSTATUS(st) != 6) _exit(3);
    _exit(0);
  }
  UT_EQ("wait.group", reap(pid), 0);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("ids", test_ids);
  SECTION("rules", test_rules);
  SECTION("kill", test_kill);
  SECTION("wait", test_wait);
  return ut_finish();
}
