// Kernel objects: everything a capability can name.
//
// An object starts with this header: a type tag and a reference count.
// References are held by capabilities (one per capability) and internally
// (a thread holds its process, a VM region its PMO, the scheduler a
// runnable thread). The object is destroyed when the count reaches zero;
// obj_put dispatches on the type, so no virtual functions are needed. The
// types are listed once, in object/types.h.
#pragma once
#include "lib/types.h"
#include "object/types.h"

namespace kern {

struct Object {
  ObjType type;
  u32 refcount;  // atomic
  // While the object waits to be destroyed (object.cpp): the next one.
  Object* destroy_next;
};

inline void obj_init(Object* o, ObjType t) {
  o->type = t;
  o->refcount = 1;
  o->destroy_next = nullptr;
}
inline void obj_get(Object* o) { __atomic_fetch_add(&o->refcount, 1, __ATOMIC_RELAXED); }
// Drops a reference; the last one destroys the object (object.cpp). For a
// process this takes the capability lock (it may find the process
// unreachable: CapTable::owner_put), and destructors take further locks:
// never call it holding the capability lock, a process's lock or the
// scheduler's lock.
void obj_put(Object* o);
// obj_put, with its common case inline: a reference that is not the last,
// to an object that owns no capability table (IPC's fast path).
inline void obj_put_fast(Object* o) {
  if (o->type != ObjType::CapGroup) {
    u32 old = __atomic_load_n(&o->refcount, __ATOMIC_RELAXED);
    while (old > 1)
      if (__atomic_compare_exchange_n(&o->refcount, &old, old - 1, true, __ATOMIC_ACQ_REL,
                                      __ATOMIC_RELAXED))
        return;
  }
  obj_put(o);
}

}  // namespace kern
