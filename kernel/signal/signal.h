// Signals: sending, the default actions, and delivery at the exit to user
// space (docs/signals.md).
//
// A signal is made pending on a thread (tkill, a fault) or on its process
// (kill through a capability); SIGKILL, and a signal whose action is to
// terminate and that some thread would take now, end the process at once.
// Otherwise the chosen thread is told (sched_signal_notify): a thread
// blocked in an interruptible wait is woken with -EINTR, a running one has
// its CPU take the exit path. There, signal_exit_work takes the pending
// signals the thread does not block, one by one: an ignored one is
// dropped, a terminating one ends the process, a handler gets a frame on
// the user stack (Linux's AArch64 rt_sigframe) and the thread resumes in
// it; sigreturn restores what the frame saved.
#pragma once
#include "arch/aarch64/context.h"
#include "lib/result.h"
#include "signal/signal_state.h"

namespace kern {

struct Thread;
struct CapGroup;

// The signals `t` has pending that it would take now (thread-directed,
// and, unless it is an IPC handler thread, process-directed). A lock-free
// hint (signal_state.h).
inline u64 signal_deliverable_set(u64 thread_pending, u64 group_pending, bool ipc_handler,
                                  u64 blocked) {
  return (thread_pending | (ipc_handler ? 0 : group_pending)) & ~blocked;
}

// Whether the exit path has signal work for `t`: a deliverable signal or
// an interrupted call to finish.
bool signal_work_pending(const Thread* t);

// The exit path's signal work for the current thread `t`, whose saved
// registers are `ctx`: restart or fail an interrupted call, deliver
// pending signals. May end the process (the thread is then marked exited
// and this CPU must reschedule). Returns the context to resume.
ArchContext* signal_exit_work(Thread* t, ArchContext* ctx);

// Sends `sig` (1..64) to thread `t` / to process `g`, with the siginfo
// fields `info`.
// Err::Again: a real-time signal found its queue full (SigQueue).
Status signal_send_thread(Thread* t, u32 sig, const SigInfo& info);
Status signal_send_group(CapGroup* g, u32 sig, const SigInfo& info);

// exec: the signals pending on the old image `from` (its process's and
// its threads') are sent to the new image `to`; if `from` has ended by a
// signal, `to` ends with the same wait status.
Status signal_handover(CapGroup* from, CapGroup* to);

// Takes pending signal `sig` off `set` (a thread's or its process's, under
// the process's signal lock): its siginfo; a queued further instance
// (SigQueue) becomes the pending one.
SigInfo signal_take(u64* set, SigInfo* infos, SigQueue* q, u32 sig);

// A fault of the current thread `t` (exception.cpp): if a handler for
// `sig` is installed and neither blocked nor ignored, queues the signal
// and returns true (the exit path delivers it); otherwise returns false
// and the caller ends the process as it always did.
bool signal_fault(Thread* t, u32 sig, i32 code, u64 addr);

// Ends process `g` as signal `sig`'s default action does: wait status
// sig, with CHCORE_WCOREFLAG for the signals that dump core. If `g` is the
// current process, the current thread is marked exited.
void signal_kill_group(CapGroup* g, u32 sig);

// The siginfo_t (Linux's layout) of signal `sig` sent with `info`: for a
// handler's frame and for sigtimedwait.
chcore_siginfo signal_siginfo(u32 sig, const SigInfo& info);

// Whether the default action of `sig` dumps core.
bool signal_dumps_core(u32 sig);

}  // namespace kern
