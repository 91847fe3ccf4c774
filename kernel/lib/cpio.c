// newc cpio reader; see cpio.h. C99, freestanding, no libc.
#include "cpio.h"

#define CPIO_HEADER_SIZE 110u
#define CPIO_MAGIC_LEN 6u
#define CPIO_FIELD_LEN 8u
#define CPIO_U64_MAX (~(chcore_u64)0)

// Field indexes, in header order after the magic.
enum {
  F_INO,
  F_MODE,
  F_UID,
  F_GID,
  F_NLINK,
  F_MTIME,
  F_FILESIZE,
  F_DEVMAJOR,
  F_DEVMINOR,
  F_RDEVMAJOR,
  F_RDEVMINOR,
  F_NAMESIZE,
  F_CHECK,
  F_COUNT
};

static int bytes_equal(const unsigned char* a, const char* b, chcore_u64 n) {
  for (chcore_u64 i = 0; i < n; i++) {
    if (a[i] != (unsigned char)b[i]) return 0;
  }
  return 1;
}

// Parses exactly eight hex digits (either case). Returns 0 on a non-digit.
static int parse_hex8(const unsigned char* p, chcore_u32* out) {
  chcore_u32 v = 0;
  for (unsigned i = 0; i < CPIO_FIELD_LEN; i++) {
    unsigned char c = p[i];
    chcore_u32 d;
    if (c >= '0' && c <= '9') {
      d = (chcore_u32)(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = (chcore_u32)(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = (chcore_u32)(c - 'A' + 10);
    } else {
      return 0;
    }
    v = (v << 4) | d;
  }
  *out = v;
  return 1;
}

// Rounds v up to a multiple of 4; returns 0 if that would overflow.
static int align4(chcore_u64 v, chcore_u64* out) {
  if (v > CPIO_U64_MAX - 3) return 0;
  *out = (v + 3) & ~(chcore_u64)3;
  return 1;
}

int chcore_cpio_next(const void* archive, chcore_u64 archive_size, chcore_u64* pos,
                     struct chcore_cpio_entry* e) {
  const unsigned char* base = (const unsigned char*)archive;
  if (pos == 0 || e == 0 || (archive == 0 && archive_size != 0)) return CPIO_ERR_FORMAT;

  chcore_u64 off = *pos;
  if (off > archive_size || archive_size - off < CPIO_HEADER_SIZE) return CPIO_ERR_TRUNCATED;
  const unsigned char* hdr = base + off;
  if (!bytes_equal(hdr, "070701", CPIO_MAGIC_LEN)) return CPIO_ERR_MAGIC;

  chcore_u32 field[F_COUNT];
  for (unsigned i = 0; i < F_COUNT; i++) {
    if (!parse_hex8(hdr + CPIO_MAGIC_LEN + i * CPIO_FIELD_LEN, &field[i])) return CPIO_ERR_FORMAT;
  }

  // The name: namesize bytes including exactly one NUL, at the end.
  chcore_u64 namesize = field[F_NAMESIZE];
  if (namesize == 0) return CPIO_ERR_FORMAT;
  chcore_u64 name_off = off + CPIO_HEADER_SIZE;  // <= archive_size, checked above
  if (namesize > archive_size - name_off) return CPIO_ERR_TRUNCATED;
  const unsigned char* name = base + name_off;
  chcore_u64 name_len = namesize - 1;
  if (name[name_len] != 0) return CPIO_ERR_FORMAT;
  for (chcore_u64 i = 0; i < name_len; i++) {
    if (name[i] == 0) return CPIO_ERR_FORMAT;
  }

  // The trailer ends the archive; its own size and padding do not matter.
  if (name_len == 10 && bytes_equal(name, "TRAILER!!!", 10)) return CPIO_ERR_NOT_FOUND;

  // The data starts after the name, padded so that header + name is 4-aligned
  // relative to the start of the archive.
  chcore_u64 data_off;
  if (!align4(name_off + namesize, &data_off)) return CPIO_ERR_TRUNCATED;
  if (data_off > archive_size) return CPIO_ERR_TRUNCATED;
  chcore_u64 size = field[F_FILESIZE];
  if (size > archive_size - data_off) return CPIO_ERR_TRUNCATED;
  chcore_u64 next;
  if (!align4(data_off + size, &next)) return CPIO_ERR_TRUNCATED;

  e->name = (const char*)name;
  e->name_len = name_len;
  e->data = base + data_off;
  e->size = size;
  e->mode = field[F_MODE];
  *pos = next;  // > off by at least 112: the loop in find() terminates
  return CPIO_OK;
}

// Drops leading "/" and "./" (any number, in any order); a lone "." becomes
// the empty string, so that "/", "." and "./" all name the root.
static void normalise(const char** s, chcore_u64* len) {
  const char* p = *s;
  chcore_u64 n = *len;
  for (;;) {
    if (n >= 1 && p[0] == '/') {
      p += 1;
      n -= 1;
    } else if (n >= 2 && p[0] == '.' && p[1] == '/') {
      p += 2;
      n -= 2;
    } else if (n == 1 && p[0] == '.') {
      n = 0;
    } else {
      break;
    }
  }
  *s = p;
  *len = n;
}

int chcore_cpio_find(const void* archive, chcore_u64 archive_size, const char* path,
                     struct chcore_cpio_entry* e) {
  if (e == 0) return CPIO_ERR_FORMAT;
  if (path == 0) return CPIO_ERR_NOT_FOUND;

  chcore_u64 want_len = 0;
  while (path[want_len] != 0) want_len++;
  const char* want = path;
  normalise(&want, &want_len);

  chcore_u64 pos = 0;
  for (;;) {
    struct chcore_cpio_entry cur;
    int err = chcore_cpio_next(archive, archive_size, &pos, &cur);
    if (err != CPIO_OK) return err;  // CPIO_ERR_NOT_FOUND at the trailer
    const char* have = cur.name;
    chcore_u64 have_len = cur.name_len;
    normalise(&have, &have_len);
    if (have_len == want_len && bytes_equal((const unsigned char*)have, want, want_len)) {
      // Field by field: a struct copy may become a call to memcpy.
      e->name = cur.name;
      e->name_len = cur.name_len;
      e->data = cur.data;
      e->size = cur.size;
      e->mode = cur.mode;
      return CPIO_OK;
    }
  }
}

const char* chcore_cpio_strerror(int err) {
  switch (err) {
    case CPIO_OK:
      return "ok";
    case CPIO_ERR_MAGIC:
      return "bad cpio magic (not newc)";
    case CPIO_ERR_TRUNCATED:
      return "cpio archive truncated";
    case CPIO_ERR_FORMAT:
      return "malformed cpio header";
    case CPIO_ERR_NOT_FOUND:
      return "not found";
    default:
      return "unknown cpio error";
  }
}
