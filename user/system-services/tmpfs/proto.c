/* tmpfs's protocol layer (see proto.h).
 *
 * A request is untrusted and lives in memory the client shares with us:
 * it may change under our feet. So the struct fs_req and the paths are
 * copied out first and everything is checked on the copies; only FS_WRITE's
 * data is read in place (a client racing itself just writes garbage into
 * its own file). Every operation checks its arguments before it changes
 * anything, so a request that fails has done nothing.
 *
 * The reply goes to the start of the same buffer, after the request has
 * been consumed. */
#define _GNU_SOURCE
#include "proto.h"

#include "locks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Copies the NUL-terminated string at offset `off` of the request into
 * dst (CHCORE_FS_PATH_MAX bytes). */
static long copy_path(const char* buf, unsigned long req_len, uint32_t off, char* dst) {
  if (off < sizeof(struct fs_req) || off >= req_len) return -EFAULT; /* also off 0: none */
  unsigned long avail = req_len - off;
  size_t lim = avail < CHCORE_FS_PATH_MAX ? (size_t)avail : CHCORE_FS_PATH_MAX;
  memcpy(dst, buf + off, lim); /* copy first, then check: the buffer may change */
  if (tmpfs_strnlen(dst, lim) < lim) return 0;
  /* No NUL: a path too long, or one that runs past the request. */
  return avail >= CHCORE_FS_PATH_MAX ? -ENAMETOOLONG : -EFAULT;
}

static long handle_of(struct tmpfs_client* c, int32_t h, struct tmpfs_file** f) {
  if (h < 0 || h >= TMPFS_MAX_HANDLES || c->handles[h] == NULL) return -EBADF;
  *f = c->handles[h];
  return 0;
}

/* The lowest free handle, as POSIX hands out fds. */
static long free_handle(const struct tmpfs_client* c) {
  for (long h = 0; h < TMPFS_MAX_HANDLES; h++)
    if (c->handles[h] == NULL) return h;
  return -EMFILE;
}

struct tmpfs_client* tmpfs_client_new(struct tmpfs* fs, int privileged) {
  tmpfs_lock(fs);
  struct tmpfs_client* c = calloc(1, sizeof(*c));
  tmpfs_unlock(fs);
  if (c != NULL) {
    c->privileged = privileged;
    c->token = -1;
  }
  return c;
}

void tmpfs_client_close(struct tmpfs* fs, struct tmpfs_client* c) {
  tmpfs_lock(fs);
  fslock_release_owner(fs, c, 0); /* the process's record locks */
  for (int h = 0; h < TMPFS_MAX_HANDLES; h++) {
    if (c->handles[h] == NULL) continue;
    tmpfs_file_put(fs, c->handles[h]);
    c->handles[h] = NULL;
  }
  tmpfs_unlock(fs);
}

void tmpfs_client_free(struct tmpfs* fs, struct tmpfs_client* c) {
  if (c == NULL) return;
  tmpfs_client_close(fs, c);
  tmpfs_lock(fs);
  free(c);
  tmpfs_unlock(fs);
}

/* Which strings an operation carries: bit 0 path, bit 1 path2. Ops taking
 * "path or handle" need the path only without a handle. */
static unsigned paths_of(unsigned long op, const struct fs_req* req) {
  switch (op) {
    case FS_OPEN:
    case FS_STAT:
    case FS_MKDIR:
    case FS_UNLINK:
    case FS_READLINK:
    case FS_TRUNCATE:
    case FS_ACCESS:
    case FS_SET_MOUNTPOINT:
      return 1;
    case FS_RENAME:
    case FS_LINK:
    case FS_SYMLINK:
      return 3;
    case FS_CHMOD:
    case FS_CHOWN:
    case FS_UTIMENS:
      return req->handle >= 0 ? 0 : 1;
    case FS_STATFS: /* a path, a handle, or neither (the file system itself) */
      return req->handle < 0 && req->path != 0 ? 1 : 0;
    default:
      return 0;
  }
}

/* Whether an operation works on a handle (and which must be valid). */
static int takes_handle(unsigned long op, const struct fs_req* req) {
  switch (op) {
    case FS_CLOSE:
    case FS_READ:
    case FS_WRITE:
    case FS_LSEEK:
    case FS_FSTAT:
    case FS_GETDENTS:
    case FS_FTRUNCATE:
    case FS_FALLOCATE:
    case FS_FSYNC:
    case FS_SETFL:
    case FS_EXPORT:
    case FS_LOCK:
    case FS_MMAP:
      return 1;
    case FS_CHMOD:
    case FS_CHOWN:
    case FS_UTIMENS:
    case FS_STATFS:
      return req->handle >= 0;
    default:
      return 0;
  }
}

static void put_stat(void* buf, const struct fs_stat* st, unsigned long* reply_len) {
  memcpy(buf, st, sizeof(*st));
  *reply_len = sizeof(*st);
}

/* FS_OPEN's and FS_IMPORT's reply: the file's struct fs_stat and, for a
 * directory, its canonical path. On an error the description is dropped. */
static long put_opened(struct tmpfs* fs, struct tmpfs_file* nf, char* buf, unsigned long buf_size,
                       unsigned long* reply_len) {
  struct fs_stat st;
  tmpfs_fstat(fs, nf, &st);
  put_stat(buf, &st, reply_len);
  if ((st.mode & 0170000) == 0040000) { /* a directory: its canonical path too */
    long rc = tmpfs_dir_path(fs, nf, buf + sizeof(st), buf_size - sizeof(st));
    if (rc < 0) {
      tmpfs_file_put(fs, nf);
      *reply_len = 0;
      return rc;
    }
    *reply_len += (unsigned long)rc + 1;
  }
  return 0;
}

/* FS_LOCK (see proto/fs.h): the request's range resolved against the
 * description's offset or the file's size, the owner chosen by the kind. */
static long do_lock(struct tmpfs* fs, struct tmpfs_client* c, const struct fs_req* req,
                    struct tmpfs_file* f, unsigned long w_out[4]) {
  int cmd = req->flags & FS_LOCK_CMD_MASK, kind = req->flags & FS_LOCK_KIND_MASK;
  if (cmd == 0 || (req->flags & ~(FS_LOCK_CMD_MASK | FS_LOCK_KIND_MASK)) ||
      kind == FS_LOCK_KIND_MASK)
    return -EINVAL;
  static const int types[3] = {FSLOCK_READ, FSLOCK_WRITE, FSLOCK_UNLOCK};
  if (req->mode > 2 || (cmd == FS_LOCK_GET && req->mode == 2)) return -EINVAL;
  struct fs_stat st;
  tmpfs_fstat(fs, f, &st);
  struct fslock_req r = {fs, st.ino, c, (int32_t)req->times[1], FSLOCK_RECORD,
                         types[req->mode], 0, FSLOCK_EOF};
  if (kind == FS_LOCK_FLOCK) {
    r.kind = FSLOCK_FLOCK;
    r.owner = f;
    r.pid = -1;
  } else {
    if (kind == FS_LOCK_OFD) {
      r.owner = f;
      r.pid = -1;
    }
    /* A read lock needs a description open for reading, a write lock one
     * open for writing (Linux: EBADF). */
    int acc = tmpfs_file_flags(f) & CHCORE_FS_O_ACCMODE;
    if ((r.type == FSLOCK_READ && acc == CHCORE_FS_O_WRONLY) ||
        (r.type == FSLOCK_WRITE && acc == CHCORE_FS_O_RDONLY))
      return -EBADF;
    int64_t base;
    switch (req->times[0]) {
      case 0: base = 0; break;                                   /* SEEK_SET */
      case 1: base = tmpfs_lseek(fs, f, 0, 1); break;            /* SEEK_CUR */
      case 2: base = (int64_t)st.size; break;                    /* SEEK_END */
      default: return -EINVAL;
    }
    int64_t start, len = (int64_t)req->len;
    if (__builtin_add_overflow(base, req->off, &start)) return -EOVERFLOW;
    if (len < 0) {
      /* [start + len, start) */
      if (__builtin_add_overflow(start, len, &start)) return -EINVAL;
      len = -len;
    }
    if (start < 0) return -EINVAL;
    int64_t end;
    if (len != 0 && __builtin_add_overflow(start, len, &end)) return -EOVERFLOW;
    r.start = (uint64_t)start;
    r.end = len == 0 ? FSLOCK_EOF : (uint64_t)end;
  }
  if (cmd == FS_LOCK_GET) {
    struct fslock_conflict k;
    fslock_test(&r, &k);
    static const int linux_type[3] = {2, 0, 1}; /* UNLOCK, READ, WRITE -> F_* */
    w_out[0] = (unsigned long)linux_type[k.type];
    if (k.type != FSLOCK_UNLOCK) {
      w_out[1] = k.start;
      w_out[2] = k.end == FSLOCK_EOF ? 0 : k.end - k.start;
      w_out[3] = (unsigned long)(long)k.pid;
    }
    return 0;
  }
  if (cmd == FS_LOCK_SETW && c->token < 0) return -EINVAL; /* nothing to wake */
  int taken = 0;
  long rc = fslock_set(&r, cmd == FS_LOCK_SETW ? c->token : -1, &taken);
  if (taken) c->token = -1;
  return rc;
}

/* The operation itself, under the lock, with the request checked as far
 * as it can be without the file system. */
static long dispatch(struct tmpfs* fs, struct tmpfs_client* c, unsigned long op,
                     const struct fs_req* req, struct tmpfs_file* f, char* buf,
                     unsigned long buf_size, unsigned long req_len, unsigned long w_out[4],
                     unsigned long* reply_len) {
  struct tmpfs_redirect* r = &c->redir;
  struct fs_stat st;
  long rc;
  switch (op) {
    case FS_OPEN: {
      if (buf_size < sizeof(st)) return -EINVAL;
      long h = free_handle(c);
      if (h < 0) return h;
      struct tmpfs_file* nf;
      rc = tmpfs_open(fs, c->path, req->flags, req->mode, r, &nf);
      if (rc != 0) return rc;
      rc = put_opened(fs, nf, buf, buf_size, reply_len);
      if (rc < 0) return rc;
      c->handles[h] = nf;
      return h;
    }
    case FS_CLOSE: {
      /* A process's record locks on a file go when it closes it. */
      if (fslock_any()) {
        tmpfs_fstat(fs, f, &st);
        fslock_release_owner(fs, c, st.ino);
      }
      c->handles[req->handle] = NULL;
      tmpfs_file_put(fs, f);
      return 0;
    }
    /* FS_READ: tmpfs_proto_handle's fast path. */
    case FS_WRITE:
      if (req->len == 0) return tmpfs_write(fs, f, buf, 0, req->off);
      if (req->data < sizeof(struct fs_req) || req->data > req_len ||
          req->len > req_len - req->data)
        return -EFAULT;
      return tmpfs_write(fs, f, buf + req->data, (size_t)req->len, req->off);
    case FS_LSEEK:
      return tmpfs_lseek(fs, f, req->off, req->flags); /* whence in flags */
    case FS_FSTAT:
      if (buf_size < sizeof(st)) return -EINVAL;
      tmpfs_fstat(fs, f, &st);
      put_stat(buf, &st, reply_len);
      return 0;
    case FS_STAT:
      if (buf_size < sizeof(st)) return -EINVAL;
      rc = tmpfs_stat(fs, c->path, req->flags, r, &st);
      if (rc == 0) put_stat(buf, &st, reply_len);
      return rc;
    case FS_MKDIR:
      return tmpfs_mkdir(fs, c->path, req->mode, r);
    case FS_UNLINK:
      return tmpfs_unlink(fs, c->path, req->flags, r);
    case FS_RENAME:
      return tmpfs_rename(fs, c->path, c->path2, req->flags, r);
    case FS_LINK:
      return tmpfs_link(fs, c->path, c->path2, req->flags, r);
    case FS_SYMLINK:
      return tmpfs_symlink(fs, c->path, c->path2, r);
    case FS_READLINK:
      rc = tmpfs_readlink(fs, c->path, buf, buf_size, r);
      if (rc > 0) *reply_len = (unsigned long)rc;
      return rc;
    case FS_GETDENTS:
      if (req->len > buf_size) return -EINVAL;
      rc = tmpfs_getdents(fs, f, buf, (size_t)req->len);
      if (rc > 0) *reply_len = (unsigned long)rc;
      return rc;
    case FS_FTRUNCATE:
      return tmpfs_ftruncate(fs, f, req->off);
    case FS_TRUNCATE:
      return tmpfs_truncate(fs, c->path, req->off, r);
    case FS_FALLOCATE:
      /* A length beyond INT64_MAX is negative as Linux's loff_t: -EINVAL. */
      return tmpfs_fallocate(fs, f, req->flags, req->off,
                             req->len > INT64_MAX ? -1 : (int64_t)req->len);
    case FS_CHMOD:
      return f ? tmpfs_fchmod(fs, f, req->mode)
               : tmpfs_chmod(fs, c->path, req->mode, req->flags, r);
    case FS_CHOWN:
      return f ? tmpfs_fchown(fs, f, req->uid, req->gid)
               : tmpfs_chown(fs, c->path, req->uid, req->gid, req->flags, r);
    case FS_UTIMENS:
      return f ? tmpfs_futimens(fs, f, req->times)
               : tmpfs_utimens(fs, c->path, req->times, req->flags, r);
    case FS_STATFS: {
      struct fs_statfs sf;
      if (buf_size < sizeof(sf)) return -EINVAL;
      /* By path: the file must exist here (a mount point or a symlink out
       * of this file system redirects, so the answer is the one of the
       * file system that holds it). */
      if (req->handle < 0 && req->path != 0 && (rc = tmpfs_stat(fs, c->path, 0, r, &st)) != 0)
        return rc;
      tmpfs_statfs(fs, &sf);
      memcpy(buf, &sf, sizeof(sf));
      *reply_len = sizeof(sf);
      return 0;
    }
    case FS_ACCESS:
      return tmpfs_access(fs, c->path, (int)req->mode, req->flags, r);
    case FS_FSYNC:
      return tmpfs_fsync(fs, f);
    case FS_SETFL:
      return tmpfs_setfl(fs, f, req->flags);
    case FS_EXPORT: {
      uint64_t token;
      rc = tmpfs_export(fs, f, &token);
      if (rc == 0) w_out[0] = token;
      return rc;
    }
    case FS_IMPORT: {
      long h = free_handle(c);
      if (h < 0) return h;
      struct tmpfs_file* nf;
      if (buf_size < sizeof(st)) return -EINVAL;
      rc = tmpfs_import(fs, (uint64_t)req->off, &nf);
      if (rc != 0) return rc;
      rc = put_opened(fs, nf, buf, buf_size, reply_len);
      if (rc < 0) return rc;
      c->handles[h] = nf;
      return h;
    }
    case FS_LOCK:
      return do_lock(fs, c, req, f, w_out);
    case FS_MMAP: {
      /* The id of the shared memory goes back in w_out[1], and in w_out[2]
       * whether writing was allowed; main.c turns them into the reply's
       * capability (this layer knows no IPC). */
      uint64_t id;
      int wr = (req->flags & FS_MMAP_SHARED_WRITE) != 0;
      rc = tmpfs_mmap(fs, f, req->len, wr, &id);
      if (rc == 0) {
        w_out[1] = id;
        w_out[2] = (unsigned long)wr;
      }
      return rc;
    }
    case FS_SET_MOUNTPOINT:
      if (!c->privileged) return -EPERM;
      return tmpfs_set_mountpoint(fs, c->path, req->mode, r);
    default:
      return -ENOSYS;
  }
}

long tmpfs_proto_handle(struct tmpfs* fs, struct tmpfs_client* c, const unsigned long w_in[4],
                        void* buf, unsigned long buf_size, unsigned long req_len,
                        unsigned long w_out[4], unsigned long* reply_len) {
  for (int i = 0; i < 4; i++) w_out[i] = 0;
  *reply_len = 0;
  unsigned long op = w_in[0];
  if (op < FS_OPEN || op >= FS_OP_COUNT) return -ENOSYS;
  if (buf == NULL || req_len < sizeof(struct fs_req) || req_len > buf_size) return -EINVAL;
  if (op == FS_READ) {
    /* The most frequent request, straight to its work: the same checks
     * and result as dispatch's FS_READ, without the general request's
     * copy, path and handle decoding. The fields it needs are copied out
     * of the buffer first (the client may change it meanwhile). */
    struct {
      int32_t handle, flags;
      uint32_t mode, nlinks;
      int64_t off;
      uint64_t len;
    } rd;
    _Static_assert(sizeof(rd) == __builtin_offsetof(struct fs_req, uid), "fs_req's first fields");
    memcpy(&rd, buf, sizeof(rd));
    if (rd.len > buf_size) return -EINVAL;
    tmpfs_lock(fs);
    struct tmpfs_file* f = NULL;
    long rc = handle_of(c, rd.handle, &f);
    if (rc == 0) rc = tmpfs_read(fs, f, buf, (size_t)rd.len, rd.off);
    tmpfs_unlock(fs);
    if (rc > 0) *reply_len = (unsigned long)rc;
    return rc;
  }
  struct fs_req req;
  memcpy(&req, buf, sizeof(req));

  unsigned paths = paths_of(op, &req);
  long rc;
  if ((paths & 1) && (rc = copy_path(buf, req_len, req.path, c->path)) != 0) return rc;
  if ((paths & 2) && (rc = copy_path(buf, req_len, req.path2, c->path2)) != 0) return rc;

  tmpfs_lock(fs);
  struct tmpfs_file* f = NULL;
  rc = takes_handle(op, &req) ? handle_of(c, req.handle, &f) : 0;
  if (rc == 0) {
    c->redir.nlinks = req.nlinks;
    rc = dispatch(fs, c, op, &req, f, buf, buf_size, req_len, w_out, reply_len);
  }
  tmpfs_unlock(fs);

  if (rc == CHCORE_FS_REDIRECT) {
    size_t n = strlen(c->redir.path);
    if (n + 1 > buf_size) return -ENAMETOOLONG;
    memcpy(buf, c->redir.path, n + 1);
    *reply_len = n + 1;
    w_out[0] = (unsigned long)c->redir.kind;
    w_out[1] = c->redir.mount_id;
    w_out[2] = c->redir.which;
    w_out[3] = c->redir.nlinks;
  }
  return rc;
}
