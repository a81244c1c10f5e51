#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The harness's own selftest for mail and the keyring: a fresh user logs in over IMAP and
POP3 (implicit TLS and STARTTLS) trusting only the harness certificate, sends through
submission with AUTH, and the message arrives."""
import email.message
import email.utils
import hashlib
import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import subprocess
import time
import uuid

import pigeon_test as pt

h = pt.require()
tap = pt.Tap()


def tls_context():
    # the harness certificate is the only trust anchor: a client that pins it gets through
    return ssl.create_default_context(cafile=h.ca_file)


def imaps(user, password):
    client = imaplib.IMAP4_SSL(h.host, h.imaps_port, ssl_context=tls_context(), timeout=10)
    client.login(user, password)
    return client


def inbox_subjects(user, password, folder="INBOX"):
    client = imaps(user, password)
    try:
        status, data = client.select(folder, readonly=True)
        assert status == "OK", data
        status, data = client.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])") \
            if int(data[0]) > 0 else ("OK", [])
        return [part[1].decode().strip() for part in data if isinstance(part, tuple)]
    finally:
        client.logout()


def message(sender, recipient, subject):
    m = email.message.EmailMessage()
    m["From"] = sender
    m["To"] = recipient
    m["Subject"] = subject
    m["Date"] = email.utils.formatdate()
    m["Message-ID"] = email.utils.make_msgid(domain=h.domain)
    m.set_content("Sent by the harness selftest.\n")
    return m


def wait_for_subject(user, password, subject, folder="INBOX"):
    pt.wait_until(lambda: "Subject: " + subject in inbox_subjects(user, password, folder),
                  timeout=15, interval=0.1, what="delivery of %r to %s" % (subject, user))


def imaps_login():
    user, password = pt.new_user()
    client = imaps(user, password)
    status, data = client.list()
    assert status == "OK"
    names = b"\n".join(data).decode()
    for folder in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert '"%s"' % folder in names or " %s" % folder in names, names
    assert "\\Sent" in names, names
    client.logout()


def imap_starttls_login():
    user, password = pt.new_user()
    client = imaplib.IMAP4(h.host, h.imap_port, timeout=10)
    client.starttls(ssl_context=tls_context())
    client.login(user, password)
    status, data = client.capability()
    assert status == "OK", data
    capabilities = data[0].decode().upper().split()
    for capability in ("IDLE", "CONDSTORE", "QRESYNC", "MOVE", "UIDPLUS", "SPECIAL-USE",
                       "COMPRESS=DEFLATE", "QUOTA"):
        assert capability in capabilities, capabilities
    client.logout()


def wrong_password_rejected():
    user, password = pt.new_user()
    try:
        imaps(user, "not-the-password")
    except imaplib.IMAP4.error:
        pass
    else:
        raise AssertionError("IMAP accepted a wrong password")
    # and it costs the next login from 127.0.0.1 nothing (no auth penalty across tests)
    started = time.monotonic()
    imaps(user, password).logout()
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, "a login after a failed one took %.1f s" % elapsed


def untrusted_certificate_rejected():
    # without the harness certificate as trust anchor, TLS must fail: pinning is meaningful
    context = ssl.create_default_context()
    try:
        imaplib.IMAP4_SSL(h.host, h.imaps_port, ssl_context=context, timeout=10)
    except ssl.SSLCertVerificationError:
        return
    raise AssertionError("the harness certificate verified without being trusted")


def certificate_fingerprint():
    with open(h.ca_file) as f:
        expected = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
    with socket.create_connection((h.host, h.imaps_port), timeout=10) as raw:
        with tls_context().wrap_socket(raw, server_hostname=h.host) as tls:
            served = hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()
    assert served == expected, (served, expected)
    der = subprocess.run(["openssl", "x509", "-in", h.ca_file, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    assert hashlib.sha256(der).hexdigest() == expected


def pop3s_and_stls():
    user, password = pt.new_user()
    client = poplib.POP3_SSL(h.host, h.pop3s_port, context=tls_context(), timeout=10)
    client.user(user)
    client.pass_(password)
    assert client.stat() == (0, 0), client.stat()
    client.quit()
    client = poplib.POP3(h.host, h.pop3_port, timeout=10)
    client.stls(context=tls_context())
    client.user(user)
    client.pass_(password)
    client.quit()


def submission_needs_auth():
    user, _password = pt.new_user()
    with smtplib.SMTP(h.host, h.submission_port, timeout=10) as client:
        client.ehlo()
        assert not client.has_extn("auth"), "AUTH offered before STARTTLS"
        client.starttls(context=tls_context())
        client.ehlo()
        assert client.has_extn("auth")
        # the refusal comes at RCPT (smtpd_delay_reject)
        client.mail(pt.address(user))
        code, reply = client.rcpt(pt.address(user))
        assert code >= 500, "submission accepted mail without AUTH (%d %r)" % (code, reply)


def submission_587_delivers():
    sender, sender_password = pt.new_user()
    recipient, recipient_password = pt.new_user()
    subject = "selftest 587 " + uuid.uuid4().hex
    with smtplib.SMTP(h.host, h.submission_port, timeout=10) as client:
        client.starttls(context=tls_context())
        client.login(sender, sender_password)
        client.send_message(message(pt.address(sender), pt.address(recipient), subject))
    wait_for_subject(recipient, recipient_password, subject)
    # and POP3 sees the same mailbox
    client = poplib.POP3_SSL(h.host, h.pop3s_port, context=tls_context(), timeout=10)
    client.user(recipient)
    client.pass_(recipient_password)
    count, _size = client.stat()
    assert count == 1, count
    client.quit()


def submissions_465_to_outside_lands_in_sink():
    sender, sender_password = pt.new_user()
    subject = "selftest 465 " + uuid.uuid4().hex
    with smtplib.SMTP_SSL(h.host, h.submissions_port, context=tls_context(), timeout=10) as client:
        client.login(sender, sender_password)
        client.send_message(message(pt.address(sender), "someone@elsewhere.example", subject))
    wait_for_subject(h.sink_user, h.sink_password, subject)


def unknown_local_recipient_rejected():
    with smtplib.SMTP(h.host, h.smtp_port, timeout=10) as client:
        client.ehlo()
        client.mail("someone@elsewhere.example")
        code, reply = client.rcpt("nobody-%s@%s" % (uuid.uuid4().hex[:8], h.domain))
        assert code == 550, (code, reply)


def seed_and_deliver():
    user, password = pt.new_user()
    pt.seed(user, 25)
    pt.seed(user, 7, "Lists/dev", "--no-specials")
    client = imaps(user, password)
    for folder, count in (("INBOX", 25), ("Lists/dev", 7)):
        status, data = client.status('"%s"' % folder, "(MESSAGES)")
        assert status == "OK" and b"MESSAGES %d" % count in data[0], data
    client.logout()
    subject = "delivered " + uuid.uuid4().hex
    pt.deliver(user, message(pt.address(user), pt.address(user), subject).as_string(),
               folder="Archive")
    assert "Subject: " + subject in inbox_subjects(user, password, "Archive")


def new_users_are_distinct():
    first, _ = pt.new_user()
    second, _ = pt.new_user()
    assert first != second
    result = subprocess.run([h.script, "adduser", first, "again"], capture_output=True, text=True)
    assert result.returncode != 0 and "exists already" in result.stderr, result


def keyring_unlocked():
    label = "pigeon harness selftest " + uuid.uuid4().hex
    store = subprocess.run(["secret-tool", "store", "--label", label, "selftest", label],
                           input="s3cret", text=True, capture_output=True, timeout=10)
    assert store.returncode == 0, store.stderr
    lookup = subprocess.run(["secret-tool", "lookup", "selftest", label],
                            capture_output=True, text=True, timeout=10)
    assert lookup.stdout == "s3cret", lookup
    subprocess.run(["secret-tool", "clear", "selftest", label], check=True, timeout=10)


def nothing_in_tmp():
    # every harness file lives under the harness directory, temporary files included
    assert os.environ["TMPDIR"].startswith(h.dir), os.environ["TMPDIR"]
    assert os.environ["XDG_RUNTIME_DIR"].startswith(h.dir)
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"].startswith("unix:path=" + h.dir)


tap.run("a new user logs in over IMAPS and sees the special folders", imaps_login)
tap.run("IMAP with STARTTLS and the capabilities Pigeon uses", imap_starttls_login)
tap.run("a wrong password is rejected", wrong_password_rejected)
tap.run("the certificate is not trusted without pinning", untrusted_certificate_rejected)
tap.run("the served certificate matches the CA file's fingerprint", certificate_fingerprint)
tap.run("POP3S and POP3 with STLS", pop3s_and_stls)
tap.run("submission (587) wants STARTTLS and AUTH", submission_needs_auth)
tap.run("mail sent through 587 arrives in IMAP and POP3", submission_587_delivers)
tap.run("mail to outside addresses through 465 lands in sink",
        submissions_465_to_outside_lands_in_sink)
tap.run("an unknown local recipient is rejected", unknown_local_recipient_rejected)
tap.run("seeding and delivering into folders", seed_and_deliver)
tap.run("users are distinct and cannot be added twice", new_users_are_distinct)
tap.run("the keyring is unlocked", keyring_unlocked)
tap.run("the session lives under the harness directory", nothing_in_tmp)
tap.finish()
