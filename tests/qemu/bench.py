#!/usr/bin/env python3
"""Runs the in-guest microbenchmarks (kbench.img) and reports them.

Each benchmark runs twice, as DESIGN.md section 8 asks:
  * under `-icount shift=0`, where one guest instruction is one nanosecond of
    virtual time: the per-operation time the kernel measures with the generic
    counter is then the number of instructions (deterministic);
  * without icount: wall-clock nanoseconds per operation on this host.

Writes a table to stdout and JSON to --json:
  {"<name>": {"instructions": N, "ns": N}, ...}
Targets that an issue sets (e.g. null_syscall <= 70 instructions) are
reported next to the number; a missed target makes the exit code 1.
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu  # noqa: E402

# name -> (description, instruction bound or None, where it runs)
# "kernel": kbench.img, selected by the semihosting command line;
# "user": /tests/bench_sched run as the first process of ktest.img.
BENCHMARKS = {
    "null_syscall": ("null system call round trip from EL0, user loop included", 70, "kernel"),
    "buddy_alloc_free": ("buddy allocator: order-0 alloc + free", None, "kernel"),
    "kmalloc_free": ("kmalloc(64) + kfree", None, "kernel"),
    "page_fault_anon": ("first touch of an anonymous page from EL0 (fault, zeroed page, map)",
                        None, "kernel"),
    "yield_roundtrip": ("two threads on one CPU: yield there and back", 500, "user"),
    "thread_create_join": ("create a thread (own stack) and join it through a futex", 10000,
                           "user"),
    "getpid_libc": ("getpid() through musl and the dispatcher (pid kept by the port)", None,
                    "libc"),
    "gettid_libc": ("syscall(SYS_gettid): musl, dispatcher, kernel; compare null_syscall",
                    None, "libc"),
}

LINE = re.compile(r"^BENCH (\S+) (\d+)\b")


def run_once(plat, image, name, icount, timeout):
    extra = ["-icount", "shift=0"] if icount else []
    where = BENCHMARKS[name][2]
    if where in ("user", "libc"):
        image = os.path.join(os.path.dirname(image), "ktest.img")
        prog = "/tests/bench_sched" if where == "user" else "/tests/libc_bench"
        args = ["exec", prog, name]
    else:
        args = [name]
    argv = qemu.qemu_command(plat, image, semihosting_args=args, extra=extra)
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout, text=True,
                             errors="replace").stdout
    except subprocess.TimeoutExpired:
        raise SystemExit(f"bench: {name} timed out after {timeout} s")
    for line in out.replace("\r", "").splitlines():
        m = LINE.match(line)
        if m and m.group(1) == name:
            return int(m.group(2)) / 100.0
    raise SystemExit(f"bench: no result for {name}; guest output:\n{out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", default="virt", choices=sorted(qemu.PLATFORMS))
    ap.add_argument("--image", required=True)
    ap.add_argument("--only", help="run one benchmark")
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--timeout", type=int, default=300)
    args = ap.parse_args()

    names = [args.only] if args.only else list(BENCHMARKS)
    for n in names:
        if n not in BENCHMARKS:
            raise SystemExit(f"bench: unknown benchmark {n!r}; known: {', '.join(BENCHMARKS)}")

    results, missed = {}, []
    print(f"{'benchmark':<18} {'instructions':>13} {'ns':>10}  bound   what")
    for n in names:
        insns = run_once(args.plat, args.image, n, True, args.timeout)
        ns = run_once(args.plat, args.image, n, False, args.timeout)
        desc, bound, _ = BENCHMARKS[n]
        verdict = ""
        if bound is not None:
            ok = insns <= bound
            verdict = f"<= {bound} {'ok' if ok else 'MISSED'}"
            if not ok:
                missed.append(n)
        results[n] = {"instructions": round(insns, 2), "ns": round(ns, 2)}
        print(f"{n:<18} {insns:>13.2f} {ns:>10.2f}  {verdict:<7} {desc}")

    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, sort_keys=True)
            f.write("\n")
        print(f"results written to {args.json}")
    if missed:
        print(f"bench: bound missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
