// kernel/sched/runqueue.h: the run-queue policy (which runnable thread a CPU
// picks), with stand-in threads. Ends with a randomized comparison against a
// plain reference model.
#include "sched/runqueue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

using kern::kAnyCpu;
using kern::kNumPriorities;
using kern::ListNode;
using kern::RunQueue;
using kern::SchedContext;

namespace {

// What RunQueue<T> needs of a thread, and an id to tell them apart. The node
// is not the first member, as in the kernel's Thread, so that the list's
// offset arithmetic is exercised.
struct FakeThread {
  int id = 0;
  ListNode sched_node;
  SchedContext own;
  SchedContext* sc = &own;
  bool on_cpu = false;
};

// Threads with stable addresses (the queue links them intrusively).
class Threads {
 public:
  FakeThread* make(u32 prio, i32 affinity = kAnyCpu) {
    auto t = std::make_unique<FakeThread>();
    t->id = static_cast<int>(all_.size());
    t->own.prio = prio;
    t->own.affinity = affinity;
    all_.push_back(std::move(t));
    return all_.back().get();
  }
  FakeThread* operator[](usize i) const { return all_[i].get(); }
  usize size() const { return all_.size(); }

 private:
  std::vector<std::unique_ptr<FakeThread>> all_;
};

// Takes the thread peek(cpu) offers out of the queue, as schedule() does.
FakeThread* take(RunQueue<FakeThread>& rq, u32 cpu = 0) {
  FakeThread* t = rq.peek(cpu);
  if (t != nullptr) rq.remove(t);
  return t;
}

TEST(RunQueue, EmptyQueueOffersNothing) {
  RunQueue<FakeThread> rq;
  EXPECT_TRUE(rq.empty());
  EXPECT_EQ(rq.size(), 0u);
  EXPECT_EQ(rq.top_prio(), -1);
  EXPECT_EQ(rq.peek(0), nullptr);
  EXPECT_EQ(rq.peek(3), nullptr);
}

TEST(RunQueue, HighestPriorityFirst) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* low = ts.make(3);
  FakeThread* high = ts.make(20);
  FakeThread* mid = ts.make(10);
  rq.push(low);
  rq.push(high);
  rq.push(mid);
  EXPECT_EQ(rq.top_prio(), 20);
  EXPECT_EQ(take(rq), high);
  EXPECT_EQ(rq.top_prio(), 10);
  EXPECT_EQ(take(rq), mid);
  EXPECT_EQ(rq.top_prio(), 3);
  EXPECT_EQ(take(rq), low);
  EXPECT_EQ(rq.top_prio(), -1);
  EXPECT_EQ(take(rq), nullptr);
}

TEST(RunQueue, FifoWithinAPriority) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* a = ts.make(10);
  FakeThread* b = ts.make(10);
  FakeThread* c = ts.make(10);
  rq.push(a);
  rq.push(b);
  rq.push(c);
  EXPECT_EQ(take(rq), a);
  EXPECT_EQ(take(rq), b);
  EXPECT_EQ(take(rq), c);
}

TEST(RunQueue, RequeuingTheFrontIsRoundRobin) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* a = ts.make(10);
  FakeThread* b = ts.make(10);
  FakeThread* c = ts.make(10);
  FakeThread* low = ts.make(9);
  for (FakeThread* t : {a, b, c, low}) rq.push(t);
  // A slice ends: the running thread goes behind its peers.
  const FakeThread* expected[] = {a, b, c, a, b, c, a};
  for (const FakeThread* e : expected) {
    FakeThread* t = take(rq);
    ASSERT_EQ(t, e);
    rq.push(t);
  }
  EXPECT_EQ(rq.size(), 4u);
  EXPECT_EQ(rq.top_prio(), 10);
}

TEST(RunQueue, PriorityComesFromTheSchedContextPointedTo) {
  // Migrating-thread IPC: a handler runs on its client's budget.
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* client = ts.make(25);
  FakeThread* handler = ts.make(1);
  FakeThread* other = ts.make(20);
  handler->sc = &client->own;
  rq.push(other);
  rq.push(handler);
  EXPECT_EQ(rq.top_prio(), 25);
  EXPECT_EQ(rq.peek(0), handler);
  rq.remove(handler);
  EXPECT_EQ(rq.peek(0), other);
}

TEST(RunQueue, PeekSkipsThreadsPinnedElsewhere) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* pinned1 = ts.make(10, 1);
  FakeThread* any = ts.make(10);
  FakeThread* pinned0 = ts.make(10, 0);
  rq.push(pinned1);
  rq.push(any);
  rq.push(pinned0);
  // The first eligible thread of the priority, not the first queued.
  EXPECT_EQ(rq.peek(0), any);
  EXPECT_EQ(rq.peek(1), pinned1);
  EXPECT_EQ(rq.peek(2), any);
  rq.remove(any);
  EXPECT_EQ(rq.peek(0), pinned0);
  EXPECT_EQ(rq.peek(1), pinned1);
  EXPECT_EQ(rq.peek(2), nullptr);
}

TEST(RunQueue, PeekFallsBackToALowerPriorityThatMayRunHere) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* high_elsewhere = ts.make(30, 2);
  FakeThread* mid_elsewhere = ts.make(15, 3);
  FakeThread* low_here = ts.make(4, 0);
  FakeThread* lowest_any = ts.make(0);
  for (FakeThread* t : {lowest_any, low_here, mid_elsewhere, high_elsewhere}) rq.push(t);
  EXPECT_EQ(rq.peek(0), low_here);
  EXPECT_EQ(rq.peek(1), lowest_any);
  EXPECT_EQ(rq.peek(2), high_elsewhere);
  EXPECT_EQ(rq.peek(3), mid_elsewhere);
  // top_prio is about what is queued, whoever may run it.
  EXPECT_EQ(rq.top_prio(), 30);
}

TEST(RunQueue, PeekSkipsThreadsStillOnACpu) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* a = ts.make(12);
  FakeThread* b = ts.make(12);
  FakeThread* low = ts.make(2);
  rq.push(a);
  rq.push(b);
  rq.push(low);
  a->on_cpu = true;  // a CPU is still switching away from it
  EXPECT_EQ(rq.peek(0), b);
  b->on_cpu = true;
  EXPECT_EQ(rq.peek(0), low);
  low->on_cpu = true;
  EXPECT_EQ(rq.peek(0), nullptr);
  // Still queued and counted: only peek looks at on_cpu.
  EXPECT_EQ(rq.size(), 3u);
  EXPECT_FALSE(rq.empty());
  EXPECT_EQ(rq.top_prio(), 12);
  a->on_cpu = false;
  EXPECT_EQ(rq.peek(0), a);
}

TEST(RunQueue, SizeAndEmptyFollowPushAndRemove) {
  Threads ts;
  RunQueue<FakeThread> rq;
  std::vector<FakeThread*> queued;
  for (u32 i = 0; i < 10; i++) {
    FakeThread* t = ts.make(i % 3 * 7);
    rq.push(t);
    queued.push_back(t);
    EXPECT_EQ(rq.size(), i + 1);
    EXPECT_FALSE(rq.empty());
  }
  for (usize i = 0; i < queued.size(); i++) {
    rq.remove(queued[i]);
    EXPECT_FALSE(queued[i]->sched_node.linked());
    EXPECT_EQ(rq.size(), queued.size() - i - 1);
    EXPECT_EQ(rq.empty(), i + 1 == queued.size());
  }
  EXPECT_EQ(rq.top_prio(), -1);
  EXPECT_EQ(rq.peek(0), nullptr);
}

TEST(RunQueue, RemoveFromTheMiddleKeepsTheOrder) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* t[5];
  for (auto& x : t) {
    x = ts.make(7);
    rq.push(x);
  }
  rq.remove(t[2]);
  rq.remove(t[0]);
  rq.remove(t[4]);
  EXPECT_EQ(rq.size(), 2u);
  EXPECT_EQ(take(rq), t[1]);
  EXPECT_EQ(take(rq), t[3]);
  EXPECT_TRUE(rq.empty());
}

TEST(RunQueue, EmptiedPriorityLeavesTheMask) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* h1 = ts.make(20);
  FakeThread* h2 = ts.make(20);
  FakeThread* m = ts.make(11);
  FakeThread* l = ts.make(5);
  for (FakeThread* t : {l, h1, m, h2}) rq.push(t);
  rq.remove(m);  // the middle priority empties
  EXPECT_EQ(rq.top_prio(), 20);
  rq.remove(h2);
  EXPECT_EQ(rq.top_prio(), 20);  // h1 is still there
  rq.remove(h1);
  EXPECT_EQ(rq.top_prio(), 5);  // neither 20 nor 11 is left behind
  EXPECT_EQ(rq.peek(0), l);
  // A list that empties and fills again is found again.
  rq.push(m);
  EXPECT_EQ(rq.top_prio(), 11);
  EXPECT_EQ(rq.peek(0), m);
  rq.remove(l);
  rq.remove(m);
  EXPECT_EQ(rq.top_prio(), -1);
  EXPECT_EQ(rq.peek(0), nullptr);
}

TEST(RunQueue, ReplaceOnlyTakesTheSingleThreadsPlace) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* high = ts.make(20);
  FakeThread* out = ts.make(10);
  FakeThread* low = ts.make(3);
  FakeThread* in = ts.make(10);
  for (FakeThread* t : {low, out, high}) rq.push(t);
  ASSERT_TRUE(rq.replace_only(out, in));
  EXPECT_FALSE(out->sched_node.linked());
  EXPECT_TRUE(in->sched_node.linked());
  EXPECT_EQ(rq.size(), 3u);
  EXPECT_EQ(rq.top_prio(), 20);
  // Exactly as remove(out) + push(in): in is queued at its priority and
  // everything else is where it was.
  EXPECT_EQ(take(rq), high);
  EXPECT_EQ(take(rq), in);
  EXPECT_EQ(take(rq), low);
  EXPECT_TRUE(rq.empty());
  EXPECT_EQ(rq.top_prio(), -1);
  // `out` is free to be queued again.
  rq.push(out);
  EXPECT_EQ(rq.peek(0), out);
}

TEST(RunQueue, ReplaceOnlyRefusesWhenOthersShareThePriority) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* a = ts.make(10);
  FakeThread* b = ts.make(10);
  FakeThread* in = ts.make(10);
  rq.push(a);
  rq.push(b);
  EXPECT_FALSE(rq.replace_only(a, in));
  EXPECT_FALSE(rq.replace_only(b, in));
  // Nothing changed.
  EXPECT_FALSE(in->sched_node.linked());
  EXPECT_EQ(rq.size(), 2u);
  EXPECT_EQ(take(rq), a);
  EXPECT_EQ(take(rq), b);
  EXPECT_TRUE(rq.empty());
}

TEST(RunQueue, ReplaceOnlyRefusesADifferentPriority) {
  Threads ts;
  RunQueue<FakeThread> rq;
  FakeThread* out = ts.make(10);
  FakeThread* higher = ts.make(11);
  FakeThread* lower = ts.make(9);
  rq.push(out);
  EXPECT_FALSE(rq.replace_only(out, higher));
  EXPECT_FALSE(rq.replace_only(out, lower));
  EXPECT_FALSE(higher->sched_node.linked());
  EXPECT_FALSE(lower->sched_node.linked());
  EXPECT_EQ(rq.size(), 1u);
  EXPECT_EQ(rq.top_prio(), 10);
  EXPECT_EQ(take(rq), out);
  EXPECT_TRUE(rq.empty());
  EXPECT_EQ(rq.top_prio(), -1);
}

TEST(RunQueue, SoleThreadOfOnlyWhenItIsTheWholeQueue) {
  Threads ts;
  RunQueue<FakeThread> rq;
  EXPECT_EQ(rq.sole_thread_of(10), nullptr);
  FakeThread* a = ts.make(10);
  rq.push(a);
  EXPECT_EQ(rq.sole_thread_of(10), a);
  EXPECT_EQ(rq.sole_thread_of(11), nullptr);  // another priority
  FakeThread* low = ts.make(3);
  rq.push(low);
  EXPECT_EQ(rq.sole_thread_of(10), nullptr);  // someone else is queued
  rq.remove(low);
  FakeThread* b = ts.make(10);
  rq.push(b);
  EXPECT_EQ(rq.sole_thread_of(10), nullptr);  // two of that priority
  rq.remove(b);
  // yield's hand-over: in takes the sole thread's place.
  FakeThread* in = ts.make(10);
  ASSERT_EQ(rq.sole_thread_of(10), a);
  rq.replace_sole(a, in);
  EXPECT_FALSE(a->sched_node.linked());
  EXPECT_EQ(rq.size(), 1u);
  EXPECT_EQ(rq.sole_thread_of(10), in);
  EXPECT_EQ(take(rq), in);
  EXPECT_TRUE(rq.empty());
}

TEST(RunQueue, AllThirtyTwoPriorities) {
  static_assert(kNumPriorities == 32);
  Threads ts;
  RunQueue<FakeThread> rq;
  std::vector<FakeThread*> by_prio(kNumPriorities);
  for (u32 p = 0; p < kNumPriorities; p++) by_prio[p] = ts.make(p);
  // Pushed in a scrambled order (7 is coprime to 32).
  for (u32 i = 0; i < kNumPriorities; i++) rq.push(by_prio[i * 7 % kNumPriorities]);
  EXPECT_EQ(rq.size(), kNumPriorities);
  for (i32 p = static_cast<i32>(kNumPriorities) - 1; p >= 0; p--) {
    ASSERT_EQ(rq.top_prio(), p);
    ASSERT_EQ(take(rq), by_prio[static_cast<u32>(p)]);
  }
  EXPECT_TRUE(rq.empty());
  EXPECT_EQ(rq.top_prio(), -1);
  // The two ends of the mask on their own.
  for (u32 p : {0u, kNumPriorities - 1}) {
    rq.push(by_prio[p]);
    EXPECT_EQ(rq.top_prio(), static_cast<i32>(p));
    EXPECT_EQ(rq.peek(5), by_prio[p]);
    rq.remove(by_prio[p]);
    EXPECT_EQ(rq.top_prio(), -1);
    EXPECT_EQ(rq.peek(5), nullptr);
  }
}

// The policy written out as plainly as possible: queued threads ordered by
// priority (highest first), then by the time they were queued.
class ReferenceQueue {
 public:
  void push(FakeThread* t) { q_.push_back({t, t->sc->prio, next_seq_++}); }
  void remove(FakeThread* t) {
    auto it = find(t);
    ASSERT_NE(it, q_.end());
    q_.erase(it);
  }
  bool replace_only(FakeThread* out, FakeThread* in) {
    u32 p = in->sc->prio;
    auto it = find(out);
    if (it == q_.end() || it->prio != p) return false;
    if (std::count_if(q_.begin(), q_.end(), [p](const Entry& e) { return e.prio == p; }) != 1)
      return false;
    it->t = in;  // keeps out's place (its sequence number)
    return true;
  }
  FakeThread* peek(u32 on) const {
    for (const Entry& e : sorted())
      if (!e.t->on_cpu && e.t->sc->may_run_on(on)) return e.t;
    return nullptr;
  }
  i32 top_prio() const { return q_.empty() ? -1 : static_cast<i32>(sorted().front().prio); }
  usize size() const { return q_.size(); }
  bool contains(const FakeThread* t) const { return find(t) != q_.end(); }
  std::vector<FakeThread*> order() const {
    std::vector<FakeThread*> r;
    for (const Entry& e : sorted()) r.push_back(e.t);
    return r;
  }

 private:
  struct Entry {
    FakeThread* t;
    u32 prio;
    u64 seq;
  };
  std::vector<Entry>::const_iterator find(const FakeThread* t) const {
    return std::find_if(q_.begin(), q_.end(), [t](const Entry& e) { return e.t == t; });
  }
  std::vector<Entry>::iterator find(const FakeThread* t) {
    return std::find_if(q_.begin(), q_.end(), [t](const Entry& e) { return e.t == t; });
  }
  std::vector<Entry> sorted() const {
    std::vector<Entry> s = q_;
    std::sort(s.begin(), s.end(), [](const Entry& a, const Entry& b) {
      return a.prio != b.prio ? a.prio > b.prio : a.seq < b.seq;
    });
    return s;
  }

  std::vector<Entry> q_;
  u64 next_seq_ = 0;
};

// The queue's whole order: take everything as schedule() would on a CPU
// that may run any of it, then queue it again in the same order (which
// keeps that order). Affinity and on_cpu are lifted meanwhile.
std::vector<FakeThread*> drain_and_restore(RunQueue<FakeThread>& rq, Threads& ts) {
  std::vector<std::pair<i32, bool>> saved;
  for (usize i = 0; i < ts.size(); i++) {
    saved.push_back({ts[i]->sc->affinity, ts[i]->on_cpu});
    ts[i]->sc->affinity = kAnyCpu;
    ts[i]->on_cpu = false;
  }
  std::vector<FakeThread*> order;
  while (FakeThread* t = take(rq)) order.push_back(t);
  for (FakeThread* t : order) rq.push(t);
  for (usize i = 0; i < ts.size(); i++) {
    ts[i]->sc->affinity = saved[i].first;
    ts[i]->on_cpu = saved[i].second;
  }
  return order;
}

// Thousands of random operations, each compared with the reference model:
// push, remove (front, middle, any), peek from random CPUs, replace_only,
// threads going on and off a CPU, affinity and (while not queued) priority
// changes. Few priorities and few threads make collisions (several threads
// per priority, lists emptying and refilling) the common case.
void run_random(u32 seed, u32 nthreads, u32 nprios, u32 ops) {
  SCOPED_TRACE(testing::Message() << "seed " << seed);
  constexpr u32 kCpus = 4;
  std::mt19937 rng(seed);
  auto below = [&rng](u32 n) { return static_cast<u32>(rng() % n); };
  auto random_affinity = [&]() { return below(3) == 0 ? static_cast<i32>(below(kCpus)) : kAnyCpu; };
  // Spread the few priorities used over the whole range, ends included.
  std::vector<u32> prios;
  for (u32 i = 0; i < nprios; i++) prios.push_back(i * (kNumPriorities - 1) / (nprios - 1));

  Threads ts;
  for (u32 i = 0; i < nthreads; i++) ts.make(prios[below(nprios)], random_affinity());
  RunQueue<FakeThread> rq;
  ReferenceQueue ref;
  std::vector<FakeThread*> queued, idle;
  for (usize i = 0; i < ts.size(); i++) idle.push_back(ts[i]);
  auto pick = [&](std::vector<FakeThread*>& v) {
    usize i = below(static_cast<u32>(v.size()));
    FakeThread* t = v[i];
    v.erase(v.begin() + static_cast<isize>(i));
    return t;
  };

  for (u32 op = 0; op < ops; op++) {
    SCOPED_TRACE(testing::Message() << "operation " << op);
    switch (below(10)) {
      case 0:
      case 1:
      case 2:  // push
        if (!idle.empty()) {
          FakeThread* t = pick(idle);
          rq.push(t);
          ref.push(t);
          queued.push_back(t);
        }
        break;
      case 3:  // remove any queued thread
        if (!queued.empty()) {
          FakeThread* t = pick(queued);
          rq.remove(t);
          ref.remove(t);
          idle.push_back(t);
        }
        break;
      case 4: {  // schedule(): take what peek offers, sometimes requeue it
        u32 cpu = below(kCpus);
        FakeThread* t = rq.peek(cpu);
        ASSERT_EQ(t, ref.peek(cpu)) << "peek(" << cpu << ")";
        if (t == nullptr) break;
        rq.remove(t);
        ref.remove(t);
        queued.erase(std::find(queued.begin(), queued.end(), t));
        if (below(2) == 0) {
          rq.push(t);
          ref.push(t);
          queued.push_back(t);
        } else {
          idle.push_back(t);
        }
        break;
      }
      case 5: {  // replace_only, with a random pair (mostly refused)
        if (queued.empty() || idle.empty()) break;
        FakeThread* out = queued[below(static_cast<u32>(queued.size()))];
        FakeThread* in = idle[below(static_cast<u32>(idle.size()))];
        if (below(2) == 0) in->sc->prio = out->sc->prio;  // give it a chance
        bool expected = ref.replace_only(out, in);
        ASSERT_EQ(rq.replace_only(out, in), expected);
        if (expected) {
          std::replace(queued.begin(), queued.end(), out, in);
          std::replace(idle.begin(), idle.end(), in, out);
        }
        ASSERT_EQ(out->sched_node.linked(), !expected);
        ASSERT_EQ(in->sched_node.linked(), expected);
        break;
      }
      case 6: {  // a thread goes on or off a CPU, queued or not
        FakeThread* t = ts[below(nthreads)];
        t->on_cpu = !t->on_cpu;
        break;
      }
      case 7:  // affinity may change at any time
        ts[below(nthreads)]->sc->affinity = random_affinity();
        break;
      case 8:  // priority only while not queued (remove needs the old one)
        if (!idle.empty())
          idle[below(static_cast<u32>(idle.size()))]->sc->prio = prios[below(nprios)];
        break;
      case 9:  // peek from every CPU
        for (u32 cpu = 0; cpu < kCpus + 1; cpu++)
          ASSERT_EQ(rq.peek(cpu), ref.peek(cpu)) << "peek(" << cpu << ")";
        break;
    }
    ASSERT_EQ(rq.size(), ref.size());
    ASSERT_EQ(rq.empty(), ref.size() == 0);
    ASSERT_EQ(rq.top_prio(), ref.top_prio());
    ASSERT_EQ(queued.size(), ref.size());
    if (op % 97 == 0) {
      ASSERT_EQ(drain_and_restore(rq, ts), ref.order());
    }
  }
  ASSERT_EQ(drain_and_restore(rq, ts), ref.order());
  for (FakeThread* t : queued) ASSERT_TRUE(ref.contains(t));
  // Leave no thread linked to a queue that goes out of scope first.
  for (FakeThread* t : queued) rq.remove(t);
  EXPECT_TRUE(rq.empty());
  EXPECT_EQ(rq.top_prio(), -1);
}

TEST(RunQueue, RandomOperationsMatchTheReferenceModel) {
  // Crowded: 24 threads on 3 priorities (0, 15, 31).
  for (u32 seed = 1; seed <= 4; seed++) run_random(seed, 24, 3, 5000);
  // Spread: 64 threads over all 32 priorities.
  for (u32 seed = 100; seed <= 102; seed++) run_random(seed, 64, kNumPriorities, 5000);
}

}  // namespace
