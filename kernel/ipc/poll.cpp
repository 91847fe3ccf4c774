// poll over pipe ends and the console (see poll.h for the model).
#include "ipc/poll.h"

#include "console/input.h"
#include "ipc/pipe.h"
#include "object/ref.h"
#include "sched/sched.h"
#include "syscall/syscall.h"
#include "time/clock.h"

namespace kern {

namespace {
u64 g_poll_seq;                                // bumped by every poll_wake; atomic
u32 g_npollers;                                // >= the pollers queued; atomic
WaitQueue g_pollers TA_GUARDED(g_sched_lock);  // blocked in poll_objects

constexpr usize kChunk = 32;  // items looked at per copy in and out

u32 item_events(const chcore_poll_item& it) {
  u32 want = static_cast<u16>(it.events);
  if (it.slot == CHCORE_POLL_CONSOLE) {
    u32 r = CHCORE_POLLOUT;  // writing to the console never waits
    if (console_input_waiting()) r |= CHCORE_POLLIN;
    return r & want;
  }
  Result<Ref<PipeEnd>> e = cap_lookup<PipeEnd>(CapSlot{it.slot}, 0);
  if (!e.ok()) return CHCORE_POLLNVAL;
  return pipe_poll(e.value().get(), want);
}

void wake_pollers() TA_REQ(g_sched_lock) {
  sched_wake_all(&g_pollers, kRestartCall);
  __atomic_store_n(&g_npollers, 0, __ATOMIC_RELAXED);
}
}  // namespace

void poll_wake() {
  __atomic_fetch_add(&g_poll_seq, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&g_npollers, __ATOMIC_SEQ_CST) == 0) return;
  {
    SpinGuard s(sched_lock());
    wake_pollers();
  }
  sched_flush_kicks();
}

void poll_wake_locked() {
  __atomic_fetch_add(&g_poll_seq, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&g_npollers, __ATOMIC_SEQ_CST) != 0) wake_pollers();
}

Result<i64> poll_objects(UserPtr<chcore_poll_item> items, u64 n, u64 deadline_ns) {
  if (n > CHCORE_POLL_MAX) return Err::Inval;
  if (!items.range_ok(n)) return Err::Fault;
  // Read before looking: a change after this point either shows in what we
  // see or changes the number (poll.h).
  u64 seq = __atomic_load_n(&g_poll_seq, __ATOMIC_SEQ_CST);
  bool console = false;
  i64 ready = 0;
  chcore_poll_item chunk[kChunk];
  for (u64 i = 0; i < n; i += kChunk) {
    usize m = n - i < kChunk ? static_cast<usize>(n - i) : kChunk;
    TRY((items + i).read_array(chunk, m));
    for (usize k = 0; k < m; k++) {
      chunk[k].revents = static_cast<short>(item_events(chunk[k]));
      if (chunk[k].revents != 0) ready++;
      if (chunk[k].slot == CHCORE_POLL_CONSOLE) console = true;
    }
    TRY((items + i).write_array(chunk, m));
  }
  if (ready > 0 || deadline_ns == CHCORE_POLL_NOW) return ready;

  u64 deadline = kNoDeadline;
  if (deadline_ns != CHCORE_POLL_FOREVER) {
    Result<u64> at = deadline_at(Clock::Monotonic, deadline_ns);
    if (!at.ok()) return 0;  // the time is up
    deadline = at.value();
  }
  if (console) deadline = console_input_poll_deadline(deadline);
  Thread* self = current_thread();
  SpinGuard s(sched_lock());
  __atomic_fetch_add(&g_npollers, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&g_poll_seq, __ATOMIC_SEQ_CST) != seq) {
    // Something changed since we looked: look again, at once (the call is
    // issued again with its arguments; x0 keeps its value).
    self->ctx.elr -= 4;
    ctx_rewritten();
    return static_cast<i64>(self->ctx.x[0]);
  }
  // Every wake-up (a change, the deadline) issues the call again.
  TRY(sched_block_prepare(&g_pollers, deadline, kRestartCall));
  return kBlocked;
}

}  // namespace kern
