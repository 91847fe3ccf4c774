/* tmpfs: the in-memory file system (see tmpfs.h for the interface).
 *
 * Nodes. A struct tmpfs_node is an inode: its type and permission bits,
 * link count, owner, three timestamps and the contents of its type:
 *  - a regular file's data is a table of pointers to 4 KiB pages; a NULL
 *    entry is a hole, which reads as zeros and costs no page. Every byte
 *    of a page beyond the file's size is zero (writes extend the size,
 *    truncation zeroes the tail), so growing a file needs no clearing;
 *    once the file is memory-mapped, its first pages are shared memory
 *    instead (see "Mapped files" below);
 *  - a directory holds its entries twice over: in a hash table by name (for
 *    lookups) and in an array ordered by creation sequence number (for
 *    getdents, see "Directories" below), plus a link to its parent;
 *  - a symlink holds its target string.
 * A node lives while it has a name (nlink > 0) or an open description
 * refers to it (refs > 0): unlinking an open file keeps it readable until
 * its last description goes.
 *
 * Directories. Each entry gets a sequence number from its directory's
 * counter, which never goes back. A directory description's position is
 * the sequence number of the last entry getdents returned, and getdents
 * continues with the first entry whose number is larger. Entries created
 * meanwhile get larger numbers (they come later), removed ones just
 * disappear, so an entry that stays is returned exactly once. The ordered
 * array keeps a removed entry's slot (with its number, as a tombstone)
 * until tombstones are half of it, so a binary search finds a position in
 * O(log n).
 *
 * Path walks follow fs.h: walk_parent() walks all components but the last
 * and leaves the directory that should hold it; walk_last() looks the last
 * one up. A symlink is followed by replacing its name in the path with its
 * target and walking on from the directory that holds it, in one of two
 * scratch buffers (the new path is built in the one the old path is not
 * in). Leaving the file system (a mount point, ".." at the root, an
 * absolute symlink) ends the walk with a redirect.
 *
 * Memory. Every allocation goes through fs_alloc()/fs_free(), which count
 * the bytes (the callers know the sizes), enforce the configured limit and
 * let tests make any allocation fail (open file descriptions through
 * file_alloc()/file_free(), which keep a few freed ones for reuse).
 * Operations allocate everything they need before they change anything,
 * so a failure leaves no trace. */
#define _GNU_SOURCE
#include "tmpfs.h"

#include "locks.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE TMPFS_PAGE_SIZE
#define MAX_PAGES ((uint64_t)TMPFS_MAX_FILE_SIZE / PAGE)
#define LINK_MAX_COUNT 0xfffffffeu
/* Linux tmpfs reports a directory's size as 20 bytes per entry. */
#define BOGO_DIRENT_SIZE 20
/* d_type values of struct linux_dirent64. */
#define DT_DIR_ 4
#define DT_REG_ 8
#define DT_LNK_ 10
/* The smallest directory tables worth allocating. */
#define DIR_MIN_BUCKETS 8
#define DIR_MIN_SLOTS 8

struct tmpfs_dirent;

struct dir_slot {
  uint64_t seq;
  struct tmpfs_dirent* e; /* NULL: removed (the slot keeps its seq) */
};

struct tmpfs_node {
  uint64_t ino;
  uint32_t mode; /* S_IFMT type and permission bits */
  uint32_t nlink;
  uint32_t uid, gid;
  uint32_t refs; /* open descriptions */
  int64_t atime, mtime, ctime;
  union {
    struct {
      uint64_t size;
      void** pages;    /* pages[i] holds bytes [i * PAGE, (i + 1) * PAGE) */
      uint64_t npages; /* entries of pages[] */
      uint64_t nalloc; /* non-NULL entries, the shared pages not counted */
      /* Shared memory (tmpfs_mmap): pages[i] = shm + i * PAGE for
       * i < shm_pages; NULL until the file is first mapped. */
      char* shm;
      uint64_t shm_pages;
      uint64_t shm_id;
    } reg;
    struct {
      struct tmpfs_node* parent;   /* NULL for the root and once removed */
      struct tmpfs_dirent* dentry; /* the entry naming it in parent */
      struct tmpfs_dirent** buckets;
      size_t nbuckets;        /* 0 or a power of two */
      struct dir_slot* slots; /* ordered by seq */
      size_t nslots, slots_cap;
      size_t count; /* live entries */
      uint64_t next_seq;
      uint64_t mount_id; /* 0: not a mount point */
    } dir;
    struct {
      char* target; /* NUL-terminated */
      size_t len;
    } lnk;
  } u;
};

struct tmpfs_dirent {
  struct tmpfs_dirent* hnext; /* hash chain */
  struct tmpfs_node* node;
  uint64_t seq;
  size_t slot; /* index in the directory's slots[] */
  uint32_t hash;
  uint16_t len;
  char name[]; /* NUL-terminated */
};

struct tmpfs_file {
  struct tmpfs_node* node;
  int64_t pos; /* byte offset, or directory position */
  int flags;   /* O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH */
  uint32_t refs;
  uint64_t token; /* 0: not exported */
};

struct export_slot {
  uint64_t token;
  struct tmpfs_file* f; /* NULL: free */
};

struct tmpfs {
  int lock; /* fs_lock's futex word */
  int (*shm_create)(void* arg, uint64_t size, void** base, uint64_t* id);
  void (*shm_zero)(void* arg, uint64_t id, uint64_t off, uint64_t len);
  void (*shm_destroy)(void* arg, uint64_t id, void* base, uint64_t size);
  void* shm_arg;
  struct tmpfs_node* root;
  bool global_root;
  int64_t (*clock)(void*);
  void* clock_arg;
  uint64_t max_bytes;
  uint64_t (*free_mem)(void*);
  void* free_mem_arg;
  uint64_t dev;

  uint64_t bytes;  /* held now */
  uint64_t nnodes; /* alive */
  uint64_t next_ino;
  long fail_after; /* < 0: no injected failures */
  uint64_t rng;    /* fallback token randomness */

  struct export_slot* exports;
  size_t nexports, exports_live;

  /* Freed open file descriptions, for the next opens (file_alloc). */
  struct tmpfs_file* file_cache[16];
  size_t nfile_cache;

  /* Working paths of walks: a pair per path of a call (rename and link
   * walk two paths and keep the first one's result). */
  char scratch[2][2][CHCORE_FS_PATH_MAX];
  struct tmpfs_redirect spare_redirect; /* for callers passing r = NULL */
};

/* --- Memory ------------------------------------------------------------------- */

/* Whether size more bytes may be held (the limit, injected failures); if
 * so, they are counted. */
static bool fs_charge(struct tmpfs* fs, size_t size) {
  if (fs->fail_after >= 0) {
    if (fs->fail_after == 0) return false;
    fs->fail_after--;
  }
  if (fs->max_bytes != 0 && (size > fs->max_bytes || fs->bytes > fs->max_bytes - size)) return false;
  fs->bytes += size;
  return true;
}

static void* fs_alloc(struct tmpfs* fs, size_t size) {
  if (!fs_charge(fs, size)) return NULL;
  void* p = calloc(1, size);
  if (p == NULL) fs->bytes -= size;
  return p;
}

static void fs_free(struct tmpfs* fs, void* p, size_t size) {
  if (p == NULL) return;
  free(p);
  fs->bytes -= size;
}

/* Open file descriptions come and go with every open and close. Freed ones
 * wait in fs->file_cache for the next opens, so that an open and a close
 * cost no malloc and free (in the server, musl's allocator also touches the
 * FP/SIMD registers, which costs the calling client two traps: see
 * user/CMakeLists.txt). A cached description counts as freed; taking one
 * is an allocation like fs_alloc's (the limit, injected failures). */
static struct tmpfs_file* file_alloc(struct tmpfs* fs) {
  if (fs->nfile_cache == 0) return fs_alloc(fs, sizeof(struct tmpfs_file));
  if (!fs_charge(fs, sizeof(struct tmpfs_file))) return NULL;
  struct tmpfs_file* f = fs->file_cache[--fs->nfile_cache];
  *f = (struct tmpfs_file){0};
  return f;
}

static void file_free(struct tmpfs* fs, struct tmpfs_file* f) {
  size_t max = sizeof(fs->file_cache) / sizeof(fs->file_cache[0]);
  if (fs->nfile_cache == max) {
    fs_free(fs, f, sizeof(*f));
    return;
  }
  fs->file_cache[fs->nfile_cache++] = f;
  fs->bytes -= sizeof(*f);
}

/* --- Small helpers ------------------------------------------------------------ */

static bool is_dir(const struct tmpfs_node* n) { return S_ISDIR(n->mode); }
static bool is_reg(const struct tmpfs_node* n) { return S_ISREG(n->mode); }
static bool is_lnk(const struct tmpfs_node* n) { return S_ISLNK(n->mode); }
static bool is_mount(const struct tmpfs_node* n) { return is_dir(n) && n->u.dir.mount_id != 0; }

/* File times come from the coarse wall clock, as Linux's tmpfs takes them
 * (current_time()): a read or write needs a timestamp, not a precise one,
 * and the coarse clock costs no kernel entry. */
static int64_t default_clock(void* arg) {
  (void)arg;
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t default_free_mem(void* arg) {
  (void)arg;
  long pages = sysconf(_SC_AVPHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}

static int64_t now(struct tmpfs* fs) { return fs->clock(fs->clock_arg); }

static void touch_dir(struct tmpfs_node* d, int64_t t) { d->mtime = d->ctime = t; }

static struct tmpfs_redirect* redirect_of(struct tmpfs* fs, struct tmpfs_redirect* r) {
  if (r != NULL) return r;
  fs->spare_redirect.nlinks = 0;
  return &fs->spare_redirect;
}

/* --- Nodes ------------------------------------------------------------------- */

static struct tmpfs_node* node_new(struct tmpfs* fs, uint32_t mode) {
  struct tmpfs_node* n = fs_alloc(fs, sizeof(*n));
  if (n == NULL) return NULL;
  n->ino = fs->next_ino++;
  n->mode = mode;
  n->atime = n->mtime = n->ctime = now(fs);
  if (S_ISDIR(mode)) n->u.dir.next_seq = TMPFS_DIR_FIRST_SEQ;
  fs->nnodes++;
  return n;
}

static void pages_free_from(struct tmpfs* fs, struct tmpfs_node* n, uint64_t first);
static void table_fit(struct tmpfs* fs, struct tmpfs_node* n);

static void node_free(struct tmpfs* fs, struct tmpfs_node* n) {
  if (is_reg(n)) {
    if (n->u.reg.shm != NULL) {
      fs->shm_destroy(fs->shm_arg, n->u.reg.shm_id, n->u.reg.shm, n->u.reg.shm_pages * PAGE);
      for (uint64_t i = 0; i < n->u.reg.shm_pages; i++) n->u.reg.pages[i] = NULL;
      n->u.reg.shm = NULL;
      n->u.reg.shm_pages = 0;
    }
    pages_free_from(fs, n, 0);
    table_fit(fs, n);
  } else if (is_lnk(n)) {
    fs_free(fs, n->u.lnk.target, n->u.lnk.len + 1);
  } else {
    /* Only empty directories are freed; their tables are gone with their
     * last entry. */
    fs_free(fs, n->u.dir.buckets, n->u.dir.nbuckets * sizeof(*n->u.dir.buckets));
    fs_free(fs, n->u.dir.slots, n->u.dir.slots_cap * sizeof(*n->u.dir.slots));
  }
  fs_free(fs, n, sizeof(*n));
  fs->nnodes--;
}

/* Frees a node that has neither a name nor an open description. */
static void node_release_if_unused(struct tmpfs* fs, struct tmpfs_node* n) {
  if (n->nlink == 0 && n->refs == 0 && n != fs->root) node_free(fs, n);
}

static void fill_stat(struct tmpfs* fs, const struct tmpfs_node* n, struct fs_stat* st) {
  memset(st, 0, sizeof(*st));
  st->ino = n->ino;
  if (is_reg(n)) {
    st->size = n->u.reg.size;
    /* The shared pages within the size count as allocated. */
    uint64_t shm = (n->u.reg.size + PAGE - 1) / PAGE;
    if (shm > n->u.reg.shm_pages) shm = n->u.reg.shm_pages;
    st->blocks = (n->u.reg.nalloc + shm) * (PAGE / 512);
  } else if (is_dir(n)) {
    st->size = (n->u.dir.count + 2) * BOGO_DIRENT_SIZE;
  } else {
    st->size = n->u.lnk.len;
  }
  st->mode = n->mode;
  st->nlink = n->nlink;
  st->uid = n->uid;
  st->gid = n->gid;
  st->dev = fs->dev;
  st->atime_ns = n->atime;
  st->mtime_ns = n->mtime;
  st->ctime_ns = n->ctime;
  st->blksize = PAGE;
}

/* --- Directories --------------------------------------------------------------- */

static uint32_t name_hash(const char* s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

static size_t dirent_size(size_t len) { return sizeof(struct tmpfs_dirent) + len + 1; }

static struct tmpfs_dirent* dir_lookup(const struct tmpfs_node* d, const char* name, size_t len) {
  if (d->u.dir.nbuckets == 0) return NULL;
  uint32_t h = name_hash(name, len);
  for (struct tmpfs_dirent* e = d->u.dir.buckets[h & (d->u.dir.nbuckets - 1)]; e != NULL;
       e = e->hnext) {
    if (e->hash != h || e->len != len) continue;
    /* Names are short: a loop here, not a call of memcmp. */
    size_t i = 0;
    while (i < len && e->name[i] == name[i]) i++;
    if (i == len) return e;
  }
  return NULL;
}

/* Moves the entries into a new hash table of nb buckets. */
static int dir_rehash(struct tmpfs* fs, struct tmpfs_node* d, size_t nb) {
  struct tmpfs_dirent** nbk = fs_alloc(fs, nb * sizeof(*nbk));
  if (nbk == NULL) return -ENOSPC;
  for (size_t i = 0; i < d->u.dir.nbuckets; i++) {
    struct tmpfs_dirent* e = d->u.dir.buckets[i];
    while (e != NULL) {
      struct tmpfs_dirent* next = e->hnext;
      e->hnext = nbk[e->hash & (nb - 1)];
      nbk[e->hash & (nb - 1)] = e;
      e = next;
    }
  }
  fs_free(fs, d->u.dir.buckets, d->u.dir.nbuckets * sizeof(*nbk));
  d->u.dir.buckets = nbk;
  d->u.dir.nbuckets = nb;
  return 0;
}

/* Drops the tombstones of slots[] (keeping the order), into `to` (which
 * may be slots[] itself). */
static void slots_compact(struct tmpfs_node* d, struct dir_slot* to) {
  size_t j = 0;
  for (size_t i = 0; i < d->u.dir.nslots; i++) {
    if (d->u.dir.slots[i].e == NULL) continue;
    to[j] = d->u.dir.slots[i];
    to[j].e->slot = j;
    j++;
  }
  d->u.dir.nslots = j;
}

/* Compacts slots[] into a new array of cap entries (cap >= count). */
static int slots_resize(struct tmpfs* fs, struct tmpfs_node* d, size_t cap) {
  struct dir_slot* ns = fs_alloc(fs, cap * sizeof(*ns));
  if (ns == NULL) return -ENOSPC;
  slots_compact(d, ns);
  fs_free(fs, d->u.dir.slots, d->u.dir.slots_cap * sizeof(*ns));
  d->u.dir.slots = ns;
  d->u.dir.slots_cap = cap;
  return 0;
}

/* Gives back memory of a directory that shrank. Never fails: a table that
 * cannot be reallocated smaller just stays as it is. */
static void dir_trim(struct tmpfs* fs, struct tmpfs_node* d) {
  if (d->u.dir.count == 0) {
    fs_free(fs, d->u.dir.buckets, d->u.dir.nbuckets * sizeof(*d->u.dir.buckets));
    fs_free(fs, d->u.dir.slots, d->u.dir.slots_cap * sizeof(*d->u.dir.slots));
    d->u.dir.buckets = NULL;
    d->u.dir.slots = NULL;
    d->u.dir.nbuckets = d->u.dir.nslots = d->u.dir.slots_cap = 0;
    return;
  }
  if (d->u.dir.nbuckets > DIR_MIN_BUCKETS && d->u.dir.count < d->u.dir.nbuckets / 4)
    (void)dir_rehash(fs, d, d->u.dir.nbuckets / 2);
  if (d->u.dir.nslots - d->u.dir.count > d->u.dir.count) {
    /* More tombstones than entries: compact, into a smaller array if the
     * array is mostly empty. */
    size_t cap = d->u.dir.count * 2;
    if (cap < DIR_MIN_SLOTS) cap = DIR_MIN_SLOTS;
    if (cap >= d->u.dir.slots_cap || slots_resize(fs, d, cap) != 0)
      slots_compact(d, d->u.dir.slots);
  }
}

/* Makes room for one more entry, all or nothing: on failure no table has
 * grown. */
static int dir_reserve(struct tmpfs* fs, struct tmpfs_node* d) {
  if (d->u.dir.nslots == d->u.dir.slots_cap) {
    size_t tombstones = d->u.dir.nslots - d->u.dir.count;
    size_t cap = d->u.dir.slots_cap ? d->u.dir.slots_cap * 2 : DIR_MIN_SLOTS;
    if (tombstones > 0 && tombstones >= d->u.dir.nslots / 2) {
      slots_compact(d, d->u.dir.slots); /* room without allocating */
    } else if (slots_resize(fs, d, cap) != 0) {
      if (tombstones == 0) return -ENOSPC;
      slots_compact(d, d->u.dir.slots);
    }
  }
  if (d->u.dir.nbuckets == 0) {
    if (dir_rehash(fs, d, DIR_MIN_BUCKETS) != 0) {
      dir_trim(fs, d); /* an empty directory: drops the slots just allocated */
      return -ENOSPC;
    }
  } else if (d->u.dir.count + 1 > d->u.dir.nbuckets) {
    /* Load factor 1. Without a bigger table chains just get longer. */
    (void)dir_rehash(fs, d, d->u.dir.nbuckets * 2);
  }
  return 0;
}

static void dir_insert(struct tmpfs_node* d, struct tmpfs_dirent* e, struct tmpfs_node* n) {
  e->node = n;
  e->seq = d->u.dir.next_seq++;
  size_t b = e->hash & (d->u.dir.nbuckets - 1);
  e->hnext = d->u.dir.buckets[b];
  d->u.dir.buckets[b] = e;
  e->slot = d->u.dir.nslots;
  d->u.dir.slots[d->u.dir.nslots++] = (struct dir_slot){e->seq, e};
  d->u.dir.count++;
}

/* A new entry name -> n in d; on failure nothing changed. */
static long dir_link(struct tmpfs* fs, struct tmpfs_node* d, const char* name, size_t len,
                     struct tmpfs_node* n, struct tmpfs_dirent** out) {
  struct tmpfs_dirent* e = fs_alloc(fs, dirent_size(len));
  if (e == NULL) return -ENOSPC;
  if (dir_reserve(fs, d) != 0) {
    fs_free(fs, e, dirent_size(len));
    return -ENOSPC;
  }
  memcpy(e->name, name, len);
  e->len = (uint16_t)len;
  e->hash = name_hash(name, len);
  dir_insert(d, e, n);
  if (out != NULL) *out = e;
  return 0;
}

/* Removes and frees the entry e of d (not its node). */
static void dir_unlink(struct tmpfs* fs, struct tmpfs_node* d, struct tmpfs_dirent* e) {
  struct tmpfs_dirent** pp = &d->u.dir.buckets[e->hash & (d->u.dir.nbuckets - 1)];
  while (*pp != e) pp = &(*pp)->hnext;
  *pp = e->hnext;
  d->u.dir.slots[e->slot].e = NULL;
  d->u.dir.count--;
  fs_free(fs, e, dirent_size(e->len));
  dir_trim(fs, d);
}

/* The index of the first slot whose seq is larger than pos. */
static size_t dir_seek(const struct tmpfs_node* d, uint64_t pos) {
  size_t lo = 0, hi = d->u.dir.nslots;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (d->u.dir.slots[mid].seq <= pos) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/* Whether directory a is d or one of d's ancestors. */
static bool is_ancestor(const struct tmpfs_node* a, const struct tmpfs_node* d) {
  for (; d != NULL; d = d->u.dir.parent)
    if (d == a) return true;
  return false;
}

/* --- Regular files' pages --------------------------------------------------------- */

/* Grows the page table to at least `need` entries. */
static int table_reserve(struct tmpfs* fs, struct tmpfs_node* n, uint64_t need) {
  uint64_t have = n->u.reg.npages;
  if (need <= have) return 0;
  uint64_t want = have * 2 > need ? have * 2 : need;
  if (want > MAX_PAGES) want = MAX_PAGES;
  void** t = fs_alloc(fs, want * sizeof(void*));
  if (t == NULL && want > need) {
    want = need;
    t = fs_alloc(fs, want * sizeof(void*));
  }
  if (t == NULL) return -ENOSPC;
  if (have != 0) memcpy(t, n->u.reg.pages, have * sizeof(void*));
  fs_free(fs, n->u.reg.pages, have * sizeof(void*));
  n->u.reg.pages = t;
  n->u.reg.npages = want;
  return 0;
}

/* Shrinks the page table to what the allocated pages need, when that
 * saves at least half of it (best effort). */
static void table_fit(struct tmpfs* fs, struct tmpfs_node* n) {
  uint64_t used = n->u.reg.npages;
  while (used > 0 && n->u.reg.pages[used - 1] == NULL) used--;
  if (used == n->u.reg.npages) return;
  if (used == 0) {
    fs_free(fs, n->u.reg.pages, n->u.reg.npages * sizeof(void*));
    n->u.reg.pages = NULL;
    n->u.reg.npages = 0;
    return;
  }
  if (used > n->u.reg.npages / 2) return;
  void** t = fs_alloc(fs, used * sizeof(void*));
  if (t == NULL) return;
  memcpy(t, n->u.reg.pages, used * sizeof(void*));
  fs_free(fs, n->u.reg.pages, n->u.reg.npages * sizeof(void*));
  n->u.reg.pages = t;
  n->u.reg.npages = used;
}

/* Shared pages stay (clients may map them) and are zeroed instead. */
static void pages_free_from(struct tmpfs* fs, struct tmpfs_node* n, uint64_t first) {
  uint64_t shm = n->u.reg.shm_pages;
  if (first < shm) fs->shm_zero(fs->shm_arg, n->u.reg.shm_id, first * PAGE, (shm - first) * PAGE);
  for (uint64_t i = first > shm ? first : shm; i < n->u.reg.npages; i++) {
    if (n->u.reg.pages[i] == NULL) continue;
    fs_free(fs, n->u.reg.pages[i], PAGE);
    n->u.reg.pages[i] = NULL;
    n->u.reg.nalloc--;
  }
}

/* Copies n bytes, n a multiple of 128: 66 instructions per 512 bytes, 18
 * per 128 (musl's memcpy, in general registers as this server is built,
 * takes about 20 per 128: it is tuned for every size, this for pages). The
 * general registers only: a handler that touched FP/SIMD would make the
 * kernel save its caller's FP/SIMD state on every call (docs/ipc.md). */
#if defined(__aarch64__)
void tmpfs_copy128(void* dst, const void* src, size_t n);
__asm__(
    /* 64 bytes at offset off of x1 to the same offset of x0. */
    "	.macro tmpfs_copy64 off\n"
    "	ldp	x3, x4, [x1, #\\off]\n"
    "	ldp	x5, x6, [x1, #\\off + 16]\n"
    "	ldp	x7, x8, [x1, #\\off + 32]\n"
    "	ldp	x9, x10, [x1, #\\off + 48]\n"
    "	stp	x3, x4, [x0, #\\off]\n"
    "	stp	x5, x6, [x0, #\\off + 16]\n"
    "	stp	x7, x8, [x0, #\\off + 32]\n"
    "	stp	x9, x10, [x0, #\\off + 48]\n"
    "	.endm\n"
    /* The first 64 bytes of a step of `step` bytes, both pointers moved on
     * by the step (post-increment): the rest of the step is at negative
     * offsets. */
    "	.macro tmpfs_copy64_step step\n"
    "	ldp	x3, x4, [x1], #\\step\n"
    "	ldp	x5, x6, [x1, #16 - \\step]\n"
    "	ldp	x7, x8, [x1, #32 - \\step]\n"
    "	ldp	x9, x10, [x1, #48 - \\step]\n"
    "	stp	x3, x4, [x0], #\\step\n"
    "	stp	x5, x6, [x0, #16 - \\step]\n"
    "	stp	x7, x8, [x0, #32 - \\step]\n"
    "	stp	x9, x10, [x0, #48 - \\step]\n"
    "	.endm\n"
    "	.text\n"
    "	.p2align 4\n"
    "	.type	tmpfs_copy128, %function\n"
    "tmpfs_copy128:\n"
    "	subs	x2, x2, #512\n"
    "	b.lo	2f\n"
    /* 512 bytes a step, as two of 256 (an ldp of x registers reaches
     * offsets -512..504 only). */
    "1:	tmpfs_copy64_step 256\n"
    "	tmpfs_copy64 -192\n"
    "	tmpfs_copy64 -128\n"
    "	tmpfs_copy64 -64\n"
    "	tmpfs_copy64_step 256\n"
    "	tmpfs_copy64 -192\n"
    "	tmpfs_copy64 -128\n"
    "	tmpfs_copy64 -64\n"
    "	subs	x2, x2, #512\n"
    "	b.hs	1b\n"
    "2:	adds	x2, x2, #512\n"
    "	b.eq	4f\n"
    "3:	tmpfs_copy64_step 128\n"
    "	tmpfs_copy64 -64\n"
    "	subs	x2, x2, #128\n"
    "	b.ne	3b\n"
    "4:	ret\n"
    "	.size	tmpfs_copy128, . - tmpfs_copy128\n");
#else
/* The host's tests: memcpy. */
static void tmpfs_copy128(void* dst, const void* src, size_t n) { memcpy(dst, src, n); }
#endif

/* memcpy, with the whole 128-byte blocks of a large copy by tmpfs_copy128. */
static void copy_bytes(char* dst, const char* src, size_t n) {
  size_t blocks = n >= 512 ? n & ~(size_t)127 : 0;
  tmpfs_copy128(dst, src, blocks);
  if (n > blocks) memcpy(dst + blocks, src + blocks, n - blocks);
}

static size_t read_data(struct tmpfs_node* n, void* buf, size_t len, uint64_t off) {
  uint64_t size = n->u.reg.size;
  if (off >= size) return 0;
  if (len > size - off) len = (size_t)(size - off);
  size_t done = 0;
  while (done < len) {
    uint64_t pos = off + done;
    uint64_t idx = pos / PAGE;
    size_t in = (size_t)(pos % PAGE);
    size_t chunk = PAGE - in < len - done ? PAGE - in : len - done;
    char* page = idx < n->u.reg.npages ? n->u.reg.pages[idx] : NULL;
    if (page != NULL) {
      copy_bytes((char*)buf + done, page + in, chunk);
    } else {
      memset((char*)buf + done, 0, chunk); /* a hole */
    }
    done += chunk;
  }
  return len;
}

/* The file grows to `end`: a client's mapping may have written into the
 * shared pages past the old end (Linux would deliver SIGBUS for whole
 * pages past it; here they are ordinary memory), which must read as zeros
 * now that they are part of the file. */
static void shm_grow(struct tmpfs* fs, struct tmpfs_node* n, uint64_t end) {
  uint64_t lim = n->u.reg.shm_pages * PAGE, size = n->u.reg.size;
  if (n->u.reg.shm == NULL || end <= size || size >= lim) return;
  if (end > lim) end = lim;
  fs->shm_zero(fs->shm_arg, n->u.reg.shm_id, size, end - size);
}

/* Writes at off; returns the bytes written (fewer than len when memory
 * ran out on the way) or -errno. */
static long write_data(struct tmpfs* fs, struct tmpfs_node* n, const void* buf, size_t len,
                       int64_t off) {
  if (len == 0) return 0;
  if (off >= TMPFS_MAX_FILE_SIZE) return -EFBIG;
  if (len > (uint64_t)(TMPFS_MAX_FILE_SIZE - off)) len = (size_t)(TMPFS_MAX_FILE_SIZE - off);
  /* Keep the result representable as a positive long. */
  if (len > (size_t)1 << 40) len = (size_t)1 << 40;
  uint64_t end = (uint64_t)off + len;
  if (table_reserve(fs, n, (end - 1) / PAGE + 1) != 0) return -ENOSPC;
  shm_grow(fs, n, end);
  size_t done = 0;
  while (done < len) {
    uint64_t pos = (uint64_t)off + done;
    uint64_t idx = pos / PAGE;
    size_t in = (size_t)(pos % PAGE);
    size_t chunk = PAGE - in < len - done ? PAGE - in : len - done;
    char* page = n->u.reg.pages[idx];
    if (page == NULL) {
      page = fs_alloc(fs, PAGE);
      if (page == NULL) break;
      n->u.reg.pages[idx] = page;
      n->u.reg.nalloc++;
    }
    copy_bytes(page + in, (const char*)buf + done, chunk);
    done += chunk;
  }
  if (done == 0) {
    table_fit(fs, n);
    return -ENOSPC;
  }
  if ((uint64_t)off + done > n->u.reg.size) n->u.reg.size = (uint64_t)off + done;
  n->mtime = n->ctime = now(fs);
  return (long)done;
}

static long truncate_node(struct tmpfs* fs, struct tmpfs_node* n, int64_t size) {
  if (is_dir(n)) return -EISDIR;
  if (!is_reg(n)) return -EINVAL;
  if (size < 0) return -EINVAL;
  if (size > TMPFS_MAX_FILE_SIZE) return -EFBIG;
  if ((uint64_t)size < n->u.reg.size) {
    /* Pages wholly beyond the end go; the tail of a partial last page is
     * zeroed, so that growing the file later shows zeros there. */
    pages_free_from(fs, n, ((uint64_t)size + PAGE - 1) / PAGE);
    uint64_t idx = (uint64_t)size / PAGE;
    size_t in = (size_t)((uint64_t)size % PAGE);
    if (in != 0 && idx < n->u.reg.npages && n->u.reg.pages[idx] != NULL)
      memset((char*)n->u.reg.pages[idx] + in, 0, PAGE - in);
    table_fit(fs, n);
  }
  shm_grow(fs, n, (uint64_t)size);
  n->u.reg.size = (uint64_t)size;
  n->mtime = n->ctime = now(fs);
  return 0;
}

/* --- Path walks ----------------------------------------------------------------- */

enum { LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT };

struct walk {
  struct tmpfs* fs;
  struct tmpfs_redirect* r;
  unsigned which; /* which path of the call: its scratch pair, reported in redirects */
  int buf;        /* the scratch buffer the working path is in; -1: the caller's */
  /* Set by walk_parent: the last component and the directory to hold it. */
  struct tmpfs_node* dir;
  const char* name;
  size_t len;
  int type;
  bool trailing;     /* a '/' follows the last component */
  const char* after; /* the working path after the last component */
  bool missing;      /* walk_last: the last component does not exist in dir */
};

static long redirect(struct walk* w, int kind, uint64_t mount_id, const char* rest) {
  while (*rest == '/') rest++;
  size_t n = strlen(rest); /* a suffix of a working path: shorter than PATH_MAX */
  memcpy(w->r->path, rest, n + 1);
  w->r->kind = kind;
  w->r->which = w->which;
  w->r->mount_id = mount_id;
  return CHCORE_FS_REDIRECT;
}

/* Follows the symlink `link`, which `rest` followed in the path: the new
 * working path is its target + rest. Returns 0 with *out set (a relative
 * target, to walk from the symlink's directory), or a redirect (an
 * absolute one), or -errno. */
static long follow(struct walk* w, const struct tmpfs_node* link, const char* rest,
                   const char** out) {
  struct tmpfs_redirect* r = w->r;
  if (r->nlinks >= CHCORE_FS_SYMLOOP_MAX) return -ELOOP;
  r->nlinks++;
  size_t tl = link->u.lnk.len, rl = strlen(rest);
  if (tl + rl >= CHCORE_FS_PATH_MAX) return -ENAMETOOLONG;
  if (link->u.lnk.target[0] == '/') {
    memcpy(r->path, link->u.lnk.target, tl);
    memcpy(r->path + tl, rest, rl + 1);
    r->kind = FS_REDIR_ABSOLUTE;
    r->which = w->which;
    r->mount_id = 0;
    return CHCORE_FS_REDIRECT;
  }
  int nb = w->buf == 0 ? 1 : 0;
  char* dst = w->fs->scratch[w->which][nb];
  memcpy(dst, link->u.lnk.target, tl);
  memcpy(dst + tl, rest, rl + 1);
  w->buf = nb;
  *out = dst;
  return 0;
}

/* Walks every component of path but the last, from directory cur. */
static long walk_parent(struct walk* w, struct tmpfs_node* cur, const char* path) {
  struct tmpfs* fs = w->fs;
  const char* p = path;
  while (*p == '/') p++;
  if (*p == '\0') { /* "" or "/": the start directory itself */
    w->dir = cur;
    w->name = p;
    w->len = 0;
    w->type = LAST_ROOT;
    w->trailing = p != path;
    w->after = p;
    return 0;
  }
  for (;;) {
    size_t n = 0;
    while (p[n] != '\0' && p[n] != '/') n++;
    const char* q = p + n; /* after the component */
    const char* s = q;     /* the next component */
    while (*s == '/') s++;
    if (n > CHCORE_FS_NAME_MAX) return -ENAMETOOLONG;
    int type = LAST_NORM;
    if (n == 1 && p[0] == '.') type = LAST_DOT;
    if (n == 2 && p[0] == '.' && p[1] == '.') type = LAST_DOTDOT;
    if (*s == '\0') {
      w->dir = cur;
      w->name = p;
      w->len = n;
      w->type = type;
      w->trailing = q != s;
      w->after = q;
      return 0;
    }
    if (type == LAST_DOT) {
      p = s;
      continue;
    }
    if (type == LAST_DOTDOT) {
      if (cur != fs->root) {
        cur = cur->u.dir.parent;
      } else if (!fs->global_root) {
        return redirect(w, FS_REDIR_UP, 0, s);
      }
      p = s;
      continue;
    }
    struct tmpfs_dirent* e = dir_lookup(cur, p, n);
    if (e == NULL) return -ENOENT;
    struct tmpfs_node* c = e->node;
    if (is_lnk(c)) {
      long rc = follow(w, c, q, &p);
      if (rc != 0) return rc;
      continue; /* the target, from cur */
    }
    if (!is_dir(c)) return -ENOTDIR;
    if (c->u.dir.mount_id != 0) return redirect(w, FS_REDIR_MOUNT, c->u.dir.mount_id, s);
    cur = c;
    p = s;
  }
}

static long walk_begin(struct walk* w, struct tmpfs* fs, const char* path, struct tmpfs_redirect* r,
                       unsigned which) {
  if (path == NULL) return -EFAULT;
  if (tmpfs_strnlen(path, CHCORE_FS_PATH_MAX) >= CHCORE_FS_PATH_MAX) return -ENAMETOOLONG;
  w->fs = fs;
  w->r = r;
  w->which = which;
  w->buf = -1;
  w->missing = false;
  return walk_parent(w, fs->root, path);
}

/* Resolves the last component after walk_parent. follow: a final symlink
 * is followed (a trailing slash always follows). enter: a final mount
 * point redirects into the mounted file system. */
static long walk_last(struct walk* w, bool follow_last, bool enter, struct tmpfs_node** out) {
  struct tmpfs* fs = w->fs;
  w->missing = false;
  for (;;) {
    struct tmpfs_node* n;
    if (w->type == LAST_ROOT || w->type == LAST_DOT) {
      n = w->dir;
    } else if (w->type == LAST_DOTDOT) {
      if (w->dir != fs->root) {
        n = w->dir->u.dir.parent;
      } else if (fs->global_root) {
        n = w->dir;
      } else {
        return redirect(w, FS_REDIR_UP, 0, w->after);
      }
    } else {
      struct tmpfs_dirent* e = dir_lookup(w->dir, w->name, w->len);
      if (e == NULL) {
        w->missing = true;
        return -ENOENT;
      }
      n = e->node;
      if (is_lnk(n) && (follow_last || w->trailing)) {
        const char* np;
        long rc = follow(w, n, w->after, &np);
        if (rc == 0) rc = walk_parent(w, w->dir, np);
        if (rc != 0) return rc;
        continue;
      }
      if (enter && is_mount(n)) return redirect(w, FS_REDIR_MOUNT, n->u.dir.mount_id, w->after);
    }
    if (w->trailing && !is_dir(n)) return -ENOTDIR;
    *out = n;
    return 0;
  }
}

/* The node a path names: begin + last. */
static long lookup(struct tmpfs* fs, const char* path, bool follow_last, bool enter,
                   struct tmpfs_redirect* r, struct tmpfs_node** out) {
  struct walk w;
  long rc = walk_begin(&w, fs, path, r, 0);
  if (rc == 0) rc = walk_last(&w, follow_last, enter, out);
  return rc;
}

/* --- The file system ---------------------------------------------------------------- */

struct tmpfs* tmpfs_create(const struct tmpfs_config* cfg) {
  struct tmpfs_config none;
  if (cfg == NULL) {
    memset(&none, 0, sizeof(none));
    cfg = &none;
  }
  struct tmpfs* fs = calloc(1, sizeof(*fs));
  if (fs == NULL) return NULL;
  fs->global_root = cfg->is_global_root != 0;
  fs->clock = cfg->clock ? cfg->clock : default_clock;
  fs->clock_arg = cfg->clock_arg;
  fs->max_bytes = cfg->max_bytes;
  fs->free_mem = cfg->free_mem ? cfg->free_mem : default_free_mem;
  fs->free_mem_arg = cfg->free_mem_arg;
  if (cfg->shm_create && cfg->shm_zero && cfg->shm_destroy) { /* all three or none */
    fs->shm_create = cfg->shm_create;
    fs->shm_zero = cfg->shm_zero;
    fs->shm_destroy = cfg->shm_destroy;
    fs->shm_arg = cfg->shm_arg;
  }
  fs->dev = cfg->dev;
  fs->next_ino = 1;
  fs->fail_after = -1;
  fs->rng = (uint64_t)fs->clock(fs->clock_arg) ^ (uint64_t)(uintptr_t)fs;
  uint32_t mode = cfg->root_mode ? cfg->root_mode & 07777 : 0755;
  fs->root = node_new(fs, S_IFDIR | mode);
  if (fs->root == NULL) {
    free(fs);
    return NULL;
  }
  fs->root->nlink = 2;
  return fs;
}

void tmpfs_destroy(struct tmpfs* fs) {
  if (fs == NULL) return;
  /* Depth-first without recursion (trees can be deep): take a
   * directory's entries from the end; descend into a subdirectory once its
   * entry is gone (its parent link leads back); free a directory when it
   * is empty. Nodes still open (a caller's bug) are left alone. */
  struct tmpfs_node* d = fs->root;
  while (d != NULL) {
    if (d->u.dir.count > 0) {
      size_t i = d->u.dir.nslots;
      while (d->u.dir.slots[i - 1].e == NULL) i--;
      struct tmpfs_dirent* e = d->u.dir.slots[i - 1].e;
      d->u.dir.nslots = i - 1;
      d->u.dir.count--;
      struct tmpfs_node* c = e->node;
      fs_free(fs, e, dirent_size(e->len));
      if (is_dir(c)) {
        d = c;
      } else if (--c->nlink == 0 && c->refs == 0) {
        node_free(fs, c);
      }
      continue;
    }
    struct tmpfs_node* parent = d->u.dir.parent;
    if (d->refs == 0) node_free(fs, d);
    d = parent;
  }
  fs_free(fs, fs->exports, fs->nexports * sizeof(*fs->exports));
  while (fs->nfile_cache > 0) free(fs->file_cache[--fs->nfile_cache]);
  free(fs);
}

/* The lock: a futex word, 0 free, 1 held, 2 held with waiters (perhaps).
 * Every request takes it once: uncontended, one exclusive compare-and-swap
 * to take it and one exchange to give it back, where a pthread mutex spends
 * about 40 instructions on its type and ownership checks. */
#define TMPFS_FUTEX_WAIT 128 /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define TMPFS_FUTEX_WAKE 129 /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */
void tmpfs_lock(struct tmpfs* fs) {
  int c = 0;
  if (__atomic_compare_exchange_n(&fs->lock, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
    return;
  if (c != 2) c = __atomic_exchange_n(&fs->lock, 2, __ATOMIC_ACQUIRE);
  while (c != 0) {
    syscall(SYS_futex, &fs->lock, TMPFS_FUTEX_WAIT, 2, NULL);
    c = __atomic_exchange_n(&fs->lock, 2, __ATOMIC_ACQUIRE);
  }
}
void tmpfs_unlock(struct tmpfs* fs) {
  if (__atomic_exchange_n(&fs->lock, 0, __ATOMIC_RELEASE) == 2)
    syscall(SYS_futex, &fs->lock, TMPFS_FUTEX_WAKE, 1);
}
uint64_t tmpfs_mem_used(const struct tmpfs* fs) { return fs->bytes; }
uint64_t tmpfs_node_count(const struct tmpfs* fs) { return fs->nnodes; }
void tmpfs_inject_alloc_failure(struct tmpfs* fs, long n) { fs->fail_after = n < 0 ? -1 : n; }

long tmpfs_statfs(struct tmpfs* fs, struct fs_statfs* st) {
  memset(st, 0, sizeof(*st));
  uint64_t used = (fs->bytes + PAGE - 1) / PAGE;
  st->type = TMPFS_MAGIC;
  st->bsize = PAGE;
  if (fs->max_bytes != 0) {
    st->blocks = fs->max_bytes / PAGE;
    st->bfree = st->blocks > used ? st->blocks - used : 0;
  } else {
    st->bfree = fs->free_mem(fs->free_mem_arg) / PAGE;
    st->blocks = used + st->bfree;
  }
  st->bavail = st->bfree;
  /* Every node needs memory, and nothing else limits their number. */
  st->ffree = st->bfree;
  st->files = fs->nnodes + st->ffree;
  st->namelen = CHCORE_FS_NAME_MAX;
  return 0;
}

/* --- Descriptions ------------------------------------------------------------------- */

void tmpfs_file_get(struct tmpfs_file* f) { f->refs++; }

void tmpfs_file_put(struct tmpfs* fs, struct tmpfs_file* f) {
  if (--f->refs != 0) return;
  if (f->token != 0) {
    size_t i = (size_t)(f->token & 0xffffffffu) - 1;
    fs->exports[i].f = NULL;
    fs->exports[i].token = 0;
    if (--fs->exports_live == 0) {
      fs_free(fs, fs->exports, fs->nexports * sizeof(*fs->exports));
      fs->exports = NULL;
      fs->nexports = 0;
    }
  }
  struct tmpfs_node* n = f->node;
  fslock_release_owner(fs, f, n->ino); /* its OFD and flock locks */
  file_free(fs, f);
  n->refs--;
  node_release_if_unused(fs, n);
}

int tmpfs_file_flags(const struct tmpfs_file* f) { return f->flags; }

static bool is_path_only(const struct tmpfs_file* f) { return (f->flags & CHCORE_FS_O_PATH) != 0; }

static bool can_read(const struct tmpfs_file* f) {
  int acc = f->flags & CHCORE_FS_O_ACCMODE;
  return !is_path_only(f) && (acc == CHCORE_FS_O_RDONLY || acc == CHCORE_FS_O_RDWR);
}

static bool can_write(const struct tmpfs_file* f) {
  int acc = f->flags & CHCORE_FS_O_ACCMODE;
  return !is_path_only(f) && (acc == CHCORE_FS_O_WRONLY || acc == CHCORE_FS_O_RDWR);
}

/* --- open --------------------------------------------------------------------------- */

/* A regular file `name` in d. */
static long create_file(struct tmpfs* fs, struct tmpfs_node* d, const char* name, size_t len,
                        uint32_t mode, struct tmpfs_node** out) {
  struct tmpfs_node* n = node_new(fs, S_IFREG | (mode & 07777));
  if (n == NULL) return -ENOSPC;
  if (d->mode & S_ISGID) n->gid = d->gid; /* BSD group semantics, as Linux */
  long rc = dir_link(fs, d, name, len, n, NULL);
  if (rc != 0) {
    node_free(fs, n);
    return rc;
  }
  n->nlink = 1;
  touch_dir(d, n->ctime);
  *out = n;
  return 0;
}

/* The node open() opens (perhaps a new one: *created). */
static long open_node(struct tmpfs* fs, const char* path, int flags, uint32_t mode,
                      struct tmpfs_redirect* r, struct tmpfs_node** out, bool* created) {
  struct walk w;
  long rc = walk_begin(&w, fs, path, r, 0);
  if (rc != 0) return rc;
  struct tmpfs_node* n = NULL;
  if (flags & CHCORE_FS_O_CREAT) {
    /* ".", ".." and the root are directories, as is anything named with a
     * trailing slash. */
    if (w.type != LAST_NORM || w.trailing) return -EISDIR;
    if (flags & CHCORE_FS_O_EXCL) {
      /* Exclusive: the name itself must be new (a symlink, even a
       * dangling one, or a mount point is there already). */
      if (dir_lookup(w.dir, w.name, w.len) != NULL) return -EEXIST;
      rc = -ENOENT;
      w.missing = true;
    } else {
      rc = walk_last(&w, !(flags & CHCORE_FS_O_NOFOLLOW), true, &n);
    }
    if (rc == -ENOENT && w.missing) {
      /* Possibly at the end of a dangling symlink: its target is made. */
      if (w.trailing) return -EISDIR;
      rc = create_file(fs, w.dir, w.name, w.len, mode, &n);
      *created = rc == 0;
    }
  } else {
    rc = walk_last(&w, !(flags & CHCORE_FS_O_NOFOLLOW), true, &n);
  }
  if (rc != 0) return rc;
  if (is_lnk(n) && !(flags & CHCORE_FS_O_PATH)) return -ELOOP; /* O_NOFOLLOW */
  if ((flags & CHCORE_FS_O_DIRECTORY) && !is_dir(n)) return -ENOTDIR;
  if (!(flags & CHCORE_FS_O_PATH) && is_dir(n) &&
      ((flags & CHCORE_FS_O_ACCMODE) != CHCORE_FS_O_RDONLY || (flags & CHCORE_FS_O_TRUNC)))
    return -EISDIR; /* what even root may not do */
  *out = n;
  return 0;
}

long tmpfs_open(struct tmpfs* fs, const char* path, int flags, uint32_t mode,
                struct tmpfs_redirect* r, struct tmpfs_file** out) {
  *out = NULL;
  r = redirect_of(fs, r);
  if (flags & CHCORE_FS_O_PATH) {
    /* A handle on the name only: nothing else of the flags applies. */
    flags &= CHCORE_FS_O_PATH | CHCORE_FS_O_DIRECTORY | CHCORE_FS_O_NOFOLLOW;
  } else {
    if ((flags & CHCORE_FS_O_ACCMODE) == CHCORE_FS_O_ACCMODE) return -EINVAL;
    if ((flags & CHCORE_FS_O_CREAT) && (flags & CHCORE_FS_O_DIRECTORY)) return -EINVAL;
  }
  /* The description first: once a file is created nothing may fail. */
  struct tmpfs_file* f = file_alloc(fs);
  if (f == NULL) return -ENOMEM;
  struct tmpfs_node* n;
  bool created = false;
  long rc = open_node(fs, path, flags, mode, r, &n, &created);
  if (rc != 0) {
    file_free(fs, f);
    return rc;
  }
  f->node = n;
  f->flags =
      flags & (CHCORE_FS_O_ACCMODE | CHCORE_FS_O_APPEND | CHCORE_FS_O_NONBLOCK | CHCORE_FS_O_PATH);
  f->refs = 1;
  n->refs++;
  if ((flags & CHCORE_FS_O_TRUNC) && !(flags & CHCORE_FS_O_PATH) && is_reg(n) && !created)
    (void)truncate_node(fs, n, 0); /* cannot fail: shrinking allocates nothing */
  *out = f;
  return 0;
}

/* --- Other calls on paths ------------------------------------------------------------- */

long tmpfs_stat(struct tmpfs* fs, const char* path, int flags, struct tmpfs_redirect* r,
                struct fs_stat* st) {
  struct tmpfs_node* n;
  long rc =
      lookup(fs, path, !(flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), true, redirect_of(fs, r), &n);
  if (rc != 0) return rc;
  fill_stat(fs, n, st);
  return 0;
}

long tmpfs_mkdir(struct tmpfs* fs, const char* path, uint32_t mode, struct tmpfs_redirect* r) {
  struct walk w;
  long rc = walk_begin(&w, fs, path, redirect_of(fs, r), 0);
  if (rc != 0) return rc;
  if (w.type != LAST_NORM) return -EEXIST;
  if (dir_lookup(w.dir, w.name, w.len) != NULL) return -EEXIST;
  struct tmpfs_node* d = w.dir;
  if (d->nlink >= LINK_MAX_COUNT) return -EMLINK;
  struct tmpfs_node* n = node_new(fs, S_IFDIR | (mode & 01777));
  if (n == NULL) return -ENOSPC;
  if (d->mode & S_ISGID) {
    n->gid = d->gid;
    n->mode |= S_ISGID;
  }
  struct tmpfs_dirent* e;
  rc = dir_link(fs, d, w.name, w.len, n, &e);
  if (rc != 0) {
    node_free(fs, n);
    return rc;
  }
  n->nlink = 2;
  n->u.dir.parent = d;
  n->u.dir.dentry = e;
  d->nlink++;
  touch_dir(d, n->ctime);
  return 0;
}

long tmpfs_unlink(struct tmpfs* fs, const char* path, int flags, struct tmpfs_redirect* r) {
  if (flags & ~CHCORE_FS_AT_REMOVEDIR) return -EINVAL;
  bool rmdir = (flags & CHCORE_FS_AT_REMOVEDIR) != 0;
  struct walk w;
  long rc = walk_begin(&w, fs, path, redirect_of(fs, r), 0);
  if (rc != 0) return rc;
  switch (w.type) {
    case LAST_ROOT:
      return rmdir ? -EBUSY : -EISDIR;
    case LAST_DOT:
      return rmdir ? -EINVAL : -EISDIR;
    case LAST_DOTDOT:
      return rmdir ? -ENOTEMPTY : -EISDIR;
  }
  struct tmpfs_dirent* e = dir_lookup(w.dir, w.name, w.len);
  if (e == NULL) return -ENOENT;
  struct tmpfs_node* n = e->node;
  struct tmpfs_node* d = w.dir;
  int64_t t = now(fs);
  if (rmdir) {
    if (!is_dir(n)) return -ENOTDIR;
    if (is_mount(n)) return -EBUSY;
    if (n->u.dir.count != 0) return -ENOTEMPTY;
    dir_unlink(fs, d, e);
    d->nlink--;
    n->nlink = 0;
    n->u.dir.parent = NULL;
    n->u.dir.dentry = NULL;
  } else {
    if (is_dir(n)) return -EISDIR;
    if (w.trailing) return -ENOTDIR;
    dir_unlink(fs, d, e);
    n->nlink--;
  }
  n->ctime = t;
  touch_dir(d, t);
  node_release_if_unused(fs, n);
  return 0;
}

long tmpfs_rename(struct tmpfs* fs, const char* oldpath, const char* newpath, int flags,
                  struct tmpfs_redirect* r) {
  const int known = CHCORE_FS_RENAME_NOREPLACE | CHCORE_FS_RENAME_EXCHANGE;
  if ((flags & ~known) || (flags & known) == known) return -EINVAL;
  bool exchange = (flags & CHCORE_FS_RENAME_EXCHANGE) != 0;
  r = redirect_of(fs, r);
  uint32_t nlinks = r->nlinks;

  struct walk wo, wn;
  long rc = walk_begin(&wo, fs, oldpath, r, 0);
  if (rc != 0) return rc;
  if (wo.type != LAST_NORM) return -EBUSY; /* the root, ".", ".." */
  struct tmpfs_dirent* eo = dir_lookup(wo.dir, wo.name, wo.len);
  if (eo == NULL) return -ENOENT;
  r->nlinks = nlinks; /* each path counts its own symlinks */
  rc = walk_begin(&wn, fs, newpath, r, 1);
  if (rc != 0) return rc;
  if (wn.type != LAST_NORM) return (flags & CHCORE_FS_RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
  struct tmpfs_dirent* en = dir_lookup(wn.dir, wn.name, wn.len);
  struct tmpfs_node *odir = wo.dir, *ndir = wn.dir;
  struct tmpfs_node* a = eo->node;
  struct tmpfs_node* b = en ? en->node : NULL;

  if (wo.trailing && !is_dir(a)) return -ENOTDIR;
  if (exchange) {
    if (b == NULL) return -ENOENT;
    if (wn.trailing && !is_dir(b)) return -ENOTDIR;
  } else {
    if (wn.trailing && !is_dir(a)) return -ENOTDIR;
    if (b != NULL && (flags & CHCORE_FS_RENAME_NOREPLACE)) return -EEXIST;
  }
  if (is_mount(a) || (b != NULL && is_mount(b))) return -EBUSY;
  if (a == b) return 0; /* two names of one node (or one name): nothing to do */
  if (is_dir(a) && is_ancestor(a, ndir)) return -EINVAL; /* into its own subtree */
  if (b != NULL && is_dir(b) && is_ancestor(b, odir)) return exchange ? -EINVAL : -ENOTEMPTY;
  if (!exchange && b != NULL) {
    if (is_dir(a) && !is_dir(b)) return -ENOTDIR;
    if (!is_dir(a) && is_dir(b)) return -EISDIR;
    if (is_dir(b) && b->u.dir.count != 0) return -ENOTEMPTY;
  }

  int64_t t = now(fs);
  if (exchange) {
    /* The names stay where they are (so do their positions); the nodes
     * trade places. */
    eo->node = b;
    en->node = a;
    if (is_dir(a)) {
      a->u.dir.parent = ndir;
      a->u.dir.dentry = en;
    }
    if (is_dir(b)) {
      b->u.dir.parent = odir;
      b->u.dir.dentry = eo;
    }
    if (odir != ndir && is_dir(a) != is_dir(b)) {
      struct tmpfs_node* gains = is_dir(a) ? ndir : odir;
      struct tmpfs_node* loses = is_dir(a) ? odir : ndir;
      gains->nlink++;
      loses->nlink--;
    }
    a->ctime = b->ctime = t;
  } else if (b != NULL) {
    /* Replace: the target's entry now names a; a's old entry goes. */
    en->node = a;
    dir_unlink(fs, odir, eo);
    if (is_dir(a)) {
      a->u.dir.parent = ndir;
      a->u.dir.dentry = en;
      if (odir != ndir) {
        odir->nlink--;
        ndir->nlink++;
      }
    }
    if (is_dir(b)) {
      ndir->nlink--;
      b->nlink = 0;
      b->u.dir.parent = NULL;
      b->u.dir.dentry = NULL;
    } else {
      b->nlink--;
    }
    a->ctime = b->ctime = t;
    node_release_if_unused(fs, b);
  } else {
    struct tmpfs_dirent* e;
    rc = dir_link(fs, ndir, wn.name, wn.len, a, &e); /* first: it may fail */
    if (rc != 0) return rc;
    dir_unlink(fs, odir, eo);
    if (is_dir(a)) {
      a->u.dir.parent = ndir;
      a->u.dir.dentry = e;
      if (odir != ndir) {
        odir->nlink--;
        ndir->nlink++;
      }
    }
    a->ctime = t;
  }
  touch_dir(odir, t);
  touch_dir(ndir, t);
  return 0;
}

long tmpfs_link(struct tmpfs* fs, const char* oldpath, const char* newpath, int flags,
                struct tmpfs_redirect* r) {
  if (flags & ~CHCORE_FS_AT_SYMLINK_FOLLOW) return -EINVAL;
  r = redirect_of(fs, r);
  uint32_t nlinks = r->nlinks;
  struct walk wo, wn;
  struct tmpfs_node* n;
  /* The existing file's mount point is not entered: a directory cannot
   * get another name anyway. */
  long rc = walk_begin(&wo, fs, oldpath, r, 0);
  if (rc == 0) rc = walk_last(&wo, (flags & CHCORE_FS_AT_SYMLINK_FOLLOW) != 0, false, &n);
  if (rc != 0) return rc;
  if (is_dir(n)) return -EPERM;
  r->nlinks = nlinks;
  rc = walk_begin(&wn, fs, newpath, r, 1);
  if (rc != 0) return rc;
  if (wn.type != LAST_NORM || dir_lookup(wn.dir, wn.name, wn.len) != NULL) return -EEXIST;
  if (wn.trailing) return -ENOENT; /* a file cannot be named "x/" */
  if (n->nlink >= LINK_MAX_COUNT) return -EMLINK;
  rc = dir_link(fs, wn.dir, wn.name, wn.len, n, NULL);
  if (rc != 0) return rc;
  n->nlink++;
  n->ctime = now(fs);
  touch_dir(wn.dir, n->ctime);
  return 0;
}

long tmpfs_symlink(struct tmpfs* fs, const char* target, const char* linkpath,
                   struct tmpfs_redirect* r) {
  if (target == NULL) return -EFAULT;
  size_t tl = strnlen(target, CHCORE_FS_PATH_MAX);
  if (tl == 0) return -ENOENT;
  if (tl > TMPFS_SYMLINK_MAX) return -ENAMETOOLONG;
  struct walk w;
  long rc = walk_begin(&w, fs, linkpath, redirect_of(fs, r), 1);
  if (rc != 0) return rc;
  if (w.type != LAST_NORM || dir_lookup(w.dir, w.name, w.len) != NULL) return -EEXIST;
  if (w.trailing) return -ENOENT;
  char* copy = fs_alloc(fs, tl + 1);
  if (copy == NULL) return -ENOSPC;
  struct tmpfs_node* n = node_new(fs, S_IFLNK | 0777);
  if (n == NULL) {
    fs_free(fs, copy, tl + 1);
    return -ENOSPC;
  }
  n->u.lnk.target = copy;
  memcpy(n->u.lnk.target, target, tl);
  n->u.lnk.len = tl;
  rc = dir_link(fs, w.dir, w.name, w.len, n, NULL);
  if (rc != 0) {
    node_free(fs, n);
    return rc;
  }
  n->nlink = 1;
  touch_dir(w.dir, n->ctime);
  return 0;
}

long tmpfs_readlink(struct tmpfs* fs, const char* path, char* buf, size_t len,
                    struct tmpfs_redirect* r) {
  struct tmpfs_node* n;
  long rc = lookup(fs, path, false, true, redirect_of(fs, r), &n);
  if (rc != 0) return rc;
  if (!is_lnk(n) || len == 0) return -EINVAL;
  size_t k = n->u.lnk.len < len ? n->u.lnk.len : len;
  memcpy(buf, n->u.lnk.target, k);
  n->atime = now(fs);
  return (long)k;
}

long tmpfs_truncate(struct tmpfs* fs, const char* path, int64_t size, struct tmpfs_redirect* r) {
  struct tmpfs_node* n;
  long rc = lookup(fs, path, true, true, redirect_of(fs, r), &n);
  if (rc != 0) return rc;
  return truncate_node(fs, n, size);
}

static long chmod_node(struct tmpfs* fs, struct tmpfs_node* n, uint32_t mode) {
  if (is_lnk(n)) return -EOPNOTSUPP; /* Linux: symlinks have no mode of their own */
  n->mode = (n->mode & S_IFMT) | (mode & 07777);
  n->ctime = now(fs);
  return 0;
}

static long chown_node(struct tmpfs* fs, struct tmpfs_node* n, uint32_t uid, uint32_t gid) {
  if (uid != (uint32_t)-1) n->uid = uid;
  if (gid != (uint32_t)-1) n->gid = gid;
  /* A change of owner drops set-user-ID (and set-group-ID where it means
   * execution), even for root, as Linux does. */
  if (!is_dir(n) && (uid != (uint32_t)-1 || gid != (uint32_t)-1)) {
    n->mode &= ~(uint32_t)S_ISUID;
    if (n->mode & S_IXGRP) n->mode &= ~(uint32_t)S_ISGID;
  }
  n->ctime = now(fs);
  return 0;
}

static bool time_valid(int64_t nsec) {
  return (nsec >= 0 && nsec <= 999999999) || nsec == TMPFS_UTIME_NOW || nsec == TMPFS_UTIME_OMIT;
}

/* One timestamp of utimensat: 0 and *out set, 1 for UTIME_OMIT, or
 * -EINVAL. */
static int time_of(struct tmpfs* fs, int64_t sec, int64_t nsec, int64_t* out) {
  if (nsec == TMPFS_UTIME_OMIT) return 1;
  if (nsec == TMPFS_UTIME_NOW) {
    *out = now(fs);
    return 0;
  }
  /* Times in ns must fit 64 bits: about years 1678 to 2262. */
  if (sec > INT64_MAX / 1000000000 - 1 || sec < INT64_MIN / 1000000000 + 1) return -EINVAL;
  *out = sec * 1000000000 + nsec;
  return 0;
}

static long utimens_node(struct tmpfs* fs, struct tmpfs_node* n, const int64_t times[4]) {
  int64_t at = 0, mt = 0;
  int ra = time_of(fs, times[0], times[1], &at);
  int rm = time_of(fs, times[2], times[3], &mt);
  if (ra < 0 || rm < 0) return -EINVAL;
  if (ra == 1 && rm == 1) return 0; /* both omitted: nothing changes, not even ctime */
  if (ra == 0) n->atime = at;
  if (rm == 0) n->mtime = mt;
  n->ctime = now(fs);
  return 0;
}

long tmpfs_chmod(struct tmpfs* fs, const char* path, uint32_t mode, int flags,
                 struct tmpfs_redirect* r) {
  struct tmpfs_node* n;
  long rc =
      lookup(fs, path, !(flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), true, redirect_of(fs, r), &n);
  return rc != 0 ? rc : chmod_node(fs, n, mode);
}

long tmpfs_chown(struct tmpfs* fs, const char* path, uint32_t uid, uint32_t gid, int flags,
                 struct tmpfs_redirect* r) {
  struct tmpfs_node* n;
  long rc =
      lookup(fs, path, !(flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), true, redirect_of(fs, r), &n);
  return rc != 0 ? rc : chown_node(fs, n, uid, gid);
}

long tmpfs_utimens(struct tmpfs* fs, const char* path, const int64_t times[4], int flags,
                   struct tmpfs_redirect* r) {
  if (!time_valid(times[1]) || !time_valid(times[3])) return -EINVAL;
  struct tmpfs_node* n;
  long rc =
      lookup(fs, path, !(flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), true, redirect_of(fs, r), &n);
  return rc != 0 ? rc : utimens_node(fs, n, times);
}

long tmpfs_access(struct tmpfs* fs, const char* path, int mode, int flags,
                  struct tmpfs_redirect* r) {
  if (mode & ~(R_OK | W_OK | X_OK)) return -EINVAL;
  if (flags & ~(CHCORE_FS_AT_SYMLINK_NOFOLLOW | CHCORE_FS_AT_EACCESS)) return -EINVAL;
  struct tmpfs_node* n;
  long rc =
      lookup(fs, path, !(flags & CHCORE_FS_AT_SYMLINK_NOFOLLOW), true, redirect_of(fs, r), &n);
  if (rc != 0) return rc;
  /* Root may read and write anything, and search any directory, but
   * executes only what somebody may execute. */
  if ((mode & X_OK) && is_reg(n) && !(n->mode & (S_IXUSR | S_IXGRP | S_IXOTH))) return -EACCES;
  return 0;
}

long tmpfs_set_mountpoint(struct tmpfs* fs, const char* path, uint64_t mount_id,
                          struct tmpfs_redirect* r) {
  struct walk w;
  struct tmpfs_node* n = NULL;
  long rc = walk_begin(&w, fs, path, redirect_of(fs, r), 0);
  if (rc == 0) rc = walk_last(&w, true, false, &n);
  if (rc != 0) return rc;
  if (!is_dir(n)) return -ENOTDIR;
  if (n == fs->root) return -EINVAL; /* this file system is mounted there */
  if (mount_id != 0 && n->u.dir.mount_id != 0 && n->u.dir.mount_id != mount_id) return -EBUSY;
  n->u.dir.mount_id = mount_id;
  return 0;
}

/* --- Calls on descriptions -------------------------------------------------------------- */

long tmpfs_read(struct tmpfs* fs, struct tmpfs_file* f, void* buf, size_t len, int64_t off) {
  if (!can_read(f)) return -EBADF;
  struct tmpfs_node* n = f->node;
  if (is_dir(n)) return -EISDIR;
  if (off < -1) return -EINVAL;
  int64_t pos = off == -1 ? f->pos : off;
  if (len > (size_t)1 << 40) len = (size_t)1 << 40;
  size_t k = read_data(n, buf, len, (uint64_t)pos);
  if (off == -1) f->pos += (int64_t)k;
  n->atime = now(fs);
  return (long)k;
}

long tmpfs_write(struct tmpfs* fs, struct tmpfs_file* f, const void* buf, size_t len, int64_t off) {
  if (!can_write(f)) return -EBADF;
  if (off < -1) return -EINVAL;
  struct tmpfs_node* n = f->node;
  int64_t pos = off != -1 ? off : (f->flags & CHCORE_FS_O_APPEND) ? (int64_t)n->u.reg.size : f->pos;
  long k = write_data(fs, n, buf, len, pos);
  if (k > 0 && off == -1) f->pos = pos + k;
  return k;
}

long tmpfs_lseek(struct tmpfs* fs, struct tmpfs_file* f, int64_t off, int whence) {
  (void)fs;
  if (is_path_only(f)) return -EBADF;
  struct tmpfs_node* n = f->node;
  int64_t base;
  if (is_dir(n)) {
    /* Positions are sequence numbers: only telldir/seekdir/rewinddir. */
    if (whence == SEEK_SET) {
      base = 0;
    } else if (whence == SEEK_CUR) {
      base = f->pos;
    } else {
      return -EINVAL;
    }
    if (off > INT64_MAX - base || base + off < 0) return -EINVAL;
    f->pos = base + off;
    return f->pos;
  }
  int64_t size = (int64_t)n->u.reg.size;
  switch (whence) {
    case SEEK_SET:
      base = 0;
      break;
    case SEEK_CUR:
      base = f->pos;
      break;
    case SEEK_END:
      base = size;
      break;
    case SEEK_DATA:
    case SEEK_HOLE: {
      if (off < 0 || off >= size) return -ENXIO;
      uint64_t i = (uint64_t)off / PAGE;
      int64_t found = -1;
      for (; (int64_t)(i * PAGE) < size; i++) {
        bool data = i < n->u.reg.npages && n->u.reg.pages[i] != NULL;
        if (data == (whence == SEEK_DATA)) {
          found = (int64_t)(i * PAGE);
          break;
        }
        if (whence == SEEK_DATA && i >= n->u.reg.npages) break; /* holes only from here */
      }
      if (found < 0) {
        if (whence == SEEK_DATA) return -ENXIO;
        found = size; /* the end of a file counts as a hole */
      }
      if (found < off) found = off;
      if (found > size) found = size;
      f->pos = found;
      return found;
    }
    default:
      return -EINVAL;
  }
  if ((off > 0 && base > TMPFS_MAX_FILE_SIZE - off) || base + off < 0) return -EINVAL;
  f->pos = base + off;
  return f->pos;
}

long tmpfs_fstat(struct tmpfs* fs, struct tmpfs_file* f, struct fs_stat* st) {
  fill_stat(fs, f->node, st);
  return 0;
}

/* Appends one struct linux_dirent64 at buf + *used if it fits. */
static bool put_dirent(char* buf, size_t len, size_t* used, uint64_t ino, int64_t next,
                       unsigned char type, const char* name, size_t nlen) {
  size_t n = fs_put_dirent(buf + *used, len - *used, ino, next, type, name, nlen);
  *used += n;
  return n != 0;
}

static unsigned char dtype(const struct tmpfs_node* n) {
  return is_dir(n) ? DT_DIR_ : is_lnk(n) ? DT_LNK_ : DT_REG_;
}

long tmpfs_getdents(struct tmpfs* fs, struct tmpfs_file* f, void* buf, size_t len) {
  if (is_path_only(f)) return -EBADF;
  struct tmpfs_node* d = f->node;
  if (!is_dir(d)) return -ENOTDIR;
  if (d->nlink == 0) return -ENOENT; /* removed */
  size_t used = 0;
  if (f->pos < 1) {
    if (!put_dirent(buf, len, &used, d->ino, 1, DT_DIR_, ".", 1)) goto full;
    f->pos = 1;
  }
  if (f->pos < 2) {
    const struct tmpfs_node* up = d->u.dir.parent ? d->u.dir.parent : d;
    if (!put_dirent(buf, len, &used, up->ino, 2, DT_DIR_, "..", 2)) goto full;
    f->pos = 2;
  }
  for (size_t i = dir_seek(d, (uint64_t)f->pos); i < d->u.dir.nslots; i++) {
    const struct tmpfs_dirent* e = d->u.dir.slots[i].e;
    if (e == NULL) continue; /* a tombstone */
    if (!put_dirent(buf, len, &used, e->node->ino, (int64_t)e->seq, dtype(e->node), e->name,
                    e->len))
      goto full;
    f->pos = (int64_t)e->seq;
  }
  d->atime = now(fs);
  return (long)used;
full:
  if (used == 0) return -EINVAL; /* not even one entry fits */
  d->atime = now(fs);
  return (long)used;
}

long tmpfs_ftruncate(struct tmpfs* fs, struct tmpfs_file* f, int64_t size) {
  if (is_path_only(f)) return -EBADF;
  if (!can_write(f) || !is_reg(f->node)) return -EINVAL;
  return truncate_node(fs, f->node, size);
}

/* --- Mapped files -----------------------------------------------------------------
 *
 * A file that is mapped keeps its first pages in one block of shared
 * memory (a kernel PMO in the server, tmpfs_config.shm_create), which the
 * server maps once and clients map with MAP_SHARED: a store through a
 * mapping is in the file at once, and a write() lands in the memory the
 * mappings show. The block is made at the first mapping, large enough for
 * that mapping and the file with room to grow (twice the larger, at least
 * SHM_MIN; its pages come on first touch, so the room costs only the
 * kernel's page array), the file's pages are copied into it and freed,
 * and from then on pages[i] points into it for i < shm_pages: reads and
 * writes go through the table as before. Pages past the block stay
 * ordinary pages. The block is never replaced (clients' mappings would no
 * longer see the file), so a later mapping beyond it is -ENOMEM.
 * Truncation cannot free shared pages (they may be mapped anywhere): it
 * zeroes them (shm_zero, which allocates nothing); the block goes with
 * the node. It is not counted in the file system's bytes. */
#define SHM_MIN (4ull << 20)

static long shm_attach(struct tmpfs* fs, struct tmpfs_node* n, uint64_t end) {
  uint64_t want = end > n->u.reg.size ? end : n->u.reg.size;
  want = (want + PAGE - 1) / PAGE * PAGE;
  uint64_t size = SHM_MIN;
  while (size < 2 * want && size < (uint64_t)TMPFS_MAX_FILE_SIZE) size *= 2;
  void* base;
  uint64_t id;
  if (fs->shm_create(fs->shm_arg, size, &base, &id) != 0) {
    size = want; /* no room for growth: exactly what is asked */
    if (fs->shm_create(fs->shm_arg, size, &base, &id) != 0) return -ENOMEM;
  }
  uint64_t np = size / PAGE;
  if (table_reserve(fs, n, np) != 0) {
    fs->shm_destroy(fs->shm_arg, id, base, size);
    return -ENOMEM;
  }
  for (uint64_t i = 0; i < np; i++) {
    void* old = n->u.reg.pages[i];
    if (old != NULL) {
      memcpy((char*)base + i * PAGE, old, PAGE);
      fs_free(fs, old, PAGE);
      n->u.reg.nalloc--;
    }
    n->u.reg.pages[i] = (char*)base + i * PAGE;
  }
  n->u.reg.shm = base;
  n->u.reg.shm_pages = np;
  n->u.reg.shm_id = id;
  return 0;
}

long tmpfs_mmap(struct tmpfs* fs, struct tmpfs_file* f, uint64_t end, int shared_write,
                uint64_t* id) {
  if (is_path_only(f)) return -EBADF;
  struct tmpfs_node* n = f->node;
  if (!is_reg(n)) return -ENODEV;
  if (!can_read(f)) return -EACCES;
  if (shared_write && !can_write(f)) return -EACCES;
  if (fs->shm_create == NULL) return -ENODEV;
  if (end == 0 || end > (uint64_t)TMPFS_MAX_FILE_SIZE) return -EINVAL;
  if (n->u.reg.shm == NULL) {
    long rc = shm_attach(fs, n, end);
    if (rc != 0) return rc;
  }
  if (end > n->u.reg.shm_pages * PAGE) return -ENOMEM;
  *id = n->u.reg.shm_id;
  return 0;
}

long tmpfs_fallocate(struct tmpfs* fs, struct tmpfs_file* f, int mode, int64_t off, int64_t len) {
  if (off < 0 || len <= 0) return -EINVAL;
  if (mode & ~TMPFS_FALLOC_KEEP_SIZE) return -EOPNOTSUPP;
  if (!can_write(f)) return -EBADF;
  struct tmpfs_node* n = f->node;
  if (is_dir(n)) return -EISDIR;
  if (!is_reg(n)) return -ENODEV;
  if (off > TMPFS_MAX_FILE_SIZE - len) return -EFBIG;
  uint64_t first = (uint64_t)off / PAGE, last = (uint64_t)(off + len - 1) / PAGE;
  if (table_reserve(fs, n, last + 1) != 0) return -ENOSPC;
  /* All pages first, on a list threaded through themselves, so that
   * running out of memory changes nothing. */
  void* list = NULL;
  for (uint64_t i = first; i <= last; i++) {
    if (n->u.reg.pages[i] != NULL) continue;
    void* p = fs_alloc(fs, PAGE);
    if (p == NULL) {
      while (list != NULL) {
        void* next;
        memcpy(&next, list, sizeof(next));
        fs_free(fs, list, PAGE);
        list = next;
      }
      table_fit(fs, n);
      return -ENOSPC;
    }
    memcpy(p, &list, sizeof(list));
    list = p;
  }
  for (uint64_t i = first; i <= last; i++) {
    if (n->u.reg.pages[i] != NULL) continue;
    void* p = list;
    memcpy(&list, p, sizeof(list));
    memset(p, 0, sizeof(list));
    n->u.reg.pages[i] = p;
    n->u.reg.nalloc++;
  }
  if (!(mode & TMPFS_FALLOC_KEEP_SIZE) && (uint64_t)(off + len) > n->u.reg.size) {
    shm_grow(fs, n, (uint64_t)(off + len));
    n->u.reg.size = (uint64_t)(off + len);
  }
  n->ctime = now(fs);
  return 0;
}

long tmpfs_fchmod(struct tmpfs* fs, struct tmpfs_file* f, uint32_t mode) {
  if (is_path_only(f)) return -EBADF;
  return chmod_node(fs, f->node, mode);
}

long tmpfs_fchown(struct tmpfs* fs, struct tmpfs_file* f, uint32_t uid, uint32_t gid) {
  if (is_path_only(f)) return -EBADF;
  return chown_node(fs, f->node, uid, gid);
}

long tmpfs_futimens(struct tmpfs* fs, struct tmpfs_file* f, const int64_t times[4]) {
  if (is_path_only(f)) return -EBADF;
  if (!time_valid(times[1]) || !time_valid(times[3])) return -EINVAL;
  return utimens_node(fs, f->node, times);
}

long tmpfs_fsync(struct tmpfs* fs, struct tmpfs_file* f) {
  (void)fs;
  return is_path_only(f) ? -EBADF : 0; /* memory is as stable as it gets */
}

long tmpfs_setfl(struct tmpfs* fs, struct tmpfs_file* f, int flags) {
  (void)fs;
  const int settable = CHCORE_FS_O_APPEND | CHCORE_FS_O_NONBLOCK;
  f->flags = (f->flags & ~settable) | (flags & settable);
  return 0;
}

long tmpfs_dir_path(struct tmpfs* fs, struct tmpfs_file* f, char* buf, size_t len) {
  const struct tmpfs_node* d = f->node;
  if (!is_dir(d)) return -ENOTDIR;
  if (d->nlink == 0) return -ENOENT;
  /* Directories have exactly one parent: sum the names up to the root,
   * then write them from the end. */
  size_t total = 0;
  for (const struct tmpfs_node* x = d; x != fs->root; x = x->u.dir.parent)
    total += 1 + x->u.dir.dentry->len;
  if (total == 0) total = 1; /* "/" */
  if (total + 1 > len) return -ENAMETOOLONG;
  buf[0] = '/';
  buf[total] = '\0';
  size_t at = total;
  for (const struct tmpfs_node* x = d; x != fs->root; x = x->u.dir.parent) {
    const struct tmpfs_dirent* e = x->u.dir.dentry;
    at -= e->len;
    memcpy(buf + at, e->name, e->len);
    buf[--at] = '/';
  }
  return (long)total;
}

/* 32 random bits, never 0: from getrandom, else from a SplitMix64
 * sequence (weak, but tokens stay unique by their index part). */
static uint32_t random_nonzero(struct tmpfs* fs) {
  uint32_t v = 0;
  if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v) && v != 0) return v;
  do {
    uint64_t z = (fs->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    v = (uint32_t)((z ^ (z >> 31)) >> 32);
  } while (v == 0);
  return v;
}

long tmpfs_export(struct tmpfs* fs, struct tmpfs_file* f, uint64_t* token) {
  if (f->token != 0) {
    *token = f->token;
    return 0;
  }
  size_t i = 0;
  while (i < fs->nexports && fs->exports[i].f != NULL) i++;
  if (i == fs->nexports) {
    size_t cap = fs->nexports ? fs->nexports * 2 : 16;
    if (cap > 0xffffffffu) return -ENOMEM;
    struct export_slot* t = fs_alloc(fs, cap * sizeof(*t));
    if (t == NULL) return -ENOMEM;
    if (fs->nexports) memcpy(t, fs->exports, fs->nexports * sizeof(*t));
    fs_free(fs, fs->exports, fs->nexports * sizeof(*t));
    fs->exports = t;
    fs->nexports = cap;
  }
  /* Token: 32 random bits above the slot index + 1. The index finds the
   * slot; the random half makes a token of a freed slot (or a guessed
   * one) fail with overwhelming probability. */
  f->token = (uint64_t)random_nonzero(fs) << 32 | (uint64_t)(i + 1);
  fs->exports[i].token = f->token;
  fs->exports[i].f = f;
  fs->exports_live++;
  *token = f->token;
  return 0;
}

long tmpfs_import(struct tmpfs* fs, uint64_t token, struct tmpfs_file** out) {
  uint64_t idx = token & 0xffffffffu;
  if (idx == 0 || idx > fs->nexports) return -EBADF;
  struct export_slot* s = &fs->exports[idx - 1];
  if (s->f == NULL || s->token != token) return -EBADF;
  s->f->refs++;
  *out = s->f;
  return 0;
}
