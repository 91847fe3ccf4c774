// A validator for static ELF64 little-endian AArch64 executables (System V
// gABI, "ELF-64 Object File Format"), used to load user programs. Shared by
// the C++ kernel and C user programs, so it is C99 and freestanding: no libc,
// no heap, no global state.
//
// The image is untrusted input. chcore_elf_parse() reads the ELF header and
// the program header table byte by byte (little-endian, so the image's
// alignment never matters), checks every offset and size against the image
// size without 64-bit overflow, and only reports PT_LOAD segments that a
// loader can map as is: file bytes inside the image, the whole segment inside
// the 48-bit user address space, vaddr and file offset congruent modulo 4 KiB,
// no two segments sharing a byte, and the entry point inside an executable
// segment. Only the header and the program headers are read; the contents of
// segments and all other program headers (PT_NOTE, PT_TLS, ...) are ignored.
#pragma once

#include "ctypes.h"

#ifdef __cplusplus
extern "C" {
#endif

enum chcore_elf_err {
  ELF_OK = 0,
  ELF_ERR_TRUNCATED,  // smaller than the 64-byte ELF header, or a NULL argument
  ELF_ERR_MAGIC,      // not "\x7fELF"
  ELF_ERR_CLASS,      // not ELFCLASS64
  ELF_ERR_ENDIAN,     // not ELFDATA2LSB
  ELF_ERR_MACHINE,    // not EM_AARCH64
  ELF_ERR_TYPE,       // not ET_EXEC, or has PT_INTERP (dynamically linked)
  ELF_ERR_PHDR,       // e_phentsize != 56, e_phnum 0 or PN_XNUM, or the table
                      // is not inside the image
  ELF_ERR_SEGMENT,    // a bad PT_LOAD, none at all, or entry not in an
                      // executable PT_LOAD
  ELF_ERR_TOO_MANY,   // more than CHCORE_ELF_MAX_SEGMENTS PT_LOAD entries
};

#define CHCORE_ELF_MAX_SEGMENTS 16

// Segment permission bits (p_flags).
#define CHCORE_ELF_PF_X 1u
#define CHCORE_ELF_PF_W 2u
#define CHCORE_ELF_PF_R 4u

struct chcore_elf_segment {
  chcore_u64 vaddr, memsz, file_offset, filesz;
  chcore_u32 flags;  // p_flags & (PF_R | PF_W | PF_X); OS/processor bits dropped
};

struct chcore_elf_info {
  chcore_u64 entry;
  // Virtual address of the program header table, for AT_PHDR: p_vaddr of the
  // first PT_PHDR if there is one, else computed from the PT_LOAD whose file
  // bytes contain the whole table; 0 if neither.
  chcore_u64 phdr_vaddr;
  chcore_u16 phnum, phentsize;  // for AT_PHNUM / AT_PHENT
  chcore_u32 nsegments;
  struct chcore_elf_segment seg[CHCORE_ELF_MAX_SEGMENTS];  // PT_LOAD only, file order
  // Over all PT_LOAD segments: min(vaddr) and max(vaddr + memsz), exclusive.
  chcore_u64 lowest_vaddr, highest_vaddr_end;
  // The first PT_GNU_RELRO, the range that is read-only once relocated (a
  // static executable has nothing to relocate): 0, 0 if none, or if it
  // does not lie in the user address space.
  chcore_u64 relro_vaddr, relro_memsz;
};

// Validates image[0, size) and describes it in *out. Returns ELF_OK or an
// error; on error the contents of *out are unspecified (but nsegments never
// exceeds CHCORE_ELF_MAX_SEGMENTS).
int chcore_elf_parse(const void* image, chcore_u64 size, struct chcore_elf_info* out);

// A short static description; never NULL ("unknown ELF error" for others).
const char* chcore_elf_strerror(int err);

#ifdef __cplusplus
}
#endif
