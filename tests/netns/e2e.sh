#!/usr/bin/env bash
# Multi-host end-to-end test over Linux network namespaces (run as root; .ci/run runs it).
#
# One namespace per host: dns, uc, bank, evil and ws (the student's workstation), each with one
# address in 10.250.0.0/24 on a bridge that lives in a 'hub' namespace of its own; veth pairs join
# each host to the hub. Nothing is added to the machine's own interfaces. Each host runs
# 'maillab up --only <its part>' of tests/netns/lab.yml. From ws: dig the MX of bank.test through
# /etc/netns/<ns>/resolv.conf (port 53), then swaks submits as alice@uc.test to uc's MSA (587,
# STARTTLS verified against the lab CA) for bob@bank.test, and the script waits until bob's Maildir
# in bank's data directory has it. It prints the time from swaks' exit to delivery, then PASS or FAIL.
# A trap removes processes, namespaces, /etc/netns entries and temporary files, also on failure.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
LAB=$REPO/tests/netns/lab.yml
MAILLAB=$REPO/src/MailLab/bin/Release/net10.0/maillab
SUFFIX=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
HOSTS=(dns uc bank evil ws)
declare -A ADDR=([dns]=10.250.0.53 [uc]=10.250.0.10 [bank]=10.250.0.20 [evil]=10.250.0.30 [ws]=10.250.0.100)
SERVERS=(dns uc bank evil)   # the hosts that run a maillab process
WAIT_START_S=60              # per process, for listeners.json
WAIT_DELIVERY_S=30
TMP=""
declare -A PID=()

ns() { echo "ml-$1-$SUFFIX"; }
log() { echo "netns-e2e: $*"; }

fail() {
  log "FAIL: $*"
  for h in "${SERVERS[@]}"; do
    [[ -n $TMP && -f $TMP/$h.log ]] && { echo "--- $h output (last lines)"; tail -n 15 "$TMP/$h.log"; }
  done
  exit 1
}

cleanup() {
  local h
  for h in "${!PID[@]}"; do kill -TERM "${PID[$h]}" 2>/dev/null; done
  for _ in $(seq 50); do
    local alive=0
    for h in "${!PID[@]}"; do kill -0 "${PID[$h]}" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for h in "${!PID[@]}"; do kill -KILL "${PID[$h]}" 2>/dev/null; wait "${PID[$h]}" 2>/dev/null; done
  for h in "${HOSTS[@]}" hub; do
    ip netns del "$(ns "$h")" 2>/dev/null
    rm -rf "/etc/netns/$(ns "$h")"
  done
  [[ -n $TMP ]] && rm -rf "$TMP"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

[[ $(id -u) -eq 0 ]] || fail "must run as root (it creates network namespaces)"
for tool in ip swaks dig; do command -v "$tool" >/dev/null || fail "$tool not found"; done
TMP=$(mktemp -d /tmp/maillab-netns-XXXXXX)
export MAILLAB_STATE_DIR=$TMP/state   # the labs' record of themselves stays in $TMP, not in root's home

log "building maillab (Release)"
dotnet build -c Release src/MailLab -v q --nologo >"$TMP/build.log" 2>&1 || { tail -n 20 "$TMP/build.log"; fail "build failed"; }
[[ -x $MAILLAB ]] || fail "$MAILLAB missing after the build"

# --- the network: a bridge in the hub namespace, one veth pair per host ---------------------------
log "namespaces with suffix $SUFFIX"
HUB=$(ns hub)
ip netns add "$HUB" || fail "ip netns add $HUB"
ip -n "$HUB" link add br0 type bridge && ip -n "$HUB" link set br0 up && ip -n "$HUB" link set lo up || fail "bridge in $HUB"
for h in "${HOSTS[@]}"; do
  n=$(ns "$h")
  ip netns add "$n" || fail "ip netns add $n"
  # Both ends are created directly inside namespaces: no interface ever appears in the root namespace.
  ip -n "$HUB" link add "p-$h" type veth peer name eth0 netns "$n" || fail "veth for $h"
  ip -n "$HUB" link set "p-$h" master br0 up || fail "attach $h to the bridge"
  ip -n "$n" link set lo up || fail "lo up in $n"
  ip -n "$n" addr add "${ADDR[$h]}/24" dev eth0 || fail "address for $h"
  ip -n "$n" link set eth0 up || fail "eth0 up in $n"
  # 'ip netns exec' bind-mounts /etc/netns/<ns>/* over /etc: each host asks the lab DNS.
  mkdir -p "/etc/netns/$n" && echo "nameserver ${ADDR[dns]}" >"/etc/netns/$n/resolv.conf"
done
if ip addr | grep -q '10\.250\.0\.'; then fail "a lab address shows up in the root namespace"; fi

# --- one CA for all hosts, one data directory per host --------------------------------------------
"$MAILLAB" certs create --data "$TMP/shared" >/dev/null || fail "maillab certs create"
CA=$TMP/shared/certs/ca.crt
for h in "${SERVERS[@]}"; do
  mkdir -p "$TMP/$h" && cp -r "$TMP/shared/certs" "$TMP/$h/" || fail "data directory for $h"
  ip netns exec "$(ns "$h")" "$MAILLAB" up --lab "$LAB" --data "$TMP/$h" --only "$h" --quiet </dev/null >"$TMP/$h.log" 2>&1 &
  PID[$h]=$!
done
for h in "${SERVERS[@]}"; do
  for _ in $(seq $((WAIT_START_S * 10))); do
    [[ -f $TMP/$h/listeners.json ]] && break
    kill -0 "${PID[$h]}" 2>/dev/null || fail "maillab for $h exited"
    sleep 0.1
  done
  [[ -f $TMP/$h/listeners.json ]] || fail "maillab for $h did not start within ${WAIT_START_S}s"
done
log "started: $(for h in "${SERVERS[@]}"; do printf '%s ' "$h=${ADDR[$h]}"; done)"

# --- from the workstation: DNS through resolv.conf, then a submission ------------------------------
WS=$(ns ws)
mx=$(ip netns exec "$WS" dig +short +time=2 +tries=2 mx bank.test) || fail "dig mx bank.test failed"
log "dig mx bank.test (via /etc/netns/$WS/resolv.conf): $mx"
[[ $mx == "10 mx.bank.test." ]] || fail "unexpected MX answer '$mx'"
a=$(ip netns exec "$WS" dig +short +time=2 +tries=2 a mx.bank.test)
[[ $a == "${ADDR[bank]}" ]] || fail "mx.bank.test A is '$a', expected ${ADDR[bank]}"

INBOX=$TMP/bank/mail/bank.test/bob/INBOX
# submit N SUBJECT: swaks from ws to uc's MSA, then wait until bob has N messages; sets ms and msg.
submit() {
  timeout 30 ip netns exec "$WS" swaks --server "${ADDR[uc]}" --port 587 --tls --tls-verify --tls-ca-path "$CA" \
    --tls-sni mx.uc.test --auth PLAIN --auth-user alice@uc.test --auth-password lab-alice \
    --from alice@uc.test --to bob@bank.test --header "Subject: $2" --body "Across three hosts." \
    >"$TMP/swaks.log" 2>&1 || { cat "$TMP/swaks.log"; fail "swaks did not get its message accepted"; }
  local t0 t1 deadline count=0
  t0=$(date +%s%N)
  deadline=$((t0 + WAIT_DELIVERY_S * 1000000000))
  while [[ $(date +%s%N) -lt $deadline ]]; do
    count=$(find "$INBOX/new" "$INBOX/cur" -type f 2>/dev/null | wc -l)
    [[ $count -ge $1 ]] && break
    sleep 0.01
  done
  t1=$(date +%s%N)
  [[ $count -ge $1 ]] || { grep -h '"Relay' "$TMP/uc/trace/trace.jsonl" | tail -n 5; fail "message $1 not in bob's Maildir within ${WAIT_DELIVERY_S}s"; }
  msg=$(grep -l "^Subject: $2" "$INBOX"/new/* "$INBOX"/cur/* 2>/dev/null | head -n1)
  ms=$(((t1 - t0) / 1000000))
}

SUBJECT="netns e2e $SUFFIX"
submit 1 "$SUBJECT"
log "submission-to-delivery across hosts: ${ms} ms (swaks exit -> file in bank's Maildir; first message, cold processes)"
first_ms=$ms
[[ -n $msg ]] || fail "the delivered message is not ours"

# --- what arrived -----------------------------------------------------------------------------------
grep -q "^Subject: $SUBJECT" "$msg" || fail "the delivered message is not ours"
received=$(grep -c '^Received:' "$msg")
[[ $received -eq 2 ]] || fail "expected 2 Received lines (uc's MSA, bank's MTA), found $received"
# The top Received line is bank's MTA; unfold it (RFC 5322 §2.2.3) and look for uc's address.
top=$(awk '/^Received:/{f=1; print; next} f && /^[ \t]/{print; next} f{exit}' "$msg" | tr -d '\r\n')
[[ $top == *"[${ADDR[uc]}]"* ]] || fail "bank's Received line does not name uc's address ${ADDR[uc]}: $top"
grep -q '^Return-Path: <alice@uc.test>' "$msg" || fail "Return-Path is not <alice@uc.test>"
if ip addr | grep -q '10\.250\.0\.'; then fail "a lab address shows up in the root namespace"; fi

submit 2 "$SUBJECT #2"
log "submission-to-delivery across hosts: ${ms} ms (second message, warm processes)"
log "PASS (dig MX through resolv.conf, STARTTLS+AUTH submission, relay uc -> bank by MX; ${first_ms} ms cold, ${ms} ms warm)"
exit 0
