#!/usr/bin/env python3
"""exec.argv_unchanged: `./chbuild exec -- PROG ARGS...` hands PROG exactly
ARGS, however odd: spaces, quotes, backslashes, commas (QEMU's option
separator), empty strings and words that begin with '-' (which a launcher
could take for its own options).

It asks chbuild for the QEMU command line it would run (`exec
--print-only`, the very code path of a real `./chbuild exec`), boots it
under harness.py, and expects /tests/print_args (user/tests/proc/print_args.c)
to print every argument with its bytes in hex and to exit with status
argc (which chbuild exec would pass on as its own).

    exec_args_test.py --plat virt [--chbuild ./chbuild] [--timeout S]
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAM = "/tests/print_args"
# The words a naive launcher or guest would lose or mangle.
ARGS = ["alpha", "b c", "-x", "--foo", "", "it's", '"q"', "a\\b", "$HOME",
        "x,y", "--", "-", "tab\there", "two\nlines"]


def expectations(argv):
    exp = [rf"^argc = {len(argv)}$"]
    for i, a in enumerate(argv):
        raw = a.encode()
        exp.append(rf"^argv\[{i}\] = .*\({len(raw)} bytes: {raw.hex()}\)$")
    return exp


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", required=True)
    ap.add_argument("--chbuild", default=os.path.join(ROOT, "chbuild"))
    ap.add_argument("--timeout", default=None)
    args = ap.parse_args()

    ask = [args.chbuild, "exec", "--plat", args.plat, "--print-only", "--", PROGRAM] + ARGS
    cmd = subprocess.run(ask, stdout=subprocess.PIPE, text=True)
    if cmd.returncode != 0 or not cmd.stdout.strip():
        print(f"exec_args_test: FAIL: {' '.join(ask[:6])} ... gave no command")
        return 1
    argv = [PROGRAM] + ARGS
    harness = [sys.executable, os.path.join(HERE, "harness.py"),
               "--qemu-cmd-override", cmd.stdout.strip(), "--semihosting",
               "--expect-exit", str(len(argv)), "--reject", r"^exec: "]
    if args.timeout:
        harness += ["--timeout", args.timeout]
    for rx in expectations(argv):
        harness += ["--expect", rx]
    return subprocess.run(harness).returncode


if __name__ == "__main__":
    sys.exit(main())
