// printf-style formatting core; see format.h for what is supported and where
// it deliberately differs from C.
#include "lib/format.h"

namespace kern {
namespace {

// The helpers below take the argument list by pointer so that each va_arg
// advances the one list that vformat() owns. The static analyzer cannot see
// that the pointee was initialised (by va_copy in vformat) and reports every
// such va_arg; the warning is a false positive here.
// NOLINTBEGIN(clang-analyzer-valist.Uninitialized)

enum Flag : u32 {
  kLeft = 1u << 0,   // '-'
  kZero = 1u << 1,   // '0'
  kPlus = 1u << 2,   // '+'
  kSpace = 1u << 3,  // ' '
  kAlt = 1u << 4,    // '#'
};

enum class Length : u8 { Int, Char, Short, Long, LongLong, Size, Ptrdiff, Max };

struct Spec {
  u32 flags = 0;
  int width = 0;
  int precision = -1;  // -1: none given
  Length length = Length::Int;
  char conv = '\0';
};

class Sink {
 public:
  Sink(PutcharFn out, void* ctx) : out_(out), ctx_(ctx) {}
  void put(char c) {
    out_(ctx_, c);
    ++count_;
  }
  void repeat(char c, int n) {
    for (; n > 0; --n) put(c);
  }
  void write(const char* s, int n) {
    for (int i = 0; i < n; ++i) put(s[i]);
  }
  int count() const { return count_ > 0x7fffffff ? 0x7fffffff : static_cast<int>(count_); }

 private:
  PutcharFn out_;
  void* ctx_;
  usize count_ = 0;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int clamp_field(int v) { return v > kMaxFieldWidth ? kMaxFieldWidth : v; }

// Saturates rather than overflowing on absurdly long digit strings.
int parse_number(const char** p) {
  int v = 0;
  while (is_digit(**p)) {
    if (v <= kMaxFieldWidth) v = v * 10 + (**p - '0');
    ++*p;
  }
  return clamp_field(v);
}

// Fields shorter than the width are padded with spaces; '0' does not apply
// to strings and characters (undefined in C; spaces are the safe reading).
void emit_padded(Sink& sink, const Spec& spec, const char* s, int len) {
  int pad = spec.width > len ? spec.width - len : 0;
  if ((spec.flags & kLeft) == 0) sink.repeat(' ', pad);
  sink.write(s, len);
  if ((spec.flags & kLeft) != 0) sink.repeat(' ', pad);
}

void emit_integer(Sink& sink, const Spec& spec, u64 magnitude, bool negative) {
  unsigned base = 10;
  if (spec.conv == 'x' || spec.conv == 'X') base = 16;
  if (spec.conv == 'o') base = 8;
  const char* digit_chars = spec.conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";

  // Least significant first. 22 octal digits cover 64 bits.
  char digits[24];
  int ndigits = 0;
  // C: precision 0 with value 0 prints no digits at all.
  if (magnitude != 0 || spec.precision != 0) {
    u64 v = magnitude;
    do {
      digits[ndigits++] = digit_chars[v % base];
      v /= base;
    } while (v != 0);
  }

  int zeros = spec.precision > ndigits ? spec.precision - ndigits : 0;
  bool alt = (spec.flags & kAlt) != 0;
  // '#' with 'o' makes the first digit a 0, adding one only if needed.
  if (alt && base == 8 && zeros == 0 && (ndigits == 0 || digits[ndigits - 1] != '0')) zeros = 1;

  char prefix[2];
  int prefix_len = 0;
  bool is_signed = spec.conv == 'd' || spec.conv == 'i';
  if (is_signed) {
    if (negative) {
      prefix[prefix_len++] = '-';
    } else if ((spec.flags & kPlus) != 0) {
      prefix[prefix_len++] = '+';
    } else if ((spec.flags & kSpace) != 0) {
      prefix[prefix_len++] = ' ';
    }
  }
  if (alt && base == 16 && magnitude != 0) {
    prefix[prefix_len++] = '0';
    prefix[prefix_len++] = spec.conv;
  }

  int body = prefix_len + zeros + ndigits;
  int pad = spec.width > body ? spec.width - body : 0;
  // '0' pads between sign/prefix and digits, and is ignored with '-' or an
  // explicit precision.
  if ((spec.flags & (kZero | kLeft)) == kZero && spec.precision < 0) {
    zeros += pad;
    pad = 0;
  }
  if ((spec.flags & kLeft) == 0) sink.repeat(' ', pad);
  sink.write(prefix, prefix_len);
  sink.repeat('0', zeros);
  while (ndigits > 0) sink.put(digits[--ndigits]);
  if ((spec.flags & kLeft) != 0) sink.repeat(' ', pad);
}

// Default argument promotion turns char and short into int, so those are
// fetched as int and narrowed, as C requires. Several of the types coincide
// on LP64 targets (hence the branch-clone exemption) but not in general.
// NOLINTBEGIN(bugprone-branch-clone)
i64 fetch_signed(Length len, va_list* ap) {
  switch (len) {
    case Length::Char:
      return static_cast<signed char>(__builtin_va_arg(*ap, int));
    case Length::Short:
      return static_cast<short>(__builtin_va_arg(*ap, int));
    case Length::Int:
      return __builtin_va_arg(*ap, int);
    case Length::Long:
      return __builtin_va_arg(*ap, long);
    case Length::LongLong:
      return __builtin_va_arg(*ap, long long);
    case Length::Size:  // the signed size_t
    case Length::Ptrdiff:
      return __builtin_va_arg(*ap, isize);
    case Length::Max:
      return __builtin_va_arg(*ap, __INTMAX_TYPE__);
  }
  return 0;
}

u64 fetch_unsigned(Length len, va_list* ap) {
  switch (len) {
    case Length::Char:
      return static_cast<unsigned char>(__builtin_va_arg(*ap, unsigned));
    case Length::Short:
      return static_cast<unsigned short>(__builtin_va_arg(*ap, unsigned));
    case Length::Int:
      return __builtin_va_arg(*ap, unsigned);
    case Length::Long:
      return __builtin_va_arg(*ap, unsigned long);
    case Length::LongLong:
      return __builtin_va_arg(*ap, unsigned long long);
    case Length::Size:
      return __builtin_va_arg(*ap, usize);
    case Length::Ptrdiff:
      return static_cast<usize>(__builtin_va_arg(*ap, isize));
    case Length::Max:
      return __builtin_va_arg(*ap, __UINTMAX_TYPE__);
  }
  return 0;
}
// NOLINTEND(bugprone-branch-clone)

void emit_string(Sink& sink, const Spec& spec, const char* s) {
  if (s == nullptr) s = "(null)";
  // Never look past the precision: the argument need not be NUL-terminated
  // then.
  int len = 0;
  while ((spec.precision < 0 || len < spec.precision) && s[len] != '\0') ++len;
  emit_padded(sink, spec, s, len);
}

void emit_pointer(Sink& sink, const Spec& spec, const void* p) {
  u64 v = reinterpret_cast<uptr>(p);
  char text[18];
  text[0] = '0';
  text[1] = 'x';
  for (int i = 0; i < 16; ++i) text[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
  emit_padded(sink, spec, text, 18);
}

// Parses flags, width, precision and length after a '%'. `*p` ends on the
// conversion character (which may be the terminating NUL).
Spec parse_spec(const char** p, va_list* ap) {
  Spec spec;
  for (;; ++*p) {
    char c = **p;
    if (c == '-') {
      spec.flags |= kLeft;
    } else if (c == '0') {
      spec.flags |= kZero;
    } else if (c == '+') {
      spec.flags |= kPlus;
    } else if (c == ' ') {
      spec.flags |= kSpace;
    } else if (c == '#') {
      spec.flags |= kAlt;
    } else {
      break;
    }
  }

  if (**p == '*') {
    ++*p;
    int w = __builtin_va_arg(*ap, int);
    if (w < 0) {
      // C: a negative '*' width is the '-' flag plus a positive width.
      spec.flags |= kLeft;
      w = w < -kMaxFieldWidth ? kMaxFieldWidth : -w;
    }
    spec.width = clamp_field(w);
  } else {
    spec.width = parse_number(p);
  }

  if (**p == '.') {
    ++*p;
    if (**p == '*') {
      ++*p;
      int prec = __builtin_va_arg(*ap, int);
      spec.precision = prec < 0 ? -1 : clamp_field(prec);  // negative: as if omitted
    } else {
      spec.precision = parse_number(p);  // "." alone means 0
    }
  }

  switch (**p) {
    case 'h':
      ++*p;
      spec.length = Length::Short;
      if (**p == 'h') {
        ++*p;
        spec.length = Length::Char;
      }
      break;
    case 'l':
      ++*p;
      spec.length = Length::Long;
      if (**p == 'l') {
        ++*p;
        spec.length = Length::LongLong;
      }
      break;
    case 'z':
      ++*p;
      spec.length = Length::Size;
      break;
    case 't':
      ++*p;
      spec.length = Length::Ptrdiff;
      break;
    case 'j':
      ++*p;
      spec.length = Length::Max;
      break;
    default:
      break;
  }
  spec.conv = **p;
  return spec;
}

int format_impl(Sink& sink, const char* fmt, va_list* ap) {
  const char* p = fmt;
  while (*p != '\0') {
    if (*p != '%') {
      sink.put(*p++);
      continue;
    }
    const char* start = p++;
    Spec spec = parse_spec(&p, ap);
    switch (spec.conv) {
      case 'd':
      case 'i': {
        i64 v = fetch_signed(spec.length, ap);
        // Negating in u64 is exact for INT64_MIN, unlike -v.
        u64 magnitude = v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v);
        emit_integer(sink, spec, magnitude, v < 0);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o':
        emit_integer(sink, spec, fetch_unsigned(spec.length, ap), false);
        break;
      case 'c': {
        char c = static_cast<char>(__builtin_va_arg(*ap, int));
        emit_padded(sink, spec, &c, 1);
        break;
      }
      case 's':
        emit_string(sink, spec, __builtin_va_arg(*ap, const char*));
        break;
      case 'p':
        emit_pointer(sink, spec, __builtin_va_arg(*ap, const void*));
        break;
      case '%':
        sink.put('%');
        break;
      case '\0':
        // Incomplete specification at the end: print what there is.
        sink.write(start, static_cast<int>(p - start));
        continue;  // p is on the NUL; the loop ends
      default:
        sink.write(start, static_cast<int>(p - start + 1));
        break;
    }
    ++p;
  }
  return sink.count();
}

struct BufferCtx {
  char* buf;
  usize size;
  usize pos;
};

void buffer_putc(void* ctx, char c) {
  auto* b = static_cast<BufferCtx*>(ctx);
  if (b->pos + 1 < b->size) b->buf[b->pos] = c;
  ++b->pos;
}

// NOLINTEND(clang-analyzer-valist.Uninitialized)

}  // namespace

int vformat(PutcharFn out, void* ctx, const char* fmt, va_list ap) {
  // Work on a copy: va_arg must go through a pointer so that helpers advance
  // the caller's position, and a va_list parameter cannot portably have its
  // address taken (on x86-64 it has decayed to a pointer).
  va_list args;
  __builtin_va_copy(args, ap);
  Sink sink(out, ctx);
  int n = format_impl(sink, fmt, &args);
  __builtin_va_end(args);
  return n;
}

int vsnprintf(char* buf, usize size, const char* fmt, va_list ap) {
  BufferCtx ctx{buf, size, 0};
  int n = vformat(buffer_putc, &ctx, fmt, ap);
  if (size > 0) buf[ctx.pos < size ? ctx.pos : size - 1] = '\0';
  return n;
}

int snprintf(char* buf, usize size, const char* fmt, ...) {
  va_list ap;
  __builtin_va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  __builtin_va_end(ap);
  return n;
}

}  // namespace kern
