#include "mm/kernel_pt_env.h"

#include "arch/aarch64/sysreg.h"
#include "lib/string.h"
#include "mm/kmap.h"
#include "mm/phys.h"

namespace kern {

PhysAddr KernelPtEnv::alloc_table() {
  void* p = mm::get_pages(0, true);
  return p == nullptr ? PhysAddr{} : kva_to_pa(p);
}

void KernelPtEnv::free_table(PhysAddr pa) { mm::put_pages(pa_to_kva(pa)); }

// A table page is an allocated order-0 block: its Page's node is its
// owner's (mm/page.h).
ListNode* KernelPtEnv::table_link(PhysAddr pa) { return &mm::pa_to_page(pa)->node; }

PhysAddr KernelPtEnv::link_table(ListNode* node) {
  return mm::page_to_pa(reinterpret_cast<mm::Page*>(reinterpret_cast<char*>(node) -
                                                    __builtin_offsetof(mm::Page, node)));
}

void KernelPtEnv::tlb_flush_page(VirtAddr va, u16 asid, bool global) {
  u64 arg = ((va.raw() >> 12) & 0xfffffffffffull) | (static_cast<u64>(asid) << 48);
  arch::dsb_ish();
  if (global)
    asm volatile("tlbi vaae1is, %0" ::"r"(arg) : "memory");
  else
    asm volatile("tlbi vae1is, %0" ::"r"(arg) : "memory");
  asm volatile("dsb ish; isb" ::: "memory");
}

void KernelPtEnv::tlb_flush_asid(u16 asid) {
  arch::dsb_ish();
  asm volatile("tlbi aside1is, %0; dsb ish; isb" ::"r"(static_cast<u64>(asid) << 48) : "memory");
}

KernelPtEnv* kernel_pt_env() {
  static KernelPtEnv env;
  return &env;
}

}  // namespace kern

// Pure virtual calls cannot happen in a correct kernel; the symbol must exist.
extern "C" void __cxa_pure_virtual() {
  for (;;) asm volatile("wfi");
}
