#!/usr/bin/env python3
"""Runs the in-guest microbenchmarks (kbench.img) and reports them.

Each benchmark runs twice, as DESIGN.md section 8 asks:
  * under `-icount shift=0`, where one guest instruction is one nanosecond of
    virtual time: the per-operation time the kernel measures with the generic
    counter is then the number of instructions (deterministic);
  * without icount: wall-clock nanoseconds per operation on this host.

The same jobs run on Debian's arm64 Linux kernel in the same QEMU (4 CPUs,
tests/linux/bench.c as /init), once with and once without icount, and the
table shows Linux's figures beside ours. LINUX_BENCHMARKS names them. A name
that only Linux reports so far (ours is not written yet) still gets a row
and a results.json entry with Linux's figures alone.

Writes a table to stdout and JSON to --json:
  {"<name>": {"instructions": N, "ns": N,
              "linux_instructions": N, "linux_ns": N}, ...}
A run of all benchmarks writes the file anew; `--only NAME` replaces NAME's
entry in the existing file and keeps every other one (merge_results), so
that benchmarks run one by one add up to one file. `--linux-only` boots
only Linux and replaces only the linux_* figures of each entry.
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

# name -> (description, instruction bound or None, where it runs). A bound is
# a number of instructions, or (factor, other benchmark): at most factor
# times that benchmark's figure (of this run, else of the results file), or
# (factor, "linux"): at most factor times Linux's figure for the same job.
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
    "signal_roundtrip": ("raise(SIGUSR1) with a handler: musl's raise (mask, tkill, mask "
                         "back), the kernel's signal frame, the handler, sigreturn", None,
                         "libc"),
    "spin_alone": ("1000 rounds of a busy loop on CPU 1", None, "libc"),
    "spin_beside_reader": ("the same beside a thread blocked in read(0) on that CPU", None,
                           "libc"),
    "syscall_libc": ("syscall(SYS_gettid): variadic syscall(), dispatcher, kernel", None,
                     "libc"),
    "ipc_roundtrip": ("0-byte IPC call and return to another process on the same CPU "
                      "(raw handler)", 300, "ipc"),
    "ipc_roundtrip_4k": ("the same with 4 KiB written into the buffer by the client and read "
                         "by the server's handler (libchcore dispatcher)", None, "ipc"),
    "ipc_4pairs": ("4 client/server pairs on 4 CPUs at once: per round trip per pair "
                   "(a contended lock shows up as extra instructions)", (1.1, "ipc_roundtrip"),
                   "ipc"),
    "tmpfs_write_4k": ("pwrite of 4 KiB at offset 0 of a file on the root tmpfs (musl, fd "
                       "table, one IPC call)", 3000, "fs"),
    "tmpfs_read_4k": ("pread of the same 4 KiB", 2000, "fs"),
    "open_close": ("open + close of a file two directories deep (/bench/dir/file)", None,
                   "fs"),
    "stat": ("stat of the same path", None, "fs"),
    "boot_to_init": ("from QEMU's start to the first line of the program procmgr runs (the "
                     "place of /bin/init): kernel boot, procmgr, tmpfs filled from the ramdisk, "
                     "fsm, mounts, the program loaded from tmpfs", None, "boot"),
    "spawn_wait": ("posix_spawn of a program that exits at once (/tests/nop) plus waitpid: "
                   "procmgr loads it from tmpfs", 58000, "spawn"),
    "pipe_pingpong": ("1 byte through a pipe to a process on the same CPU and 1 byte back "
                      "(musl, fd table, the kernel's pipes); per round trip", None, "pipe"),
    "fork_exit_wait": ("fork of a process with 1 MiB of its memory touched, the child exits "
                       "at once, waitpid: procmgr, the kernel's copy-on-write fork; bound: 1/3 of "
                       "Linux's 247,039", 82000,
                       "spawn"),
    "fork_exec_wait": ("fork, execve of a small static program (/tests/nop) in the child, "
                       "waitpid", 83000, "spawn"),
    "cow_fault": ("first write to a page shared copy-on-write with a child (fault, copy, "
                  "new mapping), per 4 KiB page", None, "spawn"),
    "boot_to_shell": ("from QEMU's start to the console shell's last line of /etc/profile "
                      "before its first prompt (kernel.img: boot, procmgr, /bin/init, ash -l; "
                      "a program of ours run by /etc/profile.d reads the counter)",
                      (0.1, "linux"), "boot_shell"),
    "shell_true_loop": ("ash running /bin/true 1,000 times (fork, exec of BusyBox, wait per "
                        "iteration); per iteration", (0.5, "linux"), "shell"),
    "shell_pipeline": ("ash running `seq 100000 | sort -n | tail -1` (output checked); the "
                       "whole pipeline", None, "shell"),
}

USER_PROGRAMS = {
    "user": "/tests/bench_sched",
    "libc": "/tests/libc_bench",
    "notify": "/tests/ipc_notify_bench",
    "ipc": "/tests/bench_ipc",
    "fs": "/tests/bench_fs",
    "spawn": "/tests/bench_spawn",
    "boot": "/tests/bench_boot",
    "pipe": "/tests/bench_pipe",
    "shell": "/tests/bench_shell",
}

LINE = re.compile(r"^BENCH (\S+) (\d+)\b")

# The same benchmarks on Debian's arm64 Linux kernel in the same QEMU
# (tests/linux/bench.c as /init): name -> what Linux runs for it. A name
# here that BENCHMARKS lacks is one whose figure of ours is not written yet.
LINUX_BENCHMARKS = {
    "null_syscall": "getpid()",
    "yield_roundtrip": "sched_yield() between two processes pinned to CPU 0",
    "page_fault_anon": "first touch of a page of an 8 MiB private anonymous mapping",
    "ipc_roundtrip": "pipe ping-pong, 1 byte each way, two processes pinned to CPU 0; "
                     "per round trip",
    "pipe_pingpong": "pipe ping-pong, 1 byte each way, two processes pinned to CPU 0; per "
                     "round trip (the same measurement as ipc_roundtrip)",
    "futex_pingpong": "futex wait/wake turn-taking on a word in a MAP_SHARED page, two "
                      "processes pinned to CPU 0; per round trip",
    "ipc_roundtrip_4k": "pipe ping-pong, 4 KiB each way, two processes pinned to CPU 0; "
                        "per round trip",
    "ipc_4pairs": "4 pipe ping-pong pairs (1 byte) at once, pair k pinned to CPU k; per "
                  "round trip of one pair (all pairs' time / all pairs' round trips)",
    "notify_wait": "futex turn-taking between a process on CPU 0 and one on CPU 1; per "
                   "wake (two per round trip)",
    "signal_roundtrip": "what musl's raise() does (rt_sigprocmask, tkill, rt_sigprocmask) "
                        "with a SIGUSR1 handler, rt_sigreturn through its restorer",
    "tmpfs_write_4k": "pwrite of 4 KiB at offset 0 of a file in the initramfs root (tmpfs)",
    "tmpfs_read_4k": "pread of those 4 KiB",
    "open_close": "openat + close of /bench/dir/file",
    "stat": "newfstatat of /bench/dir/file",
    "spawn_wait": "clone(CLONE_VM|CLONE_VFORK) + execve of a static program that exits at "
                  "once, + wait4 (what musl's posix_spawn does)",
    "fork_exit_wait": "clone(SIGCHLD) (fork) of a process with 1 MiB of its memory touched, "
                      "the child exits at once, wait4",
    "fork_exec_wait": "clone(SIGCHLD) (fork) + execve of a static program that exits at once in "
                      "the child, + wait4",
    "cow_fault": "first write to each page of 8 MiB of private anonymous memory shared with "
                 "a forked child, per page",
    "boot_to_shell": "QEMU's start to the first instruction of /init (initramfs with "
                     "Debian's busybox-static)",
    "shell_true_loop": "Debian's busybox-static ash, the same script: /bin/true 1,000 times; "
                       "per iteration",
    "shell_pipeline": "Debian's busybox-static ash, the same `seq 100000 | sort -n | tail -1`",
}
# ipc_4pairs needs a CPU for each pair (and notify_wait two).
LINUX_SMP = 4
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


def linux_busybox():
    """Debian's busybox-static for arm64 (the shell benchmarks' Linux
    side), downloaded once into the cache; None if the archive cannot be
    reached."""
    path = os.path.join(CACHE, "busybox-static-arm64")
    if os.path.exists(path):
        return path
    try:
        subprocess.run(["apt-get", "download", "busybox-static:arm64"], cwd=CACHE, check=True,
                       capture_output=True)
        deb = next(f for f in os.listdir(CACHE) if f.startswith("busybox-static")
                   and f.endswith(".deb"))
        subprocess.run(f"dpkg-deb --fsys-tarfile '{deb}' | tar -xO ./bin/busybox > '{path}.new'",
                       shell=True, cwd=CACHE, check=True)
        os.remove(os.path.join(CACHE, deb))
        os.replace(f"{path}.new", path)
    except (subprocess.CalledProcessError, StopIteration, OSError) as e:
        print(f"bench: no busybox-static for Linux's shell benchmarks ({e})")
        return None
    return path


def linux_initrd(workdir):
    os.makedirs(workdir, exist_ok=True)
    init = os.path.join(workdir, "init")
    subprocess.run(["clang-19", "--target=aarch64-linux-gnu", "-nostdlib", "-static",
                    "-ffreestanding", "-fno-stack-protector", "-O2", "-fuse-ld=lld", "-o", init,
                    os.path.join(ROOT, "tests", "linux", "bench.c")], check=True)
    cpio = os.path.join(workdir, "initrd.cpio")
    entries = ["--entry", f"{init}:/init"]
    busybox = linux_busybox()
    if busybox:
        entries += ["--entry", f"{busybox}:/bin/busybox"]
        for applet in ("sh", "true", "seq", "sort", "tail"):
            entries += ["--symlink", f"busybox:/bin/{applet}"]
    subprocess.run([sys.executable, os.path.join(ROOT, "user", "ramdisk", "mkcpio.py"), "-o",
                    cpio] + entries, check=True)
    return cpio


def run_linux(kernel, initrd, icount, timeout):
    extra = ["-initrd", initrd, "-append", "console=ttyAMA0 quiet rdinit=/init panic=-1"]
    if icount:
        extra += ["-icount", "shift=0"]
    argv = qemu.qemu_command("virt", kernel, smp=LINUX_SMP, extra=extra)
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
        elif line.startswith("bench: "):
            print(f"bench: Linux{' (icount)' if icount else ''}: {line[len('bench: '):]}")
    return res


# boot_to_shell: the production image's ramdisk plus this profile script,
# which the console shell's /etc/profile runs last before its first prompt.
BOOT_SHELL_PROFILE = """# Added by tests/qemu/bench.py for boot_to_shell (not in the real image).
/tests/bench_boot boot_to_shell
poweroff
"""


def boot_shell_ramdisk(image):
    """The ramdisk for boot_to_shell (virt loads it with -initrd): the
    built one plus /etc/profile.d/bench.sh."""
    build = os.path.dirname(os.path.dirname(os.path.abspath(image)))
    workdir = os.path.join(build, "bench", "boot_shell")
    os.makedirs(workdir, exist_ok=True)
    script = os.path.join(workdir, "bench.sh")
    with open(script, "w") as f:
        f.write(BOOT_SHELL_PROFILE)
    cpio = os.path.join(workdir, "ramdisk.cpio")
    subprocess.run([sys.executable, os.path.join(ROOT, "user", "ramdisk", "mkcpio.py"), "-o",
                    cpio, "--base", os.path.join(build, "user", "ramdisk.cpio"), "--file",
                    f"{script}:/etc/profile.d/bench.sh"], check=True)
    return cpio


def run_once(plat, image, name, icount, timeout):
    extra = ["-icount", "shift=0"] if icount else []
    where = BENCHMARKS[name][2]
    if where == "boot_shell":
        if plat != "virt":
            print(f"bench: {name} runs on virt only (the profile script comes with -initrd)")
            return None
        extra += ["-initrd", boot_shell_ramdisk(image)]
        image = os.path.join(os.path.dirname(image), "kernel.img")
        args = None
    elif where in USER_PROGRAMS:
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


def resolve_bound(name, bound, results, existing, linux):
    """The instruction bound a BENCHMARKS entry sets: a number, or (factor,
    other) relative to benchmark `other`'s figure from this run (results)
    or from the results file (existing), or (factor, "linux") relative to
    Linux's figure for `name` (this run's `linux`, else the file's); None if
    there is none."""
    if not isinstance(bound, tuple):
        return bound
    factor, other = bound
    if other == "linux":
        figure = linux.get(name, existing.get(name, {}).get("linux_instructions"))
        return round(factor * figure, 2) if figure is not None else None
    for src in (results, existing):
        figure = src.get(other, {}).get("instructions")
        if figure is not None:
            return round(factor * figure, 2)
    return None


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


def select(args):
    """The benchmarks to report, in order, or SystemExit for a bad request."""
    linux = not args.no_linux and args.plat == "virt"
    if args.only:
        n = args.only
        if n not in BENCHMARKS and n not in LINUX_BENCHMARKS:
            known = list(BENCHMARKS) + [k for k in LINUX_BENCHMARKS if k not in BENCHMARKS]
            raise SystemExit(f"bench: unknown benchmark {n!r}; known: {', '.join(known)}")
        if args.linux_only and n not in LINUX_BENCHMARKS:
            raise SystemExit(f"bench: {n} has no Linux version (LINUX_BENCHMARKS)")
        if n not in BENCHMARKS and not linux:
            raise SystemExit(f"bench: {n} has only a Linux figure so far, and Linux is not "
                             f"run {'with --no-linux' if args.no_linux else 'for ' + args.plat}")
        return [n]
    if args.linux_only:
        return list(LINUX_BENCHMARKS)
    names = list(BENCHMARKS)
    if linux:
        names += [n for n in LINUX_BENCHMARKS if n not in BENCHMARKS]
    return names


def fmt(value, width):
    return f"{value:>{width}.2f}" if value is not None else f"{'-':>{width}}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", default="virt", choices=sorted(qemu.PLATFORMS))
    ap.add_argument("--image", help="kbench.img (needed unless --linux-only)")
    ap.add_argument("--only", help="run one benchmark")
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("--no-linux", action="store_true", help="skip the Linux comparison")
    ap.add_argument("--linux-only", action="store_true",
                    help="boot only Linux (no --image needed) and replace only the linux_* "
                         "figures in --json")
    args = ap.parse_args()
    if args.linux_only and args.no_linux:
        ap.error("--linux-only and --no-linux exclude each other")
    if args.linux_only and args.plat != "virt":
        ap.error("the Linux comparison runs on virt only")
    if not args.linux_only and not args.image:
        ap.error("--image is required (unless --linux-only)")

    names = select(args)
    partial = bool(args.only or args.linux_only)
    existing = load_results(args.json) if args.json and partial else {}
    # (an unreadable file stops us before the runs)

    linux_insns, linux_ns = {}, {}
    linux_ran = False
    if not args.no_linux and args.plat == "virt" and any(n in LINUX_BENCHMARKS for n in names):
        kernel = linux_kernel()
        if kernel:
            build = (os.path.join(os.path.dirname(os.path.abspath(args.image)), "..")
                     if args.image else os.path.join(ROOT, "build"))
            initrd = linux_initrd(os.path.join(build, "bench", "linux"))
            linux_insns = run_linux(kernel, initrd, True, args.timeout)
            linux_ns = run_linux(kernel, initrd, False, args.timeout)
            linux_ran = True

    results, missed, no_linux_figure = {}, [], []
    print(f"{'benchmark':<18} {'instructions':>13} {'ns':>10}  {'Linux insns':>11} "
          f"{'Linux ns':>10} {'ratio':>6}  bound   what")
    for n in names:
        ours = n in BENCHMARKS and not args.linux_only
        insns = ns = None
        verdict = ""
        if ours:
            insns = run_once(args.plat, args.image, n, True, args.timeout)
            ns = run_once(args.plat, args.image, n, False, args.timeout)
            desc, bound, _ = BENCHMARKS[n]
            limit = resolve_bound(n, bound, results, existing, linux_insns)
            if insns is None:
                pass
            elif limit is not None:
                ok = insns <= limit
                verdict = f"<= {limit:g} {'ok' if ok else 'MISSED'}"
                if isinstance(bound, tuple):
                    desc += f" (bound: {bound[0]} x {bound[1]}" + \
                        ("'s figure)" if bound[1] == "linux" else ")")
                if not ok:
                    missed.append(n)
            entry = {"instructions": round(insns, 2), "ns": round(ns, 2)} if insns else {}
        else:
            desc = f"Linux: {LINUX_BENCHMARKS[n]}"
            if n not in BENCHMARKS:
                desc += " (no figure of ours yet)"
            # Our figures stay; Linux's are replaced (or dropped if gone).
            entry = {k: v for k, v in existing.get(n, {}).items() if not k.startswith("linux_")}
        lin, lin_ns = linux_insns.get(n), linux_ns.get(n)
        if lin is not None:
            entry["linux_instructions"] = round(lin, 2)
        if lin_ns is not None:
            entry["linux_ns"] = round(lin_ns, 2)
        if n in LINUX_BENCHMARKS and linux_ran and (lin is None or lin_ns is None):
            no_linux_figure.append(n)
        if entry:
            results[n] = entry
        ratio = f"{insns / lin:.2f}" if insns is not None and lin else ""
        print(f"{n:<18} {fmt(insns, 13)} {fmt(ns, 10)}  {fmt(lin, 11)} {fmt(lin_ns, 10)} "
              f"{ratio:>6}  {verdict:<7} {desc}")

    if args.json:
        merge_results(args.json, results, replace_all=not partial)
        print(f"results {'merged into' if partial else 'written to'} {args.json}")
    rc = 0
    if no_linux_figure:
        print(f"bench: Linux gave no figure (with and without icount) for: "
              f"{', '.join(no_linux_figure)}")
    if args.linux_only and (not linux_ran or no_linux_figure):
        rc = 1
    if missed:
        print(f"bench: bound missed: {', '.join(missed)}")
        rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
