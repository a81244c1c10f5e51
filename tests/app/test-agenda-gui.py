#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The agenda below the folders: an event created over CalDAV on the SOGo server shows
under "Upcoming" when the ActiveSync account is picked, a weekly one at its next dates with
a repeat marker, and nothing shows for an account whose server keeps no calendar."""
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


def put_event(summary, location, start, uid="pigeon-agenda", extra=""):
    uid = "%s-%d" % (uid, os.getpid())
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Pigeon//Test//EN\r\nBEGIN:VEVENT\r\n"
           "UID:%s\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\n%s"
           "DURATION:PT1H\r\nSUMMARY:%s\r\nLOCATION:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
           % (uid, start.strftime("%Y%m%dT%H0000Z"), extra, summary, location))
    path = pt.artifact_path("agenda-event-%s.ics" % uid)
    with open(path, "w") as f:
        f.write(ics)
    url = "%s/%s/Calendar/personal/%s.ics" % (os.environ["PIGEON_TEST_SOGO_DAV"], USER, uid)
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


def add_account_and_sync(config, data):
    ctl(config, data, "account", "add", "--name", "Exchange", "--email",
        "%s@example.test" % USER, "--protocol", "activesync", "--host",
        os.environ["PIGEON_TEST_SOGO_URL"], "--security", "none", "--user", USER,
        "--password-stdin", input="secret-%s\n" % USER)
    ctl(config, data, "sync", "Exchange")


def upcoming_event_shows():
    config, data = pt.make_dirs()
    start = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
    put_event("Pigeon agenda review", "Room 7", start)
    add_account_and_sync(config, data)

    with pt.start_pigeon(config, data) as app:
        click_cell(app, "Inbox")
        events = pt.find(app.node, "Upcoming events", timeout=20)
        pt.wait_until(lambda: any("Pigeon agenda review" in (n.name or "")
                                  for n in pt.find_all(events, role="label")),
                      timeout=30, what="the event in the agenda")
        assert any("Room 7" in (n.name or "") for n in pt.find_all(events, role="label"))
        pt.screenshot("agenda-upcoming", app.node)


def day_text(when):
    """The agenda's heading for a start WHEN (local), as pigeon-agenda-view.c words it."""
    days = (when.date() - datetime.date.today()).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    return when.strftime("%a %-d %b")


def recurring_event_shows():
    """A weekly meeting created 30 weeks ago shows at its next dates, marked as repeating."""
    config, data = pt.make_dirs()
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=10, minute=0, second=0,
                                                                 microsecond=0)
    nxt = today + datetime.timedelta(days=1)
    first = nxt - datetime.timedelta(weeks=30)
    byday = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first.weekday()]
    put_event("Weekly sync", "Room 3", first, uid="pigeon-weekly",
              extra="RRULE:FREQ=WEEKLY;BYDAY=%s\r\n" % byday)
    add_account_and_sync(config, data)

    local = nxt.astimezone()
    heading = "%s · %s – %s" % (day_text(local), local.strftime("%H:%M"),
                                (local + datetime.timedelta(hours=1)).strftime("%H:%M"))
    with pt.start_pigeon(config, data) as app:
        click_cell(app, "Inbox")
        events = pt.find(app.node, "Upcoming events", timeout=20)

        def weekly_rows():
            return [n for n in pt.find_all(events, role="list item")
                    if (n.name or "").startswith("Weekly sync, repeats weekly")]
        rows = pt.wait_until(weekly_rows, timeout=30, what="the weekly event in the agenda")
        names = [n.name for n in rows]
        # its next date first (not the one 30 weeks ago), then the following weeks
        assert names[0] == "Weekly sync, repeats weekly, %s, Room 3" % heading, names
        assert 2 <= len(rows) <= 3, names
        assert pt.find_all(rows[0], name="Repeats weekly"), "no repeat marker on the row"
        pt.screenshot("agenda-recurring", app.node)


tap.run("an event on the server shows under Upcoming", upcoming_event_shows)
tap.run("a weekly event shows its next dates, marked as repeating", recurring_event_shows)
tap.finish()
