/* Advisory file locks for a file-system server: POSIX record locks
 * (fcntl F_SETLK...), open-file-description locks (F_OFD_SETLK...) and
 * flock, as Linux keeps them (docs/services.md, "File locks").
 *
 * A lock belongs to an owner, an opaque pointer the server chooses:
 *  - a POSIX record lock to the process, i.e. the server's connection
 *    (every process has one connection per server);
 *  - an OFD lock and a flock lock to the open file description.
 * Record locks (POSIX and OFD) share one space of byte ranges per file and
 * conflict with each other; flock locks cover the whole file and are a
 * space of their own (Linux keeps the two apart). Two locks conflict when
 * their owners differ, their ranges overlap and one of them is a write
 * (exclusive) lock. Setting a lock replaces the owner's own locks in the
 * range (splitting and merging as needed), so an owner never conflicts
 * with itself.
 *
 * Waiting. A server must not block a handler thread (it serves the whole
 * process's connection, and the lock holder may be another thread of that
 * process), so a blocking request that conflicts registers a waiter -- a
 * token the server can wake, in ChCore a notification the client sent --
 * and fails with -EAGAIN; the client waits on its notification and asks
 * again. Any change to a file's locks wakes (and forgets) all its waiters.
 * A waiter also records whom it waits for, which finds deadlocks between
 * POSIX owners (-EDEADLK, as Linux).
 *
 * The table has its own lock: callers need not hold anything. No ChCore
 * dependency: the wake-up and the release of a token are callbacks. */
#ifndef TMPFS_LOCKS_H
#define TMPFS_LOCKS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum fslock_kind { FSLOCK_RECORD, FSLOCK_FLOCK };
enum fslock_type { FSLOCK_UNLOCK, FSLOCK_READ, FSLOCK_WRITE };

/* Ranges are [start, end); FSLOCK_EOF is "to the end of the file, however
 * far it grows". */
#define FSLOCK_EOF UINT64_MAX

struct fslock_req {
  const void* fs;       /* the file system (several in one process: tests) */
  uint64_t ino;
  const void* owner;
  int32_t pid;          /* reported to F_GETLK (-1 for OFD and flock locks) */
  int kind;             /* enum fslock_kind */
  int type;             /* enum fslock_type */
  uint64_t start, end;
};

/* What conflicts with a request (fslock_test). */
struct fslock_conflict {
  int type;             /* FSLOCK_UNLOCK: nothing */
  int32_t pid;
  uint64_t start, end;
};

/* Called (without the table's lock) to wake a waiter's token, and to drop
 * a token that will not be woken (its owner went). */
struct fslock_ops {
  void (*wake)(long token);
  void (*drop)(long token);
};
void fslock_init(const struct fslock_ops* ops);

/* F_GETLK: the first lock that would conflict with r (r->type READ or
 * WRITE). */
void fslock_test(const struct fslock_req* r, struct fslock_conflict* out);

/* F_SETLK / flock: 0, -EAGAIN (a conflict), -ENOMEM, -ENOLCK (too many
 * waiters). With token >= 0 a conflict also registers the token as a
 * waiter of the file (the table then owns it: woken or dropped later);
 * -EDEADLK instead if waiting would close a cycle of POSIX owners (the
 * token is then not taken). *taken tells whether the token was taken. */
long fslock_set(const struct fslock_req* r, long token, int* taken);

/* An owner is gone: all its locks (of any file of fs, or of file ino only
 * with ino != 0) and its waiters go, and the files' waiters wake. */
void fslock_release_owner(const void* fs, const void* owner, uint64_t ino);

/* Whether any lock or waiter exists at all (a cheap test for the close
 * path). */
int fslock_any(void);

/* Locks and waiters held (for leak checks in tests). */
unsigned long fslock_count(void);
unsigned long fslock_waiter_count(void);

#ifdef __cplusplus
}
#endif

#endif
