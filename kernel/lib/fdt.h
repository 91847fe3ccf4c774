// A reader for flattened device trees (DTB, Devicetree Specification v0.4,
// chapter 5), used at boot to discover memory, CPUs and PSCI.
//
// The blob is untrusted input: a boot loader bug or a corrupted image must not
// turn into an out-of-bounds read or a hang. Tree::init() therefore validates
// the header and walks the whole structure block once; every later accessor
// still goes through the same bounds-checked token decoder, so even a node
// handle that did not come from this API cannot make it read outside the blob.
//
// The reader may run with the MMU off, where the blob is device memory and an
// unaligned access faults. All multi-byte reads are aligned 32-bit loads; the
// blob must therefore start on a 4-byte boundary (the specification asks for 8).
//
// Freestanding: no standard library, no heap, no floating point, no static
// constructors. A Tree is a few words and may live on the stack.
#pragma once

#include "lib/types.h"

namespace kern::fdt {

enum class Error : u8 {
  Ok,
  BadMagic,     // not a DTB
  BadVersion,   // version < 16, or last_comp_version newer than we understand
  TooLarge,     // totalsize exceeds the caller's max_size (or 2 GiB)
  BadHeader,    // misaligned blob/offsets, blocks outside the blob
  Truncated,    // a token, name or property runs past the end of its block
  BadToken,     // unknown structure token
  BadNesting,   // unbalanced BEGIN/END_NODE, too deep, property after subnode
  NotFound,     // no such node/property/entry
  BadProperty,  // property has the wrong size/shape, or its name is invalid
};

const char* error_name(Error e);

class Tree {
 public:
  // Nodes may nest this deep, counting the root as level 1. Real trees use
  // fewer than 8; the limit bounds the parent stack used by reg().
  static constexpr u32 kMaxDepth = 16;

  // Validates the header and walks the whole structure block once; returns Ok
  // only if the full tree is well formed. Until init() succeeds every other
  // method fails (NotFound / nullptr / false).
  [[nodiscard]] Error init(const void* blob, usize max_size);
  u32 total_size() const;

  // A node is identified by the offset of its FDT_BEGIN_NODE token in the
  // structure block. Paths are absolute ("/", "/cpus/cpu@0"); a component
  // without '@' also matches a node whose name before '@' is equal, so
  // "/memory" finds "memory@40000000" (the first such node). Aliases are not
  // supported.
  [[nodiscard]] Error find_node(const char* path, i32* node_out) const;

  // Direct children, in tree order; NotFound at the end.
  [[nodiscard]] Error first_child(i32 node, i32* child) const;
  [[nodiscard]] Error next_sibling(i32 node, i32* next) const;

  // Full name including "@unit"; "" for the root; nullptr for a bad handle.
  const char* node_name(i32 node) const;

  // The property's value stays inside the blob; *data is 4-byte aligned.
  [[nodiscard]] Error get_prop(i32 node, const char* name, const void** data, u32* len) const;
  // The property must be exactly one cell, else BadProperty.
  [[nodiscard]] Error get_u32(i32 node, const char* name, u32* out) const;
  // The property is exactly the NUL-terminated string `str`.
  bool prop_is(i32 node, const char* name, const char* str) const;
  // Any entry of the node's "compatible" string list equals `compat`.
  bool compatible(i32 node, const char* compat) const;

  // reg entry `index`, decoded with the parent's #address-cells (1 or 2) and
  // #size-cells (0, 1 or 2); absent properties default to 2 and 1. With
  // #size-cells = 0 (e.g. under /cpus) *size is 0. Unsupported cell counts or
  // a reg length that is not a whole number of entries give BadProperty; an
  // index past the end gives NotFound.
  [[nodiscard]] Error reg(i32 node, u32 index, u64* addr, u64* size) const;

  // First node, in depth-first order, with this entry in "compatible".
  [[nodiscard]] Error find_compatible(const char* compat, i32* node_out) const;

  // The parent of `node`; NotFound for the root.
  [[nodiscard]] Error parent(i32 node, i32* parent_out) const;
  // The node after `node` in depth-first (document) order, whatever its
  // depth; NotFound after the last one. Starting from find_node("/") this
  // visits every node.
  [[nodiscard]] Error next_node(i32 node, i32* next) const;

 private:
  struct Token;
  Error read_token(u32 off, Token* tok) const;
  Error skip_nops(u32 off, Token* tok) const;
  Error skip_props(u32 off, Token* tok) const;
  Error begin_node(i32 node, Token* tok) const;
  Error string_at(u32 nameoff, const char** out) const;
  Error walk_structure() const;

  const u8* base_ = nullptr;
  u32 total_size_ = 0;
  u32 struct_off_ = 0;
  u32 struct_size_ = 0;
  u32 strings_off_ = 0;
  u32 strings_size_ = 0;
};

// Boot facts the kernel needs before it has an allocator.
enum class PsciMethod : u8 { None, Hvc, Smc };

struct BootInfo {
  static constexpr u32 kMaxMem = 8, kMaxCpus = 16;
  // All reg entries of all nodes with device_type = "memory", in tree order.
  // Zero-size ranges are skipped; entries beyond kMaxMem are dropped (the
  // first ones are kept, so the boot memory the loader used is never lost).
  struct MemRange {
    PhysAddr base;
    u64 size;
  } mem[kMaxMem];
  u32 mem_count;
  // Children of /cpus with device_type = "cpu", in tree order; reg is the
  // MPIDR affinity value. Beyond kMaxCpus the first ones are kept. No /cpus
  // node gives cpu_count = 0; the caller decides what that means.
  u64 cpu_mpidr[kMaxCpus];
  u32 cpu_count;
  // From the first node compatible with "arm,psci-1.0", "arm,psci-0.2" or
  // "arm,psci": its "method" property. None if there is no such node or the
  // method is neither "hvc" nor "smc".
  PsciMethod psci;

  // /chosen linux,initrd-start and linux,initrd-end (one or two cells each):
  // a ramdisk the boot loader (QEMU's -initrd) placed in RAM. Both 0 if
  // absent or malformed (end before start).
  PhysAddr initrd_start, initrd_end;

  // /chosen rng-seed, then kaslr-seed: random bytes the boot loader passes
  // (QEMU's virt board puts 32 and 8 bytes of host entropy there). At most
  // 64 bytes are kept.
  u8 rng_seed[64];
  u32 rng_seed_len;

  // Saturates instead of wrapping.
  u64 total_mem() const;
};

// Fills *out (always fully: zeroed first). Returns the first error found; a
// well-formed tree with a malformed reg in a memory or cpu node is an error,
// since guessing memory layout is worse than stopping.
[[nodiscard]] Error parse_boot_info(const void* blob, usize max_size, BootInfo* out);

}  // namespace kern::fdt
