#include "sched/sched.h"

#include "arch/aarch64/per_cpu.h"
#include "arch/aarch64/sysreg.h"
#include "lib/panic.h"
#include "mm/vmspace.h"
#include "object/cap_group.h"

extern "C" {
[[noreturn]] void eret_to_context(kern::ArchContext* ctx);
[[noreturn]] void arch_resume_kernel(i64 value);
void arch_enter_scheduler(void (*fn)());
}

namespace kern {

namespace {
// One lock for the run queue, every wait queue and every thread's state.
SpinLock g_sched_lock;
ThreadList g_runq TA_GUARDED(g_sched_lock);

// Saves what the kernel does not save on entry (FP/SIMD, TPIDR_EL0) before
// the thread becomes visible to another CPU's scheduler.
void save_user_state(Thread* t) {
  arch_fpu_save(&t->fp);
  t->tpidr_el0 = read_sysreg(tpidr_el0);
}

[[noreturn]] void switch_to(Thread* next, Thread* prev) {
  PerCpu* cpu = this_cpu();
  cpu->current = next;
  cpu->cur_ctx = &next->ctx;
  if (next != prev) {
    next->group->vmspace.activate();
    write_sysreg(tpidr_el0, next->tpidr_el0);
    arch_fpu_restore(&next->fp);
  }
  eret_to_context(&next->ctx);
}
}  // namespace

Thread* current_thread() { return static_cast<Thread*>(this_cpu()->current); }

void sched_enqueue(Thread* t) {
  SpinGuard g(g_sched_lock);
  t->state = ThreadState::Runnable;
  g_runq.push_back(t);
}

void sched_start(Thread* t) {
  SpinGuard g(g_sched_lock);
  if (t->state != ThreadState::Created) return;
  t->state = ThreadState::Runnable;
  g_runq.push_back(t);
}

void schedule() {
  Thread* prev = current_thread();
  Thread* next;
  {
    SpinGuard g(g_sched_lock);
    next = g_runq.pop_front();
    if (next != nullptr) next->state = ThreadState::Running;
  }
  if (next != nullptr) switch_to(next, prev);
  // Nothing to run: back to the kernel code that called sched_run().
  this_cpu()->current = nullptr;
  this_cpu()->cur_ctx = nullptr;
  deactivate_vmspace();
  arch_resume_kernel(0);
}

void sched_yield_current() {
  Thread* t = current_thread();
  t->ctx.x[0] = 0;
  save_user_state(t);
  bool alone;
  {
    SpinGuard g(g_sched_lock);
    alone = g_runq.empty();
    if (!alone) {
      t->state = ThreadState::Runnable;
      g_runq.push_back(t);
    }
  }
  // Nobody else wants the CPU: keep running without a switch.
  if (alone) eret_to_context(&t->ctx);
  schedule();
}

void sched_run() { arch_enter_scheduler(schedule); }

void sched_block_prepare(WaitQueue* q) {
  Thread* t = current_thread();
  save_user_state(t);
  SpinGuard g(g_sched_lock);
  t->state = ThreadState::Blocked;
  t->waiting_on = q;
  q->threads.push_back(t);
}

usize sched_wake_all(WaitQueue* q, i64 result) {
  SpinGuard g(g_sched_lock);
  usize n = 0;
  while (Thread* t = q->threads.pop_front()) {
    n++;
    t->waiting_on = nullptr;
    t->ctx.x[0] = static_cast<u64>(result);
    t->state = ThreadState::Runnable;
    g_runq.push_back(t);
  }
  return n;
}

void sched_exit_current() {
  Thread* t = current_thread();
  {
    SpinGuard g(g_sched_lock);
    t->state = ThreadState::Exited;
  }
  this_cpu()->current = nullptr;
  this_cpu()->cur_ctx = nullptr;
  obj_put(t);  // the scheduler's reference
}

bool sched_remove(Thread* t) {
  SpinGuard g(g_sched_lock);
  // With one scheduling CPU, a thread of another process is never Running
  // here; the multi-CPU scheduler stops such threads with an IPI.
  KASSERT(t->state != ThreadState::Running);
  bool queued = true;
  if (t->state == ThreadState::Created) {
    // never started: the scheduler's reference goes all the same
  } else if (t->state == ThreadState::Runnable) {
    g_runq.remove(t);
  } else if (t->state == ThreadState::Blocked) {
    t->waiting_on->threads.remove(t);
    t->waiting_on = nullptr;
  } else {
    queued = false;
  }
  t->state = ThreadState::Exited;
  return queued;
}

}  // namespace kern
