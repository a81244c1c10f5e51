# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
#
# The ActiveSync server of the test harness: SOGo 5.8 (Debian's sogo + sogo-activesync) on
# loopback with its own PostgreSQL cluster, memcached, Dovecot and Postfix, all under
# $HB/sogo.  Sourced by harness.sh, which calls harness_start_sogo (see its header).  The
# facts behind each setting are in the project notes on SOGo: sogod refuses root, reads
# /etc/sogo/sogo.conf whatever we do (so every key that matters is overridden in the
# sogod.plist user defaults), ignores $HOME (GNUSTEP_CONFIG_FILE points it here), and a
# fresh Dovecot mailbox must be selected with CONDSTORE once before SOGo reports changes.
#
#   PB+500 sogod (http://127.0.0.1:PB+500/SOGo/Microsoft-Server-ActiveSync, DAV under /SOGo/dav)
#   PB+501 PostgreSQL   PB+502 memcached   PB+503 IMAP   PB+504 LMTP   PB+505 SMTP (no AUTH)
#   PB+506 / PB+507  /Microsoft-Server-ActiveSync over HTTP / HTTPS (sogo-eas-proxy.py)
#
# Users: PIGEON_TEST_SOGO_USERS (login names, password "secret-LOGIN"); alice's INBOX is
# seeded with PIGEON_TEST_SOGO_SEED messages.  Stopping: harness_down sends SIGTERM to a
# small guardian process, which stops every daemon here by PID in the right order (sogod
# would otherwise spend 10-15 s winding down idle workers).

_hs_pgbin=/usr/lib/postgresql/15/bin

_hs_psql () {
  "$_hs_pgbin/psql" -h "$HS/run" -p "$HS_PG_PORT" -v ON_ERROR_STOP=1 -q -X "$@"
}

_hs_pidfile_pid () { [ -s "$1" ] && head -n1 "$1" | tr -dc '0-9'; }

_hs_postgres () {
  mkdir -p "$HS/pg" && chown postgres:postgres "$HS/pg"
  runuser -u postgres -- "$_hs_pgbin/initdb" -D "$HS/pg/data" -A trust -U postgres -E UTF8 \
    --locale=C.UTF-8 > "$HB/log/sogo-initdb.log" 2>&1 || return 1
  runuser -u postgres -- "$_hs_pgbin/pg_ctl" -D "$HS/pg/data" -l "$HB/log/sogo-postgres.log" \
    -w -t 60 -o "-p $HS_PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$HS/run \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB" \
    start > /dev/null 2>> "$HB/log/sogo-pg_ctl.log" || return 1
  _h_track sogo-postgres "$(_hs_pidfile_pid "$HS/pg/data/postmaster.pid")"
  _hs_psql -U postgres -d postgres -c "CREATE ROLE sogo LOGIN PASSWORD 'sogo'" \
    -c "CREATE DATABASE sogo OWNER sogo" || return 1
  # SOGo creates the last three itself, but its workers race doing it on the first start
  _hs_psql -U sogo -d sogo <<'SQL' || return 1
CREATE TABLE sogo_users (c_uid varchar(128) PRIMARY KEY, c_name varchar(128) NOT NULL,
  c_password varchar(256) NOT NULL, c_cn varchar(256), mail varchar(256),
  displayname varchar(256), givenname varchar(128), sn varchar(128));
CREATE TABLE sogo_user_profile (c_uid varchar(255) NOT NULL PRIMARY KEY, c_defaults text,
  c_settings text);
CREATE TABLE sogo_folder_info (c_folder_id serial, c_path varchar(255) NOT NULL PRIMARY KEY,
  c_path1 varchar(255) NOT NULL, c_path2 varchar(255), c_path3 varchar(255),
  c_path4 varchar(255), c_foldername varchar(255) NOT NULL, c_location varchar(2048),
  c_quick_location varchar(2048), c_acl_location varchar(2048),
  c_folder_type varchar(255) NOT NULL);
CREATE TABLE sogo_sessions_folder (c_id varchar(255) NOT NULL PRIMARY KEY,
  c_value varchar(4096) NOT NULL, c_creationdate integer NOT NULL, c_lastseen integer NOT NULL);
SQL
  local u
  for u in $HS_USERS; do
    _hs_psql -U sogo -d sogo -c "INSERT INTO sogo_users VALUES ('$u', '$u', 'secret-$u',
      '${u^} Lab', '$u@$H_DOMAIN', '${u^} Lab', '${u^}', 'Lab')" || return 1
  done
}

_hs_memcached () {
  local user=memcache
  id memcache > /dev/null 2>&1 || user=nobody
  memcached -d -u "$user" -l 127.0.0.1 -p "$HS_MC_PORT" -U 0 -m 32 -P "$HS/run/memcached.pid" \
    < /dev/null >> "$HB/log/sogo-memcached.log" 2>&1 || return 1
  _h_wait_file "$HS/run/memcached.pid" || return 1
  _h_track sogo-memcached "$(_hs_pidfile_pid "$HS/run/memcached.pid")"
}

_hs_dovecot () {
  local u
  mkdir -p "$HS/dovecot/state" "$HS/mail"
  chown mail:mail "$HS/mail" && chmod 770 "$HS/mail"
  : > "$HS/dovecot/users"
  for u in $HS_USERS; do echo "$u:{PLAIN}secret-$u::::::" >> "$HS/dovecot/users"; done
  chmod 644 "$HS/dovecot/users"
  cat > "$HS/dovecot/dovecot.conf" <<CONF
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $HS/run/dovecot
state_dir = $HS/dovecot/state
instance_name = pigeon-sogo-dovecot
log_path = $HB/log/sogo-dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = $(id -u mail)
first_valid_gid = $(id -g mail)
mail_uid = mail
mail_gid = mail
mail_location = maildir:$HS/mail/%n/Maildir
mail_temp_dir = $HS/dovecot/state
mail_plugins = \$mail_plugins acl
imap_max_line_length = 2M
lda_mailbox_autocreate = yes
postmaster_address = postmaster@$H_DOMAIN
hostname = localhost
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $HS/dovecot/users
}
userdb {
  driver = passwd-file
  args = username_format=%n $HS/dovecot/users
  default_fields = uid=mail gid=mail home=$HS/mail/%n
}
namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
  mailbox Templates {
    auto = subscribe
  }
}
plugin {
  acl = vfile
}
protocol imap {
  mail_plugins = \$mail_plugins imap_acl
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $HS_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $HS_LMTP_PORT
  }
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
CONF
  dovecot -c "$HS/dovecot/dovecot.conf" < /dev/null >> "$HB/log/sogo-dovecot.start.log" 2>&1 \
    || return 1
  _h_wait_tcp "$HS_IMAP_PORT" || return 1
  _h_track sogo-dovecot "$(_hs_pidfile_pid "$HS/run/dovecot/master.pid")"
}

_hs_postfix () {
  mkdir -p "$HS/postfix/etc" "$HS/postfix/spool" "$HS/postfix/data"
  chown postfix:postfix "$HS/postfix/data" && chmod 700 "$HS/postfix/data"
  cat > "$HS/postfix/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $HS/postfix/spool
data_directory = $HS/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.$H_DOMAIN
mydomain = $H_DOMAIN
myorigin = $H_DOMAIN
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relay_domains = $H_DOMAIN
relay_transport = lmtp:inet:127.0.0.1:$HS_LMTP_PORT
default_transport = discard:outside the test domain
local_transport = error:local delivery disabled
alias_maps =
alias_database =
smtputf8_enable = no
biff = no
maillog_file_prefixes = $HB/log
maillog_file = $HB/log/sogo-postfix.log
message_size_limit = 52428800
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 30s
disable_dns_lookups = yes
smtp_host_lookup = native
lmtp_host_lookup = native
CONF
  cat > "$HS/postfix/etc/master.cf" <<CONF
127.0.0.1:$HS_SMTP_PORT inet n - n - - smtpd
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
CONF
  # Postfix re-reads a main.cf younger than ~2 s in a loop: back-date it
  touch -d '-1 minute' "$HS/postfix/etc/main.cf" "$HS/postfix/etc/master.cf"
  postfix -c "$HS/postfix/etc" start < /dev/null >> "$HB/log/sogo-postfix.start.log" 2>&1 \
    || return 1
  _h_wait_tcp "$HS_SMTP_PORT" || return 1
  _h_track sogo-postfix "$(_hs_pidfile_pid "$HS/postfix/spool/pid/master.pid")"
}

_hs_seed_and_prime () {
  local u
  if [ "$HS_SEED" -gt 0 ]; then
    "$H_PY" "$H_DIR/seed_maildir.py" --maildir "$HS/mail/alice/Maildir" --count "$HS_SEED" \
      --uid "$(id -u mail)" --gid "$(id -g mail)" --rcpt "alice@$H_DOMAIN" --no-specials \
      > "$HB/log/sogo-seed.log" 2>&1 || return 1
  fi
  # SOGo's mail sync key comes from HIGHESTMODSEQ, which Dovecot reports only for mailboxes
  # once selected with CONDSTORE
  for u in $HS_USERS; do
    "$H_PY" - "$HS_IMAP_PORT" "$u" "secret-$u" <<'PY' || return 1
import imaplib, re, sys
m = imaplib.IMAP4('127.0.0.1', int(sys.argv[1]))
m.login(sys.argv[2], sys.argv[3])
m._simple_command('ENABLE', 'CONDSTORE')
for line in m.list('""', '*')[1] or []:
    name = re.match(rb'\(.*?\) "." (.*)$', line).group(1).decode()
    m.select(name if name.startswith('"') else '"%s"' % name, readonly=True)
m.logout()
PY
  done
}

_hs_sogod () {
  local db="postgresql://sogo:sogo@127.0.0.1:$HS_PG_PORT/sogo" i code
  mkdir -p "$HS/sogo/GNUstep/Defaults" "$HS/sogo/spool" "$HS/sogo/tmp"
  (grep -v '^GNUSTEP_USER_DEFAULTS_DIR=' /etc/GNUstep/GNUstep.conf
   echo "GNUSTEP_USER_DEFAULTS_DIR=$HS/sogo/GNUstep/Defaults") > "$HS/sogo/GNUstep.conf"
  cat > "$HS/sogo/GNUstep/Defaults/sogod.plist" <<CONF
{
    WOPort = "127.0.0.1:$HS_SOGO_PORT";
    WOWorkersCount = 3;
    WOListenQueueSize = 50;
    WOLogFile = "$HB/log/sogo.log";
    WOPidFile = "$HS/run/sogo.pid";
    WOWatchDogRequestTimeout = 10;
    SxVMemLimit = 512;
    SOGoProfileURL = "$db/sogo_user_profile";
    OCSFolderInfoURL = "$db/sogo_folder_info";
    OCSSessionsFolderURL = "$db/sogo_sessions_folder";
    SOGoMemcachedHost = "127.0.0.1:$HS_MC_PORT";
    SOGoUserSources = ({ type = sql; id = pigeon; viewURL = "$db/sogo_users";
                         canAuthenticate = YES; isAddressBook = YES; displayName = "Test users";
                         userPasswordAlgorithm = plain; });
    SOGoMailDomain = "$H_DOMAIN";
    SOGoIMAPServer = "imap://127.0.0.1:$HS_IMAP_PORT";
    SOGoSieveServer = "sieve://127.0.0.1:4190";
    SOGoSieveScriptsEnabled = NO;
    SOGoVacationEnabled = NO;
    SOGoForwardEnabled = NO;
    SOGoMailingMechanism = smtp;
    SOGoSMTPServer = "smtp://127.0.0.1:$HS_SMTP_PORT";
    SOGoDraftsFolderName = Drafts;
    SOGoSentFolderName = Sent;
    SOGoTrashFolderName = Trash;
    SOGoJunkFolderName = Junk;
    SOGoIMAPAclConformsToIMAPExt = YES;
    SOGoMailSpoolPath = "$HS/sogo/spool";
    NGMimeBuildMimeTempDirectory = "$HS/sogo/tmp";
    SOGoTimeZone = UTC;
    SOGoLanguage = English;
    SOGoEnableEMailAlarms = NO;
    SOGoAppointmentSendEMailNotifications = NO;
    SOGoEASDebugEnabled = YES;
    SOGoMaximumPingInterval = 30;
    SOGoMaximumSyncInterval = 30;
    SOGoInternalSyncInterval = 5;
}
CONF
  chown -R sogo:sogo "$HS/sogo"
  (cd "$HS/sogo" && runuser -u sogo -- env GNUSTEP_CONFIG_FILE="$HS/sogo/GNUstep.conf" \
     /usr/sbin/sogod < /dev/null >> "$HB/log/sogo.start.log" 2>&1) || return 1
  for ((i = 0; i < 600; i++)); do
    code=$("$H_PY" - "$HS_SOGO_PORT" 2> /dev/null <<'PY'
import http.client, sys
c = http.client.HTTPConnection('127.0.0.1', int(sys.argv[1]), timeout=2)
c.request('OPTIONS', '/SOGo/Microsoft-Server-ActiveSync')
print(c.getresponse().status)
PY
)
    [ "$code" = 401 ] && return 0
    sleep 0.1
  done
  _h_log "sogod did not answer, see $HB/log/sogo.log"
  return 1
}

_hs_proxy () {
  mkdir -p "$HS/tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$HS/tls/key.pem" -out "$HS/tls/cert.pem" > /dev/null 2>&1 || return 1
  chown -R sogo:sogo "$HS/tls" && chmod 600 "$HS/tls/key.pem"
  runuser -u sogo -- setsid "$H_PY" "$H_DIR/services/sogo-eas-proxy.py" \
    --upstream "127.0.0.1:$HS_SOGO_PORT" --http "127.0.0.1:$HS_PROXY_PORT" \
    --https "127.0.0.1:$HS_PROXY_TLS_PORT" --cert "$HS/tls/cert.pem" --key "$HS/tls/key.pem" \
    --pidfile "$HS/run/eas-proxy.pid" < /dev/null >> "$HB/log/sogo-eas-proxy.log" 2>&1 &
  _h_wait_tcp "$HS_PROXY_PORT" || return 1
  _h_wait_file "$HS/run/eas-proxy.pid" || return 1
  _h_track sogo-eas-proxy "$(_hs_pidfile_pid "$HS/run/eas-proxy.pid")"
}

# Stops sogod quickly when harness_down sends it SIGTERM: the master gets SIGTERM, a second
# of grace, then SIGKILL with its workers.
_hs_guardian () {
  local pidfile=$HS/run/sogo.pid
  (
    stop () {
      local pid kids i
      kill "$napper" 2> /dev/null
      pid=$(_hs_pidfile_pid "$pidfile")
      [ -n "$pid" ] || exit 0
      kids=$(cat /proc/"$pid"/task/*/children 2> /dev/null)
      kill -TERM "$pid" 2> /dev/null
      for ((i = 0; i < 10; i++)); do _h_gone "$pid" && break; sleep 0.1; done
      kill -KILL "$pid" $kids 2> /dev/null
      exit 0
    }
    trap stop TERM
    while :; do
      sleep 3600 &
      napper=$!
      wait "$napper"
    done
  ) < /dev/null > /dev/null 2>&1 &
  _h_track sogo-guardian $!
}

harness_start_sogo () {
  local t0 step
  t0=$(_h_now)
  if [ ! -x /usr/sbin/sogod ] || [ ! -x "$_hs_pgbin/initdb" ] || ! command -v memcached > /dev/null
  then
    _h_log "SOGo, PostgreSQL or memcached is not installed (build-aux/install-deps.sh test):" \
      "the ActiveSync tests will fail"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    _h_log "SOGo needs root to start (it runs as the user sogo): the ActiveSync tests will fail"
    return 0
  fi
  HS=$HB/sogo
  HS_SOGO_PORT=$((H_PB + 500))
  HS_PG_PORT=$((H_PB + 501))
  HS_MC_PORT=$((H_PB + 502))
  HS_IMAP_PORT=$((H_PB + 503))
  HS_LMTP_PORT=$((H_PB + 504))
  HS_SMTP_PORT=$((H_PB + 505))
  HS_PROXY_PORT=$((H_PB + 506))
  HS_PROXY_TLS_PORT=$((H_PB + 507))
  local users="alice bob carol dave erin frank grace heidi ivan judy kim leo mia nina oscar peggy"
  HS_USERS=${PIGEON_TEST_SOGO_USERS:-$users}
  HS_SEED=${PIGEON_TEST_SOGO_SEED:-300}
  mkdir -p "$HS/run" && chmod 755 "$HB" "$HS" && chmod 1777 "$HS/run" "$HB/log"

  for step in _hs_postgres _hs_memcached _hs_dovecot _hs_postfix _hs_seed_and_prime \
              _hs_sogod _hs_guardian _hs_proxy; do
    "$step" || { _h_log "SOGo: $step failed (logs in $HB/log)"; return 1; }
  done

  _h_env_add PIGEON_TEST_SOGO_URL "http://127.0.0.1:$HS_SOGO_PORT/SOGo/Microsoft-Server-ActiveSync"
  _h_env_add PIGEON_TEST_SOGO_URL_STD "http://127.0.0.1:$HS_PROXY_PORT/Microsoft-Server-ActiveSync"
  _h_env_add PIGEON_TEST_SOGO_URL_TLS "https://127.0.0.1:$HS_PROXY_TLS_PORT/Microsoft-Server-ActiveSync"
  _h_env_add PIGEON_TEST_SOGO_CERT "$HS/tls/cert.pem"
  _h_env_add PIGEON_TEST_SOGO_PORT "$HS_SOGO_PORT"
  _h_env_add PIGEON_TEST_SOGO_DAV "http://127.0.0.1:$HS_SOGO_PORT/SOGo/dav"
  _h_env_add PIGEON_TEST_SOGO_IMAP_PORT "$HS_IMAP_PORT"
  _h_env_add PIGEON_TEST_SOGO_SMTP_PORT "$HS_SMTP_PORT"
  _h_env_add PIGEON_TEST_SOGO_USERS "$HS_USERS"
  _h_env_add PIGEON_TEST_SOGO_SEED "$HS_SEED"
  _h_timing sogo_up "$(_h_ms "$t0")"
}
