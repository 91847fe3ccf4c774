/* ipc.notify*: notifications, interrupt lines and device memory
 * (docs/notifications.md). One section per run, chosen by argv[1]:
 *
 *   counting     N signals let exactly N waits through, whether they come
 *                before the waits or while a thread waits; the N+1th times
 *                out; a signal handed to a waiter is not counted as well.
 *   timeout      relative and absolute timeouts: -ETIMEDOUT, never early;
 *                a timed-out waiter does not take a later signal.
 *   cross_cpu    a waiter on CPU 1 without timeout, woken from CPU 0; a
 *                ping-pong between two CPUs; a woken thread of higher
 *                priority on the signaller's CPU runs before signal returns.
 *   many         one waiter per CPU, all woken by as many signals; fewer
 *                signals than waiters wake exactly that many.
 *   destroy      revoking the last capability wakes a waiter with -EIDRM.
 *   exit         a process that exits while one of its threads waits: the
 *                waiter is gone, and the next signal is counted.
 *   race         producers and consumers on all CPUs at once: every signal
 *                is taken exactly once.
 *   irq_race     the test line raised on one CPU while another takes,
 *                binds, acknowledges and releases it and a third waits:
 *                no unhandled interrupt, no lost memory.
 *   bad_args     bad slots, wrong types, missing rights, bad flags, bad
 *                lines, bad physical ranges: errors, never a crash.
 *   irq          the board's test interrupt line (test_irq) bound to a
 *                notification: one interrupt is one signal, the line stays
 *                masked until irq_ack, comes again after it while asserted,
 *                and stays quiet once lowered; a waiter on another CPU is
 *                woken by it; unbinding and releasing the line.
 *   device BOARD map the console UART's page as a Device PMO and read its
 *                PrimeCell ID; RAM, the kernel image and ranges running
 *                into RAM are refused. BOARD is virt or raspi3.
 *   leaks BOARD  get_free_mem is unchanged after many cycles of everything
 *                above.
 *
 * Tests never assert on time except that a timeout is not early. Where a
 * waiter must be blocked before the test goes on, it runs on CPU 0 at a
 * higher priority than the main thread (also on CPU 0): the main thread
 * runs again only once the waiter has blocked. */
#define UT_SUITE "notify"
#include <chcore/launch.h>
#include <chcore/thread.h>
#include <stdlib.h>

#include "utest.h"
#include "uthread.h"

#define CTL chcore_irq_control_slot()
#define PAGE 4096ul
#define MS 1000000ul
/* For waits that must end because of an event: generous, so that a lost
 * event fails the test rather than hanging it. */
#define LONG_NS (20000ul * MS)
/* For waits that must time out: long enough for an event that is wrongly
 * on its way to arrive. */
#define SHORT_NS (30ul * MS)

static long nsignal(long n) { return chcore_sys_notify_signal((unsigned long)n); }
static long nwait(long n) { return chcore_sys_notify_wait((unsigned long)n, 0, 0); }
static long npoll(long n) {
  return chcore_sys_notify_wait((unsigned long)n, CHCORE_NOTIFY_POLL, 0);
}
static long nwait_for(long n, unsigned long ns) {
  return chcore_sys_notify_wait((unsigned long)n, CHCORE_NOTIFY_TIMEOUT, ns);
}
static long nwait_until(long n, unsigned long at) {
  return chcore_sys_notify_wait((unsigned long)n, CHCORE_NOTIFY_DEADLINE, at);
}
static void drop(long slot) { chcore_cap_release(slot); }

static int ncpus(void) { return __builtin_popcountl((unsigned long)chcore_sys_online_cpus()); }

/* Makes the calling thread the one that runs on CPU 0 whenever it can (see
 * above). */
static void high_on_cpu0(void) {
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  chcore_sys_set_priority(CHCORE_THREAD_SELF, 20);
}

/* A waiter thread: signals `ready` (if any), then waits on `n` with
 * `flags`/`ns` `rounds` times, counting the waits that returned 0. */
struct waiter {
  long n, ready;
  unsigned long flags, ns;
  int rounds, cpu, high;
  volatile long last, ok;
  volatile int ran_on;
};

static void waiter_main(void* p) {
  struct waiter* w = (struct waiter*)p;
  if (w->high)
    high_on_cpu0();
  else if (w->cpu >= 0)
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)w->cpu);
  if (w->ready >= 0) nsignal(w->ready);
  for (int i = 0; i < w->rounds; i++) {
    long r = chcore_sys_notify_wait((unsigned long)w->n, w->flags, w->ns);
    w->ran_on = (int)chcore_sys_get_cpu();
    w->last = r;
    if (r == 0) w->ok++;
  }
}

static void waiter_init(struct waiter* w, long n, long ready, int rounds) {
  memset(w, 0, sizeof(*w));
  w->n = n;
  w->ready = ready;
  w->rounds = rounds;
  w->cpu = -1;
  w->last = 1;
}

/* ---- counting ---------------------------------------------------------------- */

static void test_counting(void) {
  long n = UT_OK("counting.create", chcore_sys_notify_create());
  if (n < 0) return;
  long info = chcore_sys_cap_info((unsigned long)n);
  UT_EQ("counting.type", CHCORE_CAP_INFO_TYPE(info), CHCORE_OBJ_NOTIFICATION);
  UT_EQ("counting.all_rights", CHCORE_CAP_INFO_RIGHTS(info), CHCORE_RIGHTS_ALL);
  UT_ERR("counting.new_is_empty", npoll(n), CHCORE_EAGAIN);

  enum { N = 5 };
  int sig_ok = 0, wait_ok = 0;
  for (int i = 0; i < N; i++) sig_ok += nsignal(n) == 0;
  UT_EQ("counting.signals", sig_ok, N);
  for (int i = 0; i < N; i++) wait_ok += npoll(n) == 0;
  UT_EQ("counting.n_signals_n_waits", wait_ok, N);
  UT_ERR("counting.n_plus_first_poll", npoll(n), CHCORE_EAGAIN);
  UT_ERR("counting.n_plus_first_wait_times_out", nwait_for(n, SHORT_NS), CHCORE_ETIMEDOUT);

  /* A blocking wait with a signal pending returns at once. */
  nsignal(n);
  UT_EQ("counting.wait_takes_pending", nwait(n), 0);
  /* Interleaved: 3 signals, 2 waits, 1 signal, 2 waits leave nothing. */
  nsignal(n), nsignal(n), nsignal(n);
  long a = nwait(n), b = nwait(n);
  nsignal(n);
  long c = nwait(n), d = npoll(n);
  UT_TRUE("counting.interleaved", a == 0 && b == 0 && c == 0 && d == 0);
  UT_ERR("counting.interleaved_empty", npoll(n), CHCORE_EAGAIN);

  /* A thread blocked in wait, K rounds, each signalled by the main thread
   * once the waiter is blocked (it outranks us on CPU 0). Signals handed to
   * the waiter are not counted too. */
  enum { K = 50 };
  long ready = chcore_sys_notify_create();
  struct waiter w;
  waiter_init(&w, n, ready, K);
  w.high = 1;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  struct ut_thread t;
  if (UT_EQ("counting.thread", ut_thread_start(&t, waiter_main, &w), 0)) {
    nwait(ready); /* the waiter is blocked on n now */
    for (int i = 0; i < K; i++) {
      nsignal(n);
      /* The waiter ran (it outranks us) and is blocked again, or done. */
    }
    ut_thread_join(&t);
    UT_EQ("counting.blocked_waiter_got_every_signal", w.ok, K);
    UT_ERR("counting.handed_over_not_counted", npoll(n), CHCORE_EAGAIN);
  }
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  drop(ready);
  drop(n);
}

/* ---- timeout ------------------------------------------------------------------- */

static void test_timeout(void) {
  long n = chcore_sys_notify_create();
  unsigned long t0 = ut_now_ns();
  UT_ERR("timeout.relative", nwait_for(n, 20 * MS), CHCORE_ETIMEDOUT);
  UT_TRUE("timeout.relative_not_early", ut_now_ns() - t0 >= 20 * MS);

  UT_ERR("timeout.zero_is_a_poll", nwait_for(n, 0), CHCORE_ETIMEDOUT);
  nsignal(n);
  UT_EQ("timeout.zero_takes_pending", nwait_for(n, 0), 0);

  UT_ERR("timeout.deadline_past", nwait_until(n, 0), CHCORE_ETIMEDOUT);
  nsignal(n);
  UT_EQ("timeout.deadline_past_takes_pending", nwait_until(n, 0), 0);
  unsigned long at = ut_now_ns() + 20 * MS;
  UT_ERR("timeout.deadline", nwait_until(n, at), CHCORE_ETIMEDOUT);
  UT_TRUE("timeout.deadline_not_early", ut_now_ns() >= at);

  /* A signal after a timed-out wait is counted, not given to the waiter
   * that is gone. */
  nsignal(n);
  UT_EQ("timeout.later_signal_counted", npoll(n), 0);

  /* A waiter with a long timeout is woken by a signal (it is blocked: it
   * outranks us on CPU 0). */
  long ready = chcore_sys_notify_create();
  struct waiter w;
  waiter_init(&w, n, ready, 1);
  w.high = 1;
  w.flags = CHCORE_NOTIFY_TIMEOUT;
  w.ns = LONG_NS;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  struct ut_thread t;
  if (ut_thread_start(&t, waiter_main, &w) == 0) {
    nwait(ready);
    nsignal(n);
    UT_EQ("timeout.woken_before_timeout", w.last, 0);
    ut_thread_join(&t);
  }
  /* The same with a deadline. */
  waiter_init(&w, n, ready, 1);
  w.high = 1;
  w.flags = CHCORE_NOTIFY_DEADLINE;
  w.ns = ut_now_ns() + LONG_NS;
  if (ut_thread_start(&t, waiter_main, &w) == 0) {
    nwait(ready);
    nsignal(n);
    UT_EQ("timeout.woken_before_deadline", w.last, 0);
    ut_thread_join(&t);
  }
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  UT_ERR("timeout.nothing_left", npoll(n), CHCORE_EAGAIN);
  drop(ready);
  drop(n);
}

/* ---- cross_cpu ---------------------------------------------------------------- */

struct pingpong {
  long ping, pong;
  int rounds, cpu;
  volatile int bad;
};

static void pong_main(void* p) {
  struct pingpong* pp = (struct pingpong*)p;
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)pp->cpu);
  for (int i = 0; i < pp->rounds; i++) {
    if (nwait(pp->ping) != 0) pp->bad++;
    if (nsignal(pp->pong) != 0) pp->bad++;
  }
}

static void test_cross_cpu(void) {
  if (ncpus() < 2) {
    ut_fail("cross_cpu.cpus", "needs 2 CPUs, %d online", ncpus());
    return;
  }
  long n = chcore_sys_notify_create(), ready = chcore_sys_notify_create();
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);

  /* A waiter on CPU 1 without timeout, woken from CPU 0. The short sleep
   * makes it likely (not certain: that is not what is checked) that it is
   * blocked when the signal comes. */
  struct waiter w;
  waiter_init(&w, n, ready, 1);
  w.cpu = 1;
  struct ut_thread t;
  if (ut_thread_start(&t, waiter_main, &w) == 0) {
    nwait(ready);
    ut_sleep_ns(10 * MS);
    UT_EQ("cross_cpu.signal", nsignal(n), 0);
    ut_thread_join(&t);
    UT_EQ("cross_cpu.woken_on_cpu1", w.last, 0);
    UT_EQ("cross_cpu.waiter_ran_on_cpu1", w.ran_on, 1);
  }

  /* Ping-pong: every round a wake-up on the other CPU in each direction. */
  enum { ROUNDS = 500 };
  struct pingpong pp = {chcore_sys_notify_create(), chcore_sys_notify_create(), ROUNDS, 1, 0};
  int bad = 0;
  if (ut_thread_start(&t, pong_main, &pp) == 0) {
    for (int i = 0; i < ROUNDS; i++) {
      if (nsignal(pp.ping) != 0) bad++;
      if (nwait(pp.pong) != 0) bad++;
    }
    ut_thread_join(&t);
    UT_EQ("cross_cpu.pingpong", bad + pp.bad, 0);
    UT_TRUE("cross_cpu.pingpong_nothing_left",
            npoll(pp.ping) == -CHCORE_EAGAIN && npoll(pp.pong) == -CHCORE_EAGAIN);
  }
  drop(pp.ping);
  drop(pp.pong);

  /* A woken thread that outranks the signaller on its CPU runs before the
   * signal call returns to the signaller. */
  waiter_init(&w, n, ready, 1);
  w.high = 1;
  if (ut_thread_start(&t, waiter_main, &w) == 0) {
    nwait(ready);
    UT_EQ("cross_cpu.waiter_blocked", w.last, 1);
    nsignal(n);
    UT_EQ("cross_cpu.woken_higher_priority_ran_first", w.last, 0);
    ut_thread_join(&t);
  }
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  drop(ready);
  drop(n);
}

/* ---- many ------------------------------------------------------------------------ */

static void test_many(void) {
  enum { MAXW = 8, ROUNDS = 10 };
  int cpus = ncpus();
  if (cpus > MAXW) cpus = MAXW;
  long n = chcore_sys_notify_create(), ready = chcore_sys_notify_create();
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  struct waiter w[MAXW];
  struct ut_thread t[MAXW];

  /* One waiter per CPU, no timeout; as many signals wake them all. */
  int all_woken = 1, started = 1;
  for (int round = 0; round < ROUNDS && started; round++) {
    for (int i = 0; i < cpus; i++) {
      waiter_init(&w[i], n, ready, 1);
      w[i].cpu = i;
      if (ut_thread_start(&t[i], waiter_main, &w[i]) != 0) started = 0;
    }
    if (!started) break;
    for (int i = 0; i < cpus; i++) nwait(ready);
    ut_sleep_ns(5 * MS); /* most of them are blocked by now */
    for (int i = 0; i < cpus; i++) nsignal(n);
    for (int i = 0; i < cpus; i++) {
      ut_thread_join(&t[i]);
      if (w[i].last != 0 || w[i].ran_on != i) all_woken = 0;
    }
  }
  UT_TRUE("many.threads_started", started);
  UT_TRUE("many.one_per_cpu_all_woken", all_woken);
  UT_ERR("many.nothing_left", npoll(n), CHCORE_EAGAIN);

  /* Fewer signals than waiters: exactly that many waits succeed (those
   * that find no signal time out); a signal nobody took stays counted. */
  enum { SIGNALS = 2 };
  int waiters = cpus > SIGNALS ? cpus : SIGNALS + 1;
  if (waiters > MAXW) waiters = MAXW;
  for (int i = 0; i < waiters; i++) {
    waiter_init(&w[i], n, ready, 1);
    w[i].cpu = i % cpus;
    w[i].flags = CHCORE_NOTIFY_TIMEOUT;
    w[i].ns = 300 * MS;
    if (ut_thread_start(&t[i], waiter_main, &w[i]) != 0) waiters = i;
  }
  for (int i = 0; i < waiters; i++) nwait(ready);
  for (int i = 0; i < SIGNALS; i++) nsignal(n);
  long got = 0, timed_out = 0;
  for (int i = 0; i < waiters; i++) {
    ut_thread_join(&t[i]);
    got += w[i].last == 0;
    timed_out += w[i].last == -CHCORE_ETIMEDOUT;
  }
  long left = 0;
  while (npoll(n) == 0) left++;
  UT_EQ("many.fewer_signals_exactly_that_many", got + left, SIGNALS);
  UT_EQ("many.the_others_timed_out", got + timed_out, waiters);
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  drop(ready);
  drop(n);
}

/* ---- destroy ---------------------------------------------------------------------- */

static void test_destroy(void) {
  long n = chcore_sys_notify_create(), ready = chcore_sys_notify_create();
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  struct waiter w;
  struct ut_thread t;
  /* Blocked without timeout; its notification's last capability goes. */
  waiter_init(&w, n, ready, 1);
  w.high = 1;
  if (ut_thread_start(&t, waiter_main, &w) == 0) {
    nwait(ready);
    UT_EQ("destroy.revoke", chcore_sys_revoke_cap((unsigned long)n, CHCORE_REVOKE_SELF), 0);
    /* It outranks us: it has run by now. */
    UT_ERR("destroy.waiter_gets_eidrm", w.last, CHCORE_EIDRM);
    ut_thread_join(&t);
  }
  /* A copy keeps the object: revoking one capability wakes nobody. */
  n = chcore_sys_notify_create();
  long copy = chcore_sys_cap_copy((unsigned long)n, CHCORE_RIGHTS_ALL);
  waiter_init(&w, copy, ready, 1);
  w.high = 1;
  if (ut_thread_start(&t, waiter_main, &w) == 0) {
    nwait(ready);
    drop(n);
    UT_EQ("destroy.other_capability_keeps_it", w.last, 1);
    nsignal(copy);
    UT_EQ("destroy.still_signalled", w.last, 0);
    ut_thread_join(&t);
  }
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  drop(copy);
  drop(ready);
}

/* ---- exit ---------------------------------------------------------------------------- */

/* Starts /tests/ipc_notify_child with a capability to `n` (READ); the
 * child exits while one of its threads waits on it. Returns its exit code. */
static long run_child(long n, int waiters) {
  const void* elf;
  unsigned long size;
  if (chcore_ramdisk_find("/tests/ipc_notify_child", &elf, &size) != 0) return -1000;
  struct chcore_launch l;
  if (chcore_launch_load(&l, elf, size, "notify_child") != 0) return -1001;
  long theirs = chcore_launch_transfer(&l, n, CHCORE_RIGHT_READ);
  if (theirs < 0) {
    chcore_launch_abort(&l);
    return -1002;
  }
  char slot[24], count[24];
  snprintf(slot, sizeof(slot), "%ld", theirs);
  snprintf(count, sizeof(count), "%d", waiters);
  const char* argv[] = {"/tests/ipc_notify_child", slot, count, 0};
  long child = chcore_launch_start(&l, argv, 0);
  if (child < 0) return -1003;
  return chcore_wait(child);
}

static void test_exit(void) {
  long n = chcore_sys_notify_create();
  UT_EQ("exit.child_exited_while_waiting", run_child(n, 1), 0);
  /* The dead waiter is off the queue: this signal is counted for us. */
  nsignal(n);
  UT_EQ("exit.signal_counted", npoll(n), 0);
  UT_ERR("exit.only_once", npoll(n), CHCORE_EAGAIN);
  /* Waiters on several CPUs (the child's main thread ends the process). */
  UT_EQ("exit.child_with_waiters_on_all_cpus", run_child(n, ncpus()), 0);
  nsignal(n);
  UT_EQ("exit.signal_counted_again", npoll(n), 0);
  drop(n);
}

/* ---- race ------------------------------------------------------------------------------- */

/* Producers and consumers on every CPU at once, consumers mixing blocking
 * waits, timeouts and polls: however the calls interleave, every signal is
 * taken exactly once (taken + left over = sent). */
enum { PRODUCERS = 2, CONSUMERS = 3, PER_PRODUCER = 3000 };
static long race_n;
static volatile int producers_left;
static volatile long race_taken, race_bad;

static void producer(void* arg) {
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)arg);
  for (int i = 0; i < PER_PRODUCER; i++)
    if (nsignal(race_n) != 0) __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
  __atomic_fetch_sub(&producers_left, 1, __ATOMIC_SEQ_CST);
}

/* Ends at its first return once the producers are done; the main thread
 * then sends one more signal per consumer, so a blocking wait ends too. */
static void consumer(void* arg) {
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)arg);
  for (unsigned i = 0;; i++) {
    int done = __atomic_load_n(&producers_left, __ATOMIC_SEQ_CST) == 0;
    long r;
    switch (i % 3) {
      case 0:
        r = nwait(race_n);
        break;
      case 1:
        r = nwait_for(race_n, 100000);
        break;
      default:
        r = npoll(race_n);
        break;
    }
    if (r == 0)
      __atomic_fetch_add(&race_taken, 1, __ATOMIC_SEQ_CST);
    else if (r != -CHCORE_ETIMEDOUT && r != -CHCORE_EAGAIN)
      __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
    if (done) return;
  }
}

static void test_race(void) {
  int cpus = ncpus();
  race_n = chcore_sys_notify_create();
  producers_left = PRODUCERS;
  struct ut_thread p[PRODUCERS], c[CONSUMERS];
  int started = 1;
  for (int i = 0; i < CONSUMERS; i++)
    started &= ut_thread_start(&c[i], consumer, (void*)(long)(i % cpus)) == 0;
  for (int i = 0; i < PRODUCERS; i++)
    started &= ut_thread_start(&p[i], producer, (void*)(long)((i + 1) % cpus)) == 0;
  if (!UT_TRUE("race.threads_started", started)) return;
  for (int i = 0; i < PRODUCERS; i++) ut_thread_join(&p[i]);
  for (int i = 0; i < CONSUMERS; i++) nsignal(race_n);
  for (int i = 0; i < CONSUMERS; i++) ut_thread_join(&c[i]);
  long left = 0;
  while (npoll(race_n) == 0) left++;
  UT_EQ("race.no_unexpected_results", race_bad, 0);
  UT_EQ("race.every_signal_taken_once", race_taken + left, PRODUCERS * PER_PRODUCER + CONSUMERS);
  drop(race_n);
}

/* The test line raised and lowered on one CPU while another takes the line,
 * binds, acknowledges, unbinds and releases it, and a third waits on the
 * notification: interrupts arrive while their line's object comes and
 * goes. The kernel survives, every call gives an expected result, no
 * interrupt is ever unhandled (the harness rejects that message) and no
 * memory is lost. */
enum { IRQ_ROUNDS = 400 };
static long race_line;
static volatile int race_stop, binder_done;

static void raiser(void* arg) {
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)arg);
  /* Until the binder is done. Lowered only every other round: left raised,
   * the line interrupts as soon as the binder unmasks it. The short sleeps
   * let the other CPUs run under QEMU's one-CPU-at-a-time emulation. */
  for (int i = 0; !binder_done; i++) {
    chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
    ut_sleep_ns(20000);
    if (i % 2) chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
  }
}

/* Alternates between CPU 0 and another: virt delivers every SPI to CPU 0,
 * so there the binder takes the interrupts itself in one round and races
 * with the CPU that takes them in the next. */
static void binder(void* arg) {
  for (int i = 0; i < IRQ_ROUNDS; i++) {
    chcore_sys_set_affinity(CHCORE_THREAD_SELF, i % 2 ? (unsigned long)arg : 0);
    long irq = chcore_sys_irq_create(CTL, (unsigned long)race_line);
    if (irq < 0) {
      __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
      continue;
    }
    if (chcore_sys_irq_bind((unsigned long)irq, (unsigned long)race_n) != 0)
      __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
    for (int k = 0; k < 3; k++) {
      if (chcore_sys_irq_ack((unsigned long)irq) != 0)
        __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
      /* Now and then let this CPU idle, so that the others (the one that
       * takes the interrupt) run while the line is unmasked. */
      if ((i + k) % 4 == 0) ut_sleep_ns(50000);
    }
    if (i % 2 == 0 && chcore_sys_irq_bind((unsigned long)irq, CHCORE_IRQ_UNBIND) != 0)
      __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
    drop(irq);
  }
  binder_done = 1;
}

static void irq_waiter(void* arg) {
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)arg);
  while (!race_stop) {
    long r = nwait_for(race_n, 200000);
    if (r == 0)
      __atomic_fetch_add(&race_taken, 1, __ATOMIC_SEQ_CST);
    else if (r != -CHCORE_ETIMEDOUT)
      __atomic_fetch_add(&race_bad, 1, __ATOMIC_SEQ_CST);
  }
}

static void irq_race_round(void) {
  int cpus = ncpus();
  race_stop = binder_done = 0;
  struct ut_thread r, b, w;
  int started = ut_thread_start(&w, irq_waiter, (void*)(long)(3 % cpus)) == 0;
  started &= ut_thread_start(&r, raiser, (void*)(long)(1 % cpus)) == 0;
  started &= ut_thread_start(&b, binder, (void*)(long)(2 % cpus)) == 0;
  if (!started) {
    race_bad++;
    race_stop = binder_done = 1;
    return;
  }
  ut_thread_join(&r);
  ut_thread_join(&b);
  race_stop = 1;
  ut_thread_join(&w);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
  while (npoll(race_n) == 0) {
  }
}

static void test_irq_race(void) {
  race_line = chcore_sys_test_irq(CHCORE_TEST_IRQ_LINE);
  race_n = chcore_sys_notify_create();
  race_bad = race_taken = 0;
  irq_race_round(); /* warm-up */
  long before = ut_settled_free_mem();
  irq_race_round();
  irq_race_round();
  long after = ut_settled_free_mem();
  UT_EQ("irq_race.no_unexpected_results", race_bad, 0);
  /* How many interrupts arrived depends on timing: reported, not checked. */
  printf("irq_race: %ld interrupts signalled\n", race_taken);
  UT_EQ("irq_race.free_memory_unchanged", after, before);
  /* The line is free and works afterwards. */
  long irq = UT_OK("irq_race.line_free", chcore_sys_irq_create(CTL, (unsigned long)race_line));
  if (irq >= 0) {
    chcore_sys_irq_bind((unsigned long)irq, (unsigned long)race_n);
    chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
    UT_EQ("irq_race.line_still_works", nwait_for(race_n, LONG_NS), 0);
    chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
    drop(irq);
  }
  drop(race_n);
}

/* ---- bad_args ----------------------------------------------------------------------- */

static void test_bad_args(void) {
  long n = chcore_sys_notify_create();
  long pmo = chcore_sys_create_pmo(PAGE, CHCORE_PMO_ANONYMOUS);
  static const long bad_slots[] = {-1, CHCORE_MAX_CAPS, CHCORE_MAX_CAPS - 1, 1l << 32};
  for (unsigned i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++) {
    UT_ERR("bad_args.signal_bad_slot", nsignal(bad_slots[i]), CHCORE_EBADF);
    UT_ERR("bad_args.wait_bad_slot", nwait(bad_slots[i]), CHCORE_EBADF);
  }
  UT_ERR("bad_args.signal_process", nsignal(CHCORE_SLOT_SELF), CHCORE_EINVAL);
  UT_ERR("bad_args.wait_pmo", nwait(pmo), CHCORE_EINVAL);
  UT_ERR("bad_args.wait_irq_control", nwait(CTL), CHCORE_EINVAL);

  long read_only = chcore_sys_cap_copy((unsigned long)n, CHCORE_RIGHT_READ);
  long write_only = chcore_sys_cap_copy((unsigned long)n, CHCORE_RIGHT_WRITE);
  UT_ERR("bad_args.signal_needs_write", nsignal(read_only), CHCORE_EACCES);
  UT_ERR("bad_args.wait_needs_read", npoll(write_only), CHCORE_EACCES);
  UT_EQ("bad_args.write_may_signal", nsignal(write_only), 0);
  UT_EQ("bad_args.read_may_wait", npoll(read_only), 0);

  static const unsigned long bad_flags[] = {
      8, 1ul << 63, CHCORE_NOTIFY_POLL | CHCORE_NOTIFY_TIMEOUT,
      CHCORE_NOTIFY_TIMEOUT | CHCORE_NOTIFY_DEADLINE, CHCORE_NOTIFY_POLL | CHCORE_NOTIFY_DEADLINE};
  for (unsigned i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++)
    UT_ERR("bad_args.wait_flags", chcore_sys_notify_wait((unsigned long)n, bad_flags[i], 0),
           CHCORE_EINVAL);
  /* A huge timeout is "practically forever", not an error: with a signal
   * pending it returns at once. */
  nsignal(n);
  UT_EQ("bad_args.huge_timeout", nwait_for(n, ~0ul), 0);

  /* The IRQ-control capability. */
  long info = chcore_sys_cap_info(CTL);
  UT_EQ("bad_args.control_type", CHCORE_CAP_INFO_TYPE(info), CHCORE_OBJ_IRQ);
  long weak_ctl = chcore_sys_cap_copy(CTL, CHCORE_RIGHTS_ALL & ~CHCORE_RIGHT_CONTROL);
  long line = chcore_sys_test_irq(CHCORE_TEST_IRQ_LINE);
  UT_OK("bad_args.test_line", line);
  UT_ERR("bad_args.irq_create_needs_control",
         chcore_sys_irq_create((unsigned long)weak_ctl, (unsigned long)line), CHCORE_EACCES);
  UT_ERR("bad_args.irq_create_notification",
         chcore_sys_irq_create((unsigned long)n, (unsigned long)line), CHCORE_EINVAL);
  UT_ERR("bad_args.irq_create_empty_slot",
         chcore_sys_irq_create(CHCORE_MAX_CAPS - 1, (unsigned long)line), CHCORE_EBADF);
  static const unsigned long bad_lines[] = {0, 1, 2, 3, 27, 1023, 1024, 1ul << 32, ~0ul};
  for (unsigned i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++)
    UT_ERR("bad_args.irq_create_not_a_device_line", chcore_sys_irq_create(CTL, bad_lines[i]),
           CHCORE_EINVAL);
  long irq = UT_OK("bad_args.irq_create", chcore_sys_irq_create(CTL, (unsigned long)line));
  UT_EQ("bad_args.irq_type", CHCORE_CAP_INFO_TYPE(chcore_sys_cap_info((unsigned long)irq)),
        CHCORE_OBJ_IRQ);
  UT_ERR("bad_args.irq_create_twice", chcore_sys_irq_create(CTL, (unsigned long)line),
         CHCORE_EBUSY);
  UT_ERR("bad_args.irq_create_from_a_line",
         chcore_sys_irq_create((unsigned long)irq, (unsigned long)line), CHCORE_EINVAL);
  UT_ERR("bad_args.irq_ack_unbound", chcore_sys_irq_ack((unsigned long)irq), CHCORE_EINVAL);
  UT_ERR("bad_args.irq_ack_control", chcore_sys_irq_ack(CTL), CHCORE_EINVAL);
  UT_ERR("bad_args.irq_bind_control", chcore_sys_irq_bind(CTL, (unsigned long)n), CHCORE_EINVAL);
  UT_ERR("bad_args.irq_bind_notification_as_line",
         chcore_sys_irq_bind((unsigned long)n, (unsigned long)n), CHCORE_EINVAL);
  UT_ERR("bad_args.irq_bind_to_pmo", chcore_sys_irq_bind((unsigned long)irq, (unsigned long)pmo),
         CHCORE_EINVAL);
  UT_ERR("bad_args.irq_bind_to_empty", chcore_sys_irq_bind((unsigned long)irq, CHCORE_MAX_CAPS - 1),
         CHCORE_EBADF);
  UT_ERR("bad_args.irq_bind_needs_write",
         chcore_sys_irq_bind((unsigned long)irq, (unsigned long)read_only), CHCORE_EACCES);
  long weak_irq = chcore_sys_cap_copy((unsigned long)irq, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE);
  UT_ERR("bad_args.irq_bind_needs_control",
         chcore_sys_irq_bind((unsigned long)weak_irq, (unsigned long)n), CHCORE_EACCES);
  UT_ERR("bad_args.irq_ack_needs_control", chcore_sys_irq_ack((unsigned long)weak_irq),
         CHCORE_EACCES);
  UT_EQ("bad_args.irq_unbind_unbound", chcore_sys_irq_bind((unsigned long)irq, CHCORE_IRQ_UNBIND),
        0);
  UT_ERR("bad_args.test_irq_op", chcore_sys_test_irq(99), CHCORE_EINVAL);
  drop(weak_irq);
  drop(irq);
  /* Released: the line can be taken again. */
  irq = UT_OK("bad_args.irq_create_again", chcore_sys_irq_create(CTL, (unsigned long)line));
  drop(irq);

  /* Device memory: malformed ranges. */
  UT_ERR("bad_args.device_pmo_needs_control",
         chcore_sys_create_device_pmo((unsigned long)weak_ctl, 0x09000000, PAGE), CHCORE_EACCES);
  UT_ERR("bad_args.device_pmo_notification",
         chcore_sys_create_device_pmo((unsigned long)n, 0x09000000, PAGE), CHCORE_EINVAL);
  UT_ERR("bad_args.device_pmo_size_0", chcore_sys_create_device_pmo(CTL, 0x09000000, 0),
         CHCORE_EINVAL);
  UT_ERR("bad_args.device_pmo_unaligned_base", chcore_sys_create_device_pmo(CTL, 0x09000010, PAGE),
         CHCORE_EINVAL);
  UT_ERR("bad_args.device_pmo_unaligned_size", chcore_sys_create_device_pmo(CTL, 0x09000000, 100),
         CHCORE_EINVAL);
  UT_ERR("bad_args.device_pmo_wraps", chcore_sys_create_device_pmo(CTL, ~0ul - PAGE + 1, 2 * PAGE),
         CHCORE_EINVAL);
  UT_ERR("bad_args.device_pmo_wraps_huge", chcore_sys_create_device_pmo(CTL, PAGE, ~0ul - PAGE + 1),
         CHCORE_EINVAL);
  UT_ERR("bad_args.device_pmo_beyond_devices", chcore_sys_create_device_pmo(CTL, 1ul << 48, PAGE),
         CHCORE_EPERM);

  drop(weak_ctl);
  drop(read_only);
  drop(write_only);
  drop(pmo);
  drop(n);
}

/* ---- irq ------------------------------------------------------------------------------- */

static void test_irq(void) {
  long line = UT_OK("irq.test_line", chcore_sys_test_irq(CHCORE_TEST_IRQ_LINE));
  if (line < 0) return;
  long irq = UT_OK("irq.create", chcore_sys_irq_create(CTL, (unsigned long)line));
  long n = chcore_sys_notify_create();
  if (irq < 0) return;
  UT_EQ("irq.bind", chcore_sys_irq_bind((unsigned long)irq, (unsigned long)n), 0);
  UT_ERR("irq.nothing_before_the_interrupt", npoll(n), CHCORE_EAGAIN);

  chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
  UT_EQ("irq.interrupt_signals", nwait_for(n, LONG_NS), 0);
  /* Still asserted on raspi3 (level), but masked until acknowledged: one
   * interrupt, one signal. */
  UT_ERR("irq.masked_until_ack", nwait_for(n, SHORT_NS), CHCORE_ETIMEDOUT);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
  UT_ERR("irq.raised_again_still_masked", nwait_for(n, SHORT_NS), CHCORE_ETIMEDOUT);
  /* The acknowledge unmasks it: still asserted, it comes again. */
  UT_EQ("irq.ack", chcore_sys_irq_ack((unsigned long)irq), 0);
  UT_EQ("irq.asserted_line_comes_again_after_ack", nwait_for(n, LONG_NS), 0);
  /* The "driver" silences its device, then acknowledges: quiet. */
  chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
  UT_EQ("irq.ack_after_lower", chcore_sys_irq_ack((unsigned long)irq), 0);
  UT_ERR("irq.lowered_line_stays_quiet", nwait_for(n, SHORT_NS), CHCORE_ETIMEDOUT);

  /* Many rounds of a driver's loop: raise, wait, lower, ack. */
  enum { ROUNDS = 100 };
  int ok = 0;
  for (int i = 0; i < ROUNDS; i++) {
    chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
    long r = nwait_for(n, LONG_NS);
    chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
    if (r == 0 && chcore_sys_irq_ack((unsigned long)irq) == 0) ok++;
  }
  UT_EQ("irq.driver_loop", ok, ROUNDS);
  UT_ERR("irq.driver_loop_nothing_left", npoll(n), CHCORE_EAGAIN);

  /* A waiter on another CPU, without timeout, woken by the interrupt. */
  if (ncpus() >= 2) {
    long ready = chcore_sys_notify_create();
    struct waiter w;
    waiter_init(&w, n, ready, 1);
    w.cpu = ncpus() - 1;
    struct ut_thread t;
    if (ut_thread_start(&t, waiter_main, &w) == 0) {
      nwait(ready);
      ut_sleep_ns(5 * MS);
      chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
      ut_thread_join(&t);
      UT_EQ("irq.wakes_waiter_on_other_cpu", w.last, 0);
      chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
      chcore_sys_irq_ack((unsigned long)irq);
    }
    drop(ready);
  }

  /* Rebinding moves the signals to the new notification. */
  long n2 = chcore_sys_notify_create();
  UT_EQ("irq.rebind", chcore_sys_irq_bind((unsigned long)irq, (unsigned long)n2), 0);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
  UT_EQ("irq.rebound_signals_new", nwait_for(n2, LONG_NS), 0);
  UT_ERR("irq.rebound_not_old", npoll(n), CHCORE_EAGAIN);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
  chcore_sys_irq_ack((unsigned long)irq);

  /* Unbound: masked, nothing is signalled, ack is refused. */
  UT_EQ("irq.unbind", chcore_sys_irq_bind((unsigned long)irq, CHCORE_IRQ_UNBIND), 0);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
  UT_ERR("irq.unbound_quiet", nwait_for(n2, SHORT_NS), CHCORE_ETIMEDOUT);
  UT_ERR("irq.unbound_ack", chcore_sys_irq_ack((unsigned long)irq), CHCORE_EINVAL);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);

  /* The binding keeps its notification alive without any capability. */
  UT_EQ("irq.bind_again", chcore_sys_irq_bind((unsigned long)irq, (unsigned long)n2), 0);
  long n2_copy = chcore_sys_cap_copy((unsigned long)n2, CHCORE_RIGHT_READ);
  drop(n2);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
  UT_EQ("irq.binding_keeps_notification", nwait_for(n2_copy, LONG_NS), 0);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
  drop(n2_copy);
  chcore_sys_irq_ack((unsigned long)irq);

  /* Released with its last capability: the line is free again. */
  drop(irq);
  irq = UT_OK("irq.line_free_after_release", chcore_sys_irq_create(CTL, (unsigned long)line));
  drop(irq);
  drop(n);
}

/* ---- device ------------------------------------------------------------------------------ */

struct board {
  const char* name;
  unsigned long uart;     /* the PL011 (the console) */
  unsigned long ram;      /* a RAM page */
  unsigned long kernel;   /* the kernel image's first page */
  unsigned long straddle; /* two pages: one in a device window, one not */
  unsigned long uart_irq; /* the UART's interrupt, which the kernel's console uses */
};
static const struct board boards[] = {
    {"virt", 0x09000000, 0x50000000, 0x40080000, 0x3ffff000, 33},
    {"raspi3", 0x3f201000, 0x100000, 0x80000, 0x3efff000, 121},
};

static const struct board* board_of(const char* name) {
  for (unsigned i = 0; i < sizeof(boards) / sizeof(boards[0]); i++)
    if (!strcmp(name, boards[i].name)) return &boards[i];
  ut_fail("board", "unknown board '%s' (virt or raspi3)", name);
  return 0;
}

/* Maps the UART's page through a Device PMO and reads its PrimeCell ID
 * (UARTPCellID0-3 at 0xff0-0xffc: 0x0d 0xf0 0x05 0xb1). Returns the ID, or
 * 0 if a step failed. */
static unsigned uart_id(const struct board* b, long* map_err) {
  long pmo = chcore_sys_create_device_pmo(CTL, b->uart, PAGE);
  if (pmo < 0) {
    *map_err = pmo;
    return 0;
  }
  unsigned long va = chcore_vm_reserve(PAGE);
  unsigned id = 0;
  *map_err = chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va,
                                CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  if (*map_err == 0) {
    volatile unsigned* regs = (volatile unsigned*)va;
    for (int i = 0; i < 4; i++) id |= (regs[(0xff0 >> 2) + i] & 0xff) << (8 * i);
    chcore_sys_unmap_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va);
  }
  drop(pmo);
  return id;
}

static void test_device(const struct board* b) {
  long pmo = UT_OK("device.uart_pmo", chcore_sys_create_device_pmo(CTL, b->uart, PAGE));
  if (pmo >= 0) {
    long info = chcore_sys_cap_info((unsigned long)pmo);
    UT_EQ("device.is_a_pmo", CHCORE_CAP_INFO_TYPE(info), CHCORE_OBJ_PMO);
    UT_TRUE("device.no_exec_right", !(CHCORE_CAP_INFO_RIGHTS(info) & CHCORE_RIGHT_EXEC));
    unsigned long va = chcore_vm_reserve(PAGE);
    UT_ERR("device.never_executable",
           chcore_sys_map_pmo(CHCORE_SLOT_SELF, (unsigned long)pmo, va,
                              CHCORE_PROT_READ | CHCORE_PROT_EXEC),
           CHCORE_EACCES);
    UT_ERR("device.not_readable_through_read_pmo",
           chcore_sys_read_pmo((unsigned long)pmo, 0, (unsigned long)&info, sizeof(info)),
           CHCORE_EINVAL);
    drop(pmo);
  }
  long err = 0;
  UT_EQ("device.uart_primecell_id", uart_id(b, &err), 0xb105f00d);
  UT_EQ("device.uart_mapped", err, 0);

  UT_ERR("device.ram_refused", chcore_sys_create_device_pmo(CTL, b->ram, PAGE), CHCORE_EPERM);
  UT_ERR("device.kernel_image_refused", chcore_sys_create_device_pmo(CTL, b->kernel, PAGE),
         CHCORE_EPERM);
  UT_ERR("device.range_into_ram_refused", chcore_sys_create_device_pmo(CTL, b->straddle, 2 * PAGE),
         CHCORE_EPERM);
  UT_ERR("device.all_memory_refused", chcore_sys_create_device_pmo(CTL, 0, 1ul << 40),
         CHCORE_EPERM);
  /* The driver of this UART would need its interrupt too: the kernel's
   * console has it, so it cannot be taken. */
  UT_ERR("device.console_interrupt_is_the_kernels", chcore_sys_irq_create(CTL, b->uart_irq),
         CHCORE_EBUSY);
  /* A process without the IRQ-control capability has nothing to use. */
  long weak = chcore_sys_cap_copy(CTL, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  UT_ERR("device.needs_control_right",
         chcore_sys_create_device_pmo((unsigned long)weak, b->uart, PAGE), CHCORE_EACCES);
  drop(weak);
}

/* ---- leaks --------------------------------------------------------------------------------- */

/* One of everything, ending with nothing held. Returns how many steps went
 * wrong. */
static int leak_cycle(const struct board* b, long line) {
  int bad = 0;
  long n = chcore_sys_notify_create(), ready = chcore_sys_notify_create();
  if (n < 0 || ready < 0) return 1;
  bad += nsignal(n) != 0;
  bad += npoll(n) != 0;
  bad += nwait_for(n, 1000) != -CHCORE_ETIMEDOUT;
  /* A waiter that times out, one that is signalled, one whose notification
   * is destroyed under it (each blocked: it outranks us on CPU 0). */
  struct waiter w;
  struct ut_thread t;
  long m = chcore_sys_notify_create();
  for (int kind = 0; kind < 3; kind++) {
    waiter_init(&w, m, ready, 1);
    w.high = 1;
    if (kind == 0) {
      w.flags = CHCORE_NOTIFY_TIMEOUT;
      w.ns = MS;
    }
    if (ut_thread_start(&t, waiter_main, &w) != 0) return bad + 1;
    nwait(ready);
    if (kind == 1) nsignal(m);
    if (kind == 2) drop(m);
    ut_thread_join(&t);
    bad += w.last != (kind == 0 ? -CHCORE_ETIMEDOUT : kind == 1 ? 0 : -CHCORE_EIDRM);
  }
  /* An interrupt line: bound, fired, acknowledged, released; its
   * notification dropped first (the binding holds it). */
  long irq = chcore_sys_irq_create(CTL, (unsigned long)line);
  bad += irq < 0;
  bad += chcore_sys_irq_bind((unsigned long)irq, (unsigned long)n) != 0;
  long copy = chcore_sys_cap_copy((unsigned long)n, CHCORE_RIGHT_READ);
  drop(n);
  chcore_sys_test_irq(CHCORE_TEST_IRQ_RAISE);
  bad += nwait_for(copy, LONG_NS) != 0;
  chcore_sys_test_irq(CHCORE_TEST_IRQ_LOWER);
  bad += chcore_sys_irq_ack((unsigned long)irq) != 0;
  drop(copy);
  drop(irq);
  /* Device memory, mapped and unmapped. */
  long err;
  bad += uart_id(b, &err) != 0xb105f00d;
  /* Error paths. */
  bad += chcore_sys_irq_create(CTL, 0) != -CHCORE_EINVAL;
  bad += chcore_sys_create_device_pmo(CTL, b->ram, PAGE) != -CHCORE_EPERM;
  drop(ready);
  return bad;
}

static void test_leaks(const struct board* b) {
  long line = chcore_sys_test_irq(CHCORE_TEST_IRQ_LINE);
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, 0);
  int bad = 0;
  for (int i = 0; i < 20; i++) bad += leak_cycle(b, line); /* warm-up: caches, page tables */
  long before = ut_settled_free_mem();
  for (int i = 0; i < 300; i++) bad += leak_cycle(b, line);
  long after = ut_settled_free_mem();
  chcore_sys_set_affinity(CHCORE_THREAD_SELF, (unsigned long)CHCORE_CPU_ANY);
  UT_EQ("leaks.every_step_worked", bad, 0);
  UT_EQ("leaks.free_memory_unchanged", after, before);
}

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "";
  if (!strcmp(which, "counting")) {
    test_counting();
  } else if (!strcmp(which, "timeout")) {
    test_timeout();
  } else if (!strcmp(which, "cross_cpu")) {
    test_cross_cpu();
  } else if (!strcmp(which, "many")) {
    test_many();
  } else if (!strcmp(which, "destroy")) {
    test_destroy();
  } else if (!strcmp(which, "exit")) {
    test_exit();
  } else if (!strcmp(which, "race")) {
    test_race();
  } else if (!strcmp(which, "irq_race")) {
    test_irq_race();
  } else if (!strcmp(which, "bad_args")) {
    test_bad_args();
  } else if (!strcmp(which, "irq")) {
    test_irq();
  } else if (!strcmp(which, "device") || !strcmp(which, "leaks")) {
    const struct board* b = board_of(argc > 2 ? argv[2] : "");
    if (b != 0 && which[0] == 'd') test_device(b);
    if (b != 0 && which[0] == 'l') test_leaks(b);
  } else {
    ut_fail("section", "unknown section '%s'", which);
  }
  return ut_finish();
}
