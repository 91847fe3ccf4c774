#include "object/loader.h"

#include "arch/aarch64/sysreg.h"
#include "lib/cpio.h"
#include "lib/elf.h"
#include "lib/printk.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "random/random.h"
#include "mm/kmap.h"
#include "mm/page.h"
#include "mm/pmo.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "time/clock.h"

extern "C" const u8 __ramdisk_start[], __ramdisk_end[];

namespace kern {

extern plat::MachineInfo g_machine;

namespace {
constexpr usize kPage = mm::kPageSize;

// Linux's auxiliary vector types (include/uapi/linux/auxvec.h numbers).
enum : u64 {
  AT_NULL = 0,
  AT_PHDR = 3,
  AT_PHENT = 4,
  AT_PHNUM = 5,
  AT_PAGESZ = 6,
  AT_ENTRY = 9,
  AT_HWCAP = 16,
  AT_RANDOM = 25,
};

Status map_segment(CapGroup* g, const u8* image, const chcore_elf_segment& seg) {
  VirtAddr start = align_down(seg.vaddr, kPage);
  VirtAddr end = align_up(seg.vaddr + seg.memsz, kPage);
  bool w = seg.flags & CHCORE_ELF_PF_W, x = seg.flags & CHCORE_ELF_PF_X;
  if (w && x) return Err::NoExec;  // W^X holds for user programs too
  u32 perm = kVmRead | (w ? kVmWrite : 0) | (x ? kVmExec : 0);
  Pmo* pmo = TRY(pmo_create(PmoType::Data, end - start));
  Status s = pmo_write(pmo, seg.vaddr - start, image + seg.file_offset, seg.filesz);
  if (s.ok()) s = g->vmspace.map(pmo, start, end - start, perm, 0);
  // Make the new code visible to instruction fetch.
  if (s.ok() && x)
    for (VirtAddr off = 0; off < end - start; off += kPage)
      arch::sync_icache(pa_to_kva(pmo_page(pmo, off, false).value()), kPage);
  pmo_put(pmo);
  return s;
}

// Builds the initial stack the way Linux does (what musl's _start reads):
//   sp -> argc, argv[0..argc-1], NULL, envp: NULL, auxv pairs, AT_NULL
// with the strings and AT_RANDOM's 16 bytes above it.
Result<VirtAddr> build_stack(CapGroup* g, const chcore_elf_info& info, const char* const* argv,
                             u32 argc) {
  Pmo* stack = TRY(pmo_create(PmoType::Anonymous, kUserStackSize));
  Status s = g->vmspace.map(stack, kUserStackTop - kUserStackSize, kUserStackSize,
                            kVmRead | kVmWrite, 0);
  if (!s.ok()) {
    pmo_put(stack);
    return s.error();
  }
  // Everything goes into the top page, assembled in a kernel buffer.
  u8* page = static_cast<u8*>(mm::kzalloc(kPage));
  if (page == nullptr) {
    pmo_put(stack);
    return Err::NoMem;
  }
  VirtAddr page_va = kUserStackTop - kPage;
  usize top = kPage;
  u64 argv_va[16];
  if (argc > ARRAY_SIZE(argv_va)) argc = ARRAY_SIZE(argv_va);
  Status result = kOk;
  for (u32 i = argc; i-- > 0;) {
    usize len = strlen(argv[i]) + 1;
    if (len > top / 2) {
      result = Err::TooBig;
      break;
    }
    top -= len;
    memcpy(page + top, argv[i], len);
    argv_va[i] = page_va + top;
  }
  // 16 bytes for AT_RANDOM, from the kernel's generator.
  top = align_down(top - 16, 16);
  random_read(page + top, 16);
  VirtAddr random_va = page_va + top;
  u64 aux[] = {AT_PHDR,   info.phdr_vaddr, AT_PHENT,  56,        AT_PHNUM,
               info.phnum, AT_PAGESZ,      kPage,     AT_ENTRY,  info.entry,
               AT_RANDOM, random_va,       AT_HWCAP,  0,         CHCORE_AT_RAMDISK_SIZE,
               static_cast<u64>(boot_ramdisk().size), AT_NULL, 0};
  usize words = 1 + argc + 1 + 1 + ARRAY_SIZE(aux);
  usize sp = align_down(top - words * 8, 16);
  u64* v = reinterpret_cast<u64*>(page + sp);
  usize w = 0;
  v[w++] = argc;
  for (u32 i = 0; i < argc; i++) v[w++] = argv_va[i];
  v[w++] = 0;  // end of argv
  v[w++] = 0;  // envp is empty
  for (u64 a : aux) v[w++] = a;
  if (result.ok()) result = pmo_write(stack, kUserStackSize - kPage, page, kPage);
  mm::kfree(page);
  pmo_put(stack);
  if (!result.ok()) return result.error();
  return page_va + sp;
}

Status share_ramdisk(CapGroup* g) {
  Ramdisk rd = boot_ramdisk();
  // Whole pages around it; the process sees it at CHCORE_RAMDISK_VA plus
  // its offset in the first page (0 for the built-in, page-aligned one).
  PhysAddr base = align_down(kva_to_pa(rd.data), kPage);
  usize size = align_up(kva_to_pa(rd.data) + (rd.size == 0 ? 1 : rd.size), kPage) - base;
  Pmo* pmo = TRY(pmo_create(PmoType::Physical, size, base));
  Status s = g->vmspace.map(pmo, CHCORE_RAMDISK_VA, size, kVmRead, 0);
  if (!s.ok()) {
    pmo_put(pmo);
    return s;
  }
  // The capability takes over our reference.
  Result<u32> slot = g->caps.install(g, pmo, CHCORE_RIGHT_READ | CHCORE_RIGHT_COPY);
  if (!slot.ok()) {
    pmo_put(pmo);
    return slot.error();
  }
  return slot.value() == CHCORE_SLOT_RAMDISK ? kOk : Status(Err::Inval);
}

const char* basename(const char* path) {
  const char* b = path;
  for (const char* p = path; *p; p++)
    if (*p == '/') b = p + 1;
  return b;
}
}  // namespace

Ramdisk boot_ramdisk() {
  // One loaded next to the kernel (QEMU -initrd, ./chbuild exec --add)
  // replaces the built-in one.
  if (g_machine.initrd_size != 0)
    return {pa_to_kva<const u8>(g_machine.initrd_base), static_cast<usize>(g_machine.initrd_size)};
  return {__ramdisk_start, static_cast<usize>(__ramdisk_end - __ramdisk_start)};
}

Result<CapGroup*> launch_first_process(const char* path, const char* const* argv, u32 argc) {
  Ramdisk rd = boot_ramdisk();
  chcore_cpio_entry file;
  if (chcore_cpio_find(rd.data, rd.size, path, &file) != CPIO_OK) return Err::NoEnt;
  chcore_elf_info info;
  const u8* image = static_cast<const u8*>(file.data);
  if (chcore_elf_parse(image, file.size, &info) != ELF_OK) return Err::NoExec;

  CapGroup* g = TRY(cap_group_create(basename(path)));
  Status s = share_ramdisk(g);
  for (u32 i = 0; s.ok() && i < info.nsegments; i++) s = map_segment(g, image, info.seg[i]);
  Result<VirtAddr> sp = s.ok() ? build_stack(g, info, argv, argc) : Result<VirtAddr>(s.error());
  Result<Thread*> t = sp.ok() ? thread_create(g, info.entry, sp.value(), 0, 0)
                              : Result<Thread*>(sp.error());
  if (!t.ok()) {
    obj_put(g);  // tears the half-built process down
    return t.error();
  }
  thread_start(t.value());
  obj_put(t.value());  // the scheduler keeps the thread; nobody holds a capability to it
  return g;
}

i64 run_first_process(const char* path, const char* const* argv, u32 argc) {
  Result<CapGroup*> r = launch_first_process(path, argv, argc);
  if (!r.ok()) {
    printk("cannot start %s: error %d\n", path, static_cast<int>(r.error()));
    return -1;
  }
  CapGroup* g = r.value();
  // This CPU works as an ordinary scheduling CPU meanwhile, and when it has
  // nothing to run asks the scheduler to wake it within 10 ms, to look at
  // the process again.
  for (;;) {
    sched_run();
    bool done;
    {
      SpinGuard l(g->lock);
      done = g->state == ProcState::Exited && g->threads.empty();
    }
    if (done) break;
    sched_idle_wait(deadline_after(10'000'000));
  }
  i64 status;
  {
    SpinGuard l(g->lock);
    status = g->exit_status;
  }
  obj_put(g);
  return status;
}

}  // namespace kern
