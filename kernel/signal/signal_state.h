// The signal state a process and each of its threads carry (CapGroup::sig,
// Thread::sig). docs/signals.md tells the whole story; signal/signal.h has
// the operations.
//
// Locking. ProcessSignals::lock protects the actions, both pending sets,
// the queued siginfo, every thread's blocked mask, saved mask and
// alternate stack. Lock order: CapGroup::lock -> ProcessSignals::lock ->
// scheduler lock. The fields marked "scheduler lock" describe a blocked
// thread's wait and belong to the scheduler (sched/sched.cpp). The exit
// path reads `pending` and `blocked` without the lock, as a hint: a writer
// that makes a signal deliverable then takes the scheduler lock and asks
// the target's CPU to look (sched_signal_notify), so a stale read is
// always followed by another look.
#pragma once
#include "lib/spinlock.h"
#include "lib/types.h"
#include "uapi/signal.h"

namespace kern {

// What a pending signal carries besides its number. A standard signal sent
// again before delivery is delivered once, as on Linux: its first siginfo
// is kept. Real-time signals queue: see SigQueue.
struct SigInfo {
  i32 code;  // si_code
  i32 pid;   // sender (kill, tkill)
  u64 addr;  // fault address (SIGSEGV, SIGBUS, SIGILL, SIGTRAP); sigqueue's value
};

// The further instances of pending real-time signals (POSIX, as Linux):
// the first instance of a signal is its bit in `pending` and its entry in
// `info`; each one sent while that is pending waits here, in the order
// sent, and takes its place when it is taken (delivered, or returned by
// sigtimedwait). Up to kSigQueueMax per process and per thread (POSIX's
// _POSIX_SIGQUEUE_MAX); a sender finds a full queue EAGAIN. A timer's
// signal (SI_TIMER) does not queue: a timer has one pending at a time.
inline constexpr u32 kSigQueueMax = 32;
struct SigQueue {
  u32 n;
  struct Entry {
    u32 sig;
    SigInfo info;
  } e[kSigQueueMax];
};

struct SigAction {
  u64 handler;  // CHCORE_SIG_DFL, CHCORE_SIG_IGN or a user address
  u64 flags;
  u64 restorer;
  u64 mask;
};

struct ProcessSignals {
  SpinLock lock;
  SigAction actions[CHCORE_NSIG] TA_GUARDED(lock);
  u64 pending;  // process-directed, not yet taken by a thread
  // Job control. A stop signal's default action stops the process: its
  // threads park at the exit to user space (CapGroup::parked) until
  // SIGCONT (or SIGKILL). `stopped` is read without the lock as a hint,
  // like `pending` (beside it: the exit path's checks load both with
  // short offsets). `event` is the stop or continue that
  // wait_cap_group_event has not reported yet, as a wait status
  // (CHCORE_WSTATUS_STOPPED(sig), CHCORE_WSTATUS_CONTINUED), or 0.
  bool stopped;
  SigInfo info[CHCORE_NSIG] TA_GUARDED(lock);
  SigQueue queued TA_GUARDED(lock);
  i32 event TA_GUARDED(lock);
  // Its process group is orphaned (procmgr says so: set_job_control): the
  // default stop of SIGTSTP, SIGTTIN and SIGTTOU is discarded.
  bool orphaned TA_GUARDED(lock);
  // The mask of the process's first thread (procmgr's signal_start_state:
  // the mask an exec keeps, a spawn's attribute); 0 unless told.
  u64 start_mask;
};

struct ThreadSignals {
  u64 blocked;  // the mask (never SIGKILL or SIGSTOP)
  u64 pending;  // directed at this thread (tkill, its faults)
  SigInfo info[CHCORE_NSIG];
  SigQueue queued;
  // sigsuspend: the mask to restore once a handler has run (it goes into
  // the frame's uc_sigmask).
  u64 saved_mask;
  bool has_saved_mask;
  // sigaltstack
  u64 altstack_sp;
  u64 altstack_size;
  bool altstack_enabled;

  // Scheduler lock. A thread blocked in sched_block_prepare may be
  // interrupted; `waitset` holds the signals sigtimedwait waits for (they
  // restart the call instead). An interrupted call returns -EINTR, its
  // first argument kept in restart_x0 in case it is restarted
  // (signal_exit_work decides).
  bool interruptible;
  bool interrupted;
  u64 waitset;
  u64 restart_x0;
  // A relative clock_nanosleep: where to report the time left (0: none)
  // and its deadline (counter ticks), for a sleep a handler interrupts.
  u64 sleep_rem;
  u64 sleep_deadline;
};

}  // namespace kern
