// The kernel's object types, in one list.
//
// Adding an object type is one line here:
//
//   X(Type, uapi number, name, destroy function)
//
// with the C++ type (`struct Type : Object`, in namespace kern), the number
// cap_info reports for it (CHCORE_OBJ_* in uapi/object.h), the name used in
// messages, and the function obj_put calls for its last reference. The list
// generates `ObjType`, `obj_type_name`, the trait `ObjTypeOf<T>::value`
// (what cap lookups check a capability's type against) and obj_put's
// dispatch (object.cpp, which includes each type's header: the compiler
// names a missing one).
#pragma once
#include "lib/types.h"
#include "uapi/object.h"

#define CHCORE_OBJECT_TYPES(X)                                                   \
  X(CapGroup, CHCORE_OBJ_CAP_GROUP, "cap_group", cap_group_destroy)              \
  X(Thread, CHCORE_OBJ_THREAD, "thread", thread_destroy)                         \
  X(Pmo, CHCORE_OBJ_PMO, "pmo", pmo_destroy)                                     \
  X(IpcServer, CHCORE_OBJ_IPC_SERVER, "ipc_server", ipc_server_destroy)          \
  X(Connection, CHCORE_OBJ_CONNECTION, "connection", connection_destroy)         \
  X(Notification, CHCORE_OBJ_NOTIFICATION, "notification", notification_destroy) \
  X(Irq, CHCORE_OBJ_IRQ, "irq", irq_object_destroy)                             \
  X(PipeEnd, CHCORE_OBJ_PIPE, "pipe", pipe_end_destroy)

namespace kern {

#define CHCORE_OBJ_DECLARE(T, num, name, destroy) \
  struct T;                                       \
  void destroy(T*);
CHCORE_OBJECT_TYPES(CHCORE_OBJ_DECLARE)
#undef CHCORE_OBJ_DECLARE

enum class ObjType : u8 {
#define CHCORE_OBJ_ENUM(T, num, name, destroy) T = num,
  CHCORE_OBJECT_TYPES(CHCORE_OBJ_ENUM)
#undef CHCORE_OBJ_ENUM
};

constexpr const char* obj_type_name(ObjType t) {
  switch (t) {
#define CHCORE_OBJ_NAME(T, num, name, destroy) \
  case ObjType::T:                             \
    return name;
    CHCORE_OBJECT_TYPES(CHCORE_OBJ_NAME)
#undef CHCORE_OBJ_NAME
  }
  return "?";
}

namespace detail {
#define CHCORE_OBJ_TAG(T, num, name, destroy) \
  constexpr ObjType obj_type_tag(const T*) { return ObjType::T; }
CHCORE_OBJECT_TYPES(CHCORE_OBJ_TAG)
#undef CHCORE_OBJ_TAG

// Every uapi number fits the u8 tag, is not 0, and belongs to one type.
consteval bool obj_type_numbers_ok() {
  const unsigned nums[] = {
#define CHCORE_OBJ_NUM(T, num, name, destroy) num,
      CHCORE_OBJECT_TYPES(CHCORE_OBJ_NUM)
#undef CHCORE_OBJ_NUM
  };
  for (unsigned i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
    if (nums[i] == 0 || nums[i] > 0xff) return false;
    for (unsigned j = 0; j < i; j++)
      if (nums[i] == nums[j]) return false;
  }
  return true;
}
static_assert(obj_type_numbers_ok(), "object type numbers must be unique and fit in a u8");
}  // namespace detail

// The type tag of C++ object type T: `ObjTypeOf<Pmo>::value == ObjType::Pmo`.
// A type missing from the list does not compile. (Defined for every T at
// once, through the overloads above, rather than by one specialization per
// type.)
template <typename T>
struct ObjTypeOf {
  static constexpr ObjType value = detail::obj_type_tag(static_cast<const T*>(nullptr));
};

}  // namespace kern
