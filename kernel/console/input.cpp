// Console input.
//
// The console UART's receive interrupt (platform/: PL011 SPI on virt,
// VideoCore interrupt 57 on raspi3, docs/interrupts.md) drains the UART's
// FIFO into a 4 KiB ring; when the ring is full further bytes are dropped
// and counted. A reader takes bytes from the ring, or blocks on `g_readers`
// until the interrupt brings some.
//
// Blocking without a kernel stack: the kernel keeps no per-thread stack, so
// a blocked call cannot resume half-way. A reader that finds the ring empty
// blocks with its saved PC moved back onto its `svc`; every wake-up (input,
// deadline, or the polling tick) leaves x0..x8 as they were, so the thread
// simply executes console_read again and finds the bytes (or blocks again
// if another reader took them first, or returns -ETIMEDOUT once its
// absolute deadline has passed). A killed process's blocked reader is
// removed from the queue by sched_stop(), like any blocked thread.
//
// Locking: `g_input_lock` protects the ring and the drop count; the wait
// queue is the scheduler's (g_sched_lock). Order: g_sched_lock ->
// g_input_lock, so "ring empty, so block" is atomic with the interrupt's
// "ring filled, so wake". The handler takes both: kernel code runs with
// interrupts masked, so it never interrupts their holder on its own CPU.
#include "console/input.h"

#include "ipc/poll.h"
#include "irq/irq.h"
#include "lib/byte_ring.h"
#include "lib/spinlock.h"
#include "mm/uaccess.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "time/clock.h"
#include "uapi/errno.h"
#include "uapi/object.h"

namespace kern {

namespace {
constexpr u32 kRingSize = 4096;
// Without a receive interrupt a blocked reader looks at the UART this often.
constexpr u64 kPollNs = 10'000'000;
constexpr u64 kFlags = CHCORE_CONSOLE_NONBLOCK | CHCORE_CONSOLE_POLL | CHCORE_CONSOLE_DEADLINE;

SpinLock g_input_lock;
ByteRing<kRingSize> g_ring TA_GUARDED(g_input_lock);
u64 g_dropped TA_GUARDED(g_input_lock);
WaitQueue g_readers TA_GUARDED(g_sched_lock);
bool g_have_irq;  // set once at boot: the receive interrupt is on

void drain_uart() TA_REQ(g_input_lock) {
  for (int c; (c = plat::console_getc()) >= 0;)
    if (!g_ring.push(static_cast<u8>(c))) g_dropped++;
}

// Each reader re-executes its call (x0 stays its buffer address).
void wake_readers() TA_REQ(g_sched_lock) {
  while (Thread* t = g_readers.threads.front()) sched_wake(t, static_cast<i64>(t->ctx.x[0]));
}

void rx_irq(u32, void*) {
  {
    SpinGuard s(sched_lock());
    bool have;
    {
      SpinGuard g(g_input_lock);
      // Acknowledge first: a byte that arrives while we drain then raises
      // the interrupt again instead of waiting in the FIFO unnoticed.
      plat::console_rx_irq_clear();
      drain_uart();
      have = !g_ring.empty();
    }
    if (have) {
      wake_readers();
      poll_wake_locked();
    }
  }
  sched_flush_kicks();
}

// The buffer's byte at `addr` can be read and written: read it and write
// the same value back. Checked before a reader blocks, so that a bad buffer
// fails at once instead of after the input has been taken.
bool probe_writable(UserPtr<u8> p) {
  u8 b;
  return p.read(&b).ok() && p.write(b).ok();
}
}  // namespace

void console_input_init() {
  u32 irq;
  if (!plat::console_rx_irq(&irq)) return;
  irq_register(irq, rx_irq, nullptr);
  plat::console_rx_irq_enable();
  g_have_irq = true;
}

int console_input_getc() {
  SpinGuard g(g_input_lock);
  u8 c;
  if (g_ring.pop(&c, 1) == 1) return c;
  return plat::console_getc();
}

bool console_input_waiting() {
  SpinGuard g(g_input_lock);
  if (!g_have_irq) drain_uart();
  return !g_ring.empty();
}

u64 console_input_poll_deadline(u64 deadline) {
  if (g_have_irq) return deadline;
  u64 tick = deadline_after(kPollNs);
  return deadline == kNoDeadline || tick < deadline ? tick : deadline;
}

u64 console_input_dropped() {
  SpinGuard g(g_input_lock);
  return g_dropped;
}

// console_read(buf, len, flags, deadline_ns):
//   - copies min(len, CHCORE_CONSOLE_READ_MAX, bytes waiting) bytes to buf
//     and returns that count; len 0 returns 0 at once;
//   - with nothing waiting: blocks until a byte arrives, or returns -EAGAIN
//     with CHCORE_CONSOLE_NONBLOCK, or -ETIMEDOUT once CLOCK_MONOTONIC
//     reaches deadline_ns with CHCORE_CONSOLE_DEADLINE;
//   - CHCORE_CONSOLE_POLL takes nothing: it returns how many bytes wait
//     (at least 1, with the same blocking rules); buf and len are unused;
//   - -EFAULT for a buffer that is not writable user memory (its first and
//     last byte are checked before anything is taken; a fault in between
//     puts the bytes back), -EINVAL for unknown flags.
Result<i64> console_input_read(UserPtr<u8> buf, u64 len, u64 flags, u64 deadline_ns) {
  if (flags & ~kFlags) return Err::Inval;
  bool poll = flags & CHCORE_CONSOLE_POLL;
  if (!poll) {
    if (len == 0) return 0;
    if (len > CHCORE_CONSOLE_READ_MAX) len = CHCORE_CONSOLE_READ_MAX;
    if (!buf.range_ok(len) || !probe_writable(buf) || !probe_writable(buf + (len - 1)))
      return Err::Fault;
  }
  u64 deadline = kNoDeadline;
  bool expired = false;
  if (flags & CHCORE_CONSOLE_DEADLINE) {
    Result<u64> at = deadline_at(Clock::Monotonic, deadline_ns);
    if (at.ok())
      deadline = at.value();
    else
      expired = true;
  }
  if (!g_have_irq) {
    u64 tick = deadline_after(kPollNs);
    if (deadline == kNoDeadline || tick < deadline) deadline = tick;
  }

  u8 kbuf[CHCORE_CONSOLE_READ_MAX];
  u32 n;
  Thread* self = current_thread();
  {
    SpinGuard s(sched_lock());
    {
      SpinGuard g(g_input_lock);
      if (!g_have_irq) drain_uart();
      n = poll ? g_ring.size() : g_ring.pop(kbuf, static_cast<u32>(len));
    }
    if (n == 0) {
      if (flags & CHCORE_CONSOLE_NONBLOCK) return Err::Again;
      if (expired) return Err::TimedOut;
      // Whatever wakes it (input, the deadline, the polling tick), the
      // thread resumes at its svc with its arguments intact.
      TRY(sched_block_prepare(&g_readers, deadline, static_cast<i64>(self->ctx.x[0])));
      self->ctx.elr -= 4;
      return 0;  // ignored: the thread re-executes the call when woken
    }
  }
  if (poll) return n;
  if (!buf.write_array(kbuf, n).ok()) {
    SpinGuard g(g_input_lock);
    g_ring.unpop(kbuf, n);
    return Err::Fault;
  }
  return n;
}

}  // namespace kern
