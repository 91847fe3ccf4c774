// Helpers shared by the tmpfs host tests: a fake clock, an owning handle
// for descriptions, and a parser of struct linux_dirent64 records.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
#include "proto.h"
#include "tmpfs.h"
}

namespace tmpfs_test {

// The protocol's flag values (aarch64 numbering), short.
constexpr int RD = CHCORE_FS_O_RDONLY;
constexpr int WR = CHCORE_FS_O_WRONLY;
constexpr int RW = CHCORE_FS_O_RDWR;
constexpr int CREAT = CHCORE_FS_O_CREAT;
constexpr int EXCL = CHCORE_FS_O_EXCL;
constexpr int TRUNC = CHCORE_FS_O_TRUNC;
constexpr int APPEND = CHCORE_FS_O_APPEND;
constexpr int DIRECTORY = CHCORE_FS_O_DIRECTORY;
constexpr int NOFOLLOW = CHCORE_FS_O_NOFOLLOW;
constexpr int OPATH = CHCORE_FS_O_PATH;
constexpr int AT_NOFOLLOW = CHCORE_FS_AT_SYMLINK_NOFOLLOW;

struct FakeClock {
  int64_t t = 1000;
};

inline int64_t fake_clock(void* arg) { return static_cast<FakeClock*>(arg)->t; }

// One reference to a description, put when it goes out of scope.
class File {
 public:
  File() = default;
  File(tmpfs* fs, tmpfs_file* f) : fs_(fs), f_(f) {}
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  File(File&& o) noexcept : fs_(o.fs_), f_(o.f_) { o.f_ = nullptr; }
  File& operator=(File&& o) noexcept {
    reset();
    fs_ = o.fs_;
    f_ = o.f_;
    o.f_ = nullptr;
    return *this;
  }
  ~File() { reset(); }
  void reset() {
    if (f_ != nullptr) tmpfs_file_put(fs_, f_);
    f_ = nullptr;
  }
  tmpfs_file* get() const { return f_; }
  explicit operator bool() const { return f_ != nullptr; }

 private:
  tmpfs* fs_ = nullptr;
  tmpfs_file* f_ = nullptr;
};

struct Dirent {
  uint64_t ino;
  int64_t off;
  uint16_t reclen;
  unsigned char type;
  std::string name;
};

// Parses getdents output; checks each record's layout on the way.
inline std::vector<Dirent> parse_dirents(const void* buf, long len) {
  std::vector<Dirent> out;
  const auto* p = static_cast<const unsigned char*>(buf);
  long at = 0;
  while (at < len) {
    Dirent d;
    std::memcpy(&d.ino, p + at, 8);
    std::memcpy(&d.off, p + at + 8, 8);
    std::memcpy(&d.reclen, p + at + 16, 2);
    d.type = p[at + 18];
    d.name = reinterpret_cast<const char*>(p + at + 19);
    EXPECT_EQ(d.reclen % 8, 0) << d.name;
    EXPECT_GE(d.reclen, 19 + d.name.size() + 1) << d.name;
    EXPECT_LE(at + d.reclen, len);
    if (d.reclen == 0) break;
    at += d.reclen;
    out.push_back(d);
  }
  return out;
}

}  // namespace tmpfs_test
