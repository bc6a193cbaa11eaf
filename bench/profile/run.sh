#!/usr/bin/env bash
# CPU and memory per message of MailLab's MTA (issue 19 part 2). Run `bench/profile/run.sh --help`.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/profile/run.sh [--help]

Starts `maillab up` on a copy of the default lab (every port 0, so it runs beside other labs), sends
10 KB messages with smtp-source to bank's MTA and prints, per run: MailLab CPU ms per message
(user + system from /proc/PID/stat), msg/s, VmRSS and VmHWM, managed heap, and the load average.
Must run as root only if postfix (for smtp-source) is not installed yet.

Environment (defaults in brackets):
  BENCH_SENDER      MAIL FROM and From:. mallory@evil.test = the checked path (SPF record, DMARC
                    tree walk through the lab DNS); load@client.test = protocol-only (a domain with
                    no records: every check ends at NXDOMAIN)                [mallory@evil.test]
  BENCH_MESSAGES    messages per run                                         [2000]
  BENCH_SESSIONS    concurrency levels, space separated                      ["10"]
  BENCH_SIZE        payload bytes                                            [10240]
  BENCH_REUSE       1 = many messages per connection (smtp-source -d)        [0]
  BENCH_WARMUP      messages before measuring (the JIT, caches)              [500]
  BENCH_TMP         parent of the temporary directory                        [/dev/shm]
  BENCH_PROFILE     perf = `perf record -e cpu-clock -g` on maillab over the last
                    run (maillab started with DOTNET_PerfMapEnabled=1 and no R2R or W^X, so
                    frames have names); perf.data and a flat report stay in
                    the temp dir (perf-flat.txt, perf-children.txt)          [off]
  BENCH_IDLE        seconds to wait after the last run before reading VmRSS
                    again (what the process gives back)                      [0]
  MAILLAB           maillab executable  [src/MailLab/bin/Release/net10.0/maillab]
                    (the native build: publish it as README "Native build" says
                    and give its path; BENCH_PROFILE=perf needs the JIT build)
EOF
}
case "${1:-}" in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SENDER=${BENCH_SENDER:-mallory@evil.test}
MESSAGES=${BENCH_MESSAGES:-2000}
SESSIONS=${BENCH_SESSIONS:-10}
SIZE=${BENCH_SIZE:-10240}
REUSE=${BENCH_REUSE:-0}
WARMUP=${BENCH_WARMUP:-500}
PROFILE=${BENCH_PROFILE:-0}
IDLE=${BENCH_IDLE:-0}
EXE=${MAILLAB:-$REPO/src/MailLab/bin/Release/net10.0/maillab}
SMTP_SOURCE=/usr/sbin/smtp-source
RCPT=bob@bank.test
export PATH=$PATH:/root/.dotnet/tools

die() { echo "profile: error: $*" >&2; exit 1; }
note() { echo "profile: $*" >&2; }
[[ -x $EXE ]] || die "no maillab at $EXE (dotnet build -c Release src/MailLab)"
[[ -x $SMTP_SOURCE ]] || die "$SMTP_SOURCE missing: apt-get install postfix (bench/smtp/run.sh does it)"

mkdir -p "${BENCH_TMP:-/dev/shm}"
TMP=$(mktemp -d "${BENCH_TMP:-/dev/shm}/maillab-profile.XXXXXX")
ML_PID=""
cleanup() {
  [[ -n $ML_PID ]] && kill -TERM "$ML_PID" 2>/dev/null && wait "$ML_PID" 2>/dev/null || true
  note "logs and data in $TMP"
}
trap cleanup EXIT

# The default lab with every port 0 (DNS, web, dashboard, every listener) and the bench's limits.
cp -r "$REPO/lab/zones" "$TMP/zones"
sed -E -e 's/^(\s*)(port|https-port): [0-9]+/\1\2: 0/' \
       -e 's/(mta|submission|submissions|pop3|pop3s|imap|imaps): [0-9]+/\1: 0/g' \
       -e 's/^(\s*)max-connections-per-client: [0-9]+/\1max-connections-per-client: 1000/' \
       -e 's/^(\s*)max-connections: [0-9]+/\1max-connections: 2000/' \
       -e 's/^(\s*)rate-limit: [0-9]+/\1rate-limit: 0/' \
       "$REPO/lab/default-lab.yml" >"$TMP/lab.yml"
DATA=$TMP/data
if [[ $PROFILE == perf ]]; then export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 DOTNET_ReadyToRun=0; fi
"$EXE" up --lab "$TMP/lab.yml" --data "$DATA" </dev/null >"$TMP/maillab.log" 2>&1 &
ML_PID=$!
for _ in $(seq 600); do
  [[ -s $DATA/listeners.json ]] && break
  kill -0 "$ML_PID" 2>/dev/null || { tail -20 "$TMP/maillab.log" >&2; die "maillab exited"; }
  sleep 0.1
done
sleep 0.3
read -r HOST PORT < <(python3 -c '
import json, sys
for l in json.load(open(sys.argv[1])):
    if l.get("site") == "bank" and l.get("role") == "MTA": print(l["address"], l["port"]); break' "$DATA/listeners.json")
[[ -n ${PORT:-} ]] || die "no bank MTA in listeners.json"
note "maillab pid $ML_PID, bank MTA $HOST:$PORT, sender $SENDER"

MAILDIR=$DATA/mail/bank.test/bob/INBOX
ticks() { awk '{print $14 + $15}' "/proc/$ML_PID/stat"; }
kb() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$ML_PID/status"; }
send() {
  local extra=(); [[ $REUSE == 1 ]] && extra=(--reuse)
  python3 "$REPO/bench/smtp/measure.py" --smtp-source "$SMTP_SOURCE" --host "$HOST" --port "$PORT" \
    --sessions "$1" --messages "$2" --size "$SIZE" --sender "$SENDER" --to "$RCPT" \
    --maildir "$MAILDIR" --timeout 3600 --ack-durable --log "$TMP/smtp-source.log" "${extra[@]}"
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

[[ $WARMUP -gt 0 ]] && { r=$(send 10 "$WARMUP") || die "warm-up failed: $r"; }
HZ=$(getconf CLK_TCK)
echo "| sessions | sender | messages | msg/s | CPU ms/msg | VmRSS MB | VmHWM MB | loadavg before | loadavg after |"
echo "|---:|---|---:|---:|---:|---:|---:|---|---|"
last=${SESSIONS##* }
for s in $SESSIONS; do
  la0=$(cut -d' ' -f1-3 /proc/loadavg)
  if [[ $PROFILE == perf && $s == "$last" ]]; then
    perf record -e cpu-clock -F 999 -g -p "$ML_PID" -o "$TMP/perf.data" >"$TMP/perf.log" 2>&1 &
    TR=$!
    sleep 1
  fi
  t0=$(ticks)
  r=$(send "$s" "$MESSAGES") || die "run failed: $r"
  t1=$(ticks)
  if [[ $PROFILE == perf && $s == "$last" ]]; then kill -TERM "$TR" 2>/dev/null || true; wait "$TR" || true; fi
  la1=$(cut -d' ' -f1-3 /proc/loadavg)
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" -v n="$MESSAGES" 'BEGIN {printf "%.2f", (b - a) * 1000 / hz / n}')
  echo "| $s | $SENDER | $MESSAGES | $(field "$r" rate) | $cpu | $(( $(kb VmRSS) / 1024 )) | $(( $(kb VmHWM) / 1024 )) | $la0 | $la1 |"
done
if [[ $IDLE -gt 0 ]]; then
  sleep "$IDLE"
  echo; echo "after $IDLE s idle: VmRSS $(( $(kb VmRSS) / 1024 )) MB"
fi
if [[ $PROFILE == perf && -f $TMP/perf.data ]]; then
  perf report -i "$TMP/perf.data" --no-children --sort symbol --percent-limit 0.3 --stdio -g none 2>/dev/null \
    | grep -v '^$' | grep -E '^ +[0-9]' >"$TMP/perf-flat.txt" || true
  perf report -i "$TMP/perf.data" --children --sort symbol --percent-limit 1 --stdio -g none 2>/dev/null \
    | grep -E '^ +[0-9]' >"$TMP/perf-children.txt" || true
  perf report -i "$TMP/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' >"$TMP/perf-dso.txt" || true
  note "profile: $TMP/perf-flat.txt, perf-children.txt, perf-dso.txt"
fi
