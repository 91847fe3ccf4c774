/* The file-system protocol: what a client (the C library's file
 * descriptors, fsm) says to a file-system server (tmpfs, later procfs and
 * disk file systems) over an IPC connection. C, shared by both sides.
 *
 * A request: w0 = the operation (enum fs_op), w1..w3 as the operation says,
 * and a struct fs_req at the start of the connection's buffer, followed by
 * its strings (path, path2) and, for FS_WRITE, the data. The reply: ret is
 * the result (>= 0) or -errno; w0..w3 as the operation says; data (read
 * bytes, struct fs_stat, directory entries, a path) at the start of the
 * buffer.
 *
 * Paths are relative to the server's own root: "a/b", "/a/b" and "a//b/"
 * are the same; the server never sees the global name space. The server
 * walks the path itself (".", "..", symlinks inside it) and stops with
 * FS_REDIRECT when the walk leaves it:
 *   FS_REDIR_MOUNT    the walk reached a directory another file system is
 *                     mounted on (w1 = its mount id, set by fsm with
 *                     FS_SET_MOUNTPOINT): resolve the rest of the path (in
 *                     the buffer, NUL-terminated) in that file system.
 *   FS_REDIR_UP       ".." at the server's root: resolve the rest (after
 *                     the "..") from the parent of the mount point.
 *   FS_REDIR_ABSOLUTE a symlink with an absolute target: resolve the new
 *                     path (target + rest) from the global root.
 * w2 says which path of the request redirected (0: path, 1: path2). Each
 * redirect and each symlink counts toward CHCORE_FS_SYMLOOP_MAX; the client
 * stops with -ELOOP. Relative symlinks are followed inside the server while
 * they stay in it; the request's fs_req.nlinks carries the count so far,
 * and a redirect's w3 is the new total (that count plus what the server
 * followed).
 *
 * Open files are handles: small numbers per connection, each referring to
 * an open file description in the server (its offset, status flags). The
 * server drops a connection's handles when it closes. A description
 * survives into another process through FS_EXPORT (a token) and FS_IMPORT
 * on the other process's own connection: both handles then share the
 * offset, as fds do after fork or posix_spawn on Linux. */
#ifndef CHCORE_PROTO_FS_H
#define CHCORE_PROTO_FS_H

#include <stdint.h>
#include <string.h>

/* Longest path a request carries, with its NUL (Linux's PATH_MAX). */
#define CHCORE_FS_PATH_MAX 4096
/* Longest name of one directory entry (Linux's NAME_MAX). */
#define CHCORE_FS_NAME_MAX 255
/* Symlinks and redirects followed by one lookup before -ELOOP (Linux: 40). */
#define CHCORE_FS_SYMLOOP_MAX 40
/* The ret of a redirect: not an errno (see above). */
#define CHCORE_FS_REDIRECT (-4095)

/* Flags as the aarch64 Linux ABI numbers them (fs_req.flags), named here so
 * that servers' host-side tests (built for another architecture, where
 * some O_* differ) use the protocol's values. */
#define CHCORE_FS_O_ACCMODE 03
#define CHCORE_FS_O_RDONLY 00
#define CHCORE_FS_O_WRONLY 01
#define CHCORE_FS_O_RDWR 02
#define CHCORE_FS_O_CREAT 0100
#define CHCORE_FS_O_EXCL 0200
#define CHCORE_FS_O_NOCTTY 0400
#define CHCORE_FS_O_TRUNC 01000
#define CHCORE_FS_O_APPEND 02000
#define CHCORE_FS_O_NONBLOCK 04000
#define CHCORE_FS_O_DIRECTORY 040000
#define CHCORE_FS_O_NOFOLLOW 0100000
#define CHCORE_FS_O_CLOEXEC 02000000
#define CHCORE_FS_O_PATH 010000000
#define CHCORE_FS_AT_SYMLINK_NOFOLLOW 0x100
#define CHCORE_FS_AT_REMOVEDIR 0x200
#define CHCORE_FS_AT_EACCESS 0x200
#define CHCORE_FS_AT_SYMLINK_FOLLOW 0x400
#define CHCORE_FS_RENAME_NOREPLACE 1
#define CHCORE_FS_RENAME_EXCHANGE 2

/* FS_LOCK's flags. */
#define FS_LOCK_GET 1
#define FS_LOCK_SET 2
#define FS_LOCK_SETW 3
#define FS_LOCK_CMD_MASK 3
#define FS_LOCK_POSIX 0x0
#define FS_LOCK_OFD 0x10
#define FS_LOCK_FLOCK 0x20
#define FS_LOCK_KIND_MASK 0x30

enum fs_redirect_kind {
  FS_REDIR_MOUNT = 1,
  FS_REDIR_UP = 2,
  FS_REDIR_ABSOLUTE = 3,
};

enum fs_op {
  /* path: flags (O_*), mode. ret = handle; buf = struct fs_stat of the
   * file, then for a directory its canonical path in this server (from its
   * root, starting with "/"), NUL-terminated. */
  FS_OPEN = 1,
  FS_CLOSE,        /* handle */
  /* handle, len, off (-1: the description's offset, advanced).
   * ret = bytes, which are at the start of the buffer. */
  FS_READ,
  /* handle, len, off (-1: the description's offset, advanced; with
   * O_APPEND the end of the file, atomically). The data follows fs_req.
   * ret = bytes written. */
  FS_WRITE,
  FS_LSEEK,        /* handle, off, flags = whence. ret = the new offset */
  FS_FSTAT,        /* handle. buf = struct fs_stat */
  FS_STAT,         /* path, flags (AT_SYMLINK_NOFOLLOW). buf = struct fs_stat */
  FS_MKDIR,        /* path, mode */
  FS_UNLINK,       /* path, flags (AT_REMOVEDIR) */
  FS_RENAME,       /* path -> path2, flags (RENAME_NOREPLACE, RENAME_EXCHANGE) */
  FS_LINK,         /* existing path -> new path2, flags (AT_SYMLINK_FOLLOW) */
  FS_SYMLINK,      /* a link at path2 whose target is the string path */
  FS_READLINK,     /* path. ret = length; buf = the target (no NUL) */
  /* handle, len. buf = struct linux_dirent64 records that fit in len;
   * ret = their bytes, 0 at the end. The position is the description's. */
  FS_GETDENTS,
  FS_FTRUNCATE,    /* handle, size (in off) */
  FS_TRUNCATE,     /* path, size (in off) */
  FS_FALLOCATE,    /* handle, flags = mode, off, len */
  FS_CHMOD,        /* path (or handle >= 0: that file), mode, flags (AT_SYMLINK_NOFOLLOW) */
  FS_CHOWN,        /* path (or handle >= 0), uid, gid, flags */
  FS_UTIMENS,      /* path (or handle >= 0), times[0..3] = atime sec, nsec, mtime sec,
                      nsec (nsec UTIME_NOW / UTIME_OMIT as utimensat), flags */
  FS_STATFS,       /* path (or handle >= 0, or neither: the server's). buf = struct fs_statfs */
  FS_ACCESS,       /* path, mode (R_OK...), flags (AT_SYMLINK_NOFOLLOW, AT_EACCESS) */
  FS_FSYNC,        /* handle */
  FS_SETFL,        /* handle, flags: the new O_APPEND | O_NONBLOCK status flags */
  /* handle. ret = 0, w0 = a token another connection can FS_IMPORT while
   * the description lives: the exporter keeps its handle until the
   * importer has imported. */
  FS_EXPORT,
  /* token (in off). ret = a new handle on this connection to the same
   * description (shared offset and status flags); buf as FS_OPEN's. */
  FS_IMPORT,
  /* From fsm only (the connection that mounted the server first): marks
   * the directory at path as the mount point of mount id `mode`
   * (0: unmark). The directory cannot be removed or renamed meanwhile
   * (-EBUSY). */
  FS_SET_MOUNTPOINT,
  /* Advisory locks (fcntl's F_GETLK/F_SETLK/F_SETLKW and their F_OFD_
   * forms, flock). handle; flags = FS_LOCK_GET / SET / SETW | the kind
   * (FS_LOCK_POSIX, FS_LOCK_OFD, FS_LOCK_FLOCK); mode = the type (Linux's
   * F_RDLCK 0, F_WRLCK 1, F_UNLCK 2); off = l_start, len = l_len (signed),
   * times[0] = l_whence, times[1] = the caller's pid (F_GETLK reports it).
   * flock locks the whole file. SET: -EAGAIN on a conflict. SETW carries
   * a notification capability: on a conflict the server keeps it, answers
   * -EAGAIN, and signals it when the file's locks change; the client then
   * waits on it and asks again (-EDEADLK when waiting would deadlock).
   * GET: w0 = the conflicting lock's type (F_UNLCK: none), w1 = its start,
   * w2 = its length (0: to the end), w3 = its owner's pid (-1: an OFD or
   * flock lock). -EBADF for a lock the description's access mode does not
   * allow (a read lock needs read access, a write lock write access). */
  FS_LOCK,
  /* handle, len = the end (offset + length) of the mapping in the file,
   * flags = FS_MMAP_SHARED_WRITE for a writable MAP_SHARED mapping.
   * ret = 0 and the reply carries one capability: the file's shared
   * memory (a PMO of at least len bytes, byte i of the PMO is byte i of
   * the file), with READ and EXEC rights, and WRITE with
   * FS_MMAP_SHARED_WRITE. -ENODEV: the file cannot be mapped (not a
   * regular file, or the server cannot); -EACCES: as mmap(2). */
  FS_MMAP,
  FS_OP_COUNT
};

#define FS_MMAP_SHARED_WRITE 1

struct fs_req {
  int32_t handle;       /* -1 where the operation takes none */
  int32_t flags;
  uint32_t mode;
  uint32_t nlinks;      /* symlinks followed so far by this lookup */
  int64_t off;
  uint64_t len;
  uint32_t uid, gid;
  int64_t times[4];     /* utimensat: atime sec, nsec, mtime sec, nsec */
  uint32_t path;        /* offset in the buffer of a NUL-terminated path, 0: none */
  uint32_t path2;       /* the second path, 0: none */
  uint32_t data;        /* offset of FS_WRITE's data */
  uint32_t reserved;
};

/* A file's attributes, what stat(2) reports (times in ns since the epoch). */
struct fs_stat {
  uint64_t ino;
  uint64_t size;
  uint64_t blocks;      /* 512-byte blocks in use */
  uint32_t mode;        /* S_IFMT type and permission bits */
  uint32_t nlink;
  uint32_t uid, gid;
  uint64_t dev;
  uint64_t rdev;
  int64_t atime_ns, mtime_ns, ctime_ns;
  uint32_t blksize;
  uint32_t reserved;
};

struct fs_statfs {
  uint64_t type;        /* magic, e.g. TMPFS_MAGIC 0x01021994 */
  uint64_t bsize;
  uint64_t blocks, bfree, bavail;
  uint64_t files, ffree;
  uint64_t namelen;
};

/* FS_GETDENTS's records are Linux's struct linux_dirent64: d_ino (8 bytes),
 * d_off (8: the position after this entry), d_reclen (2), d_type (1), the
 * name with its NUL, padded to 8 bytes. Writes one at buf if it fits in
 * room bytes; returns its length, or 0 when it does not fit. */
static inline size_t fs_put_dirent(char* buf, size_t room, uint64_t ino, int64_t next,
                                   unsigned char type, const char* name, size_t nlen) {
  size_t reclen = (19 + nlen + 1 + 7) & ~(size_t)7;
  if (room < reclen) return 0;
  uint16_t rl = (uint16_t)reclen;
  memset(buf, 0, reclen);
  memcpy(buf, &ino, 8);
  memcpy(buf + 8, &next, 8);
  memcpy(buf + 16, &rl, 2);
  buf[18] = (char)type;
  memcpy(buf + 19, name, nlen);
  return reclen;
}

#endif
