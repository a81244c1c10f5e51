# SPDX-License-Identifier: GPL-3.0-or-later
"""What the sending tests check with: accounts made with pigeonctl, the outbox as pigeonctl
shows it, and the recipients' mailboxes read over IMAP (Python's imaplib, a second client)."""
import email
import email.policy
import hashlib
import imaplib
import json
import os
import re
import ssl
import subprocess
import sys
import time

import pigeon_test as pt

H = pt.require()
# The account sent from: IMAP (the copy in Sent is on the server) or POP3 (it is local).
PROTOCOL = sys.argv[1] if len(sys.argv) > 1 else "imap"
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")

with open(H.ca_file) as f:
    FINGERPRINT = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def ctl(dirs, *args, input=None, timeout=120):
    config, data = dirs
    return subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data] + list(args),
                          input=input, capture_output=True, timeout=timeout)


def add_account(user, password, smtp_port=None, smtp_security="starttls", name="Mine"):
    dirs = pt.make_dirs()
    port = H.imaps_port if PROTOCOL == "imap" else H.pop3s_port
    result = ctl(dirs, "account", "add", "--name", name, "--email", pt.address(user),
                 "--real-name", "Zoë Çelik", "--protocol", PROTOCOL, "--host", H.host,
                 "--port", str(port), "--security", "tls",
                 "--trust-certificate", FINGERPRINT, "--smtp-host", H.host,
                 "--smtp-port", str(smtp_port or H.submission_port),
                 "--smtp-security", smtp_security, "--smtp-trust-certificate", FINGERPRINT,
                 "--password-stdin", input=(password + "\n").encode())
    assert result.returncode == 0, result.stderr.decode()
    return dirs


def set_account_value(dirs, key, value):
    path = os.path.join(dirs[0], "accounts.ini")
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^%s=.*$" % re.escape(key), "%s=%s" % (key, value), text)
    assert n == 1, (key, text)
    with open(path, "w") as f:
        f.write(text)


def outbox(dirs):
    result = ctl(dirs, "outbox", "Mine", "--json")
    assert result.returncode == 0, result.stderr.decode()
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


# ------------------------------------------------------------------------------ IMAP side
def imap(user, password):
    context = ssl.create_default_context(cafile=H.ca_file)
    connection = imaplib.IMAP4_SSL(H.host, H.imaps_port, ssl_context=context)
    connection.login(user, password)
    return connection


def fetch_all(user, password, folder="INBOX"):
    connection = imap(user, password)
    try:
        status, _ = connection.select('"%s"' % folder, readonly=True)
        if status != "OK":
            return []
        status, data = connection.uid("SEARCH", None, "ALL")
        messages = []
        for uid in data[0].split():
            status, parts = connection.uid("FETCH", uid, "(BODY.PEEK[])")
            messages.append(parts[0][1])
        return messages
    finally:
        connection.logout()


def with_token(messages, token):
    return [m for m in messages if token.encode() in m]


def wait_for(user, password, token, count=1, folder="INBOX", timeout=20):
    """The messages holding TOKEN in FOLDER, once there are COUNT of them."""
    def found():
        messages = with_token(fetch_all(user, password, folder), token)
        return messages if len(messages) >= count else None
    return pt.wait_until(found, timeout=timeout,
                         what="%d message(s) with %s in %s" % (count, token, folder))


def assert_exactly_one(user, password, token, settle=3.0):
    """One copy arrived, and after a while still only one."""
    wait_for(user, password, token)
    time.sleep(settle)
    found = with_token(fetch_all(user, password), token)
    assert len(found) == 1, "%d copies of %s arrived" % (len(found), token)


def parts(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    attachments = [(part.get_filename(), part.get_content())
                   for part in message.iter_attachments()]
    return message, body, attachments


def listed(dirs, folder):
    """The messages of one of the account's folders, as pigeonctl list --json shows them."""
    result = ctl(dirs, "list", "Mine", folder, "--json")
    if result.returncode != 0:
        return []
    return [json.loads(line) for line in result.stdout.decode().splitlines()]


def sent_copy(dirs, user, password, token):
    """The copy of the message with TOKEN in the account's Sent folder: on the server for
    IMAP (once the queued append is replayed by a sync), in the store for POP3."""
    if PROTOCOL == "imap":
        result = ctl(dirs, "sync", "Mine")
        assert result.returncode == 0, result.stderr.decode()
        (copy,) = wait_for(user, password, token, folder="Sent")
        return copy
    (entry,) = [m for m in listed(dirs, "Sent") if token in (m["subject"] or "")]
    result = ctl(dirs, "show", "Mine", "Sent", str(entry["id"]), "--raw")
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout
