/* Advisory file locks (see locks.h for the model).
 *
 * Locks are kept in a small hash table by inode, each bucket a list; a
 * file's locks are the entries of its bucket with its (fs, ino). An owner's
 * record locks on one file never overlap each other: setting a lock first
 * cuts the owner's other locks out of the range (splitting one that
 * contains it), then merges the new lock with the owner's locks of the same
 * type that overlap or touch it. Waiters are one list: they are few (one
 * per blocked request) and looked at only when a file's locks change.
 *
 * Every operation allocates what it may need before it changes anything,
 * so -ENOMEM leaves the table as it was. Wake-ups and token drops are
 * collected under the table's lock and made after it is released. */
#define _GNU_SOURCE
#include "locks.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 64
#define MAX_WAITERS_PER_OWNER 64
#define DEADLOCK_DEPTH 32
#define WAKE_BATCH 32

struct lock {
  struct lock* next;
  const void* fs;
  uint64_t ino;
  const void* owner;
  int32_t pid;
  int kind, type;
  uint64_t start, end;
};

struct waiter {
  struct waiter* next;
  const void* fs;
  uint64_t ino;
  const void* owner;
  const void* blocker; /* the owner of the lock it waits for */
  long token;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct lock* buckets[BUCKETS];
static struct waiter* waiters;
static unsigned long nlocks, nwaiters; /* written under mu, read anywhere */
static struct fslock_ops ops;

void fslock_init(const struct fslock_ops* o) { ops = *o; }

static struct lock** bucket(uint64_t ino) { return &buckets[ino % BUCKETS]; }

static int same_file(const struct lock* l, const struct fslock_req* r) {
  return l->fs == r->fs && l->ino == r->ino && l->kind == r->kind;
}

static int overlap(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2) {
  return s1 < e2 && s2 < e1;
}

static const struct lock* find_conflict(const struct fslock_req* r) {
  for (const struct lock* l = *bucket(r->ino); l; l = l->next)
    if (same_file(l, r) && l->owner != r->owner && overlap(l->start, l->end, r->start, r->end) &&
        (l->type == FSLOCK_WRITE || r->type == FSLOCK_WRITE))
      return l;
  return NULL;
}

void fslock_test(const struct fslock_req* r, struct fslock_conflict* out) {
  pthread_mutex_lock(&mu);
  const struct lock* l = find_conflict(r);
  memset(out, 0, sizeof(*out));
  out->type = FSLOCK_UNLOCK;
  if (l) {
    out->type = l->type;
    out->pid = l->pid;
    out->start = l->start;
    out->end = l->end;
  }
  pthread_mutex_unlock(&mu);
}

/* Tokens to wake or drop once the table's lock is released. */
struct pending {
  long wake[WAKE_BATCH], drop[WAKE_BATCH];
  int nwake, ndrop;
  int overflow; /* more than a batch: go round again */
};

/* Unlinks the waiters of (fs, ino) -- of every file of fs with ino 0 --
 * into p's wake list. */
static void take_waiters(const void* fs, uint64_t ino, struct pending* p) {
  for (struct waiter** w = &waiters; *w;) {
    struct waiter* x = *w;
    if (x->fs == fs && (ino == 0 || x->ino == ino)) {
      if (p->nwake == WAKE_BATCH) {
        p->overflow = 1;
        return;
      }
      p->wake[p->nwake++] = x->token;
      *w = x->next;
      free(x);
      __atomic_sub_fetch(&nwaiters, 1, __ATOMIC_RELAXED);
      continue;
    }
    w = &x->next;
  }
}

static void finish(struct pending* p) {
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < p->nwake; i++)
    if (ops.wake) ops.wake(p->wake[i]);
  for (int i = 0; i < p->ndrop; i++)
    if (ops.drop) ops.drop(p->drop[i]);
  p->nwake = p->ndrop = 0;
}

/* Would `owner` waiting for `blocker` close a cycle of waits? */
static int would_deadlock(const void* fs, const void* owner, const void* blocker) {
  const void* o = blocker;
  for (int depth = 0; depth < DEADLOCK_DEPTH; depth++) {
    const struct waiter* w = waiters;
    while (w && !(w->fs == fs && w->owner == o)) w = w->next;
    if (!w) return 0;
    if (w->blocker == owner) return 1;
    o = w->blocker;
  }
  return 0;
}

static long add_waiter(const struct fslock_req* r, const void* blocker, long token) {
  unsigned n = 0;
  for (const struct waiter* w = waiters; w; w = w->next) n += w->owner == r->owner;
  if (n >= MAX_WAITERS_PER_OWNER) return -ENOLCK;
  if (r->kind == FSLOCK_RECORD && would_deadlock(r->fs, r->owner, blocker)) return -EDEADLK;
  struct waiter* w = malloc(sizeof(*w));
  if (!w) return -ENOMEM;
  *w = (struct waiter){waiters, r->fs, r->ino, r->owner, blocker, token};
  waiters = w;
  __atomic_add_fetch(&nwaiters, 1, __ATOMIC_RELAXED);
  return 0;
}

long fslock_set(const struct fslock_req* r, long token, int* taken) {
  *taken = 0;
  if (r->start >= r->end || r->type < FSLOCK_UNLOCK || r->type > FSLOCK_WRITE) return -EINVAL;
  /* At most two new entries: the lock itself, and the far part of one of
   * the owner's locks that the new one splits. */
  struct lock* spare[2] = {malloc(sizeof(struct lock)), malloc(sizeof(struct lock))};
  if (!spare[0] || !spare[1]) {
    free(spare[0]);
    free(spare[1]);
    return -ENOMEM;
  }
  struct pending p = {0};
  pthread_mutex_lock(&mu);
  long rc = 0;
  if (r->type != FSLOCK_UNLOCK) {
    const struct lock* c = find_conflict(r);
    if (c) {
      rc = -EAGAIN;
      if (token >= 0) {
        long w = add_waiter(r, c->owner, token);
        if (w == 0)
          *taken = 1;
        else
          rc = w;
      }
      pthread_mutex_unlock(&mu);
      free(spare[0]);
      free(spare[1]);
      return rc;
    }
  }
  struct lock** head = bucket(r->ino);
  int nspare = 2, changed = 0;
  /* 1. Cut the owner's locks of another type (all of them for an unlock)
   * out of [start, end). */
  for (struct lock** pl = head; *pl;) {
    struct lock* l = *pl;
    if (!same_file(l, r) || l->owner != r->owner || l->type == r->type ||
        !overlap(l->start, l->end, r->start, r->end)) {
      pl = &l->next;
      continue;
    }
    changed = 1;
    int left = l->start < r->start, right = l->end > r->end;
    if (left && right) {
      struct lock* far = spare[--nspare];
      *far = *l;
      far->start = r->end;
      l->end = r->start;
      far->next = l->next;
      l->next = far;
      __atomic_add_fetch(&nlocks, 1, __ATOMIC_RELAXED);
      pl = &far->next;
    } else if (left) {
      l->end = r->start;
      pl = &l->next;
    } else if (right) {
      l->start = r->end;
      pl = &l->next;
    } else {
      *pl = l->next;
      free(l);
      __atomic_sub_fetch(&nlocks, 1, __ATOMIC_RELAXED);
    }
  }
  /* 2. The new lock, merged with the owner's locks of its type that
   * overlap or touch it. */
  if (r->type != FSLOCK_UNLOCK) {
    uint64_t s = r->start, e = r->end;
    for (struct lock** pl = head; *pl;) {
      struct lock* l = *pl;
      if (same_file(l, r) && l->owner == r->owner && l->type == r->type && l->start <= e &&
          s <= l->end) {
        if (l->start < s) s = l->start;
        if (l->end > e) e = l->end;
        *pl = l->next;
        free(l);
        __atomic_sub_fetch(&nlocks, 1, __ATOMIC_RELAXED);
        continue;
      }
      pl = &l->next;
    }
    struct lock* n = spare[--nspare];
    *n = (struct lock){*head, r->fs, r->ino, r->owner, r->pid, r->kind, r->type, s, e};
    *head = n;
    __atomic_add_fetch(&nlocks, 1, __ATOMIC_RELAXED);
    changed = 1;
  }
  /* A change may let waiters of the file through (an unlock, a
   * downgrade): each asks again. */
  if (changed) take_waiters(r->fs, r->ino, &p);
  int again = p.overflow;
  finish(&p);
  while (again) {
    p.overflow = 0;
    pthread_mutex_lock(&mu);
    take_waiters(r->fs, r->ino, &p);
    again = p.overflow;
    finish(&p);
  }
  for (int i = 0; i < nspare; i++) free(spare[i]);
  return rc;
}

int fslock_any(void) {
  return __atomic_load_n(&nlocks, __ATOMIC_RELAXED) != 0 ||
         __atomic_load_n(&nwaiters, __ATOMIC_RELAXED) != 0;
}

void fslock_release_owner(const void* fs, const void* owner, uint64_t ino) {
  /* The common case, on every close: nobody uses locks at all. (An
   * owner's own locks are added only under the file system's lock, which
   * the caller holds, so none can appear meanwhile.) */
  if (!fslock_any()) return;
  struct pending p = {0};
  /* The file whose waiters must wake: 0 none yet, UINT64_MAX several. */
  uint64_t wake_ino = 0;
  for (;;) {
    pthread_mutex_lock(&mu);
    for (int b = ino ? (int)(ino % BUCKETS) : 0; b < (ino ? (int)(ino % BUCKETS) + 1 : BUCKETS);
         b++) {
      for (struct lock** pl = &buckets[b]; *pl;) {
        struct lock* l = *pl;
        if (l->fs == fs && l->owner == owner && (ino == 0 || l->ino == ino)) {
          wake_ino = wake_ino == 0 || wake_ino == l->ino ? l->ino : UINT64_MAX;
          *pl = l->next;
          free(l);
          __atomic_sub_fetch(&nlocks, 1, __ATOMIC_RELAXED);
          continue;
        }
        pl = &l->next;
      }
    }
    for (struct waiter** w = &waiters; *w && p.ndrop < WAKE_BATCH;) {
      struct waiter* x = *w;
      if (x->fs == fs && x->owner == owner && (ino == 0 || x->ino == ino)) {
        p.drop[p.ndrop++] = x->token;
        *w = x->next;
        free(x);
        __atomic_sub_fetch(&nwaiters, 1, __ATOMIC_RELAXED);
        continue;
      }
      w = &x->next;
    }
    int more = p.ndrop == WAKE_BATCH;
    if (wake_ino != 0) {
      take_waiters(fs, wake_ino == UINT64_MAX ? 0 : wake_ino, &p);
      if (!p.overflow) wake_ino = 0; /* all woken */
      more = more || p.overflow;
      p.overflow = 0;
    }
    finish(&p);
    if (!more) return;
  }
}

unsigned long fslock_count(void) {
  pthread_mutex_lock(&mu);
  unsigned long n = nlocks;
  pthread_mutex_unlock(&mu);
  return n;
}

unsigned long fslock_waiter_count(void) {
  pthread_mutex_lock(&mu);
  unsigned long n = nwaiters;
  pthread_mutex_unlock(&mu);
  return n;
}
