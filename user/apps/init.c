/* /bin/init: the program procmgr starts (pid 1), as a minimal init and a
 * getty together:
 *
 *   - runs a login shell (/bin/sh, argv[0] "-sh", so that it reads
 *     /etc/profile) on the console, in a session of its own whose
 *     controlling terminal and foreground group the console is, with
 *     HOME=/root, and starts a new one whenever it ends (Ctrl-D at an
 *     empty prompt);
 *   - reaps every process that ends orphaned (they are given to it);
 *   - powers off on SIGUSR2 or SIGUSR1 and restarts on SIGTERM, which is
 *     how BusyBox's poweroff, halt and reboot (without -f) ask pid 1.
 *
 * Without /bin/sh (an image without the userland) it runs /bin/hello once
 * and reports how it ended, as the first images did. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t power_request; /* 0, or an RB_* command */

static void on_power_signal(int sig) {
  power_request = sig == SIGTERM ? RB_AUTOBOOT : RB_POWER_OFF;
}

static void run_hello(const char* self) {
  printf("init: hello from user space (pid via argv[0]=%s)\n", self);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/hello", "/bin/hello", (char*)0);
    printf("init: cannot start /bin/hello: %s\n", strerror(errno));
    _exit(127);
  }
  int st = 0;
  if (pid < 0 || waitpid(pid, &st, 0) != pid) {
    printf("init: cannot run /bin/hello: %s\n", strerror(errno));
    exit(1);
  }
  printf("init: /bin/hello exited with status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

/* The shell's process: a session led by it, the console its controlling
 * terminal and its group the foreground one; signals as a new program
 * expects them. */
static pid_t start_shell(void) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  ioctl(0, TIOCSCTTY, 0);
  tcsetpgrp(0, getpid());
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, 0);
  signal(SIGUSR1, SIG_DFL);
  signal(SIGUSR2, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTSTP, SIG_DFL);
  chdir("/");
  setenv("HOME", "/root", 1);
  setenv("SHELL", "/bin/sh", 1);
  setenv("USER", "root", 1);
  setenv("LOGNAME", "root", 1);
  setenv("TERM", "vt100", 0);
  setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
  execl("/bin/sh", "-sh", (char*)0);
  printf("init: cannot start /bin/sh: %s\n", strerror(errno));
  _exit(127);
}

int main(int argc, char** argv) {
  (void)argc;
  if (access("/bin/sh", X_OK) != 0) {
    run_hello(argv[0]);
    return 0;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_power_signal;
  sigaction(SIGUSR1, &sa, 0);
  sigaction(SIGUSR2, &sa, 0);
  sigaction(SIGTERM, &sa, 0);
  /* Typed signal characters go to the shell's groups, never to init. */
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  signal(SIGTTIN, SIG_IGN);
  signal(SIGTTOU, SIG_IGN);
  pid_t shell = -1;
  for (;;) {
    if (power_request) {
      fflush(stdout);
      reboot(power_request);
      printf("init: %s: %s\n", power_request == RB_AUTOBOOT ? "reboot" : "poweroff",
             strerror(errno));
      power_request = 0;
    }
    if (shell < 0) {
      shell = start_shell();
      if (shell < 0) {
        printf("init: fork: %s\n", strerror(errno));
        sleep(1);
        continue;
      }
    }
    int st;
    pid_t done = waitpid(-1, &st, 0);
    if (done == shell) {
      /* A getty's job: the console back to init's group, a new shell. */
      tcsetpgrp(0, getpgrp());
      shell = -1;
    } else if (done < 0 && errno == ECHILD) {
      shell = -1;
    }
  }
}
