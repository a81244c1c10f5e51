#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Pigeon's test harness: private, loopback-only mail servers and a desktop session for the
# integration and GUI suites.  ./test starts it once, runs `meson test`, and stops it.
#
#   Dovecot   IMAP PB+143 (STARTTLS)  IMAPS PB+993  POP3 PB+110 (STLS)  POP3S PB+995
#             LMTP on a unix socket; a self-signed EC certificate made at start
#   Postfix   PB+25 (no AUTH, loopback may relay: for injecting test mail)
#             PB+587 (STARTTLS required, AUTH)  PB+465 (implicit TLS, AUTH)
#             delivery into Dovecot by LMTP; every address outside example.test lands in
#             the mailbox of the user "sink"
#   Desktop   a private D-Bus session bus, gnome-keyring unlocked, Xvfb on :PB/100 with the
#             AT-SPI bus and toolkit-accessibility on (for dogtail)
#
# PB, the port base, is PIGEON_TEST_PORT_BASE; without it the first free one of 31000,
# 32000, ... is taken, so several checkouts can run ./test side by side.  Everything lives
# in one short directory, $PIGEON_TEST_HB (default /tmp/pgn-PB: unix socket paths are
# limited to 107 bytes), which `down` removes.  Every process is stopped by its PID.
#
# Command use:
#   harness.sh up                     start everything, print the env file to source
#   harness.sh down [HB]              stop everything, keep the logs, remove HB
#   harness.sh env                    print the env file (eval "$(harness.sh env)")
#   harness.sh adduser USER PASS      a new Dovecot + Postfix user, at runtime
#   harness.sh passwd USER PASS       a new password for that user
#   harness.sh seed USER COUNT [FOLDER] [seed_maildir.py args...]
#   harness.sh deliver USER [FOLDER] < message.eml
# Library use (./test does this):
#   . tests/harness/harness.sh
#   harness_claim && harness_up && . "$PIGEON_TEST_HB/session.env" ... ; harness_down
#
# Extra services (the ActiveSync server, say) go in tests/harness/services/NAME.sh: each file
# is sourced and must define harness_start_NAME, which harness_up calls after the mail
# servers and the desktop session are up.  It starts its daemons with their output in
# $HB/log, registers each PID with `_h_track NAME PID`, and publishes what tests need with
# `_h_env_add VAR VALUE`.  harness_down then stops them like everything else.

H_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
case :$PATH: in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac   # postmap, doveadm
H_PY=${PIGEON_TEST_PYTHON:-/usr/bin/python3}    # Debian's python has gi and dogtail
# Root runs it all.  Anyone else runs the desktop session and the tests as themselves and
# the mail servers through sudo (they switch users); the mail then belongs to the caller, so
# adding users and seeding need no root.  As root it belongs to a uid without passwd entry.
if [ "$(id -u)" = 0 ]; then
  H_MAIL_UID=${PIGEON_TEST_MAIL_UID:-31000}
  H_MAIL_GID=${PIGEON_TEST_MAIL_GID:-$H_MAIL_UID}
else
  H_MAIL_UID=$(id -u)
  H_MAIL_GID=$(id -g)
fi
H_DOMAIN=example.test
H_KEYRING_PASSWORD=pigeon-test-keyring
H_SINK_PASSWORD=sink-pass
H_ENV_VARS=()
H_OWNED=

# ------------------------------------------------------------------------------ helpers
_h_now () { date +%s.%N; }
_h_ms () { awk -v a="$1" -v b="$(_h_now)" 'BEGIN { printf "%d", (b - a) * 1000 }'; }
_h_log () { echo "[harness] $*" >&2; }
_h_die () { _h_log "error: $*"; return 1; }
_h_timing () {
  _h_log "$1: $2 ms"
  echo "$1 $2" >> "$HB/log/timings.txt"
}

# For what needs root when the caller is not: sudo, asking for a password only on a terminal.
_h_asroot () {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif [ -t 0 ]; then
    sudo -- "$@"
  else
    sudo -n -- "$@"
  fi
}

# A process is gone when /proc has no entry for it or it is a zombie: PID 1 of a container
# may reap orphans late, so `kill -0` alone lies.
_h_gone () {
  local s
  [ -r "/proc/$1/stat" ] || return 0
  s=$(sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f1)
  [ -z "$s" ] || [ "$s" = Z ] || [ "$s" = X ]
}

_h_starttime () { sed 's/^.*) //' "/proc/$1/stat" 2> /dev/null | cut -d' ' -f20; }

_h_wait_gone () {  # PID [SECONDS]
  local pid=$1 tries=$(( ${2:-15} * 50 )) i=0
  while ! _h_gone "$pid"; do
    sleep 0.02
    i=$((i + 1))
    if [ $i -ge $tries ]; then
      _h_log "process $pid ignored SIGTERM for ${2:-15} s; sending SIGKILL"
      _h_asroot kill -KILL "$pid" 2> /dev/null
      sleep 0.1
      return 1
    fi
  done
}

_h_wait_file () {  # FILE [TRIES of 10 ms]
  local i
  for ((i = 0; i < ${2:-500}; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.01
  done
  return 1
}

_h_wait_tcp () {  # PORT [BANNER-REGEX] [TRIES of 10 ms]
  local port=$1 re=$2 i line
  for ((i = 0; i < ${3:-500}; i++)); do
    # the braces matter: a bare `exec 9<>... 2>/dev/null` redirects the shell's stderr for good
    if { exec 9<> "/dev/tcp/127.0.0.1/$port"; } 2> /dev/null; then
      if [ -z "$re" ]; then
        exec 9>&-
        return 0
      fi
      line=
      IFS= read -r -t 2 line <&9
      exec 9>&-
      [[ $line =~ $re ]] && return 0
    fi
    sleep 0.01
  done
  return 1
}

_h_port_free () {
  if { exec 9<> "/dev/tcp/127.0.0.1/$1"; } 2> /dev/null; then
    exec 9>&-
    return 1
  fi
}

_h_display_free () {
  ! grep -q "@/tmp/.X11-unix/X$1\$" /proc/net/unix 2> /dev/null \
    && [ ! -e "/tmp/.X11-unix/X$1" ] && [ ! -e "/tmp/.X$1-lock" ]
}

# _h_track NAME PID: remember a process (with its start time, so a recycled PID is never
# mistaken for ours); harness_down stops them in reverse order.
_h_track () {
  local n
  n=$(find "$HB/pids" -name '*.pid' | wc -l)
  printf '%s %s\n' "$2" "$(_h_starttime "$2")" > "$HB/pids/$(printf %02d "$n")-$1.pid"
}

_h_tracked_alive () {  # "PID STARTTIME" -> true when that very process still runs
  local pid=${1%% *} st=${1#* }
  ! _h_gone "$pid" && [ "$(_h_starttime "$pid")" = "$st" ]
}

_h_env_add () {  # VAR VALUE: export now and write into session.env
  export "$1=$2"
  local v
  for v in "${H_ENV_VARS[@]}"; do [ "$v" = "$1" ] && return 0; done
  H_ENV_VARS+=("$1")
}

_h_dbus () {  # BUS-ADDRESS METHOD ARGS...: call org.freedesktop.DBus
  local bus=$1 method=$2
  shift 2
  dbus-send --bus="$bus" --print-reply --dest=org.freedesktop.DBus / \
    "org.freedesktop.DBus.$method" "$@" 2> /dev/null
}
_h_dbus_has_owner () {
  _h_dbus "${2:-$DBUS_SESSION_BUS_ADDRESS}" NameHasOwner "string:$1" | grep -q 'boolean true'
}
_h_dbus_pid_of () {
  _h_dbus "${2:-$DBUS_SESSION_BUS_ADDRESS}" GetConnectionUnixProcessID "string:$1" \
    | awk '/uint32/ { print $2 }'
}

# ------------------------------------------------------------------------------ setup
# harness_init PORT_BASE [HB]: the names of everything, nothing started.
harness_init () {
  H_PB=$1
  HB=${2:-${PIGEON_TEST_HB:-/tmp/pgn-$H_PB}}
  H_IMAP_PORT=$((H_PB + 143))
  H_IMAPS_PORT=$((H_PB + 993))
  H_POP3_PORT=$((H_PB + 110))
  H_POP3S_PORT=$((H_PB + 995))
  H_SMTP_PORT=$((H_PB + 25))
  H_SUBMISSION_PORT=$((H_PB + 587))
  H_SUBMISSIONS_PORT=$((H_PB + 465))
  H_DISPLAY=$((H_PB / 100))
  [ ${#HB} -le 40 ] || _h_log "warning: $HB is long; unix socket paths may exceed 107 bytes"

  _h_env_add PIGEON_TEST_HB "$HB"
  _h_env_add PIGEON_TEST_PORT_BASE "$H_PB"
  _h_env_add PIGEON_TEST_HARNESS "$H_DIR/harness.sh"
  _h_env_add PIGEON_TEST_PYTHON "$H_PY"
  _h_env_add PIGEON_TEST_HOST 127.0.0.1
  _h_env_add PIGEON_TEST_DOMAIN "$H_DOMAIN"
  _h_env_add PIGEON_TEST_CA_FILE "$HB/tls/cert.pem"
  _h_env_add PIGEON_TEST_IMAP_PORT "$H_IMAP_PORT"
  _h_env_add PIGEON_TEST_IMAPS_PORT "$H_IMAPS_PORT"
  _h_env_add PIGEON_TEST_POP3_PORT "$H_POP3_PORT"
  _h_env_add PIGEON_TEST_POP3S_PORT "$H_POP3S_PORT"
  _h_env_add PIGEON_TEST_SMTP_PORT "$H_SMTP_PORT"
  _h_env_add PIGEON_TEST_SUBMISSION_PORT "$H_SUBMISSION_PORT"
  _h_env_add PIGEON_TEST_SUBMISSIONS_PORT "$H_SUBMISSIONS_PORT"
  _h_env_add PIGEON_TEST_SINK_USER sink
  _h_env_add PIGEON_TEST_SINK_PASSWORD "$H_SINK_PASSWORD"
  _h_env_add PIGEON_TEST_KEYRING_PASSWORD "$H_KEYRING_PASSWORD"
}

_h_ports_free () {  # PORT_BASE
  local p
  # the mail servers' ports, and PB+500..509 where extra services (SOGo) listen
  for p in 143 993 110 995 25 587 465 500 501 502 503 504 505 506 507 508 509; do
    _h_port_free $(($1 + p)) || return 1
  done
  _h_display_free $(($1 / 100))
}

# Stops what a dead run left behind in DIR (tracked PIDs that still match) and removes it.
_h_reap_stale () {
  local dir=$1 f rec
  mv "$dir" "$dir.stale.$$" 2> /dev/null || return 0     # someone else is already at it
  _h_log "cleaning up after a harness run that died ($dir)"
  for f in "$dir.stale.$$"/pids/*.pid; do
    [ -e "$f" ] || continue
    rec=$(cat "$f")
    _h_tracked_alive "$rec" && _h_asroot kill -TERM "${rec%% *}" 2> /dev/null
  done
  for f in "$dir.stale.$$"/pids/*.pid; do
    [ -e "$f" ] || continue
    rec=$(cat "$f")
    _h_wait_gone "${rec%% *}" 5
  done
  _h_asroot rm -rf "$dir.stale.$$"
}

# harness_claim [OWNER]: choose the port base and create HB.  OWNER is "PID STARTTIME" of the
# process that will stop the harness (./test), or "manual" for `harness.sh up`; a directory
# whose owner has died is cleaned up and reused.
harness_claim () {
  local owner=${1:-"$$ $(_h_starttime $$)"} fixed_hb=$PIGEON_TEST_HB fixed_pb=$PIGEON_TEST_PORT_BASE
  local pb bases dir rec
  if [ -n "$fixed_pb" ]; then
    bases=$fixed_pb
  else
    bases=$(seq 31000 1000 45000)
  fi
  for pb in $bases; do
    dir=${fixed_hb:-/tmp/pgn-$pb}
    if [ -e "$dir" ]; then
      rec=$(cat "$dir/owner" 2> /dev/null)
      if [ "$rec" = manual ] || { [ -n "$rec" ] && _h_tracked_alive "$rec"; }; then
        [ -n "$fixed_hb$fixed_pb" ] && {
          _h_die "$dir is in use by a running harness (PIGEON_TEST_HB or" \
            "PIGEON_TEST_PORT_BASE is set: unset them to pick a free one)"
          return 1
        }
        continue
      fi
      _h_reap_stale "$dir"
    fi
    if ! _h_ports_free "$pb"; then
      [ -n "$fixed_pb" ] && {
        _h_die "a port of $pb+{25,110,143,465,587,993,995} or display :$((pb / 100)) is" \
          "in use; set PIGEON_TEST_PORT_BASE to another multiple of 1000"
        return 1
      }
      continue
    fi
    # the directory appears with its owner inside (a rename), so nobody takes it for stale
    rm -rf "$dir.new.$$"
    mkdir -m 755 "$dir.new.$$" && echo "$owner" > "$dir.new.$$/owner" \
      || _h_die "cannot create $dir.new.$$" || return 1
    if ! mv -T "$dir.new.$$" "$dir" 2> /dev/null; then
      rm -rf "$dir.new.$$"                                        # lost a race: next one
      [ -n "$fixed_hb$fixed_pb" ] && { _h_die "$dir was taken meanwhile"; return 1; }
      continue
    fi
    harness_init "$pb" "$dir"
    H_OWNED=1
    mkdir -p "$HB"/{pids,log,tls}
    mkdir -m 1777 "$HB/tmp"
    chmod 755 "$HB/log"
    : > "$HB/log/timings.txt"           # the caller's, also when the mail side runs as root
    return 0
  done
  _h_die "no free port base among $(echo $bases);" \
    "stop other harnesses (tests/harness/harness.sh down HB)"
}

# HB of an existing harness, for the commands that act on one (down, env, adduser, seed).
_h_attach () {
  local hb=${1:-${PIGEON_TEST_HB:-/tmp/pgn-${PIGEON_TEST_PORT_BASE:-31000}}} pb
  [ -d "$hb/pids" ] || _h_die "no harness at $hb (start one with: $H_DIR/harness.sh up)" || return 1
  pb=$(sed -n 's/^export PIGEON_TEST_PORT_BASE=//p' "$hb/session.env" 2> /dev/null)
  harness_init "${pb:-${PIGEON_TEST_PORT_BASE:-31000}}" "$hb"
  H_OWNED=1                       # the caller named it
}

_h_make_cert () {  # self-signed EC P-256 (~15 ms; RSA-2048 ~200 ms), SAN localhost + 127.0.0.1
  local t0
  t0=$(_h_now)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$HB/tls/key.pem" -out "$HB/tls/cert.pem" -days 7 \
    -subj "/CN=localhost/O=Pigeon test harness" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2> "$HB/log/openssl.log" \
    || _h_die "openssl could not make the test certificate; see $HB/log/openssl.log" || return 1
  chmod 600 "$HB/tls/key.pem"
  chmod 644 "$HB/tls/cert.pem"
  _h_timing make_cert "$(_h_ms "$t0")"
}

# ------------------------------------------------------------------------------ dovecot
# Debian's cyrus-imapd/cyrus-pop3d conflict with dovecot-imapd/-pop3d (both provide
# imap-server/pop3-server), so where Cyrus is installed the imap and pop3 binaries are
# missing.  Instead of removing Cyrus we unpack the two .debs of dovecot-core's version into a
# cache and point libexec_dir and mail_plugin_dir at a symlink farm merging them with
# /usr/lib/dovecot.  PIGEON_TEST_DOVECOT_OVERLAY=1 forces this path.
_h_dovecot_libexec () {
  local ov ver f
  if [ -z "$PIGEON_TEST_DOVECOT_OVERLAY" ] \
     && [ -x /usr/lib/dovecot/imap ] && [ -x /usr/lib/dovecot/pop3 ]; then
    H_DOVECOT_LIBEXEC=/usr/lib/dovecot
    H_DOVECOT_MODULES=/usr/lib/dovecot/modules
    return 0
  fi
  ver=$(dpkg-query -W -f='${Version}' dovecot-core 2> /dev/null) \
    || _h_die "dovecot-core is not installed (build-aux/install-deps.sh test)" || return 1
  # the mail processes (uid $H_MAIL_UID) exec from here: a world-searchable path outside /tmp
  ov=${PIGEON_TEST_CACHE:-/var/tmp/pigeon-test-cache}/dovecot-${ver//:/_}
  H_DOVECOT_LIBEXEC=$ov/libexec
  H_DOVECOT_MODULES=$ov/libexec/modules
  [ -x "$ov/libexec/imap" ] && [ -x "$ov/libexec/pop3" ] && return 0
  _h_log "dovecot's imap/pop3 binaries are missing (cyrus-imapd installed?):" \
    "unpacking them into $ov"
  _h_asroot rm -rf "$ov"
  _h_asroot mkdir -p "$ov/debs" "$ov/root" "$ov/libexec/modules"
  _h_asroot chmod 755 "$(dirname "$ov")" "$ov"
  (cd "$ov/debs" && _h_asroot apt-get download -q "dovecot-imapd=$ver" "dovecot-pop3d=$ver") \
    > "$HB/log/dovecot-overlay.log" 2>&1 \
    || _h_die "apt-get download dovecot-imapd/pop3d=$ver failed; see $HB/log/dovecot-overlay.log" \
    || return 1
  for f in "$ov"/debs/*.deb; do _h_asroot dpkg-deb -x "$f" "$ov/root"; done
  for f in /usr/lib/dovecot/* "$ov"/root/usr/lib/dovecot/*; do
    [ "$(basename "$f")" = modules ] || _h_asroot ln -sfn "$f" "$ov/libexec/"
  done
  for f in /usr/lib/dovecot/modules/* "$ov"/root/usr/lib/dovecot/modules/*; do
    _h_asroot ln -sfn "$f" "$ov/libexec/modules/"
  done
  [ -x "$ov/libexec/imap" ] && [ -x "$ov/libexec/pop3" ] \
    || _h_die "the unpacked dovecot packages have no imap/pop3 binary ($ov)" || return 1
}

_h_write_dovecot_conf () {
  local D=$HB/dovecot
  cat > "$D/dovecot.conf" << EOF
# Private Dovecot instance (dovecot -c this-file); nothing is shared with /etc/dovecot.
instance_name = pgn-$H_PB
base_dir = $D/run
state_dir = $D/state
libexec_dir = $H_DOVECOT_LIBEXEC
mail_plugin_dir = $H_DOVECOT_MODULES
mail_temp_dir = $D/tmp
protocols = imap pop3 lmtp
listen = 127.0.0.1
hostname = mail.$H_DOMAIN
log_path = $HB/log/dovecot.log
log_timestamp = "%Y-%m-%d %H:%M:%S.%{usecs} "
auth_verbose = yes

ssl = yes
ssl_cert = <$HB/tls/cert.pem
ssl_key = <$HB/tls/key.pem
ssl_min_protocol = TLSv1.2

# One passwd-file per user with a {PLAIN} password (so CRAM-MD5, DIGEST-MD5, SCRAM and APOP
# work).  One file per user because Dovecot looks at a changed passwd-file at most once a
# second: a user added in the same second as a login would stay unknown for up to a second.
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 digest-md5 scram-sha-1 scram-sha-256 apop
auth_username_format = %Ln
# failed logins still cost 0.5 s (a hard-coded flush timer); the default would be 2 s more
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $D/users/%n
}
userdb {
  driver = passwd-file
  args = username_format=%n $D/users/%n
  default_fields = uid=$H_MAIL_UID gid=$H_MAIL_GID home=$HB/mail/%n
}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = $H_MAIL_UID
mail_max_userip_connections = 100

mail_location = maildir:~/Maildir
mail_fsync = never
mail_attribute_dict = file:%h/dovecot-attributes
mail_plugins = quota zlib acl
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
plugin {
  quota = maildir:User quota
  quota_rule = *:storage=1G
  acl = vfile
}

protocol imap {
  mail_plugins = \$mail_plugins imap_quota imap_zlib imap_acl
  imap_metadata = yes
}
imap_urlauth_host = 127.0.0.1
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
  pop3_lock_session = yes
}
protocol lmtp {
  postmaster_address = postmaster@$H_DOMAIN
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $H_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $H_IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $H_POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $H_POP3S_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
service auth {
  # Postfix's SASL
  unix_listener auth-client {
    mode = 0666
  }
  # doveadm (adduser, seed, deliver)
  unix_listener auth-userdb {
    mode = 0666
  }
}
EOF
}

harness_start_dovecot () {
  local D=$HB/dovecot t0
  t0=$(_h_now)
  _h_dovecot_libexec || return 1
  [ -s "$HB/tls/cert.pem" ] || _h_make_cert || return 1
  mkdir -p "$D/run" "$D/state" "$D/tmp"
  # the mail user adds users; Dovecot's auth process reads them through the group
  install -d -o "$H_MAIL_UID" -g dovecot -m 2750 "$D/users"
  _h_write_user sink "$H_SINK_PASSWORD"
  install -d -o "$H_MAIL_UID" -g "$H_MAIL_GID" -m 700 "$HB/mail"
  _h_write_dovecot_conf
  doveconf -c "$D/dovecot.conf" -n > "$HB/log/doveconf-n.txt" 2> "$HB/log/doveconf.err" \
    || { cat "$HB/log/doveconf.err" >&2; _h_die "dovecot rejected its configuration"; return 1; }
  # no daemon keeps the caller's stdout: `harness.sh up | tee` would never finish
  _h_asroot dovecot -c "$D/dovecot.conf" < /dev/null > /dev/null 2>> "$HB/log/dovecot.err" \
    || { cat "$HB/log/dovecot.err" >&2; _h_die "dovecot did not start; see $HB/log/dovecot.log"; } \
    || return 1
  _h_wait_file "$D/run/master.pid" || _h_die "dovecot wrote no PID file" || return 1
  _h_track dovecot "$(cat "$D/run/master.pid")"
  # Every login from an address with a recent failure waits 4-15 s (anvil's auth penalty), and
  # every test connects from 127.0.0.1: one wrong-password test would slow all the others.
  # The auth process turns the penalty off when it finds no anvil-auth-penalty socket as it
  # starts, which is at the first login (the readiness probe below), so remove it now.
  rm -f "$D/run/anvil-auth-penalty"
  # imap-login greets only once the auth process is connected: that is real readiness
  _h_wait_tcp "$H_IMAP_PORT" '^\* OK' && _h_wait_tcp "$H_POP3_PORT" '^\+OK' \
    && _h_wait_tcp "$H_IMAPS_PORT" && _h_wait_tcp "$H_POP3S_PORT" \
    || _h_die "dovecot did not come up; see $HB/log/dovecot.log" || return 1
  _h_timing start_dovecot "$(_h_ms "$t0")"
}

_h_doveadm () { doveadm -c "$HB/dovecot/dovecot.conf" "$@"; }

# ------------------------------------------------------------------------------ postfix
# Postfix re-reads a config or map file until its mtime is 2 s in the past ("pausing to let
# main.cf cool down"), so files it reads are back-dated.  The recipient map is a hash table
# that smtpd re-opens when its mtime changes (adduser): each change gets a mtime of its own.
# It lives in postfix/users, which belongs to the mail user, like Dovecot's users.
_h_postfix_backdate () {
  local gen
  gen=$(cat "$HB/postfix/users/generation" 2> /dev/null || echo 0)
  gen=$((gen + 1))
  echo "$gen" > "$HB/postfix/users/generation"
  touch -d "@$((1000000000 + gen))" "$@"
}

_h_write_postfix_conf () {
  local P=$HB/postfix dre=${H_DOMAIN//./\\.}
  echo "sink@$H_DOMAIN OK" > "$P/users/vmailbox"
  cat > "$P/etc/catchall.regexp" << EOF
# every recipient outside $H_DOMAIN is captured in sink@$H_DOMAIN
if !/@$dre\$/
/.*/ sink@$H_DOMAIN
endif
EOF
  cat > "$P/etc/main.cf" << EOF
# Private Postfix instance: postfix -c $P/etc start
compatibility_level = 3.6
queue_directory = $P/queue
data_directory = $P/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-pgn-$H_PB
# no syslogd here: postlogd writes the log (needs the postlog service in master.cf)
maillog_file = $HB/log/postfix.log
maillog_file_prefixes = $HB/log
myhostname = mail.$H_DOMAIN
mydomain = $H_DOMAIN
myorigin = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relay_domains =
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
# nothing ever leaves the machine
default_transport = error:5.7.1 outbound delivery disabled in the test harness
virtual_mailbox_domains = $H_DOMAIN
virtual_mailbox_maps = hash:$P/users/vmailbox
virtual_alias_maps = regexp:$P/etc/catchall.regexp
# the default (\$virtual_alias_maps) would turn $H_DOMAIN into an alias domain: 550 for everyone
virtual_alias_domains =
virtual_transport = lmtp:unix:$HB/dovecot/run/lmtp
message_size_limit = 52428800
smtpd_banner = \$myhostname ESMTP Pigeon test harness
smtpd_tls_cert_file = $HB/tls/cert.pem
smtpd_tls_key_file = $HB/tls/key.pem
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_sasl_type = dovecot
smtpd_sasl_path = $HB/dovecot/run/auth-client
smtpd_sasl_auth_enable = no
smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination
biff = no
EOF
  cat > "$P/etc/master.cf" << EOF
# service type  private unpriv  chroot  wakeup  maxproc command + args   (never chrooted)
127.0.0.1:$H_SMTP_PORT inet n - n - - smtpd
127.0.0.1:$H_SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix-pgn-$H_PB/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$H_SUBMISSIONS_PORT inet n - n - - smtpd
  -o syslog_name=postfix-pgn-$H_PB/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

harness_start_postfix () {  # needs Dovecot (SASL and LMTP sockets)
  local P=$HB/postfix t0
  t0=$(_h_now)
  [ -S "$HB/dovecot/run/auth-client" ] || _h_die "start Dovecot before Postfix" || return 1
  mkdir -p "$P/etc" "$P/queue"
  install -d -o postfix -g postfix -m 700 "$P/data"   # else master.lock: permission denied
  install -d -o "$H_MAIL_UID" -g "$H_MAIL_GID" -m 755 "$P/users"
  _h_write_postfix_conf
  _h_postfix_backdate "$P"/etc/*                # before postmap, which reads main.cf too
  postmap -c "$P/etc" "hash:$P/users/vmailbox" \
    || _h_die "postmap failed on $P/users/vmailbox" || return 1
  _h_postfix_backdate "$P"/users/vmailbox*
  chown "$H_MAIL_UID:$H_MAIL_GID" "$P"/users/*
  # `postfix check` would cost 2.4 s on a fresh queue; `postfix start` makes the queue itself
  _h_asroot postfix -c "$P/etc" start < /dev/null > /dev/null 2>> "$HB/log/postfix-start.err" \
    || { cat "$HB/log/postfix-start.err" >&2; _h_die "postfix did not start; see its log"; } \
    || return 1
  _h_wait_file "$P/queue/pid/master.pid" || _h_die "postfix wrote no PID file" || return 1
  _h_track postfix "$(tr -d ' ' < "$P/queue/pid/master.pid")"
  _h_wait_tcp "$H_SMTP_PORT" '^220 ' && _h_wait_tcp "$H_SUBMISSION_PORT" '^220 ' \
    && _h_wait_tcp "$H_SUBMISSIONS_PORT" \
    || _h_die "postfix did not come up; see $HB/log/postfix.log" || return 1
  _h_timing start_postfix "$(_h_ms "$t0")"
}

# ------------------------------------------------------------------------------ users, mail
# harness_add_user USER PASS: Dovecot reads the user's own passwd-file at the first login;
# smtpd re-opens the recipient map before its next connection once the map's mtime changed.
harness_add_user () {
  local user=$1 pass=$2 P=$HB/postfix
  [[ $user =~ ^[a-z0-9][a-z0-9._-]*$ ]] \
    || _h_die "user names are lower-case letters, digits, '.', '_' and '-': '$user'" || return 1
  [ -n "$pass" ] && [[ $pass != *:* ]] && [[ $pass != *$'\n'* ]] \
    || _h_die "a password must be non-empty, without ':' or a line break" || return 1
  (
    flock 9
    if _h_user_exists "$user" 2> /dev/null; then
      _h_die "the harness user '$user' exists already"
      exit 1
    fi
    _h_write_user "$user" "$pass" || exit 1
    echo "$user@$H_DOMAIN OK" >> "$P/users/vmailbox"
    postmap -c "$P/etc" "hash:$P/users/vmailbox" \
      || { _h_die "postmap failed on $P/users/vmailbox"; exit 1; }
    _h_postfix_backdate "$P/users/vmailbox" "$P/users/vmailbox.db"
  ) 9> "$HB/users.lock"
}

# A new password for an existing user (a password changed behind a client's back).
harness_set_password () {
  local user=$1 pass=$2
  [ -n "$pass" ] && [[ $pass != *:* ]] && [[ $pass != *$'\n'* ]] \
    || _h_die "a password must be non-empty, without ':' or a line break" || return 1
  _h_user_exists "$user" && _h_write_user "$user" "$pass"
}

# The file appears whole (rename), readable by Dovecot's auth process.
_h_write_user () {  # USER PASS
  local f=$HB/dovecot/users/$1
  printf '%s:{PLAIN}%s::::::\n' "$1" "$2" > "$f.new" \
    && chmod 640 "$f.new" && mv "$f.new" "$f" \
    || _h_die "could not write the user file $f" || return 1
}

_h_user_exists () {
  [[ $1 =~ ^[a-z0-9][a-z0-9._-]*$ ]] && [ -f "$HB/dovecot/users/$1" ] \
    || _h_die "there is no harness user '$1' (add it with: harness.sh adduser USER PASS)" \
    || return 1
}

# harness_seed USER COUNT [FOLDER] [seed_maildir.py args...]: writes straight into the Maildir
# (as the mail uid), then lets Dovecot index it.
harness_seed () {
  local user=$1 count=$2 folder=${3:-INBOX} t0
  shift 3 2> /dev/null || shift $#
  _h_user_exists "$user" || return 1
  t0=$(_h_now)
  "$H_PY" "$H_DIR/seed_maildir.py" --maildir "$HB/mail/$user/Maildir" \
    --folder "$folder" --count "$count" --uid "$H_MAIL_UID" --gid "$H_MAIL_GID" \
    --rcpt "$user@$H_DOMAIN" --jobs "${PIGEON_TEST_SEED_JOBS:-$(nproc)}" "$@" \
    2>> "$HB/log/seed.log" \
    || _h_die "seeding $count messages into $user/$folder failed; see $HB/log/seed.log" || return 1
  _h_doveadm mailbox status -u "$user" 'messages' "$folder" > /dev/null 2>> "$HB/log/seed.log" \
    || _h_die "dovecot could not index $user/$folder; see $HB/log/seed.log" || return 1
  _h_timing "seed $user/$folder $count" "$(_h_ms "$t0")"
}

# harness_deliver USER [FOLDER] < MESSAGE: through Dovecot, so IDLE and NOTIFY see it.
harness_deliver () {
  _h_user_exists "$1" || return 1
  _h_doveadm save -u "$1" -m "${2:-INBOX}" 2>> "$HB/log/deliver.log" \
    || _h_die "delivering to $1/${2:-INBOX} failed; see $HB/log/deliver.log" || return 1
}

# ------------------------------------------------------------------------------ desktop
_h_session_env () {
  _h_env_add HOME "$HB/home"
  _h_env_add XDG_RUNTIME_DIR "$HB/xdg"         # unset, the keyring and AT-SPI wander off
  _h_env_add XDG_CONFIG_HOME "$HB/home/.config"
  _h_env_add XDG_DATA_HOME "$HB/home/.local/share"
  _h_env_add XDG_CACHE_HOME "$HB/home/.cache"
  _h_env_add TMPDIR "$HB/tmp"
  _h_env_add MAGICK_TEMPORARY_PATH "$HB/tmp"
  _h_env_add PYTHONDONTWRITEBYTECODE 1
  _h_env_add PIGEON_DOGTAIL_DIR "$HB/tmp/dogtail"
  _h_env_add LANG "${LANG:-C.UTF-8}"
  unset NO_AT_BRIDGE                              # GTK 3 skips the atk-bridge when it is set
  mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
  mkdir -m 700 -p "$XDG_RUNTIME_DIR"
}

# Debian's session.conf listens on unix:tmpdir=/tmp; ours keeps the socket under HB.
_h_write_dbus_conf () {
  mkdir -p "$HB/dbus/sock"
  cat > "$HB/dbus/session.conf" << EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>unix:dir=$HB/dbus/sock</listen>
  <auth>EXTERNAL</auth>
  <standard_session_servicedirs />
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
}

harness_start_session_bus () {
  local t0
  t0=$(_h_now)
  _h_session_env
  _h_write_dbus_conf
  # (as root in a container it logs "Failed to set fd limit": harmless)
  dbus-daemon --config-file="$HB/dbus/session.conf" --nofork --print-address=3 \
    3> "$HB/dbus/address" < /dev/null >> "$HB/log/dbus-session.log" 2>&1 &
  _h_track dbus-session $!
  _h_wait_file "$HB/dbus/address" \
    || _h_die "dbus-daemon did not start; see $HB/log/dbus-session.log" || return 1
  _h_env_add DBUS_SESSION_BUS_ADDRESS "$(head -1 "$HB/dbus/address")"
  _h_timing start_session_bus "$(_h_ms "$t0")"
}

harness_start_keyring () {
  local t0 i
  t0=$(_h_now)
  mkdir -m 700 -p "$HB/keyring"
  printf '%s' "$H_KEYRING_PASSWORD" > "$HB/keyring/password"
  # --foreground keeps $! the daemon's PID; --unlock reads the password from stdin and creates
  # the "login" keyring (the default collection) unlocked, in a HOME that is fresh each run
  gnome-keyring-daemon --foreground --unlock --components=secrets \
    --control-directory="$XDG_RUNTIME_DIR/keyring" \
    < "$HB/keyring/password" > "$HB/keyring/env" 2>> "$HB/log/keyring.log" &
  _h_track keyring $!
  for ((i = 0; i < 500; i++)); do
    _h_dbus_has_owner org.freedesktop.secrets && break
    sleep 0.01
  done
  _h_dbus_has_owner org.freedesktop.secrets \
    || _h_die "gnome-keyring did not claim org.freedesktop.secrets; see $HB/log/keyring.log" \
    || return 1
  _h_env_add GNOME_KEYRING_CONTROL "$XDG_RUNTIME_DIR/keyring"
  # prove the default collection is unlocked: no prompt needed
  printf probe | secret-tool store --label='Pigeon harness probe' pigeon-harness probe \
    && [ "$(secret-tool lookup pigeon-harness probe)" = probe ] \
    && secret-tool clear pigeon-harness probe \
    || _h_die "the test keyring is not usable (store/lookup failed)" || return 1
  _h_timing start_keyring "$(_h_ms "$t0")"
}

harness_start_xvfb () {
  local t0 i p a11y extra=
  t0=$(_h_now)
  mkdir -p "$HB/x"
  # no TCP; the abstract socket @/tmp/.X11-unix/X<n> and the socket file of the same name,
  # which WebKit's bubblewrap sandbox needs to reach the display (Xvfb removes it on exit);
  # -nolock (root only) skips /tmp/.X<n>-lock
  [ "$(id -u)" = 0 ] && extra=-nolock
  Xvfb ":$H_DISPLAY" -screen 0 "${PIGEON_TEST_SCREEN:-1280x1024x24}" -nolisten tcp \
    -listen unix -listen local $extra -noreset -displayfd 3 3> "$HB/x/displayfd" \
    < /dev/null >> "$HB/log/xvfb.log" 2>&1 &
  _h_track xvfb $!
  _h_wait_file "$HB/x/displayfd" 1000 \
    || _h_die "Xvfb did not start on :$H_DISPLAY; see $HB/log/xvfb.log" || return 1
  _h_env_add DISPLAY ":$H_DISPLAY"
  _h_timing "start_xvfb :$H_DISPLAY" "$(_h_ms "$t0")"

  t0=$(_h_now)
  dbus-update-activation-environment DISPLAY XDG_RUNTIME_DIR HOME XDG_CONFIG_HOME \
    XDG_DATA_HOME XDG_CACHE_HOME TMPDIR 2> /dev/null
  # started by us (not by activation) so we own the PID; asking GetAddress before the name
  # has an owner races and activates a second launcher
  /usr/libexec/at-spi-bus-launcher --launch-immediately < /dev/null >> "$HB/log/at-spi.log" 2>&1 &
  _h_track at-spi-bus-launcher $!
  for ((i = 0; i < 500; i++)); do
    _h_dbus_has_owner org.a11y.Bus && break
    sleep 0.01
  done
  a11y=$(dbus-send --session --print-reply --dest=org.a11y.Bus /org/a11y/bus \
    org.a11y.Bus.GetAddress 2> /dev/null | grep -o 'unix:[^"]*')
  [ -n "$a11y" ] || _h_die "the AT-SPI bus did not start; see $HB/log/at-spi.log" || return 1
  echo "$a11y" > "$HB/x/a11y-bus"
  # dogtail refuses to run unless toolkit-accessibility is on (dconf, activated on our bus)
  gsettings set org.gnome.desktop.interface toolkit-accessibility true \
    || _h_die "could not turn on toolkit-accessibility (dconf-service missing?)" || return 1
  p=$(_h_dbus_pid_of ca.desrt.dconf)
  [ -n "$p" ] && _h_track dconf-service "$p"
  # start the registry now, or the first dogtail search races an empty desktop
  dbus-send --bus="$a11y" --print-reply --dest=org.a11y.atspi.Registry \
    /org/a11y/atspi/accessible/root org.freedesktop.DBus.Peer.Ping > /dev/null 2>&1
  for ((i = 0; i < 300; i++)); do
    _h_dbus_has_owner org.a11y.atspi.Registry "$a11y" && break
    sleep 0.01
  done
  p=$(_h_dbus_pid_of org.a11y.atspi.Registry "$a11y")
  [ -n "$p" ] || _h_die "the AT-SPI registry did not start; see $HB/log/at-spi.log" || return 1
  _h_track at-spi2-registryd "$p"
  _h_timing start_a11y "$(_h_ms "$t0")"
}

_h_write_env () {
  local v
  {
    for v in "${H_ENV_VARS[@]}"; do printf 'export %s=%q\n' "$v" "${!v}"; done
    echo 'unset NO_AT_BRIDGE'
  } > "$HB/session.env.new"
  mv "$HB/session.env.new" "$HB/session.env"
}

# ------------------------------------------------------------------------------ up, down
harness_up () {
  local t0 f name
  t0=$(_h_now)
  if [ "$(id -u)" = 0 ]; then
    harness_start_dovecot && harness_start_postfix || return 1
  else
    command -v sudo > /dev/null \
      || _h_die "the mail servers of the test harness need root: run as root or install sudo" \
      || return 1
    _h_asroot env PIGEON_TEST_MAIL_UID="$H_MAIL_UID" PIGEON_TEST_MAIL_GID="$H_MAIL_GID" \
      PIGEON_TEST_PYTHON="$H_PY" PIGEON_TEST_CACHE="${PIGEON_TEST_CACHE:-}" \
      PIGEON_TEST_DOVECOT_OVERLAY="${PIGEON_TEST_DOVECOT_OVERLAY:-}" \
      "$H_DIR/harness.sh" _mail-up "$HB" "$H_PB" \
      || _h_die "the mail servers did not start as root (through sudo)" || return 1
  fi
  harness_start_session_bus || return 1
  harness_start_keyring || return 1
  harness_start_xvfb || return 1
  # extra services (see the top of this file)
  for f in "$H_DIR"/services/*.sh; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .sh)
    . "$f" || _h_die "could not load $f" || return 1
    "harness_start_$name" || _h_die "the extra service '$name' did not start" || return 1
  done
  _h_write_env
  _h_timing harness_up "$(_h_ms "$t0")"
}

_h_descendants () {
  local c
  echo "$1"
  for c in $(cat /proc/"$1"/task/*/children 2> /dev/null); do _h_descendants "$c"; done
}

# Everything connected to our private buses was started for this harness (the buses' address
# is known to nobody else): D-Bus-activated helpers are reparented to init, so find them here.
_h_bus_clients () {
  local bus name
  for bus in "$(head -1 "$HB/dbus/address" 2> /dev/null)" "$(cat "$HB/x/a11y-bus" 2> /dev/null)"; do
    [ -n "$bus" ] || continue
    for name in $(_h_dbus "$bus" ListNames | grep -o '"[^"]*"' | tr -d '"' | grep '^:'); do
      _h_dbus_pid_of "$name" "$bus"
    done
  done | sort -un
}

harness_down () {  # only a harness claimed or named by this process
  [ -n "$H_OWNED" ] && [ -d "$HB/pids" ] || return 0
  local t0 f rec pid roots=() all=()
  t0=$(_h_now)
  for pid in $(_h_bus_clients); do
    [ "$pid" != $$ ] && ! _h_gone "$pid" && roots+=("$pid")
  done
  for f in $(ls -r "$HB"/pids/*.pid 2> /dev/null); do
    rec=$(cat "$f")
    _h_tracked_alive "$rec" && roots+=("${rec%% *}")
  done
  # children are collected first and left to their parents (Dovecot's and Postfix's masters
  # stop their own), then waited for like the rest
  for pid in "${roots[@]}"; do all+=($(_h_descendants "$pid")); done
  for pid in "${roots[@]}"; do _h_asroot kill -TERM "$pid" 2> /dev/null; done
  for pid in "${all[@]}"; do _h_wait_gone "$pid" 15; done
  # Whatever still runs from this harness's directory (a daemon whose record went missing,
  # one that forked anew) goes too: nothing may outlive its harness.
  for pid in $(pgrep -f -- "$HB/" 2> /dev/null); do
    [ "$pid" != $$ ] && [ "$pid" != "$PPID" ] || continue
    _h_log "process $pid was left running: $(tr '\0' ' ' < /proc/"$pid"/cmdline 2> /dev/null |
      cut -c1-60); stopping it"
    _h_asroot kill -TERM "$pid" 2> /dev/null
    _h_wait_gone "$pid" 5
  done
  rm -f "$HB"/pids/*.pid
  _h_timing harness_down "$(_h_ms "$t0")"
  if [ -n "$PIGEON_TEST_LOG_DIR" ]; then
    rm -rf "$PIGEON_TEST_LOG_DIR"
    mkdir -p "$PIGEON_TEST_LOG_DIR"
    _h_asroot cp -r "$HB/log/." "$PIGEON_TEST_LOG_DIR/"
    [ "$(id -u)" = 0 ] || _h_asroot chown -R "$(id -u):$(id -g)" "$PIGEON_TEST_LOG_DIR"
  fi
  if [ -z "$PIGEON_TEST_KEEP" ]; then
    _h_asroot rm -rf "$HB"
  else
    _h_log "kept $HB (PIGEON_TEST_KEEP is set)"
  fi
}

# ------------------------------------------------------------------------------ commands
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  cmd=${1:-}
  shift
  case $cmd in
    up)
      harness_claim manual || exit 1
      if ! harness_up; then
        harness_down
        exit 1
      fi
      echo "$HB/session.env"
      _h_log "running; use it with: . $HB/session.env   stop it with: $0 down $HB" ;;
    down)
      _h_attach "$1" || exit 1
      harness_down ;;
    _mail-up)                     # harness_up, through sudo: the part that needs root
      harness_init "$2" "$1"
      harness_start_dovecot && harness_start_postfix || exit 1 ;;
    env)
      _h_attach "$1" || exit 1
      cat "$HB/session.env" ;;
    adduser)
      [ $# = 2 ] || { echo "usage: $0 adduser USER PASSWORD" >&2; exit 2; }
      _h_attach || exit 1
      harness_add_user "$1" "$2" ;;
    passwd)
      [ $# = 2 ] || { echo "usage: $0 passwd USER PASSWORD" >&2; exit 2; }
      _h_attach || exit 1
      harness_set_password "$1" "$2" ;;
    seed)
      [ $# -ge 2 ] || {
        echo "usage: $0 seed USER COUNT [FOLDER] [seed_maildir.py args...]" >&2
        exit 2
      }
      _h_attach || exit 1
      harness_seed "$@" ;;
    deliver)
      [ $# -ge 1 ] || { echo "usage: $0 deliver USER [FOLDER] < message" >&2; exit 2; }
      _h_attach || exit 1
      harness_deliver "$@" ;;
    *)
      echo "usage: $0 up | down [HB] | env [HB] | adduser USER PASSWORD" >&2
      echo "       | passwd USER PASSWORD | seed USER COUNT [FOLDER] [args...]" >&2
      echo "       | deliver USER [FOLDER] < message" >&2
      exit 2 ;;
  esac
fi
