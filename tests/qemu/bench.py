#!/usr/bin/env python3
"""Runs the in-guest microbenchmarks (kbench.img) and reports them.

Each benchmark runs twice, as DESIGN.md section 8 asks:
  * under `-icount shift=0`, where one guest instruction is one nanosecond of
    virtual time: the per-operation time the kernel measures with the generic
    counter is then the number of instructions (deterministic);
  * without icount: wall-clock nanoseconds per operation on this host.

Writes a table to stdout and JSON to --json:
  {"<name>": {"instructions": N, "ns": N}, ...}
A run of all benchmarks writes the file anew; `--only NAME` replaces NAME's
entry in the existing file and keeps every other one (merge_results), so
that benchmarks run one by one add up to one file.
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
# otherwise the user program USER_PROGRAMS names, run as the first process
# of ktest.img with the benchmark's name as its argument.
BENCHMARKS = {
    "null_syscall": ("null system call round trip from EL0, user loop included", 70, "kernel"),
    "buddy_alloc_free": ("buddy allocator: order-0 alloc + free", None, "kernel"),
    "kmalloc_free": ("kmalloc(64) + kfree", None, "kernel"),
    "page_fault_anon": ("first touch of an anonymous page from EL0 (fault, zeroed page, map)",
                        600, "kernel"),
    "yield_roundtrip": ("two threads on one CPU: yield there and back", 350, "user"),
    "yield_roundtrip_fp": ("the same, one thread with live FP/SIMD state (saved at each switch)",
                           None, "user"),
    "wake_preempt": ("futex_wake from a priority-10 thread to the first instruction of the "
                     "priority-20 thread it wakes on the same CPU", 1000, "user"),
    "thread_create_join": ("create a thread (own stack) and join it through a futex", 10000,
                           "user"),
    "notify_wait": ("notify_signal on CPU 0 waking a thread blocked in notify_wait on CPU 1, "
                    "until it runs (ping-pong over two notifications)", None, "notify"),
    "getpid_libc": ("getpid() through musl and the dispatcher (pid kept by the port)", None,
                    "libc"),
    "getcpu_raw": ("the kernel's get_cpu through libchcore's inline stub", None, "libc"),
    "getcpu_libc": ("sched_getcpu(): musl, dispatcher, port handler, the same kernel call",
                    None, "libc"),
    "dispatcher_added": ("__syscall0(SYS_gettid) minus the raw kernel gettid: dispatcher + "
                         "handler", 30, "libc"),
    "gettid_libc": ("musl's gettid() (the tid is in musl's thread block: no kernel entry)",
                    None, "libc"),
    "spin_alone": ("1000 rounds of a busy loop on CPU 1", None, "libc"),
    "spin_beside_reader": ("the same beside a thread blocked in read(0) on that CPU", None,
                           "libc"),
    "syscall_libc": ("syscall(SYS_gettid): variadic syscall(), dispatcher, kernel", None,
                     "libc"),
}

USER_PROGRAMS = {
    "user": "/tests/bench_sched",
    "libc": "/tests/libc_bench",
    "notify": "/tests/ipc_notify_bench",
}

LINE = re.compile(r"^BENCH (\S+) (\d+)\b")

# The same benchmarks on Debian's arm64 Linux kernel in the same QEMU
# (tests/linux/bench.c as /init): what each one is called there.
LINUX_BENCHMARKS = ("null_syscall", "yield_roundtrip", "page_fault_anon")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(os.environ.get("HOME", "/tmp"), ".cache", "chcore-next", "downloads",
                     "linux")


def linux_kernel():
    """Debian's arm64 kernel Image, downloaded once into the cache (None if
    the archive cannot be reached)."""
    os.makedirs(CACHE, exist_ok=True)
    found = [f for f in os.listdir(CACHE) if f.startswith("vmlinuz-")]
    if found:
        return os.path.join(CACHE, sorted(found)[-1])
    try:
        deps = subprocess.run(["apt-cache", "depends", "linux-image-arm64:arm64"],
                              capture_output=True, text=True, check=True).stdout
        pkg = next(l.split()[1] for l in deps.splitlines() if "Depends:" in l)
        subprocess.run(["apt-get", "download", pkg], cwd=CACHE, check=True,
                       capture_output=True)
        deb = next(f for f in os.listdir(CACHE) if f.endswith(".deb"))
        subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -x --strip-components=2 "
                       f"--wildcards './boot/vmlinuz-*'", shell=True, cwd=CACHE, check=True)
        os.remove(os.path.join(CACHE, deb))
    except (subprocess.CalledProcessError, StopIteration, OSError) as e:
        print(f"bench: no Linux kernel for comparison ({e}); run with arm64 enabled in dpkg "
              f"and Debian's archive reachable")
        return None
    found = [f for f in os.listdir(CACHE) if f.startswith("vmlinuz-")]
    return os.path.join(CACHE, found[0]) if found else None


def linux_initrd(workdir):
    os.makedirs(workdir, exist_ok=True)
    init = os.path.join(workdir, "init")
    subprocess.run(["clang-19", "--target=aarch64-linux-gnu", "-nostdlib", "-static",
                    "-ffreestanding", "-fno-stack-protector", "-O2", "-fuse-ld=lld", "-o", init,
                    os.path.join(ROOT, "tests", "linux", "bench.c")], check=True)
    cpio = os.path.join(workdir, "initrd.cpio")
    subprocess.run([sys.executable, os.path.join(ROOT, "user", "ramdisk", "mkcpio.py"), "-o",
                    cpio, "--entry", f"{init}:/init"], check=True)
    return cpio


def run_linux(kernel, initrd, icount, timeout):
    extra = ["-initrd", initrd, "-append", "console=ttyAMA0 quiet rdinit=/init panic=-1"]
    if icount:
        extra += ["-icount", "shift=0"]
    argv = qemu.qemu_command("virt", kernel, extra=extra)
    try:
        out = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=timeout, text=True,
                             errors="replace").stdout
    except subprocess.TimeoutExpired:
        print("bench: Linux did not finish in time")
        return {}
    res = {}
    for line in out.replace("\r", "").splitlines():
        m = LINE.match(line)
        if m:
            res[m.group(1)] = int(m.group(2)) / 100.0
    return res


def run_once(plat, image, name, icount, timeout):
    extra = ["-icount", "shift=0"] if icount else []
    where = BENCHMARKS[name][2]
    if where in USER_PROGRAMS:
        image = os.path.join(os.path.dirname(image), "ktest.img")
        args = ["exec", USER_PROGRAMS[where], name]
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


def load_results(path):
    """The results in `path` ({} if there is no such file). A file that is
    not a JSON object is an error, not something to overwrite."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise SystemExit(f"bench: cannot read {path} ({e}); move it away to start afresh")
    if not isinstance(data, dict):
        raise SystemExit(f"bench: {path} is not a JSON object; move it away to start afresh")
    return data


def merge_results(path, results, replace_all):
    """Writes `results` to `path`: the whole file when replace_all, else
    each benchmark's entry replaced and the others kept. Written to a
    temporary file and renamed, so that an interrupted run never leaves a
    truncated file."""
    merged = {} if replace_all else load_results(path)
    merged.update(results)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(merged, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)
    return merged


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", default="virt", choices=sorted(qemu.PLATFORMS))
    ap.add_argument("--image", required=True)
    ap.add_argument("--only", help="run one benchmark")
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--no-linux", action="store_true", help="skip the Linux comparison")
    args = ap.parse_args()

    names = [args.only] if args.only else list(BENCHMARKS)
    for n in names:
        if n not in BENCHMARKS:
            raise SystemExit(f"bench: unknown benchmark {n!r}; known: {', '.join(BENCHMARKS)}")
    if args.json and args.only:
        load_results(args.json)  # an unreadable file stops us before the runs

    linux_insns, linux_ns = {}, {}
    if not args.no_linux and args.plat == "virt" and any(n in LINUX_BENCHMARKS for n in names):
        kernel = linux_kernel()
        if kernel:
            initrd = linux_initrd(os.path.join(os.path.dirname(os.path.abspath(args.image)),
                                               "..", "bench", "linux"))
            linux_insns = run_linux(kernel, initrd, True, args.timeout)
            linux_ns = run_linux(kernel, initrd, False, args.timeout)

    results, missed = {}, []
    print(f"{'benchmark':<18} {'instructions':>13} {'ns':>10}  {'Linux insns':>11} "
          f"{'ratio':>6}  bound   what")
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
        lin, ratio = "", ""
        if n in linux_insns:
            results[n]["linux_instructions"] = round(linux_insns[n], 2)
            lin = f"{linux_insns[n]:.0f}"
            ratio = f"{insns / linux_insns[n]:.2f}"
        if n in linux_ns:
            results[n]["linux_ns"] = round(linux_ns[n], 2)
        print(f"{n:<18} {insns:>13.2f} {ns:>10.2f}  {lin:>11} {ratio:>6}  {verdict:<7} {desc}")

    if args.json:
        merge_results(args.json, results, replace_all=not args.only)
        print(f"results {'merged into' if args.only else 'written to'} {args.json}")
    if missed:
        print(f"bench: bound missed: {', '.join(missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
