#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""POP3 download benchmark: pigeonctl sync against fetchmail, same mailbox, same run.

    ninja -C build bench-pop3        (with the harness up: . "$PIGEON_TEST_HB/session.env")
    tests/bench/pop3/bench-pop3.py [--count 10000] [--runs 3]

A harness user gets COUNT seeded messages.  Each run, alternating which goes first, times
a fresh `pigeonctl sync` (POP3S, keep forever: everything into a new store) and a fresh
fetchmail (POP3S, keep, fetchall, into one BSMTP file: no process per message).  It prints
wall time and peak RSS (the kernel's maxrss of each process, as /usr/bin/time -v shows it)
of the median run, and the ratio.  Prints figures; asserts only that both got everything.
"""
import argparse
import hashlib
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "common"))
import pigeon_test as pt  # noqa: E402

BUILD = os.environ.get("PIGEON_TEST_BUILD_ROOT", "build")
PIGEONCTL = os.path.join(BUILD, "src", "cli", "pigeonctl")


# Runs in a child interpreter of its own, so wait4 reports this one process's maxrss.
MEASURE = r"""
import os, sys, time
started = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print("%.3f %d %d" % (time.monotonic() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status)))
"""


def measure(argv, env=None):
    """Wall seconds and peak RSS (KiB) of ARGV, which must succeed."""
    result = subprocess.run([sys.executable, "-c", MEASURE] + argv, env=env,
                            capture_output=True, text=True)
    lines = result.stdout.strip().splitlines()
    wall, rss, code = lines[-1].split()
    if int(code) != 0:
        raise SystemExit("%s failed (%s): %s" % (argv[0], code, result.stderr.strip()))
    return float(wall), int(rss)


def fingerprint(h):
    with open(h.ca_file) as f:
        return hashlib.sha256(ssl.PEM_cert_to_DER_cert(f.read())).hexdigest()


def bench_pigeon(h, user, password, count, scratch):
    config, data = os.path.join(scratch, "config"), os.path.join(scratch, "data")
    os.makedirs(config, 0o700)
    os.makedirs(data, 0o700)
    ctl = [PIGEONCTL, "--config-dir", config, "--data-dir", data]
    added = subprocess.run(ctl + ["account", "add", "--name", "Bench", "--email",
                                  pt.address(user), "--protocol", "pop3", "--host", h.host,
                                  "--port", str(h.pop3s_port), "--security", "tls",
                                  "--user", user, "--password-stdin",
                                  "--trust-certificate", fingerprint(h)],
                           input=password + "\n", capture_output=True, text=True, check=True)
    account = added.stdout.strip()
    wall, rss = measure(ctl + ["sync", account])
    folders = subprocess.run(ctl + ["folders", account], capture_output=True, text=True,
                             check=True).stdout
    total = [line.split("\t")[2] for line in folders.splitlines()
             if line.split("\t")[1] == "inbox"]
    assert total == [str(count)], folders
    return wall, rss


def bench_fetchmail(h, user, password, count, scratch):
    rc = os.path.join(scratch, "fetchmailrc")
    out = os.path.join(scratch, "mail.bsmtp")
    with open(rc, "w") as f:
        f.write('set no syslog\n'
                'poll %s protocol pop3 port %d\n'
                '  user "%s" password "%s"\n'
                '  ssl sslcertck sslcertfile "%s" sslcommonname "localhost"\n'
                '  keep fetchall\n' % (h.host, h.pop3s_port, user, password, h.ca_file))
    os.chmod(rc, 0o600)
    env = dict(os.environ, FETCHMAILHOME=scratch)
    wall, rss = measure([shutil.which("fetchmail"), "-f", rc, "--bsmtp", out, "--silent",
                         "--nosyslog", "--norewrite"], env=env)
    with open(out, "rb") as f:
        got = sum(1 for line in f if line.startswith(b"MAIL FROM:"))
    assert got == count, got
    return wall, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    h = pt.require()
    if shutil.which("fetchmail") is None:
        raise SystemExit("fetchmail is missing (build-aux/install-deps.sh test)")
    user, password = pt.new_user()
    started = time.monotonic()
    pt.seed(user, args.count)
    print("seeded %d messages in %.1f s" % (args.count, time.monotonic() - started))

    results = {"pigeonctl": [], "fetchmail": []}
    runners = [("pigeonctl", bench_pigeon), ("fetchmail", bench_fetchmail)]
    base = os.path.join(h.dir, "tmp")
    for run in range(args.runs):
        for name, runner in (runners if run % 2 == 0 else runners[::-1]):
            scratch = tempfile.mkdtemp(prefix="bench-pop3-", dir=base)
            try:
                wall, rss = runner(h, user, password, args.count, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            results[name].append((wall, rss))
            print("run %d  %-9s  %6.2f s  %6.1f MB" % (run + 1, name, wall, rss / 1024),
                  flush=True)

    print()
    print("%d messages, POP3S, median of %d runs" % (args.count, args.runs))
    print("%-10s %9s %12s" % ("", "wall", "peak RSS"))
    medians = {}
    for name, values in results.items():
        wall = statistics.median(v[0] for v in values)
        rss = statistics.median(v[1] for v in values)
        medians[name] = (wall, rss)
        print("%-10s %7.2f s %9.1f MB" % (name, wall, rss / 1024))
    ratio = medians["pigeonctl"][0] / medians["fetchmail"][0]
    print("pigeonctl takes %.2f× the time of fetchmail (%s)"
          % (ratio, "faster" if ratio < 1 else "slower"))


if __name__ == "__main__":
    main()
