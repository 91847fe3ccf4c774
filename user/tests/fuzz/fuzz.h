/* The system-call fuzzer (/tests/fuzz): what the supervisor and its
 * workers share. See supervisor.c for the whole design.
 *
 * Each worker is a process of its own that makes random system calls with
 * hostile arguments. Before every call it writes the call into a ring in a
 * page it shares with the supervisor, and after it the result, so that the
 * supervisor can say what a worker that died, or hangs, was doing. */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stdint.h>

#include "uapi/syscall_nr.h" /* CHCORE_NR_SYSCALLS */

/* ---- Addresses in a worker ------------------------------------------------
 * Fixed, so that a replay lays the worker out the same way. All of them are
 * away from the program (0x400000), the ramdisk (0x5000_0000_0000), the
 * heap (0x6000_0000_0000) and the stack (below 0x7000_0000_0000). */
#define FZ_RING_VA 0x0000540000000000ul  /* the shared page (mapped by the supervisor) */
#define FZ_ARENA_VA 0x0000550000000000ul /* buffers of every kind (worker.c) */
#define FZ_MAP_VA 0x0000560000000000ul   /* where the worker maps its own PMOs */
#define FZ_MAP_PAGES 64                  /* ... a window of this many pages */
#define FZ_VICTIM_CODE_VA 0x10000ul      /* victim processes' code */

#define FZ_PAGE 4096ul

/* ---- The shared ring --------------------------------------------------------- */
enum { FZ_RING_LEN = 32, FZ_RING2_LEN = 16 };

/* Who made a call: the kernel's own numbers, or Linux's through the C
 * library's syscall(). */
enum { FZ_NATIVE = 1, FZ_LINUX = 2 };

struct fz_rec {
  uint32_t index; /* call number in this worker, counting from 0 */
  uint16_t kind;  /* FZ_NATIVE / FZ_LINUX */
  uint16_t nr;
  uint64_t args[6];
  int64_t result;
  uint32_t done; /* 1: result is valid (0: the call is in flight) */
  uint32_t nargs;
};

/* Worker states, as the supervisor reads them. */
enum {
  FZ_STATE_STARTING = 0,
  FZ_STATE_RUNNING = 1,
  FZ_STATE_DONE = 2,   /* made all its calls and exits normally */
  FZ_STATE_KILLED = 3, /* the supervisor ended it (it made no progress) */
};

#define FZ_MAGIC 0x7a7a75660a0a7a66ul

/* One page, shared read-write by the supervisor and one worker. */
struct fz_shared {
  uint64_t magic;
  volatile uint32_t state;
  volatile uint32_t calls; /* calls started so far (the heartbeat) */
  uint64_t seed;
  uint32_t worker;
  uint32_t limit; /* calls to make */
  uint32_t verbose;
  volatile uint32_t boot; /* how far the worker got before its first call (worker.c) */
  struct fz_rec ring[FZ_RING_LEN]; /* call i is in ring[i % FZ_RING_LEN] */
  /* The second fuzzing thread (--threads 2): its calls, and its count. */
  volatile uint32_t calls2;
  uint32_t threads;
  struct fz_rec ring2[FZ_RING2_LEN];
  /* How many calls of each number the worker made (coverage). */
  uint32_t native_count[CHCORE_NR_SYSCALLS];
  uint32_t linux_count[512];
};
_Static_assert(sizeof(struct fz_shared) <= 2 * FZ_PAGE, "the shared area is two pages");
#define FZ_SHARED_SIZE (2 * FZ_PAGE)

/* ---- The random-number generator ------------------------------------------
 * SplitMix64: 64 bits of state, every seed is good, and the sequence is the
 * same on every run, so a seed reproduces a run. */
struct fz_rng {
  uint64_t s;
};

static inline uint64_t fz_next(struct fz_rng* r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ul);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ul;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebul;
  return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0; the tiny bias of the modulo does not matter). */
static inline uint64_t fz_below(struct fz_rng* r, uint64_t n) { return fz_next(r) % n; }

/* True with probability pct/100. */
static inline int fz_chance(struct fz_rng* r, unsigned pct) { return fz_below(r, 100) < pct; }

/* The seed of worker `w` of a run: independent streams per worker. */
static inline uint64_t fz_worker_seed(uint64_t seed, uint32_t w) {
  struct fz_rng r = {seed ^ (0xd1b54a32d192ed03ul * (w + 1))};
  return fz_next(&r);
}

/* ---- Names ------------------------------------------------------------------ */
/* "map_pmo" / "uname"; "?" for an unknown number. */
const char* fz_call_name(unsigned kind, unsigned nr);
/* Formats a record: "call 7: native map_pmo(5, 9, 0x10000, 1) = 0"; without
 * the result unless with_result. */
int fz_format_rec(char* buf, unsigned long size, const struct fz_rec* rec, int with_result);

/* ---- worker.c ------------------------------------------------------------------ */
/* The worker's main: runs `limit` calls of worker `worker` of `seed`. */
int fz_worker_main(uint64_t seed, uint32_t worker, uint32_t limit, long parent_cg_slot,
                   long bait_slot, int flags);
#define FZ_FLAG_VERBOSE 1
#define FZ_FLAG_ALL 2     /* fz_avoid_open_bugs = 0 */
#define FZ_FLAG_THREADS 4 /* a second thread makes calls at the same time */

/* 0: --all, the worker does not steer around the bugs that are known and
 * being fixed elsewhere (worker.c). */
extern int fz_avoid_open_bugs;

/* ---- entry.S ---------------------------------------------------------------------- */
/* A raw thread body that needs no stack and no data: yields (x0 & 0xff)
 * times, then thread_exit. Position independent: its bytes
 * [fz_spin_entry, fz_spin_end) are copied into victim processes. */
void fz_spin_entry(void);
extern const char fz_spin_end[];
/* exit_group(x0): the supervisor starts a thread here in a worker that
 * makes no progress. */
void fz_kill_entry(void);
/* The handler and connect thread of the worker's own IPC servers. */
void fz_ipc_handler(void);
void fz_ipc_connect(void);

#endif
