#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A second IMAP client for the integration tests: it checks what Pigeon did on the server and
changes the server behind Pigeon's back.  Python's imaplib, nothing of Pigeon's.

    imap_peer.py USER PASSWORD COMMAND ARGS...

    uids FOLDER                      one line per message: UID and flags, by UID
    messages FOLDER                  one line per message: UID, Message-ID, Subject
    store FOLDER UID +FLAGS|-FLAGS FLAG...
    recreate FOLDER COUNT            delete the folder, create it again, append COUNT messages
    append FOLDER                    append the message on stdin
    folders                          one line per folder
    expunge FOLDER UID               delete one message for good
"""

import email
import email.header
import imaplib
import os
import re
import ssl
import sys


def connect(user, password):
    context = ssl.create_default_context(cafile=os.environ["PIGEON_TEST_CA_FILE"])
    context.check_hostname = False
    imap = imaplib.IMAP4_SSL(os.environ["PIGEON_TEST_HOST"],
                             int(os.environ["PIGEON_TEST_IMAPS_PORT"]), ssl_context=context)
    imap.login(user, password)
    return imap


def check(result):
    status, data = result
    if status != "OK":
        raise SystemExit("imap_peer: %s %r" % (status, data))
    return data


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_all(imap, folder, items):
    check(imap.select(quote(folder)))
    return check(imap.uid("FETCH", "1:*", items))


def cmd_uids(imap, folder):
    for item in fetch_all(imap, folder, "(UID FLAGS)"):
        if item is None:
            continue
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        uid = re.search(r"UID (\d+)", text)
        flags = re.search(r"FLAGS \(([^)]*)\)", text)
        if uid:
            names = sorted(f for f in flags.group(1).split() if f != "\\Recent")
            print(uid.group(1), " ".join(names))


def cmd_messages(imap, folder):
    for item in fetch_all(imap, folder, "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID SUBJECT)])"):
        if not isinstance(item, tuple):
            continue
        uid = re.search(rb"UID (\d+)", item[0]).group(1).decode()
        headers = email.message_from_bytes(item[1])
        decoded = email.header.decode_header(headers.get("Subject", ""))
        subject = str(email.header.make_header(decoded))
        print(uid, headers.get("Message-ID", "").strip(), subject.replace("\n", " "))


def cmd_store(imap, folder, uid, action, *flags):
    check(imap.select(quote(folder)))
    check(imap.uid("STORE", uid, action, "(" + " ".join(flags) + ")"))


def cmd_recreate(imap, folder, count):
    imap.delete(quote(folder))
    check(imap.create(quote(folder)))
    for i in range(int(count)):
        message = ("From: Peer <peer@example.test>\r\nTo: x@example.test\r\n"
                   "Subject: Recreated %d\r\nMessage-ID: <recreated-%d@peer>\r\n"
                   "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\nbody %d\r\n" % (i, i, i))
        check(imap.append(quote(folder), None, None, message.encode()))


def cmd_append(imap, folder):
    check(imap.append(quote(folder), None, None, sys.stdin.buffer.read()))


def cmd_folders(imap):
    for line in check(imap.list()):
        print(line.decode())


def cmd_expunge(imap, folder, uid):
    check(imap.select(quote(folder)))
    check(imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)"))
    check(imap.uid("EXPUNGE", uid))


def main():
    user, password, command, *args = sys.argv[1:]
    imap = connect(user, password)
    globals()["cmd_" + command](imap, *args)
    imap.logout()


if __name__ == "__main__":
    main()
