#!/usr/bin/env python3
"""Unit tests of the host-side tools (no QEMU, no kernel): how qemu.py
quotes a test image's command line, how bench.py keeps results.json, and
what ktest_all_ran.py reports for saved console output.

    python3 tests/qemu/test_tools.py [-v] [TestClass]
"""
import io
import json
import os
import shlex
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import ktest_all_ran  # noqa: E402
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

    def run_bench_with_linux(self, *args, linux=None):
        """bench.py's main with our runs faked as in run_bench and Linux's
        too: `linux` maps a name to its (instructions, ns) there (default:
        every LINUX_BENCHMARKS name, 100 and 200). Returns main's exit code
        and what it printed."""
        if linux is None:
            linux = {n: (100.0, 200.0) for n in bench.LINUX_BENCHMARKS}
        saved = (bench.run_once, bench.linux_kernel, bench.linux_initrd, bench.run_linux,
                 sys.argv, sys.stdout)
        bench.run_once = lambda plat, image, name, icount, timeout: 7.0 if icount else 8.0
        bench.linux_kernel = lambda: "vmlinuz"
        bench.linux_initrd = lambda workdir: "initrd"
        bench.run_linux = lambda kernel, initrd, icount, timeout: {
            n: v[0 if icount else 1] for n, v in linux.items()}
        sys.argv = ["bench.py", "--json", self.path, *args]
        sys.stdout = io.StringIO()
        try:
            return bench.main(), sys.stdout.getvalue()
        finally:
            (bench.run_once, bench.linux_kernel, bench.linux_initrd, bench.run_linux,
             sys.argv, out) = saved
            sys.stdout = out

    def test_linux_only_figure_gets_a_row_and_an_entry(self):
        # futex_pingpong has no BENCHMARKS entry (Linux only): Linux's figure
        # is still printed and kept.
        self.assertNotIn("futex_pingpong", bench.BENCHMARKS)
        rc, out = self.run_bench_with_linux("--image", "img")
        self.assertEqual(rc, 0)  # 7 instructions meet every bound
        data = self.read()
        for n in bench.LINUX_BENCHMARKS:
            self.assertIn(n, data)
            self.assertEqual(data[n]["linux_instructions"], 100.0)
            self.assertEqual(data[n]["linux_ns"], 200.0)
        self.assertEqual(data["futex_pingpong"], {"linux_instructions": 100.0, "linux_ns": 200.0})
        self.assertEqual(data["null_syscall"], {"instructions": 7.0, "ns": 8.0,
                                                "linux_instructions": 100.0, "linux_ns": 200.0})
        row = next(l for l in out.splitlines() if l.startswith("futex_pingpong "))
        self.assertIn("100.00", row)
        self.assertIn("no figure of ours yet", row)

    def test_only_a_linux_only_name(self):
        rc, _ = self.run_bench_with_linux("--image", "img", "--only", "futex_pingpong")
        self.assertEqual(rc, 0)
        self.assertEqual(self.read(), {"futex_pingpong": {"linux_instructions": 100.0,
                                                      "linux_ns": 200.0}})
        with self.assertRaises(SystemExit):
            self.run_bench_with_linux("--image", "img", "--only", "futex_pingpong", "--no-linux")

    def test_linux_only_keeps_our_figures(self):
        bench.merge_results(self.path, {
            "null_syscall": {"instructions": 69, "ns": 500, "linux_instructions": 1,
                             "linux_ns": 2},
            "kmalloc_free": {"instructions": 262, "ns": 900}}, replace_all=True)
        rc, _ = self.run_bench_with_linux("--linux-only",
                                          linux={"null_syscall": (497.0, 3000.0),
                                                 "ipc_roundtrip": (15000.0, 90000.0)})
        # Linux gave nothing for the other names: reported as a failure.
        self.assertEqual(rc, 1)
        self.assertEqual(self.read(), {
            "null_syscall": {"instructions": 69, "ns": 500, "linux_instructions": 497.0,
                             "linux_ns": 3000.0},
            "kmalloc_free": {"instructions": 262, "ns": 900},
            "ipc_roundtrip": {"linux_instructions": 15000.0, "linux_ns": 90000.0}})

    def test_relative_bound(self):
        # ipc_4pairs may cost at most 1.1 times ipc_roundtrip: from this run's
        # figure, else from the results file, else no bound.
        self.assertEqual(bench.resolve_bound("n", 300, {}, {}, {}), 300)
        self.assertEqual(bench.resolve_bound("n", (1.1, "a"), {"a": {"instructions": 100}}, {}, {}),
                         110.0)
        self.assertEqual(bench.resolve_bound("n", (1.1, "a"), {}, {"a": {"instructions": 200}}, {}),
                         220.0)
        self.assertIsNone(bench.resolve_bound("n", (1.1, "a"), {}, {"a": {"linux_instructions": 9}},
                                              {}))

    def test_bound_relative_to_linux(self):
        # shell_true_loop may cost at most half of Linux's figure for the same
        # job: this run's Linux figure, else the results file's, else none.
        self.assertEqual(bench.resolve_bound("s", (0.5, "linux"), {}, {}, {"s": 1000.0}), 500.0)
        self.assertEqual(bench.resolve_bound("s", (0.5, "linux"), {},
                                             {"s": {"linux_instructions": 800.0}}, {}), 400.0)
        self.assertIsNone(bench.resolve_bound("s", (0.5, "linux"), {}, {}, {"t": 5.0}))

    def test_no_linux_full_run_has_no_linux_only_rows(self):
        rc, _ = self.run_bench_with_linux("--image", "img", "--no-linux")
        self.assertEqual(rc, 0)
        self.assertEqual(set(self.read()), set(bench.BENCHMARKS))

    def test_unreadable_file_is_not_overwritten(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, "w") as f:
            f.write("{not json")
        with self.assertRaises(SystemExit):
            bench.merge_results(self.path, {"a": {"instructions": 2}}, replace_all=False)
        with open(self.path) as f:
            self.assertEqual(f.read(), "{not json")


class KtestAllRan(unittest.TestCase):
    """ktest_all_ran.check(registered, list output, full-run output)."""
    NAMES = ["syscall.el0_svc", "mm.free_memory_accounted", "irq.timer_fires"]

    @staticmethod
    def listed(names, count=None):
        lines = ["ktest.img: ChCore-Next on virt"] + [f"[LIST] {n}" for n in names]
        lines.append(f"ktest: {len(names) if count is None else count} tests compiled in")
        return "\r\n".join(lines) + "\r\n"  # as the serial console delivers it

    @staticmethod
    def ran(passed, failed=(), summary=None):
        lines = [f"[PASS] {n}" for n in passed] + [f"[FAIL] {n}: why" for n in failed]
        p, f = summary if summary else (len(passed), len(failed))
        return "\n".join(lines + [f"{p} passed, {f} failed"]) + "\n"

    def problems(self, registered, listed, ran):
        return ktest_all_ran.check(registered, listed, ran)

    def assert_one_problem_naming(self, problems, what, names):
        self.assertEqual(len(problems), 1, problems)
        self.assertIn(what, problems[0])
        for n in names:
            self.assertIn(n, problems[0])

    def test_all_registered_and_ran(self):
        self.assertEqual(self.problems(self.NAMES, self.listed(self.NAMES),
                                       self.ran(self.NAMES)), [])

    def test_unregistered_test_is_named(self):
        compiled = self.NAMES + ["sched.new_one"]
        problems = self.problems(self.NAMES, self.listed(compiled), self.ran(compiled))
        self.assert_one_problem_naming(problems, "not registered", ["sched.new_one"])
        self.assertNotIn("irq.timer_fires", problems[0])

    def test_registered_but_not_compiled_in(self):
        problems = self.problems(self.NAMES + ["mm.typo"], self.listed(self.NAMES),
                                 self.ran(self.NAMES))
        self.assert_one_problem_naming(problems, "not compiled", ["mm.typo"])

    def test_registered_test_that_printed_nothing(self):
        # Compiled in and registered, but the full run shows no verdict for
        # it (it hung, stopped the run, or the runner skipped it): the
        # summary counts one test less.
        ran = [n for n in self.NAMES if n != "mm.free_memory_accounted"]
        problems = self.problems(self.NAMES, self.listed(self.NAMES), self.ran(ran))
        self.assertEqual(len(problems), 1, problems)  # the run went on after it
        self.assert_one_problem_naming(problems, "printed no [PASS]/[FAIL]",
                                       ["mm.free_memory_accounted"])

    def test_run_cut_short(self):
        # A panic in the second test: no further verdicts, no summary.
        run = "[PASS] syscall.el0_svc\nKERNEL PANIC: Data Abort\n"
        problems = self.problems(self.NAMES, self.listed(self.NAMES), run)
        self.assertTrue(any("printed no [PASS]/[FAIL]" in p and "mm.free_memory_accounted" in p
                            and "irq.timer_fires" in p for p in problems), problems)
        self.assertTrue(any("no 'N passed, M failed' summary" in p for p in problems), problems)
        self.assertTrue(any(p.startswith("the full run stopped in mm.free_memory_accounted")
                            for p in problems), problems)

    def test_failed_test_is_named(self):
        problems = self.problems(self.NAMES, self.listed(self.NAMES),
                                 self.ran(self.NAMES[:2], failed=[self.NAMES[2]]))
        self.assert_one_problem_naming(problems, "failed in the full run", ["irq.timer_fires"])

    def test_duplicate_names(self):
        compiled = self.NAMES + ["irq.timer_fires"]
        problems = self.problems(self.NAMES, self.listed(compiled), self.ran(compiled))
        self.assertTrue(any("compiled in more than once" in p and "irq.timer_fires" in p
                            for p in problems), problems)
        problems = self.problems(self.NAMES + ["mm.free_memory_accounted"],
                                 self.listed(self.NAMES), self.ran(self.NAMES))
        self.assert_one_problem_naming(problems, "registered more than once",
                                       ["mm.free_memory_accounted"])

    def test_truncated_list_or_summary_disagreeing(self):
        problems = self.problems(self.NAMES, self.listed(self.NAMES, count=4),
                                 self.ran(self.NAMES))
        self.assert_one_problem_naming(problems, "counts 4", [])
        problems = self.problems(self.NAMES, self.listed(self.NAMES),
                                 self.ran(self.NAMES, summary=(4, 0)))
        self.assert_one_problem_naming(problems, "summary says 4 passed", [])

    def test_nothing_listed(self):
        problems = self.problems([], "no test matches 'list'\n0 passed, 0 failed\n",
                                 self.ran([]))
        self.assertTrue(any("no 'ktest: N tests compiled in'" in p for p in problems), problems)
        self.assertTrue(any("no test is compiled in" in p for p in problems), problems)

    def test_main_exit_status(self):
        with tempfile.TemporaryDirectory() as d:
            def write(name, text):
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    f.write(text)
                return path
            reg = write("reg", "\n".join(self.NAMES) + "\n")
            good = ["--registered", reg, "--list-output", write("l", self.listed(self.NAMES)),
                    "--run-output", write("r", self.ran(self.NAMES))]
            bad = ["--registered", write("reg2", self.NAMES[0] + "\n"),
                   "--list-output", write("l2", self.listed(self.NAMES)),
                   "--run-output", write("r2", self.ran(self.NAMES))]
            with open(os.devnull, "w") as null:
                saved, sys.stdout = sys.stdout, null
                try:
                    self.assertEqual(ktest_all_ran.main(good), 0)
                    self.assertEqual(ktest_all_ran.main(bad), 1)
                finally:
                    sys.stdout = saved


if __name__ == "__main__":
    unittest.main()
