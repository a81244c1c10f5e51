#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""POP3 accounts through pigeonctl against the harness Dovecot: downloads, new mail, each
keep policy (checked with a second client, Python's poplib), STLS and POP3S, a wrong
password, a locked mailbox, and SIGKILL at many points of download-and-delete: after each
crash the server and the store together hold every original message exactly once."""
import collections
import hashlib
import json
import os
import poplib
import random
import signal
import socket
import sqlite3
import ssl
import subprocess
import threading
import time
import uuid

import pigeon_test as pt

H = pt.require()
tap = pt.Tap()
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")
# poplib refuses lines over 2 KiB; real mail has longer ones.
poplib._MAXLINE = 1 << 20

with open(H.ca_file) as f:
    FINGERPRINT = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def digest(raw):
    return hashlib.sha256(raw).hexdigest()


# ------------------------------------------------------------------------------ the server
def pop_client(user, password, timeout=10.0):
    """A logged-in poplib client over POP3S, retrying while the mailbox is locked."""
    context = ssl.create_default_context(cafile=H.ca_file)
    deadline = time.monotonic() + timeout
    while True:
        client = poplib.POP3_SSL(H.host, H.pop3s_port, context=context, timeout=30)
        try:
            client.user(user)
            client.pass_(password)
            return client
        except poplib.error_proto as e:
            client.close()
            if b"IN-USE" not in e.args[0] or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def server_messages(user, password):
    """{uidl: raw bytes} of what the server holds, as a second client sees it."""
    client = pop_client(user, password)
    try:
        result = {}
        for line in client.uidl()[1]:
            number, uidl = line.decode().split()
            lines = client.retr(int(number))[1]
            result[uidl] = b"\r\n".join(lines) + b"\r\n"
        return result
    finally:
        client.quit()


def make_message(subject):
    return ("From: Sender <sender@example.test>\r\n"
            "To: someone@example.test\r\n"
            "Subject: %s\r\n"
            "Message-ID: <%s@pigeon.test>\r\n"
            "Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
            "\r\n"
            "Body of %s.\r\n"
            ".a line with a leading dot\r\n" % (subject, uuid.uuid4(), subject))


# ------------------------------------------------------------------------------ pigeonctl
class Account:
    """A harness user of its own and a pigeonctl account for it."""

    def __init__(self, keep="forever", security="tls", seed=0, password=None, port=None):
        self.user, self.password = pt.new_user()
        if seed:
            pt.seed(self.user, seed)
        self.config, self.data = pt.make_dirs()
        if port is None:
            port = H.pop3s_port if security == "tls" else H.pop3_port
        result = self.ctl("account", "add", "--name", "Pop", "--email", pt.address(self.user),
                          "--protocol", "pop3", "--host", H.host, "--port", str(port),
                          "--security", security, "--user", self.user, "--password-stdin",
                          "--trust-certificate", FINGERPRINT, "--pop3-keep", keep,
                          input=(password or self.password) + "\n")
        assert result.returncode == 0, result.stderr
        self.id = result.stdout.strip()

    def ctl(self, *args, input=None, timeout=300):
        return subprocess.run([PIGEONCTL, "--config-dir", self.config, "--data-dir", self.data]
                              + list(args), input=input, capture_output=True, text=True,
                              timeout=timeout)

    def show_raw(self, folder, message_id):
        result = subprocess.run([PIGEONCTL, "--config-dir", self.config, "--data-dir", self.data,
                                 "show", self.id, folder, str(message_id), "--raw"],
                                capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def sync(self):
        # A session killed a moment ago may hold Dovecot's lock for a little longer.
        deadline = time.monotonic() + 10
        while True:
            result = self.ctl("sync", self.id)
            if result.returncode == 0 or "Another program" not in result.stderr \
                    or time.monotonic() > deadline:
                return result
            time.sleep(0.1)

    def sync_ok(self):
        result = self.sync()
        assert result.returncode == 0, result.stderr
        return result

    def popen_sync(self):
        return subprocess.Popen([PIGEONCTL, "--config-dir", self.config, "--data-dir",
                                 self.data, "sync", self.id],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def set_port(self, port):
        path = os.path.join(self.config, "accounts.ini")
        with open(path) as f:
            lines = f.read().splitlines()
        lines = [("port=%d" % port) if line.startswith("port=") else line for line in lines]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def listed(self, folder="Inbox"):
        result = self.ctl("list", self.id, folder, "--json")
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    def db(self):
        return sqlite3.connect(os.path.join(self.data, self.id, "store.db"), timeout=30)

    def local_raw(self):
        """Raw bytes of every message in the store, whatever its folder."""
        if not os.path.exists(os.path.join(self.data, self.id, "store.db")):
            return []
        with self.db() as db:
            return [bytes(row[0]) for row in
                    db.execute("SELECT b.raw FROM messages m JOIN bodies b "
                               "ON b.message_id = m.id")]

    def message_count(self):
        with self.db() as db:
            return db.execute("SELECT count(*) FROM messages").fetchone()[0]


# ------------------------------------------------------------------------------ cases
def download_seeded():
    account = Account(seed=40)
    before = server_messages(account.user, account.password)
    assert len(before) == 40
    account.sync_ok()

    listed = account.listed()
    assert len(listed) == 40, len(listed)
    local = collections.Counter(digest(raw) for raw in account.local_raw())
    assert local == collections.Counter(digest(raw) for raw in before.values())
    # What pigeonctl shows is the server's message, byte for byte.
    for message in listed[:5]:
        assert account.show_raw("Inbox", message["id"]) in before.values()
    folders = account.ctl("folders", account.id).stdout.splitlines()
    assert [line.split("\t")[:2] for line in folders] == [
        ["Drafts", "drafts"], ["Inbox", "inbox"], ["Sent", "sent"], ["Trash", "trash"]], folders
    # Forever is the default: the server keeps everything.
    assert server_messages(account.user, account.password) == before


def new_mail_only():
    account = Account(seed=20)
    account.sync_ok()
    first_ids = {m["id"] for m in account.listed()}
    assert len(first_ids) == 20

    for i in range(3):
        pt.deliver(account.user, make_message("new %d" % i))
    account.sync_ok()
    listed = account.listed()
    assert len(listed) == 23, len(listed)
    # The first twenty kept their rows; only the three new ones arrived.
    assert first_ids <= {m["id"] for m in listed}
    assert sorted(m["subject"] for m in listed if m["id"] not in first_ids) == \
        ["new 0", "new 1", "new 2"]
    # And again: nothing new, nothing twice.
    account.sync_ok()
    assert len(account.listed()) == 23


def search_local_only():
    account = Account()
    pt.deliver(account.user, make_message("capybara sighting"))
    account.sync_ok()
    found = account.ctl("search", account.id, "capybara")
    assert found.returncode == 0 and "capybara sighting" in found.stdout, found
    # POP3 has no search on the server: one line that says so and what to do instead
    result = account.ctl("search", account.id, "capybara", "--server")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "POP3" in lines[0] and "cannot search" in lines[0] and "--server" in lines[0], lines


def keep_no():
    account = Account(keep="no", seed=15)
    before = server_messages(account.user, account.password)
    account.sync_ok()
    assert server_messages(account.user, account.password) == {}
    assert collections.Counter(digest(r) for r in account.local_raw()) == \
        collections.Counter(digest(r) for r in before.values())
    pt.deliver(account.user, make_message("later"))
    account.sync_ok()
    assert server_messages(account.user, account.password) == {}
    assert account.message_count() == 16


def keep_days():
    account = Account(keep="days:3", seed=10)
    before = server_messages(account.user, account.password)
    account.sync_ok()
    assert server_messages(account.user, account.password) == before
    # Two of them were downloaded four days ago, as far as the store knows.
    old = sorted(before)[:2]
    with account.db() as db:
        db.executemany("UPDATE pop3_uidls SET downloaded_at = downloaded_at - 4 * 86400 "
                       "WHERE uidl = ?", [(u,) for u in old])
    account.sync_ok()
    after = server_messages(account.user, account.password)
    assert sorted(after) == sorted(set(before) - set(old)), (sorted(after), old)
    assert account.message_count() == 10


def keep_until_deleted():
    account = Account(keep="until-deleted", seed=6)
    before = server_messages(account.user, account.password)
    account.sync_ok()
    listed = account.listed()

    # Reading, flagging and moving are local: the server keeps everything.
    victim, moved = listed[0], listed[1]
    victim_raw = account.show_raw("Inbox", victim["id"])
    assert account.ctl("flag", account.id, "Inbox", str(moved["id"]), "+seen").returncode == 0
    assert account.ctl("move", account.id, "Inbox", str(moved["id"]), "Drafts").returncode == 0
    assert account.ctl("delete", account.id, "Inbox", str(victim["id"])).returncode == 0
    assert [m["id"] for m in account.listed("Trash")] == [victim["id"]]
    account.sync_ok()
    assert server_messages(account.user, account.password) == before

    # Deleted for good in Pigeon: deleted on the server at the next check.
    result = account.ctl("delete", account.id, "Trash", str(victim["id"]))
    assert result.returncode == 0, result.stderr
    account.sync_ok()
    after = server_messages(account.user, account.password)
    gone = set(before) - set(after)
    assert len(after) == 5 and len(gone) == 1, (len(after), gone)
    # The one deleted is the victim, and it does not come back.
    assert before[gone.pop()] == victim_raw
    account.sync_ok()
    assert account.message_count() == 5
    assert len(account.listed("Drafts")) == 1


def stls_and_pop3s():
    for security in ("starttls", "tls"):
        account = Account(security=security, seed=5)
        account.sync_ok()
        assert len(account.listed()) == 5, security


def wrong_password():
    account = Account(seed=3, password="certainly-wrong")
    result = account.sync()
    assert result.returncode != 0
    assert "rejected" in result.stderr and account.user in result.stderr, result.stderr
    assert "certainly-wrong" not in result.stderr
    assert len(server_messages(account.user, account.password)) == 3


def in_use():
    account = Account(seed=4)
    holder = pop_client(account.user, account.password)
    try:
        result = account.ctl("sync", account.id)
        assert result.returncode != 0
        assert "Another program" in result.stderr, result.stderr
    finally:
        holder.quit()
    account.sync_ok()
    assert len(account.listed()) == 4


# ------------------------------------------------------------------------------ crashes
class StallProxy:
    """A TCP proxy to the plain POP3 port that turns into a black hole at a chosen point:
    after DOWN_AT bytes from the server, or when the client sends UP_TOKEN.  pigeonctl then
    waits forever, and the test kills it there."""

    def __init__(self, down_at=None, up_token=None):
        self.down_at = down_at
        self.up_token = up_token
        self.stalled = threading.Event()
        self.listener = socket.socket()
        self.listener.bind((H.host, 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            client, _ = self.listener.accept()
        except OSError:
            return
        server = socket.create_connection((H.host, H.pop3_port))
        down = threading.Thread(target=self._pump, args=(server, client, True), daemon=True)
        down.start()
        self._pump(client, server, False)
        # The client is gone: let Dovecot see it at once, so its lock goes too.
        for s in (client, server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _pump(self, source, sink, from_server):
        count = 0
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            if self.stalled.is_set():
                continue
            if from_server and self.down_at is not None and count + len(data) >= self.down_at:
                data = data[:self.down_at - count]
                self.stalled.set()
            elif not from_server and self.up_token is not None and self.up_token in data:
                self.stalled.set()
                continue
            count += len(data)
            try:
                sink.sendall(data)
            except OSError:
                return

    def close(self):
        self.listener.close()


def server_uidls(account):
    client = pop_client(account.user, account.password)
    try:
        return [line.decode().split()[1] for line in client.uidl()[1]]
    finally:
        client.quit()


def learn_new(account, originals):
    """Adds the digest of every message on the server not seen before (by its UIDL)."""
    client = pop_client(account.user, account.password)
    try:
        for line in client.uidl()[1]:
            number, uidl = line.decode().split()
            if uidl not in originals:
                lines = client.retr(int(number))[1]
                originals[uidl] = digest(b"\r\n".join(lines) + b"\r\n")
    finally:
        client.quit()


def check_exactly_once(account, originals, final=False):
    """ORIGINALS: {uidl: digest} of every message ever put on the server.  What the server
    still lists plus what the store holds is each of them exactly once (a message may be in
    both only while its DELE is pending)."""
    wanted = collections.Counter(originals.values())
    server = collections.Counter(originals[u] for u in server_uidls(account))
    local = collections.Counter(digest(r) for r in account.local_raw())
    assert not (set(local) - set(wanted)), "unknown messages in the store"
    for h, n in wanted.items():
        assert local[h] <= n, "downloaded twice: %s" % h
        assert local[h] + server[h] >= n, "lost: %s" % h
    print("# after a crash: %d of %d in the store, %d on the server"
          % (sum(local.values()), sum(wanted.values()), sum(server.values())), flush=True)
    if final:
        assert local == wanted, (sum(local.values()), sum(wanted.values()))
        assert not server, "%d left on the server" % sum(server.values())


def stream_offset(account, originals, fraction):
    """About where in the next session's byte stream FRACTION of the messages still to
    download have arrived: the handshake, the listings, then the messages."""
    local = set(digest(r) for r in account.local_raw())
    client = pop_client(account.user, account.password)
    try:
        sizes = dict(line.decode().split() for line in client.list()[1])
        uidls = dict(line.decode().split() for line in client.uidl()[1])
    finally:
        client.quit()
    remaining = sum(int(sizes[n]) for n, u in uidls.items() if originals[u] not in local)
    return 3000 + 40 * len(sizes) + int(remaining * fraction)


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait()


def crash_during_download_and_delete():
    # 700 messages: several transactions, so crashes land between them as well as inside.
    # Plain text (the account's opt-in), so the proxy below can see the commands.
    account = Account(keep="no", seed=700, security="none")
    originals = {}
    learn_new(account, originals)
    rng = random.Random(5)
    crashes = 0

    # Kills at chosen points of the byte stream, and just before DELE and QUIT get through.
    points = [("down", f) for f in (0.01, 0.3, 0.6, 0.9, 0.15, 0.5, 0.75, 0.97)]
    points += [("up", b"DELE"), ("up", b"QUIT")]
    for kind, where in points:
        if kind == "down":
            proxy = StallProxy(down_at=stream_offset(account, originals, where))
        else:
            pt.deliver(account.user, make_message("before %s" % where.decode()))
            learn_new(account, originals)
            proxy = StallProxy(up_token=where)
        account.set_port(proxy.port)
        process = account.popen_sync()
        deadline = time.monotonic() + 120
        while not proxy.stalled.is_set() and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        if process.poll() is None:
            kill(process)
            crashes += 1
        proxy.close()
        account.set_port(H.pop3_port)
        check_exactly_once(account, originals)

    # Kills after random delays, straight to the server, with new mail arriving in between.
    for i in range(14):
        pt.seed(account.user, rng.randrange(50, 400), "INBOX", "--seed", str(100 + i))
        learn_new(account, originals)
        process = account.popen_sync()
        time.sleep(rng.uniform(0.0, 0.3))
        if process.poll() is None:
            kill(process)
            crashes += 1
        check_exactly_once(account, originals)

    assert crashes >= 10, crashes
    account.sync_ok()
    check_exactly_once(account, originals, final=True)


tap.run("download of a seeded mailbox", download_seeded)
tap.run("new mail only downloads the new messages", new_mail_only)
tap.run("search: the local index; --server is refused in a sentence", search_local_only)
tap.run("keep no: deleted on the server right after download", keep_no)
tap.run("keep days:3: deleted on the server after three days", keep_days)
tap.run("keep until-deleted: deleted on the server when deleted in Pigeon", keep_until_deleted)
tap.run("STLS and POP3S", stls_and_pop3s)
tap.run("wrong password", wrong_password)
tap.run("[IN-USE] while another client holds the mailbox", in_use)
tap.run("SIGKILL during download and delete loses and duplicates nothing",
        crash_during_download_and_delete)
tap.finish()
