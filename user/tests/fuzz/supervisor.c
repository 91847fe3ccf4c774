/* /tests/fuzz: a system-call fuzzer, after SerenityOS's fuzz-syscalls and
 * syzkaller. It checks that no sequence of system calls, however hostile
 * its arguments, can
 *   - panic the kernel (the QEMU harness fails on "KERNEL PANIC:"),
 *   - hang a process in a call that must end (below), or the machine (the
 *     harness's time limit),
 *   - leave kernel memory behind: free memory (get_free_mem, settled) is
 *     the same after every round of workers as before the first.
 *
 *   fuzz [--seed S] [--calls N | --seconds T] [--per-worker K] [--parallel P]
 *        [--threads 1|2] [--replay W:C] [--all] [--log-workers] [--verbose]
 *
 *   --seed S        the run's seed (default 1)
 *   --calls N       stop after the round in which N calls were made (default
 *                   20000); --seconds T: after the round that ends T s in
 *   --per-worker K  calls per worker (default 1500), --parallel P workers at
 *                   a time (default 2, at most 4)
 *   --threads 2     each worker has a second thread making calls at the same
 *                   time (races; its calls depend on timing, so a replay
 *                   may not repeat them)
 *   --replay W:C    only the first C calls of worker W, each printed
 *   --all           do not steer around the open bugs (worker.c, open_bug)
 *   --log-workers   a line when each worker starts and ends (fuzz.py reads
 *                   them to replay the workers a kernel panic interrupted)
 *   --verbose       a line per finished worker (twice: per call too)
 *
 * This process, the supervisor, makes no hostile call itself. It starts
 * workers (worker.c: this program again, with --worker), P at a time, each
 * making K calls; a worker that dies (it may unmap its own code, or hit a
 * bug of the C library) is simply replaced by the next. Worker W's calls
 * follow from the seed and W alone, so "--seed S --replay W:C" runs the
 * first C calls of worker W again, printing each before it is made.
 *
 * Every worker shares a page with the supervisor (fuzz.h) holding a ring
 * of its last calls and a call counter. A watchdog thread reads the
 * counters: a worker whose counter stands still for FZ_STALL_SECONDS is
 * stuck in a call (every call it makes is bounded, see worker.c), so it
 * is reported as a hang with the call in flight, and ended by a thread the
 * watchdog starts in it (fz_kill_entry).
 *
 * After each round the supervisor compares the settled free memory with
 * the value before the first round (taken after a warm-up round whose
 * workers do not count: memory the kernel and this process take once and
 * keep is not a leak). When less is free, the same round runs once more:
 * if the repeat takes nothing more, what the first took is a pool at a new
 * peak (a server keeps a handler stack for every connection it ever had at
 * once, to reuse) and the baseline moves to it. Otherwise it finds the call:
 * each worker of the round is run again alone, and for the one that loses
 * memory by itself, a binary search over how many of its calls it makes
 * finds the first call after which memory is lost. The report ends with
 * the command that reproduces it.
 *
 * Output: "[PASS] fuzz.<check>" or a failure line per check, and
 * "N passed, M failed" (the harness's convention, user/tests/utest.h). */
#define _GNU_SOURCE
#include <chcore/launch.h>
#include <chcore/syscall.h>
#include <chcore/thread.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "chcore_syscall_table.h"
#include "fuzz.h"

#define FZ_STALL_SECONDS 15
#define MAX_PARALLEL 4
#define KILL_CODE 0x5a

static uint64_t seed = 1;
static unsigned long budget_calls = 20000;
static unsigned long budget_seconds;
static uint32_t per_worker = 1500;
static unsigned parallel = 2;
static int verbose;
static int all_bugs;    /* --all: see fz_avoid_open_bugs */
static int log_workers; /* --log-workers: a line when each worker starts and ends */
static int two_threads; /* --threads 2: a second thread per worker (worker.c) */
static long replay_worker = -1;
static uint32_t replay_calls;

static const void* elf;
static unsigned long elf_size;
static long parent_ro = -1, bait = -1;

static int passed, failed;

/* "[PASS] fuzz.x" / failure lines. The failure tag is put together at run
 * time: a worker printing from this program's read-only data must not be
 * able to produce a line the harness takes for a failure. */
static void report(const char* name, int ok, const char* why) {
  if (ok) {
    passed++;
    printf("[PASS] fuzz.%s\n", name);
  } else {
    failed++;
    printf("[%s] fuzz.%s: %s\n", "FAIL", name, why);
  }
  fflush(stdout);
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ul + (uint64_t)t.tv_nsec;
}

static void sleep_ms(unsigned ms) {
  struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000l};
  nanosleep(&t, 0);
}

/* Free memory once the kernel has finished freeing what was in flight
 * (an exited process is freed just after its waiter wakes, and victims of
 * a dead worker end a little later): the value that stays the same for 10
 * reads 2 ms apart, or the last one after 4 s. */
static long settled_free_mem(void) {
  long m = chcore_sys_get_free_mem();
  for (int stable = 0, i = 0; stable < 10 && i < 2000; i++) {
    sleep_ms(2);
    long now = chcore_sys_get_free_mem();
    stable = now == m ? stable + 1 : 0;
    m = now;
  }
  return m;
}

/* ---- Lanes: a worker slot with its shared page ---------------------------------- */
struct lane {
  struct fz_shared* sh; /* the supervisor's view of the shared page */
  long pmo;             /* its PMO */
  long cg;              /* the running worker's process, -1: none */
  uint32_t worker;
  uint32_t last_calls, last_calls2;
  uint64_t last_progress, last_progress2;
  int hung;        /* the watchdog found it stuck in a call, and ended it */
  int exited;      /* the watchdog found it exited (not waited for yet) */
  int hung_second; /* ... and it was the second thread that was stuck */
  struct fz_rec hung_rec;
};
static struct lane lanes[MAX_PARALLEL];
static pthread_mutex_t lane_lock = PTHREAD_MUTEX_INITIALIZER;
/* The lane whose worker the main thread waits for, and since when. */
static int waiting_lane = -1;
static uint64_t waiting_since;

static void ring_print(const struct fz_shared* sh, const char* prefix, unsigned last) {
  uint32_t n = sh->calls;
  uint32_t first = n > last ? n - last : 0;
  for (uint32_t i = first; i < n; i++) {
    const struct fz_rec* rec = &sh->ring[i % FZ_RING_LEN];
    if (rec->index != i) continue;
    char line[256];
    fz_format_rec(line, sizeof(line), rec, 1);
    printf("%s%s\n", prefix, line);
  }
}

static const struct fz_rec* last_rec2(const struct fz_shared* sh) {
  uint32_t n = sh->calls2;
  if (n == 0) return 0;
  const struct fz_rec* rec = &sh->ring2[(n - 1) % FZ_RING2_LEN];
  return rec->index == n - 1 ? rec : 0;
}

static void ring2_print(const struct fz_shared* sh, const char* prefix, unsigned last) {
  uint32_t n = sh->calls2;
  uint32_t first = n > last ? n - last : 0;
  for (uint32_t i = first; i < n; i++) {
    const struct fz_rec* rec = &sh->ring2[i % FZ_RING2_LEN];
    if (rec->index != i) continue;
    char line[256];
    fz_format_rec(line, sizeof(line), rec, 1);
    printf("%s(second thread) %s\n", prefix, line);
  }
}

static const struct fz_rec* last_rec(const struct fz_shared* sh) {
  uint32_t n = sh->calls;
  if (n == 0) return 0;
  const struct fz_rec* rec = &sh->ring[(n - 1) % FZ_RING_LEN];
  return rec->index == n - 1 ? rec : 0;
}

static long start_worker(struct lane* ln, uint32_t w, uint32_t limit, int verb) {
  struct fz_shared* sh = ln->sh;
  memset(sh, 0, FZ_SHARED_SIZE);
  sh->magic = FZ_MAGIC;
  sh->seed = seed;
  sh->worker = w;
  sh->limit = limit;
  sh->verbose = (uint32_t)verb;
  struct chcore_launch l;
  long r = chcore_launch_load(&l, elf, elf_size, "fuzz-worker");
  if (r < 0) return r;
  r = chcore_sys_map_pmo((unsigned long)l.cg, (unsigned long)ln->pmo, FZ_RING_VA,
                         CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  long pc =
      r < 0 ? r : chcore_launch_transfer(&l, parent_ro, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  long bt = pc < 0 ? pc : chcore_launch_transfer(&l, bait, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  if (bt < 0) {
    chcore_launch_abort(&l);
    return bt;
  }
  char a_seed[24], a_w[16], a_lim[16], a_pc[16], a_bt[16], a_v[4];
  snprintf(a_seed, sizeof(a_seed), "%lu", (unsigned long)seed);
  snprintf(a_w, sizeof(a_w), "%u", w);
  snprintf(a_lim, sizeof(a_lim), "%u", limit);
  snprintf(a_pc, sizeof(a_pc), "%ld", pc);
  snprintf(a_bt, sizeof(a_bt), "%ld", bt);
  snprintf(a_v, sizeof(a_v), "%d",
           (verb ? FZ_FLAG_VERBOSE : 0) | (all_bugs ? FZ_FLAG_ALL : 0) |
               (two_threads ? FZ_FLAG_THREADS : 0));
  const char* argv[] = {"fuzz-worker", "--worker", a_seed, a_w, a_lim, a_pc, a_bt, a_v, 0};
  pthread_mutex_lock(&lane_lock);
  ln->worker = w;
  ln->last_calls = ln->last_calls2 = 0;
  ln->last_progress = ln->last_progress2 = now_ns();
  ln->hung = ln->exited = ln->hung_second = 0;
  r = chcore_launch_start(&l, argv, 0);
  ln->cg = r;
  pthread_mutex_unlock(&lane_lock);
  if (log_workers) {
    printf("fuzz: worker %u starts (%u calls)\n", w, limit);
    fflush(stdout);
  }
  return r;
}

static long wait_worker_quiet(struct lane* ln);

/* Waits for the lane's worker; returns its wait status (uapi/object.h). */
static long wait_worker(struct lane* ln) {
  long status = wait_worker_quiet(ln);
  if (log_workers) {
    printf("fuzz: worker %u ends after %u calls (status %#lx)\n", ln->worker, ln->sh->calls,
           status);
    fflush(stdout);
  }
  return status;
}

static long wait_worker_quiet(struct lane* ln) {
  pthread_mutex_lock(&lane_lock);
  waiting_lane = (int)(ln - lanes);
  waiting_since = now_ns();
  pthread_mutex_unlock(&lane_lock);
  long status = chcore_sys_wait_cap_group((unsigned long)ln->cg);
  pthread_mutex_lock(&lane_lock);
  waiting_lane = -1;
  chcore_cap_release(ln->cg);
  ln->cg = -1;
  pthread_mutex_unlock(&lane_lock);
  return status;
}

static void lost_wakeup(struct lane* ln);

/* The watchdog: ends workers that make no progress (see the top). A
 * worker that stands still may also have exited and just not been waited
 * for yet: the thread it starts in the worker tells (create_thread fails
 * for a process that has exited). */
static void* watchdog(void* arg) {
  (void)arg;
  chcore_sys_set_priority(CHCORE_THREAD_SELF, CHCORE_PRIO_MAX);
  for (;;) {
    sleep_ms(100);
    /* The time is read under the lock: read before it, it could be older
     * than the last_progress a worker's start sets meanwhile, and
     * now - last_progress would wrap around to "stuck for ages" (a worker
     * killed with 0 calls a few seconds into a run). */
    pthread_mutex_lock(&lane_lock);
    uint64_t now = now_ns();
    for (unsigned i = 0; i < parallel; i++) {
      struct lane* ln = &lanes[i];
      if (ln->cg < 0 || ln->hung) continue;
      uint32_t c = __atomic_load_n(&ln->sh->calls, __ATOMIC_ACQUIRE);
      uint32_t c2 = __atomic_load_n(&ln->sh->calls2, __ATOMIC_ACQUIRE);
      if (c != ln->last_calls) {
        ln->last_calls = c;
        ln->last_progress = now;
      }
      if (c2 != ln->last_calls2) {
        ln->last_calls2 = c2;
        ln->last_progress2 = now;
      }
      /* Either thread standing still (the second one only while the main
       * one runs: it stops when the main one is done). */
      uint64_t stall = FZ_STALL_SECONDS * 1000000000ul;
      int stuck = now - ln->last_progress >= stall ||
                  (ln->sh->threads == 2 && ln->sh->state == FZ_STATE_RUNNING &&
                   now - ln->last_progress2 >= stall);
      if (!stuck) continue;
      if (!ln->exited) {
        uint32_t state = ln->sh->state;
        ln->sh->state = FZ_STATE_KILLED;
        long t = chcore_sys_create_thread((unsigned long)ln->cg, (unsigned long)fz_kill_entry, 0,
                                          KILL_CODE, 0, 0);
        if (t >= 0) {
          chcore_cap_release(t);
          ln->hung = 1; /* its waiter reports it */
          ln->hung_second = now - ln->last_progress < stall;
          const struct fz_rec* rec = ln->hung_second ? last_rec2(ln->sh) : last_rec(ln->sh);
          if (rec) ln->hung_rec = *rec;
          continue;
        }
        ln->sh->state = state;
        ln->exited = 1; /* gone already: waits in line */
        ln->last_progress = ln->last_progress2 = now;
        continue;
      }
      /* It has exited long ago, and the main thread still waits for it. */
      if (waiting_lane == (int)i && now - waiting_since >= FZ_STALL_SECONDS * 1000000000ul)
        lost_wakeup(ln);
    }
    pthread_mutex_unlock(&lane_lock);
  }
  return 0;
}

/* ---- Statistics ---------------------------------------------------------------- */
static unsigned long total_calls, workers_run, deaths, self_ended;
static unsigned long native_total[CHCORE_NR_SYSCALLS], linux_total[512];
/* Deaths by the call after which they happened. */
struct death_cause {
  uint16_t kind, nr;
  unsigned long count;
};
static struct death_cause causes[32];
static unsigned ncauses;

static void count_death(const struct fz_rec* rec) {
  uint16_t kind = rec ? rec->kind : 0, nr = rec ? rec->nr : 0;
  for (unsigned i = 0; i < ncauses; i++)
    if (causes[i].kind == kind && causes[i].nr == nr) {
      causes[i].count++;
      return;
    }
  if (ncauses < 32) causes[ncauses++] = (struct death_cause){kind, nr, 1};
}

/* How a worker ended, as one word, and whether that is a failure. */
enum outcome { OUT_DONE, OUT_SELF_ENDED, OUT_KILLED_BY_FAULT, OUT_HUNG, OUT_BROKEN };

static enum outcome judge(struct lane* ln, long status) {
  struct fz_shared* sh = ln->sh;
  if (ln->hung) return OUT_HUNG;
  if (status < 0) return OUT_BROKEN;
  if (CHCORE_WIFEXITED(status)) {
    int code = CHCORE_WEXITSTATUS(status);
    if (code == 0 && sh->state == FZ_STATE_DONE) return OUT_DONE;
    if (code == 120 || code == 121 || sh->state == FZ_STATE_STARTING) return OUT_BROKEN;
    return OUT_SELF_ENDED; /* exit_group, thread_exit, a signal's default action */
  }
  return OUT_KILLED_BY_FAULT;
}

/* Accounts a finished worker; returns 0 on a failure (reported). */
static int finish(struct lane* ln, long status) {
  struct fz_shared* sh = ln->sh;
  enum outcome o = judge(ln, status);
  workers_run++;
  total_calls += sh->calls + sh->calls2;
  for (int i = 0; i < CHCORE_NR_SYSCALLS; i++) native_total[i] += sh->native_count[i];
  for (int i = 0; i < 512; i++) linux_total[i] += sh->linux_count[i];
  const struct fz_rec* rec = last_rec(sh);
  if (verbose || o == OUT_KILLED_BY_FAULT || o == OUT_SELF_ENDED) {
    if (o != OUT_DONE && o != OUT_HUNG && o != OUT_BROKEN) {
      deaths += o == OUT_KILLED_BY_FAULT;
      self_ended += o == OUT_SELF_ENDED;
      count_death(rec);
    }
    if (verbose) {
      char line[256] = "";
      if (rec) fz_format_rec(line, sizeof(line), rec, 1);
      printf("fuzz: worker %u: %s after %u calls (status %#lx)%s%s\n", ln->worker,
             o == OUT_DONE              ? "done"
             : o == OUT_SELF_ENDED      ? "ended itself"
             : o == OUT_KILLED_BY_FAULT ? "killed by a fault"
                                        : "failed",
             sh->calls, status, rec && o != OUT_DONE ? "; last " : "", o != OUT_DONE ? line : "");
    }
  }
  char why[512];
  if (o == OUT_HUNG) {
    char line[256];
    fz_format_rec(line, sizeof(line), &ln->hung_rec, 1);
    snprintf(why, sizeof(why),
             "worker %u made no progress for %d s; %sstuck in %s; reproduce: ./chbuild fuzz "
             "--seed %lu --replay %u:%u%s%s",
             ln->worker, FZ_STALL_SECONDS, ln->hung_second ? "its second thread is " : "", line,
             (unsigned long)seed, ln->worker, ln->hung_second ? sh->calls : ln->hung_rec.index + 1,
             all_bugs ? " --all" : "", two_threads ? " --threads 2" : "");
    printf("fuzz: worker %u: state %u, start-up step %u, %u calls, %u by the second thread\n",
           ln->worker, sh->state, sh->boot, sh->calls, sh->calls2);
    printf("fuzz: the last calls of worker %u:\n", ln->worker);
    ring_print(sh, "fuzz:   ", 8);
    if (sh->threads == 2) ring2_print(sh, "fuzz:   ", 8);
    report("no_hang", 0, why);
    return 0;
  }
  if (o == OUT_BROKEN) {
    snprintf(why, sizeof(why), "worker %u could not run (status %#lx, state %u)", ln->worker,
             status, sh->state);
    ring_print(sh, "fuzz:   ", 8);
    report("workers_run", 0, why);
    return 0;
  }
  return 1;
}

/* ---- Finding the call that loses memory ------------------------------------------- */
/* Runs worker w alone for `limit` calls; returns the free memory it lost
 * (settled before and after), or -1 if it could not run. */
static long lost_by(uint32_t w, uint32_t limit, struct fz_rec* last) {
  struct lane* ln = &lanes[0];
  long before = settled_free_mem();
  if (start_worker(ln, w, limit, 0) < 0) return -1;
  wait_worker(ln);
  if (last) {
    const struct fz_rec* rec = last_rec(ln->sh);
    if (rec) *last = *rec;
  }
  long after = settled_free_mem();
  return before - after;
}

static void find_leak(const uint32_t* ws, unsigned n, uint32_t limit, long lost) {
  char why[512];
  for (unsigned i = 0; i < n; i++) {
    long l = lost_by(ws[i], limit, 0);
    printf("fuzz: worker %u alone, %u calls: %ld bytes lost\n", ws[i], limit, l);
    if (l <= 0) continue;
    /* Binary search: the fewest calls that lose memory. */
    uint32_t lo = 0, hi = limit; /* lo calls lose nothing (assumed for 0), hi calls do */
    while (hi - lo > 1) {
      uint32_t mid = lo + (hi - lo) / 2;
      long m = lost_by(ws[i], mid, 0);
      if (verbose) printf("fuzz:   %u calls: %ld bytes lost\n", mid, m);
      if (m > 0)
        hi = mid;
      else
        lo = mid;
    }
    /* Timing makes a run lose memory or not near the boundary: make sure
     * one call fewer really loses nothing (twice), or step back. */
    for (int back = 0; back < 8 && hi > 1; back++) {
      if (lost_by(ws[i], hi - 1, 0) <= 0 && lost_by(ws[i], hi - 1, 0) <= 0) break;
      hi--;
    }
    struct fz_rec rec;
    memset(&rec, 0, sizeof(rec));
    long m = lost_by(ws[i], hi, &rec);
    char line[256];
    fz_format_rec(line, sizeof(line), &rec, 1);
    printf("fuzz: the calls of worker %u before memory is lost:\n", ws[i]);
    ring_print(lanes[0].sh, "fuzz:   ", 8);
    snprintf(
        why, sizeof(why),
        "%ld bytes lost; worker %u loses %ld bytes once it has made its call %u: %s; reproduce: "
        "./chbuild fuzz --seed %lu --replay %u:%u%s%s",
        lost, ws[i], m, hi - 1, line, (unsigned long)seed, ws[i], hi, all_bugs ? " --all" : "",
        two_threads ? " --threads 2" : "");
    report("free_memory_unchanged", 0, why);
    return;
  }
  snprintf(why, sizeof(why),
           "%ld bytes lost in a round of %u workers (first %u, seed %lu), but no worker loses "
           "memory alone",
           lost, n, ws[0], (unsigned long)seed);
  report("free_memory_unchanged", 0, why);
}

/* ---- Runs ----------------------------------------------------------------------- */
static uint64_t run_start;

static void summary(void) {
  printf("fuzz: %lu calls by %lu workers in %lu s; %lu killed by faults, %lu ended themselves\n",
         total_calls, workers_run, (unsigned long)((now_ns() - run_start) / 1000000000ul), deaths,
         self_ended);
  if (ncauses > 0) {
    printf("fuzz: the call before each early end:");
    for (unsigned i = 0; i < ncauses; i++)
      printf(" %s %s x%lu", causes[i].kind == FZ_LINUX ? "linux" : "native",
             causes[i].kind ? fz_call_name(causes[i].kind, causes[i].nr) : "(none)",
             causes[i].count);
    printf("\n");
  }
  printf("%d passed, %d failed\n", passed, failed);
  fflush(stdout);
}

/* From the watchdog: the main thread is stuck in wait_cap_group for a
 * worker that has exited. Nothing will wake it; report and end. */
static void lost_wakeup(struct lane* ln) {
  char why[256];
  snprintf(why, sizeof(why),
           "worker %u exited more than %d s ago, but wait_cap_group for it has not returned "
           "(seed %lu)",
           ln->worker, FZ_STALL_SECONDS, (unsigned long)seed);
  report("no_hang", 0, why);
  summary();
  exit(1);
}

static void setup(const char* self_path) {
  if (chcore_ramdisk_find(self_path, &elf, &elf_size) < 0 &&
      chcore_ramdisk_find("/tests/fuzz", &elf, &elf_size) < 0) {
    printf("fuzz: cannot find my own program in the ramdisk\n");
    exit(2);
  }
  for (unsigned i = 0; i < MAX_PARALLEL; i++) {
    unsigned long va;
    lanes[i].pmo =
        chcore_map_anon(FZ_SHARED_SIZE, CHCORE_PMO_DATA, CHCORE_PROT_READ | CHCORE_PROT_WRITE, &va);
    if (lanes[i].pmo < 0) {
      printf("fuzz: cannot map the shared pages: %ld\n", lanes[i].pmo);
      exit(2);
    }
    lanes[i].sh = (struct fz_shared*)va;
    lanes[i].cg = -1;
  }
  /* What each worker gets from here: a capability to this process without
   * CONTROL (a foreign process it can name but not change) and a
   * read-only PMO. */
  parent_ro = chcore_sys_cap_copy(CHCORE_SLOT_SELF, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  bait = chcore_sys_create_pmo(FZ_PAGE, CHCORE_PMO_DATA);
  static const char text[] = "bait: a page the supervisor lends every worker, read-only";
  if (parent_ro < 0 || bait < 0 ||
      chcore_sys_write_pmo((unsigned long)bait, 0, (unsigned long)text, sizeof(text)) < 0) {
    printf("fuzz: setup failed (%ld, %ld)\n", parent_ro, bait);
    exit(2);
  }
  chcore_sys_set_priority(CHCORE_THREAD_SELF, CHCORE_PRIO_MAX);
  pthread_t t;
  if (pthread_create(&t, 0, watchdog, 0) != 0) {
    printf("fuzz: no watchdog thread\n");
    exit(2);
  }
}

/* Memory this process and the kernel take once and keep: this process's
 * stack pages as its calls go deeper, its capability table growing to the
 * size it keeps, the kernel's caches. A round of workers that do not
 * count (their indices are far from the real ones) before the first
 * measurement, so that only what is really lost is counted. */
#define WARM_UP_WORKER 0x80000000u

static void prefault_stack(void) {
  volatile char deep[48 * 1024];
  for (unsigned long i = 0; i < sizeof(deep); i += 512) deep[i] = 0;
}

static int warm_up(void) {
  prefault_stack();
  unsigned n = parallel;
  for (unsigned k = 0; k < n; k++)
    if (start_worker(&lanes[k], WARM_UP_WORKER + k, per_worker < 500 ? per_worker : 500, 0) < 0)
      n = k;
  int ok = 1;
  for (unsigned k = 0; k < n; k++) {
    long status = wait_worker(&lanes[k]);
    if (judge(&lanes[k], status) == OUT_HUNG) ok &= finish(&lanes[k], status);
  }
  return ok;
}

static int replay(void) {
  printf("fuzz: replaying worker %ld of seed %lu: its first %u calls\n", replay_worker,
         (unsigned long)seed, replay_calls);
  fflush(stdout);
  run_start = now_ns();
  if (!warm_up()) return 1;
  long before = settled_free_mem();
  struct lane* ln = &lanes[0];
  long r = start_worker(ln, (uint32_t)replay_worker, replay_calls, 1);
  if (r < 0) {
    printf("fuzz: cannot start the worker: %ld\n", r);
    return 2;
  }
  long status = wait_worker(ln);
  int ok = finish(ln, status);
  enum outcome o = judge(ln, status);
  printf("fuzz: worker %ld %s after %u calls\n", replay_worker,
         o == OUT_DONE              ? "finished"
         : o == OUT_SELF_ENDED      ? "ended itself"
         : o == OUT_KILLED_BY_FAULT ? "was killed by a fault"
                                    : "failed",
         ln->sh->calls);
  if (o == OUT_KILLED_BY_FAULT || o == OUT_SELF_ENDED) ring_print(ln->sh, "fuzz:   ", 4);
  long after = settled_free_mem();
  char why[128];
  snprintf(why, sizeof(why), "%ld bytes lost (free %ld before, %ld after)", before - after, before,
           after);
  if (ok) report("no_hang", 1, "");
  report("free_memory_unchanged", before == after, why);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

static int budget_left(uint64_t start) {
  if (budget_seconds) return now_ns() - start < budget_seconds * 1000000000ul;
  return total_calls < budget_calls;
}

/* Runs workers ws[0..n) at once for `limit` calls each: 1 when all ended
 * as they may, 0 after a hang (reported), -1 when one could not start
 * (reported). */
static int run_round(const uint32_t* ws, unsigned n, uint32_t limit) {
  for (unsigned k = 0; k < n; k++) {
    /* The other workers may hold most of the memory for a moment. */
    long r = start_worker(&lanes[k], ws[k], limit, verbose > 1);
    for (int tries = 0; r == -CHCORE_ENOMEM && tries < 50; tries++) {
      sleep_ms(20);
      r = start_worker(&lanes[k], ws[k], limit, verbose > 1);
    }
    if (r < 0) {
      char why[128];
      snprintf(why, sizeof(why), "cannot start worker %u: -%s", ws[k],
               r > -4096 && chcore_errno_name(-r) ? chcore_errno_name(-r) : "?");
      report("workers_run", 0, why);
      for (unsigned j = 0; j < k; j++) wait_worker(&lanes[j]);
      return -1;
    }
  }
  int ok = 1;
  for (unsigned k = 0; k < n; k++) {
    long status = wait_worker(&lanes[k]);
    ok &= finish(&lanes[k], status);
  }
  return ok;
}

static int run(void) {
  printf("fuzz: seed %lu, %s %lu, %u calls per worker, %u workers at a time\n", (unsigned long)seed,
         budget_seconds ? "seconds" : "calls", budget_seconds ? budget_seconds : budget_calls,
         per_worker, parallel);
  fflush(stdout);
  uint64_t start = run_start = now_ns();
  if (!warm_up()) {
    summary();
    return 1;
  }
  long baseline = settled_free_mem();
  uint32_t next = 0;
  unsigned round = 0;
  uint64_t last_note = start;
  while (budget_left(start)) {
    uint32_t ws[MAX_PARALLEL];
    unsigned n = parallel;
    for (unsigned k = 0; k < n; k++) ws[k] = next++;
    int r = run_round(ws, n, per_worker);
    if (r <= 0) goto out;
    long now = settled_free_mem();
    for (int wait = 0; wait < 10 && now != baseline; wait++) {
      /* A process of a dead worker may still be ending (a victim at a low
       * priority, behind busy threads): lost memory has to stay lost. */
      sleep_ms(300);
      now = settled_free_mem();
    }
    if (now < baseline) {
      /* The same round once more: memory that the repeat does not take
       * again is a pool that grew to a new peak (a server keeps a handler
       * stack per connection it ever had at once, for reuse), not a leak;
       * the baseline moves down to it. A leak takes more again. */
      if (run_round(ws, n, per_worker) <= 0) goto out;
      long again = settled_free_mem();
      for (int wait = 0; wait < 10 && again != now; wait++) {
        sleep_ms(300);
        again = settled_free_mem();
      }
      if (again == now) {
        printf("fuzz: round %u (workers %u-%u) kept %ld bytes that its repeat did not take "
               "again: a pool at a new peak, not a leak\n",
               round, ws[0], ws[n - 1], baseline - now);
        baseline = now;
      }
    }
    if (now != baseline) {
      printf("fuzz: round %u (workers %u-%u): free memory %ld, was %ld\n", round, ws[0], ws[n - 1],
             now, baseline);
      find_leak(ws, n, per_worker, baseline - now);
      goto out;
    }
    round++;
    uint64_t t = now_ns();
    if (verbose || t - last_note > 10000000000ul) {
      printf(
          "fuzz: %lu calls by %lu workers in %lu s (%lu killed by faults, %lu ended "
          "themselves); free memory %ld\n",
          total_calls, workers_run, (unsigned long)((t - start) / 1000000000ul), deaths, self_ended,
          now);
      fflush(stdout);
      last_note = t;
    }
  }
  report("no_hang", 1, "");
  report("workers_run", 1, "");
  {
    char why[160];
    long end = settled_free_mem();
    snprintf(why, sizeof(why), "free memory %ld at the end, %ld at the start", end, baseline);
    report("free_memory_unchanged", end == baseline, why);
  }
  if (!budget_seconds && budget_calls >= 10000) {
    /* Every system call was made: the kernel's (but the test hooks) and
     * every Linux call of the C library's table. */
    char why[256] = "";
    unsigned long nlen = 0;
#define CHECK_NATIVE(nr, name, nargs, types)                                               \
  if (native_total[nr] == 0 && strncmp(#name, "test_", 5) != 0 && nlen < sizeof(why) - 40) \
    nlen += (unsigned long)snprintf(why + nlen, sizeof(why) - nlen, " %s", #name);
    CHCORE_SYSCALLS(CHECK_NATIVE)
#undef CHECK_NATIVE
#define CHECK_LINUX(name, status, nargs, note)                 \
  if (linux_total[SYS_##name] == 0 && nlen < sizeof(why) - 40) \
    nlen += (unsigned long)snprintf(why + nlen, sizeof(why) - nlen, " linux %s", #name);
    CHCORE_SYSCALL_TABLE(CHECK_LINUX)
#undef CHECK_LINUX
    char msg[300];
    snprintf(msg, sizeof(msg), "never made:%s", why);
    report("every_call_made", nlen == 0, msg);
  }
out:
  summary();
  return failed == 0 && passed > 0 ? 0 : 1;
}

static unsigned long number(const char* s, const char* what) {
  char* end;
  unsigned long v = strtoul(s, &end, 0);
  if (*s == '\0' || *end != '\0') {
    printf("fuzz: %s: not a number: '%s'\n", what, s);
    exit(2);
  }
  return v;
}

int main(int argc, char** argv) {
  if (argc == 8 && strcmp(argv[1], "--worker") == 0) {
    return fz_worker_main(number(argv[2], "seed"), (uint32_t)number(argv[3], "worker"),
                          (uint32_t)number(argv[4], "limit"), (long)number(argv[5], "slot"),
                          (long)number(argv[6], "slot"), (int)number(argv[7], "flags"));
  }
  for (int i = 1; i < argc; i++) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : 0;
    if (strcmp(a, "--verbose") == 0) {
      verbose++;
      continue;
    }
    if (strcmp(a, "--all") == 0) {
      all_bugs = 1;
      continue;
    }
    if (strcmp(a, "--log-workers") == 0) {
      log_workers = 1;
      continue;
    }
    if (v == 0) {
      printf(
          "usage: fuzz [--seed S] [--calls N | --seconds T] [--per-worker K] [--parallel P] "
          "[--threads 1|2] [--replay W:C] [--all] [--log-workers] [--verbose]\n");
      return 2;
    }
    i++;
    if (strcmp(a, "--seed") == 0) {
      seed = number(v, a);
    } else if (strcmp(a, "--calls") == 0) {
      budget_calls = number(v, a);
    } else if (strcmp(a, "--seconds") == 0) {
      budget_seconds = number(v, a);
    } else if (strcmp(a, "--per-worker") == 0) {
      per_worker = (uint32_t)number(v, a);
    } else if (strcmp(a, "--parallel") == 0) {
      parallel = (unsigned)number(v, a);
      if (parallel < 1 || parallel > MAX_PARALLEL) {
        printf("fuzz: --parallel 1..%d\n", MAX_PARALLEL);
        return 2;
      }
    } else if (strcmp(a, "--threads") == 0) {
      unsigned long t = number(v, a);
      if (t < 1 || t > 2) {
        printf("fuzz: --threads 1 or 2\n");
        return 2;
      }
      two_threads = t == 2;
    } else if (strcmp(a, "--replay") == 0) {
      char* colon = strchr(v, ':');
      if (colon == 0) {
        printf("fuzz: --replay W:C (worker W, its first C calls)\n");
        return 2;
      }
      *colon = '\0';
      replay_worker = (long)number(v, a);
      replay_calls = (uint32_t)number(colon + 1, a);
    } else {
      printf("fuzz: unknown option %s\n", a);
      return 2;
    }
  }
  /* The first printf allocates stdout's buffer: before any measurement. */
  printf("fuzz: system-call fuzzer\n");
  fflush(stdout);
  setup(argv[0]);
  return replay_worker >= 0 ? replay() : run();
}
