/* fs.failures: file systems and their clients failing as processes fail.
 *   mount         mount(2) of a new tmpfs and of a server we started
 *   dead_server   the server under a mount is killed: calls say EIO, none
 *                 hangs, the rest of the name space works on
 *   killed_writer a client killed in the middle of big writes: the file
 *                 holds whole writes, its open file is closed (memory back)
 *   nofile        a flood of opens ends at RLIMIT_NOFILE (EMFILE), not in
 *                 the server; everything comes back after
 *
 *   failures [section]
 *   failures child writer FILE   writes 64 KiB records to FILE for ever */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "chcore/services.h"
#define UT_SUITE "failures"
#include "utest.h"

extern char** environ;
static const char* self = "/tests/failures";
#define RECORD (64 * 1024)

static int err(long r) { return r < 0 ? -errno : (int)r; }

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, 0);
}

static int reap(pid_t pid) {
  int st;
  if (pid <= 0 || waitpid(pid, &st, 0) != pid) return -1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static pid_t spawn(char* const argv[]) {
  pid_t pid;
  int e = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
  return e ? -e : pid;
}

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -errno;
  int r = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -EIO;
  close(fd);
  return r;
}

static int read_file(const char* path, char* out, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t r = read(fd, out, n - 1);
  close(fd);
  if (r < 0) return -errno;
  out[r] = 0;
  return (int)r;
}

static void test_mount(void) {
  mkdir("/tmp/mnt1", 0755);
  UT_EQ("tmpfs.mount", err(mount("none", "/tmp/mnt1", "tmpfs", 0, NULL)), 0);
  UT_EQ("tmpfs.write", write_file("/tmp/mnt1/f", "in the new tmpfs"), 0);
  char buf[64];
  UT_EQ("tmpfs.read", read_file("/tmp/mnt1/f", buf, sizeof buf), 16);
  struct stat a, b;
  stat("/tmp", &a);
  stat("/tmp/mnt1/f", &b);
  UT_TRUE("tmpfs.own_device", a.st_dev != b.st_dev);
  UT_ERR("tmpfs.cross_rename_exdev", err(rename("/tmp/mnt1/f", "/tmp/f")), EXDEV);
  UT_ERR("mount.busy", err(mount("none", "/tmp/mnt1", "tmpfs", 0, NULL)), EBUSY);
  UT_ERR("mount.no_dir", err(mount("none", "/tmp/nowhere", "tmpfs", 0, NULL)), ENOENT);
  UT_ERR("mount.not_dir", err(mount("none", "/tmp/mnt1/f", "tmpfs", 0, NULL)), ENOTDIR);
  UT_ERR("mount.unknown_type", err(mount("none", "/tmp", "ext9", 0, NULL)), ENODEV);
  UT_ERR("mount.no_such_server", err(mount("nobody-here", "/tmp", "chcore", 0, NULL)), ENODEV);
  UT_ERR("mount.bind_einval", err(mount("/tmp", "/tmp/mnt1", NULL, MS_BIND, NULL)), EINVAL);
  UT_ERR("mount.bad_pointer", err(mount("none", (char*)16, "tmpfs", 0, NULL)), EFAULT);

  /* A server we start ourselves, mounted by its registry name. */
  mkdir("/tmp/mnt2", 0755);
  char* args[] = {"/sbin/tmpfs", "failures-own", NULL};
  pid_t pid = spawn(args);
  UT_TRUE("own.spawned", pid > 0);
  long cap = chcore_service_lookup("failures-own"); /* waits until it is there */
  UT_TRUE("own.published", cap >= 0);
  UT_EQ("own.mount", err(mount("failures-own", "/tmp/mnt2", "chcore", 0, NULL)), 0);
  UT_EQ("own.write", write_file("/tmp/mnt2/g", "ours"), 0);
  UT_EQ("own.read", read_file("/tmp/mnt2/g", buf, sizeof buf), 4);
  /* A child process sees the mount too. */
  char* cat[] = {"/tests/unix_child", "print", "x", NULL};
  UT_EQ("own.child_runs", reap(spawn(cat)), 0);
}

static void test_dead_server(void) {
  mkdir("/tmp/dead", 0755);
  char* args[] = {"/sbin/tmpfs", "failures-victim", NULL};
  pid_t pid = spawn(args);
  UT_TRUE("victim.spawned", pid > 0 && chcore_service_lookup("failures-victim") >= 0);
  UT_EQ("victim.mount", err(mount("failures-victim", "/tmp/dead", "chcore", 0, NULL)), 0);
  UT_EQ("victim.write", write_file("/tmp/dead/f", "soon gone"), 0);
  int fd = open("/tmp/dead/f", O_RDWR);
  UT_TRUE("victim.open", fd >= 0);
  UT_EQ("victim.kill", err(kill(pid, SIGKILL)), 0);
  UT_EQ("victim.dead", reap(pid), 1000 + SIGKILL);
  /* Every call on it fails with EIO, at once. */
  char buf[16];
  UT_ERR("dead.read", err(read(fd, buf, sizeof buf)), EIO);
  UT_ERR("dead.write", err(write(fd, "x", 1)), EIO);
  struct stat st;
  UT_ERR("dead.fstat", err(fstat(fd, &st)), EIO);
  UT_ERR("dead.stat", err(stat("/tmp/dead/f", &st)), EIO);
  UT_ERR("dead.open", err(open("/tmp/dead/new", O_CREAT | O_WRONLY, 0644)), EIO);
  UT_ERR("dead.mkdir", err(mkdir("/tmp/dead/d", 0755)), EIO);
  UT_EQ("dead.close", err(close(fd)), 0); /* the fd goes, whatever the server */
  /* The rest of the name space is fine, for us and for a new process. */
  UT_EQ("alive.tmp", write_file("/tmp/alive", "ok"), 0);
  UT_EQ("alive.root", err(access("/tests/unix_child", X_OK)), 0);
  char* child[] = {"/tests/unix_child", "print", "alive", NULL};
  UT_EQ("alive.spawn", reap(spawn(child)), 0);
  /* A new process asking for the dead mount gets EIO too. */
  char* probe[] = {(char*)self, "child", "stat", "/tmp/dead/f", NULL};
  UT_EQ("dead.new_process_eio", reap(spawn(probe)), EIO);
}

static unsigned char pattern(long i) { return (unsigned char)(i * 13 + i / 4093); }

/* What the file system of path holds: its blocks in use and its nodes
 * (exact figures of the server's own, unlike free memory, which the
 * allocators of every process blur). */
static void fs_usage(const char* path, unsigned long* blocks, unsigned long* nodes) {
  struct statfs st;
  statfs(path, &st);
  *blocks = st.f_blocks - st.f_bfree;
  *nodes = st.f_files - st.f_ffree;
}

static void test_killed_writer(void) {
  const char* path = "/tmp/victim_file";
  unlink(path);
  unsigned long blocks0, nodes0, blocks1, nodes1;
  fs_usage("/tmp", &blocks0, &nodes0);
  char* args[] = {(char*)self, "child", "writer", (char*)path, NULL};
  pid_t pid = spawn(args);
  /* Let it write a few MiB, then kill it in the middle of a write. */
  struct stat st = {0};
  for (int i = 0; i < 6000 && (stat(path, &st) < 0 || st.st_size < 2 * RECORD * 8); i++) sleep_ms(5);
  kill(pid, SIGKILL);
  UT_EQ("writer.killed", reap(pid), 1000 + SIGKILL);
  UT_EQ("file.stat", err(stat(path, &st)), 0);
  /* Whole records only (each write is one call, which the server does
   * whole or not at all), each with the right bytes. */
  UT_TRUE("file.grew", st.st_size >= RECORD);
  UT_EQ("file.whole_records", st.st_size % RECORD, 0);
  int fd = open(path, O_RDONLY);
  static unsigned char buf[RECORD];
  long bad = 0, off = 0;
  for (ssize_t r; (r = read(fd, buf, sizeof buf)) > 0; off += r)
    for (ssize_t i = 0; i < r; i++) bad += buf[i] != pattern(off + i);
  close(fd);
  UT_EQ("file.contents", bad, 0);
  UT_EQ("file.read_all", off, (long)st.st_size);
  /* Its open file was closed with it: once the name goes, the file's node
   * and pages are gone from the server. */
  fs_usage("/tmp", &blocks1, &nodes1);
  UT_TRUE("file.held_blocks", blocks1 > blocks0);
  unlink(path);
  /* The server hears of the writer's end through its connection's close
   * upcall, which runs after the end (on the server's handler thread):
   * give it a moment. */
  for (int i = 0; i < 500; i++) {
    fs_usage("/tmp", &blocks1, &nodes1);
    if (nodes1 == nodes0 && blocks1 == blocks0) break;
    sleep_ms(10);
  }
  UT_EQ("writer.node_freed", nodes1, nodes0);
  UT_EQ("writer.blocks_freed", blocks1, blocks0);
}

static int fds[2048];

/* Opens until an error; returns how many, *e the error. */
static int flood(int* e) {
  int n = 0;
  *e = 0;
  for (;;) {
    int fd = open("/tmp/nofile", O_RDONLY);
    if (fd < 0) {
      *e = errno;
      break;
    }
    fds[n++] = fd;
    if (n == 2048) break;
  }
  return n;
}

struct flood_round {
  int n, e;      /* opens before the error, and the error */
  int served;    /* the server answered another process meanwhile (its status) */
  int low_n, low_e;
};

/* A flood up to the limit, a child served meanwhile, then a flood up to
 * a lower limit; every fd closed again. */
static void flood_round(void* arg) {
  struct flood_round* r = arg;
  char* child[] = {"/tests/unix_child", "print", "still", NULL};
  r->n = flood(&r->e);
  r->served = reap(spawn(child));
  for (int i = 0; i < r->n; i++) close(fds[i]);
  struct rlimit rl, low;
  getrlimit(RLIMIT_NOFILE, &rl);
  low = (struct rlimit){16, rl.rlim_max};
  setrlimit(RLIMIT_NOFILE, &low);
  int n = 0;
  for (int fd; (fd = open("/tmp/nofile", O_RDONLY)) >= 0;) fds[n++] = fd;
  r->low_e = errno;
  r->low_n = n;
  for (int i = 0; i < n; i++) close(fds[i]);
  setrlimit(RLIMIT_NOFILE, &rl);
}

static void test_nofile(void) {
  write_file("/tmp/nofile", "x");
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  /* A first round warms the allocators (ours, the server's, procmgr's)
   * up; the next ones are measured (ut_rounds_until_steady). */
  struct flood_round r;
  long lost = ut_rounds_until_steady("flood.memory_back", flood_round, &r, ut_settled_free_mem, 3);
  UT_EQ("flood.emfile", r.e, EMFILE);
  UT_EQ("flood.stops_at_limit", r.n, (long)rl.rlim_cur - 3);
  /* The server still serves others meanwhile. */
  UT_EQ("flood.others_served", r.served, 0);
  /* A lower limit is honoured the same way. */
  UT_EQ("low.emfile", r.low_e, EMFILE);
  UT_EQ("low.count", r.low_n, 13);
  UT_EQ("flood.memory_back", lost, 0);
  unlink("/tmp/nofile");
}

static int child(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[2], "writer") == 0) {
    int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 2;
    static unsigned char rec[RECORD];
    for (long off = 0;; off += RECORD) {
      for (long i = 0; i < RECORD; i++) rec[i] = pattern(off + i);
      if (write(fd, rec, RECORD) != RECORD) return 3;
    }
  }
  if (argc == 4 && strcmp(argv[2], "stat") == 0) {
    struct stat st;
    return stat(argv[3], &st) < 0 ? errno : 0;
  }
  return 100;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return child(argc, argv);
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("mount", test_mount);
  SECTION("dead_server", test_dead_server);
  SECTION("killed_writer", test_killed_writer);
  SECTION("nofile", test_nofile);
  return ut_finish();
}
