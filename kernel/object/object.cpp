#include "object/object.h"

#include "arch/aarch64/per_cpu.h"
#include "ipc/notification.h"
#include "ipc/pipe.h"
#include "irq/irq_object.h"
#include "lib/panic.h"
#include "ipc/ipc.h"
#include "mm/pmo.h"
#include "object/cap_group.h"
#include "object/thread.h"

namespace kern {

namespace {

// Destroying an object drops the references it holds, which can destroy
// more objects: a process holding the only capability to a process holding
// the only capability to a third, and so on. Done recursively, a long chain
// would overflow the 16 KiB CPU stack. So each CPU destroys one object at a
// time: an object whose last reference goes while its CPU is already
// destroying one is queued, and the outermost obj_put destroys the queue
// before it returns. The kernel runs with interrupts masked, so this per-CPU
// state needs no lock.
struct Destroyer {
  bool busy;
  Object* queue;  // linked through Object::destroy_next
};
Destroyer g_destroyers[kMaxCpus];

void destroy_now(Object* o) {
  switch (o->type) {
#define CHCORE_OBJ_DESTROY(T, num, name, destroy) \
  case ObjType::T:                                \
    destroy(static_cast<T*>(o));                  \
    return;
    CHCORE_OBJECT_TYPES(CHCORE_OBJ_DESTROY)
#undef CHCORE_OBJ_DESTROY
  }
  panic("obj_put: object %p has no type (%u)", static_cast<void*>(o), static_cast<u32>(o->type));
}

void destroy_in_turn(Object* o) {
  Destroyer& d = g_destroyers[this_cpu()->cpu_id];
  o->destroy_next = d.queue;
  d.queue = o;
  if (d.busy) return;
  d.busy = true;
  while (Object* next = d.queue) {
    d.queue = next->destroy_next;
    destroy_now(next);
  }
  d.busy = false;
}

}  // namespace

void obj_put(Object* o) {
  bool last;
  if (CapTable* t = cap_table_of(o)) {
    last = t->owner_put();
  } else {
    u32 old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
    KASSERT(old != 0);
    last = old == 1;
  }
  if (last) destroy_in_turn(o);
}

}  // namespace kern
