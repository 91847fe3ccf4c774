#!/usr/bin/env python3
"""exec.add: `./chbuild exec --add HOST:GUEST ... -- /bin/sh /root/script.sh`
runs a shell script put into the guest from the host, and a program built
on the host with chcore-clang runs from it (the userland issue's "running
things in the guest from the host"), on either board: virt loads the
archive with -initrd, raspi3 gets an image of its own with it embedded.

The script prints a line, runs the program (which prints its arguments and
exits with status 3), prints `$?`, lists /root through a pipe, and exits with status 7,
which chbuild exec must pass on as its own.

    exec_add_test.py --plat virt --cc build/chcore-libc/sysroot/bin/chcore-clang \\
        --workdir DIR [--chbuild ./chbuild] [--timeout S]
"""
import argparse
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

PROGRAM = r'''#include <stdio.h>
#include <unistd.h>
int main(int argc, char** argv) {
  printf("added program: argc %d, argv[1] %s, pid>1 %d\n", argc, argc > 1 ? argv[1] : "-",
         getpid() > 1);
  return 3;
}
'''

SCRIPT = '''echo "script from the host: $0"
/root/prog "one arg" two
echo "program status $?"
ls /root | cat
exit 7
'''

EXPECT = [
    "script from the host: /root/script.sh",
    "added program: argc 3, argv[1] one arg, pid>1 1",
    "program status 3",
    "prog",
    "script.sh",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plat", required=True)
    ap.add_argument("--cc", required=True, help="chcore-clang")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--chbuild", default=os.path.join(ROOT, "chbuild"))
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    src = os.path.join(args.workdir, "prog.c")
    prog = os.path.join(args.workdir, "prog")
    script = os.path.join(args.workdir, "script.sh")
    with open(src, "w") as f:
        f.write(PROGRAM)
    with open(script, "w") as f:
        f.write(SCRIPT)
    cc = subprocess.run([args.cc, "-O2", "-o", prog, src], capture_output=True, text=True)
    if cc.returncode != 0:
        print(f"exec_add_test: FAIL: {args.cc} could not build the program:\n{cc.stderr}")
        return 1

    cmd = [args.chbuild, "exec", "--no-build", "--plat", args.plat,
           "--add", f"{script}:/root/script.sh", "--add", f"{prog}:/root/prog",
           "--", "/bin/sh", "/root/script.sh"]
    print("exec_add_test: " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, errors="replace",
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=args.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        print(out)
        print(f"exec_add_test: FAIL: no end after {args.timeout} s")
        return 1
    print(out)
    lines = [l.rstrip("\r") for l in out.splitlines()]
    missing = [e for e in EXPECT if e not in lines]
    if missing:
        print(f"exec_add_test: FAIL: lines missing from the output: {missing}")
        return 1
    if p.returncode != 7:
        print(f"exec_add_test: FAIL: chbuild exec exited with {p.returncode}, not the script's 7")
        return 1
    print("exec_add_test: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
