#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ./run --demo [PIGEON-ARGS]: Pigeon on a private mail server with sample mail, with nothing
# of yours touched.  It starts the test harness's Dovecot and Postfix on loopback (through
# sudo when you are not root), a D-Bus session with a keyring of its own, a demo user with a
# few thousand realistic messages (plain, HTML with remote images, attachments, threads,
# non-ASCII, a calendar invite, a forward), configures a "Demo" account in a throwaway
# configuration and data directory, and opens Pigeon on your display.  Closing the window
# stops the servers and removes it all.
#
# PIGEON_DEMO_COUNT (default 3000) sets how many messages the inbox gets.  Called by ./run
# after the build; PIGEON_BUILD_DIR as there.

cd "$(dirname "$0")/.." || exit 1
top=$PWD
builddir=${PIGEON_BUILD_DIR:-build}
case $builddir in /*) ;; *) builddir=$top/$builddir ;; esac
count=${PIGEON_DEMO_COUNT:-3000}

die () {
  echo "run --demo: $*" >&2
  exit 1
}

[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || die "there is no display to show Pigeon on"
for tool in dovecot postfix gnome-keyring-daemon dbus-daemon openssl; do
  command -v "$tool" > /dev/null || [ -x "/usr/sbin/$tool" ] \
    || die "$tool is missing; build-aux/install-deps.sh test installs it"
done

# The harness gives the session a HOME and XDG_RUNTIME_DIR of its own (so the keyring and
# the settings are throwaway); the display must still be found from there.
if [ -n "${WAYLAND_DISPLAY:-}" ] && [ "${WAYLAND_DISPLAY#/}" = "$WAYLAND_DISPLAY" ]; then
  export WAYLAND_DISPLAY="${XDG_RUNTIME_DIR:-/run/user/$(id -u)}/$WAYLAND_DISPLAY"
fi
if [ -n "${DISPLAY:-}" ] && [ -z "${XAUTHORITY:-}" ] && [ -f "$HOME/.Xauthority" ]; then
  export XAUTHORITY="$HOME/.Xauthority"
fi

. tests/harness/harness.sh
harness_claim || die "could not set up the demo's servers"
trap 'harness_down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run --demo: starting a private mail server…" >&2
if [ "$(id -u)" = 0 ]; then
  harness_start_dovecot && harness_start_postfix || die "the mail servers did not start"
else
  _h_asroot env PIGEON_TEST_MAIL_UID="$H_MAIL_UID" PIGEON_TEST_MAIL_GID="$H_MAIL_GID" \
    PIGEON_TEST_PYTHON="$H_PY" "$H_DIR/harness.sh" _mail-up "$HB" "$H_PB" \
    || die "the mail servers did not start (they need root, through sudo)"
fi
harness_start_session_bus && harness_start_keyring || die "the keyring did not start"

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
harness_add_user demo "$password" || die "could not add the demo user"
echo "run --demo: writing $count sample messages…" >&2
harness_seed demo "$count" INBOX > /dev/null || die "could not write the sample mail"
harness_seed demo 200 Archive --no-specials --seed 2 > /dev/null \
  || die "could not write the sample archive"
harness_seed demo 40 Sent --no-specials --seed 3 > /dev/null || die "could not write Sent"

config=$HB/demo/config
data=$HB/demo/data
mkdir -p "$config" "$data"
fingerprint=$(openssl x509 -in "$HB/tls/cert.pem" -outform der | sha256sum | cut -d' ' -f1)
printf '%s' "$password" | "$builddir/src/cli/pigeonctl" \
  --config-dir "$config" --data-dir "$data" account add \
  --name Demo --email "demo@$H_DOMAIN" --protocol imap \
  --host 127.0.0.1 --port "$H_IMAPS_PORT" --security tls --user demo \
  --password-stdin --trust-certificate "$fingerprint" \
  --smtp-host 127.0.0.1 --smtp-port "$H_SUBMISSIONS_PORT" --smtp-security tls \
  > /dev/null || die "could not configure the demo account"

echo "run --demo: opening Pigeon; close its window to stop the demo" >&2
GSETTINGS_SCHEMA_DIR=$builddir/data "$builddir/src/app/pigeon" \
  --config-dir "$config" --data-dir "$data" "$@"
