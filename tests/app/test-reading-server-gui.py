#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reading window on an IMAP account of the harness Dovecot: the sidebar counts the
inbox's unread mail, a selected message shows, marking it unread and deleting it reach the
server, new mail shows up live, a wrong password offers "Enter Password…", and Search on
Server finds what only the server has."""
import email.utils
import hashlib
import imaplib
import os
import ssl
import subprocess
import time

import pigeon_test as pt
import reading_mail as rm

h = pt.require()
tap = pt.Tap()


def tls_context():
    context = ssl.create_default_context(cafile=h.ca_file)
    context.check_hostname = False
    return context


def imap(user, password):
    client = imaplib.IMAP4_SSL(h.host, h.imaps_port, ssl_context=tls_context(), timeout=10)
    client.login(user, password)
    return client


def server_flags(user, password, subject, folder="INBOX"):
    """The flags of the message with SUBJECT in FOLDER, or None when it is not there."""
    client = imap(user, password)
    try:
        client.select(folder)
        status, data = client.search(None, "SUBJECT", '"%s"' % subject)
        numbers = data[0].split()
        if not numbers:
            return None
        status, data = client.fetch(numbers[0], "(FLAGS)")
        return tuple(flag.decode() for flag in imaplib.ParseFlags(data[0]))
    finally:
        client.logout()


def certificate_sha256():
    der = ssl.PEM_cert_to_DER_cert(open(h.ca_file).read())
    return hashlib.sha256(der).hexdigest()


def add_account(config, data, user, password, trust=True, extra=()):
    build = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
    pin = ["--trust-certificate", certificate_sha256()] if trust else []
    result = subprocess.run(
        [os.path.join(build, "src", "cli", "pigeonctl"), "--config-dir", config, "--data-dir",
         data, "account", "add", "--name", "Server", "--email", pt.address(user),
         "--protocol", "imap", "--host", h.host, "--port", str(h.imaps_port),
         "--security", "tls", "--user", user, "--password-stdin"] + pin + list(extra),
        input=password, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def message(subject, heading="Hello from the harness", sender="Bob <bob@example.test>",
            date=None):
    return ("From: %s\r\nTo: reader@example.test\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <%s@example.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n<h1>%s</h1><p>Body.</p>\r\n"
            % (sender, subject, date or email.utils.formatdate(), subject.replace(" ", "."),
               heading))


def sidebar_cells(app):
    tree = pt.find(app.node, "Folders", role="tree table")
    return [c.name for c in pt.find_all(tree, role="table cell")]






class FakeNotifications:
    """org.freedesktop.Notifications on the test's session bus: records what Pigeon shows
    and can click a notification (ActionInvoked "default")."""

    XML = """<node><interface name="org.freedesktop.Notifications">
      <method name="Notify"><arg type="s" direction="in"/><arg type="u" direction="in"/>
        <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="s" direction="in"/>
        <arg type="as" direction="in"/><arg type="a{sv}" direction="in"/>
        <arg type="i" direction="in"/><arg type="u" direction="out"/></method>
      <method name="CloseNotification"><arg type="u" direction="in"/></method>
      <method name="GetCapabilities"><arg type="as" direction="out"/></method>
      <method name="GetServerInformation"><arg type="s" direction="out"/>
        <arg type="s" direction="out"/><arg type="s" direction="out"/>
        <arg type="s" direction="out"/></method>
      <signal name="ActionInvoked"><arg type="u"/><arg type="s"/></signal>
      <signal name="NotificationClosed"><arg type="u"/><arg type="u"/></signal>
    </interface></node>"""

    def __init__(self):
        import threading
        from gi.repository import Gio, GLib
        self.Gio, self.GLib = Gio, GLib
        self.shown = []          # (id, summary, body)
        self.next_id = 1
        self.lock = threading.Lock()
        self.context = GLib.MainContext()
        self.loop = GLib.MainLoop(self.context)
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self.ready.wait(10)

    def _run(self):
        Gio, GLib = self.Gio, self.GLib
        self.context.push_thread_default()
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        info = Gio.DBusNodeInfo.new_for_xml(self.XML).interfaces[0]
        self.bus.register_object("/org/freedesktop/Notifications", info, self._call, None, None)
        self.owner = Gio.bus_own_name_on_connection(
            self.bus, "org.freedesktop.Notifications", Gio.BusNameOwnerFlags.REPLACE,
            lambda *a: self.ready.set(), None)
        self.loop.run()

    def _call(self, bus, sender, path, interface, method, params, invocation):
        GLib = self.GLib
        if method == "Notify":
            app, replaces, icon, summary, body = params.unpack()[:5]
            with self.lock:
                nid = replaces or self.next_id
                self.next_id += 1
                self.shown.append((nid, summary, body))
                self.sender = sender
            invocation.return_value(GLib.Variant("(u)", (nid,)))
        elif method == "GetCapabilities":
            invocation.return_value(GLib.Variant("(as)", (["body", "actions"],)))
        elif method == "GetServerInformation":
            invocation.return_value(GLib.Variant("(ssss)", ("fake", "pigeon", "1", "1.2")))
        else:
            invocation.return_value(None)

    def notifications(self):
        with self.lock:
            return list(self.shown)

    def click(self, nid):
        GLib = self.GLib
        self.bus.emit_signal(None, "/org/freedesktop/Notifications",
                             "org.freedesktop.Notifications", "ActionInvoked",
                             GLib.Variant("(us)", (nid, "default")))

    def close(self):
        self.Gio.bus_unown_name(self.owner)
        self.loop.quit()


def inbox_count_and_changes():
    user, password = pt.new_user()
    pt.seed(user, 30, "INBOX", "--unseen-ratio", "0.2", "--no-specials")
    for i in range(3):
        pt.deliver(user, message("Unread number %d" % i))
    config, data = pt.make_dirs()
    add_account(config, data, user, password)
    app, _ = rm.start_reader(config, data)
    try:
        # The inbox, with the server's unread count.
        client = imap(user, password)
        client.select("INBOX", readonly=True)
        unseen = len(client.search(None, "UNSEEN")[1][0].split())
        client.logout()
        pt.wait_until(lambda: "Inbox" in sidebar_cells(app), timeout=60, what="the inbox")
        pt.wait_until(lambda: str(unseen) in sidebar_cells(app), timeout=60,
                      what="the inbox counting %d unread" % unseen)
        pt.wait_until(lambda: len(rm.row_names(app)) == 33, timeout=60, what="33 messages listed")
        pt.screenshot("reading-server-account", app.node)

        # Shown, then read on the server after the delay; then unread again.
        rm.select_row(app, "Unread number 1")
        pt.find(app.node, "Unread number 1", role="label", timeout=20)
        body = pt.find(app.node, "Message body", showing=False)
        pt.wait_until(lambda: body.findChild(
            lambda n: n.roleName == "heading" and n.name == "Hello from the harness",
            retry=False, requireResult=False, showingOnly=False), timeout=30,
            what="the body, downloaded from the server")
        pt.wait_until(lambda: "\\Seen" in server_flags(user, password, "Unread number 1"),
                      timeout=30, what="the server marking it read")
        pt.activate(pt.find(app.node, "Mark as unread", role="push button"))
        pt.wait_until(lambda: "\\Seen" not in server_flags(user, password, "Unread number 1"),
                      timeout=30, what="the server marking it unread")

        # Deleted: it goes to the trash, on the server too.
        pt.activate(pt.find(app.node, "Delete", role="push button"))
        pt.wait_until(lambda: server_flags(user, password, "Unread number 1") is None,
                      timeout=30, what="the message leaving the server's inbox")
        pt.wait_until(lambda: server_flags(user, password, "Unread number 1", "Trash")
                      is not None, timeout=30, what="the message in the server's trash")
        assert not any("Unread number 1" in n for n in rm.row_names(app))

        # New mail shows up while the window is open, and the selection stays with its
        # message as rows come in above it.
        rm.select_row(app, "Unread number 0")
        pt.find(app.node, "Unread number 0", role="label", timeout=20)
        for i in range(5):
            pt.deliver(user, message("Arrived while reading %d" % i))
        pt.wait_until(lambda: sum("Arrived while reading" in n for n in rm.row_names(app)) == 5,
                      timeout=60, what="the new messages in the list")
        table = pt.find(app.node, "Messages", role="table").queryTable()
        selected = table.getSelectedRows()
        assert len(selected) == 1, selected
        assert "Unread number 0" in table.getAccessibleAt(selected[0], 1).name
        pt.find(app.node, "Unread number 0", role="label")
    finally:
        app.stop()


def wrong_password_offers_to_enter_it():
    user, password = pt.new_user()
    pt.deliver(user, message("Behind a password"))
    config, data = pt.make_dirs()
    add_account(config, data, user, "not-" + password)
    app, _ = rm.start_reader(config, data)
    try:
        button = pt.find(app.node, "Enter Password…", role="push button", timeout=60)
        pt.screenshot("reading-wrong-password", app.node)
        pt.activate(button)
        dialog = pt.find(app.node, "Enter Password", role="dialog")
        pt.set_text(pt.find(dialog, "Password", role="password text"), password)
        pt.activate(pt.find(dialog, "Save and retry", role="push button"))
        pt.wait_until(lambda: any("Behind a password" in n for n in rm.row_names(app)),
                      timeout=60, what="the mail behind the right password")
    finally:
        app.stop()


def new_mail_is_notified():
    user, password = pt.new_user()
    pt.seed(user, 8, "INBOX", "--no-specials")
    config, data = pt.make_dirs()
    add_account(config, data, user, password)
    notifications = FakeNotifications()
    app, _ = rm.start_reader(config, data)
    try:
        pt.wait_until(lambda: len(rm.row_names(app)) == 8, timeout=60, what="the first sync")
        # What the first sync brings is not news.
        time.sleep(3)
        assert notifications.notifications() == [], notifications.notifications()
        pt.deliver(user, message("Lunch on Friday?", sender="Carol <carol@example.test>"))
        nid, summary, body = pt.wait_until(lambda: notifications.notifications(), timeout=60,
                                           what="a notification")[-1]
        assert summary == "Carol", (summary, body)
        assert body == "Lunch on Friday?", (summary, body)
        notifications.click(nid)
        pt.find(app.node, "Lunch on Friday?", role="label", timeout=20)
        table = pt.find(app.node, "Messages", role="table").queryTable()
        pt.wait_until(lambda: table.getSelectedRows() and "Lunch on Friday?" in
                      table.getAccessibleAt(table.getSelectedRows()[0], 1).name,
                      what="the notified message selected")
    finally:
        app.stop()
        notifications.close()


def untrusted_certificate_can_be_trusted():
    user, password = pt.new_user()
    pt.deliver(user, message("Behind a certificate"))
    config, data = pt.make_dirs()
    account_id = add_account(config, data, user, password, trust=False)
    app, _ = rm.start_reader(config, data)
    try:
        pt.activate(pt.find(app.node, "Show Certificate…", role="push button", timeout=60))
        dialog = pt.find(app.node, "Untrusted Certificate", role="dialog")
        fingerprint = pt.find(dialog, "Fingerprint", role="label")
        shown = fingerprint.text.replace(":", "").replace("\n", "").lower()
        assert shown == certificate_sha256(), (shown, certificate_sha256())
        pt.screenshot("reading-untrusted-certificate", dialog)
        pt.activate(pt.find(dialog, "Trust", role="push button"))
        pt.wait_until(lambda: any("Behind a certificate" in n for n in rm.row_names(app)),
                      timeout=60, what="the mail behind the certificate")
        # Pinned for the account, in accounts.ini.
        with open(os.path.join(config, "accounts.ini")) as f:
            assert certificate_sha256() in f.read()
        assert account_id
    finally:
        app.stop()




def initial_sync_done(data):
    """Whether the window's first full pass of the account is over (the store says so)."""
    import glob
    import sqlite3
    paths = glob.glob(os.path.join(data, "*", "store.db"))
    if not paths:
        return False
    db = sqlite3.connect(paths[0])
    try:
        return db.execute("SELECT value FROM state WHERE key = 'app.initial-sync-done'"
                          ).fetchone() == ("1",)
    except sqlite3.OperationalError:
        return False
    finally:
        db.close()


def open_search(app, words):
    pt.activate(pt.find(app.node, "Search", role="toggle button"))
    pt.set_text(pt.find(app.node, "Search messages", role="text"), words)


def search_on_server_finds_and_opens():
    user, password = pt.new_user()
    pt.deliver(user, message("Weekly notes"))
    # Its words are on the server only: the account keeps the bodies of the last 30 days,
    # this one is years old, and the word sought is in its body alone.
    pt.deliver(user, message("Migration report", heading="Pangolins travel far",
                             date="Tue, 05 Mar 2019 10:00:00 +0000"), "Archive")
    config, data = pt.make_dirs()
    add_account(config, data, user, password, extra=["--sync-days", "30"])
    app, _ = rm.start_reader(config, data)
    try:
        pt.wait_until(lambda: any("Weekly notes" in n for n in rm.row_names(app)), timeout=60,
                      what="the first sync")
        pt.wait_until(lambda: initial_sync_done(data), timeout=60, what="the first pass over")

        # All Inboxes spans accounts: the server of none is offered.
        open_search(app, "pangolins")
        pt.find(app.node, "No messages match “pangolins”", role="label", timeout=20)
        assert not pt.find(app.node, "Search on Server", role="push button",
                           showing=False).showing

        # The account's inbox, all folders: the local index knows nothing, the server does.
        rm.select_folder(app, "Inbox")
        open_search(app, "pangolins")
        pt.activate(pt.find(app.node, "Search all folders", role="check box"))
        pt.find(app.node, "No messages match “pangolins”", role="label", timeout=20)
        button = pt.find(app.node, "Search on Server", role="push button")
        pt.wait_until(lambda: button.sensitive, what="the button taking the words")
        pt.screenshot("search-on-server-offered", app.node)
        pt.activate(button)
        pt.wait_until(lambda: rm.row_names(app) == ["Bob\nMigration report"], timeout=60,
                      what="the server's hit in the list")
        pt.find(app.node, "Server Search Results", role="label")
        pt.find(app.node, "1 found on the server", role="label")
        pt.screenshot("search-on-server-results", app.node)

        # It opens like any message: its body comes from the server.
        rm.select_row(app, "Migration report")
        pt.find(app.node, "Migration report", role="label", timeout=20)
        body = pt.find(app.node, "Message body", showing=False)
        pt.wait_until(lambda: body.findChild(
            lambda n: n.roleName == "heading" and n.name == "Pangolins travel far",
            retry=False, requireResult=False, showingOnly=False), timeout=30,
            what="the body of the server's hit")

        # Other words from its body: the local results again, and now that it was opened the
        # local index has its body too.
        pt.set_text(pt.find(app.node, "Search messages", role="text"), "travel")
        pt.wait_until(lambda: not pt.find_all(app.node, role="label",
                                              name="1 found on the server"),
                      what="the server's results gone")
        pt.find(app.node, "Search Results", role="label")
        pt.wait_until(lambda: rm.row_names(app) == ["Bob\nMigration report"], timeout=20,
                      what="the hit found locally now")
    finally:
        app.stop()


def search_on_server_failure_is_said():
    user, password = pt.new_user()
    pt.deliver(user, message("Weekly notes"))
    config, data = pt.make_dirs()
    add_account(config, data, user, password)
    app, _ = rm.start_reader(config, data)
    try:
        pt.wait_until(lambda: initial_sync_done(data), timeout=60, what="the first pass over")
        rm.select_folder(app, "Inbox")
        # The password changed elsewhere: the search logs in anew and is refused.
        pt.set_password(user, "changed-" + password)
        time.sleep(1.5)                  # Dovecot looks at a changed user file once a second
        open_search(app, "anything")
        button = pt.find(app.node, "Search on Server", role="push button")
        pt.wait_until(lambda: button.sensitive, what="the button taking the words")
        pt.activate(button)
        failure = pt.wait_until(lambda: app.node.findChild(
            lambda n: n.roleName == "label" and
            n.name.startswith("The server could not be searched.") and n.showing,
            retry=False, requireResult=False, showingOnly=False), timeout=60,
            what="the failure said in the search bar")
        assert "password" in failure.name, failure.name
        pt.screenshot("search-on-server-failed", app.node)
        # nothing runs any more: it may be asked again
        pt.wait_until(lambda: pt.find(app.node, "Search on Server",
                                      role="push button").sensitive,
                      what="the button back")
    finally:
        app.stop()


tap.run("the inbox's unread count, reading, unread and delete reach the server",
        inbox_count_and_changes)
tap.run("a wrong password offers Enter Password, which fixes it", wrong_password_offers_to_enter_it)
tap.run("an untrusted certificate is shown and, trusted, pinned",
        untrusted_certificate_can_be_trusted)
tap.run("new mail, not the first sync, is notified; the notification opens it",
        new_mail_is_notified)
tap.run("Search on Server finds a message only the server has, and it opens",
        search_on_server_finds_and_opens)
tap.run("Search on Server says why it failed", search_on_server_failure_is_said)
tap.finish()
