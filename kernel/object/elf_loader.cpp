#include "object/elf_loader.h"

#include "arch/aarch64/sysreg.h"
#include "mm/kmap.h"
#include "mm/page.h"
#include "mm/pmo.h"

namespace kern {

namespace {
constexpr usize kPage = mm::kPageSize;

Status map_segment(CapGroup* g, const u8* image, const chcore_elf_segment& seg) {
  VirtAddr start = align_down(VirtAddr{seg.vaddr}, kPage);
  VirtAddr end = align_up(VirtAddr{seg.vaddr + seg.memsz}, kPage);
  bool w = seg.flags & CHCORE_ELF_PF_W, x = seg.flags & CHCORE_ELF_PF_X;
  if (w && x) return Err::NoExec;
  u32 perm = kVmRead | (w ? kVmWrite : 0) | (x ? kVmExec : 0);
  Pmo* pmo = TRY(pmo_create(PmoType::Data, end - start));
  Status s = pmo_write(pmo, VirtAddr{seg.vaddr} - start, image + seg.file_offset, seg.filesz);
  if (s.ok()) s = g->vmspace.map(pmo, start, end - start, perm, 0);
  // Make the new code visible to instruction fetch.
  if (s.ok() && x)
    for (usize off = 0; off < end - start; off += kPage)
      arch::sync_icache(pa_to_kva(pmo_page(pmo, off, false).value()), kPage);
  pmo_put(pmo);
  return s;
}
}  // namespace

Status elf_map_segments(CapGroup* g, const u8* image, const chcore_elf_info& info) {
  for (u32 i = 0; i < info.nsegments; i++) TRY(map_segment(g, image, info.seg[i]));
  return kOk;
}

}  // namespace kern
