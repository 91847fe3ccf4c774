/* tmpfs: the in-memory file-system server.
 *
 *   tmpfs [--ramdisk] [--root] NAME
 *
 * Creates an empty tmpfs (tmpfs.c), with --ramdisk first filled with the
 * boot ramdisk's files, registers an IPC server that speaks the
 * file-system protocol (chcore/proto/fs.h, decoded by proto.c), publishes
 * it under NAME in procmgr's registry and serves forever. --root makes it
 * the root file system: ".." at its root stays there instead of
 * redirecting up (FS_REDIR_UP).
 *
 * Every connection gets a struct tmpfs_client (its handles), made in the
 * connect upcall and freed in the close upcall. The first client to
 * connect is taken to be fsm, which mounts the server before publishing
 * it to anybody else: only it may mark mount points (FS_SET_MOUNTPOINT).
 *
 * Threads. libchcore runs each connection's handler on a thread of its own
 * that the C library does not know: they all share the main thread's
 * thread pointer, so they must not use the C library's thread-dependent
 * parts concurrently. malloc is one of them (with a single pthread, musl
 * does not lock its heap). Here every call that may allocate - every
 * operation, and client creation and destruction - runs under the file
 * system's one mutex (proto.c), so the heap is only ever used by one
 * thread at a time. errno is only written by failing calls inside that
 * lock too. Nothing is printed once the server serves.
 *
 * Prints nothing on success; errors go to stderr with a "tmpfs: " prefix. */
#define _GNU_SOURCE
#include <chcore/ipc.h>
#include <chcore/launch.h>
#include <chcore/services.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <errno.h>
#include <lib/cpio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "locks.h"
#include "proto.h"

static struct tmpfs* fs;
/* Set once the first client has connected. Connect upcalls run one at a
 * time on libchcore's connect thread, so a plain flag does. */
static int first_client_seen;

/* File times (tmpfs_config.clock): CLOCK_REALTIME_COARSE, read once at
 * start, plus the progress of the counter since then (the counter behind
 * the monotonic clock, which EL0 reads directly): a timestamp costs no
 * call of the C library. The start time is read before the counter, so
 * file times never run ahead of CLOCK_REALTIME. */
static int64_t start_ns;
static uint64_t start_ticks;
/* Nanoseconds per tick as a 32.32 fixed-point number, rounded down (so
 * file times never run ahead of CLOCK_REALTIME either): a multiply
 * instead of two divisions. */
static uint64_t ns_per_tick_32;

static uint64_t counter(void) {
  uint64_t v;
  __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
  return v;
}

static void file_clock_init(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0)
    start_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
  start_ticks = counter();
  uint64_t ticks_per_sec;
  __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(ticks_per_sec));
  ns_per_tick_32 = (uint64_t)(((unsigned __int128)1000000000 << 32) / ticks_per_sec);
}

static int64_t file_clock(void* arg) {
  (void)arg;
  uint64_t t = counter() - start_ticks;
  uint64_t ns = (uint64_t)(((unsigned __int128)t * ns_per_tick_32) >> 32);
  return start_ns + (int64_t)ns;
}

static uint64_t free_memory(void* arg) {
  (void)arg;
  long r = chcore_sys_get_free_mem();
  return r > 0 ? (uint64_t)r : 0;
}

static long on_connect(unsigned long badge, unsigned long pid, unsigned long arg, void** client) {
  (void)arg;
  (void)badge;
  (void)pid;
  struct tmpfs_client* c = tmpfs_client_new(fs, !first_client_seen);
  if (c == NULL) return -ENOMEM;
  first_client_seen = 1;
  *client = c;
  return 0;
}

static void on_close(void* client) { tmpfs_client_free(fs, client); }

/* A blocked lock request's notification (locks.h): signalled when the
 * file's locks change, then released; or released unsignalled. */
static void lock_wake(long cap) {
  chcore_sys_notify_signal((unsigned long)cap);
  chcore_cap_release(cap);
}
static void lock_drop(long cap) { chcore_cap_release(cap); }

static void handle(const struct chcore_ipc_msg* m, struct chcore_ipc_reply* r) {
  unsigned long len = 0;
  struct tmpfs_client* c = m->client;
  /* Only FS_LOCK's waits carry a capability; the lock table may keep it. */
  long offered = m->w[0] == FS_LOCK && m->ncaps == 1 ? (long)m->caps[0] : -1;
  c->token = offered;
  r->ret = tmpfs_proto_handle(fs, c, m->w, m->buf, m->buf_size, m->len, r->w, &len);
  r->len = len;
  int taken = offered >= 0 && c->token < 0;
  for (unsigned i = 0; i < m->ncaps; i++)
    if (!(taken && (long)m->caps[i] == offered)) chcore_cap_release(m->caps[i]);
  c->token = -1;
  if (m->w[0] == FS_MMAP && r->ret == 0) {
    /* proto.c left the shared memory's PMO slot in w[1] and in w[2]
     * whether it allowed writing (only to a description open for it):
     * send a capability to it with those rights. (Not from the request
     * in the buffer, which the client may have changed meanwhile.) */
    unsigned rights = CHCORE_RIGHT_READ | CHCORE_RIGHT_EXEC;
    if (r->w[2]) rights |= CHCORE_RIGHT_WRITE;
    r->ncaps = 1;
    r->caps[0] = CHCORE_IPC_CAP((unsigned)r->w[1], rights);
    r->w[1] = r->w[2] = 0;
  }
}

/* Shared memory of mapped files (tmpfs_config.shm_*): a Shared PMO,
 * mapped here for reading and writing in libchcore's mapping area (whose
 * addresses are not reused: 8 TiB of them, at least 4 MiB a mapped
 * file), its slot as the id. */
static int shm_create(void* arg, uint64_t size, void** base, uint64_t* id) {
  (void)arg;
  long pmo = chcore_sys_create_pmo(size, CHCORE_PMO_SHARED);
  if (pmo < 0) return (int)pmo;
  unsigned long va = chcore_vm_reserve(size);
  long r = va == 0 ? -ENOMEM
                   : chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va,
                                        CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  if (r < 0) {
    chcore_cap_release(pmo);
    return (int)r;
  }
  *base = (void*)va;
  *id = (uint64_t)pmo;
  return 0;
}

static void shm_zero(void* arg, uint64_t id, uint64_t off, uint64_t len) {
  (void)arg;
  (void)chcore_sys_zero_pmo(id, off, len);
}

static void shm_destroy(void* arg, uint64_t id, void* base, uint64_t size) {
  (void)arg;
  (void)size;
  chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, id, (unsigned long)base);
  chcore_cap_release((long)id);
}

static const struct chcore_server_ops ops = {
    .handle = handle,
    .on_connect = on_connect,
    .on_close = on_close,
};

static const char* error_text(long rc) {
  return rc == CHCORE_FS_REDIRECT ? "leaves the file system" : strerror((int)-rc);
}

/* Copies one regular file of the archive. */
static long add_file(const char* name, const struct chcore_cpio_entry* e) {
  struct tmpfs_file* f;
  long rc = tmpfs_open(fs, name, CHCORE_FS_O_CREAT | CHCORE_FS_O_TRUNC | CHCORE_FS_O_WRONLY,
                       e->mode & 07777, NULL, &f);
  if (rc != 0) return rc;
  /* Mode bits as archived, whatever the file had (a duplicate entry). */
  rc = tmpfs_fchmod(fs, f, e->mode & 07777);
  if (rc == 0 && e->size != 0) {
    rc = tmpfs_write(fs, f, e->data, (size_t)e->size, 0);
    rc = rc == (long)e->size ? 0 : rc < 0 ? rc : -ENOSPC;
  }
  tmpfs_file_put(fs, f);
  return rc;
}

/* A symlink of the archive: its data is the target. */
static long add_symlink(const char* name, const struct chcore_cpio_entry* e) {
  static char target[CHCORE_FS_PATH_MAX];
  if (e->size == 0 || e->size > TMPFS_SYMLINK_MAX) return -ENAMETOOLONG;
  memcpy(target, e->data, (size_t)e->size);
  target[e->size] = '\0';
  return tmpfs_symlink(fs, target, name, NULL);
}

/* Fills the file system from the boot ramdisk (a newc cpio archive whose
 * directories come before their contents). */
static int load_ramdisk(void) {
  unsigned long size;
  const void* archive = chcore_ramdisk(&size);
  if (archive == NULL) {
    fprintf(stderr, "tmpfs: --ramdisk: this process has no ramdisk\n");
    return -1;
  }
  chcore_u64 pos = 0;
  struct chcore_cpio_entry e;
  int err, failed = 0;
  while ((err = chcore_cpio_next(archive, size, &pos, &e)) == CPIO_OK) {
    const char* name = e.name;
    long rc = 0;
    switch (e.mode & S_IFMT) {
      case S_IFDIR:
        rc = tmpfs_mkdir(fs, name, e.mode & 07777, NULL);
        if (rc == -EEXIST) rc = tmpfs_chmod(fs, name, e.mode & 07777, 0, NULL); /* "." too */
        break;
      case S_IFREG:
        rc = add_file(name, &e);
        break;
      case S_IFLNK:
        rc = add_symlink(name, &e);
        break;
      default:
        rc = -EOPNOTSUPP; /* devices, fifos: nothing here to hold them */
    }
    if (rc < 0) {
      fprintf(stderr, "tmpfs: ramdisk: %s: %s\n", name, error_text(rc));
      failed = 1;
    }
  }
  if (err != CPIO_ERR_NOT_FOUND) {
    fprintf(stderr, "tmpfs: ramdisk: %s\n", chcore_cpio_strerror(err));
    return -1;
  }
  return failed ? -1 : 0;
}

static int usage(void) {
  fprintf(stderr, "tmpfs: usage: tmpfs [--ramdisk] [--root] NAME\n");
  return 2;
}

int main(int argc, char** argv) {
  int ramdisk = 0, root = 0;
  const char* name = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--ramdisk") == 0)
      ramdisk = 1;
    else if (strcmp(argv[i], "--root") == 0)
      root = 1;
    else if (argv[i][0] == '-' || name != NULL)
      return usage();
    else
      name = argv[i];
  }
  if (name == NULL) return usage();

  file_clock_init();
  struct tmpfs_config cfg = {.is_global_root = root,
                             .clock = file_clock,
                             .free_mem = free_memory,
                             .shm_create = shm_create,
                             .shm_zero = shm_zero,
                             .shm_destroy = shm_destroy};
  fs = tmpfs_create(&cfg);
  if (fs == NULL) {
    fprintf(stderr, "tmpfs: out of memory\n");
    return 1;
  }
  if (ramdisk && load_ramdisk() != 0) return 1;

  static const struct fslock_ops lock_ops = {lock_wake, lock_drop};
  fslock_init(&lock_ops);
  long server = chcore_server_register(&ops);
  if (server < 0) {
    fprintf(stderr, "tmpfs: cannot register the server: %s\n", strerror((int)-server));
    return 1;
  }
  long rc = chcore_service_publish(name, server);
  if (rc < 0) {
    fprintf(stderr, "tmpfs: cannot publish %s: %s\n", name, strerror((int)-rc));
    return 1;
  }
  chcore_serve_forever();
}
