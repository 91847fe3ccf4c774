// Synchronous IPC: servers, connections, and the call path between them.
//
// The objects (docs/ipc.md has the whole story, step by step):
//   IpcServer   what a server registers once: the entry point of its
//               handlers and a connect thread that sets up each new client.
//               A capability to it lets a process connect.
//   Connection  one client's line to the server: its own handler thread in
//               the server, a shared buffer (a PMO mapped by both sides), a
//               badge the server chose. A capability to it lets a thread
//               call.
// Both contain an IpcPort: the handler thread and the call in progress.
//
// A call migrates the caller's thread of control into the server: the
// client thread blocks, the handler thread starts at the registered entry
// on the same CPU, on the client's scheduling context, and ipc_return
// switches straight back. Neither direction goes through a run queue or
// takes the scheduler's lock or the port's: claiming the handler thread
// (one CAS) makes the call the port's owner (see IpcPort). The common case
// runs in assembly from the exception vector to the eret (ipc/fastpath.S);
// this file's C++ takes the rest.
#pragma once
#include "lib/list.h"
#include "lib/result.h"
#include "lib/spinlock.h"
#include "object/object.h"
#include "object/ref.h"
#include "object/thread.h"

namespace kern {

struct CapGroup;
struct IpcServer;

// Who may touch what. A call owns the port from the moment it claims the
// handler thread (IpcIdle -> Running, sched_ipc_claim) until the handler's
// return releases it (IpcIdle again): only the owner writes `caller` and
// `inflight`, and the fast path (ipc/fastpath.S) takes no lock at all. The
// lock serialises everything else: the waiters, the connect upcall's
// `pending`, `closing` and `exit_hold`, and `handler` going null.
struct IpcPort {
  SpinLock lock;
  // The handler thread; nullptr once it died with its server.
  Thread* handler TA_GUARDED(lock) = nullptr;
  // The call in progress: the calling thread (a reference) and the
  // reference to this port's object that the call holds. Written by the
  // call that owns the port (see above).
  Thread* caller = nullptr;
  Object* inflight = nullptr;
  // The connect upcall in progress (server ports): the connection it sets up.
  struct Connection* pending TA_GUARDED(lock) = nullptr;
  // Threads in `waiters`: changed under the lock, read without it by a
  // return (a Dekker pair with the waiter's look at the handler's state).
  u32 nwaiters = 0;
  // The object's last reference is gone: the handler runs its close upcall,
  // and the memory goes when the handler is reaped.
  bool closing TA_GUARDED(lock) = false;
  // The exiting process whose report waits for this close upcall
  // (cap_group_exit_hold), or nullptr.
  struct CapGroup* exit_hold TA_GUARDED(lock) = nullptr;
  // Callers that found the handler busy (scheduler lock); each retries its
  // call when woken.
  WaitQueue waiters;
  // Fixed once the port is set up.
  VirtAddr entry;      // where every call starts the handler
  VirtAddr stack_top;  // its stack pointer then
  u64 badge = 0;
  u64 buf_size = 0;  // 0: messages carry no buffer data
  Object* owner = nullptr;  // the Connection or IpcServer containing the port
  // The handler thread, dead or alive, with a reference held until the
  // port's object is freed: a lock-free call may look at it (and find it
  // Exited) while its reaping sets `handler` to nullptr.
  Thread* thread = nullptr;
};

struct Connection : Object {
  IpcPort port;
  IpcServer* server;  // a reference
  ListNode server_node;  // IpcServer::conns (for unique badges)
  // Accepted with CHCORE_IPC_ACCEPT_FORK: fork copies capabilities to it.
  // Fixed before the client's capability exists.
  bool forkable = false;
};

struct IpcServer : Object {
  IpcPort port;  // its handler is the connect thread
  CapGroup* group;  // the server process (a reference)
  VirtAddr handler_entry;
  SpinLock lock;
  KList(Connection, server_node) conns TA_GUARDED(lock);  // live connections
};

void ipc_server_destroy(IpcServer* s);  // obj_put's last reference
void connection_destroy(Connection* c);

// thread_reap of a handler thread: its port is dead; a caller waiting in it
// and every thread waiting for it get -ECONNRESET.
void ipc_handler_reaped(Thread* t);

// The calls, once kernel/syscall/sys_ipc.cpp has looked up and checked the
// capabilities; arguments and errors: docs/abi.md. Each returns what the
// system call returns (for a call that blocked or handed the CPU over,
// kBlocked: the other side writes the caller's result).
[[nodiscard]] Result<i64> ipc_register_server(VirtAddr handler_entry, VirtAddr connect_entry,
                                              VirtAddr connect_stack, u64 tls);
[[nodiscard]] Result<i64> ipc_connect(Ref<IpcServer> server, Ref<Pmo> buf, CapSlot buf_slot,
                                      u64 arg);
[[nodiscard]] Result<i64> ipc_accept(u64 badge, VirtAddr stack_top, u64 tls, u64 flags);
// ipc_call takes over the caller's reference to `conn`. cap_descs: the
// address of the capability descriptors (x6), read only if info says
// capabilities travel.
[[nodiscard]] Result<i64> ipc_call(Connection* conn, u64 w0, u64 w1, u64 w2, u64 w3, u64 info,
                                   VirtAddr cap_descs);
[[nodiscard]] Result<i64> ipc_return(i64 ret, u64 w0, u64 w1, u64 w2, u64 w3, u64 info,
                                     VirtAddr cap_descs);

}  // namespace kern
