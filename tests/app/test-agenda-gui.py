#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The agenda below the folders: an event created over CalDAV on the SOGo server shows
under "Upcoming" when the ActiveSync account is picked, and nothing shows for an account
whose server keeps no calendar."""
import datetime
import os
import subprocess
import sys

import pigeon_test as pt

pt.require()
tap = pt.Tap()
BUILD = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
PIGEONCTL = os.path.join(BUILD, "src", "cli", "pigeonctl")
HELPER = os.path.join(os.environ.get("PIGEON_TEST_SOURCE_ROOT", "."), "tests", "providers",
                      "activesync", "sogo_helper.py")
USER = "kim"


def ctl(config, data, *args, input=None):
    result = subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data] + list(args),
                            input=input, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def put_event(summary, location, start):
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pigeon//Test//EN\r\nBEGIN:VEVENT\r\n"
           "UID:pigeon-agenda-%d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\n"
           "DURATION:PT1H\r\nSUMMARY:%s\r\nLOCATION:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
           % (os.getpid(), start.strftime("%Y%m%dT%H0000Z"), summary, location))
    path = pt.artifact_path("agenda-event-%d.ics" % os.getpid())
    with open(path, "w") as f:
        f.write(ics)
    url = "%s/%s/Calendar/personal/pigeon-agenda-%d.ics" % (os.environ["PIGEON_TEST_SOGO_DAV"],
                                                           USER, os.getpid())
    subprocess.run([sys.executable, HELPER, "dav-put", url, USER, path], check=True,
                   capture_output=True, timeout=60)
    os.unlink(path)


def click_cell(app, name):
    from dogtail import rawinput
    tree = pt.find(app.node, "Folders", role="tree table")
    cell = pt.wait_until(lambda: next((c for c in pt.find_all(tree, role="table cell")
                                       if c.name == name), None),
                         timeout=60, what="the %s row in the sidebar" % name)
    x, y, width, height = cell.extents
    rawinput.click(x + width // 2, y + height // 2)


def upcoming_event_shows():
    config, data = pt.make_dirs()
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    put_event("Pigeon agenda review", "Room 7", start)
    ctl(config, data, "account", "add", "--name", "Exchange", "--email",
        "%s@example.test" % USER, "--protocol", "activesync", "--host",
        os.environ["PIGEON_TEST_SOGO_URL"], "--security", "none", "--user", USER,
        "--password-stdin", input="secret-%s\n" % USER)
    ctl(config, data, "sync", "Exchange")

    with pt.start_pigeon(config, data) as app:
        click_cell(app, "Inbox")
        events = pt.find(app.node, "Upcoming events", timeout=20)
        pt.wait_until(lambda: any("Pigeon agenda review" in (n.name or "")
                                  for n in pt.find_all(events, role="label")),
                      timeout=30, what="the event in the agenda")
        assert any("Room 7" in (n.name or "") for n in pt.find_all(events, role="label"))
        pt.screenshot("agenda-upcoming", app.node)


tap.run("an event on the server shows under Upcoming", upcoming_event_shows)
tap.finish()
