#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""pigeonctl account add/list/remove against the harness keyring: the password goes to the
keyring and nowhere else, and removing an account removes its secret and cache."""
import hashlib
import os
import re
import ssl
import subprocess

import pigeon_test as pt

pt.require()
tap = pt.Tap()
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")


def ctl(config, data, *args, input=None):
    return subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data] + list(args),
                          input=input, capture_output=True, text=True, timeout=60)


def keyring_lookup(account_id, role="incoming"):
    result = subprocess.run(["secret-tool", "lookup", "account", account_id, "role", role],
                            capture_output=True, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else None


def add_account(config, data, password, name="Work", protocol="imap", *extra):
    result = ctl(config, data, "account", "add", "--name", name, "--email",
                 "alice@example.test", "--protocol", protocol, "--host", "127.0.0.1",
                 "--password-stdin", *extra, input=password + "\n")
    assert result.returncode == 0, result.stderr
    account_id = result.stdout.strip()
    assert re.fullmatch(r"[0-9a-f]{8}", account_id), result.stdout
    return account_id


def add_list_remove():
    config, data = pt.make_dirs()
    password = "Pa55-unique-%d-ü" % os.getpid()
    account_id = add_account(config, data, password)

    listed = ctl(config, data, "account", "list")
    assert listed.returncode == 0, listed.stderr
    fields = listed.stdout.strip().split("\t")
    assert fields[:3] == [account_id, "Work", "imap"], listed.stdout

    assert keyring_lookup(account_id) == password
    # The password is in the keyring and in no file Pigeon wrote.
    for directory in (config, data):
        assert pt.find_in_tree(directory, password) is None, pt.find_in_tree(directory, password)
    with open(os.path.join(config, "accounts.ini")) as f:
        keys = [line.split("=", 1)[0] for line in f if "=" in line and not line.startswith("#")]
    assert not [k for k in keys if "password" in k.lower()], keys

    # Removing by name takes the account, its secret and its cache.
    os.makedirs(os.path.join(data, account_id), exist_ok=True)
    removed = ctl(config, data, "account", "remove", "Work")
    assert removed.returncode == 0, removed.stderr
    assert ctl(config, data, "account", "list").stdout == ""
    assert keyring_lookup(account_id) is None
    assert not os.path.exists(os.path.join(data, account_id))


def options_are_kept():
    config, data = pt.make_dirs()
    with open(pt.harness().ca_file) as f:
        fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
    account_id = add_account(config, data, "pw", "Home", "imap",
                             "--port", "993", "--security", "starttls", "--user", "alice",
                             "--trust-certificate", ":".join(fingerprint[i:i + 2]
                                                            for i in range(0, 64, 2)),
                             "--smtp-host", "127.0.0.1", "--smtp-port", "587",
                             "--smtp-security", "starttls", "--sync-days", "30")
    with open(os.path.join(config, "accounts.ini")) as f:
        ini = f.read()
    assert "[Account %s]" % account_id in ini
    for line in ("port=993", "security=starttls", "user=alice", "smtp-port=587",
                 "sync-window-days=30", "trusted-certificate=" + fingerprint.lower()):
        assert line in ini, (line, ini)


def errors_are_one_line():
    config, data = pt.make_dirs()
    cases = [
        (["account", "add", "--email", "a@example.test", "--protocol", "nntp", "--host", "h"],
         "Unknown protocol"),
        (["account", "add", "--protocol", "imap", "--host", "h"], "--email"),
        (["account", "add", "--email", "a@example.test", "--protocol", "imap", "--host", "h",
          "--trust-certificate", "xyz"], "SHA-256"),
        (["account", "add", "--email", "a@example.test", "--protocol", "imap", "--host", "h",
          "--pop3-keep", "sometimes"], "--pop3-keep"),
        (["account", "add", "--email", "a@example.test", "--protocol", "imap", "--host", "h",
          "--security", "maybe"], "--security"),
        (["account", "remove", "nosuch"], "No account"),
        (["frobnicate"], "unknown command"),
    ]
    for args, expected in cases:
        result = ctl(config, data, *args)
        assert result.returncode != 0, (args, result.stdout)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
    assert ctl(config, data, "account", "list").stdout == ""


def empty_password_refused():
    config, data = pt.make_dirs()
    result = ctl(config, data, "account", "add", "--email", "a@example.test", "--protocol",
                 "imap", "--host", "h", "--password-stdin", input="")
    assert result.returncode != 0 and "empty" in result.stderr, result.stderr
    assert ctl(config, data, "account", "list").stdout == ""


def damaged_config_is_reported():
    config, data = pt.make_dirs()
    path = os.path.join(config, "accounts.ini")
    with open(path, "w") as f:
        f.write("[Account 0123abcd]\nname=x\n\x01this line is broken\n")
    result = ctl(config, data, "account", "list")
    assert result.returncode == 0, result.stderr
    assert "damaged" in result.stderr and "accounts.ini.damaged-" in result.stderr, result.stderr
    with open(path) as f:
        assert "this line is broken" in f.read()   # not overwritten


def no_keyring_is_reported():
    config, data = pt.make_dirs()
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus")
    result = subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data, "account",
                             "add", "--email", "a@example.test", "--protocol", "imap", "--host",
                             "h", "--password-stdin"], input="secret-pw\n", env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "keyring" in result.stderr, result.stderr
    # Nothing was saved: no account, and the password in no file.
    assert ctl(config, data, "account", "list").stdout == ""
    assert pt.find_in_tree(config, "secret-pw") is None


tap.run("account add, list and remove", add_list_remove)
tap.run("account add keeps every option", options_are_kept)
tap.run("bad input gives a one-line error", errors_are_one_line)
tap.run("an empty password on stdin is refused", empty_password_refused)
tap.run("a damaged accounts.ini is reported and kept", damaged_config_is_reported)
tap.run("no keyring: a clear error and nothing saved", no_keyring_is_reported)
tap.finish()
