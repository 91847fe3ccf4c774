// A reader for "newc" cpio archives (cpio(5), magic "070701"), the format of
// the initial RAM disk. Shared by the C++ kernel and C user programs, so it is
// C99 and freestanding: no libc, no heap, no global state.
//
// The archive is untrusted input. Every field is bounds-checked against the
// caller's archive_size, sums are checked for 64-bit overflow, and headers
// are read byte by byte, so neither the archive's alignment nor a hostile
// header can cause an out-of-bounds or unaligned read. Each successful step
// advances by at least 112 bytes, so iteration always terminates.
//
// Layout of one entry, offsets relative to the start of the archive:
//   110-byte header: "070701" then 13 fields of 8 ASCII hex digits
//                    (ino mode uid gid nlink mtime filesize devmajor devminor
//                     rdevmajor rdevminor namesize check)
//   name:            namesize bytes including the terminating NUL, then NULs
//                    up to a multiple of 4
//   data:            filesize bytes, then NULs up to a multiple of 4
// The archive ends with an entry named "TRAILER!!!".
#pragma once

#include "ctypes.h"

#ifdef __cplusplus
extern "C" {
#endif

enum chcore_cpio_err {
  CPIO_OK = 0,
  CPIO_ERR_MAGIC,      // no "070701" where a header should start
  CPIO_ERR_TRUNCATED,  // header, name or data runs past the end; or no trailer
  CPIO_ERR_FORMAT,     // non-hex digit, namesize 0, name not NUL-terminated
                       // (or with an embedded NUL), or a NULL argument
  CPIO_ERR_NOT_FOUND,  // reached the trailer (iteration) / no such path (find)
};

struct chcore_cpio_entry {
  const char* name;     // points into the archive; name[name_len] == '\0'
  chcore_u64 name_len;  // without the NUL
  const void* data;     // points into the archive; size bytes are readable
  chcore_u64 size;
  chcore_u32 mode;  // c_mode as stored (file type bits | permissions)
};

// Iterates over the entries. *pos starts at 0. Returns CPIO_OK, fills *e and
// advances *pos to the next header; returns CPIO_ERR_NOT_FOUND at the trailer
// (and keeps returning it; *pos stays on the trailer); otherwise returns an
// error and leaves *pos and *e unchanged. An archive without a trailer ends
// with CPIO_ERR_TRUNCATED once the data runs out.
int chcore_cpio_next(const void* archive, chcore_u64 archive_size, chcore_u64* pos,
                     struct chcore_cpio_entry* e);

// Finds the first entry whose name equals path. Leading "/" and "./"
// components are ignored on both sides, so "/bin/hello" finds "bin/hello" and
// "./bin/hello"; "/" and "." find the entry "." (the root directory as
// written by `find . | cpio -o`). Returns CPIO_OK and fills *e, or
// CPIO_ERR_NOT_FOUND if the trailer is reached without a match, or the first
// format error met before a match. *e is only written on success. path must
// be a NUL-terminated string supplied by the caller (it is trusted).
int chcore_cpio_find(const void* archive, chcore_u64 archive_size, const char* path,
                     struct chcore_cpio_entry* e);

// A short static description; never NULL ("unknown cpio error" for others).
const char* chcore_cpio_strerror(int err);

#ifdef __cplusplus
}
#endif
