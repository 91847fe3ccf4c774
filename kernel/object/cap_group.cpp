#include "object/cap_group.h"

#include "arch/aarch64/per_cpu.h"
#include "lib/new.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "ipc/ipc.h"
#include "sched/cpu_time.h"
#include "sched/sched.h"

namespace kern {

namespace {
u64 g_next_pid = 1;

// `t` leaves g->threads: its CPU time stays with the process.
void retire_times(CapGroup* g, Thread* t) TA_REQ(g->lock) {
  CpuTimes c = acct_read(t->times);
  g->exited_times.user += c.user;
  g->exited_times.sys += c.sys;
}

// The part of exiting that frees resources; runs once, without locks held.
void release_resources(CapGroup* g) {
  posix_timers_release(g);
  g->caps.clear();
  g->vmspace.destroy();
}
}  // namespace

Result<CapGroup*> cap_group_create(const char* name) {
  void* mem = mm::kzalloc(sizeof(CapGroup));
  if (mem == nullptr) return Err::NoMem;
  auto* g = new (mem) CapGroup();
  obj_init(g, ObjType::CapGroup);
  g->pid = __atomic_fetch_add(&g_next_pid, 1, __ATOMIC_RELAXED);
  // The name appears in kernel messages ("process NAME killed"): control
  // characters and bytes outside ASCII, which could end the line or
  // drive the terminal, are kept as '?'.
  usize i = 0;
  for (; name[i] != '\0' && i + 1 < sizeof(g->name); i++) {
    auto c = static_cast<unsigned char>(name[i]);
    g->name[i] = c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
  }
  g->name[i] = '\0';
  g->brk = g->heap_mapped = VirtAddr{CHCORE_HEAP_BASE};
  {
    SpinGuard l(g->lock);
    g->state = ProcState::Running;
    g->started = false;
  }
  if (!g->vmspace.init().ok()) {
    mm::kfree(g);
    return Err::NoMem;
  }
  // Slot 0: the process itself (a weak capability: it holds no reference,
  // so commit drops the one it is given).
  CapReservation self;
  Status s = g->caps.reserve(1, self);
  if (!s.ok()) {
    g->vmspace.destroy();
    mm::kfree(g);
    return s.error();
  }
  obj_get(g);
  self.commit(0, g, CHCORE_RIGHTS_ALL);
  return g;
}

// The end of an exit, once no thread of the process is left on any CPU.
namespace {
// The exit each CPU is finishing (cap_group_exit_in_progress).
CapGroup* g_exiting[kMaxCpus];

// The exit is over: waiters learn its status.
void report_exit(CapGroup* g) {
  i32 status;
  {
    SpinGuard l(g->lock);
    g->exit_reported = true;
    status = g->exit_status;
  }
  {
    SpinGuard s(sched_lock());
    sched_wake_all(&g->waiters, status);
    sched_wake_all(&g->event_waiters, status);
  }
  sched_flush_kicks();
}

void drop_exit_hold(CapGroup* g) {
  if (__atomic_sub_fetch(&g->exit_holds, 1, __ATOMIC_ACQ_REL) == 0) report_exit(g);
}
}  // namespace

CapGroup* cap_group_exit_in_progress() { return g_exiting[this_cpu()->cpu_id]; }

void cap_group_exit_hold(CapGroup* g) {
  obj_get(g);
  __atomic_add_fetch(&g->exit_holds, 1, __ATOMIC_RELAXED);
}

void cap_group_exit_release(CapGroup* g) {
  drop_exit_hold(g);
  obj_put(g);
}

static void finish_exit(CapGroup* g, i32 status) {
  (void)status;  // reported from g->exit_status
  // Free everything first: a waiter that wakes up (on another CPU) must find
  // the memory already returned, and, once the close upcalls this starts
  // have run, what its servers kept for it.
  __atomic_store_n(&g->exit_holds, 1, __ATOMIC_RELAXED);
  u64 me = this_cpu()->cpu_id;
  CapGroup* outer = g_exiting[me];  // an exit whose release ended this one
  g_exiting[me] = g;
  release_resources(g);
  g_exiting[me] = outer;
  drop_exit_hold(g);
}

void cap_group_exit(CapGroup* g, i32 status) {
  Thread* self = current_thread();
  GroupThreadList stopped;
  bool empty;
  {
    SpinGuard l(g->lock);
    if (g->state != ProcState::Running) return;  // the first status wins
    g->state = ProcState::Exited;
    g->exit_status = status;
    g->caps.close();  // lock order: process -> capabilities
    // Stop every other thread. Those on no CPU are unlinked here; those
    // running elsewhere are reaped by their CPU (thread_reap). The caller
    // deals with its own thread.
    for (Thread* t = g->threads.front(); t != nullptr;) {
      Thread* next = g->threads.next(t);
      if (t != self) {
        bool reap_now;
        {
          SpinGuard s(sched_lock());
          reap_now = sched_stop(t);
        }
        if (reap_now) {
          retire_times(g, t);
          g->threads.remove(t);
          stopped.push_back(t);
        }
      }
      t = next;
    }
    empty = g->threads.empty();
  }
  sched_flush_kicks();
  while (Thread* t = stopped.pop_front()) {
    // An IPC handler: its callers learn that it is gone (as thread_reap).
    if (t->ipc_port != nullptr) ipc_handler_reaped(t);
    obj_put(t);  // the scheduler's reference
  }
  if (empty) finish_exit(g, status);
}

CpuTimes cap_group_cpu_times(CapGroup* g) {
  SpinGuard l(g->lock);
  return cap_group_cpu_times_locked(g);
}

CpuTimes cap_group_cpu_times_locked(CapGroup* g) TA_REQ(g->lock) {
  CpuTimes sum = g->exited_times;
  for (Thread* t : g->threads) {
    CpuTimes c = acct_read(t->times);
    sum.user += c.user;
    sum.sys += c.sys;
  }
  return sum;
}

void thread_reap(Thread* t) {
  // An IPC handler: its callers learn that it is gone.
  if (t->ipc_port != nullptr) ipc_handler_reaped(t);
  CapGroup* g = t->group;
  bool last;
  i32 status;
  {
    SpinGuard l(g->lock);
    if (t->group_node.linked()) {
      retire_times(g, t);
      g->threads.remove(t);
    }
    // The last thread of a started process is gone without exit_group: the
    // process exits with status 0. Decided here, when the thread is off
    // its CPU and out of the list, and not in thread_exit: threads that
    // exit together on several CPUs would each still see the others.
    if (g->threads.empty() && g->state == ProcState::Running && g->started) {
      g->state = ProcState::Exited;
      g->exit_status = exit_status_of(0);
      g->caps.close();  // lock order: process -> capabilities
    }
    last = g->threads.empty() && g->state == ProcState::Exited;
    status = g->exit_status;
  }
  if (last) finish_exit(g, status);
  obj_put(t);  // the scheduler's reference
}

void cap_group_destroy(CapGroup* g) {
  // The last reference is gone. A process that never ran a thread (or was
  // never exited) still owns its resources.
  bool running;
  {
    SpinGuard l(g->lock);
    running = g->state == ProcState::Running;
    g->state = ProcState::Exited;
  }
  if (running) release_resources(g);
  // Waiters hold no reference (see sys_wait_cap_group): wake them now.
  {
    SpinGuard s(sched_lock());
    sched_wake_all(&g->waiters, kStatusDestroyed);
    sched_wake_all(&g->event_waiters, kStatusDestroyed);
  }
  sched_flush_kicks();
  mm::kfree(g);
}

CapTable* cap_table_of(Object* o) {
  return o->type == ObjType::CapGroup ? &static_cast<CapGroup*>(o)->caps : nullptr;
}


}  // namespace kern
