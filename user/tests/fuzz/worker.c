/* The fuzzer's worker: one process that makes `limit` random system calls
 * with hostile arguments, the kernel's own (CHCORE_SYSCALLS) and Linux's
 * through the C library's syscall() (every number of the port's dispatcher
 * table), and then exits 0.
 *
 * Arguments are not uniform noise: like syzkaller, the worker keeps a model
 * of what it holds (which slot names a process, a thread or a PMO of which
 * size; which processes have been given a thread) and mixes valid values
 * with hostile ones, so that calls get past their first check and into the
 * deeper paths: wrong object types, missing rights, revoked and foreign
 * slots, kernel addresses, unmapped and partly mapped buffers, misaligned
 * pointers, huge and negative lengths. Short sequences ("programs") build
 * the states single calls rarely reach: a victim process that runs code and
 * exits, capabilities used after revocation, processes that hold
 * capabilities to each other, calls that target a process that has exited.
 *
 * A worker may kill itself (unmapping its own code, a fault in a C-library
 * handler, exit_group); the supervisor starts the next one. What a worker
 * must never be able to do is block forever: every call that can block is
 * given a bounded timeout, a non-blocking flag, or a target that is sure to
 * end (see the notes at futex, clock_nanosleep, console_read,
 * wait_cap_group, read and ppoll). So a worker that stops making progress
 * is a kernel bug, and the supervisor reports it as a hang. */
#define _GNU_SOURCE
#include <chcore/launch.h>
#include <chcore/services.h>
#include <chcore/syscall.h>
#include <uapi/ipc.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "chcore_syscall_table.h" /* the port's Linux calls (user/chcore-libc/port) */
#include "fuzz.h"
#include "uapi/signal.h"

typedef uint64_t u64;

#define PAGE FZ_PAGE
#define KERNEL_ADDR 0xffff000000000000ul
#define USER_TOP CHCORE_USER_TOP

/* ---- The arena: buffers of every kind, at fixed addresses --------------------
 *   pages 0-7   read-write (DATA PMO), random bytes
 *   page  8     unmapped (a buffer near the end of page 7 runs into it)
 *   page  9     read-only
 *   page  10    no access (mapped, then mprotect PROT_NONE)
 *   page  11    unmapped
 *   page  12    read-write (ANONYMOUS), followed by the unmapped page 13
 *   page  14    read-only text: what console output may print */
#define ARENA_RW FZ_ARENA_VA
#define ARENA_RW_PAGES 8
#define ARENA_RO (FZ_ARENA_VA + 9 * PAGE)
#define ARENA_NONE (FZ_ARENA_VA + 10 * PAGE)
#define ARENA_EDGE (FZ_ARENA_VA + 12 * PAGE)
#define ARENA_TEXT (FZ_ARENA_VA + 14 * PAGE)

static struct fz_shared* const sh = (struct fz_shared*)FZ_RING_VA;
/* Two generators: `stream` gives one seed per step of the main loop, and
 * `rng`, seeded from it, everything within the step. How many numbers a
 * step draws depends on what the worker holds (the model), and that
 * depends on timing (has a victim exited yet?); this way a difference
 * changes the arguments of that one step, never which calls come later,
 * so a replay of a worker makes the same calls. */
static _Thread_local struct fz_rng stream, rng;
static uint32_t calls, limit;
static int stop;
/* The second fuzzing thread (FZ_FLAG_THREADS): it makes calls at the same
 * time as the main thread, to find races (two threads of one process
 * mapping, unmapping, revoking, exiting at once). It reads the model but
 * never changes it, keeps its own ring, and runs until the main thread is
 * done. Its calls depend on timing, so it is off for the suite's pass. */
static _Thread_local int second;
static _Thread_local uint32_t calls2;
static volatile int main_done;
static int verbose;
static u64 self_tid, self_pid;
static long ramdisk_slot, parent_cg_slot, bait_slot;

/* What the worker's own control structures need stays in its .bss, which
 * no generated pointer for the kernel to write through points at. */
static struct timespec ts_short, ts_bad;
static struct iovec iov[8];
static struct pollfd pfds[4];
static unsigned pipe_slots[2];               /* pipe_create's result */
static struct chcore_poll_item pitems[8];   /* the kernel's poll */
static struct k_sigaction_like {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
} sigact;
static unsigned long sigset_word;
static int nonzero_int = 1;

/* ---- The model ------------------------------------------------------------------ */
enum { K_NONE, K_CG, K_THREAD, K_PMO, K_NOTIF, K_PIPE, K_SERVER, K_CONN };
enum { MAX_OBJS = 4096 };

struct obj {
  uint8_t kind;
  uint8_t is_self; /* this worker's own process */
  uint8_t started; /* a process that has been given a thread: it ends by itself */
  u64 size;        /* PMO size */
};
static struct obj objs[MAX_OBJS];
static int nobjs;
/* Whether the worker registered an IPC server: its handler threads are
 * threads of the worker, so ending the calling thread alone no longer ends
 * the process (a process lives while any of its threads does). */
static int has_servers;
/* A worker that will end itself (one in four, end_worker) registers no
 * server, so that ending its thread ends it. */
static int no_servers;

struct slot {
  int16_t obj; /* index into objs, -1: unknown */
  uint8_t live;
  uint8_t known;
};
static struct slot slots[CHCORE_MAX_CAPS];
static uint16_t known[CHCORE_MAX_CAPS];
static int nknown;
/* Slot numbers that name something in another process (cap_transfer results). */
static long foreign[16];
static int nforeign;

static int new_obj(int kind, u64 size) {
  if (nobjs == MAX_OBJS) return -1;
  objs[nobjs] = (struct obj){.kind = (uint8_t)kind, .size = size};
  return nobjs++;
}

static struct obj* obj_of(long s) {
  if (s < 0 || s >= CHCORE_MAX_CAPS || !slots[s].live || slots[s].obj < 0) return 0;
  return &objs[slots[s].obj];
}

static int kind_of(long s) {
  struct obj* o = obj_of(s);
  return o ? o->kind : K_NONE;
}

static void set_slot(long s, int obj) {
  if (s < 0 || s >= CHCORE_MAX_CAPS) return;
  if (!slots[s].known) {
    slots[s].known = 1;
    known[nknown++] = (uint16_t)s;
  }
  slots[s].obj = (int16_t)obj;
  slots[s].live = 1;
}

static void kill_slot(long s) {
  if (s >= 0 && s < CHCORE_MAX_CAPS) slots[s].live = 0;
}

/* ---- Executing and recording one call ------------------------------------------- */
static long linux_syscall(unsigned nr, const u64* a) {
  long r = syscall((long)nr, a[0], a[1], a[2], a[3], a[4], a[5]);
  return r == -1 ? -errno : r;
}

static void say(const char* s) {
  /* Straight to the kernel: fds 0-2 may have been closed by a fuzzed call. */
  chcore_sys_putstr((unsigned long)s, strlen(s));
}

/* Fills a ring record with a call about to be made (not yet done). */
static struct fz_rec* record(struct fz_rec* rec, uint32_t index, unsigned kind, unsigned nr, int nargs,
                             const u64 a[6]) {
  rec->done = 0;
  rec->index = index;
  rec->kind = (uint16_t)kind;
  rec->nr = (uint16_t)nr;
  rec->nargs = (uint32_t)nargs;
  memcpy(rec->args, a, 6 * sizeof(u64));
  return rec;
}

/* A native call as `svc #0x1000`, the immediate that asks for IPC's fast
 * path (uapi/ipc.h): for ipc_call and ipc_return the kernel may take it
 * there, for anything else it is an ordinary call. Every other native call
 * of the fuzzer goes this way (by its index, so a run stays reproducible). */
static long syscall6_fast(long nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  register u64 x0 __asm__("x0") = a0;
  register u64 x1 __asm__("x1") = a1;
  register u64 x2 __asm__("x2") = a2;
  register u64 x3 __asm__("x3") = a3;
  register u64 x4 __asm__("x4") = a4;
  register u64 x5 __asm__("x5") = a5;
  register long x8 __asm__("x8") = nr;
  __asm__ volatile("svc %7"
                   : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                   : "r"(x8), "i"(CHCORE_IPC_FAST_SVC)
                   : "x6", "x7", "memory");
  return (long)x0;
}

static long native(uint32_t index, unsigned nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  if (index & 1) return syscall6_fast((long)nr, a0, a1, a2, a3, a4, a5);
  return chcore_syscall6((long)nr, a0, a1, a2, a3, a4, a5);
}

static void update_model(unsigned nr, const u64* a, long r);
static long call2(unsigned kind, unsigned nr, int nargs, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4,
                  u64 a5);

/* Bugs this fuzzer found whose fixes come from other branches (issue 10,
 * section 5). Until those are merged, the worker steers around them (the
 * call is replaced by a cap_info of its first argument), so that a run can
 * go on to find the next bug; --all drives straight into them:
 *   - two processes that never ran and hold capabilities to each other are
 *     never freed (the capability branch adds a cycle collector);
 *   - map_pmo into a process that has exited succeeds, and the PMO, its
 *     pages and the region leak (the memory branch makes it fail, ESRCH). */
int fz_avoid_open_bugs = 1;

static int open_bug(unsigned nr, const u64* a) {
  if (!fz_avoid_open_bugs) return 0;
  /* Without slot 0, a new process capability can land there, and the C
   * library's mmap (which maps into slot 0) then maps into that process,
   * perhaps after it exited. */
  if (nr == CHCORE_SYS_revoke_cap && a[0] == CHCORE_SLOT_SELF && a[1] == CHCORE_REVOKE_SELF)
    return 1;
  struct obj* t = obj_of((long)a[0]);
  if (!t || t->kind != K_CG || t->is_self) return 0;
  /* A victim that was given a thread may have exited by now. */
  if (nr == CHCORE_SYS_map_pmo || nr == CHCORE_SYS_map_pmo_range) return t->started;
  if (nr == CHCORE_SYS_cap_transfer && !t->started) {
    /* A process capability into one that never ran: the start of a cycle. */
    long info = chcore_sys_cap_info(a[1]);
    struct obj* src = obj_of((long)a[1]);
    return info >= 0 && CHCORE_CAP_INFO_TYPE(info) == CHCORE_OBJ_CAP_GROUP &&
           !(src && (src->is_self || (long)a[1] == parent_cg_slot));
  }
  return 0;
}

/* The second thread does not update the model, so it must not make what
 * open_bug() needs the model to know about: new process capabilities
 * (created or copied), and started victims; and it maps only into itself. */
static int open_bug2(unsigned nr, const u64* a) {
  if (!fz_avoid_open_bugs) return 0;
  switch (nr) {
    case CHCORE_SYS_create_cap_group:
    case CHCORE_SYS_ipc_register_server: /* has_servers is the main thread's */
      return 1;
    case CHCORE_SYS_cap_copy:
    case CHCORE_SYS_cap_transfer: {
      long info = chcore_sys_cap_info(nr == CHCORE_SYS_cap_copy ? a[0] : a[1]);
      return info >= 0 && CHCORE_CAP_INFO_TYPE(info) == CHCORE_OBJ_CAP_GROUP;
    }
    case CHCORE_SYS_create_thread:
    case CHCORE_SYS_map_pmo:
    case CHCORE_SYS_map_pmo_range: {
      /* Only into itself: a victim the model calls new may be started by
       * the main thread meanwhile, and exit before the mapping lands. */
      struct obj* t = obj_of((long)a[0]);
      return !(t && t->is_self);
    }
    default:
      return 0;
  }
}

/* call() for the second thread: its own ring and count, no trace, no model. */
static long call2(unsigned kind, unsigned nr, int nargs, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4,
                  u64 a5) {
  if (__atomic_load_n(&main_done, __ATOMIC_RELAXED)) return -ENOSYS;
  u64 a[6] = {a0, a1, a2, a3, a4, a5};
  /* Waiting is only safe when the slot cannot change under it (the main
   * thread may revoke it and get a process that never ends in its place). */
  if ((kind == FZ_NATIVE && (open_bug(nr, a) || open_bug2(nr, a))) ||
      (kind == FZ_NATIVE &&
       (nr == CHCORE_SYS_wait_cap_group || nr == CHCORE_SYS_wait_cap_group_event))) {
    nr = CHCORE_SYS_cap_info;
    nargs = 1;
  }
  struct fz_rec* rec = record(&sh->ring2[calls2 % FZ_RING2_LEN], calls2, kind, nr, nargs, a);
  __atomic_store_n(&sh->calls2, calls2 + 1, __ATOMIC_RELEASE);
  if (kind == FZ_NATIVE && nr < CHCORE_NR_SYSCALLS)
    __atomic_fetch_add(&sh->native_count[nr], 1, __ATOMIC_RELAXED);
  if (kind == FZ_LINUX && nr < 512) __atomic_fetch_add(&sh->linux_count[nr], 1, __ATOMIC_RELAXED);
  long r = kind == FZ_NATIVE ? native(calls2, nr, a0, a1, a2, a3, a4, a5) : linux_syscall(nr, a);
  rec->result = r;
  __atomic_store_n(&rec->done, 1, __ATOMIC_RELEASE);
  calls2++;
  return r;
}

/* Makes one call; returns its result. Once the limit is reached it makes
 * none and sets `stop`: every caller, including the programs below, checks
 * it. */
static long call(unsigned kind, unsigned nr, int nargs, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4,
                 u64 a5) {
  if (second) return call2(kind, nr, nargs, a0, a1, a2, a3, a4, a5);
  if (stop || calls >= limit) {
    stop = 1;
    return -ENOSYS;
  }
  u64 a[6] = {a0, a1, a2, a3, a4, a5};
  if (kind == FZ_NATIVE && (open_bug(nr, a) || (no_servers && nr == CHCORE_SYS_ipc_register_server))) {
    nr = CHCORE_SYS_cap_info;
    nargs = 1;
  }
  struct fz_rec* rec = record(&sh->ring[calls % FZ_RING_LEN], calls, kind, nr, nargs, a);
  /* The record is complete before the supervisor can see the new count. */
  __atomic_store_n(&sh->calls, calls + 1, __ATOMIC_RELEASE);
  if (verbose) {
    char line[256];
    int n = snprintf(line, sizeof(line) - 2, "fuzz: w%u ", sh->worker);
    n += fz_format_rec(line + n, sizeof(line) - 2 - (unsigned long)n, rec, 0);
    memcpy(line + n, "\r\n", 3);
    say(line);
  }
  /* Counted before: some calls do not return. */
  if (kind == FZ_NATIVE && nr < CHCORE_NR_SYSCALLS)
    __atomic_fetch_add(&sh->native_count[nr], 1, __ATOMIC_RELAXED);
  if (kind == FZ_LINUX && nr < 512) __atomic_fetch_add(&sh->linux_count[nr], 1, __ATOMIC_RELAXED);
  long r = kind == FZ_NATIVE ? native(calls, nr, a0, a1, a2, a3, a4, a5) : linux_syscall(nr, a);
  rec->result = r;
  __atomic_store_n(&rec->done, 1, __ATOMIC_RELEASE);
  if (verbose) {
    char line[48];
    const char* e = r < 0 && r > -4096 ? chcore_errno_name(-r) : 0;
    if (e)
      snprintf(line, sizeof(line), "  = -%s\r\n", e);
    else
      snprintf(line, sizeof(line), "  = %#lx\r\n", (unsigned long)r);
    say(line);
  }
  if (kind == FZ_NATIVE) update_model(nr, a, r);
  calls++;
  return r;
}

static long nat(unsigned nr, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  return call(FZ_NATIVE, nr, chcore_syscall_nargs(nr) < 0 ? 6 : chcore_syscall_nargs(nr), a0, a1,
              a2, a3, a4, a5);
}
static long lin(unsigned nr, int nargs, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5) {
  return call(FZ_LINUX, nr, nargs, a0, a1, a2, a3, a4, a5);
}

static void update_model(unsigned nr, const u64* a, long r) {
  switch (nr) {
    case CHCORE_SYS_create_cap_group:
      if (r >= 0) set_slot(r, new_obj(K_CG, 0));
      break;
    case CHCORE_SYS_create_pmo:
      if (r >= 0) set_slot(r, new_obj(K_PMO, a[0]));
      break;
    case CHCORE_SYS_notify_create:
      if (r >= 0) set_slot(r, new_obj(K_NOTIF, 0));
      break;
    case CHCORE_SYS_ipc_register_server:
      if (r >= 0) set_slot(r, new_obj(K_SERVER, 0));
      if (r >= 0) has_servers = 1;
      break;
    case CHCORE_SYS_ipc_connect:
      if (r >= 0) set_slot(r, new_obj(K_CONN, 0));
      break;
    case CHCORE_SYS_pipe_create:
      if (r >= 0 && a[0] == (u64)pipe_slots) {
        set_slot(pipe_slots[0], new_obj(K_PIPE, 0));
        set_slot(pipe_slots[1], new_obj(K_PIPE, 0));
      }
      break;
    case CHCORE_SYS_create_thread:
      if (r >= 0) {
        set_slot(r, new_obj(K_THREAD, 0));
        struct obj* g = obj_of((long)a[0]);
        if (g) g->started = 1;
      }
      break;
    case CHCORE_SYS_cap_copy:
      if (r >= 0) set_slot(r, a[0] < CHCORE_MAX_CAPS ? slots[a[0]].obj : -1);
      break;
    case CHCORE_SYS_cap_transfer:
      if (r >= 0) {
        struct obj* g = obj_of((long)a[0]);
        if (g && g->is_self) {
          set_slot(r, a[1] < CHCORE_MAX_CAPS ? slots[a[1]].obj : -1);
        } else {
          foreign[nforeign++ % 16] = r;
        }
      }
      break;
    case CHCORE_SYS_revoke_cap:
      if (r == 0 && a[1] == CHCORE_REVOKE_SELF) {
        kill_slot((long)a[0]);
      } else if (r == 0 && a[1] == CHCORE_REVOKE_DERIVED && a[0] < CHCORE_MAX_CAPS) {
        /* Copies of the same object may be gone now; the model cannot tell
         * which were derived from this one, so it forgets them all. */
        int o = slots[a[0]].obj;
        for (int i = 0; i < nknown; i++)
          if (known[i] != a[0] && slots[known[i]].obj == o) kill_slot(known[i]);
      }
      break;
  }
}

/* ---- Argument generators -------------------------------------------------------- */
static u64 rnd(void) { return fz_next(&rng); }
static u64 below(u64 n) { return fz_below(&rng, n); }
static int chance(unsigned pct) { return fz_chance(&rng, pct); }

/* The end of the program's code (the linker defines it), for pointers into
 * its own image. */
extern const char etext[];

static u64 own_text(void) {
  u64 lo = 0x400000, hi = (u64)etext > lo ? (u64)etext : lo + PAGE;
  return lo + below(hi - lo);
}

/* Addresses the kernel must refuse to read or write. */
static u64 bad_ptr(void) {
  switch (below(12)) {
    case 0:
      return 0;
    case 1:
      return below(PAGE);
    case 2:
      return KERNEL_ADDR + (below(1ul << 30) & ~7ul);
    case 3:
      return 0xffff000040080000ul; /* the kernel image on virt */
    case 4:
      return USER_TOP - 1 - below(16);
    case 5:
      return 0xfffffffffffffff0ul; /* + len wraps */
    case 6:
      return 0x8000000000000000ul | ARENA_RW;
    case 7:
      return 0x0000100000000000ul + below(1ul << 30); /* nothing mapped there */
    case 8:
      return ARENA_NONE + below(PAGE);
    case 9:
      return ARENA_RW + ARENA_RW_PAGES * PAGE + below(PAGE); /* the hole */
    case 10:
      return USER_TOP;
    default:
      return rnd() | (1ul << 63);
  }
}

/* Addresses that stay bad whatever the worker maps (bad_ptr()'s low and
 * arena addresses may have been mapped by a fuzzed call meanwhile): for
 * the calls that would block, or sleep for a random time, on a good one. */
static u64 surely_bad_ptr(void) {
  switch (below(5)) {
    case 0:
      return KERNEL_ADDR + (below(1ul << 30) & ~7ul);
    case 1:
      return 0xffff000040080000ul;
    case 2:
      return 0xfffffffffffffff0ul;
    case 3:
      return 0x8000000000000000ul | ARENA_RW;
    default:
      return USER_TOP + (below(1ul << 20) & ~7ul);
  }
}

/* A buffer the kernel reads (putstr excepted, see text_ptr). */
static u64 in_ptr(void) {
  unsigned r = (unsigned)below(100);
  if (r < 50) {
    u64 off = below(ARENA_RW_PAGES * PAGE);
    return ARENA_RW + (chance(70) ? off & ~7ul : off);
  }
  if (r < 56) return ARENA_RW + ARENA_RW_PAGES * PAGE - 1 - below(64); /* runs off the end */
  if (r < 62) return ARENA_EDGE + PAGE - 1 - below(64);
  if (r < 67) return ARENA_RO + below(PAGE);
  if (r < 72) return own_text();
  if (r < 76) {
    volatile char here = 0;
    return (u64)&here - below(512); /* our own stack: only read */
  }
  if (r < 80) return FZ_MAP_VA + below(FZ_MAP_PAGES * PAGE);
  return bad_ptr();
}

/* A buffer the kernel (or the C library) writes: never the worker's own
 * stack or data, so that a call that succeeds cannot corrupt the worker. */
static u64 out_ptr(void) {
  unsigned r = (unsigned)below(100);
  if (r < 55) {
    u64 off = below(ARENA_RW_PAGES * PAGE);
    return ARENA_RW + (chance(70) ? off & ~7ul : off);
  }
  if (r < 61) return ARENA_RW + ARENA_RW_PAGES * PAGE - 1 - below(64);
  if (r < 67) return ARENA_EDGE + below(PAGE);
  if (r < 72) return ARENA_RO + below(PAGE);
  if (r < 76) return own_text(); /* read-only: must be refused, not written */
  if (r < 80) return FZ_MAP_VA + below(FZ_MAP_PAGES * PAGE);
  return bad_ptr();
}

/* What the C library's own handlers dereference: bad pointers crash the
 * worker there (a known limit of the port), so they come rarely. */
static u64 lib_out(void) {
  return below(1000) < 5 ? bad_ptr() : ARENA_RW + (below(ARENA_RW_PAGES * PAGE - 256) & ~7ul);
}
static u64 lib_in(void) {
  if (below(1000) < 5) return bad_ptr();
  return chance(80) ? ARENA_RW + (below(ARENA_RW_PAGES * PAGE - 256) & ~7ul) : ARENA_RO;
}

/* Console output: short pieces of the text page, or a bad pointer. */
static u64 text_ptr(void) { return chance(95) ? ARENA_TEXT + below(PAGE - 64) : bad_ptr(); }
static u64 lib_text(void) { return below(1000) < 5 ? bad_ptr() : ARENA_TEXT + below(PAGE - 64); }
static u64 text_len(void) { return chance(90) ? below(24) : rnd(); }

static u64 len_any(void) {
  switch (below(14)) {
    case 0:
      return 0;
    case 1:
      return 1 + below(8);
    case 2:
    case 3:
      return below(64);
    case 4:
    case 5:
      return below(PAGE + 1);
    case 6:
      return PAGE * (1 + below(8));
    case 7:
      return ARENA_RW_PAGES * PAGE + below(64);
    case 8:
      return 1ul << 62;
    case 9:
      return ~0ul - below(16);
    case 10:
      return 0x8000000000000000ul;
    case 11:
      return (1ul << 32) + below(64); /* wrong if truncated to 32 bits */
    case 12:
      return 0xffffffffu;
    default:
      return rnd();
  }
}

static u64 rights_any(void) {
  if (chance(10)) return rnd();
  return below(CHCORE_RIGHTS_ALL + 1);
}

static u64 prot_any(void) {
  if (chance(8)) return rnd() & 0xffff;
  return below(8);
}

/* A slot for a parameter that wants an object of `kind` (K_NONE: any). */
static long slot_of(int kind) {
  unsigned r = (unsigned)below(100);
  if (r < 65 && nknown > 0) {
    for (int t = 0; t < 16; t++) {
      long s = known[below((u64)nknown)];
      if (slots[s].live && (kind == K_NONE || kind_of(s) == kind)) return s;
    }
  }
  if (r < 75 && nknown > 0) {
    for (int t = 0; t < 8; t++) {
      long s = known[below((u64)nknown)];
      if (slots[s].live) return s; /* possibly of the wrong type */
    }
  }
  if (r < 83 && nknown > 0) {
    for (int t = 0; t < 8; t++) {
      long s = known[below((u64)nknown)];
      if (!slots[s].live) return s; /* revoked: use after revocation */
    }
  }
  if (r < 88) {
    long special[] = {CHCORE_SLOT_SELF, ramdisk_slot, parent_cg_slot, bait_slot};
    return special[below(4)];
  }
  if (r < 92 && nforeign > 0) return foreign[below((u64)(nforeign < 16 ? nforeign : 16))];
  if (r < 96) return (long)below(CHCORE_MAX_CAPS);
  switch (below(6)) {
    case 0:
      return -1;
    case 1:
      return CHCORE_MAX_CAPS;
    case 2:
      return 1l << 32;
    case 3:
      return (long)((1ul << 32) | (u64)(nknown ? known[below((u64)nknown)] : 0));
    case 4:
      return (long)0x8000000000000000ul;
    default:
      return (long)rnd();
  }
}

/* A live process slot, or -1. */
static long some_cg(int want_started) {
  for (int t = 0; t < 24 && nknown > 0; t++) {
    long s = known[below((u64)nknown)];
    struct obj* o = obj_of(s);
    if (o && o->kind == K_CG && !o->is_self && (!want_started || o->started)) return s;
  }
  return -1;
}

static long some_pmo(void) {
  for (int t = 0; t < 24 && nknown > 0; t++) {
    long s = known[below((u64)nknown)];
    if (kind_of(s) == K_PMO) return s;
  }
  return -1;
}

/* Where to map in the target of a map/unmap call. */
static u64 map_addr(long cg) {
  struct obj* g = obj_of(cg);
  unsigned r = (unsigned)below(100);
  if (g && !g->is_self) {
    if (r < 40) return FZ_VICTIM_CODE_VA;
    if (r < 80) return PAGE * (1 + below(64));
  } else {
    if (r < 75) return FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES);
    if (r < 80) return ARENA_RW + PAGE * below(16); /* over the arena: -EEXIST, or holes */
  }
  if (r < 85) return FZ_MAP_VA + below(FZ_MAP_PAGES * PAGE); /* misaligned */
  switch (below(6)) {
    case 0:
      return KERNEL_ADDR;
    case 1:
      return USER_TOP - PAGE;
    case 2:
      return 0xfffffffffffff000ul;
    case 3:
      return 0;
    case 4:
      return rnd() & ~(PAGE - 1);
    default:
      return USER_TOP;
  }
}

static u64 pmo_size(void) {
  unsigned r = (unsigned)below(1000);
  if (r < 850) return PAGE * (1 + below(16));
  if (r < 900) return below(3 * PAGE); /* 0, unaligned */
  if (r < 930) return PAGE * (16 + below(1024));
  if (r < 940) return 1ul << 26; /* 64 MiB */
  if (r < 942) return 1ul << 33; /* the largest the kernel takes */
  switch (below(5)) {
    case 0:
      return 1ul << 40;
    case 1:
      return ~0ul - PAGE + 1;
    case 2:
      return (1ul << 44) + PAGE; /* page count above 32 bits */
    case 3:
      return 0x8000000000000000ul;
    default:
      return rnd();
  }
}

static u64 pmo_offset(long pmo) {
  struct obj* o = obj_of(pmo);
  u64 size = o && o->kind == K_PMO ? o->size : PAGE;
  switch (below(8)) {
    case 0:
      return 0;
    case 1:
    case 2:
      return below(size + 1);
    case 3:
      return size;
    case 4:
      return size - below(16);
    case 5:
      return 0xfffffffffffff000ul;
    case 6:
      return 1ul << 63;
    default:
      return rnd();
  }
}

/* A short timespec for anything that may block: at most 2 ms. */
static u64 short_timeout(void) {
  ts_short.tv_sec = 0;
  ts_short.tv_nsec = (long)below(2000000);
  return (u64)&ts_short;
}

/* An invalid one: the kernel must say EINVAL before it blocks. */
static u64 bad_timeout(void) {
  ts_bad.tv_sec = chance(50) ? -1 - (long)below(100) : 0;
  ts_bad.tv_nsec = chance(50) ? -1 : 1000000000l + (long)below(1000);
  return (u64)&ts_bad;
}

static u64 now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t); /* user space: no system call */
  return (u64)t.tv_sec * 1000000000ul + (u64)t.tv_nsec;
}

/* Never a stop signal: a stopped worker (or a stopped process it made,
 * which it may wait for) would stay stopped, as nobody here continues it. */
static u64 signal_any(void) {
  static const long harmless[] = {0, SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGTTOU + 100, -1, 65, 1000};
  u64 sig = below(1000) < 995 ? (u64)harmless[below(9)] : below(65);
  if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) sig = SIGCONT;
  return sig;
}

static void fz_sig_handler(int sig) { (void)sig; }
void fz_restorer(void); /* entry.S */

/* ---- IPC with the worker's own servers ------------------------------------------- */
/* Mostly a live object of `kind`, else anything slot_of gives. */
static long some_of(int kind) {
  if (chance(85))
    for (int t = 0; t < 24 && nknown > 0; t++) {
      long s = known[below((u64)nknown)];
      if (kind_of(s) == kind) return s;
    }
  return slot_of(kind);
}

static void gen_ipc_connect(void) {
  /* A fresh shared buffer (dropped here: the connection keeps it). */
  long buf = chance(90) ? chcore_sys_create_pmo(PAGE * (1 + below(4)), CHCORE_PMO_SHARED)
                        : slot_of(K_PMO);
  nat(CHCORE_SYS_ipc_connect, (u64)some_of(K_SERVER), (u64)buf, 0, 0, 0, 0);
  if (buf >= 0 && kind_of(buf) != K_PMO) chcore_sys_revoke_cap((u64)buf, CHCORE_REVOKE_SELF);
}

static void gen_ipc_call(void) {
  /* The operation (fz_ipc_handler): a nested call (3) only from the main
   * thread, a handler's end (5-7) now and then. */
  u64 op = below(5);
  if (chance(3)) op = 5 + below(3);
  if (chance(2)) op = rnd();
  if (second && (op & 7) == 3) op = 0;
  u64 info = 0;
  unsigned r = (unsigned)below(100);
  if (r >= 80 && r < 92)
    info = below(3 * PAGE);
  else if (r >= 92)
    info = chance(50) ? rnd() : CHCORE_IPC_INFO(below(PAGE), below(10));
  nat(CHCORE_SYS_ipc_call, (u64)some_of(K_CONN), op, (u64)some_of(K_CONN), rnd(), rnd(), info);
}

/* A server of the worker's own, a connection or two, then a burst of calls
 * (every other one through the fast path: native()), and now and then a
 * connection closed (the close upcall) while the other thread may be
 * calling it. */
static void prog_ipc(void) {
  int servers = 0, conns = 0;
  for (int i = 0; i < nknown; i++) {
    servers += kind_of(known[i]) == K_SERVER;
    conns += kind_of(known[i]) == K_CONN;
  }
  if (servers == 0 || chance(5))
    nat(CHCORE_SYS_ipc_register_server, (u64)fz_ipc_handler, (u64)fz_ipc_connect, 0x10000, 0, 0,
        0);
  if (conns < 2 || chance(20)) gen_ipc_connect();
  for (unsigned n = 4 + (unsigned)below(12); n > 0 && !stop; n--) gen_ipc_call();
  if (chance(15)) {
    for (int t = 0; t < 8 && nknown > 0; t++) {
      long s = known[below((u64)nknown)];
      if (kind_of(s) == K_CONN) {
        nat(CHCORE_SYS_revoke_cap, (u64)s, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
        break;
      }
    }
  }
}

/* ---- Native calls ---------------------------------------------------------------- */
/* Callee-chosen arguments for each kernel system call. The notes say how a
 * call that can block is kept from blocking forever. */
static void native_random(void) {
  static const unsigned nrs[] = {
#define NR_ENTRY(nr, name, nargs, types) nr,
      CHCORE_SYSCALLS(NR_ENTRY)
#undef NR_ENTRY
  };
  unsigned nr = nrs[below(sizeof(nrs) / sizeof(nrs[0]))];
  switch (nr) {
    case CHCORE_SYS_null:
      nat(nr, rnd(), rnd(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_putstr:
      nat(nr, text_ptr(), text_len(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_getc:
      nat(nr, 0, 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_create_cap_group:
      nat(nr, in_ptr(), chance(80) ? below(CHCORE_NAME_MAX + 4) : len_any(),
          chance(50) ? 0 : out_ptr(), 0, 0, 0);
      break;
    case CHCORE_SYS_create_thread: {
      long cg = slot_of(K_CG);
      struct obj* g = obj_of(cg);
      u64 entry;
      unsigned r = (unsigned)below(100);
      if (g && !g->is_self)
        entry = r < 60 ? FZ_VICTIM_CODE_VA : r < 80 ? PAGE * below(64) : bad_ptr();
      else /* in this worker: a thread with any other entry kills it */
        entry = r < 96 ? (u64)fz_spin_entry : r < 98 ? bad_ptr() : (u64)fz_spin_entry + 2;
      u64 stack = chance(50) ? ARENA_EDGE + PAGE : chance(50) ? rnd() & (USER_TOP - 1) : bad_ptr();
      nat(nr, (u64)cg, entry, stack, rnd(), rnd(), 0);
      break;
    }
    case CHCORE_SYS_thread_exit:
    case CHCORE_SYS_exit_group:
      /* End the worker: done on purpose, rarely (see run()). */
      nat(CHCORE_SYS_yield, 0, 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_yield:
      nat(nr, rnd(), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_create_pmo: {
      u64 size = pmo_size(), type = chance(90) ? below(3) : chance(50) ? below(16) : rnd();
      /* A DATA PMO takes its pages at once: one the kernel accepts but the
       * machine cannot back would take all memory for a while, and other
       * processes (the supervisor starting a worker) would fail for it.
       * error_paths.c tests that case alone. */
      if (type == CHCORE_PMO_DATA && size > (1ul << 26) && size <= (1ul << 33)) size = 1ul << 26;
      nat(nr, size, type, 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_map_pmo: {
      long cg = slot_of(K_CG);
      nat(nr, (u64)cg, (u64)slot_of(K_PMO), map_addr(cg), prot_any(), 0, 0);
      break;
    }
    case CHCORE_SYS_unmap_pmo: {
      long cg = slot_of(K_CG);
      u64 addr = map_addr(cg);
      /* Rarely, its own code or stack: the worker dies, the kernel must not. */
      if (chance(1)) addr = chance(50) ? 0x400000 : (((u64)&cg) & ~(PAGE - 1)) - PAGE;
      nat(nr, (u64)cg, (u64)slot_of(K_PMO), addr, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_map_pmo_range: {
      /* Part of a PMO: offsets and lengths in, at and past its edges. */
      long cg = slot_of(K_CG), p = slot_of(K_PMO);
      u64 len = chance(70) ? PAGE * (1 + below(4)) : chance(50) ? below(3 * PAGE) : len_any();
      nat(nr, (u64)cg, (u64)p, map_addr(cg), prot_any(), pmo_offset(p), len);
      break;
    }
    case CHCORE_SYS_unmap_range: {
      long cg = slot_of(K_CG);
      u64 addr = map_addr(cg);
      u64 len = chance(80) ? PAGE * (1 + below(8)) : chance(50) ? below(2 * PAGE) : len_any();
      struct obj* g = obj_of(cg);
      if (!g || g->is_self) {
        /* In itself: within the mapping window mostly; else a page or two
         * of whatever map_addr chose (bad addresses; the arena, which the
         * worker then loses and dies at its next use: the kernel must
         * survive that); very rarely any length there. */
        u64 win_end = FZ_MAP_VA + FZ_MAP_PAGES * PAGE;
        if (!(addr >= FZ_MAP_VA && addr < win_end) && chance(90))
          addr = FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES);
        if (addr >= FZ_MAP_VA && addr < win_end) {
          if (len > win_end - addr) len = win_end - addr;
        } else if (!chance(1)) {
          len = chance(50) ? PAGE : below(2 * PAGE);
        }
      }
      nat(nr, (u64)cg, addr, len, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_zero_pmo: {
      long p = slot_of(K_PMO);
      nat(nr, (u64)p, pmo_offset(p), chance(80) ? below(3 * PAGE) : len_any(), 0, 0, 0);
      break;
    }
    case CHCORE_SYS_write_pmo: {
      long p = slot_of(K_PMO);
      nat(nr, (u64)p, pmo_offset(p), in_ptr(), len_any(), 0, 0);
      break;
    }
    case CHCORE_SYS_read_pmo: {
      long p = slot_of(K_PMO);
      nat(nr, (u64)p, pmo_offset(p), out_ptr(), len_any(), 0, 0);
      break;
    }
    case CHCORE_SYS_cap_copy:
      nat(nr, (u64)slot_of(K_NONE), rights_any(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_cap_transfer:
      nat(nr, (u64)slot_of(K_CG), (u64)slot_of(K_NONE), rights_any(), 0, 0, 0);
      break;
    case CHCORE_SYS_revoke_cap:
      nat(nr, (u64)slot_of(K_NONE), chance(90) ? below(2) : rnd(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_handle_brk: {
      u64 a = chance(20)   ? 0
              : chance(70) ? CHCORE_HEAP_BASE + below(64 * PAGE)
              : chance(50) ? CHCORE_HEAP_BASE - below(PAGE)
                           : bad_ptr();
      nat(nr, a, 0, 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_handle_mprotect: {
      unsigned r = (unsigned)below(100);
      u64 a = r < 60       ? FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES)
              : r < 75     ? FZ_ARENA_VA + PAGE * below(16)
              : r < 76     ? 0x400000 + PAGE * below(8) /* its own image */
              : chance(50) ? FZ_MAP_VA + below(PAGE)
                           : bad_ptr();
      u64 len = chance(70) ? PAGE * (1 + below(8)) : len_any();
      nat(nr, a, len, prot_any(), 0, 0, 0);
      break;
    }
    case CHCORE_SYS_get_free_mem:
      nat(nr, 0, 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_cap_group_regions:
      /* Read-only views of a process (procfs's sources). */
      nat(nr, (u64)(chance(70) ? slot_of(K_CG) : slot_of(K_NONE)), chance(80) ? below(8) : rnd(),
          out_ptr(), chance(80) ? below(4) : rnd(), 0, 0);
      break;
    case CHCORE_SYS_cap_group_stat:
      nat(nr, (u64)(chance(70) ? slot_of(K_CG) : slot_of(K_NONE)), out_ptr(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_cap_group_read:
      /* Another process's memory (procmgr's view of a C library). */
      nat(nr, (u64)(chance(70) ? slot_of(K_CG) : slot_of(K_NONE)),
          chance(60) ? FZ_MAP_VA + below(FZ_MAP_PAGES * PAGE) : bad_ptr(), out_ptr(),
          chance(80) ? below(2 * PAGE) : len_any(), 0, 0);
      break;
    case CHCORE_SYS_set_proc_info:
      /* Only a word kept for procmgr: a worker names anything. */
      nat(nr, chance(50) ? FZ_MAP_VA : rnd(), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_mem_stat:
    case CHCORE_SYS_cpu_id:
      nat(nr, out_ptr(), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_wait_cap_group:
    case CHCORE_SYS_wait_cap_group_event: {
      /* Blocks until the process exits (nothing here stops one): only processes sure to end (given
       * a thread, all of whose code ends) are waited for; any other slot
       * must fail at once. The model is checked against cap_info first. */
      long s = chance(60) ? some_cg(1) : slot_of(K_NONE);
      struct obj* o = obj_of(s);
      long info = nat(CHCORE_SYS_cap_info, (u64)s, 0, 0, 0, 0, 0);
      int is_cg = info >= 0 && CHCORE_CAP_INFO_TYPE(info) == CHCORE_OBJ_CAP_GROUP &&
                  (CHCORE_CAP_INFO_RIGHTS(info) & CHCORE_RIGHT_CONTROL);
      if (is_cg && !(o && o->kind == K_CG && (o->started || o->is_self))) break;
      nat(nr, (u64)s, 0, 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_cap_info:
      nat(nr, (u64)slot_of(K_NONE), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_futex: {
      /* FUTEX_WAIT always gets a timeout (a NULL one would wait forever
       * on a word that happens to match). */
      u64 op = chance(85) ? below(5) : rnd() & 0xff;
      if (chance(40)) op |= CHCORE_FUTEX_PRIVATE_FLAG;
      if (chance(10)) op |= CHCORE_FUTEX_CLOCK_REALTIME;
      u64 cmd = op & ~(u64)(CHCORE_FUTEX_PRIVATE_FLAG | CHCORE_FUTEX_CLOCK_REALTIME);
      u64 uaddr = chance(70)
                      ? ARENA_RW + (below(ARENA_RW_PAGES * PAGE) & (chance(90) ? ~3ul : ~0ul))
                      : bad_ptr();
      u64 val = chance(30) ? 0 : rnd() & 0xffffffffu;
      u64 timeout = rnd();
      if (cmd == CHCORE_FUTEX_WAIT)
        timeout = chance(85) ? short_timeout() : chance(50) ? bad_timeout() : KERNEL_ADDR;
      else if (chance(50))
        timeout = below(4);
      nat(CHCORE_SYS_futex, uaddr, op, val, timeout,
          chance(80) ? ARENA_RW + (below(PAGE) & ~3ul) : bad_ptr(), chance(50) ? 0 : rnd());
      break;
    }
    case CHCORE_SYS_set_tid_address:
      nat(nr,
          chance(20)   ? 0
          : chance(70) ? ARENA_RW + (below(PAGE) & ~3ul)
                       : bad_ptr(),
          0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_clock_gettime:
      nat(nr, chance(85) ? below(8) : rnd(), out_ptr(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_clock_nanosleep: {
      /* Relative: at most 2 ms. Absolute: in the past, or 2 ms from now on
       * the monotonic clock (the realtime base is unknown here). */
      u64 clk = chance(85) ? below(8) : rnd();
      u64 flags = chance(50) ? 0 : chance(90) ? CHCORE_TIMER_ABSTIME : rnd();
      u64 req;
      if (flags & CHCORE_TIMER_ABSTIME) {
        u64 t =
            clk == CHCORE_CLOCK_MONOTONIC && chance(50) ? now_ns() + below(2000000) : below(1000);
        ts_short.tv_sec = (long)(t / 1000000000ul);
        ts_short.tv_nsec = (long)(t % 1000000000ul);
        req = chance(90) ? (u64)&ts_short : surely_bad_ptr();
      } else {
        req = chance(80) ? short_timeout() : chance(50) ? bad_timeout() : surely_bad_ptr();
      }
      nat(nr, clk, flags, req, chance(50) ? 0 : out_ptr(), 0, 0);
      break;
    }
    case CHCORE_SYS_get_cpu:
    case CHCORE_SYS_gettid:
    case CHCORE_SYS_online_cpus:
      nat(nr, rnd(), rnd(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_set_affinity: {
      static const long cpus[] = {
          -1, 0, 1, 2, 3, 4, 63, 64, 1l << 32, (long)0x8000000000000000ul, 0xffffffffl, -2};
      long cpu = chance(90) ? cpus[below(12)] : (long)rnd();
      nat(nr, chance(40) ? CHCORE_THREAD_SELF : (u64)slot_of(K_THREAD), (u64)cpu, 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_get_affinity:
      nat(nr, chance(40) ? CHCORE_THREAD_SELF : (u64)slot_of(K_THREAD), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_set_priority: {
      u64 prio = chance(90) ? below(CHCORE_PRIO_MAX + 1) : chance(50) ? CHCORE_PRIO_MAX + 1 : rnd();
      nat(nr, chance(40) ? CHCORE_THREAD_SELF : (u64)slot_of(K_THREAD), prio, 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_console_read: {
      /* Nothing is ever typed: a blocking read would block forever. So it
       * is NONBLOCK, POLL with NONBLOCK, a deadline at most 1 ms away, unknown flags
       * (EINVAL), or blocking with a buffer in the kernel's half (EFAULT,
       * checked before blocking). */
      u64 flags, buf = out_ptr(), deadline = 0;
      switch (below(6)) {
        case 0:
          flags = CHCORE_CONSOLE_NONBLOCK;
          break;
        case 1: /* POLL alone waits for input, like poll() */
          flags = CHCORE_CONSOLE_POLL | CHCORE_CONSOLE_NONBLOCK;
          if (chance(50)) {
            flags = CHCORE_CONSOLE_POLL | CHCORE_CONSOLE_DEADLINE;
            deadline = now_ns() + below(1000000);
          }
          break;
        case 2:
          flags = CHCORE_CONSOLE_DEADLINE | (chance(30) ? CHCORE_CONSOLE_NONBLOCK : 0);
          deadline = chance(50) ? now_ns() + below(1000000) : below(1000);
          break;
        case 3:
          flags = (rnd() | 8) & ~7ul;
          break; /* unknown bits only */
        case 4:
          flags = rnd() | 8;
          break;
        default: {
          flags = 0;
          buf = surely_bad_ptr();
          break;
        }
      }
      nat(nr, buf, chance(80) ? below(300) : len_any(), flags, deadline, 0, 0);
      break;
    }
    case CHCORE_SYS_getrandom:
      nat(nr, out_ptr(), len_any(), chance(90) ? 0 : rnd(), 0, 0, 0);
      break;
    case CHCORE_SYS_notify_create:
      nat(nr, rnd(), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_notify_signal:
      nat(nr, (u64)slot_of(chance(80) ? K_NOTIF : K_NONE), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_notify_wait: {
      /* Never without a limit (nobody may ever signal): POLL, a timeout of
       * at most 2 ms, a deadline at most 2 ms away, or flags the kernel
       * refuses before it looks at anything else. */
      u64 flags, t = 0;
      switch (below(5)) {
        case 0:
          flags = CHCORE_NOTIFY_POLL;
          t = rnd();
          break;
        case 1:
          flags = CHCORE_NOTIFY_TIMEOUT;
          t = below(2000000);
          break;
        case 2:
          flags = CHCORE_NOTIFY_DEADLINE;
          t = chance(50) ? now_ns() + below(2000000) : below(1000);
          break;
        case 3:
          flags =
              CHCORE_NOTIFY_TIMEOUT | (chance(50) ? CHCORE_NOTIFY_POLL : CHCORE_NOTIFY_DEADLINE);
          break;
        default:
          flags = (rnd() | 8) & ~7ul;
          break;
      }
      nat(nr, (u64)slot_of(chance(80) ? K_NOTIF : K_NONE), flags, t, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_pipe_create:
      /* Every end the worker makes is non-blocking (or the flags are
       * refused): nothing would ever fill or drain a blocked pipe. */
      nat(nr, chance(90) ? (u64)pipe_slots : bad_ptr(),
          chance(90) ? CHCORE_PIPE_NONBLOCK : rnd() | 1, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_pipe_read:
    case CHCORE_SYS_pipe_write:
      /* Non-blocking by the call's own flag too (an end handed in from
       * elsewhere might block), or flags the kernel refuses first. */
      nat(nr, (u64)slot_of(chance(80) ? K_PIPE : K_NONE),
          nr == CHCORE_SYS_pipe_read ? out_ptr() : in_ptr(),
          chance(90) ? below(5000) : len_any(), chance(90) ? CHCORE_PIPE_NONBLOCK : rnd() | 1, 0,
          0);
      break;
    case CHCORE_SYS_pipe_ctl: {
      u64 op = chance(90) ? 1 + below(4) : rnd();
      /* SET_FLAGS never makes an end blocking. */
      u64 arg = op == CHCORE_PIPE_SET_FLAGS ? (chance(80) ? CHCORE_PIPE_NONBLOCK : rnd() | 1) : rnd();
      nat(nr, (u64)slot_of(chance(80) ? K_PIPE : K_NONE), op, arg, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_poll: {
      /* A deadline at most 2 ms away (or past, or none: only look). */
      for (int k = 0; k < 8; k++) {
        pitems[k].slot = chance(10) ? CHCORE_POLL_CONSOLE
                                    : (unsigned)slot_of(chance(70) ? K_PIPE : K_NONE);
        pitems[k].events = (short)(chance(80) ? below(8) : rnd());
        pitems[k].revents = (short)rnd();
      }
      u64 dl = chance(40) ? CHCORE_POLL_NOW : chance(70) ? now_ns() + below(2000000) : below(1000);
      nat(nr, chance(95) ? (u64)pitems : bad_ptr(),
          chance(95) ? below(9) : chance(50) ? CHCORE_POLL_MAX + 1 : rnd(), dl, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_irq_create:
    case CHCORE_SYS_irq_bind:
    case CHCORE_SYS_irq_ack:
    case CHCORE_SYS_create_device_pmo:
    case CHCORE_SYS_system_power:
      /* Workers hold no IRQ-control capability (only the first process
       * has one): these must fail, whatever the arguments. */
      nat(nr, (u64)slot_of(K_NONE), chance(50) ? below(1100) : rnd(),
          chance(50) ? PAGE * below(4) : rnd(), 0, 0, 0);
      break;
    case CHCORE_SYS_test_echo:
    case CHCORE_SYS_test_exit:
    case CHCORE_SYS_test_irq:
      /* Test-kernel hooks (test_exit ends the machine): not for fuzzing.
       * Numbers without a system call instead. */
      {
        static const unsigned nosys[] = {33, 40, 47, 62, 63, 64, 100, 4095, 65535};
        nat(nosys[below(9)], rnd(), rnd(), rnd(), rnd(), rnd(), rnd());
      }
      break;
    case CHCORE_SYS_sigaction: {
      /* Handlers only through the C library (rt_sigaction below), which
       * supplies the restorer; here the default and ignoring. SIGUSR2 is
       * sigsuspend's. */
      static struct chcore_sigaction act;
      u64 sig = chance(90) ? below(66) : rnd();
      if (sig == SIGUSR2) sig = SIGURG;
      act.handler = chance(50) ? CHCORE_SIG_DFL : CHCORE_SIG_IGN;
      act.flags = chance(70) ? 0 : rnd();
      act.mask = rnd();
      nat(nr, sig,
          chance(10)   ? 0
          : chance(95) ? (u64)&act
                       : bad_ptr(),
          chance(50) ? 0 : out_ptr(), 0, 0, 0);
      break;
    }
    case CHCORE_SYS_sigprocmask: {
      static u64 set;
      set = rnd();
      nat(nr, chance(90) ? below(3) : rnd(),
          chance(20)   ? 0
          : chance(95) ? (u64)&set
                       : bad_ptr(),
          chance(50) ? 0 : out_ptr(), 0, 0, 0);
      break;
    }
    case CHCORE_SYS_sigpending:
      nat(nr, out_ptr(), 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_sigaltstack: {
      static struct chcore_stack ss;
      ss.sp = chance(50) ? ARENA_EDGE : rnd();
      ss.flags = chance(70) ? 0 : chance(50) ? CHCORE_SS_DISABLE : (int)rnd();
      ss.size = chance(50) ? 16384 : len_any();
      nat(nr,
          chance(20)   ? 0
          : chance(95) ? (u64)&ss
                       : bad_ptr(),
          chance(50) ? 0 : out_ptr(), 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_sigreturn:
      /* No frame at sp: the worker ends as SIGSEGV (rarely, as the other
       * calls that end it). */
      if (chance(1))
        nat(nr, 0, 0, 0, 0, 0, 0);
      else
        nat(CHCORE_SYS_yield, 0, 0, 0, 0, 0, 0);
      break;
    case CHCORE_SYS_sigsuspend: {
      /* Bounded: SIGUSR2 (with a handler) is made pending first, so the
       * call returns -EINTR once the handler has run. */
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = fz_sig_handler;
      sigaction(SIGUSR2, &sa, 0);
      static u64 m;
      m = CHCORE_SIGBIT(SIGUSR2);
      nat(CHCORE_SYS_sigprocmask, CHCORE_SIG_BLOCK, (u64)&m, 0, 0, 0, 0);
      nat(CHCORE_SYS_signal_thread, (u64)chcore_sys_gettid(), SIGUSR2, 0, 0, 0, 0);
      nat(nr, rnd() & ~CHCORE_SIGBIT(SIGUSR2), 0, 0, 0, 0, 0);
      break;
    }
    case CHCORE_SYS_sigtimedwait:
      /* Bounded: now, or a few milliseconds from now. */
      nat(nr, rnd(), chance(30) ? 0 : out_ptr(),
          chance(50) ? CHCORE_POLL_NOW : now_ns() + below(2000000), 0, 0, 0);
      break;
    case CHCORE_SYS_signal_thread:
      nat(nr, chance(70) ? (u64)chcore_sys_gettid() : rnd() & 0xffff, signal_any(), rnd(), 0, 0, 0);
      break;
    case CHCORE_SYS_signal_thread_of:
      nat(nr, chance(30) ? 0 : (u64)slot_of(K_CG),
          chance(70) ? (u64)chcore_sys_gettid() : rnd() & 0xffff, signal_any(), rnd(),
          chance(70) ? (u64)CHCORE_SI_TKILL : chance(50) ? (u64)CHCORE_SI_QUEUE : rnd(), rnd());
      break;
    case CHCORE_SYS_signal_cap_group:
      nat(nr, chance(30) ? 0 : (u64)slot_of(K_CG), signal_any(), rnd(),
          chance(80) ? 0 : below(8), rnd(), 0);
      break;
    case CHCORE_SYS_set_job_control:
      nat(nr, chance(30) ? 0 : (u64)slot_of(K_CG), chance(80) ? below(2) : rnd(), 0, 0, 0, 0);
      break;
    case CHCORE_SYS_signal_start_state:
      nat(nr, chance(30) ? 0 : (u64)slot_of(K_CG), rnd(), rnd(), 0, 0, 0);
      break;
    case CHCORE_SYS_signal_handover:
      nat(nr, chance(30) ? 0 : (u64)slot_of(K_CG), chance(30) ? 0 : (u64)slot_of(K_CG), 0, 0, 0, 0);
      break;
    /* IPC with the worker's own servers (entry.S: fz_ipc_handler, whose
     * handlers never block for long; one with random entry points now and
     * then, whose first call kills the worker). */
    case CHCORE_SYS_ipc_register_server:
      if (chance(99))
        nat(nr, (u64)fz_ipc_handler, (u64)fz_ipc_connect, 0x10000, 0, 0, 0);
      else
        nat(nr, rnd(), in_ptr(), rnd() & ~15ul, rnd(), 0, 0);
      break;
    case CHCORE_SYS_ipc_connect:
      gen_ipc_connect();
      break;
    case CHCORE_SYS_ipc_call:
      gen_ipc_call();
      break;
    default:
      /* A call added to the list without a generator here: random
       * arguments (add a generator if it can block). */
      nat(nr, rnd(), in_ptr(), len_any(), rnd(), out_ptr(), rnd());
      break;
  }
}

/* ---- Linux calls, through the C library ------------------------------------------- */
static const unsigned linux_nrs[] = {
#define LINUX_ENTRY(name, status, nargs, note) SYS_##name,
    CHCORE_SYSCALL_TABLE(LINUX_ENTRY)
#undef LINUX_ENTRY
};
static const unsigned char linux_nargs[] = {
#define LINUX_NARGS(name, status, nargs, note) nargs,
    CHCORE_SYSCALL_TABLE(LINUX_NARGS)
#undef LINUX_NARGS
};
#define N_LINUX (sizeof(linux_nrs) / sizeof(linux_nrs[0]))

static u64 fd_any(void) {
  static const long fds[] = {0, 1, 2, 3, 4, 5, 9, 63, 1023, 1024, -1, 0x7fffffff, -100};
  return chance(90) ? (u64)fds[below(13)] : rnd();
}

/* Signals whose default action is not to end the process, and 0 (a
 * check only); now and then any. */

/* Buffers for readv (written) or writev (console output: the text page). */
static u64 build_iov(int for_write) {
  int n = (int)(1 + below(8));
  for (int i = 0; i < n; i++) {
    iov[i].iov_base = (void*)(for_write ? lib_text() : lib_out());
    iov[i].iov_len = chance(90) ? below(24) : len_any();
  }
  return (u64)iov;
}

static void linux_random(void) {
  unsigned i = (unsigned)below(N_LINUX);
  unsigned nr = linux_nrs[i];
  int n = linux_nargs[i];
  switch (nr) {
    case SYS_read:
    case SYS_pread64:
      /* The console fds are O_NONBLOCK (set at start, kept by fcntl and
       * ioctl below): nothing is typed, so a blocking read would hang. */
      lin(nr, n, fd_any(), lib_out(), chance(90) ? below(256) : len_any(), chance(80) ? 0 : rnd(),
          0, 0);
      break;
    case SYS_write:
    case SYS_pwrite64:
      lin(nr, n, fd_any(), lib_text(), text_len(), chance(80) ? 0 : rnd(), 0, 0);
      break;
    case SYS_readv:
    case SYS_writev:
      lin(nr, n, fd_any(), chance(99) ? build_iov(nr == SYS_writev) : bad_ptr(),
          chance(90) ? 1 + below(8) : rnd(), 0, 0, 0);
      break;
    case SYS_fcntl: {
      static const long cmds[] = {F_DUPFD,         F_GETFD, F_SETFD,  F_GETFL, F_SETFL,
                                  F_DUPFD_CLOEXEC, F_GETLK, F_SETOWN, 1000,    -1};
      long cmd = cmds[below(10)];
      u64 arg = chance(50) ? below(1100) : rnd();
      if (cmd == F_SETFL) arg |= O_NONBLOCK; /* keep the console non-blocking */
      lin(nr, n, fd_any(), (u64)cmd, arg, 0, 0, 0);
      break;
    }
    case SYS_ioctl: {
      static const unsigned long reqs[] = {TCGETS,
                                           TCSETS,
                                           TCSETSW,
                                           TCSETSF,
                                           TIOCGWINSZ,
                                           TIOCSWINSZ,
                                           FIONREAD,
                                           FIONBIO,
                                           FIOCLEX,
                                           FIONCLEX,
                                           0x5401ul | (1ul << 32),
                                           0xdeadbeef};
      unsigned long req = reqs[below(12)];
      /* FIONBIO 0 would make the console blocking again. */
      u64 arg = (req & 0xffffffffu) == FIONBIO ? (u64)&nonzero_int : lib_out();
      if ((req & 0xffffffffu) == TCSETS || (req & 0xffffffffu) == TCSETSW ||
          (req & 0xffffffffu) == TCSETSF || (req & 0xffffffffu) == TIOCSWINSZ)
        arg = lib_in();
      lin(nr, n, fd_any(), req, arg, 0, 0, 0);
      break;
    }
    case SYS_close:
      /* Not 0-2 too often: the console is worth keeping. */
      lin(nr, n, chance(20) ? below(3) : fd_any(), 0, 0, 0, 0, 0);
      break;
    case SYS_dup:
      lin(nr, n, fd_any(), 0, 0, 0, 0, 0);
      break;
    case SYS_dup3:
      lin(nr, n, fd_any(), chance(50) ? 3 + below(60) : fd_any(),
          chance(80) ? (chance(50) ? O_CLOEXEC : 0) : rnd(), 0, 0, 0);
      break;
    case SYS_lseek:
      lin(nr, n, fd_any(), rnd(), chance(80) ? below(5) : rnd(), 0, 0, 0);
      break;
    case SYS_fstat:
      lin(nr, n, fd_any(), lib_out(), 0, 0, 0, 0);
      break;
    case SYS_ppoll: {
      /* Always a timeout: with none, polling the console for input waits
       * forever. */
      int cnt = (int)below(4);
      for (int k = 0; k < 4; k++) {
        pfds[k].fd = (int)fd_any();
        pfds[k].events = (short)(chance(50) ? POLLIN : chance(50) ? POLLOUT : (short)rnd());
      }
      u64 fds = chance(97) ? (u64)pfds : bad_ptr();
      u64 count = chance(95) ? (u64)cnt : chance(50) ? 1025 : rnd();
      lin(nr, n, fds, count, chance(90) ? short_timeout() : bad_timeout(),
          chance(50) ? 0 : (u64)&sigset_word, 8, 0);
      break;
    }
    case SYS_pipe2: {
      /* Always non-blocking: the worker's reads and writes must not wait
       * (fcntl and FIONBIO below keep it so). */
      u64 flags = O_NONBLOCK | (chance(50) ? O_CLOEXEC : 0);
      if (chance(5)) flags |= rnd() & ~(u64)O_NONBLOCK;
      lin(nr, n, chance(95) ? lib_out() : bad_ptr(), flags, 0, 0, 0, 0);
      break;
    }
    case SYS_pselect6:
      /* Always a timeout, as for ppoll; the sets are scratch memory. */
      lin(nr, n, chance(90) ? below(70) : rnd(), chance(70) ? lib_out() : 0,
          chance(70) ? lib_out() : 0, chance(20) ? lib_out() : 0,
          chance(90) ? short_timeout() : bad_timeout(), 0);
      break;
    case SYS_epoll_pwait:
      /* A timeout of at most 2 ms: never -1. */
      lin(nr, n, fd_any(), chance(95) ? lib_out() : bad_ptr(), chance(90) ? 1 + below(8) : rnd(),
          below(3), 0, 8);
      break;
    case SYS_futex: {
      u64 op = chance(85) ? below(5) : rnd() & 0xff;
      if (chance(40)) op |= CHCORE_FUTEX_PRIVATE_FLAG;
      u64 cmd = op & ~(u64)(CHCORE_FUTEX_PRIVATE_FLAG | CHCORE_FUTEX_CLOCK_REALTIME);
      u64 timeout =
          cmd == CHCORE_FUTEX_WAIT ? (chance(90) ? short_timeout() : bad_timeout()) : below(4);
      lin(nr, n, chance(80) ? ARENA_RW + (below(PAGE) & ~3ul) : bad_ptr(), op, rnd() & 0xffffffffu,
          timeout, ARENA_RW + (below(PAGE) & ~3ul), rnd());
      break;
    }
    case SYS_nanosleep:
      lin(nr, n,
          chance(85)   ? short_timeout()
          : chance(50) ? bad_timeout()
                       : surely_bad_ptr(),
          chance(50) ? 0 : lib_out(), 0, 0, 0, 0);
      break;
    case SYS_clock_nanosleep:
      lin(nr, n, chance(85) ? below(12) : rnd(), chance(80) ? 0 : TIMER_ABSTIME,
          chance(85)   ? short_timeout()
          : chance(50) ? bad_timeout()
                       : surely_bad_ptr(),
          chance(50) ? 0 : lib_out(), 0, 0);
      break;
    case SYS_clock_gettime:
    case SYS_clock_getres:
      lin(nr, n, chance(85) ? below(12) : rnd(), chance(10) ? 0 : lib_out(), 0, 0, 0, 0);
      break;
    case SYS_kill:
      lin(nr, n, chance(50) ? 0 : chance(50) ? self_pid : rnd(), signal_any(), 0, 0, 0, 0);
      break;
    case SYS_tkill:
      lin(nr, n, chance(70) ? self_tid : rnd() & 0xffff, signal_any(), 0, 0, 0, 0);
      break;
    case SYS_tgkill:
      lin(nr, n, chance(70) ? self_pid : rnd() & 0xffff, chance(70) ? self_tid : rnd() & 0xffff,
          signal_any(), 0, 0, 0);
      break;
    case SYS_rt_sigaction: {
      void (*handlers[])(int) = {SIG_DFL, SIG_IGN, fz_sig_handler};
      sigact.handler = chance(98) ? handlers[below(3)] : (void (*)(int))bad_ptr();
      /* Any flags, but always a restorer that returns properly (see
       * fz_restorer). */
      sigact.flags = (chance(70) ? 0 : rnd()) | 0x04000000 /* SA_RESTORER */;
      sigact.restorer = fz_restorer;
      sigact.mask = rnd();
      u64 sig = chance(90) ? below(66) : rnd();
      /* The signals of faults get no handler: returning from one re-runs
       * the faulting instruction, forever (on Linux too). */
      if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGTRAP || sig == SIGFPE)
        sigact.handler = chance(50) ? SIG_DFL : SIG_IGN;
      lin(nr, n, sig,
          chance(10)   ? 0
          : chance(97) ? (u64)&sigact
                       : bad_ptr(),
          chance(50) ? 0 : lib_out(), chance(90) ? 8 : rnd(), 0, 0);
      break;
    }
    case SYS_rt_sigpending:
      lin(nr, n, chance(90) ? lib_out() : bad_ptr(), chance(90) ? 8 : rnd(), 0, 0, 0, 0);
      break;
    case SYS_sigaltstack: {
      static stack_t ss;
      ss.ss_sp = (void*)(chance(50) ? ARENA_EDGE : rnd());
      ss.ss_flags = chance(70) ? 0 : chance(50) ? SS_DISABLE : (int)rnd();
      ss.ss_size = chance(50) ? 16384 : len_any();
      lin(nr, n,
          chance(20)   ? 0
          : chance(95) ? (u64)&ss
                       : bad_ptr(),
          chance(50) ? 0 : lib_out(), 0, 0, 0, 0);
      break;
    }
    case SYS_rt_sigsuspend: {
      /* Bounded as the native call: SIGUSR2, with a handler, pends first. */
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = fz_sig_handler;
      sigaction(SIGUSR2, &sa, 0);
      sigset_t m;
      sigemptyset(&m);
      sigaddset(&m, SIGUSR2);
      sigprocmask(SIG_BLOCK, &m, 0);
      raise(SIGUSR2);
      sigset_word = rnd() & ~(1ul << (SIGUSR2 - 1));
      lin(nr, n, (u64)&sigset_word, 8, 0, 0, 0, 0);
      break;
    }
    case SYS_rt_sigtimedwait:
      /* Bounded: a short timeout or none to wait. */
      sigset_word = rnd();
      lin(nr, n, chance(95) ? (u64)&sigset_word : bad_ptr(), chance(30) ? 0 : lib_out(),
          chance(50)   ? short_timeout()
          : chance(50) ? bad_timeout()
                       : surely_bad_ptr(),
          chance(90) ? 8 : rnd(), 0, 0);
      break;
    case SYS_rt_sigprocmask:
      sigset_word = rnd();
      lin(nr, n, chance(90) ? below(3) : rnd(),
          chance(20)          ? 0
          : below(1000) < 995 ? (u64)&sigset_word
                              : bad_ptr(),
          chance(50) ? 0 : lib_out(), chance(90) ? 8 : rnd(), 0, 0);
      break;
    case SYS_getcpu:
      lin(nr, n, chance(20) ? 0 : lib_out(), chance(50) ? 0 : lib_out(), 0, 0, 0, 0);
      break;
    case SYS_sched_getaffinity:
    case SYS_sched_setaffinity:
      lin(nr, n,
          chance(70)   ? 0
          : chance(50) ? self_tid
                       : rnd(),
          chance(80) ? 8 : len_any(), nr == SYS_sched_getaffinity ? lib_out() : lib_in(), 0, 0, 0);
      break;
    case SYS_uname:
    case SYS_getresuid:
    case SYS_getresgid:
      lin(nr, n, lib_out(), lib_out(), lib_out(), 0, 0, 0);
      break;
    case SYS_set_tid_address:
      lin(nr, n, chance(30) ? 0 : ARENA_RW + (below(PAGE) & ~3ul), 0, 0, 0, 0, 0);
      break;
    case SYS_brk:
      lin(nr, n,
          chance(30)   ? 0
          : chance(60) ? CHCORE_HEAP_BASE + below(64 * PAGE)
                       : bad_ptr(),
          0, 0, 0, 0, 0);
      break;
    case SYS_mmap: {
      static const long flag_set[] = {MAP_PRIVATE | MAP_ANONYMOUS,
                                      MAP_SHARED | MAP_ANONYMOUS,
                                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                                      MAP_PRIVATE,
                                      MAP_ANONYMOUS,
                                      0x7fffffff};
      long flags = flag_set[below(7)];
      u64 addr = chance(40)   ? 0
                 : chance(60) ? FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES)
                              : map_addr(-1);
      if ((flags & MAP_FIXED) && (addr < FZ_MAP_VA || addr >= FZ_MAP_VA + FZ_MAP_PAGES * PAGE) &&
          !chance(5))
        addr = FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES); /* fixed over its own memory: rarely */
      u64 len = chance(80)   ? PAGE * (1 + below(16))
                : chance(50) ? (1ul << 20) + below(1ul << 24)
                             : len_any();
      lin(nr, n, addr, len, prot_any(), (u64)flags, chance(80) ? (u64)-1 : fd_any(),
          chance(90) ? 0 : rnd());
      break;
    }
    case SYS_munmap:
    case SYS_madvise:
    case SYS_mprotect: {
      u64 addr = chance(70)   ? 0x400000000000ul + PAGE * below(64)
                 : chance(70) ? FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES)
                              : bad_ptr();
      u64 len = chance(70) ? PAGE * (1 + below(16)) : len_any();
      lin(nr, n, addr, len, nr == SYS_madvise ? below(20) : prot_any(), 0, 0, 0);
      break;
    }
    case SYS_mremap:
      lin(nr, n, 0x400000000000ul + PAGE * below(64), PAGE * below(16),
          chance(80) ? PAGE * below(16) : len_any(), below(4), rnd(), 0);
      break;
    case SYS_getrandom:
      lin(nr, n, lib_out(), chance(90) ? below(8192) : len_any(), chance(90) ? below(8) : rnd(), 0,
          0, 0);
      break;
    case SYS_exit:
    case SYS_exit_group:
    case SYS_rt_sigreturn:
      /* They end the worker: made on purpose, rarely (see run()). */
      lin(SYS_sched_yield, 0, 0, 0, 0, 0, 0, 0);
      break;
    case SYS_clone:
      /* Threads only through __clone; a raw clone is ENOSYS. Thread flags
       * with a stack would start a copy of this worker if it ever worked. */
      lin(nr, n, rnd(), chance(50) ? 0 : rnd(), rnd(), rnd(), rnd(), 0);
      break;
    case SYS_waitid:
      /* Never blocking (WNOHANG always): any id type, any child. */
      lin(nr, n, below(5), chance(50) ? below(64) : rnd(), chance(80) ? lib_out() : bad_ptr(),
          (below(16) | 1 /* WNOHANG */) & ~(chance(90) ? 0 : 4 /* WEXITED */), chance(50) ? 0 : lib_out(), 0);
      break;
    case SYS_sched_yield:
    case SYS_getpid:
    case SYS_gettid:
    case SYS_getuid:
    case SYS_geteuid:
    case SYS_getgid:
    case SYS_getegid:
      lin(nr, n, rnd(), rnd(), 0, 0, 0, 0);
      break;
    default:
      /* A Linux call the port gained after this generator was written:
       * valid-looking small numbers and buffers (it may dereference them),
       * never bad pointers. Give it a generator of its own. */
      lin(nr, n, below(16), lib_out(), below(4096), below(16), lib_out(), 0);
      break;
  }
}

/* ---- Programs: short sequences that reach states single calls rarely do ------- */

/* A victim: a process with fz_spin_entry's code and (usually) a thread
 * that yields a few times and ends, so that the process exits by itself. */
static long make_victim(int start) {
  static const char name[] = "fz-victim";
  long cg = nat(CHCORE_SYS_create_cap_group, (u64)name, sizeof(name) - 1, 0, 0, 0, 0);
  if (cg < 0) return cg;
  long code = nat(CHCORE_SYS_create_pmo, PAGE, CHCORE_PMO_DATA, 0, 0, 0, 0);
  if (code >= 0) {
    nat(CHCORE_SYS_write_pmo, (u64)code, 0, (u64)fz_spin_entry,
        (u64)(fz_spin_end - (const char*)fz_spin_entry), 0, 0);
    nat(CHCORE_SYS_map_pmo, (u64)cg, (u64)code, FZ_VICTIM_CODE_VA,
        CHCORE_PROT_READ | CHCORE_PROT_EXEC, 0, 0);
    nat(CHCORE_SYS_revoke_cap, (u64)code, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
  }
  if (chance(50))
    nat(CHCORE_SYS_cap_transfer, (u64)cg, (u64)slot_of(K_NONE), rights_any(), 0, 0, 0);
  if (start) nat(CHCORE_SYS_create_thread, (u64)cg, FZ_VICTIM_CODE_VA, 0, below(64), 0, 0);
  return cg;
}

/* Calls that target a process that has exited. */
static void prog_exited_target(void) {
  long cg = some_cg(1);
  if (cg < 0) cg = make_victim(1);
  if (cg < 0) return;
  nat(CHCORE_SYS_wait_cap_group, (u64)cg, 0, 0, 0, 0, 0);
  for (int k = 0; k < 4 && !stop; k++) {
    switch (below(5)) {
      case 0: {
        long p = some_pmo();
        nat(CHCORE_SYS_map_pmo, (u64)cg, (u64)(p >= 0 ? p : slot_of(K_PMO)), PAGE * (1 + below(64)),
            prot_any(), 0, 0);
        break;
      }
      case 1:
        nat(CHCORE_SYS_create_thread, (u64)cg, FZ_VICTIM_CODE_VA, 0, 1, 0, 0);
        break;
      case 2:
        nat(CHCORE_SYS_cap_transfer, (u64)cg, (u64)slot_of(K_NONE), CHCORE_RIGHTS_ALL, 0, 0, 0);
        break;
      case 3:
        nat(CHCORE_SYS_unmap_pmo, (u64)cg, (u64)slot_of(K_PMO), FZ_VICTIM_CODE_VA, 0, 0, 0);
        break;
      default:
        nat(CHCORE_SYS_wait_cap_group, (u64)cg, 0, 0, 0, 0, 0);
        break;
    }
  }
  if (chance(70)) nat(CHCORE_SYS_revoke_cap, (u64)cg, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
}

/* Processes that hold capabilities to each other, then are dropped. */
static void prog_cross_refs(void) {
  long a = make_victim(chance(30));
  long b = chance(30) ? a : make_victim(chance(30));
  if (a < 0 || b < 0) return;
  nat(CHCORE_SYS_cap_transfer, (u64)a, (u64)b, rights_any() | CHCORE_RIGHT_COPY, 0, 0, 0);
  nat(CHCORE_SYS_cap_transfer, (u64)b, (u64)a, rights_any() | CHCORE_RIGHT_COPY, 0, 0, 0);
  if (chance(50)) nat(CHCORE_SYS_cap_transfer, (u64)a, CHCORE_SLOT_SELF, rights_any(), 0, 0, 0);
  nat(CHCORE_SYS_revoke_cap, (u64)a, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
  if (b != a) nat(CHCORE_SYS_revoke_cap, (u64)b, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
}

/* A mapping whose capability is revoked, then used. */
static void prog_revoked_mapping(void) {
  u64 type = below(3);
  long p = nat(CHCORE_SYS_create_pmo, PAGE * (1 + below(4)), type, 0, 0, 0, 0);
  if (p < 0) return;
  long c = nat(CHCORE_SYS_cap_copy, (u64)p, rights_any() | CHCORE_RIGHT_READ, 0, 0, 0, 0);
  u64 va = FZ_MAP_VA + PAGE * below(FZ_MAP_PAGES);
  nat(CHCORE_SYS_map_pmo, CHCORE_SLOT_SELF, (u64)c, va, CHCORE_PROT_READ | CHCORE_PROT_WRITE, 0, 0);
  /* The kernel writes into the mapping: anonymous pages are faulted in. */
  nat(CHCORE_SYS_read_pmo, (u64)bait_slot, 0, va, PAGE, 0, 0);
  nat(CHCORE_SYS_revoke_cap, (u64)p, chance(50) ? CHCORE_REVOKE_DERIVED : CHCORE_REVOKE_SELF, 0, 0,
      0, 0);
  nat(CHCORE_SYS_write_pmo, (u64)c, 0, ARENA_RW, 64, 0, 0);
  nat(CHCORE_SYS_handle_mprotect, va, PAGE, chance(50) ? 0 : CHCORE_PROT_READ, 0, 0, 0);
  nat(CHCORE_SYS_handle_mprotect, va, PAGE, CHCORE_PROT_READ | CHCORE_PROT_WRITE, 0, 0, 0);
  nat(CHCORE_SYS_putstr, va, 0, 0, 0, 0, 0);
  nat(CHCORE_SYS_read_pmo, (u64)bait_slot, 0, va, 8, 0, 0);
  nat(CHCORE_SYS_unmap_pmo, CHCORE_SLOT_SELF, (u64)(chance(50) ? c : p), va, 0, 0, 0);
  nat(CHCORE_SYS_revoke_cap, (u64)c, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
  nat(CHCORE_SYS_revoke_cap, (u64)p, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
}

/* Threads of this worker that come and go while it goes on. */
static void prog_threads(void) {
  int k = (int)(1 + below(3));
  for (int i = 0; i < k && !stop; i++) {
    long t =
        nat(CHCORE_SYS_create_thread, CHCORE_SLOT_SELF, (u64)fz_spin_entry, 0, below(32), rnd(), 0);
    if (t < 0) continue;
    nat(CHCORE_SYS_set_affinity, (u64)t, (u64)(chance(50) ? -1l : (long)below(5)), 0, 0, 0, 0);
    nat(CHCORE_SYS_set_priority, (u64)t, below(CHCORE_PRIO_MAX + 1), 0, 0, 0, 0);
    if (chance(50)) nat(CHCORE_SYS_revoke_cap, (u64)t, CHCORE_REVOKE_SELF, 0, 0, 0, 0);
  }
  nat(CHCORE_SYS_yield, 0, 0, 0, 0, 0, 0);
}

/* A worker ends itself in one of the ways a program can. */
static void end_worker(uint32_t how) {
  if (has_servers && (how % 5 == 1 || how % 5 == 3)) how = 0;
  /* Ending only this thread ends the worker once the second thread, told
   * here, has stopped too. */
  if (how % 5 == 1 || how % 5 == 3) __atomic_store_n(&main_done, 1, __ATOMIC_RELAXED);
  switch (how % 5) {
    case 0:
      nat(CHCORE_SYS_exit_group, 3, 0, 0, 0, 0, 0);
      break;
    case 1:
      nat(CHCORE_SYS_thread_exit, 0, 0, 0, 0, 0, 0);
      break;
    case 2:
      lin(SYS_exit_group, 1, 4, 0, 0, 0, 0, 0);
      break;
    case 3:
      lin(SYS_exit, 1, 0, 0, 0, 0, 0, 0);
      break;
    default:
      lin(SYS_rt_sigreturn, 0, 0, 0, 0, 0, 0, 0);
      break;
  }
}

/* ---- The worker ------------------------------------------------------------------ */
static long must(long r, const char* what) {
  if (r < 0) {
    char line[128];
    snprintf(line, sizeof(line), "fuzz: worker setup: %s = %ld\r\n", what, r);
    say(line);
    chcore_exit(120);
  }
  return r;
}

static long map_new(u64 va, u64 pages, unsigned type, unsigned prot) {
  long p = must(chcore_sys_create_pmo(pages * PAGE, type), "create_pmo");
  must(chcore_sys_map_pmo(CHCORE_SLOT_SELF, (u64)p, va, prot), "map_pmo");
  return p;
}

static void setup(void) {
  /* The arena. Its PMOs are in the model: the calls may unmap, revoke and
   * reprotect them like anything else. */
  long rw =
      map_new(ARENA_RW, ARENA_RW_PAGES, CHCORE_PMO_DATA, CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  for (u64 off = 0; off < ARENA_RW_PAGES * PAGE; off += 8) *(u64*)(ARENA_RW + off) = rnd();
  long ro = must(chcore_sys_create_pmo(PAGE, CHCORE_PMO_DATA), "create_pmo");
  must(chcore_sys_write_pmo((u64)ro, 0, ARENA_RW, PAGE), "write_pmo");
  must(chcore_sys_map_pmo(CHCORE_SLOT_SELF, (u64)ro, ARENA_RO, CHCORE_PROT_READ), "map_pmo");
  long none = map_new(ARENA_NONE, 1, CHCORE_PMO_ANONYMOUS, CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  must(chcore_sys_handle_mprotect(ARENA_NONE, PAGE, 0), "mprotect");
  long edge = map_new(ARENA_EDGE, 1, CHCORE_PMO_ANONYMOUS, CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  long text = must(chcore_sys_create_pmo(PAGE, CHCORE_PMO_DATA), "create_pmo");
  {
    static char dots[PAGE];
    memset(dots, '.', sizeof(dots));
    must(chcore_sys_write_pmo((u64)text, 0, (u64)dots, PAGE), "write_pmo");
  }
  must(chcore_sys_map_pmo(CHCORE_SLOT_SELF, (u64)text, ARENA_TEXT, CHCORE_PROT_READ), "map_pmo");

  int self = new_obj(K_CG, 0);
  objs[self].is_self = 1;
  set_slot(CHCORE_SLOT_SELF, self);
  set_slot(rw, new_obj(K_PMO, ARENA_RW_PAGES * PAGE));
  set_slot(ro, new_obj(K_PMO, PAGE));
  set_slot(none, new_obj(K_PMO, PAGE));
  set_slot(edge, new_obj(K_PMO, PAGE));
  set_slot(text, new_obj(K_PMO, PAGE));
  if (ramdisk_slot >= 0) set_slot(ramdisk_slot, new_obj(K_PMO, 0));
  if (parent_cg_slot >= 0) set_slot(parent_cg_slot, new_obj(K_CG, 0));
  if (bait_slot >= 0) set_slot(bait_slot, new_obj(K_PMO, PAGE));

  /* Reads of the console must never block (see read, fcntl, ioctl). */
  for (int fd = 0; fd < 3; fd++) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  self_tid = (u64)chcore_sys_gettid();
  self_pid = (u64)getpid();
}

static uint64_t second_seed;

static void* second_thread(void* arg) {
  (void)arg;
  second = 1;
  stream.s = second_seed;
  while (!__atomic_load_n(&main_done, __ATOMIC_RELAXED)) {
    rng.s = fz_next(&stream);
    unsigned r = (unsigned)below(100);
    if (r < 65)
      native_random();
    else if (r < 95)
      linux_random();
    else
      for (unsigned n = 2 + (unsigned)below(6); n > 0; n--) gen_ipc_call();
  }
  return 0;
}

int fz_worker_main(uint64_t seed, uint32_t worker, uint32_t lim, long parent_cg, long bait,
                   int flags) {
  if (sh->magic != FZ_MAGIC) {
    say("fuzz: worker: no shared page\r\n");
    return 121;
  }
  sh->boot = 1; /* main() reached */
  stream.s = fz_worker_seed(seed, worker);
  rng.s = fz_next(&stream);
  limit = lim;
  verbose = flags & FZ_FLAG_VERBOSE;
  fz_avoid_open_bugs = !(flags & FZ_FLAG_ALL);
  parent_cg_slot = parent_cg;
  bait_slot = bait;
  ramdisk_slot = chcore_ramdisk_slot();
  /* The fuzzer aims at the kernel's ABI and the C library's handlers, not
   * at the servers: without procmgr and fsm capabilities its random calls
   * cannot start blocking requests there (a lookup that waits for a name
   * nobody publishes), and the file calls stop at ENOENT after checking
   * their arguments. */
  if (chcore_procmgr_cap() >= 0) chcore_sys_revoke_cap((u64)chcore_procmgr_cap(), CHCORE_REVOKE_SELF);
  if (chcore_fsm_cap() >= 0) chcore_sys_revoke_cap((u64)chcore_fsm_cap(), CHCORE_REVOKE_SELF);
  chcore_services_set(-1, -1);
  sh->boot = 2;
  setup();
  sh->boot = 3;
  sh->state = FZ_STATE_RUNNING;
  if (flags & FZ_FLAG_THREADS) {
    pthread_t t;
    second_seed = fz_worker_seed(seed ^ 0x5ecd, worker);
    sh->threads = pthread_create(&t, 0, second_thread, 0) == 0 ? 2 : 1;
  }

  /* One worker in four ends itself early, in one of the five ways in
   * turn (exit_group, thread_exit, and the C library's exit_group, exit,
   * rt_sigreturn): these calls get made, but rarely. */
  uint32_t end_at = worker % 4 == 3 ? (uint32_t)below(lim / 4 + 1) : ~0u;
  no_servers = worker % 4 == 3;
  while (!stop && calls < limit) {
    rng.s = fz_next(&stream);
    if (calls >= end_at) end_worker(worker / 4);
    unsigned r = (unsigned)below(1000);
    if (r < 600)
      native_random();
    else if (r < 920)
      linux_random();
    else if (r < 930)
      make_victim(chance(80));
    else if (r < 940)
      prog_ipc();
    else if (r < 955)
      prog_exited_target();
    else if (r < 970)
      prog_cross_refs();
    else if (r < 985)
      prog_revoked_mapping();
    else
      prog_threads();
  }
  __atomic_store_n(&main_done, 1, __ATOMIC_RELAXED);
  sh->state = FZ_STATE_DONE;
  return 0;
}
