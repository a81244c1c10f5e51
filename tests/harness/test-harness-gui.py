#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness's own GUI selftest: Xvfb, the AT-SPI bus and dogtail work together, through
the helpers the GUI tests use (tests/common/pigeon_test.py)."""
import os
import struct
import sys

import pigeon_test as pt

pt.require()
tap = pt.Tap()
WINDOW = [os.environ.get("PIGEON_TEST_PYTHON", sys.executable),
          os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness-window.py")]


def png_size(path):
    with open(path, "rb") as f:
        header = f.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    return struct.unpack(">II", header[16:24])


def two_windows_told_apart():
    with pt.start_app(WINDOW + ["First"]) as first, pt.start_app(WINDOW + ["Second"]) as second:
        assert first.node.name == second.node.name == "pigeon-harness-window"
        assert first.node.get_process_id() == first.process.pid
        assert second.node.get_process_id() == second.process.pid
        pt.find(first.node, "First", role="frame")
        pt.find(second.node, "Second", role="frame")


def type_and_press():
    with pt.start_app(WINDOW + ["Typing"]) as app:
        pt.set_text(pt.find(app.node, "Account name", role="text"), "typed-by-test")
        pt.activate(pt.find(app.node, "Send", role="push button"))
        result = pt.find(app.node, "Result", role="label")
        pt.wait_until(lambda: result.text == "Pressed with typed-by-test",
                      what="the label showing the typed text")


def screenshots():
    with pt.start_app(WINDOW + ["Screenshot"]) as app:
        pt.find(app.node, "Send", role="push button")
        window = pt.screenshot("harness-window", app.node)
        screen = pt.screenshot("harness-screen")
    assert os.path.dirname(window) == os.environ["PIGEON_TEST_ARTIFACTS"]
    width, height = png_size(window)
    assert 200 <= width < 1280 and 80 <= height < 1024, (width, height)
    assert png_size(screen) == (1280, 1024), png_size(screen)


def missing_widget_is_described():
    with pt.start_app(WINDOW + ["Missing"]) as app:
        try:
            pt.find(app.node, "No such widget", timeout=0.5)
        except AssertionError as e:
            message = str(e)
        else:
            raise AssertionError("find() returned a widget that does not exist")
    assert "No such widget" in message and "'Account name'" in message, message


def app_that_dies_is_reported():
    try:
        pt.start_app(["/bin/sh", "-c", "exit 3"], timeout=5)
    except AssertionError as e:
        assert "exited with status 3" in str(e), str(e)
    else:
        raise AssertionError("start_app() accepted a program that never showed a window")


tap.run("two windows of one program are told apart by PID", two_windows_told_apart)
tap.run("typing and pressing through AT-SPI", type_and_press)
tap.run("screenshots of a window and of the screen", screenshots)
tap.run("a missing widget is reported with the tree", missing_widget_is_described)
tap.run("a program that exits early is reported", app_that_dies_is_reported)
tap.finish()
