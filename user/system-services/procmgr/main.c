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
 *      "/dev" and the last tmpfs at "/dev/shm" through fsm; then starts
 *      procfs and mounts it at "/proc";
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
#include <time.h>
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
static int handle_procfs(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r);
static long stage_caps(const struct chcore_ipc_msg* m);

static void handle_lane(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r);
/* The client of every fork lane (chcore/proto/procmgr.h): calls on it
 * are served as their caller. */
static char lane_client;

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  char name[CHCORE_SERVICE_NAME_MAX];
  if (m->client == &lane_client) {
    handle_lane(m, r);
    return;
  }
  switch (m->w[0]) {
    case PROCMGR_PUBLISH:
      if (m->ncaps != 1 || msg_name(m, name) == NULL) {
        r->ret = -EINVAL;
      } else {
        r->ret = publish(name, m->caps[0]);
        if (r->ret == 0) return;
      }
      break;
    case PROCMGR_SPAWN_CAPS:
      r->ret = stage_caps(m);
      if (r->ret == 0) return; /* kept */
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
      if (!handle_procfs(m, r)) handle_proc(m, r);
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
  int pgid;           /* process group */
  int sid;            /* session */
  int execed;         /* it has exec'd since its fork (setpgid by its parent: EACCES) */
  /* flag_set word (done: 0): exec_swap is moving it to a new image (its
   * reaper leaves an end of the old one until that is decided). */
  int execing;
  int service;        /* a system service: not killable by others */
  long cg;            /* procmgr's capability to it */
  /* The capability its reaper waits on; 0: none yet. A forked child may
   * exec before its reaper starts: then the reaper never sees the old
   * image, and the exec drops procmgr's capability to it itself
   * (exec_drops_old, decided when the record moves). */
  long watched;
  int exec_drops_old;
  int status;         /* wait status, once a zombie */
  /* A stop or continue its parent has not waited for (a wait status:
   * WIFSTOPPED or WIFCONTINUED), 0: none. */
  int jc_status;
  int stopped;        /* stopped now (the last event was a stop) */
  int jc_orphaned;    /* what the kernel was told: its group is orphaned */
  /* Its child-event notification (PROCMGR_WAIT_NOTIFY), procmgr's slot; 0:
   * none yet. */
  long wait_notif;
  int started;        /* flag_set word: it took over its files (or ended) */
  int awaited_by_me;  /* procmgr's main thread waits for it (the program) */
  /* Capabilities it sent ahead for its next spawn (PROCMGR_SPAWN_CAPS):
   * only its own connection's handler touches them. */
  unsigned* staged;
  unsigned nstaged;
  /* A fork it began (PROCMGR_FORK) whose child is not started yet. */
  struct proc* forking;
  /* What /proc shows of it (program, arguments...), shared with its
   * forked children; NULL if unknown. See "/proc's view" below. */
  struct proc_args* args;
  int64_t start_ns;   /* CLOCK_MONOTONIC at its start */
  /* CPU time (ns) at EL0 and in the kernel: its own once it has ended,
   * then that of the children it waited for (with theirs). */
  uint64_t times[4];
  char comm[16];      /* prctl(PR_SET_NAME), "" if none since its exec */
};
static struct proc procs[MAX_PROCS];

struct proc_args;
static struct proc_args* args_make(const char* exe, const char* const* argv,
                                   const char* const* envp, const char* cwd);
static void args_set(struct proc* p, struct proc_args* a);
static void args_put(struct proc_args* a);
static void args_share(struct proc* child, const struct proc* parent);
/* One past the last record in use: what the walks over the table look at
 * (a handful of records, not MAX_PROCS). Under plock, like the table. */
static int procs_end;
static pthread_mutex_t plock = PTHREAD_MUTEX_INITIALIZER;
/* Bumped and woken whenever a process ends: waiters recheck. */
static int exits;
/* Orphans go to this process (the program procmgr ran), or are reaped
 * here when it is gone. */
static int init_pid = -1;
/* The console's foreground process group ("The terminal's foreground
 * process group" below). */
static int fg_pgid;

static void futex_wait(int* word, int val) {
  chcore_sys_futex((unsigned long)word, CHCORE_FUTEX_WAIT | CHCORE_FUTEX_PRIVATE_FLAG,
                   (unsigned long)(unsigned)val, 0, 0, 0);
}
static void futex_wake_all(int* word) {
  chcore_sys_futex((unsigned long)word, CHCORE_FUTEX_WAKE | CHCORE_FUTEX_PRIVATE_FLAG,
                   (unsigned long)-1 >> 33, 0, 0, 0);
}

/* A flag word that waiters mark: 0 = not yet, 1 = done, 2 = not yet and
 * somebody waits. Setting it wakes only if somebody waits (most of these
 * flags are never waited for: no futex call then). */
static void flag_set(int* word, int v) {
  if (__atomic_exchange_n(word, v, __ATOMIC_SEQ_CST) == 2) futex_wake_all(word);
}
/* Waits until *word is `done` (the other values: not yet). */
static void flag_wait(int* word, int done) {
  for (int v; (v = __atomic_load_n(word, __ATOMIC_SEQ_CST)) != done;) {
    if (v != 2 && !__atomic_compare_exchange_n(word, &v, 2, 0, __ATOMIC_SEQ_CST,
                                               __ATOMIC_SEQ_CST))
      continue;
    futex_wait(word, 2);
  }
}

static struct proc* by_pid(int pid) {
  for (int i = 0; i < procs_end; i++)
    if (procs[i].state != P_FREE && procs[i].pid == pid) return &procs[i];
  return NULL;
}

static struct proc* by_kpid(long kpid) {
  for (int i = 0; i < procs_end; i++)
    if (procs[i].state != P_FREE && procs[i].kpid == kpid) return &procs[i];
  return NULL;
}

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A free record (marked in use: the caller fills it), or NULL. */
static struct proc* proc_alloc(void) {
  for (int i = 0; i < MAX_PROCS; i++) {
    if (procs[i].state != P_FREE) continue;
    if (i >= procs_end) procs_end = i + 1;
    procs[i].state = P_RUNNING;
    procs[i].start_ns = monotonic_ns();
    return &procs[i];
  }
  return NULL;
}

/* Drops the capabilities a process sent ahead for a spawn. */
static void drop_staged(struct proc* p) {
  for (unsigned i = 0; i < p->nstaged; i++) chcore_cap_release(p->staged[i]);
  free(p->staged);
  p->staged = NULL;
  p->nstaged = 0;
}

/* PROCMGR_SPAWN_CAPS: kept for the caller's next spawn, which releases
 * them (or the caller's record does). */
static long stage_caps(const struct chcore_ipc_msg* m) {
  struct proc* caller = m->client;
  if (!caller) return -ECHILD;
  if (caller->nstaged + m->ncaps > PROCMGR_MAX_KOBJ_FDS) return -E2BIG;
  unsigned* more = realloc(caller->staged, (caller->nstaged + m->ncaps) * sizeof *more + 1);
  if (!more) return -ENOMEM;
  caller->staged = more;
  memcpy(more + caller->nstaged, m->caps, m->ncaps * sizeof *more);
  caller->nstaged += m->ncaps;
  return 0;
}

static void proc_free(struct proc* p);

/* Gives the record back (its capability already dropped, if any). */
static void proc_clear(struct proc* p) {
  drop_staged(p);
  if (p->wait_notif > 0) chcore_cap_release(p->wait_notif);
  /* A fork it began and will not finish: the unstarted child goes. */
  if (p->forking) proc_free(p->forking);
  args_set(p, NULL);
  memset(p, 0, sizeof *p);
  while (procs_end > 0 && procs[procs_end - 1].state == P_FREE) procs_end--;
}

static void proc_free(struct proc* p) {
  chcore_cap_release(p->cg);
  proc_clear(p);
}

/* SIGCHLD for p's parent, if it is there to get it (ignored unless the
 * parent handles it; a stop or continue not even then if the parent asked
 * so with SA_NOCLDSTOP: the kernel knows). `status` is a wait status. */
static void tell_parent(struct proc* p, int status) {
  struct proc* par = p->ppid > 0 ? by_pid(p->ppid) : NULL;
  if (!par || par->state != P_RUNNING || par == p) return;
  if (par->wait_notif > 0) chcore_sys_notify_signal((unsigned long)par->wait_notif);
  int code, what;
  if (WIFSTOPPED(status)) {
    code = CHCORE_CLD_STOPPED;
    what = WSTOPSIG(status);
  } else if (WIFCONTINUED(status)) {
    code = CHCORE_CLD_CONTINUED;
    what = SIGCONT;
  } else if (WIFEXITED(status)) {
    code = CHCORE_CLD_EXITED;
    what = WEXITSTATUS(status);
  } else {
    code = WCOREDUMP(status) ? CHCORE_CLD_DUMPED : CHCORE_CLD_KILLED;
    what = WTERMSIG(status);
  }
  chcore_sys_signal_cap_group((unsigned long)par->cg, SIGCHLD, (unsigned long)p->pid,
                              (unsigned long)code, (unsigned long)what);
}

/* Waits in the kernel for the child to end and records that; on the way,
 * its stops and continues (job control) for wait4's WUNTRACED and
 * WCONTINUED. */
static int orphaned(int pgid);
static void tell_orphaned(struct proc* p, int o);
static void sync_group(int pgid);
static void sync_around(struct proc* p, int old_pgid);
static long do_kill(struct proc* caller, int pid, int sig, int exclude_self);

/* Whether group pgid has a stopped member (with plock). */
static int has_stopped(int pgid) {
  for (int i = 0; i < procs_end; i++)
    if (procs[i].state == P_RUNNING && procs[i].pgid == pgid && procs[i].stopped) return 1;
  return 0;
}

/* POSIX's orphaned process groups: when an end leaves a group orphaned (no
 * member has a parent in another group of its session, so no shell could
 * continue it) and a member of it is stopped, every member gets SIGHUP and
 * then SIGCONT, so that nothing stays stopped for ever. The groups an end
 * can orphan: the ended process's own and its children's. (With plock;
 * returns how many groups to signal, into out.) */
static int newly_orphaned_stopped(struct proc* p, int* out, int max) {
  int n = 0;
  for (int i = -1; i < procs_end && n < max; i++) {
    struct proc* c = i < 0 ? p : &procs[i];
    if (i >= 0 && (c->state != P_RUNNING || c->ppid != p->pid || c == p)) continue;
    int g = c->pgid, seen = 0;
    for (int k = 0; k < n; k++) seen |= out[k] == g;
    if (!seen && g > 0 && has_stopped(g) && orphaned(g)) out[n++] = g;
  }
  return n;
}

/* With plock held: returns once no exec of p is deciding its image
 * (plock is let go while it waits). */
static void exec_settled(struct proc* p) {
  while (__atomic_load_n(&p->execing, __ATOMIC_ACQUIRE)) {
    pthread_mutex_unlock(&plock);
    flag_wait(&p->execing, 0);
    pthread_mutex_lock(&plock);
  }
}

static void reap(struct proc* p) {
  pthread_mutex_lock(&plock);
  /* Not in the middle of an exec, whose new image may yet fail. */
  exec_settled(p);
  long cg = p->watched = p->cg;
  pthread_mutex_unlock(&plock);
  long status;
  for (;;) {
    status = chcore_sys_wait_cap_group_event((unsigned long)cg);
    /* A signal to procmgr interrupts the wait: that is no end of the
     * child (it used to be taken for a SIGKILL). */
    if (status == -EINTR) continue;
    pthread_mutex_lock(&plock);
    /* An exec in progress decides whether this end is the process's (it
     * failed) or the old image's (the record moves on). */
    exec_settled(p);
    if (status > 0 && (WIFSTOPPED(status) || WIFCONTINUED(status))) {
      if (p->cg == cg) {
        p->jc_status = (int)status;
        p->stopped = WIFSTOPPED(status);
        tell_parent(p, (int)status);
        __atomic_add_fetch(&exits, 1, __ATOMIC_RELEASE);
        futex_wake_all(&exits);
      }
      pthread_mutex_unlock(&plock);
      continue;
    }
    if (p->cg == cg) break;
    /* An exec replaced the process (exec_swap): the old one is gone,
     * the record lives on in the new one. */
    long old = cg;
    cg = p->watched = p->cg;
    pthread_mutex_unlock(&plock);
    chcore_cap_release(old);
  }
  p->state = P_ZOMBIE;
  p->status = status < 0 ? CHCORE_SIGKILL : (int)status;
  struct chcore_cap_group_stat st;
  if (chcore_sys_cap_group_stat((unsigned long)cg, (unsigned long)&st) == 0) {
    p->times[0] = st.utime_ns;
    p->times[1] = st.stime_ns;
  }
  flag_set(&p->started, 1);
  p->jc_status = 0;
  p->stopped = 0;
  tell_parent(p, p->status);
  int hup[8];
  int nhup = newly_orphaned_stopped(p, hup, 8);
  /* Its children are orphans now: init adopts them, or nobody will wait
   * for them and the ended ones go at once. A group is orphaned when its
   * last member with a parent in another group of the session goes: p's
   * own group, if p was such a member, and its children's groups in the
   * session, if p was their link. Only those are looked at again. */
  struct proc* par = p->ppid > 0 ? by_pid(p->ppid) : NULL;
  int link = par && par->state == P_RUNNING && par->pgid != p->pgid && par->sid == p->sid;
  int child_groups[8], ngroups = 0;
  for (int i = 0; i < procs_end; i++) {
    struct proc* c = &procs[i];
    if (c->state == P_FREE || c->ppid != p->pid || c == p) continue;
    int seen = c->pgid == p->pgid || c->sid != p->sid || c->state != P_RUNNING;
    for (int k = 0; k < ngroups; k++) seen |= child_groups[k] == c->pgid;
    if (!seen && ngroups < 8) child_groups[ngroups++] = c->pgid;
    c->ppid = init_pid > 0 && init_pid != p->pid && by_pid(init_pid) ? init_pid : 0;
    if (c->ppid == 0 && c->state == P_ZOMBIE && !c->awaited_by_me) proc_free(c);
  }
  if (link) sync_group(p->pgid);
  for (int k = 0; k < ngroups; k++) sync_group(child_groups[k]);
  /* Nobody waits for procmgr's own children but the program's. */
  if (p->ppid == 0 && !p->awaited_by_me) proc_free(p);
  __atomic_add_fetch(&exits, 1, __ATOMIC_RELEASE);
  futex_wake_all(&exits);
  pthread_mutex_unlock(&plock);
  for (int i = 0; i < nhup; i++) {
    do_kill(NULL, -hup[i], SIGHUP, 0);
    do_kill(NULL, -hup[i], SIGCONT, 0);
  }
}

/* Reapers: one thread per running child waits in the kernel for its end
 * (wait_cap_group). A reaper whose child has ended does not exit but waits
 * on its futex word for the next child: creating and ending a thread per
 * spawn (its stack mapped and unmapped, the kernel thread, the start and
 * exit paths) cost some 10,000 instructions, handing an idle reaper the
 * next child costs one futex wake. Up to MAX_IDLE_REAPERS wait so; more
 * end, so that a burst of children leaves no lasting crowd of threads. */
#define MAX_IDLE_REAPERS 16

struct reaper {
  struct proc* p;
  int work; /* futex word: 1 once p is set */
  struct reaper* next;
};
static struct reaper* idle_reapers;
static int nidle_reapers;
static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;

static void* reaper_main(void* arg) {
  struct reaper* r = arg;
  for (;;) {
    while (__atomic_load_n(&r->work, __ATOMIC_ACQUIRE) == 0) futex_wait(&r->work, 0);
    r->work = 0;
    reap(r->p);
    r->p = NULL;
    pthread_mutex_lock(&reaper_lock);
    int keep = nidle_reapers < MAX_IDLE_REAPERS;
    if (keep) {
      r->next = idle_reapers;
      idle_reapers = r;
      nidle_reapers++;
    }
    pthread_mutex_unlock(&reaper_lock);
    if (!keep) break;
  }
  free(r);
  return NULL;
}

/* Has a reaper watch the (started) child p: 0, or -EAGAIN if there is no
 * idle reaper and no thread can be created. */
static long watch(struct proc* p) {
  pthread_mutex_lock(&reaper_lock);
  struct reaper* r = idle_reapers;
  if (r) {
    idle_reapers = r->next;
    nidle_reapers--;
  }
  pthread_mutex_unlock(&reaper_lock);
  if (r) {
    r->p = p;
    __atomic_store_n(&r->work, 1, __ATOMIC_RELEASE);
    futex_wake_all(&r->work);
    return 0;
  }
  r = calloc(1, sizeof *r);
  if (!r) return -EAGAIN;
  r->p = p;
  r->work = 1;
  pthread_attr_t a;
  pthread_attr_init(&a);
  pthread_attr_setstacksize(&a, 16384);
  pthread_t t;
  if (pthread_create(&t, &a, reaper_main, r) != 0) {
    free(r);
    return -EAGAIN;
  }
  pthread_detach(t);
  return 0;
}

/* watch(p), or, if no reaper can watch it, ends the just-started child
 * and drops its record: -EAGAIN. */
static long watch_or_end(struct proc* p) {
  if (watch(p) == 0) return 0;
  chcore_sys_kill_cap_group((unsigned long)p->cg, CHCORE_SIGKILL);
  chcore_sys_wait_cap_group((unsigned long)p->cg);
  pthread_mutex_lock(&plock);
  proc_free(p);
  pthread_mutex_unlock(&plock);
  return -EAGAIN;
}

/* ---- Programs ------------------------------------------------------------------- */

/* The programs procmgr has run, prepared (chcore_image_prepare): a spawn of
 * one of them costs a stat of its file rather than reading and parsing the
 * whole file, and its children share its text and constants instead of
 * each getting a copy. An entry is the file at `path` as it was: its inode,
 * size and times, compared at every spawn, so a program that was rewritten,
 * replaced or renamed over is read afresh (tmpfs's times have nanosecond
 * resolution). At most MAX_IMAGES are kept; a spawn that finds none free
 * (all in use) loads its program for itself alone. */
#define MAX_IMAGES 8

struct image {
  char* path;         /* NULL: a free entry */
  struct stat st;     /* the file's, when read */
  struct chcore_image img;
  int users;          /* spawns loading from it right now */
  int stale;          /* the file has changed: freed when unused */
  unsigned long used; /* for replacing the least recently used */
};
static struct image images[MAX_IMAGES];
static unsigned long image_clock;
static pthread_mutex_t image_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_file(const struct stat* a, const struct stat* b) {
  return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static void image_free(struct image* e) {
  chcore_image_release(&e->img);
  free(e->path);
  memset(e, 0, sizeof *e);
}

/* Reads and prepares the program (a regular file) at `path`; `st` is set
 * to what the open file was, which the entry is keyed by. */
static long image_read(const char* path, struct chcore_image* img, struct stat* st) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -errno;
  if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
    close(fd);
    return -EACCES;
  }
  void* elf = malloc(st->st_size ? (size_t)st->st_size : 1);
  if (!elf) {
    close(fd);
    return -ENOMEM;
  }
  ssize_t n = 0;
  while (n < st->st_size) {
    ssize_t k = read(fd, (char*)elf + n, (size_t)(st->st_size - n));
    if (k <= 0) break;
    n += k;
  }
  close(fd);
  long r = chcore_image_prepare(img, elf, (unsigned long)n, 1);
  free(elf);
  return r;
}

/* The prepared program at `path` (absolute, through procmgr's own file
 * system connection), held for the caller until image_put; or -errno
 * (what posix_spawn reports: ENOENT, EACCES for a file nobody may execute
 * or that is not regular, ENOEXEC, ...). */
static long image_get(const char* path, struct image** out) {
  struct stat st;
  if (stat(path, &st) < 0) return -errno;
  if (!S_ISREG(st.st_mode) || !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) return -EACCES;
  pthread_mutex_lock(&image_lock);
  for (int i = 0; i < MAX_IMAGES; i++) {
    struct image* e = &images[i];
    if (!e->path || e->stale || strcmp(e->path, path) != 0) continue;
    if (!same_file(&e->st, &st)) {
      e->stale = 1;
      if (e->users == 0) image_free(e);
      continue;
    }
    e->users++;
    e->used = ++image_clock;
    pthread_mutex_unlock(&image_lock);
    *out = e;
    return 0;
  }
  pthread_mutex_unlock(&image_lock);

  struct image fresh;
  memset(&fresh, 0, sizeof fresh);
  long r = image_read(path, &fresh.img, &fresh.st);
  if (r < 0) return r;
  fresh.path = strdup(path);
  fresh.users = 1;
  /* A free entry, else the least recently used one nobody is loading from. */
  pthread_mutex_lock(&image_lock);
  struct image* slot = NULL;
  for (int i = 0; i < MAX_IMAGES && fresh.path; i++) {
    struct image* e = &images[i];
    if (e->users > 0) continue;
    if (!e->path) {
      slot = e;
      break;
    }
    if (!slot || e->used < slot->used) slot = e;
  }
  if (slot) {
    if (slot->path) image_free(slot);
    *slot = fresh;
    slot->used = ++image_clock;
    pthread_mutex_unlock(&image_lock);
    *out = slot;
    return 0;
  }
  pthread_mutex_unlock(&image_lock);
  /* No room: an entry of the caller's own, freed by image_put. */
  struct image* own = malloc(sizeof *own);
  if (!own) {
    free(fresh.path);
    chcore_image_release(&fresh.img);
    return -ENOMEM;
  }
  *own = fresh;
  own->stale = 1;
  *out = own;
  return 0;
}

static void image_put(struct image* e) {
  pthread_mutex_lock(&image_lock);
  int mine = e < images || e >= images + MAX_IMAGES;
  if (--e->users == 0 && e->stale) image_free(e);
  pthread_mutex_unlock(&image_lock);
  if (mine) free(e);
}

/* exec: starts the new image `l` as the process of record p, which keeps
 * its pid, parent and group; the old process (the caller, blocked in its
 * exec request) is ended by the caller of this, once the new one has
 * taken over its files. The record's connection identity (kpid) moves to
 * the new process before it runs, so that its first requests find it. */
static void exec_done(struct proc* p) { flag_set(&p->execing, 0); }
static long exec_swap(struct proc* p, struct chcore_launch* l, const char* const* argv,
                      const char* const* envp) {
  pthread_mutex_lock(&plock);
  if (p->state != P_RUNNING) {
    /* The old image ended (a signal) while the new one was loaded. */
    pthread_mutex_unlock(&plock);
    chcore_launch_abort(l);
    return -ESRCH;
  }
  /* The record moves to the new image before it runs: its connection
   * identity, so that its first requests find it, and its process, so
   * that a signal sent from now on (under plock) reaches it. What the old
   * image has pending follows, and if a signal ended the old image, the
   * new one ends the same way. The reaper does not take an end of the old
   * image for the process's until the start is decided (execing). */
  long old_kpid = p->kpid;
  long old_cg = p->cg;
  int old_started = __atomic_load_n(&p->started, __ATOMIC_ACQUIRE) == 1;
  p->kpid = l->pid;
  p->cg = l->cg;
  if (old_started) p->started = 0; /* (2, somebody waiting, stays) */
  p->execing = 1;
  p->exec_drops_old = p->watched != old_cg;
  chcore_sys_signal_handover((unsigned long)old_cg, (unsigned long)l->cg);
  pthread_mutex_unlock(&plock);
  /* A failed start leaves the new process (not started) to us: the
   * signals come back from it before it goes. */
  long r = chcore_launch_start_keep(l, argv, envp);
  pthread_mutex_lock(&plock);
  if (r < 0) {
    /* The exec fails: the record and the signals go back. */
    p->kpid = old_kpid;
    p->cg = old_cg;
    if (old_started) flag_set(&p->started, 1);
    chcore_sys_signal_handover((unsigned long)l->cg, (unsigned long)old_cg);
    exec_done(p);
    pthread_mutex_unlock(&plock);
    chcore_launch_abort(l);
    return r;
  }
  exec_done(p);
  p->execed = 1;
  /* A new kernel process, in the same group: told what the old one was. */
  int o = p->jc_orphaned;
  p->jc_orphaned = 0;
  tell_orphaned(p, o);
  p->comm[0] = '\0'; /* an exec names it after its program again */
  pthread_mutex_unlock(&plock);
  return 0;
}

/* Loads `path` (an absolute path, read through this process's own file
 * system connection, or kept from an earlier spawn) into a new child of
 * `parent` (0: procmgr's). On success the child runs and its record is
 * returned. */
static long spawn(const char* path, const char* const* argv, const char* const* envp,
                  const struct procmgr_start_info* info_tmpl, struct procmgr_fd* fds,
                  const char* names, const unsigned* caps, unsigned ncaps, const char* cwd, int parent,
                  int give_irq, int awaited, struct proc* replace, struct proc** out) {
  struct image* image;
  long r = image_get(path, &image);
  if (r < 0) return r;
  const char* name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  struct chcore_launch l;
  r = chcore_launch_image(&l, &image->img, name);
  image_put(image);
  if (r < 0) return r;
  /* Its mask and ignored signals from its first instruction (the C library
   * applies them again at start-up, for its own records). */
  r = chcore_sys_signal_start_state(
      (unsigned long)l.cg,
      (info_tmpl->flags & PROCMGR_SPAWN_SETSIGMASK) ? info_tmpl->sigmask : 0,
      info_tmpl->sigignore);
  if (r < 0) {
    chcore_launch_abort(&l);
    return r;
  }
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

  /* The start information, which chcore_launch_start puts at the top of
   * the child's stack: on our stack when it is small (the usual few fds). */
  size_t cwd_len = strlen(cwd) + 1;
  size_t names_len = 0;
  for (uint32_t i = 0; names && i < info_tmpl->nfds; i++)
    if (fds[i].name_off) names_len += strlen(names + fds[i].name_off) + 1;
  size_t size = sizeof(struct procmgr_start_info) + info_tmpl->nfds * sizeof(struct procmgr_fd) +
                names_len + cwd_len;
  union {
    struct procmgr_start_info info;
    char bytes[1024];
  } small;
  struct procmgr_start_info* info = size <= sizeof small ? &small.info : malloc(size);
  if (!info) {
    chcore_launch_abort(&l);
    return -ENOMEM;
  }
  *info = *info_tmpl;
  info->magic = PROCMGR_START_MAGIC;
  info->size = (uint32_t)size;
  info->ppid = parent;
  /* An exec keeps the pid; /bin/init (awaited 2: the program procmgr runs
   * when given none) is pid 1, to which BusyBox's poweroff and reboot send
   * their signals (the program of ./chbuild exec is an ordinary process:
   * kill(-its group) must not mean kill(-1)); any other
   * new process's is its main thread's tid (0 here: the C library takes
   * it). */
  info->pid = replace ? replace->pid : awaited == 2 ? 1 : 0;
  memcpy(info->fds, fds, info->nfds * sizeof(struct procmgr_fd));
  /* The files' names after the entries, offsets rewritten to the block's. */
  size_t at = sizeof(struct procmgr_start_info) + info->nfds * sizeof(struct procmgr_fd);
  for (uint32_t i = 0; i < info->nfds; i++) {
    if (!names || !fds[i].name_off) {
      info->fds[i].name_off = 0;
      continue;
    }
    size_t n = strlen(names + fds[i].name_off) + 1;
    memcpy((char*)info + at, names + fds[i].name_off, n);
    info->fds[i].name_off = (uint32_t)at;
    at += n;
  }
  info->cwd_off = (uint32_t)(size - cwd_len);
  memcpy((char*)info + info->cwd_off, cwd, cwd_len);
  l.start_info = info;
  l.start_info_size = size;
  long irq = give_irq ? chcore_irq_control_slot() : -1;
  if (irq >= 0) {
    r = chcore_launch_transfer(&l, irq, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE |
                                            CHCORE_RIGHT_CONTROL | CHCORE_RIGHT_COPY);
    if (r < 0) {
      chcore_launch_abort(&l);
      if (info != &small.info) free(info);
      return r;
    }
    l.irq_control_slot = r;
  }

  /* What /proc will show of it (NULL without memory: then nothing). */
  struct proc_args* args = args_make(path, argv, envp, cwd);
  if (replace) {
    r = exec_swap(replace, &l, argv, envp);
    if (info != &small.info) free(info);
    if (r < 0) {
      args_put(args);
      return r;
    }
    pthread_mutex_lock(&plock);
    args_set(replace, args);
    pthread_mutex_unlock(&plock);
    *out = replace;
    return replace->pid;
  }

  pthread_mutex_lock(&plock);
  struct proc* p = proc_alloc();
  if (!p) {
    pthread_mutex_unlock(&plock);
    chcore_launch_abort(&l);
    if (info != &small.info) free(info);
    args_put(args);
    return -EAGAIN;
  }
  p->kpid = l.pid;
  p->ppid = parent;
  p->cg = l.cg;
  p->started = 0;
  p->pid = -1;
  /* Set before it runs: a program that ends at once must stay for its
   * waiter, not be reaped as nobody's. */
  p->awaited_by_me = awaited;
  pthread_mutex_unlock(&plock);

  r = chcore_launch_start(&l, argv, envp);
  if (info != &small.info) free(info);
  pthread_mutex_lock(&plock);
  if (r < 0) {
    proc_clear(p);
    pthread_mutex_unlock(&plock);
    args_put(args);
    return r;
  }
  int pid = awaited == 2 ? 1 : (int)l.main_tid;
  __atomic_store_n(&p->pid, pid, __ATOMIC_RELEASE);
  futex_wake_all(&p->pid); /* its first calls wait for it (handle_proc) */
  args_set(p, args);
  args = NULL;
  /* The parent's group and session; procmgr's own children lead their
   * own (as init does on Linux). */
  struct proc* par = parent > 0 ? by_pid(parent) : NULL;
  p->pgid = (info_tmpl->flags & PROCMGR_SPAWN_SETPGROUP) && info_tmpl->pgroup > 0 ? info_tmpl->pgroup
            : (info_tmpl->flags & PROCMGR_SPAWN_SETPGROUP) || !par            ? pid
                                                                               : par->pgid;
  p->sid = par ? par->sid : pid;
  /* Whether its group is orphaned: as its parent's, in the parent's group;
   * a group of its own is not (its parent is in another group of the
   * session), unless it has no parent (procmgr's children). */
  p->jc_orphaned = 0;
  if (!par)
    tell_orphaned(p, 1);
  else if (p->pgid == par->pgid)
    tell_orphaned(p, par->jc_orphaned);
  else if (p->pgid != pid)
    sync_group(p->pgid);
  if (awaited) {
    init_pid = pid;
    fg_pgid = p->pgid; /* the program's group owns the terminal */
  }
  pthread_mutex_unlock(&plock);
  if (watch_or_end(p) < 0) return -EAGAIN;
  /* From here the reaper may free the record (an orphan's that ended):
   * only the pid is still ours. */
  *out = p;
  return pid;
}

/* spawn, but a file that starts with "#!" runs its interpreter, as
 * Linux's execve does: "#!interp [arg]" makes argv interp [arg] path
 * argv[1]...; an interpreter may be a script itself, up to 4 levels
 * (-ELOOP beyond). The first line is read up to 256 bytes (-ENOEXEC if it
 * does not end there). */
#define SCRIPT_LINE_MAX 256
#define SCRIPT_DEPTH_MAX 4

static long script_line(const char* path, char* line) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, line, SCRIPT_LINE_MAX);
  close(fd);
  if (n < 2 || line[0] != '#' || line[1] != '!') return -ENOEXEC;
  char* nl = memchr(line, '\n', (size_t)n);
  if (!nl) return -ENOEXEC;
  *nl = 0;
  return 0;
}

static long spawn_script(const char* path, const char* const* argv, const char* const* envp,
                         const struct procmgr_start_info* info_tmpl, struct procmgr_fd* fds,
                         const char* names, const unsigned* caps, unsigned ncaps, const char* cwd, int parent,
                         struct proc* replace, struct proc** out) {
  long r = spawn(path, argv, envp, info_tmpl, fds, names, caps, ncaps, cwd, parent, 0, 0, replace, out);
  if (r != -ENOEXEC) return r;
  /* Each level: its line and its argv live until the spawn is done. */
  char lines[SCRIPT_DEPTH_MAX][SCRIPT_LINE_MAX + 1];
  const char** vs[SCRIPT_DEPTH_MAX] = {0};
  const char* const* cur = argv;
  const char* file = path;
  for (int depth = 0; r == -ENOEXEC; depth++) {
    if (depth == SCRIPT_DEPTH_MAX) {
      r = -ELOOP;
      break;
    }
    char* line = lines[depth];
    long k = script_line(file, line);
    if (k < 0) {
      r = k;
      break;
    }
    /* "#!  /bin/sh  -e  " -> interp "/bin/sh", arg "-e" (the rest of the
     * line after the interpreter, trimmed, as one argument). */
    char* q = line + 2;
    while (*q == ' ' || *q == '\t') q++;
    char* interp = q;
    while (*q && *q != ' ' && *q != '\t') q++;
    char* arg = NULL;
    if (*q) {
      *q++ = 0;
      while (*q == ' ' || *q == '\t') q++;
      char* end = q + strlen(q);
      while (end > q && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = 0;
      if (*q) arg = q;
    }
    if (!*interp) {
      r = -ENOEXEC;
      break;
    }
    size_t n = 0;
    while (cur[n]) n++;
    const char** v = malloc((n + 3) * sizeof *v);
    if (!v) {
      r = -ENOMEM;
      break;
    }
    vs[depth] = v;
    size_t j = 0;
    v[j++] = interp;
    if (arg) v[j++] = arg;
    v[j++] = file;
    for (size_t i = 1; i < n; i++) v[j++] = cur[i];
    v[j] = NULL;
    cur = v;
    file = interp;
    r = spawn(file, cur, envp, info_tmpl, fds, names, caps, ncaps, cwd, parent, 0, 0, replace, out);
  }
  for (int i = 0; i < SCRIPT_DEPTH_MAX; i++) free(vs[i]);
  return r;
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
  struct proc* p = r >= 0 ? proc_alloc() : NULL;
  if (p) {
    p->kpid = l.pid;
    p->cg = l.cg;
    p->service = 1;
    p->pid = -1;
  }
  pthread_mutex_unlock(&plock);
  if (r >= 0 && !p) r = -EAGAIN;
  if (r >= 0) r = chcore_launch_start(&l, argv, NULL);
  if (r < 0) fail(path, r);
  pthread_mutex_lock(&plock);
  p->pid = p->pgid = p->sid = (int)l.main_tid;
  args_set(p, args_make(path, argv, NULL, "/"));
  pthread_mutex_unlock(&plock);
  if (watch(p) < 0) fail("cannot watch a service", -EAGAIN);
}

/* Waits for a child of `parent` (pid > 0: that one; -1: any; 0: any in
 * the caller's process group `pgid`; < -1: any in group -pid). */
static long wait_child(int parent, int pgid, int pid, int options, int* status,
                       uint64_t times[2]) {
  pthread_mutex_lock(&plock);
  for (;;) {
    int any = 0;
    for (int i = 0; i < procs_end; i++) {
      struct proc* c = &procs[i];
      if (c->state == P_FREE || c->ppid != parent || c->pid <= 0) continue;
      if (pid > 0 && c->pid != pid) continue;
      if (pid == 0 && c->pgid != pgid) continue;
      if (pid < -1 && c->pgid != -pid) continue;
      any = 1;
      int jc = c->jc_status;
      if (c->state == P_RUNNING && jc != 0 &&
          ((WIFSTOPPED(jc) && (options & WUNTRACED)) ||
           (WIFCONTINUED(jc) && (options & WCONTINUED)))) {
        *status = jc;
        c->jc_status = 0;
        pthread_mutex_unlock(&plock);
        return c->pid;
      }
      if (c->state == P_ZOMBIE) {
        int found = c->pid;
        *status = c->status;
        times[0] = c->times[0] + c->times[2];
        times[1] = c->times[1] + c->times[3];
        struct proc* par = by_pid(parent);
        if (par) {
          par->times[2] += times[0];
          par->times[3] += times[1];
        }
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

/* One process's signal (with plock). SIGKILL ends it; any other signal
 * the kernel delivers: a handler runs in the target, with si_pid the
 * sender's; without one, the default action (ignore, or end it with that
 * signal's wait status, or stop it: SIGSTOP and SIGTSTP/SIGTTIN/SIGTTOU;
 * SIGCONT continues it; the reaper hears of stops and continues). */
static long send_one(struct proc* caller, struct proc* p, int sig, long code,
                     unsigned long value) {
  if (p->state == P_ZOMBIE) return 0;
  if (p->service && (!caller || caller->ppid != 0)) return -EPERM;
  if (sig == 0) return 0;
  if (sig == SIGKILL) return chcore_sys_kill_cap_group((unsigned long)p->cg, (unsigned long)sig);
  return chcore_sys_signal_cap_group((unsigned long)p->cg, (unsigned long)sig,
                                     caller ? (unsigned long)caller->pid : 0, (unsigned long)code,
                                     value);
}
static long kill_one(struct proc* caller, struct proc* p, int sig) {
  return send_one(caller, p, sig, SI_USER, 0);
}

/* PROCMGR_SIGQUEUE: sig with SI_QUEUE and `value` to process pid. */
static long do_sigqueue(struct proc* caller, int pid, int sig, unsigned long value) {
  if (sig < 0 || sig > 64) return -EINVAL;
  pthread_mutex_lock(&plock);
  struct proc* p = pid > 0 ? by_pid(pid) : NULL;
  long r = p && p->state != P_FREE && p->pid > 0 ? send_one(caller, p, sig, SI_QUEUE, value) : -ESRCH;
  pthread_mutex_unlock(&plock);
  return r;
}

/* PROCMGR_TGKILL: sig to thread tid of process pid. */
static long do_tgkill(struct proc* caller, const struct chcore_ipc_msg* m) {
  int pid = (int)(long)m->w[1];
  unsigned long tid = m->w[2];
  int sig = (int)(m->w[3] & 0xffffffffu);
  long code = (int32_t)(m->w[3] >> 32);
  unsigned long value = 0;
  if (sig < 0 || sig > 64) return -EINVAL;
  if (code != SI_TKILL) {
    if (m->len < sizeof value) return -EINVAL;
    memcpy(&value, m->buf, sizeof value);
  }
  pthread_mutex_lock(&plock);
  struct proc* p = pid > 0 ? by_pid(pid) : NULL;
  long r = -ESRCH;
  if (p && p->state != P_FREE && p->state != P_ZOMBIE && p->pid > 0) {
    if (p->service && (!caller || caller->ppid != 0))
      r = -EPERM;
    else
      r = chcore_sys_signal_thread_of((unsigned long)p->cg, tid, (unsigned long)sig,
                                      caller ? (unsigned long)caller->pid : 0,
                                      (unsigned long)code, value);
  }
  pthread_mutex_unlock(&plock);
  return r;
}

/* kill(pid, sig): pid > 0 that process; 0 the caller's process group; -1
 * every process the caller may signal but itself and init; < -1 the
 * group -pid. -ESRCH when nothing matched, -EPERM when nothing could be
 * signalled. The caller's own process, when in the group, goes last (its
 * end ends this call), or with exclude_self is left to the caller: 1. */
static long do_kill(struct proc* caller, int pid, int sig, int exclude_self) {
  if (sig < 0 || sig > 64) return -EINVAL;
  pthread_mutex_lock(&plock);
  long r;
  if (pid > 0) {
    struct proc* p = by_pid(pid);
    r = p && p->state != P_FREE && p->pid > 0 ? kill_one(caller, p, sig) : -ESRCH;
    pthread_mutex_unlock(&plock);
    return r;
  }
  if (pid == 0 && !caller) {
    pthread_mutex_unlock(&plock);
    return -ESRCH;
  }
  int group = pid == 0 ? caller->pgid : -pid;
  int found = 0, sent = 0, self = 0;
  r = 0;
  for (int i = 0; i < procs_end; i++) {
    struct proc* p = &procs[i];
    if (p->state != P_RUNNING || p->pid <= 0) continue;
    if (pid == -1 ? p->service || p->pid == init_pid || p == caller : p->pgid != group) continue;
    found++;
    if (p == caller) {
      self = 1;
      continue;
    }
    long k = kill_one(caller, p, sig);
    if (k == 0) sent++;
    else r = k;
  }
  if (self && exclude_self) {
    /* The caller delivers its own (its handlers run there): 1 says so. */
    pthread_mutex_unlock(&plock);
    return 1;
  }
  if (self) {
    found--;
    long k = kill_one(caller, caller, sig);
    if (k == 0) sent++;
    else r = k;
    found++;
  }
  pthread_mutex_unlock(&plock);
  if (!found) return -ESRCH;
  return sent ? 0 : r;
}

/* Whether process group pgid exists in session sid. As on Linux, a
 * process that has ended but is not reaped yet still belongs to its group
 * (a pipeline's first command may end before the next joins its group).
 * Under plock. */
static int group_in_session(int pgid, int sid) {
  for (int i = 0; i < procs_end; i++)
    if (procs[i].state != P_FREE && procs[i].pgid == pgid && procs[i].sid == sid) return 1;
  return 0;
}

/* setpgid(pid, pgid), Linux's rules: pid 0 is the caller; it must be the
 * caller or a child of its in its session (-ESRCH), a child that has not
 * exec'd (-EACCES), not a session leader (-EPERM); pgid 0 is pid; a group
 * other than its own pid must exist in the caller's session (-EPERM). */
static long do_setpgid(struct proc* caller, int pid, int pgid) {
  if (pgid < 0) return -EINVAL;
  pthread_mutex_lock(&plock);
  struct proc* p = pid == 0 ? caller : by_pid(pid);
  long r = 0;
  if (!p || p->state == P_FREE || (p != caller && p->ppid != caller->pid))
    r = -ESRCH;
  else if (p != caller && p->sid != caller->sid)
    r = -EPERM;
  else if (p != caller && p->execed)
    r = -EACCES;
  else if (p->sid == p->pid)
    r = -EPERM;
  if (r == 0) {
    if (pgid == 0) pgid = p->pid;
    if (pgid != p->pid && !group_in_session(pgid, caller->sid)) r = -EPERM;
  }
  if (r == 0) {
    int old = p->pgid;
    p->pgid = pgid;
    sync_around(p, old);
  }
  pthread_mutex_unlock(&plock);
  return r;
}

/* ---- The terminal's foreground process group ---------------------------------------- */

/* The console is the one terminal: the controlling terminal of the
 * program procmgr runs (init) and of its descendants' sessions. Its
 * foreground group gets the signals typed on it (Ctrl-C, Ctrl-\, Ctrl-Z:
 * the kernel's line discipline hands them to tty_signals). Under plock. */
/* tcsetpgrp: a group of the caller's session (-EPERM otherwise). */
static long do_tcsetpgrp(struct proc* caller, int pgid) {
  if (pgid <= 0) return -EINVAL;
  pthread_mutex_lock(&plock);
  long r = group_in_session(pgid, caller->sid) ? 0 : -EPERM;
  if (r == 0) fg_pgid = pgid;
  pthread_mutex_unlock(&plock);
  return r;
}

/* Whether process group pgid is orphaned: no member has a parent in
 * another group of the same session (nobody there could continue it). */
static int orphaned(int pgid) {
  for (int i = 0; i < procs_end; i++) {
    struct proc* p = &procs[i];
    if (p->state != P_RUNNING || p->pgid != pgid) continue;
    struct proc* par = p->ppid > 0 ? by_pid(p->ppid) : NULL;
    if (par && par->state == P_RUNNING && par->pgid != pgid && par->sid == p->sid) return 0;
  }
  return 1;
}

/* The kernel discards the default stop of SIGTSTP, SIGTTIN and SIGTTOU in
 * an orphaned group (Linux's rule), as it is told (set_job_control):
 * whenever a group's members or their parents may have changed, its
 * members are told again. (With plock.) */
static void tell_orphaned(struct proc* p, int o) {
  if (p->jc_orphaned == o || p->cg <= 0) return;
  if (chcore_sys_set_job_control((unsigned long)p->cg, o ? CHCORE_JC_ORPHANED : 0) == 0)
    p->jc_orphaned = o;
}

static void sync_group(int pgid) {
  if (pgid <= 0) return;
  int o = orphaned(pgid);
  for (int i = 0; i < procs_end; i++)
    if (procs[i].state == P_RUNNING && procs[i].pgid == pgid) tell_orphaned(&procs[i], o);
}

/* p's group changed from old_pgid, or p ended: both groups, and those of
 * its children (whose parent moved or went). */
static void sync_around(struct proc* p, int old_pgid) {
  sync_group(old_pgid);
  if (p->pgid != old_pgid) sync_group(p->pgid);
  for (int i = 0; i < procs_end; i++) {
    struct proc* c = &procs[i];
    if (c->state == P_RUNNING && c != p && c->ppid == p->pid && c->pgid != old_pgid &&
        c->pgid != p->pgid)
      sync_group(c->pgid);
  }
}

/* The session of the processes in group pgid (0 if it has none). */
static int session_of_group(int pgid) {
  for (int i = 0; i < procs_end; i++)
    if (procs[i].state == P_RUNNING && procs[i].pgid == pgid) return procs[i].sid;
  return 0;
}

/* PROCMGR_TTY_READ: a background process reading the console (w2 = 0:
 * SIGTTIN, -EIO if ignored or blocked), or writing to it with TOSTOP or
 * changing its settings (w2 = 1: SIGTTOU, allowed if ignored or blocked,
 * and only asked of a process in the foreground group's session: the
 * console is the controlling terminal of that session alone). */
static long tty_check(struct proc* caller, int quiet, int change) {
  pthread_mutex_lock(&plock);
  int pgid = caller->pgid;
  long r;
  if (fg_pgid <= 0 || pgid == fg_pgid)
    r = 0;
  else if (!change)
    r = quiet || orphaned(pgid) ? -EIO : 1;
  else if (quiet || session_of_group(fg_pgid) != caller->sid)
    r = 0;
  else
    r = orphaned(pgid) ? -EIO : 1;
  pthread_mutex_unlock(&plock);
  if (r == 1) do_kill(NULL, -pgid, change ? SIGTTOU : SIGTTIN, 0);
  return r;
}

static void* tty_signals(void* arg) {
  long ctl = (long)arg;
  for (;;) {
    long sig = chcore_sys_tty_signal_wait((unsigned long)ctl);
    if (sig <= 0) continue;
    pthread_mutex_lock(&plock);
    int fg = fg_pgid;
    pthread_mutex_unlock(&plock);
    if (fg > 0) do_kill(NULL, -fg, (int)sig, 0);
  }
  return NULL;
}

/* getpgid / getsid (which: 0 / 1) of pid (0: the caller). */
static long do_getpgid(struct proc* caller, int pid, int which) {
  pthread_mutex_lock(&plock);
  struct proc* p = pid == 0 ? caller : by_pid(pid);
  long r = !p || p->state == P_FREE ? -ESRCH : which ? p->sid : p->pgid;
  pthread_mutex_unlock(&plock);
  return r;
}

/* setsid: a new session and group led by the caller (-EPERM if it leads
 * a group already). */
static long do_setsid(struct proc* caller) {
  pthread_mutex_lock(&plock);
  long r = -EPERM;
  int leads = 0;
  for (int i = 0; i < procs_end && !leads; i++)
    leads = procs[i].state != P_FREE && procs[i].pgid == caller->pid;
  if (!leads) {
    int old = caller->pgid;
    caller->pgid = caller->sid = caller->pid;
    r = caller->pid;
    sync_around(caller, old);
  }
  pthread_mutex_unlock(&plock);
  return r;
}

/* A client's request to spawn, checked piece by piece. */
static long handle_spawn(struct proc* caller, const struct chcore_ipc_msg* m, int exec) {
  const char* b = m->buf;
  size_t len = m->len;
  if (len < sizeof(struct procmgr_spawn) || len > m->buf_size) return -EINVAL;
  struct procmgr_spawn req;
  memcpy(&req, b, sizeof req);
  if (req.argc > 4096 || req.envc > 4096 || req.nfds > 1024) return -E2BIG;
  if (req.fds_off > len || (req.fds_off & 7) ||
      (len - req.fds_off) / sizeof(struct procmgr_fd) < req.nfds)
    return -EINVAL;
  /* The strings: path, argv, envp, cwd, all inside [header, fds_off);
   * argv and envp as NULL-terminated arrays, one after the other in `v`.
   * On our stack when they are few (as the fds), in the heap otherwise. */
  const char* small_v[64];
  struct procmgr_fd small_fds[16];
  size_t nv = req.argc + 1 + req.envc + 1;
  const char** v = nv <= 64 ? small_v : malloc(nv * sizeof *v);
  struct procmgr_fd* fds =
      req.nfds <= 16 ? small_fds : malloc(req.nfds * sizeof(struct procmgr_fd));
  long r = v && fds ? 0 : -ENOMEM;
  const char* path = NULL;
  const char* cwd = NULL;
  size_t off = sizeof req;
  for (size_t i = 0; r == 0 && i < 1 + req.argc + req.envc + 1; i++) {
    const char* z = off < req.fds_off ? memchr(b + off, 0, req.fds_off - off) : NULL;
    if (!z) {
      r = -EINVAL;
      break;
    }
    if (i == 0)
      path = b + off;
    else if (i <= req.argc + req.envc)
      v[i - 1 + (i > req.argc)] = b + off; /* envp starts one entry later */
    else
      cwd = b + off;
    off = (size_t)(z - b) + 1;
  }
  if (r == 0) {
    const char** argv = v;
    const char** envp = v + req.argc + 1;
    argv[req.argc] = NULL;
    envp[req.envc] = NULL;
    struct procmgr_start_info tmpl;
    memset(&tmpl, 0, sizeof tmpl);
    tmpl.nfds = req.nfds;
    tmpl.flags = req.flags;
    tmpl.sigmask = req.sigmask;
    tmpl.sigignore = req.sigignore;
    tmpl.pgroup = req.pgroup;
    int files = 0;
    memcpy(fds, b + req.fds_off, req.nfds * sizeof *fds);
    for (uint32_t i = 0; i < req.nfds; i++) {
      files |= fds[i].kind == PROCMGR_FD_FILE;
      /* A name must lie after the entries, in the message, with its NUL. */
      uint32_t no = fds[i].name_off;
      size_t ends = req.fds_off + req.nfds * sizeof *fds;
      if (no != 0 && (no < ends || no >= len || !memchr(b + no, 0, len - no)))
        fds[i].name_off = 0;
    }
    struct proc* p;
    /* The kernel objects' capabilities: those sent ahead, then this
     * message's (a PROCMGR_FD_KOBJ token indexes them in this order). */
    unsigned small_caps[CHCORE_IPC_MAX_CAPS], *caps = small_caps;
    unsigned ncaps = caller->nstaged + m->ncaps;
    if (caller->nstaged > 0) {
      caps = malloc(ncaps * sizeof *caps);
      if (!caps) {
        r = -ENOMEM;
        goto done;
      }
      memcpy(caps, caller->staged, caller->nstaged * sizeof *caps);
    }
    memcpy(caps + caller->nstaged, m->caps, m->ncaps * sizeof *caps);
    long old_cg = caller->cg;
    if (exec) tmpl.flags &= ~PROCMGR_SPAWN_SETPGROUP; /* an exec keeps its group */
    r = spawn_script(path, argv, envp, &tmpl, fds, b, caps, ncaps, cwd,
                     exec ? caller->ppid : caller->pid, exec ? caller : NULL, &p);
    if (caps != small_caps) free(caps);
    /* The parent's copies of the files must stay until the child has
     * imported them (they are the descriptions' only holders). */
    if (r > 0 && files) flag_wait(&p->started, 1);
    /* exec: the old image ends (its threads with it); its call never
     * returns. The reaper sees the swap and stays with the record; one
     * that started after the swap (a forked child that exec'd at once)
     * never saw the old image, whose capability then goes here. */
    if (r > 0 && exec) {
      chcore_sys_kill_cap_group((unsigned long)old_cg, CHCORE_SIGKILL);
      if (caller->exec_drops_old) chcore_cap_release(old_cg);
    }
  }
done:
  if (v != small_v) free(v);
  if (fds != small_fds) free(fds);
  return r;
}

/* ---- fork ------------------------------------------------------------------------- */

/* RLIMIT_NPROC, as the caller's C library says it (w1 of a fork or a
 * spawn): whether `limit` processes run already. Every process is root's
 * here, so all count but the system services. (Linux exempts root; this
 * system enforces the limit for everybody, so that a fork bomb can be
 * stopped.) */
static int over_nproc(unsigned long limit) {
  if (limit == 0 || limit >= (unsigned long)MAX_PROCS) return 0;
  pthread_mutex_lock(&plock);
  unsigned long n = 0;
  for (int i = 0; i < procs_end; i++) n += procs[i].state == P_RUNNING && !procs[i].service;
  pthread_mutex_unlock(&plock);
  return n >= limit;
}

/* PROCMGR_FORK: the child's process and record (pid unknown until the
 * kernel has made its thread), and a capability to it for the caller. */
static long fork_begin(struct proc* caller, const struct chcore_ipc_msg* m,
                       struct chcore_ipc_reply* r) {
  char name[CHCORE_NAME_MAX];
  size_t n = m->len < m->buf_size ? strnlen(m->buf, m->len) : 0;
  if (n == 0 || n >= sizeof name) {
    memcpy(name, "fork", 5);
  } else {
    memcpy(name, m->buf, n);
    name[n] = 0;
  }
  if (over_nproc(m->w[1])) return -EAGAIN;
  unsigned long kpid = 0;
  long cg = chcore_sys_create_cap_group((unsigned long)name, strlen(name), (unsigned long)&kpid);
  if (cg < 0) return cg;
  pthread_mutex_lock(&plock);
  if (caller->forking) {
    proc_free(caller->forking);
    caller->forking = NULL;
  }
  struct proc* p = proc_alloc();
  if (!p) {
    pthread_mutex_unlock(&plock);
    chcore_cap_release(cg);
    return -EAGAIN;
  }
  p->kpid = (long)kpid;
  p->ppid = caller->pid;
  p->pgid = caller->pgid;
  p->sid = caller->sid;
  p->cg = cg;
  p->pid = -1;
  args_share(p, caller);
  memcpy(p->comm, caller->comm, sizeof p->comm); /* a fork keeps the name */
  caller->forking = p;
  pthread_mutex_unlock(&plock);
  r->ncaps = 1;
  r->caps[0] = CHCORE_IPC_CAP(cg, CHCORE_RIGHT_CONTROL | CHCORE_RIGHT_COPY);
  return 0;
}

/* PROCMGR_FORK_START: the child's pid is its thread's tid; start it. */
static long fork_start(struct proc* caller, const struct chcore_ipc_msg* m) {
  pthread_mutex_lock(&plock);
  struct proc* p = caller->forking;
  caller->forking = NULL;
  long info = m->ncaps == 1 ? chcore_sys_cap_info(m->caps[0]) : -EINVAL;
  long r = 0;
  if (!p)
    r = -EINVAL;
  else if (m->ncaps == 0)
    r = (long)m->w[1] < 0 ? (long)m->w[1] : -EINVAL; /* the kernel's fork failed */
  else if (info < 0 || CHCORE_CAP_INFO_TYPE(info) != CHCORE_OBJ_THREAD)
    r = -EINVAL;
  if (r == 0) {
    p->pid = (int)CHCORE_CAP_INFO_ID(info);
    r = chcore_sys_start_thread(m->caps[0]);
  }
  if (r < 0) {
    if (p) proc_free(p);
    pthread_mutex_unlock(&plock);
    return r;
  }
  int pid = p->pid;
  /* The kernel's fork copied the parent's word on its group (the same
   * group); a change of it between that copy and here is not seen. */
  p->jc_orphaned = caller->jc_orphaned;
  pthread_mutex_unlock(&plock);
  if (watch_or_end(p) < 0) return -EAGAIN;
  /* The parent keeps its files until the child has taken them over. The
   * record stays at least a zombie while the parent (the caller) lives. */
  if (m->w[2] == 1) flag_wait(&p->started, 1);
  return pid;
}

static long on_connect(unsigned long badge, unsigned long kpid, unsigned long arg,
                       void** client) {
  (void)badge;
  if (arg == PROCMGR_CONNECT_FORK) {
    *client = &lane_client;
    return CHCORE_CONNECT_FORK;
  }
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
    if (m->w[0] == PROCMGR_KILL) r->ret = do_kill(NULL, (int)m->w[1], (int)m->w[2], 0);
    return;
  }
  /* A process that spawn has started runs before spawn has written its
   * pid into the record (the pid is its main thread's tid, known once the
   * thread exists). Its first calls wait for that: a fork it began at once
   * would otherwise name parent -1, and its wait would find no child. */
  int pid_now;
  while ((pid_now = __atomic_load_n(&caller->pid, __ATOMIC_ACQUIRE)) <= 0 &&
         __atomic_load_n(&caller->state, __ATOMIC_ACQUIRE) != P_FREE)
    futex_wait(&caller->pid, pid_now);
  switch (m->w[0]) {
    case PROCMGR_SPAWN:
    case PROCMGR_EXEC:
      if (m->w[0] == PROCMGR_SPAWN && over_nproc(m->w[1]))
        r->ret = -EAGAIN;
      else
        r->ret = handle_spawn(caller, m, m->w[0] == PROCMGR_EXEC);
      drop_staged(caller); /* used or not, they were for this spawn */
      break;
    case PROCMGR_WAIT: {
      int status = 0;
      pthread_mutex_lock(&plock);
      int pgid = caller->pgid;
      pthread_mutex_unlock(&plock);
      uint64_t times[2] = {0, 0};
      r->ret = wait_child(caller->pid, pgid, (int)(long)m->w[1], (int)m->w[2], &status, times);
      r->w[0] = (unsigned long)status;
      r->w[1] = times[0];
      r->w[2] = times[1];
      break;
    }
    case PROCMGR_SET_NAME:
      pthread_mutex_lock(&plock);
      memcpy(caller->comm, &m->w[1], 8);
      memcpy(caller->comm + 8, &m->w[2], 7);
      caller->comm[15] = '\0';
      pthread_mutex_unlock(&plock);
      r->ret = 0;
      break;
    case PROCMGR_GETPPID:
      pthread_mutex_lock(&plock);
      /* An orphan's is init's (the reaper re-parents it); procmgr's own
       * children have 0. */
      r->ret = caller->ppid;
      pthread_mutex_unlock(&plock);
      break;
    case PROCMGR_KILL:
      r->ret = do_kill(caller, (int)(long)m->w[1], (int)m->w[2], m->w[3] == 1);
      break;
    case PROCMGR_FORK:
      r->ret = fork_begin(caller, m, r);
      break;
    case PROCMGR_SETPGID:
      r->ret = do_setpgid(caller, (int)(long)m->w[1], (int)(long)m->w[2]);
      break;
    case PROCMGR_GETPGID:
      r->ret = do_getpgid(caller, (int)(long)m->w[1], (int)m->w[2]);
      break;
    case PROCMGR_SETSID:
      r->ret = do_setsid(caller);
      break;
    case PROCMGR_TCGETPGRP:
      pthread_mutex_lock(&plock);
      r->ret = fg_pgid > 0 ? fg_pgid : -ENOTTY;
      pthread_mutex_unlock(&plock);
      break;
    case PROCMGR_TCSETPGRP:
      r->ret = do_tcsetpgrp(caller, (int)(long)m->w[1]);
      break;
    case PROCMGR_WAIT_NOTIFY:
      pthread_mutex_lock(&plock);
      if (caller->wait_notif <= 0) caller->wait_notif = chcore_sys_notify_create();
      r->ret = caller->wait_notif > 0 ? 0 : caller->wait_notif;
      if (caller->wait_notif <= 0) {
        caller->wait_notif = 0;
      } else {
        r->ncaps = 1;
        r->caps[0] = CHCORE_IPC_CAP(caller->wait_notif, CHCORE_RIGHT_READ);
      }
      pthread_mutex_unlock(&plock);
      break;
    case PROCMGR_REBOOT: {
      long ctl = chcore_irq_control_slot();
      r->ret = ctl < 0 ? -ENOSYS : chcore_sys_system_power((unsigned long)ctl, m->w[1]);
      break;
    }
    case PROCMGR_SIGQUEUE:
      r->ret = do_sigqueue(caller, (int)(long)m->w[1], (int)m->w[2], m->w[3]);
      break;
    case PROCMGR_TGKILL:
      r->ret = do_tgkill(caller, m);
      break;
    case PROCMGR_TTY_READ:
      r->ret = tty_check(caller, m->w[1] == 1, m->w[2] == 1);
      break;
    case PROCMGR_FORK_START:
      r->ret = fork_start(caller, m);
      break;
    case PROCMGR_STARTED:
      flag_set(&caller->started, 1);
      r->ret = 0;
      break;
    default:
      r->ret = -ENOSYS;
  }
}

/* A call on a fork lane (chcore/proto/procmgr.h): the request as the
 * ordinary connection's, with the caller's record and a copy of the
 * request from its memory. */
static void handle_lane(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  pthread_mutex_lock(&plock);
  struct proc* p = by_kpid((long)m->caller);
  pthread_mutex_unlock(&plock);
  unsigned long len = m->w[3];
  char small[2048];
  char* buf = small;
  int handled = 0;
  if (p == NULL) {
    r->ret = -ESRCH; /* a process procmgr did not start */
  } else if (m->w[0] != PROCMGR_EXEC && m->w[0] != PROCMGR_SPAWN_CAPS &&
             m->w[0] != PROCMGR_STARTED) {
    r->ret = -EINVAL;
  } else if (len > PROCMGR_LANE_MAX) {
    r->ret = -E2BIG;
  } else if (len > sizeof small && (buf = malloc(len)) == NULL) {
    r->ret = -ENOMEM;
  } else {
    long n = len == 0 ? 0 : chcore_sys_cap_group_read((unsigned long)p->cg, m->w[2],
                                                      (unsigned long)buf, len);
    if (n == (long)len) {
      struct chcore_ipc_msg lm = *m;
      lm.client = p;
      lm.buf = buf;
      lm.len = len;
      lm.buf_size = len;
      handle(&lm, r); /* keeps or releases the capabilities */
      handled = 1;
    } else {
      r->ret = n < 0 ? n : -EFAULT;
    }
  }
  if (buf != small) free(buf);
  if (!handled)
    for (unsigned i = 0; i < m->ncaps; i++) chcore_cap_release(m->caps[i]);
}

static const struct chcore_server_ops ops = {.handle = handle, .on_connect = on_connect};

/* ---- /proc's view ------------------------------------------------------------------ */

/* What procfs asks (PROCMGR_PROC_*): the processes procmgr knows and, per
 * process, its record, the kernel's figures for its threads and memory
 * (through procmgr's capability to it), and what it was started with.
 *
 * The latter is a proc_args: the program's path, the working directory
 * given at its start, its argv and envp, each string NUL-terminated, in one
 * block made at spawn or exec. A forked child shares its parent's block
 * (a reference), as its memory holds the same arguments; the block goes
 * with the last record naming it. Counted under plock. */
struct proc_args {
  int refs;
  uint32_t exe_len, cwd_len, argv_len, env_len;
  char data[]; /* exe, cwd, argv, envp */
};

static size_t strings_len(const char* const* v) {
  size_t n = 0;
  for (size_t i = 0; v && v[i]; i++) n += strlen(v[i]) + 1;
  return n;
}

static char* strings_put(char* out, const char* const* v) {
  for (size_t i = 0; v && v[i]; i++) {
    size_t n = strlen(v[i]) + 1;
    memcpy(out, v[i], n);
    out += n;
  }
  return out;
}

/* A new block with one reference, or NULL without memory. */
static struct proc_args* args_make(const char* exe, const char* const* argv,
                                   const char* const* envp, const char* cwd) {
  size_t e = strlen(exe) + 1, c = strlen(cwd) + 1, a = strings_len(argv), v = strings_len(envp);
  if (e + c + a + v > UINT32_MAX) return NULL;
  struct proc_args* p = malloc(sizeof *p + e + c + a + v);
  if (!p) return NULL;
  p->refs = 1;
  p->exe_len = (uint32_t)e;
  p->cwd_len = (uint32_t)c;
  p->argv_len = (uint32_t)a;
  p->env_len = (uint32_t)v;
  memcpy(p->data, exe, e);
  memcpy(p->data + e, cwd, c);
  strings_put(strings_put(p->data + e + c, argv), envp);
  return p;
}

static void args_put(struct proc_args* a) {
  if (a && __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0) free(a);
}

/* The record's block becomes `a` (its reference moves in); the old one is
 * dropped. Under plock. */
static void args_set(struct proc* p, struct proc_args* a) {
  args_put(p->args);
  p->args = a;
}

/* fork: the child shows what its parent shows. Under plock. */
static void args_share(struct proc* child, const struct proc* parent) {
  if (parent->args) __atomic_add_fetch(&parent->args->refs, 1, __ATOMIC_ACQ_REL);
  args_set(child, parent->args);
}

/* PROCMGR_PROC_LIST */
static long proc_list(const struct chcore_ipc_msg* m) {
  size_t room = m->buf_size / sizeof(int32_t), n = 0, skip = m->w[1];
  int32_t* out = m->buf;
  pthread_mutex_lock(&plock);
  for (int i = 0; i < procs_end && n < room; i++) {
    /* A fork not started yet has no pid. */
    if (procs[i].state == P_FREE || procs[i].pid <= 0) continue;
    if (skip > 0) {
      skip--;
      continue;
    }
    out[n++] = procs[i].pid;
  }
  pthread_mutex_unlock(&plock);
  return (long)n;
}

/* Copies up to `len` bytes of `src` to the reply at *used (bounded by the
 * buffer); returns how many. */
static uint32_t reply_put(const struct chcore_ipc_msg* m, size_t* used, const char* src,
                          size_t len) {
  size_t room = m->buf_size - *used;
  if (len > room) len = room;
  memcpy((char*)m->buf + *used, src, len);
  *used += len;
  return (uint32_t)len;
}

/* ---- A process's C library, read from outside (chcore_proc_info) ---- */

/* len bytes at addr of process cg into out: 0, or -1 if not all could be
 * read. */
static int peek(long cg, unsigned long addr, void* out, size_t len) {
  long r = chcore_sys_cap_group_read((unsigned long)cg, addr, (unsigned long)out, len);
  return r == (long)len ? 0 : -1;
}

/* The NUL-terminated string at addr of process cg into out[size] (cut to
 * size - 1 bytes): its length, or -1 if nothing could be read. Read a
 * piece at a time, never across a page, so that a string ending just
 * before an unreadable page is found. */
static long peek_str(long cg, unsigned long addr, char* out, size_t size) {
  size_t n = 0;
  while (n + 1 < size) {
    unsigned long a = addr + n;
    size_t chunk = 4096 - (a & 4095);
    if (chunk > 256) chunk = 256;
    if (chunk > size - 1 - n) chunk = size - 1 - n;
    if (a < addr || peek(cg, a, out + n, chunk) < 0) break;
    char* z = memchr(out + n, 0, chunk);
    if (z) return z - out;
    n += chunk;
  }
  if (n == 0) return -1;
  out[n] = 0;
  return (long)n;
}

/* The library's block of process cg, at `at` (cap_group_stat's
 * proc_info): 0, or -1 if it has none (or it does not look like one). */
static int lib_info(long cg, unsigned long at, struct chcore_proc_info* pi) {
  if (at == 0 || peek(cg, at, pi, sizeof *pi) < 0 || pi->magic != CHCORE_PROC_INFO_MAGIC)
    return -1;
  return 0;
}

/* PROCMGR_PROC_FDS */
static long proc_fds(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  pthread_mutex_lock(&plock);
  struct proc* p = (long)m->w[1] > 0 ? by_pid((int)m->w[1]) : NULL;
  int found = p && p->pid > 0, running = found && p->state == P_RUNNING;
  long cg = found ? p->cg : -1;
  pthread_mutex_unlock(&plock);
  if (!found) return -ESRCH;
  /* As proc_info: a race with the end makes the reads fail (no fds). */
  struct chcore_cap_group_stat st;
  struct chcore_proc_info pi;
  int end = 0;
  if (!running || chcore_sys_cap_group_stat((unsigned long)cg, (unsigned long)&st) != 0 ||
      lib_info(cg, st.proc_info, &pi) < 0 || peek(cg, pi.fds_end, &end, sizeof end) < 0)
    return 0;
  if (end < 0) end = 0;
  if ((unsigned)end > pi.fd_max) end = (int)pi.fd_max;
  if (end > 1 << 16) end = 1 << 16;
  size_t used = 0;
  long n = 0;
  static const size_t kName = 4096;
  char* name = malloc(kName);
  if (!name) return -ENOMEM;
  for (unsigned long fd = m->w[2]; fd < (unsigned long)end;) {
    unsigned long ents[32];
    size_t k = (unsigned long)end - fd < 32 ? (unsigned long)end - fd : 32;
    if (peek(cg, pi.fds + fd * sizeof(unsigned long), ents, k * sizeof ents[0]) < 0) break;
    for (size_t i = 0; i < k; i++) {
      if (ents[i] == 0) continue;
      unsigned long at = 0;
      long len = -1;
      if (peek(cg, ents[i] + pi.name_off, &at, sizeof at) == 0 && at != 0)
        len = peek_str(cg, at, name, kName);
      if (len < 0) len = 0;
      size_t need = (sizeof(struct procmgr_fd_entry) + (size_t)len + 1 + 7) & ~(size_t)7;
      if (used + need > m->buf_size) goto full;
      struct procmgr_fd_entry e = {(int32_t)(fd + i), (uint32_t)len};
      memcpy((char*)m->buf + used, &e, sizeof e);
      memcpy((char*)m->buf + used + sizeof e, name, (size_t)len);
      ((char*)m->buf)[used + sizeof e + (size_t)len] = 0;
      used += need;
      n++;
    }
    fd += k;
  }
full:
  free(name);
  r->len = used;
  return n;
}

/* PROCMGR_PROC_INFO */
static long proc_info(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  struct procmgr_proc_info info;
  if (m->buf_size < sizeof info) return -EINVAL;
  memset(&info, 0, sizeof info);
  pthread_mutex_lock(&plock);
  struct proc* p = (long)m->w[1] > 0 ? by_pid((int)m->w[1]) : NULL;
  if (!p || p->pid <= 0) {
    pthread_mutex_unlock(&plock);
    return -ESRCH;
  }
  info.pid = p->pid;
  info.ppid = p->ppid;
  info.pgid = p->pgid;
  info.sid = p->sid;
  info.state = p->state == P_ZOMBIE ? 'Z' : 'R';
  info.flags = p->service ? PROCMGR_INFO_SERVICE : 0;
  info.start_ns = p->start_ns;
  long cg = p->cg;
  struct proc_args* a = p->args;
  if (a) __atomic_add_fetch(&a->refs, 1, __ATOMIC_ACQ_REL);
  /* The capability stays valid while we ask the kernel: a record's is
   * released only by proc_free, and a zombie's by the waiter; a race
   * makes the kernel's answer an error, which reads as no figures. */
  struct chcore_cap_group_stat st;
  memset(&st, 0, sizeof st);
  if (info.state == 'R' && chcore_sys_cap_group_stat((unsigned long)cg, (unsigned long)&st) == 0) {
    info.threads = st.threads;
    info.vsize = st.vsize;
    info.resident = st.resident;
    info.utime_ns = st.utime_ns;
    info.stime_ns = st.stime_ns;
  } else if (info.state == 'Z') {
    info.utime_ns = p->times[0];
    info.stime_ns = p->times[1];
  }
  info.cutime_ns = p->times[2];
  info.cstime_ns = p->times[3];
  char comm[16];
  memcpy(comm, p->comm, sizeof comm);
  pthread_mutex_unlock(&plock);
  /* The directory it is in now, if its library says (else the one it
   * started in): read without plock, as proc_fds reads (a race with the
   * end makes the reads fail). */
  char* cwd = NULL;
  struct chcore_proc_info pi;
  if (info.state == 'R' && lib_info(cg, st.proc_info, &pi) == 0 &&
      (cwd = malloc(4096)) != NULL && peek_str(cg, pi.cwd, cwd, 4096) < 0) {
    free(cwd);
    cwd = NULL;
  }
  if (cwd && cwd[0] == 0) strcpy(cwd, "/");
  size_t used = sizeof info;
  if (a) {
    const char* name = strrchr(a->data, '/') ? strrchr(a->data, '/') + 1 : a->data;
    strncpy(info.name, name, sizeof info.name - 1);
  }
  if (comm[0]) memcpy(info.name, comm, sizeof info.name);
  if (a) {
    const char* d = a->data;
    info.exe_len = reply_put(m, &used, d, a->exe_len);
    d += a->exe_len;
    if (cwd)
      info.cwd_len = reply_put(m, &used, cwd, strlen(cwd) + 1);
    else
      info.cwd_len = reply_put(m, &used, d, a->cwd_len);
    d += a->cwd_len;
    info.argv_len = reply_put(m, &used, d, a->argv_len);
    d += a->argv_len;
    info.env_len = reply_put(m, &used, d, a->env_len);
    pthread_mutex_lock(&plock);
    args_put(a);
    pthread_mutex_unlock(&plock);
  }
  free(cwd);
  memcpy(m->buf, &info, sizeof info);
  r->len = used;
  return 0;
}

/* PROCMGR_PROC_MAPS */
static long proc_maps(const struct chcore_ipc_msg* m) {
  pthread_mutex_lock(&plock);
  struct proc* p = (long)m->w[1] > 0 ? by_pid((int)m->w[1]) : NULL;
  long r = -ESRCH;
  if (p && p->pid > 0) {
    r = 0;
    if (p->state == P_RUNNING)
      r = chcore_sys_cap_group_regions((unsigned long)p->cg, m->w[2], (unsigned long)m->buf,
                                       m->buf_size / sizeof(struct chcore_region_info));
    if (r < 0) r = 0; /* it has just ended */
  }
  pthread_mutex_unlock(&plock);
  return r;
}

/* The requests above; 0 if m is not one of them. */
static int handle_procfs(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  switch (m->w[0]) {
    case PROCMGR_PROC_LIST:
      r->ret = proc_list(m);
      break;
    case PROCMGR_PROC_INFO:
      r->ret = proc_info(m, r);
      break;
    case PROCMGR_PROC_MAPS:
      r->ret = proc_maps(m);
      break;
    case PROCMGR_PROC_FDS:
      r->ret = proc_fds(m, r);
      break;
    case PROCMGR_PID_OF_KPID: {
      pthread_mutex_lock(&plock);
      struct proc* p = by_kpid((long)m->w[1]);
      r->ret = p && p->pid > 0 ? p->pid : -ESRCH;
      pthread_mutex_unlock(&plock);
      break;
    }
    default:
      return 0;
  }
  return 1;
}

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

/* /proc: procfs (user/system-services/procfs), which asks procmgr what it
 * shows (PROCMGR_PROC_*). */
static void mount_proc(struct chcore_conn* fsm) {
  static const char* const proc_args[] = {"procfs", "procfs", NULL};
  start_service("/sbin/procfs", proc_args);
  if (mkdir("/proc", 0555) < 0 && errno != EEXIST) fail("cannot create /proc", -errno);
  long r = mount_at(fsm, "/proc", lookup("procfs", 1));
  if (r < 0) fail("cannot mount /proc", r);
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
  /* The signal characters typed on the console go to the foreground
   * process group (tty_signals; the kernel's line discipline hands them
   * over to the holder of the IRQ-control capability). */
  long ctl = chcore_irq_control_slot();
  if (ctl >= 0) {
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 16384);
    pthread_t t;
    if (pthread_create(&t, &a, tty_signals, (void*)ctl) != 0) fail("cannot start tty_signals", -EAGAIN);
    pthread_detach(t);
  }
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
  mount_proc(&fsm);

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
  r = spawn(prog[0], prog, (const char* const*)environ, &info, fds, NULL, NULL, 0, "/", 0, 1,
            argc > 1 ? 1 : 2, NULL, &p);
  if (r < 0) {
    fprintf(stderr, "procmgr: %s: %s\n", prog[0], strerror((int)-r));
    return 127;
  }
  int status = 0;
  uint64_t times[2];
  wait_child(0, 0, (int)r, 0, &status, times);
  /* Exit codes as a shell reports them: the code, or 128 + signal. */
  return CHCORE_WIFEXITED(status) ? CHCORE_WEXITSTATUS(status) : 128 + CHCORE_WTERMSIG(status);
}
