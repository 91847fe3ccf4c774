// user/system-services/tmpfs/locks.c: the advisory lock table (POSIX record,
// OFD and flock locks), called as tmpfs's protocol layer calls it. Tokens
// stand for the clients' notifications: the fakes record which were woken
// and which dropped.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#include "locks.h"

namespace {

std::vector<long> woken, dropped;

void fake_wake(long t) { woken.push_back(t); }
void fake_drop(long t) { dropped.push_back(t); }

int fs_a, fs_b;                 // two file systems
int p1, p2, p3;                 // three owners
constexpr uint64_t kIno = 7;

fslock_req req(const void* owner, int type, uint64_t start, uint64_t end,
               const void* fs = &fs_a, uint64_t ino = kIno, int kind = FSLOCK_RECORD) {
  return fslock_req{fs, ino, owner, 100, kind, type, start, end};
}

long set(const void* owner, int type, uint64_t start, uint64_t end, long token = -1,
         int kind = FSLOCK_RECORD) {
  int taken;
  fslock_req r = req(owner, type, start, end, &fs_a, kIno, kind);
  return fslock_set(&r, token, &taken);
}

fslock_conflict test(const void* owner, int type, uint64_t start, uint64_t end) {
  fslock_conflict c;
  fslock_req r = req(owner, type, start, end);
  fslock_test(&r, &c);
  return c;
}

class Locks : public ::testing::Test {
 protected:
  void SetUp() override {
    static const fslock_ops ops = {fake_wake, fake_drop};
    fslock_init(&ops);
    woken.clear();
    dropped.clear();
  }
  void TearDown() override {
    for (const void* o : {(const void*)&p1, (const void*)&p2, (const void*)&p3}) {
      fslock_release_owner(&fs_a, o, 0);
      fslock_release_owner(&fs_b, o, 0);
    }
    EXPECT_EQ(fslock_count(), 0u);
    EXPECT_EQ(fslock_waiter_count(), 0u);
  }
};

TEST_F(Locks, ReadLocksShareWriteLocksExclude) {
  EXPECT_EQ(set(&p1, FSLOCK_READ, 0, 100), 0);
  EXPECT_EQ(set(&p2, FSLOCK_READ, 50, 150), 0);
  EXPECT_EQ(set(&p3, FSLOCK_WRITE, 90, 95), -EAGAIN);
  EXPECT_EQ(set(&p3, FSLOCK_WRITE, 150, 200), 0);  // touching, not overlapping
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 60, 70), -EAGAIN);  // p2 reads there
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 10, 20), 0);        // upgrade of its own range
}

TEST_F(Locks, GetlkReportsTheConflictingLock) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 10, 20), 0);
  fslock_conflict c = test(&p2, FSLOCK_READ, 0, FSLOCK_EOF);
  EXPECT_EQ(c.type, FSLOCK_WRITE);
  EXPECT_EQ(c.start, 10u);
  EXPECT_EQ(c.end, 20u);
  EXPECT_EQ(c.pid, 100);
  EXPECT_EQ(test(&p1, FSLOCK_WRITE, 0, 100).type, FSLOCK_UNLOCK);  // its own
  EXPECT_EQ(test(&p2, FSLOCK_READ, 20, 30).type, FSLOCK_UNLOCK);
}

TEST_F(Locks, UnlockInTheMiddleSplitsAndNeighboursMerge) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 0, 100), 0);
  EXPECT_EQ(set(&p1, FSLOCK_UNLOCK, 40, 60), 0);
  EXPECT_EQ(fslock_count(), 2u);
  EXPECT_EQ(set(&p2, FSLOCK_WRITE, 40, 60), 0);      // the hole is free
  EXPECT_EQ(set(&p2, FSLOCK_WRITE, 39, 41), -EAGAIN);
  EXPECT_EQ(set(&p2, FSLOCK_UNLOCK, 40, 60), 0);
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 40, 60), 0);      // fills it: one lock again
  EXPECT_EQ(fslock_count(), 1u);
  fslock_conflict c = test(&p2, FSLOCK_READ, 0, 1);
  EXPECT_EQ(c.start, 0u);
  EXPECT_EQ(c.end, 100u);
  // A read lock inside a write lock: three pieces.
  EXPECT_EQ(set(&p1, FSLOCK_READ, 30, 70), 0);
  EXPECT_EQ(fslock_count(), 3u);
  EXPECT_EQ(set(&p2, FSLOCK_READ, 30, 70), 0);       // shares the read part
  EXPECT_EQ(set(&p2, FSLOCK_READ, 29, 70), -EAGAIN);
}

TEST_F(Locks, ToEndOfFileCoversEverythingAfter) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 1000, FSLOCK_EOF), 0);
  EXPECT_EQ(set(&p2, FSLOCK_READ, UINT64_MAX - 10, UINT64_MAX - 1), -EAGAIN);
  EXPECT_EQ(set(&p2, FSLOCK_READ, 0, 1000), 0);
}

TEST_F(Locks, FilesFileSystemsAndKindsAreApart) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 0, FSLOCK_EOF), 0);
  int taken;
  fslock_req other_ino = req(&p2, FSLOCK_WRITE, 0, 10, &fs_a, kIno + 64);  // same bucket
  EXPECT_EQ(fslock_set(&other_ino, -1, &taken), 0);
  fslock_req other_fs = req(&p2, FSLOCK_WRITE, 0, 10, &fs_b);
  EXPECT_EQ(fslock_set(&other_fs, -1, &taken), 0);
  // flock locks do not meet record locks (as on Linux).
  EXPECT_EQ(set(&p2, FSLOCK_WRITE, 0, FSLOCK_EOF, -1, FSLOCK_FLOCK), 0);
  EXPECT_EQ(set(&p3, FSLOCK_READ, 0, FSLOCK_EOF, -1, FSLOCK_FLOCK), -EAGAIN);
  fslock_release_owner(&fs_a, &p2, kIno + 64);
}

TEST_F(Locks, ABlockedRequestWaitsAndIsWokenByTheUnlock) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 0, 10), 0);
  int taken = 0;
  fslock_req r = req(&p2, FSLOCK_WRITE, 5, 6);
  EXPECT_EQ(fslock_set(&r, 41, &taken), -EAGAIN);
  EXPECT_EQ(taken, 1);
  EXPECT_EQ(fslock_waiter_count(), 1u);
  EXPECT_TRUE(woken.empty());
  // A change elsewhere in the file wakes it too (it asks again, fails and
  // waits again): what matters is that the unlock wakes it.
  EXPECT_EQ(set(&p1, FSLOCK_UNLOCK, 0, 10), 0);
  EXPECT_EQ(woken, std::vector<long>{41});
  EXPECT_EQ(fslock_waiter_count(), 0u);
  EXPECT_EQ(fslock_set(&r, -1, &taken), 0);
}

TEST_F(Locks, ReleasingAnOwnerWakesWaitersAndDropsItsOwnTokens) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 0, 10), 0);
  int taken;
  fslock_req r2 = req(&p2, FSLOCK_READ, 0, 10);
  EXPECT_EQ(fslock_set(&r2, 52, &taken), -EAGAIN);
  fslock_req r3 = req(&p3, FSLOCK_READ, 0, 10);
  EXPECT_EQ(fslock_set(&r3, 53, &taken), -EAGAIN);
  fslock_release_owner(&fs_a, &p3, 0);  // p3 is gone: its token is dropped
  EXPECT_EQ(dropped, std::vector<long>{53});
  fslock_release_owner(&fs_a, &p1, 0);  // p1 is gone: p2 wakes
  EXPECT_EQ(woken, std::vector<long>{52});
  EXPECT_EQ(fslock_count(), 0u);
}

TEST_F(Locks, ACycleOfWaitsIsEdeadlk) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 0, 10), 0);
  EXPECT_EQ(set(&p2, FSLOCK_WRITE, 20, 30), 0);
  int taken;
  fslock_req a = req(&p1, FSLOCK_WRITE, 20, 30);  // p1 waits for p2
  EXPECT_EQ(fslock_set(&a, 61, &taken), -EAGAIN);
  EXPECT_EQ(taken, 1);
  fslock_req b = req(&p2, FSLOCK_WRITE, 0, 10);   // p2 would wait for p1
  EXPECT_EQ(fslock_set(&b, 62, &taken), -EDEADLK);
  EXPECT_EQ(taken, 0);
  // flock waits are not checked (Linux does not either).
  EXPECT_EQ(set(&p3, FSLOCK_WRITE, 0, FSLOCK_EOF, -1, FSLOCK_FLOCK), 0);
}

TEST_F(Locks, WaitersPerOwnerAreLimited) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 0, 10), 0);
  int taken;
  fslock_req r = req(&p2, FSLOCK_WRITE, 0, 10);
  long rc = 0;
  int n = 0;
  while ((rc = fslock_set(&r, 1000 + n, &taken)) == -EAGAIN && n < 1000) n++;
  EXPECT_EQ(rc, -ENOLCK);
  EXPECT_LT(n, 1000);
  fslock_release_owner(&fs_a, &p2, 0);
  EXPECT_EQ(dropped.size(), static_cast<size_t>(n));
}

TEST_F(Locks, BadRequestsAreEinval) {
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 10, 10), -EINVAL);
  EXPECT_EQ(set(&p1, FSLOCK_WRITE, 10, 5), -EINVAL);
  EXPECT_EQ(set(&p1, 7, 0, 5), -EINVAL);
  EXPECT_EQ(fslock_count(), 0u);
}

}  // namespace
