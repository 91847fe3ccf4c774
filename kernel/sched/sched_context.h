// A scheduling context: the budget a thread runs on.
//
// Priority, time slice and CPU affinity describe a budget, not a thread, so
// they live here and a thread points to one (Thread::sc). Normally that is
// the thread's own (Thread::own_sc). ChCore's migrating-thread IPC lets a
// server's handler thread run on its client's budget: the call switches one
// pointer, and the handler is then scheduled with the client's priority,
// slice and affinity until it returns.
//
// Protected by the scheduler lock, like every scheduling field.
#pragma once
#include "lib/types.h"

namespace kern {

inline constexpr u32 kNumPriorities = 32;  // 0 (lowest) .. 31
inline constexpr u32 kDefaultPriority = 10;
inline constexpr i32 kAnyCpu = -1;

struct SchedContext {
  u32 prio = kDefaultPriority;
  i32 affinity = kAnyCpu;  // kAnyCpu or the only CPU it may run on
  u64 slice_end = 0;       // counter value when the current slice ends

  bool may_run_on(u32 cpu) const { return affinity == kAnyCpu || static_cast<u32>(affinity) == cpu; }
};

}  // namespace kern
