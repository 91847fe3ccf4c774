#!/usr/bin/env python3
"""Run the system-call fuzzer (/tests/fuzz) in QEMU as long as asked, and
print a reproducer when something fails. `./chbuild fuzz` calls this.

    fuzz.py --plat virt --image build/kernel-virt/ktest.img --seconds 300 --seed 7

The guest program (user/tests/fuzz/supervisor.c) finds hangs and lost
memory itself and prints the command that reproduces them
("./chbuild fuzz --seed S --replay W:C"). A kernel panic, or a machine that
stops, leaves nobody in the guest to say what happened; then this script
replays, one at a time, the workers that were running, each call printed
before it is made, and names the last call before the panic.

Exit status: 0 if the run passed, 1 if it failed (the reproducer is in the
last lines), 2 on a usage error.
"""

import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "harness.py")
PANIC_MARKER = "KERNEL PANIC:"
# Time the guest needs besides the fuzzing itself: boot, the warm-up round,
# settling free memory, finding the call that loses memory, the watchdog.
MARGIN_SECONDS = 300
REPLAY_TIMEOUT = 300

# Not anchored: the console output of the workers (putstr) may precede them.
START_RE = re.compile(r"fuzz: worker (\d+) starts \((\d+) calls\)")
END_RE = re.compile(r"fuzz: worker (\d+) ends")
TRACE_RE = re.compile(r"fuzz: w(\d+) (call (\d+): .*)")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="fuzz.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--plat", required=True)
    p.add_argument("--image", required=True, help="the test kernel (ktest.img)")
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--replay", metavar="W:C",
                   help="run only worker W's first C calls, each printed")
    p.add_argument("--threads", type=int, choices=(1, 2), default=1,
                   help="2: a second thread per worker makes calls at the same time")
    p.add_argument("--all", action="store_true",
                   help="do not steer around the known open bugs (worker.c)")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def run_guest(args, guest_args, timeout):
    """Boots the test kernel with /tests/fuzz guest_args; echoes the output.
    Returns (harness exit status, output lines)."""
    cmdline = "exec /tests/fuzz " + " ".join(guest_args)
    cmd = [sys.executable, HARNESS, "--plat", args.plat, "--image", args.image,
           "--semihosting-cmdline", cmdline, "--timeout", str(timeout),
           "--reject", r"^\[FAIL\]", "--expect", r"\b0 failed\b"]
    lines = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc:
        for raw in proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            print(line, flush=True)
            lines.append(line)
        status = proc.wait()
    return status, lines


def common_args(args):
    out = ["--seed", str(args.seed)]
    if args.all:
        out.append("--all")
    if args.threads == 2:
        out += ["--threads", "2"]
    return out


def reproduce_panic(args, workers):
    """Replays each worker that was running when the machine died; returns
    a description of the call that panics, or None."""
    for w, limit in workers:
        print(f"fuzz.py: replaying worker {w} alone ({limit} calls, each printed)", flush=True)
        status, lines = run_guest(args, common_args(args) + ["--replay", f"{w}:{limit}", "--verbose"],
                                  REPLAY_TIMEOUT)
        last = None
        for line in lines:
            m = TRACE_RE.search(line)
            if m:
                last = (int(m.group(3)), m.group(2))
            if PANIC_MARKER in line:
                if last is None:
                    return f"worker {w} panics the kernel before its first call"
                n, call = last
                return (f"worker {w}, {call}\nfuzz.py: reproduce: ./chbuild fuzz --plat {args.plat} "
                        f"--seed {args.seed} --replay {w}:{n + 1}" + (" --all" if args.all else "") +
                        (" --threads 2" if args.threads == 2 else ""))
    return None


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not os.path.isfile(args.image):
        print(f"fuzz.py: no such image: {args.image} (was it built?)")
        return 2
    guest = common_args(args)
    if args.replay:
        guest += ["--replay", args.replay, "--verbose"]
        timeout = REPLAY_TIMEOUT
    else:
        guest += ["--seconds", str(args.seconds), "--log-workers"]
        if args.verbose:
            guest.append("--verbose")
        timeout = args.seconds + MARGIN_SECONDS
    print(f"fuzz.py: seed {args.seed} on {args.plat}" +
          ("" if args.replay else f", {args.seconds} s"), flush=True)
    status, lines = run_guest(args, guest, timeout)
    if status == 0:
        print(f"fuzz.py: PASS (seed {args.seed})")
        return 0

    panicked = any(PANIC_MARKER in line for line in lines)
    # The guest's own verdicts: "[FAIL] fuzz.<check>: why; reproduce: ...".
    reported = [line for line in lines if line.startswith("[FAIL] fuzz.")]
    if reported and not panicked:
        print("fuzz.py: FAIL; the guest's report:")
        for line in reported:
            print("  " + line)
        return 1
    if args.replay:
        print(f"fuzz.py: FAIL (seed {args.seed}, replay {args.replay})")
        return 1

    # The machine died (panic) or stopped responding: who was running?
    running = {}
    for line in lines:
        m = START_RE.search(line)
        if m:
            running[int(m.group(1))] = int(m.group(2))
        m = END_RE.search(line)
        if m:
            running.pop(int(m.group(1)), None)
    what = "a kernel panic" if panicked else "the machine stopped (no output before the time limit)"
    print(f"fuzz.py: FAIL: {what}, seed {args.seed}, workers running: "
          f"{', '.join(str(w) for w in sorted(running)) or 'none'}", flush=True)
    if panicked and running:
        found = reproduce_panic(args, sorted(running.items()))
        if found:
            print(f"fuzz.py: the call that panics the kernel: {found}")
        else:
            print("fuzz.py: no worker panics the kernel when it runs alone: the panic needs "
                  "the workers together; rerun the same seed to see it again")
    return 1


if __name__ == "__main__":
    sys.exit(main())
