#!/usr/bin/python3
"""Tests of scripts/differential (ctest: differential_tool.compare in label unit,
differential_tool.pipeline in label e2e).

  CompareTest   the comparison itself, on the hand-made traces next to this file (no simulator)
  PipelineTest  whole runs through nvmsim (env NVMSIM: the binary)

  python3 tests/differential/test_differential.py CompareTest
  NVMSIM=build/release/tools/nvmsim python3 tests/differential/test_differential.py PipelineTest
"""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOL = os.path.join(ROOT, "scripts", "differential")


def tool(*args):
    p = subprocess.run([sys.executable, TOOL] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, cwd=ROOT)
    return p.returncode, p.stdout + p.stderr


def trace(name):
    return os.path.join(HERE, name)


def edited(d, name, lineno, old, new):
    """A copy of trace `name` in directory d with `old` replaced by `new` on line `lineno`."""
    out = os.path.join(d, "edited-" + name)
    with open(trace(name)) as f, open(out, "w") as g:
        for n, line in enumerate(f, 1):
            g.write(line.replace(old, new) if n == lineno else line)
    return out


class CompareTest(unittest.TestCase):
    def test_identical_files_are_same(self):
        rc, out = tool("--compare", trace("a.jsonl"), trace("a.jsonl"))
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("SAME"), out)
        self.assertIn("(33 lines compared)", out)  # the `log` line is not compared

    def test_changed_completion_time_diverges_at_that_line(self):
        rc, out = tool("--compare", trace("a.jsonl"), trace("b-late-completion.jsonl"))
        self.assertEqual(rc, 1, out)
        self.assertTrue(out.startswith("DIVERGED"), out)
        self.assertIn("first difference: A line 30, B line 30", out)
        self.assertIn('> A 30   {"t":503880,"e":"cpl","b":3,"s":0}', out)
        self.assertIn('> B 30   {"t":503881,"e":"cpl","b":3,"s":0}', out)
        # context: the last common line before it, with both line numbers
        self.assertIn('= A 29, B 29   {"t":434512,"e":"snd","b":5,"p":1}', out)
        self.assertIn("counts per kind: equal", out)
        self.assertIn("apart from times the traces are the same", out)

    def test_after_a_time_difference_the_first_other_difference_is_named(self):
        with tempfile.TemporaryDirectory() as d:
            other = edited(d, "b-late-completion.jsonl", 32, '"p":1}', '"p":0}')
            rc, out = tool("--compare", trace("a.jsonl"), other)
            self.assertEqual(rc, 1, out)
            self.assertIn("first difference: A line 30, B line 30", out)
            self.assertIn("first difference apart from times: A line 32, B line 32", out)
            self.assertIn('> B 32   {"t":503881,"e":"snd","b":6,"p":0}', out)

    def test_reason_wording_and_log_lines_are_not_compared_unless_strict(self):
        rc, out = tool("--compare", trace("a.jsonl"), trace("b-same.jsonl"))
        self.assertEqual(rc, 0, out)
        self.assertTrue(out.startswith("SAME"), out)
        rc, out = tool("--compare", trace("a.jsonl"), trace("b-same.jsonl"), "--strict")
        self.assertEqual(rc, 1, out)
        self.assertIn("first difference: A line 19, B line 19", out)
        self.assertIn('"why":"TCP connection lost"', out)

    def test_order_within_an_instant_counts_unless_sort_instants(self):
        rc, out = tool("--compare", trace("a.jsonl"), trace("b-instant-reordered.jsonl"))
        self.assertEqual(rc, 1, out)
        self.assertIn("first difference: A line 9, B line 9", out)
        rc, out = tool("--compare", trace("a.jsonl"), trace("b-instant-reordered.jsonl"), "--sort-instants")
        self.assertEqual(rc, 0, out)

    def test_a_shorter_trace_diverges_where_it_ends_with_counts(self):
        with tempfile.TemporaryDirectory() as d:
            cut = os.path.join(d, "cut.jsonl")
            with open(trace("a.jsonl")) as f, open(cut, "w") as g:
                g.writelines(f.readlines()[:26])
            rc, out = tool("--compare", trace("a.jsonl"), cut)
            self.assertEqual(rc, 1, out)
            self.assertIn("first difference: A line 27, B end of file", out)
            self.assertIn("B: (no more lines)", out)
            self.assertIn("file lines: A 34, B 26", out)
            self.assertIn("counts that differ: cpl 5/2, end 1/0, snd 7/5, sub 6/4", out)

    def test_an_extra_key_diverges(self):
        with tempfile.TemporaryDirectory() as d:
            other = edited(d, "a.jsonl", 23, '"n":1}', '"n":1,"rel":500000}')
            rc, out = tool("--compare", trace("a.jsonl"), other)
            self.assertEqual(rc, 1, out)
            self.assertIn("first difference: A line 23, B line 23", out)


NVMSIM = os.environ.get("NVMSIM", os.path.join(ROOT, "build", "release", "tools", "nvmsim"))
SHORT = ["scenarios/mainline-properties/bp19-rr-sole-path.yaml", "scenarios/failover/retry-delay.yaml"]


def has_kernel_backend():
    """Whether this nvmsim runs `core: linux` (asked of the binary, not of the build options)."""
    try:
        p = subprocess.run([NVMSIM, "run", os.path.join(ROOT, SHORT[1]), "--quiet", "--host-core", "linux"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError:
        return False
    return p.returncode != 2


class PipelineTest(unittest.TestCase):
    def test_model_against_model_is_same(self):
        rc, out = tool("--nvmsim", NVMSIM, "--self-check", "-j", "2", *SHORT)
        self.assertEqual(rc, 0, out)
        self.assertIn("SAME      mainline-properties/bp19-rr-sole-path", out)
        self.assertIn("SAME      failover/retry-delay", out)
        self.assertIn("compared 2: same 2, explained 0, diverged 0; skipped 0; errors 0", out)

    def test_planted_divergence_is_diverged_then_explained(self):
        args = ["--nvmsim", NVMSIM, "--self-check", "--set-b", "hosts.0.iopolicy=numa", SHORT[0]]
        rc, out = tool(*args)
        self.assertEqual(rc, 1, out)
        self.assertIn("DIVERGED  mainline-properties/bp19-rr-sole-path", out)
        self.assertIn("first difference: model-a line", out)
        with tempfile.TemporaryDirectory() as d:
            explained = os.path.join(d, "explained.txt")
            with open(explained, "w") as f:
                f.write("# test\nmainline-properties/bp19-rr-sole-path  planted: side B runs numa\n")
            rc, out = tool(*args, "--explained", explained)
            self.assertEqual(rc, 0, out)
            self.assertIn("EXPLAINED mainline-properties/bp19-rr-sole-path", out)
            self.assertIn("planted: side B runs numa", out)
            self.assertIn("compared 1: same 0, explained 1, diverged 0", out)

    def test_kept_outputs_and_forced_kernel(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out = tool("--nvmsim", NVMSIM, "--self-check", "--kernel", "6.1", "--keep", d, SHORT[1])
            self.assertEqual(rc, 0, out)
            side = os.path.join(d, "failover__retry-delay", "model-a")
            self.assertTrue(os.path.getsize(os.path.join(side, "trace.jsonl")) > 0)
            with open(os.path.join(side, "summary.txt")) as f:
                self.assertIn("retry-delay", f.read())

    def test_without_the_kernel_backend_everything_is_skipped(self):
        if has_kernel_backend():
            self.skipTest("this nvmsim has the kernel backend")
        rc, out = tool("--nvmsim", NVMSIM, SHORT[1])
        self.assertEqual(rc, 0, out)
        self.assertIn("SKIPPED   failover/retry-delay  linux: ", out)
        self.assertIn("NVMSIM_KERNEL_BACKEND", out)
        self.assertIn("compared 0: same 0, explained 0, diverged 0; skipped 1; errors 0", out)
        rc, out = tool("--nvmsim", NVMSIM, "--skip-code", "77", SHORT[1])
        self.assertEqual(rc, 77, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
