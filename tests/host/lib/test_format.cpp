// Tests for kern::vformat / kern::snprintf. Where the kernel's output is
// meant to equal C's, it is checked both against a literal and against the
// host libc, so that the literal itself is known to be right.
#include <gtest/gtest.h>

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "lib/format.h"

namespace {

__attribute__((format(printf, 1, 2))) std::string kfmt(const char* fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  int n = kern::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  EXPECT_EQ(static_cast<usize>(n), std::strlen(buf));
  return std::string(buf);
}

__attribute__((format(printf, 1, 2))) std::string cfmt(const char* fmt, ...) {
  char buf[8192];
  va_list ap;
  va_start(ap, fmt);
  // The analyzer loses track of va_start through glibc's vsnprintf wrapper.
  std::vsnprintf(buf, sizeof(buf), fmt, ap);  // NOLINT(clang-analyzer-valist.Uninitialized)
  va_end(ap);
  return std::string(buf);
}

// Same result as C, and that result is `expected`.
#define EXPECT_FMT(expected, ...)           \
  do {                                      \
    EXPECT_EQ(kfmt(__VA_ARGS__), expected); \
    EXPECT_EQ(cfmt(__VA_ARGS__), expected); \
  } while (0)

// Where the kernel deliberately differs from C.
#define EXPECT_KFMT(expected, ...) EXPECT_EQ(kfmt(__VA_ARGS__), expected)

TEST(Format, PlainText) {
  EXPECT_FMT("", "%s", "");
  EXPECT_FMT("hello, world\n", "hello, world\n");
  EXPECT_FMT("100%", "100%%");
  EXPECT_FMT("%%", "%%%%");
}

TEST(Format, SignedDecimal) {
  EXPECT_FMT("0", "%d", 0);
  EXPECT_FMT("42", "%d", 42);
  EXPECT_FMT("-42", "%d", -42);
  EXPECT_FMT("2147483647", "%d", INT32_MAX);
  EXPECT_FMT("-2147483648", "%d", INT32_MIN);
  EXPECT_FMT("-7", "%i", -7);
}

TEST(Format, Unsigned) {
  EXPECT_FMT("0", "%u", 0u);
  EXPECT_FMT("4294967295", "%u", UINT32_MAX);
  EXPECT_FMT("deadbeef", "%x", 0xdeadbeefu);
  EXPECT_FMT("DEADBEEF", "%X", 0xdeadbeefu);
  EXPECT_FMT("0", "%x", 0u);
  EXPECT_FMT("10", "%o", 8u);
  EXPECT_FMT("37777777777", "%o", UINT32_MAX);
  EXPECT_FMT("ffffffff", "%x", -1);
}

TEST(Format, Characters) {
  EXPECT_FMT("A", "%c", 'A');
  EXPECT_FMT("  A", "%3c", 'A');
  EXPECT_FMT("A  |", "%-3c|", 'A');
  EXPECT_FMT("[x][y]", "[%c][%c]", 'x', 'y');
  char buf[8];
  EXPECT_EQ(kern::snprintf(buf, sizeof(buf), "a%cb", 0), 3);
  EXPECT_EQ(std::memcmp(buf, "a\0b\0", 4), 0);
}

TEST(Format, Strings) {
  EXPECT_FMT("hello", "%s", "hello");
  EXPECT_FMT("     hello", "%10s", "hello");
  EXPECT_FMT("hello     |", "%-10s|", "hello");
  EXPECT_FMT("hel", "%.3s", "hello");
  EXPECT_FMT("       hel", "%10.3s", "hello");
  EXPECT_FMT("hel       |", "%-10.3s|", "hello");
  EXPECT_FMT("he", "%.*s", 2, "hello");
  EXPECT_FMT("hello", "%.*s", -1, "hello");
  EXPECT_FMT("", "%.0s", "hello");
  EXPECT_FMT("", "%.s", "hello");
  EXPECT_FMT("hello", "%.10s", "hello");
  EXPECT_FMT("hi", "%1s", "hi");
}

TEST(Format, PrecisionBoundsStringReads) {
  // Not NUL-terminated: reading a byte past the precision would trip ASan.
  char* raw = new char[3]{'a', 'b', 'c'};
  EXPECT_FMT("abc", "%.3s", raw);
  EXPECT_FMT("ab", "%.2s", raw);
  delete[] raw;
}

TEST(Format, NullString) {
  EXPECT_KFMT("(null)", "%s", static_cast<const char*>(nullptr));
  EXPECT_KFMT("    (null)", "%10s", static_cast<const char*>(nullptr));
  EXPECT_KFMT("(null)    |", "%-10s|", static_cast<const char*>(nullptr));
  EXPECT_KFMT("(nu", "%.3s", static_cast<const char*>(nullptr));
}

// Some combinations below draw -Wformat warnings ("ignored", "undefined" for
// '+' with %u); they are here on purpose, to pin down what the kernel does.
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
TEST(Format, Flags) {
  EXPECT_FMT("+5", "%+d", 5);
  EXPECT_FMT("-5", "%+d", -5);
  EXPECT_FMT("+0", "%+d", 0);
  EXPECT_FMT(" 5", "% d", 5);
  EXPECT_FMT("-5", "% d", -5);
  EXPECT_FMT("+5", "%+ d", 5);
  EXPECT_FMT("+5", "% +d", 5);
  EXPECT_FMT("5", "%+u", 5u);
  EXPECT_FMT("ff", "% x", 0xffu);
  EXPECT_FMT("00042", "%05d", 42);
  EXPECT_FMT("-0042", "%05d", -42);
  EXPECT_FMT("+0042", "%+05d", 42);
  EXPECT_FMT(" 0042", "% 05d", 42);
  EXPECT_FMT("42   |", "%-5d|", 42);
  EXPECT_FMT("42   |", "%-05d|", 42);
  EXPECT_FMT("-42  |", "%-5d|", -42);
  EXPECT_FMT("0xff", "%#x", 0xffu);
  EXPECT_FMT("0XFF", "%#X", 0xffu);
  EXPECT_FMT("0", "%#x", 0u);
  EXPECT_FMT("0x0000ff", "%#08x", 0xffu);
  EXPECT_FMT("    0xff", "%#8x", 0xffu);
  EXPECT_FMT("0xff    |", "%#-8x|", 0xffu);
  EXPECT_FMT("010", "%#o", 8u);
  EXPECT_FMT("0", "%#o", 0u);
  EXPECT_FMT("0", "%#.0o", 0u);
  EXPECT_FMT("00010", "%#.5o", 8u);
  EXPECT_FMT("0x00ff", "%#.4x", 0xffu);
}
#pragma clang diagnostic pop

TEST(Format, WidthAndPrecision) {
  EXPECT_FMT("   42", "%5d", 42);
  EXPECT_FMT("42", "%1d", 42);
  EXPECT_FMT("00042", "%.5d", 42);
  EXPECT_FMT("-00042", "%.5d", -42);
  EXPECT_FMT("  00042", "%7.5d", 42);
  EXPECT_FMT("  007", "%05.3d", 7);  // '0' ignored with a precision
  EXPECT_FMT("", "%.0d", 0);
  EXPECT_FMT("", "%.d", 0);
  EXPECT_FMT("     ", "%5.0d", 0);
  EXPECT_FMT("+", "%+.0d", 0);
  EXPECT_FMT("", "%.0x", 0u);
  EXPECT_FMT("1", "%.0d", 1);
  EXPECT_FMT("   42", "%*d", 5, 42);
  EXPECT_FMT("42   |", "%-*d|", 5, 42);
  EXPECT_FMT("42   |", "%*d|", -5, 42);  // negative '*' width means '-'
  EXPECT_FMT("00042", "%.*d", 5, 42);
  EXPECT_FMT("42", "%.*d", -1, 42);  // negative '*' precision: none
  EXPECT_FMT("  00042", "%*.*d", 7, 5, 42);
  EXPECT_FMT("00042", "%0*d", 5, 42);
}

TEST(Format, WidthIsClamped) {
  EXPECT_EQ(kfmt("%5000d", 1).size(), static_cast<usize>(kern::kMaxFieldWidth));
  EXPECT_EQ(kfmt("%*d", 1 << 30, 1).size(), static_cast<usize>(kern::kMaxFieldWidth));
  EXPECT_EQ(kfmt("%*d", INT32_MIN, 1).size(), static_cast<usize>(kern::kMaxFieldWidth));
  EXPECT_EQ(kfmt("%99999999999999999999d", 1).size(), static_cast<usize>(kern::kMaxFieldWidth));
  EXPECT_EQ(kfmt("%.99999999999999999999d", 1).size(), static_cast<usize>(kern::kMaxFieldWidth));
}

TEST(Format, LengthModifiers) {
  EXPECT_FMT("-1", "%hhd", 255);
  EXPECT_FMT("0", "%hhu", 256);
  EXPECT_FMT("-128", "%hhd", 128);
  EXPECT_FMT("ff", "%hhx", 0x1ff);
  EXPECT_FMT("-1", "%hd", 65535);
  EXPECT_FMT("0", "%hu", 65536);
  EXPECT_FMT("-32768", "%hd", 32768);
  EXPECT_FMT("-9223372036854775808", "%ld", INT64_MIN);
  EXPECT_FMT("9223372036854775807", "%ld", INT64_MAX);
  EXPECT_FMT("-9223372036854775808", "%lld", static_cast<long long>(INT64_MIN));
  EXPECT_FMT("18446744073709551615", "%llu", static_cast<unsigned long long>(UINT64_MAX));
  EXPECT_FMT("18446744073709551615", "%lu", static_cast<unsigned long>(UINT64_MAX));
  EXPECT_FMT("ffffffffffffffff", "%lx", static_cast<unsigned long>(UINT64_MAX));
  EXPECT_FMT("FFFFFFFFFFFFFFFF", "%llX", static_cast<unsigned long long>(UINT64_MAX));
  EXPECT_FMT("1777777777777777777777", "%llo", static_cast<unsigned long long>(UINT64_MAX));
  EXPECT_FMT("01777777777777777777777", "%#llo", static_cast<unsigned long long>(UINT64_MAX));
  EXPECT_FMT("0xffffffffffffffff", "%#lx", static_cast<unsigned long>(UINT64_MAX));
  EXPECT_FMT("18446744073709551615", "%zu", SIZE_MAX);
  EXPECT_FMT("-1", "%zd", static_cast<ssize_t>(-1));
  EXPECT_FMT("-5", "%td", static_cast<ptrdiff_t>(-5));
  EXPECT_FMT("ffffffffffffffff", "%tx", static_cast<ptrdiff_t>(-1));
  EXPECT_FMT("-9223372036854775808", "%jd", INTMAX_MIN);
  EXPECT_FMT("18446744073709551615", "%ju", UINTMAX_MAX);
  EXPECT_FMT("-9223372036854775808", "%+ld", INT64_MIN);
  EXPECT_FMT("  -9223372036854775808", "%22ld", INT64_MIN);
  EXPECT_FMT("-009223372036854775808", "%022ld", INT64_MIN);
}

TEST(Format, ArgumentsStayInStep) {
  // Mixed sizes: a wrong va_arg type anywhere would shift the later ones.
  EXPECT_FMT("1 two 3 -4 5 x 7", "%hhd %s %lld %ld %zu %c %u", 1, "two", 3LL, -4L, usize{5}, 'x',
             7u);
  EXPECT_FMT("-1 ffffffffffffffff 2 end", "%d %llx %d %s", -1, ~0ull, 2, "end");
}

// Made-up addresses: integer-to-pointer casts are the point.
// NOLINTBEGIN(performance-no-int-to-ptr)
TEST(Format, Pointer) {
  EXPECT_KFMT("0x0000000000001234", "%p", reinterpret_cast<void*>(0x1234));
  EXPECT_KFMT("0x0000000000000000", "%p", nullptr);
  EXPECT_KFMT("0xffffffffffffffff", "%p", reinterpret_cast<void*>(~uptr{0}));
  EXPECT_KFMT("0xffff00000008a000", "%p", reinterpret_cast<void*>(0xffff00000008a000));
  EXPECT_KFMT("  0x0000000000001234", "%20p", reinterpret_cast<void*>(0x1234));
  EXPECT_KFMT("0x0000000000001234  |", "%-20p|", reinterpret_cast<void*>(0x1234));
  EXPECT_KFMT("0x0000000000001234", "%5p", reinterpret_cast<void*>(0x1234));
}
// NOLINTEND(performance-no-int-to-ptr)

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
#pragma clang diagnostic ignored "-Wformat-invalid-specifier"
#pragma clang diagnostic ignored "-Wformat-extra-args"
#pragma clang diagnostic ignored "-Wformat-security"

TEST(Format, UnknownConversionPrintedLiterally) {
  EXPECT_KFMT("%q", "%q");
  EXPECT_KFMT("a%qb", "a%qb");
  EXPECT_KFMT("%-5q", "%-5q");
  EXPECT_KFMT("%lq", "%lq");
  EXPECT_KFMT("%f", "%f", 1.5);
  EXPECT_KFMT("%Lf", "%Lf");
  EXPECT_KFMT("%e %g %a", "%e %g %a");
  // Unknown conversions consume no argument: 7 goes to the %d.
  EXPECT_KFMT("%q 7", "%q %d", 7);
}

TEST(Format, PercentNNeverWrites) {
  int target = 1234;
  EXPECT_KFMT("ab%ncd", "ab%ncd", &target);
  EXPECT_EQ(target, 1234);
}

TEST(Format, IncompleteSpecAtEnd) {
  EXPECT_KFMT("%", "%");
  EXPECT_KFMT("abc%", "abc%");
  EXPECT_KFMT("%5", "%5");
  EXPECT_KFMT("%-0", "%-0");
  EXPECT_KFMT("%ll", "%ll");
  EXPECT_KFMT("x%.", "x%.");
}

#pragma clang diagnostic pop

struct Collect {
  std::string text;
};

void collect_putc(void* ctx, char c) { static_cast<Collect*>(ctx)->text.push_back(c); }

int call_vformat(Collect* c, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = kern::vformat(collect_putc, c, fmt, ap);
  va_end(ap);
  return n;
}

TEST(Format, VformatCountsEveryCharacter) {
  Collect c;
  EXPECT_EQ(call_vformat(&c, "[%5d|%-3s|%c]", 42, "ab", 'z'), 13);
  EXPECT_EQ(c.text, "[   42|ab |z]");
  Collect empty;
  EXPECT_EQ(call_vformat(&empty, ""), 0);
  EXPECT_EQ(empty.text, "");
}

int call_vsnprintf_twice(char* a, char* b, usize size, const char* fmt, ...) {
  // The caller's va_list must still be usable after vsnprintf (vformat works
  // on a copy), as with C's vsnprintf followed by va_copy-free reuse of a copy.
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = kern::vsnprintf(a, size, fmt, ap);
  int m = kern::vsnprintf(b, size, fmt, ap2);
  va_end(ap2);
  va_end(ap);
  return n == m ? n : -1;
}

TEST(Format, VsnprintfWithCopiedList) {
  char a[32], b[32];
  EXPECT_EQ(call_vsnprintf_twice(a, b, sizeof(a), "%d-%s", 12, "x"), 4);
  EXPECT_STREQ(a, "12-x");
  EXPECT_STREQ(b, "12-x");
}

TEST(Format, SnprintfTruncation) {
  char buf[16];
  // size 0: nothing written, not even the NUL; buf may be null.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, 0, "hello"), 5);
  EXPECT_EQ(buf[0], '#');
  EXPECT_EQ(kern::snprintf(nullptr, 0, "hello %d", 123), 9);

  // size 1: only the NUL.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, 1, "hello"), 5);
  EXPECT_EQ(buf[0], '\0');
  EXPECT_EQ(buf[1], '#');

  // Short: size - 1 characters and a NUL.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, 5, "hello"), 5);
  EXPECT_STREQ(buf, "hell");
  EXPECT_EQ(buf[5], '#');

  // Exact fit.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, 6, "hello"), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(buf[6], '#');

  // Room to spare.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, sizeof(buf), "hello"), 5);
  EXPECT_STREQ(buf, "hello");
  EXPECT_EQ(buf[6], '#');

  // Truncation inside a conversion, with padding.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, 8, "[%10d]", -123), 12);
  EXPECT_STREQ(buf, "[      ");

  // Empty output still terminates.
  std::memset(buf, '#', sizeof(buf));
  EXPECT_EQ(kern::snprintf(buf, sizeof(buf), "%s", ""), 0);
  EXPECT_EQ(buf[0], '\0');
}

TEST(Format, SnprintfTruncationMatchesLibcAtEverySize) {
  const char* fmt = "%s=%08x (%+d) %-6s|%lu";
  std::string full = cfmt(fmt, "key", 0xbeefu, -17, "ab", 123456789UL);
  for (usize size = 0; size <= full.size() + 2; ++size) {
    char a[64], b[64];
    std::memset(a, '#', sizeof(a));
    std::memset(b, '#', sizeof(b));
    int n = kern::snprintf(a, size, fmt, "key", 0xbeefu, -17, "ab", 123456789UL);
    int m = std::snprintf(b, size, fmt, "key", 0xbeefu, -17, "ab", 123456789UL);
    EXPECT_EQ(n, m) << size;
    EXPECT_EQ(std::memcmp(a, b, sizeof(a)), 0) << size;
  }
}

TEST(Format, LongOutput) {
  std::string big(3000, 'z');
  EXPECT_FMT(big + "|" + big, "%s|%s", big.c_str(), big.c_str());
}

// Random integer specifications against the host libc: the combinations of
// flags, width, precision and length are too many to list by hand.
TEST(Format, RandomIntegerSpecsMatchLibc) {
  std::mt19937_64 rng(20240601);
  const char* lengths[] = {"", "hh", "h", "l", "ll", "z", "t", "j"};
  const char convs[] = {'d', 'i', 'u', 'x', 'X', 'o'};
  const u64 interesting[] = {0,
                             1,
                             7,
                             8,
                             15,
                             16,
                             127,
                             128,
                             255,
                             256,
                             32767,
                             32768,
                             65535,
                             0x7fffffff,
                             0x80000000,
                             0xffffffff,
                             0x100000000ull,
                             0x7fffffffffffffffull,
                             0x8000000000000000ull,
                             ~0ull};
  for (int iter = 0; iter < 20000; ++iter) {
    char conv = convs[rng() % 6];
    bool is_signed = conv == 'd' || conv == 'i';
    std::string fmt = "[%";
    const char* flag_chars = is_signed ? "-0+ " : "-0+ #";  // '#' with d/i is undefined
    u32 nflags = rng() % 4;
    for (u32 i = 0; i < nflags; ++i) fmt += flag_chars[rng() % std::strlen(flag_chars)];
    if (rng() % 2) fmt += std::to_string(rng() % 30);
    if (rng() % 2) {
      fmt += ".";
      if (rng() % 4) fmt += std::to_string(rng() % 25);
    }
    u32 li = rng() % 8;
    fmt += lengths[li];
    fmt += conv;
    fmt += "]";

    u64 v = rng() % 3 ? interesting[rng() % (sizeof(interesting) / sizeof(interesting[0]))] : rng();
    if (rng() % 2) v = 0 - v;

    SCOPED_TRACE(fmt + " value " + std::to_string(v));
    char a[128], b[128];
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
    int n, m;
    switch (li) {
      case 0:
      case 1:
      case 2:
        n = kern::snprintf(a, sizeof(a), fmt.c_str(), static_cast<int>(v));
        m = std::snprintf(b, sizeof(b), fmt.c_str(), static_cast<int>(v));
        break;
      case 3:
        n = kern::snprintf(a, sizeof(a), fmt.c_str(), static_cast<long>(v));
        m = std::snprintf(b, sizeof(b), fmt.c_str(), static_cast<long>(v));
        break;
      case 4:
        n = kern::snprintf(a, sizeof(a), fmt.c_str(), static_cast<long long>(v));
        m = std::snprintf(b, sizeof(b), fmt.c_str(), static_cast<long long>(v));
        break;
      case 5:
        n = kern::snprintf(a, sizeof(a), fmt.c_str(), static_cast<size_t>(v));
        m = std::snprintf(b, sizeof(b), fmt.c_str(), static_cast<size_t>(v));
        break;
      case 6:
        n = kern::snprintf(a, sizeof(a), fmt.c_str(), static_cast<ptrdiff_t>(v));
        m = std::snprintf(b, sizeof(b), fmt.c_str(), static_cast<ptrdiff_t>(v));
        break;
      default:
        n = kern::snprintf(a, sizeof(a), fmt.c_str(), static_cast<intmax_t>(v));
        m = std::snprintf(b, sizeof(b), fmt.c_str(), static_cast<intmax_t>(v));
        break;
    }
#pragma clang diagnostic pop
    ASSERT_EQ(n, m);
    ASSERT_STREQ(a, b);
  }
}

TEST(Format, RandomStringSpecsMatchLibc) {
  std::mt19937 rng(99);
  const char* words[] = {"", "a", "hello", "a longer string with spaces"};
  for (int iter = 0; iter < 5000; ++iter) {
    std::string fmt = "<%";
    if (rng() % 2) fmt += '-';
    if (rng() % 2) fmt += std::to_string(rng() % 40);
    if (rng() % 2) fmt += "." + std::to_string(rng() % 40);
    bool is_char = rng() % 4 == 0;
    fmt += is_char ? "c>" : "s>";
    const char* w = words[rng() % 4];
    char ch = static_cast<char>('!' + rng() % 90);
    SCOPED_TRACE(fmt);
    char a[128], b[128];
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat-nonliteral"
    int n = is_char ? kern::snprintf(a, sizeof(a), fmt.c_str(), ch)
                    : kern::snprintf(a, sizeof(a), fmt.c_str(), w);
    int m = is_char ? std::snprintf(b, sizeof(b), fmt.c_str(), ch)
                    : std::snprintf(b, sizeof(b), fmt.c_str(), w);
#pragma clang diagnostic pop
    ASSERT_EQ(n, m);
    ASSERT_STREQ(a, b);
  }
}

}  // namespace
