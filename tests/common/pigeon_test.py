# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for Pigeon's Python tests: the harness, TAP output and GUI tests through AT-SPI.

A GUI test (run by meson with protocol 'tap', env pigeon_test_env, is_parallel false):

    import pigeon_test as pt

    h = pt.require()                      # the running harness, or fail saying how to run
    tap = pt.Tap()

    def empty_state():
        config, data = pt.make_dirs()
        with pt.start_pigeon(config, data) as app:
            pt.find(app.node, "No accounts yet", role="label")
            pt.activate(pt.find(app.node, "Add Account", role="push button"))
            pt.screenshot("add-account", app.node)

    tap.run("empty state", empty_state)
    tap.finish()

Widgets are found by their accessible name (every interactive widget has one); actions go
through AT-SPI, not synthesized mouse clicks, so they work whatever covers the window.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(_HERE), "harness"))


class Harness:
    """What the test harness offers: servers on 127.0.0.1, their certificate, a keyring."""

    def __init__(self, env):
        self.dir = env["PIGEON_TEST_HB"]
        self.host = env["PIGEON_TEST_HOST"]
        self.domain = env["PIGEON_TEST_DOMAIN"]
        self.ca_file = env["PIGEON_TEST_CA_FILE"]
        self.script = env["PIGEON_TEST_HARNESS"]
        self.imap_port = int(env["PIGEON_TEST_IMAP_PORT"])
        self.imaps_port = int(env["PIGEON_TEST_IMAPS_PORT"])
        self.pop3_port = int(env["PIGEON_TEST_POP3_PORT"])
        self.pop3s_port = int(env["PIGEON_TEST_POP3S_PORT"])
        self.smtp_port = int(env["PIGEON_TEST_SMTP_PORT"])
        self.submission_port = int(env["PIGEON_TEST_SUBMISSION_PORT"])
        self.submissions_port = int(env["PIGEON_TEST_SUBMISSIONS_PORT"])
        self.sink_user = env["PIGEON_TEST_SINK_USER"]
        self.sink_password = env["PIGEON_TEST_SINK_PASSWORD"]


_harness = None


def harness():
    """The running harness, or None when the test runs without one."""
    global _harness
    if _harness is None:
        try:
            h = Harness(os.environ)
        except KeyError:
            return None
        if not os.path.isfile(os.path.join(h.dir, "session.env")):
            return None
        _harness = h
    return _harness


def require():
    """The running harness; without one, the test stops here with a message and fails."""
    h = harness()
    if h is None:
        message = ("This test needs Pigeon's test harness (mail servers, a keyring and a "
                   "display), and none is running. Run it through ./test (./test --suite gui, "
                   "say), or start the harness with tests/harness/harness.sh up and source "
                   "the file it prints before meson test.")
        print("Bail out! " + message, flush=True)
        print(message, file=sys.stderr)
        sys.exit(1)
    return h


def _harness_command(*args, input=None):
    h = require()
    result = subprocess.run([h.script] + [str(a) for a in args], input=input,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError("harness.sh %s failed: %s" % (args[0], result.stderr.strip()))


_user_counter = 0


def new_user():
    """A mailbox of the calling test's own: returns (user, password)."""
    global _user_counter
    import secrets
    _user_counter += 1
    user = "p%d-%d-%s" % (os.getpid(), _user_counter, secrets.token_hex(2))
    password = secrets.token_urlsafe(15)
    _harness_command("adduser", user, password)
    return user, password


def set_password(user, password):
    """Changes the user's password on the servers, as if changed elsewhere."""
    _harness_command("passwd", user, password)


def address(user):
    return "%s@%s" % (user, require().domain)


def seed(user, count, folder="INBOX", *args):
    """Writes count realistic messages into the user's folder (see seed_maildir.py)."""
    _harness_command("seed", user, count, folder, *args)


def deliver(user, message, folder="INBOX"):
    """Saves an RFC 5322 message through Dovecot, so IDLE hears of it."""
    _harness_command("deliver", user, folder, input=message)


def make_dirs():
    """Fresh (config_dir, data_dir) for --config-dir and --data-dir, under the harness."""
    base = tempfile.mkdtemp(prefix="pigeon-", dir=os.path.join(require().dir, "tmp"))
    config, data = os.path.join(base, "config"), os.path.join(base, "data")
    os.mkdir(config, 0o700)
    os.mkdir(data, 0o700)
    return config, data


def find_in_tree(directory, needle):
    """The path of a file under directory whose bytes contain needle, or None."""
    if isinstance(needle, str):
        needle = needle.encode()
    for top, _dirs, files in os.walk(directory):
        for name in files:
            path = os.path.join(top, name)
            if os.path.isfile(path) and not os.path.islink(path):
                with open(path, "rb") as f:
                    if needle in f.read():
                        return path
    return None


def artifact_path(name):
    """Where a test keeps something for people to look at after the run."""
    directory = os.environ.get("PIGEON_TEST_ARTIFACTS") or os.path.join(
        os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "test-artifacts")
    os.makedirs(directory, exist_ok=True)
    return os.path.join(directory, name)


# ------------------------------------------------------------------------------ TAP
class Tap:
    """Runs test cases and reports each one in TAP, so ./test counts them one by one."""

    def __init__(self):
        self.count = 0
        self.failed = 0

    def run(self, name, function, *args):
        self.count += 1
        started = time.monotonic()
        try:
            function(*args)
        except Exception:  # a failing case is reported and the next one runs
            self.failed += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
            print("not ok %d - %s" % (self.count, name), flush=True)
        else:
            print("ok %d - %s (%.2f s)" % (self.count, name, time.monotonic() - started),
                  flush=True)

    def finish(self):
        print("1..%d" % self.count, flush=True)
        sys.exit(1 if self.failed else 0)


def wait_until(condition, timeout=10.0, interval=0.05, what="the condition"):
    """Polls condition() until it returns something true, and returns that."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s did not happen within %.1f s" % (what, timeout))
        time.sleep(interval)


# ------------------------------------------------------------------------------ GUI
_root = None


def desktop():
    """The AT-SPI desktop (dogtail's root), with dogtail kept out of /tmp."""
    global _root
    if _root is None:
        import pigeon_dogtail  # noqa: F401  (must come before dogtail)
        from dogtail.tree import root
        _root = root
    return _root


class App:
    """A running GUI program and its AT-SPI application node; a context manager."""

    def __init__(self, process, node, log_path):
        self.process = process
        self.node = node
        self.log_path = log_path

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def _application_of(pid):
    for app in desktop().children:
        try:
            if app.get_process_id() == pid:
                return app
        except Exception:  # an application that quit while we looked
            continue
    return None


def start_app(argv, env=None, timeout=20.0):
    """Starts a GUI program and waits until its application shows on the AT-SPI desktop.

    The program is told apart from others of the same name by its PID, so GUI tests may
    share the display.  Its output goes to build/test-artifacts/<program>-<pid>.log.
    """
    require()
    desktop()
    name = os.path.basename(argv[0])
    starting = artifact_path("%s-starting-%d.log" % (name, os.getpid()))
    with open(starting, "wb") as log:
        process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT)
    log_path = artifact_path("%s-%d.log" % (name, process.pid))
    os.rename(starting, log_path)
    deadline = time.monotonic() + timeout
    while True:
        node = _application_of(process.pid)
        if node is not None:
            return App(process, node, log_path)
        if process.poll() is not None:
            raise AssertionError("%s exited with status %d before its window showed; see %s"
                                 % (argv[0], process.returncode, log_path))
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise AssertionError("%s did not show on the accessibility bus within %.0f s; see %s"
                                 % (argv[0], timeout, log_path))
        time.sleep(0.1)


def pigeon_binary():
    build_root = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
    return os.environ.get("PIGEON_TEST_APP", os.path.join(build_root, "src", "app", "pigeon"))


def start_pigeon(config_dir, data_dir, *args, timeout=20.0):
    """Starts the Pigeon window on its own configuration and data directories."""
    env = dict(os.environ)
    schemas = os.path.join(os.environ.get("PIGEON_TEST_BUILD_ROOT", "build"), "data")
    if os.path.isfile(os.path.join(schemas, "gschemas.compiled")):
        env["GSETTINGS_SCHEMA_DIR"] = schemas
    return start_app([pigeon_binary(), "--config-dir", config_dir, "--data-dir", data_dir]
                     + list(args), env=env, timeout=timeout)


def _describe(node, depth=0, limit=200):
    lines = []
    try:
        lines.append("%s%s %r" % ("  " * depth, node.roleName, node.name))
        for child in node.children:
            if len(lines) >= limit:
                break
            lines.extend(_describe(child, depth + 1, limit - len(lines)))
    except Exception:  # the tree changed under us
        pass
    return lines


def find(node, name, role=None, timeout=10.0, showing=True):
    """The descendant of node with this accessible name (and role), waiting for it."""
    def match(n):
        return (n.name == name and (role is None or n.roleName == role)
                and (not showing or n.showing))
    deadline = time.monotonic() + timeout
    while True:
        found = node.findChild(match, retry=False, requireResult=False, showingOnly=False)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("no %s named %r within %.0f s; the tree holds:\n%s"
                                 % (role or "widget", name, timeout,
                                    "\n".join(_describe(node))))
        time.sleep(0.1)


def find_all(node, role=None, name=None):
    """Every showing descendant with this role (and name), now."""
    return node.findChildren(lambda n: (role is None or n.roleName == role)
                             and (name is None or n.name == name) and n.showing,
                             showingOnly=False)


def activate(node):
    """Presses a button, menu item or the like through its AT-SPI action."""
    for action in ("click", "activate", "press", "toggle"):
        if action in node.actions:
            node.doActionNamed(action)
            return
    raise AssertionError("%s %r has no action to press (it has %s)"
                         % (node.roleName, node.name, sorted(node.actions)))


def set_text(node, text):
    """Types into an entry through AT-SPI's editable text interface."""
    node.text = text


def screenshot(name, node=None):
    """Saves the screen, or just the node's extents, as build/test-artifacts/NAME.png."""
    path = artifact_path(name + ".png")
    command = ["import", "-window", "root"]
    if node is not None and node.roleName == "application" and node.children:
        node = node.children[0]                   # the application's first window
    if node is not None and node.extents is not None:
        x, y, w, h = node.extents
        if w > 0 and h > 0:
            command += ["-crop", "%dx%d+%d+%d" % (w, h, max(x, 0), max(y, 0)), "+repage"]
    if shutil.which("import") is None:
        raise AssertionError("ImageMagick's import is missing (build-aux/install-deps.sh test)")
    subprocess.run(command + [path], check=True, timeout=30, capture_output=True)
    return path
