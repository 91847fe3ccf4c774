// kern::split_cmdline (kernel/lib/cmdline.cpp): the test image's command
// line, which tests/qemu/qemu.py writes with Python's shlex.quote per
// argument, must come back as exactly the arguments that were quoted.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/cmdline.h"

namespace {

using kern::CmdlineError;

struct Split {
  CmdlineError error;
  std::vector<std::string> words;
};

Split split(const std::string& line, u32 max_words = 64) {
  std::vector<char> buf(line.begin(), line.end());
  buf.push_back('\0');
  std::vector<char*> words(max_words + 1, nullptr);
  kern::CmdlineWords r = kern::split_cmdline(buf.data(), words.data(), max_words);
  Split s{r.error, {}};
  for (u32 i = 0; i < r.count; i++) s.words.emplace_back(words[i]);
  return s;
}

std::vector<std::string> words(const std::string& line) {
  Split s = split(line);
  EXPECT_EQ(s.error, CmdlineError::kNone) << line;
  return s.words;
}

using V = std::vector<std::string>;

// What Python's shlex.quote does (3.11): safe words as they are, anything
// else in single quotes, a single quote as '"'"'.
std::string shlex_quote(const std::string& s) {
  if (s.empty()) return "''";
  bool safe = true;
  for (unsigned char c : s)
    if (!(isalnum(c) || c == '_' || std::string("@%+=:,./-").find(c) != std::string::npos))
      safe = false;
  if (safe) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\"'\"'") : std::string(1, c);
  return out + "'";
}

TEST(Cmdline, PlainWordsAndSeparators) {
  EXPECT_EQ(words("exec /bin/prog alpha"), (V{"exec", "/bin/prog", "alpha"}));
  EXPECT_EQ(words("  a \t b\n c  "), (V{"a", "b", "c"}));
  EXPECT_EQ(words(""), V{});
  EXPECT_EQ(words("   "), V{});
}

TEST(Cmdline, QuotesKeepSpacesAndDashes) {
  EXPECT_EQ(words("prog 'b c' -x --foo"), (V{"prog", "b c", "-x", "--foo"}));
  EXPECT_EQ(words("prog \"b  c\""), (V{"prog", "b  c"}));
  EXPECT_EQ(words("a'b c'd"), (V{"ab cd"}));
}

TEST(Cmdline, EmptyWords) {
  EXPECT_EQ(words("prog '' x"), (V{"prog", "", "x"}));
  EXPECT_EQ(words("prog \"\" ''"), (V{"prog", "", ""}));
  EXPECT_EQ(words("''"), (V{""}));
}

TEST(Cmdline, BackslashesAndQuotesInsideQuotes) {
  EXPECT_EQ(words(R"(it\'s a\ b)"), (V{"it's", "a b"}));
  EXPECT_EQ(words(R"('it'"'"'s')"), (V{"it's"}));
  EXPECT_EQ(words(R"("say \"hi\" \\ \$x \n")"), (V{R"(say "hi" \ $x \n)"}));
  EXPECT_EQ(words(R"('a\b' "$HOME" *)"), (V{R"(a\b)", "$HOME", "*"}));
}

TEST(Cmdline, UnbalancedQuotesAreErrors) {
  EXPECT_EQ(split("prog 'open").error, CmdlineError::kUnterminated);
  EXPECT_EQ(split("prog \"open").error, CmdlineError::kUnterminated);
  EXPECT_EQ(split("prog \"a\\\"").error, CmdlineError::kUnterminated);
  EXPECT_EQ(split("prog end\\").error, CmdlineError::kUnterminated);
}

TEST(Cmdline, TooManyWordsIsAnError) {
  Split s = split("a b c d", 3);
  EXPECT_EQ(s.error, CmdlineError::kTooManyWords);
  EXPECT_EQ(s.words, (V{"a", "b", "c"}));
  EXPECT_EQ(split("a b c", 3).error, CmdlineError::kNone);
  EXPECT_EQ(split("a b c   ", 3).error, CmdlineError::kNone);
}

// Every argument list, quoted as qemu.py quotes it, splits back into itself.
TEST(Cmdline, ShlexQuoteRoundTrips) {
  const V fixed = {"alpha", "b c", "-x", "--foo", "",   "it's", "\"q\"",     "a\\b",      "$HOME",
                   "x,y",   "'",   "''", "\"",    "\\", " ",    "tab\there", "new\nline", "*?[]"};
  std::string line;
  for (const std::string& w : fixed) line += shlex_quote(w) + " ";
  EXPECT_EQ(words(line), fixed);

  std::mt19937 rng(12345);
  const std::string alphabet = "ab -'\"\\$`\t\n,=_";
  for (int round = 0; round < 2000; round++) {
    V args(rng() % 6);
    for (std::string& a : args) {
      a.resize(rng() % 8);
      for (char& c : a) c = alphabet[rng() % alphabet.size()];
    }
    std::string quoted;
    for (const std::string& a : args) quoted += shlex_quote(a) + " ";
    ASSERT_EQ(words(quoted), args) << quoted;
  }
}

}  // namespace
