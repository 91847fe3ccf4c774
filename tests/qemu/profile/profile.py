#!/usr/bin/env python3
"""Where the instructions of an in-guest benchmark go, per function.

    python3 tests/qemu/profile/profile.py [--plat virt] [--ops N] [--top K] \\
        -- /tests/bench_spawn spawn_wait

boots the test image under -icount with insn_profile.c (a TCG plugin, built
here with the host's cc) and runs the program; the plugin counts the
instructions executed between the guest's bench_profile_begin() and
bench_profile_end() (bench.h). Each translation block is then attributed
to the kernel (build/kernel-PLAT/ktest.elf) or to the program under
build/user/root whose code at that address is the block's, and to the
function around it. Prints the total and the figures per program and per
function divided by --ops (the operations the guest ran between the
markers), with the calls to each function (blocks that start at its
first instruction). docs/services.md ("What a spawn costs") was made so.
"""

import argparse
import bisect
import collections
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
import qemu  # noqa: E402

KERNEL_BASE = 0xffff000000000000


class Elf:
    """The PT_LOAD bytes and the symbol table of a 64-bit little-endian ELF."""

    def __init__(self, path):
        d = open(path, "rb").read()
        self.data = d
        self.segments, self.syms = [], []
        if d[:4] != b"\x7fELF" or d[4] != 2:
            return
        phoff, shoff = struct.unpack_from("<QQ", d, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", d, 0x36)
        for i in range(phnum):
            p_type, _, off, va, _, filesz = struct.unpack_from("<IIQQQQ", d, phoff + i * phentsize)
            if p_type == 1:
                self.segments.append((va, off, filesz))
        secs = [struct.unpack_from("<IIQQQQIIQQ", d, shoff + i * shentsize) for i in range(shnum)]
        for s in secs:
            if s[1] != 2:  # SHT_SYMTAB
                continue
            strtab = secs[s[6]][4]
            for j in range(s[5] // 24):
                name, info, _, shndx, value, _ = struct.unpack_from("<IBBHQQ", d, s[4] + j * 24)
                # Functions, and the labels of assembly routines (NOTYPE),
                # but not the $x/$d mapping symbols.
                if (info & 0xf) in (0, 2) and value and shndx and shndx < 0xff00:
                    end = d.index(b"\0", strtab + name)
                    label = d[strtab + name:end].decode(errors="replace")
                    if label and not label.startswith("$") and not label.startswith(".L"):
                        self.syms.append((value, label))
        self.syms.sort()
        self.addrs = [a for a, _ in self.syms]

    def code(self, va, n):
        for sva, off, size in self.segments:
            if sva <= va and va + n <= sva + size:
                return self.data[off + va - sva:off + va - sva + n]
        return None

    def function(self, va):
        i = bisect.bisect_right(self.addrs, va) - 1
        return (self.syms[i][1], self.syms[i][0] == va) if i >= 0 else ("?", False)


def build_plugin(out_dir):
    src = os.path.join(HERE, "insn_profile.c")
    so = os.path.join(out_dir, "insn_profile.so")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(src):
        os.makedirs(out_dir, exist_ok=True)
        subprocess.check_call([os.environ.get("CC", "cc"), "-O2", "-shared", "-fPIC", "-o", so, src])
    return so


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", default="virt", choices=sorted(qemu.PLATFORMS))
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--ops", type=int, default=50, help="operations between the markers")
    ap.add_argument("--top", type=int, default=60, help="functions to list")
    ap.add_argument("--program", action="append", default=[],
                    help="a program (path under build/user/root) to match first; small "
                         "programs share code at the same addresses, so name the ones "
                         "that run (the guest program and sbin/* always come first)")
    ap.add_argument("command", nargs="+", help="the guest program and its arguments")
    args = ap.parse_args()

    out_dir = os.path.join(args.build, "profile")
    so = build_plugin(out_dir)
    counts = os.path.join(out_dir, "blocks.txt")
    if os.path.exists(counts):
        os.remove(counts)
    image = os.path.join(args.build, f"kernel-{args.plat}", "ktest.img")
    argv = qemu.qemu_command(args.plat, image, semihosting_args=["exec"] + args.command,
                             extra=["-icount", "shift=0", "-plugin", f"{so},out={counts}"])
    out = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace").stdout
    if not os.path.exists(counts):
        raise SystemExit(f"profile: no counts (did the guest run the markers?); output:\n{out}")

    kernel = Elf(os.path.join(args.build, f"kernel-{args.plat}", "ktest.elf"))
    root = os.path.join(args.build, "user", "root")
    first = [c.lstrip("/") for c in args.program] + [args.command[0].lstrip("/")]
    first += sorted(os.path.join("sbin", f) for f in os.listdir(os.path.join(root, "sbin")))
    programs = [p for p in first if os.path.exists(os.path.join(root, p))]
    for base, _, files in os.walk(root):
        for f in sorted(files):
            path = os.path.relpath(os.path.join(base, f), root)
            with open(os.path.join(root, path), "rb") as fh:
                if fh.read(4) == b"\x7fELF" and path not in programs:
                    programs.append(path)
    loaded = {}

    def program(name):
        if name not in loaded:
            loaded[name] = Elf(os.path.join(args.build, "user", "root", name))
        return loaded[name]

    per_program, per_function, calls = collections.Counter(), collections.Counter(), collections.Counter()
    for line in open(counts):
        va, n, count, *words = line.split()
        va, n, count = int(va, 16), int(n), int(count)
        code = b"".join(struct.pack("<I", int(w, 16)) for w in words[:min(n, 4)])
        if va >= KERNEL_BASE:
            who, elf = "kernel", kernel
        else:
            who, elf = "?", None
            for name in programs:
                if program(name).code(va, len(code)) == code:
                    who, elf = name, program(name)
                    break
        fn, at_start = elf.function(va) if elf else (hex(va), False)
        per_program[who] += count
        per_function[(who, fn)] += count
        if at_start:
            calls[(who, fn)] += count // n
    names = sorted({fn for _, fn in per_function})
    try:
        out = subprocess.run(["c++filt"], input="\n".join(names), stdout=subprocess.PIPE,
                             text=True, check=True).stdout.split("\n")
        pretty = dict(zip(names, out))
    except (OSError, subprocess.CalledProcessError):
        pretty = {}
    total = sum(per_program.values())
    print(f"total {total / args.ops:.0f} instructions per operation ({args.ops} operations)")
    for who, c in per_program.most_common():
        print(f"{c / args.ops:10.0f}  {who}")
    print()
    for (who, fn), c in per_function.most_common(args.top):
        print(f"{c / args.ops:10.0f}  {calls[(who, fn)] / args.ops:6.1f} calls  {who:18} "
              f"{pretty.get(fn, fn)[:100]}")


if __name__ == "__main__":
    main()
