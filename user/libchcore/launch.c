/* Starting programs: ELF loading, the initial stack, ramdisk sharing.
 * See chcore/launch.h for the interface and the child's layout. */
#include <chcore/launch.h>
#include <chcore/services.h>
#include <chcore/syscall.h>
#include <errno.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <lib/cpio.h>
#include <lib/elf.h>
#include <lib/initial_stack.h>

#define PAGE_SIZE 4096ul
#define PAGE_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

static void release(long slot) {
  if (slot >= 0) chcore_sys_revoke_cap((unsigned long)slot, CHCORE_REVOKE_SELF);
}

/* ---- The ramdisk ---------------------------------------------------------- */

/* Read once at start-up, on the main thread: getauxval reports a missing
 * entry through errno, which raw threads (no thread control block) must
 * not touch. */
static long irq_control_slot = -CHCORE_ENOENT;

__attribute__((constructor)) static void read_auxv(void) {
  errno = 0;
  unsigned long slot = getauxval(CHCORE_AT_IRQ_CONTROL_SLOT);
  if (errno == 0) {
    irq_control_slot = (long)slot;
    return;
  }
  /* The first process (the kernel gave it the ramdisk, but no slot entry)
   * has it in its fixed slot. */
  errno = 0;
  getauxval(CHCORE_AT_RAMDISK_SLOT);
  int child = errno == 0;
  if (!child && getauxval(CHCORE_AT_RAMDISK_SIZE) != 0) irq_control_slot = CHCORE_SLOT_IRQ_CONTROL;
}

long chcore_irq_control_slot(void) { return irq_control_slot; }

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

_Static_assert(CHCORE_IMAGE_MAX_SEGMENTS == CHCORE_ELF_MAX_SEGMENTS, "one segment table size");

/* The shared PMO of a read-only segment: its pages (zero-filled around the
 * file bytes), written once. The image keeps a capability with no more
 * rights than the segment's permissions (and no COPY), so that a child's
 * mapping of it can never be made writable (mprotect goes no further than
 * the rights it was mapped with): every child maps the same pages. */
static long shared_segment(const unsigned char* elf, const struct chcore_elf_segment* s) {
  unsigned long start = PAGE_DOWN(s->vaddr);
  long pmo = chcore_sys_create_pmo(PAGE_UP(s->vaddr + s->memsz) - start, CHCORE_PMO_DATA);
  if (pmo < 0) return pmo;
  long r = 0;
  if (s->filesz > 0)
    r = chcore_sys_write_pmo((unsigned long)pmo, s->vaddr - start,
                             (unsigned long)(elf + s->file_offset), s->filesz);
  long ro = r;
  if (r == 0)
    ro = chcore_sys_cap_copy(
        (unsigned long)pmo,
        CHCORE_RIGHT_READ | ((s->flags & CHCORE_ELF_PF_X) ? CHCORE_RIGHT_EXEC : 0));
  release(pmo);
  return ro;
}

long chcore_image_prepare(struct chcore_image* img, const void* elf, unsigned long elf_size,
                          int keep) {
  img->nsegments = 0;
  img->copy = 0;
  img->copy_size = 0;
  struct chcore_elf_info info;
  if (elf == 0 || chcore_elf_parse(elf, elf_size, &info) != ELF_OK) return -CHCORE_ENOEXEC;
  long r = check_segments(&info);
  if (r < 0) return r;
  img->entry = info.entry;
  img->phdr = info.phdr_vaddr;
  img->phnum = info.phnum;
  img->phent = info.phentsize;
  const unsigned char* bytes = elf;
  /* A writable segment that is all RELRO (.data.rel.ro, .got: data that is
   * constant once relocated, and a static executable is not relocated) is
   * shared read-only like the text, as a dynamic linker leaves it once it
   * has relocated it. */
  for (unsigned i = 0; i < info.nsegments; i++) {
    struct chcore_elf_segment* s = &info.seg[i];
    if ((s->flags & CHCORE_ELF_PF_W) && info.relro_memsz > 0 && s->vaddr >= info.relro_vaddr &&
        s->vaddr + s->memsz <= info.relro_vaddr + info.relro_memsz)
      s->flags &= ~CHCORE_ELF_PF_W;
  }
  /* A kept image copies the writable segments' file bytes, which every
   * child gets a copy of, into pages of its own (not the heap: they go
   * back whole when the image is released). */
  if (keep) {
    unsigned long n = 0;
    for (unsigned i = 0; i < info.nsegments; i++)
      if (info.seg[i].flags & CHCORE_ELF_PF_W) n += info.seg[i].filesz;
    if (n > 0) {
      img->copy = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (img->copy == MAP_FAILED) {
        img->copy = 0;
        return -CHCORE_ENOMEM;
      }
      img->copy_size = n;
    }
  }
  unsigned long copied = 0;
  for (unsigned i = 0; i < info.nsegments; i++) {
    const struct chcore_elf_segment* s = &info.seg[i];
    struct chcore_image_segment* d = &img->seg[i];
    d->vaddr = s->vaddr;
    d->memsz = s->memsz;
    d->filesz = s->filesz;
    d->flags = s->flags;
    d->pmo = -1;
    d->bytes = bytes + s->file_offset;
    if (s->flags & CHCORE_ELF_PF_W) {
      if (img->copy != 0) {
        memcpy((char*)img->copy + copied, d->bytes, s->filesz);
        d->bytes = (const unsigned char*)img->copy + copied;
        copied += s->filesz;
      }
    } else {
      d->pmo = shared_segment(bytes, s);
      d->bytes = 0;
      if (d->pmo < 0) {
        r = d->pmo;
        img->nsegments = i;
        chcore_image_release(img);
        return r;
      }
    }
    img->nsegments = i + 1;
  }
  return 0;
}

void chcore_image_release(struct chcore_image* img) {
  for (unsigned i = 0; i < img->nsegments; i++) {
    release(img->seg[i].pmo);
    img->seg[i].pmo = -1;
  }
  img->nsegments = 0;
  if (img->copy != 0) munmap(img->copy, img->copy_size);
  img->copy = 0;
}

/* One PT_LOAD in the child, with the segment's permissions. A read-only
 * segment maps the image's shared PMO. A writable one gets pages of its
 * own: a DATA PMO over its pages (zero-filled, so the bss and the bytes
 * around the segment in its first and last page are zero) with the file
 * bytes written at the segment's offset in the first page. (The bss is
 * not left to be zeroed on first touch: a program's static data is
 * resident from its start, which the memory accounting of tests and of the
 * fuzzer's supervisor counts on, and a small program touches most of it
 * anyway.) The caller's capability is dropped once mapped: the mapping
 * holds its own reference to the PMO. */
static long load_segment(long cg, const struct chcore_image_segment* s) {
  unsigned long prot = prot_of(s->flags);
  unsigned long start = PAGE_DOWN(s->vaddr);
  if (s->pmo >= 0) return chcore_sys_map_pmo((unsigned long)cg, (unsigned long)s->pmo, start, prot);
  long pmo = chcore_sys_create_pmo(PAGE_UP(s->vaddr + s->memsz) - start, CHCORE_PMO_DATA);
  if (pmo < 0) return pmo;
  long r = 0;
  if (s->filesz > 0)
    r = chcore_sys_write_pmo((unsigned long)pmo, s->vaddr - start, (unsigned long)s->bytes,
                             s->filesz);
  if (r == 0) r = chcore_sys_map_pmo((unsigned long)cg, (unsigned long)pmo, start, prot);
  release(pmo);
  return r;
}

void chcore_launch_abort(struct chcore_launch* l) {
  /* The child has no thread yet: dropping the only capability to it
   * destroys it with its address space and capabilities. */
  release(l->cg);
  l->cg = -1;
}

long chcore_launch_image(struct chcore_launch* l, const struct chcore_image* img,
                         const char* name) {
  l->cg = -1;
  l->ramdisk_slot = -1;
  l->ramdisk_size = 0;
  l->procmgr_slot = -1;
  l->fsm_slot = -1;
  l->irq_control_slot = -1;
  l->start_info = 0;
  l->start_info_size = 0;
  l->main_tid = -1;
  l->entry = img->entry;
  l->phdr = img->phdr;
  l->phnum = img->phnum;
  l->phent = img->phent;

  if (name == 0) name = "";
  unsigned long name_len = strnlen(name, CHCORE_NAME_MAX - 1);
  unsigned long pid = 0;
  long cg = chcore_sys_create_cap_group((unsigned long)name, name_len, (unsigned long)&pid);
  if (cg < 0) return cg;
  l->cg = cg;
  l->pid = (long)pid;

  /* The ramdisk first, so that it usually gets slot 1 in the child, as in
   * the first process. */
  long r;
  unsigned long rd_size;
  if (chcore_ramdisk(&rd_size) != 0) {
    r = chcore_share_ramdisk(cg);
    if (r < 0) goto fail;
    l->ramdisk_slot = r;
    l->ramdisk_size = rd_size;
  }

  /* The system services this process was given, passed on (the child
   * finds their slots in its auxiliary vector). */
  if (chcore_procmgr_cap() >= 0) {
    r = chcore_launch_transfer(l, chcore_procmgr_cap(), CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
    if (r < 0) goto fail;
    l->procmgr_slot = r;
  }
  if (chcore_fsm_cap() >= 0) {
    r = chcore_launch_transfer(l, chcore_fsm_cap(), CHCORE_RIGHT_WRITE | CHCORE_RIGHT_COPY);
    if (r < 0) goto fail;
    l->fsm_slot = r;
  }

  for (unsigned i = 0; i < img->nsegments; i++) {
    r = load_segment(cg, &img->seg[i]);
    if (r < 0) goto fail;
  }
  return 0;

fail:
  chcore_launch_abort(l);
  return r;
}

long chcore_launch_load(struct chcore_launch* l, const void* elf, unsigned long elf_size,
                        const char* name) {
  l->cg = -1;
  struct chcore_image img;
  long r = chcore_image_prepare(&img, elf, elf_size, 0);
  if (r < 0) return r;
  r = chcore_launch_image(l, &img, name);
  /* The child's mappings hold the shared PMOs now. */
  chcore_image_release(&img);
  return r;
}

long chcore_launch_transfer(struct chcore_launch* l, long slot, unsigned long rights) {
  if (l->cg < 0) return -CHCORE_EBADF;
  return chcore_sys_cap_transfer((unsigned long)l->cg, (unsigned long)slot, rights);
}

/* ---- The initial stack ---------------------------------------------------- */

/* 16 bytes for AT_RANDOM, from the kernel's random-number generator. */
static void random_bytes(unsigned char out[16]) {
  unsigned long done = 0;
  while (done < 16) {
    long r = chcore_sys_getrandom((unsigned long)(out + done), 16 - done, 0);
    if (r <= 0) break; /* cannot happen with a valid buffer */
    done += (unsigned long)r;
  }
}

static unsigned long count(const char* const* v) {
  unsigned long n = 0;
  if (v != 0) {
    while (v[n] != 0) n++;
  }
  return n;
}

/* The stack: one anonymous PMO (pages appear as the stack grows), with the
 * Linux initial stack (kernel/lib/initial_stack.c, the kernel's own builder)
 * written into its top pages before the thread runs, and above it the
 * start information (a block the child reads once, at start: there it
 * costs no PMO, mapping or page tables of its own). Returns the thread's
 * sp, or -errno. */
static long build_stack(const struct chcore_launch* l, const char* const argv[],
                        const char* const envp[], long* pmo) {
  struct chcore_auxv aux[13];
  unsigned n = 0;
#define AUX(t, v) aux[n++] = (struct chcore_auxv){(t), (v)}
  AUX(CHCORE_AT_PHDR, l->phdr);
  AUX(CHCORE_AT_PHNUM, l->phnum);
  AUX(CHCORE_AT_PHENT, l->phent);
  AUX(CHCORE_AT_PAGESZ, PAGE_SIZE);
  AUX(CHCORE_AT_ENTRY, l->entry);
  AUX(CHCORE_AT_HWCAP, 0);
  if (l->ramdisk_slot >= 0) {
    AUX(CHCORE_AT_RAMDISK_SIZE, l->ramdisk_size);
    AUX(CHCORE_AT_RAMDISK_SLOT, (unsigned long)l->ramdisk_slot);
  }
  if (l->procmgr_slot >= 0) AUX(CHCORE_AT_PROCMGR_SLOT, (unsigned long)l->procmgr_slot);
  if (l->fsm_slot >= 0) AUX(CHCORE_AT_FSM_SLOT, (unsigned long)l->fsm_slot);
  unsigned long top = CHCORE_STACK_TOP;
  if (l->start_info != 0) {
    if (l->start_info_size > CHCORE_START_INFO_MAX) return -CHCORE_E2BIG;
    top -= (l->start_info_size + 15) & ~15ul;
    AUX(CHCORE_AT_START_INFO, top);
  }
  if (l->irq_control_slot >= 0) {
    AUX(CHCORE_AT_IRQ_CONTROL_SLOT, (unsigned long)l->irq_control_slot);
  }
#undef AUX
  unsigned char rnd[16];
  random_bytes(rnd);
  struct chcore_stack_args args = {argv, count(argv), envp, count(envp), aux, n, rnd};

  unsigned long size;
  int e = chcore_initial_stack_size(&args, CHCORE_ARG_MAX, &size);
  if (e != STACK_OK) return e == STACK_ERR_TOO_BIG ? -CHCORE_E2BIG : -CHCORE_EINVAL;
  /* Assembled here, the start information right above the initial stack,
   * then written with one write_pmo. Usual argument lists fit on our
   * stack; larger ones get pages of their own, returned at once (no heap:
   * malloc's caches would keep memory after every spawn). */
  unsigned long info_size = l->start_info != 0 ? l->start_info_size : 0;
  unsigned long total = size + info_size;
  unsigned char small[2048];
  unsigned char* block = small;
  if (total > sizeof(small)) {
    block = mmap(0, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) return -CHCORE_ENOMEM;
  }
  unsigned long sp;
  long r =
      chcore_initial_stack_build(&args, top, block, size, &sp) == STACK_OK ? 0 : -CHCORE_EINVAL;
  if (info_size > 0) memcpy(block + size, l->start_info, info_size);
  if (r == 0) {
    *pmo = chcore_sys_create_pmo(CHCORE_STACK_SIZE, CHCORE_PMO_ANONYMOUS);
    if (*pmo < 0) r = *pmo;
  }
  if (r == 0)
    r = chcore_sys_write_pmo((unsigned long)*pmo,
                             top - size - (CHCORE_STACK_TOP - CHCORE_STACK_SIZE),
                             (unsigned long)block, total);
  if (block != small) munmap(block, total);
  return r < 0 ? r : (long)sp;
}

long chcore_launch_start(struct chcore_launch* l, const char* const argv[],
                         const char* const envp[]) {
  long r = chcore_launch_start_keep(l, argv, envp);
  if (r < 0) chcore_launch_abort(l);
  return r;
}

long chcore_launch_start_keep(struct chcore_launch* l, const char* const argv[],
                              const char* const envp[]) {
  if (l->cg < 0) return -CHCORE_EBADF;
  long pmo = -1;
  long sp = build_stack(l, argv, envp, &pmo);
  long r = sp < 0 ? sp : 0;
  if (r == 0) {
    r = chcore_sys_map_pmo((unsigned long)l->cg, (unsigned long)pmo,
                           CHCORE_STACK_TOP - CHCORE_STACK_SIZE,
                           CHCORE_PROT_READ | CHCORE_PROT_WRITE);
  }
  release(pmo); /* the mapping keeps its own reference */
  /* Its tid is the child's pid (procmgr). The thread runs on its own;
   * nobody here needs a capability to it. */
  if (r == 0)
    r = chcore_sys_create_thread((unsigned long)l->cg, l->entry, (unsigned long)sp, 0, 0,
                                 CHCORE_THREAD_TID);
  if (r < 0) return r;
  l->main_tid = r;
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
