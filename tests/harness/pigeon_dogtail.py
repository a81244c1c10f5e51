# SPDX-License-Identifier: GPL-3.0-or-later
"""Import dogtail without letting it write to /tmp.

python3-dogtail 0.9.11 hard-codes two /tmp paths and ignores TMPDIR:
  * dogtail.config creates /tmp/dogtail-$LOGNAME/{,data/,logs/} when imported
  * dogtail.tree creates (and at exit removes) the lock directory /tmp/sniff_refresh.lock
This module sends exactly those paths to $PIGEON_DOGTAIL_DIR (the harness sets it under its
own directory; default $TMPDIR/dogtail) for the life of the process, points dogtail's
scratch, data and log directories there too, and makes dogtail's searches quick.

Import it before anything imports dogtail (pigeon_test does):
    import pigeon_dogtail  # noqa: F401
    from dogtail.tree import root
"""
import os
import posixpath
import tempfile

_DIR = os.environ.get("PIGEON_DOGTAIL_DIR") or os.path.join(tempfile.gettempdir(), "dogtail")
_PREFIXES = ("/tmp/dogtail", "/tmp/sniff_")


def _redirect(path):
    try:
        s = os.fspath(path)
    except TypeError:
        return path
    if isinstance(s, str) and s.startswith(_PREFIXES):
        return posixpath.join(_DIR, s[len("/tmp/"):])
    return path


def _wrap(module, name):
    real = getattr(module, name)

    def wrapper(path, *args, **kwargs):
        return real(_redirect(path), *args, **kwargs)
    wrapper.__name__ = name
    setattr(module, name, wrapper)


for _name in ("mkdir", "rmdir", "listdir", "stat"):
    _wrap(os, _name)
for _name in ("exists", "isdir", "isfile"):
    _wrap(posixpath, _name)

os.makedirs(_DIR, exist_ok=True)

from dogtail.config import config  # noqa: E402  (creates its directories through the wrappers)

config.scratchDir = _DIR + "/"
config.dataDir = _DIR + "/data/"
config.logDir = _DIR + "/logs/"
config.logDebugToFile = False
config.logDebugToStdOut = False
# Searches retry quickly; pigeon_test adds its own deadlines on top.
config.searchBackoffDuration = 0.1
config.searchCutoffCount = 50
config.defaultDelay = 0.1
config.actionDelay = 0.1
config.typingDelay = 0.02
config.runInterval = 0.1
