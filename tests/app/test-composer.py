#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The composer driven through AT-SPI against the harness Postfix and Dovecot: typing
recipients, subject and body and attaching a file delivers them byte for byte (non-ASCII in
all three) with the copy in Sent; undo stops delivery; a draft survives the program being
killed; a reply quotes and threads; the outbox waits while the server is away and sends once
it is back; a typed line break forges no header; a forgotten attachment is caught; typed
names are completed; rich text, send later and the signature.  The account is IMAP when that
provider is built, else POP3 (the first argument says which).  Each test makes its own
users."""
import email
import email.policy
import os
import signal
import subprocess
import sys
import time

import pigeon_dogtail  # noqa: F401  (before dogtail: keeps it out of /tmp)
import pigeon_test as pt
from dogtail import rawinput

H = pt.require()
sys.path.insert(0, os.path.join(os.environ.get("PIGEON_TEST_SOURCE_ROOT", "."), "tests",
                                "providers", "smtp"))
from smtp_checks import (PROTOCOL, add_account, assert_exactly_one, ctl,  # noqa: E402
                         fetch_all, listed, outbox, parts, sent_copy, wait_for, with_token)
from smtp_proxy import SmtpProxy, free_port  # noqa: E402

import reading_mail as rm  # noqa: E402

tap = pt.Tap()
SUBJECT = "Grüße zum Frühstück — 日本語 ✓"
BODY = "Hallo Bob,\n\nanbei die Übersicht für Köln.\n\nZoë"
ATTACHMENT = "Übersicht «März» — naïve.bin"


class Pigeon:
    """A running Pigeon; once stopped, what it logged holds no GLib or GTK warning or
    critical (unless the test failed anyway, or killed it on purpose)."""

    def __init__(self, app):
        self.app = app
        self.killed = False

    def __enter__(self):
        return self

    def __getattr__(self, name):
        return getattr(self.app, name)

    def kill(self):
        self.killed = True
        self.app.process.send_signal(signal.SIGKILL)
        self.app.process.wait()

    def __exit__(self, *exc):
        self.app.stop()
        with open(self.app.log_path, errors="replace") as f:
            bad = [line for line in f if "-CRITICAL" in line or "-WARNING" in line]
        if exc[0] is None:
            assert not bad, "Pigeon complained:\n" + "".join(bad)
        return False


def start(dirs, undo_delay=3):
    """Pigeon on DIRS, with settings of the test's own (the undo delay; a file chooser that
    opens in the working directory, the one above DIRS)."""
    config, data = dirs
    home = os.path.join(os.path.dirname(config), "settings")
    os.makedirs(os.path.join(home, "glib-2.0", "settings"), exist_ok=True)
    with open(os.path.join(home, "glib-2.0", "settings", "keyfile"), "w") as f:
        f.write("[io/github/pigeonmail/Pigeon]\nundo-send-delay=%d\n\n"
                "[org/gtk/settings/file-chooser]\nstartup-mode='cwd'\n" % undo_delay)
    env = dict(os.environ, GSETTINGS_BACKEND="keyfile", XDG_CONFIG_HOME=home)
    schemas = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "data")
    if os.path.isfile(os.path.join(schemas, "gschemas.compiled")):
        env["GSETTINGS_SCHEMA_DIR"] = schemas
    here = os.getcwd()
    os.chdir(os.path.dirname(config))
    try:
        return Pigeon(pt.start_app([os.path.abspath(os.path.join(here, pt.pigeon_binary())),
                                    "--config-dir", config, "--data-dir", data], env=env))
    finally:
        os.chdir(here)


def open_composer(app):
    pt.activate(pt.find(app.node, "Compose", role="push button"))
    return pt.find(app.node, "New Message", role="frame")


def fill(composer, to, subject, body):
    pt.set_text(pt.find(composer, "To", role="text"), to)
    pt.set_text(pt.find(composer, "Subject", role="text"), subject)
    pt.set_text(pt.find(composer, "Message body", role="text"), body)


def find_frame(app, title, timeout=10):
    return pt.find(app.node, title, role="frame", timeout=timeout)


def attach(app, composer, path):
    """Attaches PATH through the file chooser, the way a person types a path into it:
    Ctrl+L opens its location field (keys go through the X server), the path is set there
    and Attach pressed."""
    pt.activate(pt.find(composer, "Attach Files", role="push button"))
    chooser = pt.find(app.node, "Attach Files", role="file chooser")
    x, y, width, height = pt.find(chooser, "Files", role="table").extents
    rawinput.click(x + width // 2, y + height - 10)          # the keyboard goes there
    rawinput.keyCombo("<ctrl>l")
    location = pt.wait_until(lambda: pt.find_all(chooser, role="text"),
                             what="the file chooser's location field")[0]
    pt.set_text(location, path)
    pt.activate(pt.find(chooser, "Attach", role="push button"))
    pt.find(composer, "Remove %s" % os.path.basename(path), role="push button")


def label_starting(node, prefix, timeout=20):
    return pt.wait_until(lambda: [n for n in pt.find_all(node, role="label")
                                  if n.name.startswith(prefix)],
                         timeout=timeout, what="a label starting with %r" % prefix)[0]


def activate_action(name, *target):
    """An application action over D-Bus, as a desktop shell or the reading window calls it."""
    parameter = "[<(%s)>]" % ", ".join(target) if target else "[]"
    result = subprocess.run(["gdbus", "call", "--session", "--dest", "io.github.pigeonmail.Pigeon",
                             "--object-path", "/io/github/pigeonmail/Pigeon", "--method",
                             "org.gtk.Actions.Activate", name, parameter, "{}"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def account_id(dirs):
    listed = ctl(dirs, "account", "list")
    return listed.stdout.decode().split("\t")[0]


# ------------------------------------------------------------------------------ tests
def compose_and_send():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    assert ctl(dirs, "sync", "Mine").returncode == 0
    token = "gui-send-%d" % os.getpid()
    path = os.path.join(os.path.dirname(dirs[0]), ATTACHMENT)
    data = bytes((i * 13 + 7) & 0xFF for i in range(50000))
    with open(path, "wb") as f:
        f.write(data)

    with start(dirs) as app:
        composer = open_composer(app)
        fill(composer, "Bob Example <%s>" % pt.address(bob), "%s %s" % (SUBJECT, token), BODY)
        attach(app, composer, path)
        # one too many, taken off again
        extra = os.path.join(os.path.dirname(dirs[0]), "not-this-one.txt")
        with open(extra, "w") as f:
            f.write("wrong file\n")
        attach(app, composer, extra)
        pt.activate(pt.find(composer, "Remove not-this-one.txt", role="push button"))
        pt.wait_until(lambda: not pt.find_all(composer, role="push button",
                                              name="Remove not-this-one.txt"),
                      what="the second attachment going")
        time.sleep(0.5)                                         # the attachments slide in
        pt.screenshot("composer", composer)
        pt.activate(pt.find(composer, "Send", role="push button"))
        # The window goes; the main window offers to take it back while it waits.
        label_starting(app.node, "Sending “%s %s”" % (SUBJECT, token))
        pt.find(app.node, "Undo", role="push button")
        pt.screenshot("composer-sending", app.node)
        (delivered,) = wait_for(bob, bob_pw, token, timeout=30)
        pt.wait_until(lambda: outbox(dirs) == [], what="the outbox emptying")

    message, body, attachments = parts(delivered)
    assert message["Subject"] == "%s %s" % (SUBJECT, token), message["Subject"]
    assert message["To"] == "Bob Example <%s>" % pt.address(bob), message["To"]
    assert message["From"] == "Zoë Çelik <%s>" % pt.address(alice), message["From"]
    assert body.rstrip("\n") == BODY, repr(body)
    assert attachments == [(ATTACHMENT, data)], [a[0] for a in attachments]
    # The copy in Sent: in the store at once (and on an IMAP server once the queue is
    # replayed), as delivered.
    assert any(token in (m["subject"] or "") for m in listed(dirs, "Sent"))
    copy = sent_copy(dirs, alice, alice_pw, token)
    assert delivered.endswith(copy), "the copy in Sent differs from what was delivered"


def undo_send():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-undo-%d" % os.getpid()
    with start(dirs, undo_delay=6) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "Undo me %s" % token, "Never mind.")
        pt.activate(pt.find(composer, "Send", role="push button"))
        pt.activate(pt.find(app.node, "Undo", role="push button"))
        # Back in a composer, as it was.
        again = find_frame(app, "Undo me %s" % token)
        assert pt.find(again, "To", role="text").text == pt.address(bob)
        assert pt.find(again, "Message body", role="text").text == "Never mind."
        time.sleep(9)
        assert with_token(fetch_all(bob, bob_pw), token) == []
        assert [e for e in outbox(dirs) if e["state"] != "cancelled"] == []


def draft_survives_kill():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-draft-%d" % os.getpid()
    with start(dirs) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "Draft %s" % token, "Half a thought, ünd more")
        # Saved while typing, every few seconds.
        label_starting(composer, "Draft saved at")
        app.kill()

    (draft,) = [m for m in listed(dirs, "Drafts") if token in (m["subject"] or "")]
    assert "draft" in draft["flags"], draft
    if PROTOCOL == "imap":
        # Saved again and again, on the server it is one draft.
        assert ctl(dirs, "sync", "Mine").returncode == 0
        assert len(with_token(fetch_all(alice, alice_pw, "Drafts"), token)) == 1
        (draft,) = [m for m in listed(dirs, "Drafts") if token in (m["subject"] or "")]
    with start(dirs) as app:
        activate_action("open-draft", "'%s'" % account_id(dirs), "int64 %d" % draft["id"])
        composer = find_frame(app, "Draft %s" % token)
        assert pt.find(composer, "To", role="text").text == pt.address(bob)
        assert pt.find(composer, "Message body", role="text").text == "Half a thought, ünd more"
        pt.activate(pt.find(composer, "Send", role="push button"))
        wait_for(bob, bob_pw, token, timeout=30)
        # Sent: the draft is gone.
        pt.wait_until(lambda: not [m for m in listed(dirs, "Drafts")
                                   if token in (m["subject"] or "")],
                      what="the draft leaving Drafts")
    if PROTOCOL == "imap":
        assert ctl(dirs, "sync", "Mine").returncode == 0
        assert with_token(fetch_all(alice, alice_pw, "Drafts"), token) == []


def draft_saved_on_close():
    alice, alice_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-close-%d" % os.getpid()
    with start(dirs) as app:
        composer = open_composer(app)
        fill(composer, "someone@example.test, half-typ", "Closed %s" % token, "Later, maybe.")
        pt.activate(pt.find(composer, "Close", role="push button"))
        pt.wait_until(lambda: [m for m in listed(dirs, "Drafts") if token in (m["subject"] or "")],
                      what="the draft saved on close")
        # Reopened, it is as it was, half-typed address and all.
        (draft,) = [m for m in listed(dirs, "Drafts") if token in (m["subject"] or "")]
        activate_action("open-draft", "'%s'" % account_id(dirs), "int64 %d" % draft["id"])
        again = find_frame(app, "Closed %s" % token)
        assert pt.find(again, "To", role="text").text == "someone@example.test, half-typ"
        assert pt.find(again, "Message body", role="text").text == "Later, maybe."


def reply_quotes_and_threads():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-reply-%d" % os.getpid()
    pt.deliver(alice, ("From: Bob Example <%s>\r\nTo: %s\r\nSubject: Lunch %s\r\n"
                       "Message-ID: <%s@example.test>\r\nDate: Fri, 01 Mar 2024 10:00:00 +0000\r\n"
                       "\r\nShall we eat at the café?\r\n" % (pt.address(bob), pt.address(alice),
                                                              token, token)))
    assert ctl(dirs, "sync", "Mine").returncode == 0
    (original,) = [m for m in listed(dirs, "INBOX") if token in (m["subject"] or "")]
    with start(dirs) as app:
        # What the reading window's Reply button activates.
        activate_action("reply", "'%s'" % account_id(dirs), "int64 %d" % original["id"])
        composer = find_frame(app, "Re: Lunch %s" % token)
        to = pt.find(composer, "To", role="text")
        assert to.text == "Bob Example <%s>" % pt.address(bob), to.text
        body = pt.find(composer, "Message body", role="text")
        assert "wrote:\n> Shall we eat at the café?" in body.text, body.text
        body.text = "Yes, at noon.\n\n" + body.text
        pt.activate(pt.find(composer, "Send", role="push button"))
        (reply,) = wait_for(bob, bob_pw, "Re: Lunch %s" % token, timeout=30)

    message = email.message_from_bytes(reply, policy=email.policy.default)
    assert message["In-Reply-To"] == "<%s@example.test>" % token, message["In-Reply-To"]
    assert "<%s@example.test>" % token in message["References"], message["References"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Yes, at noon."), text
    assert "> Shall we eat at the café?" in text, text
    # The original is marked answered.
    (answered,) = [m for m in listed(dirs, "INBOX") if token in (m["subject"] or "")]
    assert "answered" in answered["flags"], answered


def forward_as_attachment():
    alice, alice_pw = pt.new_user()
    bob, _ = pt.new_user()
    carol, carol_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-forward-%d" % os.getpid()
    pt.deliver(alice, ("From: Bob Example <%s>\r\nTo: %s\r\nSubject: Plan %s\r\n"
                       "Message-ID: <%s@example.test>\r\nDate: Fri, 01 Mar 2024 10:00:00 +0000\r\n"
                       "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: 8bit\r\n"
                       "\r\nThe plan, ünchanged.\r\n" % (pt.address(bob), pt.address(alice), token,
                                                         token)))
    assert ctl(dirs, "sync", "Mine").returncode == 0
    (original,) = [m for m in listed(dirs, "INBOX") if token in (m["subject"] or "")]
    with start(dirs, undo_delay=1) as app:
        activate_action("forward-attachment", "'%s'" % account_id(dirs),
                        "int64 %d" % original["id"])
        composer = find_frame(app, "Fwd: Plan %s" % token)
        pt.find(composer, "Remove Plan %s.eml" % token, role="push button")
        pt.set_text(pt.find(composer, "To", role="text"), pt.address(carol))
        pt.activate(pt.find(composer, "Send", role="push button"))
        (delivered,) = wait_for(carol, carol_pw, "Fwd: Plan %s" % token, timeout=30)

    message = email.message_from_bytes(delivered, policy=email.policy.default)
    # a forward, not a reply: References end with the original (what ActiveSync's
    # SmartForward goes by), and there is no In-Reply-To
    assert message["In-Reply-To"] is None, message["In-Reply-To"]
    assert message["References"].split()[-1] == "<%s@example.test>" % token, message["References"]
    (attached,) = [part for part in message.walk() if part.get_content_type() == "message/rfc822"]
    inner = attached.get_content()
    assert inner["Subject"] == "Plan %s" % token, inner["Subject"]
    assert inner["Message-ID"] == "<%s@example.test>" % token, inner["Message-ID"]
    assert "The plan, ünchanged." in inner.get_content(), inner.get_content()
    (forwarded,) = [m for m in listed(dirs, "INBOX") if token in (m["subject"] or "")]
    assert "forwarded" in forwarded["flags"], forwarded


def waits_while_server_away():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    port = free_port(H)
    dirs = add_account(alice, alice_pw, smtp_port=port, smtp_security="none")
    token = "gui-away-%d" % os.getpid()
    proxy = None
    try:
        with start(dirs, undo_delay=1) as app:
            composer = open_composer(app)
            fill(composer, pt.address(bob), "Away %s" % token, "Wait for me.")
            pt.activate(pt.find(composer, "Send", role="push button"))
            label_starting(app.node, "1 message waiting to be sent")
            pt.screenshot("composer-waiting", app.node)
            assert [e["state"] for e in outbox(dirs)] == ["queued"]
            assert with_token(fetch_all(bob, bob_pw), token) == []

            proxy = SmtpProxy(H, port=port)
            pt.activate(pt.find(app.node, "Send Now", role="push button"))
            assert_exactly_one(bob, bob_pw, token)
            pt.wait_until(lambda: outbox(dirs) == [], what="the outbox emptying")
    finally:
        if proxy is not None:
            proxy.close()


def no_header_injection():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    carol, carol_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-inject-%d" % os.getpid()
    with start(dirs, undo_delay=1) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob),
             "Hello %s\r\nBcc: %s\r\nX-Injected: yes" % (token, pt.address(carol)), "Body")
        pt.activate(pt.find(composer, "Send", role="push button"))
        (delivered,) = wait_for(bob, bob_pw, token, timeout=30)
    header = delivered.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in header and b"\r\nX-Injected:" not in header, header
    message = email.message_from_bytes(delivered, policy=email.policy.default)
    assert "\n" not in message["Subject"] and token in message["Subject"], message["Subject"]
    time.sleep(2)
    assert with_token(fetch_all(carol, carol_pw), token) == []


def forgotten_attachment():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-forgot-%d" % os.getpid()
    with start(dirs) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "Forgot %s" % token, "Please see the attached plan.")
        pt.activate(pt.find(composer, "Send", role="push button"))
        question = pt.find(app.node, "Send without an attachment?", role="label").parent
        while question is not None and question.roleName not in ("alert", "dialog"):
            question = question.parent
        pt.screenshot("composer-forgotten-attachment", question)
        pt.activate(pt.find(question, "Cancel", role="push button"))
        # Still there, nothing sent.
        find_frame(app, "Forgot %s" % token)
        assert outbox(dirs) == []


def completes_addresses():
    alice, alice_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    pt.deliver(alice, "From: Jörg Müller <jorg.mueller@example.test>\r\nTo: %s\r\n"
                      "Subject: hello\r\n\r\nhi\r\n" % pt.address(alice))
    assert ctl(dirs, "sync", "Mine").returncode == 0
    with start(dirs) as app:
        composer = open_composer(app)
        to = pt.find(composer, "To", role="text")
        x, y, width, height = to.extents
        rawinput.click(x + width // 2, y + height // 2)        # the field has the keyboard
        pt.set_text(to, "ann@example.test, Mül")
        pt.find(app.node, "Jörg Müller <jorg.mueller@example.test>", role="label")
        pt.screenshot("composer-completion", composer)
        # Down picks it, Enter takes it in place of what was typed.
        rawinput.keyCombo("Down")
        rawinput.keyCombo("Return")
        pt.wait_until(lambda: to.text == ("ann@example.test, Jörg Müller "
                                          "<jorg.mueller@example.test>, "),
                      what="the suggestion taking the place of “Mül”")


def selected_text(editor):
    """What is selected inside the web editor, through AT-SPI's text interface."""
    found = []

    def walk(node, depth=0):
        if depth > 8:
            return
        try:
            text = node.queryText()
            for i in range(text.getNSelections()):
                start, end = text.getSelection(i)
                found.append(text.getText(start, end))
        except NotImplementedError:
            pass
        for child in node.children:
            walk(child, depth + 1)
    walk(editor)
    return "".join(found)


def rich_text_alternative():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-rich-%d" % os.getpid()
    with start(dirs, undo_delay=1) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "Rich %s" % token, "Bold words from Zoë")
        pt.activate(pt.find(composer, "Composer Menu", role="toggle button"))
        pt.activate(pt.find(app.node, "Rich Text", role="check box"))
        pt.find(composer, "Bold", role="push button")      # the formatting bar is there
        editor = pt.find(composer, "", role="document web")   # the page being edited
        # Click only once the page holds the text typed before the switch, or the click
        # and Ctrl+A land on a page that is still loading.
        paragraph = pt.wait_until(
            lambda: editor.findChild(lambda n: "Bold words from Zoë" in (n.text or ""),
                                     retry=False, requireResult=False, showingOnly=False),
            what="the typed text in the rich-text editor")
        x, y, width, height = paragraph.extents
        rawinput.click(x + 10, y + height // 2)
        # Ctrl+A selects in the editor only once the click has given it the keyboard.
        pt.wait_until(lambda: editor.focused or editor.findChild(
                          lambda n: n.focused, retry=False, requireResult=False,
                          showingOnly=False) is not None,
                      what="the editor taking the keyboard")
        rawinput.keyCombo("<ctrl>a")
        pt.wait_until(lambda: "Bold words from Zoë" in selected_text(editor),
                      what="the text being selected")
        pt.activate(pt.find(composer, "Bold", role="push button"))
        time.sleep(0.5)
        pt.screenshot("composer-rich-text", composer)
        pt.activate(pt.find(composer, "Send", role="push button"))
        (delivered,) = wait_for(bob, bob_pw, token, timeout=30)

    message = email.message_from_bytes(delivered, policy=email.policy.default)
    assert message.get_content_type() == "multipart/alternative", message.get_content_type()
    plain = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Bold words from Zoë" in plain, plain
    assert "<b>Bold words from Zoë</b>" in html, html


def signature_below():
    alice, alice_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    with open(os.path.join(dirs[0], "accounts.ini"), "a") as f:
        f.write("signature=Zoë Çelik\\nPigeon Mail\n")
    with start(dirs) as app:
        composer = open_composer(app)
        body = pt.find(composer, "Message body", role="text")
        assert body.text == "\n\n-- \nZoë Çelik\nPigeon Mail", repr(body.text)


def send_later():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "gui-later-%d" % os.getpid()
    with start(dirs) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "Later %s" % token, "Tomorrow is soon enough.")
        pt.activate(pt.find(composer, "Send Later", role="toggle button"))
        pt.activate(pt.find(app.node, "Schedule", role="push button"))
        label_starting(app.node, "“Later %s” will be sent on" % token)
        (entry,) = outbox(dirs)
        assert entry["state"] == "queued" and entry["attempts"] == 0, entry
        time.sleep(5)
        assert with_token(fetch_all(bob, bob_pw), token) == []
        assert outbox(dirs)[0]["state"] == "queued"


def send_from_identity():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    identity = "Alice at Work <%s.work@example.test>" % alice
    with open(os.path.join(dirs[0], "accounts.ini"), "a") as f:
        f.write("identities=%s\n" % identity)
    token = "gui-identity-%d" % os.getpid()
    with start(dirs, undo_delay=1) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "From work %s" % token, "Sent as the work address.")
        combo = pt.find(composer, "From", role="combo box")
        menu = pt.find(combo, "", role="menu", showing=False)
        names = [child.name for child in menu.children]
        assert identity in names, names
        assert combo.querySelection().selectChild(names.index(identity))
        pt.wait_until(lambda: combo.querySelection().isChildSelected(names.index(identity)),
                      what="the identity chosen in From")
        pt.activate(pt.find(composer, "Send", role="push button"))
        (delivered,) = wait_for(bob, bob_pw, token, timeout=30)
    message = email.message_from_bytes(delivered, policy=email.policy.default)
    assert message["From"].addresses[0].addr_spec == "%s.work@example.test" % alice, message["From"]
    assert message["From"].addresses[0].display_name == "Alice at Work", message["From"]


def bcc_kept_in_sent():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    carol, carol_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    assert ctl(dirs, "sync", "Mine").returncode == 0
    token = "gui-bcc-%d" % os.getpid()
    with start(dirs, undo_delay=1) as app:
        composer = open_composer(app)
        fill(composer, pt.address(bob), "Quietly %s" % token, "Carol reads along.")
        pt.activate(pt.find(composer, "Show Bcc", role="toggle button"))
        pt.set_text(pt.find(composer, "Bcc", role="text"), "Carol <%s>" % pt.address(carol))
        pt.activate(pt.find(composer, "Send", role="push button"))
        for user, password in ((bob, bob_pw), (carol, carol_pw)):
            (delivered,) = wait_for(user, password, token, timeout=30)
            header = delivered.split(b"\r\n\r\n", 1)[0]
            assert b"\nBcc:" not in header and pt.address(carol).encode() not in header, header
        # The sender's copy in Sent says who got it secretly, in the window too.
        rm.select_folder(app, "Sent")
        rm.select_row(app, "Quietly %s" % token)
        # the list names whom it went to, not the sender (always oneself here)
        assert ["To: %s\nQuietly %s" % (pt.address(bob), token)] == [
            n for n in rm.row_names(app) if token in n], rm.row_names(app)
        pt.find(app.node, "Bcc", role="label", timeout=20)
        pt.find(app.node, "Carol <%s>" % pt.address(carol), role="label")
        pt.screenshot("sent-with-bcc", app.node)
    assert b"\r\nBcc: Carol <%s>" % pt.address(carol).encode() in sent_copy(dirs, alice,
                                                                              alice_pw, token)


tap.run("compose, attach and send: delivered byte for byte, the copy in Sent", compose_and_send)
tap.run("Bcc goes to its recipient unseen; the copy in Sent and its view show it",
        bcc_kept_in_sent)
tap.run("undo send returns the message to the composer and stops delivery", undo_send)
tap.run("a draft saved while typing survives a SIGKILL and is sent from where it was",
        draft_survives_kill)
tap.run("closing the composer keeps the draft, as typed", draft_saved_on_close)
tap.run("reply quotes the message and threads the answer", reply_quotes_and_threads)
tap.run("forward as attachment carries the original whole", forward_as_attachment)
tap.run("with the server away it waits, says so, and goes once when it is back",
        waits_while_server_away)
tap.run("a line break typed in the subject forges no header", no_header_injection)
tap.run("a message that mentions an attachment without one asks first", forgotten_attachment)
tap.run("names and addresses seen in mail are offered while typing", completes_addresses)
tap.run("rich text goes as multipart/alternative with its plain text", rich_text_alternative)
tap.run("send later waits for its time", send_later)
tap.run("the account's signature goes below a new message", signature_below)
tap.run("mail goes from the identity picked in From", send_from_identity)
tap.finish()
