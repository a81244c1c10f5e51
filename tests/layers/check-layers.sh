#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The layers of DESIGN.md, checked on the sources: the engine uses no GTK or WebKit, a
# provider uses only the engine, and nothing outside src/providers/ names a protocol.
set -u
src=${1:?usage: check-layers.sh SRCDIR}
fail=0

bad() {
  echo "layer violation: $*" >&2
  fail=1
}

hits=$(grep -rlE '#include <(gtk|gdk|webkit2|webkit)/' "$src/src/engine" "$src/src/providers" 2>/dev/null)
[ -z "$hits" ] || bad "GTK/WebKit included below the app: $hits"

hits=$(grep -rnE '#include "pigeon-(window|application|session|folder-sidebar|message-[a-z-]+|composer[a-z-]*)\.h"' \
       "$src/src/engine" "$src/src/providers" 2>/dev/null | grep -v '"pigeon-message-builder\.h"')
[ -z "$hits" ] || bad "app headers included below the app: $hits"

# A provider may include only engine headers and its own.
for dir in "$src"/src/providers/*/; do
  [ -d "$dir" ] || continue
  name=$(basename "$dir")
  for other in "$src"/src/providers/*/; do
    oname=$(basename "$other")
    [ "$oname" = "$name" ] && continue
    hits=$(grep -lE "#include \"pigeon-$oname-" "$dir"*.c "$dir"*.h 2>/dev/null)
    [ -z "$hits" ] || bad "provider $name includes provider $oname: $hits"
  done
done

# Nobody outside src/providers/ switches on a protocol name in code.
hits=$(grep -rnE '"(imap|pop3|activesync|smtp)"' "$src/src/engine" "$src/src/app" "$src/src/cli" 2>/dev/null \
       | sed -E 's#/\*.*##; s#//.*##; s#^([^:]+:[0-9]+:)[[:space:]]*\*.*#\1#' \
       | grep -E '"(imap|pop3|activesync|smtp)"')
[ -z "$hits" ] || bad "protocol named outside src/providers/:
$hits"

[ $fail = 0 ] && echo "layers ok"
exit $fail
