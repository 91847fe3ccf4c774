#include "object/thread.h"

#include "lib/new.h"
#include "lib/string.h"
#include "arch/aarch64/per_cpu.h"
#include "mm/kmalloc.h"
#include "object/cap_group.h"
#include "sched/sched.h"

namespace kern {

namespace {
u64 g_next_tid = 1;
}

Result<Thread*> thread_create(CapGroup* group, VirtAddr entry, VirtAddr stack, u64 arg, u64 tls) {
  void* mem = mm::kzalloc(sizeof(Thread));
  if (mem == nullptr) return Err::NoMem;
  auto* t = new (mem) Thread();
  obj_init(t, ObjType::Thread);
  t->refcount = 2;  // the caller's, and the scheduler's until the thread exits
  t->ctx.x[0] = arg;
  t->ctx.elr = entry.raw();
  t->ctx.sp = stack.raw();
  t->ctx.spsr = kSpsrEl0t;
  t->tpidr_el0 = tls;
  t->timer.heap_index = -1;
  t->own_sc = SchedContext{};
  t->sc = &t->own_sc;
  t->fp_cpu = ~0u;
  t->cpu = static_cast<u32>(this_cpu()->cpu_id);
  t->tid = __atomic_fetch_add(&g_next_tid, 1, __ATOMIC_RELAXED);
  {
    SpinGuard g(group->lock);
    if (group->state != ProcState::Running) {
      mm::kfree(t);
      return Err::Inval;
    }
    obj_get(group);
    t->group = group;
    // A thread of the same process starts with its creator's signal mask
    // (as clone gives it on Linux); a process's first thread with the one
    // procmgr gave the process (signal_start_state), or none.
    if (Thread* cur = current_thread(); cur != nullptr && cur->group == group)
      t->sig.blocked = cur->sig.blocked;
    else if (group->threads.empty())
      t->sig.blocked = group->sig.start_mask;
    group->threads.push_back(t);
  }
  return t;
}

void thread_start(Thread* t) {
  t->group->caps.owner_started();  // its threads keep the process alive now
  {
    SpinGuard g(t->group->lock);
    t->group->started = true;  // from now on, its last thread's end is its exit
  }
  sched_start(t);
}

void thread_abort(Thread* t) {
  bool ours;
  {
    SpinGuard s(sched_lock());
    // Unless the process exited meanwhile (which stopped and reaped it).
    ours = t->state == ThreadState::Created;
    if (ours) t->state = ThreadState::Exited;
  }
  if (ours) thread_reap(t);  // drops the scheduler's reference
  obj_put(t);                // and the caller's
}

void thread_destroy(Thread* t) {
  obj_put(t->group);
  mm::kfree(t);
}

}  // namespace kern
