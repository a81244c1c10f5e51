#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/bench/imap/bench-imap.sh [COUNT]      (default 10000; try 100000)
#
# Seeds COUNT messages into a fresh mailbox of the harness Dovecot, then times, in the same
# run and against the same mailbox:
#   raw       one UID FETCH 1:* BODY.PEEK[], read and thrown away: the server's limit
#   mbsync    isync pulling the mailbox into a fresh Maildir
#   bodies    pigeonctl sync --bodies into a fresh cache
#   envelope  pigeonctl sync (envelopes and flags only) into a fresh cache
# and prints wall time and peak RSS (from /usr/bin/time -v) of each, and the ratios.
# Figures, not assertions.  Uses a running harness (. $PIGEON_TEST_HB/session.env) or starts
# one and stops it afterwards.  PIGEON_BUILD_DIR picks the build (default: build).
set -e
count=${1:-10000}
top=$(cd "$(dirname "$0")/../../.." && pwd)
build=${PIGEON_BUILD_DIR:-$top/build}
pigeonctl=$build/src/cli/pigeonctl
here=$top/tests/bench/imap

for tool in /usr/bin/time mbsync openssl; do
  command -v $tool > /dev/null || {
    echo "bench-imap: $tool is missing (apt-get install time isync openssl)" >&2
    exit 1
  }
done
[ -x "$pigeonctl" ] || { echo "bench-imap: no $pigeonctl; build first" >&2; exit 1; }

started=
if [ -z "$PIGEON_TEST_HB" ] || [ ! -f "$PIGEON_TEST_HB/session.env" ]; then
  env_file=$("$top/tests/harness/harness.sh" up | tail -1)
  started=$(dirname "$env_file")
  trap '"$top/tests/harness/harness.sh" down "$started" > /dev/null 2>&1' EXIT
fi
. "${started:-$PIGEON_TEST_HB}/session.env"

user=bench$$
password=bench-pass-$$
"$PIGEON_TEST_HARNESS" adduser "$user" "$password"
echo "Seeding $count messages ..." >&2
"$PIGEON_TEST_HARNESS" seed "$user" "$count" INBOX > /dev/null
work=$(mktemp -d "$PIGEON_TEST_HB/tmp/bench-imap-XXXXXX")
fingerprint=$(openssl x509 -in "$PIGEON_TEST_CA_FILE" -outform DER | sha256sum | cut -d' ' -f1)

# Runs NAME COMMAND...: appends "NAME wall-seconds peak-kB" to $work/results.
measure () {
  local name=$1
  shift
  /usr/bin/time -v -o "$work/$name.time" "$@" > "$work/$name.out" 2>&1 \
    || { echo "bench-imap: $name failed:" >&2; cat "$work/$name.out" >&2; exit 1; }
  awk -v name="$name" '
    /Elapsed \(wall clock\)/ {
      n = split($NF, t, ":"); s = 0
      for (i = 1; i <= n; i++) s = s * 60 + t[i]
    }
    /Maximum resident set size/ { rss = $NF }
    END { printf "%s %.3f %d\n", name, s, rss }' "$work/$name.time" >> "$work/results"
}

# Two fresh pigeonctl setups (a cache each), made before the clock runs.
new_pigeon () {
  mkdir -p "$work/$1/config" "$work/$1/data"
  echo "$password" | "$pigeonctl" --config-dir "$work/$1/config" --data-dir "$work/$1/data" \
    account add --name bench --email "$user@$PIGEON_TEST_DOMAIN" --protocol imap \
    --host "$PIGEON_TEST_HOST" --port "$PIGEON_TEST_IMAPS_PORT" --user "$user" \
    --password-stdin --trust-certificate "$fingerprint" > /dev/null
}
new_pigeon bodies
new_pigeon envelope

mkdir -p "$work/maildir"
cat > "$work/mbsyncrc" <<CONF
IMAPAccount bench
Host localhost
Port $PIGEON_TEST_IMAPS_PORT
User $user
Pass $password
SSLType IMAPS
CertificateFile $PIGEON_TEST_CA_FILE

IMAPStore remote
Account bench

MaildirStore local
Path $work/maildir/
Inbox $work/maildir/INBOX

Channel bench
Far :remote:
Near :local:
Patterns INBOX
Sync Pull
Create Near
SyncState *
CONF

# Warm the server's caches (index, page cache) once, so the order of the runs does not
# decide who pays for the first read.
python3 "$here/raw_fetch.py" "$PIGEON_TEST_HOST" "$PIGEON_TEST_IMAPS_PORT" \
  "$PIGEON_TEST_CA_FILE" "$user" "$password" 2> /dev/null

measure raw /usr/bin/python3 "$here/raw_fetch.py" "$PIGEON_TEST_HOST" "$PIGEON_TEST_IMAPS_PORT" \
  "$PIGEON_TEST_CA_FILE" "$user" "$password"
measure mbsync mbsync -q -c "$work/mbsyncrc" -a
measure bodies "$pigeonctl" --config-dir "$work/bodies/config" --data-dir "$work/bodies/data" \
  sync bench --bodies
measure envelope "$pigeonctl" --config-dir "$work/envelope/config" \
  --data-dir "$work/envelope/data" sync bench

mbsync_count=$(ls "$work/maildir/INBOX/cur" "$work/maildir/INBOX/new" 2> /dev/null \
  | grep -vc ':$\|^$' || true)
echo
size=$(du -sh "$PIGEON_TEST_HB/mail/$user" | cut -f1)
echo "IMAP sync of $count messages ($size on the server; mbsync stored $mbsync_count)"
awk '
  { wall[$1] = $2; rss[$1] = $3; order[NR] = $1 }
  END {
    printf "%-10s %10s %12s\n", "run", "wall (s)", "peak RSS (MB)"
    for (i = 1; i <= NR; i++)
      printf "%-10s %10.2f %12.1f\n", order[i], wall[order[i]], rss[order[i]] / 1024
    printf "\n"
    printf "pigeonctl sync --bodies / mbsync:  time %.2fx  RSS %.2fx\n",
           wall["bodies"] / wall["mbsync"], rss["bodies"] / rss["mbsync"]
    printf "pigeonctl sync --bodies / raw:     time %.2fx\n", wall["bodies"] / wall["raw"]
    printf "pigeonctl sync (envelopes) / raw:  time %.2fx\n", wall["envelope"] / wall["raw"]
  }' "$work/results"
rm -rf "$work"
