#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reading window, driven through AT-SPI on messages already in the store: hostile HTML
(remote content, a script, a link), plain text with quotes and an attachment, search, and
the keyboard.  Screenshots go to build/test-artifacts/."""
import base64
import os
import subprocess
import time

import pigeon_test as pt
import reading_mail as rm

pt.require()
tap = pt.Tap()


def reset_remote_senders():
    """The senders whose remote content loads at once live in GSettings, which the tests of
    this session share: start and end without any."""
    env = dict(os.environ)
    env["GSETTINGS_SCHEMA_DIR"] = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"),
                                               "data")
    subprocess.run(["gsettings", "reset", "io.github.pigeonmail.Pigeon",
                    "remote-content-senders"], env=env, check=True, timeout=30)


reset_remote_senders()








def body_document(app, title=None):
    """The message body's web document (its accessible name is the page title)."""
    body = pt.find(app.node, "Message body", showing=False)

    def document():
        found = body.findChild(lambda n: n.roleName == "document web", retry=False,
                               requireResult=False, showingOnly=False)
        if found is not None and (title is None or found.name == title):
            return found
        return None
    return pt.wait_until(document, timeout=20, what="the message body's document")


def find_in(node, name, role, timeout=10):
    return pt.wait_until(lambda: node.findChild(
        lambda n: n.name == name and n.roleName == role, retry=False, requireResult=False,
        showingOnly=False), timeout=timeout, what="%s %r" % (role, name))


class Reading:
    """A store with the test messages and Pigeon on it; a context manager."""

    def __init__(self):
        self.server = rm.CountingServer()
        self.config, self.data = pt.make_dirs()
        maildir = os.path.join(os.path.dirname(self.config), "Maildir")
        rm.write_maildir(maildir, [rm.plain_message(), rm.hostile_message(self.server)])
        rm.fill_store(self.config, self.data, maildir, extra=["--extra-folders"])
        self.app, self.opened = rm.start_reader(self.config, self.data)

    def opened_uris(self):
        if not os.path.exists(self.opened):
            return []
        with open(self.opened) as f:
            return f.read().split()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.app.stop()
        self.server.close()
        return False


def remote_content_waits_for_the_user():
    with Reading() as r:
        pt.wait_until(lambda: len(rm.row_names(r.app)) == 2, what="both messages in All Inboxes")
        pt.screenshot("reading-main-window", r.app.node)
        rm.select_row(r.app, rm.HOSTILE_SUBJECT)
        document = body_document(r.app)
        find_in(document, "Everything half price", "heading", timeout=20)
        # The inline part came through cid:; the remote ones were never asked for, not even
        # a connection (no preconnect, no prefetch, no refresh, no frame).
        find_in(document, "logo", "image")
        time.sleep(2.0)
        assert r.server.seen() == (0, []), r.server.seen()
        show = pt.find(r.app.node, "Show remote content", role="push button")
        pt.screenshot("reading-html-message", r.app.node)

        pt.activate(show)
        pt.wait_until(lambda: "/pixel.png" in r.server.seen()[1], timeout=20,
                      what="the remote image being loaded")
        pt.wait_until(lambda: "/style.css" in r.server.seen()[1], what="the remote style sheet")
        # Still no navigation: the page that would have replaced the message never loads.
        time.sleep(1.5)
        assert "/refresh" not in r.server.seen()[1], r.server.seen()
        assert not pt.find(r.app.node, "Show remote content", role="push button",
                           showing=False).showing
        pt.screenshot("reading-html-remote-shown", r.app.node)


def script_does_not_run():
    with Reading() as r:
        rm.select_row(r.app, rm.HOSTILE_SUBJECT)
        document = body_document(r.app)
        find_in(document, "Everything half price", "heading", timeout=20)
        time.sleep(1.0)
        # The script (and the onerror handler) would have renamed the document.
        assert document.name == "Original title", document.name


def link_opens_in_the_browser():
    with Reading() as r:
        rm.select_row(r.app, rm.HOSTILE_SUBJECT)
        document = body_document(r.app)
        link = find_in(document, "Open the offer page", "link", timeout=20)
        link.doActionNamed("jump")   # WebKit's name for following a link
        clicked = r.server.url("/clicked")
        pt.wait_until(lambda: clicked in r.opened_uris(), what="the link reaching the browser")
        # The view did not go there: the server never saw the page, the message is still shown.
        time.sleep(1.0)
        assert "/clicked" not in r.server.seen()[1], r.server.seen()
        assert body_document(r.app).name == "Original title"
        find_in(body_document(r.app), "Everything half price", "heading")


def plain_text_and_attachment():
    with Reading() as r:
        rm.select_row(r.app, rm.PLAIN_SUBJECT)
        document = body_document(r.app)
        find_in(document, "https://example.org/minutes", "link", timeout=20)
        pt.find(r.app.node, "Alice Example <alice@example.test>", role="label")
        attachments = pt.find(r.app.node, "Attachments", showing=False)
        button = pt.wait_until(lambda: attachments.findChild(
            lambda n: n.name.startswith("Attachment minutes.pdf"), retry=False,
            requireResult=False, showingOnly=False), what="the attachment's button")
        assert "bytes" in button.name or "kB" in button.name, button.name
        # A plain message loads nothing and offers nothing to show.
        assert not pt.find(r.app.node, "Show remote content", role="push button",
                           showing=False).showing
        pt.screenshot("reading-plain-message", r.app.node)


def attachment_opens_in_its_application():
    with Reading() as r:
        rm.select_row(r.app, rm.PLAIN_SUBJECT)
        attachments = pt.find(r.app.node, "Attachments", showing=False)
        button = pt.wait_until(lambda: attachments.findChild(
            lambda n: n.name.startswith("Attachment minutes.pdf"), retry=False,
            requireResult=False, showingOnly=False), what="the attachment's button")
        pt.activate(button)
        pt.activate(pt.find(r.app.node, "Open", role="push button"))
        # The default application for PDF got a private copy with the decoded bytes.
        path = pt.wait_until(lambda: r.opened_uris(), what="the attachment opened")[-1]
        assert os.path.basename(path) == "minutes.pdf", path
        with open(path, "rb") as f:
            assert f.read() == base64.b64decode("JVBERi0xLjQKJcOkw7zDtsOfCg==")
        assert os.stat(path).st_mode & 0o077 == 0, oct(os.stat(path).st_mode)


def view_source_shows_the_raw_message():
    with Reading() as r:
        rm.select_row(r.app, rm.PLAIN_SUBJECT)
        pt.find(r.app.node, rm.PLAIN_SUBJECT, role="label")
        pt.activate(pt.find(r.app.node, "Message Menu", role="toggle button"))
        pt.activate(pt.find(r.app.node, "View Source", role="push button"))
        source = pt.find(r.app.node, "Message source", role="text")
        pt.wait_until(lambda: "Message-ID: <plain.1@example.test>" in source.text,
                      what="the raw headers in the source window")
        assert "Content-Disposition: attachment; filename=\"minutes.pdf\"" in source.text


def remote_content_always_for_a_sender():
    try:
        with Reading() as r:
            rm.select_row(r.app, rm.HOSTILE_SUBJECT)
            find_in(body_document(r.app), "Everything half price", "heading", timeout=20)
            pt.activate(pt.find(r.app.node, "Always show remote content from this sender",
                                role="push button"))
            pt.wait_until(lambda: "/pixel.png" in r.server.seen()[1], timeout=20,
                          what="the remote image being loaded")
        # The next time, the sender's message loads it at once, with no bar.
        with Reading() as r:
            rm.select_row(r.app, rm.HOSTILE_SUBJECT)
            pt.wait_until(lambda: "/pixel.png" in r.server.seen()[1], timeout=20,
                          what="the remote image loading without asking")
            assert not pt.find(r.app.node, "Show remote content", role="push button",
                               showing=False).showing
    finally:
        reset_remote_senders()


def folder_menu(app, folder_name):
    """Right-clicks FOLDER_NAME in the sidebar."""
    import pyatspi
    tree = pt.find(app.node, "Folders", role="tree table").queryTable()
    for row in range(tree.nRows):
        cell = tree.getAccessibleAt(row, 0)
        if folder_name in (cell.name or "".join(c.name for c in cell.children)):
            box = cell.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            pyatspi.Registry.generateMouseEvent(box.x + box.width // 2,
                                                box.y + box.height // 2, "b3c")
            return
    raise AssertionError("no folder %r in the sidebar" % folder_name)


def queued_folder_ops(data):
    import glob
    import sqlite3
    db = sqlite3.connect(glob.glob(os.path.join(data, "*", "store.db"))[0])
    try:
        return db.execute("SELECT kind, path, new_path FROM pending_ops ORDER BY id").fetchall()
    finally:
        db.close()


def sidebar_folders(app):
    tree = pt.find(app.node, "Folders", role="tree table")
    return [c.name for c in pt.find_all(tree, role="table cell")]


def folder_menu_changes_folders():
    with Reading() as r:
        pt.wait_until(lambda: "Projects" in sidebar_folders(r.app), what="the folders")
        folder_menu(r.app, "Projects")
        pt.activate(pt.find(r.app.node, "New Folder…", role="menu item"))
        dialog = pt.find(r.app.node, "New Folder", role="dialog")
        pt.set_text(pt.find(dialog, "Name of the new folder in “Projects”", role="text"),
                    "Reviews")
        pt.activate(pt.find(dialog, "Create", role="push button"))
        pt.wait_until(lambda: "Reviews" in sidebar_folders(r.app), what="the new folder")

        folder_menu(r.app, "Reviews")
        pt.activate(pt.find(r.app.node, "Rename…", role="menu item"))
        dialog = pt.find(r.app.node, "Rename Folder", role="dialog")
        pt.set_text(pt.find(dialog, "New name of the folder", role="text"), "Audits")
        pt.activate(pt.find(dialog, "Rename", role="push button"))
        pt.wait_until(lambda: "Audits" in sidebar_folders(r.app), what="the renamed folder")

        folder_menu(r.app, "Audits")
        pt.activate(pt.find(r.app.node, "Delete…", role="menu item"))
        confirm = pt.find(r.app.node, "Delete the folder “Audits”?", role="label").parent
        while confirm is not None and confirm.roleName not in ("alert", "dialog"):
            confirm = confirm.parent
        pt.activate(pt.find(confirm, "Delete", role="push button"))
        pt.wait_until(lambda: "Audits" not in sidebar_folders(r.app), what="the folder gone")

        # Each change is queued for the server (operation kinds 4, 5, 6: create, rename,
        # delete), in order.
        assert queued_folder_ops(r.data) == [
            (4, "Projects/Reviews", None), (5, "Projects/Reviews", "Projects/Audits"),
            (6, "Projects/Audits", None)], queued_folder_ops(r.data)


def move_to_a_folder():
    with Reading() as r:
        rm.select_row(r.app, rm.PLAIN_SUBJECT)
        pt.find(r.app.node, rm.PLAIN_SUBJECT, role="label")
        pt.activate(pt.find(r.app.node, "Message Menu", role="toggle button"))
        pt.activate(pt.find(r.app.node, "Move to…", role="push button"))
        chooser = pt.find(r.app.node, "Move 1 Message", role="dialog")
        tree = pt.find(chooser, "Destination folder", role="tree table").queryTable()
        row = [tree.getAccessibleAt(i, 0) for i in range(tree.nRows)]
        names = [cell.name or "".join(c.name for c in cell.children) for cell in row]
        tree.addRowSelection(names.index("Archive"))
        pt.activate(pt.find(chooser, "Move", role="push button"))
        pt.wait_until(lambda: len(rm.row_names(r.app)) == 1, what="the message leaving the inbox")
        # The move is queued for the server (operation kind 1).
        import glob
        import sqlite3
        db = sqlite3.connect(glob.glob(os.path.join(r.data, "*", "store.db"))[0])
        assert db.execute("SELECT COUNT(*) FROM pending_ops WHERE kind = 1").fetchone() == (1,)
        db.close()


def reply_opens_the_composer():
    with Reading() as r:
        rm.select_row(r.app, rm.PLAIN_SUBJECT)
        pt.find(r.app.node, rm.PLAIN_SUBJECT, role="label")
        pt.activate(pt.find(r.app.node, "Reply", role="push button"))
        subject = pt.wait_until(lambda: r.app.node.findChild(
            lambda n: n.roleName == "text" and n.text == "Re: " + rm.PLAIN_SUBJECT,
            retry=False, requireResult=False, showingOnly=False), timeout=20,
            what="a composer with the reply's subject")
        assert subject is not None


def marked_read_after_a_moment():
    with Reading() as r:
        folders = pt.find(r.app.node, "Folders", role="tree table")
        pt.wait_until(lambda: any(c.name == "2" for c in pt.find_all(folders, role="table cell")),
                      what="two unread in the sidebar")
        rm.select_row(r.app, rm.PLAIN_SUBJECT)
        # The mark-read-delay default is one second.
        pt.wait_until(lambda: any(c.name == "1" for c in pt.find_all(folders, role="table cell")),
                      what="the sidebar counting one unread")


def search_finds_by_body():
    with Reading() as r:
        pt.wait_until(lambda: len(rm.row_names(r.app)) == 2, what="the messages")
        pt.activate(pt.find(r.app.node, "Search", role="toggle button"))
        entry = pt.find(r.app.node, "Search messages", role="text")
        pt.set_text(entry, "minutes")
        pt.wait_until(lambda: rm.row_names(r.app) == ["Alice Example\n" + rm.PLAIN_SUBJECT],
                      what="one search result")
        pt.screenshot("reading-search-results", r.app.node)
        pt.set_text(entry, "nothingmatchesthis")
        pt.find(r.app.node, "No messages match “nothingmatchesthis”", role="label")


tap.run("remote content loads only after Show remote content", remote_content_waits_for_the_user)
tap.run("a script in a message does not run", script_does_not_run)
tap.run("a clicked link opens in the browser, not in the view", link_opens_in_the_browser)
tap.run("plain text shows links and the attachment", plain_text_and_attachment)
tap.run("a shown message is marked read", marked_read_after_a_moment)
tap.run("search finds a message by its text", search_finds_by_body)
tap.run("an attachment opens in its application", attachment_opens_in_its_application)
tap.run("View Source shows the raw message", view_source_shows_the_raw_message)
tap.run("Always for this sender loads that sender's remote content from then on",
        remote_content_always_for_a_sender)
tap.run("the folder menu creates, renames and deletes folders, queued for the server",
        folder_menu_changes_folders)
tap.run("Move to… moves the selection to the chosen folder", move_to_a_folder)
tap.run("Reply opens the composer on the message shown", reply_opens_the_composer)
tap.finish()
