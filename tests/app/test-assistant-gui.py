#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The account assistant, driven through AT-SPI against the harness servers.

A small web server stands in for the autoconfig service of a few domains: example.test (and
slow.test, which answers slowly) point at the harness Dovecot and Postfix, unreachable.test at
a port where nothing listens; nowhere.test has nothing.  Pigeon is pointed at it with
PIGEON_TEST_AUTOCONFIG_BASE, the test plumbing of PigeonAutoconfig.  The harness servers'
certificate is self-signed, so every first login meets the certificate question."""
import configparser
import hashlib
import http.server
import os
import ssl
import subprocess
import threading
import time

import pigeon_test as pt

h = pt.require()
tap = pt.Tap()
PIGEONCTL = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "src", "cli",
                         "pigeonctl")

SERVER = """<incomingServer type="{type}"><hostname>127.0.0.1</hostname><port>{port}</port>
<socketType>{socket}</socketType><username>%EMAILLOCALPART%</username>
<authentication>password-cleartext</authentication></incomingServer>"""
OUTGOING = """<outgoingServer type="smtp"><hostname>127.0.0.1</hostname><port>{port}</port>
<socketType>{socket}</socketType><username>%EMAILLOCALPART%</username>
<authentication>password-cleartext</authentication></outgoingServer>"""


def config_file(name, incoming, outgoing):
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<clientConfig version='1.1'>"
            "<emailProvider id='%s'><domain>%s</domain><displayName>%s</displayName>%s%s"
            "</emailProvider></clientConfig>\n"
            % (name, name, name.split(".")[0].capitalize() + " Mail",
               "".join(SERVER.format(**s) for s in incoming),
               "".join(OUTGOING.format(**s) for s in outgoing)))


HARNESS_CONFIG = config_file(
    "example.test",
    [dict(type="imap", port=h.imaps_port, socket="SSL"),
     dict(type="imap", port=h.imap_port, socket="STARTTLS"),
     dict(type="pop3", port=h.pop3s_port, socket="SSL")],
    [dict(port=h.submissions_port, socket="SSL"),
     dict(port=h.submission_port, socket="STARTTLS")])
CONFIGS = {
    "example.test": HARNESS_CONFIG,
    "slow.test": HARNESS_CONFIG,
    "bigcloud.test": config_file("bigcloud.test",
                                 [dict(type="imap", port=h.imaps_port, socket="SSL")],
                                 [dict(port=h.submissions_port, socket="SSL")])
    .replace("password-cleartext", "OAuth2"),
    "unreachable.test": config_file("unreachable.test",
                                    [dict(type="imap", port=1, socket="SSL")],
                                    [dict(port=1, socket="SSL")]),
}


class AutoconfigHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        parts = self.path.split("/")
        # /autoconfig.DOMAIN/mail/config-v1.1.xml, as PigeonAutoconfig's http-base asks
        domain = parts[1][len("autoconfig."):] if parts[1].startswith("autoconfig.") else None
        if domain in CONFIGS and self.path.endswith("/mail/config-v1.1.xml"):
            if domain == "slow.test":
                time.sleep(2)
            body = CONFIGS[domain].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    do_POST = do_GET

    def log_message(self, *args):
        pass


httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AutoconfigHandler)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
os.environ["PIGEON_TEST_AUTOCONFIG_BASE"] = "http://127.0.0.1:%d" % httpd.server_address[1]

with open(h.ca_file) as f:
    HARNESS_SHA256 = hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()
HARNESS_FINGERPRINT = ":".join(HARNESS_SHA256[i:i + 2] for i in range(0, 64, 2)).upper()


# ------------------------------------------------------------------------------ helpers
def accounts(config):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(config, "accounts.ini"))
    return {section.split(" ", 1)[1]: dict(parser[section])
            for section in parser.sections() if section.startswith("Account ")}


def keyring_lookup(account_id):
    result = subprocess.run(["secret-tool", "lookup", "account", account_id, "role", "incoming"],
                            capture_output=True, text=True, timeout=30)
    return result.stdout if result.returncode == 0 else None


def ctl(config, data, *args):
    return subprocess.run([PIGEONCTL, "--config-dir", config, "--data-dir", data] + list(args),
                          capture_output=True, text=True, timeout=120)



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
    """A screenshot once the page's cross-fade is over."""
    time.sleep(0.5)
    pt.screenshot(name)


def open_assistant(app):
    """Every test starts without an account, so the first window opens on the assistant."""
    return pt.find(app.node, "Add Mail Account", role="dialog")


def fill_details(dialog, address, password, name="Alice Example"):
    pt.set_text(pt.find(dialog, "Your name", role="text"), name)
    pt.set_text(pt.find(dialog, "E-mail address", role="text"), address)
    pt.set_text(pt.find(dialog, "Password", role="password text"), password)
    next_button = pt.find(dialog, "Next", role="push button")
    pt.wait_until(lambda: next_button.sensitive, what="Next becoming sensitive")
    return next_button


def label_showing(dialog, text, timeout=20.0):
    return pt.find(dialog, text, role="label", timeout=timeout)


def trust_certificate(dialog, screenshot_name=None):
    label_showing(dialog, "The Server’s Certificate Is Not Trusted")
    fingerprint = pt.find(dialog, "Certificate fingerprint", role="label")
    shown = fingerprint.text.replace("\n", ":")
    assert shown == HARNESS_FINGERPRINT, (fingerprint.text, HARNESS_FINGERPRINT)
    if screenshot_name:
        shot(screenshot_name)
    pt.activate(pt.find(dialog, "Trust This Certificate", role="push button"))


def dialog_gone(app, name="Add Mail Account"):
    return not pt.find_all(app.node, role="dialog", name=name)


# ------------------------------------------------------------------------------ cases
def address_and_password_make_a_working_account():
    user, password = pt.new_user()
    pt.seed(user, 12)
    address = "%s@example.test" % user
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        shot("assistant-details-empty")
        next_button = fill_details(dialog, address, password)
        shot("assistant-details")
        pt.activate(next_button)

        # IMAP and POP3 are offered, with what each is good for; IMAP is preselected.
        label_showing(dialog, "How Should Pigeon Get Your Mail?")
        imap = pt.find(dialog, "IMAP", role="radio button")
        pop3 = pt.find(dialog, "POP3", role="radio button")
        assert imap.checked and not pop3.checked
        pt.find(dialog, "Choose it if you also read this mail on a phone, on another computer "
                        "or in webmail.", role="label")
        shot("assistant-choose")
        pt.activate(pt.find(dialog, "Sign In", role="push button"))

        # The self-signed harness certificate: trusted once, for the incoming server; the
        # outgoing server shows the same certificate on the same host and is not asked again.
        trust_certificate(dialog, screenshot_name="assistant-certificate")
        pt.wait_until(lambda: dialog_gone(app), timeout=30, what="the assistant closing")
        shot("assistant-account-added")

    saved = accounts(config)
    (account_id, settings), = saved.items()
    assert settings["email"] == address, settings
    assert settings["protocol"] == "imap", settings
    assert settings["port"] == str(h.imaps_port), settings
    assert settings["security"] == "tls", settings
    assert settings["trusted-certificate"] == HARNESS_SHA256, settings
    assert settings["smtp-port"] == str(h.submissions_port), settings
    assert settings["smtp-trusted-certificate"] == HARNESS_SHA256, settings
    assert settings["real-name"] == "Alice Example", settings
    assert keyring_lookup(account_id) == password
    assert pt.find_in_tree(config, password) is None
    assert pt.find_in_tree(data, password) is None

    # A working account: it syncs, and its inbox fills.
    result = ctl(config, data, "sync", account_id)
    assert result.returncode == 0, result.stderr
    result = ctl(config, data, "list", account_id, "INBOX")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 12, result.stdout


def wrong_password_says_so():
    user, password = pt.new_user()
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        pt.activate(fill_details(dialog, "%s@example.test" % user, "not-" + password))
        pt.activate(pt.find(dialog, "Sign In", role="push button"))
        trust_certificate(dialog)
        # Back on the first page, the server's refusal shown, the password field in focus.
        error = pt.find(dialog, "Error", role="info bar", timeout=20)
        texts = [n.name for n in pt.find_all(error, role="label")]
        assert any("password" in t.lower() for t in texts), texts
        pt.find(dialog, "E-mail address", role="text")
        shot("assistant-wrong-password")

        # The right password then works, without looking the settings up again.
        pt.set_text(pt.find(dialog, "Password", role="password text"), password)
        pt.activate(pt.find(dialog, "Next", role="push button"))
        pt.activate(pt.find(dialog, "Sign In", role="push button"))
        pt.wait_until(lambda: dialog_gone(app), timeout=30, what="the assistant closing")
    assert len(accounts(config)) == 1


def unreachable_host_says_so():
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        pt.activate(fill_details(dialog, "carol@unreachable.test", "whatever"))
        label_showing(dialog, "Pigeon Could Not Reach 127.0.0.1")
        pt.find(dialog, "Try Again", role="push button")
        shot("assistant-unreachable")
        pt.activate(pt.find(dialog, "Cancel", role="push button"))
        pt.wait_until(lambda: dialog_gone(app), what="the assistant closing")
    assert not accounts(config)
    # The cache the login check made is gone with the account that was never added.
    assert os.listdir(data) == [], os.listdir(data)


def untrusted_certificate_then_pinned():
    user, password = pt.new_user()
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        pt.activate(fill_details(dialog, "%s@example.test" % user, password))
        pop3 = pt.find(dialog, "POP3", role="radio button")
        pt.activate(pop3)
        pt.wait_until(lambda: pop3.checked, what="POP3 being chosen")
        keep = pt.find(dialog, "Leave a copy of each message on the server", role="check box")
        pt.activate(keep)
        pt.wait_until(lambda: not keep.checked, what="the copy being declined")
        shot("assistant-choose-pop3")
        pt.activate(pt.find(dialog, "Sign In", role="push button"))

        # The certificate page names the server and why, and nothing is pinned by going back.
        label_showing(dialog, "The Server’s Certificate Is Not Trusted")
        pt.find(dialog, "127.0.0.1, port %d" % h.pop3s_port, role="label")
        details = [n.name for n in pt.find_all(dialog, role="label") if "self-signed" in n.name]
        assert details, "the certificate page says why it is not trusted"
        pt.activate(pt.find(dialog, "Back", role="push button"))
        pt.activate(pt.find(dialog, "Sign In", role="push button"))
        trust_certificate(dialog)
        pt.wait_until(lambda: dialog_gone(app), timeout=30, what="the assistant closing")

    (account_id, settings), = accounts(config).items()
    assert settings["protocol"] == "pop3", settings
    assert settings["pop3-keep"] == "no", settings
    assert settings["trusted-certificate"] == HARNESS_SHA256, settings


def nothing_found_offers_the_manual_form():
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        pt.activate(fill_details(dialog, "dave@nowhere.test", "secret-pw"))
        label_showing(dialog, "No Settings Found for nowhere.test")
        shot("assistant-not-found")
        pt.activate(pt.find(dialog, "Edit Settings Manually…", role="push button"))
        manual = pt.find(app.node, "Add Account", role="dialog")
        assert pt.find(manual, "E-mail address", role="text").text == "dave@nowhere.test"
        # A password field shows as many bullets as the password has characters.
        assert len(pt.find(manual, "Password", role="password text").text) == len("secret-pw")
        assert pt.find(manual, "Your name", role="text").text == "Alice Example"
        pt.wait_until(lambda: dialog_gone(app), what="the assistant closing")
        shot("assistant-manual-prefilled")


def browser_sign_in_only_says_so():
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        pt.activate(fill_details(dialog, "erin@bigcloud.test", "whatever"))
        label_showing(dialog, "Bigcloud Mail Needs a Sign-In Through Its Web Page")
        shot("assistant-browser-sign-in")
        # Nothing was tried: no login, nothing saved.
        pt.activate(pt.find(dialog, "Back", role="push button"))
        pt.find(dialog, "E-mail address", role="text")
    assert not accounts(config)
    assert os.listdir(data) == [], os.listdir(data)


def searching_shows_a_spinner():
    user, password = pt.new_user()
    config, data = pt.make_dirs()
    with pigeon(config, data) as app:
        dialog = open_assistant(app)
        pt.activate(fill_details(dialog, "%s@slow.test" % user, password))
        label_showing(dialog, "Looking up the settings for slow.test…", timeout=5)
        spinner = pt.find(dialog, "Working", role="animation")
        assert spinner.showing
        shot("assistant-searching")
        # Manual editing is offered while it searches, with what is known.
        pt.activate(pt.find(dialog, "Edit Settings Manually…", role="push button"))
        manual = pt.find(app.node, "Add Account", role="dialog")
        assert pt.find(manual, "E-mail address", role="text").text == "%s@slow.test" % user


tap.run("an address and a password make a working account",
        address_and_password_make_a_working_account)
tap.run("a wrong password says so, and the right one then works", wrong_password_says_so)
tap.run("an unreachable host says so, and cancelling leaves nothing behind",
        unreachable_host_says_so)
tap.run("an untrusted certificate is shown, and trusting it pins it (POP3)",
        untrusted_certificate_then_pinned)
tap.run("no settings found offers the manual form, prefilled", nothing_found_offers_the_manual_form)
tap.run("a provider that only allows a browser sign-in says so", browser_sign_in_only_says_so)
tap.run("searching shows a spinner, and the manual form stays reachable", searching_shows_a_spinner)
tap.finish()
