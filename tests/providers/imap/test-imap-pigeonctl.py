#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pigeonctl on an IMAP account of the harness Dovecot: sync, folders, list, show, flag, move,
delete and search do what DESIGN.md says, checked with a second client (imap_peer.py)."""
import hashlib
import json
import os
import ssl
import subprocess

import pigeon_test as pt

pt.require()
tap = pt.Tap()
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imap_peer.py")


def fingerprint():
    with open(os.environ["PIGEON_TEST_CA_FILE"]) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


class Account:
    def __init__(self, seed=0, folder="INBOX", trust=True, password=None):
        self.user, self.password = pt.new_user()
        if seed:
            pt.seed(self.user, seed, folder)
        self.config, self.data = pt.make_dirs()
        args = ["account", "add", "--name", "work", "--email", pt.address(self.user),
                "--protocol", "imap", "--host", "127.0.0.1",
                "--port", os.environ["PIGEON_TEST_IMAPS_PORT"], "--user", self.user,
                "--password-stdin"]
        if trust:
            args += ["--trust-certificate", fingerprint()]
        result = self.ctl(*args, input=(password or self.password) + "\n")
        assert result.returncode == 0, result.stderr

    def ctl(self, *args, input=None):
        return subprocess.run([PIGEONCTL, "--config-dir", self.config, "--data-dir", self.data]
                              + list(args), input=input, capture_output=True, text=True,
                              timeout=120)

    def ok(self, *args):
        result = self.ctl(*args)
        assert result.returncode == 0, "pigeonctl %s: %s" % (" ".join(args), result.stderr)
        return result.stdout

    def peer(self, *args, input=None):
        result = subprocess.run(["/usr/bin/python3", PEER, self.user, self.password] + list(args),
                                input=input, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def server_uids(self, folder):
        """{uid: set of flags} on the server."""
        out = {}
        for line in self.peer("uids", folder).splitlines():
            uid, *flags = line.split()
            out[int(uid)] = set(flags)
        return out

    def listed(self, folder):
        return [json.loads(line) for line in self.ok("list", "work", folder, "--json").splitlines()]

    def folders(self):
        return {line.split("\t")[0]: line.split("\t")[1:]
                for line in self.ok("folders", "work").splitlines()}


FLAG_NAMES = {"seen": "\\Seen", "answered": "\\Answered", "flagged": "\\Flagged",
              "deleted": "\\Deleted", "draft": "\\Draft", "forwarded": "$Forwarded",
              "junk": "$Junk"}


def server_flags(flags):
    return {f for f in flags if f in FLAG_NAMES.values()}


def sync_lists_the_server():
    account = Account(seed=400)
    account.ok("sync", "work")
    folders = account.folders()
    assert folders["INBOX"][:2] == ["inbox", "400"], folders
    assert folders["Sent"][0] == "sent" and folders["Trash"][0] == "trash", folders
    listed = account.listed("INBOX")
    server = account.server_uids("INBOX")
    assert sorted(m["uid"] for m in listed) == sorted(server), "UIDs differ"
    for m in listed:
        assert {FLAG_NAMES[f] for f in m["flags"]} == server_flags(server[m["uid"]]), m
    # newest first
    dates = [m["date"] for m in listed]
    assert dates == sorted(dates, reverse=True)
    # a second sync changes nothing
    account.ok("sync", "work")
    assert len(account.listed("INBOX")) == 400


def flag_move_delete_reach_the_server():
    account = Account(seed=30)
    account.ok("sync", "work")
    first, second, third = account.listed("INBOX")[:3]

    account.ok("flag", "work", "INBOX", str(first["id"]), "+flagged")
    account.ok("flag", "work", "INBOX", str(first["id"]), "-seen")
    account.ok("sync", "work")
    flags = account.server_uids("INBOX")[first["uid"]]
    assert "\\Flagged" in flags and "\\Seen" not in flags, flags

    account.ok("move", "work", "INBOX", str(second["id"]), "Archive")
    account.ok("delete", "work", "INBOX", str(third["id"]))
    account.ok("sync", "work")
    inbox = account.peer("messages", "INBOX")
    assert second["message_id"] not in inbox and third["message_id"] not in inbox
    assert second["message_id"] in account.peer("messages", "Archive")
    assert third["message_id"] in account.peer("messages", "Trash")
    # each exactly once in the store as well
    assert [m["message_id"] for m in account.listed("Archive")] == [second["message_id"]]
    trashed = account.listed("Trash")
    assert [m["message_id"] for m in trashed] == [third["message_id"]]

    # Deleting in the trash deletes for good.
    account.ok("delete", "work", "Trash", str(trashed[0]["id"]))
    account.ok("sync", "work")
    assert account.peer("uids", "Trash") == ""
    assert account.listed("Trash") == []


def show_and_search():
    account = Account()
    body = ("From: Ada <ada@example.test>\r\nTo: me@example.test\r\n"
            "Subject: Quarterly numbers\r\nMessage-ID: <show-1@peer>\r\n"
            "Date: Wed, 03 Jan 2024 12:00:00 +0000\r\n\r\n"
            "The zanzibar figures are in.\r\n")
    account.peer("append", "INBOX", input=body)
    account.ok("sync", "work")
    message = account.listed("INBOX")[0]
    assert message["subject"] == "Quarterly numbers"
    text = account.ok("show", "work", "INBOX", str(message["id"]))
    assert "zanzibar figures" in text, text
    raw = account.ok("show", "work", "INBOX", str(message["id"]), "--raw")
    assert raw.replace("\r\n", "\n") == body.replace("\r\n", "\n"), raw
    found = account.ok("search", "work", "zanzibar", "--json").splitlines()
    assert [json.loads(line)["message_id"] for line in found] == ["show-1@peer"]


def search_on_the_server():
    account = Account()
    message = ("From: Ada <ada@example.test>\r\nTo: me@example.test\r\n"
               "Subject: %s\r\nMessage-ID: <%s@peer>\r\n"
               "Date: %s\r\n\r\nThe %s figures are in.\r\n")
    # the envelope is what a sync brings: the word is in the subject
    account.peer("append", "INBOX", input=message % ("Synced wombat", "synced",
                                                     "Wed, 03 Jan 2024 12:00:00 +0000", "wombat"))
    account.ok("sync", "work")
    account.peer("append", "Archive", input=message % ("Wombat only on the server", "server-only",
                                                       "Thu, 04 Jan 2024 12:00:00 +0000",
                                                       "wombat"))
    # the local index does not know it yet; the server does, newest first
    local = account.ok("search", "work", "wombat", "--json").splitlines()
    assert [json.loads(line)["message_id"] for line in local] == ["synced@peer"], local
    found = account.ok("search", "work", "wombat", "--server", "--json").splitlines()
    assert [json.loads(line)["message_id"] for line in found] == ["server-only@peer",
                                                                  "synced@peer"], found
    # and now it is in the store, in its folder
    assert [m["message_id"] for m in account.listed("Archive")] == ["server-only@peer"]
    local = account.ok("search", "work", "wombat", "--folder", "Archive").splitlines()
    assert len(local) == 1 and "Wombat only on the server" in local[0], local
    inbox = account.ok("search", "work", "wombat", "--server", "--folder", "INBOX").splitlines()
    assert len(inbox) == 1 and "Synced wombat" in inbox[0], inbox
    result = account.ctl("search", "work", "wombat", "--folder", "Nowhere")
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1, result


def sync_bodies():
    account = Account(seed=120)
    account.ok("sync", "work", "--bodies")
    # Everything is searchable: body words of messages never opened are found.
    found = account.ok("search", "work", "commodo").splitlines()
    assert len(found) > 10, found


def wrong_password():
    account = Account(password="not-the-password")
    result = account.ctl("sync", "work")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "rejected the password" in lines[0] and "Authentication failed" in lines[0], lines


def untrusted_certificate():
    account = Account(trust=False)
    result = account.ctl("sync", "work")
    assert result.returncode != 0
    assert "not trusted" in result.stderr, result.stderr
    shown = fingerprint().upper()
    assert ":".join(shown[i:i + 2] for i in range(0, len(shown), 2)) in result.stderr


tap.run("sync lists exactly the server's messages and flags", sync_lists_the_server)
tap.run("flag, move and delete reach the server", flag_move_delete_reach_the_server)
tap.run("show and search", show_and_search)
tap.run("search --server finds what only the server has", search_on_the_server)
tap.run("sync --bodies makes every body searchable", sync_bodies)
tap.run("a wrong password is one line with the server's words", wrong_password)
tap.run("an untrusted certificate is refused with its fingerprint", untrusted_certificate)
tap.finish()
