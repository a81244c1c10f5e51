#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pigeonctl send against the harness Postfix, checked in the recipients' Dovecot over IMAP:
byte for byte with non-ASCII subject, body and attachment name, the copy in Sent, a rejected
recipient, Bcc, an unreachable server, a wrong password, and pigeonctl killed with SIGKILL
at both sides of the server's acceptance (through a proxy that stops at the right moment).
Each test makes its own users."""
import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pigeon_test as pt  # noqa: E402
from smtp_checks import (add_account, assert_exactly_one, ctl, fetch_all,  # noqa: E402
                         outbox, parts, sent_copy, set_account_value, wait_for, with_token)
from smtp_proxy import SmtpProxy  # noqa: E402

H = pt.require()
tap = pt.Tap()
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")

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
    copy = sent_copy(dirs, alice, alice_pw, token)
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
    sync = ctl(dirs, "sync", "Mine")
    assert sync.returncode == 0, sync.stderr.decode()
    token = "t-bcc-%d" % os.getpid()
    raw = make_message(pt.address(alice), [pt.address(bob)], token, bcc=[pt.address(carol)])
    bcc_line = b"Bcc: " + pt.address(carol).encode() + b"\r\n"
    assert bcc_line in raw
    result = ctl(dirs, "send", "Mine", input=raw)
    assert result.returncode == 0, result.stderr.decode()
    for user, password in ((bob, bob_pw), (carol, carol_pw)):
        (delivered,) = wait_for(user, password, token)
        header = delivered.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in header and pt.address(carol).encode() not in header, header
        # Only the Bcc field is left out: the rest arrives as written.
        assert delivered.endswith(raw.replace(bcc_line, b"")), delivered
    # The sender's own copy says who got it secretly.
    copy = sent_copy(dirs, alice, alice_pw, token)
    assert bcc_line in copy.split(b"\r\n\r\n", 1)[0] + b"\r\n", copy


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
    proxy = SmtpProxy(H)
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
        proxy = SmtpProxy(H)
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
    proxy = SmtpProxy(H)
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
        proxy = SmtpProxy(H)
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
tap.run("Bcc recipients receive it, nobody sees them, the copy in Sent keeps them",
        bcc_stays_hidden)
tap.run("with the server unreachable it waits in the outbox, then goes out once",
        waits_while_unreachable)
tap.run("a wrong password is reported and the message waits", wrong_password_waits)
tap.run("SIGKILL while the data goes out: after restart it is delivered exactly once",
        kill_during_data)
tap.run("SIGKILL after the server accepted: after restart it is not sent again",
        kill_after_acceptance)
tap.finish()
