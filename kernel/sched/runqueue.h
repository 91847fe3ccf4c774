// The run-queue policy, as pure code: which runnable thread a CPU picks.
//
// A queue holds the runnable threads placed on one CPU, one FIFO list per
// priority and a bit mask of the non-empty lists, so that picking the best
// thread is one count-leading-zeros and a short walk. Round robin within a
// priority falls out of "take from the front, requeue at the back".
//
// Nothing here touches hardware or takes locks: the mechanism (switching,
// FP/SIMD, the timer, IPIs) lives in sched.cpp, which holds the scheduler
// lock around every call. That keeps this file testable on the host
// (tests/host/sched/test_runqueue.cpp) with stand-in threads: any T with
//   ListNode sched_node;  SchedContext* sc;  bool on_cpu;
// can be queued.
#pragma once
#include "lib/list.h"
#include "sched/sched_context.h"

namespace kern {

template <typename T>
class RunQueue {
 public:
  RunQueue() = default;
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // Queues `t` behind the threads of its priority.
  void push(T* t) {
    u32 p = t->sc->prio;
    lists_[p].push_back(t);
    nonempty_ |= 1u << p;
    nr_++;
  }

  // Takes a queued `t` out (its priority must not have changed meanwhile).
  void remove(T* t) {
    u32 p = t->sc->prio;
    lists_[p].remove(t);
    if (lists_[p].empty()) nonempty_ &= ~(1u << p);
    nr_--;
  }

  // Puts `in` where `out` is queued, when `out` is the only thread of
  // `in`'s priority: the same as remove(out) + push(in) without touching
  // the list heads or counters. Returns false (nothing done) otherwise.
  bool replace_only(T* out, T* in) {
    u32 p = in->sc->prio;
    if (out->sc->prio != p || lists_[p].size() != 1) return false;
    lists_[p].replace(out, in);
    return true;
  }

  // yield's common case, checked in a few instructions: the queue holds
  // exactly one thread, of priority `p`. Returns it (it may still be
  // switching away from a CPU or not be allowed here: the caller checks).
  // (With one thread queued, list p holds it or nothing.)
  T* sole_thread_of(u32 p) const {
    if (nr_ != 1) return nullptr;
    return lists_[p].front();
  }

  // After sole_thread_of(p) returned `out`: `in` (of priority p) takes its
  // place.
  void replace_sole(T* out, T* in) { lists_[in->sc->prio].replace_sole(out, in); }

  // The thread this queue offers to CPU `on`: the first of the highest
  // priority that may run there. Skips threads that a CPU is still switching
  // away from (on_cpu): they cannot run twice at once.
  T* peek(u32 on) const {
    for (u32 bits = nonempty_; bits != 0;) {
      u32 p = 31 - static_cast<u32>(__builtin_clz(bits));
      for (T* t : lists_[p])
        if (!t->on_cpu && t->sc->may_run_on(on)) return t;
      bits &= ~(1u << p);
    }
    return nullptr;
  }

  // Priority of the best queued thread, or -1 when empty (a cheap test for
  // "would anything here preempt a thread of priority p").
  i32 top_prio() const {
    return nonempty_ == 0 ? -1 : 31 - static_cast<i32>(__builtin_clz(nonempty_));
  }

  // Every queued thread, best priority first (diagnostics).
  template <typename F>
  void for_each(F f) const {
    for (u32 p = kNumPriorities; p-- > 0;)
      for (T* t : lists_[p]) f(t);
  }

  u32 size() const { return nr_; }
  bool empty() const { return nr_ == 0; }

 private:
  static_assert(kNumPriorities <= 32, "one bit per priority in a u32");
  KList(T, sched_node) lists_[kNumPriorities];
  u32 nonempty_ = 0;  // bit p set: lists_[p] is not empty
  u32 nr_ = 0;
};

}  // namespace kern
