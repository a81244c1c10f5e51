#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Configures meson into the build directory when it is missing or not configured, keeps the
# few options ./run and ./test manage in step, and builds.  Used by ./run and ./test.
#
#   PIGEON_BUILD_DIR    build directory (default: build)
#   PIGEON_WERROR       1: warnings are errors (CI), 0: they are not, unset: leave as is
#   PIGEON_MESON_ARGS   extra `meson setup` arguments, e.g. -Db_sanitize=address,undefined
#   PIGEON_JOBS         ninja -j (default: ninja's own choice)

set -u
cd "$(dirname "$0")/.."
builddir=${PIGEON_BUILD_DIR:-build}

# The window is built once src/app has a meson.build.
args=()
if [ -f src/app/meson.build ]; then args+=(-Dapp=true); else args+=(-Dapp=false); fi
case ${PIGEON_WERROR:-} in
  1) args+=(-Dwerror=true) ;;
  0) args+=(-Dwerror=false) ;;
esac
# shellcheck disable=SC2206  # word splitting is what a list of extra arguments means here
args+=(${PIGEON_MESON_ARGS:-})

stamp=$builddir/.pigeon-setup-args
if [ ! -f "$builddir/meson-private/coredata.dat" ]; then
  meson setup "$builddir" "${args[@]}" || {
    echo "build: meson setup failed (see $builddir/meson-logs/meson-log.txt)" >&2
    exit 1
  }
  printf '%s\n' "${args[*]}" > "$stamp"
elif [ "$(cat "$stamp" 2> /dev/null)" != "${args[*]}" ]; then
  meson configure "$builddir" "${args[@]}" || {
    echo "build: meson configure $builddir ${args[*]} failed" >&2
    exit 1
  }
  printf '%s\n' "${args[*]}" > "$stamp"
fi

ninja -C "$builddir" ${PIGEON_JOBS:+-j "$PIGEON_JOBS"} || {
  echo "build: the build failed" >&2
  exit 1
}
