// Tests for the static ELF64 AArch64 validator (kernel/lib/elf.c). Images are
// built here by a small ELF writer rather than checked in as binaries. Every
// image is handed to the parser in a heap buffer of exactly its size, so that
// any read past the end is caught by AddressSanitizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <memory>
#include <random>
#include <vector>

#include "lib/elf.h"

namespace {

using Bytes = std::vector<unsigned char>;
using u64 = chcore_u64;

constexpr chcore_u32 PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4,
                     PT_PHDR = 6, PT_TLS = 7, PT_GNU_STACK = 0x6474e551;
constexpr chcore_u32 R = 4, W = 2, X = 1;
constexpr u64 kUserEnd = u64{1} << 48;

// ELF header and program header field offsets.
constexpr size_t kEType = 16, kEMachine = 18, kEEntry = 24, kEPhoff = 32, kEPhentsize = 54,
                 kEPhnum = 56;
constexpr size_t kPType = 0, kPFlags = 4, kPOffset = 8, kPVaddr = 16, kPFilesz = 32, kPMemsz = 40;

struct Phdr {
  chcore_u32 type = PT_LOAD;
  chcore_u32 flags = R;
  u64 offset = 0, vaddr = 0, filesz = 0, memsz = 0, align = 0x1000;
};

// An ELF64 writer: header, program header table at phoff, and a file body
// filled with a byte pattern large enough for every segment whose file range
// is sane (hostile ranges are left pointing outside).
struct ElfSpec {
  unsigned char cls = 2, data = 1;
  chcore_u16 type = 2, machine = 183;
  u64 entry = 0;
  u64 phoff = 64;
  chcore_u16 phentsize = 56;
  std::vector<Phdr> ph;

  Bytes build() const {
    size_t size = std::max<size_t>(64, phoff + ph.size() * 56);
    for (const Phdr& p : ph) {
      if (p.offset < (1u << 20) && p.filesz < (1u << 20)) {
        size = std::max<size_t>(size, p.offset + p.filesz);
      }
    }
    Bytes b(size);
    for (size_t i = 0; i < size; i++) b[i] = static_cast<unsigned char>(i * 7 + 3);
    std::fill(b.begin(), b.begin() + 64, 0);
    b[0] = 0x7f;
    b[1] = 'E';
    b[2] = 'L';
    b[3] = 'F';
    b[4] = cls;
    b[5] = data;
    b[6] = 1;  // EI_VERSION
    put16(b, kEType, type);
    put16(b, kEMachine, machine);
    put32(b, 20, 1);  // e_version
    put64(b, kEEntry, entry);
    put64(b, kEPhoff, phoff);
    put16(b, 52, 64);  // e_ehsize
    put16(b, kEPhentsize, phentsize);
    put16(b, kEPhnum, static_cast<chcore_u16>(ph.size()));
    for (size_t i = 0; i < ph.size(); i++) {
      size_t o = phoff + i * 56;
      const Phdr& p = ph[i];
      put32(b, o + kPType, p.type);
      put32(b, o + kPFlags, p.flags);
      put64(b, o + kPOffset, p.offset);
      put64(b, o + kPVaddr, p.vaddr);
      put64(b, o + 24, p.vaddr);  // p_paddr
      put64(b, o + kPFilesz, p.filesz);
      put64(b, o + kPMemsz, p.memsz);
      put64(b, o + 48, p.align);
    }
    return b;
  }

  static void put16(Bytes& b, size_t o, chcore_u16 v) {
    for (int i = 0; i < 2; i++) b[o + i] = static_cast<unsigned char>(v >> (8 * i));
  }
  static void put32(Bytes& b, size_t o, chcore_u32 v) {
    for (int i = 0; i < 4; i++) b[o + i] = static_cast<unsigned char>(v >> (8 * i));
  }
  static void put64(Bytes& b, size_t o, u64 v) {
    for (int i = 0; i < 8; i++) b[o + i] = static_cast<unsigned char>(v >> (8 * i));
  }
};

// Offset of field f of program header i in an image with phoff 64.
size_t ph_field(size_t i, size_t f) { return 64 + 56 * i + f; }

// A copy of the first n bytes in a heap allocation of exactly n bytes.
struct Exact {
  Exact(const Bytes& b, size_t n) : size(n), mem(new unsigned char[n]) {
    if (n > 0) std::memcpy(mem.get(), b.data(), n);
  }
  explicit Exact(const Bytes& b) : Exact(b, b.size()) {}
  const void* data() const { return mem.get(); }
  size_t size;
  std::unique_ptr<unsigned char[]> mem;
};

int parse(const Bytes& b, chcore_elf_info* info = nullptr) {
  chcore_elf_info local;
  Exact e(b);
  return chcore_elf_parse(e.data(), e.size, info ? info : &local);
}

int parse(const ElfSpec& s, chcore_elf_info* info = nullptr) { return parse(s.build(), info); }

// What a typical static AArch64 executable looks like: PT_PHDR, text (with
// the ELF header and program headers), rodata, data+bss, PT_GNU_STACK.
ElfSpec realistic() {
  ElfSpec s;
  s.entry = 0x400100;
  s.ph = {
      {PT_PHDR, R, 64, 0x400040, 5 * 56, 5 * 56, 8},
      {PT_LOAD, R | X, 0, 0x400000, 0x2345, 0x2345, 0x10000},
      {PT_LOAD, R, 0x3000, 0x413000, 0x500, 0x500, 0x10000},
      {PT_LOAD, R | W, 0x4010, 0x424010, 0x100, 0x2000, 0x10000},
      {PT_GNU_STACK, R | W, 0, 0, 0, 0, 16},
  };
  return s;
}

// A minimal valid image: one executable PT_LOAD.
ElfSpec minimal() {
  ElfSpec s;
  s.entry = 0x10000;
  s.ph = {{PT_LOAD, R | X, 0, 0x10000, 0x200, 0x200, 0x1000}};
  return s;
}

TEST(Elf, RealisticThreeSegments) {
  Bytes b = realistic().build();
  EXPECT_EQ(b.size(), 0x4110u);
  chcore_elf_info info{};
  ASSERT_EQ(parse(b, &info), ELF_OK);
  EXPECT_EQ(info.entry, 0x400100u);
  EXPECT_EQ(info.phdr_vaddr, 0x400040u);
  EXPECT_EQ(info.phnum, 5);
  EXPECT_EQ(info.phentsize, 56);
  ASSERT_EQ(info.nsegments, 3u);
  EXPECT_EQ(info.seg[0].vaddr, 0x400000u);
  EXPECT_EQ(info.seg[0].memsz, 0x2345u);
  EXPECT_EQ(info.seg[0].file_offset, 0u);
  EXPECT_EQ(info.seg[0].filesz, 0x2345u);
  EXPECT_EQ(info.seg[0].flags, R | X);
  EXPECT_EQ(info.seg[1].vaddr, 0x413000u);
  EXPECT_EQ(info.seg[1].flags, R);
  EXPECT_EQ(info.seg[2].vaddr, 0x424010u);
  EXPECT_EQ(info.seg[2].file_offset, 0x4010u);
  EXPECT_EQ(info.seg[2].filesz, 0x100u);
  EXPECT_EQ(info.seg[2].memsz, 0x2000u);  // bss
  EXPECT_EQ(info.seg[2].flags, R | W);
  EXPECT_EQ(info.lowest_vaddr, 0x400000u);
  EXPECT_EQ(info.highest_vaddr_end, 0x426010u);
}

TEST(Elf, MinimalImage) {
  chcore_elf_info info{};
  ASSERT_EQ(parse(minimal(), &info), ELF_OK);
  EXPECT_EQ(info.nsegments, 1u);
  EXPECT_EQ(info.phdr_vaddr, 0x10040u);  // computed: the load maps the headers
  EXPECT_EQ(info.lowest_vaddr, 0x10000u);
  EXPECT_EQ(info.highest_vaddr_end, 0x10200u);
}

TEST(Elf, PhdrVaddrComputedWithoutPtPhdr) {
  ElfSpec s = realistic();
  s.ph.erase(s.ph.begin());
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  EXPECT_EQ(info.phdr_vaddr, 0x400040u);
  EXPECT_EQ(info.phnum, 4);
}

TEST(Elf, PhdrVaddrComputedFromLaterLoad) {
  // The table sits inside the second PT_LOAD's file bytes.
  ElfSpec s;
  s.entry = 0x500000;
  s.phoff = 0x2100;
  s.ph = {{PT_LOAD, R | X, 0, 0x500000, 0x100, 0x100, 0x1000},
          {PT_LOAD, R, 0x2000, 0x602000, 0x1000, 0x1000, 0x1000}};
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  EXPECT_EQ(info.phdr_vaddr, 0x602100u);
}

TEST(Elf, PhdrVaddrZeroWhenTableNotLoaded) {
  ElfSpec s;
  s.entry = 0x401000;
  s.ph = {{PT_LOAD, R | X, 0x1000, 0x401000, 0x100, 0x100, 0x1000}};
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  EXPECT_EQ(info.phdr_vaddr, 0u);

  // Partly covered is not covered: the load ends inside the table.
  ElfSpec p = minimal();
  p.ph[0].filesz = p.ph[0].memsz = 64 + 56 - 1;
  p.entry = 0x10000;
  ASSERT_EQ(parse(p, &info), ELF_OK);
  EXPECT_EQ(info.phdr_vaddr, 0u);
}

TEST(Elf, FirstPtPhdrWins) {
  ElfSpec s = realistic();
  s.ph[0].vaddr = 0x123000;
  s.ph.push_back({PT_PHDR, R, 64, 0x999000, 56, 56, 8});
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  EXPECT_EQ(info.phdr_vaddr, 0x123000u);
}

TEST(Elf, SegmentsKeepFileOrder) {
  ElfSpec s = realistic();
  std::swap(s.ph[1], s.ph[3]);  // data first, text last
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  ASSERT_EQ(info.nsegments, 3u);
  EXPECT_EQ(info.seg[0].vaddr, 0x424010u);
  EXPECT_EQ(info.seg[2].vaddr, 0x400000u);
  EXPECT_EQ(info.lowest_vaddr, 0x400000u);
  EXPECT_EQ(info.highest_vaddr_end, 0x426010u);
}

TEST(Elf, BssOnlySegment) {
  ElfSpec s = realistic();
  s.ph.push_back({PT_LOAD, R | W, 0x5123, 0x800123, 0, 0x10000, 0x1000});
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  ASSERT_EQ(info.nsegments, 4u);
  EXPECT_EQ(info.seg[3].filesz, 0u);
  EXPECT_EQ(info.highest_vaddr_end, 0x810123u);
}

TEST(Elf, FlagsMaskedToRwx) {
  ElfSpec s = minimal();
  s.ph[0].flags = 0xfff00000u | R | X | 0x8;
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);
  EXPECT_EQ(info.seg[0].flags, R | X);
}

TEST(Elf, OtherProgramHeadersIgnored) {
  ElfSpec s = realistic();
  s.ph.push_back({PT_NOTE, R, ~u64{0}, ~u64{0}, ~u64{0}, 0, 0});
  s.ph.push_back({PT_TLS, R, 0xfffffffffff00000, 0x7, 0x1, 0, 0});
  s.ph.push_back({PT_NULL, 0, ~u64{0}, 0, ~u64{0}, ~u64{0}, 0});
  EXPECT_EQ(parse(s), ELF_OK);
}

TEST(Elf, MisalignedImagePointer) {
  Bytes b = realistic().build();
  for (size_t shift = 1; shift < 8; shift++) {
    std::unique_ptr<unsigned char[]> mem(new unsigned char[b.size() + shift]);
    std::memcpy(mem.get() + shift, b.data(), b.size());
    chcore_elf_info info{};
    ASSERT_EQ(chcore_elf_parse(mem.get() + shift, b.size(), &info), ELF_OK);
    EXPECT_EQ(info.nsegments, 3u);
  }
}

TEST(Elf, NullArguments) {
  chcore_elf_info info{};
  EXPECT_EQ(chcore_elf_parse(nullptr, 0, &info), ELF_ERR_TRUNCATED);
  EXPECT_EQ(chcore_elf_parse(nullptr, 4096, &info), ELF_ERR_TRUNCATED);
  Bytes b = minimal().build();
  EXPECT_EQ(chcore_elf_parse(b.data(), b.size(), nullptr), ELF_ERR_TRUNCATED);
}

TEST(Elf, BadMagic) {
  for (size_t i = 0; i < 4; i++) {
    Bytes b = minimal().build();
    b[i] ^= 0x20;
    EXPECT_EQ(parse(b), ELF_ERR_MAGIC) << i;
  }
  Bytes text(100, 'A');
  EXPECT_EQ(parse(text), ELF_ERR_MAGIC);
  Bytes tiny = {0x7f, 'E', 'L', 'X'};
  EXPECT_EQ(parse(tiny), ELF_ERR_MAGIC);
}

TEST(Elf, WrongClassEndianMachineType) {
  ElfSpec s = minimal();
  s.cls = 1;
  EXPECT_EQ(parse(s), ELF_ERR_CLASS);
  s.cls = 0;
  EXPECT_EQ(parse(s), ELF_ERR_CLASS);
  s = minimal();
  s.data = 2;
  EXPECT_EQ(parse(s), ELF_ERR_ENDIAN);
  s.data = 0;
  EXPECT_EQ(parse(s), ELF_ERR_ENDIAN);
  s = minimal();
  for (chcore_u16 m : {0, 3, 40, 62, 243, 183 << 8}) {
    s.machine = m;
    EXPECT_EQ(parse(s), ELF_ERR_MACHINE) << m;
  }
  s = minimal();
  for (chcore_u16 t : {0, 1, 3, 4, 0xfe00, 0xffff, 2 << 8}) {
    s.type = t;
    EXPECT_EQ(parse(s), ELF_ERR_TYPE) << t;  // includes ET_DYN (static-pie too)
  }
}

TEST(Elf, InterpreterRejected) {
  ElfSpec s = realistic();
  s.ph.insert(s.ph.begin() + 1, {PT_INTERP, R, 0x300, 0x400300, 0x1b, 0x1b, 1});
  EXPECT_EQ(parse(s), ELF_ERR_TYPE);
  s = realistic();
  s.ph.push_back({PT_INTERP, R, 0x300, 0x400300, 0x1b, 0x1b, 1});  // after the loads
  EXPECT_EQ(parse(s), ELF_ERR_TYPE);
}

TEST(Elf, DynamicWithoutInterpIgnoredForExec) {
  ElfSpec s = realistic();
  s.ph.push_back({PT_DYNAMIC, R | W, 0x4010, 0x424010, 0x10, 0x10, 8});
  EXPECT_EQ(parse(s), ELF_OK);
}

TEST(Elf, BadPhentsize) {
  for (chcore_u16 v : {0, 32, 55, 57, 64, 0xffff}) {
    Bytes b = minimal().build();
    ElfSpec::put16(b, kEPhentsize, v);
    EXPECT_EQ(parse(b), ELF_ERR_PHDR) << v;
  }
}

TEST(Elf, BadPhnum) {
  for (chcore_u16 v : {0, 0x100, 0xfffe, 0xffff}) {  // 0, past the file, PN_XNUM
    Bytes b = minimal().build();
    ElfSpec::put16(b, kEPhnum, v);
    EXPECT_EQ(parse(b), ELF_ERR_PHDR) << v;
  }
}

TEST(Elf, PhnumTimesPhentsizeOverflow) {
  Bytes b = minimal().build();
  ElfSpec::put16(b, kEPhnum, 0xffff);
  ElfSpec::put16(b, kEPhentsize, 0xffff);
  ElfSpec::put64(b, kEPhoff, ~u64{0} - 0xfffe);
  EXPECT_EQ(parse(b), ELF_ERR_PHDR);
}

TEST(Elf, PhoffOutside) {
  Bytes good = realistic().build();
  const u64 size = good.size();
  for (u64 v : {size, size + 1, size - 5 * 56 + 1, size - 1, u64{1} << 32, ~u64{0}, ~u64{0} - 56,
                ~u64{0} - 5 * 56 + 1, u64{1} << 63}) {
    Bytes b = good;
    ElfSpec::put64(b, kEPhoff, v);
    EXPECT_EQ(parse(b), ELF_ERR_PHDR) << v;
  }
  // The table may end exactly at the end of the file.
  ElfSpec s = minimal();
  s.ph[0].filesz = s.ph[0].memsz = 64 + 56;
  Bytes b = s.build();
  ASSERT_EQ(b.size(), 120u);
  EXPECT_EQ(parse(b), ELF_OK);
}

TEST(Elf, FileRangeOverflowAndOutside) {
  struct Case {
    u64 offset, filesz;
  } cases[] = {
      {0xfffffffffffff000, 0x2000},  // offset + filesz wraps to 0x1000
      {0xfffffffffffff000, 0x1000},  // wraps to exactly 0
      {0x1000, ~u64{0} - 0xfff},     // wraps
      {0x100000, 0x10},              // beyond the file
      {0x4000, 0x111},               // one byte past the end (size 0x4110)
  };
  for (const auto& c : cases) {
    Bytes b = realistic().build();  // file size 0x4110
    ElfSpec::put64(b, ph_field(3, kPOffset), c.offset);
    ElfSpec::put64(b, ph_field(3, kPVaddr), 0x800000 | (c.offset & 0xfff));
    ElfSpec::put64(b, ph_field(3, kPFilesz), c.filesz);
    ElfSpec::put64(b, ph_field(3, kPMemsz), std::max<u64>(c.filesz, 0x1000));
    EXPECT_EQ(parse(b), ELF_ERR_SEGMENT) << std::hex << c.offset << " " << c.filesz;
  }
  // Ending exactly at the end of the file is fine.
  Bytes b = realistic().build();
  ElfSpec::put64(b, ph_field(3, kPFilesz), 0x100);
  EXPECT_EQ(parse(b), ELF_OK);
}

TEST(Elf, VirtualRangeOverflowAndKernelHalf) {
  struct Case {
    u64 vaddr, memsz;
  } cases[] = {
      {0xfffffffffffff000, 0x2000},  // wraps
      {0xfffffffffffff000, 0x1000},  // wraps to exactly 0
      {0x1000, ~u64{0}},             // wraps
      {kUserEnd, 0x1000},            // first non-user address
      {kUserEnd - 0x1000, 0x1001},   // crosses 2^48
      {0xffff000000000000, 0x1000},  // kernel half
  };
  for (const auto& c : cases) {
    ElfSpec s = realistic();
    s.ph[3] = {PT_LOAD, R | W, 0x4000, c.vaddr, 0x10, c.memsz, 0x1000};
    EXPECT_EQ(parse(s), ELF_ERR_SEGMENT) << c.vaddr << " " << c.memsz;
  }
  ElfSpec s = realistic();
  s.ph[3] = {PT_LOAD, R | W, 0x4000, kUserEnd - 0x1000, 0x10, 0x1000, 0x1000};
  chcore_elf_info info{};
  ASSERT_EQ(parse(s, &info), ELF_OK);  // ends exactly at 2^48
  EXPECT_EQ(info.highest_vaddr_end, kUserEnd);
}

TEST(Elf, FileszGreaterThanMemszOrMemszZero) {
  ElfSpec s = realistic();
  s.ph[2].memsz = s.ph[2].filesz - 1;
  EXPECT_EQ(parse(s), ELF_ERR_SEGMENT);
  s = realistic();
  s.ph[2].filesz = 0;
  s.ph[2].memsz = 0;
  EXPECT_EQ(parse(s), ELF_ERR_SEGMENT);
}

TEST(Elf, PageCongruence) {
  for (u64 delta : {u64{1}, u64{8}, u64{0x800}, u64{0xfff}}) {
    ElfSpec s = realistic();
    s.ph[2].vaddr += delta;
    EXPECT_EQ(parse(s), ELF_ERR_SEGMENT) << delta;
  }
  // Only the low 12 bits have to agree.
  ElfSpec s = realistic();
  s.ph[2].vaddr += 0x7000;
  EXPECT_EQ(parse(s), ELF_OK);
}

TEST(Elf, OverlappingSegments) {
  struct Case {
    u64 vaddr, memsz;
    bool ok;
  } cases[] = {
      {0x402000, 0x1000, false},          // inside text
      {0x402000 + 0x344, 0x1000, false},  // last byte of text
      {0x3ff000, 0x1001, false},          // first byte of text
      {0x3ff000, 0x1000, true},           // ends where text starts
      {0x402345, 0x1000, true},           // starts where text ends, same page
      {0x3f0000, 0x100000, false},        // contains text and rodata
      {0x400000, 0x2345, false},          // identical to text
  };
  for (const auto& c : cases) {
    ElfSpec s = realistic();
    s.ph.push_back({PT_LOAD, R | W, c.vaddr & 0xfff, c.vaddr, 0, c.memsz, 0x1000});
    EXPECT_EQ(parse(s), c.ok ? ELF_OK : ELF_ERR_SEGMENT) << std::hex << c.vaddr;
  }
}

TEST(Elf, EntryPoint) {
  struct Case {
    u64 entry;
    bool ok;
  } cases[] = {
      {0x400000, true},  {0x402344, true},   // first/last byte of text
      {0x402345, false}, {0x3fffff, false},  // just outside
      {0x413000, false},                     // rodata: not executable
      {0x424100, false},                     // data: not executable
      {0, false},        {~u64{0}, false},
  };
  for (const auto& c : cases) {
    ElfSpec s = realistic();
    s.entry = c.entry;
    EXPECT_EQ(parse(s), c.ok ? ELF_OK : ELF_ERR_SEGMENT) << std::hex << c.entry;
  }
  // The bss of an executable segment is still inside it.
  ElfSpec s = realistic();
  s.ph[1].memsz = 0x3000;
  s.entry = 0x402800;
  EXPECT_EQ(parse(s), ELF_OK);
}

TEST(Elf, NoLoadSegment) {
  ElfSpec s = realistic();
  s.ph = {s.ph[0], s.ph[4]};
  EXPECT_EQ(parse(s), ELF_ERR_SEGMENT);
}

ElfSpec many_loads(int n) {
  ElfSpec s;
  s.entry = 0x100000;
  s.ph.push_back({PT_PHDR, R, 64, 0x100040, 56, 56, 8});
  for (int i = 0; i < n; i++) {
    u64 off = static_cast<u64>(i) * 0x1000;
    s.ph.push_back({PT_LOAD, i == 0 ? R | X : R, off, 0x100000 + off, 0x1000, 0x1000, 0x1000});
    s.ph.push_back({PT_NOTE, R, 0, 0, 0, 0, 4});  // non-loads do not count
  }
  return s;
}

TEST(Elf, SixteenSegmentsAllowed) {
  chcore_elf_info info{};
  ASSERT_EQ(parse(many_loads(16), &info), ELF_OK);
  EXPECT_EQ(info.nsegments, 16u);
  EXPECT_EQ(info.seg[15].vaddr, 0x10f000u);
  EXPECT_EQ(info.highest_vaddr_end, 0x110000u);
}

TEST(Elf, TooManySegments) {
  chcore_elf_info info{};
  EXPECT_EQ(parse(many_loads(17), &info), ELF_ERR_TOO_MANY);
  EXPECT_LE(info.nsegments, static_cast<chcore_u32>(CHCORE_ELF_MAX_SEGMENTS));
  EXPECT_EQ(parse(many_loads(100)), ELF_ERR_TOO_MANY);
}

// Every prefix of a valid image is rejected; the last segment reaches the end
// of the file, so no prefix is itself a valid image.
TEST(Elf, EveryTruncationLength) {
  Bytes full = realistic().build();
  for (size_t n = 0; n < full.size(); n++) {
    Exact e(full, n);
    chcore_elf_info info{};
    int r = chcore_elf_parse(e.data(), n, &info);
    if (n < 64) {
      EXPECT_EQ(r, ELF_ERR_TRUNCATED) << n;
    } else if (n < 64 + 5 * 56) {
      EXPECT_EQ(r, ELF_ERR_PHDR) << n;
    } else {
      EXPECT_EQ(r, ELF_ERR_SEGMENT) << n;
    }
  }
}

// Checks what ELF_OK promises, against the image actually parsed.
void check_invariants(const chcore_elf_info& info, u64 size) {
  ASSERT_GE(info.nsegments, 1u);
  ASSERT_LE(info.nsegments, static_cast<chcore_u32>(CHCORE_ELF_MAX_SEGMENTS));
  ASSERT_EQ(info.phentsize, 56);
  bool entry_ok = false;
  u64 lo = ~u64{0}, hi = 0;
  for (chcore_u32 i = 0; i < info.nsegments; i++) {
    const chcore_elf_segment& s = info.seg[i];
    ASSERT_GT(s.memsz, 0u);
    ASSERT_LE(s.filesz, s.memsz);
    ASSERT_LE(s.file_offset, size);
    ASSERT_LE(s.filesz, size - s.file_offset);
    ASSERT_LT(s.vaddr, kUserEnd);
    ASSERT_LE(s.memsz, kUserEnd - s.vaddr);
    ASSERT_EQ(s.vaddr % 4096, s.file_offset % 4096);
    ASSERT_EQ(s.flags & ~7u, 0u);
    for (chcore_u32 j = 0; j < i; j++) {
      const chcore_elf_segment& t = info.seg[j];
      ASSERT_TRUE(s.vaddr + s.memsz <= t.vaddr || t.vaddr + t.memsz <= s.vaddr);
    }
    if ((s.flags & X) && info.entry >= s.vaddr && info.entry < s.vaddr + s.memsz) entry_ok = true;
    lo = std::min(lo, s.vaddr);
    hi = std::max(hi, s.vaddr + s.memsz);
  }
  ASSERT_TRUE(entry_ok);
  ASSERT_EQ(info.lowest_vaddr, lo);
  ASSERT_EQ(info.highest_vaddr_end, hi);
}

// Random corruption of the header and program headers must never crash, and
// whatever is accepted must satisfy every documented invariant.
TEST(Elf, ByteFlipFuzz) {
  Bytes full = realistic().build();
  const size_t hdr_end = 64 + 5 * 56;
  const u64 interesting[] = {0,
                             1,
                             0xfff,
                             0x1000,
                             0x4110,
                             0x400000,
                             kUserEnd - 1,
                             kUserEnd,
                             0x7fffffffffffffff,
                             0x8000000000000000,
                             0xfffffffffffff000,
                             ~u64{0}};
  std::mt19937_64 rng(0xe1f0e1f0);
  int accepted = 0;
  for (int iter = 0; iter < 20000; iter++) {
    Bytes b = full;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; k++) {
      switch (rng() % 4) {
        case 0:  // flip a bit in the headers
          b[rng() % hdr_end] ^= static_cast<unsigned char>(1u << (rng() % 8));
          break;
        case 1:  // random byte in the headers
          b[rng() % hdr_end] = static_cast<unsigned char>(rng());
          break;
        case 2: {  // an interesting value into a 64-bit program header field
          size_t i = rng() % 5, f = 8 + 8 * (rng() % 6);
          ElfSpec::put64(b, ph_field(i, f), interesting[rng() % std::size(interesting)]);
          break;
        }
        default: {  // small tweak to a 64-bit field, near the edges
          size_t i = rng() % 5, f = 8 + 8 * (rng() % 6);
          u64 v = 0;
          for (int j = 0; j < 8; j++) v |= u64{b[ph_field(i, f) + j]} << (8 * j);
          ElfSpec::put64(b, ph_field(i, f), v + (rng() % 0x2001) - 0x1000);
          break;
        }
      }
    }
    if (rng() % 8 == 0) b.resize(rng() % (b.size() + 1));
    Exact e(b);
    chcore_elf_info info{};
    int r = chcore_elf_parse(e.data(), e.size, &info);
    ASSERT_GE(r, ELF_OK);
    ASSERT_LE(r, ELF_ERR_TOO_MANY);
    ASSERT_LE(info.nsegments, static_cast<chcore_u32>(CHCORE_ELF_MAX_SEGMENTS));
    if (r == ELF_OK) {
      accepted++;
      check_invariants(info, e.size);
      if (HasFatalFailure()) return;
    }
  }
  // The fuzzer should not only produce headers rejected at the magic check.
  EXPECT_GT(accepted, 100);
}

TEST(Elf, Strerror) {
  for (int i = -1; i <= ELF_ERR_TOO_MANY + 1; i++) {
    ASSERT_NE(chcore_elf_strerror(i), nullptr);
    EXPECT_GT(std::strlen(chcore_elf_strerror(i)), 0u);
  }
  EXPECT_STREQ(chcore_elf_strerror(ELF_OK), "ok");
  EXPECT_STREQ(chcore_elf_strerror(1000), "unknown ELF error");
}

}  // namespace
