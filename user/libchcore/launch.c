/* Starting programs: ELF loading, the initial stack, ramdisk sharing.
 * See chcore/launch.h for the interface and the child's layout. */
#include <chcore/launch.h>
#include <chcore/syscall.h>
#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <lib/cpio.h>
#include <lib/elf.h>

#define PAGE_SIZE 4096ul
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

static void release(long slot) {
  if (slot >= 0) chcore_sys_revoke_cap((unsigned long)slot, CHCORE_REVOKE_SELF);
}

/* ---- The ramdisk ---------------------------------------------------------- */

long chcore_ramdisk_slot(void) {
  /* A child of chcore_spawn is told where its copy is; the first process
   * has it in the fixed slot, and knows its size from the kernel. */
  errno = 0;
  unsigned long slot = getauxval(CHCORE_AT_RAMDISK_SLOT);
  if (errno == 0) return (long)slot;
  if (getauxval(CHCORE_AT_RAMDISK_SIZE) != 0) return CHCORE_SLOT_RAMDISK;
  return -CHCORE_ENOENT;
}

const void* chcore_ramdisk(unsigned long* size) {
  unsigned long n = getauxval(CHCORE_AT_RAMDISK_SIZE);
  if (size != 0) *size = n;
  return n != 0 ? (const void*)CHCORE_RAMDISK_VA : 0;
}

long chcore_ramdisk_find(const char* path, const void** data, unsigned long* size) {
  unsigned long rd_size;
  const void* rd = chcore_ramdisk(&rd_size);
  if (rd == 0) return -CHCORE_ENOENT;
  struct chcore_cpio_entry e;
  if (chcore_cpio_find(rd, rd_size, path, &e) != CPIO_OK) return -CHCORE_ENOENT;
  /* Only regular files are programs (S_IFMT == S_IFREG). */
  if ((e.mode & 0170000u) != 0100000u) return -CHCORE_ENOENT;
  *data = e.data;
  *size = e.size;
  return 0;
}

long chcore_share_ramdisk(long cg_slot) {
  long mine = chcore_ramdisk_slot();
  if (mine < 0) return mine;
  long theirs = chcore_sys_cap_transfer((unsigned long)cg_slot, (unsigned long)mine,
                                        CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  if (theirs < 0) return theirs;
  long r = chcore_sys_map_pmo((unsigned long)cg_slot, (unsigned long)mine, CHCORE_RAMDISK_VA,
                              CHCORE_PROT_READ);
  /* On failure the transferred capability stays in the child; the caller
   * destroys the child anyway. */
  return r < 0 ? r : theirs;
}

/* ---- Loading -------------------------------------------------------------- */

static unsigned prot_of(unsigned pf) {
  unsigned prot = 0;
  if (pf & CHCORE_ELF_PF_R) prot |= CHCORE_PROT_READ;
  if (pf & CHCORE_ELF_PF_W) prot |= CHCORE_PROT_WRITE;
  if (pf & CHCORE_ELF_PF_X) prot |= CHCORE_PROT_EXEC;
  return prot;
}

/* One PT_LOAD: a DATA PMO over its pages (zero-filled, so the bss and the
 * bytes around the segment in its first and last page are zero), the file
 * bytes written at the segment's offset in the first page, mapped with the
 * segment's permissions. The caller's capability is dropped once mapped:
 * the mapping holds its own reference to the PMO. */
static long load_segment(long cg, const unsigned char* image, const struct chcore_elf_segment* s) {
  unsigned long start = PAGE_DOWN(s->vaddr);
  unsigned long end = PAGE_UP(s->vaddr + s->memsz);
  long pmo = chcore_sys_create_pmo(end - start, CHCORE_PMO_DATA);
  if (pmo < 0) return pmo;
  long r = 0;
  if (s->filesz > 0) {
    r = chcore_sys_write_pmo((unsigned long)pmo, s->vaddr - start,
                             (unsigned long)(image + s->file_offset), s->filesz);
  }
  if (r == 0)
    r = chcore_sys_map_pmo((unsigned long)cg, (unsigned long)pmo, start, prot_of(s->flags));
  release(pmo);
  return r;
}

/* Rejects what the kernel would map but a loader must not: writable and
 * executable segments (W^X), and two segments sharing a page (each page gets
 * exactly one PMO and one set of permissions). */
static long check_segments(const struct chcore_elf_info* info) {
  for (unsigned i = 0; i < info->nsegments; i++) {
    const struct chcore_elf_segment* a = &info->seg[i];
    if ((a->flags & CHCORE_ELF_PF_W) && (a->flags & CHCORE_ELF_PF_X)) return -CHCORE_ENOEXEC;
    if (a->memsz == 0) return -CHCORE_ENOEXEC;
    for (unsigned j = 0; j < i; j++) {
      const struct chcore_elf_segment* b = &info->seg[j];
      if (PAGE_DOWN(a->vaddr) < PAGE_UP(b->vaddr + b->memsz) &&
          PAGE_DOWN(b->vaddr) < PAGE_UP(a->vaddr + a->memsz))
        return -CHCORE_ENOEXEC;
    }
  }
  return 0;
}

void chcore_launch_abort(struct chcore_launch* l) {
  /* The child has no thread yet: dropping the only capability to it
   * destroys it with its address space and capabilities. */
  release(l->cg);
  l->cg = -1;
}

long chcore_launch_load(struct chcore_launch* l, const void* elf, unsigned long elf_size,
                        const char* name) {
  l->cg = -1;
  l->ramdisk_slot = -1;
  l->ramdisk_size = 0;

  struct chcore_elf_info info;
  if (elf == 0 || chcore_elf_parse(elf, elf_size, &info) != ELF_OK) return -CHCORE_ENOEXEC;
  long r = check_segments(&info);
  if (r < 0) return r;
  l->entry = info.entry;
  l->phdr = info.phdr_vaddr;
  l->phnum = info.phnum;
  l->phent = info.phentsize;

  if (name == 0) name = "";
  unsigned long name_len = strnlen(name, CHCORE_NAME_MAX - 1);
  long cg = chcore_sys_create_cap_group((unsigned long)name, name_len);
  if (cg < 0) return cg;
  l->cg = cg;

  /* The ramdisk first, so that it usually gets slot 1 in the child, as in
   * the first process. */
  unsigned long rd_size;
  if (chcore_ramdisk(&rd_size) != 0) {
    r = chcore_share_ramdisk(cg);
    if (r < 0) goto fail;
    l->ramdisk_slot = r;
    l->ramdisk_size = rd_size;
  }

  for (unsigned i = 0; i < info.nsegments; i++) {
    r = load_segment(cg, (const unsigned char*)elf, &info.seg[i]);
    if (r < 0) goto fail;
  }
  return 0;

fail:
  chcore_launch_abort(l);
  return r;
}

long chcore_launch_transfer(struct chcore_launch* l, long slot, unsigned long rights) {
  if (l->cg < 0) return -CHCORE_EBADF;
  return chcore_sys_cap_transfer((unsigned long)l->cg, (unsigned long)slot, rights);
}

/* ---- The initial stack ---------------------------------------------------- */

/* 16 bytes for AT_RANDOM, from the kernel's random-number generator. */
static void random_bytes(unsigned long out[2]) {
  unsigned char* p = (unsigned char*)out;
  unsigned long done = 0;
  while (done < 16) {
    long r = chcore_sys_getrandom((unsigned long)(p + done), 16 - done, 0);
    if (r <= 0) break; /* cannot happen with a valid buffer */
    done += (unsigned long)r;
  }
}

/* Writes into the stack PMO by virtual address in the child. */
struct stack_writer {
  long pmo;
  unsigned long base; /* the child's address of the PMO's first byte */
  long error;
  /* Words of the argv/envp/auxv block are collected here and written in
   * runs, to keep the number of write_pmo calls small. */
  unsigned long run_va;
  unsigned n;
  unsigned long words[64];
};

static void put_bytes(struct stack_writer* w, unsigned long va, const void* src,
                      unsigned long len) {
  if (w->error != 0 || len == 0) return;
  long r = chcore_sys_write_pmo((unsigned long)w->pmo, va - w->base, (unsigned long)src, len);
  if (r < 0) w->error = r;
}

static void flush_words(struct stack_writer* w) {
  put_bytes(w, w->run_va, w->words, w->n * sizeof(unsigned long));
  w->run_va += w->n * sizeof(unsigned long);
  w->n = 0;
}

static void put_word(struct stack_writer* w, unsigned long v) {
  if (w->n == sizeof(w->words) / sizeof(w->words[0])) flush_words(w);
  w->words[w->n++] = v;
}

/* Copies n strings to *va upward and puts a word with each one's address,
 * then the NULL that ends the list. */
static void put_strings(struct stack_writer* w, unsigned long* va, const char* const* list,
                        unsigned long n) {
  for (unsigned long i = 0; i < n; i++) {
    unsigned long len = strlen(list[i]) + 1;
    put_bytes(w, *va, list[i], len);
    put_word(w, *va);
    *va += len;
  }
  put_word(w, 0);
}

static unsigned long count(const char* const* v) {
  unsigned long n = 0;
  if (v != 0) {
    while (v[n] != 0) n++;
  }
  return n;
}

#define AUXV_MAX 10

long chcore_launch_start(struct chcore_launch* l, const char* const argv[],
                         const char* const envp[]) {
  if (l->cg < 0) return -CHCORE_EBADF;
  unsigned long argc = count(argv), envc = count(envp);
  long r;

  /* Measure: strings (with NULs) at the top, below them the random bytes,
   * below them the word block starting at sp. */
  unsigned long strings = 0;
  for (unsigned long i = 0; i < argc; i++) strings += strlen(argv[i]) + 1;
  for (unsigned long i = 0; i < envc; i++) strings += strlen(envp[i]) + 1;
  if (argc > CHCORE_ARG_MAX || envc > CHCORE_ARG_MAX || strings > CHCORE_ARG_MAX) {
    chcore_launch_abort(l);
    return -CHCORE_E2BIG;
  }
  unsigned long auxv[2 * AUXV_MAX];
  unsigned nauxv = 0;
  unsigned long top = CHCORE_STACK_TOP;
  /* The top 16 bytes stay zero (an end marker, as on Linux). */
  unsigned long str_va = (top - 16 - strings) & ~15ul;
  unsigned long random_va = str_va - 16;
#define AUX(t, v)              \
  do {                         \
    auxv[2 * nauxv] = (t);     \
    auxv[2 * nauxv + 1] = (v); \
    nauxv++;                   \
  } while (0)
  AUX(AT_PHDR, l->phdr);
  AUX(AT_PHNUM, l->phnum);
  AUX(AT_PHENT, l->phent);
  AUX(AT_PAGESZ, PAGE_SIZE);
  AUX(AT_ENTRY, l->entry);
  AUX(AT_RANDOM, random_va);
  AUX(AT_HWCAP, 0);
  if (l->ramdisk_slot >= 0) {
    AUX(CHCORE_AT_RAMDISK_SIZE, l->ramdisk_size);
    AUX(CHCORE_AT_RAMDISK_SLOT, (unsigned long)l->ramdisk_slot);
  }
  AUX(AT_NULL, 0);
#undef AUX
  unsigned long words = 1 + (argc + 1) + (envc + 1) + 2 * nauxv;
  unsigned long sp = (random_va - words * sizeof(unsigned long)) & ~15ul;
  if (top - sp > CHCORE_ARG_MAX) {
    chcore_launch_abort(l);
    return -CHCORE_E2BIG;
  }

  /* The stack: one anonymous PMO (pages appear as the stack grows), with
   * the argument block written into its top pages before the thread runs. */
  struct stack_writer w;
  w.base = top - CHCORE_STACK_SIZE;
  w.error = 0;
  w.n = 0;
  w.run_va = sp;
  w.pmo = chcore_sys_create_pmo(CHCORE_STACK_SIZE, CHCORE_PMO_ANONYMOUS);
  if (w.pmo < 0) {
    chcore_launch_abort(l);
    return w.pmo;
  }

  unsigned long va = str_va;
  put_word(&w, argc);
  put_strings(&w, &va, argv, argc);
  put_strings(&w, &va, envp, envc);
  for (unsigned i = 0; i < 2 * nauxv; i++) put_word(&w, auxv[i]);
  flush_words(&w);
  unsigned long rnd[2];
  random_bytes(rnd);
  put_bytes(&w, random_va, rnd, sizeof(rnd));

  r = w.error;
  if (r == 0) {
    r = chcore_sys_map_pmo((unsigned long)l->cg, (unsigned long)w.pmo, w.base,
                           CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  }
  release(w.pmo);
  if (r == 0) r = chcore_sys_create_thread((unsigned long)l->cg, l->entry, sp, 0, 0);
  if (r < 0) {
    chcore_launch_abort(l);
    return r;
  }
  /* The thread runs on its own; nobody here needs its capability. */
  release(r);
  return l->cg;
}

/* ---- Convenience ---------------------------------------------------------- */

long chcore_spawn(const void* elf, unsigned long elf_size, const char* name,
                  const char* const argv[], const char* const envp[]) {
  struct chcore_launch l;
  long r = chcore_launch_load(&l, elf, elf_size, name);
  if (r < 0) return r;
  const char* default_argv[2] = {name != 0 ? name : "", 0};
  return chcore_launch_start(&l, argv != 0 ? argv : default_argv, envp);
}

long chcore_spawn_path(const char* path, const char* const argv[], const char* const envp[]) {
  const void* elf;
  unsigned long size;
  long r = chcore_ramdisk_find(path, &elf, &size);
  if (r < 0) return r;
  const char* name = strrchr(path, '/');
  name = name != 0 ? name + 1 : path;
  const char* default_argv[2] = {path, 0};
  return chcore_spawn(elf, size, name, argv != 0 ? argv : default_argv, envp);
}

long chcore_wait(long cg_slot) {
  long status = chcore_sys_wait_cap_group((unsigned long)cg_slot);
  release(cg_slot);
  if (status < 0) return status;  /* -errno */
  /* Decode the wait status: the exit code, or minus the signal number of a
   * fault that killed it (so -11 for a segmentation fault). */
  if (CHCORE_WIFEXITED(status)) return CHCORE_WEXITSTATUS(status);
  return -(long)CHCORE_WTERMSIG(status);
}
