// A process: a capability table, an address space and its threads.
//
// Lifetime: the process runs while it has threads. When the last thread ends
// (thread_exit; decided when it is reaped, see thread_reap), or one calls
// exit_group, or a thread is killed by a fault,
// the process *exits*: its other threads are stopped, its capabilities are
// revoked, its address space is destroyed (all its memory freed), and
// threads waiting in wait_cap_group wake with its exit status. The CapGroup
// object itself stays until the last capability naming it is gone, so a
// parent can still read the status.
//
// A process that has never started a thread is kept alive only by the
// references to it; if nothing live reaches it any more (only other such
// processes hold capabilities to it), it is destroyed as if its last
// capability had been revoked (CapTable::owner_put; docs/processes.md).
#pragma once
#include "lib/spinlock.h"
#include "mm/vmspace.h"
#include "object/cap_table.h"
#include "object/object.h"
#include "object/thread.h"
#include "time/posix_timer.h"

namespace kern {

enum class ProcState : u8 { Running, Exited };

// Wait statuses (uapi/object.h): a user fault kills the process as SIGSEGV
// would; a process torn down before it exited reads as SIGKILL.
inline constexpr i32 kStatusKilled = CHCORE_SIGSEGV;
inline constexpr i32 kStatusDestroyed = CHCORE_SIGKILL;
inline constexpr i32 exit_status_of(i64 code) { return CHCORE_WSTATUS_EXITED(static_cast<i32>(code)); }

struct CapGroup : Object {
  CapTable caps{this};  // closed once the process exits: nothing more is installed
  VmSpace vmspace;
  u64 pid;
  char name[CHCORE_NAME_MAX];

  // Protects the fields below. Lock order: CapGroup::lock -> scheduler lock.
  SpinLock lock;
  ProcState state TA_GUARDED(lock);
  // A thread of it has been started (thread_start): its last thread's end
  // is then its exit.
  bool started TA_GUARDED(lock);
  i32 exit_status TA_GUARDED(lock);  // a wait status (see uapi/object.h)
  GroupThreadList threads TA_GUARDED(lock);  // threads that have not exited
  // CPU time of its threads that have left `threads` (sched/cpu_time.h).
  CpuTimes exited_times TA_GUARDED(lock);
  // Its timers (time/posix_timer.h); deleted when it exits.
  PosixTimerList timers TA_GUARDED(lock);
  // How many of them run on CPU time and are armed: the tick looks at the
  // process's timers only when there are some (written under lock).
  u32 cpu_timers_armed;
  // The exit's report to waiters (finish_exit) is held back while close
  // upcalls that the exit's release of its capabilities started still run
  // in their servers (ipc.cpp, IpcPort::exit_hold): a parent's wait then
  // finds what the process held in servers (its file locks) released, as
  // on Linux. exit_holds counts finish_exit itself and each such upcall;
  // whoever drops it to 0 reports (exit_reported, then the waiters).
  u32 exit_holds;
  bool exit_reported TA_GUARDED(lock);
  WaitQueue waiters;  // blocked in wait_cap_group (scheduler lock)
  // Blocked in wait_cap_group_event, and its threads parked while it is
  // stopped (scheduler lock; signal/signal_state.h).
  WaitQueue event_waiters;
  WaitQueue parked;

  // The heap (handle_brk): [CHCORE_HEAP_BASE, brk) is in use, mapped up to
  // heap_mapped (page aligned). Only the process's own threads change it.
  VirtAddr brk;
  VirtAddr heap_mapped;

  // Its recoverable copy routine (set_copy_fixup, once): a data abort that
  // the kernel cannot resolve, at a pc in [copy_start, copy_end), resumes
  // at copy_fixup instead of killing the process. copy_end 0: none.
  VirtAddr copy_start TA_GUARDED(lock);
  VirtAddr copy_end TA_GUARDED(lock);
  VirtAddr copy_fixup TA_GUARDED(lock);

  // Where its C library describes itself to /proc (set_proc_info; 0:
  // nothing said). The kernel never reads it: cap_group_stat reports it,
  // and procmgr reads what it points to with cap_group_read.
  VirtAddr proc_info TA_GUARDED(lock);

  // Signal actions and process-directed pending signals
  // (signal/signal_state.h).
  ProcessSignals sig;
};

// Where a thread of `g` that took an unresolvable data abort at `pc`
// resumes (its copy routine's fix-up), or 0: it is killed.
u64 copy_fixup_for(CapGroup* g, u64 pc);

// Creates a process with an empty address space; slot 0 holds itself.
// Returns it with one reference for the caller.
[[nodiscard]] Result<CapGroup*> cap_group_create(const char* name);
void cap_group_destroy(CapGroup* g);  // obj_put's last reference

// Ends the process with wait status `status` (exit_status_of(code), or
// kStatusKilled). The first status wins. Does not switch threads: the
// caller's own thread, if it is in the process, is left to the caller, who
// marks it exited (sched_exit_current) so that the exit path reaps it.
void cap_group_exit(CapGroup* g, i32 status);
// The process whose exit this CPU is finishing (releasing its
// capabilities), or nullptr: a close upcall started then holds the exit's
// report back (cap_group_exit_hold) until it has run
// (cap_group_exit_release, which drops the reference the hold took).
CapGroup* cap_group_exit_in_progress();
void cap_group_exit_hold(CapGroup* g);
void cap_group_exit_release(CapGroup* g);
// cap_group_cpu_times (sched/cpu_time.h) with the process's lock held.
CpuTimes cap_group_cpu_times_locked(CapGroup* g) TA_REQ(g->lock);

// The process of the current thread.
inline CapGroup* current_group() {
  Thread* t = current_thread();
  return t == nullptr ? nullptr : t->group;
}

// Capability operations on a process's table (object/cap_table.h).
[[nodiscard]] inline Result<Object*> cap_get(CapGroup* group, u64 slot, ObjType type, u32 rights) {
  return group->caps.get(slot, type, rights);
}
[[nodiscard]] inline Result<u64> cap_info(CapGroup* group, u64 slot) {
  return group->caps.info(slot);
}
// Copies `slot` within `group` (rights & old rights). Needs COPY.
[[nodiscard]] inline Result<u32> cap_copy(CapGroup* group, u64 slot, u32 rights) {
  return group->caps.copy_to(slot, group->caps, rights);
}
// Copies `slot` of `from` into `to`. Needs COPY on the source.
[[nodiscard]] inline Result<u32> cap_transfer(CapGroup* from, u64 slot, CapGroup* to, u32 rights) {
  return from->caps.copy_to(slot, to->caps, rights);
}
[[nodiscard]] inline Status cap_revoke_self(CapGroup* group, u64 slot) {
  return group->caps.revoke_self(slot);
}
[[nodiscard]] inline Status cap_revoke_derived(CapGroup* group, u64 slot) {
  return group->caps.revoke_derived(slot);
}

}  // namespace kern
