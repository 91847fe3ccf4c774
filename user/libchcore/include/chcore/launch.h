/* Starting programs: load a static ELF into a new process, give it a Linux
 * initial stack and one thread.
 *
 * A child's address space (see user/README.md):
 *   0x400000 ...            the ELF's PT_LOAD segments (DATA PMOs; read-only
 *                           ones shared by the children of one prepared image)
 *   CHCORE_RAMDISK_VA       the boot ramdisk, read-only (if the parent has it)
 *   CHCORE_STACK_TOP        top of the main stack, CHCORE_STACK_SIZE below it
 *                           (the start information, if any, at its very top)
 *
 * Its main thread starts at the ELF entry with sp at argc, as on Linux:
 * argc, argv[], NULL, envp[], NULL, auxv (AT_PHDR, AT_PHNUM, AT_PHENT,
 * AT_PAGESZ, AT_ENTRY, AT_RANDOM, AT_HWCAP, and when the ramdisk is shared
 * CHCORE_AT_RAMDISK_SIZE and CHCORE_AT_RAMDISK_SLOT), AT_NULL; the strings
 * and the 16 AT_RANDOM bytes above them. */
#ifndef CHCORE_LAUNCH_H
#define CHCORE_LAUNCH_H

#include <uapi/object.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A user-space convention (not a kernel ABI): the slot of the ramdisk PMO in
 * a process started by chcore_spawn. The first process, which has no such
 * entry, has it in CHCORE_SLOT_RAMDISK. */
#define CHCORE_AT_RAMDISK_SLOT 0x6002
/* The IRQ-control capability's slot, when the parent handed it on (procmgr
 * to the program it runs; chcore/services.h has 0x6003 and 0x6004). */
#define CHCORE_AT_IRQ_CONTROL_SLOT 0x6005

/* The main thread's stack in processes started by chcore_spawn. */
#define CHCORE_STACK_TOP 0x0000700000000000ul
#define CHCORE_STACK_SIZE (256ul * 1024)
/* CHCORE_ARG_MAX (uapi/object.h) bounds what argv, envp, auxv and their
 * strings may occupy at the top of the stack, for the kernel's first
 * process and for these children alike; more gives -E2BIG. */

/* A child being started, between chcore_launch_load and chcore_launch_start. */
struct chcore_launch {
  long cg;                    /* the child's cap_group slot in the caller; -1: none */
  unsigned long entry;        /* ELF entry point */
  unsigned long phdr;         /* AT_PHDR (0 if the program headers are not mapped) */
  unsigned long phnum, phent; /* AT_PHNUM, AT_PHENT */
  long ramdisk_slot;          /* the ramdisk's slot in the child; -1: not shared */
  unsigned long ramdisk_size; /* its size in bytes (CHCORE_AT_RAMDISK_SIZE) */
  /* The child's slots of procmgr's and fsm's servers (-1: none). Load
   * passes on the caller's own; CHCORE_AT_PROCMGR_SLOT / _FSM_SLOT. */
  long procmgr_slot, fsm_slot;
  /* The child's slot of the IRQ-control capability, if the caller hands it
   * on with chcore_launch_transfer and sets this (-1: none). */
  long irq_control_slot;
  /* A block of start information for the child (procmgr's,
   * chcore/proto/procmgr.h), or NULL: chcore_launch_start copies it to the
   * top of the child's stack, above the initial stack, and names its
   * address in the auxiliary vector entry CHCORE_AT_START_INFO. At most
   * CHCORE_START_INFO_MAX bytes (more: -E2BIG). */
  const void* start_info;
  unsigned long start_info_size;
  /* Set by chcore_launch_start: the main thread's tid (-1 unknown). */
  long main_tid;
  /* The child's pid as the kernel knows it (cap_info's id), from load. */
  long pid;
};
#define CHCORE_AT_START_INFO 0x6006
#define CHCORE_START_INFO_MAX (64ul * 1024)

/* A program prepared once to be started many times (procmgr keeps the
 * programs it runs): its read-only segments (text, constants) are PMOs
 * that every child maps, the same pages in all of them and never writable
 * there; its writable segments' file bytes are copied into each child's own
 * pages. */
#define CHCORE_IMAGE_MAX_SEGMENTS 16
struct chcore_image_segment {
  unsigned long vaddr, memsz, filesz;
  unsigned flags;             /* the ELF's PF_R / PF_W / PF_X */
  long pmo;                   /* read-only: the shared PMO's slot; -1: writable */
  const unsigned char* bytes; /* writable: the file bytes */
};
struct chcore_image {
  unsigned long entry, phdr, phnum, phent;
  unsigned nsegments;
  struct chcore_image_segment seg[CHCORE_IMAGE_MAX_SEGMENTS];
  void* copy; /* a kept image's copy of the writable bytes (mapped pages) */
  unsigned long copy_size;
};
/* Checks the ELF as chcore_launch_load does and prepares it. With `keep`,
 * the image has copies of everything it needs and `elf` may go at once;
 * without, it points into `elf`, which must stay until the last
 * chcore_launch_image. Returns 0 or -errno (-ENOEXEC, -ENOMEM, ...). */
long chcore_image_prepare(struct chcore_image* img, const void* elf, unsigned long elf_size,
                          int keep);
/* Frees what the image holds (children that run it keep their mappings). */
void chcore_image_release(struct chcore_image* img);
/* Step 1 with a prepared image: as chcore_launch_load. */
long chcore_launch_image(struct chcore_launch* l, const struct chcore_image* img, const char* name);

/* Step 1: creates the process `name` (truncated to CHCORE_NAME_MAX - 1
 * bytes), shares the ramdisk with it (if this process has one) and maps the
 * ELF's segments. Nothing runs yet. Returns 0, or -errno with everything
 * undone: -ENOEXEC for an ELF that is not a static AArch64 executable or
 * has a writable and executable segment, else what the kernel said. */
long chcore_launch_load(struct chcore_launch* l, const void* elf, unsigned long elf_size,
                        const char* name);
/* Optional step 2: hands the child a capability before it runs; returns its
 * slot number in the child (e.g. to put into argv) or -errno. */
long chcore_launch_transfer(struct chcore_launch* l, long slot, unsigned long rights);
/* Step 3: builds the stack (argv and envp are NULL-terminated arrays; NULL
 * means empty) and starts the main thread. Returns the child's cap_group
 * slot (l->cg), or -errno with the child destroyed (-E2BIG if the arguments
 * do not fit in CHCORE_ARG_MAX). */
long chcore_launch_start(struct chcore_launch* l, const char* const argv[],
                         const char* const envp[]);
/* The same, but on an error the child stays (l->cg, not started) for the
 * caller, who ends it with chcore_launch_abort. */
long chcore_launch_start_keep(struct chcore_launch* l, const char* const argv[],
                              const char* const envp[]);
/* Destroys a child that was loaded but not started. */
void chcore_launch_abort(struct chcore_launch* l);

/* All three steps: returns the child's cap_group slot in the caller, or
 * -errno. argv NULL means { name, NULL }. */
long chcore_spawn(const void* elf, unsigned long elf_size, const char* name,
                  const char* const argv[], const char* const envp[]);
/* chcore_spawn of the program at `path` in the ramdisk; the process is named
 * after the last component of path. -ENOENT if there is no such file or no
 * ramdisk. argv NULL means { path, NULL }. */
long chcore_spawn_path(const char* path, const char* const argv[], const char* const envp[]);

/* Waits until the child has exited, drops the caller's capability to it,
 * and returns its exit code (0-255), or minus the signal number if a fault
 * killed it (-11), or an error of wait_cap_group (-EBADF, ...; the kernel's
 * wait statuses are never negative, see uapi/object.h). */
long chcore_wait(long cg_slot);

/* The boot ramdisk as this process sees it (mapped read-only at
 * CHCORE_RAMDISK_VA): its address, and its size in *size; NULL if this
 * process has none. */
const void* chcore_ramdisk(unsigned long* size);
/* The IRQ-control capability's slot in this process, or -ENOENT. */
long chcore_irq_control_slot(void);
/* The ramdisk PMO's slot in this process, or -ENOENT. */
long chcore_ramdisk_slot(void);
/* Finds the file `path` in the ramdisk. Returns 0 and sets *data / *size,
 * or -ENOENT. */
long chcore_ramdisk_find(const char* path, const void** data, unsigned long* size);
/* Transfers the ramdisk read-only (READ | COPY, so the child can pass it on)
 * to the process `cg_slot` and maps it at CHCORE_RAMDISK_VA there. Returns
 * the ramdisk's slot in that process, or -errno (-ENOENT: no ramdisk here). */
long chcore_share_ramdisk(long cg_slot);

#ifdef __cplusplus
}
#endif

#endif
