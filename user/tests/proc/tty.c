/* proc.tty: the console as a terminal: the kernel's line discipline
 * (canonical mode, erase, word erase, kill, end of file, raw mode with
 * VMIN/VTIME, ISIG off), the window size, and Ctrl-C (and Ctrl-Z, which
 * stops it) reaching only the foreground process group. The harness types at each "ready:" line
 * (tests/qemu/CMakeLists.txt, proc.tty). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "tty"
#include "utest.h"

static void ready(const char* what) {
  printf("ready: %s\n", what);
  fflush(stdout);
}

static long read_some(char* buf, size_t n) {
  memset(buf, 0, n);
  return read(0, buf, n - 1);
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(void) {
  char buf[128];
  struct termios t0, t;
  UT_EQ("tcgetattr", tcgetattr(0, &t0), 0);
  UT_TRUE("default_canonical_echo", (t0.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG));
  UT_TRUE("default_icrnl_onlcr", (t0.c_iflag & ICRNL) && (t0.c_oflag & ONLCR));

  /* Canonical mode: erase (DEL), kill (^U), word erase (^W). */
  ready("erase");
  UT_EQ("erase.len", read_some(buf, sizeof buf), 4);
  UT_EQ("erase.line", strcmp(buf, "abd\n"), 0);
  ready("kill");
  UT_EQ("kill.line", read_some(buf, sizeof buf) == 3 && strcmp(buf, "ok\n") == 0, 1);
  ready("werase");
  read_some(buf, sizeof buf);
  UT_EQ("werase.line", strcmp(buf, "foo baz\n"), 0);
  /* One line per read, even when two wait. */
  ready("two lines");
  UT_EQ("lines.first", read_some(buf, sizeof buf), 4);
  UT_EQ("lines.second", read_some(buf, sizeof buf) == 4 && strcmp(buf, "two\n") == 0, 1);
  /* ^D: the line so far without a newline; at a line's start, end of file. */
  ready("eof");
  UT_EQ("eof.partial", read_some(buf, sizeof buf), 3);
  UT_EQ("eof.partial_text", strcmp(buf, "par"), 0);
  UT_EQ("eof.at_start", read_some(buf, sizeof buf), 0);

  /* Raw mode: bytes as they come, no echo, no translation of the line. */
  t = t0;
  cfmakeraw(&t);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  UT_EQ("raw.set", tcsetattr(0, TCSANOW, &t), 0);
  ready("raw");
  UT_EQ("raw.one_byte", read_some(buf, sizeof buf), 1);
  UT_EQ("raw.byte", buf[0], 'q');
  /* VMIN 0, VTIME 0: never waits. */
  t.c_cc[VMIN] = 0;
  tcsetattr(0, TCSANOW, &t);
  UT_EQ("raw.vmin0_nothing", read_some(buf, sizeof buf), 0);
  /* VMIN 0, VTIME 3: gives up after 0.3 s. */
  t.c_cc[VTIME] = 3;
  tcsetattr(0, TCSANOW, &t);
  long t1 = now_ms();
  UT_EQ("raw.vtime_timeout", read_some(buf, sizeof buf), 0);
  UT_TRUE("raw.vtime_waited", now_ms() - t1 >= 250);
  /* ISIG off: ^C is a byte like any other. */
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  t.c_lflag &= ~ISIG;
  tcsetattr(0, TCSANOW, &t);
  ready("ctrl-c as a byte");
  UT_EQ("noisig.byte", read_some(buf, sizeof buf) == 1 && buf[0] == 3, 1);
  UT_EQ("restore", tcsetattr(0, TCSAFLUSH, &t0), 0);

  /* Window size. */
  struct winsize ws = {.ws_row = 40, .ws_col = 132};
  UT_EQ("winsz.set", ioctl(1, TIOCSWINSZ, &ws), 0);
  struct winsize got;
  UT_EQ("winsz.get", ioctl(1, TIOCGWINSZ, &got), 0);
  UT_TRUE("winsz.same", got.ws_row == 40 && got.ws_col == 132);

  /* Ctrl-C goes to the foreground group only: a child in a group of its
   * own made the foreground is interrupted; we, in another, are not. */
  UT_EQ("fg.ours", tcgetpgrp(0), getpgrp());
  int p[2];
  pipe(p);
  pid_t child = fork();
  if (child == 0) {
    setpgid(0, 0);
    write(p[1], "x", 1);
    for (;;) pause();
  }
  char x;
  read(p[0], &x, 1);
  setpgid(child, child); /* either side may win the race; both ask the same */
  UT_EQ("fg.set_child", tcsetpgrp(0, child), 0);
  UT_EQ("fg.is_child", tcgetpgrp(0), child);
  /* Ctrl-Z stops the foreground job; its parent sees it and continues it
   * (a shell's fg). */
  ready("ctrl-z");
  int st = 0;
  UT_EQ("fg.child_stopped", waitpid(child, &st, WUNTRACED), child);
  UT_TRUE("fg.stopped_by_sigtstp", WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP);
  UT_EQ("fg.sigcont", kill(child, SIGCONT), 0);
  UT_EQ("fg.child_continued", waitpid(child, &st, WCONTINUED), child);
  UT_TRUE("fg.wifcontinued", WIFCONTINUED(st));
  ready("ctrl-c");
  UT_EQ("fg.child_reaped", waitpid(child, &st, 0), child);
  UT_TRUE("fg.child_got_sigint", WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);
  UT_EQ("fg.back", tcsetpgrp(0, getpgrp()), 0);
  UT_EQ("fg.bad_group", tcsetpgrp(0, 424242) < 0 ? errno : 0, EPERM);
  return ut_finish();
}
