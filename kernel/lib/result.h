// Errors as values (after SerenityOS's ErrorOr): a function that can fail
// returns Result<T> (or Status), and TRY() passes a failure up. Errors are
// errno numbers (uapi/errno.h), turned into -errno once, at the syscall
// boundary.
#pragma once
#include "lib/types.h"
#include "uapi/errno.h"

namespace kern {

// Generated from the one list in uapi/errno.h: adding an error there gives
// it a name here, in the libc port's tracer and in the tests.
enum class Err : i32 {
  None = 0,
#define KERN_ERR_ENUM(name, nr, kname) kname = (nr),
  CHCORE_ERRNOS(KERN_ERR_ENUM)
#undef KERN_ERR_ENUM
};

// -errno for returning to user space.
constexpr i64 to_errno(Err e) { return -static_cast<i64>(e); }

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  constexpr Status(Err e) : err_(e) {}  // NOLINT: implicit by design
  constexpr bool ok() const { return err_ == Err::None; }
  constexpr Err error() const { return err_; }

 private:
  Err err_ = Err::None;
};

inline constexpr Status kOk{};

// A value or an error. Move-only values work (Result<Ref<T>>): take the
// value out with TRY() or std-style `static_cast<Result&&>(r).value()`.
template <typename T>
class [[nodiscard]] Result {
 public:
  constexpr Result(T value) : value_(static_cast<T&&>(value)), err_(Err::None) {}  // NOLINT
  constexpr Result(Err e) : value_{}, err_(e) {}                                   // NOLINT
  constexpr bool ok() const { return err_ == Err::None; }
  constexpr Err error() const { return err_; }
  constexpr const T& value() const& { return value_; }
  constexpr T& value() & { return value_; }
  constexpr T value() && { return static_cast<T&&>(value_); }

 private:
  T value_;
  Err err_;
};

}  // namespace kern

// Evaluates a Status or Result; on failure returns the error from the
// enclosing function; otherwise yields the Result's value (moved out; void
// for Status).
#define TRY(expr)                                                         \
  ({                                                                      \
    auto _try_r = (expr);                                                 \
    if (!_try_r.ok()) return _try_r.error();                              \
    ::kern::detail::try_value(static_cast<decltype(_try_r)&&>(_try_r));   \
  })

namespace kern::detail {
inline void try_value(Status&&) {}
template <typename T>
T try_value(Result<T>&& r) {
  return static_cast<Result<T>&&>(r).value();
}
}  // namespace kern::detail
