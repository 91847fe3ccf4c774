// Static ELF64 AArch64 executable validator; see elf.h. C99, freestanding.
#include "elf.h"

// ELF header (Elf64_Ehdr) field offsets and constants.
#define EHDR_SIZE 64u
#define EI_CLASS 4u
#define EI_DATA 5u
#define ELFCLASS64 2u
#define ELFDATA2LSB 1u
#define E_TYPE 16u
#define E_MACHINE 18u
#define E_ENTRY 24u
#define E_PHOFF 32u
#define E_PHENTSIZE 54u
#define E_PHNUM 56u
#define ET_EXEC 2u
#define EM_AARCH64 183u
#define PN_XNUM 0xffffu  // real count stored in section header 0; unsupported

// Program header (Elf64_Phdr) field offsets and constants.
#define PHDR_SIZE 56u
#define P_TYPE 0u
#define P_FLAGS 4u
#define P_OFFSET 8u
#define P_VADDR 16u
#define P_FILESZ 32u
#define P_MEMSZ 40u
#define PT_LOAD 1u
#define PT_INTERP 3u
#define PT_PHDR 6u
#define PT_GNU_RELRO 0x6474e552u

#define USER_VA_END ((chcore_u64)1 << 48)  // exclusive
#define PAGE_MASK 0xfffu

static chcore_u16 rd16(const unsigned char* p) {
  return (chcore_u16)((chcore_u16)p[0] | (chcore_u16)((chcore_u16)p[1] << 8));
}

static chcore_u32 rd32(const unsigned char* p) {
  return (chcore_u32)p[0] | ((chcore_u32)p[1] << 8) | ((chcore_u32)p[2] << 16) |
         ((chcore_u32)p[3] << 24);
}

static chcore_u64 rd64(const unsigned char* p) {
  return (chcore_u64)rd32(p) | ((chcore_u64)rd32(p + 4) << 32);
}

// Checks one PT_LOAD against the image and the user address space.
static int load_ok(const struct chcore_elf_segment* s, chcore_u64 size) {
  if (s->memsz == 0 || s->filesz > s->memsz) return 0;
  if (s->file_offset > size || s->filesz > size - s->file_offset) return 0;
  if (s->vaddr >= USER_VA_END || s->memsz > USER_VA_END - s->vaddr) return 0;
  if ((s->vaddr & PAGE_MASK) != (s->file_offset & PAGE_MASK)) return 0;
  return 1;
}

int chcore_elf_parse(const void* image, chcore_u64 size, struct chcore_elf_info* out) {
  const unsigned char* p = (const unsigned char*)image;
  if (out == 0) return ELF_ERR_TRUNCATED;
  out->nsegments = 0;
  if (p == 0) size = 0;

  // ELF header.
  if (size < 4) return ELF_ERR_TRUNCATED;
  if (p[0] != 0x7f || p[1] != 'E' || p[2] != 'L' || p[3] != 'F') return ELF_ERR_MAGIC;
  if (size < EHDR_SIZE) return ELF_ERR_TRUNCATED;
  if (p[EI_CLASS] != ELFCLASS64) return ELF_ERR_CLASS;
  if (p[EI_DATA] != ELFDATA2LSB) return ELF_ERR_ENDIAN;
  if (rd16(p + E_MACHINE) != EM_AARCH64) return ELF_ERR_MACHINE;
  // ET_DYN is rejected for now, including static-pie (ET_DYN without
  // PT_INTERP/PT_DYNAMIC): the loader does not relocate. ET_REL and ET_CORE
  // are not executables.
  if (rd16(p + E_TYPE) != ET_EXEC) return ELF_ERR_TYPE;

  chcore_u64 entry = rd64(p + E_ENTRY);
  chcore_u64 phoff = rd64(p + E_PHOFF);
  chcore_u16 phentsize = rd16(p + E_PHENTSIZE);
  chcore_u16 phnum = rd16(p + E_PHNUM);

  // Program header table. phnum < 2^16 and phentsize == 56, so the product
  // cannot overflow; the sum with phoff is checked by subtraction.
  if (phentsize != PHDR_SIZE) return ELF_ERR_PHDR;
  if (phnum == 0 || phnum == PN_XNUM) return ELF_ERR_PHDR;
  chcore_u64 table_size = (chcore_u64)phnum * PHDR_SIZE;
  if (phoff > size || table_size > size - phoff) return ELF_ERR_PHDR;

  out->entry = entry;
  out->phdr_vaddr = 0;
  out->phnum = phnum;
  out->phentsize = phentsize;
  out->lowest_vaddr = 0;
  out->highest_vaddr_end = 0;
  out->relro_vaddr = 0;
  out->relro_memsz = 0;

  int have_pt_phdr = 0;
  chcore_u32 n = 0;
  for (chcore_u32 i = 0; i < phnum; i++) {
    const unsigned char* ph = p + phoff + (chcore_u64)i * PHDR_SIZE;
    chcore_u32 type = rd32(ph + P_TYPE);
    if (type == PT_INTERP) return ELF_ERR_TYPE;  // dynamically linked
    if (type == PT_PHDR) {
      if (!have_pt_phdr) out->phdr_vaddr = rd64(ph + P_VADDR);
      have_pt_phdr = 1;
      continue;
    }
    if (type == PT_GNU_RELRO && out->relro_memsz == 0) {
      out->relro_vaddr = rd64(ph + P_VADDR);
      out->relro_memsz = rd64(ph + P_MEMSZ);
      // Reported only if it lies in the user address space (no wrap).
      if (out->relro_vaddr >= USER_VA_END || out->relro_memsz > USER_VA_END - out->relro_vaddr)
        out->relro_vaddr = out->relro_memsz = 0;
      continue;
    }
    if (type != PT_LOAD) continue;

    if (n == CHCORE_ELF_MAX_SEGMENTS) return ELF_ERR_TOO_MANY;
    struct chcore_elf_segment* s = &out->seg[n];
    s->vaddr = rd64(ph + P_VADDR);
    s->memsz = rd64(ph + P_MEMSZ);
    s->file_offset = rd64(ph + P_OFFSET);
    s->filesz = rd64(ph + P_FILESZ);
    s->flags = rd32(ph + P_FLAGS) & (CHCORE_ELF_PF_R | CHCORE_ELF_PF_W | CHCORE_ELF_PF_X);
    if (!load_ok(s, size)) return ELF_ERR_SEGMENT;
    // No byte may belong to two segments. Sharing a page is allowed; the
    // loader has to merge permissions/contents of such pages.
    chcore_u64 end = s->vaddr + s->memsz;  // <= 2^48 by load_ok()
    for (chcore_u32 j = 0; j < n; j++) {
      const struct chcore_elf_segment* t = &out->seg[j];
      if (s->vaddr < t->vaddr + t->memsz && t->vaddr < end) return ELF_ERR_SEGMENT;
    }
    if (n == 0 || s->vaddr < out->lowest_vaddr) out->lowest_vaddr = s->vaddr;
    if (n == 0 || end > out->highest_vaddr_end) out->highest_vaddr_end = end;
    n++;
    out->nsegments = n;
  }
  if (n == 0) return ELF_ERR_SEGMENT;

  int entry_ok = 0;
  for (chcore_u32 j = 0; j < n; j++) {
    const struct chcore_elf_segment* s = &out->seg[j];
    if ((s->flags & CHCORE_ELF_PF_X) && entry >= s->vaddr && entry - s->vaddr < s->memsz) {
      entry_ok = 1;
    }
  }
  if (!entry_ok) return ELF_ERR_SEGMENT;

  // Without PT_PHDR, find the table through the PT_LOAD whose file bytes hold
  // all of it (normally the first one, which maps the ELF header too).
  if (!have_pt_phdr) {
    for (chcore_u32 j = 0; j < n; j++) {
      const struct chcore_elf_segment* s = &out->seg[j];
      // file_offset + filesz <= size, and phoff + table_size <= size: no overflow.
      if (phoff >= s->file_offset && phoff + table_size <= s->file_offset + s->filesz) {
        out->phdr_vaddr = s->vaddr + (phoff - s->file_offset);
        break;
      }
    }
  }
  return ELF_OK;
}

const char* chcore_elf_strerror(int err) {
  switch (err) {
    case ELF_OK:
      return "ok";
    case ELF_ERR_TRUNCATED:
      return "ELF image truncated";
    case ELF_ERR_MAGIC:
      return "not an ELF image";
    case ELF_ERR_CLASS:
      return "not a 64-bit ELF image";
    case ELF_ERR_ENDIAN:
      return "not a little-endian ELF image";
    case ELF_ERR_MACHINE:
      return "not an AArch64 ELF image";
    case ELF_ERR_TYPE:
      return "not a static executable";
    case ELF_ERR_PHDR:
      return "bad ELF program header table";
    case ELF_ERR_SEGMENT:
      return "bad ELF loadable segment or entry point";
    case ELF_ERR_TOO_MANY:
      return "too many ELF loadable segments";
    default:
      return "unknown ELF error";
  }
}
