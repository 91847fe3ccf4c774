// Processes and threads: create_cap_group, create_thread, thread_exit,
// exit_group, yield, wait_cap_group, get_free_mem.
#include "mm/kmalloc.h"
#include "mm/phys.h"
#include "mm/uaccess.h"
#include "object/cap_group.h"
#include "object/ref.h"
#include "sched/futex.h"
#include "sched/sched.h"
#include "syscall/syscall.h"

using namespace kern;

extern "C" i64 sys_create_cap_group(u64 name_ptr, u64 name_len, u64, u64, u64, u64) {
  if (name_len >= CHCORE_NAME_MAX) return -CHCORE_EINVAL;
  char name[CHCORE_NAME_MAX];
  Status s = copy_from_user(name, name_ptr, name_len);
  if (!s.ok()) return to_errno(s.error());
  name[name_len] = '\0';
  Result<CapGroup*> g = cap_group_create(name);
  if (!g.ok()) return to_errno(g.error());
  // The new process's reference moves into the caller's capability.
  Result<u32> slot = current_group()->caps.install(current_group(), g.value(), CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    obj_put(g.value());
    return to_errno(slot.error());
  }
  return slot.value();
}

extern "C" i64 sys_create_thread(u64 cg_slot, u64 entry, u64 stack, u64 arg, u64 tls, u64) {
  Result<CapGroup*> g = cap_lookup<CapGroup>(cg_slot, CHCORE_RIGHT_CONTROL);
  if (!g.ok()) return to_errno(g.error());
  Ref<CapGroup> group(g.value());
  if (entry >= kUserTop || stack >= kUserTop || (entry & 3) != 0) return -CHCORE_EINVAL;
  // Check, then act: reserve the capability before the thread can run.
  Result<Thread*> t = thread_create(group.get(), entry, stack, arg, tls);
  if (!t.ok()) return to_errno(t.error());
  Result<u32> slot = current_group()->caps.install(current_group(), t.value(), CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    thread_abort(t.value());
    return to_errno(slot.error());
  }
  thread_start(t.value());
  return slot.value();
}

extern "C" i64 sys_thread_exit(u64, u64, u64, u64, u64, u64) {
  Thread* self = current_thread();
  CapGroup* g = self->group;
  // set_tid_address: clear the word and wake one waiter (pthread_join).
  if (self->clear_child_tid != 0) {
    u32 zero = 0;
    if (copy_to_user(self->clear_child_tid, &zero, sizeof(zero)).ok())
      (void)futex_wake(g, self->clear_child_tid, 1);
  }
  bool last;
  {
    SpinGuard l(g->lock);
    last = g->threads.size() == 1;  // only this thread is left
  }
  if (last) cap_group_exit(g, 0);
  sched_exit_current();
  return 0;
}

extern "C" i64 sys_exit_group(u64 code, u64, u64, u64, u64, u64) {
  cap_group_exit(current_group(), exit_status_of(static_cast<i64>(code)));
  sched_exit_current();
  return 0;
}

extern "C" i64 sys_yield(u64, u64, u64, u64, u64, u64) {
  sched_yield_current();
  return 0;
}

// Waiting holds no reference to the process: a process whose last reference
// disappears wakes its waiters as it is destroyed (cap_group_destroy).
extern "C" i64 sys_wait_cap_group(u64 cg_slot, u64, u64, u64, u64, u64) {
  Result<CapGroup*> r = cap_lookup<CapGroup>(cg_slot, CHCORE_RIGHT_CONTROL);
  if (!r.ok()) return to_errno(r.error());
  CapGroup* g = r.value();
  if (g == current_group()) {
    obj_put(g);
    return -CHCORE_EINVAL;  // would wait forever
  }
  g->lock.lock();
  if (g->state == ProcState::Exited) {
    i64 status = g->exit_status;
    g->lock.unlock();
    obj_put(g);
    return status;
  }
  {
    SpinGuard s(sched_lock());
    (void)sched_block_prepare(&g->waiters, 0, 0);  // no timeout: cannot fail
  }
  g->lock.unlock();
  obj_put(g);
  return 0;  // the exit wakes us with the status
}

extern "C" i64 sys_get_free_mem(u64, u64, u64, u64, u64, u64) {
  mm::kmalloc_shrink();
  return static_cast<i64>(mm::free_page_count() * mm::kPageSize);
}
