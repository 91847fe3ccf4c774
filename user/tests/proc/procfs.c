/* proc.procfs: /proc read the way ps, top, free, mount, df and uptime read
 * it, checked against what the process knows of itself.
 *
 *   procfs [section]   self | stat | status | child | gone | fds | maps | meminfo |
 *                      system | mounts | errors | malformed
 *   procfs sleeper ... (a child for the tests: waits to be killed) */
#define _GNU_SOURCE
#include <chcore/ipc.h>
#include <chcore/proto/fs.h>
#include <chcore/services.h>
#include <chcore/thread.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "procfs"
#include "utest.h"

extern char** environ;

/* n bytes at p are the literal's (NULs inside it included, its own not). */
#define SAME(p, n, lit) ((n) == sizeof(lit) - 1 && memcmp((p), (lit), sizeof(lit) - 1) == 0)

/* The whole file, read `piece` bytes at a time (NUL-terminated; its length
 * in *len), or NULL. */
static char* slurp(const char* path, size_t piece, size_t* len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char* buf = malloc(cap);
  for (;;) {
    if (n + piece + 1 > cap) buf = realloc(buf, cap = 2 * (n + piece + 1));
    ssize_t k = read(fd, buf + n, piece);
    if (k < 0) {
      free(buf);
      close(fd);
      return NULL;
    }
    if (k == 0) break;
    n += (size_t)k;
  }
  close(fd);
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

/* The value after "Key:" in a "Key:\tvalue" file (status, meminfo), or -1. */
static long field(const char* text, const char* key) {
  size_t k = strlen(key);
  for (const char* p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
    if (strncmp(p, key, k) == 0 && p[k] == ':') return strtol(p + k + 1, NULL, 10);
  }
  return -1;
}

/* /proc/<pid>/stat as ps parses it: the comm is between the first '(' and
 * the last ')'; the fields after it are split at spaces. */
struct pstat {
  int pid;
  char comm[32];
  char state;
  long f[64]; /* f[n] = field n (1-based, as proc(5) numbers them), from 4 on */
  int nfields;
};

static int parse_stat(const char* s, struct pstat* ps) {
  memset(ps, 0, sizeof *ps);
  const char* open = strchr(s, '(');
  const char* close = strrchr(s, ')');
  if (!open || !close || close < open || close - open - 1 >= (long)sizeof ps->comm) return -1;
  ps->pid = atoi(s);
  memcpy(ps->comm, open + 1, (size_t)(close - open - 1));
  if (close[1] != ' ' || !close[2]) return -1;
  ps->state = close[2];
  ps->nfields = 3;
  const char* p = close + 3;
  while (*p == ' ') {
    char* end;
    long v = strtol(p + 1, &end, 10);
    if (end == p + 1) break;
    ps->nfields++;
    if (ps->nfields < 64) ps->f[ps->nfields] = v;
    p = end;
  }
  return *p == '\n' ? 0 : -1;
}

static int read_pstat(int pid, struct pstat* ps) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  char* s = slurp(path, 4096, NULL);
  int r = s ? parse_stat(s, ps) : -1;
  free(s);
  return r;
}

static int listed_in_proc(int pid) {
  DIR* d = opendir("/proc");
  if (!d) return -1;
  char want[16];
  snprintf(want, sizeof want, "%d", pid);
  int found = 0;
  for (struct dirent* e; (e = readdir(d));)
    if (strcmp(e->d_name, want) == 0) found = e->d_type == DT_DIR ? 1 : 2;
  closedir(d);
  return found;
}

/* ---- self: the symlink and the directory ---------------------------------------------- */

static void test_self(void) {
  char link[64], want[16];
  ssize_t n = readlink("/proc/self", link, sizeof link - 1);
  snprintf(want, sizeof want, "%d", getpid());
  UT_TRUE("self.readlink_is_pid", n > 0 && (link[n] = 0, strcmp(link, want) == 0));
  struct stat st;
  UT_TRUE("self.lstat_is_link", lstat("/proc/self", &st) == 0 && S_ISLNK(st.st_mode));
  UT_TRUE("self.stat_is_dir", stat("/proc/self", &st) == 0 && S_ISDIR(st.st_mode));
  struct stat a, b;
  char mine[32];
  snprintf(mine, sizeof mine, "/proc/%d", getpid());
  UT_TRUE("self.same_as_pid_dir",
          stat("/proc/self/", &a) == 0 && stat(mine, &b) == 0 && a.st_ino == b.st_ino);
  UT_EQ("self.listed_in_proc", listed_in_proc(getpid()), 1);
  DIR* d = opendir("/proc/self");
  int seen = 0;
  for (struct dirent* e; d && (e = readdir(d));) {
    seen |= strcmp(e->d_name, "stat") == 0 ? 1 : 0;
    seen |= strcmp(e->d_name, "cmdline") == 0 ? 2 : 0;
    seen |= strcmp(e->d_name, "exe") == 0 && e->d_type == DT_LNK ? 4 : 0;
    seen |= strcmp(e->d_name, "fd") == 0 && e->d_type == DT_DIR ? 8 : 0;
  }
  if (d) closedir(d);
  UT_EQ("self.dir_entries", seen, 15);
  n = readlink("/proc/self/exe", link, sizeof link - 1);
  UT_TRUE("self.exe", n > 0 && (link[n] = 0, strcmp(link, "/tests/procfs") == 0));
  /* exe leads to the program: the same file as its path. */
  UT_TRUE("self.exe_follows", stat("/proc/self/exe", &a) == 0 && stat("/tests/procfs", &b) == 0 &&
                                  a.st_ino == b.st_ino && S_ISREG(a.st_mode));
  n = readlink("/proc/self/cwd", link, sizeof link - 1);
  UT_TRUE("self.cwd", n > 0 && link[0] == '/');
  UT_TRUE("self.cwd_is_dir", stat("/proc/self/cwd/", &a) == 0 && S_ISDIR(a.st_mode));
  /* ".." out of /proc goes on in the root file system. */
  UT_TRUE("self.dotdot_leaves",
          stat("/proc/self/../../tmp", &a) == 0 && stat("/tmp", &b) == 0 && a.st_ino == b.st_ino);
  char* cmd = slurp("/proc/self/cmdline", 4096, (size_t*)&n);
  UT_TRUE("self.cmdline", cmd && SAME(cmd, n, "/tests/procfs\0self\0"));
  free(cmd);
  char* comm = slurp("/proc/self/comm", 4096, NULL);
  UT_TRUE("self.comm", comm && strcmp(comm, "procfs\n") == 0);
  free(comm);
}

/* ---- stat: what ps reads ---------------------------------------------------------------- */

static void test_stat(void) {
  struct pstat ps;
  char* s = slurp("/proc/self/stat", 4096, NULL);
  UT_TRUE("stat.parses", s && parse_stat(s, &ps) == 0);
  free(s);
  UT_EQ("stat.52_fields", ps.nfields, 52);
  UT_EQ("stat.pid", ps.pid, getpid());
  UT_TRUE("stat.comm", strcmp(ps.comm, "procfs") == 0);
  UT_EQ("stat.state_running", ps.state, 'R');
  UT_EQ("stat.ppid", ps.f[4], getppid());
  UT_EQ("stat.pgrp", ps.f[5], getpgrp());
  UT_EQ("stat.session", ps.f[6], getsid(0));
  UT_EQ("stat.num_threads", ps.f[20], 1);
  UT_TRUE("stat.vsize", ps.f[23] > 0);
  UT_TRUE("stat.rss", ps.f[24] > 0 && ps.f[24] * 4096 <= ps.f[23]);
  UT_EQ("stat.exit_signal", ps.f[38], SIGCHLD);
  /* starttime (clock ticks since boot) is no later than now. */
  char* up = slurp("/proc/uptime", 4096, NULL);
  double uptime = up ? atof(up) : 0;
  free(up);
  UT_TRUE("stat.starttime", ps.f[22] >= 0 && ps.f[22] <= (long)(uptime * 100) + 1);
  /* The parent (the program procmgr ran, or procmgr's record of it). */
  struct pstat pp;
  if (getppid() > 0)
    UT_TRUE("stat.parent_readable", read_pstat(getppid(), &pp) == 0 && pp.pid == getppid());
}

/* ---- status: names and numbers --------------------------------------------------------- */

static int gate[2];
static void* blocked_thread(void* arg) {
  char c;
  (void)arg;
  read(gate[0], &c, 1);
  return NULL;
}

static void test_status(void) {
  char* s = slurp("/proc/self/status", 4096, NULL);
  UT_TRUE("status.read", s != NULL);
  UT_TRUE("status.name", s && strncmp(s, "Name:\tprocfs\n", 13) == 0);
  UT_TRUE("status.state", s && strstr(s, "\nState:\tR (running)\n"));
  UT_EQ("status.tgid", field(s, "Tgid"), getpid());
  UT_EQ("status.pid", field(s, "Pid"), getpid());
  UT_EQ("status.ppid", field(s, "PPid"), getppid());
  UT_EQ("status.uid", field(s, "Uid"), 0);
  UT_EQ("status.threads", field(s, "Threads"), 1);
  UT_TRUE("status.vm", field(s, "VmSize") > 0 && field(s, "VmRSS") > 0 &&
                           field(s, "VmRSS") <= field(s, "VmSize"));
  UT_TRUE("status.vm_kb", s && strstr(s, " kB\n"));
  free(s);
  /* A second thread is counted, in status and in stat. */
  pipe(gate);
  pthread_t t;
  pthread_create(&t, NULL, blocked_thread, NULL);
  s = slurp("/proc/self/status", 4096, NULL);
  UT_EQ("status.threads_two", field(s, "Threads"), 2);
  free(s);
  struct pstat ps;
  UT_TRUE("status.stat_threads_two", read_pstat(getpid(), &ps) == 0 && ps.f[20] == 2);
  write(gate[1], "x", 1);
  pthread_join(t, NULL);
}

/* ---- child: a forked child and a spawned one, seen by their parent ----------------------- */

static pid_t spawn_sleeper(char* const argv[], char* const envp[]) {
  pid_t pid;
  return posix_spawn(&pid, "/tests/procfs", NULL, NULL, argv, envp) == 0 ? pid : -1;
}

static void test_child(void) {
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1); /* until the parent is done looking */
    _exit(0);
  }
  close(p[0]);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  size_t n = 0;
  char* cmd = slurp(path, 5, &n);
  /* A forked child shows its parent's arguments. */
  UT_TRUE("child.fork_cmdline", cmd && SAME(cmd, n, "/tests/procfs\0child\0"));
  free(cmd);
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  char* s = slurp(path, 4096, NULL);
  UT_EQ("child.fork_status_pid", field(s, "Pid"), pid);
  UT_EQ("child.fork_status_ppid", field(s, "PPid"), getpid());
  UT_TRUE("child.fork_status_sleeping", s && strstr(s, "\nState:\tS (sleeping)\n"));
  free(s);
  struct pstat ps;
  UT_TRUE("child.fork_stat", read_pstat(pid, &ps) == 0 && ps.pid == pid && ps.f[4] == getpid() &&
                                 ps.f[5] == getpgrp() && ps.state == 'S');
  close(p[1]);
  waitpid(pid, NULL, 0);

  /* A spawned child: its own argv (spaces inside one argument kept) and
   * environment. */
  char* argv[] = {"/tests/procfs", "sleeper", "a b", "", "c", NULL};
  char* envp[] = {"FOO=bar", "EMPTY=", NULL};
  pid = spawn_sleeper(argv, envp);
  UT_TRUE("child.spawned", pid > 0);
  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  cmd = slurp(path, 3, &n);
  UT_TRUE("child.spawn_cmdline", cmd && SAME(cmd, n, "/tests/procfs\0sleeper\0a b\0\0c\0"));
  free(cmd);
  snprintf(path, sizeof path, "/proc/%d/environ", pid);
  cmd = slurp(path, 4096, &n);
  UT_TRUE("child.spawn_environ", cmd && SAME(cmd, n, "FOO=bar\0EMPTY=\0"));
  free(cmd);
  snprintf(path, sizeof path, "/proc/%d/exe", pid);
  char link[64];
  ssize_t k = readlink(path, link, sizeof link - 1);
  UT_TRUE("child.spawn_exe", k > 0 && (link[k] = 0, strcmp(link, "/tests/procfs") == 0));
  UT_TRUE("child.spawn_stat",
          read_pstat(pid, &ps) == 0 && ps.f[4] == getpid() && strcmp(ps.comm, "procfs") == 0);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* ---- fds: /proc/<pid>/fd/ and cwd, which the C library tells (ls -l, tty) ------------ */

/* readlink of /proc/<pid>/<what> into out (64 bytes): its length or -1. */
static ssize_t link_of(pid_t pid, const char* what, char* out) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, what);
  ssize_t n = readlink(path, out, 63);
  if (n >= 0) out[n] = 0;
  return n;
}

/* The fds /proc/<pid>/fd lists, as a bit set of fds below 256 (bit 255
 * also stands for any above, and for an entry that is not a link). */
static void listed_fds(pid_t pid, unsigned long set[4]) {
  char path[64];
  memset(set, 0, 4 * sizeof set[0]);
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  DIR* d = opendir(path);
  for (struct dirent* e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd < 0 || fd > 255 || e->d_type != DT_LNK) fd = 255;
    set[fd / 64] |= 1ul << (fd % 64);
  }
  if (d) closedir(d);
}
#define HAS(set, fd) (((set)[(fd) / 64] >> ((fd) % 64)) & 1)

static void test_fds(void) {
  char link[64];
  pid_t me = getpid();
  unsigned long set[4];
  listed_fds(me, set);
  UT_TRUE("fds.console_listed", HAS(set, 0) && HAS(set, 1) && HAS(set, 2) && !HAS(set, 255));
  UT_TRUE("fds.console_link", link_of(me, "fd/1", link) > 0 && strcmp(link, "/dev/console") == 0);
  /* ttyname reads /proc/self/fd/N and checks that the node it names is
   * the fd's: `tty` works. */
  char* tty = ttyname(0);
  UT_TRUE("fds.ttyname", tty && strcmp(tty, "/dev/console") == 0);

  mkdir("/tmp/procfs_fds", 0755);
  UT_EQ("fds.chdir", chdir("/tmp/procfs_fds"), 0);
  UT_TRUE("fds.cwd_follows_chdir",
          link_of(me, "cwd", link) > 0 && strcmp(link, "/tmp/procfs_fds") == 0);
  int f = open("file", O_RDWR | O_CREAT | O_TRUNC, 0644); /* relative: made absolute */
  write(f, "hello", 5);
  char what[32];
  snprintf(what, sizeof what, "fd/%d", f);
  UT_TRUE("fds.file_link",
          link_of(me, what, link) > 0 && strcmp(link, "/tmp/procfs_fds/file") == 0);
  /* The link leads to the file. */
  snprintf(what, sizeof what, "/proc/self/fd/%d", f);
  struct stat a, b;
  UT_TRUE("fds.file_follows", stat(what, &a) == 0 && fstat(f, &b) == 0 && a.st_ino == b.st_ino &&
                                  a.st_dev == b.st_dev);
  char* text = slurp(what, 4096, NULL);
  UT_TRUE("fds.file_opens", text && strcmp(text, "hello") == 0);
  free(text);
  /* A pipe: "pipe:[N]", which no path reaches here. */
  int p[2];
  pipe(p);
  snprintf(what, sizeof what, "fd/%d", p[0]);
  UT_TRUE("fds.pipe_link", link_of(me, what, link) > 0 && strncmp(link, "pipe:[", 6) == 0 &&
                               link[strlen(link) - 1] == ']');
  /* Far fds (past the first pieces procmgr reads) and a dup. */
  UT_EQ("fds.dup2", dup2(f, 200), 200);
  listed_fds(me, set);
  UT_TRUE("fds.listed", HAS(set, f) && HAS(set, p[0]) && HAS(set, p[1]) && HAS(set, 200));
  UT_TRUE("fds.dup_link", link_of(me, "fd/200", link) > 0 &&
                              strcmp(link, "/tmp/procfs_fds/file") == 0);
  close(200);
  listed_fds(me, set);
  UT_TRUE("fds.closed_gone", !HAS(set, 200) && lstat("/proc/self/fd/200", &a) < 0 && errno == ENOENT);

  /* A forked child: the same fds and directory. */
  int go[2];
  pipe(go);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(go[1]);
    read(go[0], &c, 1);
    _exit(0);
  }
  close(go[0]);
  snprintf(what, sizeof what, "fd/%d", f);
  UT_TRUE("fds.fork_file", link_of(pid, what, link) > 0 &&
                               strcmp(link, "/tmp/procfs_fds/file") == 0);
  UT_TRUE("fds.fork_cwd", link_of(pid, "cwd", link) > 0 && strcmp(link, "/tmp/procfs_fds") == 0);
  close(go[1]);
  waitpid(pid, NULL, 0);

  /* A spawned child: the files it inherits keep their names, the
   * close-on-exec one is not there, and it starts in our directory. */
  int hidden = open("file", O_RDONLY | O_CLOEXEC);
  char* argv[] = {"/tests/procfs", "sleeper", NULL};
  pid = spawn_sleeper(argv, environ);
  UT_TRUE("fds.spawned", pid > 0);
  /* Its library registers at start: wait until it shows its fds. */
  for (int i = 0; i < 2000; i++) {
    listed_fds(pid, set);
    if (HAS(set, f)) break;
    usleep(1000);
  }
  UT_TRUE("fds.spawn_listed", HAS(set, 0) && HAS(set, f) && HAS(set, p[0]) && !HAS(set, hidden));
  snprintf(what, sizeof what, "fd/%d", f);
  UT_TRUE("fds.spawn_file_name", link_of(pid, what, link) > 0 &&
                                     strcmp(link, "/tmp/procfs_fds/file") == 0);
  UT_TRUE("fds.spawn_cwd", link_of(pid, "cwd", link) > 0 && strcmp(link, "/tmp/procfs_fds") == 0);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  /* Once it is gone, so is its fd directory. */
  snprintf(what, sizeof what, "/proc/%d/fd", pid);
  UT_TRUE("fds.gone", opendir(what) == NULL && errno == ENOENT);

  close(hidden);
  close(p[0]);
  close(p[1]);
  close(f);
  unlink("file");
  chdir("/");
  rmdir("/tmp/procfs_fds");
}

/* ---- gone: a process that has ended and been waited for leaves /proc -------------------- */

static void test_gone(void) {
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    _exit(7);
  }
  close(p[0]);
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  UT_EQ("gone.listed_while_alive", listed_in_proc(pid), 1);
  /* A file opened while it lived keeps its snapshot. */
  int fd = open(path, O_RDONLY);
  UT_TRUE("gone.open_while_alive", fd >= 0);
  close(p[1]);
  int st;
  UT_EQ("gone.reaped", waitpid(pid, &st, 0), pid);
  UT_TRUE("gone.status", WIFEXITED(st) && WEXITSTATUS(st) == 7);
  struct stat sb;
  snprintf(path, sizeof path, "/proc/%d", pid);
  UT_TRUE("gone.dir_gone", stat(path, &sb) < 0 && errno == ENOENT);
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  UT_TRUE("gone.stat_gone", open(path, O_RDONLY) < 0 && errno == ENOENT);
  UT_EQ("gone.not_listed", listed_in_proc(pid), 0);
  char buf[4096];
  ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
  if (n >= 0) buf[n] = 0;
  UT_TRUE("gone.old_snapshot_readable", n > 0 && field(buf, "Pid") == pid);
  close(fd);
}

/* ---- maps: the address space's regions --------------------------------------------------- */

struct region {
  unsigned long start, end, off;
  char perms[5];
};

static int read_maps(struct region* v, int max) {
  char* s = slurp("/proc/self/maps", 100, NULL);
  if (!s) printf("maps: cannot read /proc/self/maps: %s\n", strerror(errno));
  int n = 0;
  for (char* line = s; line && *line && n < max;) {
    unsigned dmaj, dmin;
    unsigned long ino;
    if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &v[n].start, &v[n].end, v[n].perms, &v[n].off,
               &dmaj, &dmin, &ino) != 7) {
      /* What did not parse, for the report. */
      char* nl = strchr(line, '\n');
      printf("maps: line %d does not parse: %.*s\n", n + 1, nl ? (int)(nl - line) : 80, line);
      n = -1;
      break;
    }
    n++;
    char* nl = strchr(line, '\n');
    line = nl ? nl + 1 : NULL;
  }
  free(s);
  return n;
}

static int find_region(struct region* v, int n, unsigned long a) {
  for (int i = 0; i < n; i++)
    if (v[i].start <= a && a < v[i].end) return i;
  return -1;
}

static void test_maps(void) {
  static struct region v[512];
  int n = read_maps(v, 512);
  UT_TRUE("maps.parses", n > 2);
  int ordered = 1;
  for (int i = 1; i < n; i++) ordered &= v[i - 1].end <= v[i].start && v[i].start < v[i].end;
  UT_TRUE("maps.ordered", ordered);
  int t = find_region(v, n, (unsigned long)test_maps), local;
  UT_TRUE("maps.text_executable",
          t >= 0 && v[t].perms[0] == 'r' && v[t].perms[2] == 'x' && v[t].perms[1] == '-');
  int s = find_region(v, n, (unsigned long)&local);
  UT_TRUE("maps.stack_writable", s >= 0 && strncmp(v[s].perms, "rw-p", 4) == 0);
  char* m = mmap(NULL, 5 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  n = read_maps(v, 512);
  int r = find_region(v, n, (unsigned long)m);
  UT_TRUE("maps.mmap_shown", r >= 0 && v[r].start == (unsigned long)m &&
                                 v[r].end == (unsigned long)m + 5 * 4096 &&
                                 strcmp(v[r].perms, "r--p") == 0);
  mprotect(m + 4096, 4096, PROT_READ | PROT_WRITE);
  n = read_maps(v, 512);
  r = find_region(v, n, (unsigned long)m + 4096);
  UT_TRUE("maps.mprotect_splits", r >= 0 && v[r].start == (unsigned long)m + 4096 &&
                                      v[r].end == (unsigned long)m + 2 * 4096 &&
                                      strcmp(v[r].perms, "rw-p") == 0);
  char* sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  munmap(m, 5 * 4096);
  n = read_maps(v, 512);
  UT_TRUE("maps.munmap_gone", find_region(v, n, (unsigned long)m) < 0 &&
                                  find_region(v, n, (unsigned long)m + 4 * 4096) < 0);
  r = find_region(v, n, (unsigned long)sh);
  UT_TRUE("maps.shared_marked", r >= 0 && v[r].perms[3] == 's');
  munmap(sh, 4096);
}

/* ---- meminfo: what free reads ------------------------------------------------------------ */

static void test_meminfo(void) {
  char* s = slurp("/proc/meminfo", 4096, NULL);
  long total = field(s, "MemTotal"), mfree = field(s, "MemFree");
  UT_TRUE("meminfo.total", total > 0);
  UT_TRUE("meminfo.free", mfree > 0 && mfree < total);
  UT_TRUE("meminfo.available", field(s, "MemAvailable") >= mfree);
  UT_EQ("meminfo.buffers", field(s, "Buffers"), 0);
  UT_EQ("meminfo.cached", field(s, "Cached"), 0);
  UT_EQ("meminfo.swap_total", field(s, "SwapTotal"), 0);
  UT_EQ("meminfo.swap_free", field(s, "SwapFree"), 0);
  UT_TRUE("meminfo.format",
          s && strncmp(s, "MemTotal:       ", 16) == 0 && strchr(s, '\n') - s == 27);
  UT_TRUE("meminfo.matches_kernel", labs(mfree * 1024 - ut_settled_free_mem()) < 4 << 20);
  free(s);
  /* 8 MiB allocated and touched: MemFree drops by that much, and comes
   * back when they are freed. */
  long before = field(s = slurp("/proc/meminfo", 4096, NULL), "MemFree");
  free(s);
  size_t len = 8 << 20;
  char* m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (size_t i = 0; i < len; i += 4096) m[i] = 1;
  long during = field(s = slurp("/proc/meminfo", 4096, NULL), "MemFree");
  free(s);
  s = slurp("/proc/self/status", 4096, NULL);
  long rss = field(s, "VmRSS");
  free(s);
  munmap(m, len);
  ut_settled_free_mem();
  long after = field(s = slurp("/proc/meminfo", 4096, NULL), "MemFree");
  free(s);
  char why[128];
  snprintf(why, sizeof why, "MemFree %ld -> %ld -> %ld kB", before, during, after);
  ut_report("meminfo.free_drops_by_8m", before - during >= 8 * 1024 && before - during < 10 * 1024,
            why);
  ut_report("meminfo.free_comes_back", after - during >= 8 * 1024, why);
  UT_TRUE("meminfo.rss_counts_8m", rss >= 8 * 1024);
  /* sysinfo tells the same as /proc/meminfo (what free reads). */
  struct sysinfo si;
  UT_EQ("sysinfo.ok", sysinfo(&si), 0);
  s = slurp("/proc/meminfo", 4096, NULL);
  UT_EQ("sysinfo.totalram_is_memtotal", (long)(si.totalram * si.mem_unit / 1024), field(s, "MemTotal"));
  UT_TRUE("sysinfo.freeram_near_memfree",
          labs((long)(si.freeram * si.mem_unit / 1024) - field(s, "MemFree")) < 4096);
  free(s);
  UT_TRUE("sysinfo.procs", si.procs >= 2);
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  UT_TRUE("sysinfo.uptime", labs((long)si.uptime - (long)ts.tv_sec) <= 1);
  UT_ERR("sysinfo.efault", sysinfo((struct sysinfo*)16) < 0 ? -errno : 0, EFAULT);
}

/* ---- system: cpuinfo, stat, uptime, loadavg, version ---------------------------------------- */

static void test_system(void) {
  char* s = slurp("/proc/cpuinfo", 7, NULL);
  int cpus = 0, bogo = 0, feat = 0, impl = 0;
  for (char* p = s; p && (p = strstr(p, "processor\t: ")); p++) cpus++;
  for (char* p = s; p && (p = strstr(p, "\nBogoMIPS\t: ")); p++) bogo++;
  for (char* p = s; p && (p = strstr(p, "\nFeatures\t: fp asimd")); p++) feat++;
  for (char* p = s; p && (p = strstr(p, "\nCPU implementer\t: 0x41\n")); p++) impl++;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  UT_EQ("system.cpuinfo_blocks", cpus, online);
  UT_TRUE("system.cpuinfo_fields", bogo == cpus && feat == cpus && impl == cpus &&
                                       strstr(s, "CPU architecture: 8\n") &&
                                       strstr(s, "\nCPU part\t: 0xd0"));
  /* Read in 7-byte pieces or at once: the same text. */
  char* again = slurp("/proc/cpuinfo", 65536, NULL);
  UT_TRUE("system.cpuinfo_pieces_consistent", s && again && strcmp(s, again) == 0);
  free(s);
  free(again);

  s = slurp("/proc/uptime", 4096, NULL);
  unsigned long up_s = 0, up_c, idle_s, idle_c;
  UT_TRUE("system.uptime_format",
          s && sscanf(s, "%lu.%2lu %lu.%2lu\n", &up_s, &up_c, &idle_s, &idle_c) == 4);
  free(s);
  struct timespec mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  UT_TRUE("system.uptime_is_monotonic_clock", up_s <= (unsigned long)mono.tv_sec);

  s = slurp("/proc/stat", 4096, NULL);
  unsigned long v[10];
  UT_TRUE("system.stat_cpu_line",
          s && sscanf(s, "cpu  %lu %lu %lu %lu %lu %lu %lu %lu %lu %lu\n", &v[0], &v[1], &v[2],
                      &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) == 10);
  int percpu = 0;
  for (char* p = s; p && (p = strstr(p, "\ncpu")); p++) percpu++;
  UT_EQ("system.stat_per_cpu", percpu, online);
  char* bt = s ? strstr(s, "\nbtime ") : NULL;
  long btime = bt ? atol(bt + 7) : 0;
  UT_TRUE("system.stat_btime",
          btime >= 0 && btime <= time(NULL) && btime >= time(NULL) - (long)up_s - 2);
  UT_TRUE("system.stat_counts", s && strstr(s, "\nprocesses ") && strstr(s, "\nprocs_running "));
  free(s);

  s = slurp("/proc/loadavg", 4096, NULL);
  double l1, l5, l15;
  int run, total, last;
  UT_TRUE("system.loadavg",
          s && sscanf(s, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &run, &total, &last) == 6 &&
              total >= 2 && last >= getpid());
  free(s);

  struct utsname u;
  uname(&u);
  s = slurp("/proc/version", 4096, NULL);
  char want[128];
  snprintf(want, sizeof want, "%s version %s ", u.sysname, u.release);
  UT_TRUE("system.version", s && strncmp(s, want, strlen(want)) == 0);
  free(s);
  s = slurp("/proc/sys/kernel/hostname", 4096, NULL);
  snprintf(want, sizeof want, "%s\n", u.nodename);
  UT_TRUE("system.hostname", s && strcmp(s, want) == 0);
  free(s);
  s = slurp("/proc/filesystems", 4096, NULL);
  UT_TRUE("system.filesystems", s && strstr(s, "nodev\tproc\n") && strstr(s, "nodev\ttmpfs\n"));
  free(s);
}

/* ---- mounts: what mount and df read ------------------------------------------------------ */

static void test_mounts(void) {
  FILE* f = setmntent("/proc/mounts", "r");
  UT_TRUE("mounts.open", f != NULL);
  int root = 0, tmp = 0, proc = 0, dev = 0;
  for (struct mntent* e; f && (e = getmntent(f));) {
    root |= strcmp(e->mnt_dir, "/") == 0 && strcmp(e->mnt_type, "tmpfs") == 0 &&
            strcmp(e->mnt_opts, "rw") == 0;
    tmp |= strcmp(e->mnt_dir, "/tmp") == 0 && strcmp(e->mnt_type, "tmpfs") == 0;
    proc |= strcmp(e->mnt_dir, "/proc") == 0 && strcmp(e->mnt_type, "proc") == 0 &&
            strcmp(e->mnt_fsname, "proc") == 0;
    dev |= strcmp(e->mnt_dir, "/dev") == 0;
  }
  if (f) endmntent(f);
  UT_TRUE("mounts.root", root);
  UT_TRUE("mounts.tmp", tmp);
  UT_TRUE("mounts.proc", proc);
  UT_TRUE("mounts.dev", dev);
  char* s = slurp("/proc/mounts", 4096, NULL);
  UT_TRUE("mounts.first_line", s && strncmp(s, "tmpfs / tmpfs rw 0 0\n", 21) == 0);
  free(s);
  char* self = slurp("/proc/self/mounts", 4096, NULL);
  s = slurp("/proc/mounts", 4096, NULL);
  UT_TRUE("mounts.self_mounts", s && self && strcmp(s, self) == 0);
  free(s);
  free(self);
  /* What df asks of each: statfs. */
  struct statfs sf;
  UT_TRUE("mounts.statfs_proc", statfs("/proc", &sf) == 0 && sf.f_type == 0x9fa0);
  UT_TRUE("mounts.statfs_tmp", statfs("/tmp", &sf) == 0 && sf.f_type == 0x01021994);
}

/* ---- errors: read-only, bad names, bad offsets, shared descriptions ----------------------- */

static void test_errors(void) {
  UT_TRUE("errors.write_open", open("/proc/meminfo", O_WRONLY) < 0 && errno == EACCES);
  UT_TRUE("errors.rdwr_open", open("/proc/self/stat", O_RDWR) < 0 && errno == EACCES);
  UT_TRUE("errors.create", open("/proc/newfile", O_CREAT | O_WRONLY, 0644) < 0 && errno == EACCES);
  UT_TRUE("errors.mkdir", mkdir("/proc/newdir", 0755) < 0 && errno == EPERM);
  UT_TRUE("errors.mkdir_existing", mkdir("/proc/sys", 0755) < 0 && errno == EEXIST);
  UT_TRUE("errors.unlink", unlink("/proc/meminfo") < 0 && errno == EPERM);
  UT_TRUE("errors.rmdir", rmdir("/proc/sys") < 0 && errno == EPERM);
  UT_TRUE("errors.rename", rename("/proc/meminfo", "/proc/x") < 0 && errno == EPERM);
  UT_TRUE("errors.chmod", chmod("/proc/meminfo", 0666) < 0 && errno == EPERM);
  UT_TRUE("errors.no_pid", open("/proc/999999/stat", O_RDONLY) < 0 && errno == ENOENT);
  UT_TRUE("errors.no_name", open("/proc/self/nothing", O_RDONLY) < 0 && errno == ENOENT);
  UT_TRUE("errors.leading_zero", open("/proc/01/stat", O_RDONLY) < 0 && errno == ENOENT);
  UT_TRUE("errors.file_as_dir", open("/proc/meminfo/", O_RDONLY) < 0 && errno == ENOTDIR);
  UT_TRUE("errors.dir_for_write", open("/proc/sys", O_WRONLY) < 0 && errno == EISDIR);
  UT_TRUE("errors.not_a_dir", open("/proc/uptime", O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR);
  char buf[64];
  UT_TRUE("errors.readlink_file",
          readlink("/proc/meminfo", buf, sizeof buf) < 0 && errno == EINVAL);
  UT_TRUE("errors.access_write", access("/proc/meminfo", W_OK) < 0 && errno == EACCES);
  UT_EQ("errors.access_read", access("/proc/meminfo", R_OK), 0);
  int fd = open("/proc/version", O_RDONLY);
  UT_TRUE("errors.write_fd", write(fd, "x", 1) < 0 && errno == EBADF);
  UT_EQ("errors.pread_huge_offset", pread(fd, buf, sizeof buf, (off_t)1 << 62), 0);
  UT_EQ("errors.lseek_end", lseek(fd, 0, SEEK_END) > 0, 1);
  UT_EQ("errors.read_at_end", read(fd, buf, sizeof buf), 0);
  UT_TRUE("errors.lseek_negative", lseek(fd, -1, SEEK_SET) < 0 && errno == EINVAL);
  /* The snapshot stays: rewound, the same text. */
  lseek(fd, 0, SEEK_SET);
  char a[256] = {0}, b[256] = {0};
  read(fd, a, sizeof a - 1);
  lseek(fd, 0, SEEK_SET);
  read(fd, b, sizeof b - 1);
  UT_TRUE("errors.rewind_same", a[0] && strcmp(a, b) == 0);
  /* A forked child shares the description and its offset. */
  lseek(fd, 0, SEEK_SET);
  pid_t pid = fork();
  if (pid == 0) _exit(read(fd, buf, 5) == 5 ? 0 : 1);
  int st;
  waitpid(pid, &st, 0);
  UT_TRUE("errors.fork_shares_offset",
          WIFEXITED(st) && WEXITSTATUS(st) == 0 && lseek(fd, 0, SEEK_CUR) == 5);
  close(fd);
  DIR* d = opendir("/proc/self/fd");
  UT_TRUE("errors.fd_dir_opens", d != NULL);
  if (d) closedir(d);
  /* The whole root listing: files, self, sys, and pids as directories. */
  d = opendir("/proc");
  int seen = 0;
  for (struct dirent* e; d && (e = readdir(d));) {
    seen |= strcmp(e->d_name, "meminfo") == 0 && e->d_type == DT_REG ? 1 : 0;
    seen |= strcmp(e->d_name, "self") == 0 && e->d_type == DT_LNK ? 2 : 0;
    seen |= strcmp(e->d_name, "sys") == 0 && e->d_type == DT_DIR ? 4 : 0;
  }
  if (d) closedir(d);
  UT_EQ("errors.root_listing", seen, 7);
}

/* ---- malformed: requests no C library sends, straight to the server ---------------------- */

/* One request on connection c: fs_req q, then `path` (if any) at its end.
 * Returns the server's answer. */
static long raw(struct chcore_conn* c, unsigned op, struct fs_req q, const char* path,
                size_t len_override, struct chcore_ipc_result* out) {
  size_t len = sizeof q;
  if (path) {
    q.path = sizeof q;
    memcpy((char*)c->buf + sizeof q, path, strlen(path) + 1);
    len += strlen(path) + 1;
  }
  memcpy(c->buf, &q, sizeof q);
  return chcore_ipc_call(c, op, 0, 0, 0, len_override ? len_override : len, 0, NULL, out);
}

static struct fs_req req(int handle) {
  struct fs_req q;
  memset(&q, 0, sizeof q);
  q.handle = handle;
  return q;
}

static void test_malformed(void) {
  long cap = chcore_service_lookup("procfs");
  struct chcore_conn c;
  if (!UT_TRUE("malformed.connect", cap >= 0 && chcore_connect(cap, 4096, &c) == 0)) return;
  struct fs_req q = req(-1);
  UT_EQ("malformed.short_request", raw(&c, FS_STAT, q, NULL, 8, NULL), -EINVAL);
  UT_EQ("malformed.unknown_op", raw(&c, 999, q, NULL, 0, NULL), -ENOSYS);
  UT_EQ("malformed.op_zero", raw(&c, 0, q, NULL, 0, NULL), -ENOSYS);
  UT_EQ("malformed.no_path", raw(&c, FS_OPEN, q, NULL, 0, NULL), -EFAULT);
  q.path = 4000; /* past the request */
  UT_EQ("malformed.path_outside", raw(&c, FS_STAT, q, NULL, 0, NULL), -EFAULT);
  /* A path without its NUL inside the request. */
  q = req(-1);
  q.path = sizeof q;
  memcpy(c.buf, &q, sizeof q);
  memcpy((char*)c.buf + sizeof q, "meminfo", 7);
  UT_EQ("malformed.path_unterminated",
        chcore_ipc_call(&c, FS_OPEN, 0, 0, 0, sizeof q + 7, 0, NULL, NULL), -EFAULT);
  static const int bad[] = {-1, 256, 1 << 30, -2147483647 - 1};
  int all = 1;
  for (int i = 0; i < 4; i++) {
    all &= raw(&c, FS_READ, req(bad[i]), NULL, 0, NULL) == -EBADF;
    all &= raw(&c, FS_CLOSE, req(bad[i]), NULL, 0, NULL) == -EBADF;
    all &= raw(&c, FS_LSEEK, req(bad[i]), NULL, 0, NULL) == -EBADF;
    all &= raw(&c, FS_EXPORT, req(bad[i]), NULL, 0, NULL) == -EBADF;
  }
  UT_TRUE("malformed.bad_handles", all);
  struct fs_req imp = req(-1);
  all = 1;
  static const long tokens[] = {0, 1, 12345, -1, 65};
  for (int i = 0; i < 5; i++) {
    imp.off = tokens[i];
    all &= raw(&c, FS_IMPORT, imp, NULL, 0, NULL) == -EBADF;
  }
  UT_TRUE("malformed.bad_tokens", all);
  long h = raw(&c, FS_OPEN, req(-1), "uptime", 0, NULL);
  UT_TRUE("malformed.open", h >= 0);
  q = req((int)h);
  q.off = -1;
  q.len = 1ul << 62; /* more than the buffer */
  long n = raw(&c, FS_READ, q, NULL, 0, NULL);
  UT_TRUE("malformed.huge_len", n > 0 && n < 64);
  q.off = (int64_t)1 << 62;
  UT_EQ("malformed.huge_offset", raw(&c, FS_READ, q, NULL, 0, NULL), 0);
  q.off = -5;
  UT_EQ("malformed.negative_offset", raw(&c, FS_READ, q, NULL, 0, NULL), -EINVAL);
  q = req((int)h);
  q.flags = 7; /* no such whence */
  UT_EQ("malformed.bad_whence", raw(&c, FS_LSEEK, q, NULL, 0, NULL), -EINVAL);
  q.flags = 1; /* SEEK_CUR past INT64_MAX */
  q.off = 0x7fffffffffffffffl;
  UT_EQ("malformed.seek_overflow", raw(&c, FS_LSEEK, q, NULL, 0, NULL), -EINVAL);
  q = req((int)h);
  q.len = 1 << 20;
  UT_EQ("malformed.getdents_on_file", raw(&c, FS_GETDENTS, q, NULL, 0, NULL), -ENOTDIR);
  UT_EQ("malformed.write", raw(&c, FS_WRITE, req((int)h), NULL, 0, NULL), -EBADF);
  UT_EQ("malformed.mmap", raw(&c, FS_MMAP, req((int)h), NULL, 0, NULL), -ENODEV);
  UT_EQ("malformed.set_mountpoint", raw(&c, FS_SET_MOUNTPOINT, req(-1), "sys", 0, NULL), -EINVAL);
  UT_EQ("malformed.close", raw(&c, FS_CLOSE, req((int)h), NULL, 0, NULL), 0);
  UT_EQ("malformed.close_twice", raw(&c, FS_CLOSE, req((int)h), NULL, 0, NULL), -EBADF);
  long d = raw(&c, FS_OPEN, req(-1), "/", 0, NULL);
  q = req((int)d);
  q.len = 10; /* smaller than one entry */
  UT_EQ("malformed.getdents_tiny", raw(&c, FS_GETDENTS, q, NULL, 0, NULL), -EINVAL);
  /* Handles run out (-EMFILE), then all close. */
  long hs[300];
  int got = 0, emfile = 0;
  for (int i = 0; i < 300; i++) {
    hs[i] = raw(&c, FS_OPEN, req(-1), "version", 0, NULL);
    if (hs[i] >= 0) got++;
    if (hs[i] == -EMFILE) emfile++;
  }
  UT_TRUE("malformed.handles_run_out", got > 0 && got < 300 && emfile == 300 - got);
  all = 1;
  for (int i = 0; i < 300; i++)
    if (hs[i] >= 0) all &= raw(&c, FS_CLOSE, req((int)hs[i]), NULL, 0, NULL) == 0;
  UT_TRUE("malformed.handles_close", all);
  /* A path of PATH_MAX and one of deep "self" loops. */
  static char longp[CHCORE_FS_PATH_MAX + 8];
  memset(longp, 'a', sizeof longp - 1);
  q = req(-1);
  q.path = sizeof q;
  memcpy(c.buf, &q, sizeof q);
  size_t room = c.buf_size - sizeof q - 1;
  memcpy((char*)c.buf + sizeof q, longp, room);
  ((char*)c.buf)[sizeof q + room] = 0;
  long r = chcore_ipc_call(&c, FS_STAT, 0, 0, 0, c.buf_size, 0, NULL, NULL);
  UT_TRUE("malformed.long_name", r == -ENAMETOOLONG || r == -ENOENT);
  q = req(-1);
  q.nlinks = CHCORE_FS_SYMLOOP_MAX;
  UT_EQ("malformed.symlink_budget_spent", raw(&c, FS_STAT, q, "self/stat", 0, NULL), -ELOOP);
  chcore_disconnect(&c);
  chcore_cap_release(cap);
  /* A client that ends with files open: they go with its connection. */
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 20; i++) open(i % 2 ? "/proc/self/status" : "/proc", O_RDONLY);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  /* Opening and reading costs no memory for good. The servers' heaps and
   * the kernel's caches move by a few pages as they grow and shrink, so
   * after a warm-up 2,000 rounds may leave free memory up to 64 KiB lower:
   * less than 32 bytes a round, where a description (with its text) or a
   * connection kept would cost hundreds of bytes or pages each. */
  for (int i = 0; i < 500; i++) free(slurp(i % 2 ? "/proc/self/stat" : "/proc/mounts", 4096, NULL));
  long before = ut_settled_free_mem();
  for (int i = 0; i < 2000; i++)
    free(slurp(i % 2 ? "/proc/self/stat" : "/proc/mounts", 4096, NULL));
  long after = ut_settled_free_mem();
  char why[128];
  snprintf(why, sizeof why, "%ld bytes lost (free %ld before, %ld after)", before - after, before,
           after);
  ut_report("malformed.no_leak", before - after < 64 * 1024, why);
  /* And the server still serves. */
  char* s = slurp("/proc/uptime", 4096, NULL);
  UT_TRUE("malformed.still_serving", s && strchr(s, '.'));
  free(s);
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  if (strcmp(only, "sleeper") == 0) {
    for (;;) sleep(100);
  }
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("self", test_self);
  SECTION("stat", test_stat);
  SECTION("status", test_status);
  SECTION("child", test_child);
  SECTION("gone", test_gone);
  SECTION("fds", test_fds);
  SECTION("maps", test_maps);
  SECTION("meminfo", test_meminfo);
  SECTION("system", test_system);
  SECTION("mounts", test_mounts);
  SECTION("errors", test_errors);
  SECTION("malformed", test_malformed);
  return ut_finish();
}
