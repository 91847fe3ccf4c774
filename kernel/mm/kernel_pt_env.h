// The page-table environment of the running kernel: table pages come from the
// buddy allocator, TLB maintenance is broadcast to all CPUs (inner shareable).
#pragma once
#include "arch/aarch64/page_table.h"

namespace kern {

class KernelPtEnv final : public PtEnv {
 public:
  PhysAddr alloc_table() override;
  void free_table(PhysAddr pa) override;
  ListNode* table_link(PhysAddr pa) override;
  PhysAddr link_table(ListNode* node) override;
  void tlb_flush_page(VirtAddr va, u16 asid, bool global) override;
  void tlb_flush_asid(u16 asid) override;
};

// The single instance every page table in the kernel uses.
KernelPtEnv* kernel_pt_env();

}  // namespace kern
