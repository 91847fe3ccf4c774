// user/system-services/tmpfs/proto.c: the file-system protocol as tmpfs
// serves it, fed requests the way main.c feeds IPC messages. Each
// connection's buffer is a heap block of exactly its size, so AddressSanitizer
// catches any access beyond it; malformed requests (bad offsets, strings
// without their NUL, huge lengths, bad handles, unknown operations, random
// bytes) must get errors, never crashes. Several threads on several
// connections append to one file at once, as handler threads would.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tmpfs_test_util.h"

using namespace tmpfs_test;

namespace {

fs_req blank(int32_t handle = -1) {
  fs_req r{};
  r.handle = handle;
  return r;
}

// One connection: a client and its buffer.
class Conn {
 public:
  Conn(tmpfs* fs, bool privileged, size_t buf_size = 8192)
      : fs_(fs), c_(tmpfs_client_new(fs, privileged)), buf_(buf_size) {}
  ~Conn() { tmpfs_client_free(fs_, c_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  tmpfs_client* client() { return c_; }
  unsigned char* buf() { return buf_.data(); }
  size_t size() const { return buf_.size(); }
  unsigned long w[4] = {};
  unsigned long reply_len = 0;

  // Sends a request whose fs_req, strings and data are laid out by the
  // caller in buf() (req_len bytes).
  long raw(unsigned long op, unsigned long req_len, unsigned long buf_size) {
    unsigned long w_in[4] = {op, 0, 0, 0};
    for (auto& x : w) x = 0xdead;
    reply_len = 0xdead;
    long rc = tmpfs_proto_handle(fs_, c_, w_in, buf_.data(), buf_size, req_len, w, &reply_len);
    EXPECT_LE(reply_len, buf_size);
    if (rc < 0) {
      EXPECT_TRUE(rc >= -4095) << rc;
      if (rc != CHCORE_FS_REDIRECT) EXPECT_EQ(reply_len, 0u);
    }
    return rc;
  }

  // Lays out req, then path, path2 and data (setting their offsets), and
  // sends it.
  long call(unsigned long op, fs_req req, const char* path = nullptr, const char* path2 = nullptr,
            const std::string* data = nullptr) {
    size_t at = sizeof(fs_req);
    auto put = [&](const void* p, size_t n) {
      std::memcpy(buf_.data() + at, p, n);
      size_t start = at;
      at += n;
      return static_cast<uint32_t>(start);
    };
    if (path != nullptr) req.path = put(path, std::strlen(path) + 1);
    if (path2 != nullptr) req.path2 = put(path2, std::strlen(path2) + 1);
    if (data != nullptr) {
      req.data = put(data->data(), data->size());
      req.len = data->size();
    }
    std::memcpy(buf_.data(), &req, sizeof(req));
    return raw(op, at, buf_.size());
  }

  long open(const char* path, int flags, uint32_t mode = 0644) {
    fs_req r = blank();
    r.flags = flags;
    r.mode = mode;
    return call(FS_OPEN, r, path);
  }
  long close(long h) { return call(FS_CLOSE, blank(static_cast<int32_t>(h))); }
  long write(long h, const std::string& data, int64_t off = -1) {
    fs_req r = blank(static_cast<int32_t>(h));
    r.off = off;
    return call(FS_WRITE, r, nullptr, nullptr, &data);
  }
  std::string read(long h, size_t len, int64_t off = -1) {
    fs_req r = blank(static_cast<int32_t>(h));
    r.len = len;
    r.off = off;
    long n = call(FS_READ, r);
    EXPECT_GE(n, 0);
    if (n < 0) return "";
    EXPECT_EQ(reply_len, static_cast<unsigned long>(n));
    return std::string(reinterpret_cast<char*>(buf_.data()), static_cast<size_t>(n));
  }
  long lseek(long h, int64_t off, int whence) {
    fs_req r = blank(static_cast<int32_t>(h));
    r.off = off;
    r.flags = whence;
    return call(FS_LSEEK, r);
  }
  long stat(const char* path, fs_stat* st, int flags = 0, uint32_t nlinks = 0) {
    fs_req r = blank();
    r.flags = flags;
    r.nlinks = nlinks;
    long rc = call(FS_STAT, r, path);
    if (rc == 0) {
      EXPECT_EQ(reply_len, sizeof(fs_stat));
      std::memcpy(st, buf_.data(), sizeof(*st));
    }
    return rc;
  }
  fs_stat reply_stat() {
    fs_stat st;
    std::memcpy(&st, buf_.data(), sizeof(st));
    return st;
  }
  std::string reply_string(size_t from = 0) {
    return std::string(reinterpret_cast<char*>(buf_.data()) + from, reply_len - from);
  }

 private:
  tmpfs* fs_;
  tmpfs_client* c_;
  std::vector<unsigned char> buf_;
};

class Proto : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpfs_config cfg{};
    cfg.clock = fake_clock;
    cfg.clock_arg = &clock_;
    fs_ = tmpfs_create(&cfg);
    ASSERT_NE(fs_, nullptr);
    base_ = tmpfs_mem_used(fs_);
    a_ = std::make_unique<Conn>(fs_, true);  // fsm: privileged
    b_ = std::make_unique<Conn>(fs_, false);
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    tmpfs_destroy(fs_);
  }

  long mkdir(const char* path) {
    fs_req r = blank();
    r.mode = 0755;
    return a_->call(FS_MKDIR, r, path);
  }
  long symlink(const char* target, const char* path) {
    return a_->call(FS_SYMLINK, blank(), target, path);
  }

  FakeClock clock_;
  tmpfs* fs_ = nullptr;
  uint64_t base_ = 0;
  std::unique_ptr<Conn> a_, b_;
};

// --- Well-formed requests ------------------------------------------------------------

TEST_F(Proto, OpenRepliesStatAndTheCanonicalPathOfDirectories) {
  ASSERT_EQ(mkdir("dir"), 0);
  ASSERT_EQ(mkdir("dir/sub"), 0);
  long h = a_->open("/", RD | DIRECTORY);
  ASSERT_EQ(h, 0);
  EXPECT_EQ(a_->reply_len, sizeof(fs_stat) + 2);
  EXPECT_TRUE(S_ISDIR(a_->reply_stat().mode));
  EXPECT_EQ(a_->reply_string(sizeof(fs_stat)), std::string("/\0", 2));
  h = a_->open("dir//sub/../sub/", RD);
  ASSERT_EQ(h, 1);
  EXPECT_EQ(a_->reply_string(sizeof(fs_stat)), std::string("/dir/sub\0", 9));
  h = a_->open("file", CREAT | RW, 0600);
  ASSERT_EQ(h, 2);
  EXPECT_EQ(a_->reply_len, sizeof(fs_stat));  // no path for files
  fs_stat st = a_->reply_stat();
  EXPECT_TRUE(S_ISREG(st.mode));
  EXPECT_EQ(st.mode & 07777, 0600u);
  EXPECT_EQ(a_->open("missing", RD), -ENOENT);
}

TEST_F(Proto, HandlesAreSmallNumbersReusedLowestFirst) {
  EXPECT_EQ(a_->open("/", RD), 0);
  EXPECT_EQ(a_->open("/", RD), 1);
  EXPECT_EQ(a_->open("/", RD), 2);
  EXPECT_EQ(b_->open("/", RD), 0);  // per connection
  EXPECT_EQ(a_->close(1), 0);
  EXPECT_EQ(a_->close(1), -EBADF);
  EXPECT_EQ(a_->open("/", RD), 1);
  EXPECT_EQ(a_->open("/", RD), 3);
}

TEST_F(Proto, ReadWriteSeek) {
  long h = a_->open("f", CREAT | RW);
  ASSERT_GE(h, 0);
  EXPECT_EQ(a_->write(h, "hello world"), 11);
  EXPECT_EQ(a_->lseek(h, 0, SEEK_SET), 0);  // whence travels in flags
  EXPECT_EQ(a_->read(h, 5), "hello");
  EXPECT_EQ(a_->read(h, 100), " world");
  EXPECT_EQ(a_->read(h, 3, 6), "wor");  // pread: the offset stays
  EXPECT_EQ(a_->write(h, "W", 6), 1);   // pwrite
  EXPECT_EQ(a_->lseek(h, 0, SEEK_CUR), 11);
  EXPECT_EQ(a_->lseek(h, -5, SEEK_END), 6);
  EXPECT_EQ(a_->read(h, 100), "World");
  EXPECT_EQ(a_->lseek(h, 0, 99), -EINVAL);
  EXPECT_EQ(a_->write(h, ""), 0);
  fs_req r = blank(static_cast<int32_t>(h));
  EXPECT_EQ(a_->call(FS_FSTAT, r), 0);
  EXPECT_EQ(a_->reply_stat().size, 11u);
  EXPECT_EQ(a_->call(FS_FSYNC, r), 0);
  r.off = 4;
  EXPECT_EQ(a_->call(FS_FTRUNCATE, r), 0);
  fs_stat st;
  ASSERT_EQ(a_->stat("f", &st), 0);
  EXPECT_EQ(st.size, 4u);
  fs_req t = blank();
  t.off = 2;
  EXPECT_EQ(a_->call(FS_TRUNCATE, t, "f"), 0);
  ASSERT_EQ(a_->stat("f", &st), 0);
  EXPECT_EQ(st.size, 2u);
  fs_req fa = blank(static_cast<int32_t>(h));
  fa.flags = TMPFS_FALLOC_KEEP_SIZE;
  fa.off = 0;
  fa.len = 8192;
  EXPECT_EQ(a_->call(FS_FALLOCATE, fa), 0);
  ASSERT_EQ(a_->stat("f", &st), 0);
  EXPECT_EQ(st.size, 2u);
  EXPECT_EQ(st.blocks, 16u);
  fa.len = ~0ull;  // negative as a loff_t
  EXPECT_EQ(a_->call(FS_FALLOCATE, fa), -EINVAL);
}

TEST_F(Proto, NamesAndLinks) {
  ASSERT_EQ(mkdir("d"), 0);
  EXPECT_EQ(mkdir("d"), -EEXIST);
  long h = a_->open("d/f", CREAT | WR);
  ASSERT_GE(h, 0);
  EXPECT_EQ(a_->write(h, "content"), 7);
  EXPECT_EQ(a_->call(FS_LINK, blank(), "d/f", "d/g"), 0);
  EXPECT_EQ(a_->call(FS_RENAME, blank(), "d/g", "h"), 0);
  EXPECT_EQ(symlink("d/f", "s"), 0);
  EXPECT_EQ(a_->call(FS_READLINK, blank(), "s"), 3);
  EXPECT_EQ(a_->reply_string(), "d/f");
  fs_stat st;
  ASSERT_EQ(a_->stat("s", &st), 0);
  EXPECT_EQ(st.nlink, 2u);
  ASSERT_EQ(a_->stat("s", &st, AT_NOFOLLOW), 0);
  EXPECT_TRUE(S_ISLNK(st.mode));
  fs_req un = blank();
  EXPECT_EQ(a_->call(FS_UNLINK, un, "h"), 0);
  un.flags = CHCORE_FS_AT_REMOVEDIR;
  EXPECT_EQ(a_->call(FS_UNLINK, un, "d"), -ENOTEMPTY);
  fs_req acc = blank();
  acc.mode = X_OK;
  EXPECT_EQ(a_->call(FS_ACCESS, acc, "d/f"), -EACCES);
  fs_req rn = blank();
  rn.flags = CHCORE_FS_RENAME_NOREPLACE;
  EXPECT_EQ(a_->call(FS_RENAME, rn, "s", "d/f"), -EEXIST);
}

TEST_F(Proto, ChmodChownUtimensByPathOrHandle) {
  long h = a_->open("f", CREAT | RW, 0644);
  ASSERT_EQ(h, 0);
  fs_req r = blank();
  r.mode = 0600;
  EXPECT_EQ(a_->call(FS_CHMOD, r, "f"), 0);
  r = blank(0);
  r.mode = 0711;
  EXPECT_EQ(a_->call(FS_CHMOD, r), 0);  // by handle: no path needed
  r = blank(0);
  r.uid = 7;
  r.gid = 8;
  EXPECT_EQ(a_->call(FS_CHOWN, r), 0);
  r = blank();
  r.uid = 9;
  r.gid = (uint32_t)-1;
  EXPECT_EQ(a_->call(FS_CHOWN, r, "f"), 0);
  r = blank(0);
  r.times[0] = 1;
  r.times[1] = 2;
  r.times[2] = 3;
  r.times[3] = TMPFS_UTIME_OMIT;
  EXPECT_EQ(a_->call(FS_UTIMENS, r), 0);
  fs_stat st;
  ASSERT_EQ(a_->stat("f", &st), 0);
  EXPECT_EQ(st.mode & 07777, 0711u);
  EXPECT_EQ(st.uid, 9u);
  EXPECT_EQ(st.gid, 8u);
  EXPECT_EQ(st.atime_ns, 1000000002);
  r = blank();
  r.times[1] = TMPFS_UTIME_NOW;
  r.times[3] = TMPFS_UTIME_NOW;
  clock_.t = 777;
  EXPECT_EQ(a_->call(FS_UTIMENS, r, "f"), 0);
  ASSERT_EQ(a_->stat("f", &st), 0);
  EXPECT_EQ(st.mtime_ns, 777);
  r = blank(55);  // a handle that is not open: EBADF, not the path
  EXPECT_EQ(a_->call(FS_CHMOD, r, "f"), -EBADF);
}

TEST_F(Proto, GetdentsAndStatfs) {
  ASSERT_EQ(mkdir("d"), 0);
  for (int i = 0; i < 50; i++) {
    long h = a_->open(("d/entry" + std::to_string(i)).c_str(), CREAT | WR);
    ASSERT_GE(h, 0);
    ASSERT_EQ(a_->close(h), 0);
  }
  long h = a_->open("d", RD | DIRECTORY);
  ASSERT_GE(h, 0);
  std::set<std::string> seen;
  for (;;) {
    fs_req r = blank(static_cast<int32_t>(h));
    r.len = 300;
    long n = a_->call(FS_GETDENTS, r);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    EXPECT_LE(n, 300);
    EXPECT_EQ(a_->reply_len, static_cast<unsigned long>(n));
    for (auto& e : parse_dirents(a_->buf(), n)) EXPECT_TRUE(seen.insert(e.name).second);
  }
  EXPECT_EQ(seen.size(), 52u);
  EXPECT_EQ(a_->call(FS_STATFS, blank()), 0);
  ASSERT_EQ(a_->reply_len, sizeof(fs_statfs));
  fs_statfs sf;
  std::memcpy(&sf, a_->buf(), sizeof(sf));
  EXPECT_EQ(sf.type, TMPFS_MAGIC);
  EXPECT_EQ(sf.bsize, 4096u);
  EXPECT_EQ(sf.namelen, 255u);
}

// --- Redirects -----------------------------------------------------------------------------

TEST_F(Proto, RedirectReplies) {
  ASSERT_EQ(mkdir("d"), 0);
  ASSERT_EQ(symlink("/usr/lib", "d/abs"), 0);
  fs_stat st;
  EXPECT_EQ(a_->stat("d/abs/libc.so", &st, 0, 3), CHCORE_FS_REDIRECT);
  EXPECT_EQ(a_->w[0], static_cast<unsigned long>(FS_REDIR_ABSOLUTE));
  EXPECT_EQ(a_->w[2], 0u);  // the first path
  EXPECT_EQ(a_->w[3], 4u);  // 3 before, 1 here
  EXPECT_EQ(a_->reply_len, sizeof("/usr/lib/libc.so"));
  EXPECT_STREQ(reinterpret_cast<char*>(a_->buf()), "/usr/lib/libc.so");

  EXPECT_EQ(a_->stat("../up", &st), CHCORE_FS_REDIRECT);
  EXPECT_EQ(a_->w[0], static_cast<unsigned long>(FS_REDIR_UP));
  EXPECT_EQ(a_->w[3], 0u);
  EXPECT_STREQ(reinterpret_cast<char*>(a_->buf()), "up");

  // Mount points: only the privileged connection marks them.
  ASSERT_EQ(mkdir("mnt"), 0);
  fs_req m = blank();
  m.mode = 9;
  EXPECT_EQ(b_->call(FS_SET_MOUNTPOINT, m, "mnt"), -EPERM);
  EXPECT_EQ(a_->call(FS_SET_MOUNTPOINT, m, "mnt"), 0);
  EXPECT_EQ(b_->stat("mnt/x/y", &st), CHCORE_FS_REDIRECT);
  EXPECT_EQ(b_->w[0], static_cast<unsigned long>(FS_REDIR_MOUNT));
  EXPECT_EQ(b_->w[1], 9u);
  EXPECT_STREQ(reinterpret_cast<char*>(b_->buf()), "x/y");
  EXPECT_EQ(b_->open("mnt", RD), CHCORE_FS_REDIRECT);
  EXPECT_EQ(b_->reply_len, 1u);     // ""
  EXPECT_EQ(b_->open("/", RD), 0);  // the redirect used no handle

  // The second path.
  long h = a_->open("f", CREAT | WR);
  ASSERT_GE(h, 0);
  EXPECT_EQ(a_->call(FS_RENAME, blank(), "f", "mnt/f"), CHCORE_FS_REDIRECT);
  EXPECT_EQ(a_->w[2], 1u);
  EXPECT_EQ(a_->w[1], 9u);
  EXPECT_STREQ(reinterpret_cast<char*>(a_->buf()), "f");
  EXPECT_EQ(a_->call(FS_SYMLINK, blank(), "target", "../l"), CHCORE_FS_REDIRECT);
  EXPECT_EQ(a_->w[2], 1u);
  EXPECT_EQ(a_->w[0], static_cast<unsigned long>(FS_REDIR_UP));

  // Too many links before this server: ELOOP, not a redirect.
  EXPECT_EQ(a_->stat("d/abs", &st, 0, CHCORE_FS_SYMLOOP_MAX), -ELOOP);
}

TEST_F(Proto, RedirectThatDoesNotFitTheBufferFails) {
  std::string target = "/" + std::string(3000, 'x');
  ASSERT_EQ(symlink(target.c_str(), "l"), 0);
  Conn small(fs_, false, 1024);
  fs_req r = blank();
  EXPECT_EQ(small.call(FS_STAT, r, "l"), -ENAMETOOLONG);
}

// --- Sharing descriptions between connections --------------------------------------------

TEST_F(Proto, ExportImportSharesTheOffsetBetweenConnections) {
  long ha = a_->open("shared", CREAT | RW);
  ASSERT_EQ(ha, 0);
  ASSERT_EQ(a_->write(ha, "0123456789"), 10);
  ASSERT_EQ(a_->lseek(ha, 0, SEEK_SET), 0);
  ASSERT_EQ(a_->call(FS_EXPORT, blank(static_cast<int32_t>(ha))), 0);
  uint64_t token = a_->w[0];
  EXPECT_NE(token, 0u);
  EXPECT_NE(token >> 32, 0u);  // a random half
  fs_req imp = blank();
  imp.off = static_cast<int64_t>(token);
  long hb = b_->call(FS_IMPORT, imp);
  ASSERT_EQ(hb, 0);
  EXPECT_EQ(b_->read(hb, 4), "0123");
  EXPECT_EQ(a_->read(ha, 3), "456");  // moved by b
  EXPECT_EQ(b_->write(hb, "X"), 1);   // at 7
  EXPECT_EQ(a_->read(ha, 10, 0), "0123456X89");
  // Status flags are shared too.
  fs_req fl = blank(static_cast<int32_t>(hb));
  fl.flags = APPEND;
  EXPECT_EQ(b_->call(FS_SETFL, fl), 0);
  EXPECT_EQ(a_->write(ha, "end"), 3);
  EXPECT_EQ(a_->read(ha, 20, 0), "0123456X89end");
  // The token lives as long as the description: a's close does not end it.
  EXPECT_EQ(a_->close(ha), 0);
  Conn c(fs_, false);
  long hc = c.call(FS_IMPORT, imp);
  EXPECT_EQ(hc, 0);
  EXPECT_EQ(c.close(hc), 0);
  EXPECT_EQ(b_->close(hb), 0);  // the last handle
  EXPECT_EQ(c.call(FS_IMPORT, imp), -EBADF);
  imp.off = 12345;
  EXPECT_EQ(c.call(FS_IMPORT, imp), -EBADF);
  EXPECT_EQ(c.call(FS_EXPORT, blank(0)), -EBADF);
}

TEST_F(Proto, HandleTableFull) {
  for (int i = 0; i < TMPFS_MAX_HANDLES; i++) ASSERT_EQ(b_->open("/", RD), i);
  EXPECT_EQ(b_->open("/", RD), -EMFILE);
  ASSERT_EQ(a_->open("f", CREAT | RW), 0);
  ASSERT_EQ(a_->call(FS_EXPORT, blank(0)), 0);
  fs_req imp = blank();
  imp.off = static_cast<int64_t>(a_->w[0]);
  EXPECT_EQ(b_->call(FS_IMPORT, imp), -EMFILE);
  EXPECT_EQ(b_->close(500), 0);
  EXPECT_EQ(b_->call(FS_IMPORT, imp), 500);
}

TEST_F(Proto, ClosingAConnectionDropsItsHandles) {
  uint64_t before = tmpfs_mem_used(fs_);
  {
    Conn c(fs_, false);
    long h = c.open("tmp", CREAT | RW);
    ASSERT_GE(h, 0);
    for (int i = 0; i < 10; i++) ASSERT_EQ(c.write(h, std::string(8000, 'z')), 8000);
    for (int i = 0; i < 10; i++) ASSERT_GE(c.open("tmp", RD), 0);
    ASSERT_EQ(a_->call(FS_UNLINK, blank(), "tmp"), 0);
    EXPECT_GT(tmpfs_mem_used(fs_), before + 80000);  // open: still there
  }                                                  // closed: tmpfs_client_free
  EXPECT_EQ(tmpfs_mem_used(fs_), before);
  EXPECT_EQ(tmpfs_node_count(fs_), 1u);
}

// --- Malformed requests ------------------------------------------------------------------

TEST_F(Proto, UnknownOperations) {
  std::memset(a_->buf(), 0, sizeof(fs_req));
  for (unsigned long op : {0ul, static_cast<unsigned long>(FS_OP_COUNT), 1000ul, ~0ul}) {
    EXPECT_EQ(a_->raw(op, sizeof(fs_req), a_->size()), -ENOSYS) << op;
    EXPECT_EQ(a_->reply_len, 0u);
    for (auto w : a_->w) EXPECT_EQ(w, 0u);
  }
}

TEST_F(Proto, RequestSizes) {
  std::memset(a_->buf(), 0, sizeof(fs_req));
  EXPECT_EQ(a_->raw(FS_STATFS, sizeof(fs_req) - 1, a_->size()), -EINVAL);
  EXPECT_EQ(a_->raw(FS_STATFS, 0, a_->size()), -EINVAL);
  EXPECT_EQ(a_->raw(FS_STATFS, a_->size() + 1, a_->size()), -EINVAL);
  EXPECT_EQ(a_->raw(FS_STATFS, ~0ul, a_->size()), -EINVAL);
  unsigned long w_in[4] = {FS_STATFS, 0, 0, 0}, w[4], len;
  EXPECT_EQ(tmpfs_proto_handle(fs_, a_->client(), w_in, nullptr, 4096, 4096, w, &len), -EINVAL);
}

TEST_F(Proto, OpenReplyWithoutRoomForThePathFailsAndKeepsNoHandle) {
  ASSERT_EQ(mkdir("a-rather-long-directory-name"), 0);
  uint64_t before = tmpfs_mem_used(fs_);
  // Room for the request (fs_req and the path) but not for the reply (fs_stat,
  // "/" and the name).
  const size_t name = sizeof("a-rather-long-directory-name");
  const size_t size = std::max(sizeof(fs_req) + name, sizeof(fs_stat) + 2);
  ASSERT_LT(size, sizeof(fs_stat) + 1 + name);
  Conn small(fs_, false, size);
  EXPECT_EQ(small.open("a-rather-long-directory-name", RD), -ENAMETOOLONG);
  EXPECT_EQ(tmpfs_mem_used(fs_), before);
  EXPECT_EQ(small.open("/", RD), 0);  // handle 0 was never taken
}

TEST_F(Proto, PathOffsetsAndTerminators) {
  const size_t hdr = sizeof(fs_req);
  fs_req r = blank();
  auto send = [&](uint32_t path, unsigned long req_len) {
    r.path = path;
    std::memcpy(a_->buf(), &r, sizeof(r));
    return a_->raw(FS_STAT, req_len, a_->size());
  };
  std::memcpy(a_->buf() + hdr, "/\0", 2);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), hdr + 2), 0);  // well-formed
  EXPECT_EQ(send(0, hdr + 2), -EFAULT);                     // no path
  EXPECT_EQ(send(8, hdr + 2), -EFAULT);                     // inside fs_req
  EXPECT_EQ(send(static_cast<uint32_t>(hdr - 1), hdr + 2), -EFAULT);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr + 2), hdr + 2), -EFAULT);  // at the end
  EXPECT_EQ(send(0xffffffffu, hdr + 2), -EFAULT);
  // The NUL must be inside the request: "/" with its NUL cut off.
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), hdr + 1), -EFAULT);
  // A path of 4096 bytes and more without a NUL is too long.
  std::memset(a_->buf() + hdr, 'a', 5000);
  a_->buf()[hdr + 5000] = '\0';
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), hdr + 5001), -ENAMETOOLONG);
  a_->buf()[hdr + 4095] = '\0';  // 4095 bytes + NUL: fine (and not found)
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), hdr + 5001), -ENAMETOOLONG);  // one name of 4095
  std::memset(a_->buf() + hdr, '/', 4094);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), hdr + 5001), -ENOENT);
  // The second path of rename and link.
  fs_req two = blank();
  std::memcpy(a_->buf() + hdr, "x\0", 2);
  two.path = static_cast<uint32_t>(hdr);
  two.path2 = static_cast<uint32_t>(hdr + 100);
  std::memcpy(a_->buf(), &two, sizeof(two));
  EXPECT_EQ(a_->raw(FS_RENAME, hdr + 2, a_->size()), -EFAULT);
  EXPECT_EQ(a_->raw(FS_LINK, hdr + 2, a_->size()), -EFAULT);
  EXPECT_EQ(a_->raw(FS_SYMLINK, hdr + 2, a_->size()), -EFAULT);
  two.path2 = 0;
  std::memcpy(a_->buf(), &two, sizeof(two));
  EXPECT_EQ(a_->raw(FS_RENAME, hdr + 2, a_->size()), -EFAULT);
}

TEST_F(Proto, WriteDataAndLengths) {
  long h = a_->open("f", CREAT | RW);
  ASSERT_EQ(h, 0);
  const size_t hdr = sizeof(fs_req);
  auto send = [&](uint32_t data, uint64_t len, unsigned long req_len) {
    fs_req r = blank(0);
    r.off = -1;
    r.data = data;
    r.len = len;
    std::memcpy(a_->buf(), &r, sizeof(r));
    return a_->raw(FS_WRITE, req_len, a_->size());
  };
  std::memcpy(a_->buf() + hdr, "abcd", 4);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), 4, hdr + 4), 4);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), 5, hdr + 4), -EFAULT);  // one byte too many
  EXPECT_EQ(send(static_cast<uint32_t>(hdr + 1), 4, hdr + 4), -EFAULT);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr + 4), 1, hdr + 4), -EFAULT);
  EXPECT_EQ(send(0, 4, hdr + 4), -EFAULT);  // the data would be the request itself
  EXPECT_EQ(send(static_cast<uint32_t>(hdr - 4), 4, hdr + 4), -EFAULT);
  EXPECT_EQ(send(static_cast<uint32_t>(hdr), ~0ull, hdr + 4), -EFAULT);  // no wrap-around
  EXPECT_EQ(send(0xffffffffu, 2, hdr + 4), -EFAULT);
  EXPECT_EQ(send(0, 0, hdr), 0);  // nothing to write: no data needed
  // Reads and getdents bigger than the buffer.
  fs_req r = blank(0);
  r.len = a_->size() + 1;
  EXPECT_EQ(a_->call(FS_READ, r), -EINVAL);
  r.len = ~0ull;
  EXPECT_EQ(a_->call(FS_READ, r), -EINVAL);
  r.len = a_->size();
  r.off = 0;
  EXPECT_EQ(a_->call(FS_READ, r), 4);
  long d = a_->open("/", RD);
  r = blank(static_cast<int32_t>(d));
  r.len = a_->size() + 1;
  EXPECT_EQ(a_->call(FS_GETDENTS, r), -EINVAL);
  r.len = 10;
  EXPECT_EQ(a_->call(FS_GETDENTS, r), -EINVAL);  // not even "." fits
  EXPECT_EQ(a_->read(0, 100, 0), "abcd");        // nothing else happened
}

TEST_F(Proto, BadHandles) {
  ASSERT_EQ(a_->open("f", CREAT | RW), 0);
  const unsigned long ops[] = {FS_CLOSE,    FS_READ,      FS_WRITE,     FS_LSEEK,  FS_FSTAT,
                               FS_GETDENTS, FS_FTRUNCATE, FS_FALLOCATE, FS_FSYNC,  FS_SETFL,
                               FS_EXPORT,   FS_CHMOD,     FS_CHOWN,     FS_UTIMENS};
  for (int32_t h : {1, 2, 1023, 1024, 5000, INT32_MAX, INT32_MIN, -2}) {
    for (unsigned long op : ops) {
      // A negative handle means "by path" for these (and the path is missing).
      bool path_or_handle = op == FS_CHMOD || op == FS_CHOWN || op == FS_UTIMENS;
      long want = path_or_handle && h < 0 ? -EFAULT : -EBADF;
      fs_req r = blank(h);
      r.len = 1;
      r.data = sizeof(fs_req);
      std::memcpy(a_->buf(), &r, sizeof(r));
      a_->buf()[sizeof(fs_req)] = 'x';
      EXPECT_EQ(a_->raw(op, sizeof(fs_req) + 1, a_->size()), want) << op << " " << h;
    }
  }
  // -1 means "no handle" for the ops that take a path instead, and is bad
  // for the others.
  for (unsigned long op : {FS_READ, FS_CLOSE, FS_FSTAT}) {
    fs_req r = blank(-1);
    std::memcpy(a_->buf(), &r, sizeof(r));
    EXPECT_EQ(a_->raw(op, sizeof(fs_req), a_->size()), -EBADF) << op;
  }
  EXPECT_EQ(a_->read(0, 10, 0), "");  // handle 0 still fine
}

// Random requests: whatever they are, the answer is a result or an error,
// every access stays inside the buffer (ASan), and the file system works
// afterwards with nothing leaked (LSan, at destroy).
TEST_F(Proto, RandomRequestsNeverCrash) {
  // The connections first: closing one takes the file system's lock.
  a_.reset();
  b_.reset();
  tmpfs_destroy(fs_);
  tmpfs_config cfg{};
  cfg.max_bytes = 32 << 20;  // huge offsets must fail, not allocate gigabytes
  fs_ = tmpfs_create(&cfg);
  ASSERT_NE(fs_, nullptr);
  a_ = std::make_unique<Conn>(fs_, true);
  b_ = std::make_unique<Conn>(fs_, false, 4096);
  ASSERT_EQ(mkdir("d"), 0);
  ASSERT_EQ(mkdir("mnt"), 0);
  ASSERT_EQ(symlink("../up", "d/up"), 0);
  ASSERT_EQ(symlink("/abs", "d/abs"), 0);
  ASSERT_EQ(symlink("loop", "loop"), 0);
  const char* paths[] = {"",     "/",     "d",       "d/f",   "d/g/",   "f",    "../x",
                         "loop", "d/up",  "d/abs/x", "mnt",   "mnt/y",  ".",    "..",
                         "d/..", "d/f/x", "new",     "d/new", "//d//f", "d/abs"};
  std::mt19937_64 rng(2024);
  uint64_t token = 0;
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int i = 0; i < 200000; i++) {
    Conn& c = (i % 3 == 0) ? *b_ : *a_;
    unsigned long size = c.size();
    unsigned char* buf = c.buf();
    fs_req r{};
    // Mostly plausible values, sometimes anything.
    r.handle = pick(4) ? static_cast<int32_t>(pick(8)) - 1 : static_cast<int32_t>(rng());
    r.flags = pick(3) == 0   ? static_cast<int32_t>(pick(6))  // whence, small flags
              : pick(2) != 0 ? static_cast<int32_t>(pick(0x20000))
                             : static_cast<int32_t>(rng());
    r.mode = pick(2) ? static_cast<uint32_t>(pick(010000)) : static_cast<uint32_t>(rng());
    r.nlinks = static_cast<uint32_t>(pick(4) ? pick(45) : rng());
    r.off = pick(3) ? static_cast<int64_t>(pick(100000)) - 1 : static_cast<int64_t>(rng());
    r.len = pick(3) ? pick(9000) : rng();
    r.uid = static_cast<uint32_t>(rng());
    r.gid = static_cast<uint32_t>(rng());
    for (auto& t : r.times)
      t = pick(2) ? static_cast<int64_t>(pick(1u << 31)) : static_cast<int64_t>(rng());
    size_t at = sizeof(fs_req);
    auto place = [&](uint32_t* field) {
      if (pick(8) == 0) {
        *field = static_cast<uint32_t>(pick(2) ? rng() : pick(size + 10));
        return;
      }
      const char* p = paths[pick(sizeof(paths) / sizeof(paths[0]))];
      size_t n = std::strlen(p) + 1;
      if (at + n > size) return;
      std::memcpy(buf + at, p, n);
      if (pick(10) == 0) buf[at + n - 1] = 'z';  // no NUL
      *field = static_cast<uint32_t>(at);
      at += n;
    };
    place(&r.path);
    place(&r.path2);
    size_t dlen = pick(300);
    if (at + dlen <= size) {
      for (size_t k = 0; k < dlen; k++) buf[at + k] = static_cast<unsigned char>(rng());
      if (pick(2)) {
        r.data = static_cast<uint32_t>(at);
        r.len = pick(4) ? dlen : r.len;
      }
      at += dlen;
    }
    if (pick(8) == 0) r.data = static_cast<uint32_t>(rng());
    std::memcpy(buf, &r, sizeof(r));
    unsigned long req_len = at;
    if (pick(10) == 0) req_len = pick(size + 100);
    unsigned long op = pick(20) ? 1 + pick(FS_OP_COUNT - 1) : rng();
    // Fewer closes and mount points than the rest, so that handles and
    // paths stay useful; imports of real tokens now and then.
    if ((op == FS_CLOSE || op == FS_SET_MOUNTPOINT) && pick(4) != 0) op = FS_WRITE;
    if (op == FS_IMPORT && pick(2) != 0) {
      r.off = static_cast<int64_t>(token);
      std::memcpy(buf, &r, sizeof(r));
    }
    long rc = c.raw(op, req_len, size);
    ASSERT_TRUE(rc >= -4095) << "op " << op << " rc " << rc;
    if (op == FS_EXPORT && rc == 0) token = c.w[0];
  }
  // Still a working file system (once the handles the random opens and
  // imports left behind are closed: a connection has 1,024).
  for (long k = 0; k < TMPFS_MAX_HANDLES; k++) a_->close(k);
  long h = a_->open("after", CREAT | EXCL | RW);
  ASSERT_GE(h, 0);
  EXPECT_EQ(a_->write(h, "works"), 5);
  EXPECT_EQ(a_->read(h, 5, 0), "works");
}

// --- Threads ---------------------------------------------------------------------------------

// Four handler threads on four connections append 1,000 records each to
// one file: every record arrives whole, none is lost, each thread's are in
// its order.
TEST_F(Proto, ConcurrentAppendsNeitherLoseNorInterleave) {
  constexpr int kThreads = 4, kRecords = 1000;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Conn c(fs_, false);
      long h = c.open("log", CREAT | WR | APPEND);
      if (h < 0) {
        failures++;
        return;
      }
      for (int n = 0; n < kRecords; n++) {
        // Records of different lengths, so that an overlap would show.
        std::string rec = "<" + std::to_string(t) + ":" + std::to_string(n) + ":" +
                          std::string(static_cast<size_t>(n % 97), static_cast<char>('a' + t)) +
                          ">\n";
        if (c.write(h, rec) != static_cast<long>(rec.size())) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);
  long h = a_->open("log", RD);
  ASSERT_GE(h, 0);
  std::string all;
  for (;;) {
    std::string part = a_->read(h, 8000);
    if (part.empty()) break;
    all += part;
  }
  std::vector<int> next(kThreads, 0);
  size_t pos = 0, records = 0;
  while (pos < all.size()) {
    size_t end = all.find('\n', pos);
    ASSERT_NE(end, std::string::npos);
    std::string line = all.substr(pos, end - pos);
    pos = end + 1;
    int t = -1, n = -1, len = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "<%d:%d:%n", &t, &n, &len), 2) << line;
    ASSERT_TRUE(t >= 0 && t < kThreads) << line;
    EXPECT_EQ(n, next[t]) << "thread " << t << " out of order: " << line;
    next[t] = n + 1;
    std::string body = line.substr(static_cast<size_t>(len));
    EXPECT_EQ(body, std::string(static_cast<size_t>(n % 97), static_cast<char>('a' + t)) + ">")
        << line;
    records++;
  }
  EXPECT_EQ(records, static_cast<size_t>(kThreads * kRecords));
  for (int t = 0; t < kThreads; t++) EXPECT_EQ(next[t], kRecords);
}

// Threads creating, listing and removing entries of one directory at once
// (the lock serialises them): the end state is exact.
TEST_F(Proto, ConcurrentNamespaceChanges) {
  ASSERT_EQ(mkdir("shared"), 0);
  constexpr int kThreads = 4, kFiles = 300;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      Conn c(fs_, false);
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < kFiles; i++) {
          std::string p = "shared/t" + std::to_string(t) + "-" + std::to_string(i);
          long h = c.open(p.c_str(), CREAT | EXCL | WR);
          if (h < 0 || c.write(h, p) != static_cast<long>(p.size()) || c.close(h) != 0) failures++;
        }
        long d = c.open("shared", RD | DIRECTORY);
        fs_req r = blank(static_cast<int32_t>(d));
        r.len = 4096;
        while (c.call(FS_GETDENTS, r) > 0) {
        }
        c.close(d);
        for (int i = 0; i < kFiles; i += 1 + round) {
          std::string p = "shared/t" + std::to_string(t) + "-" + std::to_string(i);
          if (c.call(FS_UNLINK, blank(), p.c_str()) != 0) failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  // Round 1 removed every other file of each thread.
  long d = a_->open("shared", RD | DIRECTORY);
  ASSERT_GE(d, 0);
  std::set<std::string> left;
  for (;;) {
    fs_req r = blank(static_cast<int32_t>(d));
    r.len = 4096;
    long n = a_->call(FS_GETDENTS, r);
    ASSERT_GE(n, 0);
    if (n == 0) break;
    for (auto& e : parse_dirents(a_->buf(), n))
      if (e.name != "." && e.name != "..") left.insert(e.name);
  }
  EXPECT_EQ(left.size(), static_cast<size_t>(kThreads * kFiles / 2));
  EXPECT_TRUE(left.count("t0-1"));
  EXPECT_FALSE(left.count("t0-0"));
}

}  // namespace
