/* fs.files: the C library's file calls against tmpfs, through procmgr's
 * boot (root tmpfs with the ramdisk's files, a second tmpfs at /tmp), fsm's
 * mount table and the redirects of the file-system protocol. Each check is
 * what a program sees on Linux: results, errno, contents.
 *
 *   files [section]      all sections, or one (basic, dirs, links, ...) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <chcore/launch.h>
#include <chcore/syscall.h>
#define UT_SUITE "fs"
#include "utest.h"

#define ERRNO_OF(call) ((call) < 0 ? -errno : 0)

static char buf[70000];

static long write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -errno;
  long n = write(fd, text, strlen(text));
  close(fd);
  return n;
}

static long read_file(const char* path, char* out, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  long n = read(fd, out, size - 1);
  close(fd);
  if (n >= 0) out[n] = 0;
  return n;
}

static void test_ramdisk(void) {
  /* The ramdisk's files are files of the root file system. */
  struct stat st;
  UT_OK("ramdisk.stat_program", stat("/tests/files", &st));
  UT_TRUE("ramdisk.is_regular", S_ISREG(st.st_mode));
  UT_TRUE("ramdisk.size", st.st_size > 1000);
  int fd = open("/bin/hello", O_RDONLY);
  UT_OK("ramdisk.open_program", fd);
  unsigned char elf[4] = {0};
  UT_EQ("ramdisk.read_elf_magic", read(fd, elf, 4), 4);
  UT_TRUE("ramdisk.elf_magic", elf[0] == 0x7f && elf[1] == 'E' && elf[2] == 'L' && elf[3] == 'F');
  close(fd);
  UT_OK("ramdisk.is_dir", stat("/bin", &st));
  UT_TRUE("ramdisk.dir_mode", S_ISDIR(st.st_mode));
}

static void test_basic(void) {
  UT_EQ("basic.create_write", write_file("/tmp/a.txt", "hello, file\n"), 12);
  char out[64];
  UT_EQ("basic.read_back", read_file("/tmp/a.txt", out, sizeof out), 12);
  UT_EQ("basic.contents", strcmp(out, "hello, file\n"), 0);
  UT_ERR("basic.missing_enoent", ERRNO_OF(open("/tmp/nope", O_RDONLY)), ENOENT);
  UT_ERR("basic.excl_eexist", ERRNO_OF(open("/tmp/a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644)),
         EEXIST);
  UT_ERR("basic.file_as_dir_enotdir", ERRNO_OF(open("/tmp/a.txt/x", O_RDONLY)), ENOTDIR);
  UT_ERR("basic.o_directory_enotdir", ERRNO_OF(open("/tmp/a.txt", O_RDONLY | O_DIRECTORY)),
         ENOTDIR);
  UT_ERR("basic.write_dir_eisdir", ERRNO_OF(open("/tmp", O_WRONLY)), EISDIR);
  int fd = open("/tmp/a.txt", O_RDONLY);
  UT_ERR("basic.write_rdonly_ebadf", ERRNO_OF(write(fd, "x", 1)), EBADF);
  UT_EQ("basic.lseek_end", lseek(fd, 0, SEEK_END), 12);
  UT_EQ("basic.lseek_set", lseek(fd, 7, SEEK_SET), 7);
  UT_EQ("basic.read_from_offset", read(fd, out, 4), 4);
  UT_EQ("basic.offset_data", memcmp(out, "file", 4), 0);
  UT_ERR("basic.lseek_negative_einval", ERRNO_OF(lseek(fd, -100, SEEK_SET)), EINVAL);
  UT_EQ("basic.pread", pread(fd, out, 5, 0), 5);
  UT_EQ("basic.pread_data", memcmp(out, "hello", 5), 0);
  UT_EQ("basic.pread_keeps_offset", lseek(fd, 0, SEEK_CUR), 11);
  close(fd);
  UT_ERR("basic.closed_ebadf", ERRNO_OF(read(fd, out, 1)), EBADF);

  /* O_APPEND, O_TRUNC, writev, readv. */
  fd = open("/tmp/a.txt", O_WRONLY | O_APPEND);
  UT_EQ("basic.append", write(fd, "more\n", 5), 5);
  close(fd);
  UT_EQ("basic.append_size", read_file("/tmp/a.txt", out, sizeof out), 17);
  fd = open("/tmp/a.txt", O_RDWR | O_TRUNC);
  struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
  UT_EQ("basic.writev", writev(fd, iov, 2), 5);
  lseek(fd, 0, SEEK_SET);
  char x[2], y[3];
  struct iovec riov[2] = {{x, 2}, {y, 3}};
  UT_EQ("basic.readv", readv(fd, riov, 2), 5);
  UT_TRUE("basic.readv_data", memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0);
  struct stat st;
  UT_OK("basic.fstat", fstat(fd, &st));
  UT_EQ("basic.fstat_size", st.st_size, 5);
  UT_TRUE("basic.fstat_regular", S_ISREG(st.st_mode));
  UT_OK("basic.ftruncate", ftruncate(fd, 100000));
  UT_OK("basic.fstat2", fstat(fd, &st));
  UT_EQ("basic.ftruncate_size", st.st_size, 100000);
  UT_EQ("basic.hole_read", pread(fd, buf, 1000, 50000), 1000);
  int zero = 1;
  for (int i = 0; i < 1000; i++) zero &= buf[i] == 0;
  UT_TRUE("basic.hole_zeros", zero);
  close(fd);

  /* A large read and write: more than one buffer's worth per call. */
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7 + 3);
  fd = open("/tmp/big", O_RDWR | O_CREAT, 0600);
  UT_EQ("basic.big_write", write(fd, buf, sizeof buf), sizeof buf);
  static char back[sizeof buf];
  UT_EQ("basic.big_pread", pread(fd, back, sizeof back, 0), sizeof back);
  UT_EQ("basic.big_contents", memcmp(buf, back, sizeof buf), 0);
  UT_ERR("basic.read_bad_pointer_efault", ERRNO_OF(pread(fd, (void*)8, 10, 0)), EFAULT);
  UT_ERR("basic.write_bad_pointer_efault", ERRNO_OF(pwrite(fd, (void*)8, 10, 0)), EFAULT);
  /* Our own code is read-only: EFAULT, and the file is unchanged. */
  UT_ERR("basic.read_into_read_only_efault", ERRNO_OF(pread(fd, (void*)write_file, 10, 0)), EFAULT);
  /* A buffer that runs off its mapping: EFAULT. */
  char* two = mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (UT_TRUE("basic.mmap_two_pages", two != MAP_FAILED)) {
    munmap(two + 4096, 4096);
    UT_ERR("basic.read_off_the_mapping_efault", ERRNO_OF(pread(fd, two + 4000, 200, 0)), EFAULT);
    UT_ERR("basic.big_read_off_the_mapping_efault", ERRNO_OF(pread(fd, two + 3000, 2000, 0)),
           EFAULT);
    UT_ERR("basic.big_write_off_the_mapping_efault", ERRNO_OF(pwrite(fd, two + 3000, 2000, 0)),
           EFAULT);
    munmap(two, 4096);
  }
  /* Pages the kernel maps on first touch, touched first by the copy into
   * them: mapped, not EFAULT. */
  char* fresh = mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (UT_TRUE("basic.mmap_fresh", fresh != MAP_FAILED)) {
    UT_EQ("basic.read_into_untouched_pages", pread(fd, fresh + 100, 9000, 0), 9000);
    UT_EQ("basic.untouched_pages_contents", memcmp(fresh + 100, buf, 9000), 0);
    munmap(fresh, 3 * 4096);
  }
  UT_EQ("basic.contents_unchanged", pread(fd, back, sizeof back, 0), sizeof back);
  UT_EQ("basic.contents_unchanged_bytes", memcmp(buf, back, sizeof buf), 0);
  close(fd);
  UT_OK("basic.unlink", unlink("/tmp/big"));
  UT_ERR("basic.unlinked_enoent", ERRNO_OF(open("/tmp/big", O_RDONLY)), ENOENT);
  UT_ERR("basic.bad_path_pointer_efault", ERRNO_OF(open((const char*)8, O_RDONLY)), EFAULT);
}

static void test_dirs(void) {
  UT_OK("dirs.mkdir", mkdir("/tmp/d", 0755));
  UT_ERR("dirs.mkdir_eexist", ERRNO_OF(mkdir("/tmp/d", 0755)), EEXIST);
  UT_OK("dirs.mkdir_nested", mkdir("/tmp/d/e", 0755));
  UT_EQ("dirs.file_in", write_file("/tmp/d/e/f", "x"), 1);
  UT_ERR("dirs.rmdir_notempty", ERRNO_OF(rmdir("/tmp/d")), ENOTEMPTY);
  UT_ERR("dirs.unlink_dir_eisdir", ERRNO_OF(unlink("/tmp/d")), EISDIR);
  UT_ERR("dirs.rmdir_file_enotdir", ERRNO_OF(rmdir("/tmp/d/e/f")), ENOTDIR);

  /* getdents through readdir: ".", "..", and what was created. */
  DIR* d = opendir("/tmp/d/e");
  UT_TRUE("dirs.opendir", d != NULL);
  int dot = 0, dotdot = 0, f = 0, other = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0) dot++;
    else if (strcmp(e->d_name, "..") == 0) dotdot++;
    else if (strcmp(e->d_name, "f") == 0) f++;
    else other++;
  }
  if (d) closedir(d);
  UT_TRUE("dirs.readdir_entries", dot == 1 && dotdot == 1 && f == 1 && other == 0);

  /* chdir, getcwd, relative paths, "..", repeated slashes, openat. */
  UT_OK("dirs.chdir", chdir("/tmp/d//e/"));
  char cwd[PATH_MAX];
  UT_TRUE("dirs.getcwd", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/tmp/d/e") == 0);
  char out[16];
  UT_EQ("dirs.relative_read", read_file("f", out, sizeof out), 1);
  UT_OK("dirs.chdir_dotdot", chdir("../.."));
  UT_TRUE("dirs.getcwd_tmp", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/tmp") == 0);
  UT_OK("dirs.chdir_up_out_of_mount", chdir(".."));
  UT_TRUE("dirs.getcwd_root", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/") == 0);
  UT_OK("dirs.root_dotdot_stays", chdir("/.."));
  UT_TRUE("dirs.getcwd_still_root", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/") == 0);
  int dfd = open("/tmp/d", O_RDONLY | O_DIRECTORY);
  UT_OK("dirs.open_dir", dfd);
  UT_EQ("dirs.openat_relative", ERRNO_OF(openat(dfd, "e/f", O_RDONLY)) >= 0 ? 0 : -1, 0);
  UT_OK("dirs.fchdir", fchdir(dfd));
  UT_TRUE("dirs.getcwd_fchdir", getcwd(cwd, sizeof cwd) != NULL && strcmp(cwd, "/tmp/d") == 0);
  close(dfd);
  chdir("/");
  UT_ERR("dirs.chdir_file_enotdir", ERRNO_OF(chdir("/tmp/d/e/f")), ENOTDIR);

  /* ENAMETOOLONG: a component over 255 bytes, a path over PATH_MAX. */
  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  char p[320];
  snprintf(p, sizeof p, "/tmp/%s", longname);
  UT_ERR("dirs.long_component", ERRNO_OF(open(p, O_RDONLY | O_CREAT, 0644)), ENAMETOOLONG);
  static char huge[PATH_MAX + 10];
  memset(huge, 'a', sizeof huge - 1);
  huge[0] = '/';
  UT_ERR("dirs.long_path", ERRNO_OF(open(huge, O_RDONLY)), ENAMETOOLONG);

  UT_OK("dirs.cleanup_file", unlink("/tmp/d/e/f"));
  UT_OK("dirs.rmdir", rmdir("/tmp/d/e"));
  UT_OK("dirs.rmdir2", rmdir("/tmp/d"));
  UT_ERR("dirs.rmdir_gone", ERRNO_OF(rmdir("/tmp/d")), ENOENT);
}

static void test_links(void) {
  write_file("/tmp/target", "target data");
  UT_OK("links.symlink", symlink("/tmp/target", "/tmp/abs"));
  UT_OK("links.symlink_rel", symlink("target", "/tmp/rel"));
  char out[64];
  UT_EQ("links.read_via_abs", read_file("/tmp/abs", out, sizeof out), 11);
  UT_EQ("links.read_via_rel", read_file("/tmp/rel", out, sizeof out), 11);
  UT_EQ("links.readlink", readlink("/tmp/abs", out, sizeof out), 11);
  UT_EQ("links.readlink_text", memcmp(out, "/tmp/target", 11), 0);
  struct stat st;
  UT_OK("links.lstat", lstat("/tmp/abs", &st));
  UT_TRUE("links.lstat_is_link", S_ISLNK(st.st_mode));
  UT_OK("links.stat_follows", stat("/tmp/abs", &st));
  UT_TRUE("links.stat_is_file", S_ISREG(st.st_mode));
  /* A symlink on the root file system into /tmp (an absolute target
   * crossing a mount), and one from /tmp back up with "..". */
  UT_OK("links.root_to_tmp", symlink("/tmp", "/to_tmp"));
  UT_EQ("links.read_across_mount", read_file("/to_tmp/target", out, sizeof out), 11);
  UT_OK("links.up_and_over", symlink("../bin", "/tmp/bin_link"));
  UT_OK("links.relative_leaves_mount", stat("/tmp/bin_link/hello", &st));
  /* Loops. */
  UT_OK("links.loop_a", symlink("/tmp/loop_b", "/tmp/loop_a"));
  UT_OK("links.loop_b", symlink("/tmp/loop_a", "/tmp/loop_b"));
  UT_ERR("links.loop_eloop", ERRNO_OF(open("/tmp/loop_a", O_RDONLY)), ELOOP);
  UT_ERR("links.nofollow_eloop", ERRNO_OF(open("/tmp/abs", O_RDONLY | O_NOFOLLOW)), ELOOP);

  /* Hard links. */
  UT_OK("links.link", link("/tmp/target", "/tmp/hard"));
  UT_OK("links.stat_hard", stat("/tmp/hard", &st));
  UT_EQ("links.nlink_2", st.st_nlink, 2);
  UT_ERR("links.link_across_mounts_exdev", ERRNO_OF(link("/tmp/target", "/hard")), EXDEV);

  /* Rename: replace, noreplace, across directories, across mounts, into
   * its own subtree. */
  write_file("/tmp/r1", "one");
  write_file("/tmp/r2", "two");
  UT_OK("rename.replace", rename("/tmp/r1", "/tmp/r2"));
  UT_EQ("rename.replaced_data", read_file("/tmp/r2", out, sizeof out), 3);
  UT_EQ("rename.replaced_text", strcmp(out, "one"), 0);
  UT_ERR("rename.old_gone", ERRNO_OF(open("/tmp/r1", O_RDONLY)), ENOENT);
  write_file("/tmp/r3", "three");
  /* musl 1.2.3 has no renameat2(): the system call; 1 = RENAME_NOREPLACE. */
  UT_ERR("rename.noreplace",
         ERRNO_OF(syscall(SYS_renameat2, AT_FDCWD, "/tmp/r3", AT_FDCWD, "/tmp/r2", 1)), EEXIST);
  mkdir("/tmp/dir1", 0755);
  UT_OK("rename.into_dir", rename("/tmp/r3", "/tmp/dir1/r3"));
  UT_EQ("rename.moved", read_file("/tmp/dir1/r3", out, sizeof out), 5);
  UT_ERR("rename.across_mounts_exdev", ERRNO_OF(rename("/tmp/r2", "/r2")), EXDEV);
  UT_ERR("rename.into_own_child_einval", ERRNO_OF(rename("/tmp/dir1", "/tmp/dir1/sub")), EINVAL);
  UT_ERR("rename.mount_point_busy", ERRNO_OF(rename("/tmp", "/tmp2")), EBUSY);
  UT_ERR("rmdir.mount_point_busy", ERRNO_OF(rmdir("/tmp")), EBUSY);

  unlink("/tmp/dir1/r3");
  rmdir("/tmp/dir1");
  unlink("/tmp/r2");
  unlink("/tmp/abs");
  unlink("/tmp/rel");
  unlink("/to_tmp");
  unlink("/tmp/bin_link");
  unlink("/tmp/loop_a");
  unlink("/tmp/loop_b");
  unlink("/tmp/hard");
  unlink("/tmp/target");
}

static void test_attrs(void) {
  write_file("/tmp/attr", "abc");
  UT_OK("attrs.chmod", chmod("/tmp/attr", 0600));
  struct stat st;
  stat("/tmp/attr", &st);
  UT_EQ("attrs.mode", st.st_mode & 07777, 0600);
  UT_ERR("attrs.access_x_eacces", ERRNO_OF(access("/tmp/attr", X_OK)), EACCES);
  UT_OK("attrs.access_r", access("/tmp/attr", R_OK));
  UT_ERR("attrs.access_missing", ERRNO_OF(access("/tmp/none", F_OK)), ENOENT);
  struct timespec ts[2] = {{1000, 5}, {2000, 7}};
  UT_OK("attrs.utimensat", utimensat(AT_FDCWD, "/tmp/attr", ts, 0));
  stat("/tmp/attr", &st);
  UT_TRUE("attrs.times", st.st_atim.tv_sec == 1000 && st.st_mtim.tv_sec == 2000 &&
                            st.st_mtim.tv_nsec == 7);
  /* umask applies to new files. */
  mode_t old = umask(077);
  write_file("/tmp/masked", "");
  umask(old);
  stat("/tmp/masked", &st);
  UT_EQ("attrs.umask", st.st_mode & 0777, 0600);
  struct statfs sf;
  UT_OK("attrs.statfs", statfs("/tmp", &sf));
  UT_EQ("attrs.statfs_tmpfs", (unsigned long)sf.f_type, 0x01021994ul);
  /* Files of the two mounts have different st_dev. */
  struct stat a, b;
  stat("/tmp/attr", &a);
  stat("/bin/hello", &b);
  UT_TRUE("attrs.dev_differs_across_mounts", a.st_dev != b.st_dev);
  unlink("/tmp/attr");
  unlink("/tmp/masked");
}

/* The devices of /dev. */
static void test_dev(void) {
  int fd = open("/dev/null", O_RDWR);
  UT_OK("dev.null_open", fd);
  UT_EQ("dev.null_write", write(fd, "xyz", 3), 3);
  char b[64];
  UT_EQ("dev.null_read_eof", read(fd, b, sizeof b), 0);
  close(fd);
  fd = open("/dev/zero", O_RDONLY);
  memset(b, 1, sizeof b);
  UT_EQ("dev.zero_read", read(fd, b, sizeof b), sizeof b);
  int zeros = 1;
  for (size_t i = 0; i < sizeof b; i++) zeros &= b[i] == 0;
  UT_TRUE("dev.zero_zeros", zeros);
  close(fd);
  fd = open("/dev/full", O_WRONLY);
  UT_ERR("dev.full_enospc", write(fd, "x", 1) < 0 ? -errno : 0, ENOSPC);
  close(fd);
  fd = open("/dev/urandom", O_RDONLY);
  memset(b, 0, sizeof b);
  UT_EQ("dev.urandom_read", read(fd, b, 32), 32);
  int nonzero = 0;
  for (int i = 0; i < 32; i++) nonzero |= b[i];
  UT_TRUE("dev.urandom_bytes", nonzero);
  close(fd);
  struct stat st;
  UT_OK("dev.stat_null", stat("/dev/null", &st));
  UT_TRUE("dev.null_is_chr_1_3", S_ISCHR(st.st_mode) && st.st_rdev == ((1 << 8) | 3));
  fd = open("/dev/tty", O_RDWR);
  UT_OK("dev.tty_open", fd);
  UT_EQ("dev.tty_write", write(fd, "dev: tty ok\n", 12), 12);
  close(fd);
  DIR* d = opendir("/dev");
  int found = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) != NULL) {
    static const char* names[] = {"null", "zero", "full", "random", "urandom", "tty", "console"};
    for (int i = 0; i < 7; i++) found += strcmp(e->d_name, names[i]) == 0;
  }
  if (d) closedir(d);
  UT_EQ("dev.listing", found, 7);
  UT_ERR("dev.no_such_device", ERRNO_OF(open("/dev/nosuch", O_RDONLY)), ENOENT);
  UT_ERR("dev.cannot_create", ERRNO_OF(open("/dev/new", O_WRONLY | O_CREAT, 0644)), ENOENT);
  UT_OK("dev.up_out_of_dev", stat("/dev/../bin", &st));
}

/* Overwriting and deleting files that came from the ramdisk. */
static void test_root_writable(void) {
  UT_EQ("root.overwrite_ramdisk_file", write_file("/bin/hello", "not a program"), 13);
  char out[32];
  UT_EQ("root.read_overwritten", read_file("/bin/hello", out, sizeof out), 13);
  UT_OK("root.delete_ramdisk_file", unlink("/bin/hello"));
  UT_ERR("root.deleted", ERRNO_OF(open("/bin/hello", O_RDONLY)), ENOENT);
}

/* Several processes append fixed-size records to one file at once: none
 * lost, none torn or interleaved, each writer's in its order. */
#define WRITERS 4
#define RECORDS 300
#define RECORD_LEN 16

static int append_child(int id) {
  int fd = open("/tmp/appended", O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (fd < 0) return 1;
  for (int i = 0; i < RECORDS; i++) {
    char rec[RECORD_LEN + 1];
    snprintf(rec, sizeof rec, "w%d:%012d\n", id, i);
    if (write(fd, rec, RECORD_LEN) != RECORD_LEN) return 2;
  }
  close(fd);
  return 0;
}

static void test_append(void) {
  unlink("/tmp/appended");
  long child[WRITERS];
  for (int i = 0; i < WRITERS; i++) {
    char id[8];
    snprintf(id, sizeof id, "%d", i);
    const char* args[] = {"/tests/files", "append-child", id, NULL};
    child[i] = chcore_spawn_path("/tests/files", args, NULL);
    UT_OK("append.spawn", child[i]);
  }
  for (int i = 0; i < WRITERS; i++)
    if (child[i] >= 0) UT_EQ("append.child_status", chcore_wait(child[i]), 0);
  struct stat st;
  UT_OK("append.stat", stat("/tmp/appended", &st));
  UT_EQ("append.size", st.st_size, WRITERS * RECORDS * RECORD_LEN);
  static char all[WRITERS * RECORDS * RECORD_LEN + 1];
  int fd = open("/tmp/appended", O_RDONLY);
  UT_EQ("append.read_all", read(fd, all, sizeof all), WRITERS * RECORDS * RECORD_LEN);
  close(fd);
  int next[WRITERS] = {0}, bad = 0;
  for (int r = 0; r < WRITERS * RECORDS; r++) {
    const char* rec = all + r * RECORD_LEN;
    int id, seq;
    if (sscanf(rec, "w%d:%d", &id, &seq) != 2 || rec[RECORD_LEN - 1] != '\n' || id < 0 ||
        id >= WRITERS || seq != next[id]) {
      bad++;
      continue;
    }
    next[id]++;
  }
  UT_EQ("append.records_intact_in_order", bad, 0);
  unlink("/tmp/appended");
}

/* open/write/close/unlink cycles leave no memory behind, in this process
 * or in the file system. */
static void cycle(int i) {
  char p[32];
  snprintf(p, sizeof p, "/tmp/cycle%d", i % 7);
  int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, buf, 5000);
  close(fd);
  unlink(p);
}

static void test_leaks(void) {
  for (int i = 0; i < 200; i++) cycle(i);
  long before = ut_settled_free_mem();
  for (int i = 0; i < 1000; i++) cycle(i);
  long after = ut_settled_free_mem();
  UT_EQ("leaks.open_write_close_unlink_1000", after, before);
}

/* A 64 MiB file written in pieces of odd sizes and read back whole, each
 * byte checked; its pages go back to the file system when it is removed. */
static unsigned char big_byte(long i) { return (unsigned char)(i * 31 + i / 65521); }

static void test_big(void) {
  const long size = 64l << 20;
  struct statfs before, after;
  statfs("/tmp", &before);
  int fd = open("/tmp/big", O_RDWR | O_CREAT | O_TRUNC, 0644);
  static unsigned char chunk[200003];
  long done = 0, bad = 0;
  while (done < size) {
    long n = size - done < (long)sizeof chunk ? size - done : (long)sizeof chunk;
    for (long i = 0; i < n; i++) chunk[i] = big_byte(done + i);
    ssize_t w = write(fd, chunk, (size_t)n);
    if (w <= 0) break;
    done += w;
  }
  UT_EQ("big.written", done, size);
  struct stat st;
  fstat(fd, &st);
  UT_EQ("big.size", st.st_size, size);
  lseek(fd, 0, SEEK_SET);
  long got = 0;
  for (ssize_t r; (r = read(fd, chunk, 131072)) > 0; got += r)
    for (ssize_t i = 0; i < r; i++) bad += chunk[i] != big_byte(got + i);
  UT_EQ("big.read_back", got, size);
  UT_EQ("big.contents", bad, 0);
  /* A read across the end gets what is there. */
  UT_EQ("big.read_at_end", pread(fd, chunk, 100, size - 40), 40);
  close(fd);
  UT_OK("big.unlink", unlink("/tmp/big"));
  statfs("/tmp", &after);
  UT_EQ("big.blocks_back", after.f_blocks - after.f_bfree, before.f_blocks - before.f_bfree);
}

/* Several processes create, write, check and remove files in one directory
 * at once; at the end every file they made is gone and each saw its own
 * contents every time. */
#define CHURNERS 4
#define CHURN_ROUNDS 60

static int churn_child(int id) {
  char path[64], data[300], back[300];
  int bad = 0;
  for (int r = 0; r < CHURN_ROUNDS; r++) {
    snprintf(path, sizeof path, "/tmp/churn/p%d-%d", id, r % 5);
    int n = snprintf(data, sizeof data, "process %d round %d %0*d", id, r, 100 + r, 0);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return 10;
    if (write(fd, data, (size_t)n) != n) bad++;
    if (pread(fd, back, sizeof back, 0) != n || memcmp(back, data, (size_t)n) != 0) bad++;
    close(fd);
    /* Everybody's files are listed while the others change the directory. */
    DIR* d = opendir("/tmp/churn");
    if (!d) return 11;
    int seen_mine = 0;
    for (struct dirent* e; (e = readdir(d));) seen_mine |= strcmp(e->d_name, path + 11) == 0;
    closedir(d);
    if (!seen_mine) bad++;
    if (unlink(path) != 0) bad++;
  }
  return bad ? 12 : 0;
}

static void test_churn(void) {
  mkdir("/tmp/churn", 0755);
  long child[CHURNERS];
  for (int i = 0; i < CHURNERS; i++) {
    char id[8];
    snprintf(id, sizeof id, "%d", i);
    const char* args[] = {"/tests/files", "churn-child", id, NULL};
    child[i] = chcore_spawn_path("/tests/files", args, NULL);
    UT_OK("churn.spawn", child[i]);
  }
  for (int i = 0; i < CHURNERS; i++)
    if (child[i] >= 0) UT_EQ("churn.child_status", chcore_wait(child[i]), 0);
  DIR* d = opendir("/tmp/churn");
  int left = 0;
  for (struct dirent* e; d && (e = readdir(d));) left += e->d_name[0] != '.';
  if (d) closedir(d);
  UT_EQ("churn.all_removed", left, 0);
  UT_OK("churn.rmdir", rmdir("/tmp/churn"));
}

int main(int argc, char** argv) {
  const char* only = argc > 1 ? argv[1] : "";
  if (strcmp(only, "append-child") == 0) return append_child(argc > 2 ? atoi(argv[2]) : 0);
  if (strcmp(only, "churn-child") == 0) return churn_child(argc > 2 ? atoi(argv[2]) : 0);
#define SECTION(name, fn) \
  if (!*only || strcmp(only, name) == 0) fn()
  SECTION("ramdisk", test_ramdisk);
  SECTION("basic", test_basic);
  SECTION("dirs", test_dirs);
  SECTION("links", test_links);
  SECTION("attrs", test_attrs);
  SECTION("dev", test_dev);
  SECTION("append", test_append);
  SECTION("leaks", test_leaks);
  SECTION("root", test_root_writable);
  SECTION("big", test_big);
  SECTION("churn", test_churn);
  return ut_finish();
}
