#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit test of build-aux/test-summary.py: how ./test counts the cases of a meson run."""
import json
import os
import subprocess
import sys
import tempfile

import pigeon_test as pt

SCRIPT = os.path.join(os.environ.get("PIGEON_TEST_SOURCE_ROOT",
                                     os.path.join(os.path.dirname(__file__), "..", "..")),
                      "build-aux", "test-summary.py")
tap = pt.Tap()


def summarize(*tests):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as log:
        for test in tests:
            log.write(json.dumps(test) + "\n")
    try:
        result = subprocess.run([sys.executable, SCRIPT, log.name], capture_output=True,
                                text=True, timeout=30)
    finally:
        os.unlink(log.name)
    return result.stdout.splitlines(), result.returncode


def test(name, result, stdout=""):
    return {"name": name, "result": result, "stdout": stdout}


def counts_every_tap_case():
    lines, status = summarize(
        test("a", "OK", "ok 1 - one\nok 2 - two # 0.1 s\n# a comment\n1..2\n"),
        test("b", "OK", "ok 1 /b/x\nok 2 /b/y\nok 3 /b/z\n1..3\n"))
    assert lines[-1] == "5 passed, 0 failed" and status == 0, (lines, status)


def counts_failing_cases():
    lines, status = summarize(
        test("a", "FAIL", "ok 1 - one\nnot ok 2 - two\nnot ok 3 - three\n1..3\n"))
    assert lines[-1] == "1 passed, 2 failed" and status == 1, (lines, status)
    assert "FAILED: a (FAIL)" in lines, lines


def crash_after_passing_cases_is_one_failure():
    lines, status = summarize(test("a", "ERROR", "ok 1 - one\nok 2 - two\n"))
    assert lines[-1] == "2 passed, 1 failed" and status == 1, (lines, status)


def failure_without_output_is_one_failure():
    lines, status = summarize(test("a", "ERROR", ""), test("b", "TIMEOUT", None),
                              test("c", "OK", ""))
    assert lines[-1] == "1 passed, 2 failed" and status == 1, (lines, status)


def bail_out_is_a_failure():
    lines, status = summarize(test("a", "ERROR", "Bail out! no harness\n"))
    assert lines[-1] == "0 passed, 1 failed" and status == 1, (lines, status)


def skips_and_todos_are_not_failures():
    lines, status = summarize(
        test("a", "OK", "ok 1 - x # SKIP no data\nnot ok 2 - y # TODO later\nok 3 - z\n1..3\n"),
        test("b", "SKIP", ""))
    assert lines[-1] == "2 passed, 0 failed" and status == 0, (lines, status)
    assert "2 skipped" in lines, lines


def nothing_run_is_fine():
    lines, status = summarize()
    assert lines == ["0 passed, 0 failed"] and status == 0, (lines, status)


tap.run("every TAP case counts", counts_every_tap_case)
tap.run("failing cases count one by one", counts_failing_cases)
tap.run("a crash after passing cases is one failure", crash_after_passing_cases_is_one_failure)
tap.run("a failure without output is one failure", failure_without_output_is_one_failure)
tap.run("Bail out! is a failure", bail_out_is_a_failure)
tap.run("skips and TODOs are not failures", skips_and_todos_are_not_failures)
tap.run("a run with nothing in it is fine", nothing_run_is_fine)
tap.finish()
