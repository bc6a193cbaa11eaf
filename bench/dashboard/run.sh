#!/usr/bin/env bash
# Dashboard load bench (issue 17 part 5): the MTA's msg/s at 10 sessions with and without 50 live-trace
# streams open, alternating over rounds in one lab, and the maillab process's peak RSS in each.
# Usage: bench/dashboard/run.sh [--help]. Needs smtp-source (Debian's postfix; installed when missing, as root).
# Environment: BENCH_ROUNDS [3], BENCH_MESSAGES per run [2000], BENCH_CLIENTS [50], BENCH_SESSIONS [10],
# BENCH_SIZE [10240], BENCH_TMP [/var/tmp] (a disk: fsync must cost), MAILLAB (executable; else built here),
# BENCH_VIEW [row] what the streams ask for: row (as the Live trace page does) or full (whole events);
# BENCH_RATE [500 for row, none for full] the streams' rate= (events a second, as the page asks; none: every event).
set -euo pipefail
case "${1:-}" in -h|--help) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; "") ;; *) echo "usage: $0 [--help]" >&2; exit 2 ;; esac
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
if [[ ! -x /usr/sbin/smtp-source ]]; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix </dev/null >/dev/null
fi
exe=${MAILLAB:-$REPO/src/MailLab/bin/Release/net10.0/maillab}
[[ -n ${MAILLAB:-} ]] || dotnet build -c Release "$REPO/src/MailLab/MailLab.csproj" >/dev/null
TMP=$(mktemp -d "${BENCH_TMP:-/var/tmp}/maillab-dashbench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
json=$(python3 "$HERE/run.py" "$exe" "$TMP")
mkdir -p "$REPO/bench/results"
OUT=$REPO/bench/results/dashboard-$(date -u +%Y%m%dT%H%M%SZ).md
python3 - "$json" "$(git -C "$REPO" rev-parse --short HEAD)" <<'PY' | tee "$OUT"
import json, statistics, sys, os
d = json.loads(sys.argv[1]); res = d["results"]; none, sse = list(res)
med = lambda xs: statistics.median(xs)
print(f"# Dashboard bench ({sys.argv[2]}, {os.cpu_count()} cores): {d['messages']} messages of {d['size']} B per run, "
      f"{d['sessions']} SMTP sessions, {len(res[none])} rounds alternating")
print()
print("| live-trace streams | msg/s (each round) | median msg/s | CPU ms/msg | peak RSS MB (median) | events read by the clients | gaps | client CPU s |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for mode in (none, sse):
    rs = res[mode]
    print(f"| {mode} | {', '.join('%.0f' % r['rate'] for r in rs)} | {med([r['rate'] for r in rs]):.0f} | {med([r['cpu_ms'] for r in rs]):.2f} | "
          f"{med([r['peak_mb'] for r in rs]):.0f} | {sum(r.get('events', 0) for r in rs) or '-'} | "
          f"{sum(r.get('gaps', 0) for r in rs) or '-'} | {sum(r.get('cpu_s', 0) for r in rs) or '-'} |")
drop = 100 * (1 - med([r['rate'] for r in res[sse]]) / med([r['rate'] for r in res[none]]))
more = med([r['peak_mb'] for r in res[sse]]) - med([r['peak_mb'] for r in res[none]])
print()
print(f"Throughput drop with the streams: {drop:.1f} % (target < 10 %); peak RSS difference: {more:+.0f} MB (target < 50 MB).")
PY
echo "bench: results in $OUT" >&2
