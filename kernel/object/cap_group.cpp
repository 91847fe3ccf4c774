#include "object/cap_group.h"

#include "lib/new.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "sched/sched.h"

namespace kern {

namespace {
u64 g_next_pid = 1;

// The part of exiting that frees resources; runs once, without locks held.
void release_resources(CapGroup* g) {
  g->caps.clear();
  g->vmspace.destroy();
}
}  // namespace

Result<CapGroup*> cap_group_create(const char* name) {
  void* mem = mm::kzalloc(sizeof(CapGroup));
  if (mem == nullptr) return Err::NoMem;
  auto* g = new (mem) CapGroup();
  obj_init(g, ObjType::CapGroup);
  g->caps_open = true;
  g->pid = __atomic_fetch_add(&g_next_pid, 1, __ATOMIC_RELAXED);
  usize i = 0;
  for (; name[i] != '\0' && i + 1 < sizeof(g->name); i++) g->name[i] = name[i];
  g->name[i] = '\0';
  g->brk = g->heap_mapped = CHCORE_HEAP_BASE;
  {
    SpinGuard l(g->lock);
    g->state = ProcState::Running;
  }
  if (!g->vmspace.init().ok()) {
    mm::kfree(g);
    return Err::NoMem;
  }
  // Slot 0: the process itself (a weak capability: no reference).
  obj_get(g);
  Result<u32> slot = g->caps.install(g, g, CHCORE_RIGHTS_ALL);
  if (!slot.ok()) {
    obj_put(g);  // the reference install did not take; g still has the caller's
    g->vmspace.destroy();
    mm::kfree(g);
    return slot.error();
  }
  return g;
}

void cap_group_exit(CapGroup* g, i32 status) {
  Thread* self = current_thread();
  GroupThreadList victims;
  {
    SpinGuard l(g->lock);
    if (g->state != ProcState::Running) return;  // the first status wins
    g->state = ProcState::Exited;
    g->exit_status = status;
    g->caps_open = false;
    // Detach every thread; the caller deals with its own.
    while (Thread* t = g->threads.pop_front())
      if (t != self) victims.push_back(t);
  }
  while (Thread* t = victims.pop_front())
    if (sched_remove(t)) obj_put(t);  // the scheduler's reference
  sched_wake_all(&g->waiters, status);
  release_resources(g);
}

void cap_group_destroy(CapGroup* g) {
  // The last reference is gone. A process that never ran a thread (or was
  // never exited) still owns its resources.
  bool running;
  {
    SpinGuard l(g->lock);
    running = g->state == ProcState::Running;
    g->state = ProcState::Exited;
    g->caps_open = false;
  }
  if (running) release_resources(g);
  // Waiters hold no reference (see sys_wait_cap_group): wake them now.
  sched_wake_all(&g->waiters, kStatusKilled);
  mm::kfree(g);
}

CapGroup* current_group() {
  Thread* t = current_thread();
  return t == nullptr ? nullptr : t->group;
}

}  // namespace kern
