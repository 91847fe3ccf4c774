/* fsm, the file-system manager: the mount table of the name space.
 *
 * Clients do not send their file operations through fsm: the C library
 * sends each one straight to the file system that owns the path, starting
 * at the root file system and following its redirects (chcore/proto/fs.h).
 * What fsm answers is the question a redirect raises: "mount id N: which
 * server, and where in the name space?" (FSM_GET_MOUNT). The C library
 * caches the answer, so fsm is asked once per mount per process. This
 * keeps a file operation at one IPC call instead of two (client -> fsm ->
 * file system) and keeps the path walk in the server that has the
 * directories; docs/services.md compares this with ChCore's fsm.
 *
 * Mounting (FSM_MOUNT: procmgr at boot, then any process through the C
 * library's mount(2); every process runs as root): the root file system
 * first, then others on directories given by absolute canonical paths. fsm finds
 * the mount that holds the directory (the longest mounted prefix) and asks
 * that file system to mark the directory as a mount point
 * (FS_SET_MOUNTPOINT), so that its walks redirect there.
 *
 *   fsm              publishes itself as "fsm" with procmgr, then serves. */
#include <chcore/ipc.h>
#include <chcore/proto/fs.h>
#include <chcore/proto/fsm.h>
#include <chcore/services.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

struct mount {
  int used;
  int parent;               /* -1 for the root */
  long server;              /* the file system's server capability */
  struct chcore_conn conn;  /* fsm's own connection (for FS_SET_MOUNTPOINT) */
  char path[PATH_MAX];      /* absolute */
  char mp[PATH_MAX];        /* the mount point's path in the parent */
};

static struct mount mounts[CHCORE_FSM_MAX_MOUNTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* "/", or "/a/b" with no empty, "." or ".." component and no trailing '/'. */
static int canonical(const char* p) {
  if (p[0] != '/') return 0;
  if (p[1] == 0) return 1;
  for (const char* c = p + 1;;) {
    const char* e = strchr(c, '/');
    size_t n = e ? (size_t)(e - c) : strlen(c);
    if (n == 0 || n > CHCORE_FS_NAME_MAX) return 0;
    if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return 0;
    if (!e) return 1;
    c = e + 1;
  }
}

/* The mount holding `path` and the path's rest inside it. */
static int holder(const char* path, const char** rest) {
  int best = -1;
  size_t best_len = 0;
  for (int i = 0; i < CHCORE_FSM_MAX_MOUNTS; i++) {
    if (!mounts[i].used) continue;
    const char* mp = mounts[i].path;
    size_t n = strcmp(mp, "/") == 0 ? 0 : strlen(mp);
    if (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == 0) && (best < 0 || n >= best_len)) {
      best = i;
      best_len = n;
    }
  }
  *rest = path + best_len;
  return best;
}

static long mark(struct mount* parent, const char* mp, int id) {
  struct fs_req* req = parent->conn.buf;
  memset(req, 0, sizeof *req);
  req->handle = -1;
  req->mode = (uint32_t)id;
  req->path = sizeof *req;
  size_t n = strlen(mp) + 1;
  memcpy((char*)parent->conn.buf + sizeof *req, mp, n);
  long r = chcore_ipc_call(&parent->conn, FS_SET_MOUNTPOINT, 0, 0, 0, sizeof *req + n, 0, NULL,
                           NULL);
  /* A path that leaves the parent (a symlink, another mount below) is not
   * the canonical path of a directory there. */
  return r == CHCORE_FS_REDIRECT ? -EINVAL : r;
}

static long do_mount(const struct chcore_ipc_msg* m, const char* path) {
  if (m->ncaps != 1) return -EINVAL;
  if (!canonical(path)) return -EINVAL;
  int id = -1;
  for (int i = 0; i < CHCORE_FSM_MAX_MOUNTS && id < 0; i++)
    if (!mounts[i].used) id = i;
  if (id < 0) return -ENOSPC;
  struct mount* mt = &mounts[id];
  int root = strcmp(path, "/") == 0;
  if (root && mounts[0].used) return -EBUSY;
  if (!root && !mounts[0].used) return -ENOENT;
  /* fsm connects before any client can learn of the file system (through
   * FSM_GET_MOUNT): a file system takes mount-point requests only from its
   * first connection. */
  long r = chcore_connect(m->caps[0], 2 * 4096 + PATH_MAX, &mt->conn);
  if (r < 0) return r == -ECONNREFUSED || r == -ECONNRESET ? -EIO : r;
  if (root) {
    mt->parent = -1;
    strcpy(mt->mp, "/");
  } else {
    const char* rest;
    int p = holder(path, &rest);
    r = rest[0] == 0 ? -EBUSY /* already a mount's root */ : mark(&mounts[p], rest, id);
    if (r < 0) {
      chcore_disconnect(&mt->conn);
      return r;
    }
    mt->parent = p;
    strcpy(mt->mp, rest);
  }
  strcpy(mt->path, path);
  mt->server = m->caps[0];
  mt->used = 1;
  return id;
}

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  pthread_mutex_lock(&lock);
  switch (m->w[0]) {
    case FSM_MOUNT: {
      char path[PATH_MAX];
      size_t n = m->len < sizeof path ? m->len : sizeof path;
      if (n == 0 || memchr(m->buf, 0, n) == NULL) {
        r->ret = -EINVAL;
        break;
      }
      memcpy(path, m->buf, n);
      r->ret = do_mount(m, path);
      if (r->ret < 0 && m->ncaps > 0) chcore_cap_release(m->caps[0]);
      break;
    }
    case FSM_GET_MOUNT: {
      unsigned long id = m->w[1];
      if (id >= CHCORE_FSM_MAX_MOUNTS || !mounts[id].used) {
        r->ret = -ENOENT;
        break;
      }
      struct mount* mt = &mounts[id];
      size_t a = strlen(mt->path) + 1, b = strlen(mt->mp) + 1;
      if (a + b > m->buf_size) {
        r->ret = -EINVAL;
        break;
      }
      memcpy(m->buf, mt->path, a);
      memcpy((char*)m->buf + a, mt->mp, b);
      r->len = a + b;
      r->w[0] = (unsigned long)(long)mt->parent;
      r->ncaps = 1;
      r->caps[0] = CHCORE_IPC_CAP(mt->server, CHCORE_RIGHT_WRITE);
      r->ret = 0;
      break;
    }
    default:
      for (unsigned i = 0; i < m->ncaps; i++) chcore_cap_release(m->caps[i]);
      r->ret = -ENOSYS;
  }
  pthread_mutex_unlock(&lock);
}

static const struct chcore_server_ops ops = {.handle = handle};

int main(void) {
  long srv = chcore_server_register(&ops);
  if (srv < 0) {
    fprintf(stderr, "fsm: cannot register the server: %ld\n", srv);
    return 1;
  }
  long r = chcore_service_publish("fsm", srv);
  if (r < 0) {
    fprintf(stderr, "fsm: cannot publish: %ld\n", r);
    return 1;
  }
  chcore_serve_forever();
}
