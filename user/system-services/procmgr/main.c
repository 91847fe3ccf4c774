/* procmgr, the process manager: the first and only process the kernel
 * starts (kernel/init/first_process.cpp).
 *
 * Boot, in order (docs/services.md):
 *   1. registers its server: the service registry (PROCMGR_PUBLISH /
 *      PROCMGR_LOOKUP, chcore/proto/procmgr.h);
 *   2. starts tmpfs with the boot ramdisk's files ("tmpfs-root"), fsm, an
 *      empty tmpfs for /tmp ("tmpfs-tmp"), devfs and another empty tmpfs
 *      for /dev/shm ("tmpfs-shm"); each publishes its server here, and
 *      procmgr waits for the names;
 *   3. mounts the root tmpfs at "/", the other at "/tmp", devfs at
 *      "/dev" and the last tmpfs at "/dev/shm" through fsm;
 *   4. runs the program of its command line (./chbuild exec and the tests:
 *      "procmgr /tests/x arg..."), or /bin/init, with capabilities to its
 *      own server and fsm's (their slots in the child's auxiliary vector,
 *      chcore/services.h) and the IRQ-control capability, waits for it, and
 *      exits with its status: the kernel reports that and ends the system.
 *
 *   procmgr [program [args...]] */
#define _GNU_SOURCE
#include <chcore/ipc.h>
#include <chcore/launch.h>
#include <chcore/proto/fsm.h>
#include <chcore/proto/procmgr.h>
#include <chcore/services.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- The service registry ------------------------------------------------------- */

#define MAX_SERVICES 32

struct service {
  char name[CHCORE_SERVICE_NAME_MAX];
  long cap;
};
static struct service services[MAX_SERVICES];
static int nservices;
static int registry_lock;
/* Bumped (and woken) at every publish: lookups that wait sleep on it. */
static int generation;

static void lock(int* l) {
  while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) chcore_sys_yield();
}
static void unlock(int* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static long find(const char* name) {
  for (int i = 0; i < nservices; i++)
    if (strcmp(services[i].name, name) == 0) return services[i].cap;
  return -ENOENT;
}

static long publish(const char* name, long cap) {
  lock(&registry_lock);
  long r = 0;
  if (find(name) >= 0)
    r = -EEXIST;
  else if (nservices == MAX_SERVICES)
    r = -ENOSPC;
  else {
    strcpy(services[nservices].name, name);
    services[nservices++].cap = cap;
    __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
  }
  unlock(&registry_lock);
  if (r == 0)
    chcore_sys_futex((unsigned long)&generation, CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG,
                     (unsigned long)-1 >> 33, 0, 0, 0);
  return r;
}

/* The capability published as `name`, waiting for it if `wait`. */
static long lookup(const char* name, int wait) {
  for (;;) {
    int gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    lock(&registry_lock);
    long cap = find(name);
    unlock(&registry_lock);
    if (cap >= 0 || !wait) return cap;
    chcore_sys_futex((unsigned long)&generation, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG,
                     (unsigned long)(unsigned)gen, 0, 0, 0);
  }
}

/* A NUL-terminated name of 1..CHCORE_SERVICE_NAME_MAX-1 bytes from the
 * buffer, or NULL. */
static const char* msg_name(const struct chcore_ipc_msg* m, char* out) {
  size_t n = m->len < CHCORE_SERVICE_NAME_MAX ? m->len : CHCORE_SERVICE_NAME_MAX;
  if (n < 2 || memchr(m->buf, 0, n) == NULL) return NULL;
  memcpy(out, m->buf, n);
  return out[0] ? out : NULL;
}

static void handle_proc(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r);

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  char name[CHCORE_SERVICE_NAME_MAX];
  switch (m->w[0]) {
    case PROCMGR_PUBLISH:
      if (m->ncaps != 1 || msg_name(m, name) == NULL) {
        r->ret = -EINVAL;
      } else {
        r->ret = publish(name, m->caps[0]);
        if (r->ret == 0) return;
      }
      break;
    case PROCMGR_LOOKUP: {
      if (msg_name(m, name) == NULL) {
        r->ret = -EINVAL;
        break;
      }
      long cap = lookup(name, m->w[1] == 1);
      if (cap < 0) {
        r->ret = cap;
      } else {
        r->ret = 0;
        r->ncaps = 1;
        r->caps[0] = CHCORE_IPC_CAP(cap, CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
      }
      break;
    }
    default:
      handle_proc(m, r);
  }
  /* Capabilities of a refused or unknown request are not kept. */
  for (unsigned i = 0; i < m->ncaps; i++) chcore_cap_release(m->caps[i]);
}


/* ---- Processes ------------------------------------------------------------------- */

static void fail(const char* what, long err);

#define MAX_PROCS 1024

enum { P_FREE, P_RUNNING, P_ZOMBIE };

struct proc {
  int state;
  int pid;            /* Unix pid: the main thread's tid */
  long kpid;          /* the kernel's process id (a connection names it) */
  int ppid;           /* 0: procmgr's own (the system services, the program) */
  int pgid;
  int service;        /* a system service: not killable by others */
  long cg;            /* procmgr's capability to it */
  int status;         /* wait status, once a zombie */
  int started;        /* futex word: it took over its files (or ended) */
  int awaited_by_me;  /* procmgr's main thread waits for it (the program) */
};
static struct proc procs[MAX_PROCS];
static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;
/* Bumped and woken whenever a process ends: waiters recheck. */
static int exits;
/* Orphans go to this process (the program procmgr ran), or are reaped
 * here when it is gone. */
static int init_pid = -1;

static void futex_wait(int* word, int val) {
  chcore_sys_futex((unsigned long)word, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG,
                   (unsigned long)(unsigned)val, 0, 0, 0);
}
static void futex_wake_all(int* word) {
  chcore_sys_futex((unsigned long)word, CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG,
                   (unsigned long)-1 >> 33, 0, 0, 0);
}

static struct proc* by_pid(int pid) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].state != P_FREE && procs[i].pid == pid) return &procs[i];
  return NULL;
}

static struct proc* by_kpid(long kpid) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].state != P_FREE && procs[i].kpid == kpid) return &procs[i];
  return NULL;
}

static void proc_free(struct proc* p) {
  chcore_cap_release(p->cg);
  memset(p, 0, sizeof *p);
}

/* One thread per child waits in the kernel for it to end. */
static void* reaper(void* arg) {
  struct proc* p = arg;
  long cg = p->cg;
  long status = chcore_sys_wait_cap_group((unsigned long)cg);
  pthread_mutex_lock(&plock);
  p->state = P_ZOMBIE;
  p->status = status < 0 ? CHCORE_SIGKILL : (int)status;
  __atomic_store_n(&p->started, 1, __ATOMIC_RELEASE);
  futex_wake_all(&p->started);
  /* Its children are orphans now: init adopts them, or nobody will wait
   * for them and the ended ones go at once. */
  for (int i = 0; i < MAX_PROCS; i++) {
    struct proc* c = &procs[i];
    if (c->state == P_FREE || c->ppid != p->pid || c == p) continue;
    c->ppid = init_pid > 0 && init_pid != p->pid && by_pid(init_pid) ? init_pid : 0;
    if (c->ppid == 0 && c->state == P_ZOMBIE && !c->awaited_by_me) proc_free(c);
  }
  /* Nobody waits for procmgr's own children but the program's. */
  if (p->ppid == 0 && !p->awaited_by_me) proc_free(p);
  __atomic_add_fetch(&exits, 1, __ATOMIC_RELEASE);
  futex_wake_all(&exits);
  pthread_mutex_unlock(&plock);
  return NULL;
}

/* Loads `path` (an absolute path, read through this process's own file
 * system connection) into a new child of `parent` (0: procmgr's). On
 * success the child runs and its record is returned. */
static long spawn(const char* path, const char* const* argv, const char* const* envp,
                  const struct procmgr_start_info* info_tmpl, struct procmgr_fd* fds,
                  const unsigned* caps, unsigned ncaps, const char* cwd, int parent,
                  int give_irq, int awaited, struct proc** out) {
  if (access(path, X_OK) < 0) return -errno;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -EACCES;
  }
  void* elf = malloc(st.st_size ? (size_t)st.st_size : 1);
  if (!elf) {
    close(fd);
    return -ENOMEM;
  }
  ssize_t n = 0;
  while (n < st.st_size) {
    ssize_t k = read(fd, (char*)elf + n, (size_t)(st.st_size - n));
    if (k <= 0) break;
    n += k;
  }
  close(fd);
  const char* name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  struct chcore_launch l;
  long r = chcore_launch_load(&l, elf, (unsigned long)n, name);
  free(elf);
  if (r < 0) return r;
  /* Kernel objects (pipe ends) the parent sent: a copy each in the child,
   * whose start information names its slot. */
  for (uint32_t i = 0; i < info_tmpl->nfds; i++) {
    if (fds[i].kind != PROCMGR_FD_KOBJ) continue;
    r = fds[i].token < ncaps ? chcore_launch_transfer(&l, caps[fds[i].token],
                                                      CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE |
                                                          CHCORE_RIGHT_COPY)
                             : -EINVAL;
    if (r < 0) {
      chcore_launch_abort(&l);
      return r;
    }
    fds[i].token = (uint64_t)r;
  }

  /* The start-information page. */
  size_t cwd_len = strlen(cwd) + 1;
  size_t size = sizeof(struct procmgr_start_info) + info_tmpl->nfds * sizeof(struct procmgr_fd) +
                cwd_len;
  struct procmgr_start_info* info = calloc(1, size);
  if (!info) {
    chcore_launch_abort(&l);
    return -ENOMEM;
  }
  *info = *info_tmpl;
  info->magic = PROCMGR_START_MAGIC;
  info->size = (uint32_t)size;
  info->ppid = parent;
  memcpy(info->fds, fds, info->nfds * sizeof(struct procmgr_fd));
  info->cwd_off = (uint32_t)(size - cwd_len);
  memcpy((char*)info + info->cwd_off, cwd, cwd_len);
  long pmo = chcore_sys_create_pmo((size + 4095) & ~4095ul, CHCORE_PMO_DATA);
  r = pmo;
  if (pmo >= 0) r = chcore_sys_write_pmo((unsigned long)pmo, 0, (unsigned long)info, size);
  if (r >= 0)
    r = chcore_sys_map_pmo((unsigned long)l.cg, (unsigned long)pmo, CHCORE_START_INFO_VA,
                           CHCORE_PROT_READ);
  if (pmo >= 0) chcore_cap_release(pmo);
  free(info);
  if (r < 0) {
    chcore_launch_abort(&l);
    return r;
  }
  l.start_info_va = CHCORE_START_INFO_VA;
  long irq = give_irq ? chcore_irq_control_slot() : -1;
  if (irq >= 0) {
    r = chcore_launch_transfer(&l, irq, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE |
                                            CHCORE_RIGHT_CONTROL | CHCORE_RIGHT_COPY);
    if (r < 0) {
      chcore_launch_abort(&l);
      return r;
    }
    l.irq_control_slot = r;
  }

  pthread_mutex_lock(&plock);
  struct proc* p = NULL;
  for (int i = 0; i < MAX_PROCS && !p; i++)
    if (procs[i].state == P_FREE) p = &procs[i];
  if (!p) {
    pthread_mutex_unlock(&plock);
    chcore_launch_abort(&l);
    return -EAGAIN;
  }
  long cinfo = chcore_sys_cap_info((unsigned long)l.cg);
  p->state = P_RUNNING;
  p->kpid = (long)CHCORE_CAP_INFO_ID(cinfo);
  p->ppid = parent;
  p->cg = l.cg;
  p->started = 0;
  p->pid = -1;
  /* Set before it runs: a program that ends at once must stay for its
   * waiter, not be reaped as nobody's. */
  p->awaited_by_me = awaited;
  pthread_mutex_unlock(&plock);

  r = chcore_launch_start(&l, argv, envp);
  pthread_mutex_lock(&plock);
  if (r < 0) {
    memset(p, 0, sizeof *p);
    pthread_mutex_unlock(&plock);
    return r;
  }
  int pid = p->pid = (int)l.main_tid;
  p->pgid = (info_tmpl->flags & PROCMGR_SPAWN_SETPGROUP) && info_tmpl->pgroup > 0
                ? info_tmpl->pgroup
                : (info_tmpl->flags & PROCMGR_SPAWN_SETPGROUP) ? p->pid : 0;
  if (awaited) init_pid = pid;
  pthread_mutex_unlock(&plock);
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 16384);
  pthread_t t;
  if (pthread_create(&t, &a, reaper, p) != 0) {
    chcore_sys_kill_cap_group((unsigned long)p->cg, CHCORE_SIGKILL);
    chcore_sys_wait_cap_group((unsigned long)p->cg);
    pthread_mutex_lock(&plock);
    proc_free(p);
    pthread_mutex_unlock(&plock);
    return -EAGAIN;
  }
  pthread_detach(t);
  /* From here the reaper may free the record (an orphan's that ended):
   * only the pid is still ours. */
  *out = p;
  return pid;
}

/* A system service started from the ramdisk (before there are files):
 * recorded like a child of procmgr's, marked as a service. */
static void start_service(const char* path, const char* const argv[]) {
  const void* elf;
  unsigned long size;
  long r = chcore_ramdisk_find(path, &elf, &size);
  struct chcore_launch l;
  if (r >= 0) r = chcore_launch_load(&l, elf, size, strrchr(path, '/') + 1);
  pthread_mutex_lock(&plock);
  struct proc* p = NULL;
  for (int i = 0; i < MAX_PROCS && !p; i++)
    if (procs[i].state == P_FREE) p = &procs[i];
  if (r >= 0 && p) {
    p->state = P_RUNNING;
    p->kpid = (long)CHCORE_CAP_INFO_ID(chcore_sys_cap_info((unsigned long)l.cg));
    p->cg = l.cg;
    p->service = 1;
    p->pid = -1;
  }
  pthread_mutex_unlock(&plock);
  if (r >= 0) r = chcore_launch_start(&l, argv, NULL);
  if (r < 0) fail(path, r);
  p->pid = (int)l.main_tid;
  pthread_t t;
  if (pthread_create(&t, NULL, reaper, p) != 0) fail("cannot watch a service", -EAGAIN);
  pthread_detach(t);
}

/* Waits for a child of `parent` (pid > 0: that one; -1: any). */
static long wait_child(int parent, int pid, int options, int* status) {
  pthread_mutex_lock(&plock);
  for (;;) {
    int any = 0;
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc* c = &procs[i];
      if (c->state == P_FREE || c->ppid != parent || c->pid <= 0) continue;
      if (pid > 0 && c->pid != pid) continue;
      any = 1;
      if (c->state == P_ZOMBIE) {
        int found = c->pid;
        *status = c->status;
        proc_free(c);
        pthread_mutex_unlock(&plock);
        return found;
      }
    }
    if (!any) {
      pthread_mutex_unlock(&plock);
      return -ECHILD;
    }
    if (options & WNOHANG) {
      pthread_mutex_unlock(&plock);
      return 0;
    }
    int seen = __atomic_load_n(&exits, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&plock);
    futex_wait(&exits, seen);
    pthread_mutex_lock(&plock);
  }
}

static long do_kill(struct proc* caller, int pid, int sig) {
  if (sig < 0 || sig > 64) return -EINVAL;
  pthread_mutex_lock(&plock);
  struct proc* p = pid > 0 ? by_pid(pid) : NULL;
  long r = 0;
  if (!p || p->state != P_RUNNING)
    r = p && p->state == P_ZOMBIE ? 0 : -ESRCH;
  else if (p->service && (!caller || caller->ppid != 0))
    r = -EPERM;
  else if (sig != 0 && sig != SIGCHLD && sig != SIGURG && sig != SIGWINCH && sig != SIGCONT)
    r = chcore_sys_kill_cap_group((unsigned long)p->cg, (unsigned long)sig);
  pthread_mutex_unlock(&plock);
  return r;
}

/* A client's request to spawn, checked piece by piece. */
static long handle_spawn(struct proc* caller, const struct chcore_ipc_msg* m) {
  const char* b = m->buf;
  size_t len = m->len;
  if (len < sizeof(struct procmgr_spawn) || len > m->buf_size) return -EINVAL;
  struct procmgr_spawn req;
  memcpy(&req, b, sizeof req);
  if (req.argc > 4096 || req.envc > 4096 || req.nfds > 1024) return -E2BIG;
  if (req.fds_off > len || (req.fds_off & 7) ||
      (len - req.fds_off) / sizeof(struct procmgr_fd) < req.nfds)
    return -EINVAL;
  /* The strings: path, argv, envp, cwd, all inside [header, fds_off). */
  size_t nstr = 1 + req.argc + req.envc + 1;
  const char** strs = calloc(nstr + 2, sizeof *strs);
  if (!strs) return -ENOMEM;
  size_t off = sizeof req;
  long r = 0;
  for (size_t i = 0; i < nstr; i++) {
    const char* z = off < req.fds_off ? memchr(b + off, 0, req.fds_off - off) : NULL;
    if (!z) {
      r = -EINVAL;
      break;
    }
    strs[i] = b + off;
    off = (size_t)(z - b) + 1;
  }
  if (r == 0) {
    const char* path = strs[0];
    /* argv and envp as NULL-terminated arrays (strs has room). */
    const char** argv = calloc(req.argc + 1, sizeof *argv);
    const char** envp = calloc(req.envc + 1, sizeof *envp);
    if (!argv || !envp) {
      r = -ENOMEM;
    } else {
      for (uint32_t i = 0; i < req.argc; i++) argv[i] = strs[1 + i];
      for (uint32_t i = 0; i < req.envc; i++) envp[i] = strs[1 + req.argc + i];
      const char* cwd = strs[nstr - 1];
      struct procmgr_start_info tmpl;
      memset(&tmpl, 0, sizeof tmpl);
      tmpl.nfds = req.nfds;
      tmpl.flags = req.flags;
      tmpl.sigmask = req.sigmask;
      tmpl.pgroup = req.pgroup;
      struct procmgr_fd* fds = malloc(req.nfds * sizeof *fds + 1);
      int files = 0;
      if (!fds) {
        r = -ENOMEM;
      } else {
        memcpy(fds, b + req.fds_off, req.nfds * sizeof *fds);
        for (uint32_t i = 0; i < req.nfds; i++) files |= fds[i].kind == PROCMGR_FD_FILE;
        struct proc* p;
        r = spawn(path, argv, envp, &tmpl, fds, m->caps, m->ncaps, cwd, caller->pid, 0, 0, &p);
        /* The parent's copies of the files must stay until the child has
         * imported them (they are the descriptions' only holders). */
        if (r > 0 && files)
          while (__atomic_load_n(&p->started, __ATOMIC_ACQUIRE) == 0) futex_wait(&p->started, 0);
      }
      free(fds);
    }
    free(argv);
    free(envp);
  }
  free(strs);
  return r;
}

static long on_connect(unsigned long badge, unsigned long kpid, void** client) {
  (void)badge;
  pthread_mutex_lock(&plock);
  *client = by_kpid((long)kpid);
  pthread_mutex_unlock(&plock);
  return 0;
}

static void handle_proc(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  struct proc* caller = m->client;
  if (!caller) {
    /* A process procmgr did not start (libchcore's chcore_spawn): it
     * has no parent or children here. */
    r->ret = m->w[0] == PROCMGR_GETPPID ? 0 : -ECHILD;
    if (m->w[0] == PROCMGR_KILL) r->ret = do_kill(NULL, (int)m->w[1], (int)m->w[2]);
    return;
  }
  switch (m->w[0]) {
    case PROCMGR_SPAWN:
      r->ret = handle_spawn(caller, m);
      break;
    case PROCMGR_WAIT: {
      int status = 0;
      r->ret = wait_child(caller->pid, (int)(long)m->w[1], (int)m->w[2], &status);
      r->w[0] = (unsigned long)status;
      break;
    }
    case PROCMGR_GETPPID:
      pthread_mutex_lock(&plock);
      /* An orphan's is init's (the reaper re-parents it); procmgr's own
       * children have 0. */
      r->ret = caller->ppid;
      pthread_mutex_unlock(&plock);
      break;
    case PROCMGR_KILL:
      r->ret = do_kill(caller, (int)(long)m->w[1], (int)m->w[2]);
      break;
    case PROCMGR_STARTED:
      __atomic_store_n(&caller->started, 1, __ATOMIC_RELEASE);
      futex_wake_all(&caller->started);
      r->ret = 0;
      break;
    default:
      r->ret = -ENOSYS;
  }
}

static const struct chcore_server_ops ops = {.handle = handle, .on_connect = on_connect};

/* ---- Boot -------------------------------------------------------------------------- */

static void fail(const char* what, long err) {
  fprintf(stderr, "procmgr: %s: %s\n", what, strerror((int)-err));
  _exit(127);
}

static long mount_at(struct chcore_conn* fsm, const char* path, long fs_cap) {
  size_t n = strlen(path) + 1;
  memcpy(fsm->buf, path, n);
  unsigned cap = CHCORE_IPC_CAP(fs_cap, CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
  return chcore_ipc_call(fsm, FSM_MOUNT, 0, 0, 0, n, 1, &cap, NULL);
}

int main(int argc, char** argv) {
  long srv = chcore_server_register(&ops);
  if (srv < 0) fail("cannot register the server", srv);
  chcore_services_set(srv, -1);

  static const char* const root_args[] = {"tmpfs", "--ramdisk", "--root", "tmpfs-root", NULL};
  static const char* const fsm_args[] = {"fsm", NULL};
  static const char* const tmp_args[] = {"tmpfs", "tmpfs-tmp", NULL};
  static const char* const dev_args[] = {"devfs", "devfs", NULL};
  static const char* const shm_args[] = {"tmpfs", "tmpfs-shm", NULL};
  start_service("/sbin/tmpfs", root_args);
  start_service("/sbin/fsm", fsm_args);
  start_service("/sbin/tmpfs", tmp_args);
  start_service("/sbin/devfs", dev_args);
  start_service("/sbin/tmpfs", shm_args);
  long root = lookup("tmpfs-root", 1), fsm_cap = lookup("fsm", 1), tmp = lookup("tmpfs-tmp", 1);

  struct chcore_conn fsm;
  long r = chcore_connect(fsm_cap, 4096 + 4096, &fsm);
  if (r < 0) fail("cannot connect to fsm", r);
  r = mount_at(&fsm, "/", root);
  if (r < 0) fail("cannot mount the root file system", r);
  chcore_services_set(srv, fsm_cap);
  if (mkdir("/tmp", 01777) < 0 && errno != EEXIST) fail("cannot create /tmp", -errno);
  r = mount_at(&fsm, "/tmp", tmp);
  if (r < 0) fail("cannot mount /tmp", r);
  long dev = lookup("devfs", 1);
  if (mkdir("/dev", 0755) < 0 && errno != EEXIST) fail("cannot create /dev", -errno);
  r = mount_at(&fsm, "/dev", dev);
  if (r < 0) fail("cannot mount /dev", r);
  /* /dev/shm: a tmpfs of its own on devfs's shm directory, as on Linux
   * (musl's shm_open and sem_open keep their files there). */
  r = mount_at(&fsm, "/dev/shm", lookup("tmpfs-shm", 1));
  if (r < 0) fail("cannot mount /dev/shm", r);

  /* The program, from the root file system, with the console as fds 0-2. */
  static const char* const init_argv[] = {"/bin/init", NULL};
  const char* const* prog = argc > 1 ? (const char* const*)argv + 1 : init_argv;
  struct procmgr_start_info info;
  struct procmgr_fd fds[3];
  memset(&info, 0, sizeof info);
  memset(fds, 0, sizeof fds);
  info.nfds = 3;
  for (int i = 0; i < 3; i++) {
    fds[i].fd = i;
    fds[i].kind = PROCMGR_FD_CONSOLE_IN + (uint32_t)i;
    fds[i].flags = i == 0 ? O_RDONLY : O_WRONLY;
  }
  struct proc* p;
  r = spawn(prog[0], prog, (const char* const*)environ, &info, fds, NULL, 0, "/", 0, 1, 1, &p);
  if (r < 0) {
    fprintf(stderr, "procmgr: %s: %s\n", prog[0], strerror((int)-r));
    return 127;
  }
  int status = 0;
  wait_child(0, (int)r, 0, &status);
  /* Exit codes as a shell reports them: the code, or 128 + signal. */
  return CHCORE_WIFEXITED(status) ? CHCORE_WEXITSTATUS(status) : 128 + CHCORE_WTERMSIG(status);
}
