/* procfs: /proc, a file system of the protocol of chcore/proto/fs.h that
 * procmgr starts and mounts at /proc (docs/services.md, "procfs").
 *
 * Nothing is stored: a file's text is made when it is opened, from
 *   - procmgr's records (PROCMGR_PROC_LIST / _INFO / _MAPS / _PID_OF_KPID):
 *     pids, parents, groups, sessions, argv, envp, program, and through
 *     procmgr's capability to each process the kernel's figures (threads,
 *     mapped and resident memory, regions);
 *   - the kernel: mem_stat (memory), cpu_id and online_cpus (CPUs),
 *     clock_gettime (uptime, boot time);
 *   - fsm's mount table (FSM_GET_MOUNT) and each file system's FS_STATFS;
 *   - the C library's uname (version, hostname).
 * The text is kept with the open file description, so that a program
 * reading it in pieces sees one consistent snapshot, as on Linux (where a
 * seq_file is rebuilt per read but tools read it at once). Everything is
 * read-only: opening for writing is -EACCES, changing names -EACCES or
 * -EPERM, as Linux answers root.
 *
 * The tree:
 *   self -> <pid of the caller>      (the caller: its connection's process)
 *   <pid>/ stat status cmdline environ comm maps mounts exe-> cwd-> fd/
 *   meminfo cpuinfo stat uptime loadavg mounts filesystems version
 *   sys/kernel/ hostname ostype osrelease
 *
 * Locks. Handler threads (one per client) run concurrently and are raw
 * threads: they share the C library's thread state, so malloc is
 * serialised (sources.c). table_lock protects the clients, their
 * handles and the descriptions; pm_lock and fsm_lock our connections to
 * procmgr and fsm (held across a call to them, which never calls back).
 * No lock is held while a text is made (which calls other servers, and
 * for /proc/mounts this one: FS_STATFS of /proc, answered without locks).
 *
 *   procfs NAME      publishes its server as NAME with procmgr */
#define _GNU_SOURCE
#include <chcore/ipc.h>
#include <chcore/proto/fs.h>
#include <chcore/services.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "procfs.h"

int64_t boot_ns;
static int table_lock; /* the clients, their handles, the descriptions, the exports */

/* ---- The tree ---------------------------------------------------------------------- */

struct entry {
  const char* name;
  int kind;
};
static const struct entry root_entries[] = {
    {"self", N_SELF},     {"meminfo", N_MEMINFO},         {"cpuinfo", N_CPUINFO},
    {"stat", N_STAT},     {"uptime", N_UPTIME},           {"loadavg", N_LOADAVG},
    {"mounts", N_MOUNTS}, {"filesystems", N_FILESYSTEMS}, {"version", N_VERSION},
    {"sys", N_SYS},
};
static const struct entry sys_entries[] = {{"kernel", N_SYS_KERNEL}};
static const struct entry sys_kernel_entries[] = {
    {"hostname", N_HOSTNAME}, {"ostype", N_OSTYPE}, {"osrelease", N_OSRELEASE}};
static const struct entry pid_entries[] = {
    {"stat", N_PID_STAT},       {"status", N_PID_STATUS}, {"cmdline", N_PID_CMDLINE},
    {"environ", N_PID_ENVIRON}, {"comm", N_PID_COMM},     {"maps", N_PID_MAPS},
    {"mounts", N_PID_MOUNTS},   {"exe", N_PID_EXE},       {"cwd", N_PID_CWD},
    {"fd", N_PID_FD},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int is_dir(int k) {
  return k == N_ROOT || k == N_SYS || k == N_SYS_KERNEL || k == N_PID || k == N_PID_FD;
}
static int is_link(int k) {
  return k == N_SELF || k == N_PID_EXE || k == N_PID_CWD || k == N_PID_FD_LINK;
}

/* A directory's entries (not the pids of the root). */
static const struct entry* dir_entries(int k, size_t* n) {
  switch (k) {
    case N_ROOT:
      *n = COUNT(root_entries);
      return root_entries;
    case N_SYS:
      *n = COUNT(sys_entries);
      return sys_entries;
    case N_SYS_KERNEL:
      *n = COUNT(sys_kernel_entries);
      return sys_kernel_entries;
    case N_PID:
      *n = COUNT(pid_entries);
      return pid_entries;
    default:
      *n = 0;
      return NULL;
  }
}

static struct node parent_of(struct node n) {
  switch (n.kind) {
    case N_SYS_KERNEL:
      return (struct node){N_SYS, 0, 0};
    case N_PID_FD:
      return (struct node){N_PID, n.pid, 0};
    case N_PID_FD_LINK:
      return (struct node){N_PID_FD, n.pid, 0};
    default:
      return (struct node){N_ROOT, 0, 0};
  }
}

static uint64_t ino_of(struct node n) {
  return ((uint64_t)(uint32_t)n.fd << 38) | ((uint64_t)(uint32_t)n.pid << 6) | (uint64_t)n.kind;
}

static void stat_of(struct node n, struct fs_stat* st) {
  memset(st, 0, sizeof *st);
  st->ino = ino_of(n);
  st->blksize = 1024;
  st->atime_ns = st->mtime_ns = st->ctime_ns = boot_ns;
  if (is_dir(n.kind)) {
    st->mode = S_IFDIR | 0555;
    st->nlink = 2;
  } else if (is_link(n.kind)) {
    st->mode = S_IFLNK | 0777;
    st->nlink = 1;
  } else {
    /* Linux's /proc files have size 0: readers read to the end. */
    st->mode = S_IFREG | (n.kind == N_PID_ENVIRON ? 0400 : 0444);
    st->nlink = 1;
  }
}

/* ---- Clients and open files ---------------------------------------------------------- */

/* An open file description: the snapshot made at open (a file's text, or a
 * directory's entries as linux_dirent64 names), its offset. Shared by the
 * handles that FS_EXPORT / FS_IMPORT join. Counted under table_lock. */
struct dent {
  uint64_t ino;
  unsigned char type;
  char name[16];
};
struct desc {
  int refs;
  struct node node;
  char* data; /* a file's text */
  size_t len;
  struct dent* ents; /* a directory's entries */
  size_t nents;
  int listed; /* fd/: the entries are made at the first getdents (below) */
  int64_t pos;
  struct desc* next_free; /* on a list of those to free once the lock is dropped */
};

#define MAX_HANDLES 256
#define MAX_CLIENTS 256
struct client {
  long kpid; /* the kernel's process id of the client */
  int pid;   /* its pid, once asked (0: not yet; -1: procmgr does not know it) */
  struct desc* h[MAX_HANDLES];
};
static struct client clients[MAX_CLIENTS];
static int client_used[MAX_CLIENTS];

/* Exported descriptions waiting for their FS_IMPORT (token = index + 1 +
 * MAX_EXPORTS * generation). A full table drops its oldest. */
#define MAX_EXPORTS 64
static struct desc* exports[MAX_EXPORTS];
static uint64_t export_token[MAX_EXPORTS];
static uint64_t export_gen;
static int export_next;

/* Drops a reference under table_lock; the last one puts d on *to_free,
 * which desc_free_chain frees after the lock (free takes alloc_lock). */
static void desc_put_locked(struct desc* d, struct desc** to_free) {
  if (d && --d->refs == 0) {
    d->next_free = *to_free;
    *to_free = d;
  }
}

static void desc_free_chain(struct desc* d) {
  while (d) {
    struct desc* next = d->next_free;
    xfree(d->data);
    xfree(d->ents);
    xfree(d);
    d = next;
  }
}

static long on_connect(unsigned long badge, unsigned long kpid, unsigned long arg, void** client) {
  (void)arg;
  (void)badge;
  long r = -ENOMEM;
  procfs_lock(&table_lock);
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (client_used[i]) continue;
    client_used[i] = 1;
    memset(&clients[i], 0, sizeof clients[i]);
    clients[i].kpid = (long)kpid;
    *client = &clients[i];
    r = 0;
    break;
  }
  procfs_unlock(&table_lock);
  return r;
}

static void on_close(void* client) {
  struct client* c = client;
  struct desc* to_free = NULL;
  procfs_lock(&table_lock);
  for (int i = 0; i < MAX_HANDLES; i++) {
    desc_put_locked(c->h[i], &to_free);
    c->h[i] = NULL;
  }
  client_used[c - clients] = 0;
  procfs_unlock(&table_lock);
  desc_free_chain(to_free);
}

/* The caller's pid (asked of procmgr once), or -1. */
static int caller_pid(struct client* c) {
  int pid = __atomic_load_n(&c->pid, __ATOMIC_ACQUIRE);
  if (pid != 0) return pid;
  pid = pid_of_kpid(c->kpid);
  __atomic_store_n(&c->pid, pid, __ATOMIC_RELEASE);
  return pid;
}

/* The handle's description, with a reference (NULL: a bad handle). */
static struct desc* desc_get(struct client* c, int h) {
  if (h < 0 || h >= MAX_HANDLES) return NULL;
  procfs_lock(&table_lock);
  struct desc* d = c->h[h];
  if (d) d->refs++;
  procfs_unlock(&table_lock);
  return d;
}

static void desc_put(struct desc* d) {
  struct desc* to_free = NULL;
  procfs_lock(&table_lock);
  desc_put_locked(d, &to_free);
  procfs_unlock(&table_lock);
  desc_free_chain(to_free);
}

/* A new handle of the client for d (whose reference it takes), or -EMFILE. */
static long handle_new(struct client* c, struct desc* d) {
  long r = -EMFILE;
  procfs_lock(&table_lock);
  for (int i = 0; i < MAX_HANDLES; i++) {
    if (c->h[i]) continue;
    c->h[i] = d;
    r = i;
    break;
  }
  procfs_unlock(&table_lock);
  return r;
}

/* ---- Path walks ------------------------------------------------------------------------ */

/* The child `name` (n bytes) of directory d: 0 with *out, or -ENOENT. */
static long lookup(struct node d, const char* name, size_t n, struct node* out) {
  size_t cnt;
  const struct entry* e = dir_entries(d.kind, &cnt);
  for (size_t i = 0; i < cnt; i++) {
    if (strlen(e[i].name) == n && memcmp(e[i].name, name, n) == 0) {
      *out = (struct node){e[i].kind, d.pid, 0};
      return 0;
    }
  }
  if ((d.kind != N_ROOT && d.kind != N_PID_FD) || n == 0 || n > 9 ||
      (name[0] == '0' && (n > 1 || d.kind == N_ROOT)))
    return -ENOENT;
  int num = 0;
  for (size_t i = 0; i < n; i++) {
    if (name[i] < '0' || name[i] > '9') return -ENOENT;
    num = num * 10 + (name[i] - '0');
  }
  if (d.kind == N_PID_FD) {
    size_t cnt = 0;
    struct fd_link* v = fd_list(d.pid, &cnt);
    int found = 0;
    for (size_t i = 0; i < cnt; i++) found |= v[i].fd == num;
    fd_list_free(v, cnt);
    if (!found) return -ENOENT;
    *out = (struct node){N_PID_FD_LINK, d.pid, num};
    return 0;
  }
  if (!pid_exists(num)) return -ENOENT;
  *out = (struct node){N_PID, num, 0};
  return 0;
}

/* A redirect answer: the new path (NUL-terminated) in the buffer. */
static long redirect(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r, int kind,
                     const char* a, const char* b, unsigned which, uint32_t nlinks) {
  size_t na = strlen(a), nb = b ? strlen(b) : 0;
  if (na + nb + 2 > m->buf_size || na + nb + 2 > CHCORE_FS_PATH_MAX) return -ENAMETOOLONG;
  char* out = m->buf;
  memmove(out, a, na);
  if (nb) {
    if (na == 0 || out[na - 1] != '/') out[na++] = '/';
    memmove(out + na, b, nb);
  }
  out[na + nb] = 0;
  r->len = na + nb + 1;
  r->w[0] = (unsigned long)kind;
  r->w[2] = which;
  r->w[3] = nlinks;
  return CHCORE_FS_REDIRECT;
}

/* Walks `path` from the root: 0 with *out; -errno; or CHCORE_FS_REDIRECT
 * with the reply filled (".." out of /proc; an absolute symlink: exe, cwd).
 * A symlink as the last component is followed if follow_last (or a '/'
 * follows it). self is followed in the server (its target is relative);
 * each symlink counts toward CHCORE_FS_SYMLOOP_MAX with the request's
 * nlinks. */
static long walk(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r, struct client* c,
                 const char* path_in, unsigned which, uint32_t nlinks, int follow_last,
                 struct node* out) {
  char path[CHCORE_FS_PATH_MAX];
  size_t plen = strnlen(path_in, sizeof path);
  if (plen >= sizeof path) return -ENAMETOOLONG;
  memcpy(path, path_in, plen + 1);
  struct node cur = {N_ROOT, 0, 0};
  const char* p = path;
  int trailing = 0;
  for (;;) {
    while (*p == '/') p++;
    if (*p == 0) break;
    size_t n = strcspn(p, "/");
    const char* next = p + n;
    const char* rest = next;
    while (*rest == '/') rest++;
    int last = *rest == 0;
    trailing = *next == '/';
    if (n > CHCORE_FS_NAME_MAX) return -ENAMETOOLONG;
    if (!is_dir(cur.kind)) return -ENOTDIR;
    if (n == 1 && p[0] == '.') {
      p = next;
      continue;
    }
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (cur.kind == N_ROOT) return redirect(m, r, FS_REDIR_UP, rest, NULL, which, nlinks);
      cur = parent_of(cur);
      p = next;
      continue;
    }
    struct node child;
    long e = lookup(cur, p, n, &child);
    if (e < 0) return e;
    if (is_link(child.kind) && (!last || trailing || follow_last)) {
      if (nlinks >= CHCORE_FS_SYMLOOP_MAX) return -ELOOP;
      nlinks++;
      if (child.kind == N_SELF) {
        int pid = caller_pid(c);
        if (pid <= 0) return -ENOENT;
        child = (struct node){N_PID, pid, 0};
      } else {
        char target[CHCORE_FS_PATH_MAX];
        e = gen_link(child, caller_pid(c), target, sizeof target);
        if (e < 0) return e;
        /* fd/N of a pipe or an anonymous inode: no path reaches it (Linux
         * opens the description itself; this server cannot). */
        if (target[0] != '/') return -ENOENT;
        return redirect(m, r, FS_REDIR_ABSOLUTE, target, rest, which, nlinks);
      }
    }
    cur = child;
    p = next;
  }
  if (trailing && !is_dir(cur.kind)) return -ENOTDIR;
  *out = cur;
  return 0;
}

/* ---- Open files ----------------------------------------------------------------------- */

static void dent_add(struct desc* d, size_t* cap, uint64_t ino, unsigned char type,
                     const char* name) {
  if (d->nents == *cap) {
    size_t ncap = *cap ? *cap * 2 : 32;
    struct dent* more = xrealloc(d->ents, ncap * sizeof *more);
    if (!more) return;
    d->ents = more;
    *cap = ncap;
  }
  struct dent* e = &d->ents[d->nents++];
  e->ino = ino;
  e->type = type;
  snprintf(e->name, sizeof e->name, "%s", name);
}

/* A directory's entries, as they are now. */
static long dir_snapshot(struct desc* d) {
  size_t cap = 0, cnt;
  struct node n = d->node;
  dent_add(d, &cap, ino_of(n), 4 /* DT_DIR */, ".");
  dent_add(d, &cap, ino_of(parent_of(n)), 4, "..");
  const struct entry* e = dir_entries(n.kind, &cnt);
  for (size_t i = 0; i < cnt; i++) {
    int k = e[i].kind;
    unsigned char type = is_dir(k) ? 4 : is_link(k) ? 10 /* DT_LNK */ : 8 /* DT_REG */;
    dent_add(d, &cap, ino_of((struct node){k, n.pid, 0}), type, e[i].name);
  }
  if (n.kind == N_ROOT) {
    size_t np = 0;
    int* pids = pid_list(&np);
    for (size_t i = 0; i < np; i++) {
      char name[16];
      snprintf(name, sizeof name, "%d", pids[i]);
      dent_add(d, &cap, ino_of((struct node){N_PID, pids[i], 0}), 4, name);
    }
    xfree(pids);
  }
  if (n.kind == N_PID_FD) {
    size_t cnt = 0;
    struct fd_link* v = fd_list(n.pid, &cnt);
    for (size_t i = 0; i < cnt; i++) {
      char name[16];
      snprintf(name, sizeof name, "%d", v[i].fd);
      dent_add(d, &cap, ino_of((struct node){N_PID_FD_LINK, n.pid, v[i].fd}), 10 /* DT_LNK */,
               name);
    }
    fd_list_free(v, cnt);
  }
  return 0;
}

/* FS_OPEN: the node's snapshot in a new description. */
static long do_open(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r, struct client* c,
                    const struct fs_req* q, const char* path) {
  struct node n;
  int nofollow = (q->flags & CHCORE_FS_O_NOFOLLOW) != 0;
  long e = walk(m, r, c, path, 0, q->nlinks, !nofollow, &n);
  if (e == -ENOENT && (q->flags & CHCORE_FS_O_CREAT)) return -EACCES; /* no new files here */
  if (e != 0) return e;
  int acc = q->flags & CHCORE_FS_O_ACCMODE;
  if ((q->flags & CHCORE_FS_O_CREAT) && (q->flags & CHCORE_FS_O_EXCL)) return -EEXIST;
  if (is_link(n.kind)) return (q->flags & CHCORE_FS_O_PATH) ? -EOPNOTSUPP : -ELOOP;
  if (is_dir(n.kind) && acc != CHCORE_FS_O_RDONLY) return -EISDIR;
  if (!is_dir(n.kind) && (q->flags & CHCORE_FS_O_DIRECTORY)) return -ENOTDIR;
  if (acc != CHCORE_FS_O_RDONLY || (q->flags & CHCORE_FS_O_TRUNC)) return -EACCES;
  struct desc* d = xrealloc(NULL, sizeof *d);
  if (!d) return -ENOMEM;
  memset(d, 0, sizeof *d);
  d->refs = 1;
  d->node = n;
  if (n.kind == N_PID_FD) {
    e = 0; /* listed at the first getdents, as Linux lists it: with the fd
              of the reader's own opendir */
  } else if (is_dir(n.kind)) {
    e = dir_snapshot(d);
  } else {
    struct text t = {0};
    e = gen_text(n, caller_pid(c), &t);
    d->data = t.p;
    d->len = t.len;
  }
  if (e == 0) e = handle_new(c, d);
  if (e < 0) {
    desc_free_chain(d);
    return e;
  }
  /* The reply: the node's attributes, and a directory's path here. */
  struct fs_stat st;
  stat_of(n, &st);
  memcpy(m->buf, &st, sizeof st);
  r->len = sizeof st;
  char canon[32];
  int k = n.kind == N_ROOT         ? snprintf(canon, sizeof canon, "/")
          : n.kind == N_SYS        ? snprintf(canon, sizeof canon, "/sys")
          : n.kind == N_SYS_KERNEL ? snprintf(canon, sizeof canon, "/sys/kernel")
          : n.kind == N_PID        ? snprintf(canon, sizeof canon, "/%d", n.pid)
          : n.kind == N_PID_FD     ? snprintf(canon, sizeof canon, "/%d/fd", n.pid)
                                   : -1;
  if (k > 0 && sizeof st + (size_t)k + 1 <= m->buf_size) {
    memcpy((char*)m->buf + sizeof st, canon, (size_t)k + 1);
    r->len += (size_t)k + 1;
  }
  return e;
}

/* FS_READ: from the snapshot. */
static long do_read(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r, struct desc* d,
                    const struct fs_req* q) {
  if (is_dir(d->node.kind)) return -EISDIR;
  if (q->off < -1) return -EINVAL;
  /* The description's offset is shared (FS_EXPORT): read and advance it
   * under the table's lock. */
  procfs_lock(&table_lock);
  int64_t off = q->off == -1 ? d->pos : q->off;
  size_t len = q->len < m->buf_size ? (size_t)q->len : m->buf_size;
  size_t n = off >= 0 && (uint64_t)off < d->len ? d->len - (size_t)off : 0;
  if (n > len) n = len;
  if (n) memcpy(m->buf, d->data + off, n);
  if (q->off == -1) d->pos = off + (int64_t)n;
  procfs_unlock(&table_lock);
  r->len = n;
  return (long)n;
}

static long do_lseek(struct desc* d, const struct fs_req* q) {
  procfs_lock(&table_lock);
  int64_t base = q->flags == 0 ? 0 : q->flags == 1 ? d->pos : (int64_t)d->len;
  long r;
  if (q->flags < 0 || q->flags > 2)
    r = -EINVAL;
  else if (is_dir(d->node.kind))
    r = q->flags == 0 && q->off >= 0 && (uint64_t)q->off <= d->nents ? (d->pos = q->off) : -EINVAL;
  else if ((q->off > 0 && base > INT64_MAX - q->off) || base + q->off < 0)
    r = -EINVAL;
  else
    r = (long)(d->pos = base + q->off);
  procfs_unlock(&table_lock);
  return r;
}

static long do_getdents(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r, struct desc* d,
                        const struct fs_req* q) {
  if (!is_dir(d->node.kind)) return -ENOTDIR;
  if (!__atomic_load_n(&d->listed, __ATOMIC_ACQUIRE) && d->node.kind == N_PID_FD) {
    /* Made without the lock (it asks procmgr); the first to finish keeps
     * its list. */
    struct desc tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.node = d->node;
    dir_snapshot(&tmp);
    procfs_lock(&table_lock);
    if (!d->listed) {
      d->ents = tmp.ents;
      d->nents = tmp.nents;
      tmp.ents = NULL;
      __atomic_store_n(&d->listed, 1, __ATOMIC_RELEASE);
    }
    procfs_unlock(&table_lock);
    xfree(tmp.ents);
  }
  size_t room = q->len < m->buf_size ? (size_t)q->len : m->buf_size, used = 0;
  procfs_lock(&table_lock);
  int64_t p = d->pos;
  for (; p >= 0 && (uint64_t)p < d->nents; p++) {
    const struct dent* e = &d->ents[p];
    size_t n = fs_put_dirent((char*)m->buf + used, room - used, e->ino, p + 1, e->type, e->name,
                             strlen(e->name));
    if (n == 0) break;
    used += n;
  }
  int too_small = used == 0 && p >= 0 && (uint64_t)p < d->nents;
  d->pos = p;
  procfs_unlock(&table_lock);
  if (too_small) return -EINVAL; /* the buffer cannot hold one entry */
  r->len = used;
  return (long)used;
}

/* FS_EXPORT: a token for the description (the handle stays). */
static long do_export(struct client* c, int h, struct chcore_ipc_reply* r) {
  struct desc* to_free = NULL;
  long ret = -EBADF;
  procfs_lock(&table_lock);
  struct desc* d = h >= 0 && h < MAX_HANDLES ? c->h[h] : NULL;
  if (d) {
    int i = export_next;
    export_next = (export_next + 1) % MAX_EXPORTS;
    desc_put_locked(exports[i], &to_free); /* the oldest unclaimed goes */
    d->refs++;
    exports[i] = d;
    export_token[i] = (uint64_t)i + 1 + MAX_EXPORTS * ++export_gen;
    r->w[0] = export_token[i];
    ret = 0;
  }
  procfs_unlock(&table_lock);
  desc_free_chain(to_free);
  return ret;
}

/* FS_IMPORT: a new handle for an exported description. */
static long do_import(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r, struct client* c,
                      uint64_t token) {
  struct desc* d = NULL;
  procfs_lock(&table_lock);
  uint64_t i = (token - 1) % MAX_EXPORTS;
  if (token != 0 && exports[i] && export_token[i] == token) {
    d = exports[i]; /* its reference moves to the new handle */
    exports[i] = NULL;
    export_token[i] = 0;
  }
  procfs_unlock(&table_lock);
  if (!d) return -EBADF;
  long h = handle_new(c, d);
  if (h < 0) {
    desc_put(d);
    return h;
  }
  struct fs_stat st;
  stat_of(d->node, &st);
  memcpy(m->buf, &st, sizeof st);
  r->len = sizeof st;
  return h;
}

/* ---- Requests ------------------------------------------------------------------------- */

/* The path at offset `off` of the request, NUL-terminated inside it. */
static const char* req_str(const struct chcore_ipc_msg* m, uint32_t off) {
  if (off < sizeof(struct fs_req) || off >= m->len) return NULL;
  const char* p = (const char*)m->buf + off;
  return memchr(p, 0, m->len - off) ? p : NULL;
}

static long handle_path(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r,
                        struct client* c, const struct fs_req* q, unsigned op) {
  const char* path = req_str(m, q->path);
  struct node n;
  long e;
  switch (op) {
    case FS_OPEN:
      return path ? do_open(m, r, c, q, path) : -EFAULT;
    case FS_STAT:
      if (!path) return -EFAULT;
      e = walk(m, r, c, path, 0, q->nlinks, !(q->flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), &n);
      if (e != 0) return e;
      {
        struct fs_stat st;
        stat_of(n, &st);
        memcpy(m->buf, &st, sizeof st);
        r->len = sizeof st;
      }
      return 0;
    case FS_ACCESS:
      if (!path) return -EFAULT;
      e = walk(m, r, c, path, 0, q->nlinks, !(q->flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), &n);
      if (e != 0) return e;
      if (q->mode & 2 /* W_OK */) return -EACCES;
      if ((q->mode & 1 /* X_OK */) && !is_dir(n.kind)) return -EACCES;
      return 0;
    case FS_READLINK: {
      if (!path) return -EFAULT;
      e = walk(m, r, c, path, 0, q->nlinks, 0, &n);
      if (e != 0) return e;
      if (!is_link(n.kind)) return -EINVAL;
      char target[CHCORE_FS_PATH_MAX];
      e = gen_link(n, caller_pid(c), target, sizeof target);
      if (e < 0) return e;
      size_t len = (size_t)e < m->buf_size ? (size_t)e : m->buf_size;
      memcpy(m->buf, target, len);
      r->len = len;
      return (long)len;
    }
    default: {
      /* Changes: none is allowed, but a path that leaves /proc (".."
       * at its root, a symlink out of it) goes on where it leads. For a
       * symlink's creation the place is path2; its path is the target. */
      const char* where = op == FS_SYMLINK ? req_str(m, q->path2) : path;
      unsigned which = op == FS_SYMLINK ? 1 : 0;
      if (!where) return -EFAULT;
      e = walk(m, r, c, where, which, q->nlinks, 0, &n);
      if (e == CHCORE_FS_REDIRECT) return e;
      if ((op == FS_LINK || op == FS_RENAME) && q->path2) {
        const char* p2 = req_str(m, q->path2);
        if (!p2) return -EFAULT;
        long e2 = walk(m, r, c, p2, 1, q->nlinks, 0, &n);
        if (e2 == CHCORE_FS_REDIRECT) return e2;
      }
      if (e == 0 && (op == FS_MKDIR || op == FS_SYMLINK)) return -EEXIST;
      if (e < 0 && e != -ENOENT) return e;
      if (e == -ENOENT && (op == FS_UNLINK || op == FS_TRUNCATE || op == FS_CHMOD ||
                           op == FS_CHOWN || op == FS_UTIMENS || op == FS_RENAME))
        return -ENOENT;
      return op == FS_TRUNCATE ? -EACCES : -EPERM;
    }
  }
}

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  struct client* c = m->client;
  struct fs_req q;
  if (m->len < sizeof q || m->len > m->buf_size) {
    r->ret = -EINVAL;
    return;
  }
  memcpy(&q, m->buf, sizeof q);
  unsigned op = (unsigned)m->w[0];
  struct desc* d = NULL;
  switch (op) {
    case FS_STATFS: {
      /* Answered without a lock: /proc/mounts asks it of us too. */
      struct fs_statfs sf;
      memset(&sf, 0, sizeof sf);
      sf.type = PROC_SUPER_MAGIC;
      sf.bsize = 4096;
      sf.namelen = CHCORE_FS_NAME_MAX;
      memcpy(m->buf, &sf, sizeof sf);
      r->len = sizeof sf;
      r->ret = 0;
      return;
    }
    case FS_OPEN:
    case FS_STAT:
    case FS_ACCESS:
    case FS_READLINK:
    case FS_MKDIR:
    case FS_UNLINK:
    case FS_RENAME:
    case FS_LINK:
    case FS_SYMLINK:
    case FS_TRUNCATE:
      r->ret = handle_path(m, r, c, &q, op);
      return;
    case FS_CHMOD:
    case FS_CHOWN:
    case FS_UTIMENS:
      if (q.handle < 0) {
        r->ret = handle_path(m, r, c, &q, op);
        return;
      }
      d = desc_get(c, q.handle);
      r->ret = d ? -EPERM : -EBADF;
      break;
    case FS_CLOSE: {
      struct desc* to_free = NULL;
      procfs_lock(&table_lock);
      int ok = q.handle >= 0 && q.handle < MAX_HANDLES && c->h[q.handle];
      if (ok) {
        desc_put_locked(c->h[q.handle], &to_free);
        c->h[q.handle] = NULL;
      }
      procfs_unlock(&table_lock);
      desc_free_chain(to_free);
      r->ret = ok ? 0 : -EBADF;
      return;
    }
    case FS_EXPORT:
      r->ret = do_export(c, q.handle, r);
      return;
    case FS_IMPORT:
      r->ret = do_import(m, r, c, (uint64_t)q.off);
      return;
    case FS_SET_MOUNTPOINT:
      r->ret = -EINVAL; /* nothing is mounted inside /proc */
      return;
    default:
      if (op == 0 || op >= FS_OP_COUNT) {
        r->ret = -ENOSYS;
        return;
      }
      d = desc_get(c, q.handle);
      if (!d) {
        r->ret = -EBADF;
        return;
      }
      switch (op) {
        case FS_READ:
          r->ret = do_read(m, r, d, &q);
          break;
        case FS_WRITE:
        case FS_FALLOCATE:
          r->ret = -EBADF; /* every description here is read-only */
          break;
        case FS_FTRUNCATE:
          r->ret = -EINVAL;
          break;
        case FS_LSEEK:
          r->ret = do_lseek(d, &q);
          break;
        case FS_FSTAT: {
          struct fs_stat st;
          stat_of(d->node, &st);
          memcpy(m->buf, &st, sizeof st);
          r->len = sizeof st;
          r->ret = 0;
          break;
        }
        case FS_GETDENTS:
          r->ret = do_getdents(m, r, d, &q);
          break;
        case FS_SETFL:
          r->ret = 0;
          break;
        case FS_FSYNC:
          r->ret = -EINVAL; /* as Linux for /proc files */
          break;
        case FS_MMAP:
          r->ret = -ENODEV;
          break;
        case FS_LOCK:
          r->ret = -ENOLCK;
          break;
        default:
          r->ret = -ENOSYS;
      }
  }
  if (d) desc_put(d);
}

static const struct chcore_server_ops ops = {
    .handle = handle, .on_connect = on_connect, .on_close = on_close};

int main(int argc, char** argv) {
  boot_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
  long srv = chcore_server_register(&ops);
  if (srv < 0) {
    fprintf(stderr, "procfs: cannot register the server: %ld\n", srv);
    return 1;
  }
  long r = chcore_service_publish(argc > 1 ? argv[1] : "procfs", srv);
  if (r < 0) {
    fprintf(stderr, "procfs: cannot publish: %ld\n", r);
    return 1;
  }
  chcore_serve_forever();
}
