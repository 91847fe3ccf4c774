#!/usr/bin/env python3
"""seL4's "all tests ran" for the in-kernel tests (KTEST, kernel/tests/).

    ktest_all_ran.py --plat virt --image build/kernel-virt/ktest.img \
                     --registered build/tests/qemu/ktests_registered.txt

Boots the test image twice through harness.py:
  1. with the command line "list": the image prints "[LIST] name" for every
     KTEST compiled into it, then "ktest: N tests compiled in";
  2. with an empty selection: the image runs every test once, in order, and
     prints "[PASS] name" or "[FAIL] name: why" for each.
and compares those with the names registered by add_ktest() in
tests/qemu/CMakeLists.txt (--registered: one name a line, written by CMake).

It FAILS, naming the tests, when a test is
  - compiled in but not registered (it would never run in the suite),
  - registered but not compiled in (a typo, or a test that was removed),
  - compiled in twice under one name,
  - compiled in but printed no verdict in the full run (it hung, ended the
    run, or the runner skipped it),
  - reported as failed in the full run;
or when either boot fails (panic, timeout, missing summary). The last line
is "ktest_all_ran: PASS ..." or "ktest_all_ran: FAIL".

--list-output and --run-output take saved console output instead of booting
(tests/qemu/test_tools.py checks the comparison that way).
"""

import argparse
import os
import re
import subprocess
import sys

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.py")

LIST_RE = re.compile(r"^\[LIST\] (\S+)$")
LIST_COUNT_RE = re.compile(r"^ktest: (\d+) tests compiled in$")
VERDICT_RE = re.compile(r"^\[(PASS|FAIL)\] ([^\s:]+)")
SUMMARY_RE = re.compile(r"^(\d+) passed, (\d+) failed$")


def read_registered(path):
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def lines_of(text):
    return [line.rstrip("\r") for line in text.splitlines()]


def check(registered, list_output, run_output):
    """Returns the list of problems (empty: every test is registered and ran)."""
    problems = []
    listed = []
    count = None
    for line in lines_of(list_output):
        m = LIST_RE.match(line)
        if m:
            listed.append(m.group(1))
        m = LIST_COUNT_RE.match(line)
        if m:
            count = int(m.group(1))
    if count is None:
        problems.append("the list run printed no 'ktest: N tests compiled in' line")
    elif count != len(listed):
        problems.append(f"the list run names {len(listed)} tests but counts {count}")
    if not listed:
        problems.append("no test is compiled in (or the list run printed none)")

    def dups(names):
        seen, twice = set(), []
        for n in names:
            if n in seen and n not in twice:
                twice.append(n)
            seen.add(n)
        return twice

    compiled = set(listed)
    reg = set(registered)
    passed, failed, summary = [], [], None
    for line in lines_of(run_output):
        m = VERDICT_RE.match(line)
        if m:
            (passed if m.group(1) == "PASS" else failed).append(m.group(2))
        m = SUMMARY_RE.match(line)
        if m:
            summary = (int(m.group(1)), int(m.group(2)))
    ran = set(passed) | set(failed)

    def report(what, names):
        if names:
            problems.append(f"{what} ({len(names)}): {', '.join(names)}")

    report("compiled in but not registered with add_ktest() in tests/qemu/CMakeLists.txt",
           [n for n in listed if n not in reg])
    report("registered with add_ktest() but not compiled into the test image",
           sorted(reg - compiled))
    report("registered more than once", dups(registered))
    report("compiled in more than once under the same name", dups(listed))
    silent = [n for n in listed if n not in ran]
    report("compiled in but printed no [PASS]/[FAIL] line in the full run", silent)
    if silent and not any(n in ran for n in listed[listed.index(silent[0]):]):
        # Nothing after the first silent test printed a verdict either.
        problems.append(f"the full run stopped in {silent[0]} (tests run in the order listed)")
    report("reported more than once in the full run", dups(passed + failed))
    report("failed in the full run", failed)
    report("reported in the full run but not listed", sorted(ran - compiled))
    if summary is None:
        problems.append("the full run printed no 'N passed, M failed' summary")
    elif summary != (len(passed), len(failed)):
        problems.append(f"the full run's summary says {summary[0]} passed, {summary[1]} "
                        f"failed, but printed {len(passed)} [PASS] and "
                        f"{len(failed)} [FAIL] lines")
    return problems


def boot(args, cmdline, expect):
    """Runs the image through harness.py; returns (verdict ok, console output)."""
    cmd = [sys.executable, HARNESS, "--plat", args.plat, "--image", args.image,
           "--semihosting-cmdline", cmdline, "--expect", expect]
    if args.timeout is not None:
        cmd += ["--timeout", str(args.timeout)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    sys.stdout.write(proc.stdout)
    sys.stdout.flush()
    return proc.returncode == 0, proc.stdout


def main(argv):
    p = argparse.ArgumentParser(prog="ktest_all_ran.py", description=__doc__.split("\n")[0])
    p.add_argument("--registered", required=True, metavar="FILE",
                   help="names registered by add_ktest(), one a line")
    p.add_argument("--plat")
    p.add_argument("--image", help="the test image (ktest.img)")
    p.add_argument("--timeout", type=float, help="per boot (harness.py --timeout)")
    p.add_argument("--list-output", metavar="FILE", help="saved output of a 'list' run")
    p.add_argument("--run-output", metavar="FILE", help="saved output of a full run")
    args = p.parse_args(argv)

    registered = read_registered(args.registered)
    problems = []
    if args.list_output or args.run_output:
        if not (args.list_output and args.run_output):
            p.error("--list-output and --run-output go together")
        with open(args.list_output, encoding="utf-8") as f:
            list_output = f.read()
        with open(args.run_output, encoding="utf-8") as f:
            run_output = f.read()
    else:
        if not (args.plat and args.image):
            p.error("--plat and --image are required (or saved outputs)")
        ok, list_output = boot(args, "list", r"^ktest: \d+ tests compiled in$")
        if not ok:
            problems.append("the list run failed (see harness.py's verdict above)")
        # A failure here (a [FAIL] line, a panic or a hang cutting the run
        # short) is also reported below, with the names of the tests.
        ok, run_output = boot(args, "all", r"^\d+ passed, \d+ failed$")
        if not ok:
            problems.append("the full run failed (see harness.py's verdict above)")

    problems += check(registered, list_output, run_output)
    if problems:
        for problem in problems:
            print(f"ktest_all_ran: {problem}")
        print("ktest_all_ran: FAIL")
        return 1
    print(f"ktest_all_ran: PASS: all {len(registered)} registered in-kernel tests "
          "are compiled in and passed in one run")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
