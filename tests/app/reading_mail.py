# SPDX-License-Identifier: GPL-3.0-or-later
"""What the reading-window GUI tests and benchmarks read: hostile and ordinary messages, a
store filled with them (as if synced, by pigeon-fill-store), and a small HTTP server that
counts every connection and request, standing in for the internet a message points at."""
import base64
import http.server
import os
import socketserver
import struct
import subprocess
import threading
import time
import zlib

import pigeon_test as pt


def png(width, height, rgb):
    """A plain PNG of one colour, so an inline image is something to see."""
    row = b"\x00" + bytes(rgb) * width
    raw = zlib.compress(row * height)

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                             0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


class CountingServer:
    """An HTTP server on 127.0.0.1 that records each connection and each request path."""

    def __init__(self):
        self.connections = 0
        self.paths = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                with outer.lock:
                    outer.paths.append(self.path)
                body = png(8, 8, (0, 128, 255)) if self.path.endswith(".png") else b"p{}"
                self.send_response(200)
                self.send_header("Content-Type",
                                 "image/png" if self.path.endswith(".png") else "text/css")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                with outer.lock:
                    outer.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def seen(self):
        with self.lock:
            return self.connections, list(self.paths)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


HOSTILE_SUBJECT = "Spring sale, with pictures"
PLAIN_SUBJECT = "Notes from the meeting"
LOGO = png(48, 48, (220, 20, 60))


def hostile_message(server):
    """HTML that tries everything: remote images, CSS and fonts (with a preconnect), a
    script that would retitle the page, a meta refresh, an iframe, and a link."""
    url = server.url
    html = f"""<!DOCTYPE html>
<html><head><title>Original title</title>
<link rel="preconnect" href="{url('/')}">
<link rel="dns-prefetch" href="{url('/')}">
<link rel="stylesheet" href="{url('/style.css')}">
<meta http-equiv="refresh" content="1;url={url('/refresh')}">
<style>@import url("{url('/import.css')}");
@font-face {{ font-family: far; src: url({url('/font.woff')}); }}
body {{ font-family: far, sans-serif; background-image: url({url('/background.png')}); }}</style>
</head><body>
<h1>Everything half price</h1>
<p>Our logo: <img src="cid:logo@shop.example" alt="logo" width="48" height="48"></p>
<p>Tracking pixel: <img src="{url('/pixel.png')}" width="16" height="16" alt="pixel"></p>
<iframe src="{url('/frame')}"></iframe>
<script>document.title = "Script ran";</script>
<img src="x" onerror="document.title='Handler ran'">
<p><a href="{url('/clicked')}">Open the offer page</a></p>
</body></html>
"""
    logo = base64.encodebytes(LOGO).decode()
    return f"""From: Shop <news@shop.example>
To: Reader <reader@example.test>
Subject: {HOSTILE_SUBJECT}
Date: Mon, 01 Jan 2024 10:00:00 +0000
Message-ID: <hostile.1@shop.example>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: text/html; charset=utf-8

{html}
--rel
Content-Type: image/png
Content-ID: <logo@shop.example>
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

{logo}
--rel--
"""


def plain_message():
    return f"""From: Alice Example <alice@example.test>
To: Reader <reader@example.test>
Subject: {PLAIN_SUBJECT}
Date: Mon, 01 Jan 2024 09:00:00 +0000
Message-ID: <plain.1@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: text/plain; charset=utf-8

Hi,

the minutes are at https://example.org/minutes and attached.

> Can we move the review to Friday?
>> Only if the build is green.

Alice
--mix
Content-Type: application/pdf; name="minutes.pdf"
Content-Disposition: attachment; filename="minutes.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcOkw7zDtsOfCg==
--mix--
"""


def write_maildir(directory, messages, start=1704067200):
    """Writes RFC 5322 texts (newest last) into DIRECTORY/cur, unread."""
    cur = os.path.join(directory, "cur")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(directory, sub), exist_ok=True)
    for i, text in enumerate(messages):
        path = os.path.join(cur, "%d.M%dP%d.pigeon-test:2," % (start + i, i, os.getpid()))
        with open(path, "w", newline="\r\n") as f:
            f.write(text)
        os.utime(path, (start + i, start + i))


def fill_store(config, data, maildir, name="Reading", extra=()):
    """An account with the Maildir's messages in its store; returns the account id."""
    build = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
    tool = os.path.join(build, "tests", "app", "pigeon-fill-store")
    result = subprocess.run([tool, "--config-dir", config, "--data-dir", data,
                             "--maildir", maildir, "--name", name, "--bodies", "100000"]
                            + list(extra), capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError("pigeon-fill-store failed: " + result.stderr)
    return result.stdout.strip()


def start_reader(config, data, extra_env=None, wait_for_window=True):
    """Pigeon on CONFIG and DATA with a fake browser and PDF reader: a clicked link or an
    opened attachment is written to a file (returned) instead of opening anything.  Without
    WAIT_FOR_WINDOW it is not looked for on the accessibility bus (it runs without the bridge):
    the App has no node."""
    env = dict(os.environ)
    build = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
    schemas = os.path.join(build, "data")
    if os.path.isfile(os.path.join(schemas, "gschemas.compiled")):
        env["GSETTINGS_SCHEMA_DIR"] = schemas
    base = os.path.dirname(config)
    apps = os.path.join(base, "share", "applications")
    os.makedirs(apps, exist_ok=True)
    opened = os.path.join(base, "opened-uris.txt")
    browser = os.path.join(base, "fake-browser.sh")
    with open(browser, "w") as f:
        f.write("#!/bin/sh\necho \"$1\" >> '%s'\n" % opened)
    os.chmod(browser, 0o755)
    with open(os.path.join(apps, "pigeon-fake-browser.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Fake Browser\nExec=%s %%u\n"
                "MimeType=x-scheme-handler/http;x-scheme-handler/https;\n" % browser)
    with open(os.path.join(apps, "pigeon-fake-reader.desktop"), "w") as f:
        f.write("[Desktop Entry]\nType=Application\nName=Fake Reader\nExec=%s %%f\n"
                "MimeType=application/pdf;\n" % browser)
    with open(os.path.join(apps, "mimeapps.list"), "w") as f:
        f.write("[Default Applications]\nx-scheme-handler/http=pigeon-fake-browser.desktop\n"
                "x-scheme-handler/https=pigeon-fake-browser.desktop\n"
                "application/pdf=pigeon-fake-reader.desktop\n")
    env["XDG_DATA_HOME"] = os.path.join(base, "share")
    env.update(extra_env or {})
    argv = [pt.pigeon_binary(), "--config-dir", config, "--data-dir", data]
    if wait_for_window:
        return pt.start_app(argv, env=env, timeout=30), opened
    log_path = pt.artifact_path("pigeon-%d-%d.log" % (os.getpid(), time.monotonic_ns()))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    return pt.App(process, None, log_path), opened


# ------------------------------------------------------------------ the list and the sidebar

def message_table(app):
    return pt.find(app.node, "Messages", role="table")


def row_names(app):
    """The text of each row of the message list, top to bottom."""
    table = message_table(app).queryTable()
    return [table.getAccessibleAt(row, 1).name for row in range(table.nRows)]


def select_row(app, subject):
    """Selects the row whose text holds SUBJECT, the way a click would."""
    node = message_table(app)

    def find_row():
        table = node.queryTable()
        for row in range(table.nRows):
            if subject in table.getAccessibleAt(row, 1).name:
                return row + 1
        return None
    row = pt.wait_until(find_row, timeout=30, what="a row for %r" % subject) - 1
    node.queryTable().addRowSelection(row)


def select_folder(app, name):
    """Selects the sidebar row named NAME (exactly)."""
    tree = pt.find(app.node, "Folders", role="tree table")

    def find_row():
        table = tree.queryTable()
        for row in range(table.nRows):
            cell = table.getAccessibleAt(row, 0)
            if name == (cell.name or "".join(c.name for c in cell.children)):
                return row + 1
        return None
    tree.queryTable().addRowSelection(pt.wait_until(find_row, timeout=30,
                                                    what="the folder %r" % name) - 1)
