// A user thread: its saved registers and its place in the scheduler.
#pragma once
#include "arch/aarch64/context.h"
#include "arch/aarch64/fpu.h"
#include "lib/list.h"
#include "lib/result.h"
#include "object/object.h"

namespace kern {

struct CapGroup;

enum class ThreadState : u8 {
  Created,   // not started yet
  Runnable,  // in the run queue
  Running,   // on a CPU
  Blocked,   // in a wait queue
  Exited,    // will never run again
};

struct Thread : Object {
  // While the thread runs at EL0, SP_EL1 points just past `ctx`, so an
  // exception saves the user registers straight into it (vectors.S).
  alignas(16) ArchContext ctx;
  FpState fp;
  u64 tpidr_el0;
  CapGroup* group;  // holds a reference
  ThreadState state;
  u64 tid;
  ListNode sched_node;  // run queue or wait queue
  struct WaitQueue* waiting_on;  // while Blocked
  ListNode group_node;  // CapGroup::threads
};

using ThreadList = KList(Thread, sched_node);
using GroupThreadList = KList(Thread, group_node);

// A queue of blocked threads.
struct WaitQueue {
  ThreadList threads;
};

// Creates a thread in `group` with pc = entry, sp = stack, x0 = arg,
// TPIDR_EL0 = tls and all other registers zero. It runs once thread_start()
// is called. Returns it with one reference for the caller (the scheduler
// holds its own). Err::Inval if the process has exited.
[[nodiscard]] Result<Thread*> thread_create(CapGroup* group, VirtAddr entry, VirtAddr stack,
                                            u64 arg, u64 tls);
void thread_start(Thread* t);
// Undoes thread_create for a thread that never started (drops both references).
void thread_abort(Thread* t);
void thread_destroy(Thread* t);  // obj_put's last reference

// The thread running on this CPU (nullptr in kernel-only contexts).
Thread* current_thread();

}  // namespace kern
