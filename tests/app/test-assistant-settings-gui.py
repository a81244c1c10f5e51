#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Account settings, driven through AT-SPI against the harness servers: changes apply at once
(accounts.ini follows while the dialog is open), servers are checked before they apply, the
password is checked before it is kept, trusted certificates can be forgotten, POP3 accounts
say how long mail stays on the server, and removing asks first."""
import configparser
import hashlib
import os
import ssl
import subprocess
import time

import pigeon_test as pt

h = pt.require()
tap = pt.Tap()
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")
with open(h.ca_file) as f:
    HARNESS_SHA256 = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def ctl(config, data, *args, input=None):
    return subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data] + list(args),
                          input=input, capture_output=True, text=True, timeout=120)


def settings_of(config):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(config, "accounts.ini"))
    sections = [s for s in parser.sections() if s.startswith("Account ")]
    return dict(parser[sections[0]]) if sections else None


def keyring_lookup(account_id):
    result = subprocess.run(["secret-tool", "lookup", "account", account_id, "role", "incoming"],
                            capture_output=True, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else None


def add_account(config, data, protocol="imap"):
    user, password = pt.new_user()
    port = h.imaps_port if protocol == "imap" else h.pop3s_port
    result = ctl(config, data, "account", "add", "--name", "Work", "--email",
                 "%s@example.test" % user, "--protocol", protocol, "--host", "127.0.0.1",
                 "--port", str(port), "--security", "tls", "--trust-certificate", HARNESS_SHA256,
                 "--smtp-host", "127.0.0.1", "--smtp-port", str(h.submissions_port),
                 "--smtp-security", "tls", "--password-stdin", input=password + "\n")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip(), user, password



class pigeon:
    """pt.start_pigeon, and afterwards no GLib/GTK warning or critical in what Pigeon said."""

    def __init__(self, config, data):
        self.app = pt.start_pigeon(config, data)

    def __enter__(self):
        return self.app

    def __exit__(self, *exc):
        self.app.stop()
        with open(self.app.log_path, errors="replace") as f:
            bad = [line for line in f if "-CRITICAL" in line or "-WARNING" in line]
        if exc[0] is None:
            assert not bad, "Pigeon complained:\n" + "".join(bad)
        return False


def shot(name):
    time.sleep(0.5)
    pt.screenshot(name)


def open_settings(app, name="Work"):
    pt.activate(pt.find(app.node, "Main Menu", role="toggle button"))
    pt.activate(pt.find(app.node, "Accounts", role="push button"))
    accounts = pt.find(app.node, "Accounts", role="dialog")
    pt.activate(pt.find(accounts, "Settings for %s" % name, role="push button"))
    return pt.find(app.node, "Account Settings", role="dialog")


def page(dialog, title):
    pt.activate(pt.find(dialog, title, role="radio button"))


def choose(combo, item):
    """Picks a combo box item through AT-SPI's selection interface, as a screen reader does
    (activating an item of a menu that never popped up is not something a user can do)."""
    menu = pt.find(combo, "", role="menu", showing=False)
    names = [child.name for child in menu.children]
    assert item in names, (item, names)
    assert combo.querySelection().selectChild(names.index(item))


def wait_setting(config, key, value, what=None):
    return pt.wait_until(lambda: (settings_of(config) or {}).get(key) == value,
                         what=what or "%s becoming %r in accounts.ini" % (key, value))


# ------------------------------------------------------------------------------ cases
def changes_apply_at_once():
    config, data = pt.make_dirs()
    account_id, user, password = add_account(config, data)
    with pigeon(config, data) as app:
        dialog = open_settings(app)
        shot("settings-account")
        pt.set_text(pt.find(dialog, "Account name", role="text"), "Office")
        wait_setting(config, "name", "Office")
        pt.find(app.node, "Settings for Office", role="push button")   # the list follows
        pt.set_text(pt.find(dialog, "Your name", role="text"), "Alice Example")
        wait_setting(config, "real-name", "Alice Example")
        pt.set_text(pt.find(dialog, "Signature", role="text"), "-- \nAlice")
        wait_setting(config, "signature", "-- \\nAlice")

        # A name another account has, or none, is not taken.
        pt.set_text(pt.find(dialog, "Account name", role="text"), "")
        time.sleep(1)
        assert settings_of(config)["name"] == "Office"

        # Other addresses to send from: added, and removed again.
        add = pt.find(dialog, "Add the address", role="push button")
        pt.set_text(pt.find(dialog, "Name for the new address", role="text"), "Alice at Home")
        pt.set_text(pt.find(dialog, "New address", role="text"), "not an address")
        time.sleep(0.3)
        assert not add.sensitive
        pt.set_text(pt.find(dialog, "New address", role="text"), "alice@home.example")
        pt.wait_until(lambda: add.sensitive, what="Add becoming sensitive")
        pt.activate(add)
        wait_setting(config, "identities", "Alice at Home <alice@home.example>")
        shot("settings-account-identities")
        pt.activate(pt.find(dialog, "Remove Alice at Home <alice@home.example>",
                            role="push button"))
        pt.wait_until(lambda: "identities" not in settings_of(config),
                      what="the address leaving accounts.ini")

        notify = pt.find(dialog, "Notifications", role="toggle button")
        assert notify.checked
        pt.activate(notify)
        wait_setting(config, "notify", "false")

        page(dialog, "Mail")
        choose(pt.find(dialog, "How often to check for new mail", role="combo box"),
               "Every 30 minutes")
        wait_setting(config, "check-interval", "30")
        choose(pt.find(dialog, "Which messages to download", role="combo box"), "The last month")
        wait_setting(config, "sync-window-days", "30")
        # An IMAP server keeps the mail: nothing to say about keeping it there.
        assert not pt.find_all(dialog, role="combo box", name="Keep messages on the server")
        shot("settings-mail")


def servers_are_checked():
    config, data = pt.make_dirs()
    account_id, user, password = add_account(config, data)
    with pigeon(config, data) as app:
        dialog = open_settings(app)
        page(dialog, "Servers")
        pt.find(dialog, "Forget the trusted certificate", role="push button")
        apply_button = pt.find(dialog, "Check and Apply", role="push button")
        assert not apply_button.sensitive
        shot("settings-servers")

        # A port where nothing listens: refused, and offered to apply anyway.
        pt.set_text(pt.find(dialog, "Incoming port", role="text"), "1")
        pt.wait_until(lambda: apply_button.sensitive, what="Check and Apply becoming sensitive")
        pt.activate(apply_button)
        error = pt.find(dialog, "Error", role="info bar", timeout=20)
        assert any("127.0.0.1" in n.name for n in pt.find_all(error, role="label"))
        pt.find(dialog, "Apply Anyway", role="push button")
        shot("settings-servers-refused")
        assert settings_of(config)["port"] == str(h.imaps_port)

        # STARTTLS on the plain port, same server, same certificate: checked, then applied
        # (the outgoing server shows that certificate too, and is trusted with it).
        pt.set_text(pt.find(dialog, "Incoming port", role="text"), str(h.imap_port))
        choose(pt.find(dialog, "Incoming security", role="combo box"), "STARTTLS")
        apply_button = pt.find(dialog, "Check and Apply", role="push button")
        pt.wait_until(lambda: apply_button.sensitive, what="Check and Apply becoming sensitive")
        pt.activate(apply_button)
        pt.find(dialog, "Applied.", role="label", timeout=20)
        wait_setting(config, "port", str(h.imap_port))
        assert settings_of(config)["security"] == "starttls"
        assert settings_of(config)["trusted-certificate"] == HARNESS_SHA256
        assert settings_of(config)["smtp-trusted-certificate"] == HARNESS_SHA256

        # Forgetting the certificate applies at once; the next check asks again.
        pt.activate(pt.find(dialog, "Forget the trusted certificate", role="push button"))
        pt.wait_until(lambda: "trusted-certificate" not in settings_of(config),
                      what="the certificate leaving accounts.ini")
        pt.set_text(pt.find(dialog, "Incoming port", role="text"), str(h.imaps_port))
        choose(pt.find(dialog, "Incoming security", role="combo box"), "TLS")
        apply_button = pt.find(dialog, "Check and Apply", role="push button")
        pt.wait_until(lambda: apply_button.sensitive, what="Check and Apply becoming sensitive")
        pt.activate(apply_button)
        error = pt.find(dialog, "Error", role="info bar", timeout=20)
        assert any("self-signed" in n.name for n in pt.find_all(error, role="label"))
        shot("settings-servers-certificate")
        pt.activate(pt.find(error, "Trust This Certificate", role="push button"))
        pt.find(dialog, "Applied.", role="label", timeout=20)
        wait_setting(config, "trusted-certificate", HARNESS_SHA256)
        assert settings_of(config)["port"] == str(h.imaps_port)


def password_is_checked():
    config, data = pt.make_dirs()
    account_id, user, password = add_account(config, data)
    with pigeon(config, data) as app:
        dialog = open_settings(app)
        page(dialog, "Servers")
        pt.activate(pt.find(dialog, "Change Password", role="push button"))
        change = pt.find(app.node, "Change Password", role="dialog")
        pt.set_text(pt.find(change, "New password", role="password text"), "wrong-" + password)
        pt.activate(pt.find(change, "Save", role="push button"))
        error = pt.find(change, "Error", role="info bar", timeout=20)
        assert any("password" in n.name.lower() for n in pt.find_all(error, role="label"))
        shot("settings-password-refused")
        assert keyring_lookup(account_id) == password

        pt.set_text(pt.find(change, "New password", role="password text"), password + "")
        pt.activate(pt.find(change, "Save", role="push button"))
        pt.wait_until(lambda: not pt.find_all(app.node, role="dialog", name="Change Password"),
                      timeout=20, what="the password dialog closing")
        assert keyring_lookup(account_id) == password


def pop3_keep_policy():
    config, data = pt.make_dirs()
    add_account(config, data, protocol="pop3")
    with pigeon(config, data) as app:
        dialog = open_settings(app)
        page(dialog, "Mail")
        choose(pt.find(dialog, "Keep messages on the server", role="combo box"),
               "Delete them after some days")
        wait_setting(config, "pop3-keep", "days")
        days = pt.find(dialog, "Days to keep messages on the server", role="spin button")
        days.value = 30
        wait_setting(config, "pop3-keep-days", "30")
        shot("settings-mail-pop3")


def removal_asks_first():
    config, data = pt.make_dirs()
    account_id, user, password = add_account(config, data)
    with pigeon(config, data) as app:
        dialog = open_settings(app)
        pt.activate(pt.find(dialog, "Remove Account…", role="push button"))
        confirm = pt.find(app.node, "Remove the account “Work”?", role="label").parent
        while confirm is not None and confirm.roleName not in ("alert", "dialog"):
            confirm = confirm.parent
        shot("settings-remove-confirm")
        pt.activate(pt.find(confirm, "Cancel", role="push button"))
        time.sleep(0.5)
        assert settings_of(config) is not None

        pt.activate(pt.find(dialog, "Remove Account…", role="push button"))
        confirm = pt.find(app.node, "Remove the account “Work”?", role="label").parent
        while confirm is not None and confirm.roleName not in ("alert", "dialog"):
            confirm = confirm.parent
        pt.activate(pt.find(confirm, "Remove", role="push button"))
        pt.wait_until(lambda: settings_of(config) is None, what="the account leaving accounts.ini")
        pt.wait_until(lambda: keyring_lookup(account_id) is None,
                      what="the secret leaving the keyring")
        pt.wait_until(lambda: not pt.find_all(app.node, role="dialog", name="Account Settings"),
                      what="the settings closing")


tap.run("settings apply as they change", changes_apply_at_once)
tap.run("servers are checked before they apply; certificates can be forgotten", servers_are_checked)
tap.run("a new password is checked before the keyring keeps it", password_is_checked)
tap.run("a POP3 account says how long mail stays on the server", pop3_keep_policy)
tap.run("removing the account asks first", removal_asks_first)
tap.finish()
