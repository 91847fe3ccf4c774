#!/usr/bin/env python3
"""Unit tests of the host-side tools (no QEMU, no kernel): how qemu.py
quotes a test image's command line, and how bench.py keeps results.json.

    python3 tests/qemu/test_tools.py [-v] [TestClass]
"""
import json
import os
import shlex
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import qemu  # noqa: E402


def semihosting_config(argv):
    """The value of -semihosting-config in a QEMU command line."""
    return argv[argv.index("-semihosting-config") + 1]


def cmdline_of(argv):
    """The command line QEMU hands the guest: the one arg= of the config,
    with QEMU's ",," unescaped."""
    config = semihosting_config(argv)
    prefix = "enable=on,target=native,arg="
    assert config.startswith(prefix), config
    return config[len(prefix):].replace(",,", ",")


class QemuCmdline(unittest.TestCase):
    ODD = ["exec", "/bin/prog", "alpha", "b c", "-x", "--foo", "", "it's", '"q"',
           "a\\b", "$HOME", "x,y", ",", "--", "-", "tab\there", "two\nlines", "*"]

    def test_list_round_trips_through_posix_splitting(self):
        # The guest's splitter (kernel/lib/cmdline.cpp) follows POSIX sh,
        # as shlex.split does; tests/host/lib/test_cmdline.cpp checks that
        # it reads shlex.quote's output back.
        argv = qemu.qemu_command("virt", "img", semihosting_args=self.ODD)
        self.assertEqual(shlex.split(cmdline_of(argv)), self.ODD)

    def test_exactly_one_arg(self):
        # Several arg= would be joined by QEMU with bare spaces.
        argv = qemu.qemu_command("virt", "img", semihosting_args=self.ODD)
        self.assertEqual(semihosting_config(argv).count(",arg="), 1)

    def test_plain_words_stay_readable(self):
        argv = qemu.qemu_command("virt", "img", semihosting_args=["exec", "/tests/caps", "4"])
        self.assertEqual(cmdline_of(argv), "exec /tests/caps 4")

    def test_string_is_taken_as_it_is(self):
        argv = qemu.qemu_command("virt", "img", semihosting_args="exec /tests/x 'a b'")
        self.assertEqual(cmdline_of(argv), "exec /tests/x 'a b'")

    def test_empty_command_line_is_still_given(self):
        for empty in ([], ""):
            argv = qemu.qemu_command("virt", "img", semihosting_args=empty)
            self.assertEqual(cmdline_of(argv), "")

    def test_cli_takes_any_value(self):
        # What ./chbuild exec passes: --semihosting-arg=VALUE, one word each;
        # the spaced form works as well. argparse alone fails at "-x" and
        # turns "--" into [].
        words = ["exec", "/bin/prog", "-x", "--foo", "", "b c", "--dry-run", "--", "-",
                 "--semihosting-arg", "--semihosting-arg=x"]
        for form in ("joined", "spaced"):
            argv = ["run", "--plat", "virt", "--image", "img"]
            for w in words:
                argv += [f"--semihosting-arg={w}"] if form == "joined" else ["--semihosting-arg", w]
            args = qemu._parse_args(argv)
            self.assertEqual(args.semihosting_arg, words, form)
            self.assertFalse(args.dry_run, form)

    def test_cli_without_semihosting(self):
        args = qemu._parse_args(["run", "--plat", "virt", "--image", "img", "--dry-run"])
        self.assertIsNone(args.semihosting_arg)
        self.assertTrue(args.dry_run)


class BenchResults(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "bench", "results.json")

    def tearDown(self):
        self.dir.cleanup()

    def read(self):
        with open(self.path) as f:
            return json.load(f)

    def test_only_merges_into_existing_results(self):
        bench.merge_results(self.path, {"a": {"instructions": 1, "ns": 2},
                                        "b": {"instructions": 3, "ns": 4}}, replace_all=True)
        bench.merge_results(self.path, {"b": {"instructions": 30, "ns": 40}}, replace_all=False)
        bench.merge_results(self.path, {"c": {"instructions": 5, "ns": 6}}, replace_all=False)
        self.assertEqual(self.read(), {"a": {"instructions": 1, "ns": 2},
                                       "b": {"instructions": 30, "ns": 40},
                                       "c": {"instructions": 5, "ns": 6}})

    def test_entry_is_replaced_whole(self):
        # A figure measured without Linux must not keep an old Linux ratio.
        bench.merge_results(self.path, {"a": {"instructions": 1, "linux_instructions": 9}},
                            replace_all=False)
        bench.merge_results(self.path, {"a": {"instructions": 2}}, replace_all=False)
        self.assertEqual(self.read(), {"a": {"instructions": 2}})

    def test_full_run_writes_afresh(self):
        bench.merge_results(self.path, {"gone": {"instructions": 1}}, replace_all=False)
        bench.merge_results(self.path, {"a": {"instructions": 2}}, replace_all=True)
        self.assertEqual(self.read(), {"a": {"instructions": 2}})

    def test_first_only_run_creates_the_file(self):
        bench.merge_results(self.path, {"a": {"instructions": 2}}, replace_all=False)
        self.assertEqual(self.read(), {"a": {"instructions": 2}})

    def run_bench(self, *args):
        """bench.py's main with the guest runs faked: every benchmark
        measures 7 instructions and 8 ns."""
        saved = bench.run_once, sys.argv
        bench.run_once = lambda plat, image, name, icount, timeout: 7.0 if icount else 8.0
        sys.argv = ["bench.py", "--image", "img", "--json", self.path, "--no-linux", *args]
        try:
            return bench.main()
        finally:
            bench.run_once, sys.argv = saved

    def test_two_only_runs_keep_both(self):
        # A CI job running benchmarks one by one (the defect: only the last
        # one was left).
        self.run_bench("--only", "null_syscall")
        self.run_bench("--only", "kmalloc_free")
        self.assertEqual(self.read(), {"null_syscall": {"instructions": 7.0, "ns": 8.0},
                                       "kmalloc_free": {"instructions": 7.0, "ns": 8.0}})

    def test_unreadable_file_is_not_overwritten(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, "w") as f:
            f.write("{not json")
        with self.assertRaises(SystemExit):
            bench.merge_results(self.path, {"a": {"instructions": 2}}, replace_all=False)
        with open(self.path) as f:
            self.assertEqual(f.read(), "{not json")


if __name__ == "__main__":
    unittest.main()
