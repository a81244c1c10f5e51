#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs the Debian/Ubuntu packages Pigeon needs, and only those that are missing:
#   build-aux/install-deps.sh [build|run|demo|test|all]...     (default: build)
# It asks dpkg-query first, so it costs a few milliseconds when everything is there, and
# only then runs apt-get (through sudo when not root).  These lists are the one place that
# names the packages: add a package with a one-line edit here.

# Compiling Pigeon: ./run and ./test.
PKGS_BUILD=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libgtk-3-dev libwebkit2gtk-4.1-dev libsoup-3.0-dev libgmime-3.0-dev
  libsqlite3-dev libsecret-1-dev libxml2-dev zlib1g-dev
  gettext appstream desktop-file-utils glib-networking libglib2.0-bin
)

# Running the window: ./run.
PKGS_RUN=(
  adwaita-icon-theme gsettings-desktop-schemas
)

# The private mail server of ./run --demo (a part of the test harness).
PKGS_DEMO=(
  dovecot-core dovecot-imapd dovecot-lmtpd postfix gnome-keyring libsecret-tools dbus openssl
)

# The test harness (tests/harness/harness.sh) and the suites: ./test.
PKGS_TEST=(
  dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix
  gnome-keyring libsecret-tools dbus dbus-x11 dconf-cli dconf-service
  xvfb at-spi2-core python3 python3-gi python3-dogtail gir1.2-gtk-3.0 imagemagick
  openssl isync fetchmail time
  clang libclang-rt-dev clang-format
  sogo sogo-activesync postgresql memcached
)

set -u

want=()
for set in "${@:-build}"; do
  case $set in
    build) want+=("${PKGS_BUILD[@]}") ;;
    run) want+=("${PKGS_RUN[@]}") ;;
    test) want+=("${PKGS_TEST[@]}") ;;
    demo) want+=("${PKGS_DEMO[@]}") ;;
    all) want+=("${PKGS_BUILD[@]}" "${PKGS_RUN[@]}" "${PKGS_TEST[@]}") ;;
    *)
      echo "usage: $0 [build|run|test|all]..." >&2
      exit 2 ;;
  esac
done

if ! command -v dpkg-query > /dev/null || ! command -v apt-get > /dev/null; then
  echo "install-deps: this is not a Debian or Ubuntu system; make sure these are installed:" >&2
  echo "  ${want[*]}" >&2
  exit 0
fi

installed () {  # prints those of "$@" that dpkg knows as installed
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2> /dev/null \
    | awk '$1 == "ii" { sub(/:.*/, "", $2); print $2 }'
}

# Cyrus and Dovecot both provide imap-server/pop3-server and conflict: apt would remove Cyrus
# to install dovecot-imapd.  Where Cyrus is installed we leave it alone; the harness then
# unpacks Dovecot's imap/pop3 binaries into a cache of its own (_h_dovecot_libexec).
cyrus=$(installed cyrus-imapd cyrus-pop3d)
if [ -n "$cyrus" ]; then
  keep=()
  for p in "${want[@]}"; do
    case $p in
      dovecot-imapd) [[ $cyrus == *cyrus-imapd* ]] || keep+=("$p") ;;
      dovecot-pop3d) [[ $cyrus == *cyrus-pop3d* ]] || keep+=("$p") ;;
      *) keep+=("$p") ;;
    esac
  done
  want=("${keep[@]}")
fi

have=" $(installed "${want[@]}" | tr '\n' ' ') "
missing=()
for p in "${want[@]}"; do
  [[ $have == *" $p "* ]] || [[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo > /dev/null || {
    echo "install-deps: these packages are missing, and without sudo I cannot install them:" >&2
    echo "  apt-get install ${missing[*]}" >&2
    exit 1
  }
  sudo=(sudo)
fi

# Postfix asks how to configure the system's mail server: the harness runs its own instance,
# so the system one gets none.
if [[ " ${missing[*]} " == *" postfix "* ]]; then
  echo 'postfix postfix/main_mailer_type select No configuration' \
    | "${sudo[@]}" debconf-set-selections \
    || { echo "install-deps: could not preseed postfix's debconf question" >&2; exit 1; }
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q \
  || { echo "install-deps: apt-get update failed" >&2; exit 1; }
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" \
  || { echo "install-deps: apt-get install failed for: ${missing[*]}" >&2; exit 1; }

# The packages enable and start the system's Dovecot and Postfix; the tests run private
# instances, so a machine that had none before gets none listening now.
if [ -d /run/systemd/system ]; then
  units=()
  [[ " ${missing[*]} " == *" dovecot-core "* ]] && units+=(dovecot.service dovecot.socket)
  [[ " ${missing[*]} " == *" postfix "* ]] && units+=(postfix.service)
  if [ ${#units[@]} -gt 0 ]; then
    "${sudo[@]}" systemctl disable --now "${units[@]}" > /dev/null 2>&1
    echo "install-deps: disabled the system services ${units[*]} (the tests run their own)" >&2
  fi
fi

still=" $(installed "${missing[@]}" | tr '\n' ' ') "
for p in "${missing[@]}"; do
  [[ $still == *" $p "* ]] || { echo "install-deps: $p is still not installed" >&2; exit 1; }
done
