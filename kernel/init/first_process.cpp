#include "init/first_process.h"

#include "init/ramdisk.h"
#include "irq/irq_object.h"
#include "lib/cpio.h"
#include "lib/elf.h"
#include "lib/printk.h"
#include "mm/page.h"
#include "object/elf_loader.h"
#include "object/user_stack.h"
#include "random/random.h"
#include "sched/sched.h"
#include "time/clock.h"

namespace kern {

namespace {
// How often the boot CPU, when it has nothing to run, looks whether the
// first process has exited.
constexpr u64 kExitPollNs = 10'000'000;

const char* basename(const char* path) {
  const char* b = path;
  for (const char* p = path; *p; p++)
    if (*p == '/') b = p + 1;
  return b;
}

// argv, an empty envp, and the auxiliary vector musl's start-up reads.
Result<VirtAddr> first_stack(CapGroup* g, const chcore_elf_info& info, const char* const* argv,
                             u32 argc) {
  u8 random[16];
  random_read(random, sizeof(random));
  const chcore_auxv aux[] = {
      {CHCORE_AT_PHDR, info.phdr_vaddr},
      {CHCORE_AT_PHENT, info.phentsize},
      {CHCORE_AT_PHNUM, info.phnum},
      {CHCORE_AT_PAGESZ, mm::kPageSize},
      {CHCORE_AT_ENTRY, info.entry},
      {CHCORE_AT_HWCAP, 0},
      {CHCORE_AT_RAMDISK_SIZE, static_cast<u64>(boot_ramdisk().size)},
  };
  chcore_stack_args args{argv, argc, nullptr, 0, aux, ARRAY_SIZE(aux), random};
  return user_stack_create(g, args);
}

bool has_exited(CapGroup* g) {
  SpinGuard l(g->lock);
  return g->state == ProcState::Exited && g->threads.empty();
}
}  // namespace

Result<CapGroup*> launch_first_process(const char* path, const char* const* argv, u32 argc) {
  Ramdisk rd = boot_ramdisk();
  chcore_cpio_entry file;
  if (chcore_cpio_find(rd.data, rd.size, path, &file) != CPIO_OK) return Err::NoEnt;
  chcore_elf_info info;
  const u8* image = static_cast<const u8*>(file.data);
  if (chcore_elf_parse(image, file.size, &info) != ELF_OK) return Err::NoExec;

  CapGroup* g = TRY(cap_group_create(basename(path)));
  Status s = ramdisk_share(g);
  if (s.ok()) s = irq_control_install(g);
  if (s.ok()) s = elf_map_segments(g, image, info);
  Result<VirtAddr> sp = s.ok() ? first_stack(g, info, argv, argc) : Result<VirtAddr>(s.error());
  Result<Thread*> t = sp.ok() ? thread_create(g, VirtAddr{info.entry}, sp.value(), 0, 0)
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
  // Meanwhile this CPU schedules like the others, and when it idles it asks
  // the scheduler to wake it at the latest after kExitPollNs, to look again.
  for (;;) {
    sched_run();
    if (has_exited(g)) break;
    sched_idle_wait(deadline_after(kExitPollNs));
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
