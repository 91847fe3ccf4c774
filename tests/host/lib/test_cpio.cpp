// Tests for the newc cpio reader (kernel/lib/cpio.c). Archives are built here
// by a small newc writer rather than checked in as binaries. Every archive is
// handed to the reader in a heap buffer of exactly its size, so that any read
// past the end is caught by AddressSanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "lib/cpio.h"

namespace {

using Bytes = std::vector<unsigned char>;

constexpr chcore_u32 kModeFile = 0100644;
constexpr chcore_u32 kModeDir = 040755;
constexpr size_t kHeaderSize = 110;
// Byte offset of header field i (0 = c_ino ... 11 = c_namesize, 12 = c_check).
constexpr size_t field_off(int i) { return 6 + 8 * static_cast<size_t>(i); }
constexpr int kFieldMode = 1, kFieldFileSize = 6, kFieldNameSize = 11;

struct Entry {
  std::string name;
  std::string data;
  chcore_u32 mode;
};

// Where the writer put one entry, relative to the start of the archive.
struct Placement {
  size_t header, data, data_end;
};

// A newc writer. raw_name lets a test give a name without the NUL or with one
// in the middle: it is written as is and namesize is its length.
class NewcWriter {
 public:
  Placement add(const std::string& name, const std::string& data, chcore_u32 mode) {
    return add_raw(name + std::string(1, '\0'), data, mode);
  }

  Placement add_raw(const std::string& raw_name, const std::string& data, chcore_u32 mode) {
    Placement p{};
    p.header = buf_.size();
    char hdr[kHeaderSize + 1];
    std::snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                  next_ino_++, mode, 0u, 0u, 1u, 0u, static_cast<unsigned>(data.size()), 0u, 0u, 0u,
                  0u, static_cast<unsigned>(raw_name.size()), 0u);
    buf_.insert(buf_.end(), hdr, hdr + kHeaderSize);
    buf_.insert(buf_.end(), raw_name.begin(), raw_name.end());
    pad4();
    p.data = buf_.size();
    buf_.insert(buf_.end(), data.begin(), data.end());
    p.data_end = buf_.size();
    pad4();
    return p;
  }

  Placement trailer() { return add("TRAILER!!!", "", 0); }

  // Pads to a multiple of 512 bytes, as cpio(1) does.
  void pad_block() {
    while (buf_.size() % 512 != 0) buf_.push_back(0);
  }

  Bytes& bytes() { return buf_; }

 private:
  void pad4() {
    while (buf_.size() % 4 != 0) buf_.push_back(0);
  }

  Bytes buf_;
  unsigned next_ino_ = 1;
};

// A copy of the first n bytes in a heap allocation of exactly n bytes.
struct Exact {
  // new[0] is a valid, unreadable allocation: ASan flags any access to it.
  Exact(const Bytes& b, size_t n) : size(n), mem(new unsigned char[n]) {
    if (n > 0) std::memcpy(mem.get(), b.data(), n);
  }
  explicit Exact(const Bytes& b) : Exact(b, b.size()) {}
  const void* data() const { return mem.get(); }
  size_t size;
  std::unique_ptr<unsigned char[]> mem;
};

void set_field(Bytes& b, size_t header, int field, const char* eight) {
  std::memcpy(&b[header + field_off(field)], eight, 8);
}

std::string str(const chcore_cpio_entry& e) { return std::string(e.name, e.name_len); }
std::string data(const chcore_cpio_entry& e) {
  return std::string(static_cast<const char*>(e.data), e.size);
}

// Iterates to the end; returns the final status and the entries seen.
int iterate(const void* a, size_t n, std::vector<Entry>* seen) {
  chcore_u64 pos = 0;
  for (size_t guard = 0;; guard++) {
    // Each entry takes at least 112 bytes, so this bounds any loop.
    EXPECT_LE(guard, n / 112 + 1);
    if (guard > n / 112 + 1) return -1;
    chcore_cpio_entry e{};
    chcore_u64 before = pos;
    int r = chcore_cpio_next(a, n, &pos, &e);
    if (r != CPIO_OK) {
      EXPECT_EQ(pos, before) << "pos moved on " << chcore_cpio_strerror(r);
      return r;
    }
    EXPECT_GE(pos, before + 112);
    seen->push_back({str(e), data(e), e.mode});
  }
}

std::vector<Entry> sample_entries() {
  return {
      {"bin", "", kModeDir},    {"bin/hello", "hello, world\n", kModeFile | 0111},
      {"empty", "", kModeFile}, {"etc/motd", std::string(1000, 'm'), kModeFile},
      {"a", "xyz", kModeFile},
  };
}

Bytes sample_archive(std::vector<Placement>* where = nullptr) {
  NewcWriter w;
  for (const auto& e : sample_entries()) {
    Placement p = w.add(e.name, e.data, e.mode);
    if (where) where->push_back(p);
  }
  Placement t = w.trailer();
  if (where) where->push_back(t);
  return w.bytes();
}

TEST(Cpio, IteratesAllEntriesInOrder) {
  Exact a(sample_archive());
  std::vector<Entry> seen;
  EXPECT_EQ(iterate(a.data(), a.size, &seen), CPIO_ERR_NOT_FOUND);
  auto want = sample_entries();
  ASSERT_EQ(seen.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(seen[i].name, want[i].name);
    EXPECT_EQ(seen[i].data, want[i].data);
    EXPECT_EQ(seen[i].mode, want[i].mode);
  }
}

TEST(Cpio, EntryFieldsPointIntoArchive) {
  std::vector<Placement> where;
  Exact a(sample_archive(&where));
  const auto* base = static_cast<const unsigned char*>(a.data());
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  ASSERT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_OK);  // bin
  ASSERT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_OK);  // bin/hello
  EXPECT_EQ(reinterpret_cast<const unsigned char*>(e.name), base + where[1].header + kHeaderSize);
  EXPECT_EQ(e.name[e.name_len], '\0');
  EXPECT_EQ(e.name_len, 9u);
  EXPECT_EQ(static_cast<const unsigned char*>(e.data), base + where[1].data);
  EXPECT_EQ(e.size, 13u);
  EXPECT_EQ(pos, where[2].header);
}

TEST(Cpio, TrailerIsSticky) {
  Exact a(sample_archive());
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  while (chcore_cpio_next(a.data(), a.size, &pos, &e) == CPIO_OK) {
  }
  chcore_u64 at = pos;
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(pos, at);
}

TEST(Cpio, AllNameAndDataPaddings) {
  // Name lengths 1..8 and data sizes 0..7 cover every padding combination.
  NewcWriter w;
  std::vector<Entry> want;
  for (int nl = 1; nl <= 8; nl++) {
    for (int dl = 0; dl <= 7; dl++) {
      std::string name(static_cast<size_t>(nl), static_cast<char>('a' + nl));
      name.back() = static_cast<char>('0' + dl);
      std::string d(static_cast<size_t>(dl), static_cast<char>('A' + dl));
      w.add(name, d, kModeFile);
      want.push_back({name, d, kModeFile});
    }
  }
  w.trailer();
  w.pad_block();
  Exact a(w.bytes());
  std::vector<Entry> seen;
  EXPECT_EQ(iterate(a.data(), a.size, &seen), CPIO_ERR_NOT_FOUND);
  ASSERT_EQ(seen.size(), want.size());
  for (size_t i = 0; i < want.size(); i++) {
    EXPECT_EQ(seen[i].name, want[i].name);
    EXPECT_EQ(seen[i].data, want[i].data);
  }
}

TEST(Cpio, ArchiveAlignmentDoesNotMatter) {
  // Padding is relative to the archive start, and headers are read byte-wise.
  Bytes b = sample_archive();
  for (size_t shift = 1; shift < 8; shift++) {
    std::unique_ptr<unsigned char[]> mem(new unsigned char[b.size() + shift]);
    std::memcpy(mem.get() + shift, b.data(), b.size());
    std::vector<Entry> seen;
    EXPECT_EQ(iterate(mem.get() + shift, b.size(), &seen), CPIO_ERR_NOT_FOUND);
    EXPECT_EQ(seen.size(), sample_entries().size());
  }
}

TEST(Cpio, FindWithPathNormalisation) {
  NewcWriter w;
  w.add(".", "", kModeDir);
  w.add("bin/hello", "H", kModeFile);
  w.add("./etc/motd", "M", kModeFile);
  w.add("/abs/file", "A", kModeFile);
  w.add("dup", "first", kModeFile);
  w.add("dup", "second", kModeFile);
  w.trailer();
  Exact a(w.bytes());
  struct Case {
    const char* path;
    const char* data;  // nullptr: not found
  } cases[] = {
      {"bin/hello", "H"},
      {"/bin/hello", "H"},
      {"./bin/hello", "H"},
      {"//bin/hello", "H"},
      {"././bin/hello", "H"},
      {"etc/motd", "M"},
      {"/etc/motd", "M"},
      {"./etc/motd", "M"},
      {"abs/file", "A"},
      {"/abs/file", "A"},
      {"/", ""},
      {".", ""},
      {"./", ""},
      {"dup", "first"},
      {"bin", nullptr},
      {"bin/hell", nullptr},
      {"bin/hello2", nullptr},
      {"bin/hello/", nullptr},
      {"BIN/HELLO", nullptr},
      {"TRAILER!!!", nullptr},
      {"etc/./motd", nullptr},
  };
  for (const auto& c : cases) {
    chcore_cpio_entry e{};
    int r = chcore_cpio_find(a.data(), a.size, c.path, &e);
    if (c.data) {
      ASSERT_EQ(r, CPIO_OK) << c.path;
      EXPECT_EQ(data(e), c.data) << c.path;
    } else {
      EXPECT_EQ(r, CPIO_ERR_NOT_FOUND) << c.path;
    }
  }
}

TEST(Cpio, FindLeavesEntryUntouchedOnFailure) {
  Exact a(sample_archive());
  chcore_cpio_entry e{};
  e.size = 12345;
  EXPECT_EQ(chcore_cpio_find(a.data(), a.size, "nope", &e), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(e.size, 12345u);
  EXPECT_EQ(chcore_cpio_find(a.data(), a.size, nullptr, &e), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(chcore_cpio_find(a.data(), a.size, "a", nullptr), CPIO_ERR_FORMAT);
}

TEST(Cpio, EmptyAndTrailerOnly) {
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  EXPECT_EQ(chcore_cpio_next(nullptr, 0, &pos, &e), CPIO_ERR_TRUNCATED);
  EXPECT_EQ(chcore_cpio_find(nullptr, 0, "x", &e), CPIO_ERR_TRUNCATED);
  EXPECT_EQ(chcore_cpio_next(nullptr, 100, &pos, &e), CPIO_ERR_FORMAT);

  NewcWriter w;
  w.trailer();
  Exact a(w.bytes());
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(pos, 0u);
  EXPECT_EQ(chcore_cpio_find(a.data(), a.size, "x", &e), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, nullptr, &e), CPIO_ERR_FORMAT);
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, nullptr), CPIO_ERR_FORMAT);
}

TEST(Cpio, TrailerWithoutNamePaddingAtEnd) {
  // The trailer's own padding may be missing at the very end.
  NewcWriter w;
  w.add("f", "data", kModeFile);
  Placement t = w.trailer();
  Bytes b = w.bytes();
  b.resize(t.header + kHeaderSize + 11);
  Exact a(b);
  std::vector<Entry> seen;
  EXPECT_EQ(iterate(a.data(), a.size, &seen), CPIO_ERR_NOT_FOUND);
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Cpio, MissingTrailerIsTruncated) {
  NewcWriter w;
  w.add("f", "data", kModeFile);
  w.add("g", "", kModeFile);
  Exact a(w.bytes());
  std::vector<Entry> seen;
  EXPECT_EQ(iterate(a.data(), a.size, &seen), CPIO_ERR_TRUNCATED);
  EXPECT_EQ(seen.size(), 2u);
  chcore_cpio_entry e{};
  EXPECT_EQ(chcore_cpio_find(a.data(), a.size, "g", &e), CPIO_OK);
  EXPECT_EQ(chcore_cpio_find(a.data(), a.size, "h", &e), CPIO_ERR_TRUNCATED);
}

TEST(Cpio, GarbageAfterEntriesIsBadMagic) {
  NewcWriter w;
  w.add("f", "data", kModeFile);
  w.pad_block();  // zeros where the next header should be
  Exact a(w.bytes());
  std::vector<Entry> seen;
  EXPECT_EQ(iterate(a.data(), a.size, &seen), CPIO_ERR_MAGIC);
  EXPECT_EQ(seen.size(), 1u);
}

TEST(Cpio, BadMagic) {
  const char* magics[] = {"070702", "070707", "070700", "170701", "07070 ", "\0\0\0\0\0\0"};
  for (const char* m : magics) {
    Bytes b = sample_archive();
    std::memcpy(b.data(), m, 6);
    Exact a(b);
    chcore_u64 pos = 0;
    chcore_cpio_entry e{};
    EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_MAGIC) << m;
  }
}

TEST(Cpio, HexDigitsEitherCaseAccepted) {
  NewcWriter w;
  w.add("f", std::string(0xab, 'x'), kModeFile);
  w.trailer();
  Bytes b = w.bytes();
  set_field(b, 0, kFieldFileSize, "000000aB");
  set_field(b, 0, kFieldMode, "000081a4");
  Exact a(b);
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  ASSERT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_OK);
  EXPECT_EQ(e.size, 0xabu);
  EXPECT_EQ(e.mode, 0100644u);
}

TEST(Cpio, NonHexDigitInAnyField) {
  const char bad[] = {'g',  'G', ' ', '-', '+', 'x',
                      '\0', ':', '/', '@', '`', static_cast<char>(0xff)};
  for (int field = 0; field < 13; field++) {
    for (int digit = 0; digit < 8; digit++) {
      for (char c : bad) {
        Bytes b = sample_archive();
        b[field_off(field) + static_cast<size_t>(digit)] = static_cast<unsigned char>(c);
        Exact a(b);
        chcore_u64 pos = 0;
        chcore_cpio_entry e{};
        ASSERT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_FORMAT)
            << "field " << field << " digit " << digit << " char " << int(c);
      }
    }
  }
}

TEST(Cpio, NameSizeZero) {
  Bytes b = sample_archive();
  set_field(b, 0, kFieldNameSize, "00000000");
  Exact a(b);
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_FORMAT);
}

TEST(Cpio, HugeNameSize) {
  for (const char* v : {"FFFFFFFF", "80000000", "00010000"}) {
    Bytes b = sample_archive();
    set_field(b, 0, kFieldNameSize, v);
    Exact a(b);
    chcore_u64 pos = 0;
    chcore_cpio_entry e{};
    EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_TRUNCATED) << v;
  }
}

TEST(Cpio, HugeFileSize) {
  for (const char* v : {"FFFFFFFF", "FFFFFFFC", "80000000", "00010000"}) {
    Bytes b = sample_archive();
    set_field(b, 0, kFieldFileSize, v);
    Exact a(b);
    chcore_u64 pos = 0;
    chcore_cpio_entry e{};
    EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_TRUNCATED) << v;
  }
}

TEST(Cpio, FileSizeOneTooLarge) {
  // The last data byte would be the first byte past the buffer.
  NewcWriter w;
  w.add("f", "abcd", kModeFile);
  Exact a(w.bytes());  // no trailer: the data ends exactly at the end
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  ASSERT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_OK);
  Bytes b = w.bytes();
  set_field(b, 0, kFieldFileSize, "00000005");
  Exact a2(b);
  pos = 0;
  EXPECT_EQ(chcore_cpio_next(a2.data(), a2.size, &pos, &e), CPIO_ERR_TRUNCATED);
}

TEST(Cpio, NameWithoutNul) {
  NewcWriter w;
  w.add_raw("abc", "data", kModeFile);  // namesize 3, name[2] == 'c'
  w.trailer();
  Exact a(w.bytes());
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_FORMAT);
}

TEST(Cpio, NameWithEmbeddedNul) {
  NewcWriter w;
  w.add_raw(std::string("ab\0cd\0", 6), "data", kModeFile);
  w.trailer();
  Exact a(w.bytes());
  chcore_u64 pos = 0;
  chcore_cpio_entry e{};
  EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &pos, &e), CPIO_ERR_FORMAT);
}

TEST(Cpio, PositionPastEnd) {
  Exact a(sample_archive());
  chcore_cpio_entry e{};
  const chcore_u64 n = a.size, max = ~static_cast<chcore_u64>(0);
  for (chcore_u64 pos : {n, n + 1, n - 1, n - 109, max, max - 109}) {
    chcore_u64 p = pos;
    EXPECT_EQ(chcore_cpio_next(a.data(), a.size, &p, &e), CPIO_ERR_TRUNCATED) << pos;
    EXPECT_EQ(p, pos);
  }
}

// Every prefix of a valid archive: a consistent prefix of the entries, then
// CPIO_ERR_TRUNCATED, unless the whole trailer name fits.
TEST(Cpio, EveryTruncationLength) {
  std::vector<Placement> where;
  Bytes full = sample_archive(&where);
  auto want = sample_entries();
  const size_t trailer_end = where.back().header + kHeaderSize + 11;
  for (size_t n = 0; n < full.size(); n++) {
    Exact a(full, n);
    std::vector<Entry> seen;
    int r = iterate(a.data(), n, &seen);
    size_t complete = 0;
    while (complete < want.size() && where[complete].data_end <= n) complete++;
    if (n >= trailer_end) {
      EXPECT_EQ(r, CPIO_ERR_NOT_FOUND) << n;
    } else {
      EXPECT_EQ(r, CPIO_ERR_TRUNCATED) << n;
    }
    ASSERT_EQ(seen.size(), complete) << n;
    for (size_t i = 0; i < seen.size(); i++) {
      EXPECT_EQ(seen[i].name, want[i].name);
      EXPECT_EQ(seen[i].data, want[i].data);
    }
    chcore_cpio_entry e{};
    int f = chcore_cpio_find(a.data(), n, "/a", &e);
    if (where[4].data_end <= n) {
      EXPECT_EQ(f, CPIO_OK) << n;
      EXPECT_EQ(data(e), "xyz");
    } else {
      EXPECT_EQ(f, CPIO_ERR_TRUNCATED) << n;
    }
  }
}

// Random corruption of a valid archive must never crash, hang or hand out an
// entry outside the buffer.
TEST(Cpio, ByteFlipFuzz) {
  Bytes full = sample_archive();
  std::mt19937 rng(0xc410c0de);
  const char interesting[] = "0123456789abcdefABCDEFgG\0 F7";
  for (int iter = 0; iter < 5000; iter++) {
    Bytes b = full;
    int flips = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < flips; k++) {
      // Mostly hit the headers of the first entries, where the fields are.
      size_t at = (rng() % 3 != 0) ? rng() % std::min<size_t>(b.size(), 400) : rng() % b.size();
      if (rng() % 2) {
        b[at] = static_cast<unsigned char>(interesting[rng() % (sizeof(interesting) - 1)]);
      } else {
        b[at] ^= static_cast<unsigned char>(1u << (rng() % 8));
      }
    }
    if (rng() % 4 == 0) b.resize(rng() % (b.size() + 1));
    Exact a(b);
    const auto* lo = static_cast<const unsigned char*>(a.data());
    const auto* hi = lo + a.size;
    chcore_u64 pos = 0;
    chcore_cpio_entry e{};
    int r;
    size_t guard = 0;
    while ((r = chcore_cpio_next(a.data(), a.size, &pos, &e)) == CPIO_OK) {
      ASSERT_LE(++guard, a.size / 112 + 1);
      const auto* name = reinterpret_cast<const unsigned char*>(e.name);
      const auto* d = static_cast<const unsigned char*>(e.data);
      ASSERT_TRUE(name >= lo && name + e.name_len < hi);
      ASSERT_EQ(name[e.name_len], 0);
      ASSERT_EQ(std::strlen(e.name), e.name_len);
      ASSERT_TRUE(d >= lo && e.size <= static_cast<size_t>(hi - d));
      volatile unsigned sum = 0;  // touch every byte so ASan would object
      for (chcore_u64 i = 0; i < e.size; i++) sum = sum + d[i];
    }
    ASSERT_TRUE(r == CPIO_ERR_NOT_FOUND || r == CPIO_ERR_TRUNCATED || r == CPIO_ERR_MAGIC ||
                r == CPIO_ERR_FORMAT)
        << r;
    chcore_cpio_find(a.data(), a.size, "etc/motd", &e);
  }
}

TEST(Cpio, Strerror) {
  for (int i = -1; i <= CPIO_ERR_NOT_FOUND + 1; i++) {
    ASSERT_NE(chcore_cpio_strerror(i), nullptr);
    EXPECT_GT(std::strlen(chcore_cpio_strerror(i)), 0u);
  }
  EXPECT_STREQ(chcore_cpio_strerror(CPIO_OK), "ok");
  EXPECT_STREQ(chcore_cpio_strerror(999), "unknown cpio error");
}

}  // namespace
