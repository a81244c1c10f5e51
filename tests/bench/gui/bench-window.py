#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reading window on a big folder already in the store: time from picking the folder to
its first rows drawn, a scroll through the whole list with the keyboard, and Pigeon's peak
resident memory.  Targets (issue 4): under 200 ms and under 200 MB at 100,000 messages.

Run it inside the test harness (for the display and the accessibility bus):
    tests/harness/harness.sh up && . /tmp/pgn-31000/session.env
    PIGEON_TEST_BUILD_ROOT=$PWD/build tests/bench/gui/bench-window.py [--count 100000]
The seeded Maildir is kept (under $PIGEON_BENCH_CACHE, default build/bench-cache) for the
next run.  There is no Geary comparison yet: that would need Geary given an account on the same
mailbox (served over IMAP) and timed the same way."""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path[:0] = [os.path.join(SOURCE, "tests", "common"), os.path.join(SOURCE, "tests", "harness"),
                os.path.join(SOURCE, "tests", "app")]

import pigeon_test as pt  # noqa: E402
import reading_mail as rm  # noqa: E402

FIRST_DRAW = re.compile(r"first rows drawn: ([0-9.]+) ms after the list was asked for them, "
                        r"([0-9]+) rows")


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def seeded_maildir(count, cache):
    maildir = os.path.join(cache, "maildir-%d" % count)
    done = maildir + ".done"
    if not os.path.exists(done):
        shutil.rmtree(maildir, ignore_errors=True)
        started = time.monotonic()
        subprocess.run([sys.executable, os.path.join(SOURCE, "tests", "harness", "seed_maildir.py"),
                        "--maildir", maildir, "--count", str(count), "--jobs", "2"],
                       check=True, stdout=subprocess.DEVNULL)
        open(done, "w").close()
        print("# seeded %d messages in %.1f s" % (count, time.monotonic() - started))
    return maildir


def first_draws(log_path, since):
    with open(log_path, errors="replace") as f:
        f.seek(since)
        return [(float(m.group(1)), int(m.group(2))) for m in FIRST_DRAW.finditer(f.read())]


# Where the rows are in a window at the top left of the bare Xvfb screen (no window
# manager), at the default size: All Inboxes, then the account, then its Inbox.
ALL_INBOXES_XY = (90, 64)
INBOX_XY = (90, 132)
FIRST_MESSAGE_XY = (440, 75)


def click(xy):
    import pyatspi
    pyatspi.Registry.generateMouseEvent(xy[0], xy[1], "b1c")


def page_down_keycode():
    """The hardware keycode of Page Down on this display (keysym events are slower to
    synthesize and get lost when sent this fast)."""
    import gi
    gi.require_version("Gdk", "3.0")
    from gi.repository import Gdk
    Gdk.init([])
    found, keys = Gdk.Keymap.get_for_display(Gdk.Display.get_default()).get_entries_for_keyval(
        Gdk.KEY_Page_Down)
    return keys[0].keycode if found else 117


def press_page_down(times, keycode):
    import pyatspi
    for _ in range(times):
        pyatspi.Registry.generateKeyboardEvent(keycode, None, pyatspi.KEY_PRESSRELEASE)


def scroll_through(app, keycode, count):
    """Page Down from the first row until the last of COUNT rows: seconds taken.  The
    list gets the focus through AT-SPI (a click would do, were there a window manager to
    give the window the keyboard), and keys are sent only as fast as the list takes them
    (a backlog of queued keys would measure the queue)."""
    node = pt.find(app.node, "Messages", role="table")
    table = node.queryTable()
    table.addRowSelection(0)
    node.queryComponent().grabFocus()
    time.sleep(1.0)
    started = time.monotonic()
    last_row = 0
    while last_row < count - 1:
        press_page_down(10, keycode)
        deadline = time.monotonic() + 30
        while True:
            rows = table.getSelectedRows()
            row = rows[-1] if rows else 0
            if row > last_row:
                break
            if time.monotonic() > deadline:
                raise AssertionError("the list stopped at row %d" % row)
            time.sleep(0.005)
        last_row = row
    return time.monotonic() - started


def run_pigeon(maildir, rounds, accessibility):
    """Pigeon on a store filled from MAILDIR: first-draw times, peak RSS and (with
    ACCESSIBILITY) the time to page through the whole list.

    Without ACCESSIBILITY, Pigeon runs as it does without a screen reader (NO_AT_BRIDGE) and
    is driven by synthesized clicks at known places; with it, the accessibility bridge is on
    and a client listens, as under a screen reader (and in the GUI tests): GtkTreeView then
    announces every cell of a new model, which costs time and memory."""
    config, data = pt.make_dirs()
    rm.fill_store(config, data, maildir, name="Bench", extra=["--bodies", "300"])
    env = {"G_MESSAGES_DEBUG": "pigeon-bench"}
    if not accessibility:
        env["NO_AT_BRIDGE"] = "1"
    app, _ = rm.start_reader(config, data, extra_env=env, wait_for_window=accessibility)
    scroll = None
    try:
        pid = app.process.pid
        pt.wait_until(lambda: first_draws(app.log_path, 0), timeout=60,
                      what="All Inboxes drawn")
        time.sleep(1.0)
        mark = os.path.getsize(app.log_path)
        for i in range(rounds):
            click(INBOX_XY if i % 2 == 0 else ALL_INBOXES_XY)
            pt.wait_until(lambda: len(first_draws(app.log_path, mark)) > i, timeout=30,
                          what="the folder drawn")
            time.sleep(0.5)
        draws = first_draws(app.log_path, mark)
        if accessibility:
            scroll = scroll_through(app, page_down_keycode(), draws[0][1])
        else:
            # Reading a message brings WebKit in: its share counts.
            click(FIRST_MESSAGE_XY)
            time.sleep(3.0)
        rss = peak_rss_kib(pid)
    finally:
        app.stop()
    return {"rows": draws[0][1], "first_draw_ms": [t for t, n in draws], "scroll_s": scroll,
            "peak_rss_mib": rss / 1024}


def report(label, result):
    median = statistics.median(result["first_draw_ms"])
    print("pigeon%s: folder of %d messages picked -> first rows drawn: median %.0f ms "
          "(min %.0f, max %.0f)" % (label, result["rows"], median, min(result["first_draw_ms"]),
                                    max(result["first_draw_ms"])))
    if result["scroll_s"] is not None:
        print("pigeon%s: Page Down through all of it: %.1f s (%.0f rows/s)"
              % (label, result["scroll_s"], result["rows"] / result["scroll_s"]))
    print("pigeon%s: peak RSS %.0f MiB" % (label, result["peak_rss_mib"]))
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--no-accessibility", action="store_true",
                        help="skip the run with the accessibility bridge (and its scroll)")
    args = parser.parse_args()
    pt.require()
    cache = os.environ.get("PIGEON_BENCH_CACHE",
                           os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"),
                                        "bench-cache"))
    os.makedirs(cache, exist_ok=True)
    maildir = seeded_maildir(args.count, cache)

    plain = run_pigeon(maildir, args.rounds, accessibility=False)
    median = report("", plain)
    print("targets: first rows under 200 ms, peak RSS under 200 MiB")
    if not args.no_accessibility:
        report(" (accessibility bridge on)", run_pigeon(maildir, args.rounds,
                                                        accessibility=True))
    ok = median < 200 and plain["peak_rss_mib"] < 200
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        # dogtail replaces sys.excepthook with one that only writes its own log
        traceback.print_exc()
        sys.exit(1)
