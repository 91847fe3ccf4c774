/* proc.unix: Unix processes through procmgr: posix_spawn(p) with file
 * actions and attributes, wait4/waitpid (a given child, any, WNOHANG,
 * exit codes and signals told apart, ECHILD), getppid, kill, inherited fds
 * sharing their offset, close-on-exec, the working directory, orphans
 * adopted by init (this program, which procmgr started) and reaped.
 *
 *   unix [section] */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "unix"
#include "utest.h"

extern char** environ;
#define CHILD "/tests/unix_child"

/* Spawns CHILD with the arguments (NULL-terminated) and file actions;
 * returns the pid or -errno. */
static pid_t spawn_fa(const posix_spawn_file_actions_t* fa, const posix_spawnattr_t* at, ...) {
  char* args[8] = {CHILD};
  va_list ap;
  va_start(ap, at);
  for (int i = 1; i < 7; i++) {
    args[i] = va_arg(ap, char*);
    if (!args[i]) break;
  }
  va_end(ap);
  pid_t pid;
  int e = posix_spawn(&pid, CHILD, fa, at, args, environ);
  return e ? -e : pid;
}
#define SPAWN(...) spawn_fa(NULL, NULL, __VA_ARGS__, (char*)NULL)

/* The child's exit code, or 1000 + signal, or -errno of waitpid. */
static int reap(pid_t pid) {
  int st;
  pid_t r = waitpid(pid, &st, 0);
  if (r < 0) return -errno;
  if (r != pid) return -1000;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -2000;
}

static void test_spawn_wait(void) {
  pid_t pid = SPAWN("exit", "7");
  UT_TRUE("spawn.pid", pid > 0);
  UT_EQ("wait.exit_code", reap(pid), 7);
  UT_ERR("wait.reaped_echild", waitpid(pid, NULL, 0) < 0 ? -errno : 0, ECHILD);
  UT_EQ("wait.crash_is_sigsegv", reap(SPAWN("crash")), 1000 + SIGSEGV);
  /* WNOHANG while it runs, then the status once it has ended. */
  pid = SPAWN("sleepms", "200");
  int st;
  UT_EQ("wait.wnohang_running", waitpid(pid, &st, WNOHANG), 0);
  UT_EQ("wait.then_status", reap(pid), 5);
  /* Any child: two children, two waits, both pids seen. */
  pid_t a = SPAWN("exit", "1"), b = SPAWN("exit", "2");
  pid_t w1 = waitpid(-1, &st, 0);
  int s1 = WEXITSTATUS(st);
  pid_t w2 = waitpid(-1, &st, 0);
  int s2 = WEXITSTATUS(st);
  UT_TRUE("wait.any_both", ((w1 == a && s1 == 1 && w2 == b && s2 == 2) ||
                            (w1 == b && s1 == 2 && w2 == a && s2 == 1)));
  UT_ERR("wait.no_children_echild", waitpid(-1, NULL, 0) < 0 ? -errno : 0, ECHILD);
  UT_ERR("wait.wnohang_no_children", waitpid(-1, NULL, WNOHANG) < 0 ? -errno : 0, ECHILD);
  /* execve's errors. */
  pid_t p;
  char* args[] = {"x", NULL};
  UT_EQ("spawn.enoent", posix_spawn(&p, "/tests/none", NULL, NULL, args, environ), ENOENT);
  int fd = open("/tmp/text", O_WRONLY | O_CREAT | O_TRUNC, 0755);
  write(fd, "not a program\n", 14);
  close(fd);
  UT_EQ("spawn.enoexec", posix_spawn(&p, "/tmp/text", NULL, NULL, args, environ), ENOEXEC);
  chmod("/tmp/text", 0644);
  UT_EQ("spawn.eacces", posix_spawn(&p, "/tmp/text", NULL, NULL, args, environ), EACCES);
  unlink("/tmp/text");
  /* posix_spawnp searches PATH. */
  setenv("PATH", "/nowhere:/tests", 1);
  char* pargs[] = {"unix_child", "exit", "9", NULL};
  UT_EQ("spawnp.search", posix_spawnp(&p, "unix_child", NULL, NULL, pargs, environ), 0);
  UT_EQ("spawnp.status", reap(p), 9);
  UT_EQ("spawnp.not_found", posix_spawnp(&p, "no_such_program", NULL, NULL, pargs, environ),
        ENOENT);
}

static void test_parents(void) {
  char me[16];
  snprintf(me, sizeof me, "%d", (int)getpid());
  UT_EQ("getppid.child_sees_parent", reap(SPAWN("ppid", me)), 0);
  /* An orphan: the child exits at once, its own child lives on and is
   * adopted by init, which is this program (procmgr's program). */
  unlink("/tmp/orphan");
  UT_EQ("orphan.parent_exits", reap(SPAWN("orphan", "/tmp/orphan")), 0);
  FILE* f = fopen("/tmp/orphan", "r");
  int gpid = 0;
  if (f) {
    fscanf(f, "%d", &gpid);
    fclose(f);
  }
  UT_TRUE("orphan.pid_known", gpid > 0);
  UT_EQ("orphan.adopted_and_reaped", gpid > 0 ? reap(gpid) : -1, 5);
  unlink("/tmp/orphan");
}

static void test_kill(void) {
  pid_t pid = SPAWN("sleep");
  UT_OK("kill.signal_0_checks", kill(pid, 0));
  UT_OK("kill.sigterm", kill(pid, SIGTERM));
  UT_EQ("kill.sigterm_status", reap(pid), 1000 + SIGTERM);
  pid = SPAWN("sleep");
  UT_OK("kill.sigkill", kill(pid, SIGKILL));
  UT_EQ("kill.sigkill_status", reap(pid), 1000 + SIGKILL);
  UT_ERR("kill.gone_esrch", kill(pid, SIGKILL) < 0 ? -errno : 0, ESRCH);
  UT_ERR("kill.bad_signal", kill(getpid() + 100000, 99) < 0 ? -errno : 0, EINVAL);
}

static void test_fds(void) {
  /* An inherited fd shares the open file description: its offset. */
  int fd = open("/tmp/shared", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "ab", 2);
  char num[8];
  snprintf(num, sizeof num, "%d", fd);
  UT_EQ("fds.inherited_write", reap(SPAWN("write", num, "cd")), 0);
  UT_EQ("fds.offset_shared", lseek(fd, 0, SEEK_CUR), 4);
  write(fd, "ef", 2);
  char buf[16] = {0};
  pread(fd, buf, sizeof buf - 1, 0);
  UT_EQ("fds.contents", strcmp(buf, "abcdef"), 0);
  close(fd);
  /* An inherited directory fd works as one: openat relative to it, fchdir
   * to it. */
  int dfd = open("/tests", O_RDONLY | O_DIRECTORY);
  snprintf(num, sizeof num, "%d", dfd);
  UT_EQ("fds.inherited_dir", reap(SPAWN("dirfd", num, "unix_child", "/tests")), 0);
  close(dfd);
  /* Close-on-exec fds stay behind. */
  fd = open("/tmp/shared", O_RDONLY | O_CLOEXEC);
  snprintf(num, sizeof num, "%d", fd);
  UT_EQ("fds.cloexec_not_inherited", reap(SPAWN("nofd", num)), 0);
  close(fd);
  /* File actions: open stdout on a file, dup2, close. */
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/tmp/out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  UT_EQ("actions.open_stdout", reap(spawn_fa(&fa, NULL, "print", "to a file", (char*)NULL)), 0);
  posix_spawn_file_actions_destroy(&fa);
  memset(buf, 0, sizeof buf);
  fd = open("/tmp/out", O_RDONLY);
  read(fd, buf, sizeof buf - 1);
  close(fd);
  UT_EQ("actions.stdout_in_file", strcmp(buf, "to a file\n"), 0);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 5, "/tmp/out", O_WRONLY | O_APPEND, 0);
  posix_spawn_file_actions_adddup2(&fa, 5, 1);
  posix_spawn_file_actions_addclose(&fa, 5);
  UT_EQ("actions.dup2_close", reap(spawn_fa(&fa, NULL, "print", "more", (char*)NULL)), 0);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 5, "/tmp/out", O_RDONLY, 0);
  posix_spawn_file_actions_addclose(&fa, 5);
  UT_EQ("actions.closed_in_child", reap(spawn_fa(&fa, NULL, "nofd", "5", (char*)NULL)), 0);
  posix_spawn_file_actions_destroy(&fa);
  memset(buf, 0, sizeof buf);
  fd = open("/tmp/out", O_RDONLY);
  read(fd, buf, sizeof buf - 1);
  close(fd);
  UT_EQ("actions.appended", strcmp(buf, "to a file\nmore\n"), 0);
  unlink("/tmp/out");
  unlink("/tmp/shared");
  /* A device fd is inherited too. */
  fd = open("/dev/null", O_WRONLY);
  snprintf(num, sizeof num, "%d", fd);
  UT_EQ("fds.device_inherited", reap(SPAWN("write", num, "gone")), 0);
  close(fd);
  /* The working directory is inherited. */
  chdir("/tmp");
  UT_EQ("cwd.inherited", reap(SPAWN("cwd", "/tmp")), 0);
  chdir("/");
}

/* Many spawns: nothing is left behind (procmgr's table, its threads, the
 * kernel's processes). */
static void test_leaks(void) {
  for (int i = 0; i < 20; i++) reap(SPAWN("exit", "0"));
  long before = ut_settled_free_mem();
  for (int i = 0; i < 200; i++) reap(SPAWN("exit", "0"));
  long after = ut_settled_free_mem();
  UT_EQ("leaks.spawn_wait_200", after, before);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("spawn", test_spawn_wait);
  SECTION("parents", test_parents);
  SECTION("kill", test_kill);
  SECTION("fds", test_fds);
  SECTION("leaks", test_leaks);
  return ut_finish();
}
