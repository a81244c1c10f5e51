#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Every file with a translatable string is listed in po/POTFILES.in, and every file listed
# there exists: otherwise its strings silently stay English in every language.
set -u
cd "${1:?usage: check-potfiles.sh SOURCE_ROOT}" || exit 1
status=0
for f in $(grep -rlE '(^|[^A-Za-z0-9_])N?_\("|C_\("|translatable="yes"' src ui data \
             --include='*.c' --include='*.ui' --include='*.in' --include='*.xml' | sort); do
  if ! grep -qx "$f" po/POTFILES.in; then
    echo "po/POTFILES.in misses $f, which has translatable strings"
    status=1
  fi
done
for f in $(grep -v '^#' po/POTFILES.in | grep .); do
  if [ ! -f "$f" ]; then
    echo "po/POTFILES.in lists $f, which does not exist"
    status=1
  fi
done
# A GLib format macro ("%" G_GINT64_FORMAT) cuts the string xgettext sees: it would never
# be translated.  Translatable strings use %d, %zu, %llu and the like.
python3 - <<'PY' || status=1
import re, subprocess, sys
bad = 0
files = subprocess.run(['grep', '-rl', '_FORMAT', 'src', '--include=*.c'],
                       capture_output=True, text=True).stdout.split()
call = re.compile(r'\bN?_\((\s*"(?:[^"\\]|\\.)*"(?:\s*(?:G_G\w+_FORMAT|"(?:[^"\\]|\\.)*"))*)\s*\)')
for name in files:
    text = open(name).read()
    for m in call.finditer(text):
        if '_FORMAT' in m.group(1):
            print('%s:%d: a translatable string uses a GLib format macro'
                  % (name, text.count('\n', 0, m.start()) + 1))
            bad = 1
sys.exit(bad)
PY
[ $status = 0 ] && echo "po/POTFILES.in lists every file with translatable strings"
exit $status
