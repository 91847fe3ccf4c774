// Tests for kern::fdt. Trees are built here by a small DTB writer rather than
// checked in as binaries, so each test states the shape it relies on. Blobs
// are handed to the reader in buffers of exactly their size, so that any read
// past the end is caught by AddressSanitizer.
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../addr_print.h"
#include "lib/fdt.h"

namespace {

using kern::fdt::BootInfo;
using kern::fdt::Error;
using kern::fdt::PsciMethod;
using kern::fdt::Tree;

constexpr u32 kBeginNode = 1, kEndNode = 2, kProp = 3, kNop = 4, kEnd = 9;

void put_be32(std::vector<u8>& v, u32 x) {
  v.push_back(static_cast<u8>(x >> 24));
  v.push_back(static_cast<u8>(x >> 16));
  v.push_back(static_cast<u8>(x >> 8));
  v.push_back(static_cast<u8>(x));
}

void set_be32(std::vector<u8>& v, usize off, u32 x) {
  v[off] = static_cast<u8>(x >> 24);
  v[off + 1] = static_cast<u8>(x >> 16);
  v[off + 2] = static_cast<u8>(x >> 8);
  v[off + 3] = static_cast<u8>(x);
}

u32 get_be32(const std::vector<u8>& v, usize off) {
  return (u32{v[off]} << 24) | (u32{v[off + 1]} << 16) | (u32{v[off + 2]} << 8) | v[off + 3];
}

void pad4(std::vector<u8>& v) {
  while (v.size() % 4 != 0) v.push_back(0);
}

// Header word byte offsets.
enum : usize {
  kHdrMagic = 0,
  kHdrTotalSize = 4,
  kHdrOffStruct = 8,
  kHdrOffStrings = 12,
  kHdrOffMemRsv = 16,
  kHdrVersion = 20,
  kHdrLastComp = 24,
  kHdrSizeStrings = 32,
  kHdrSizeStruct = 36,
};

// Emits a DTB: header, an empty memory reservation map, the structure block
// and the strings block. Tokens are appended in call order, so malformed
// trees are as easy to write as good ones.
class FdtBuilder {
 public:
  struct Options {
    u32 version = 17;
    bool add_end = true;
    // Put the structure block last, so that cutting totalsize cuts it.
    bool struct_last = false;
  };

  FdtBuilder& begin(const std::string& name) {
    put_be32(struct_, kBeginNode);
    struct_.insert(struct_.end(), name.begin(), name.end());
    struct_.push_back(0);
    pad4(struct_);
    return *this;
  }
  FdtBuilder& end() {
    put_be32(struct_, kEndNode);
    return *this;
  }
  FdtBuilder& nop() {
    put_be32(struct_, kNop);
    return *this;
  }
  FdtBuilder& raw(u32 word) {
    put_be32(struct_, word);
    return *this;
  }
  FdtBuilder& raw_bytes(const std::vector<u8>& bytes) {
    struct_.insert(struct_.end(), bytes.begin(), bytes.end());
    return *this;
  }
  FdtBuilder& prop_with_nameoff(u32 nameoff, const std::vector<u8>& data) {
    put_be32(struct_, kProp);
    put_be32(struct_, static_cast<u32>(data.size()));
    put_be32(struct_, nameoff);
    struct_.insert(struct_.end(), data.begin(), data.end());
    pad4(struct_);
    return *this;
  }
  FdtBuilder& prop(const std::string& name, const std::vector<u8>& data) {
    return prop_with_nameoff(string_offset(name), data);
  }
  FdtBuilder& prop_cells(const std::string& name, std::initializer_list<u32> cells) {
    std::vector<u8> data;
    for (u32 c : cells) put_be32(data, c);
    return prop(name, data);
  }
  FdtBuilder& prop_u32(const std::string& name, u32 v) { return prop_cells(name, {v}); }
  FdtBuilder& prop_str(const std::string& name, const std::string& s) {
    return prop_strs(name, {s});
  }
  FdtBuilder& prop_strs(const std::string& name, std::initializer_list<std::string> list) {
    std::vector<u8> data;
    for (const std::string& s : list) {
      data.insert(data.end(), s.begin(), s.end());
      data.push_back(0);
    }
    return prop(name, data);
  }
  FdtBuilder& prop_empty(const std::string& name) { return prop(name, {}); }
  // Raw bytes appended to the strings block, for hostile name offsets.
  u32 add_raw_string_bytes(const std::vector<u8>& bytes) {
    u32 off = static_cast<u32>(strings_.size());
    strings_.insert(strings_.end(), bytes.begin(), bytes.end());
    return off;
  }
  u32 strings_size() const { return static_cast<u32>(strings_.size()); }

  std::vector<u8> build(const Options& opt) const {
    std::vector<u8> st = struct_;
    if (opt.add_end) put_be32(st, kEnd);
    const u32 header_size = 40, rsv_off = 40, rsv_size = 16;
    std::vector<u8> out(header_size + rsv_size, 0);  // header + (0,0) terminator
    u32 struct_off, strings_off;
    if (opt.struct_last) {
      strings_off = header_size + rsv_size;
      out.insert(out.end(), strings_.begin(), strings_.end());
      pad4(out);
      struct_off = static_cast<u32>(out.size());
      out.insert(out.end(), st.begin(), st.end());
    } else {
      struct_off = header_size + rsv_size;
      out.insert(out.end(), st.begin(), st.end());
      strings_off = static_cast<u32>(out.size());
      out.insert(out.end(), strings_.begin(), strings_.end());
    }
    set_be32(out, kHdrMagic, 0xd00dfeed);
    set_be32(out, kHdrTotalSize, static_cast<u32>(out.size()));
    set_be32(out, kHdrOffStruct, struct_off);
    set_be32(out, kHdrOffStrings, strings_off);
    set_be32(out, kHdrOffMemRsv, rsv_off);
    set_be32(out, kHdrVersion, opt.version);
    set_be32(out, kHdrLastComp, 16);
    set_be32(out, kHdrSizeStrings, static_cast<u32>(strings_.size()));
    set_be32(out, kHdrSizeStruct, static_cast<u32>(st.size()));
    return out;
  }
  std::vector<u8> build() const { return build(Options{}); }

 private:
  u32 string_offset(const std::string& name) {
    // Reuse an existing entry, as dtc does, so offsets are shared.
    for (usize i = 0; i + name.size() < strings_.size() + 1; ++i) {
      if (i + name.size() < strings_.size() &&
          std::memcmp(strings_.data() + i, name.data(), name.size()) == 0 &&
          strings_[i + name.size()] == 0 && (i == 0 || strings_[i - 1] == 0)) {
        return static_cast<u32>(i);
      }
    }
    u32 off = static_cast<u32>(strings_.size());
    strings_.insert(strings_.end(), name.begin(), name.end());
    strings_.push_back(0);
    return off;
  }

  std::vector<u8> struct_;
  std::vector<u8> strings_;
};

// A heap copy of exactly `len` bytes: the reader's view ends where ASan's
// redzone begins.
class ExactBlob {
 public:
  explicit ExactBlob(const std::vector<u8>& bytes) : ExactBlob(bytes, bytes.size()) {}
  ExactBlob(const std::vector<u8>& bytes, usize len)
      : len_(len), data_(new u8[len == 0 ? 1 : len]) {
    std::memcpy(data_.get(), bytes.data(), len);
  }
  const void* data() const { return data_.get(); }
  usize size() const { return len_; }

 private:
  usize len_;
  std::unique_ptr<u8[]> data_;
};

// A tree shaped like the one QEMU 7.2 generates for `-M virt`.
std::vector<u8> virt_tree(u32 ncpus, u64 mem_bytes, FdtBuilder::Options opt = {}) {
  FdtBuilder b;
  b.begin("")
      .prop_u32("interrupt-parent", 0x8002)
      .prop_u32("#size-cells", 2)
      .prop_u32("#address-cells", 2)
      .prop_str("compatible", "linux,dummy-virt");
  b.begin("psci")
      .prop_u32("migrate", 0xc4000005)
      .prop_u32("cpu_on", 0xc4000003)
      .prop_u32("cpu_off", 0x84000002)
      .prop_u32("cpu_suspend", 0xc4000001)
      .prop_str("method", "hvc")
      .prop_strs("compatible", {"arm,psci-1.0", "arm,psci-0.2", "arm,psci"})
      .end();
  b.begin("memory@40000000")
      .prop_cells("reg",
                  {0, 0x40000000, static_cast<u32>(mem_bytes >> 32), static_cast<u32>(mem_bytes)})
      .prop_str("device_type", "memory")
      .end();
  b.begin("pl011@9000000")
      .prop_strs("clock-names", {"uartclk", "apb_pclk"})
      .prop_cells("reg", {0, 0x09000000, 0, 0x1000})
      .prop_strs("compatible", {"arm,pl011", "arm,primecell"})
      .end();
  b.begin("cpus").prop_u32("#size-cells", 0).prop_u32("#address-cells", 1);
  b.begin("cpu-map").begin("socket0").begin("cluster0");
  for (u32 i = 0; i < ncpus; ++i) {
    b.begin("core" + std::to_string(i)).prop_u32("cpu", 0x8001 + i).end();
  }
  b.end().end().end();
  for (u32 i = 0; i < ncpus; ++i) {
    b.begin("cpu@" + std::to_string(i))
        .prop_u32("reg", i)
        .prop_str("enable-method", "psci")
        .prop_str("compatible", "arm,cortex-a57")
        .prop_str("device_type", "cpu")
        .end();
  }
  b.end();
  b.begin("chosen").prop_str("stdout-path", "/pl011@9000000").end();
  b.end();
  return b.build(opt);
}

constexpr u64 kMiB = u64{1024} * 1024;

// Keeps the buffer alive as long as the tree that points into it.
struct Parsed {
  explicit Parsed(const std::vector<u8>& bytes) : blob(bytes) {
    err = tree.init(blob.data(), blob.size());
  }
  ExactBlob blob;
  Tree tree;
  Error err;
};

Error boot_info(const std::vector<u8>& bytes, BootInfo* out) {
  ExactBlob blob(bytes);
  return kern::fdt::parse_boot_info(blob.data(), blob.size(), out);
}

Error init_error(const std::vector<u8>& bytes) { return Parsed(bytes).err; }

// ---------------------------------------------------------------------------
// Well-formed trees

TEST(Fdt, ParsesQemuVirt) {
  BootInfo info;
  ASSERT_EQ(boot_info(virt_tree(4, 1024 * kMiB), &info), Error::Ok);
  ASSERT_EQ(info.mem_count, 1u);
  EXPECT_EQ(info.mem[0].base, PhysAddr{0x40000000u});
  EXPECT_EQ(info.mem[0].size, 1024 * kMiB);
  EXPECT_EQ(info.total_mem(), 1024 * kMiB);
  ASSERT_EQ(info.cpu_count, 4u);
  for (u32 i = 0; i < 4; ++i) EXPECT_EQ(info.cpu_mpidr[i], i);
  EXPECT_EQ(info.psci, PsciMethod::Hvc);
}

// /chosen as QEMU writes it for -initrd: one or two cells per property.
std::vector<u8> tree_with_initrd(std::initializer_list<u32> start, std::initializer_list<u32> end) {
  FdtBuilder b;
  b.begin("").prop_u32("#size-cells", 2).prop_u32("#address-cells", 2);
  b.begin("memory@40000000")
      .prop_cells("reg", {0, 0x40000000, 0, 0x40000000})
      .prop_str("device_type", "memory")
      .end();
  b.begin("cpus").prop_u32("#size-cells", 0).prop_u32("#address-cells", 1);
  b.begin("cpu@0").prop_u32("reg", 0).prop_str("device_type", "cpu").end();
  b.end();
  b.begin("chosen")
      .prop_cells("linux,initrd-start", start)
      .prop_cells("linux,initrd-end", end)
      .end();
  b.end();
  return b.build({});
}

TEST(Fdt, ParsesInitrdRange) {
  BootInfo bi;
  ASSERT_EQ(boot_info(tree_with_initrd({0x48000000}, {0x48012345}), &bi), Error::Ok);
  EXPECT_EQ(bi.initrd_start, PhysAddr{0x48000000u});
  EXPECT_EQ(bi.initrd_end, PhysAddr{0x48012345u});
  ASSERT_EQ(boot_info(tree_with_initrd({0x1, 0x0}, {0x1, 0x1000}), &bi), Error::Ok);
  EXPECT_EQ(bi.initrd_start, PhysAddr{0x100000000u});
  EXPECT_EQ(bi.initrd_end, PhysAddr{0x100001000u});
}

TEST(Fdt, IgnoresBackwardsInitrd) {
  BootInfo bi;
  ASSERT_EQ(boot_info(tree_with_initrd({0x48010000}, {0x48000000}), &bi), Error::Ok);
  EXPECT_EQ(bi.initrd_start, PhysAddr{0u});
  EXPECT_EQ(bi.initrd_end, PhysAddr{0u});
}

TEST(Fdt, NoInitrdWithoutChosenProperties) {
  BootInfo bi;
  ASSERT_EQ(boot_info(virt_tree(4, 1024 * kMiB), &bi), Error::Ok);
  EXPECT_EQ(bi.initrd_start, PhysAddr{0u});
  EXPECT_EQ(bi.initrd_end, PhysAddr{0u});
}

// A one-CPU tree whose /chosen has rng-seed and kaslr-seed.
std::vector<u8> tree_with_seeds(const std::vector<u8>& rng, const std::vector<u8>& kaslr) {
  FdtBuilder b;
  b.begin("").prop_u32("#size-cells", 2).prop_u32("#address-cells", 2);
  b.begin("memory@40000000")
      .prop_cells("reg", {0, 0x40000000, 0, 0x40000000})
      .prop_str("device_type", "memory")
      .end();
  b.begin("cpus").prop_u32("#size-cells", 0).prop_u32("#address-cells", 1);
  b.begin("cpu@0").prop_u32("reg", 0).prop_str("device_type", "cpu").end();
  b.end();
  b.begin("chosen").prop("rng-seed", rng).prop("kaslr-seed", kaslr).end();
  b.end();
  return b.build({});
}

TEST(Fdt, CollectsRngSeedThenKaslrSeed) {
  std::vector<u8> rng(32), kaslr(8);
  for (u32 i = 0; i < rng.size(); i++) rng[i] = static_cast<u8>(i + 1);
  for (u32 i = 0; i < kaslr.size(); i++) kaslr[i] = static_cast<u8>(0xa0 + i);
  BootInfo bi;
  ASSERT_EQ(boot_info(tree_with_seeds(rng, kaslr), &bi), Error::Ok);
  ASSERT_EQ(bi.rng_seed_len, 40u);
  EXPECT_EQ(bi.rng_seed[0], 1);
  EXPECT_EQ(bi.rng_seed[31], 32);
  EXPECT_EQ(bi.rng_seed[32], 0xa0);
  EXPECT_EQ(bi.rng_seed[39], 0xa7);
}

TEST(Fdt, RngSeedIsCappedAt64Bytes) {
  BootInfo bi;
  ASSERT_EQ(boot_info(tree_with_seeds(std::vector<u8>(100, 7), {1, 2}), &bi), Error::Ok);
  EXPECT_EQ(bi.rng_seed_len, 64u);
  EXPECT_EQ(bi.rng_seed[63], 7);
}

TEST(Fdt, NoRngSeedWithoutChosenProperties) {
  BootInfo bi;
  ASSERT_EQ(boot_info(virt_tree(4, 1024 * kMiB), &bi), Error::Ok);
  EXPECT_EQ(bi.rng_seed_len, 0u);
}

TEST(Fdt, ParsesTwoCpus2GiB) {
  BootInfo info;
  ASSERT_EQ(boot_info(virt_tree(2, 2048 * kMiB), &info), Error::Ok);
  EXPECT_EQ(info.total_mem(), 2048 * kMiB);
  ASSERT_EQ(info.cpu_count, 2u);
  EXPECT_EQ(info.cpu_mpidr[0], 0u);
  EXPECT_EQ(info.cpu_mpidr[1], 1u);
}

TEST(Fdt, ParsesMemoryAbove4GiB) {
  BootInfo info;
  ASSERT_EQ(boot_info(virt_tree(1, 8192 * kMiB), &info), Error::Ok);
  EXPECT_EQ(info.total_mem(), 8192 * kMiB);
}

TEST(Fdt, ParsesVersion16Tree) {
  BootInfo info;
  FdtBuilder::Options opt;
  opt.version = 16;
  ASSERT_EQ(boot_info(virt_tree(4, 1024 * kMiB, opt), &info), Error::Ok);
  EXPECT_EQ(info.cpu_count, 4u);
}

TEST(Fdt, ParsesStructBlockLast) {
  FdtBuilder::Options opt;
  opt.struct_last = true;
  BootInfo info;
  ASSERT_EQ(boot_info(virt_tree(4, 1024 * kMiB, opt), &info), Error::Ok);
  EXPECT_EQ(info.cpu_count, 4u);
}

FdtBuilder root_2_2() {
  FdtBuilder b;
  b.begin("").prop_u32("#address-cells", 2).prop_u32("#size-cells", 2);
  return b;
}

TEST(Fdt, TwoMemoryNodes) {
  FdtBuilder b = root_2_2();
  b.begin("memory@40000000")
      .prop_str("device_type", "memory")
      .prop_cells("reg", {0, 0x40000000, 0, 0x20000000})
      .end();
  b.begin("memory@100000000")
      .prop_str("device_type", "memory")
      .prop_cells("reg", {1, 0, 0, 0x10000000})
      .end();
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  ASSERT_EQ(info.mem_count, 2u);
  EXPECT_EQ(info.mem[0].base, PhysAddr{0x40000000u});
  EXPECT_EQ(info.mem[0].size, 512 * kMiB);
  EXPECT_EQ(info.mem[1].base, PhysAddr{0x100000000u});
  EXPECT_EQ(info.mem[1].size, 256 * kMiB);
  EXPECT_EQ(info.total_mem(), 768 * kMiB);
  EXPECT_EQ(info.cpu_count, 0u);
  EXPECT_EQ(info.psci, PsciMethod::None);
}

TEST(Fdt, SeveralRangesInOneNodeAndZeroSizeSkipped) {
  FdtBuilder b = root_2_2();
  b.begin("memory")
      .prop_str("device_type", "memory")
      .prop_cells("reg", {0, 0x0, 0, 0x1000, 0, 0x8000, 0, 0, 0, 0x10000, 0, 0x2000})
      .end();
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  ASSERT_EQ(info.mem_count, 2u);
  EXPECT_EQ(info.mem[0].base, PhysAddr{0u});
  EXPECT_EQ(info.mem[0].size, 0x1000u);
  EXPECT_EQ(info.mem[1].base, PhysAddr{0x10000u});
  EXPECT_EQ(info.mem[1].size, 0x2000u);
}

TEST(Fdt, OneCellAddresses) {
  FdtBuilder b;
  b.begin("").prop_u32("#address-cells", 1).prop_u32("#size-cells", 1);
  b.begin("memory@0").prop_str("device_type", "memory").prop_cells("reg", {0, 0x40000000}).end();
  b.begin("cpus").prop_u32("#address-cells", 1).prop_u32("#size-cells", 0);
  b.begin("cpu@0").prop_str("device_type", "cpu").prop_u32("reg", 0).end();
  b.end();
  b.begin("psci").prop_str("compatible", "arm,psci").prop_str("method", "smc").end();
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  ASSERT_EQ(info.mem_count, 1u);
  EXPECT_EQ(info.mem[0].base, PhysAddr{0u});
  EXPECT_EQ(info.mem[0].size, 1024 * kMiB);
  EXPECT_EQ(info.cpu_count, 1u);
  EXPECT_EQ(info.psci, PsciMethod::Smc);
}

TEST(Fdt, DefaultCellsWhenRootHasNone) {
  // No #address-cells/#size-cells: the spec's defaults are 2 and 1.
  FdtBuilder b;
  b.begin("");
  b.begin("memory")
      .prop_str("device_type", "memory")
      .prop_cells("reg", {0, 0x80000000, 0x1000})
      .end();
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  ASSERT_EQ(info.mem_count, 1u);
  EXPECT_EQ(info.mem[0].base, PhysAddr{0x80000000u});
  EXPECT_EQ(info.mem[0].size, 0x1000u);
}

TEST(Fdt, TwoCellCpuReg) {
  FdtBuilder b = root_2_2();
  b.begin("cpus").prop_u32("#address-cells", 2).prop_u32("#size-cells", 0);
  b.begin("cpu@100").prop_str("device_type", "cpu").prop_cells("reg", {0x1, 0x100}).end();
  b.end().end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  ASSERT_EQ(info.cpu_count, 1u);
  EXPECT_EQ(info.cpu_mpidr[0], 0x100000100u);
}

TEST(Fdt, KeepsFirstMemoryRangesWhenTooMany) {
  FdtBuilder b;
  b.begin("").prop_u32("#address-cells", 1).prop_u32("#size-cells", 1);
  for (u32 i = 0; i < BootInfo::kMaxMem + 3; ++i) {
    b.begin("memory@" + std::to_string(i))
        .prop_str("device_type", "memory")
        .prop_cells("reg", {i * 0x1000, 0x1000})
        .end();
  }
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  ASSERT_EQ(info.mem_count, BootInfo::kMaxMem);
  for (u32 i = 0; i < BootInfo::kMaxMem; ++i) EXPECT_EQ(info.mem[i].base, PhysAddr{i * 0x1000u});
}

TEST(Fdt, KeepsFirstCpusWhenTooMany) {
  BootInfo info;
  ASSERT_EQ(boot_info(virt_tree(BootInfo::kMaxCpus + 4, 1024 * kMiB), &info), Error::Ok);
  ASSERT_EQ(info.cpu_count, BootInfo::kMaxCpus);
  for (u32 i = 0; i < BootInfo::kMaxCpus; ++i) EXPECT_EQ(info.cpu_mpidr[i], i);
}

TEST(Fdt, NoCpusNodeGivesZeroCpus) {
  FdtBuilder b = root_2_2();
  b.begin("memory").prop_str("device_type", "memory").prop_cells("reg", {0, 0, 0, 0x1000}).end();
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  EXPECT_EQ(info.cpu_count, 0u);
}

TEST(Fdt, PsciWithUnknownMethodIsNone) {
  FdtBuilder b = root_2_2();
  b.begin("psci").prop_str("compatible", "arm,psci-0.2").prop_str("method", "magic").end();
  b.end();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  EXPECT_EQ(info.psci, PsciMethod::None);
}

TEST(Fdt, CpuWithoutRegIsAnError) {
  FdtBuilder b = root_2_2();
  b.begin("cpus").prop_u32("#address-cells", 1).prop_u32("#size-cells", 0);
  b.begin("cpu@0").prop_str("device_type", "cpu").end();
  b.end().end();
  BootInfo info;
  EXPECT_EQ(boot_info(b.build(), &info), Error::BadProperty);
}

TEST(Fdt, WrappingMemoryRangeIsAnError) {
  FdtBuilder b = root_2_2();
  b.begin("memory")
      .prop_str("device_type", "memory")
      .prop_cells("reg", {0xffffffff, 0xfffff000, 0, 0x2000})
      .end();
  b.end();
  BootInfo info;
  EXPECT_EQ(boot_info(b.build(), &info), Error::BadProperty);
  EXPECT_EQ(info.mem_count, 0u);
}

TEST(Fdt, TotalMemSaturates) {
  BootInfo info{};
  info.mem_count = 2;
  info.mem[0] = {PhysAddr{0}, ~0ull};
  info.mem[1] = {PhysAddr{0}, 2};
  EXPECT_EQ(info.total_mem(), ~0ull);
}

TEST(Fdt, BootInfoZeroedOnError) {
  BootInfo info;
  std::memset(&info, 0xa5, sizeof(info));
  std::vector<u8> bytes = virt_tree(4, 1024 * kMiB);
  set_be32(bytes, kHdrMagic, 0);
  EXPECT_EQ(boot_info(bytes, &info), Error::BadMagic);
  EXPECT_EQ(info.mem_count, 0u);
  EXPECT_EQ(info.cpu_count, 0u);
  EXPECT_EQ(info.psci, PsciMethod::None);
}

TEST(Fdt, TotalSize) {
  std::vector<u8> bytes = virt_tree(4, 1024 * kMiB);
  Parsed p(bytes);
  ASSERT_EQ(p.err, Error::Ok);
  EXPECT_EQ(p.tree.total_size(), bytes.size());
}

TEST(Fdt, AcceptsMaxSizeLargerThanTotalSize) {
  std::vector<u8> bytes = virt_tree(4, 1024 * kMiB);
  usize real = bytes.size();
  bytes.resize(real + 100, 0xee);
  Parsed p(bytes);
  ASSERT_EQ(p.err, Error::Ok);
  EXPECT_EQ(p.tree.total_size(), real);
}

TEST(Fdt, FindNode) {
  Parsed p(virt_tree(4, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 root, node, node2;
  ASSERT_EQ(t.find_node("/", &root), Error::Ok);
  EXPECT_STREQ(t.node_name(root), "");

  ASSERT_EQ(t.find_node("/memory", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "memory@40000000");
  ASSERT_EQ(t.find_node("/memory@40000000", &node2), Error::Ok);
  EXPECT_EQ(node, node2);

  ASSERT_EQ(t.find_node("/cpus/cpu@2", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "cpu@2");
  ASSERT_EQ(t.find_node("/cpus/cpu", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "cpu@0");
  ASSERT_EQ(t.find_node("/cpus/cpu-map/socket0/cluster0/core3", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "core3");
  ASSERT_EQ(t.find_node("/cpus/", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "cpus");
  ASSERT_EQ(t.find_node("//cpus//cpu@1", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "cpu@1");

  EXPECT_EQ(t.find_node("/memory@0", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("/mem", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("/memory@4000000", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("/cpus/cpu@4", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("/nonexistent", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("/psci/cpu_on", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("cpus", &node), Error::NotFound);
  EXPECT_EQ(t.find_node("", &node), Error::NotFound);
  EXPECT_EQ(t.find_node(nullptr, &node), Error::NotFound);
}

TEST(Fdt, IteratesChildren) {
  Parsed p(virt_tree(4, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 root;
  ASSERT_EQ(t.find_node("/", &root), Error::Ok);
  std::vector<std::string> names;
  i32 child;
  Error e = t.first_child(root, &child);
  for (; e == Error::Ok; e = t.next_sibling(child, &child)) names.push_back(t.node_name(child));
  EXPECT_EQ(e, Error::NotFound);
  EXPECT_EQ(names, (std::vector<std::string>{"psci", "memory@40000000", "pl011@9000000", "cpus",
                                             "chosen"}));

  i32 psci;
  ASSERT_EQ(t.find_node("/psci", &psci), Error::Ok);
  EXPECT_EQ(t.first_child(psci, &child), Error::NotFound);
  EXPECT_EQ(t.next_sibling(root, &child), Error::NotFound);
}

TEST(Fdt, ParentAndNextNode) {
  Parsed p(virt_tree(2, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 root, cpus, cpu1, par;
  ASSERT_EQ(t.find_node("/", &root), Error::Ok);
  ASSERT_EQ(t.find_node("/cpus", &cpus), Error::Ok);
  ASSERT_EQ(t.find_node("/cpus/cpu@1", &cpu1), Error::Ok);
  ASSERT_EQ(t.parent(cpu1, &par), Error::Ok);
  EXPECT_EQ(par, cpus);
  ASSERT_EQ(t.parent(cpus, &par), Error::Ok);
  EXPECT_EQ(par, root);
  EXPECT_EQ(t.parent(root, &par), Error::NotFound);

  // root, psci, memory, pl011, cpus, cpu-map, socket0, cluster0, core0, core1,
  // cpu@0, cpu@1, chosen
  u32 count = 1;
  i32 node = root;
  Error e;
  while ((e = t.next_node(node, &node)) == Error::Ok) ++count;
  EXPECT_EQ(e, Error::NotFound);
  EXPECT_EQ(count, 13u);
}

TEST(Fdt, Properties) {
  Parsed p(virt_tree(4, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 psci, root, cpus;
  ASSERT_EQ(t.find_node("/psci", &psci), Error::Ok);
  ASSERT_EQ(t.find_node("/", &root), Error::Ok);
  ASSERT_EQ(t.find_node("/cpus", &cpus), Error::Ok);

  u32 v;
  ASSERT_EQ(t.get_u32(psci, "cpu_on", &v), Error::Ok);
  EXPECT_EQ(v, 0xc4000003u);
  ASSERT_EQ(t.get_u32(root, "#address-cells", &v), Error::Ok);
  EXPECT_EQ(v, 2u);
  ASSERT_EQ(t.get_u32(psci, "method", &v), Error::Ok);  // "hvc\0" is 4 bytes: no type check
  EXPECT_EQ(v, 0x68766300u);
  EXPECT_EQ(t.get_u32(psci, "compatible", &v), Error::BadProperty);
  EXPECT_EQ(t.get_u32(root, "compatible", &v), Error::BadProperty);
  EXPECT_EQ(t.get_u32(psci, "nothing", &v), Error::NotFound);
  // Properties of descendants are not properties of the node.
  EXPECT_EQ(t.get_u32(cpus, "reg", &v), Error::NotFound);

  const void* data;
  u32 len;
  ASSERT_EQ(t.get_prop(psci, "method", &data, &len), Error::Ok);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(std::memcmp(data, "hvc", 4), 0);
  EXPECT_EQ(reinterpret_cast<uptr>(data) % 4, 0u);

  EXPECT_TRUE(t.prop_is(psci, "method", "hvc"));
  EXPECT_FALSE(t.prop_is(psci, "method", "hv"));
  EXPECT_FALSE(t.prop_is(psci, "method", "hvcx"));
  EXPECT_FALSE(t.prop_is(psci, "compatible", "arm,psci-1.0"));  // a list, not one string
  EXPECT_FALSE(t.prop_is(psci, "nothing", "hvc"));

  EXPECT_TRUE(t.compatible(psci, "arm,psci-1.0"));
  EXPECT_TRUE(t.compatible(psci, "arm,psci-0.2"));
  EXPECT_TRUE(t.compatible(psci, "arm,psci"));
  EXPECT_FALSE(t.compatible(psci, "arm,psci-0.1"));
  EXPECT_FALSE(t.compatible(psci, "arm"));
  EXPECT_FALSE(t.compatible(cpus, "arm,psci"));
}

TEST(Fdt, GetU32WrongSize) {
  FdtBuilder b = root_2_2();
  b.prop_cells("two", {1, 2}).prop_empty("empty").prop("three-bytes", {1, 2, 3});
  b.end();
  Parsed p(b.build());
  ASSERT_EQ(p.err, Error::Ok);
  i32 root;
  ASSERT_EQ(p.tree.find_node("/", &root), Error::Ok);
  u32 v;
  EXPECT_EQ(p.tree.get_u32(root, "two", &v), Error::BadProperty);
  EXPECT_EQ(p.tree.get_u32(root, "empty", &v), Error::BadProperty);
  EXPECT_EQ(p.tree.get_u32(root, "three-bytes", &v), Error::BadProperty);
  EXPECT_FALSE(p.tree.prop_is(root, "empty", ""));
  const void* data;
  u32 len;
  ASSERT_EQ(p.tree.get_prop(root, "empty", &data, &len), Error::Ok);
  EXPECT_EQ(len, 0u);
}

TEST(Fdt, UnterminatedStrings) {
  FdtBuilder b = root_2_2();
  b.prop("compatible", {'a', 0, 'b', 'c'}).prop("method", {'h', 'v', 'c'});
  b.end();
  Parsed p(b.build());
  ASSERT_EQ(p.err, Error::Ok);
  i32 root;
  ASSERT_EQ(p.tree.find_node("/", &root), Error::Ok);
  EXPECT_TRUE(p.tree.compatible(root, "a"));
  EXPECT_FALSE(p.tree.compatible(root, "bc"));
  EXPECT_FALSE(p.tree.prop_is(root, "method", "hvc"));
}

TEST(Fdt, RegDecoding) {
  Parsed p(virt_tree(4, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 uart, cpu, mem, root, psci;
  ASSERT_EQ(t.find_node("/pl011", &uart), Error::Ok);
  u64 addr, size;
  ASSERT_EQ(t.reg(uart, 0, &addr, &size), Error::Ok);
  EXPECT_EQ(addr, 0x09000000u);
  EXPECT_EQ(size, 0x1000u);
  EXPECT_EQ(t.reg(uart, 1, &addr, &size), Error::NotFound);

  ASSERT_EQ(t.find_node("/cpus/cpu@3", &cpu), Error::Ok);
  ASSERT_EQ(t.reg(cpu, 0, &addr, &size), Error::Ok);
  EXPECT_EQ(addr, 3u);
  EXPECT_EQ(size, 0u);

  ASSERT_EQ(t.find_node("/memory", &mem), Error::Ok);
  ASSERT_EQ(t.reg(mem, 0, &addr, &size), Error::Ok);
  EXPECT_EQ(addr, 0x40000000u);
  EXPECT_EQ(size, 1024 * kMiB);

  ASSERT_EQ(t.find_node("/", &root), Error::Ok);
  EXPECT_EQ(t.reg(root, 0, &addr, &size), Error::NotFound);
  ASSERT_EQ(t.find_node("/psci", &psci), Error::Ok);
  EXPECT_EQ(t.reg(psci, 0, &addr, &size), Error::NotFound);
}

TEST(Fdt, RegWithUnsupportedCells) {
  FdtBuilder b;
  b.begin("").prop_u32("#address-cells", 3).prop_u32("#size-cells", 1);
  b.begin("dev").prop_cells("reg", {0, 0, 0x1000, 0x10}).end();
  b.end();
  Parsed p(b.build());
  ASSERT_EQ(p.err, Error::Ok);
  i32 dev;
  ASSERT_EQ(p.tree.find_node("/dev", &dev), Error::Ok);
  u64 addr, size;
  EXPECT_EQ(p.tree.reg(dev, 0, &addr, &size), Error::BadProperty);

  FdtBuilder b2;
  b2.begin("").prop_u32("#address-cells", 1).prop_u32("#size-cells", 3);
  b2.begin("dev").prop_cells("reg", {0, 0, 0, 0}).end();
  b2.end();
  Parsed p2(b2.build());
  ASSERT_EQ(p2.err, Error::Ok);
  ASSERT_EQ(p2.tree.find_node("/dev", &dev), Error::Ok);
  EXPECT_EQ(p2.tree.reg(dev, 0, &addr, &size), Error::BadProperty);

  FdtBuilder b3;
  b3.begin("").prop_u32("#address-cells", 0).prop_u32("#size-cells", 1);
  b3.begin("dev").prop_cells("reg", {0}).end();
  b3.end();
  Parsed p3(b3.build());
  ASSERT_EQ(p3.err, Error::Ok);
  ASSERT_EQ(p3.tree.find_node("/dev", &dev), Error::Ok);
  EXPECT_EQ(p3.tree.reg(dev, 0, &addr, &size), Error::BadProperty);
}

TEST(Fdt, RegWithPartialEntry) {
  FdtBuilder b = root_2_2();
  b.begin("dev").prop_cells("reg", {0, 0x1000, 0}).end();
  b.begin("dev2").prop("#address-cells", {0, 0}).prop_u32("#size-cells", 1);
  b.begin("sub").prop_cells("reg", {1, 2}).end();
  b.end();
  b.end();
  Parsed p(b.build());
  ASSERT_EQ(p.err, Error::Ok);
  i32 dev, sub;
  u64 addr, size;
  ASSERT_EQ(p.tree.find_node("/dev", &dev), Error::Ok);
  EXPECT_EQ(p.tree.reg(dev, 0, &addr, &size), Error::BadProperty);
  // #address-cells that is not one cell.
  ASSERT_EQ(p.tree.find_node("/dev2/sub", &sub), Error::Ok);
  EXPECT_EQ(p.tree.reg(sub, 0, &addr, &size), Error::BadProperty);

  BootInfo info;
  FdtBuilder m = root_2_2();
  m.begin("memory").prop_str("device_type", "memory").prop_cells("reg", {0, 0, 0}).end();
  m.end();
  EXPECT_EQ(boot_info(m.build(), &info), Error::BadProperty);
}

TEST(Fdt, FindCompatible) {
  Parsed p(virt_tree(4, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 node;
  ASSERT_EQ(t.find_compatible("arm,primecell", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "pl011@9000000");
  ASSERT_EQ(t.find_compatible("arm,psci-0.2", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "psci");
  ASSERT_EQ(t.find_compatible("arm,cortex-a57", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "cpu@0");  // first in depth-first order
  ASSERT_EQ(t.find_compatible("linux,dummy-virt", &node), Error::Ok);
  EXPECT_STREQ(t.node_name(node), "");
  EXPECT_EQ(t.find_compatible("arm,gic-400", &node), Error::NotFound);
}

TEST(Fdt, NopTokensAreSkipped) {
  FdtBuilder b;
  b.nop().begin("").nop().prop_u32("#address-cells", 1).nop().prop_u32("#size-cells", 1).nop();
  b.begin("memory").nop().prop_str("device_type", "memory").prop_cells("reg", {0, 0x1000}).end();
  b.nop().begin("cpus").prop_u32("#address-cells", 1).prop_u32("#size-cells", 0).nop();
  b.begin("cpu@0").prop_str("device_type", "cpu").prop_u32("reg", 0).end().nop();
  b.begin("cpu@1").prop_str("device_type", "cpu").prop_u32("reg", 1).end();
  b.end().nop().end().nop();
  BootInfo info;
  ASSERT_EQ(boot_info(b.build(), &info), Error::Ok);
  EXPECT_EQ(info.total_mem(), 0x1000u);
  EXPECT_EQ(info.cpu_count, 2u);
  Parsed p(b.build());
  i32 root, node;
  ASSERT_EQ(p.tree.find_node("/", &root), Error::Ok);
  ASSERT_EQ(p.tree.find_node("/cpus/cpu@1", &node), Error::Ok);
}

TEST(Fdt, MaxDepthAccepted) {
  FdtBuilder b;
  b.begin("").prop_u32("#address-cells", 1).prop_u32("#size-cells", 1);
  std::string path;
  for (u32 i = 1; i < Tree::kMaxDepth; ++i) {
    b.begin("n" + std::to_string(i)).prop_u32("#address-cells", 1).prop_u32("#size-cells", 1);
    path += "/n" + std::to_string(i);
  }
  b.prop_cells("reg", {0x1234, 0x10});
  for (u32 i = 0; i < Tree::kMaxDepth; ++i) b.end();
  Parsed p(b.build());
  ASSERT_EQ(p.err, Error::Ok);
  i32 node, par;
  ASSERT_EQ(p.tree.find_node(path.c_str(), &node), Error::Ok);
  u64 addr, size;
  ASSERT_EQ(p.tree.reg(node, 0, &addr, &size), Error::Ok);
  EXPECT_EQ(addr, 0x1234u);
  ASSERT_EQ(p.tree.parent(node, &par), Error::Ok);
  EXPECT_STREQ(p.tree.node_name(par), ("n" + std::to_string(Tree::kMaxDepth - 2)).c_str());
}

TEST(Fdt, BadHandlesAreRejected) {
  Parsed p(virt_tree(4, 1024 * kMiB));
  ASSERT_EQ(p.err, Error::Ok);
  const Tree& t = p.tree;
  i32 root, out;
  ASSERT_EQ(t.find_node("/", &root), Error::Ok);
  u64 a, s;
  u32 v;
  const void* data;
  u32 len;
  for (i32 bad : {-4, -1, 1, 2, 3, 4, 8, 0x7ffffffc, static_cast<i32>(0x80000000)}) {
    if (bad == root) continue;
    SCOPED_TRACE(bad);
    EXPECT_EQ(t.node_name(bad), nullptr);
    EXPECT_EQ(t.first_child(bad, &out), Error::NotFound);
    EXPECT_EQ(t.next_sibling(bad, &out), Error::NotFound);
    EXPECT_EQ(t.next_node(bad, &out), Error::NotFound);
    EXPECT_EQ(t.parent(bad, &out), Error::NotFound);
    EXPECT_EQ(t.get_prop(bad, "reg", &data, &len), Error::NotFound);
    EXPECT_EQ(t.get_u32(bad, "reg", &v), Error::NotFound);
    EXPECT_EQ(t.reg(bad, 0, &a, &s), Error::NotFound);
    EXPECT_FALSE(t.compatible(bad, "arm,pl011"));
    EXPECT_FALSE(t.prop_is(bad, "method", "hvc"));
  }
}

TEST(Fdt, UninitialisedTreeFindsNothing) {
  Tree t;
  i32 node;
  EXPECT_EQ(t.find_node("/", &node), Error::NotFound);
  EXPECT_EQ(t.find_compatible("arm,pl011", &node), Error::NotFound);
  EXPECT_EQ(t.node_name(0), nullptr);
  EXPECT_EQ(t.total_size(), 0u);
}

TEST(Fdt, FailedInitLeavesTreeUnusable) {
  std::vector<u8> good = virt_tree(4, 1024 * kMiB);
  std::vector<u8> bad = good;
  set_be32(bad, kHdrVersion, 15);
  ExactBlob good_blob(good), bad_blob(bad);
  Tree t;
  ASSERT_EQ(t.init(good_blob.data(), good_blob.size()), Error::Ok);
  ASSERT_EQ(t.init(bad_blob.data(), bad_blob.size()), Error::BadVersion);
  i32 node;
  EXPECT_EQ(t.find_node("/", &node), Error::NotFound);
  EXPECT_EQ(t.total_size(), 0u);
}

TEST(Fdt, ErrorNames) {
  EXPECT_STREQ(kern::fdt::error_name(Error::Ok), "Ok");
  EXPECT_STREQ(kern::fdt::error_name(Error::Truncated), "Truncated");
  EXPECT_STREQ(kern::fdt::error_name(Error::BadProperty), "BadProperty");
  EXPECT_STREQ(kern::fdt::error_name(static_cast<Error>(200)), "?");
}

// ---------------------------------------------------------------------------
// Malformed headers

std::vector<u8> good_tree() { return virt_tree(4, 1024 * kMiB); }

TEST(FdtMalformed, BadMagic) {
  std::vector<u8> t = good_tree();
  set_be32(t, kHdrMagic, 0xedfe0dd0);  // little-endian magic
  EXPECT_EQ(init_error(t), Error::BadMagic);
}

TEST(FdtMalformed, Version15) {
  std::vector<u8> t = good_tree();
  set_be32(t, kHdrVersion, 15);
  EXPECT_EQ(init_error(t), Error::BadVersion);
}

TEST(FdtMalformed, LastCompatibleVersionTooNew) {
  std::vector<u8> t = good_tree();
  set_be32(t, kHdrLastComp, 18);
  EXPECT_EQ(init_error(t), Error::BadVersion);
  set_be32(t, kHdrLastComp, 16);
  set_be32(t, kHdrVersion, 18);  // newer but backwards compatible: fine
  EXPECT_EQ(init_error(t), Error::Ok);
}

TEST(FdtMalformed, TotalSizeLargerThanMaxSize) {
  std::vector<u8> t = good_tree();
  ExactBlob blob(t);
  Tree tree;
  EXPECT_EQ(tree.init(blob.data(), blob.size() - 1), Error::TooLarge);
  set_be32(t, kHdrTotalSize, static_cast<u32>(t.size() + 1));
  EXPECT_EQ(init_error(t), Error::TooLarge);
  set_be32(t, kHdrTotalSize, 0xffffffff);
  EXPECT_EQ(init_error(t), Error::TooLarge);
}

TEST(FdtMalformed, TotalSizeAbove2GiBRejectedEvenIfCallerAllowsIt) {
  std::vector<u8> t = good_tree();
  set_be32(t, kHdrTotalSize, 0x80000000);
  ExactBlob blob(t);
  Tree tree;
  // Only the header is read before the size check.
  EXPECT_EQ(tree.init(blob.data(), 0x100000000ull), Error::TooLarge);
}

TEST(FdtMalformed, MaxSizeTooSmallForHeader) {
  std::vector<u8> t = good_tree();
  for (usize n = 0; n < 8; ++n) {
    ExactBlob blob(t, n);
    Tree tree;
    EXPECT_EQ(tree.init(blob.data(), n), Error::Truncated) << n;
  }
}

TEST(FdtMalformed, EveryShortMaxSizeFails) {
  std::vector<u8> t = good_tree();
  for (usize n = 0; n < t.size(); ++n) {
    ExactBlob blob(t, n);
    Tree tree;
    EXPECT_NE(tree.init(blob.data(), n), Error::Ok) << n;
  }
}

TEST(FdtMalformed, TotalSizeSmallerThanHeader) {
  std::vector<u8> t = good_tree();
  for (u32 n : {0u, 8u, 35u, 39u}) {
    set_be32(t, kHdrTotalSize, n);
    EXPECT_EQ(init_error(t), Error::BadHeader) << n;
  }
}

TEST(FdtMalformed, TotalSizeSmallerThanOffsets) {
  std::vector<u8> t = good_tree();
  // Cut just before the end of the strings block.
  set_be32(t, kHdrTotalSize, get_be32(t, kHdrOffStrings) + get_be32(t, kHdrSizeStrings) - 1);
  EXPECT_EQ(init_error(t), Error::BadHeader);
  // Cut inside the struct block.
  set_be32(t, kHdrTotalSize, get_be32(t, kHdrOffStruct) + 8);
  EXPECT_EQ(init_error(t), Error::BadHeader);
  // Cut before the reservation map.
  set_be32(t, kHdrTotalSize, 40);
  EXPECT_EQ(init_error(t), Error::BadHeader);
}

TEST(FdtMalformed, StructOffsetOutOfRange) {
  std::vector<u8> t = good_tree();
  for (u32 off : {0u, 36u, static_cast<u32>(t.size() + 4), 0xfffffffcu}) {
    std::vector<u8> c = t;
    set_be32(c, kHdrOffStruct, off);
    EXPECT_EQ(init_error(c), Error::BadHeader) << off;
  }
}

TEST(FdtMalformed, StructSizeOutOfRange) {
  std::vector<u8> t = good_tree();
  u32 off = get_be32(t, kHdrOffStruct);
  for (u32 size : {static_cast<u32>(t.size() - off + 1), 0xfffffff0u, 0xffffffffu}) {
    std::vector<u8> c = t;
    set_be32(c, kHdrSizeStruct, size);
    EXPECT_EQ(init_error(c), Error::BadHeader) << size;
  }
}

TEST(FdtMalformed, StringsOutOfRange) {
  std::vector<u8> t = good_tree();
  std::vector<u8> c = t;
  set_be32(c, kHdrOffStrings, static_cast<u32>(t.size() + 1));
  EXPECT_EQ(init_error(c), Error::BadHeader);
  c = t;
  set_be32(c, kHdrSizeStrings, get_be32(t, kHdrSizeStrings) + 1);
  EXPECT_EQ(init_error(c), Error::BadHeader);
  c = t;
  set_be32(c, kHdrSizeStrings, 0xffffffff);
  EXPECT_EQ(init_error(c), Error::BadHeader);
  c = t;
  set_be32(c, kHdrOffStrings, 4);
  EXPECT_EQ(init_error(c), Error::BadHeader);
}

TEST(FdtMalformed, MisalignedOffsets) {
  std::vector<u8> t = good_tree();
  std::vector<u8> c = t;
  set_be32(c, kHdrOffStruct, get_be32(t, kHdrOffStruct) + 2);
  EXPECT_EQ(init_error(c), Error::BadHeader);
  c = t;
  set_be32(c, kHdrOffStruct, get_be32(t, kHdrOffStruct) + 1);
  EXPECT_EQ(init_error(c), Error::BadHeader);
  c = t;
  set_be32(c, kHdrOffMemRsv, 44);
  EXPECT_EQ(init_error(c), Error::BadHeader);
}

TEST(FdtMalformed, MisalignedOrNullBlob) {
  std::vector<u8> t = good_tree();
  std::unique_ptr<u8[]> buf(new u8[t.size() + 4]);
  for (usize shift = 1; shift < 4; ++shift) {
    std::memcpy(buf.get() + shift, t.data(), t.size());
    Tree tree;
    EXPECT_EQ(tree.init(buf.get() + shift, t.size()), Error::BadHeader) << shift;
  }
  Tree tree;
  EXPECT_EQ(tree.init(nullptr, 4096), Error::BadHeader);
}

TEST(FdtMalformed, ReservationMapWithoutTerminator) {
  std::vector<u8> t = good_tree();
  // Fewer than 16 bytes left after the map's start: no room for (0, 0).
  std::vector<u8> c = t;
  set_be32(c, kHdrOffMemRsv, static_cast<u32>((t.size() - 8) & ~7ull));
  EXPECT_EQ(init_error(c), Error::Truncated);
  // A map of non-zero entries running to the end of the blob.
  c = t;
  u32 tail = static_cast<u32>((t.size() - 64) & ~7ull);
  for (usize i = tail; i < c.size(); ++i) c[i] = 0x5a;
  set_be32(c, kHdrOffMemRsv, tail);
  EXPECT_EQ(init_error(c), Error::Truncated);
  c = t;
  set_be32(c, kHdrOffMemRsv, static_cast<u32>(t.size() + 8));
  EXPECT_EQ(init_error(c), Error::BadHeader);
  c = t;
  set_be32(c, kHdrOffMemRsv, 0);
  EXPECT_EQ(init_error(c), Error::BadHeader);
}

TEST(FdtMalformed, NonEmptyReservationMap) {
  // Hand-built: header, one reservation entry, terminator, minimal tree.
  FdtBuilder b;
  b.begin("").end();
  std::vector<u8> t = b.build();
  // Insert a 16-byte entry before the terminator and shift the other blocks.
  std::vector<u8> entry(16, 0);
  entry[7] = 0x10;   // address 0x10
  entry[15] = 0x20;  // size 0x20
  t.insert(t.begin() + 40, entry.begin(), entry.end());
  set_be32(t, kHdrTotalSize, static_cast<u32>(t.size()));
  set_be32(t, kHdrOffStruct, get_be32(t, kHdrOffStruct) + 16);
  set_be32(t, kHdrOffStrings, get_be32(t, kHdrOffStrings) + 16);
  EXPECT_EQ(init_error(t), Error::Ok);
}

// ---------------------------------------------------------------------------
// Malformed structure blocks

TEST(FdtMalformed, EveryTruncationOfStructBlockFails) {
  for (u32 version : {16u, 17u}) {
    FdtBuilder::Options opt;
    opt.struct_last = true;
    opt.version = version;
    std::vector<u8> t = virt_tree(4, 1024 * kMiB, opt);
    u32 struct_off = get_be32(t, kHdrOffStruct);
    u32 struct_size = get_be32(t, kHdrSizeStruct);
    ASSERT_EQ(struct_off + struct_size, t.size());
    for (u32 s = 0; s < struct_size; ++s) {
      SCOPED_TRACE(testing::Message() << "version " << version << " size " << s);
      std::vector<u8> c = t;
      set_be32(c, kHdrTotalSize, struct_off + s);
      set_be32(c, kHdrSizeStruct, s);
      // Exactly the remaining bytes: nothing past the cut is readable.
      ExactBlob blob(c, struct_off + s);
      Tree tree;
      EXPECT_EQ(tree.init(blob.data(), blob.size()), Error::Truncated);
      BootInfo info;
      EXPECT_EQ(kern::fdt::parse_boot_info(blob.data(), blob.size(), &info), Error::Truncated);
    }
  }
}

TEST(FdtMalformed, EveryTruncationOfStructSizeFails) {
  // The struct block shrinks but the blob does not: the reader must respect
  // size_dt_struct, not the end of the blob.
  std::vector<u8> t = good_tree();
  u32 struct_size = get_be32(t, kHdrSizeStruct);
  for (u32 s = 0; s < struct_size; ++s) {
    std::vector<u8> c = t;
    set_be32(c, kHdrSizeStruct, s);
    EXPECT_EQ(init_error(c), Error::Truncated) << s;
  }
}

TEST(FdtMalformed, PropertyLengthPastBlock) {
  FdtBuilder b;
  b.begin("").raw(kProp).raw(0x100).raw(0).end();
  b.add_raw_string_bytes({'x', 0});
  EXPECT_EQ(init_error(b.build()), Error::Truncated);

  FdtBuilder b2;
  b2.begin("").raw(kProp).raw(0xfffffff8).raw(0).end();
  b2.add_raw_string_bytes({'x', 0});
  EXPECT_EQ(init_error(b2.build()), Error::Truncated);

  // Property header itself cut by the end of the block.
  FdtBuilder b3;
  b3.begin("").raw(kProp).raw(0);
  b3.add_raw_string_bytes({'x', 0});
  FdtBuilder::Options opt;
  opt.add_end = false;
  EXPECT_EQ(init_error(b3.build(opt)), Error::Truncated);
}

TEST(FdtMalformed, NodeNameWithoutNul) {
  FdtBuilder b;
  b.raw(kBeginNode).raw_bytes({'r', 'o', 'o', 't'});
  FdtBuilder::Options opt;
  opt.add_end = false;
  EXPECT_EQ(init_error(b.build(opt)), Error::Truncated);
  // Name fills the block exactly, then padding would be past it.
  FdtBuilder b2;
  b2.raw(kBeginNode).raw_bytes({'a', 'b', 0});
  std::vector<u8> t = b2.build(opt);
  set_be32(t, kHdrSizeStruct, 7);
  EXPECT_EQ(init_error(t), Error::Truncated);
}

TEST(FdtMalformed, EndNodeWithoutBegin) {
  FdtBuilder b;
  b.end();
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);
  FdtBuilder b2;
  b2.begin("").end().end();
  EXPECT_EQ(init_error(b2.build()), Error::BadNesting);
}

TEST(FdtMalformed, UnclosedNode) {
  FdtBuilder b;
  b.begin("").begin("child").end();
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);
}

TEST(FdtMalformed, MissingEnd) {
  FdtBuilder b;
  b.begin("").prop_u32("x", 1).end();
  FdtBuilder::Options opt;
  opt.add_end = false;
  EXPECT_EQ(init_error(b.build(opt)), Error::Truncated);
  b.nop().nop();
  EXPECT_EQ(init_error(b.build(opt)), Error::Truncated);
}

TEST(FdtMalformed, EmptyStructBlock) {
  FdtBuilder b;
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);  // END with no root
  FdtBuilder::Options opt;
  opt.add_end = false;
  EXPECT_EQ(init_error(b.build(opt)), Error::Truncated);
}

TEST(FdtMalformed, TwoRoots) {
  FdtBuilder b;
  b.begin("").end().begin("").end();
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);
}

TEST(FdtMalformed, PropertyOutsideRoot) {
  FdtBuilder b;
  b.prop_u32("x", 1).begin("").end();
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);
  FdtBuilder b2;
  b2.begin("").end().prop_u32("x", 1);
  EXPECT_EQ(init_error(b2.build()), Error::BadNesting);
}

TEST(FdtMalformed, PropertyAfterSubnode) {
  FdtBuilder b;
  b.begin("").begin("child").end().prop_u32("late", 1).end();
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);
  // Properties of a later sibling are fine.
  FdtBuilder b2;
  b2.begin("").begin("a").end().begin("b").prop_u32("x", 1).end().end();
  EXPECT_EQ(init_error(b2.build()), Error::Ok);
}

TEST(FdtMalformed, UnknownToken) {
  for (u32 tok : {0u, 5u, 8u, 10u, 0xffffffffu, 0x01000000u}) {
    FdtBuilder b;
    b.begin("").raw(tok).end();
    EXPECT_EQ(init_error(b.build()), Error::BadToken) << tok;
  }
}

TEST(FdtMalformed, Depth17) {
  FdtBuilder b;
  for (u32 i = 0; i <= Tree::kMaxDepth; ++i) b.begin(i == 0 ? "" : "n");
  for (u32 i = 0; i <= Tree::kMaxDepth; ++i) b.end();
  EXPECT_EQ(init_error(b.build()), Error::BadNesting);
}

TEST(FdtMalformed, NameoffOutsideStrings) {
  FdtBuilder b;
  b.begin("").prop_u32("ok", 1);
  b.prop_with_nameoff(b.strings_size(), {0, 0, 0, 1}).end();
  EXPECT_EQ(init_error(b.build()), Error::BadProperty);
  FdtBuilder b2;
  b2.begin("").prop_with_nameoff(0xffffffff, {}).end();
  EXPECT_EQ(init_error(b2.build()), Error::BadProperty);
}

TEST(FdtMalformed, PropertyNameWithoutNul) {
  FdtBuilder b;
  u32 off = b.add_raw_string_bytes({'a', 'b', 'c'});  // last bytes of the block
  b.begin("").prop_with_nameoff(off, {}).end();
  EXPECT_EQ(init_error(b.build()), Error::BadProperty);
}

// ---------------------------------------------------------------------------
// Fuzzing: random corruption must give some answer, never a crash, an
// out-of-bounds read (ASan) or a hang.

// Uses every accessor on whatever tree init() accepted.
void exercise(const Tree& t) {
  i32 node;
  if (t.find_node("/", &node) != Error::Ok) return;
  u32 visited = 0;
  do {
    const char* name = t.node_name(node);
    ASSERT_NE(name, nullptr);
    u64 a, s;
    u32 v;
    const void* data;
    u32 len;
    (void)t.reg(node, 0, &a, &s);
    (void)t.reg(node, 1, &a, &s);
    (void)t.get_u32(node, "#address-cells", &v);
    (void)t.get_prop(node, "compatible", &data, &len);
    (void)t.compatible(node, "arm,pl011");
    (void)t.prop_is(node, "device_type", "memory");
    i32 other;
    (void)t.first_child(node, &other);
    (void)t.next_sibling(node, &other);
    (void)t.parent(node, &other);
    ++visited;
    ASSERT_LT(visited, 100000u);
  } while (t.next_node(node, &node) == Error::Ok);
  i32 out;
  (void)t.find_node("/cpus/cpu@1", &out);
  (void)t.find_node("/memory", &out);
  (void)t.find_compatible("arm,psci-0.2", &out);
}

void fuzz(const std::vector<u8>& base, u32 seed, u32 iterations, usize region_end) {
  std::mt19937 rng(seed);
  u32 accepted = 0;
  for (u32 iter = 0; iter < iterations; ++iter) {
    std::vector<u8> c = base;
    u32 flips = 1 + rng() % 8;
    for (u32 i = 0; i < flips; ++i) {
      usize pos = rng() % region_end;
      switch (rng() % 4) {
        case 0:
          c[pos] ^= static_cast<u8>(1u << (rng() % 8));
          break;
        case 1:
          c[pos] = static_cast<u8>(rng());
          break;
        case 2:
          c[pos] = 0;
          break;
        default:
          c[pos] = 0xff;
          break;
      }
    }
    ExactBlob blob(c);
    Tree t;
    if (t.init(blob.data(), blob.size()) == Error::Ok) {
      ++accepted;
      exercise(t);
    }
    BootInfo info;
    (void)kern::fdt::parse_boot_info(blob.data(), blob.size(), &info);
    ASSERT_LE(info.mem_count, BootInfo::kMaxMem);
    ASSERT_LE(info.cpu_count, BootInfo::kMaxCpus);
  }
  // Not a correctness property, just a check that the fuzzer reaches past
  // init() often enough to exercise the accessors.
  EXPECT_GT(accepted, 0u);
}

TEST(FdtFuzz, RandomByteCorruption) {
  std::vector<u8> t = good_tree();
  fuzz(t, 12345, 4000, t.size());
}

TEST(FdtFuzz, RandomHeaderCorruption) {
  std::vector<u8> t = good_tree();
  std::mt19937 rng(777);
  for (u32 iter = 0; iter < 4000; ++iter) {
    std::vector<u8> c = t;
    // Replace one header word (after the magic) with a value near a real
    // offset/size or a random one.
    u32 word = 1 + rng() % 9;
    u32 value;
    switch (rng() % 3) {
      case 0:
        value = static_cast<u32>(rng());
        break;
      case 1:
        value = static_cast<u32>(rng() % (t.size() + 64));
        break;
      default:
        value = get_be32(t, 4 * usize{word}) + static_cast<u32>(rng() % 17) - 8;
        break;
    }
    set_be32(c, 4 * usize{word}, value);
    ExactBlob blob(c);
    Tree tree;
    if (tree.init(blob.data(), blob.size()) == Error::Ok) exercise(tree);
    BootInfo info;
    (void)kern::fdt::parse_boot_info(blob.data(), blob.size(), &info);
  }
}

TEST(FdtFuzz, RandomStructCorruptionWithStructLast) {
  FdtBuilder::Options opt;
  opt.struct_last = true;
  std::vector<u8> t = virt_tree(2, 1024 * kMiB, opt);
  fuzz(t, 4242, 4000, t.size());
}

}  // namespace
