#!/usr/bin/env bash
# The inbound bench (issue 19 part 1): MailLab's MTA with SPF, DKIM and DMARC next to Postfix with
# OpenDKIM, OpenDMARC and policyd-spf, both fed the same DKIM-signed messages and the same DNS.
# Run `bench/inbound/run.sh --help` for usage; bench/README.md ("Issue 19 part 1") explains the method.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: sudo bench/inbound/run.sh [--help]

Sends ~10 KB messages, each signed with rsa-sha256 (2048) and ed25519-sha256, half from a sender
domain whose SPF passes for the client address and half from one whose SPF fails, to MailLab's MTA
and to Postfix + OpenDKIM + OpenDMARC + policyd-spf, at 1, 10 and 100 concurrent sessions. Runs in
a private network and mount namespace, where the lab DNS answers on 192.0.2.53:53 for both stacks.
Reports msg/s durably in the Maildir, server CPU ms per message, peak memory, the generator's CPU,
and checks the Authentication-Results / Received-SPF of every delivered message.
Must run as root; apt-gets postfix, opendkim, opendmarc, postfix-policyd-spf-python, bind9-dnsutils (dig) if missing.

Environment (defaults in brackets):
  BENCH_ONLY        both | postfix | maillab                       [both]
  BENCH_MESSAGES    messages per run                               [2000]
  BENCH_SESSIONS    concurrency levels, space separated            ["1 10 100"]
  BENCH_SIZE        message bytes before the two DKIM signatures   [10240]
  BENCH_REUSE       1 = many messages per connection; 0 = one      [0]
  BENCH_WARMUP      messages sent to each stack before measuring   [200]
  BENCH_TIMEOUT     seconds allowed per run                        [300]
  BENCH_TMP         parent of the temporary directory (a disk)     [/var/tmp]
  BENCH_KEEP        1 = keep the temporary directory               [0]
  MAILLAB           maillab executable (else built from src/MailLab)
  BENCH_AOT         1 = measure the native build: published with the README's
                    "Native build" command into bench/results/aot (apt-gets
                    clang and zlib1g-dev if missing); ignored when MAILLAB is set [0]
  BENCH_NO_BUILD    1 = do not run dotnet build                    [0]
  BENCH_ALLOC       1 = also count MailLab's managed allocations   [0]
                    per message (dotnet-counters 10.0.750501, installed
                    with `dotnet tool install` into /tmp/inbench-tools;
                    its EventPipe session costs MailLab a little CPU)

Results: a markdown table on stdout and in bench/results/inbound-<UTC timestamp>.md.
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
ONLY=${BENCH_ONLY:-both}
MESSAGES=${BENCH_MESSAGES:-2000}
SESSIONS=${BENCH_SESSIONS:-1 10 100}
SIZE=${BENCH_SIZE:-10240}
REUSE=${BENCH_REUSE:-0}
WARMUP=${BENCH_WARMUP:-200}
TIMEOUT=${BENCH_TIMEOUT:-300}
KEEP=${BENCH_KEEP:-0}
ALLOC=${BENCH_ALLOC:-0}
LOADGEN_DLL=$REPO/bench/inbound/load/bin/Release/net10.0/inbound-load.dll

die() { echo "bench: error: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }
case "$ONLY" in both|postfix|maillab) ;; *) die "BENCH_ONLY must be both, postfix or maillab" ;; esac
[[ $(id -u) -eq 0 ]] || die "run as root (namespaces, cgroups, Postfix's master and the milters need it)"
want() { [[ $ONLY == both || $ONLY == "$1" ]]; }

# ---------------------------------------------------------------------------------------------
# Outside the namespace: install and build (both may need the network), then re-run inside.
if [[ -z ${INBENCH_IN_NS:-} ]]; then
  missing=""
  for pkg in postfix opendkim opendmarc postfix-policyd-spf-python bind9-dnsutils; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=" $pkg"
  done
  if [[ -n $missing ]]; then
    note "installing$missing"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    apt-get install -y $missing </dev/null || { apt-get update </dev/null && apt-get install -y $missing </dev/null; } \
      || die "apt-get install$missing failed"
  fi
  if [[ ${BENCH_ALLOC:-0} == 1 && ! -x /tmp/inbench-tools/dotnet-counters ]]; then
    note "installing dotnet-counters into /tmp/inbench-tools"
    dotnet tool install --tool-path /tmp/inbench-tools dotnet-counters --version 10.0.750501 >/tmp/inbench-tool.log 2>&1 \
      || { tail -5 /tmp/inbench-tool.log >&2; die "dotnet tool install dotnet-counters failed"; }
  fi
  if [[ ${BENCH_AOT:-0} == 1 && -z ${MAILLAB:-} ]]; then
    command -v clang >/dev/null || apt-get install -y --no-install-recommends clang zlib1g-dev >/tmp/inbench-apt.log 2>&1 \
      || { tail -5 /tmp/inbench-apt.log >&2; die "apt-get install clang failed"; }
    note "publishing MailLab's native build into bench/results/aot"
    dotnet publish "$REPO/src/MailLab" -c Release -r linux-x64 -p:PublishAot=true -o "$REPO/bench/results/aot" \
      >/tmp/inbench-build.log 2>&1 || { tail -30 /tmp/inbench-build.log >&2; die "dotnet publish of the native build failed"; }
    export MAILLAB=$REPO/bench/results/aot/maillab
  fi
  if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    note "building the load generator${MAILLAB:+ }${MAILLAB:-" and MailLab"} (Release)"
    dotnet build -c Release "$REPO/bench/inbound/load/InboundLoad.csproj" >/tmp/inbench-build.log 2>&1 \
      || { tail -30 /tmp/inbench-build.log >&2; die "dotnet build of the load generator failed"; }
    if [[ -z ${MAILLAB:-} ]]; then
      dotnet build -c Release "$REPO/src/MailLab/MailLab.csproj" >/tmp/inbench-build.log 2>&1 \
        || { tail -30 /tmp/inbench-build.log >&2; die "dotnet build of MailLab failed"; }
    fi
  fi
  # A private network (only lo, so port 53 and the 127.0.x.y addresses are ours) and mount
  # namespace (so /etc/resolv.conf can name the lab DNS for the milters without touching the host's).
  exec env INBENCH_IN_NS=1 BENCH_NO_BUILD=1 unshare --net --mount --propagation private "$0" "$@"
fi

ip link set lo up
ip addr add "192.0.2.53/32" dev lo   # DNS_ADDR below
MAILLAB_EXE=${MAILLAB:-$REPO/src/MailLab/bin/Release/net10.0/maillab}
[[ -x $MAILLAB_EXE ]] || die "maillab executable not found: $MAILLAB_EXE"
[[ -f $LOADGEN_DLL ]] || die "load generator not built: $LOADGEN_DLL"

DOMAIN=bank.test            # the receiving domain, the same for both stacks
SITE=bank
AUTHSERV=mx.$DOMAIN         # authserv-id of every Authentication-Results the bench counts
MAILLAB_ADDR=127.0.2.1
POSTFIX_ADDR=127.0.0.1
# Not in 127.0.0.0/8: OpenDKIM's libunbound never queries loopback addresses unless configured, and its
# configuration file (ResolverConfiguration) is parsed with a non-reentrant scanner that crashed it at 10 sessions.
DNS_ADDR=192.0.2.53
# Not under test.: libunbound answers NXDOMAIN itself for the special-use name test. (RFC 6761 §6.2).
PASS_DOMAIN=pass.example    # SPF passes for 127.0.50.0/24, the generator's pass-net
FAIL_DOMAIN=fail.example    # the same record; mail comes from 127.0.60.x, so SPF fails (-all)
RSA_SEL=rsa2048
ED_SEL=ed25519
USERS="warmup $(for s in $SESSIONS; do printf 's%s ' "$s"; done)"

TMP=""
ML_PID=""
PF_CONF=""
PF_MASTER=""
CG=""
FAILED=1

source "$HERE/../lib/postfix.sh"
source "$HERE/stack.sh"

cleanup() {
  local rc=$?
  if [[ -n $ML_PID ]] && kill -0 "$ML_PID" 2>/dev/null; then
    kill -TERM "$ML_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$ML_PID" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$ML_PID" 2>/dev/null && { note "maillab did not stop on SIGTERM; killing it"; kill -KILL "$ML_PID" 2>/dev/null || true; }
  fi
  stop_stack
  if [[ -n $TMP && -d $TMP ]]; then
    if [[ $FAILED -eq 0 && $KEEP != 1 ]]; then rm -rf "$TMP"; else note "logs and data kept in $TMP"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "${BENCH_TMP:-/var/tmp}"
TMP=$(mktemp -d "${BENCH_TMP:-/var/tmp}/maillab-inbound.XXXXXX")
chmod 755 "$TMP"   # the delivery agent and milters (as their own users) must traverse it
mkdir -p "$TMP/maillab/zones" "$TMP/keys" "$TMP/postfix"

# The name servers of this namespace only: every resolver that reads resolv.conf asks the lab DNS.
printf 'nameserver %s\noptions attempts:2 timeout:2\n' "$DNS_ADDR" >"$TMP/resolv.conf"
mount --bind "$TMP/resolv.conf" /etc/resolv.conf

make_keys_and_zones
write_lab >"$TMP/maillab/lab.yml"
want postfix && start_stack   # before MailLab: its config check needs no DNS
start_maillab

# measure STACK USER SESSIONS MESSAGES TAG -> the JSON line of watch.py
measure() {
  local stack=$1 user=$2 sessions=$3 messages=$4 tag=$5 host port maildir watch=()
  if [[ $stack == postfix ]]; then
    host=$POSTFIX_ADDR port=$PF_PORT maildir=$PF_MAIL/$DOMAIN/$user
    watch=(--cpu-cgroup "$CG" --mem-procs "$CG/cgroup.procs" --dns-pid "$ML_PID")
  else
    host=$ML_HOST port=$ML_PORT maildir=$ML_DATA/mail/$DOMAIN/$user/INBOX
    watch=(--cpu-pid "$ML_PID" --mem-pid "$ML_PID")
  fi
  local gen=(dotnet "$LOADGEN_DLL" --host "$host" --port "$port" --to "$user@$DOMAIN" --sessions "$sessions"
    --messages "$messages" --size "$SIZE" --pass-domain "$PASS_DOMAIN" --fail-domain "$FAIL_DOMAIN"
    --rsa-key "$TMP/keys/rsa.pem" --ed-key "$TMP/keys/ed25519.pem" --rsa-selector "$RSA_SEL" --ed-selector "$ED_SEL"
    --helo "load.$PASS_DOMAIN" --tag "$tag")
  [[ $REUSE == 1 ]] && gen+=(--reuse)
  python3 "$HERE/watch.py" --maildir "$maildir" --expect "$messages" --timeout "$TIMEOUT" \
    --log "$TMP/loadgen-$stack.log" "${watch[@]}" -- "${gen[@]}"
}

verify() {
  local stack=$1 dirs=()
  for u in $USERS; do
    if [[ $stack == postfix ]]; then dirs+=(--maildir "$PF_MAIL/$DOMAIN/$u"); else dirs+=(--maildir "$ML_DATA/mail/$DOMAIN/$u/INBOX"); fi
  done
  python3 "$HERE/verify.py" "${dirs[@]}" --authserv "$AUTHSERV" --pass-domain "$PASS_DOMAIN" \
    --fail-domain "$FAIL_DOMAIN" --selector "$RSA_SEL" --selector "$ED_SEL"
}

jf() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
hwm_mb() { awk '/^VmHWM:/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

if [[ $WARMUP -gt 0 ]]; then
  for st in maillab postfix; do
    want "$st" || continue
    note "warm-up: $WARMUP messages to $st"
    r=$(measure "$st" warmup 10 "$WARMUP" warmup) || die "warm-up against $st failed: $r"
  done
fi

# The maillab process's own CPU while nothing arrives: the floor under the "DNS for Postfix" column.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
t0=$(ticks "$ML_PID"); sleep 5; t1=$(ticks "$ML_PID")
IDLE=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.1f", (b - a) * 1000 / hz / 5}')
note "maillab idle: $IDLE ms CPU per second"
# Lines of the JSON trace (every file of the directory, should it roll): events per message.
trace_lines() { cat "$ML_DATA"/trace/*.json* 2>/dev/null | wc -l; }

declare -A RATE DELIV CPU MEM GEN DNS EVENTS ALLOCS
# BENCH_ALLOC: the runtime's own count of allocated bytes, one rate a second, summed over the run.
counters_start() {
  /tmp/inbench-tools/dotnet-counters collect -p "$ML_PID" --counters System.Runtime --refresh-interval 1 \
    --format csv -o "$TMP/counters-$1.csv" >"$TMP/counters-$1.log" 2>&1 &
  COUNTERS_PID=$!
  sleep 2   # the session is set up before the first message is sent
}
counters_stop() {
  sleep 2   # the last second's rate is written before the collector stops (an idle lab allocates ~50 KB/s)
  kill -TERM "$COUNTERS_PID" 2>/dev/null || true
  wait "$COUNTERS_PID" 2>/dev/null || true
  awk -F, -v n="$2" '/total_allocated/ {b += $NF} END {if (b > 0) printf "%.0f", b / n / 1024; else print "-"}' "$TMP/counters-$1.csv" 2>/dev/null || echo -
}
LOSS=""
LOADS=""
for s in $SESSIONS; do
  for st in maillab postfix; do
    want "$st" || continue
    note "run: $st, $s sessions, $MESSAGES messages (load $(cut -d' ' -f1-3 /proc/loadavg))"
    LOADS+="$st@$s: $(cut -d' ' -f1 /proc/loadavg); "
    [[ $st == maillab ]] && lines0=$(trace_lines)
    [[ $st == maillab && $ALLOC == 1 ]] && counters_start "$s"
    r=$(measure "$st" "s$s" "$s" "$MESSAGES" "s$s") || true
    [[ $st == maillab && $ALLOC == 1 ]] && ALLOCS[$s]=$(counters_stop "$s" "$MESSAGES")
    note "  $r"
    RATE[$st,$s]=$(jf "$r" rate)
    DELIV[$st,$s]=$(jf "$r" delivered)
    CPU[$st,$s]=$(jf "$r" server_cpu_ms_per_msg)
    GEN[$st,$s]=$(jf "$r" gen_cpu_ms_per_msg)
    [[ $(jf "$r" ok) == True ]] || LOSS+=" $st@$s($(jf "$r" problem))"
    if [[ $st == maillab ]]; then
      kill -0 "$ML_PID" 2>/dev/null || die "maillab died during the $s-session run"
      MEM[$st,$s]=$(hwm_mb "$ML_PID")
      EVENTS[$s]=$(awk -v a="$lines0" -v b="$(trace_lines)" -v n="$MESSAGES" 'BEGIN {printf "%.1f", (b - a) / n}')
      # Tracing is part of the measured path: a run that wrote no trace measured something else.
      awk -v e="${EVENTS[$s]}" 'BEGIN {exit !(e >= 1)}' || LOSS+=" maillab@$s(no trace events written)"
    else
      MEM[$st,$s]=$(awk -v k="$(jf "$r" peak_pss_kb)" 'BEGIN {printf "%.0f", k/1024}')
      DNS[$s]=$(jf "$r" dns_cpu_ms_per_msg)
    fi
  done
done

VERIFY=""
for st in maillab postfix; do
  want "$st" || continue
  v=$(verify "$st") || LOSS+=" $st-verification"
  VERIFY+="- $st: $v"$'\n'
done

# ---------------------------------------------------------------------------------------------
mkdir -p "$REPO/bench/results"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=$REPO/bench/results/inbound-$STAMP.md
conn="one message per connection"; [[ $REUSE == 1 ]] && conn="many messages per connection"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a/b; else print "-" }'; }
{
  echo "# Inbound bench (SPF, DKIM, DMARC on) $STAMP"
  echo
  echo "- commit: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$REPO" diff --quiet 2>/dev/null || echo ' (dirty)')"
  echo "- MailLab: $MAILLAB_EXE ($([[ -f ${MAILLAB_EXE}.dll ]] && echo "ordinary build, JIT" || echo "native build, AOT"))"
  echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r), disk under $TMP: $(df -T "$TMP" | awk 'NR==2 {print $2}')"
  echo "- postfix $(postconf -d -h mail_version), $(opendkim -V 2>&1 | head -1), $(opendmarc -V 2>&1 | head -1), policyd-spf $(dpkg-query -W -f='${Version}' postfix-policyd-spf-python), dotnet $(dotnet --version 2>/dev/null || echo none)"
  echo "- $MESSAGES messages per run, $SIZE bytes + rsa-sha256 and ed25519-sha256 signatures each, $conn, warm-up $WARMUP"
  echo "- load average (1 min) at the start of each run: $LOADS"
  echo "- msg/s = messages in the Maildir / seconds from the generator's first connection until the last one appeared"
  echo "- CPU ms/msg over that span: MailLab = the maillab process (/proc/PID/stat); Postfix = its cgroup's cpuacct.usage"
  echo "  (master, smtpd, cleanup, qmgr, virtual, trivial-rewrite, policyd-spf, opendkim, opendmarc, exited ones included);"
  echo "  DNS = the maillab process's CPU during the Postfix run (its lab DNS answers the milters; not in Postfix's figure)"
  echo "- MailLab idle (before the runs): $IDLE ms CPU per second; trace events per message (lines of trace.jsonl): $(for s in $SESSIONS; do printf '%s at %s, ' "${EVENTS[$s]:--}" "$s"; done)"
  echo "- peak MB: MailLab VmHWM (cumulative over the runs); Postfix the peak of the cgroup's summed PSS, sampled every 0.25 s"
  if [[ $ALLOC == 1 ]]; then
    echo "- MailLab managed allocations per message (dotnet-counters, summed over the run): $(for s in $SESSIONS; do printf '%s KB at %s, ' "${ALLOCS[$s]:--}" "$s"; done)"
  fi
  echo
  echo "| sessions | MailLab msg/s | Postfix stack msg/s | ratio | MailLab CPU ms/msg | Postfix stack CPU ms/msg | DNS for Postfix ms/msg | MailLab peak MB | Postfix stack peak MB | generator CPU ms/msg (ML, PF) | delivered/sent (ML, PF) |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"
  for s in $SESSIONS; do
    ml=${RATE[maillab,$s]:--} pf=${RATE[postfix,$s]:--}
    echo "| $s | $ml | $pf | $(ratio "$ml" "$pf") | ${CPU[maillab,$s]:--} | ${CPU[postfix,$s]:--} | ${DNS[$s]:--} | ${MEM[maillab,$s]:--} | ${MEM[postfix,$s]:--} | ${GEN[maillab,$s]:--}, ${GEN[postfix,$s]:--} | ${DELIV[maillab,$s]:--}/$MESSAGES, ${DELIV[postfix,$s]:--}/$MESSAGES |"
  done
  echo
  echo "Verdicts in the delivered messages (all runs and the warm-up; verify.py):"
  echo
  echo -n "$VERIFY"
  if [[ -n $LOSS ]]; then echo; echo "**FAILED:**$LOSS"; fi
} | tee "$OUT"
note "results written to $OUT"

[[ -z $LOSS ]] || die "failed:$LOSS"
FAILED=0
