#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pigeonctl send against the harness Postfix, checked in the recipients' Dovecot over IMAP:
byte for byte with non-ASCII subject, body and attachment name, the copy in Sent, a rejected
recipient, Bcc, an unreachable server, a wrong password, and pigeonctl killed with SIGKILL
at both sides of the server's acceptance (through a proxy that stops at the right moment).
Each test makes its own users."""
import email
import email.policy
import hashlib
import imaplib
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import threading
import time
from email.message import EmailMessage

import pigeon_test as pt

H = pt.require()
tap = pt.Tap()
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
    result = ctl(dirs, "account", "add", "--name", name, "--email", pt.address(user),
                 "--real-name", "Zoë Çelik", "--protocol", "imap", "--host", H.host,
                 "--port", str(H.imaps_port), "--security", "tls",
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
    return pt.wait_until(lambda: len(with_token(fetch_all(user, password, folder), token)) >= count
                         and with_token(fetch_all(user, password, folder), token),
                         timeout=timeout, what="%d message(s) with %s in %s" % (count, token,
                                                                                   folder))


def assert_exactly_one(user, password, token, settle=3.0):
    """One copy arrived, and after a while still only one."""
    wait_for(user, password, token)
    time.sleep(settle)
    found = with_token(fetch_all(user, password), token)
    assert len(found) == 1, "%d copies of %s arrived" % (len(found), token)


# ------------------------------------------------------------------------------ messages
SUBJECT = "Grüße aus Köln — 日本語 ✓"
BODY = ("Hällo Bob,\n\nÄpfel & Birnen — 東京.\n.\n..two dots start this line\n"
        "A long line " + "ünd so weiter " * 20 + "\n\nZoë\n")
ATTACHMENT_NAME = "Übersicht «März» 2024 — naïve.bin"


def attachment_bytes(size=120000):
    return bytes((i * 7 + 3 * (i >> 8)) & 0xFF for i in range(size))


def make_message(sender, to, token, cc=None, bcc=None, attachment=None):
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Zoë Çelik <%s>" % sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if bcc:
        message["Bcc"] = ", ".join(bcc)
    message["Subject"] = "%s %s" % (SUBJECT, token)
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = "<%s@example.test>" % token
    message.set_content(BODY)
    if attachment is not None:
        message.add_attachment(attachment, maintype="application", subtype="octet-stream",
                               filename=ATTACHMENT_NAME)
    return message.as_bytes()


def parts(raw):
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    attachments = [(part.get_filename(), part.get_content())
                   for part in message.iter_attachments()]
    return message, body, attachments


# ------------------------------------------------------------------------------ tests
def delivers_byte_for_byte():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    sync = ctl(dirs, "sync", "Mine")
    assert sync.returncode == 0, sync.stderr.decode()
    token = "t-bytes-%d" % os.getpid()
    raw = make_message(pt.address(alice), [pt.address(bob)], token,
                       attachment=attachment_bytes())
    assert b"\r\n.\r\n" in raw and b"\r\n..two dots" in raw   # lines the wire must stuff

    result = ctl(dirs, "send", "Mine", input=raw)
    assert result.returncode == 0, result.stderr.decode()

    (delivered,) = wait_for(bob, bob_pw, token)
    # Postfix only adds trace fields on top: what Pigeon sent arrives unchanged.
    assert delivered.endswith(raw), "the delivered message differs from the one sent"
    message, body, attachments = parts(delivered)
    assert message["Subject"] == "%s %s" % (SUBJECT, token), message["Subject"]
    assert body == BODY, body
    assert attachments == [(ATTACHMENT_NAME, attachment_bytes())], [a[0] for a in attachments]

    # The copy in Sent, as sent.
    (copy,) = wait_for(alice, alice_pw, token, folder="Sent")
    assert copy == raw, "the copy in Sent differs from the message sent"
    assert outbox(dirs) == []


def implicit_tls():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw, smtp_port=H.submissions_port, smtp_security="tls")
    token = "t-465-%d" % os.getpid()
    result = ctl(dirs, "send", "Mine",
                 input=make_message(pt.address(alice), [pt.address(bob)], token))
    assert result.returncode == 0, result.stderr.decode()
    message, body, _ = parts(wait_for(bob, bob_pw, token)[0])
    assert body == BODY


def rejected_recipient_reported():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    carol, carol_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "t-rejected-%d" % os.getpid()
    nobody = "nobody-%d@%s" % (os.getpid(), H.domain)
    raw = make_message(pt.address(alice), [pt.address(bob), nobody], token,
                       cc=[pt.address(carol)])

    result = ctl(dirs, "send", "Mine", input=raw)
    stderr = result.stderr.decode()
    assert result.returncode != 0
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "%s was rejected: 550" % nobody in lines[0], stderr
    assert pt.address(bob) not in lines[0], stderr
    # everybody else got it
    wait_for(bob, bob_pw, token)
    wait_for(carol, carol_pw, token)
    # it counts as sent: nothing waits, nothing goes again
    assert outbox(dirs) == []


def bcc_stays_hidden():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    carol, carol_pw = pt.new_user()
    dirs = add_account(alice, alice_pw)
    token = "t-bcc-%d" % os.getpid()
    raw = make_message(pt.address(alice), [pt.address(bob)], token, bcc=[pt.address(carol)])
    result = ctl(dirs, "send", "Mine", input=raw)
    assert result.returncode == 0, result.stderr.decode()
    for user, password in ((bob, bob_pw), (carol, carol_pw)):
        (delivered,) = wait_for(user, password, token)
        header = delivered.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in header and pt.address(carol).encode() not in header, header


def free_port():
    with socket.socket() as s:
        s.bind((H.host, 0))
        return s.getsockname()[1]


def waits_while_unreachable():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    dirs = add_account(alice, alice_pw, smtp_port=free_port())
    token = "t-down-%d" % os.getpid()
    raw = make_message(pt.address(alice), [pt.address(bob)], token)

    result = ctl(dirs, "send", "Mine", input=raw)
    stderr = result.stderr.decode()
    assert result.returncode != 0
    assert "waits in the outbox" in stderr, stderr
    (waiting,) = outbox(dirs)
    assert waiting["state"] == "queued" and waiting["attempts"] == 1, waiting
    assert waiting["message_id"] == "%s@example.test" % token, waiting
    assert with_token(fetch_all(bob, bob_pw), token) == []

    # Trying again while still down: still waiting, still nothing delivered.
    again = ctl(dirs, "send", "Mine", "--queued")
    assert again.returncode != 0 and "still waits" in again.stderr.decode(), again.stderr
    assert outbox(dirs)[0]["attempts"] == 2

    # The server is back.
    set_account_value(dirs, "smtp-port", H.submission_port)
    back = ctl(dirs, "send", "Mine", "--queued")
    assert back.returncode == 0, back.stderr.decode()
    assert outbox(dirs) == []
    once_more = ctl(dirs, "send", "Mine", "--queued")
    assert once_more.returncode == 0, once_more.stderr.decode()
    assert_exactly_one(bob, bob_pw, token)


def wrong_password_waits():
    alice, alice_pw = pt.new_user()
    bob, _ = pt.new_user()
    dirs = add_account(alice, "not-" + alice_pw)
    token = "t-password-%d" % os.getpid()
    result = ctl(dirs, "send", "Mine",
                 input=make_message(pt.address(alice), [pt.address(bob)], token))
    stderr = result.stderr.decode()
    assert result.returncode != 0
    assert "rejected the password for %s" % pt.address(alice) in stderr, stderr
    assert "not-" + alice_pw not in stderr
    assert outbox(dirs)[0]["state"] == "queued"


# ------------------------------------------------------------------------------ kills
class SmtpProxy:
    """Relays one client at a time to Postfix's port without AUTH, watching the dialogue:
    mode "stall" stops reading the client's data after a while (the client then blocks
    before its final dot), mode "hold" relays everything but keeps the server's answer to
    the final dot from the client."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        self.listener.bind((H.host, 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.mode = "pass"
        self.stalled = threading.Event()
        self.held = threading.Event()
        self.stop = threading.Event()
        self.connections = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection((H.host, H.smtp_port))
            self.connections += [client, server]
            threading.Thread(target=self._relay, args=(client, server, self.mode),
                             daemon=True).start()

    def _relay(self, client, server, mode):
        in_data = False
        data_bytes = 0
        tail = b""
        dot_seen = False
        server_buffer = b""
        try:
            while not self.stop.is_set():
                readable = [server]
                if not (mode == "stall" and self.stalled.is_set()):
                    readable.append(client)
                ready, _, _ = select.select(readable, [], [], 0.2)
                if server in ready:
                    chunk = server.recv(65536)
                    if not chunk:
                        break
                    if dot_seen and mode == "hold":
                        self.held.set()          # the acceptance never reaches the client
                        continue
                    server_buffer += chunk
                    if re.search(rb"(^|\r\n)354[ -]", server_buffer):
                        in_data = True
                        server_buffer = b""
                    client.sendall(chunk)
                if client in ready:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    if in_data:
                        data_bytes += len(chunk)
                        if (tail + chunk).find(b"\r\n.\r\n") >= 0:
                            dot_seen = True
                        tail = (tail + chunk)[-4:]
                    server.sendall(chunk)
                    if mode == "stall" and in_data and data_bytes > 200000:
                        self.stalled.set()
        except OSError:
            pass
        finally:
            # An end of data without its dot: Postfix drops the message.
            for s in (client, server):
                try:
                    s.close()
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.listener.close()
        for s in self.connections:
            try:
                s.close()
            except OSError:
                pass


def start_send(dirs, raw):
    config, data = dirs
    process = subprocess.Popen([PIGEONCTL, "--config-dir", config, "--data-dir", data, "send",
                                "Mine"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdin.write(raw)
    process.stdin.close()
    return process


def kill_during_data():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    proxy = SmtpProxy()
    try:
        dirs = add_account(alice, alice_pw, smtp_port=proxy.port, smtp_security="none")
        token = "t-kill-data-%d" % os.getpid()
        # Large enough that the client blocks writing long before its final dot.
        raw = make_message(pt.address(alice), [pt.address(bob)], token,
                           attachment=os.urandom(12 * 1024 * 1024))
        proxy.mode = "stall"
        process = start_send(dirs, raw)
        assert proxy.stalled.wait(60), "the data never started"
        pt.wait_until(lambda: [e["state"] for e in outbox(dirs)] == ["sending"],
                      what="the entry being sent")
        time.sleep(0.5)
        assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGKILL)
        process.wait()
        proxy.close()
        assert [e["state"] for e in outbox(dirs)] == ["sending"]
        time.sleep(1)
        assert with_token(fetch_all(bob, bob_pw), token) == [], "delivered without its dot"

        # Restarted: nothing of it had reached the server, so it goes again, once.
        proxy = SmtpProxy()
        set_account_value(dirs, "smtp-port", proxy.port)
        result = ctl(dirs, "send", "Mine", "--queued")
        assert result.returncode == 0, result.stderr.decode()
        assert outbox(dirs) == []
        assert_exactly_one(bob, bob_pw, token)
        (delivered,) = with_token(fetch_all(bob, bob_pw), token)
        assert delivered.endswith(raw)
    finally:
        proxy.close()


def kill_after_acceptance():
    alice, alice_pw = pt.new_user()
    bob, bob_pw = pt.new_user()
    proxy = SmtpProxy()
    try:
        dirs = add_account(alice, alice_pw, smtp_port=proxy.port, smtp_security="none")
        token = "t-kill-accepted-%d" % os.getpid()
        raw = make_message(pt.address(alice), [pt.address(bob)], token)
        proxy.mode = "hold"
        process = start_send(dirs, raw)
        assert proxy.held.wait(60), "the server never answered the end of the data"
        process.send_signal(signal.SIGKILL)
        process.wait()
        proxy.close()
        # The server took it; the client never heard.
        wait_for(bob, bob_pw, token)
        assert [e["state"] for e in outbox(dirs)] == ["sending"]

        # Restarted: it may have gone, so it is not sent again; the user is told why.
        proxy = SmtpProxy()
        set_account_value(dirs, "smtp-port", proxy.port)
        result = ctl(dirs, "send", "Mine", "--queued")
        stderr = result.stderr.decode()
        assert result.returncode != 0 and "may already have been sent" in stderr, stderr
        (entry,) = outbox(dirs)
        assert entry["state"] == "failed", entry
        assert_exactly_one(bob, bob_pw, token)
    finally:
        proxy.close()


tap.run("pigeonctl send delivers subject, body and attachment byte for byte; the copy is in Sent",
        delivers_byte_for_byte)
tap.run("implicit TLS on the submissions port delivers too", implicit_tls)
tap.run("a rejected recipient is reported by address while the others receive it",
        rejected_recipient_reported)
tap.run("Bcc recipients receive it and nobody sees them", bcc_stays_hidden)
tap.run("with the server unreachable it waits in the outbox, then goes out once",
        waits_while_unreachable)
tap.run("a wrong password is reported and the message waits", wrong_password_waits)
tap.run("SIGKILL while the data goes out: after restart it is delivered exactly once",
        kill_during_data)
tap.run("SIGKILL after the server accepted: after restart it is not sent again",
        kill_after_acceptance)
tap.finish()
