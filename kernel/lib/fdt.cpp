// Flattened device tree reader; see fdt.h for the contract.
//
// Layout facts (Devicetree Specification v0.4, chapter 5): a 40-byte header
// of big-endian u32 words (36 bytes before version 17, which added
// size_dt_struct), a memory reservation block of (u64 address, u64 size)
// pairs ending with (0, 0), a structure block of 4-byte-aligned tokens, and a
// strings block holding property names.
//
// Bounds discipline: every offset below is relative to the start of its block
// and is compared against that block's size before use; the block sizes were
// checked against totalsize, and totalsize against the caller's max_size, in
// init(). Arithmetic is done so that it cannot wrap: sizes are at most 2^31,
// so the sum of two in-range u32 offsets fits in a u32.
#include "lib/fdt.h"

namespace kern::fdt {
namespace {

constexpr u32 kMagic = 0xd00dfeed;
constexpr u32 kBeginNode = 1;
constexpr u32 kEndNode = 2;
constexpr u32 kProp = 3;
constexpr u32 kNop = 4;
constexpr u32 kEnd = 9;

constexpr u32 kHeaderV16Size = 36;
constexpr u32 kHeaderV17Size = 40;
constexpr u32 kMinVersion = 16;
// Newest format whose structure we understand; a tree that says it is only
// readable by something newer is refused.
constexpr u32 kLastCompatVersion = 17;
// Keeps every offset representable as a non-negative i32 node handle.
constexpr u32 kMaxTotalSize = 0x7fffffff;

// Header word indices.
enum HeaderWord : u32 {
  kHdrMagic,
  kHdrTotalSize,
  kHdrOffStruct,
  kHdrOffStrings,
  kHdrOffMemRsv,
  kHdrVersion,
  kHdrLastCompVersion,
  kHdrBootCpuid,
  kHdrSizeStrings,
  kHdrSizeStruct,
};

// The one place that touches blob memory wider than a byte. `p` is 4-byte
// aligned by construction (blob, struct block and tokens all are), so this is
// a single aligned ldr even with -mstrict-align and the MMU off. may_alias
// because the blob is just bytes to the compiler.
using AlignedWord __attribute__((may_alias, aligned(4))) = u32;

u32 load_be32(const u8* p) {
  u32 v = *reinterpret_cast<const AlignedWord*>(p);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  v = __builtin_bswap32(v);
#endif
  return v;
}

u32 header_word(const u8* blob, HeaderWord w) {
  return load_be32(blob + 4 * static_cast<usize>(w));
}

constexpr u32 align4(u32 v) { return (v + 3) & ~3u; }

// Caller-supplied strings are trusted to be NUL-terminated; blob strings were
// checked to be terminated inside their block before they reach these.
bool str_eq(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

u32 str_len(const char* s) {
  u32 n = 0;
  while (s[n] != '\0') ++n;
  return n;
}

// Length of the NUL-terminated string at p, looking at no more than `max`
// bytes; returns false if there is no NUL within them.
bool bounded_len(const u8* p, u32 max, u32* len) {
  for (u32 i = 0; i < max; ++i) {
    if (p[i] == 0) {
      *len = i;
      return true;
    }
  }
  return false;
}

// A path component matches a node name exactly or, if the component has no
// unit address, the node name's part before '@'.
bool name_matches(const char* name, const char* comp, u32 comp_len, bool comp_has_unit) {
  for (u32 i = 0; i < comp_len; ++i) {
    if (name[i] != comp[i]) return false;  // also stops at name's NUL
  }
  return name[comp_len] == '\0' || (!comp_has_unit && name[comp_len] == '@');
}

}  // namespace

// One decoded structure token. Offsets are relative to the struct block.
struct Tree::Token {
  u32 kind;
  u32 off;           // of the token itself
  u32 next;          // of the token after it
  const char* name;  // BEGIN_NODE: node name; PROP: property name
  u32 data_off;      // PROP: value
  u32 len;           // PROP: value length
};

const char* error_name(Error e) {
  switch (e) {
    case Error::Ok:
      return "Ok";
    case Error::BadMagic:
      return "BadMagic";
    case Error::BadVersion:
      return "BadVersion";
    case Error::TooLarge:
      return "TooLarge";
    case Error::BadHeader:
      return "BadHeader";
    case Error::Truncated:
      return "Truncated";
    case Error::BadToken:
      return "BadToken";
    case Error::BadNesting:
      return "BadNesting";
    case Error::NotFound:
      return "NotFound";
    case Error::BadProperty:
      return "BadProperty";
  }
  return "?";
}

u32 Tree::total_size() const { return total_size_; }

Error Tree::string_at(u32 nameoff, const char** out) const {
  if (nameoff >= strings_size_) return Error::BadProperty;
  const u8* s = base_ + strings_off_ + nameoff;
  u32 len;
  if (!bounded_len(s, strings_size_ - nameoff, &len)) return Error::BadProperty;
  *out = reinterpret_cast<const char*>(s);
  return Error::Ok;
}

Error Tree::read_token(u32 off, Token* tok) const {
  if (base_ == nullptr) return Error::NotFound;
  if (off % 4 != 0) return Error::BadToken;
  if (struct_size_ < 4 || off > struct_size_ - 4) return Error::Truncated;
  const u8* block = base_ + struct_off_;
  tok->kind = load_be32(block + off);
  tok->off = off;
  tok->name = nullptr;
  tok->data_off = 0;
  tok->len = 0;
  switch (tok->kind) {
    case kBeginNode: {
      u32 name_off = off + 4;
      u32 len;
      if (!bounded_len(block + name_off, struct_size_ - name_off, &len)) return Error::Truncated;
      tok->name = reinterpret_cast<const char*>(block + name_off);
      // len < struct_size_ <= 2^31, so this cannot wrap.
      tok->next = align4(name_off + len + 1);
      break;
    }
    case kProp: {
      if (struct_size_ - off < 12) return Error::Truncated;
      tok->len = load_be32(block + off + 4);
      u32 nameoff = load_be32(block + off + 8);
      tok->data_off = off + 12;
      if (tok->len > struct_size_ - tok->data_off) return Error::Truncated;
      tok->next = align4(tok->data_off + tok->len);
      if (Error e = string_at(nameoff, &tok->name); e != Error::Ok) return e;
      break;
    }
    case kEndNode:
    case kNop:
    case kEnd:
      tok->next = off + 4;
      break;
    default:
      return Error::BadToken;
  }
  // Padding after a name or value must still be inside the block.
  if (tok->next > struct_size_) return Error::Truncated;
  return Error::Ok;
}

Error Tree::skip_nops(u32 off, Token* tok) const {
  for (;;) {
    if (Error e = read_token(off, tok); e != Error::Ok) return e;
    if (tok->kind != kNop) return Error::Ok;
    off = tok->next;
  }
}

Error Tree::skip_props(u32 off, Token* tok) const {
  for (;;) {
    if (Error e = read_token(off, tok); e != Error::Ok) return e;
    if (tok->kind != kNop && tok->kind != kProp) return Error::Ok;
    off = tok->next;
  }
}

Error Tree::begin_node(i32 node, Token* tok) const {
  if (node < 0) return Error::NotFound;
  if (read_token(static_cast<u32>(node), tok) != Error::Ok || tok->kind != kBeginNode) {
    return Error::NotFound;
  }
  return Error::Ok;
}

// The full validation pass. Every step advances `off` by at least 4 bytes and
// read_token() refuses offsets past the block, so this ends.
Error Tree::walk_structure() const {
  u32 depth = 0;
  bool seen_root = false;
  // Bit d set: the open node at depth d already has a subnode, so a property
  // for it now would break the spec's "properties before subnodes" rule, on
  // which get_prop() relies to stop early.
  u32 has_child = 0;
  u32 off = 0;
  for (;;) {
    Token t;
    if (Error e = read_token(off, &t); e != Error::Ok) return e;
    switch (t.kind) {
      case kBeginNode:
        if (depth == 0 && seen_root) return Error::BadNesting;  // second root
        if (depth == kMaxDepth) return Error::BadNesting;
        has_child |= 1u << depth;
        ++depth;
        has_child &= ~(1u << depth);
        seen_root = true;
        break;
      case kEndNode:
        if (depth == 0) return Error::BadNesting;
        --depth;
        break;
      case kProp:
        if (depth == 0 || (has_child & (1u << depth)) != 0) return Error::BadNesting;
        break;
      case kNop:
        break;
      case kEnd:
        if (depth != 0 || !seen_root) return Error::BadNesting;
        return Error::Ok;
    }
    off = t.next;
  }
}

Error Tree::init(const void* blob, usize max_size) {
  *this = Tree{};  // fail closed: on any error the tree stays unusable
  const u8* b = static_cast<const u8*>(blob);
  if (b == nullptr || reinterpret_cast<uptr>(b) % 4 != 0) return Error::BadHeader;
  if (max_size < 8) return Error::Truncated;
  if (header_word(b, kHdrMagic) != kMagic) return Error::BadMagic;
  u32 total = header_word(b, kHdrTotalSize);
  if (total > max_size || total > kMaxTotalSize) return Error::TooLarge;
  if (total < kHeaderV16Size) return Error::BadHeader;
  u32 version = header_word(b, kHdrVersion);
  if (version < kMinVersion || header_word(b, kHdrLastCompVersion) > kLastCompatVersion) {
    return Error::BadVersion;
  }
  u32 header_size = version >= 17 ? kHeaderV17Size : kHeaderV16Size;
  if (total < header_size) return Error::BadHeader;

  // Blocks must lie after the header and inside totalsize. They may overlap
  // each other; that is odd but cannot make us read out of bounds.
  u32 off_struct = header_word(b, kHdrOffStruct);
  if (off_struct % 4 != 0 || off_struct < header_size || off_struct > total) {
    return Error::BadHeader;
  }
  // Version 16 has no size_dt_struct; the block then runs to the end.
  u32 size_struct = version >= 17 ? header_word(b, kHdrSizeStruct) : total - off_struct;
  if (size_struct > total - off_struct) return Error::BadHeader;

  // The strings block is read byte by byte, so the spec leaves it unaligned.
  u32 off_strings = header_word(b, kHdrOffStrings);
  u32 size_strings = header_word(b, kHdrSizeStrings);
  if (off_strings < header_size || off_strings > total || size_strings > total - off_strings) {
    return Error::BadHeader;
  }

  // The reservation map is a list of u64 pairs; the spec makes it 8-aligned.
  // We do not use it yet, but a map with no terminator inside the blob means
  // the blob is not what it claims to be.
  u32 off_rsv = header_word(b, kHdrOffMemRsv);
  if (off_rsv % 8 != 0 || off_rsv < header_size || off_rsv > total) return Error::BadHeader;
  for (u32 off = off_rsv;; off += 16) {
    if (total - off < 16) return Error::Truncated;
    u32 w0 = load_be32(b + off), w1 = load_be32(b + off + 4);
    u32 w2 = load_be32(b + off + 8), w3 = load_be32(b + off + 12);
    if ((w0 | w1 | w2 | w3) == 0) break;
  }

  base_ = b;
  total_size_ = total;
  struct_off_ = off_struct;
  struct_size_ = size_struct;
  strings_off_ = off_strings;
  strings_size_ = size_strings;
  if (Error e = walk_structure(); e != Error::Ok) {
    *this = Tree{};
    return e;
  }
  return Error::Ok;
}

Error Tree::first_child(i32 node, i32* child) const {
  Token t;
  if (Error e = begin_node(node, &t); e != Error::Ok) return e;
  if (Error e = skip_props(t.next, &t); e != Error::Ok) return e;
  if (t.kind != kBeginNode) return Error::NotFound;
  *child = static_cast<i32>(t.off);
  return Error::Ok;
}

Error Tree::next_sibling(i32 node, i32* next) const {
  Token t;
  if (Error e = begin_node(node, &t); e != Error::Ok) return e;
  // Skip the node's whole subtree.
  u32 depth = 1;
  while (depth > 0) {
    if (Error e = read_token(t.next, &t); e != Error::Ok) return e;
    if (t.kind == kBeginNode) ++depth;
    if (t.kind == kEndNode) --depth;
    if (t.kind == kEnd) return Error::BadNesting;
  }
  if (Error e = skip_nops(t.next, &t); e != Error::Ok) return e;
  if (t.kind != kBeginNode) return Error::NotFound;
  *next = static_cast<i32>(t.off);
  return Error::Ok;
}

Error Tree::next_node(i32 node, i32* next) const {
  Token t;
  if (Error e = begin_node(node, &t); e != Error::Ok) return e;
  for (;;) {
    if (Error e = read_token(t.next, &t); e != Error::Ok) return e;
    if (t.kind == kBeginNode) {
      *next = static_cast<i32>(t.off);
      return Error::Ok;
    }
    if (t.kind == kEnd) return Error::NotFound;
  }
}

Error Tree::parent(i32 node, i32* parent_out) const {
  Token t;
  if (Error e = begin_node(node, &t); e != Error::Ok) return e;
  // Offsets of the open nodes from the root down.
  u32 stack[kMaxDepth];
  u32 depth = 0;
  u32 off = 0;
  for (;;) {
    if (Error e = read_token(off, &t); e != Error::Ok) return e;
    if (t.kind == kBeginNode) {
      if (t.off == static_cast<u32>(node)) {
        if (depth == 0) return Error::NotFound;
        *parent_out = static_cast<i32>(stack[depth - 1]);
        return Error::Ok;
      }
      if (depth == kMaxDepth) return Error::BadNesting;
      stack[depth++] = t.off;
    } else if (t.kind == kEndNode) {
      if (depth == 0) return Error::BadNesting;
      --depth;
    } else if (t.kind == kEnd) {
      // `node` was a BEGIN_NODE look-alike inside some property's value.
      return Error::NotFound;
    }
    off = t.next;
  }
}

Error Tree::find_node(const char* path, i32* node_out) const {
  if (path == nullptr || path[0] != '/') return Error::NotFound;
  Token t;
  if (Error e = skip_nops(0, &t); e != Error::Ok) return e;
  if (t.kind != kBeginNode) return Error::NotFound;
  i32 node = static_cast<i32>(t.off);
  const char* p = path;
  for (;;) {
    while (*p == '/') ++p;
    if (*p == '\0') break;
    const char* comp = p;
    u32 comp_len = 0;
    bool has_unit = false;
    while (comp[comp_len] != '\0' && comp[comp_len] != '/') {
      if (comp[comp_len] == '@') has_unit = true;
      ++comp_len;
    }
    p += comp_len;

    i32 child;
    Error e = first_child(node, &child);
    while (e == Error::Ok && !name_matches(node_name(child), comp, comp_len, has_unit)) {
      e = next_sibling(child, &child);
    }
    if (e != Error::Ok) return e;
    node = child;
  }
  *node_out = node;
  return Error::Ok;
}

const char* Tree::node_name(i32 node) const {
  Token t;
  if (begin_node(node, &t) != Error::Ok) return nullptr;
  return t.name;
}

Error Tree::get_prop(i32 node, const char* name, const void** data, u32* len) const {
  Token t;
  if (Error e = begin_node(node, &t); e != Error::Ok) return e;
  // Properties come before subnodes (init() enforces it), so the first
  // non-property token ends the search.
  for (;;) {
    if (Error e = read_token(t.next, &t); e != Error::Ok) return e;
    if (t.kind == kNop) continue;
    if (t.kind != kProp) return Error::NotFound;
    if (str_eq(t.name, name)) {
      *data = base_ + struct_off_ + t.data_off;
      *len = t.len;
      return Error::Ok;
    }
  }
}

Error Tree::get_u32(i32 node, const char* name, u32* out) const {
  const void* data;
  u32 len;
  if (Error e = get_prop(node, name, &data, &len); e != Error::Ok) return e;
  if (len != 4) return Error::BadProperty;
  *out = load_be32(static_cast<const u8*>(data));
  return Error::Ok;
}

bool Tree::prop_is(i32 node, const char* name, const char* str) const {
  const void* data;
  u32 len;
  if (get_prop(node, name, &data, &len) != Error::Ok) return false;
  const char* s = static_cast<const char*>(data);
  // Compare lengths first so that we never read the value past `len`.
  return len == str_len(str) + 1 && s[len - 1] == '\0' && str_eq(s, str);
}

bool Tree::compatible(i32 node, const char* compat) const {
  const void* data;
  u32 len;
  if (get_prop(node, "compatible", &data, &len) != Error::Ok) return false;
  const u8* list = static_cast<const u8*>(data);
  for (u32 pos = 0; pos < len;) {
    u32 entry_len;
    // An unterminated last entry is malformed; it matches nothing.
    if (!bounded_len(list + pos, len - pos, &entry_len)) return false;
    if (str_eq(reinterpret_cast<const char*>(list + pos), compat)) return true;
    pos += entry_len + 1;
  }
  return false;
}

Error Tree::reg(i32 node, u32 index, u64* addr, u64* size) const {
  Token t;
  if (Error e = begin_node(node, &t); e != Error::Ok) return e;
  u32 address_cells = 2, size_cells = 1;  // spec defaults
  i32 par;
  Error e = parent(node, &par);
  if (e == Error::Ok) {
    e = get_u32(par, "#address-cells", &address_cells);
    if (e != Error::Ok && e != Error::NotFound) return Error::BadProperty;
    e = get_u32(par, "#size-cells", &size_cells);
    if (e != Error::Ok && e != Error::NotFound) return Error::BadProperty;
  } else if (e != Error::NotFound) {
    return e;
  }
  if (address_cells < 1 || address_cells > 2 || size_cells > 2) return Error::BadProperty;

  const void* data;
  u32 len;
  if (e = get_prop(node, "reg", &data, &len); e != Error::Ok) return e;
  u32 entry_bytes = (address_cells + size_cells) * 4;
  if (len % entry_bytes != 0) return Error::BadProperty;
  if (index >= len / entry_bytes) return Error::NotFound;

  const u8* cell = static_cast<const u8*>(data) + static_cast<usize>(index) * entry_bytes;
  u64 a = 0, s = 0;
  for (u32 i = 0; i < address_cells; ++i, cell += 4) a = (a << 32) | load_be32(cell);
  for (u32 i = 0; i < size_cells; ++i, cell += 4) s = (s << 32) | load_be32(cell);
  *addr = a;
  *size = s;
  return Error::Ok;
}

Error Tree::find_compatible(const char* compat, i32* node_out) const {
  i32 node;
  Error e = find_node("/", &node);
  while (e == Error::Ok) {
    if (compatible(node, compat)) {
      *node_out = node;
      return Error::Ok;
    }
    e = next_node(node, &node);
  }
  return e;
}

u64 BootInfo::total_mem() const {
  u64 sum = 0;
  for (u32 i = 0; i < mem_count && i < kMaxMem; ++i) {
    if (__builtin_add_overflow(sum, mem[i].size, &sum)) return ~0ull;
  }
  return sum;
}

namespace {

Error collect_memory(const Tree& tree, i32 node, BootInfo* out) {
  for (u32 i = 0;; ++i) {
    u64 base, size;
    Error e = tree.reg(node, i, &base, &size);
    if (e == Error::NotFound) return Error::Ok;
    if (e != Error::Ok) return e;
    if (size == 0) continue;
    u64 end;
    // A range that wraps past 2^64 describes no memory that can exist.
    if (__builtin_add_overflow(base, size - 1, &end)) return Error::BadProperty;
    if (out->mem_count < BootInfo::kMaxMem) out->mem[out->mem_count++] = {PhysAddr{base}, size};
  }
}

Error collect_cpus(const Tree& tree, BootInfo* out) {
  i32 cpus;
  Error e = tree.find_node("/cpus", &cpus);
  if (e == Error::NotFound) return Error::Ok;
  if (e != Error::Ok) return e;
  i32 cpu;
  // Children without device_type "cpu" (cpu-map, l2-cache) are skipped.
  for (e = tree.first_child(cpus, &cpu); e == Error::Ok; e = tree.next_sibling(cpu, &cpu)) {
    if (!tree.prop_is(cpu, "device_type", "cpu")) continue;
    u64 mpidr, unused;
    Error r = tree.reg(cpu, 0, &mpidr, &unused);
    if (r == Error::NotFound) return Error::BadProperty;  // a CPU we cannot address
    if (r != Error::Ok) return r;
    if (out->cpu_count < BootInfo::kMaxCpus) out->cpu_mpidr[out->cpu_count++] = mpidr;
  }
  return e == Error::NotFound ? Error::Ok : e;
}

PsciMethod psci_method(const Tree& tree, i32 node) {
  if (tree.prop_is(node, "method", "hvc")) return PsciMethod::Hvc;
  if (tree.prop_is(node, "method", "smc")) return PsciMethod::Smc;
  return PsciMethod::None;
}

bool is_psci(const Tree& tree, i32 node) {
  return tree.compatible(node, "arm,psci-1.0") || tree.compatible(node, "arm,psci-0.2") ||
         tree.compatible(node, "arm,psci");
}

}  // namespace

namespace {
// A property holding one 32-bit or one 64-bit big-endian number.
bool read_cells_prop(const Tree& tree, i32 node, const char* name, u64* out) {
  const void* data;
  u32 len;
  if (tree.get_prop(node, name, &data, &len) != Error::Ok) return false;
  const u8* b = static_cast<const u8*>(data);
  if (len != 4 && len != 8) return false;
  u64 v = 0;
  for (u32 i = 0; i < len; i++) v = (v << 8) | b[i];
  *out = v;
  return true;
}
}  // namespace

Error parse_boot_info(const void* blob, usize max_size, BootInfo* out) {
  *out = BootInfo{};
  Tree tree;
  if (Error e = tree.init(blob, max_size); e != Error::Ok) return e;

  bool psci_seen = false;
  i32 node;
  Error e = tree.find_node("/", &node);
  for (; e == Error::Ok; e = tree.next_node(node, &node)) {
    if (tree.prop_is(node, "device_type", "memory")) {
      if (Error m = collect_memory(tree, node, out); m != Error::Ok) return m;
    }
    if (!psci_seen && is_psci(tree, node)) {
      out->psci = psci_method(tree, node);
      psci_seen = true;
    }
  }
  if (e != Error::NotFound) return e;
  if (tree.find_node("/chosen", &node) == Error::Ok) {
    u64 start = 0, end = 0;
    if (read_cells_prop(tree, node, "linux,initrd-start", &start) &&
        read_cells_prop(tree, node, "linux,initrd-end", &end) && end > start) {
      out->initrd_start = PhysAddr{start};
      out->initrd_end = PhysAddr{end};
    }
    // Random bytes from the boot loader (QEMU fills both from the host).
    static const char* const kSeeds[] = {"rng-seed", "kaslr-seed"};
    for (const char* name : kSeeds) {
      const void* data;
      u32 len;
      if (tree.get_prop(node, name, &data, &len) != Error::Ok) continue;
      u32 room = static_cast<u32>(sizeof(out->rng_seed)) - out->rng_seed_len;
      if (len > room) len = room;
      __builtin_memcpy(out->rng_seed + out->rng_seed_len, data, len);
      out->rng_seed_len += len;
    }
  }
  return collect_cpus(tree, out);
}

}  // namespace kern::fdt
