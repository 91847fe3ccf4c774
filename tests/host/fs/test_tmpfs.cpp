// user/system-services/tmpfs/tmpfs.c: the in-memory file system, called
// directly. Each test gets a fresh file system with a fake clock and
// checks, when it ends, that every description was put and that the file
// system's memory counter is back where it started once everything the
// test made is removed (the fixture destroys the file system, and LSan
// reports anything destroy did not free).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tmpfs_test_util.h"

using namespace tmpfs_test;

namespace {

class Tmpfs : public ::testing::Test {
 protected:
  void SetUp() override { make(); }
  void TearDown() override {
    if (fs_ != nullptr) tmpfs_destroy(fs_);
  }

  void make(bool global_root = false, uint64_t max_bytes = 0) {
    if (fs_ != nullptr) tmpfs_destroy(fs_);
    tmpfs_config cfg{};
    cfg.is_global_root = global_root;
    cfg.clock = fake_clock;
    cfg.clock_arg = &clock_;
    cfg.max_bytes = max_bytes;
    cfg.dev = 42;
    fs_ = tmpfs_create(&cfg);
    ASSERT_NE(fs_, nullptr);
    base_ = tmpfs_mem_used(fs_);
  }

  tmpfs_redirect* R(uint32_t nlinks = 0) {
    r_.nlinks = nlinks;
    r_.kind = 0;
    r_.path[0] = '\0';
    return &r_;
  }

  long open(const char* path, int flags, File* out, uint32_t mode = 0644) {
    tmpfs_file* f = nullptr;
    long rc = tmpfs_open(fs_, path, flags, mode, R(), &f);
    if (rc == 0) *out = File(fs_, f);
    return rc;
  }
  File must_open(const char* path, int flags, uint32_t mode = 0644) {
    File f;
    long rc = open(path, flags, &f, mode);
    EXPECT_EQ(rc, 0) << path;
    return f;
  }
  // The error of opening path (0 on success, the description put at once).
  long open_err(const char* path, int flags) {
    File f;
    return open(path, flags, &f);
  }

  long write(const File& f, const std::string& s, int64_t off = -1) {
    return tmpfs_write(fs_, f.get(), s.data(), s.size(), off);
  }
  std::string read(const File& f, size_t len, int64_t off = -1) {
    std::string s(len, '\xee');
    long n = tmpfs_read(fs_, f.get(), s.data(), len, off);
    EXPECT_GE(n, 0);
    s.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return s;
  }

  void mkfile(const char* path, const std::string& data = "", uint32_t mode = 0644) {
    File f = must_open(path, CREAT | WR | TRUNC, mode);
    if (!data.empty()) ASSERT_EQ(write(f, data), static_cast<long>(data.size()));
  }
  std::string contents(const char* path) {
    File f = must_open(path, RD);
    fs_stat st;
    tmpfs_fstat(fs_, f.get(), &st);
    return read(f, st.size);
  }
  long mkdir(const char* path, uint32_t mode = 0755) { return tmpfs_mkdir(fs_, path, mode, R()); }
  long unlink(const char* path) { return tmpfs_unlink(fs_, path, 0, R()); }
  long rmdir(const char* path) { return tmpfs_unlink(fs_, path, CHCORE_FS_AT_REMOVEDIR, R()); }
  long rename(const char* a, const char* b, int flags = 0) {
    return tmpfs_rename(fs_, a, b, flags, R());
  }
  long link(const char* a, const char* b, int flags = 0) {
    return tmpfs_link(fs_, a, b, flags, R());
  }
  long symlink(const char* target, const char* path) {
    return tmpfs_symlink(fs_, target, path, R());
  }
  long stat(const char* path, fs_stat* st, int flags = 0) {
    return tmpfs_stat(fs_, path, flags, R(), st);
  }
  fs_stat must_stat(const char* path, int flags = 0) {
    fs_stat st{};
    EXPECT_EQ(stat(path, &st, flags), 0) << path;
    return st;
  }
  long stat_err(const char* path, int flags = 0) {
    fs_stat st;
    return stat(path, &st, flags);
  }
  bool exists(const char* path) { return stat_err(path, AT_NOFOLLOW) == 0; }
  std::string readlink(const char* path) {
    char buf[CHCORE_FS_PATH_MAX];
    long n = tmpfs_readlink(fs_, path, buf, sizeof(buf), R());
    EXPECT_GE(n, 0) << path;
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
  }
  std::vector<Dirent> list(const File& dir, size_t chunk = 4096) {
    std::vector<Dirent> all;
    std::vector<char> buf(chunk);
    for (;;) {
      long n = tmpfs_getdents(fs_, dir.get(), buf.data(), buf.size());
      EXPECT_GE(n, 0);
      if (n <= 0) break;
      auto part = parse_dirents(buf.data(), n);
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }
  std::set<std::string> names(const char* path) {
    File d = must_open(path, RD | DIRECTORY);
    std::set<std::string> s;
    for (const auto& e : list(d))
      if (e.name != "." && e.name != "..") s.insert(e.name);
    return s;
  }
  std::string dir_path(const File& f) {
    char buf[CHCORE_FS_PATH_MAX];
    long n = tmpfs_dir_path(fs_, f.get(), buf, sizeof(buf));
    EXPECT_GE(n, 0);
    return n < 0 ? "" : std::string(buf);
  }
  // Expects the redirect in r_.
  void expect_redirect(long rc, int kind, const char* path, uint64_t mount = 0,
                       unsigned which = 0) {
    ASSERT_EQ(rc, CHCORE_FS_REDIRECT);
    EXPECT_EQ(r_.kind, kind);
    EXPECT_STREQ(r_.path, path);
    EXPECT_EQ(r_.which, which);
    if (kind == FS_REDIR_MOUNT) EXPECT_EQ(r_.mount_id, mount);
  }

  FakeClock clock_;
  tmpfs* fs_ = nullptr;
  uint64_t base_ = 0;
  tmpfs_redirect r_{};
};

// --- Basics -----------------------------------------------------------------------

TEST_F(Tmpfs, RootIsAnEmptyDirectoryUnderEverySpelling) {
  fs_stat a = must_stat(""), b = must_stat("/"), c = must_stat("."), d = must_stat("//./");
  EXPECT_TRUE(S_ISDIR(a.mode));
  EXPECT_EQ(a.mode & 07777, 0755u);
  EXPECT_EQ(a.nlink, 2u);
  EXPECT_EQ(a.dev, 42u);
  EXPECT_EQ(a.blksize, 4096u);
  EXPECT_EQ(a.ino, b.ino);
  EXPECT_EQ(a.ino, c.ino);
  EXPECT_EQ(a.ino, d.ino);
  EXPECT_TRUE(names("/").empty());
  EXPECT_EQ(tmpfs_node_count(fs_), 1u);
}

TEST_F(Tmpfs, CreateWriteReadBack) {
  File f = must_open("hello.txt", CREAT | RW, 0640);
  EXPECT_EQ(write(f, "hello, world"), 12);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(read(f, 100), "hello, world");
  EXPECT_EQ(read(f, 100), "");  // at the end
  EXPECT_EQ(read(f, 5, 7), "world");
  fs_stat st = must_stat("/hello.txt");
  EXPECT_TRUE(S_ISREG(st.mode));
  EXPECT_EQ(st.mode & 07777, 0640u);
  EXPECT_EQ(st.size, 12u);
  EXPECT_EQ(st.nlink, 1u);
  EXPECT_EQ(st.blocks, 8u);  // one page
  EXPECT_EQ(names("/"), std::set<std::string>{"hello.txt"});
}

TEST_F(Tmpfs, PathSpellingsNameTheSameFile) {
  ASSERT_EQ(mkdir("a"), 0);
  ASSERT_EQ(mkdir("a/b"), 0);
  mkfile("a/b/f", "x");
  uint64_t ino = must_stat("a/b/f").ino;
  for (const char* p : {"/a/b/f", "a//b///f", "./a/./b/f", "a/b/../b/f", "//a/b/f", "a/../a/b/f"})
    EXPECT_EQ(must_stat(p).ino, ino) << p;
  EXPECT_EQ(must_stat("a/b/").ino, must_stat("a/b").ino);
  EXPECT_EQ(stat_err("a/b/f/"), -ENOTDIR);
  EXPECT_EQ(stat_err("a/b/f/."), -ENOTDIR);
}

TEST_F(Tmpfs, InodeNumbersAreNeverReused) {
  std::set<uint64_t> seen{must_stat("/").ino};
  for (int i = 0; i < 100; i++) {
    mkfile("f");
    uint64_t ino = must_stat("f").ino;
    EXPECT_TRUE(seen.insert(ino).second) << ino;
    ASSERT_EQ(unlink("f"), 0);
  }
}

// --- open's errors ----------------------------------------------------------------------

TEST_F(Tmpfs, OpenErrors) {
  ASSERT_EQ(mkdir("d"), 0);
  mkfile("f", "data");
  EXPECT_EQ(open_err("missing", RD), -ENOENT);
  EXPECT_EQ(open_err("missing/x", CREAT | WR), -ENOENT);
  EXPECT_EQ(open_err("f/x", RD), -ENOTDIR);
  EXPECT_EQ(open_err("f/x", CREAT | WR), -ENOTDIR);
  EXPECT_EQ(open_err("f", CREAT | EXCL | WR), -EEXIST);
  EXPECT_EQ(open_err("d", CREAT | EXCL | WR), -EEXIST);
  EXPECT_EQ(open_err("f", RD | DIRECTORY), -ENOTDIR);
  EXPECT_EQ(open_err("f/", RD), -ENOTDIR);
  EXPECT_EQ(open_err("d", WR), -EISDIR);
  EXPECT_EQ(open_err("d", RW), -EISDIR);
  EXPECT_EQ(open_err("d", RD | TRUNC), -EISDIR);
  EXPECT_EQ(open_err("d", CREAT | WR), -EISDIR);
  EXPECT_EQ(open_err("new/", CREAT | WR), -EISDIR);
  EXPECT_EQ(open_err(".", CREAT | WR), -EISDIR);
  EXPECT_EQ(open_err("f", CHCORE_FS_O_ACCMODE), -EINVAL);
  EXPECT_EQ(open_err("g", CREAT | DIRECTORY | RD), -EINVAL);
  EXPECT_FALSE(exists("g"));
  EXPECT_EQ(open_err("d", RD), 0);
  EXPECT_EQ(open_err("d/", RD | DIRECTORY), 0);
  EXPECT_EQ(open_err("f", RD | NOFOLLOW), 0);  // not a symlink: fine
  tmpfs_file* f = reinterpret_cast<tmpfs_file*>(1);
  EXPECT_EQ(tmpfs_open(fs_, nullptr, RD, 0, R(), &f), -EFAULT);
  EXPECT_EQ(f, nullptr);
}

TEST_F(Tmpfs, NameAndPathLengthLimits) {
  std::string name255(255, 'n'), name256(256, 'n');
  mkfile(name255.c_str(), "ok");
  EXPECT_EQ(contents(name255.c_str()), "ok");
  EXPECT_EQ(open_err(name256.c_str(), CREAT | WR), -ENAMETOOLONG);
  EXPECT_EQ(stat_err((name256 + "/x").c_str()), -ENAMETOOLONG);
  EXPECT_EQ(mkdir(name256.c_str()), -ENAMETOOLONG);
  // A path of 4095 bytes is walked (and not found); 4096 is too long.
  std::string p4095(4095, '/'), p4096(4096, '/');
  p4095.back() = 'x';
  p4096.back() = 'x';
  EXPECT_EQ(stat_err(p4095.c_str()), -ENOENT);
  EXPECT_EQ(stat_err(p4096.c_str()), -ENAMETOOLONG);
}

TEST_F(Tmpfs, AccessModesOfDescriptions) {
  mkfile("f", "abc");
  ASSERT_EQ(mkdir("d"), 0);
  File r = must_open("f", RD), w = must_open("f", WR), d = must_open("d", RD);
  File p = must_open("f", OPATH | RW);  // O_PATH ignores the access mode
  char buf[8];
  EXPECT_EQ(tmpfs_read(fs_, w.get(), buf, 3, -1), -EBADF);
  EXPECT_EQ(tmpfs_write(fs_, r.get(), "x", 1, -1), -EBADF);
  EXPECT_EQ(tmpfs_read(fs_, d.get(), buf, 3, -1), -EISDIR);
  EXPECT_EQ(tmpfs_write(fs_, d.get(), "x", 1, -1), -EBADF);
  EXPECT_EQ(tmpfs_read(fs_, p.get(), buf, 3, -1), -EBADF);
  EXPECT_EQ(tmpfs_write(fs_, p.get(), "x", 1, -1), -EBADF);
  EXPECT_EQ(tmpfs_lseek(fs_, p.get(), 0, SEEK_SET), -EBADF);
  EXPECT_EQ(tmpfs_ftruncate(fs_, p.get(), 0), -EBADF);
  EXPECT_EQ(tmpfs_fchmod(fs_, p.get(), 0600), -EBADF);
  EXPECT_EQ(tmpfs_getdents(fs_, p.get(), buf, sizeof(buf)), -EBADF);
  EXPECT_EQ(tmpfs_fsync(fs_, p.get()), -EBADF);
  EXPECT_EQ(tmpfs_file_flags(p.get()), OPATH);
  fs_stat st;
  EXPECT_EQ(tmpfs_fstat(fs_, p.get(), &st), 0);  // fstat works on O_PATH
  EXPECT_EQ(st.size, 3u);
  EXPECT_EQ(tmpfs_getdents(fs_, r.get(), buf, sizeof(buf)), -ENOTDIR);
  EXPECT_EQ(tmpfs_read(fs_, r.get(), buf, 3, -2), -EINVAL);
  EXPECT_EQ(tmpfs_write(fs_, w.get(), "x", 1, -5), -EINVAL);
  EXPECT_EQ(tmpfs_fsync(fs_, w.get()), 0);
}

TEST_F(Tmpfs, OTruncEmptiesTheFile) {
  mkfile("f", std::string(10000, 'a'));
  clock_.t = 5000;
  File f = must_open("f", WR | TRUNC);
  fs_stat st = must_stat("f");
  EXPECT_EQ(st.size, 0u);
  EXPECT_EQ(st.blocks, 0u);
  EXPECT_EQ(st.mtime_ns, 5000);
  EXPECT_EQ(tmpfs_mem_used(fs_) - base_ < 4096, true);
}

TEST_F(Tmpfs, AppendWritesGoToTheEnd) {
  mkfile("log", "start\n");
  File a = must_open("log", WR | APPEND), b = must_open("log", WR | APPEND);
  EXPECT_EQ(write(a, "one\n"), 4);
  EXPECT_EQ(write(b, "two\n"), 4);
  EXPECT_EQ(write(a, "three\n"), 6);
  EXPECT_EQ(contents("log"), "start\none\ntwo\nthree\n");
  EXPECT_EQ(tmpfs_lseek(fs_, a.get(), 0, SEEK_CUR), 20);  // the offset follows the end
  // An explicit offset is a pwrite: it writes there (POSIX; Linux appends).
  EXPECT_EQ(write(a, "S", 0), 1);
  EXPECT_EQ(contents("log"), "Start\none\ntwo\nthree\n");
  // setfl turns O_APPEND on and off; the access mode stays.
  File c = must_open("log", RW);
  EXPECT_EQ(tmpfs_setfl(fs_, c.get(), APPEND | CHCORE_FS_O_RDONLY), 0);
  EXPECT_EQ(tmpfs_file_flags(c.get()), RW | APPEND);
  EXPECT_EQ(write(c, "end\n"), 4);
  EXPECT_EQ(contents("log"), "Start\none\ntwo\nthree\nend\n");
  EXPECT_EQ(tmpfs_setfl(fs_, c.get(), 0), 0);
  EXPECT_EQ(tmpfs_file_flags(c.get()), RW);
}

// --- Offsets and holes -----------------------------------------------------------------------

TEST_F(Tmpfs, Lseek) {
  mkfile("f", std::string(10000, 'x'));
  File f = must_open("f", RW);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 100, SEEK_SET), 100);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 50, SEEK_CUR), 150);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), -50, SEEK_CUR), 100);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), -1, SEEK_END), 9999);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 5, SEEK_END), 10005);  // beyond the end is fine
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), -10006, SEEK_END), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), -1, SEEK_SET), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, 7), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), INT64_MAX, SEEK_CUR), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_CUR), 10005);  // failures left it alone
  // Writing beyond the end leaves a hole of zeros.
  EXPECT_EQ(write(f, "y"), 1);
  EXPECT_EQ(contents("f"), std::string(10000, 'x') + std::string(5, '\0') + "y");
}

TEST_F(Tmpfs, SparseFileCostsOnlyItsPages) {
  File f = must_open("sparse", CREAT | RW);
  const int64_t MiB = 1 << 20;
  EXPECT_EQ(write(f, "end", MiB), 3);
  fs_stat st = must_stat("sparse");
  EXPECT_EQ(st.size, static_cast<uint64_t>(MiB + 3));
  EXPECT_EQ(st.blocks, 8u);                            // one page of 512-byte blocks
  EXPECT_LT(tmpfs_mem_used(fs_) - base_, 16u * 1024);  // the page and a small table
  std::string head = read(f, 8192, 0);
  EXPECT_EQ(head, std::string(8192, '\0'));
  EXPECT_EQ(read(f, 10, MiB - 2), std::string(2, '\0') + "end");
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_DATA), MiB);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_HOLE), 0);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), MiB + 1, SEEK_DATA), MiB + 1);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), MiB + 1, SEEK_HOLE), MiB + 3);  // the end is a hole
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), MiB + 3, SEEK_DATA), -ENXIO);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), MiB + 3, SEEK_HOLE), -ENXIO);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), -1, SEEK_DATA), -ENXIO);
  // Data at the start too: the first hole is after its page.
  EXPECT_EQ(write(f, "a", 0), 1);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_DATA), 0);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_HOLE), 4096);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 4096, SEEK_DATA), MiB);
}

TEST_F(Tmpfs, SixtyFourMiBWrittenAndReadBackInPages) {
  constexpr size_t kChunk = 4096, kChunks = 64 * 1024 * 1024 / kChunk;
  File f = must_open("big", CREAT | RW);
  std::vector<uint32_t> chunk(kChunk / 4), expect(kChunk / 4);
  auto fill = [&](std::vector<uint32_t>& v, size_t i) {
    for (size_t j = 0; j < v.size(); j++) v[j] = static_cast<uint32_t>(i * 1024 + j);
  };
  for (size_t i = 0; i < kChunks; i++) {
    fill(chunk, i);
    ASSERT_EQ(tmpfs_write(fs_, f.get(), chunk.data(), kChunk, -1), static_cast<long>(kChunk));
  }
  fs_stat st = must_stat("big");
  EXPECT_EQ(st.size, kChunks * kChunk);
  EXPECT_EQ(st.blocks, kChunks * kChunk / 512);
  ASSERT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_SET), 0);
  for (size_t i = 0; i < kChunks; i++) {
    ASSERT_EQ(tmpfs_read(fs_, f.get(), chunk.data(), kChunk, -1), static_cast<long>(kChunk));
    fill(expect, i);
    ASSERT_EQ(chunk, expect) << "chunk " << i;
  }
  char c;
  EXPECT_EQ(tmpfs_read(fs_, f.get(), &c, 1, -1), 0);
  f.reset();
  ASSERT_EQ(unlink("big"), 0);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

TEST_F(Tmpfs, TruncateUpAndDown) {
  mkfile("f", std::string(10000, 'a'));
  ASSERT_EQ(tmpfs_truncate(fs_, "f", 5000, R()), 0);
  EXPECT_EQ(must_stat("f").size, 5000u);
  EXPECT_EQ(must_stat("f").blocks, 16u);  // pages 0 and 1; page 2 went
  ASSERT_EQ(tmpfs_truncate(fs_, "f", 12000, R()), 0);
  // What was cut off does not come back: the tail reads as zeros.
  EXPECT_EQ(contents("f"), std::string(5000, 'a') + std::string(7000, '\0'));
  EXPECT_EQ(must_stat("f").blocks, 16u);  // growing allocates nothing
  ASSERT_EQ(tmpfs_truncate(fs_, "f", 0, R()), 0);
  EXPECT_EQ(must_stat("f").blocks, 0u);
  EXPECT_EQ(contents("f"), "");
  // Within one page.
  File f = must_open("f", RW);
  EXPECT_EQ(write(f, std::string(4096, 'b')), 4096);
  EXPECT_EQ(tmpfs_ftruncate(fs_, f.get(), 100), 0);
  EXPECT_EQ(tmpfs_ftruncate(fs_, f.get(), 4096), 0);
  EXPECT_EQ(read(f, 4096, 0), std::string(100, 'b') + std::string(3996, '\0'));
  // Errors.
  EXPECT_EQ(tmpfs_ftruncate(fs_, f.get(), -1), -EINVAL);
  EXPECT_EQ(tmpfs_ftruncate(fs_, f.get(), TMPFS_MAX_FILE_SIZE + 1), -EFBIG);
  ASSERT_EQ(mkdir("d"), 0);
  EXPECT_EQ(tmpfs_truncate(fs_, "d", 0, R()), -EISDIR);
  EXPECT_EQ(tmpfs_truncate(fs_, "missing", 0, R()), -ENOENT);
  File ro = must_open("f", RD);
  EXPECT_EQ(tmpfs_ftruncate(fs_, ro.get(), 0), -EINVAL);
  File d = must_open("d", RD);
  EXPECT_EQ(tmpfs_ftruncate(fs_, d.get(), 0), -EINVAL);
  // A huge sparse size costs nothing.
  EXPECT_EQ(tmpfs_ftruncate(fs_, f.get(), TMPFS_MAX_FILE_SIZE), 0);
  EXPECT_EQ(must_stat("f").size, static_cast<uint64_t>(TMPFS_MAX_FILE_SIZE));
  EXPECT_EQ(write(f, "x", TMPFS_MAX_FILE_SIZE), -EFBIG);
  EXPECT_EQ(write(f, "x", TMPFS_MAX_FILE_SIZE + 5), -EFBIG);
}

TEST_F(Tmpfs, Fallocate) {
  File f = must_open("f", CREAT | RW);
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), 0, 1000, 9000), 0);
  fs_stat st = must_stat("f");
  EXPECT_EQ(st.size, 10000u);
  EXPECT_EQ(st.blocks, 24u);  // pages 0-2
  EXPECT_EQ(read(f, 10000, 0), std::string(10000, '\0'));
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), TMPFS_FALLOC_KEEP_SIZE, 20000, 100), 0);
  st = must_stat("f");
  EXPECT_EQ(st.size, 10000u);  // kept
  EXPECT_EQ(st.blocks, 32u);
  EXPECT_EQ(tmpfs_lseek(fs_, f.get(), 0, SEEK_HOLE), 10000);  // all data up to the end
  // Writing over allocated pages keeps them; truncating frees those beyond.
  EXPECT_EQ(write(f, "abc", 10000), 3);
  EXPECT_EQ(must_stat("f").blocks, 32u);
  EXPECT_EQ(tmpfs_ftruncate(fs_, f.get(), 4096), 0);
  EXPECT_EQ(must_stat("f").blocks, 8u);
  // Errors.
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), 0, 0, 0), -EINVAL);
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), 0, -1, 10), -EINVAL);
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), 2, 0, 10), -EOPNOTSUPP);  // punching holes: no
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), 0, TMPFS_MAX_FILE_SIZE, 1), -EFBIG);
  File ro = must_open("f", RD);
  EXPECT_EQ(tmpfs_fallocate(fs_, ro.get(), 0, 0, 10), -EBADF);
}

// --- Names: unlink, links, directories -------------------------------------------------------

TEST_F(Tmpfs, UnlinkedFileStaysReadableWhileOpen) {
  mkfile("f", "still here");
  File f = must_open("f", RW);
  uint64_t nodes = tmpfs_node_count(fs_);
  ASSERT_EQ(unlink("f"), 0);
  EXPECT_EQ(stat_err("f"), -ENOENT);
  EXPECT_TRUE(names("/").empty());
  EXPECT_EQ(tmpfs_node_count(fs_), nodes);  // alive while open
  fs_stat st;
  ASSERT_EQ(tmpfs_fstat(fs_, f.get(), &st), 0);
  EXPECT_EQ(st.nlink, 0u);
  EXPECT_EQ(read(f, 100, 0), "still here");
  EXPECT_EQ(write(f, " and writable", 10), 13);
  EXPECT_EQ(read(f, 100, 0), "still here and writable");
  // A new file of that name is another file.
  mkfile("f", "new");
  EXPECT_NE(must_stat("f").ino, st.ino);
  ASSERT_EQ(unlink("f"), 0);
  f.reset();  // the last reference: the memory goes
  EXPECT_EQ(tmpfs_node_count(fs_), 1u);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

TEST_F(Tmpfs, UnlinkErrors) {
  ASSERT_EQ(mkdir("d"), 0);
  mkfile("f");
  EXPECT_EQ(unlink("missing"), -ENOENT);
  EXPECT_EQ(unlink("missing/x"), -ENOENT);
  EXPECT_EQ(unlink("d"), -EISDIR);
  EXPECT_EQ(unlink("/"), -EISDIR);
  EXPECT_EQ(unlink("."), -EISDIR);
  EXPECT_EQ(unlink("d/.."), -EISDIR);
  EXPECT_EQ(unlink("f/"), -ENOTDIR);
  EXPECT_EQ(unlink("f/x"), -ENOTDIR);
  EXPECT_EQ(tmpfs_unlink(fs_, "f", 0x1000, R()), -EINVAL);
  EXPECT_TRUE(exists("f"));
  EXPECT_EQ(unlink("f"), 0);
  EXPECT_EQ(unlink("f"), -ENOENT);
}

TEST_F(Tmpfs, MkdirAndRmdir) {
  ASSERT_EQ(mkdir("d", 0750), 0);
  fs_stat d = must_stat("d");
  EXPECT_TRUE(S_ISDIR(d.mode));
  EXPECT_EQ(d.mode & 07777, 0750u);
  EXPECT_EQ(d.nlink, 2u);
  EXPECT_EQ(must_stat("/").nlink, 3u);  // the subdirectory's ".."
  ASSERT_EQ(mkdir("d/e/"), 0);          // a trailing slash is fine for mkdir
  EXPECT_EQ(must_stat("d").nlink, 3u);
  EXPECT_EQ(mkdir("d"), -EEXIST);
  EXPECT_EQ(mkdir("/"), -EEXIST);
  EXPECT_EQ(mkdir("d/."), -EEXIST);
  EXPECT_EQ(mkdir("d/.."), -EEXIST);
  EXPECT_EQ(mkdir("x/y"), -ENOENT);
  mkfile("f");
  EXPECT_EQ(mkdir("f"), -EEXIST);
  EXPECT_EQ(mkdir("f/g"), -ENOTDIR);

  EXPECT_EQ(rmdir("d"), -ENOTEMPTY);
  EXPECT_EQ(rmdir("f"), -ENOTDIR);
  EXPECT_EQ(rmdir("d/e/."), -EINVAL);
  EXPECT_EQ(rmdir("."), -EINVAL);
  EXPECT_EQ(rmdir("d/e/.."), -ENOTEMPTY);
  EXPECT_EQ(rmdir("/"), -EBUSY);
  EXPECT_EQ(rmdir(""), -EBUSY);
  EXPECT_EQ(rmdir("missing"), -ENOENT);
  ASSERT_EQ(rmdir("d/e/"), 0);
  EXPECT_EQ(must_stat("d").nlink, 2u);
  ASSERT_EQ(rmdir("d"), 0);
  EXPECT_EQ(must_stat("/").nlink, 2u);
  EXPECT_EQ(names("/"), std::set<std::string>{"f"});
}

TEST_F(Tmpfs, RemovedDirectoryStillOpen) {
  ASSERT_EQ(mkdir("d"), 0);
  File d = must_open("d", RD | DIRECTORY);
  ASSERT_EQ(rmdir("d"), 0);
  char buf[256];
  EXPECT_EQ(tmpfs_getdents(fs_, d.get(), buf, sizeof(buf)), -ENOENT);
  EXPECT_EQ(tmpfs_dir_path(fs_, d.get(), buf, sizeof(buf)), -ENOENT);
  fs_stat st;
  ASSERT_EQ(tmpfs_fstat(fs_, d.get(), &st), 0);
  EXPECT_EQ(st.nlink, 0u);
  d.reset();
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

TEST_F(Tmpfs, HardLinks) {
  mkfile("a", "shared");
  ASSERT_EQ(link("a", "b"), 0);
  fs_stat a = must_stat("a"), b = must_stat("b");
  EXPECT_EQ(a.ino, b.ino);
  EXPECT_EQ(a.nlink, 2u);
  ASSERT_EQ(mkdir("d"), 0);
  ASSERT_EQ(link("b", "d/c"), 0);
  EXPECT_EQ(must_stat("a").nlink, 3u);
  {
    File f = must_open("d/c", WR | APPEND);
    EXPECT_EQ(write(f, "!"), 1);
  }
  EXPECT_EQ(contents("a"), "shared!");
  ASSERT_EQ(unlink("a"), 0);
  EXPECT_EQ(must_stat("b").nlink, 2u);
  EXPECT_EQ(contents("b"), "shared!");
  // Errors.
  EXPECT_EQ(link("d", "d2"), -EPERM);
  EXPECT_EQ(link("b", "d/c"), -EEXIST);
  EXPECT_EQ(link("b", "d"), -EEXIST);
  EXPECT_EQ(link("b", "."), -EEXIST);
  EXPECT_EQ(link("missing", "x"), -ENOENT);
  EXPECT_EQ(link("b", "missing/x"), -ENOENT);
  EXPECT_EQ(link("b", "x/"), -ENOENT);
  EXPECT_EQ(link("b/", "x"), -ENOTDIR);
  EXPECT_EQ(link("b", "y", 0x1), -EINVAL);
  // A symlink is linked itself, unless AT_SYMLINK_FOLLOW.
  ASSERT_EQ(symlink("b", "s"), 0);
  ASSERT_EQ(link("s", "s2"), 0);
  EXPECT_TRUE(S_ISLNK(must_stat("s2", AT_NOFOLLOW).mode));
  ASSERT_EQ(link("s", "s3", CHCORE_FS_AT_SYMLINK_FOLLOW), 0);
  EXPECT_EQ(must_stat("s3", AT_NOFOLLOW).ino, must_stat("b").ino);
  EXPECT_EQ(must_stat("b").nlink, 3u);
  // Memory: everything goes when every name does.
  for (const char* p : {"b", "d/c", "s", "s2", "s3"}) ASSERT_EQ(unlink(p), 0) << p;
  ASSERT_EQ(rmdir("d"), 0);
  EXPECT_EQ(tmpfs_node_count(fs_), 1u);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

// --- rename ----------------------------------------------------------------------------------

TEST_F(Tmpfs, RenameFileToNewName) {
  mkfile("a", "A");
  uint64_t ino = must_stat("a").ino;
  ASSERT_EQ(mkdir("d"), 0);
  ASSERT_EQ(rename("a", "d/b"), 0);
  EXPECT_FALSE(exists("a"));
  EXPECT_EQ(must_stat("d/b").ino, ino);
  EXPECT_EQ(contents("d/b"), "A");
  EXPECT_EQ(must_stat("d/b").nlink, 1u);
}

TEST_F(Tmpfs, RenameReplacesAFile) {
  mkfile("a", "A");
  mkfile("b", "B");
  File old = must_open("b", RD);
  uint64_t nodes = tmpfs_node_count(fs_);
  ASSERT_EQ(rename("a", "b"), 0);
  EXPECT_FALSE(exists("a"));
  EXPECT_EQ(contents("b"), "A");
  EXPECT_EQ(read(old, 10, 0), "B");  // the replaced file lives on while open
  fs_stat st;
  tmpfs_fstat(fs_, old.get(), &st);
  EXPECT_EQ(st.nlink, 0u);
  old.reset();
  EXPECT_EQ(tmpfs_node_count(fs_), nodes - 1);
}

TEST_F(Tmpfs, RenameDirectories) {
  ASSERT_EQ(mkdir("a"), 0);
  ASSERT_EQ(mkdir("a/sub"), 0);
  ASSERT_EQ(mkdir("b"), 0);
  ASSERT_EQ(mkdir("full"), 0);
  mkfile("full/x");
  mkfile("file");
  EXPECT_EQ(rename("a", "full"), -ENOTEMPTY);
  EXPECT_EQ(rename("a", "file"), -ENOTDIR);
  EXPECT_EQ(rename("file", "b"), -EISDIR);
  EXPECT_EQ(rename("a", "a/sub/x"), -EINVAL);  // into its own subtree
  EXPECT_EQ(rename("a", "a/x"), -EINVAL);
  EXPECT_EQ(rename("a/sub", "a"), -ENOTEMPTY);  // onto its own ancestor
  EXPECT_EQ(rename("file", "file/"), -ENOTDIR);
  EXPECT_EQ(rename("file/", "other"), -ENOTDIR);
  EXPECT_EQ(rename("file", "newdir/"), -ENOTDIR);
  EXPECT_EQ(rename("a", "a"), 0);  // onto itself: nothing happens
  // An empty directory is replaced; link counts follow.
  ASSERT_EQ(mkdir("b/c"), 0);
  EXPECT_EQ(must_stat("/").nlink, 5u);  // a, b, full
  ASSERT_EQ(rename("a", "b/c/"), 0);
  EXPECT_FALSE(exists("a"));
  EXPECT_TRUE(exists("b/c/sub"));
  EXPECT_EQ(must_stat("/").nlink, 4u);
  EXPECT_EQ(must_stat("b").nlink, 3u);
  EXPECT_EQ(must_stat("b/c").nlink, 3u);
  File sub = must_open("b/c/sub", RD);
  EXPECT_EQ(dir_path(sub), "/b/c/sub");
  EXPECT_EQ(must_stat("b/c/sub/..").ino, must_stat("b/c").ino);
  // Moved up again, to a new name.
  ASSERT_EQ(rename("b/c", "moved"), 0);
  EXPECT_EQ(dir_path(sub), "/moved/sub");
  EXPECT_EQ(must_stat("b").nlink, 2u);
  EXPECT_EQ(must_stat("/").nlink, 5u);
}

TEST_F(Tmpfs, RenameBetweenTwoNamesOfOneFileDoesNothing) {
  mkfile("a", "A");
  ASSERT_EQ(link("a", "b"), 0);
  ASSERT_EQ(rename("a", "b"), 0);
  EXPECT_TRUE(exists("a"));  // POSIX: both names stay
  EXPECT_TRUE(exists("b"));
  EXPECT_EQ(must_stat("a").nlink, 2u);
}

TEST_F(Tmpfs, RenameErrorsOnSpecialNames) {
  mkfile("f");
  ASSERT_EQ(mkdir("d"), 0);
  EXPECT_EQ(rename("/", "x"), -EBUSY);
  EXPECT_EQ(rename(".", "x"), -EBUSY);
  EXPECT_EQ(rename("d/..", "x"), -EBUSY);
  EXPECT_EQ(rename("f", "."), -EBUSY);
  EXPECT_EQ(rename("f", "/"), -EBUSY);
  EXPECT_EQ(rename("missing", "x"), -ENOENT);
  EXPECT_EQ(rename("f", "missing/x"), -ENOENT);
  EXPECT_EQ(rename("f", "g", 4), -EINVAL);
  EXPECT_EQ(rename("f", "g", CHCORE_FS_RENAME_NOREPLACE | CHCORE_FS_RENAME_EXCHANGE), -EINVAL);
  EXPECT_TRUE(exists("f"));
}

TEST_F(Tmpfs, RenameNoreplace) {
  mkfile("a", "A");
  mkfile("b", "B");
  EXPECT_EQ(rename("a", "b", CHCORE_FS_RENAME_NOREPLACE), -EEXIST);
  EXPECT_EQ(contents("b"), "B");
  EXPECT_EQ(rename("a", "c", CHCORE_FS_RENAME_NOREPLACE), 0);
  EXPECT_EQ(contents("c"), "A");
}

TEST_F(Tmpfs, RenameExchange) {
  ASSERT_EQ(mkdir("d1"), 0);
  ASSERT_EQ(mkdir("d2"), 0);
  mkfile("d1/file", "F");
  ASSERT_EQ(mkdir("d2/dir"), 0);
  mkfile("d2/dir/inner", "I");
  ASSERT_EQ(rename("d1/file", "d2/dir", CHCORE_FS_RENAME_EXCHANGE), 0);
  EXPECT_TRUE(S_ISDIR(must_stat("d1/file").mode));
  EXPECT_EQ(contents("d1/file/inner"), "I");
  EXPECT_EQ(contents("d2/dir"), "F");
  // The directory moved from d2 to d1: link counts and parent links follow.
  EXPECT_EQ(must_stat("d1").nlink, 3u);
  EXPECT_EQ(must_stat("d2").nlink, 2u);
  EXPECT_EQ(must_stat("d1/file/..").ino, must_stat("d1").ino);
  File dir = must_open("d1/file", RD);
  EXPECT_EQ(dir_path(dir), "/d1/file");
  // Errors.
  EXPECT_EQ(rename("d1/file", "d2/missing", CHCORE_FS_RENAME_EXCHANGE), -ENOENT);
  EXPECT_EQ(rename("d1", "d1/file/inner", CHCORE_FS_RENAME_EXCHANGE), -EINVAL);
  EXPECT_EQ(rename("d1/file/inner", "d1", CHCORE_FS_RENAME_EXCHANGE), -EINVAL);
  // Two files in one directory.
  mkfile("x", "X");
  mkfile("y", "Y");
  ASSERT_EQ(rename("x", "y", CHCORE_FS_RENAME_EXCHANGE), 0);
  EXPECT_EQ(contents("x"), "Y");
  EXPECT_EQ(contents("y"), "X");
}

// --- Directory listings ---------------------------------------------------------------------

TEST_F(Tmpfs, GetdentsRecords) {
  ASSERT_EQ(mkdir("d"), 0);
  mkfile("d/file");
  ASSERT_EQ(mkdir("d/sub"), 0);
  ASSERT_EQ(symlink("file", "d/link"), 0);
  File d = must_open("d", RD | DIRECTORY);
  auto all = list(d);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].name, ".");
  EXPECT_EQ(all[0].off, 1);
  EXPECT_EQ(all[0].ino, must_stat("d").ino);
  EXPECT_EQ(all[1].name, "..");
  EXPECT_EQ(all[1].off, 2);
  EXPECT_EQ(all[1].ino, must_stat("/").ino);
  std::map<std::string, Dirent> by;
  for (auto& e : all) by[e.name] = e;
  EXPECT_EQ(by["file"].type, 8);   // DT_REG
  EXPECT_EQ(by["sub"].type, 4);    // DT_DIR
  EXPECT_EQ(by["link"].type, 10);  // DT_LNK
  EXPECT_EQ(by["file"].ino, must_stat("d/file").ino);
  // Creation order, with increasing positions after "." and "..".
  EXPECT_EQ(all[2].name, "file");
  EXPECT_EQ(all[3].name, "sub");
  EXPECT_EQ(all[4].name, "link");
  EXPECT_GT(all[2].off, 2);
  EXPECT_LT(all[2].off, all[3].off);
  EXPECT_LT(all[3].off, all[4].off);
  // The end stays the end; rewinding starts over.
  char buf[64];
  EXPECT_EQ(tmpfs_getdents(fs_, d.get(), buf, sizeof(buf)), 0);
  EXPECT_EQ(tmpfs_lseek(fs_, d.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(list(d, 24).size(), 5u);  // one record at a time
  // seekdir to a returned position continues after that entry.
  EXPECT_EQ(tmpfs_lseek(fs_, d.get(), all[2].off, SEEK_SET), all[2].off);
  auto rest = list(d);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].name, "sub");
  // Errors: a buffer too small for the next record; lseek on directories.
  EXPECT_EQ(tmpfs_lseek(fs_, d.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(tmpfs_getdents(fs_, d.get(), buf, 16), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, d.get(), 0, SEEK_END), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, d.get(), -1, SEEK_SET), -EINVAL);
  EXPECT_EQ(tmpfs_lseek(fs_, d.get(), 0, SEEK_DATA), -EINVAL);
}

// Entries created and removed while a directory is being listed never make
// an entry that stayed appear twice or not at all.
TEST_F(Tmpfs, GetdentsStableUnderConcurrentInsertAndRemove) {
  ASSERT_EQ(mkdir("d"), 0);
  std::mt19937 rng(12345);
  std::set<std::string> present;
  int next = 0;
  auto add = [&] {
    std::string n = "e" + std::to_string(next++);
    mkfile(("d/" + n).c_str());
    present.insert(n);
  };
  for (int i = 0; i < 300; i++) add();
  for (int round = 0; round < 20; round++) {
    const std::set<std::string> initial = present;
    std::set<std::string> removed, returned;
    File d = must_open("d", RD | DIRECTORY);
    std::vector<char> buf(200);  // a few entries per call
    int calls = 0;
    for (;;) {
      long n = tmpfs_getdents(fs_, d.get(), buf.data(), buf.size());
      ASSERT_GE(n, 0);
      if (n == 0) break;
      for (auto& e : parse_dirents(buf.data(), n)) {
        if (e.name == "." || e.name == "..") continue;
        EXPECT_TRUE(returned.insert(e.name).second) << "twice: " << e.name;
      }
      // Meanwhile: remove a few random entries, add a few (for a while: a
      // reader that keeps up with a writer never reaches the end).
      if (++calls > 30) continue;
      for (int k = 0; k < 3 && !present.empty(); k++) {
        auto it = present.begin();
        std::advance(it, rng() % present.size());
        ASSERT_EQ(unlink(("d/" + *it).c_str()), 0);
        removed.insert(*it);
        present.erase(it);
      }
      for (int k = 0; k < 3; k++) add();
    }
    for (const auto& n : initial)
      if (!removed.count(n)) EXPECT_TRUE(returned.count(n)) << "skipped: " << n;
  }
  // Everything removed: the directory's tables are gone too.
  for (const auto& n : present) ASSERT_EQ(unlink(("d/" + n).c_str()), 0);
  ASSERT_EQ(rmdir("d"), 0);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

TEST_F(Tmpfs, TenThousandEntryDirectory) {
  constexpr int kN = 10000;
  ASSERT_EQ(mkdir("big"), 0);
  char path[64];
  for (int i = 0; i < kN; i++) {
    snprintf(path, sizeof(path), "big/file-%05d", i);
    File f = must_open(path, CREAT | EXCL | WR);
    ASSERT_TRUE(f);
  }
  EXPECT_EQ(must_stat("big").size, (kN + 2) * 20u);
  // Lookups: each name, several times, in a scattered order.
  for (int round = 0; round < 5; round++)
    for (int i = 0; i < kN; i++) {
      snprintf(path, sizeof(path), "big/file-%05d", (i * 7919 + round) % kN);
      fs_stat st;
      ASSERT_EQ(stat(path, &st), 0) << path;
    }
  EXPECT_EQ(stat_err("big/file-10000"), -ENOENT);
  File d = must_open("big", RD | DIRECTORY);
  auto all = list(d, 32768);
  EXPECT_EQ(all.size(), kN + 2u);
  std::set<std::string> unique;
  for (auto& e : all) unique.insert(e.name);
  EXPECT_EQ(unique.size(), kN + 2u);
  d.reset();
  // Remove every other entry, then list again, then remove the rest.
  for (int i = 0; i < kN; i += 2) {
    snprintf(path, sizeof(path), "big/file-%05d", i);
    ASSERT_EQ(unlink(path), 0);
  }
  EXPECT_EQ(names("big").size(), kN / 2u);
  for (int i = 1; i < kN; i += 2) {
    snprintf(path, sizeof(path), "big/file-%05d", i);
    ASSERT_EQ(unlink(path), 0);
  }
  EXPECT_TRUE(names("big").empty());
  ASSERT_EQ(rmdir("big"), 0);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

// --- Symlinks --------------------------------------------------------------------------------

TEST_F(Tmpfs, SymlinkBasics) {
  mkfile("target", "T");
  ASSERT_EQ(symlink("target", "link"), 0);
  fs_stat l = must_stat("link", AT_NOFOLLOW);
  EXPECT_TRUE(S_ISLNK(l.mode));
  EXPECT_EQ(l.mode & 07777, 0777u);
  EXPECT_EQ(l.size, 6u);
  EXPECT_EQ(must_stat("link").ino, must_stat("target").ino);
  EXPECT_EQ(readlink("link"), "target");
  EXPECT_EQ(contents("link"), "T");
  char small[3];
  EXPECT_EQ(tmpfs_readlink(fs_, "link", small, 3, R()), 3);  // truncated, like Linux
  EXPECT_EQ(std::string(small, 3), "tar");
  EXPECT_EQ(tmpfs_readlink(fs_, "target", small, 3, R()), -EINVAL);
  EXPECT_EQ(tmpfs_readlink(fs_, "missing", small, 3, R()), -ENOENT);
  // Errors of creation.
  EXPECT_EQ(symlink("x", "link"), -EEXIST);
  EXPECT_EQ(symlink("x", "target"), -EEXIST);
  EXPECT_EQ(symlink("x", "/"), -EEXIST);
  EXPECT_EQ(symlink("", "empty"), -ENOENT);
  EXPECT_EQ(symlink("x", "missing/l"), -ENOENT);
  EXPECT_EQ(symlink("x", "l/"), -ENOENT);
  std::string t4095(4095, 'a'), t4096(4096, 'a');
  EXPECT_EQ(symlink(t4095.c_str(), "long"), 0);
  EXPECT_EQ(readlink("long"), t4095);
  EXPECT_EQ(symlink(t4096.c_str(), "toolong"), -ENAMETOOLONG);
  // Following rules: O_NOFOLLOW, O_PATH, trailing slashes, directories.
  EXPECT_EQ(open_err("link", RD | NOFOLLOW), -ELOOP);
  File p = must_open("link", OPATH | NOFOLLOW);
  fs_stat st;
  tmpfs_fstat(fs_, p.get(), &st);
  EXPECT_TRUE(S_ISLNK(st.mode));
  EXPECT_EQ(stat_err("link/"), -ENOTDIR);
  ASSERT_EQ(mkdir("dir"), 0);
  mkfile("dir/inside", "I");
  ASSERT_EQ(symlink("dir", "dlink"), 0);
  EXPECT_EQ(contents("dlink/inside"), "I");
  EXPECT_TRUE(S_ISDIR(must_stat("dlink/", AT_NOFOLLOW).mode));  // a slash follows
  EXPECT_EQ(open_err("dlink", RD | DIRECTORY | NOFOLLOW), -ELOOP);
  EXPECT_EQ(unlink("dlink"), 0);  // removes the link, not the directory
  EXPECT_TRUE(exists("dir/inside"));
  // A dangling symlink: ENOENT, but O_CREAT makes its target.
  ASSERT_EQ(symlink("dir/made", "dangling"), 0);
  EXPECT_EQ(stat_err("dangling"), -ENOENT);
  EXPECT_EQ(open_err("dangling", CREAT | EXCL | WR), -EEXIST);
  EXPECT_EQ(open_err("dangling", CREAT | NOFOLLOW | WR), -ELOOP);
  mkfile("dangling", "made");
  EXPECT_EQ(contents("dir/made"), "made");
  // chmod of the link itself is refused; chown works.
  EXPECT_EQ(tmpfs_chmod(fs_, "link", 0600, AT_NOFOLLOW, R()), -EOPNOTSUPP);
  EXPECT_EQ(tmpfs_chown(fs_, "link", 5, 6, AT_NOFOLLOW, R()), 0);
  EXPECT_EQ(must_stat("link", AT_NOFOLLOW).uid, 5u);
  EXPECT_EQ(must_stat("target").uid, 0u);
}

TEST_F(Tmpfs, SymlinkChainsAndRelativeTargets) {
  ASSERT_EQ(mkdir("a"), 0);
  ASSERT_EQ(mkdir("a/b"), 0);
  mkfile("a/b/file", "deep");
  ASSERT_EQ(symlink("b/file", "a/l1"), 0);      // relative to a/
  ASSERT_EQ(symlink("a/l1", "l2"), 0);          // relative to /
  ASSERT_EQ(symlink("../../l2", "a/b/l3"), 0);  // up and over
  ASSERT_EQ(symlink("./b/../b/", "a/l4"), 0);   // a directory, with dots
  EXPECT_EQ(contents("l2"), "deep");
  EXPECT_EQ(contents("a/b/l3"), "deep");
  EXPECT_EQ(contents("a/l4/file"), "deep");
  EXPECT_EQ(contents("a/l4/l3"), "deep");
  // A link in the middle of a path, then ".." physically: a/l4 is a/b, so
  // a/l4/.. is a.
  EXPECT_EQ(must_stat("a/l4/..").ino, must_stat("a").ino);
  tmpfs_redirect* r = R();
  fs_stat st;
  ASSERT_EQ(tmpfs_stat(fs_, "a/b/l3", 0, r, &st), 0);
  EXPECT_EQ(r->nlinks, 3u);  // l3, l2, l1
}

TEST_F(Tmpfs, SymlinkLoopsAndTheFortyLinkLimit) {
  ASSERT_EQ(symlink("loop", "loop"), 0);
  ASSERT_EQ(symlink("pong", "ping"), 0);
  ASSERT_EQ(symlink("ping", "pong"), 0);
  EXPECT_EQ(stat_err("loop"), -ELOOP);
  EXPECT_EQ(stat_err("ping"), -ELOOP);
  EXPECT_EQ(stat_err("ping/x"), -ELOOP);
  EXPECT_EQ(open_err("ping", CREAT | WR), -ELOOP);
  EXPECT_EQ(stat_err("loop", AT_NOFOLLOW), 0);
  // A chain of exactly 40 links resolves; 41 do not.
  mkfile("end", "e");
  ASSERT_EQ(symlink("end", "c0"), 0);
  for (int i = 1; i < 41; i++)
    ASSERT_EQ(symlink(("c" + std::to_string(i - 1)).c_str(), ("c" + std::to_string(i)).c_str()), 0);
  EXPECT_EQ(stat_err("c39"), 0);       // 40 links
  EXPECT_EQ(stat_err("c40"), -ELOOP);  // 41
  // Links followed before this server count too (fs_req.nlinks).
  fs_stat st;
  EXPECT_EQ(tmpfs_stat(fs_, "c1", 0, R(38), &st), 0);       // 38 + 2
  EXPECT_EQ(tmpfs_stat(fs_, "c2", 0, R(38), &st), -ELOOP);  // 38 + 3
  EXPECT_EQ(tmpfs_stat(fs_, "end", 0, R(40), &st), 0);      // none followed here
}

// --- Redirects ----------------------------------------------------------------------------------

TEST_F(Tmpfs, DotDotAtTheRootRedirectsUp) {
  ASSERT_EQ(mkdir("a"), 0);
  fs_stat st;
  expect_redirect(tmpfs_stat(fs_, "../x/y", 0, R(), &st), FS_REDIR_UP, "x/y");
  expect_redirect(tmpfs_stat(fs_, "a/../..//x/", 0, R(), &st), FS_REDIR_UP, "x/");
  expect_redirect(tmpfs_stat(fs_, "..", 0, R(), &st), FS_REDIR_UP, "");
  expect_redirect(tmpfs_stat(fs_, "/a/../../", 0, R(), &st), FS_REDIR_UP, "");
  expect_redirect(tmpfs_mkdir(fs_, "../new", 0755, R()), FS_REDIR_UP, "new");
  EXPECT_EQ(must_stat("a/..").ino, must_stat("/").ino);  // inside: no redirect
  // Entry operations on ".." itself fail before anything leaves.
  EXPECT_EQ(rmdir(".."), -ENOTEMPTY);
  EXPECT_EQ(mkdir(".."), -EEXIST);
}

TEST_F(Tmpfs, DotDotStaysAtTheGlobalRoot) {
  make(/*global_root=*/true);
  ASSERT_EQ(mkdir("a"), 0);
  mkfile("a/f", "F");
  EXPECT_EQ(must_stat("..").ino, must_stat("/").ino);
  EXPECT_EQ(must_stat("../../a").ino, must_stat("a").ino);
  EXPECT_EQ(contents("/../a/../../a/f"), "F");
  ASSERT_EQ(symlink("../../../a/f", "a/up"), 0);
  EXPECT_EQ(contents("a/up"), "F");
}

TEST_F(Tmpfs, RelativeSymlinkLeavingTheRootRedirectsUp) {
  ASSERT_EQ(mkdir("d"), 0);
  ASSERT_EQ(symlink("../../outside/dir", "d/up"), 0);
  fs_stat st;
  expect_redirect(tmpfs_stat(fs_, "d/up/rest/file", 0, R(5), &st), FS_REDIR_UP,
                  "outside/dir/rest/file");
  EXPECT_EQ(r_.nlinks, 6u);  // 5 before + this one
  expect_redirect(tmpfs_stat(fs_, "d/up", 0, R(), &st), FS_REDIR_UP, "outside/dir");
  EXPECT_EQ(r_.nlinks, 1u);
  // Not followed: the link itself.
  EXPECT_EQ(tmpfs_stat(fs_, "d/up", AT_NOFOLLOW, R(), &st), 0);
}

TEST_F(Tmpfs, AbsoluteSymlinkRedirectsWithTheNewPath) {
  ASSERT_EQ(mkdir("d"), 0);
  ASSERT_EQ(symlink("/usr", "d/abs"), 0);
  ASSERT_EQ(symlink("/", "root"), 0);
  fs_stat st;
  expect_redirect(tmpfs_stat(fs_, "d/abs", 0, R(), &st), FS_REDIR_ABSOLUTE, "/usr");
  EXPECT_EQ(r_.nlinks, 1u);
  expect_redirect(tmpfs_stat(fs_, "d/abs/lib/x", 0, R(2), &st), FS_REDIR_ABSOLUTE, "/usr/lib/x");
  EXPECT_EQ(r_.nlinks, 3u);
  expect_redirect(tmpfs_stat(fs_, "d/abs/", 0, R(), &st), FS_REDIR_ABSOLUTE, "/usr/");
  expect_redirect(tmpfs_stat(fs_, "root/etc", 0, R(), &st), FS_REDIR_ABSOLUTE, "//etc");
  // Through a relative link first.
  ASSERT_EQ(symlink("d/abs/bin", "rel"), 0);
  expect_redirect(tmpfs_stat(fs_, "rel/sh", 0, R(), &st), FS_REDIR_ABSOLUTE, "/usr/bin/sh");
  EXPECT_EQ(r_.nlinks, 2u);
  EXPECT_TRUE(S_ISLNK(must_stat("d/abs", AT_NOFOLLOW).mode));
  // Opening, creating through it: the same.
  tmpfs_file* f = nullptr;
  expect_redirect(tmpfs_open(fs_, "d/abs/new", CREAT | WR, 0644, R(), &f), FS_REDIR_ABSOLUTE,
                  "/usr/new");
  EXPECT_EQ(f, nullptr);
}

TEST_F(Tmpfs, MountPointRedirects) {
  ASSERT_EQ(mkdir("mnt"), 0);
  ASSERT_EQ(mkdir("mnt/hidden"), 0);  // covered by the mount
  ASSERT_EQ(tmpfs_set_mountpoint(fs_, "mnt", 7, R()), 0);
  fs_stat st;
  // Entering it, with or without components left.
  expect_redirect(tmpfs_stat(fs_, "mnt", 0, R(), &st), FS_REDIR_MOUNT, "", 7);
  expect_redirect(tmpfs_stat(fs_, "/mnt/", 0, R(), &st), FS_REDIR_MOUNT, "", 7);
  expect_redirect(tmpfs_stat(fs_, "mnt//a/b/", 0, R(), &st), FS_REDIR_MOUNT, "a/b/", 7);
  expect_redirect(tmpfs_stat(fs_, "mnt/..", 0, R(), &st), FS_REDIR_MOUNT, "..", 7);
  tmpfs_file* f = nullptr;
  expect_redirect(tmpfs_open(fs_, "mnt", RD, 0, R(), &f), FS_REDIR_MOUNT, "", 7);
  expect_redirect(tmpfs_open(fs_, "mnt/new", CREAT | WR, 0644, R(), &f), FS_REDIR_MOUNT, "new", 7);
  EXPECT_EQ(f, nullptr);
  expect_redirect(tmpfs_unlink(fs_, "mnt/x", 0, R()), FS_REDIR_MOUNT, "x", 7);
  expect_redirect(tmpfs_mkdir(fs_, "mnt/x", 0755, R()), FS_REDIR_MOUNT, "x", 7);
  expect_redirect(tmpfs_access(fs_, "mnt", 0, 0, R()), FS_REDIR_MOUNT, "", 7);
  // Through a symlink.
  ASSERT_EQ(symlink("mnt/sub", "tomnt"), 0);
  expect_redirect(tmpfs_stat(fs_, "tomnt/z", 0, R(), &st), FS_REDIR_MOUNT, "sub/z", 7);
  EXPECT_EQ(r_.nlinks, 1u);
  // The entry itself, in its parent: busy or existing, as on Linux.
  EXPECT_EQ(rmdir("mnt"), -EBUSY);
  EXPECT_EQ(unlink("mnt"), -EISDIR);
  EXPECT_EQ(mkdir("mnt"), -EEXIST);
  EXPECT_EQ(rename("mnt", "other"), -EBUSY);
  ASSERT_EQ(mkdir("empty"), 0);
  EXPECT_EQ(rename("empty", "mnt"), -EBUSY);
  EXPECT_EQ(rename("empty", "mnt", CHCORE_FS_RENAME_EXCHANGE), -EBUSY);
  EXPECT_EQ(symlink("x", "mnt"), -EEXIST);
  mkfile("file");
  EXPECT_EQ(link("file", "mnt"), -EEXIST);
  EXPECT_EQ(open_err("mnt", CREAT | EXCL | WR), -EEXIST);
  EXPECT_EQ(link("mnt", "m2"), -EPERM);
  // Its parent can move, and it with it.
  // Marking: not files, not the root, no second id; re-marking and
  // unmarking work (a final mount point is not entered here).
  EXPECT_EQ(tmpfs_set_mountpoint(fs_, "file", 8, R()), -ENOTDIR);
  EXPECT_EQ(tmpfs_set_mountpoint(fs_, "/", 8, R()), -EINVAL);
  EXPECT_EQ(tmpfs_set_mountpoint(fs_, "missing", 8, R()), -ENOENT);
  EXPECT_EQ(tmpfs_set_mountpoint(fs_, "mnt", 8, R()), -EBUSY);
  EXPECT_EQ(tmpfs_set_mountpoint(fs_, "mnt", 7, R()), 0);
  EXPECT_EQ(tmpfs_set_mountpoint(fs_, "mnt/", 0, R()), 0);
  EXPECT_TRUE(S_ISDIR(must_stat("mnt/hidden").mode));  // uncovered
  EXPECT_EQ(rmdir("mnt/hidden"), 0);
  EXPECT_EQ(rmdir("mnt"), 0);
}

TEST_F(Tmpfs, MountPointMovesWithItsParent) {
  ASSERT_EQ(mkdir("a"), 0);
  ASSERT_EQ(mkdir("a/m"), 0);
  ASSERT_EQ(tmpfs_set_mountpoint(fs_, "a/m", 3, R()), 0);
  ASSERT_EQ(rename("a", "b"), 0);
  fs_stat st;
  expect_redirect(tmpfs_stat(fs_, "b/m/x", 0, R(), &st), FS_REDIR_MOUNT, "x", 3);
  EXPECT_EQ(rmdir("b"), -ENOTEMPTY);
}

TEST_F(Tmpfs, RedirectReportsWhichPath) {
  ASSERT_EQ(symlink("/elsewhere", "abs"), 0);
  mkfile("f");
  expect_redirect(rename("abs/x", "g"), FS_REDIR_ABSOLUTE, "/elsewhere/x", 0, 0);
  expect_redirect(rename("f", "abs/y"), FS_REDIR_ABSOLUTE, "/elsewhere/y", 0, 1);
  expect_redirect(link("f", "../z"), FS_REDIR_UP, "z", 0, 1);
  expect_redirect(symlink("target", "abs/l"), FS_REDIR_ABSOLUTE, "/elsewhere/l", 0, 1);
  EXPECT_TRUE(exists("f"));
}

TEST_F(Tmpfs, RedirectPathTooLong) {
  std::string target = "/" + std::string(3000, 't');
  ASSERT_EQ(symlink(target.c_str(), "l"), 0);
  std::string path = "l/" + std::string(200, 'x') + "/" + std::string(200, 'y') + "/" +
                     std::string(200, 'z') + "/" + std::string(200, 'w') + "/" +
                     std::string(200, 'v') + "/" + std::string(200, 'u');
  fs_stat st;
  EXPECT_EQ(tmpfs_stat(fs_, path.c_str(), 0, R(), &st), -ENAMETOOLONG);
}

// --- Permissions, ownership, times ------------------------------------------------------------

TEST_F(Tmpfs, AccessAsRoot) {
  mkfile("plain", "", 0644);
  mkfile("exec", "", 0700);
  mkfile("other_exec", "", 0601);
  mkfile("nothing", "", 0);
  ASSERT_EQ(mkdir("d", 0), 0);
  EXPECT_EQ(tmpfs_access(fs_, "plain", X_OK, 0, R()), -EACCES);
  EXPECT_EQ(tmpfs_access(fs_, "plain", R_OK | W_OK, 0, R()), 0);
  EXPECT_EQ(tmpfs_access(fs_, "exec", X_OK, 0, R()), 0);
  EXPECT_EQ(tmpfs_access(fs_, "other_exec", X_OK, 0, R()), 0);  // any x bit will do
  EXPECT_EQ(tmpfs_access(fs_, "nothing", R_OK | W_OK, 0, R()), 0);
  EXPECT_EQ(tmpfs_access(fs_, "nothing", F_OK, 0, R()), 0);
  EXPECT_EQ(tmpfs_access(fs_, "d", X_OK | R_OK | W_OK, 0, R()), 0);  // search: always
  EXPECT_EQ(tmpfs_access(fs_, "missing", F_OK, 0, R()), -ENOENT);
  EXPECT_EQ(tmpfs_access(fs_, "plain", 8, 0, R()), -EINVAL);
  EXPECT_EQ(tmpfs_access(fs_, "plain", R_OK, 0x1, R()), -EINVAL);
  EXPECT_EQ(tmpfs_access(fs_, "plain", R_OK, CHCORE_FS_AT_EACCESS, R()), 0);
  ASSERT_EQ(symlink("plain", "l"), 0);
  EXPECT_EQ(tmpfs_access(fs_, "l", X_OK, 0, R()), -EACCES);
  EXPECT_EQ(tmpfs_access(fs_, "l", X_OK, AT_NOFOLLOW, R()), 0);
}

TEST_F(Tmpfs, ChmodChown) {
  mkfile("f", "", 0644);
  ASSERT_EQ(tmpfs_chmod(fs_, "f", 04755, 0, R()), 0);
  EXPECT_EQ(must_stat("f").mode, S_IFREG | 04755u);
  ASSERT_EQ(tmpfs_chmod(fs_, "f", 0170644, 0, R()), 0);  // type bits are not the caller's
  EXPECT_EQ(must_stat("f").mode, S_IFREG | 0644u);
  ASSERT_EQ(tmpfs_chown(fs_, "f", 1000, (uint32_t)-1, 0, R()), 0);
  EXPECT_EQ(must_stat("f").uid, 1000u);
  EXPECT_EQ(must_stat("f").gid, 0u);
  ASSERT_EQ(tmpfs_chown(fs_, "f", (uint32_t)-1, 100, 0, R()), 0);
  EXPECT_EQ(must_stat("f").uid, 1000u);
  EXPECT_EQ(must_stat("f").gid, 100u);
  // A change of owner drops set-user-ID.
  ASSERT_EQ(tmpfs_chmod(fs_, "f", 06755, 0, R()), 0);
  ASSERT_EQ(tmpfs_chown(fs_, "f", 0, 0, 0, R()), 0);
  EXPECT_EQ(must_stat("f").mode & 07777, 0755u);
  File f = must_open("f", RD);
  ASSERT_EQ(tmpfs_fchmod(fs_, f.get(), 0600), 0);
  ASSERT_EQ(tmpfs_fchown(fs_, f.get(), 1, 2), 0);
  fs_stat st = must_stat("f");
  EXPECT_EQ(st.mode & 07777, 0600u);
  EXPECT_EQ(st.uid, 1u);
  EXPECT_EQ(st.gid, 2u);
  EXPECT_EQ(tmpfs_chmod(fs_, "missing", 0600, 0, R()), -ENOENT);
  // The set-group-ID directory hands its group down.
  ASSERT_EQ(mkdir("g", 02775), 0);
  EXPECT_EQ(must_stat("g").mode & 07777, 0775u);  // mkdir ignores S_ISGID, as Linux
  ASSERT_EQ(tmpfs_chmod(fs_, "g", 02775, 0, R()), 0);
  ASSERT_EQ(tmpfs_chown(fs_, "g", 0, 50, 0, R()), 0);
  mkfile("g/f");
  ASSERT_EQ(mkdir("g/sub"), 0);
  EXPECT_EQ(must_stat("g/f").gid, 50u);
  EXPECT_EQ(must_stat("g/sub").gid, 50u);
  EXPECT_TRUE(must_stat("g/sub").mode & S_ISGID);
}

TEST_F(Tmpfs, TimestampsFollowLinux) {
  clock_.t = 100;
  ASSERT_EQ(mkdir("d"), 0);
  clock_.t = 200;
  mkfile("d/f");
  fs_stat st = must_stat("d/f"), d = must_stat("d");
  EXPECT_EQ(st.atime_ns, 200);
  EXPECT_EQ(st.mtime_ns, 200);
  EXPECT_EQ(st.ctime_ns, 200);
  EXPECT_EQ(d.mtime_ns, 200);  // a new entry
  EXPECT_EQ(d.ctime_ns, 200);
  EXPECT_EQ(d.atime_ns, 100);
  EXPECT_EQ(must_stat("/").mtime_ns, 100);  // d's creation

  File f = must_open("d/f", RW);
  clock_.t = 300;
  EXPECT_EQ(write(f, "data"), 4);
  st = must_stat("d/f");
  EXPECT_EQ(st.mtime_ns, 300);
  EXPECT_EQ(st.ctime_ns, 300);
  EXPECT_EQ(st.atime_ns, 200);
  EXPECT_EQ(must_stat("d").mtime_ns, 200);  // contents are not entries

  clock_.t = 400;
  EXPECT_EQ(read(f, 4, 0), "data");
  st = must_stat("d/f");
  EXPECT_EQ(st.atime_ns, 400);
  EXPECT_EQ(st.mtime_ns, 300);

  clock_.t = 450;
  EXPECT_EQ(write(f, ""), 0);  // nothing written: nothing changes
  EXPECT_EQ(must_stat("d/f").mtime_ns, 300);

  clock_.t = 500;
  ASSERT_EQ(tmpfs_ftruncate(fs_, f.get(), 2), 0);
  st = must_stat("d/f");
  EXPECT_EQ(st.mtime_ns, 500);
  EXPECT_EQ(st.ctime_ns, 500);

  clock_.t = 600;
  ASSERT_EQ(tmpfs_chmod(fs_, "d/f", 0600, 0, R()), 0);
  st = must_stat("d/f");
  EXPECT_EQ(st.ctime_ns, 600);
  EXPECT_EQ(st.mtime_ns, 500);

  clock_.t = 700;
  ASSERT_EQ(link("d/f", "g"), 0);
  EXPECT_EQ(must_stat("d/f").ctime_ns, 700);
  EXPECT_EQ(must_stat("/").mtime_ns, 700);
  EXPECT_EQ(must_stat("d").mtime_ns, 200);

  clock_.t = 800;
  ASSERT_EQ(unlink("g"), 0);
  EXPECT_EQ(must_stat("d/f").ctime_ns, 800);
  EXPECT_EQ(must_stat("/").mtime_ns, 800);

  clock_.t = 900;
  ASSERT_EQ(rename("d/f", "h"), 0);
  st = must_stat("h");
  EXPECT_EQ(st.ctime_ns, 900);
  EXPECT_EQ(st.mtime_ns, 500);
  EXPECT_EQ(must_stat("d").mtime_ns, 900);
  EXPECT_EQ(must_stat("d").ctime_ns, 900);
  EXPECT_EQ(must_stat("/").mtime_ns, 900);

  clock_.t = 1000;
  File dir = must_open("d", RD);
  list(dir);
  EXPECT_EQ(must_stat("d").atime_ns, 1000);
  clock_.t = 1100;
  ASSERT_EQ(symlink("h", "s"), 0);
  EXPECT_EQ(must_stat("s", AT_NOFOLLOW).mtime_ns, 1100);
  clock_.t = 1200;
  readlink("s");
  EXPECT_EQ(must_stat("s", AT_NOFOLLOW).atime_ns, 1200);
  clock_.t = 1300;
  ASSERT_EQ(tmpfs_fallocate(fs_, f.get(), 0, 0, 8192), 0);
  EXPECT_EQ(must_stat("h").ctime_ns, 1300);
}

TEST_F(Tmpfs, Utimens) {
  mkfile("f");
  clock_.t = 5000;
  const int64_t set[4] = {10, 20, 30, 40};
  ASSERT_EQ(tmpfs_utimens(fs_, "f", set, 0, R()), 0);
  fs_stat st = must_stat("f");
  EXPECT_EQ(st.atime_ns, 10000000020);
  EXPECT_EQ(st.mtime_ns, 30000000040);
  EXPECT_EQ(st.ctime_ns, 5000);
  clock_.t = 6000;
  const int64_t now_omit[4] = {0, TMPFS_UTIME_NOW, 99, TMPFS_UTIME_OMIT};
  ASSERT_EQ(tmpfs_utimens(fs_, "f", now_omit, 0, R()), 0);
  st = must_stat("f");
  EXPECT_EQ(st.atime_ns, 6000);
  EXPECT_EQ(st.mtime_ns, 30000000040);
  EXPECT_EQ(st.ctime_ns, 6000);
  clock_.t = 7000;
  const int64_t omit[4] = {1, TMPFS_UTIME_OMIT, 2, TMPFS_UTIME_OMIT};
  ASSERT_EQ(tmpfs_utimens(fs_, "f", omit, 0, R()), 0);
  EXPECT_EQ(must_stat("f").ctime_ns, 6000);  // nothing at all changed
  const int64_t bad[4] = {0, 1000000000, 0, 0};
  EXPECT_EQ(tmpfs_utimens(fs_, "f", bad, 0, R()), -EINVAL);
  const int64_t neg[4] = {0, -1, 0, 0};
  EXPECT_EQ(tmpfs_utimens(fs_, "f", neg, 0, R()), -EINVAL);
  const int64_t huge[4] = {INT64_MAX, 0, 0, 0};
  EXPECT_EQ(tmpfs_utimens(fs_, "f", huge, 0, R()), -EINVAL);
  const int64_t before_epoch[4] = {-5, 0, 0, 0};
  ASSERT_EQ(tmpfs_utimens(fs_, "f", before_epoch, 0, R()), 0);
  EXPECT_EQ(must_stat("f").atime_ns, -5000000000);
  EXPECT_EQ(tmpfs_utimens(fs_, "missing", set, 0, R()), -ENOENT);
  File f = must_open("f", RD);
  ASSERT_EQ(tmpfs_futimens(fs_, f.get(), set), 0);
  EXPECT_EQ(must_stat("f").atime_ns, 10000000020);
  // On a symlink itself.
  ASSERT_EQ(symlink("f", "l"), 0);
  ASSERT_EQ(tmpfs_utimens(fs_, "l", before_epoch, AT_NOFOLLOW, R()), 0);
  EXPECT_EQ(must_stat("l", AT_NOFOLLOW).atime_ns, -5000000000);
  EXPECT_EQ(must_stat("f").atime_ns, 10000000020);
}

// --- Paths of directories --------------------------------------------------------------------

TEST_F(Tmpfs, CanonicalDirectoryPaths) {
  ASSERT_EQ(mkdir("a"), 0);
  ASSERT_EQ(mkdir("a/bb"), 0);
  ASSERT_EQ(mkdir("a/bb/ccc"), 0);
  ASSERT_EQ(symlink("a/bb", "link"), 0);
  File root = must_open("/", RD), c = must_open("link/ccc/../ccc", RD);
  EXPECT_EQ(dir_path(root), "/");
  EXPECT_EQ(dir_path(c), "/a/bb/ccc");
  char buf[16];
  EXPECT_EQ(tmpfs_dir_path(fs_, c.get(), buf, 9), -ENAMETOOLONG);
  EXPECT_EQ(tmpfs_dir_path(fs_, c.get(), buf, 10), 9);  // exactly fits with its NUL
  EXPECT_STREQ(buf, "/a/bb/ccc");
  EXPECT_EQ(tmpfs_dir_path(fs_, root.get(), buf, 1), -ENAMETOOLONG);
  mkfile("f");
  File f = must_open("f", RD);
  EXPECT_EQ(tmpfs_dir_path(fs_, f.get(), buf, sizeof(buf)), -ENOTDIR);
  ASSERT_EQ(rename("a", "z"), 0);
  EXPECT_EQ(dir_path(c), "/z/bb/ccc");
}

// --- Export tokens --------------------------------------------------------------------------

TEST_F(Tmpfs, ExportImportSharesTheDescription) {
  mkfile("f", "0123456789");
  File a = must_open("f", RD);
  uint64_t t1 = 0, t2 = 0;
  ASSERT_EQ(tmpfs_export(fs_, a.get(), &t1), 0);
  EXPECT_NE(t1, 0u);
  ASSERT_EQ(tmpfs_export(fs_, a.get(), &t2), 0);
  EXPECT_EQ(t1, t2);  // one token per description
  tmpfs_file* raw = nullptr;
  ASSERT_EQ(tmpfs_import(fs_, t1, &raw), 0);
  File b(fs_, raw);
  EXPECT_EQ(raw, a.get());
  EXPECT_EQ(read(a, 3), "012");
  EXPECT_EQ(read(b, 3), "345");  // the shared offset
  // Another description gets another token; bogus tokens fail.
  File c = must_open("f", RD);
  uint64_t t3;
  ASSERT_EQ(tmpfs_export(fs_, c.get(), &t3), 0);
  EXPECT_NE(t3, t1);
  EXPECT_EQ(tmpfs_import(fs_, t1 ^ (1ull << 40), &raw), -EBADF);
  EXPECT_EQ(tmpfs_import(fs_, 0, &raw), -EBADF);
  EXPECT_EQ(tmpfs_import(fs_, t1 + 100, &raw), -EBADF);
  // The token dies with the description, not with one reference.
  a.reset();
  ASSERT_EQ(tmpfs_import(fs_, t1, &raw), 0);
  tmpfs_file_put(fs_, raw);
  b.reset();
  EXPECT_EQ(tmpfs_import(fs_, t1, &raw), -EBADF);
  // A new export may reuse the slot, never the token.
  File d = must_open("f", RD);
  uint64_t t4;
  ASSERT_EQ(tmpfs_export(fs_, d.get(), &t4), 0);
  EXPECT_NE(t4, t1);
  EXPECT_EQ(tmpfs_import(fs_, t1, &raw), -EBADF);
}

// --- statfs and running out of space ----------------------------------------------------

TEST_F(Tmpfs, StatfsWithALimit) {
  make(false, 8 << 20);
  fs_statfs sf;
  ASSERT_EQ(tmpfs_statfs(fs_, &sf), 0);
  EXPECT_EQ(sf.type, 0x01021994u);
  EXPECT_EQ(sf.bsize, 4096u);
  EXPECT_EQ(sf.namelen, 255u);
  EXPECT_EQ(sf.blocks, 2048u);
  uint64_t free0 = sf.bfree;
  EXPECT_GE(free0, 2040u);
  EXPECT_EQ(sf.bavail, sf.bfree);
  mkfile("f", std::string(1 << 20, 'x'));
  ASSERT_EQ(tmpfs_statfs(fs_, &sf), 0);
  EXPECT_LE(sf.bfree, free0 - 256);
  EXPECT_GE(sf.bfree, free0 - 260);
  EXPECT_GE(sf.files, 2u);
}

TEST_F(Tmpfs, StatfsWithoutALimitAsksForFreeMemory) {
  tmpfs_destroy(fs_);
  tmpfs_config cfg{};
  cfg.free_mem = [](void* arg) -> uint64_t { return *static_cast<uint64_t*>(arg); };
  uint64_t free_bytes = 100 << 20;
  cfg.free_mem_arg = &free_bytes;
  fs_ = tmpfs_create(&cfg);
  ASSERT_NE(fs_, nullptr);
  fs_statfs sf;
  ASSERT_EQ(tmpfs_statfs(fs_, &sf), 0);
  EXPECT_EQ(sf.bfree, 25600u);
  EXPECT_EQ(sf.blocks, 25600u + (tmpfs_mem_used(fs_) + 4095) / 4096);
}

TEST_F(Tmpfs, RunningOutOfSpaceIsENOSPC) {
  make(false, 1 << 20);
  File f = must_open("f", CREAT | RW);
  std::string mib(1 << 20, 'x');
  long n = write(f, mib);
  EXPECT_GT(n, 0);  // a short write: what fitted
  EXPECT_LT(n, 1 << 20);
  EXPECT_EQ(n % 4096, 0);
  EXPECT_EQ(write(f, mib), -ENOSPC);  // then nothing more
  EXPECT_EQ(must_stat("f").size, static_cast<uint64_t>(n));
  EXPECT_EQ(read(f, 10, n - 10), std::string(10, 'x'));
  EXPECT_EQ(tmpfs_fallocate(fs_, f.get(), 0, n, 1 << 20), -ENOSPC);
  EXPECT_EQ(must_stat("f").size, static_cast<uint64_t>(n));
  // Metadata too, once the data fills everything.
  long rc = 0;
  int made = 0;
  for (; made < 100000; made++) {
    rc = mkdir(("d" + std::to_string(made)).c_str());
    if (rc != 0) break;
  }
  EXPECT_EQ(rc, -ENOSPC);
  // Freeing makes room again.
  ASSERT_EQ(tmpfs_ftruncate(fs_, f.get(), 0), 0);
  EXPECT_EQ(mkdir("again"), 0);
  EXPECT_EQ(write(f, "ok", 0), 2);
  ASSERT_EQ(rmdir("again"), 0);
  for (int i = 0; i < made; i++) ASSERT_EQ(rmdir(("d" + std::to_string(i)).c_str()), 0);
  f.reset();
  ASSERT_EQ(unlink("f"), 0);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

// Every allocation of an operation made to fail in turn: the operation
// fails cleanly and leaves no trace; then it succeeds.
// Closed descriptions are kept for the next opens (no malloc per open):
// they count as freed, and taking one is an allocation that can fail.
TEST_F(Tmpfs, DescriptionsAreReusedAndCountedAsFreed) {
  mkfile("f");
  uint64_t base = tmpfs_mem_used(fs_);
  {
    File a = must_open("f", RD);
    EXPECT_GT(tmpfs_mem_used(fs_), base);
  }
  EXPECT_EQ(tmpfs_mem_used(fs_), base);
  for (int i = 0; i < 100; i++) must_open("f", RD);
  EXPECT_EQ(tmpfs_mem_used(fs_), base);
  tmpfs_inject_alloc_failure(fs_, 0);
  EXPECT_EQ(open_err("f", RD), -ENOMEM);
  tmpfs_inject_alloc_failure(fs_, -1);
  {
    // More open at once than are kept: the rest are freed.
    std::vector<File> many;
    for (int i = 0; i < 40; i++) many.push_back(must_open("f", RD));
    EXPECT_EQ(read(many[39], 1, 0), "");
  }
  EXPECT_EQ(tmpfs_mem_used(fs_), base);
}

TEST_F(Tmpfs, EveryAllocationFailureIsCleanlyReported) {
  ASSERT_EQ(mkdir("d"), 0);
  // Eight entries: the next one grows the directory's tables.
  for (int i = 0; i < 8; i++) mkfile(("d/pre" + std::to_string(i)).c_str());
  mkfile("src", "S");
  struct Op {
    const char* what;
    std::function<long()> run;
    std::function<bool()> done;  // its effect is visible
  };
  std::vector<Op> ops = {
      {"create", [&] { return open_err("d/new", CREAT | WR); }, [&] { return exists("d/new"); }},
      {"mkdir", [&] { return mkdir("d/sub"); }, [&] { return exists("d/sub"); }},
      {"symlink", [&] { return symlink("target", "d/sym"); }, [&] { return exists("d/sym"); }},
      {"link", [&] { return link("src", "d/hard"); }, [&] { return exists("d/hard"); }},
      {"rename", [&] { return rename("src", "d/moved"); }, [&] { return exists("d/moved"); }},
      {"mkdir-in-empty", [&] { return mkdir("d/sub/x"); }, [&] { return exists("d/sub/x"); }},
      {"open-existing", [&] { return open_err("d/new", RD); }, [] { return false; }},
  };
  for (auto& op : ops) {
    for (long n = 0;; n++) {
      uint64_t before = tmpfs_mem_used(fs_), nodes = tmpfs_node_count(fs_);
      tmpfs_inject_alloc_failure(fs_, n);
      long rc = op.run();
      tmpfs_inject_alloc_failure(fs_, -1);
      if (rc == 0) break;
      ASSERT_TRUE(rc == -ENOSPC || rc == -ENOMEM) << op.what << " " << n << ": " << rc;
      EXPECT_EQ(tmpfs_mem_used(fs_), before) << op.what << " after failure " << n;
      EXPECT_EQ(tmpfs_node_count(fs_), nodes) << op.what;
      EXPECT_FALSE(op.done()) << op.what;
      ASSERT_LT(n, 20) << op.what;
    }
    if (std::string(op.what) != "open-existing") EXPECT_TRUE(op.done()) << op.what;
  }
  // Writes and fallocate: whatever they leave, it is consistent and all
  // of it goes with the file.
  File f = must_open("d/new", RW);
  for (long n = 0; n < 40; n++) {
    tmpfs_inject_alloc_failure(fs_, n);
    long w = write(f, std::string(5 * 4096, 'w'), n * 1000);
    long a = tmpfs_fallocate(fs_, f.get(), 0, 100000 + n * 4096, 3 * 4096);
    tmpfs_inject_alloc_failure(fs_, -1);
    EXPECT_TRUE(w > 0 || w == -ENOSPC) << w;
    EXPECT_TRUE(a == 0 || a == -ENOSPC) << a;
    if (w > 0) EXPECT_EQ(read(f, static_cast<size_t>(w), n * 1000), std::string(w, 'w'));
  }
  f.reset();
  for (const char* p : {"d/new", "d/sym", "d/hard", "d/moved"}) ASSERT_EQ(unlink(p), 0) << p;
  for (int i = 0; i < 8; i++) ASSERT_EQ(unlink(("d/pre" + std::to_string(i)).c_str()), 0);
  ASSERT_EQ(rmdir("d/sub/x"), 0);
  ASSERT_EQ(rmdir("d/sub"), 0);
  ASSERT_EQ(rmdir("d"), 0);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
  EXPECT_EQ(tmpfs_node_count(fs_), 1u);
}

// --- Memory accounting ----------------------------------------------------------------------

TEST_F(Tmpfs, MemoryReturnsToTheStartAfterEverythingIsDeleted) {
  std::mt19937 rng(7);
  for (int round = 0; round < 3; round++) {
    ASSERT_EQ(mkdir("t"), 0);
    for (int i = 0; i < 50; i++) {
      std::string d = "t/d" + std::to_string(i);
      ASSERT_EQ(mkdir(d.c_str()), 0);
      for (int j = 0; j < 20; j++) {
        std::string p = d + "/f" + std::to_string(j);
        File f = must_open(p.c_str(), CREAT | RW);
        std::string data(rng() % 20000, 'a' + j % 26);
        ASSERT_EQ(write(f, data, rng() % 50000), static_cast<long>(data.size()));
        if (j % 5 == 0) ASSERT_EQ(link(p.c_str(), (p + "-link").c_str()), 0);
        if (j % 7 == 0) ASSERT_EQ(symlink(p.c_str(), (p + "-sym").c_str()), 0);
        if (j % 3 == 0) ASSERT_EQ(tmpfs_ftruncate(fs_, f.get(), rng() % 30000), 0);
      }
    }
    EXPECT_GT(tmpfs_mem_used(fs_), base_ + (1u << 20));
    // Rename some around, then delete everything.
    for (int i = 0; i < 50; i += 3) {
      std::string a = "t/d" + std::to_string(i), b = "t/d" + std::to_string(i + 1) + "/moved";
      if (i + 1 < 50) ASSERT_EQ(rename(a.c_str(), b.c_str()), 0);
    }
    std::vector<std::string> stack{"t"};
    std::vector<std::string> dirs;
    while (!stack.empty()) {
      std::string d = stack.back();
      stack.pop_back();
      dirs.push_back(d);
      for (const auto& n : names(d.c_str())) {
        std::string p = d + "/" + n;
        if (S_ISDIR(must_stat(p.c_str(), AT_NOFOLLOW).mode))
          stack.push_back(p);
        else
          ASSERT_EQ(unlink(p.c_str()), 0) << p;
      }
    }
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ASSERT_EQ(rmdir(it->c_str()), 0) << *it;
    EXPECT_EQ(tmpfs_mem_used(fs_), base_) << "round " << round;
    EXPECT_EQ(tmpfs_node_count(fs_), 1u);
  }
}

TEST_F(Tmpfs, DestroyFreesAFullTree) {
  // Deep and wide, never cleaned up by hand: destroy (and LSan) must cope.
  std::string p;
  for (int i = 0; i < 300; i++) {
    p += (i ? "/" : "") + std::string("d");
    ASSERT_EQ(mkdir(p.c_str()), 0);
    mkfile((p + "f").c_str(), "x");
    if (i % 10 == 0) ASSERT_EQ(link((p + "f").c_str(), (p + "g").c_str()), 0);
  }
  EXPECT_EQ(tmpfs_node_count(fs_), 601u);
}

// --- Mapped files (tmpfs.c "Mapped files"; docs/mmap.md) ----------------------------

// The server's shared memory, on the host: calloc'ed blocks, counted.
struct FakeShm {
  std::map<uint64_t, std::pair<char*, uint64_t>> live;  // id -> base, size
  uint64_t next_id = 1;
  uint64_t max_size = ~0ull;
  static int create(void* arg, uint64_t size, void** base, uint64_t* id) {
    auto* s = static_cast<FakeShm*>(arg);
    if (size > s->max_size) return -ENOMEM;
    char* p = static_cast<char*>(calloc(1, size));
    if (p == nullptr) return -ENOMEM;
    *base = p;
    *id = s->next_id++;
    s->live[*id] = {p, size};
    return 0;
  }
  static void zero(void* arg, uint64_t id, uint64_t off, uint64_t len) {
    auto* s = static_cast<FakeShm*>(arg);
    auto& b = s->live.at(id);
    ASSERT_LE(off + len, b.second);
    memset(b.first + off, 0, len);
  }
  static void destroy(void* arg, uint64_t id, void* base, uint64_t size) {
    auto* s = static_cast<FakeShm*>(arg);
    ASSERT_EQ(s->live.at(id).first, base);
    ASSERT_EQ(s->live.at(id).second, size);
    free(base);
    s->live.erase(id);
  }
};

class TmpfsMmap : public Tmpfs {
 protected:
  void SetUp() override {
    tmpfs_config cfg{};
    cfg.clock = fake_clock;
    cfg.clock_arg = &clock_;
    cfg.shm_create = FakeShm::create;
    cfg.shm_zero = FakeShm::zero;
    cfg.shm_destroy = FakeShm::destroy;
    cfg.shm_arg = &shm_;
    fs_ = tmpfs_create(&cfg);
    ASSERT_NE(fs_, nullptr);
    base_ = tmpfs_mem_used(fs_);
  }
  void TearDown() override {
    Tmpfs::TearDown();
    fs_ = nullptr;
    EXPECT_TRUE(shm_.live.empty()) << "destroy left shared memory";
  }
  char* mem(uint64_t id) { return shm_.live.at(id).first; }
  FakeShm shm_;
};

TEST_F(Tmpfs, MmapWithoutSharedMemoryIsENODEV) {
  mkfile("f", "abc");
  File f = must_open("f", RW);
  uint64_t id;
  EXPECT_EQ(tmpfs_mmap(fs_, f.get(), 4096, 1, &id), -ENODEV);
}

TEST_F(TmpfsMmap, MappedFileIsTheSharedMemory) {
  std::string data(10000, 'd');
  data[0] = 'A';
  data[9999] = 'Z';
  mkfile("f", data);
  File f = must_open("f", RW);
  uint64_t id = 0, id2 = 0;
  ASSERT_EQ(tmpfs_mmap(fs_, f.get(), 8192, 1, &id), 0);
  // The file's pages moved into it; the rest of the last page is zero.
  char* m = mem(id);
  EXPECT_EQ(std::string(m, 10000), data);
  EXPECT_EQ(std::string(m + 10000, 12288 - 10000), std::string(12288 - 10000, '\0'));
  // write() is in the memory, a store in the memory is in read().
  EXPECT_EQ(write(f, "WRITE", 100), 5);
  EXPECT_EQ(std::string(m + 100, 5), "WRITE");
  memcpy(m + 5000, "STORE", 5);
  EXPECT_EQ(read(f, 5, 5000), "STORE");
  // A second mapping gets the same memory; size and blocks as before.
  ASSERT_EQ(tmpfs_mmap(fs_, f.get(), 4096, 0, &id2), 0);
  EXPECT_EQ(id2, id);
  EXPECT_EQ(shm_.live.size(), 1u);
  fs_stat st = must_stat("f");
  EXPECT_EQ(st.size, 10000u);
  EXPECT_EQ(st.blocks, 3u * 8);
  // Its pages no longer count as the file system's memory.
  f = File();
  EXPECT_EQ(unlink("f"), 0);
  EXPECT_TRUE(shm_.live.empty());
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

TEST_F(TmpfsMmap, MmapErrors) {
  mkfile("f", "abc");
  ASSERT_EQ(mkdir("d"), 0);
  uint64_t id;
  File ro = must_open("f", RD), wo = must_open("f", WR), rw = must_open("f", RW);
  File path = must_open("f", OPATH), dir = must_open("d", RD | DIRECTORY);
  EXPECT_EQ(tmpfs_mmap(fs_, wo.get(), 4096, 0, &id), -EACCES);
  EXPECT_EQ(tmpfs_mmap(fs_, ro.get(), 4096, 1, &id), -EACCES);
  EXPECT_EQ(tmpfs_mmap(fs_, path.get(), 4096, 0, &id), -EBADF);
  EXPECT_EQ(tmpfs_mmap(fs_, dir.get(), 4096, 0, &id), -ENODEV);
  EXPECT_EQ(tmpfs_mmap(fs_, rw.get(), 0, 0, &id), -EINVAL);
  EXPECT_EQ(tmpfs_mmap(fs_, rw.get(), ~0ull, 0, &id), -EINVAL);
  EXPECT_TRUE(shm_.live.empty());  // nothing made for a refused mapping
  ASSERT_EQ(tmpfs_mmap(fs_, ro.get(), 4096, 0, &id), 0);
  // Beyond the memory made at the first mapping (4 MiB): ENOMEM.
  EXPECT_EQ(tmpfs_mmap(fs_, rw.get(), 4u << 20, 1, &id), 0);
  EXPECT_EQ(tmpfs_mmap(fs_, rw.get(), (4u << 20) + 4096, 1, &id), -ENOMEM);
}

TEST_F(TmpfsMmap, SharedMemoryFailingIsENOMEM) {
  shm_.max_size = 0;
  mkfile("f", "abc");
  File f = must_open("f", RW);
  uint64_t id;
  EXPECT_EQ(tmpfs_mmap(fs_, f.get(), 4096, 1, &id), -ENOMEM);
  EXPECT_EQ(read(f, 3, 0), "abc");  // the file as it was
}

TEST_F(TmpfsMmap, TruncateZeroesAndGrowthClearsStoresPastTheEnd) {
  mkfile("f", std::string(3 * 4096, 'x'));
  File f = must_open("f", RW);
  uint64_t id;
  ASSERT_EQ(tmpfs_mmap(fs_, f.get(), 4 * 4096, 1, &id), 0);
  char* m = mem(id);
  ASSERT_EQ(tmpfs_ftruncate(fs_, f.get(), 100), 0);
  EXPECT_EQ(std::string(m, 100), std::string(100, 'x'));
  EXPECT_EQ(std::string(m + 100, 4 * 4096 - 100), std::string(4 * 4096 - 100, '\0'));
  // Stores past the end (a client's mapping) never become file data.
  memset(m + 200, 's', 5000);
  ASSERT_EQ(tmpfs_ftruncate(fs_, f.get(), 4096), 0);
  EXPECT_EQ(read(f, 4096 - 100, 100), std::string(4096 - 100, '\0'));
  memset(m + 4096, 's', 100);
  EXPECT_EQ(write(f, "w", 4096 + 50), 1);  // a write past the end, over stores
  EXPECT_EQ(read(f, 51, 4096), std::string(50, '\0') + "w");
  memset(m + 8192, 's', 100);
  ASSERT_EQ(tmpfs_fallocate(fs_, f.get(), 0, 8192, 100), 0);
  EXPECT_EQ(read(f, 100, 8192), std::string(100, '\0'));
  // Data past the shared memory stays in ordinary pages.
  EXPECT_EQ(write(f, "far", 8u << 20), 3);
  EXPECT_EQ(read(f, 3, 8u << 20), "far");
  ASSERT_EQ(tmpfs_ftruncate(fs_, f.get(), 0), 0);
  EXPECT_EQ(must_stat("f").blocks, 0u);
  f = File();
  EXPECT_EQ(unlink("f"), 0);
  EXPECT_EQ(tmpfs_mem_used(fs_), base_);
}

TEST_F(TmpfsMmap, DestroyFreesMappedFiles) {
  mkfile("f", "abc");
  File f = must_open("f", RW);
  uint64_t id;
  ASSERT_EQ(tmpfs_mmap(fs_, f.get(), 4096, 1, &id), 0);
  // Left open and named: TearDown's destroy must free the memory.
}

}  // namespace
