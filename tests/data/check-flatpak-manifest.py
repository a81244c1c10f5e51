#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check the Flatpak manifest: strict JSON, the right runtime, and exactly the
least-privilege sandbox holes Pigeon needs.  A new permission must be added here on
purpose, with a reason in the manifest's x-finish-args-comment."""

import json
import re
import sys

APP_ID = "io.github.pigeonmail.Pigeon"
FINISH_ARGS = {
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
    "--talk-name=org.freedesktop.secrets",
    "--talk-name=org.freedesktop.Notifications",
}
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check(manifest):
    problems = []

    def expect(key, value):
        if manifest.get(key) != value:
            problems.append(f"{key} is {manifest.get(key)!r}, expected {value!r}")

    expect("app-id", APP_ID)
    expect("runtime", "org.gnome.Platform")
    expect("runtime-version", "49")
    expect("sdk", "org.gnome.Sdk")
    expect("command", "pigeon")

    args = manifest.get("finish-args", [])
    if len(args) != len(set(args)):
        problems.append("finish-args lists a permission twice")
    for extra in sorted(set(args) - FINISH_ARGS):
        problems.append(f"finish-args has {extra}, which is more than Pigeon needs")
    for missing in sorted(FINISH_ARGS - set(args)):
        problems.append(f"finish-args lacks {missing}")

    modules = manifest.get("modules", [])
    names = [m.get("name") if isinstance(m, dict) else m for m in modules]
    if not names or names[-1] != "pigeon":
        problems.append(f"the last module must be pigeon, the modules are {names}")
    if "gmime" not in names:
        problems.append("GMime is not in the runtime and must be a module")
    if any("wbxml" in str(name).lower() for name in names):
        problems.append("libwbxml is not used and must not be built")

    for module in modules:
        if not isinstance(module, dict):
            continue
        for source in module.get("sources", []):
            if source.get("type") in ("archive", "file"):
                if not source.get("url", "").startswith("https://"):
                    problems.append(f"{module['name']}: source is not fetched over https")
                if not SHA256.match(source.get("sha256", "")):
                    problems.append(f"{module['name']}: source has no sha256")
            if source.get("type") == "git" and not source.get("commit"):
                problems.append(f"{module['name']}: git source is not pinned to a commit")
        if module.get("name") == "pigeon":
            if module.get("buildsystem") != "meson":
                problems.append("pigeon must build with meson")
            if module.get("sources") != [{"type": "dir", "path": ".."}]:
                problems.append("pigeon must build from the checkout (type dir, path ..)")
    return problems


def main():
    path = sys.argv[1]
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    problems = check(manifest)
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
