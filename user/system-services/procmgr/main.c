/* procmgr, the process manager: the first and only process the kernel
 * starts (kernel/init/first_process.cpp).
 *
 * Boot, in order (docs/services.md):
 *   1. registers its server: the service registry (PROCMGR_PUBLISH /
 *      PROCMGR_LOOKUP, chcore/proto/procmgr.h);
 *   2. starts tmpfs with the boot ramdisk's files ("tmpfs-root"), fsm, and
 *      an empty tmpfs for /tmp ("tmpfs-tmp"); each publishes its server
 *      here, and procmgr waits for the three names;
 *   3. mounts the root tmpfs at "/" and the other at "/tmp" through fsm;
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
#include <sys/stat.h>
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
      r->ret = -ENOSYS;
  }
  /* Capabilities of a refused or unknown request are not kept. */
  for (unsigned i = 0; i < m->ncaps; i++) chcore_cap_release(m->caps[i]);
}

static const struct chcore_server_ops ops = {.handle = handle};

/* ---- Boot -------------------------------------------------------------------------- */

static void fail(const char* what, long err) {
  fprintf(stderr, "procmgr: %s: %s\n", what, strerror((int)-err));
  _exit(127);
}

static long start(const char* path, const char* const argv[]) {
  long cg = chcore_spawn_path(path, argv, NULL);
  if (cg < 0) {
    fprintf(stderr, "procmgr: cannot start %s: %s\n", path, strerror((int)-cg));
    _exit(127);
  }
  return cg;
}

static long mount_at(struct chcore_conn* fsm, const char* path, long fs_cap) {
  size_t n = strlen(path) + 1;
  memcpy(fsm->buf, path, n);
  unsigned cap = CHCORE_IPC_CAP(fs_cap, CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
  return chcore_ipc_call(fsm, FSM_MOUNT, 0, 0, 0, n, 1, &cap, NULL);
}

/* The program's wait status as an exit code, as a shell reports it. */
static int exit_code(long status) {
  if (status < 0) return 128 + (int)-status;
  return (int)status;
}

int main(int argc, char** argv) {
  long srv = chcore_server_register(&ops);
  if (srv < 0) fail("cannot register the server", srv);
  chcore_services_set(srv, -1);

  static const char* const root_args[] = {"tmpfs", "--ramdisk", "--root", "tmpfs-root", NULL};
  static const char* const fsm_args[] = {"fsm", NULL};
  static const char* const tmp_args[] = {"tmpfs", "tmpfs-tmp", NULL};
  start("/sbin/tmpfs", root_args);
  start("/sbin/fsm", fsm_args);
  start("/sbin/tmpfs", tmp_args);
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

  /* The program. */
  static const char* const init_argv[] = {"/bin/init", NULL};
  const char* const* prog = argc > 1 ? (const char* const*)argv + 1 : init_argv;
  const void* elf;
  unsigned long size;
  r = chcore_ramdisk_find(prog[0], &elf, &size);
  if (r < 0) {
    fprintf(stderr, "procmgr: %s: %s\n", prog[0], strerror((int)-r));
    return 127;
  }
  const char* name = strrchr(prog[0], '/') ? strrchr(prog[0], '/') + 1 : prog[0];
  struct chcore_launch l;
  r = chcore_launch_load(&l, elf, size, name);
  if (r < 0) fail(prog[0], r);
  long irq = chcore_irq_control_slot();
  if (irq >= 0) {
    r = chcore_launch_transfer(&l, irq, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE |
                                            CHCORE_RIGHT_CONTROL | CHCORE_RIGHT_COPY);
    if (r < 0) fail("cannot hand on the IRQ-control capability", r);
    l.irq_control_slot = r;
  }
  long cg = chcore_launch_start(&l, prog, (const char* const*)environ);
  if (cg < 0) {
    fprintf(stderr, "procmgr: %s: %s\n", prog[0], strerror((int)-cg));
    return 127;
  }
  return exit_code(chcore_wait(cg));
}
