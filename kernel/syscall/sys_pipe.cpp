// Pipes and poll: pipe_create, pipe_read, pipe_write, pipe_ctl, poll
// (ipc/pipe.cpp, ipc/poll.cpp; docs/pipes.md).
#include "ipc/pipe.h"
#include "ipc/poll.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "signal/signal.h"
#include "syscall/syscall.h"
#include "uapi/pipe.h"

namespace kern {

namespace {
// The per-call flag of pipe_read and pipe_write.
constexpr u64 kIoFlags = CHCORE_PIPE_NONBLOCK;
}  // namespace

// Both capabilities or neither: slots[0] the read end (READ and COPY
// rights), slots[1] the write end (WRITE and COPY).
SysResult sys_pipe_create(UserPtr<u32> slots, u64 flags) {
  if (!slots.range_ok(2)) return Err::Fault;
  PipeEnd* rd;
  PipeEnd* wr;
  TRY(pipe_create(flags, &rd, &wr));
  CapGroup* g = current_group();
  Result<u32> r = g->caps.install(g, rd, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  if (!r.ok()) {
    obj_put(rd);
    obj_put(wr);
    return r.error();
  }
  Result<u32> w = g->caps.install(g, wr, CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
  if (!w.ok()) {
    obj_put(wr);
    (void)cap_revoke_self(g, r.value());
    return w.error();
  }
  u32 out[2] = {r.value(), w.value()};
  if (Status s = slots.write_array(out, 2); !s.ok()) {
    (void)cap_revoke_self(g, out[0]);
    (void)cap_revoke_self(g, out[1]);
    return s.error();
  }
  return 0;
}

SysResult sys_pipe_read(CapSlot end, UserPtr<u8> buf, u64 len, u64 flags) {
  if (flags & ~kIoFlags) return Err::Inval;
  Ref<PipeEnd> e = TRY(cap_lookup<PipeEnd>(end, CHCORE_RIGHT_READ));
  return pipe_read(e.get(), buf, len, flags & CHCORE_PIPE_NONBLOCK);
}

SysResult sys_pipe_write(CapSlot end, UserPtr<const u8> buf, u64 len, u64 flags) {
  if (flags & ~kIoFlags) return Err::Inval;
  Ref<PipeEnd> e = TRY(cap_lookup<PipeEnd>(end, CHCORE_RIGHT_WRITE));
  SysResult r = pipe_write(e.get(), buf, len, flags & CHCORE_PIPE_NONBLOCK);
  // No reader: SIGPIPE for the writing thread as well as EPIPE, as on
  // Linux (its default action ends the process; a program that ignores
  // or handles it sees EPIPE).
  if (!r.ok() && r.error() == Err::Pipe)
    (void)signal_send_thread(current_thread(), CHCORE_SIGPIPE, SigInfo{CHCORE_SI_USER, 0, 0});
  return r;
}

SysResult sys_pipe_ctl(CapSlot end, u64 op, u64 arg) {
  Ref<PipeEnd> e = TRY(cap_lookup<PipeEnd>(end, 0));
  return pipe_ctl(e.get(), op, arg);
}

SysResult sys_poll(UserPtr<chcore_poll_item> items, u64 n, u64 deadline_ns) {
  return poll_objects(items, n, deadline_ns);
}

}  // namespace kern
