#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A big message on an ActiveSync account (the harness SOGo): it opens as its text with the
inline image shown, its 2 MiB attachment is listed like any other while it stays on the
server, and Open downloads it, hands the application the very bytes that were sent, and
keeps it: pigeonctl then finds it in the stored message."""
import base64
import email
import email.utils
import json
import os
import random
import subprocess
import sys
import time

import pigeon_test as pt
import reading_mail as rm

pt.require()
tap = pt.Tap()
BUILD = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
PIGEONCTL = os.path.join(BUILD, "src", "cli", "pigeonctl")
HELPER = os.path.join(os.environ.get("PIGEON_TEST_SOURCE_ROOT", "."), "tests", "providers",
                      "activesync", "sogo_helper.py")
USER = "kim"
BIG_SIZE = 2 * 1024 * 1024 + 4321
LOGO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAADnklEQVR42hXUqxpFERSF0Z1lWZZlWZZlWZZlWZZlWf6z"
    "LHuO43iA8Vm3+X0f4kN+qA/9YT7sh/vwH+EjfqSP/FE+6kf76B/jY36sDz72x/m4H98nEAIpUAItMAIrcAIvCIIoSIIs"
    "KIIqaIIuGIIpWAIEW3AEVzxIIiRSoiRaYiRW4iReEiRRkiRZUiRV0iRdMiRTsiRItuRIrnyQQiikQim0wiiswim8Iiii"
    "Iimyoiiqoim6YiimYilQbMVRXPUgjdBIjdJojdFYjdN4TdBETdJkTdFUTdN0zdBMzdKg2ZqjufpBBmGQBmXQBmOwBmfw"
    "hmCIhmTIhmKohmbohmGYhmXAsA3HcM2DLMIiLcqiLcZiLc7iLcESLcmSLcVSLc3SLcMyLcuCZVuO5doHOYRDOpRDO4zD"
    "OpzDO4IjOpIjO4qjOpqjO4ZjOpYDx3Ycx3UP8giP9CiP9hiP9TiP9wRP9CRP9hRP9TRP9wzP9CwPnu05nusfFBABGVAB"
    "HTABG3ABHwiBGEiBHCiBGmiBHhiBGVgBAjtwAjc8KCIiMqIiOmIiNuIiPhIiMZIiOVIiNdIiPTIiM7IiRHbkRG58UEIk"
    "ZEIldMIkbMIlfCIkYiIlcqIkaqIlemIkZmIlSOzESdz0oIzIyIzK6IzJ2IzL+EzIxEzK5EzJ1EzL9MzIzMzKkNmZk7n5"
    "QQVRkAVV0AVTsAVX8IVQiIVUyIVSqIVW6IVRmIVVoLALp3DLgyqiIiuqoiumYiuu4iuhEiupkiulUiut0iujMiurQmVX"
    "TuXWBzVEQzZUQzdMwzZcwzdCIzZSIzdKozZaozdGYzZWg8ZunMZtD+qIjuyoju6Yju24ju+ETuykTu6UTu20Tu+MzJys"
    "Dp3dOZ3bHzQQAzlQAz0wAztwAz8IgzhIgzwogzpogz4YgzlYAwZ7cAZ3PGgiJnKiJnpiJnbiJn4SJnGSJnlSJnXSJn0y"
    "JnOyJkz25EzufNBCLORCLfTCLOzCLfwiLOIiLfKiLOqiLfpiLOZiLVjsxVnc9aB/YL6oeyH14uUFwzvpd4zvjN4BvNV9"
    "S/fW5Q36jeg197XlFfS+8pD/23Dgvvj+NmIjN2qjN2ZjN27jN2ETN2mTN2VTN23TN2MzN2v/mb05m7sfdBAHeVAHfTAH"
    "e3AHfwiHeEiHfCiHemiHfhiHeVjn/5l9OId7HnQRF3lRF30xF3txF38Jl3hJl3wpl3ppl34Zl3lZ91/SvpzLvfwAj0rH"
    "rlvy/HQAAAAASUVORK5CYII=")


def ctl(config, data, *args, input=None):
    result = subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data] + list(args),
                            input=input, capture_output=True, timeout=120)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def big_message(subject, big):
    big64 = base64.encodebytes(big).decode().replace("\n", "\r\n")
    logo64 = base64.encodebytes(LOGO).decode().replace("\n", "\r\n")
    return ("From: Bob <bob@example.test>\r\nTo: <%s@example.test>\r\nSubject: %s\r\n"
            "Date: %s\r\nMessage-ID: <gui-big-%d@example.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            "--outer\r\nContent-Type: multipart/related; boundary=\"rel\"; type=\"text/html\"\r\n"
            "\r\n--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            "<html><body><h1>Quarterly figures</h1><p>The report is attached.</p>"
            "<p><img src=\"cid:logo@pigeon.test\" alt=\"logo\"></p></body></html>\r\n"
            "--rel\r\nContent-Type: image/png\r\nContent-Disposition: inline; "
            "filename=\"logo.png\"\r\nContent-ID: <logo@pigeon.test>\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--rel--\r\n"
            "--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
            "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--outer--\r\n"
            % (USER, subject, email.utils.formatdate(), os.getpid(), logo64,
               big64)).encode()


def send(subject, big):
    path = pt.artifact_path("attachment-on-server-%d.eml" % os.getpid())
    with open(path, "wb") as f:
        f.write(big_message(subject, big))
    subprocess.run([sys.executable, HELPER, "send-file", "bob@example.test",
                    "%s@example.test" % USER, path], check=True, capture_output=True,
                   timeout=60)
    os.unlink(path)

    def arrived():
        out = subprocess.run([sys.executable, HELPER, "imap", USER, "INBOX"], check=True,
                             capture_output=True, text=True, timeout=60).stdout
        return subject in out
    pt.wait_until(arrived, timeout=30, interval=0.3, what="the message reaching the server")


def click_cell(app, name):
    from dogtail import rawinput
    tree = pt.find(app.node, "Folders", role="tree table")
    cell = pt.wait_until(lambda: next((c for c in pt.find_all(tree, role="table cell")
                                       if c.name == name), None),
                         timeout=60, what="the %s row in the sidebar" % name)
    x, y, width, height = cell.extents
    rawinput.click(x + width // 2, y + height // 2)




def body_document(app):
    body = pt.find(app.node, "Message body", showing=False)
    return pt.wait_until(lambda: body.findChild(lambda n: n.roleName == "document web",
                                                retry=False, requireResult=False,
                                                showingOnly=False),
                         timeout=30, what="the message body's document")


def find_in(node, name, role, timeout=20):
    return pt.wait_until(lambda: node.findChild(
        lambda n: n.name == name and n.roleName == role, retry=False, requireResult=False,
        showingOnly=False), timeout=timeout, what="%s %r" % (role, name))


def open_downloads_and_keeps():
    config, data = pt.make_dirs()
    subject = "Quarterly figures %d" % os.getpid()
    big = random.Random(20261126).randbytes(BIG_SIZE)
    send(subject, big)
    ctl(config, data, "account", "add", "--name", "Exchange", "--email",
        "%s@example.test" % USER, "--protocol", "activesync", "--host",
        os.environ["PIGEON_TEST_SOGO_URL"], "--security", "none", "--user", USER,
        "--password-stdin", input=("secret-%s\n" % USER).encode())
    ctl(config, data, "sync", "Exchange")

    app, opened = rm.start_reader(config, data)
    with app:
        click_cell(app, "Inbox")
        rm.select_row(app, subject)
        document = body_document(app)
        find_in(document, "Quarterly figures", "heading")
        # The inline image came with the text: cid: resolves.
        find_in(document, "logo", "image")
        attachments = pt.find(app.node, "Attachments", showing=False)
        button = pt.wait_until(lambda: attachments.findChild(
            lambda n: n.name.startswith("Attachment report.pdf"), retry=False,
            requireResult=False, showingOnly=False), what="the attachment's button")
        # Listed with the server's estimate, in megabytes.
        assert "MB" in button.name, button.name
        time.sleep(0.5)
        pt.screenshot("attachment-on-server", app.node)
        # View Source shows what is stored, and says the attachment is still on the server.
        pt.activate(pt.find(app.node, "Message Menu", role="toggle button"))
        pt.activate(pt.find(app.node, "View Source", role="push button"))
        source = pt.find(app.node, "Message source", role="text")
        pt.wait_until(lambda: "X-Pigeon-Partial:" in source.text, what="the source text")
        assert "message/external-body" in source.text
        assert "report.pdf" in source.text

        pt.activate(button)
        pt.activate(pt.find(app.node, "Open", role="push button"))
        path = pt.wait_until(lambda: os.path.exists(opened) and open(opened).read().split(),
                             timeout=60, what="the attachment opened")[-1]
        assert os.path.basename(path) == "report.pdf", path
        with open(path, "rb") as f:
            assert f.read() == big
        pt.screenshot("attachment-on-server-downloaded", app.node)

    # pigeonctl: the text as ever, and the stored message now holds the attachment.
    rows = [json.loads(line) for line in ctl(config, data, "list", "Exchange", "INBOX",
                                             "--json").decode().splitlines()]
    row = next(r for r in rows if r["subject"] == subject)
    text = ctl(config, data, "show", "Exchange", "INBOX", str(row["id"])).decode()
    assert "The report is attached." in text, text
    raw = ctl(config, data, "show", "Exchange", "INBOX", str(row["id"]), "--raw")
    assert b"x-pigeon-server" not in raw
    stored = email.message_from_bytes(raw)
    part = next(p for p in stored.walk() if p.get_filename() == "report.pdf")
    assert part.get_payload(decode=True) == big


tap.run("a big message opens as its text and its attachment downloads on Open",
        open_downloads_and_keeps)
tap.finish()
