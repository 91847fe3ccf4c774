// Tests for the initial-stack builder shared by the kernel and libchcore
// (kernel/lib/initial_stack.c). Each stack is read back the way musl's
// _start reads it: from sp, through the addresses the builder wrote, which
// are translated into the test's buffer. Buffers are heap blocks of exactly
// the size handed to the builder, so AddressSanitizer catches any write
// outside them, and UBSan any unaligned word access.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "lib/initial_stack.h"

namespace {

constexpr chcore_u64 kTop = 0x0000700000000000ull;
constexpr chcore_u64 kLimit = 64 * 1024;  // the launcher's CHCORE_ARG_MAX

struct Input {
  std::vector<std::string> argv, envp;
  std::vector<chcore_auxv> auxv;
  chcore_u8 random[16];

  Input() {
    for (int i = 0; i < 16; i++) random[i] = static_cast<chcore_u8>(0xa0 + i);
  }
  // Pointer arrays that stay valid while the Input lives.
  std::vector<const char*> argv_ptrs, envp_ptrs;
  chcore_stack_args args() {
    argv_ptrs.clear();
    envp_ptrs.clear();
    for (auto& s : argv) argv_ptrs.push_back(s.c_str());
    for (auto& s : envp) envp_ptrs.push_back(s.c_str());
    return chcore_stack_args{
        argv_ptrs.data(), argv.size(), envp_ptrs.data(), envp.size(), auxv.data(),
        auxv.size(),      random};
  }
};

// A built stack: `mem` stands for [top - mem.size(), top).
struct Stack {
  std::vector<chcore_u8> mem;
  chcore_u64 top = kTop;
  chcore_u64 sp = 0;

  chcore_u64 bottom() const { return top - mem.size(); }
  bool contains(chcore_u64 va, chcore_u64 len) const {
    return va >= bottom() && va <= top && len <= top - va;
  }
  chcore_u64 word(chcore_u64 va) const {
    EXPECT_TRUE(contains(va, 8)) << std::hex << va;
    if (!contains(va, 8)) return 0;
    chcore_u64 v = 0;
    std::memcpy(&v, &mem[va - bottom()], 8);
    return v;
  }
  // The NUL-terminated string at va, which must end inside the stack.
  std::string str(chcore_u64 va) const {
    std::string s;
    for (; contains(va, 1) && va < top; va++) {
      char c = static_cast<char>(mem[va - bottom()]);
      if (c == '\0') return s;
      s += c;
    }
    ADD_FAILURE() << "string runs off the stack";
    return s;
  }
};

// What a process sees at sp.
struct Seen {
  chcore_u64 argc = 0;
  std::vector<std::string> argv, envp;
  std::vector<chcore_auxv> auxv;  // up to and including AT_NULL
  chcore_u64 end = 0;             // address just past AT_NULL's pair
};

Seen read_back(const Stack& s) {
  Seen seen;
  chcore_u64 p = s.sp;
  seen.argc = s.word(p);
  p += 8;
  for (chcore_u64 i = 0; i < seen.argc && !::testing::Test::HasFailure(); i++, p += 8)
    seen.argv.push_back(s.str(s.word(p)));
  EXPECT_EQ(s.word(p), 0u) << "argv is not NULL-terminated";
  p += 8;
  for (; s.word(p) != 0 && !::testing::Test::HasFailure(); p += 8)
    seen.envp.push_back(s.str(s.word(p)));
  p += 8;
  for (int n = 0; n < 100 && !::testing::Test::HasFailure(); n++, p += 16) {
    seen.auxv.push_back({s.word(p), s.word(p + 8)});
    if (seen.auxv.back().type == CHCORE_AT_NULL) break;
  }
  seen.end = p + 16;
  return seen;
}

int build(Input& in, Stack* s, chcore_u64 buf_size) {
  s->mem.assign(buf_size, 0x5a);
  chcore_stack_args a = in.args();
  return chcore_initial_stack_build(&a, s->top, s->mem.data(), buf_size, &s->sp);
}

chcore_u64 size_of(Input& in, chcore_u64 limit = kLimit) {
  chcore_stack_args a = in.args();
  chcore_u64 size = 0;
  EXPECT_EQ(chcore_initial_stack_size(&a, limit, &size), STACK_OK);
  return size;
}

const chcore_auxv* find_aux(const Seen& seen, chcore_u64 type) {
  for (const auto& e : seen.auxv)
    if (e.type == type) return &e;
  return nullptr;
}

Input sample() {
  Input in;
  in.argv = {"/bin/prog", "two words", "", "-x"};
  in.envp = {"HOME=/", "EMPTY=", "LAST=z"};
  in.auxv = {{CHCORE_AT_PAGESZ, 4096}, {CHCORE_AT_ENTRY, 0x400123}, {0x6001, 77}};
  return in;
}

TEST(InitialStack, ProcessSeesArgvEnvpAndAuxv) {
  Input in = sample();
  Stack s;
  ASSERT_EQ(build(in, &s, 4096), STACK_OK);
  Seen seen = read_back(s);
  EXPECT_EQ(seen.argc, 4u);
  EXPECT_EQ(seen.argv, in.argv);
  EXPECT_EQ(seen.envp, in.envp);
  // The caller's entries in order, then AT_RANDOM, then AT_NULL last.
  ASSERT_EQ(seen.auxv.size(), in.auxv.size() + 2);
  for (size_t i = 0; i < in.auxv.size(); i++) {
    EXPECT_EQ(seen.auxv[i].type, in.auxv[i].type);
    EXPECT_EQ(seen.auxv[i].value, in.auxv[i].value);
  }
  EXPECT_EQ(seen.auxv[in.auxv.size()].type, static_cast<chcore_u64>(CHCORE_AT_RANDOM));
  EXPECT_EQ(seen.auxv.back().type, static_cast<chcore_u64>(CHCORE_AT_NULL));
  EXPECT_EQ(seen.auxv.back().value, 0u);
}

TEST(InitialStack, RandomBytesAreOnTheStack) {
  Input in = sample();
  Stack s;
  ASSERT_EQ(build(in, &s, 4096), STACK_OK);
  Seen seen = read_back(s);
  const chcore_auxv* r = find_aux(seen, CHCORE_AT_RANDOM);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(s.contains(r->value, 16));
  EXPECT_GE(r->value, seen.end) << "AT_RANDOM overlaps the vectors";
  EXPECT_EQ(std::memcmp(&s.mem[r->value - s.bottom()], in.random, 16), 0);
}

TEST(InitialStack, SpIsAlignedAndTheTopIsAnEndMarker) {
  // Different string lengths move every boundary; sp stays 16-byte aligned.
  for (int extra = 0; extra < 40; extra++) {
    Input in = sample();
    in.argv.push_back(std::string(static_cast<size_t>(extra), 'a'));
    for (int k = 0; k < extra % 3; k++) in.envp.push_back("K=v");
    Stack s;
    ASSERT_EQ(build(in, &s, 4096), STACK_OK);
    EXPECT_EQ(s.sp % 16, 0u) << "extra " << extra;
    for (chcore_u64 va = s.top - 16; va < s.top; va++) EXPECT_EQ(s.mem[va - s.bottom()], 0);
    Seen seen = read_back(s);
    EXPECT_EQ(seen.argv, in.argv);
    EXPECT_EQ(seen.envp, in.envp);
  }
}

TEST(InitialStack, OnlyTheLayoutAtTheTopIsWritten) {
  Input in = sample();
  Stack s;
  ASSERT_EQ(build(in, &s, 4096), STACK_OK);
  chcore_u64 used = s.top - s.sp;
  EXPECT_EQ(used, size_of(in));
  for (chcore_u64 i = 0; i < s.mem.size() - used; i++) ASSERT_EQ(s.mem[i], 0x5a) << i;
}

TEST(InitialStack, EmptyListsStillHaveTheirTerminators) {
  Input in;
  Stack s;
  ASSERT_EQ(build(in, &s, 256), STACK_OK);
  EXPECT_EQ(s.word(s.sp), 0u);       // argc
  EXPECT_EQ(s.word(s.sp + 8), 0u);   // argv's NULL
  EXPECT_EQ(s.word(s.sp + 16), 0u);  // envp's NULL
  Seen seen = read_back(s);
  ASSERT_EQ(seen.auxv.size(), 2u);
  EXPECT_EQ(seen.auxv[0].type, static_cast<chcore_u64>(CHCORE_AT_RANDOM));
  EXPECT_EQ(seen.auxv[1].type, static_cast<chcore_u64>(CHCORE_AT_NULL));
}

// No fixed cap on the number of arguments: thousands fit in 64 KiB, each
// one arriving (the kernel once kept only the first 16).
TEST(InitialStack, ThousandsOfArgumentsArriveInOrder) {
  Input in;
  for (int i = 0; i < 3000; i++) in.argv.push_back(std::to_string(i));
  chcore_u64 size = size_of(in);
  ASSERT_LE(size, kLimit);
  Stack s;
  ASSERT_EQ(build(in, &s, size), STACK_OK);  // an exact fit
  EXPECT_EQ(s.sp, s.bottom());
  Seen seen = read_back(s);
  EXPECT_EQ(seen.argc, 3000u);
  EXPECT_EQ(seen.argv, in.argv);
}

TEST(InitialStack, TooBigIsAnErrorAndLeavesTheBufferAlone) {
  Input in = sample();
  chcore_u64 size = size_of(in);
  Stack s;
  EXPECT_EQ(build(in, &s, size - 1), STACK_ERR_TOO_BIG);
  for (chcore_u8 b : s.mem) ASSERT_EQ(b, 0x5a);
  chcore_stack_args a = in.args();
  chcore_u64 got = 0;
  EXPECT_EQ(chcore_initial_stack_size(&a, size - 1, &got), STACK_ERR_TOO_BIG);
  EXPECT_EQ(chcore_initial_stack_size(&a, size, &got), STACK_OK);
  EXPECT_EQ(got, size);

  // 64 KiB of strings cannot fit in 64 KiB with the vectors.
  Input big;
  big.argv = {"prog", std::string(kLimit - 100, 'x')};
  EXPECT_EQ(chcore_initial_stack_size(&(a = big.args()), kLimit, &got), STACK_ERR_TOO_BIG);
  // Nor can more pointers than there are words in the limit.
  Input many;
  many.argv.assign(kLimit / 8, "");
  EXPECT_EQ(chcore_initial_stack_size(&(a = many.args()), kLimit, &got), STACK_ERR_TOO_BIG);
}

TEST(InitialStack, HugeCountsAndLongStringsAreNotReadBeyondTheLimit) {
  // A count far beyond what fits is refused before argv is read (ASan
  // would see the read past this one-entry array).
  const char* one[] = {"x"};
  chcore_u8 rnd[16] = {};
  chcore_stack_args a{one, 1ull << 62, nullptr, 0, nullptr, 0, rnd};
  chcore_u64 size = 0;
  EXPECT_EQ(chcore_initial_stack_size(&a, kLimit, &size), STACK_ERR_TOO_BIG);
  a = {one, 1, one, ~0ull / 2, nullptr, 0, rnd};
  EXPECT_EQ(chcore_initial_stack_size(&a, kLimit, &size), STACK_ERR_TOO_BIG);
  // A string without its NUL within the limit: at most `limit` bytes read.
  std::vector<char> unterminated(kLimit, 'y');
  const char* long_one[] = {unterminated.data()};
  a = {long_one, 1, nullptr, 0, nullptr, 0, rnd};
  EXPECT_EQ(chcore_initial_stack_size(&a, kLimit, &size), STACK_ERR_TOO_BIG);
  // A limit near 2^64 does not wrap the arithmetic.
  a = {one, 1, nullptr, 0, nullptr, 0, rnd};
  EXPECT_EQ(chcore_initial_stack_size(&a, ~0ull, &size), STACK_OK);
  EXPECT_EQ(size % 16, 0u);
}

TEST(InitialStack, BadArgumentsAreRejected) {
  Input in = sample();
  chcore_stack_args a = in.args();
  std::vector<chcore_u8> buf(4096);
  chcore_u64 sp = 0;
  EXPECT_EQ(chcore_initial_stack_build(&a, kTop + 8, buf.data(), buf.size(), &sp), STACK_ERR_INVAL);
  EXPECT_EQ(chcore_initial_stack_build(&a, 64, buf.data(), buf.size(), &sp), STACK_ERR_INVAL)
      << "a top below the layout's size would wrap";
  EXPECT_EQ(chcore_initial_stack_build(&a, kTop, nullptr, buf.size(), &sp), STACK_ERR_INVAL);
  chcore_stack_args b = a;
  b.argv = nullptr;
  EXPECT_EQ(chcore_initial_stack_build(&b, kTop, buf.data(), buf.size(), &sp), STACK_ERR_INVAL);
  b = a;
  b.random = nullptr;
  EXPECT_EQ(chcore_initial_stack_build(&b, kTop, buf.data(), buf.size(), &sp), STACK_ERR_INVAL);
  const char* with_null[] = {"a", nullptr};
  b = a;
  b.envp = with_null;
  b.envc = 2;
  EXPECT_EQ(chcore_initial_stack_build(&b, kTop, buf.data(), buf.size(), &sp), STACK_ERR_INVAL);
  for (chcore_u8 x : buf) ASSERT_EQ(x, 0);
}

TEST(InitialStack, BufferNeedsNoAlignment) {
  Input in = sample();
  chcore_stack_args a = in.args();
  chcore_u64 size = size_of(in);
  std::vector<chcore_u8> raw(size + 1);
  chcore_u64 sp = 0;
  // Words land at odd addresses in the caller's buffer: UBSan would report
  // a misaligned store.
  ASSERT_EQ(chcore_initial_stack_build(&a, kTop, raw.data() + 1, size, &sp), STACK_OK);
  chcore_u64 argc = 0;
  std::memcpy(&argc, raw.data() + 1, 8);
  EXPECT_EQ(argc, in.argv.size());
  EXPECT_EQ(sp, kTop - size);
}

}  // namespace
