/* Where /proc's values come from, and the texts they are written into:
 * procmgr (the processes), the kernel (memory, CPUs, clocks). Handler
 * threads share the C library's thread state (chcore/ipc.h), so malloc is
 * serialised here (alloc_lock), and the connection to procmgr is one,
 * under pm_lock, held across each call (procmgr never calls procfs). */
#define _GNU_SOURCE
#include "procfs.h"

#include <chcore/ipc.h>
#include <chcore/services.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Locks and memory ----------------------------------------------------------- */

static int alloc_lock, pm_lock;

void procfs_lock(int* l) {
  while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) chcore_sys_yield();
}
void procfs_unlock(int* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

void* xrealloc(void* p, size_t n) {
  procfs_lock(&alloc_lock);
  void* q = realloc(p, n);
  procfs_unlock(&alloc_lock);
  return q;
}
void xfree(void* p) {
  procfs_lock(&alloc_lock);
  free(p);
  procfs_unlock(&alloc_lock);
}

/* ---- Texts: a growing buffer ------------------------------------------------------ */

static int grow(struct text* t, size_t more) {
  if (t->oom) return -1;
  if (t->len + more + 1 <= t->cap) return 0;
  size_t cap = t->cap ? t->cap : 512;
  while (cap < t->len + more + 1) cap *= 2;
  char* p = xrealloc(t->p, cap);
  if (!p) {
    t->oom = 1;
    return -1;
  }
  t->p = p;
  t->cap = cap;
  return 0;
}

void put(struct text* t, const void* s, size_t n) {
  if (grow(t, n) < 0) return;
  memcpy(t->p + t->len, s, n);
  t->len += n;
}

void putstr(struct text* t, const char* s) { put(t, s, strlen(s)); }

void putf(struct text* t, const char* fmt, ...) {
  char small[256];
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    va_end(ap2);
    return;
  }
  if ((size_t)n < sizeof small) {
    put(t, small, (size_t)n);
  } else if (grow(t, (size_t)n) == 0) {
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap2);
    t->len += (size_t)n;
  }
  va_end(ap2);
}

/* ---- Where the values come from ---------------------------------------------------- */

static struct chcore_conn pm; /* to procmgr, under pm_lock */
static int pm_ok;
#define PM_BUF (64 * 1024)

/* Connects to procmgr once; under pm_lock. */
static int pm_connect(void) {
  if (!pm_ok && chcore_connect(chcore_procmgr_cap(), PM_BUF, &pm) == 0) pm_ok = 1;
  return pm_ok ? 0 : -EIO;
}

/* Fills *pi (free with pinfo_free); -ESRCH if there is no such process. */
long pinfo_get(int pid, struct pinfo* pi) {
  memset(pi, 0, sizeof *pi);
  if (pid <= 0) return -ESRCH;
  procfs_lock(&pm_lock);
  long r = pm_connect();
  struct chcore_ipc_result out;
  if (r == 0)
    r = chcore_ipc_call(&pm, PROCMGR_PROC_INFO, (unsigned long)pid, 0, 0, 0, 0, NULL, &out);
  size_t len = r == 0 ? CHCORE_IPC_INFO_LEN(out.info) : 0;
  if (r == 0 && (len < sizeof pi->i || len > pm.buf_size)) r = -EIO;
  char* mem = NULL;
  if (r == 0) {
    /* Room for the four strings' NULs, should the buffer have cut them. */
    mem = xrealloc(NULL, len + 4);
    if (!mem) r = -ENOMEM;
  }
  if (r == 0) memcpy(mem, pm.buf, len);
  procfs_unlock(&pm_lock);
  if (r < 0) return r;
  memcpy(&pi->i, mem, sizeof pi->i);
  pi->i.name[sizeof pi->i.name - 1] = 0;
  /* The strings, each given its own NUL (they may have been cut). */
  size_t avail = len - sizeof pi->i;
  char* src = mem + sizeof pi->i;
  char* block = xrealloc(NULL, avail + 4);
  if (!block) {
    xfree(mem);
    return -ENOMEM;
  }
  uint32_t lens[4] = {pi->i.exe_len, pi->i.cwd_len, pi->i.argv_len, pi->i.env_len};
  char** outs[4] = {&pi->exe, &pi->cwd, &pi->argv, &pi->env};
  char* d = block;
  for (int k = 0; k < 4; k++) {
    size_t n = lens[k] < avail ? lens[k] : avail;
    memcpy(d, src, n);
    d[n] = 0;
    *outs[k] = d;
    lens[k] = (uint32_t)n;
    src += n;
    avail -= n;
    d += n + 1;
  }
  pi->i.argv_len = lens[2];
  pi->i.env_len = lens[3];
  xfree(mem);
  pi->mem = block;
  return 0;
}

void pinfo_free(struct pinfo* pi) { xfree(pi->mem); }

int pid_exists(int pid) {
  struct pinfo pi;
  if (pinfo_get(pid, &pi) < 0) return 0;
  pinfo_free(&pi);
  return 1;
}

/* The pids procmgr knows, in a new array (*n of them; free it). */
int* pid_list(size_t* n) {
  int* v = NULL;
  size_t cnt = 0;
  procfs_lock(&pm_lock);
  for (int r; pm_connect() == 0; cnt += (size_t)r) {
    r = (int)chcore_ipc_call(&pm, PROCMGR_PROC_LIST, cnt, 0, 0, 0, 0, NULL, NULL);
    if (r <= 0) break;
    int* more = xrealloc(v, (cnt + (size_t)r) * sizeof *v);
    if (!more) break;
    v = more;
    memcpy(v + cnt, pm.buf, (size_t)r * sizeof *v);
  }
  procfs_unlock(&pm_lock);
  *n = cnt;
  return v;
}

/* The regions of a process, in a new array (*n; free it). */
struct chcore_region_info* region_list(int pid, size_t* n) {
  struct chcore_region_info* v = NULL;
  size_t cnt = 0;
  procfs_lock(&pm_lock);
  for (long r; pm_connect() == 0; cnt += (size_t)r) {
    r = chcore_ipc_call(&pm, PROCMGR_PROC_MAPS, (unsigned long)pid, cnt, 0, 0, 0, NULL, NULL);
    if (r <= 0 || cnt > 100000) break;
    struct chcore_region_info* more = xrealloc(v, (cnt + (size_t)r) * sizeof *v);
    if (!more) break;
    v = more;
    memcpy(v + cnt, pm.buf, (size_t)r * sizeof *v);
  }
  procfs_unlock(&pm_lock);
  *n = cnt;
  return v;
}

struct fd_link* fd_list(int pid, size_t* n) {
  struct fd_link* v = NULL;
  size_t cnt = 0, cap = 0;
  unsigned long first = 0;
  procfs_lock(&pm_lock);
  for (long r; pm_connect() == 0 && cnt < 100000; ) {
    r = chcore_ipc_call(&pm, PROCMGR_PROC_FDS, (unsigned long)pid, first, 0, 0, 0, NULL, NULL);
    if (r <= 0) break;
    const char* b = pm.buf;
    size_t at = 0, before = cnt;
    for (long i = 0; i < r; i++) {
      struct procmgr_fd_entry e;
      if (at + sizeof e > pm.buf_size) break;
      memcpy(&e, b + at, sizeof e);
      if (e.name_len > pm.buf_size - at - sizeof e - 1 || e.fd < 0) break;
      if (cnt == cap) {
        size_t ncap = cap ? cap * 2 : 16;
        struct fd_link* more = xrealloc(v, ncap * sizeof *v);
        if (!more) break;
        v = more;
        cap = ncap;
      }
      char* name = xrealloc(NULL, e.name_len + 1);
      if (!name) break;
      memcpy(name, b + at + sizeof e, e.name_len);
      name[e.name_len] = 0;
      v[cnt++] = (struct fd_link){e.fd, name};
      first = (unsigned long)e.fd + 1;
      at += (sizeof e + e.name_len + 1 + 7) & ~(size_t)7;
    }
    if (cnt == before) break; /* no progress: a bad reply, or out of memory */
  }
  procfs_unlock(&pm_lock);
  *n = cnt;
  return v;
}

void fd_list_free(struct fd_link* v, size_t n) {
  for (size_t i = 0; i < n; i++) xfree(v[i].name);
  xfree(v);
}

int64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int ncpus(void) {
  long mask = chcore_sys_online_cpus();
  int n = mask > 0 ? __builtin_popcountl((unsigned long)mask) : 1;
  return n;
}

int pid_of_kpid(long kpid) {
  procfs_lock(&pm_lock);
  long r = pm_connect();
  if (r == 0)
    r = chcore_ipc_call(&pm, PROCMGR_PID_OF_KPID, (unsigned long)kpid, 0, 0, 0, 0, NULL, NULL);
  procfs_unlock(&pm_lock);
  return r > 0 ? (int)r : -1;
}
