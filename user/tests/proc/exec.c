/* proc.exec: execve and execveat, as a program written for Linux uses
 * them: what an exec keeps (pid, parent, fds without FD_CLOEXEC, working
 * directory, signal mask), #! scripts, and every error case.
 *
 *   exec [section]        keep | script | errors | threads | spawn_script | pending |
 *                         leaks | lane
 *   exec as-new ARGS...   the program an exec starts (checks, exit status) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <chcore/ipc.h>
#include <chcore/proto/procmgr.h>
#include <chcore/services.h>
#define UT_SUITE "exec"
#include "utest.h"

extern char** environ;
#define SELF "/tests/exec"

static int reap(pid_t pid) {
  int st;
  if (waitpid(pid, &st, 0) != pid) return -errno;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -2000;
}

static int write_file(const char* path, const char* text, mode_t mode) {
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, mode);
  if (fd < 0) return -errno;
  write(fd, text, strlen(text));
  close(fd);
  return chmod(path, mode);
}

/* ---- The exec'd side ---------------------------------------------------------------- */

/* as-new pending: SIGUSR1 (sent to the process) and SIGUSR2 (to the
 * thread that exec'd) were pending and blocked in the old image: still
 * pending here, and a handler installed now gets them. */
static volatile sig_atomic_t got_pending;
static void on_pending(int sig) { got_pending |= sig == SIGUSR1 ? 1 : sig == SIGUSR2 ? 2 : 4; }
static int as_new_pending(void) {
  sigset_t p;
  sigpending(&p);
  if (!sigismember(&p, SIGUSR1)) return 1;
  if (!sigismember(&p, SIGUSR2)) return 2;
  signal(SIGUSR1, on_pending);
  signal(SIGUSR2, on_pending);
  sigset_t m;
  sigemptyset(&m);
  sigprocmask(SIG_SETMASK, &m, 0);
  return got_pending == 3 ? 0 : 10 + got_pending;
}

/* as-new keep PID PPID: what an exec keeps. Exit 0 or the failed check. */
static int as_new(int argc, char** argv) {
  if (argc >= 5 && strcmp(argv[2], "keep") == 0) {
    if (getpid() != atoi(argv[3])) return 1;
    if (getppid() != atoi(argv[4])) return 2;
    /* fd 10 was inherited, fd 11 was close-on-exec. */
    char c;
    if (pread(10, &c, 1, 0) != 1 || c != 'k') return 3;
    if (fcntl(11, F_GETFD) != -1 || errno != EBADF) return 4;
    char cwd[256];
    if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/tmp") != 0) return 5;
    sigset_t m;
    sigprocmask(SIG_BLOCK, 0, &m);
    if (!sigismember(&m, SIGUSR1) || sigismember(&m, SIGUSR2)) return 6;
    /* An ignored signal stays ignored; a handled one is back to its
     * default (the handler was in the old image). */
    struct sigaction sa;
    if (sigaction(SIGHUP, 0, &sa) != 0 || sa.sa_handler != SIG_IGN) return 8;
    if (sigaction(SIGTERM, 0, &sa) != 0 || sa.sa_handler != SIG_DFL) return 9;
    /* fd 12: a pipe end, written through to the test. */
    if (write(12, "ok", 2) != 2) return 7;
    return 0;
  }
  if (argc >= 3 && strcmp(argv[2], "status") == 0) return atoi(argv[3]);
  if (argc >= 3 && strcmp(argv[2], "envlen") == 0) {
    const char* big = getenv("BIG");
    return big ? (int)(strlen(big) / 100) : 1;
  }
  if (argc >= 3 && strcmp(argv[2], "pending") == 0) return as_new_pending();
  if (argc >= 3 && strcmp(argv[2], "unblock") == 0) {
    /* What was pending takes its (default) action now. */
    sigset_t m;
    sigemptyset(&m);
    sigprocmask(SIG_SETMASK, &m, 0);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[2], "masked") == 0) {
    sigset_t m;
    sigprocmask(SIG_BLOCK, 0, &m);
    return sigismember(&m, SIGUSR1) && !sigismember(&m, SIGUSR2) ? 0 : 1;
  }
  if (argc >= 3 && strcmp(argv[2], "sleep") == 0) {
    sleep(3);
    return 0;
  }
  return 99;
}

/* As an interpreter (#!/tests/exec ...): argv[0] is us, then the line's
 * argument, the script, the script's arguments. */
static int as_interp(int argc, char** argv) {
  if (argc == 5 && strcmp(argv[1], "interp-arg") == 0 && strcmp(argv[2], "/tmp/script1") == 0 &&
      strcmp(argv[3], "a") == 0 && strcmp(argv[4], "b c") == 0)
    return 21;
  /* The second level: a script whose interpreter is a script. */
  if (argc == 5 && strcmp(argv[1], "interp-arg") == 0 && strcmp(argv[2], "/tmp/script1") == 0 &&
      strcmp(argv[3], "/tmp/script2") == 0 && strcmp(argv[4], "x") == 0)
    return 22;
  return 98;
}

/* ---- keep --------------------------------------------------------------------------- */

static void on_term(int sig) { (void)sig; }

static void test_keep(void) {
  write_file("/tmp/keep", "k", 0644);
  int p[2];
  pipe(p);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open("/tmp/keep", O_RDONLY);
    dup2(fd, 10);
    int cl = open("/tmp/keep", O_RDONLY | O_CLOEXEC);
    dup2(cl, 11);
    fcntl(11, F_SETFD, FD_CLOEXEC);
    dup2(p[1], 12);
    chdir("/tmp");
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, 0);
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, on_term);
    char pidbuf[16], ppidbuf[16];
    snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
    snprintf(ppidbuf, sizeof ppidbuf, "%d", parent);
    char* args[] = {SELF, "as-new", "keep", pidbuf, ppidbuf, NULL};
    execve(SELF, args, environ);
    _exit(100 + errno);
  }
  close(p[1]);
  char buf[4] = {0};
  UT_EQ("keep.pipe_written", read(p[0], buf, 3), 2);
  UT_EQ("keep.checks_in_new_image", reap(pid), 0);
  close(p[0]);
  /* The exit status of the exec'd program is the process's. */
  pid = fork();
  if (pid == 0) {
    execl(SELF, SELF, "as-new", "status", "33", (char*)0);
    _exit(100);
  }
  UT_EQ("keep.status_of_new_image", reap(pid), 33);
  /* execveat relative to a directory fd, and execvp's PATH search. */
  pid = fork();
  if (pid == 0) {
    int d = open("/tests", O_RDONLY | O_DIRECTORY);
    char* args[] = {"exec", "as-new", "status", "34", NULL};
    syscall(SYS_execveat, d, "exec", args, environ, 0);
    _exit(100 + errno);
  }
  UT_EQ("keep.execveat", reap(pid), 34);
  pid = fork();
  if (pid == 0) {
    setenv("PATH", "/nonexistent:/tests", 1);
    execlp("exec", "exec", "as-new", "status", "35", (char*)0);
    _exit(100 + errno);
  }
  UT_EQ("keep.execvp_search", reap(pid), 35);
}

/* ---- script ------------------------------------------------------------------------- */

static void test_script(void) {
  UT_EQ("script.write", write_file("/tmp/script1", "#!" SELF "  interp-arg  \necho never\n", 0755), 0);
  pid_t pid = fork();
  if (pid == 0) {
    char* args[] = {"script1", "a", "b c", NULL};
    execve("/tmp/script1", args, environ);
    _exit(100 + errno);
  }
  UT_EQ("script.interpreter_runs", reap(pid), 21);
  /* A script as the interpreter of another. */
  write_file("/tmp/script2", "#!/tmp/script1\n", 0755);
  pid = fork();
  if (pid == 0) {
    execl("/tmp/script2", "script2", "x", (char*)0);
    _exit(100 + errno);
  }
  UT_EQ("script.nested", reap(pid), 22);
  /* Five levels: ELOOP. */
  write_file("/tmp/loop", "#!/tmp/loop\n", 0755);
  UT_EQ("script.loop", execl("/tmp/loop", "loop", (char*)0) < 0 ? errno : 0, ELOOP);
}

/* ---- errors: nothing changes, the caller goes on ----------------------------------- */

static void test_errors(void) {
  char* args[] = {"x", NULL};
  UT_EQ("errors.enoent", execve("/tmp/none", args, environ) < 0 ? errno : 0, ENOENT);
  write_file("/tmp/noexec", "\x7f" "ELF", 0644);
  UT_EQ("errors.eacces_mode", execve("/tmp/noexec", args, environ) < 0 ? errno : 0, EACCES);
  UT_EQ("errors.eacces_dir", execve("/tmp", args, environ) < 0 ? errno : 0, EACCES);
  write_file("/tmp/garbage", "this is not a program\n", 0755);
  UT_EQ("errors.enoexec", execve("/tmp/garbage", args, environ) < 0 ? errno : 0, ENOEXEC);
  UT_EQ("errors.efault_path", execve((char*)16, args, environ) < 0 ? errno : 0, EFAULT);
  UT_EQ("errors.efault_argv", execve(SELF, (char**)16, environ) < 0 ? errno : 0, EFAULT);
  char* bad[] = {"x", (char*)16, NULL};
  UT_EQ("errors.efault_arg", execve(SELF, bad, environ) < 0 ? errno : 0, EFAULT);
  /* 200 KiB of arguments: E2BIG. */
  size_t n = 200;
  char** big = malloc((n + 1) * sizeof *big);
  char* s = malloc(1024);
  memset(s, 'a', 1023);
  s[1023] = 0;
  for (size_t i = 0; i < n; i++) big[i] = s;
  big[n] = NULL;
  UT_EQ("errors.e2big", execve(SELF, big, environ) < 0 ? errno : 0, E2BIG);
  free(big);
  free(s);
  UT_EQ("errors.enoent_empty", execve("", args, environ) < 0 ? errno : 0, ENOENT);
  char* longpath = malloc(PATH_MAX + 1);
  memset(longpath, 'a', PATH_MAX);
  longpath[0] = '/';
  longpath[PATH_MAX] = 0;
  UT_EQ("errors.enametoolong", execve(longpath, args, environ) < 0 ? errno : 0, ENAMETOOLONG);
  free(longpath);
  /* Strings that end at the last byte before an inaccessible page are
   * read whole (ENOENT: the file is missing, the arguments were fine);
   * one that runs into that page is EFAULT. */
  char* two = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(two + 4096, 4096, PROT_NONE);
  memset(two, 'b', 4096);
  two[4095] = 0;
  char* edge[] = {"x", two + 4000, NULL};
  UT_EQ("errors.arg_at_page_end", execve("/tmp/none", edge, environ) < 0 ? errno : 0, ENOENT);
  two[4095] = 'b';
  UT_EQ("errors.efault_arg_unterminated", execve("/tmp/none", edge, environ) < 0 ? errno : 0,
        EFAULT);
  munmap(two, 8192);
  /* Still here, still working. */
  pid_t pid = fork();
  if (pid == 0) _exit(3);
  UT_EQ("errors.still_fine", reap(pid), 3);
}

/* ---- threads: the other threads end with the old image ----------------------------- */

static void* sleeper(void* arg) {
  (void)arg;
  for (;;) sleep(1);
  return 0;
}

static void test_threads(void) {
  pid_t pid = fork();
  if (pid == 0) {
    pthread_t t;
    for (int i = 0; i < 3; i++) pthread_create(&t, 0, sleeper, 0);
    execl(SELF, SELF, "as-new", "status", "36", (char*)0);
    _exit(100);
  }
  UT_EQ("threads.exec_from_threaded", reap(pid), 36);
}

/* ---- spawn_script: posix_spawn of a #! script ------------------------------------- */

static void test_spawn_script(void) {
  write_file("/tmp/script1", "#!" SELF " interp-arg\n", 0755);
  pid_t pid;
  char* args[] = {"script1", "a", "b c", NULL};
  UT_EQ("spawn_script.spawn", posix_spawn(&pid, "/tmp/script1", 0, 0, args, environ), 0);
  UT_EQ("spawn_script.status", reap(pid), 21);
}

/* ---- pending: signals sent before or during an exec reach the new image ------------ */

static void test_pending(void) {
  /* Blocked and pending (one process-directed, one thread-directed):
   * still pending after the exec, as on Linux. */
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, 0);
    kill(getpid(), SIGUSR1);
    syscall(SYS_tkill, (pid_t)syscall(SYS_gettid), SIGUSR2);
    execl(SELF, SELF, "as-new", "pending", (char*)0);
    _exit(100);
  }
  UT_EQ("pending.blocked_kept", reap(pid), 0);
  /* Caught in the old image and blocked: the handler is gone with the
   * old image, so once unblocked the default action ends the new one. */
  pid = fork();
  if (pid == 0) {
    signal(SIGTERM, on_term);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGTERM);
    sigprocmask(SIG_BLOCK, &m, 0);
    raise(SIGTERM);
    execl(SELF, SELF, "as-new", "unblock", (char*)0);
    _exit(100);
  }
  UT_EQ("pending.caught_becomes_default", reap(pid), 1000 + SIGTERM);
  /* posix_spawn without POSIX_SPAWN_SETSIGMASK: the caller's mask. */
  sigset_t m, old;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, &old);
  char* args[] = {SELF, "as-new", "masked", NULL};
  int e = posix_spawn(&pid, SELF, 0, 0, args, environ);
  sigprocmask(SIG_SETMASK, &old, 0);
  UT_EQ("pending.spawn_keeps_mask", e == 0 ? reap(pid) : -e, 0);
  /* A signal sent while the child forks, execs or runs the new image: it
   * ends the process whenever it lands (before the exec, in the middle of
   * it, or after). Lost in the middle, the child would sleep 3 s and exit
   * 0. Delays from 0 to 1.9 ms sweep the exec's window. */
  int lost_term = 0, lost_kill = 0;
  for (int i = 0; i < 40; i++) {
    int sig = i % 2 ? SIGKILL : SIGTERM;
    pid = fork();
    if (pid == 0) {
      execl(SELF, SELF, "as-new", "sleep", (char*)0);
      _exit(100);
    }
    struct timespec d = {0, (i / 2) * 100000L};
    nanosleep(&d, 0);
    kill(pid, sig);
    int r = reap(pid);
    if (r != 1000 + sig) {
      if (sig == SIGKILL) lost_kill++;
      else lost_term++;
      fprintf(stderr, "pending: signal %d after %ld ns: status %d\n", sig, d.tv_nsec, r);
    }
  }
  UT_EQ("pending.term_during_exec", lost_term, 0);
  UT_EQ("pending.kill_during_exec", lost_kill, 0);
}

/* ---- lane: a forked child's exec goes through the fork lane --------------------------
 * (chcore/proto/procmgr.h): errors as on the ordinary way, a request too big
 * for the lane's buffer goes that way, and procmgr refuses what the lane
 * does not take. */

/* In a forked child (which has no procmgr connection of its own): the
 * error cases; 0 or the first that failed. */
static int lane_errors(void) {
  char* args[] = {"x", NULL};
  if (execve("/tmp/none", args, environ) == 0 || errno != ENOENT) return 1;
  if (execve((char*)16, args, environ) == 0 || errno != EFAULT) return 2;
  char* bad[] = {"x", (char*)16, NULL};
  if (execve(SELF, bad, environ) == 0 || errno != EFAULT) return 3;
  if (execve("/tmp/garbage", args, environ) == 0 || errno != ENOEXEC) return 4;
  /* 200 KiB: too big for the lane, then for procmgr. */
  char** big = malloc(201 * sizeof *big);
  char* s = malloc(1024);
  memset(s, 'a', 1023);
  s[1023] = 0;
  for (int i = 0; i < 200; i++) big[i] = s;
  big[200] = NULL;
  if (execve(SELF, big, environ) == 0 || errno != E2BIG) return 5;
  /* Still a process procmgr knows. */
  if (getppid() <= 1) return 6;
  return 0;
}

static void test_lane(void) {
  write_file("/tmp/garbage", "this is not a program\n", 0755);
  pid_t pid = fork();
  if (pid == 0) _exit(lane_errors());
  UT_EQ("lane.errors_in_forked_child", reap(pid), 0);
  /* A request of more than the lane's buffer (3 KiB of environment). */
  pid = fork();
  if (pid == 0) {
    char* val = malloc(3001);
    memset(val, 'e', 3000);
    val[3000] = 0;
    setenv("BIG", val, 1);
    execl(SELF, SELF, "as-new", "envlen", (char*)0);
    _exit(100 + errno);
  }
  UT_EQ("lane.big_request_the_ordinary_way", reap(pid), 30);
  /* A grandchild (forked by a child that did not exec) uses the lane its
   * grandparent opened, as itself. */
  pid = fork();
  if (pid == 0) {
    pid_t g = fork();
    if (g == 0) {
      execl(SELF, SELF, "as-new", "status", "41", (char*)0);
      _exit(100 + errno);
    }
    _exit(reap(g) == 41 ? 42 : 43);
  }
  UT_EQ("lane.grandchild", reap(pid), 42);

  /* The lane itself, as a misbehaving client would use it. */
  long srv = chcore_procmgr_cap();
  struct chcore_conn lane;
  UT_EQ("lane.connect", chcore_connect_arg(srv, 4096, PROCMGR_CONNECT_FORK, &lane), 0);
  UT_EQ("lane.refuses_wait",
        chcore_ipc_call(&lane, PROCMGR_WAIT, (unsigned long)-1, 0, 0, 0, 0, NULL, NULL), -EINVAL);
  UT_EQ("lane.bad_address", chcore_ipc_call(&lane, PROCMGR_EXEC, 0, 16, 100, 0, 0, NULL, NULL),
        -EFAULT);
  UT_EQ("lane.too_long",
        chcore_ipc_call(&lane, PROCMGR_EXEC, 0, 4096, PROCMGR_LANE_MAX + 1, 0, 0, NULL, NULL),
        -E2BIG);
  char junk[64];
  memset(junk, 0xff, sizeof junk);
  long r = chcore_ipc_call(&lane, PROCMGR_EXEC, 0, (unsigned long)junk, sizeof junk, 0, 0, NULL,
                           NULL);
  UT_TRUE("lane.garbage_request_refused", r < 0);
  chcore_disconnect(&lane);
  pid = fork();
  if (pid == 0) _exit(5);
  UT_EQ("lane.still_fine", reap(pid), 5);
}

/* ---- leaks: fork + exec + wait cycles, no memory lost ------------------------------ */

static int fork_exec(const char* code) {
  pid_t pid = fork();
  if (pid == 0) {
    execl(SELF, SELF, "as-new", "status", code, (char*)0);
    _exit(100);
  }
  return reap(pid);
}

static void test_leaks(void) {
  for (int i = 0; i < 10; i++) fork_exec("0");
  long before = ut_settled_free_mem();
  int bad = 0;
  for (int i = 0; i < 100; i++) bad += fork_exec("7") != 7;
  long after = ut_settled_free_mem();
  UT_EQ("leaks.all_ok", bad, 0);
  UT_EQ("leaks.fork_exec_100", after, before);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "as-new") == 0) return as_new(argc, argv);
  if (argc > 1 && strcmp(argv[1], "interp-arg") == 0) return as_interp(argc, argv);
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("keep", test_keep);
  SECTION("script", test_script);
  SECTION("errors", test_errors);
  SECTION("threads", test_threads);
  SECTION("spawn_script", test_spawn_script);
  SECTION("pending", test_pending);
  SECTION("leaks", test_leaks);
  SECTION("lane", test_lane);
  return ut_finish();
}
