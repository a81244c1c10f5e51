#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: check-format.sh SOURCE_ROOT [CLANG_FORMAT]
#
# Checks C files against .clang-format and the 100-column limit, but only the files listed in
# tests/data/clang-format-files.txt.  clang-format cannot express the GNU style that GTK and
# GNOME code is written in: it cannot align parameter names in columns, it puts a space in
# _ ("…") or re-indents what follows it, it reads G_DEFINE_QUARK's name as a subtraction, and it
# explodes string tables one item per line.  Running it over every file would demand worse code,
# so a file joins the list once `clang-format FILE` leaves it unchanged, and a listed file must
# stay that way.
set -eu

srcdir=$1
clang_format=${2:-clang-format}
list="$srcdir/tests/data/clang-format-files.txt"

if ! command -v "$clang_format" >/dev/null 2>&1; then
  echo "clang-format is not installed (Debian package: clang-format)" >&2
  exit 1
fi

cd "$srcdir"
failed=0
checked=0
while IFS= read -r file || [ -n "$file" ]; do
  case $file in
    '' | '#'*) continue ;;
  esac
  checked=$((checked + 1))
  if [ ! -f "$file" ]; then
    echo "$file: listed in $list but does not exist" >&2
    failed=1
    continue
  fi
  if ! "$clang_format" --style=file --dry-run --Werror "$file"; then
    failed=1
  fi
  if LC_ALL=C.UTF-8 grep -n '.\{101,\}' "$file" >&2; then
    echo "$file: the lines above are longer than 100 columns" >&2
    failed=1
  fi
done < "$list"

if [ "$checked" -eq 0 ]; then
  echo "$list lists no files" >&2
  exit 1
fi
exit $failed
