// Pipes (see pipe.h for the model, the blocking and the locking).
#include "ipc/pipe.h"

#include "ipc/poll.h"
#include "lib/new.h"
#include "mm/kmalloc.h"
#include "time/clock.h"
#include "syscall/syscall.h"
#include "uapi/errno.h"
#include "uapi/pipe.h"

namespace kern {

struct Pipe {
  SpinLock lock;
  u8* ring;                                    // CHCORE_PIPE_SIZE bytes
  u32 head TA_GUARDED(lock) = 0;               // free-running: bytes read so far
  u32 tail TA_GUARDED(lock) = 0;               // bytes written so far
  bool reader_open TA_GUARDED(lock) = true;
  bool writer_open TA_GUARDED(lock) = true;
  // Someone may be queued (set when one blocks, cleared by the wake-up):
  // lets the common case skip the scheduler's lock.
  bool readers_waiting TA_GUARDED(lock) = false;
  bool writers_waiting TA_GUARDED(lock) = false;
  u32 ends = 2;                                // live end objects; atomic
  WaitQueue readers TA_GUARDED(g_sched_lock);
  WaitQueue writers TA_GUARDED(g_sched_lock);

  u32 used() const TA_REQ(lock) { return tail - head; }
  u32 room() const TA_REQ(lock) { return CHCORE_PIPE_SIZE - used(); }
};

namespace {
constexpr u32 kMask = CHCORE_PIPE_SIZE - 1;
static_assert((CHCORE_PIPE_SIZE & kMask) == 0, "the ring's size is a power of two");

// Wakes every thread of `q` to issue its call again.
void wake_queue(Pipe* p, WaitQueue* q, bool* waiting) TA_REQ(p->lock) {
  if (!*waiting) return;
  *waiting = false;
  {
    SpinGuard s(sched_lock());
    sched_wake_all(q, kRestartCall);
  }
  sched_flush_kicks();
}

// Blocks the current thread on `q` until a wake-up makes it issue its call
// again.
Result<i64> block_on(Pipe* p, WaitQueue* q, bool* waiting) TA_REQ(p->lock) {
  SpinGuard s(sched_lock());
  TRY(sched_block_prepare(q, kNoDeadline, kRestartCall));
  *waiting = true;
  return kBlocked;
}

bool nonblocking(const PipeEnd* e, bool extra) {
  return extra || (__atomic_load_n(&e->flags, __ATOMIC_RELAXED) & CHCORE_PIPE_NONBLOCK);
}
}  // namespace

Status pipe_create(u64 flags, PipeEnd** rd, PipeEnd** wr) {
  if (flags & ~u64{CHCORE_PIPE_NONBLOCK}) return Err::Inval;
  void* pm = mm::kzalloc(sizeof(Pipe));
  void* ring = mm::kmalloc(CHCORE_PIPE_SIZE);
  void* rm = mm::kzalloc(sizeof(PipeEnd));
  void* wm = mm::kzalloc(sizeof(PipeEnd));
  if (pm == nullptr || ring == nullptr || rm == nullptr || wm == nullptr) {
    mm::kfree(pm);
    mm::kfree(ring);
    mm::kfree(rm);
    mm::kfree(wm);
    return Err::NoMem;
  }
  auto* p = new (pm) Pipe();
  p->ring = static_cast<u8*>(ring);
  PipeEnd* ends[2] = {new (rm) PipeEnd(), new (wm) PipeEnd()};
  for (int i = 0; i < 2; i++) {
    obj_init(ends[i], ObjType::PipeEnd);
    ends[i]->pipe = p;
    ends[i]->write_end = i == 1;
    ends[i]->flags = static_cast<u32>(flags);
  }
  *rd = ends[0];
  *wr = ends[1];
  return kOk;
}

void pipe_end_destroy(PipeEnd* e) {
  Pipe* p = e->pipe;
  {
    SpinGuard g(p->lock);
    if (e->write_end) {
      p->writer_open = false;  // readers see end-of-file
      wake_queue(p, &p->readers, &p->readers_waiting);
    } else {
      p->reader_open = false;  // writers get EPIPE
      wake_queue(p, &p->writers, &p->writers_waiting);
    }
  }
  poll_wake();
  e->~PipeEnd();
  mm::kfree(e);
  if (__atomic_sub_fetch(&p->ends, 1, __ATOMIC_ACQ_REL) == 0) {
    mm::kfree(p->ring);
    p->~Pipe();
    mm::kfree(p);
  }
}

Result<i64> pipe_read(PipeEnd* e, UserPtr<u8> buf, u64 len, bool nonblock) {
  if (e->write_end) return Err::BadF;
  if (len == 0) return 0;
  if (!buf.range_ok(len)) return Err::Fault;
  Pipe* p = e->pipe;
  {
    SpinGuard g(p->lock);
    u32 n = p->used();
    if (n == 0) {
      if (!p->writer_open) return 0;  // end-of-file
      if (nonblocking(e, nonblock)) return Err::Again;
      return block_on(p, &p->readers, &p->readers_waiting);
    }
    if (len < n) n = static_cast<u32>(len);
    // At most two pieces: up to the ring's end, then from its start.
    u32 at = p->head & kMask;
    u32 first = n < CHCORE_PIPE_SIZE - at ? n : CHCORE_PIPE_SIZE - at;
    TRY(copy_to_user(buf.addr(), p->ring + at, first));
    if (first < n) TRY(copy_to_user(buf.addr() + first, p->ring, n - first));
    p->head += n;
    wake_queue(p, &p->writers, &p->writers_waiting);
    len = n;
  }
  poll_wake();
  return static_cast<i64>(len);
}

Result<i64> pipe_write(PipeEnd* e, UserPtr<const u8> buf, u64 len, bool nonblock) {
  if (!e->write_end) return Err::BadF;
  if (len == 0) return 0;
  if (!buf.range_ok(len)) return Err::Fault;
  Pipe* p = e->pipe;
  {
    SpinGuard g(p->lock);
    if (!p->reader_open) return Err::Pipe;
    u32 room = p->room();
    // Up to PIPE_BUF: all of it or nothing; beyond: whatever fits.
    u32 need = len <= CHCORE_PIPE_BUF ? static_cast<u32>(len) : 1;
    if (room < need) {
      if (nonblocking(e, nonblock)) return Err::Again;
      return block_on(p, &p->writers, &p->writers_waiting);
    }
    u32 n = len < room ? static_cast<u32>(len) : room;
    u32 at = p->tail & kMask;
    u32 first = n < CHCORE_PIPE_SIZE - at ? n : CHCORE_PIPE_SIZE - at;
    TRY(copy_from_user(p->ring + at, buf.addr(), first));
    if (first < n) TRY(copy_from_user(p->ring, buf.addr() + first, n - first));
    p->tail += n;
    wake_queue(p, &p->readers, &p->readers_waiting);
    len = n;
  }
  poll_wake();
  return static_cast<i64>(len);
}

Result<i64> pipe_ctl(PipeEnd* e, u64 op, u64 arg) {
  switch (op) {
    case CHCORE_PIPE_GET_FLAGS:
      return __atomic_load_n(&e->flags, __ATOMIC_RELAXED);
    case CHCORE_PIPE_SET_FLAGS:
      if (arg & ~u64{CHCORE_PIPE_NONBLOCK}) return Err::Inval;
      __atomic_store_n(&e->flags, static_cast<u32>(arg), __ATOMIC_RELAXED);
      return 0;
    case CHCORE_PIPE_NREAD: {
      SpinGuard g(e->pipe->lock);
      return e->write_end ? 0 : e->pipe->used();
    }
    case CHCORE_PIPE_GET_SIZE:
      return CHCORE_PIPE_SIZE;
    default:
      return Err::Inval;
  }
}

u32 pipe_poll(PipeEnd* e, u32 events) {
  Pipe* p = e->pipe;
  SpinGuard g(p->lock);
  u32 r = 0;
  if (e->write_end) {
    if (!p->reader_open)
      r |= CHCORE_POLLERR;
    else if (p->room() >= CHCORE_PIPE_BUF)
      r |= CHCORE_POLLOUT;
  } else {
    if (p->used() > 0) r |= CHCORE_POLLIN;
    if (!p->writer_open) r |= CHCORE_POLLHUP;
  }
  return r & (events | CHCORE_POLLERR | CHCORE_POLLHUP);
}

}  // namespace kern
