#!/usr/bin/env bash
# SMTP load benchmark: MailLab's MTA next to a private Postfix instance, driven by smtp-source.
# Run `bench/smtp/run.sh --help` for usage; bench/README.md explains the method.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/smtp/run.sh [--help]

Sends 10 KB messages with Postfix's smtp-source to MailLab's MTA and to a private Postfix
instance, at 1, 10 and 100 concurrent sessions, and reports messages durably in the Maildir
per second, peak memory, and delivered-vs-sent counts. Must run as root (it starts Postfix and
may apt-get install postfix). Exits non-zero if a server cannot start or a run loses messages.

Environment (defaults in brackets):
  BENCH_ONLY        both | postfix | maillab                       [both]
  BENCH_MESSAGES    messages per run                               [2000]
  BENCH_SESSIONS    concurrency levels, space separated            ["1 10 100"]
  BENCH_SIZE        payload bytes per message (smtp-source -l)     [10240]
  BENCH_REUSE       1 = many messages per connection (smtp-source -d);
                    0 = a new connection for every message         [0]
  BENCH_WARMUP      messages sent to each server before measuring  [200]
  BENCH_TIMEOUT     seconds allowed per run                        [180]
  BENCH_TMP         parent of the temporary directory (use a disk,
                    not tmpfs, or fsync costs nothing)             [/var/tmp]
  BENCH_KEEP        1 = keep the temporary directory               [0]
  MAILLAB           maillab executable; if unset, the script builds
                    src/MailLab in Release and uses its apphost
  BENCH_NO_BUILD    1 = do not run dotnet build                    [0]

Results: a markdown table on stdout and in bench/results/<UTC timestamp>.md.
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/postfix.sh
source "$HERE/../lib/postfix.sh"
ONLY=${BENCH_ONLY:-both}
MESSAGES=${BENCH_MESSAGES:-2000}
SESSIONS=${BENCH_SESSIONS:-1 10 100}
SIZE=${BENCH_SIZE:-10240}
REUSE=${BENCH_REUSE:-0}
WARMUP=${BENCH_WARMUP:-200}
TIMEOUT=${BENCH_TIMEOUT:-180}
KEEP=${BENCH_KEEP:-0}

DOMAIN=bank.test                 # the bench domain, the same for both servers
SITE=bank                        # the MailLab site that owns DOMAIN (listeners.json "site")
MAILLAB_ADDR=127.0.2.1           # must match the lab text below
POSTFIX_ADDR=127.0.0.1       # Postfix insists that inet_interfaces is an address configured on lo
SENDER=load@client.test
SMTP_SOURCE=/usr/sbin/smtp-source

die() { echo "bench: error: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

case "$ONLY" in both|postfix|maillab) ;; *) die "BENCH_ONLY must be both, postfix or maillab" ;; esac
[[ $(id -u) -eq 0 ]] || die "run as root (Postfix's master and delivery agents need it)"
want() { [[ $ONLY == both || $ONLY == "$1" ]]; }

# Users: one per run, so each run counts its own Maildir and nothing is deleted under a live server.
USERS="warmup $(for s in $SESSIONS; do printf 's%s ' "$s"; done)"

# ---------------------------------------------------------------------------------------------
# The MailLab lab file. Keep the lab text here, in one place: the host's keys may still change.
maillab_lab() {
  cat <<EOF
name: bench
sites:
  - name: $SITE
    domains: [$DOMAIN]
    host-names: [mx.$DOMAIN]
    address: $MAILLAB_ADDR
    ports: { mta: 0, submission: 0, submissions: 0 }
    users:
EOF
  for u in $USERS; do
    echo "      - { address: $u@$DOMAIN, password: lab-$u }"
  done
  echo "limits: { max-connections-per-client: 1000, max-connections: 2000 }"
}
# The Maildir the MailLab store uses for a user (contract: DIR/mail/<domain>/<localpart>/INBOX).
maillab_maildir() { echo "$ML_DATA/mail/$DOMAIN/$1/INBOX"; }
postfix_maildir() { echo "$PF_MAIL/$DOMAIN/$1"; }
# ---------------------------------------------------------------------------------------------

free_port() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$1"
}

ensure_smtp_source() {
  [[ -x $SMTP_SOURCE ]] && return 0
  note "installing postfix (for smtp-source and the reference server)"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string bench.invalid" | debconf-set-selections
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y postfix </dev/null || { apt-get update </dev/null && apt-get install -y postfix </dev/null; } \
    || die "apt-get install postfix failed"
  [[ -x $SMTP_SOURCE ]] || die "$SMTP_SOURCE missing after installing postfix"
}

TMP=""
ML_PID=""
PF_CONF=""
PF_MASTER=""
FAILED=1

cleanup() {
  local rc=$?
  if [[ -n $ML_PID ]] && kill -0 "$ML_PID" 2>/dev/null; then
    kill -TERM "$ML_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$ML_PID" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$ML_PID" 2>/dev/null; then
      note "maillab did not stop on SIGTERM within 10 s; killing it"
      kill -KILL "$ML_PID" 2>/dev/null || true
    fi
  fi
  if [[ -n $PF_CONF && -f $PF_CONF/main.cf ]]; then
    postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
    if [[ -n $PF_MASTER ]]; then
      for _ in $(seq 50); do kill -0 "$PF_MASTER" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$PF_MASTER" 2>/dev/null && { postfix -c "$PF_CONF" abort >/dev/null 2>&1 || kill -KILL "$PF_MASTER" 2>/dev/null || true; }
    fi
  fi
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ $FAILED -eq 0 && $KEEP != 1 ]]; then
      rm -rf "$TMP"
    else
      note "logs and data kept in $TMP"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
start_postfix() {
  local port; port=$(free_port "$POSTFIX_ADDR")
  PF_CONF=$TMP/postfix/etc
  local spool=$TMP/postfix/spool data=$TMP/postfix/data
  PF_MAIL=$TMP/postfix/mail
  mkdir -p "$PF_CONF" "$spool" "$data" "$PF_MAIL"
  getent passwd postfix >/dev/null || die "user postfix missing (is the postfix package installed?)"
  getent group postdrop >/dev/null || die "group postdrop missing"
  chown postfix "$data"
  # Delivery runs as nobody; the Maildirs are created by the virtual agent below this sticky dir.
  chmod 1777 "$PF_MAIL"
  for u in $USERS; do echo "$u@$DOMAIN $DOMAIN/$u/"; done >"$PF_CONF/vmailbox"

  cat >"$PF_CONF/main.cf" <<EOF
# Private benchmark instance; never the system's /etc/postfix.
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $spool
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-bench
maillog_file = $TMP/postfix/maillog
myhostname = mx.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
inet_interfaces = $POSTFIX_ADDR
inet_protocols = ipv4
mydestination =
alias_maps =
alias_database =
biff = no
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 1000
# Maildir delivery: virtual(8) writes tmp/, fsyncs, then links into new/.
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = texthash:$PF_CONF/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
EOF
  # No chroot (the spool is not at its usual path); smtpd may run 200 processes for 100 sessions.
  postfix_master_cf "$POSTFIX_ADDR" "$port" >"$PF_CONF/master.cf"
  # Without a terminal, postfix(1) reports its fatal errors only through the log service,
  # which is not running yet: say how to see the reason.
  local why="run 'postfix -c $PF_CONF check' from a terminal to see why (set BENCH_KEEP=1)"
  postfix -c "$PF_CONF" check >"$TMP/postfix/check.log" 2>&1 || { cat "$TMP/postfix/check.log" >&2; die "postfix check failed; $why"; }
  postfix -c "$PF_CONF" start >"$TMP/postfix/start.log" 2>&1 || { cat "$TMP/postfix/start.log" >&2; die "postfix start failed; $why"; }
  local pidfile=$spool/pid/master.pid
  for _ in $(seq 100); do
    [[ -s $pidfile ]] && PF_MASTER=$(tr -d ' \n' <"$pidfile") && break
    sleep 0.1
  done
  [[ -n $PF_MASTER ]] || die "postfix master did not write $pidfile"
  wait_port "$POSTFIX_ADDR" "$port" || die "postfix does not listen on $POSTFIX_ADDR:$port"
  PF_PORT=$port
  note "postfix $(postconf -d -h mail_version) listening on $POSTFIX_ADDR:$PF_PORT (master pid $PF_MASTER)"
}

wait_port() {
  python3 - "$1" "$2" <<'EOF'
import socket, sys, time
for _ in range(100):
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5).close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

# ---------------------------------------------------------------------------------------------
start_maillab() {
  local exe=${MAILLAB:-}
  if [[ -z $exe ]]; then
    exe=$REPO/src/MailLab/bin/Release/net10.0/maillab
    if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
      note "building MailLab (Release)"
      dotnet build -c Release "$REPO/src/MailLab/MailLab.csproj" >"$TMP/build.log" 2>&1 \
        || { tail -30 "$TMP/build.log" >&2; die "dotnet build failed (log: $TMP/build.log)"; }
    fi
  fi
  [[ -x $exe ]] || die "maillab executable not found: $exe"
  ML_DATA=$TMP/maillab/data
  mkdir -p "$ML_DATA"
  maillab_lab >"$TMP/maillab/lab.yml"
  "$exe" up --lab "$TMP/maillab/lab.yml" --data "$ML_DATA" </dev/null >"$TMP/maillab/maillab.log" 2>&1 &
  ML_PID=$!
  local listeners=$ML_DATA/listeners.json
  for _ in $(seq 600); do   # 60 s
    [[ -s $listeners ]] && break
    kill -0 "$ML_PID" 2>/dev/null || { tail -30 "$TMP/maillab/maillab.log" >&2; die "maillab exited before binding its listeners"; }
    sleep 0.1
  done
  [[ -s $listeners ]] || { tail -30 "$TMP/maillab/maillab.log" >&2; die "maillab wrote no $listeners within 60 s"; }
  sleep 0.2   # the file may be seen between create and last write
  local hp
  hp=$(python3 - "$listeners" "$SITE" <<'EOF'
import json, sys
for l in json.load(open(sys.argv[1])):
    if l.get("site") == sys.argv[2] and l.get("role") == "MTA":
        print(l["address"], l["port"]); break
EOF
  ) || die "cannot parse $listeners"
  [[ -n $hp ]] || { cat "$listeners" >&2; die "no MTA listener for site $SITE in $listeners"; }
  read -r ML_HOST ML_PORT <<<"$hp"
  wait_port "$ML_HOST" "$ML_PORT" || die "maillab does not accept on $ML_HOST:$ML_PORT"
  note "maillab listening on $ML_HOST:$ML_PORT (pid $ML_PID)"
}

# measure SERVER USER SESSIONS MESSAGES -> prints the JSON result line
measure() {
  local server=$1 user=$2 sessions=$3 messages=$4 host port maildir extra=()
  if [[ $server == postfix ]]; then
    host=$POSTFIX_ADDR port=$PF_PORT maildir=$(postfix_maildir "$user"); extra=(--sample-tree "$PF_MASTER")
  else
    host=$ML_HOST port=$ML_PORT maildir=$(maillab_maildir "$user"); extra=(--ack-durable)
  fi
  [[ $REUSE == 1 ]] && extra+=(--reuse)
  python3 "$HERE/measure.py" --smtp-source "$SMTP_SOURCE" --host "$host" --port "$port" \
    --sessions "$sessions" --messages "$messages" --size "$SIZE" --sender "$SENDER" \
    --to "$user@$DOMAIN" --maildir "$maildir" --timeout "$TIMEOUT" \
    --log "$TMP/smtp-source-$server.log" "${extra[@]}"
}

json_field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
hwm_mb() { awk '/^VmHWM:/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
# utime + stime of a process in clock ticks (proc(5) fields 14 and 15; the name in field 2 has no spaces here).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# ---------------------------------------------------------------------------------------------
ensure_smtp_source
mkdir -p "${BENCH_TMP:-/var/tmp}"
TMP=$(mktemp -d "${BENCH_TMP:-/var/tmp}/maillab-bench.XXXXXX")
chmod 755 "$TMP"   # Postfix's delivery agent (as nobody) must traverse it
mkdir -p "$TMP/postfix" "$TMP/maillab"

want maillab && start_maillab
want postfix && start_postfix

if [[ $WARMUP -gt 0 ]]; then
  for srv in maillab postfix; do
    want "$srv" || continue
    note "warm-up: $WARMUP messages to $srv"
    r=$(measure "$srv" warmup 10 "$WARMUP") || die "warm-up against $srv failed: $r"
  done
fi

declare -A RATE DELIV MLMB PFMB MLCPU
LOSS=""
for s in $SESSIONS; do
  for srv in maillab postfix; do
    want "$srv" || continue
    note "run: $srv, $s sessions, $MESSAGES messages of $SIZE bytes"
    [[ $srv == maillab ]] && ticks0=$(cpu_ticks "$ML_PID")
    r=$(measure "$srv" "s$s" "$s" "$MESSAGES") || true
    note "  $r"
    RATE[$srv,$s]=$(json_field "$r" rate)
    DELIV[$srv,$s]=$(json_field "$r" delivered)
    if [[ $(json_field "$r" ok) != True ]]; then
      LOSS+=" $srv@$s($(json_field "$r" problem))"
    fi
    if [[ $srv == maillab ]]; then
      kill -0 "$ML_PID" 2>/dev/null || die "maillab died during the $s-session run"
      MLMB[$s]=$(hwm_mb "$ML_PID")
      MLCPU[$s]=$(awk -v a="$ticks0" -v b="$(cpu_ticks "$ML_PID")" -v hz="$(getconf CLK_TCK)" -v n="$MESSAGES" \
        'BEGIN {printf "%.2f", (b - a) * 1000 / hz / n}')
    else
      PFMB[$s]=$(awk -v k="$(json_field "$r" peak_pss_kb)" 'BEGIN {printf "%.0f", k/1024}')
    fi
  done
done

# ---------------------------------------------------------------------------------------------
mkdir -p "$REPO/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$REPO/bench/results/$STAMP.md
conn="one message per connection"; [[ $REUSE == 1 ]] && conn="many messages per connection (smtp-source -d)"
{
  echo "# SMTP bench $STAMP"
  echo
  echo "- commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), disk under $TMP: $(df -T "$TMP" | awk 'NR==2 {print $2}')"
  echo "- postfix $(postconf -d -h mail_version), dotnet $(dotnet --version 2>/dev/null || echo none)"
  echo "- $MESSAGES messages per run, payload $SIZE bytes, $conn, warm-up $WARMUP messages"
  echo "- msg/s = messages in the Maildir (new/ + cur/) / seconds from smtp-source start until the last one appeared"
  echo "- MailLab peak MB = VmHWM of the maillab process after the run (cumulative);"
  echo "  Postfix peak MB = peak over the run of the summed PSS of master and all its children, sampled every 0.25 s"
  echo "- MailLab CPU ms/msg = user + system CPU of the maillab process during the run (/proc/PID/stat) / messages"
  echo
  echo "| sessions | MailLab msg/s | Postfix msg/s | ratio | MailLab peak MB | Postfix peak MB | MailLab CPU ms/msg | delivered/sent (MailLab, Postfix) |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---|"
  for s in $SESSIONS; do
    ml=${RATE[maillab,$s]:--} pf=${RATE[postfix,$s]:--}
    ratio=-
    if [[ $ml != - && $pf != - ]]; then ratio=$(awk -v a="$ml" -v b="$pf" 'BEGIN { if (b > 0) printf "%.2f", a/b; else print "-" }'); fi
    echo "| $s | $ml | $pf | $ratio | ${MLMB[$s]:--} | ${PFMB[$s]:--} | ${MLCPU[$s]:--} | ${DELIV[maillab,$s]:--}/$MESSAGES, ${DELIV[postfix,$s]:--}/$MESSAGES |"
  done
  if [[ -n $LOSS ]]; then echo; echo "**FAILED runs:**$LOSS"; fi
} | tee "$OUT"
note "results written to $OUT"

[[ -z $LOSS ]] || die "messages lost or smtp-source failed:$LOSS"
FAILED=0
