#!/usr/bin/env bash
# The native (AOT) build against the ordinary one (.ci/run runs it; README "Native build").
#
# Publishes maillab with Native AOT (the README's command), then starts it and the ordinary build side by
# side, each on its own copy of the default lab with every port 0. On each: swaks submits as alice@uc.test
# to uc's MSA (STARTTLS verified against the lab CA, AUTH PLAIN) for bob@bank.test, and sends one message
# straight to bank's MTA as mallory@evil.test (SPF, DKIM and DMARC run); curl reads bob's INBOX over IMAPS;
# `maillab dns` finds the running lab through its state record, `maillab queue` reads the queue; then the
# dashboard API is fetched. A trimmed build
# fails silently where reflection finds nothing: a JSON property that is missing, an empty listeners.json.
# So every API answer of the native build must have the same shape (every key path and JSON type) as the
# ordinary build's, and the trace must hold the same kinds of events. Prints PASS or FAIL.
# Needs: clang and zlib1g-dev (to link), swaks, curl, python3. Environment: AOT_OUT = where the native build
# is [out/maillab-native, where the README's command puts it]; AOT_SKIP_PUBLISH=1 uses it as it is.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
JIT=$REPO/src/MailLab/bin/Release/net10.0/maillab
TMP=$(mktemp -d /tmp/maillab-aot.XXXXXX)
# AOT_OUT without AOT_SKIP_PUBLISH=1 would be ignored (the publish goes where the README says): refuse it.
[[ -n ${AOT_OUT:-} && ${AOT_SKIP_PUBLISH:-0} != 1 ]] && { echo "aot-smoke: FAIL: AOT_OUT is read only with AOT_SKIP_PUBLISH=1" >&2; exit 1; }
AOT_OUT=${AOT_OUT:-out/maillab-native}
declare -A PID=()

log() { echo "aot-smoke: $*"; }
fail() {
  log "FAIL: $*"
  for b in jit aot; do [[ -f $TMP/$b.log ]] && { echo "--- $b output (last lines)"; tail -n 15 "$TMP/$b.log"; }; done
  exit 1
}
cleanup() {
  local b
  for b in "${!PID[@]}"; do kill -TERM "${PID[$b]}" 2>/dev/null; wait "${PID[$b]}" 2>/dev/null; done
  rm -rf "$TMP"
}
trap cleanup EXIT

for tool in swaks curl python3; do command -v "$tool" >/dev/null || fail "$tool not found"; done
[[ -x $JIT ]] || fail "no ordinary build at $JIT (dotnet build -c Release)"

if [[ ${AOT_SKIP_PUBLISH:-0} != 1 ]]; then
  command -v clang >/dev/null || fail "clang not found (apt-get install clang zlib1g-dev)"
  log "publishing the native build: the README's command"
  dotnet publish src/MailLab -c Release -r linux-x64 -p:PublishAot=true -o out/maillab-native >"$TMP/publish.log" 2>&1 \
    || { tail -n 30 "$TMP/publish.log"; fail "dotnet publish -p:PublishAot=true failed"; }
fi
AOT=$AOT_OUT/maillab
[[ -x $AOT ]] || fail "no native build at $AOT"

# start NAME EXE: the default lab, every port 0, its own data and state directories.
start() {
  local b=$1 exe=$2 d=$TMP/$1
  mkdir -p "$d/state"
  cp -r lab/zones "$d/zones"
  sed -E -e 's/^(\s*)(port|https-port): [0-9]+/\1\2: 0/' \
         -e 's/(mta|submission|submissions|pop3|pop3s|imap|imaps): [0-9]+/\1: 0/g' lab/default-lab.yml >"$d/lab.yml"
  MAILLAB_STATE_DIR=$d/state "$exe" up --lab "$d/lab.yml" --data "$d/data" </dev/null >"$TMP/$b.log" 2>&1 &
  PID[$b]=$!
}
start jit "$JIT"
start aot "$AOT"
for b in jit aot; do
  for _ in $(seq 600); do
    [[ -s $TMP/$b/data/listeners.json ]] && break
    kill -0 "${PID[$b]}" 2>/dev/null || fail "$b: maillab exited"
    sleep 0.1
  done
  [[ -s $TMP/$b/data/listeners.json ]] || fail "$b: no listeners.json within 60 s"
done

# port BUILD SITE ROLE -> "address port" from listeners.json (the file a trimmed build could write empty)
port() {
  python3 -c 'import json,sys
for l in json.load(open(sys.argv[1])):
    if l["site"] == sys.argv[2] and l["role"] == sys.argv[3]: print(l["address"], l["port"]); break' \
    "$TMP/$1/data/listeners.json" "$2" "$3"
}

for b in jit aot; do
  exe=$JIT; [[ $b == aot ]] && exe=$AOT
  d=$TMP/$b/data
  read -r host msa < <(port "$b" uc MSA) || fail "$b: no uc MSA in listeners.json"
  read -r mhost mta < <(port "$b" bank MTA) || fail "$b: no bank MTA in listeners.json"
  timeout 30 swaks --server "$host" --port "$msa" --tls --tls-verify --tls-ca-path "$d/certs/ca.crt" --tls-sni mx.uc.test \
    --auth PLAIN --auth-user alice@uc.test --auth-password lab-alice --from alice@uc.test --to bob@bank.test \
    --header "Subject: aot smoke submission" >"$TMP/$b.swaks1" 2>&1 || { cat "$TMP/$b.swaks1"; fail "$b: submission refused"; }
  timeout 30 swaks --server "$mhost" --port "$mta" --from mallory@evil.test --to bob@bank.test \
    --header "Subject: aot smoke forged" >"$TMP/$b.swaks2" 2>&1 || { cat "$TMP/$b.swaks2"; fail "$b: MTA refused"; }
  for _ in $(seq 300); do
    (( $(find "$d/mail/bank.test/bob/INBOX/new" "$d/mail/bank.test/bob/INBOX/cur" -type f 2>/dev/null | wc -l) >= 2 )) && break
    sleep 0.1
  done
  (( $(find "$d/mail/bank.test/bob/INBOX/new" "$d/mail/bank.test/bob/INBOX/cur" -type f | wc -l) >= 2 )) \
    || fail "$b: bob's INBOX did not get both messages within 30 s"
  read -r ihost _ < <(port "$b" bank IMAP)
  imaps=$(python3 -c 'import json,sys
print([l["port"] for l in json.load(open(sys.argv[1])) if l["site"] == "bank" and l["role"] == "IMAP" and l["tls"] == "implicit"][0])' "$d/listeners.json")
  for uid in 1 2; do
    curl -s --max-time 20 --cacert "$d/certs/ca.crt" --resolve "mx.bank.test:$imaps:$ihost" -u bob@bank.test:lab-bob \
      "imaps://mx.bank.test:$imaps/INBOX;UID=$uid" >>"$TMP/$b.imap" || fail "$b: curl could not fetch UID $uid over IMAPS"
  done
  grep -q "^Subject: aot smoke submission" "$TMP/$b.imap" && grep -q "^Subject: aot smoke forged" "$TMP/$b.imap" \
    || fail "$b: UIDs 1 and 2 fetched over IMAPS are not the two messages sent"
  grep -q "^Authentication-Results:" "$TMP/$b.imap" && grep -q "dmarc=" "$TMP/$b.imap" || fail "$b: no DMARC verdict in the delivered messages"
  # Without --data: the running lab is found through its record in the state directory (RunningLab's JSON).
  read -r dnshost dnsport < <(port "$b" lab DNS)
  MAILLAB_STATE_DIR=$TMP/$b/state timeout 20 "$exe" dns >"$TMP/$b.dns" 2>&1 || { cat "$TMP/$b.dns"; fail "$b: maillab dns failed"; }
  grep -q "$dnshost:$dnsport" "$TMP/$b.dns" || { cat "$TMP/$b.dns"; fail "$b: maillab dns does not name the running lab's DNS listener"; }
  MAILLAB_STATE_DIR=$TMP/$b/state timeout 20 "$exe" dns query bank.test MX >"$TMP/$b.mx" 2>&1 || { cat "$TMP/$b.mx"; fail "$b: maillab dns query failed"; }
  grep -q "MX" "$TMP/$b.mx" || { cat "$TMP/$b.mx"; fail "$b: maillab dns query gave no MX answer"; }
  timeout 20 "$exe" queue --data "$d" >"$TMP/$b.queue" 2>&1 || { cat "$TMP/$b.queue"; fail "$b: maillab queue failed"; }
  read -r dhost dport < <(port "$b" lab DASHBOARD) || fail "$b: no dashboard in listeners.json"
  echo "http://$dhost:$dport" >"$TMP/$b.dashboard"
done
log "both builds delivered, served IMAPS and answered the CLI; comparing their dashboard APIs"

# The dashboard's GET routes with the ids this run made (a session, a queue id, a mailbox message).
python3 - "$TMP" <<'PYEOF' || fail "the native build's API differs from the ordinary build's (above)"
import json, sys, urllib.request
tmp = sys.argv[1]
def get(build, path):
    base = open(f"{tmp}/{build}.dashboard").read().strip()
    with urllib.request.urlopen(base + path, timeout=20) as r:
        return r.status, r.read().decode()
def shape(v, path="$", out=None):
    out = set() if out is None else out
    kind = {dict: "object", list: "array", str: "string", bool: "bool", type(None): "null"}.get(type(v), "number")
    out.add(f"{path}:{kind}")
    if isinstance(v, dict):
        for k, x in v.items():
            shape(x, f"{path}.{k}", out)
    elif isinstance(v, list):
        for x in v: shape(x, f"{path}[]", out)
    return out
def ids(build):
    trace = json.loads(get(build, "/api/trace?limit=2000")[1])["events"]
    # The message sent straight to bank's MTA: the same session in both runs (no TLS, checks on).
    forged = next(e for e in trace if e["kind"] == "MessageReceived" and e["fields"].get("Subject") == "aot smoke forged")
    exercise = json.loads(get(build, "/api/exercises")[1])["exercises"][0]["id"]
    return trace, forged["session"], forged["message"], exercise
failures = []
kinds = {}
paths = {}
for build in ("jit", "aot"):
    trace, session, queue, exercise = ids(build)
    kinds[build] = sorted({e["kind"] for e in trace})
    paths[build] = ["/api/lab", "/api/trace?limit=2000", "/api/trace?view=row&limit=2000", "/api/openapi.json",
        "/api/exercises", f"/api/exercises/{exercise}", f"/api/exercises/{exercise}/grid", "/api/zones", "/api/zones/bank.test",
        "/api/dns/queries", "/api/mailboxes", "/api/mailboxes/bob@bank.test", "/api/mailboxes/bob@bank.test/messages",
        "/api/mailboxes/bob@bank.test/messages/INBOX/1", "/api/reports/dmarc", "/api/reports/dmarc/series",
        "/api/reports/failures", "/api/reports/tls", f"/api/sessions/{session}", "/api/messages",
        f"/api/messages/{queue}/journey", "/api/nonexistent-route-for-the-error-shape"]
results = {}
for build in ("jit", "aot"):
    for p in paths[build]:
        try:
            status, body = get(build, p)
        except urllib.error.HTTPError as e:
            status, body = e.code, e.read().decode()
        results[(build, paths[build].index(p))] = (p, status, shape(json.loads(body)) if body.strip().startswith(("{", "[")) else body[:80])
for i in range(len(paths["jit"])):
    (pj, sj, hj), (pa, sa, ha) = results[("jit", i)], results[("aot", i)]
    if sj != sa:
        failures.append(f"{pa}: status {sa}, ordinary build {sj}")
    elif hj != ha:
        only_j = sorted(hj - ha)[:8] if isinstance(hj, set) and isinstance(ha, set) else hj
        only_a = sorted(ha - hj)[:8] if isinstance(hj, set) and isinstance(ha, set) else ha
        failures.append(f"{pa}: shape differs; only in the ordinary build: {only_j}; only in the native build: {only_a}")
    else:
        print(f"aot-smoke: same shape: {pa} ({sa})")
if kinds["jit"] != kinds["aot"]:
    failures.append(f"trace kinds differ: ordinary {kinds['jit']}, native {kinds['aot']}")
for f in failures: print("aot-smoke: " + f)
sys.exit(1 if failures else 0)
PYEOF
log "PASS: the native build delivered, served IMAPS, answered the CLI, and its dashboard API has the ordinary build's shape"
