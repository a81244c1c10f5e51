#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The foundation's window, driven through AT-SPI: the empty state, adding an account by
hand (it appears in the sidebar, its password in the keyring only), and removing it."""
import configparser
import os
import subprocess
import time

import pigeon_test as pt

pt.require()
tap = pt.Tap()


def keyring_lookup(account_id):
    result = subprocess.run(["secret-tool", "lookup", "account", account_id, "role", "incoming"],
                            capture_output=True, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else None


def accounts(config):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(config, "accounts.ini"))
    return {section.split(" ", 1)[1]: dict(parser[section])
            for section in parser.sections() if section.startswith("Account ")}


def sidebar_names(app):
    tree = pt.find(app.node, "Folders", role="tree table")
    return [cell.name for cell in pt.find_all(tree, role="table cell")]


def first_run_assistant(app):
    """The assistant the first window opens on while there is no account."""
    return pt.find(app.node, "Add Mail Account", role="dialog")


def empty_state():
    config, data = pt.make_dirs()
    with pt.start_pigeon(config, data) as app:
        # The first run opens the assistant by itself; cancelled, it leaves the empty state.
        assistant = first_run_assistant(app)
        pt.find(assistant, "E-mail address", role="text")
        pt.screenshot("foundation-first-run", app.node)
        pt.activate(pt.find(assistant, "Cancel", role="push button"))
        pt.wait_until(lambda: not pt.find_all(app.node, role="dialog", name="Add Mail Account"),
                      what="the assistant closing")
        pt.find(app.node, "No accounts yet", role="label")
        pt.screenshot("foundation-empty-state", app.node)
        # Add Account opens it again.
        pt.activate(pt.find(app.node, "Add Account", role="push button"))
        pt.activate(pt.find(first_run_assistant(app), "Cancel", role="push button"))


def add_and_remove_account():
    config, data = pt.make_dirs()
    password = "gui-secret-%d" % os.getpid()
    with pt.start_pigeon(config, data) as app:
        # The assistant is open at the first run; the manual form is one step away from it.
        assistant = first_run_assistant(app)
        pt.activate(pt.find(assistant, "Edit Settings Manually…", role="push button"))
        dialog = pt.find(app.node, "Add Account", role="dialog")
        add = pt.find(dialog, "Add", role="push button")
        assert not add.sensitive, "Add is offered before the form is filled"
        pt.set_text(pt.find(dialog, "Account name", role="text"), "Work")
        pt.set_text(pt.find(dialog, "Your name", role="text"), "Alice Example")
        pt.set_text(pt.find(dialog, "E-mail address", role="text"), "alice@example.test")
        pt.set_text(pt.find(dialog, "Password", role="password text"), password)
        pt.set_text(pt.find(dialog, "Incoming server", role="text"), "127.0.0.1")
        pt.set_text(pt.find(dialog, "Outgoing server", role="text"), "127.0.0.1")
        pt.wait_until(lambda: add.sensitive, what="the Add button becoming sensitive")
        pt.screenshot("foundation-add-account-dialog", dialog)
        pt.activate(add)

        # The account shows in the sidebar at once, and is saved with its secret.
        pt.wait_until(lambda: any("Work" in name for name in sidebar_names(app)),
                      what="the new account in the sidebar")
        saved = pt.wait_until(lambda: accounts(config), what="accounts.ini being written")
        (account_id, settings), = saved.items()
        assert settings["email"] == "alice@example.test", settings
        assert settings["host"] == "127.0.0.1", settings
        assert keyring_lookup(account_id) == password
        assert pt.find_in_tree(config, password) is None
        assert pt.find_in_tree(data, password) is None
        pt.screenshot("foundation-account-added", app.node)

        # Remove it again through the Accounts dialog, after confirmation.
        pt.activate(pt.find(app.node, "Main Menu", role="toggle button"))
        pt.activate(pt.find(app.node, "Accounts", role="push button"))
        accounts_dialog = pt.find(app.node, "Accounts", role="dialog")
        pt.activate(pt.find(accounts_dialog, "Remove Work", role="push button"))
        confirm = pt.find(app.node, "Remove the account “Work”?", role="label").parent
        while confirm is not None and confirm.roleName not in ("alert", "dialog"):
            confirm = confirm.parent
        pt.activate(pt.find(confirm, "Remove", role="push button"))

        pt.wait_until(lambda: not accounts(config), what="the account leaving accounts.ini")
        pt.wait_until(lambda: keyring_lookup(account_id) is None,
                      what="the secret leaving the keyring")
        assert not os.path.exists(os.path.join(data, account_id))
        pt.find(app.node, "No accounts yet", role="label")


tap.run("the first run opens the assistant; cancelled, the empty state offers Add Account",
        empty_state)
tap.run("an account added by hand appears, and is removed with its secret", add_and_remove_account)
tap.finish()
