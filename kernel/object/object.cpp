#include "object/object.h"

#include "lib/panic.h"
#include "mm/pmo.h"
#include "object/cap_group.h"
#include "object/thread.h"

namespace kern {

void obj_put(Object* o) {
  u32 old = __atomic_fetch_sub(&o->refcount, 1, __ATOMIC_ACQ_REL);
  if (old != 1) {
    KASSERT(old != 0);
    return;
  }
  switch (o->type) {
    case ObjType::CapGroup: cap_group_destroy(static_cast<CapGroup*>(o)); break;
    case ObjType::Thread: thread_destroy(static_cast<Thread*>(o)); break;
    case ObjType::Pmo: pmo_destroy(static_cast<Pmo*>(o)); break;
  }
}

const char* obj_type_name(ObjType t) {
  switch (t) {
    case ObjType::CapGroup: return "cap_group";
    case ObjType::Thread: return "thread";
    case ObjType::Pmo: return "pmo";
  }
  return "?";
}

}  // namespace kern
