/* tmpfs: an in-memory file system, the logic of the tmpfs server.
 *
 * This is the part of the server that knows nothing about IPC: a tree of
 * nodes (regular files, directories, symlinks) in memory, the path walk of
 * the file-system protocol (user/libchcore/include/chcore/proto/fs.h, with
 * its redirects), and open file descriptions. proto.c turns protocol
 * requests into calls of these functions; main.c makes a program of both.
 * It is plain C11 with no ChCore dependency, so the host tests
 * (tests/host/fs/) drive it directly.
 *
 * Conventions of every function here:
 *  - Results are >= 0 on success or -errno (<errno.h> names; the numbers
 *    are the same on every Linux architecture). Flags are the protocol's
 *    CHCORE_FS_O_* / CHCORE_FS_AT_* / CHCORE_FS_RENAME_* values, never the
 *    host's <fcntl.h> ones.
 *  - A function that walks a path may instead return CHCORE_FS_REDIRECT
 *    and describe where the walk left this file system in *r (see struct
 *    tmpfs_redirect). r->nlinks is an input too: the symlinks the request
 *    followed before it reached this server.
 *  - Nothing here locks. The functions are not reentrant either: a walk
 *    uses scratch buffers inside struct tmpfs. Callers serialise every call
 *    on one file system with tmpfs_lock()/tmpfs_unlock(), as proto.c does.
 *  - Every byte the file system allocates is counted (tmpfs_mem_used);
 *    running out of memory, or over the configured limit, is -ENOSPC for
 *    file data and metadata (and -ENOMEM for open file descriptions), and
 *    leaves the file system as it was (a short write keeps what it wrote). */
#ifndef TMPFS_TMPFS_H
#define TMPFS_TMPFS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <chcore/proto/fs.h>

#ifdef __cplusplus
extern "C" {
#endif

/* statfs's f_type for tmpfs (Linux's TMPFS_MAGIC). */
#define TMPFS_MAGIC 0x01021994
#define TMPFS_PAGE_SIZE 4096u
/* The largest file: 1 TiB. The page table of a file that big is 2 GiB of
 * pointers, which fails with -ENOSPC long before on a small machine; the
 * bound keeps offset arithmetic far from overflow. */
#define TMPFS_MAX_FILE_SIZE (1ll << 40)
/* The longest symlink target (without its NUL). */
#define TMPFS_SYMLINK_MAX (CHCORE_FS_PATH_MAX - 1)
/* fallocate modes (Linux's FALLOC_FL_*; fs.h does not name them). */
#define TMPFS_FALLOC_KEEP_SIZE 1
/* utimensat's special nanosecond values (Linux's UTIME_NOW / UTIME_OMIT). */
#define TMPFS_UTIME_NOW ((1l << 30) - 1l)
#define TMPFS_UTIME_OMIT ((1l << 30) - 2l)
/* Directory positions (the offset of a directory's description, d_off of
 * getdents): 0 is the start, 1 is after ".", 2 after ".."; a real entry's
 * position is its sequence number in its directory, which starts here. */
#define TMPFS_DIR_FIRST_SEQ 3

struct tmpfs;      /* a file system */
struct tmpfs_file; /* an open file description */

/* strnlen for the paths of requests (tmpfs.c, proto.c): byte by byte up to
 * an aligned word, then a word at a time. musl's strnlen costs several
 * times this for a short path (a call of memchr, which goes byte by byte).
 * An aligned word that holds the NUL lies in the page that holds the NUL,
 * so reading its bytes after the NUL is harmless; AddressSanitizer (the
 * host tests) would still call it an overflow, and is told not to look. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TMPFS_NO_ASAN __attribute__((no_sanitize("address")))
#endif
#endif
#if !defined(TMPFS_NO_ASAN) && defined(__SANITIZE_ADDRESS__)
#define TMPFS_NO_ASAN __attribute__((no_sanitize("address")))
#endif
#ifndef TMPFS_NO_ASAN
#define TMPFS_NO_ASAN
#endif
TMPFS_NO_ASAN static inline size_t tmpfs_strnlen(const char* s, size_t max) {
  size_t i = 0;
  while (i < max && ((uintptr_t)(s + i) & 7) != 0) {
    if (s[i] == '\0') return i;
    i++;
  }
  for (; i + 8 <= max; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, sizeof(w));
    /* The top bit of each zero byte (and perhaps of bytes after one). */
    uint64_t z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
    if (z == 0) continue;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return i + (size_t)(__builtin_ctzll(z) >> 3); /* the first byte's is the lowest */
#else
    break;
#endif
  }
  while (i < max && s[i] != '\0') i++;
  return i;
}

/* Creation parameters; zero means the default for every field. */
struct tmpfs_config {
  /* ".." at the root stays at the root (the root file system), instead of
   * the FS_REDIR_UP redirect (every file system mounted below it). */
  int is_global_root;
  /* The clock of timestamps, in ns since the epoch. Default:
   * clock_gettime(CLOCK_REALTIME_COARSE). Tests pass a fake one. */
  int64_t (*clock)(void* arg);
  void* clock_arg;
  /* The most bytes the file system may hold (data and metadata); 0: no
   * limit but memory. statfs reports it as the size. */
  uint64_t max_bytes;
  /* statfs's estimate of the memory still free when there is no limit.
   * Default: the host's available physical pages (sysconf). */
  uint64_t (*free_mem)(void* arg);
  void* free_mem_arg;
  /* The root directory's permission bits (default 0755 when 0). */
  uint32_t root_mode;
  /* What stat reports as st_dev. */
  uint64_t dev;
  /* Shared memory for memory mappings (tmpfs_mmap): all three hooks, or
   * tmpfs_mmap is -ENODEV (the host tests supply a stand-in).
   *   shm_create   size bytes (a multiple of the page size) of zeroed
   *                memory mapped at *base, which clients can map too;
   *                *id names it to the other hooks and to the caller of
   *                tmpfs_mmap. 0 or -errno.
   *   shm_zero     zeroes [off, off + len) of it without allocating
   *                memory for what was never touched.
   *   shm_destroy  the file is gone: unmap it here (clients' mappings
   *                may keep the memory alive). */
  int (*shm_create)(void* arg, uint64_t size, void** base, uint64_t* id);
  void (*shm_zero)(void* arg, uint64_t id, uint64_t off, uint64_t len);
  void (*shm_destroy)(void* arg, uint64_t id, void* base, uint64_t size);
  void* shm_arg;
};

/* Where a walk left this file system (the result CHCORE_FS_REDIRECT). */
struct tmpfs_redirect {
  int kind;          /* FS_REDIR_MOUNT, FS_REDIR_UP or FS_REDIR_ABSOLUTE */
  unsigned which;    /* which path of the call redirected: 0 first, 1 second */
  uint64_t mount_id; /* FS_REDIR_MOUNT: the mount point's id */
  /* In: the symlinks followed before this call. Out (on any result): that
   * plus those this call followed. */
  uint32_t nlinks;
  /* The path to resolve next, NUL-terminated:
   *   FS_REDIR_MOUNT     the rest after the mount point (leading slashes
   *                      dropped; "" when the mount point was the last
   *                      component), in the mounted file system;
   *   FS_REDIR_UP        the rest after the ".." that left the root
   *                      (leading slashes dropped), from the parent of
   *                      this file system's mount point;
   *   FS_REDIR_ABSOLUTE  the symlink's target followed by the rest of the
   *                      path after the symlink ("/t" + "/rest"), from
   *                      the global root. */
  char path[CHCORE_FS_PATH_MAX];
};

/* --- The file system ------------------------------------------------------ */

/* A new, empty file system (just the root directory), or NULL if out of
 * memory. cfg may be NULL (all defaults). */
struct tmpfs* tmpfs_create(const struct tmpfs_config* cfg);
/* Frees the file system and everything in it. Every description must have
 * been put first. */
void tmpfs_destroy(struct tmpfs* fs);

/* The one lock of a file system, for callers that serve several threads. */
void tmpfs_lock(struct tmpfs* fs);
void tmpfs_unlock(struct tmpfs* fs);

/* Bytes the file system holds now (nodes, names, tables, pages,
 * descriptions), the counter that max_bytes limits. */
uint64_t tmpfs_mem_used(const struct tmpfs* fs);
/* Nodes alive (linked, or unlinked but still open), the root included. */
uint64_t tmpfs_node_count(const struct tmpfs* fs);
/* For tests: the next n allocations succeed, the one after fails (and
 * every one after that, until called again); n < 0 turns this off. */
void tmpfs_inject_alloc_failure(struct tmpfs* fs, long n);

/* --- Calls on paths -----------------------------------------------------------
 * path: relative to the root of this file system ("/a" = "a"), shorter
 * than CHCORE_FS_PATH_MAX. r: in/out, see struct tmpfs_redirect; it must
 * not overlap the path. */

/* Opens path (flags: O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_APPEND,
 * O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW, O_PATH; O_CLOEXEC and O_NOCTTY are
 * the client's). mode: the permission bits of a file O_CREAT makes.
 * Returns 0 and a new description in *out (one reference, put it with
 * tmpfs_file_put). */
long tmpfs_open(struct tmpfs* fs, const char* path, int flags, uint32_t mode,
                struct tmpfs_redirect* r, struct tmpfs_file** out);
/* flags: CHCORE_FS_AT_SYMLINK_NOFOLLOW. */
long tmpfs_stat(struct tmpfs* fs, const char* path, int flags, struct tmpfs_redirect* r,
                struct fs_stat* st);
long tmpfs_mkdir(struct tmpfs* fs, const char* path, uint32_t mode, struct tmpfs_redirect* r);
/* flags: 0 (unlink) or CHCORE_FS_AT_REMOVEDIR (rmdir). */
long tmpfs_unlink(struct tmpfs* fs, const char* path, int flags, struct tmpfs_redirect* r);
/* flags: CHCORE_FS_RENAME_NOREPLACE or CHCORE_FS_RENAME_EXCHANGE. */
long tmpfs_rename(struct tmpfs* fs, const char* oldpath, const char* newpath, int flags,
                  struct tmpfs_redirect* r);
/* A new name newpath for oldpath; flags: CHCORE_FS_AT_SYMLINK_FOLLOW. */
long tmpfs_link(struct tmpfs* fs, const char* oldpath, const char* newpath, int flags,
                struct tmpfs_redirect* r);
/* A symlink at linkpath whose target is the string target (which is not
 * walked; its redirects would be reported with which = 1). */
long tmpfs_symlink(struct tmpfs* fs, const char* target, const char* linkpath,
                   struct tmpfs_redirect* r);
/* Copies at most len bytes of the target (no NUL); returns their number. */
long tmpfs_readlink(struct tmpfs* fs, const char* path, char* buf, size_t len,
                    struct tmpfs_redirect* r);
long tmpfs_truncate(struct tmpfs* fs, const char* path, int64_t size, struct tmpfs_redirect* r);
/* flags: CHCORE_FS_AT_SYMLINK_NOFOLLOW (chmod of a symlink: -EOPNOTSUPP). */
long tmpfs_chmod(struct tmpfs* fs, const char* path, uint32_t mode, int flags,
                 struct tmpfs_redirect* r);
/* uid or gid (uint32_t)-1: unchanged. */
long tmpfs_chown(struct tmpfs* fs, const char* path, uint32_t uid, uint32_t gid, int flags,
                 struct tmpfs_redirect* r);
/* times: atime sec, nsec, mtime sec, nsec; nsec may be TMPFS_UTIME_NOW or
 * TMPFS_UTIME_OMIT. */
long tmpfs_utimens(struct tmpfs* fs, const char* path, const int64_t times[4], int flags,
                   struct tmpfs_redirect* r);
/* mode: R_OK | W_OK | X_OK or F_OK (0); flags: CHCORE_FS_AT_SYMLINK_NOFOLLOW,
 * CHCORE_FS_AT_EACCESS. Every client is root: only X_OK on a file without
 * any execute bit is refused (-EACCES). */
long tmpfs_access(struct tmpfs* fs, const char* path, int mode, int flags,
                  struct tmpfs_redirect* r);
/* Marks the directory at path as the mount point of mount_id (0: unmarks
 * it). A final mount point is not entered, so it can be re-marked. */
long tmpfs_set_mountpoint(struct tmpfs* fs, const char* path, uint64_t mount_id,
                          struct tmpfs_redirect* r);
long tmpfs_statfs(struct tmpfs* fs, struct fs_statfs* st);

/* --- Calls on open file descriptions ------------------------------------------ */

void tmpfs_file_get(struct tmpfs_file* f);
/* Drops a reference; the last one frees the description (and its export
 * token), and with it maybe an unlinked node. */
void tmpfs_file_put(struct tmpfs* fs, struct tmpfs_file* f);
/* The description's status flags (access mode, O_APPEND, O_NONBLOCK,
 * O_PATH). */
int tmpfs_file_flags(const struct tmpfs_file* f);

/* off -1: at the description's offset, which advances. */
long tmpfs_read(struct tmpfs* fs, struct tmpfs_file* f, void* buf, size_t len, int64_t off);
/* off -1: at the description's offset (or, with O_APPEND, the end of the
 * file), which advances. An explicit off writes there even with O_APPEND
 * (POSIX pwrite; Linux would append). */
long tmpfs_write(struct tmpfs* fs, struct tmpfs_file* f, const void* buf, size_t len, int64_t off);
/* whence: SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA (3), SEEK_HOLE (4). */
long tmpfs_lseek(struct tmpfs* fs, struct tmpfs_file* f, int64_t off, int whence);
long tmpfs_fstat(struct tmpfs* fs, struct tmpfs_file* f, struct fs_stat* st);
/* struct linux_dirent64 records that fit in len bytes; 0 at the end;
 * -EINVAL if not even the next one fits. */
long tmpfs_getdents(struct tmpfs* fs, struct tmpfs_file* f, void* buf, size_t len);
long tmpfs_ftruncate(struct tmpfs* fs, struct tmpfs_file* f, int64_t size);
/* FS_MMAP: makes the file's data shared memory (the first time; from then
 * on its first pages live there, see tmpfs.c) that covers at least
 * [0, end), and gives its id (tmpfs_config.shm_create). shared_write: the
 * mapping is MAP_SHARED and writable. Errors as mmap's: -EBADF (O_PATH),
 * -EACCES (not open for reading; shared_write without write access),
 * -ENODEV (not a regular file, no shm_create), -EINVAL (end 0 or past
 * the largest file), -ENOMEM (end beyond the shared memory made at the
 * first mapping, or none could be made). */
long tmpfs_mmap(struct tmpfs* fs, struct tmpfs_file* f, uint64_t end, int shared_write,
                uint64_t* id);
/* mode: 0 or TMPFS_FALLOC_KEEP_SIZE. */
long tmpfs_fallocate(struct tmpfs* fs, struct tmpfs_file* f, int mode, int64_t off, int64_t len);
long tmpfs_fchmod(struct tmpfs* fs, struct tmpfs_file* f, uint32_t mode);
long tmpfs_fchown(struct tmpfs* fs, struct tmpfs_file* f, uint32_t uid, uint32_t gid);
long tmpfs_futimens(struct tmpfs* fs, struct tmpfs_file* f, const int64_t times[4]);
long tmpfs_fsync(struct tmpfs* fs, struct tmpfs_file* f);
/* Sets O_APPEND and O_NONBLOCK from flags; other bits are ignored. */
long tmpfs_setfl(struct tmpfs* fs, struct tmpfs_file* f, int flags);
/* The canonical path of an open directory from this file system's root
 * ("/" for the root, "/a/b" below it), NUL-terminated in buf. Returns its
 * length; -ENAMETOOLONG if it does not fit in len bytes, -ENOTDIR, or
 * -ENOENT for a removed directory. */
long tmpfs_dir_path(struct tmpfs* fs, struct tmpfs_file* f, char* buf, size_t len);
/* A token for the description, valid until the description is freed (the
 * same token each time). */
long tmpfs_export(struct tmpfs* fs, struct tmpfs_file* f, uint64_t* token);
/* The description of a live token, with a new reference; -EBADF for any
 * other token. */
long tmpfs_import(struct tmpfs* fs, uint64_t token, struct tmpfs_file** out);

#ifdef __cplusplus
}
#endif

#endif
