#!/usr/bin/env bash
# IMAP benchmark: MailLab's IMAP server next to a private Dovecot, over the same Maildir messages.
# Run `bench/imap/run.sh --help` for usage; bench/README.md (IMAP section) explains the method.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: bench/imap/run.sh [--help]

Fills one INBOX per size with the same generated messages for MailLab and Dovecot, then times
over loopback, per server: SELECT INBOX, UID FETCH 1:* (FLAGS), and Thunderbird's header-list
fetch of the newest 500 messages (first run cold, then the median of three warm runs), and the
memory of the server with 200 sessions in IDLE, measured twice: on the freshly started server (before
any INBOX is opened) and again after the size steps (MailLab then still holds the listings of the big
INBOXes it served). Then MailLab is restarted three times to time the first SELECT of the biggest INBOX
in a fresh process: with the store's on-disk listing current, stale, and deleted.
Must run as root (Dovecot switches users).

Environment (defaults in brackets):
  BENCH_SIZES    INBOX sizes, space separated                     ["1000 10000 100000"]
  BENCH_IDLE     sessions held in IDLE for the memory figure      [200]
  BENCH_TMP      parent of the temporary directory (a disk)       [/var/tmp]
  BENCH_KEEP     1 = keep the temporary directory                 [0]
  MAILLAB        maillab executable; if unset, the script builds src/MailLab in Release
  BENCH_NO_BUILD 1 = do not run dotnet build                      [0]

Results: a markdown table on stdout and in bench/results/imap-<UTC timestamp>.md.
EOF2
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SIZES=${BENCH_SIZES:-1000 10000 100000}
IDLE=${BENCH_IDLE:-200}
KEEP=${BENCH_KEEP:-0}
DOMAIN=bank.test
ML_ADDR=127.0.2.1
PASS=bench-secret

die() { echo "bench: error: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }
[[ $(id -u) -eq 0 ]] || die "run as root (Dovecot's login and mail processes switch users)"
command -v dovecot >/dev/null || die "install dovecot-imapd (apt-get install -y --no-install-recommends dovecot-imapd)"

TMP=$(mktemp -d "${BENCH_TMP:-/var/tmp}/maillab-imapbench.XXXXXX")
ML_PID=
cleanup() {
  local rc=$?
  [[ -n $ML_PID ]] && kill "$ML_PID" 2>/dev/null && wait "$ML_PID" 2>/dev/null || true
  "$HERE/dovecot.sh" stop "$TMP/dovecot" || true
  if [[ $rc -ne 0 || $KEEP == 1 ]]; then note "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
users() { for n in $SIZES; do echo "b$n"; done; for i in $(seq "$IDLE"); do echo "idle$i"; done; }

# --- Dovecot: private instance, one passwd-file user per size and per IDLE session.
DV_PORT=$(free_port)
mapfile -t USERS < <(users)
"$HERE/dovecot.sh" start "$TMP/dovecot" "$DV_PORT" "${USERS[@]/%/:$PASS}"
DV_MASTER=$(cat "$TMP/dovecot/run/master.pid")
note "dovecot $(dovecot --version | cut -d' ' -f1) on 127.0.0.1:$DV_PORT (master $DV_MASTER)"

# --- The same messages for both servers.
ML_DATA=$TMP/maillab/data
for n in $SIZES; do
  note "filling $n messages"
  python3 "$HERE/measure.py" fill "$ML_DATA/mail/$DOMAIN/b$n/INBOX" "$TMP/dovecot/home/b$n/Maildir" "$n" >/dev/null
done
chown -R nobody:nogroup "$TMP/dovecot/home"

# --- MailLab: one site, plaintext LOGIN allowed on loopback (as for Dovecot), limits raised for the IDLE run.
mkdir -p "$TMP/maillab"
{
  echo "name: imap-bench"
  echo "switches: { allow-plaintext-auth: true }"
  echo "limits: { max-connections-per-client: $((IDLE + 50)), max-connections: $((IDLE + 100)) }"
  echo "dns: { port: 0 }"
  echo "sites:"
  echo "  - name: bank"
  echo "    domains: [$DOMAIN]"
  echo "    host-names: [mx.$DOMAIN]"
  echo "    address: $ML_ADDR"
  echo "    ports: { mta: 0, submission: 0, submissions: 0, imap: 0 }"
  echo "    users:"
  for u in "${USERS[@]}"; do echo "      - { address: $u@$DOMAIN, password: $PASS }"; done
} >"$TMP/maillab/lab.yml"
exe=${MAILLAB:-$REPO/src/MailLab/bin/Release/net10.0/maillab}
if [[ -z ${MAILLAB:-} && ${BENCH_NO_BUILD:-0} != 1 ]]; then
  note "building src/MailLab (Release)"
  dotnet build -c Release "$REPO/src/MailLab/MailLab.csproj" >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2; die "dotnet build failed"; }
fi
[[ -x $exe ]] || die "maillab executable not found: $exe"
start_maillab() {
  rm -f "$ML_DATA/listeners.json"
  "$exe" up --lab "$TMP/maillab/lab.yml" --data "$ML_DATA" </dev/null >>"$TMP/maillab/maillab.log" 2>&1 &
  ML_PID=$!
  for _ in $(seq 3000); do [[ -s $ML_DATA/listeners.json ]] && break; kill -0 "$ML_PID" || die "maillab exited; see $TMP/maillab/maillab.log"; sleep 0.1; done
  sleep 0.3
  ML_PORT=$(python3 -c '
import json, sys
print(next(l["port"] for l in json.load(open(sys.argv[1])) if l.get("role") == "IMAP" and l.get("tls") == "starttls"))' "$ML_DATA/listeners.json") \
    || die "no IMAP listener in $ML_DATA/listeners.json"
  note "maillab on $ML_ADDR:$ML_PORT (pid $ML_PID)"
}
stop_maillab() { kill "$ML_PID"; wait "$ML_PID" 2>/dev/null || true; ML_PID=; }
start_maillab

# --- Measure, side by side: 200 IDLE on the fresh servers first, then the steps, then 200 IDLE again.
note "$IDLE IDLE sessions, fresh: maillab"
ML_IDLE0=$(python3 "$HERE/measure.py" idle "$ML_ADDR" "$ML_PORT" "idle%d@$DOMAIN" "$PASS" "$IDLE" "$ML_PID")
note "$IDLE IDLE sessions, fresh: dovecot"
DV_IDLE0=$(python3 "$HERE/measure.py" idle 127.0.0.1 "$DV_PORT" "idle%d" "$PASS" "$IDLE" "$DV_MASTER")
declare -A R
for n in $SIZES; do
  note "steps, $n messages: maillab"
  R[maillab,$n]=$(python3 "$HERE/measure.py" steps "$ML_ADDR" "$ML_PORT" "b$n@$DOMAIN" "$PASS" "$n")
  note "steps, $n messages: dovecot"
  R[dovecot,$n]=$(python3 "$HERE/measure.py" steps 127.0.0.1 "$DV_PORT" "b$n" "$PASS" "$n")
done
note "$IDLE IDLE sessions, after the steps: maillab"
ML_IDLE=$(python3 "$HERE/measure.py" idle "$ML_ADDR" "$ML_PORT" "idle%d@$DOMAIN" "$PASS" "$IDLE" "$ML_PID")
note "$IDLE IDLE sessions, after the steps: dovecot"
DV_IDLE=$(python3 "$HERE/measure.py" idle 127.0.0.1 "$DV_PORT" "idle%d" "$PASS" "$IDLE" "$DV_MASTER")

# --- Issue 19 part 3: the first SELECT of the biggest INBOX in a freshly started MailLab (cold process, warm page
# cache), after one SELECT of the smallest INBOX (so the session code is compiled: that one-off cost is shown
# apart), in three states of the store's listing (maillab-listing, written when the steps first loaded the folder):
# current (read whole, no directory listed), stale (cur/ touched: both directories listed, no file stat-ed) and
# deleted (directories listed and every file stat-ed, as before the listing existed).
BIG=${SIZES##* }
SMALL=${SIZES%% *}
BIG_DIR=$ML_DATA/mail/$DOMAIN/b$BIG/INBOX
FIRST=()
for variant in current stale deleted; do
  stop_maillab
  case $variant in
    stale) touch "$BIG_DIR/cur" ;;
    deleted) rm -f "$BIG_DIR/maillab-listing" ;;
  esac
  start_maillab
  note "first SELECT of $BIG after a restart, listing $variant"
  FIRST+=("$(python3 "$HERE/measure.py" first "$ML_ADDR" "$ML_PORT" "b$BIG@$DOMAIN" "$PASS" "$BIG" "$ML_PID" "$variant" "b$SMALL@$DOMAIN")")
done

mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/imap-$(date -u +%Y%m%dT%H%M%SZ).md
python3 - "$SIZES" "$ML_IDLE" "$DV_IDLE" "$(dotnet --version 2>/dev/null || echo none)" "$(dovecot --version)" \
  "$(for n in $SIZES; do echo "${R[maillab,$n]}"; echo "${R[dovecot,$n]}"; done)" "$ML_IDLE0" "$DV_IDLE0" \
  "$(printf '%s\n' "${FIRST[@]}")" "$(cat /proc/loadavg)" <<'PY' | tee "$OUT"
import json, sys
sizes = sys.argv[1].split()
ml_idle, dv_idle = json.loads(sys.argv[2]), json.loads(sys.argv[3])
rows = [json.loads(l) for l in sys.argv[6].splitlines() if l.strip()]
print(f"- dotnet {sys.argv[4]}, dovecot {sys.argv[5]}; loopback; times in ms (cold = first session, warm = median of 3)\n")
print("| messages | step | MailLab cold | Dovecot cold | MailLab warm | Dovecot warm | warm ratio ML/DV |")
print("|---:|---|---:|---:|---:|---:|---:|")
names = {"select": "SELECT", "fetch_flags": "UID FETCH 1:* (FLAGS)", "headers500": "TB headers, newest 500"}
for i, n in enumerate(sizes):
    ml, dv = rows[2 * i], rows[2 * i + 1]
    for k, label in names.items():
        mc, dc, mw, dw = (x * 1000 for x in (ml["cold"][k], dv["cold"][k], ml["warm"][k], dv["warm"][k]))
        print(f"| {int(n):,} | {label} | {mc:.1f} | {dc:.1f} | {mw:.1f} | {dw:.1f} | {mw / dw:.2f} |")
print()
ml_idle0, dv_idle0 = json.loads(sys.argv[7]), json.loads(sys.argv[8])
print(f"| {ml_idle['sessions']} IDLE sessions | processes | RSS MB (sum) | PSS MB (sum) |")
print("|---|---:|---:|---:|")
for name, r in (("MailLab, fresh", ml_idle0), ("Dovecot, fresh", dv_idle0),
                (f"MailLab, after the {'/'.join(sizes)} steps", ml_idle), (f"Dovecot, after the steps", dv_idle)):
    print(f"| {name} ({r['sessions']}) | {r['processes']} | {r['rss_mb']:.1f} | {r['pss_mb']:.1f} |")
print()
print(f"First SELECT of the {int(sizes[-1]):,}-message INBOX after a restart (cold process, warm page cache), ms; load average at the end: {' '.join(sys.argv[10].split(' ')[:3])}\n")
print("| listing | warm-up LOGIN + SELECT of the smallest INBOX | its CPU ms | LOGIN | SELECT | SELECT CPU ms (user+sys) | RSS MB after | load average before |")
print("|---|---:|---:|---:|---:|---:|---:|---|")
for line in sys.argv[9].splitlines():
    f = json.loads(line)
    print(f"| {f['listing']} | {f['warmup'] * 1000:.1f} | {f['warmup_cpu_ms']:.0f} | {f['login'] * 1000:.1f} | {f['select'] * 1000:.1f} | "
          f"{f['select_cpu_ms']:.0f} | {f['rss_mb']:.1f} | {f['loadavg']} |")
PY
note "written $OUT"
