/* fs.mmap: memory mappings of tmpfs files, shm_open and sem_open.
 *
 * MAP_SHARED mappings are the file's shared memory (FS_MMAP, docs/mmap.md):
 * a store through one is seen by read() in another process and a write()
 * is seen in the mapping; MAP_PRIVATE mappings are private copies. The
 * other process is this program again, started with "child MODE ...":
 *
 *   mmap [section]                 sections: read shared private unmap errors
 *                                  truncate shm sem futex leaks
 *   mmap child MODE args...        the child's side (exit 0: as expected) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#define UT_SUITE "mmap"
#include "utest.h"

extern char** environ;
#define SELF "/tests/mmap"
#define PG 4096
#define FUTEX_WAIT 0 /* Linux's, without the private flag: shared memory */
#define FUTEX_WAKE 1

static pid_t spawn_child(const char* mode, const char* a1, const char* a2) {
  char* args[] = {SELF, "child", (char*)mode, (char*)a1, (char*)a2, NULL};
  if (!a1)
    args[3] = NULL;
  else if (!a2)
    args[4] = NULL;
  pid_t pid;
  int e = posix_spawn(&pid, SELF, NULL, NULL, args, environ);
  return e ? -e : pid;
}

/* The child's exit code, or 1000 + signal, or -errno of waitpid. */
static int reap(pid_t pid) {
  int st;
  if (pid < 0) return pid;
  pid_t r = waitpid(pid, &st, 0);
  if (r < 0) return -errno;
  if (r != pid) return -1000;
  return WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 1000 + WTERMSIG(st) : -2000;
}

static int run_child(const char* mode, const char* a1, const char* a2) {
  return reap(spawn_child(mode, a1, a2));
}

static void sleep_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&t, NULL);
}

/* A file with `size` bytes: byte i is 'a' + i % 26. */
static int make_file(const char* path, size_t size) {
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) return -errno;
  char buf[PG];
  for (size_t done = 0; done < size;) {
    size_t n = size - done < sizeof buf ? size - done : sizeof buf;
    for (size_t i = 0; i < n; i++) buf[i] = (char)('a' + (done + i) % 26);
    if (write(fd, buf, n) != (ssize_t)n) {
      close(fd);
      return -EIO;
    }
    done += n;
  }
  return fd;
}

static int pattern_ok(const char* p, size_t off, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (char)('a' + (off + i) % 26)) return 0;
  return 1;
}

static int all_zero(const char* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}

/* ---- The child's side ------------------------------------------------------ */

static int child(int argc, char** argv) {
  const char* mode = argv[2];
  const char* a1 = argc > 3 ? argv[3] : "";
  const char* a2 = argc > 4 ? argv[4] : "";
  if (strcmp(mode, "pread") == 0) { /* the file starts with a2 */
    int fd = open(a1, O_RDONLY);
    char buf[64] = {0};
    size_t n = strlen(a2);
    return fd >= 0 && pread(fd, buf, n, 0) == (ssize_t)n && memcmp(buf, a2, n) == 0 ? 0 : 1;
  }
  if (strcmp(mode, "mapwrite") == 0) { /* a2 stored at 0 through a shared mapping */
    int fd = open(a1, O_RDWR);
    char* p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 2;
    memcpy(p, a2, strlen(a2));
    return munmap(p, PG) == 0 ? 0 : 3;
  }
  if (strcmp(mode, "mapread") == 0) { /* a shared read-only mapping starts with a2 */
    int fd = open(a1, O_RDONLY);
    char* p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 2;
    return memcmp(p, a2, strlen(a2)) == 0 ? 0 : 1;
  }
  if (strcmp(mode, "touch_unmapped") == 0) {
    /* Three pages of the file, the middle one unmapped: the others stay,
     * a touch of it kills us (SIGSEGV is the expected end). */
    int fd = open(a1, O_RDWR);
    char* p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 2;
    if (munmap(p + PG, PG) != 0) return 3;
    if (!pattern_ok(p, 0, PG) || !pattern_ok(p + 2 * PG, 2 * PG, PG)) return 4;
    *(volatile char*)(p + PG) = 1;
    return 5;
  }
  if (strcmp(mode, "touch_unmapped_anon") == 0) {
    char* p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 2;
    p[0] = 1;
    munmap(p, PG);
    return *(volatile char*)p + 5;
  }
  if (strcmp(mode, "shm") == 0) { /* shm a1 holds a2; then "child" at 100 */
    int fd = shm_open(a1, O_RDWR, 0);
    if (fd < 0) return 2;
    char* p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 3;
    if (memcmp(p, a2, strlen(a2)) != 0) return 4;
    memcpy(p + 100, "child", 5);
    return 0;
  }
  if (strcmp(mode, "sem") == 0) { /* waits on a1, then posts a2 */
    sem_t* s1 = sem_open(a1, 0);
    sem_t* s2 = sem_open(a2, 0);
    if (s1 == SEM_FAILED || s2 == SEM_FAILED) return 2;
    if (sem_wait(s1) != 0) return 3;
    return sem_post(s2) == 0 ? 0 : 4;
  }
  if (strcmp(mode, "futex") == 0) { /* FUTEX_WAIT on word 0 of the file until it is set */
    int fd = open(a1, O_RDWR);
    /* A page first, so that the word is at another address than the
     * parent's (the key must not be the address). */
    mmap(NULL, 5 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile int* w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED) return 2;
    for (int i = 0; i < 1000 && *w == 0; i++) syscall(SYS_futex, w, FUTEX_WAIT, 0, NULL, NULL, 0);
    return *w == 1 ? 0 : 3;
  }
  return 100;
}

/* ---- Sections ------------------------------------------------------------------ */

static void test_read(void) {
  int fd = make_file("/tmp/mm_read", 3 * PG + 100);
  UT_TRUE("read.file", fd >= 0);
  char* s = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
  UT_TRUE("read.shared_mapped", s != MAP_FAILED);
  UT_TRUE("read.shared_contents", s != MAP_FAILED && pattern_ok(s, 0, 3 * PG + 100));
  /* The rest of the last page reads as zeros. */
  UT_TRUE("read.shared_tail_zero", s != MAP_FAILED && all_zero(s + 3 * PG + 100, PG - 100));
  char* p = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
  UT_TRUE("read.private_at_offset",
          p != MAP_FAILED && pattern_ok(p, 2 * PG, PG + 100) && all_zero(p + PG + 100, PG - 100));
  char* s2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
  UT_TRUE("read.shared_at_offset", s2 != MAP_FAILED && pattern_ok(s2, PG, PG));
  UT_EQ("read.munmap", munmap(s, 4 * PG) | munmap(p, 2 * PG) | munmap(s2, PG), 0);
  close(fd);
  unlink("/tmp/mm_read");
}

static void test_shared(void) {
  const char* path = "/tmp/mm_shared";
  int fd = make_file(path, 2 * PG);
  char* m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  UT_TRUE("shared.mapped", m != MAP_FAILED);
  if (m == MAP_FAILED) return;
  /* A store is in the file: read() here and in another process. */
  memcpy(m + 10, "HELLO", 5);
  char buf[8] = {0};
  UT_EQ("shared.store_seen_by_pread", pread(fd, buf, 5, 10), 5);
  UT_TRUE("shared.store_contents", memcmp(buf, "HELLO", 5) == 0);
  memcpy(m, "parent-store", 12);
  UT_EQ("shared.store_seen_by_other_process", run_child("pread", path, "parent-store"), 0);
  /* A write() is in the mapping. */
  UT_EQ("shared.pwrite", pwrite(fd, "WRITE", 5, PG + 7), 5);
  UT_TRUE("shared.pwrite_seen_in_mapping", memcmp(m + PG + 7, "WRITE", 5) == 0);
  /* Another process's store through its mapping is in ours and in read(). */
  UT_EQ("shared.other_process_stores", run_child("mapwrite", path, "child-store"), 0);
  UT_TRUE("shared.other_store_seen_in_mapping", memcmp(m, "child-store", 11) == 0);
  memset(buf, 0, sizeof buf);
  UT_EQ("shared.other_store_pread", pread(fd, buf, 5, 0), 5);
  UT_TRUE("shared.other_store_seen_by_read", memcmp(buf, "child", 5) == 0);
  /* ... and our write() is in another process's mapping. */
  UT_EQ("shared.pwrite2", pwrite(fd, "via-write", 9, 0), 9);
  UT_EQ("shared.write_seen_in_other_mapping", run_child("mapread", path, "via-write"), 0);
  /* Two mappings of the same file in one process are the same memory. */
  char* m2 = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  m[1] = 'Z';
  UT_TRUE("shared.two_mappings_alias", m2 != MAP_FAILED && m2[1] == 'Z');
  UT_EQ("shared.msync_sync", msync(m, 2 * PG, MS_SYNC), 0);
  UT_EQ("shared.msync_async", msync(m, PG, MS_ASYNC), 0);
  UT_EQ("shared.msync_invalidate", msync(m, PG, MS_INVALIDATE), 0);
  UT_ERR("shared.msync_both_einval", msync(m, PG, MS_SYNC | MS_ASYNC) ? -errno : 0, EINVAL);
  UT_ERR("shared.msync_unaligned_einval", msync(m + 1, PG, MS_SYNC) ? -errno : 0, EINVAL);
  /* mprotect: read-only, then writable again (the fd is O_RDWR). */
  UT_EQ("shared.mprotect_ro", mprotect(m, PG, PROT_READ), 0);
  UT_EQ("shared.mprotect_rw", mprotect(m, PG, PROT_READ | PROT_WRITE), 0);
  m[2] = 'Y';
  UT_TRUE("shared.store_after_mprotect", pread(fd, buf, 3, 0) == 3 && buf[2] == 'Y');
  munmap(m2, PG);
  /* A mapping outlives the file's name and the fd: still the same memory. */
  int fd2 = open(path, O_RDWR);
  char* keep = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
  close(fd2);
  UT_EQ("shared.rename_away", rename(path, "/tmp/mm_shared2"), 0);
  UT_EQ("shared.unlink_mapped", unlink("/tmp/mm_shared2"), 0);
  if (keep != MAP_FAILED) {
    keep[3] = 'K';
    UT_TRUE("shared.mapping_outlives_file", m[3] == 'K' && keep[0] == 'v');
    munmap(keep, PG);
  }
  munmap(m, 2 * PG);
  /* The data stays after the mappings are gone (the file, unlinked, is
   * still open here). */
  memset(buf, 0, sizeof buf);
  UT_TRUE("shared.kept_after_unmap", pread(fd, buf, 4, 0) == 4 && memcmp(buf, "vZYK", 4) == 0);
  close(fd);
  fd = make_file(path, PG);
  close(fd);
  fd = open(path, O_RDONLY);
  /* A read-only shared mapping of an O_RDONLY fd cannot become writable. */
  char* r = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
  UT_TRUE("shared.rdonly_mapped", r != MAP_FAILED);
  UT_ERR("shared.rdonly_mprotect_write_eacces",
         mprotect(r, PG, PROT_READ | PROT_WRITE) ? -errno : 0, EACCES);
  munmap(r, PG);
  close(fd);
  unlink(path);
}

static void test_private(void) {
  const char* path = "/tmp/mm_private";
  int fd = make_file(path, PG);
  close(fd);
  fd = open(path, O_RDONLY);
  /* Writable private mappings of a read-only fd are allowed (Linux). */
  char* p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  UT_TRUE("private.mapped_rdonly_fd", p != MAP_FAILED);
  if (p == MAP_FAILED) return;
  UT_TRUE("private.contents", pattern_ok(p, 0, PG));
  memcpy(p, "private", 7);
  char buf[8] = {0};
  UT_TRUE("private.store_not_in_file", pread(fd, buf, 7, 0) == 7 && pattern_ok(buf, 0, 7));
  UT_EQ("private.store_not_seen_by_other", run_child("pread", path, "abcdefg"), 0);
  UT_TRUE("private.store_kept", memcmp(p, "private", 7) == 0);
  /* A read-only private mapping cannot be written but may be made so. */
  char* q = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
  UT_TRUE("private.ro_contents", q != MAP_FAILED && pattern_ok(q, 0, PG));
  UT_EQ("private.mprotect_rw", mprotect(q, PG, PROT_READ | PROT_WRITE), 0);
  q[0] = 'Q';
  UT_TRUE("private.store_after_mprotect_private", pread(fd, buf, 1, 0) == 1 && buf[0] == 'a');
  munmap(p, PG);
  munmap(q, PG);
  close(fd);
  unlink(path);
}

static void test_unmap(void) {
  const char* path = "/tmp/mm_unmap";
  int fd = make_file(path, 3 * PG);
  close(fd);
  UT_EQ("unmap.touch_of_unmapped_file_page_sigsegv", run_child("touch_unmapped", path, NULL),
        1000 + SIGSEGV);
  UT_EQ("unmap.touch_of_unmapped_anon_sigsegv", run_child("touch_unmapped_anon", NULL, NULL),
        1000 + SIGSEGV);
  unlink(path);
}

static void test_errors(void) {
  const char* path = "/tmp/mm_err";
  int fd = make_file(path, PG);
  close(fd);
  int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY), rw = open(path, O_RDWR);
#define MAPERR(name, len, prot, flags, fd, off, err)  \
  do {                                                \
    void* m_ = mmap(NULL, len, prot, flags, fd, off); \
    UT_ERR(name, m_ == MAP_FAILED ? -errno : 0, err); \
    if (m_ != MAP_FAILED) munmap(m_, len);            \
  } while (0)
  MAPERR("errors.unaligned_offset_einval", PG, PROT_READ, MAP_SHARED, rw, 100, EINVAL);
  MAPERR("errors.zero_length_einval", 0, PROT_READ, MAP_SHARED, rw, 0, EINVAL);
  MAPERR("errors.wronly_shared_eacces", PG, PROT_READ, MAP_SHARED, wo, 0, EACCES);
  MAPERR("errors.wronly_private_eacces", PG, PROT_READ, MAP_PRIVATE, wo, 0, EACCES);
  MAPERR("errors.rdonly_shared_write_eacces", PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0,
         EACCES);
  int closed = open(path, O_RDONLY);
  close(closed);
  MAPERR("errors.closed_fd_ebadf", PG, PROT_READ, MAP_SHARED, closed, 0, EBADF);
  MAPERR("errors.closed_fd_private_ebadf", PG, PROT_READ, MAP_PRIVATE, closed, 0, EBADF);
  MAPERR("errors.fd_minus_one_ebadf", PG, PROT_READ, MAP_SHARED, -1, 0, EBADF);
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  MAPERR("errors.directory_enodev", PG, PROT_READ, MAP_SHARED, dir, 0, ENODEV);
  MAPERR("errors.directory_private_enodev", PG, PROT_READ, MAP_PRIVATE, dir, 0, ENODEV);
  int pfd[2];
  UT_EQ("errors.pipe", pipe(pfd), 0);
  MAPERR("errors.pipe_enodev", PG, PROT_READ, MAP_SHARED, pfd[0], 0, ENODEV);
  MAPERR("errors.pipe_private_enodev", PG, PROT_READ, MAP_PRIVATE, pfd[0], 0, ENODEV);
  int null = open("/dev/null", O_RDWR);
  MAPERR("errors.dev_null_enodev", PG, PROT_READ, MAP_SHARED, null, 0, ENODEV);
  /* /dev/zero: anonymous memory, as on Linux. */
  int zero = open("/dev/zero", O_RDWR);
  char* z = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
  UT_TRUE("errors.dev_zero_is_anonymous", z != MAP_FAILED && all_zero(z, 2 * PG));
  if (z != MAP_FAILED) munmap(z, 2 * PG);
  close(zero);
  int opath = open(path, O_PATH);
  MAPERR("errors.o_path_ebadf", PG, PROT_READ, MAP_SHARED, opath, 0, EBADF);
  /* Fine: both kinds on the right fds; a MAP_SHARED_VALIDATE one. */
  void* ok = mmap(NULL, PG, PROT_READ, MAP_SHARED_VALIDATE, ro, 0);
  UT_TRUE("errors.shared_validate_ok", ok != MAP_FAILED);
  if (ok != MAP_FAILED) munmap(ok, PG);
  close(ro), close(wo), close(rw), close(dir), close(pfd[0]), close(pfd[1]), close(null);
  close(opath);
  unlink(path);
}

static void test_truncate(void) {
  const char* path = "/tmp/mm_trunc";
  int fd = make_file(path, 2 * PG);
  char* m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  UT_TRUE("truncate.mapped", m != MAP_FAILED);
  if (m == MAP_FAILED) return;
  UT_EQ("truncate.shrink", ftruncate(fd, 100), 0);
  /* The bytes past the new end are gone: zeros in the mapping. */
  UT_TRUE("truncate.tail_zero_in_mapping",
          pattern_ok(m, 0, 100) && all_zero(m + 100, 2 * PG - 100));
  char buf[16];
  UT_EQ("truncate.read_at_eof", pread(fd, buf, sizeof buf, 100), 0);
  /* Stores past the end (no SIGBUS here) do not show up when the file
   * grows over them: it grows with zeros. */
  memset(m + 200, 'x', 300);
  memset(m + 2 * PG, 'y', 100);
  UT_EQ("truncate.grow", ftruncate(fd, 3 * PG), 0);
  UT_TRUE("truncate.grown_zero_in_mapping", all_zero(m + 100, 3 * PG - 100));
  char big[PG];
  UT_TRUE("truncate.grown_zero_by_read", pread(fd, big, PG, 2 * PG) == PG && all_zero(big, PG));
  memset(m + 3 * PG - 10, 'w', 10);
  UT_EQ("truncate.append_after_store_past_end", pwrite(fd, "E", 1, 3 * PG + 5), 1);
  UT_TRUE("truncate.append_gap_zero", pread(fd, buf, 6, 3 * PG) == 6 && all_zero(buf, 5));
  UT_TRUE("truncate.store_before_end_kept", m[3 * PG - 1] == 'w');
  /* Down to nothing and back: the server is fine, the mapping too. */
  UT_EQ("truncate.to_zero", ftruncate(fd, 0), 0);
  UT_EQ("truncate.write_again", pwrite(fd, "again", 5, 0), 5);
  UT_TRUE("truncate.write_seen", memcmp(m, "again", 5) == 0 && all_zero(m + 5, PG - 5));
  struct stat st;
  UT_TRUE("truncate.fstat", fstat(fd, &st) == 0 && st.st_size == 5);
  munmap(m, 3 * PG);
  close(fd);
  UT_EQ("truncate.unlink", unlink(path), 0);
}

static void test_shm(void) {
  shm_unlink("/mm_shm");
  int fd = shm_open("/mm_shm", O_CREAT | O_EXCL | O_RDWR, 0600);
  UT_TRUE("shm.open", fd >= 0);
  struct stat st;
  UT_TRUE("shm.in_dev_shm", stat("/dev/shm/mm_shm", &st) == 0 && S_ISREG(st.st_mode));
  UT_EQ("shm.ftruncate", ftruncate(fd, PG), 0);
  char* p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  UT_TRUE("shm.mapped", p != MAP_FAILED);
  if (p == MAP_FAILED) return;
  memcpy(p, "from-parent", 11);
  UT_EQ("shm.child_sees_and_writes", run_child("shm", "/mm_shm", "from-parent"), 0);
  UT_TRUE("shm.parent_sees_child", memcmp(p + 100, "child", 5) == 0);
  munmap(p, PG);
  close(fd);
  UT_EQ("shm.unlink", shm_unlink("/mm_shm"), 0);
  UT_ERR("shm.gone_enoent", shm_open("/mm_shm", O_RDWR, 0) < 0 ? -errno : 0, ENOENT);
  UT_TRUE("shm.dev_shm_is_dir", stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode));
}

static void test_sem(void) {
  sem_unlink("mm_sem1");
  sem_unlink("mm_sem2");
  sem_t* s1 = sem_open("mm_sem1", O_CREAT | O_EXCL, 0600, 0);
  sem_t* s2 = sem_open("mm_sem2", O_CREAT | O_EXCL, 0600, 0);
  UT_TRUE("sem.open", s1 != SEM_FAILED && s2 != SEM_FAILED);
  if (s1 == SEM_FAILED || s2 == SEM_FAILED) return;
  pid_t pid = spawn_child("sem", "mm_sem1", "mm_sem2");
  UT_TRUE("sem.spawn", pid > 0);
  /* The child blocks in sem_wait until we post. */
  sleep_ms(100);
  int st;
  UT_EQ("sem.child_blocked", waitpid(pid, &st, WNOHANG), 0);
  UT_EQ("sem.post", sem_post(s1), 0);
  struct timespec at;
  clock_gettime(CLOCK_REALTIME, &at);
  at.tv_sec += 20;
  UT_EQ("sem.wait_for_child_post", sem_timedwait(s2, &at), 0);
  UT_EQ("sem.child_exit", reap(pid), 0);
  int v = -1;
  UT_TRUE("sem.values_zero", sem_getvalue(s1, &v) == 0 && v == 0);
  sem_close(s1);
  sem_close(s2);
  UT_EQ("sem.unlink", sem_unlink("mm_sem1") | sem_unlink("mm_sem2"), 0);
}

static void test_futex(void) {
  /* The kernel keys a futex in shared memory by the memory, not by the
   * address: a wake in one process finds a waiter in another that maps
   * the word elsewhere. */
  const char* path = "/tmp/mm_futex";
  int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
  UT_EQ("futex.ftruncate", ftruncate(fd, PG), 0);
  volatile int* w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  UT_TRUE("futex.mapped", w != MAP_FAILED);
  if (w == MAP_FAILED) return;
  pid_t pid = spawn_child("futex", path, NULL);
  long woken = 0;
  for (int i = 0; i < 2000 && woken == 0; i++) {
    sleep_ms(5);
    woken = syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
  }
  UT_EQ("futex.wake_finds_other_process", woken, 1);
  *w = 1;
  syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
  UT_EQ("futex.child_woken", reap(pid), 0);
  munmap((void*)w, PG);
  close(fd);
  unlink(path);
}

static void test_leaks(void) {
  const char* path = "/tmp/mm_leaks";
  int fd = make_file(path, 2 * PG);
  for (int round = 0; round < 2; round++) {
    int n = round == 0 ? 20 : 200;
    long before = round == 0 ? 0 : ut_settled_free_mem();
    for (int i = 0; i < n; i++) {
      char* s = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      char* p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      if (s == MAP_FAILED || p == MAP_FAILED) {
        ut_fail("leaks.mmap", "mmap failed: %s", strerror(errno));
        return;
      }
      s[i % (2 * PG)]++;
      p[i % (2 * PG)]++;
      munmap(s, 2 * PG);
      munmap(p + PG, PG); /* in two parts */
      munmap(p, PG);
    }
    if (round == 1) UT_EQ("leaks.mmap_munmap_200", ut_settled_free_mem(), before);
  }
  close(fd);
  unlink(path);
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "child") == 0) return child(argc, argv);
  const char* only = argc > 1 ? argv[1] : "";
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("read", test_read);
  SECTION("shared", test_shared);
  SECTION("private", test_private);
  SECTION("unmap", test_unmap);
  SECTION("errors", test_errors);
  SECTION("truncate", test_truncate);
  SECTION("shm", test_shm);
  SECTION("sem", test_sem);
  SECTION("futex", test_futex);
  SECTION("leaks", test_leaks);
  return ut_finish();
}
