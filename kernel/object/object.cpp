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
#define CHCORE_OBJ_DESTROY(T, num, name, destroy) \
  case ObjType::T:                                \
    destroy(static_cast<T*>(o));                  \
    return;
    CHCORE_OBJECT_TYPES(CHCORE_OBJ_DESTROY)
#undef CHCORE_OBJ_DESTROY
  }
  panic("obj_put: object %p has no type (%u)", static_cast<void*>(o), static_cast<u32>(o->type));
}

}  // namespace kern
