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
[ $status = 0 ] && echo "po/POTFILES.in lists every file with translatable strings"
exit $status
