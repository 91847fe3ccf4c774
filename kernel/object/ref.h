// A scoped object reference: drops it when it goes out of scope. Every
// handler returns to the one exit path (sched/sched.h), so the destructor
// always runs.
#pragma once
#include "lib/result.h"
#include "object/cap_group.h"
#include "mm/pmo.h"
#include "object/cap_slot.h"
#include "object/object.h"
#include "object/types.h"

namespace kern {

template <typename T>
class Ref {
 public:
  Ref() = default;
  explicit Ref(T* p) : p_(p) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  Ref(Ref&& o) : p_(o.release()) {}
  Ref& operator=(Ref&& o) {
    if (this != &o) {
      reset();
      p_ = o.release();
    }
    return *this;
  }
  ~Ref() { reset(); }
  T* get() const { return p_; }
  T* operator->() const { return p_; }
  void reset() {
    if (p_ != nullptr) obj_put(p_);
    p_ = nullptr;
  }
  // Gives up ownership without dropping the reference.
  T* release() {
    T* p = p_;
    p_ = nullptr;
    return p;
  }

 private:
  T* p_ = nullptr;
};

// The object in `slot` of the current process, checked for type and rights,
// with a reference that the Ref drops. Err::BadF (no such slot), Err::Inval
// (another type), Err::Access (missing rights).
template <typename T>
[[nodiscard]] Result<Ref<T>> cap_lookup(CapSlot slot, u32 rights) {
  Object* o = TRY(cap_get(current_group(), slot.value, ObjTypeOf<T>::value, rights));
  return Ref<T>(static_cast<T*>(o));
}

}  // namespace kern
