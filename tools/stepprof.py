#!/usr/bin/env python3
"""Where the instructions of one operation go: an exact, instruction-by-
instruction profile of one call, across the kernel and every process it
passes through (an IPC call into a server and back, a page fault, a
context switch).

It boots the test kernel under QEMU with a GDB stub, runs a program as
./chbuild exec would, stops at the N-th call of a function of that program
that satisfies a condition, and single-steps from there until the call
returns to its caller, recording each instruction's address, exception
level and address space (TTBR0_EL1). Kernel addresses are named with
kernel.elf's symbols; user addresses with the program's ELF for its own
address space and with the --also ELFs, in the order other address spaces
first appear. Then it prints instructions per function, per process and
kernel, and the total. Stepping is slow (about 1 ms per instruction) but
exact, and interrupts are masked while stepping, so the count is the
call's own.

Example: one 4 KiB pread of the tmpfs_read_4k benchmark (its 150th,
after the warm-up), through tmpfs:

  tools/stepprof.py --elf build/user/bench_fs.elf --func pread --nth 150 \\
      --cond '$x2 == 4096' --also build/user/tmpfs.elf \\
      -- /tests/bench_fs tmpfs_read_4k
"""
import argparse
import bisect
import os
import shlex
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def symbols(elf):
    """Sorted (address, name) of the functions of an ELF."""
    out = subprocess.run(["llvm-nm-19" if have("llvm-nm-19") else "nm", "-n", "--defined-only", elf],
                         capture_output=True, text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def have(tool):
    return subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode == 0


def name_of(syms, addrs, pc):
    i = bisect.bisect_right(addrs, pc) - 1
    return syms[i][1] if i >= 0 else f"?{pc:#x}"


GDB_SCRIPT = r'''
import gdb
gdb.execute("set pagination off")
gdb.execute("target remote 127.0.0.1:%(port)d")
target = %(addr)d
want = %(nth)d
cond = %(cond)r
hits = [0]
class Start(gdb.Breakpoint):
    def stop(self):
        if cond and not bool(gdb.parse_and_eval(cond)):
            return False
        hits[0] += 1
        return hits[0] >= want
bp = Start("*%%#x" %% target, type=gdb.BP_HARDWARE_BREAKPOINT, internal=True)
gdb.execute("continue")
bp.delete()
lr = int(gdb.parse_and_eval("$x30")) & ((1 << 64) - 1)
sp = int(gdb.parse_and_eval("$sp")) & ((1 << 64) - 1)
out = open(%(out)r, "w")
steps = 0
while steps < %(max)d:
    pc = int(gdb.parse_and_eval("$pc")) & ((1 << 64) - 1)
    el = (int(gdb.parse_and_eval("$cpsr")) >> 2) & 3
    ttbr = int(gdb.parse_and_eval("$TTBR0_EL1")) & ((1 << 64) - 1)
    if steps > 0 and pc == lr and el == 0 and \
            (int(gdb.parse_and_eval("$sp")) & ((1 << 64) - 1)) == sp:
        break
    out.write("%%x %%d %%x\n" %% (pc, el, ttbr))
    gdb.execute("stepi", to_string=True)
    steps += 1
out.close()
gdb.execute("kill")
'''


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", default="virt")
    ap.add_argument("--elf", required=True, help="the program's ELF (build/user/NAME.elf)")
    ap.add_argument("--func", required=True, help="the function of the program to profile")
    ap.add_argument("--nth", type=int, default=1, help="profile its N-th matching call")
    ap.add_argument("--cond", default="", help="a GDB condition on the call ($x0...)")
    ap.add_argument("--also", action="append", default=[],
                    help="ELF of the next other address space to appear (repeatable)")
    ap.add_argument("--max-steps", type=int, default=200000)
    ap.add_argument("--smp", type=int, default=1, help="CPUs of the machine (default 1)")
    ap.add_argument("--top", type=int, default=40, help="functions to list")
    ap.add_argument("prog", nargs=argparse.REMAINDER, help="-- /guest/program [args]")
    a = ap.parse_args()
    prog = a.prog[1:] if a.prog and a.prog[0] == "--" else a.prog
    if not prog:
        ap.error("no program (give it after --)")

    cmd = subprocess.run([os.path.join(ROOT, "chbuild"), "exec", "--plat", a.plat, "--print-only",
                          "--"] + prog, capture_output=True, text=True, cwd=ROOT)
    qemu = [l for l in cmd.stdout.splitlines() if l.startswith("qemu-system")]
    if not qemu:
        sys.exit("stepprof: ./chbuild exec --print-only gave no QEMU command:\n" + cmd.stdout +
                 cmd.stderr)
    qargs = [x for x in shlex.split(qemu[-1]) if x != "-nographic"]
    # One CPU: GDB's single steps lose their way on a multi-CPU machine (a
    # step can run ahead to the end of the program).
    if "-smp" in qargs:
        qargs[qargs.index("-smp") + 1] = str(a.smp)
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="stepprof-", suffix=".serial", delete=False).name
    qargs += ["-display", "none", "-serial", f"file:{log}", "-monitor", "none", "-S", "-gdb",
              f"tcp:127.0.0.1:{port}"]

    psyms = symbols(a.elf)
    addr = {n: v for v, n in psyms}.get(a.func)
    if addr is None:
        sys.exit(f"stepprof: {a.func} is not a function of {a.elf}")
    trace = tempfile.NamedTemporaryFile(prefix="stepprof-", suffix=".trace", delete=False).name
    script = tempfile.NamedTemporaryFile("w", prefix="stepprof-", suffix=".py", delete=False)
    script.write(GDB_SCRIPT % {"port": port, "addr": addr, "nth": a.nth, "cond": a.cond,
                               "out": trace, "max": a.max_steps})
    script.close()
    q = subprocess.Popen(qargs, cwd=ROOT, stdin=subprocess.DEVNULL)
    try:
        g = subprocess.run([os.environ.get("GDB", "gdb-multiarch"), "-q", "-batch", "-x",
                            script.name], cwd=ROOT, check=False, capture_output=True, text=True)
        if os.environ.get("STEPPROF_DEBUG"):
            print(g.stdout, g.stderr)
    finally:
        q.kill()
        q.wait()

    kelf = os.path.join(ROOT, "build", f"kernel-{a.plat}", "ktest.elf")
    ksyms = symbols(kelf)
    tables = {"kernel": ksyms}
    spaces = {}  # TTBR0 base (ASID stripped) -> process label
    order = [("program", a.elf)] + [(os.path.basename(e).replace(".elf", ""), e) for e in a.also]
    counts, per_space = {}, {}
    total = 0
    with open(trace) as f:
        rows = [l.split() for l in f]
    for pc_s, el_s, ttbr_s in rows:
        pc, el, ttbr = int(pc_s, 16), int(el_s), int(ttbr_s, 16)
        total += 1
        if el != 0:
            where = "kernel"
        else:
            base = ttbr & ((1 << 48) - 1)
            if base not in spaces:
                k = len(spaces)
                spaces[base] = order[k][0] if k < len(order) else f"process{k}"
                if k < len(order):
                    tables[spaces[base]] = symbols(order[k][1])
            where = spaces[base]
        syms = tables.get(where)
        fn = name_of(syms, [s[0] for s in syms], pc) if syms else f"{pc:#x}"
        counts[(where, fn)] = counts.get((where, fn), 0) + 1
        per_space[where] = per_space.get(where, 0) + 1
    if total == 0:
        sys.exit(f"stepprof: nothing recorded (the call never came?); serial output in {log}")
    print(f"{total} instructions from {a.func} to its return")
    for w, n in sorted(per_space.items(), key=lambda x: -x[1]):
        print(f"  {n:7d}  {w}")
    print()
    for (w, fn), n in sorted(counts.items(), key=lambda x: -x[1])[:a.top]:
        print(f"{n:7d}  {w:10s} {fn}")
    print(f"\n(trace: {trace}; serial output: {log})")


if __name__ == "__main__":
    main()
