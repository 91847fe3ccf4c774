#include "time/timer_queue.h"

#include "arch/aarch64/per_cpu.h"
#include "mm/kmalloc.h"

namespace kern {

TimerHeap g_heaps[kMaxCpus];

namespace {
using Heap = TimerHeap;

void place(Heap& h, u32 i, Timer* t) {
  h.items[i] = t;
  t->heap_index = static_cast<i32>(i);
}

void sift_up(Heap& h, u32 i) {
  Timer* t = h.items[i];
  while (i > 0) {
    u32 parent = (i - 1) / 2;
    if (h.items[parent]->deadline <= t->deadline) break;
    place(h, i, h.items[parent]);
    i = parent;
  }
  place(h, i, t);
}

void sift_down(Heap& h, u32 i) {
  Timer* t = h.items[i];
  for (;;) {
    u32 child = 2 * i + 1;
    if (child >= h.size) break;
    if (child + 1 < h.size && h.items[child + 1]->deadline < h.items[child]->deadline) child++;
    if (h.items[child]->deadline >= t->deadline) break;
    place(h, i, h.items[child]);
    i = child;
  }
  place(h, i, t);
}

void remove_at(Heap& h, u32 i) {
  h.items[i]->heap_index = -1;
  h.size--;
  if (i == h.size) return;
  Timer* moved = h.items[h.size];
  place(h, i, moved);
  sift_up(h, i);
  sift_down(h, static_cast<u32>(moved->heap_index));
}
Status grow(Heap& h) {
  u32 cap = h.capacity == 0 ? 64 : h.capacity * 2;
  auto** items = static_cast<Timer**>(mm::kmalloc(cap * sizeof(Timer*)));
  if (items == nullptr) return Err::NoMem;
  for (u32 i = 0; i < h.size; i++) items[i] = h.items[i];
  mm::kfree(h.items);
  h.items = items;
  h.capacity = cap;
  return kOk;
}

}  // namespace

void timer_queue_init(u32 cpu) {
  if (g_heaps[cpu].capacity == 0) (void)grow(g_heaps[cpu]);
}

Status timer_queue_arm(Timer* t, u32 cpu, u64 deadline) {
  timer_queue_cancel(t);
  Heap& h = g_heaps[cpu];
  if (h.size == h.capacity) TRY(grow(h));
  t->deadline = deadline;
  t->cpu = cpu;
  place(h, h.size++, t);
  sift_up(h, h.size - 1);
  return kOk;
}

void timer_queue_cancel(Timer* t) {
  if (t->heap_index < 0) return;
  remove_at(g_heaps[t->cpu], static_cast<u32>(t->heap_index));
}

Timer* timer_queue_pop_expired(u32 cpu, u64 now) {
  Heap& h = g_heaps[cpu];
  if (h.size == 0 || h.items[0]->deadline > now) return nullptr;
  Timer* t = h.items[0];
  remove_at(h, 0);
  return t;
}

}  // namespace kern
