/* devfs: the device files of /dev, a file system of the protocol of
 * chcore/proto/fs.h mounted at /dev by procmgr.
 *
 * It holds one flat directory of character devices, with Linux's numbers:
 *   null 1:3   zero 1:5   full 1:7   random 1:8   urandom 1:9
 *   tty 5:0    console 5:1
 * and answers what a name space asks of them (open, stat, fstat, access,
 * getdents of /dev, statfs). Besides them, one directory, shm, on which
 * procmgr mounts a tmpfs (/dev/shm, where musl's shm_open and sem_open
 * keep their files): marked by fsm (FS_SET_MOUNTPOINT), a walk into it
 * redirects there (FS_REDIR_MOUNT), as tmpfs's walks do. What a device does when read or written is
 * the C library's part (port/device.c), in the process that opened it, the
 * way the kernel's drivers are Linux's part: /dev/null costs no IPC call
 * per write, and /dev/tty is the process's own console description. The
 * library recognises a device by its st_rdev at open.
 *
 *   devfs NAME      publishes its server as NAME with procmgr */
#include <chcore/ipc.h>
#include <chcore/proto/fs.h>
#include <chcore/services.h>
#include <chcore/syscall.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAJMIN(ma, mi) (((uint64_t)(ma) << 8) | (mi))

static const struct device {
  const char* name;
  uint64_t rdev;
} devices[] = {
    {"null", MAJMIN(1, 3)},   {"zero", MAJMIN(1, 5)},    {"full", MAJMIN(1, 7)},
    {"random", MAJMIN(1, 8)}, {"urandom", MAJMIN(1, 9)}, {"tty", MAJMIN(5, 0)},
    {"console", MAJMIN(5, 1)},
};
#define NDEV (int)(sizeof devices / sizeof devices[0])
/* Node numbers: 1 the directory, 2 + i device i, then shm. */
#define ROOT_INO 1
#define SHM_INO (2 + NDEV)
#define REDIRECT_SHM (-100000) /* lookup: the path goes on in /dev/shm's mount */

/* The mount id of the file system mounted on shm (0: none). */
static uint64_t shm_mount;

static int is_dir_ino(int ino) { return ino == ROOT_INO || ino == SHM_INO; }

static int64_t boot_ns;

static void stat_of(int ino, struct fs_stat* st) {
  memset(st, 0, sizeof *st);
  st->ino = (uint64_t)ino;
  st->uid = st->gid = 0;
  st->atime_ns = st->mtime_ns = st->ctime_ns = boot_ns;
  st->blksize = 4096;
  if (ino == ROOT_INO) {
    st->mode = S_IFDIR | 0755;
    st->nlink = 3;
  } else if (ino == SHM_INO) {
    st->mode = S_IFDIR | 01777;
    st->nlink = 2;
  } else {
    st->mode = S_IFCHR | 0666;
    st->nlink = 1;
    st->rdev = devices[ino - 2].rdev;
  }
}

/* The node a path names: ROOT_INO, 2 + device, SHM_INO, -ENOENT or
 * -ENOTDIR; REDIRECT_SHM with *rest the rest after "shm" (leading slashes
 * dropped) when something is mounted there. */
static int lookup(const char* path, const char** rest_out) {
  while (*path == '/') path++;
  if (*path == 0 || strcmp(path, ".") == 0) return ROOT_INO;
  size_t n = strcspn(path, "/");
  const char* rest = path + n;
  while (*rest == '/') rest++;
  if (n == 2 && path[0] == '.' && path[1] == '.') return *rest ? -EXDEV : ROOT_INO;
  if (n == 3 && memcmp(path, "shm", 3) == 0) {
    if (shm_mount != 0) {
      *rest_out = rest;
      return REDIRECT_SHM;
    }
    return *rest ? -ENOENT : SHM_INO;
  }
  for (int i = 0; i < NDEV; i++) {
    if (strlen(devices[i].name) == n && memcmp(devices[i].name, path, n) == 0) {
      if (*rest) return -ENOTDIR;
      /* "null/" names a directory that is not one. */
      return path[n] == '/' ? -ENOTDIR : 2 + i;
    }
  }
  return -ENOENT;
}

/* Per client: its open handles (node numbers, 0 free; the directory keeps
 * a getdents position). */
#define MAX_HANDLES 256
struct client {
  int privileged; /* the first client: fsm, which may mark mount points */
  int ino[MAX_HANDLES];
  int64_t pos[MAX_HANDLES];
};
static struct client clients[64];
static int client_used[64];
static int lock_word;

static void lock(void) {
  while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE)) chcore_sys_yield();
}
static void unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

static long on_connect(unsigned long badge, unsigned long pid, unsigned long arg, void** client) {
  (void)arg;
  (void)badge;
  (void)pid;
  lock();
  long r = -ENOMEM;
  static int first_seen;
  for (int i = 0; i < 64; i++) {
    if (!client_used[i]) {
      client_used[i] = 1;
      memset(&clients[i], 0, sizeof clients[i]);
      clients[i].privileged = !first_seen;
      first_seen = 1;
      *client = &clients[i];
      r = 0;
      break;
    }
  }
  unlock();
  return r;
}

static void on_close(void* client) {
  lock();
  client_used[(struct client*)client - clients] = 0;
  unlock();
}


/* The request's path, checked to lie NUL-terminated inside the request. */
static const char* req_path(const struct chcore_ipc_msg* m, const struct fs_req* q) {
  if (q->path < sizeof *q || q->path >= m->len) return NULL;
  const char* p = (const char*)m->buf + q->path;
  return memchr(p, 0, m->len - q->path) ? p : NULL;
}

/* The path at offset `off` of the request, checked to lie NUL-terminated
 * inside it; NULL if not. */
static const char* req_str(const struct chcore_ipc_msg* m, uint32_t off) {
  if (off < sizeof(struct fs_req) || off >= m->len) return NULL;
  const char* p = (const char*)m->buf + off;
  return memchr(p, 0, m->len - off) ? p : NULL;
}

/* If the path at offset `off` goes into /dev/shm's mount, answers the
 * redirect (the rest of the path, for path `which` of the call) and
 * returns 1. */
static int redirect_shm(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r,
                        const struct fs_req* q, uint32_t off, unsigned which) {
  const char* p = req_str(m, off);
  const char* rest;
  if (p == NULL || lookup(p, &rest) != REDIRECT_SHM) return 0;
  size_t n = strlen(rest) + 1;
  memmove(m->buf, rest, n);
  r->len = n;
  r->w[0] = FS_REDIR_MOUNT;
  r->w[1] = shm_mount;
  r->w[2] = which;
  r->w[3] = q->nlinks;
  r->ret = CHCORE_FS_REDIRECT;
  return 1;
}

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  struct client* c = m->client;
  struct fs_req q;
  if (m->len < sizeof q || m->len > m->buf_size) {
    r->ret = -EINVAL;
    return;
  }
  memcpy(&q, m->buf, sizeof q);
  int h = q.handle;
  int valid = h >= 0 && h < MAX_HANDLES && c->ino[h] != 0;
  struct fs_stat st;
  switch (m->w[0]) {
    case FS_OPEN:
    case FS_STAT:
    case FS_ACCESS: {
      if (redirect_shm(m, r, &q, q.path, 0)) return;
      const char* p = req_path(m, &q);
      const char* rest_unused;
      int ino = p ? lookup(p, &rest_unused) : -EFAULT;
      if (ino == -EXDEV) {
        /* ".." out of /dev: the client goes on in the parent. */
        const char* rest = p;
        while (*rest == '/') rest++;
        rest += 2;
        while (*rest == '/') rest++;
        size_t n = strlen(rest) + 1;
        memmove(m->buf, rest, n);
        r->len = n;
        r->w[0] = FS_REDIR_UP;
        r->w[3] = q.nlinks;
        r->ret = CHCORE_FS_REDIRECT;
        return;
      }
      if (ino < 0) {
        r->ret = ino;
        return;
      }
      if (m->w[0] == FS_ACCESS) {
        r->ret = (q.mode & 1 /* X_OK */) ? -EACCES : 0;
        return;
      }
      stat_of(ino, &st);
      if (m->w[0] == FS_STAT) {
        memcpy(m->buf, &st, sizeof st);
        r->len = sizeof st;
        r->ret = 0;
        return;
      }
      if ((q.flags & CHCORE_FS_O_CREAT) && (q.flags & CHCORE_FS_O_EXCL)) {
        r->ret = -EEXIST;
        return;
      }
      if (!is_dir_ino(ino) && (q.flags & CHCORE_FS_O_DIRECTORY)) {
        r->ret = -ENOTDIR;
        return;
      }
      if (is_dir_ino(ino) && (q.flags & CHCORE_FS_O_ACCMODE) != CHCORE_FS_O_RDONLY) {
        r->ret = -EISDIR;
        return;
      }
      lock();
      int slot = -1;
      for (int i = 0; i < MAX_HANDLES && slot < 0; i++)
        if (c->ino[i] == 0) slot = i;
      if (slot >= 0) {
        c->ino[slot] = ino;
        c->pos[slot] = 0;
      }
      unlock();
      if (slot < 0) {
        r->ret = -EMFILE;
        return;
      }
      memcpy(m->buf, &st, sizeof st);
      r->len = sizeof st;
      if (ino == ROOT_INO) {
        memcpy((char*)m->buf + sizeof st, "/", 2);
        r->len += 2;
      } else if (ino == SHM_INO) {
        memcpy((char*)m->buf + sizeof st, "/shm", 5);
        r->len += 5;
      }
      r->ret = slot;
      return;
    }
    case FS_CLOSE:
      if (!valid) {
        r->ret = -EBADF;
        return;
      }
      c->ino[h] = 0;
      r->ret = 0;
      return;
    case FS_FSTAT:
      if (!valid) {
        r->ret = -EBADF;
        return;
      }
      stat_of(c->ino[h], &st);
      memcpy(m->buf, &st, sizeof st);
      r->len = sizeof st;
      r->ret = 0;
      return;
    case FS_GETDENTS: {
      if (!valid) {
        r->ret = -EBADF;
        return;
      }
      if (!is_dir_ino(c->ino[h])) {
        r->ret = -ENOTDIR;
        return;
      }
      if (c->ino[h] == SHM_INO) { /* nothing mounted on it yet: empty */
        r->ret = 0;
        return;
      }
      size_t room = q.len < m->buf_size ? (size_t)q.len : m->buf_size, used = 0;
      /* Positions: 0 ".", 1 "..", 2 + i device i, 2 + NDEV shm. */
      for (int64_t p = c->pos[h]; p < 3 + NDEV; p++) {
        const char* name = p == 0         ? "."
                           : p == 1       ? ".."
                           : p == SHM_INO ? "shm"
                                          : devices[p - 2].name;
        int dir = p < 2 || p == SHM_INO;
        size_t n = fs_put_dirent((char*)m->buf + used, room - used, p < 2 ? ROOT_INO : (uint64_t)p,
                                 p + 1, dir ? 4 /* DT_DIR */ : 2 /* DT_CHR */, name, strlen(name));
        if (n == 0) break;
        used += n;
        c->pos[h] = p + 1;
      }
      if (used == 0 && c->pos[h] < 3 + NDEV) {
        r->ret = -EINVAL; /* the buffer cannot hold one entry */
        return;
      }
      r->len = used;
      r->ret = (long)used;
      return;
    }
    case FS_LSEEK:
      if (!valid) {
        r->ret = -EBADF;
        return;
      }
      r->ret = 0;
      if (c->ino[h] == ROOT_INO && q.flags == 0 && q.off == 0) c->pos[h] = 0;
      return;
    case FS_STATFS: {
      struct fs_statfs sf;
      memset(&sf, 0, sizeof sf);
      sf.type = 0x01021994; /* Linux mounts a tmpfs (devtmpfs) there */
      sf.bsize = 4096;
      sf.files = 3 + NDEV;
      sf.namelen = CHCORE_FS_NAME_MAX;
      memcpy(m->buf, &sf, sizeof sf);
      r->len = sizeof sf;
      r->ret = 0;
      return;
    }
    case FS_READLINK:
      if (redirect_shm(m, r, &q, q.path, 0)) return;
      r->ret = -EINVAL; /* nothing here is a symlink */
      return;
    case FS_SET_MOUNTPOINT: {
      const char* p = req_str(m, q.path);
      const char* rest;
      if (!c->privileged) {
        r->ret = -EPERM;
        return;
      }
      if (p == NULL) {
        r->ret = -EFAULT;
        return;
      }
      while (*p == '/') p++;
      if (strcmp(p, "shm") != 0) { /* the only directory but the root */
        r->ret = lookup(p, &rest) == ROOT_INO ? -EINVAL : -ENOTDIR;
        return;
      }
      shm_mount = q.mode;
      r->ret = 0;
      return;
    }
    case FS_MKDIR:
    case FS_SYMLINK:
    case FS_LINK:
    case FS_RENAME:
    case FS_UNLINK:
    case FS_TRUNCATE:
    case FS_CHMOD:
    case FS_CHOWN:
    case FS_UTIMENS:
      /* Names under /dev/shm belong to the file system mounted there (a
       * symlink's path is its target: only path2 is a place). */
      if (m->w[0] != FS_SYMLINK &&
          !((m->w[0] == FS_CHMOD || m->w[0] == FS_CHOWN || m->w[0] == FS_UTIMENS) &&
            q.handle >= 0) &&
          redirect_shm(m, r, &q, q.path, 0))
        return;
      if ((m->w[0] == FS_SYMLINK || m->w[0] == FS_LINK || m->w[0] == FS_RENAME) &&
          redirect_shm(m, r, &q, q.path2, 1))
        return;
      r->ret = -EPERM;
      return;
    default:
      r->ret = -ENOSYS;
  }
}

static const struct chcore_server_ops ops = {
    .handle = handle, .on_connect = on_connect, .on_close = on_close};

int main(int argc, char** argv) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  boot_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  long srv = chcore_server_register(&ops);
  if (srv < 0) {
    fprintf(stderr, "devfs: cannot register the server: %ld\n", srv);
    return 1;
  }
  long r = chcore_service_publish(argc > 1 ? argv[1] : "devfs", srv);
  if (r < 0) {
    fprintf(stderr, "devfs: cannot publish: %ld\n", r);
    return 1;
  }
  chcore_serve_forever();
}
