#!/usr/bin/env bash
# bench-imap.sh — how long netdesk takes to take in a backlog of N messages
# from a Dovecot mailbox, beside how long mbsync takes to copy the same
# mailbox, in the same run (SPEC §11: within 1.5×).
#
#   scripts/bench-imap.sh [N]        (default 5000; RUNS=5 interleaved runs, medians)
#
# Needs dovecot-imapd, isync (mbsync), redis-server and Go; installs the
# first three with apt-get when missing (as root or with sudo). Everything
# runs on loopback in a temporary directory, removed at the end.
#
# "Take-in" is netdesk's job as the IMAP listener: every message normalized,
# durably on the Redis inbound stream (store.Enqueue returned), and moved to
# the done mailbox. The time until the router workers made all N inquiries
# is printed too. BENCH_LOG_LEVEL=debug BENCH_KEEP_LOG=file keeps netdesk's
# log (per-batch fetch/take/move times).
set -euo pipefail

N=${1:-5000}
RUNS=${RUNS:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d /tmp/netdesk-bench-imap.XXXXXX)
chmod 755 "$DIR"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$DIR/dovecot/run/master.pid" ] && kill "$(cat "$DIR/dovecot/run/master.pid")" 2>/dev/null || true
  sleep 0.3
  rm -rf "$DIR"
}
trap cleanup EXIT

need=()
[ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null || need+=(dovecot-imapd)
command -v mbsync >/dev/null || need+=(isync)
command -v redis-server >/dev/null || need+=(redis-server)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "bench: installing ${need[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  for s in dovecot redis-server; do $sudo service "$s" stop >/dev/null 2>&1 || true; done
fi
DOVECOT=$(command -v dovecot || echo /usr/sbin/dovecot)

freeport() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# --- Dovecot on loopback, one user, maildir -------------------------------
IMAP_PORT=$(freeport)
PASS=bench-secret
if [ "$(id -u)" -eq 0 ]; then
  LOGIN_USER=dovenull INTERNAL_USER=dovecot MAIL_UID=$(id -u dovecot) MAIL_GID=$(id -g dovecot)
else
  LOGIN_USER=$(id -un) INTERNAL_USER=$(id -un) MAIL_UID=$(id -u) MAIL_GID=$(id -g)
fi
mkdir -p "$DIR/dovecot/home/desk/Maildir"/{cur,new,tmp}
cat >"$DIR/dovecot/dovecot.conf" <<CONF
base_dir = $DIR/dovecot/run
state_dir = $DIR/dovecot/state
log_path = $DIR/dovecot/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $LOGIN_USER
default_internal_user = $INTERNAL_USER
first_valid_uid = 0
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
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
passdb {
  driver = static
  args = password=$PASS
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$DIR/dovecot/home/%u
}
CONF
DOVEADM=(doveadm -c "$DIR/dovecot/dovecot.conf")
count() { "${DOVEADM[@]}" mailbox status -u desk messages "$1" 2>/dev/null | tr -dc '0-9'; }

# --- N messages, written straight into the maildir ------------------------
echo "bench: writing $N messages" >&2
new="$DIR/dovecot/home/desk/Maildir/new"
filler="I have been waiting for my residency papers for months and nobody answers my calls. Could you tell me where to go? "
arabic="أنا لاجئ في مخيم دوميز وأحتاج إلى مساعدة في التسجيل لدى المفوضية، ولم أتلق أي رد منذ شهرين."
for ((i = 1; i <= N; i++)); do
  if ((i % 3 == 0)); then body="$arabic"; subj="=?UTF-8?B?2LfZhNioINmF2LPYp9i52K/YqQ==?= $i"; else body="$filler$filler"; subj="Residency papers $i"; fi
  printf 'Return-Path: <person%d@example.org>\r\nFrom: Person %d <person%d@example.org>\r\nTo: desk@network.example\r\nSubject: %s\r\nDate: Mon, 06 Jan 2025 10:15:00 +0300\r\nMessage-ID: <bench-%d@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n\r\n%s\r\n' \
    "$i" "$i" "$i" "$subj" "$i" "$body" "$body" >"$new/1736147700.bench$i.localhost"
done
if [ "$(id -u)" -eq 0 ]; then chown -R "$MAIL_UID:$MAIL_GID" "$DIR/dovecot/home"; fi

"$DOVECOT" -c "$DIR/dovecot/dovecot.conf"
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && break; sleep 0.05; done
# Index and read the mailbox once, so neither contender pays for Dovecot's
# first scan or a cold page cache.
"${DOVEADM[@]}" fetch -u desk text mailbox INBOX all >/dev/null
SIZE=$(du -sh "$DIR/dovecot/home/desk/Maildir" | cut -f1)

# --- mbsync: copy the mailbox to a fresh local maildir --------------------
# FSync off: mbsync's default fsyncs every message, which measures the disk;
# netdesk's Redis syncs its log once a second (appendfsync everysec).
run_mbsync() {
  local d="$DIR/mbsync/$1" t0 t1 copied
  mkdir -p "$d/local"
  cat >"$d/rc" <<RC
FSync no

IMAPAccount bench
Host 127.0.0.1
Port $IMAP_PORT
User desk
Pass $PASS
SSLType None
AuthMechs LOGIN PLAIN

IMAPStore remote
Account bench

MaildirStore local
Path $d/local/
Inbox $d/local/INBOX

Channel bench
Far :remote:INBOX
Near :local:INBOX
Sync Pull
Create Near
SyncState *
RC
  sync
  t0=$(now)
  mbsync -q -c "$d/rc" bench
  t1=$(now)
  copied=$(find "$d/local/INBOX/cur" "$d/local/INBOX/new" -type f | wc -l)
  [ "$copied" -eq "$N" ] || { echo "bench: mbsync copied $copied of $N" >&2; exit 1; }
  rm -rf "$d"
  echo "$t1 - $t0" | bc
}

# --- netdesk: take the backlog in ----------------------------------------
echo "bench: building netdesk" >&2
(cd "$ROOT" && go build -o "$DIR/netdesk" ./cmd/netdesk)
REDIS_PORT=$(freeport)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$DIR" --appendonly yes --appendfsync everysec \
  --save "" --logfile "$DIR/redis.log" --daemonize no &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
# The listener's state hash (queue/keys.go Mailbox): its "last" UID reaching
# the highest UID means every message was taken in and moved.
STATE="{bench}:mailbox:$(printf '%s' "desk@127.0.0.1:$IMAP_PORT/INBOX" | sha256sum | cut -c1-24)"

# run_netdesk takes the backlog in and writes "take-in routed" seconds to
# $DIR/result; then the messages go back to INBOX (new UIDs) and Redis is
# emptied, for the next run.
MAXUID=$N
run_netdesk() {
  local t0 taken="" routed="" last n pid left moved
  redis-cli -p "$REDIS_PORT" FLUSHALL >/dev/null
  sync
  t0=$(now)
  NETDESK_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" NETDESK_REDIS_PREFIX=bench NETDESK_HTTP_ADDR=127.0.0.1:0 \
    NETDESK_IMAP_ADDR="127.0.0.1:$IMAP_PORT" NETDESK_IMAP_USER=desk NETDESK_IMAP_PASSWORD="$PASS" NETDESK_IMAP_TLS=none \
    NETDESK_LOG_LEVEL="${BENCH_LOG_LEVEL:-warn}" "$DIR/netdesk" serve >>"$DIR/netdesk.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  while :; do
    last=$(redis-cli -p "$REDIS_PORT" HGET "$STATE" last 2>/dev/null || true)
    if [ -z "$taken" ] && [ "${last:-0}" -ge "$MAXUID" ]; then taken=$(now); fi
    if [ -n "$taken" ]; then
      n=$(redis-cli -p "$REDIS_PORT" ZCARD "{bench}:all")
      if [ "$n" -ge "$N" ]; then routed=$(now); break; fi
    fi
    if (($(echo "$(now) - $t0 > 600" | bc))); then
      echo "bench: netdesk did not finish in 10 minutes" >&2
      cat "$DIR/netdesk.log" >&2
      exit 1
    fi
    sleep 0.02
  done
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  left=$(count INBOX)
  moved=$(count Processed)
  if [ "$left" -ne 0 ] || [ "$moved" -ne "$N" ]; then echo "bench: $left left in INBOX, $moved moved" >&2; exit 1; fi
  echo "$(echo "$taken - $t0" | bc) $(echo "$routed - $t0" | bc)" >"$DIR/result"
  "${DOVEADM[@]}" move -u desk INBOX mailbox Processed all
  "${DOVEADM[@]}" fetch -u desk text mailbox INBOX all >/dev/null
  MAXUID=$((MAXUID + N))
}

MB=() TK=() RT=()
for ((r = 1; r <= RUNS; r++)); do
  echo "bench: run $r of $RUNS: mbsync copies $N messages ($SIZE)" >&2
  MB+=("$(run_mbsync "$r")")
  echo "bench: run $r of $RUNS: netdesk takes in $N messages" >&2
  run_netdesk
  read -r tk rt <"$DIR/result"
  TK+=("$tk")
  RT+=("$rt")
done
# Each run to two decimals (bc prints ".72" and nine places).
fmt() { for x in "$@"; do printf '%.2f ' "$x"; done; }
MBSYNC=$(printf '%s\n' "${MB[@]}" | median)
TAKEN=$(printf '%s\n' "${TK[@]}" | median)
ROUTED=$(printf '%s\n' "${RT[@]}" | median)
[ -n "${BENCH_KEEP_LOG:-}" ] && cp "$DIR/netdesk.log" "$BENCH_KEEP_LOG"

printf '\nIMAP backlog of %d messages (%s maildir) from Dovecot %s on loopback, %s cores; median of %d runs\n' \
  "$N" "$SIZE" "$("$DOVECOT" --version | cut -d' ' -f1)" "$(nproc)" "$RUNS"
printf '  mbsync %s, copy to a maildir:                  %6.2f s   (runs: %s)\n' "$(mbsync --version | cut -d' ' -f2)" "$MBSYNC" "$(fmt "${MB[@]}")"
printf '  netdesk take-in (in Redis, moved to Processed):  %6.2f s   (runs: %s)  = %.2f x mbsync\n' "$TAKEN" "$(fmt "${TK[@]}")" "$(echo "$TAKEN / $MBSYNC" | bc -l)"
printf '  netdesk until all %d inquiries were routed:    %6.2f s   (runs: %s)\n' "$N" "$ROUTED" "$(fmt "${RT[@]}")"
