#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts the test cases of one `meson test` run from its testlog.json and prints
`N passed, N failed` as the last line.  Exit status: 0 when nothing failed.

Every TAP case counts (ok / not ok); a test that failed, crashed or timed out without a
failing TAP case counts as one failure; a test without TAP output counts as one case.
Usage: test-summary.py TESTLOG.json
"""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not )?ok\b[^#]*(#\s*(\w+))?", re.IGNORECASE)
GOOD = {"OK", "EXPECTEDFAIL"}
NEUTRAL = {"SKIP"}


def count_tap(output):
    passed = failed = skipped = 0
    for line in output.splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        directive = (m.group(3) or "").upper()
        if directive == "SKIP":
            skipped += 1
        elif m.group(1) and directive != "TODO":
            failed += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    passed = failed = skipped = 0
    failures = []
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test.get("result", "ERROR")
            p, f, s = count_tap(test.get("stdout") or "")
            if p + f + s == 0:
                # no TAP output: the whole test is one case
                if result in GOOD:
                    p = 1
                elif result in NEUTRAL:
                    s = 1
                else:
                    f = 1
            elif result not in GOOD | NEUTRAL and f == 0:
                f = 1                       # crashed or timed out after its last "ok"
            passed, failed, skipped = passed + p, failed + f, skipped + s
            if f:
                failures.append("%s (%s)" % (test.get("name", "?"), result))
    for name in failures:
        print("FAILED: " + name)
    if skipped:
        print("%d skipped" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
