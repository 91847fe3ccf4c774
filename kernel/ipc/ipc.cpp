// Synchronous IPC: registration, connection set-up, the call and return
// hand-offs, and what happens when either side dies. The common call and
// return are in assembly (ipc/fastpath.S, whose opening comment follows one
// step by step); port_call and port_return here do the same for the rest.
// docs/ipc.md tells the whole story.
#include "ipc/ipc.h"

#include "arch/aarch64/asm_offsets.h"
#include "arch/aarch64/per_cpu.h"
#include "lib/new.h"
#include "mm/kmalloc.h"
#include "mm/pmo.h"
#include "mm/uaccess.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "sched/sched.h"
#include "sched/user_state.h"
#include "syscall/syscall.h"
#include "uapi/ipc.h"

namespace kern {

namespace {

// Rights of the capability a client gets to its connection: call (WRITE),
// pass it on (COPY).
constexpr u32 kConnRights = CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY;

// The capabilities a message carries, read and checked before the hand-off.
struct CapTransfer {
  u32 n = 0;
  CapCopy copies[CHCORE_IPC_MAX_CAPS];
};

// The message in the sender's registers: x0 (the handler's badge or the
// caller's result), w0..w3, info.
struct Msg {
  u64 x0;
  u64 w[4];
  u64 info;
};

// Checks `info` against the port and reads the capability descriptors
// from x6. Err::Inval: unknown info bits, more than 8 capabilities, a
// length beyond the buffer, a malformed descriptor; Err::Fault.
Status read_message(const IpcPort* p, u64 info, VirtAddr descs, CapTransfer& caps) {
  if ((info & ~CHCORE_IPC_INFO_SENDER_MASK) != 0) return Err::Inval;
  u64 n = CHCORE_IPC_INFO_NCAPS(info);
  if (n > CHCORE_IPC_MAX_CAPS || CHCORE_IPC_INFO_LEN(info) > p->buf_size) return Err::Inval;
  caps.n = static_cast<u32>(n);
  if (n == 0) return kOk;
  u32 d[CHCORE_IPC_MAX_CAPS];
  TRY(copy_from_user(d, descs, n * sizeof(u32)));
  for (u32 i = 0; i < n; i++) {
    if ((d[i] >> 24) != 0) return Err::Inval;
    caps.copies[i] = CapCopy{d[i] & 0xffffu, (d[i] >> 16) & 0xffu};
  }
  return kOk;
}

// Installs the capabilities into `to`, all or none; packs the new slots
// into x6/x7 form.
Status install_caps(CapGroup* from, CapGroup* to, const CapTransfer& caps, u64* lo, u64* hi) {
  *lo = *hi = 0;
  if (caps.n == 0) return kOk;
  CapReservation r = TRY(to->caps.reserve(caps.n));
  TRY(r.commit_copies(from->caps, caps.copies));
  for (u32 i = 0; i < caps.n; i++) {
    u64 s = static_cast<u64>(r.slot(i)) << (16 * (i & 3));
    if (i < 4)
      *lo |= s;
    else
      *hi |= s;
  }
  return kOk;
}

// The message in x0-x7 of `c`: x0, the words, info, received slots.
[[gnu::always_inline]] inline void load_message(ArchContext& c, const Msg& m, u64 lo, u64 hi) {
  c.x[0] = m.x0;
  c.x[1] = m.w[0];
  c.x[2] = m.w[1];
  c.x[3] = m.w[2];
  c.x[4] = m.w[3];
  c.x[5] = m.info;
  c.x[6] = lo;
  c.x[7] = hi;
}

// Where a handler starts: its entry, its stack, the message, and in x8
// the calling process's pid (0: none, the close upcall).
[[gnu::always_inline]] inline void load_entry(IpcPort* p, Thread* h, const Msg& m, u64 lo,
                                              u64 hi, u64 caller_pid) {
  h->ctx.elr = p->entry.raw();
  h->ctx.sp = p->stack_top.raw();
  h->ctx.spsr = kSpsrEl0t;
  load_message(h->ctx, m, lo, hi);
  h->ctx.x[8] = caller_pid;
}

// A thread that the hand-off found stopped while it left the CPU.
void reap_stopped(Thread* t, ThreadState was) {
  if (sched_ipc_stop_claimed(t, was)) thread_reap(t);
}

u32 load_nwaiters(const IpcPort* p) { return __atomic_load_n(&p->nwaiters, __ATOMIC_SEQ_CST); }
void store_nwaiters(IpcPort* p, u32 n) TA_REQ(p->lock) {
  __atomic_store_n(&p->nwaiters, n, __ATOMIC_SEQ_CST);
}

// Wakes one thread waiting for the port to be free: it retries its call.
void wake_waiter(IpcPort* p) TA_REQ(p->lock) {
  u32 n = load_nwaiters(p);
  if (n == 0) return;
  store_nwaiters(p, n - 1);
  SpinGuard s(sched_lock());
  sched_wake_n(&p->waiters, 1, kRestartCall);
}

// The handler leaves a call (or a claim that came to nothing): free for
// the next call, and off this CPU. Returns true if it was stopped
// meanwhile (the caller then reaps it: reap_stopped).
[[gnu::always_inline]] inline bool release_handler(Thread* h) {
  __atomic_store_n(reinterpret_cast<u16*>(&h->state), ipc_claim_word(ThreadState::IpcIdle, false),
                   __ATOMIC_SEQ_CST);
  return __atomic_load_n(&h->kill_pending, __ATOMIC_SEQ_CST);
}

// The call: from the current thread into the port's handler. `ref` is the
// caller's reference to the port's object, which the call keeps until it
// returns. `caps`: what the message carries, from the caller's process.
// `pending`: the connection a connect upcall sets up (server ports).
// Returns the value the system call returns: nothing, if the hand-off
// happened (the handler's return supplies the caller's result).
[[gnu::always_inline]] inline SysResult port_call(IpcPort* p, Object* ref, const Msg& m,
                                                  const CapTransfer* caps, Connection* pending,
                                                  bool* handed_off = nullptr)
    TA_NO_THREAD_SAFETY_ANALYSIS {
  Thread* self = current_thread();
  p->lock.lock();
  Thread* h = p->handler;
  if (h == nullptr) {
    p->lock.unlock();
    obj_put(ref);
    return Err::ConnReset;
  }
  if (h == self) [[unlikely]] {
    // A handler calling its own connection would wait for itself forever.
    p->lock.unlock();
    obj_put(ref);
    return Err::DeadLk;
  }
  if (__atomic_load_n(&self->kill_pending, __ATOMIC_RELAXED)) {
    p->lock.unlock();
    obj_put(ref);
    return Err::Intr;  // its process is exiting: the exit path ends it
  }
  if (!sched_ipc_claim(h, ThreadState::IpcIdle)) {
    if (load_state(h) == ThreadState::Exited) {
      p->lock.unlock();
      obj_put(ref);
      return Err::ConnReset;  // the server is exiting
    }
    // Busy (another call owns the port): wait, then retry. The return that
    // frees the handler publishes IpcIdle, then reads nwaiters; this side
    // counts itself, then reads the state: one of the two sees the other.
    Status st = kOk;
    {
      SpinGuard s(sched_lock());
      st = sched_block_prepare(&p->waiters, 0, 0, false);
      if (st.ok()) {
        store_nwaiters(p, p->nwaiters + 1);
        if (load_state(h) == ThreadState::IpcIdle) {
          // Freed meanwhile, perhaps without seeing us: wake one (maybe us).
          store_nwaiters(p, p->nwaiters - 1);
          sched_wake_n(&p->waiters, 1, kRestartCall);
        }
      }
    }
    p->lock.unlock();
    sched_flush_kicks();
    obj_put(ref);
    if (!st.ok()) return st.error();
    return kBlocked;
  }
  u64 lo = 0, hi = 0;
  if (caps != nullptr && caps->n != 0) {
    Status st = install_caps(self->group, h->group, *caps, &lo, &hi);
    if (!st.ok()) {
      // Give the handler back untouched (a caller may have started waiting).
      bool stopped = release_handler(h);
      wake_waiter(p);
      p->lock.unlock();
      sched_flush_kicks();
      if (stopped) reap_stopped(h, ThreadState::IpcIdle);
      obj_put(ref);
      return st.error();
    }
  }
  if (handed_off != nullptr) *handed_off = true;
  obj_get(self);
  p->caller = self;
  p->inflight = ref;
  p->pending = pending;
  h->sc = self->sc;  // the handler runs on the client's budget
  load_entry(p, h, m, lo, hi, self->group->pid);
  self->result_by_waker = true;  // the return writes its x0-x7
  store_state(self, ThreadState::Blocked);
  bool stopped = sched_ipc_switch(self, h, /*keep_fp_live=*/true);
  p->lock.unlock();
  if (stopped) reap_stopped(self, ThreadState::Blocked);
  return kBlocked;
}

// The return: from the current thread, the port's handler, back to its
// caller with message `m`. Err::Inval if the thread is not in a call.
[[gnu::always_inline]] inline SysResult port_return(IpcPort* p, const Msg& m,
                                                    const CapTransfer* caps)
    TA_NO_THREAD_SAFETY_ANALYSIS {
  Thread* self = current_thread();
  p->lock.lock();
  Thread* c = p->caller;
  // A connect upcall's reply is the new connection's slot (or an error):
  // it carries nothing else.
  if (p->owner->type == ObjType::IpcServer && caps != nullptr && caps->n != 0) {
    p->lock.unlock();
    return Err::Inval;
  }
  if (c == nullptr) {
    bool closing = p->closing;
    CapGroup* hold = closing ? p->exit_hold : nullptr;
    if (closing) p->exit_hold = nullptr;
    p->lock.unlock();
    if (!closing) return Err::Inval;
    // The end of the close upcall: the handler's work is done, and an exit
    // that waited for it may be reported.
    if (hold != nullptr) cap_group_exit_release(hold);
    sched_exit_current();
    return 0;
  }
  u64 lo = 0, hi = 0;
  if (caps != nullptr && caps->n != 0) {
    Status st = install_caps(self->group, c->group, *caps, &lo, &hi);
    if (!st.ok()) {
      p->lock.unlock();
      return st.error();  // still in the call: the handler may return otherwise
    }
  }
  p->caller = nullptr;
  Object* ref = p->inflight;
  p->inflight = nullptr;
  Connection* refused = p->pending;  // a connect upcall that did not accept
  p->pending = nullptr;
  self->sc = &self->own_sc;
  store_state(self, ThreadState::IpcIdle);
  bool stopped = false;
  bool resumed = sched_ipc_claim(c, ThreadState::Blocked);
  if (resumed) {
    // ipc_connect is an ordinary system call for its client: only x0
    // changes (the connect upcall's result, on a server's port).
    if (p->owner->type == ObjType::IpcServer)
      c->ctx.x[0] = m.x0;
    else
      load_message(c->ctx, m, lo, hi);
    c->result_by_waker = false;
    stopped = sched_ipc_switch(self, c, /*keep_fp_live=*/false);
  }
  wake_waiter(p);
  p->lock.unlock();
  if (stopped) reap_stopped(self, ThreadState::IpcIdle);
  obj_put_fast(c);  // the call's reference
  if (refused != nullptr) obj_put(refused);
  if (resumed) {
    obj_put_fast(ref);
  } else {
    // The caller died during the call: the reply is dropped. This thread
    // stays on the CPU until the exit path picks another, so the port's
    // reference (perhaps the last: then the close upcall starts) goes after.
    sched_ipc_idle_current();
    sched_defer_put(ref);
  }
  return 0;
}

// The close upcall: the port's object lost its last reference. The handler
// runs once more, on its own budget, with info = CHCORE_IPC_INFO_CLOSE, so
// the server can free what it keeps for this client; its ipc_return ends it
// and its reaping frees the object (ipc_handler_reaped). Without a live
// handler the object is freed now. Returns true if the caller frees it.
bool port_close(IpcPort* p) TA_NO_THREAD_SAFETY_ANALYSIS {
  Thread* h;
  // The last reference went with an exiting process's capabilities: its
  // exit is reported once this upcall has run (cap_group.h).
  CapGroup* exiting = cap_group_exit_in_progress();
  {
    SpinGuard g(p->lock);
    h = p->handler;
    p->closing = true;
    if (h != nullptr && exiting != nullptr) {
      cap_group_exit_hold(exiting);
      p->exit_hold = exiting;
    }
  }
  if (h == nullptr) return true;
  // No call is in flight (a call holds a reference), so the handler is
  // idle and off every CPU, or stopped: then its reaping frees the object.
  Msg m{p->badge, {0, 0, 0, 0}, CHCORE_IPC_INFO_CLOSE};
  load_entry(p, h, m, 0, 0, 0);
  (void)sched_ipc_start(h);
  sched_flush_kicks();
  return false;
}

void free_connection(Connection* c) {
  if (c->server != nullptr) {
    {
      SpinGuard g(c->server->lock);
      if (c->server_node.linked()) c->server->conns.remove(c);
    }
    obj_put(c->server);
  }
  if (c->port.thread != nullptr) obj_put(c->port.thread);  // its handler, dead by now
  c->~Connection();
  mm::kfree(c);
}

void free_server(IpcServer* s) {
  if (s->port.thread != nullptr) obj_put(s->port.thread);
  obj_put(s->group);
  s->~IpcServer();
  mm::kfree(s);
}

void free_owner(Object* o) {
  if (o->type == ObjType::Connection)
    free_connection(static_cast<Connection*>(o));
  else
    free_server(static_cast<IpcServer*>(o));
}

// Creates a handler thread (idle, bound to `p`) in `group`.
Result<Thread*> create_handler(CapGroup* group, IpcPort* p, u64 tls) {
  Thread* t = TRY(thread_create(group, p->entry, p->stack_top, 0, tls));
  // It never enters a run queue until a close upcall: calls claim it.
  store_state(t, ThreadState::IpcIdle);
  t->ipc_port = p;
  // The caller's reference goes to the port (p->thread, p->handler), the
  // scheduler's stays.
  return t;
}

}  // namespace

void connection_destroy(Connection* c) {
  if (port_close(&c->port)) free_connection(c);
}

void ipc_server_destroy(IpcServer* s) {
  if (port_close(&s->port)) free_server(s);
}

void ipc_handler_reaped(Thread* t) TA_NO_THREAD_SAFETY_ANALYSIS {
  IpcPort* p = t->ipc_port;
  if (p == nullptr) return;
  Thread* caller;
  Object* ref;
  Connection* pending;
  bool closing;
  CapGroup* hold;
  {
    SpinGuard g(p->lock);
    caller = p->caller;
    ref = p->inflight;
    pending = p->pending;
    p->caller = nullptr;
    p->inflight = nullptr;
    p->pending = nullptr;
    p->handler = nullptr;
    closing = p->closing;
    hold = p->exit_hold;
    p->exit_hold = nullptr;
    {
      SpinGuard s(sched_lock());
      if (caller != nullptr) sched_wake(caller, to_errno(Err::ConnReset));
      sched_wake_all(&p->waiters, to_errno(Err::ConnReset));
      store_nwaiters(p, 0);
    }
  }
  sched_flush_kicks();
  if (caller != nullptr) obj_put(caller);
  if (pending != nullptr) obj_put(pending);
  if (ref != nullptr) obj_put(ref);
  t->ipc_port = nullptr;
  // The port's reference to t (IpcPort::thread) goes with the port.
  // A close upcall that will not run (or not finish): the exit it held back
  // is reported now.
  if (hold != nullptr) cap_group_exit_release(hold);
  if (closing) free_owner(p->owner);
}

// --- The calls (kernel/syscall/sys_ipc.cpp checks the capabilities) ---------

SysResult ipc_register_server(VirtAddr handler_entry, VirtAddr connect_entry,
                              VirtAddr connect_stack, u64 tls) {
  if (handler_entry >= kUserTop || connect_entry >= kUserTop || connect_stack >= kUserTop ||
      !is_aligned(handler_entry, 4) || !is_aligned(connect_entry, 4) ||
      !is_aligned(connect_stack, 16))
    return Err::Inval;
  CapGroup* group = current_group();
  void* mem = mm::kzalloc(sizeof(IpcServer));
  if (mem == nullptr) return Err::NoMem;
  auto* s = new (mem) IpcServer();
  obj_init(s, ObjType::IpcServer);
  obj_get(group);
  s->group = group;
  s->handler_entry = handler_entry;
  s->port.owner = s;
  s->port.entry = connect_entry;
  s->port.stack_top = connect_stack;
  CapReservation r;
  Status st = group->caps.reserve(1, r);
  Result<Thread*> h = st.ok() ? create_handler(group, &s->port, tls) : Result<Thread*>(st.error());
  if (!h.ok()) {
    free_server(s);
    return h.error();
  }
  {
    SpinGuard g(s->port.lock);
    s->port.handler = h.value();
    s->port.thread = h.value();
  }
  return r.commit(0, s, CHCORE_RIGHTS_ALL);
}

SysResult ipc_connect(Ref<IpcServer> srv, Ref<Pmo> pmo, CapSlot buf_slot, u64 arg) {
  if (pmo->kind != PmoType::Shared && pmo->kind != PmoType::Data) return Err::Inval;
  if (pmo->size == 0 || pmo->size > CHCORE_IPC_BUF_MAX) return Err::Inval;
  void* mem = mm::kzalloc(sizeof(Connection));
  if (mem == nullptr) return Err::NoMem;
  auto* c = new (mem) Connection();
  obj_init(c, ObjType::Connection);
  c->port.owner = c;
  c->port.entry = srv->handler_entry;
  c->port.buf_size = pmo->size;
  obj_get(srv.get());
  c->server = srv.get();
  CapTransfer caps;
  caps.n = 1;
  caps.copies[0] = CapCopy{buf_slot.value, CHCORE_RIGHT_READ | CHCORE_RIGHT_WRITE};
  Msg m{0, {CHCORE_IPC_OP_CONNECT, pmo->size, current_group()->pid, arg}, CHCORE_IPC_INFO(0, 1)};
  IpcPort* p = &srv->port;
  pmo.reset();
  // The connection's only reference belongs to the upcall (p->pending)
  // until ipc_accept installs it for the client.
  bool handed_off = false;
  SysResult r = port_call(p, srv.release(), m, &caps, c, &handed_off);
  if (!handed_off) obj_put(c);  // failed, or waits to retry from the start
  return r;
}

SysResult ipc_accept(u64 badge, VirtAddr stack_top, u64 tls, u64 flags)
    TA_NO_THREAD_SAFETY_ANALYSIS {
  Thread* self = current_thread();
  IpcPort* p = self->ipc_port;
  if (p == nullptr || p->owner->type != ObjType::IpcServer) return Err::Inval;
  if (stack_top >= kUserTop || !is_aligned(stack_top, 16)) return Err::Inval;
  if ((flags & ~CHCORE_IPC_ACCEPT_FORK) != 0) return Err::Inval;
  auto* srv = static_cast<IpcServer*>(p->owner);
  Connection* conn;
  Thread* client;
  {
    SpinGuard g(p->lock);
    conn = p->pending;
    client = p->caller;
    if (conn == nullptr || client == nullptr) return Err::Inval;  // not in a connect upcall
  }
  // Only this thread changes p->pending/p->caller while it is in the
  // upcall (or its own death, which cannot happen while it runs here).
  {
    SpinGuard g(srv->lock);
    for (Connection* o = srv->conns.front(); o != nullptr; o = srv->conns.next(o))
      if (o->port.badge == badge) return Err::Exist;
  }
  CapReservation r = TRY(client->group->caps.reserve(1));
  conn->port.badge = badge;
  conn->port.stack_top = stack_top;
  conn->forkable = (flags & CHCORE_IPC_ACCEPT_FORK) != 0;
  Thread* h = TRY(create_handler(srv->group, &conn->port, tls));
  {
    SpinGuard g(conn->port.lock);
    conn->port.handler = h;
    conn->port.thread = h;
  }
  {
    SpinGuard g(srv->lock);
    srv->conns.push_back(conn);
  }
  {
    SpinGuard g(p->lock);
    p->pending = nullptr;  // the reference goes to the client's capability
  }
  u32 slot = r.commit(0, conn, kConnRights);
  return port_return(p, Msg{slot, {0, 0, 0, 0}, 0}, nullptr);
}

// The message's capabilities, when it carries any (not the fast path, which
// takes messages whose info is a length alone).
[[gnu::noinline]] static SysResult call_with_caps(Connection* c, const Msg& m, VirtAddr cap_descs) {
  CapTransfer caps;
  Status st = read_message(&c->port, m.info, cap_descs, caps);
  if (!st.ok()) {
    obj_put(c);
    return st.error();
  }
  return port_call(&c->port, c, m, &caps, nullptr);
}

// `info` of the fast path: a length only (no capabilities, no other bits).
[[gnu::always_inline]] inline bool length_only(u64 info) {
  return (info & ~static_cast<u64>(CHCORE_IPC_INFO_LEN(~0ul))) == 0;
}

SysResult ipc_call(Connection* c, u64 w0, u64 w1, u64 w2, u64 w3, u64 info,
                   VirtAddr cap_descs) {
  IpcPort* p = &c->port;
  if (info != 0) {
    if (!length_only(info)) [[unlikely]]
      return call_with_caps(c, Msg{p->badge, {w0, w1, w2, w3}, info}, cap_descs);
    if (CHCORE_IPC_INFO_LEN(info) > p->buf_size) [[unlikely]] {
      obj_put(c);
      return Err::Inval;
    }
  }
  return port_call(p, c, Msg{p->badge, {w0, w1, w2, w3}, info}, nullptr, nullptr);
}

namespace {
[[gnu::noinline]] SysResult return_with_caps(IpcPort* p, const Msg& m, VirtAddr cap_descs) {
  CapTransfer caps;
  TRY(read_message(p, m.info, cap_descs, caps));
  return port_return(p, m, &caps);
}
}  // namespace

SysResult ipc_return(i64 ret, u64 w0, u64 w1, u64 w2, u64 w3, u64 info, VirtAddr cap_descs) {
  IpcPort* p = current_thread()->ipc_port;
  if (p == nullptr) return Err::Inval;
  Msg m{static_cast<u64>(ret), {w0, w1, w2, w3}, info};
  if (info != 0) {
    if (!length_only(info)) [[unlikely]]
      return return_with_caps(p, m, cap_descs);
    if (CHCORE_IPC_INFO_LEN(info) > p->buf_size) [[unlikely]]
      return Err::Inval;
  }
  return port_return(p, m, nullptr);
}

// --- The fast path's C++ side (ipc/fastpath.S) ----------------------------------

// The offsets fastpath.S uses (asm_offsets.h); a friend of the classes
// whose private members it reads.
struct IpcFastLayout {
  static_assert(__builtin_offsetof(Object, type) == OBJ_TYPE);
  static_assert(__builtin_offsetof(Object, refcount) == OBJ_REFCOUNT);
  static_assert(static_cast<u8>(ObjType::Connection) == OBJ_CONNECTION);
  static_assert(__builtin_offsetof(Thread, ctx) == THREAD_CTX);
  static_assert(__builtin_offsetof(Thread, fp) == THREAD_FP);
  static_assert(__builtin_offsetof(Thread, tpidr_el0) == THREAD_TPIDR);
  static_assert(__builtin_offsetof(Thread, group) == THREAD_GROUP);
  static_assert(__builtin_offsetof(Thread, state) == THREAD_STATE);
  static_assert(__builtin_offsetof(Thread, sc) == THREAD_SC);
  static_assert(__builtin_offsetof(Thread, own_sc) == THREAD_OWN_SC);
  static_assert(__builtin_offsetof(Thread, cpu) == THREAD_CPU);
  static_assert(__builtin_offsetof(Thread, fp_cpu) == THREAD_FP_CPU);
  static_assert(__builtin_offsetof(Thread, fp_live) == THREAD_FP_LIVE);
  static_assert(__builtin_offsetof(Thread, kill_pending) == THREAD_KILL);
  static_assert(__builtin_offsetof(Thread, fp_eager) == THREAD_FP_EAGER);
  static_assert(__builtin_offsetof(Thread, result_by_waker) == THREAD_BY_WAKER);
  static_assert(__builtin_offsetof(Thread, ipc_port) == THREAD_IPC_PORT);
  static_assert(__builtin_offsetof(Thread, sig.pending) == THREAD_SIG_PENDING);
  static_assert(__builtin_offsetof(Thread, sig.interrupted) == THREAD_SIG_INTERRUPTED);
  static_assert(static_cast<u8>(ThreadState::Running) == TS_RUNNING &&
                static_cast<u8>(ThreadState::Blocked) == TS_BLOCKED &&
                static_cast<u8>(ThreadState::IpcIdle) == TS_IPCIDLE);
  static_assert(__builtin_offsetof(CapGroup, caps.slots_) == GROUP_CAPS_SLOTS);
  static_assert(__builtin_offsetof(CapGroup, caps.capacity_) == GROUP_CAPS_CAPACITY);
  static_assert(__builtin_offsetof(CapGroup, vmspace) == GROUP_VMSPACE);
  static_assert(__builtin_offsetof(CapGroup, vmspace.ttbr0_) == GROUP_TTBR0);
  static_assert(__builtin_offsetof(CapGroup, pid) == GROUP_PID);
  static_assert(__builtin_offsetof(CapGroup, sig.pending) == GROUP_SIG_PENDING);
  static_assert(__builtin_offsetof(CapGroup, sig.stopped) == GROUP_SIG_STOPPED);
  static_assert(__builtin_offsetof(IpcPort, caller) == PORT_CALLER &&
                __builtin_offsetof(IpcPort, inflight) == PORT_CALLER + 8);
  static_assert(__builtin_offsetof(IpcPort, pending) == PORT_PENDING);
  static_assert(__builtin_offsetof(IpcPort, nwaiters) == PORT_NWAITERS);
  static_assert(__builtin_offsetof(IpcPort, entry) == PORT_ENTRY &&
                __builtin_offsetof(IpcPort, stack_top) == PORT_ENTRY + 8);
  static_assert(__builtin_offsetof(IpcPort, badge) == PORT_BADGE);
  static_assert(__builtin_offsetof(IpcPort, buf_size) == PORT_BUF_SIZE);
  static_assert(__builtin_offsetof(IpcPort, thread) == PORT_THREAD);
  static_assert(__builtin_offsetof(Connection, port) == CONN_PORT);
  static_assert(CHCORE_RIGHT_WRITE == 1u << 1, "fastpath.S tests bit 1");
};

// ipc_call's fast path took its reference to `c` and then found something
// it leaves to the ordinary call (a length beyond the buffer, a busy or
// dead handler, a call into the caller's own handler, a stop): the
// ordinary call, which takes the reference over. The fast path has saved
// the caller's whole context.
extern "C" i64 ipc_fast_call_slow(Connection* c, u64 w0, u64 w1, u64 w2, u64 w3, u64 info,
                                  u64 cap_descs) {
  SysResult r = ipc_call(c, w0, w1, w2, w3, info, VirtAddr{cap_descs});
  return r.ok() ? r.value() : to_errno(r.error());
}

// What a fast hand-off, already made (this CPU runs the other thread now),
// leaves to C++ in its rare cases: the thread it switched to has a signal
// or a stop to take (the exit path does it), the thread it left was stopped
// meanwhile (in state `prev_state`: reaped here, as port_call and
// port_return do), a caller waits for the port to be free, references that
// may be the last.
extern "C" void ipc_fast_tail(Thread* prev, u32 prev_state, u32 flags, IpcPort* p, Object* put_a,
                              Object* put_b) {
  if (flags & IPC_TAIL_NEXT_WORK) __atomic_store_n(&this_cpu()->need_resched, 1u, __ATOMIC_RELAXED);
  if (flags & IPC_TAIL_WAKE) {
    SpinGuard g(p->lock);
    wake_waiter(p);
  }
  sched_flush_kicks();
  if (flags & IPC_TAIL_PREV_STOPPED) reap_stopped(prev, static_cast<ThreadState>(prev_state));
  if (put_a != nullptr) obj_put(put_a);
  if (put_b != nullptr) obj_put(put_b);
}

}  // namespace kern
