#!/usr/bin/env bash
# Docker smoke test of the classroom lab (docker-compose.yml), run as root by .ci/run.
#
# Everything runs inside a network namespace made first, so no container network, bridge or published
# port appears on the machine's own interfaces: a private dockerd (its own data dir, socket and
# containerd; --iptables=false --ip-masq=false --ip-forward=false --bridge=none) in a private mount
# namespace (with its own cgroup mounts, since 'ip netns exec' remounts /sys).
# No registry is reachable, so the base images are made here: a Debian bookworm root filesystem from
# debootstrap (cached in $CACHE between runs) imported as debian:bookworm-slim and
# mcr.microsoft.com/dotnet/runtime-deps:10.0, and an SDK image from it plus this machine's .NET SDK and
# the NuGet packages MailLab restores (a local feed). apt in the workstation build goes through
# tests/docker/apt-proxy.py (a Unix socket out of the namespace, joined by socat; .debs cached).
# Then: compose build and up; from the workstation container: dig mx.bank.test through the lab DNS,
# a submission as alice@uc.test to uc's MSA (STARTTLS verified against the lab CA, AUTH PLAIN) for
# bob@bank.test, found in bob's Maildir in the bank container with uc's address in bank's Received
# line; bank.test's zone edited from the workstation (DMARC p=reject, a new TXT record served within
# seconds); a forged ceo@bank.test message to bank's MTA rejected with 550 5.7.1 naming DMARC; a
# published port answers on the namespace's 127.0.0.1; the dashboard (published 8025) wants a sign-in and, as the
# instructor, shows the bank container's rejection (it follows the sites' traces). Then down and full teardown (trap), also on failure.
# Prints the time of each phase, then PASS or FAIL.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
REPO=$PWD
CACHE=${MAILLAB_DOCKER_CACHE:-/var/cache/maillab-debootstrap}
ROOTFS_TAR=$CACHE/bookworm-rootfs.tar
ROOTFS_MAX_AGE_DAYS=30        # remade after this, so security updates come in
MIRROR=http://deb.debian.org/debian
RUNTIME_PACKAGES=ca-certificates,libssl3,libicu72,tzdata   # what .NET's runtime-deps image holds
SUFFIX=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=mlsmoke-$SUFFIX
WORK=/tmp/mlsmoke-$SUFFIX     # short: the docker socket path must stay under 108 bytes
PROJECT=mlsmoke$SUFFIX
APT_PROXY_PORT=3142
DOCKER=/usr/bin/docker        # Debian's client, whatever else is first on PATH
PY=/usr/bin/python3
WAIT_SITES_S=90
WAIT_DELIVERY_S=30
START=$SECONDS
declare -a PIDS=()

log() { echo "docker-smoke [$((SECONDS - START))s]: $*"; }

fail() {
  log "FAIL: $*"
  if [[ -S $WORK/docker.sock ]]; then
    compose ps 2>&1 | tail -n 10
    compose logs --no-color --tail=15 2>&1 | tail -n 60
  fi
  exit 1
}

compose() { DOCKER_HOST=unix://$WORK/docker.sock COMPOSE_HTTP_TIMEOUT=300 docker-compose -p "$PROJECT" -f "$REPO/docker-compose.yml" "$@"; }
dk() { DOCKER_HOST=unix://$WORK/docker.sock "$DOCKER" "$@"; }
ws() { compose exec -T workstation "$@"; }

cleanup() {
  local p
  set +e
  if [[ ${MAILLAB_SMOKE_KEEP:-} == 1 ]]; then  # for debugging the test: leave everything running
    log "kept: DOCKER_HOST=unix://$WORK/docker.sock docker-compose -p $PROJECT ...; namespace $NS; pids ${PIDS[*]}"
    return
  fi
  if [[ -S $WORK/docker.sock ]]; then
    timeout 120 env DOCKER_HOST="unix://$WORK/docker.sock" docker-compose -p "$PROJECT" -f "$REPO/docker-compose.yml" \
      down -v --remove-orphans -t 5 >/dev/null 2>&1
  fi
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 100); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.2
  done
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  # Whatever is still in the namespace was started by this test (containerd shims, containers).
  if ip netns pids "$NS" >/dev/null 2>&1; then
    for p in $(ip netns pids "$NS"); do kill -KILL "$p" 2>/dev/null; done
    sleep 0.5
    ip netns del "$NS" 2>/dev/null
  fi
  # dockerd's overlay mounts lived in its own mount namespace, gone with it; the files remain.
  [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM

[[ $(id -u) -eq 0 ]] || fail "must run as root (network namespace, dockerd)"
for tool in ip dockerd containerd runc docker-compose debootstrap socat dotnet unshare; do
  command -v "$tool" >/dev/null || fail "$tool not found"
done
[[ -x $DOCKER ]] || fail "$DOCKER not found (Debian package docker.io)"
mkdir -p "$WORK" "$CACHE/debs" || fail "cannot create $WORK or $CACHE"

# --- the Debian root filesystem, cached -------------------------------------------------------------
if [[ -f $ROOTFS_TAR ]] && [[ -z $(find "$ROOTFS_TAR" -mtime +"$ROOTFS_MAX_AGE_DAYS") ]]; then
  log "Debian rootfs from the cache ($ROOTFS_TAR)"
else
  log "debootstrap bookworm (minbase + $RUNTIME_PACKAGES) into $CACHE"
  rootfs=$WORK/rootfs
  debootstrap --variant=minbase --include="$RUNTIME_PACKAGES" bookworm "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -n 20 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
  # As in Debian's own images: deb822 sources with updates and security, no package lists or cache.
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
  tar -C "$rootfs" -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR" || fail "cannot write $ROOTFS_TAR"
  rm -rf "$rootfs"
fi

# --- the SDK image's context: this machine's SDK and the packages MailLab restores ------------------
# A restore here (network available) of a copy of the sources for linux-x64 puts every package the
# image's publish needs in the global packages folder; the assets file names them.
log "restoring MailLab for linux-x64 (the image's NuGet feed)"
mkdir -p "$WORK/restore"
cp Directory.Build.props Directory.Packages.props "$WORK/restore/" &&
  mkdir -p "$WORK/restore/src" && tar -C src --exclude=bin --exclude=obj -cf - . | tar -C "$WORK/restore/src" -xf - ||
  fail "cannot copy the sources"
dotnet restore "$WORK/restore/src/MailLab" -r linux-x64 -v q --nologo >"$WORK/restore.log" 2>&1 ||
  { tail -n 20 "$WORK/restore.log"; fail "dotnet restore -r linux-x64 failed"; }
DOTNET_ROOT=$(dirname "$(readlink -f "$(command -v dotnet)")")
SDK=$WORK/sdk
mkdir -p "$SDK/feed"
"$PY" - "$WORK/restore/src/MailLab/obj/project.assets.json" >"$WORK/packages.txt" <<'EOF' || fail "cannot read the assets file"
import json, os, sys
assets = json.load(open(sys.argv[1]))
paths = [lib["path"] for lib in assets["libraries"].values() if lib["type"] == "package"]
for fw in assets["project"]["frameworks"].values():  # runtime packs of the self-contained publish
    paths += [d["name"].lower() + "/" + d["version"].strip("[] ").split(",")[0].strip() for d in fw.get("downloadDependencies", [])]
for rel in paths:
    folder = next((f for f in assets["packageFolders"] if os.path.isdir(os.path.join(f, rel))), None)
    if folder is None:
        sys.exit(f"{rel} is in no package folder")
    print(os.path.join(folder, rel) + "\t" + rel)
EOF
while IFS=$'\t' read -r dir rel; do
  mkdir -p "$SDK/feed/$rel" && cp -al "$dir/." "$SDK/feed/$rel/" 2>/dev/null || cp -a "$dir/." "$SDK/feed/$rel/" || fail "cannot copy $dir"
done <"$WORK/packages.txt"
cp -al "$DOTNET_ROOT" "$SDK/dotnet" 2>/dev/null || cp -a "$DOTNET_ROOT" "$SDK/dotnet" || fail "cannot copy the SDK"
cat >"$SDK/NuGet.Config" <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="/opt/nuget-feed" />
  </packageSources>
</configuration>
EOF
cat >"$SDK/Dockerfile" <<'EOF'
FROM debian:bookworm-slim
COPY dotnet /usr/share/dotnet
COPY feed /opt/nuget-feed
COPY NuGet.Config /root/.nuget/NuGet/NuGet.Config
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/share/dotnet \
    DOTNET_ROOT=/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
EOF
log "feed: $(wc -l <"$WORK/packages.txt") packages, $(du -sh "$SDK/feed" | cut -f1)"

# --- the namespace, the apt proxy and the private dockerd -------------------------------------------
ip netns add "$NS" || fail "ip netns add $NS"
ip -n "$NS" link set lo up || fail "lo up in $NS"
"$PY" tests/docker/apt-proxy.py "$WORK/apt.sock" "$CACHE/debs" 2>"$WORK/apt-proxy.log" &
PIDS+=($!)
ip netns exec "$NS" socat "TCP-LISTEN:$APT_PROXY_PORT,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$WORK/apt.sock" 2>"$WORK/socat.log" &
PIDS+=($!)

start_dockerd() {  # start_dockerd DRIVER: dockerd in the namespace, in a mount namespace of its own
  ip netns exec "$NS" unshare --mount --propagation private bash -c '
    mount -t tmpfs cgroup /sys/fs/cgroup || exit 1
    while read -r name _ _ enabled; do
      [[ $name == \#* || $enabled != 1 ]] && continue
      mkdir -p "/sys/fs/cgroup/$name" && mount -t cgroup -o "$name" cgroup "/sys/fs/cgroup/$name" 2>/dev/null || rmdir "/sys/fs/cgroup/$name"
    done </proc/cgroups
    exec dockerd --data-root "$1/data" --exec-root "$1/exec" --pidfile "$1/dockerd.pid" -H "unix://$1/docker.sock" \
      --iptables=false --ip-masq=false --ip-forward=false --bridge=none --storage-driver="$2" \
      --containerd-namespace mlsmoke --containerd-plugins-namespace mlsmoke-plugins' _ "$WORK" "$1" >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 150); do
    dk info >/dev/null 2>&1 && return 0
    kill -0 "$DOCKERD_PID" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
if start_dockerd overlay2; then
  PIDS+=("$DOCKERD_PID")
else
  log "dockerd with overlay2 did not start ($(grep -m1 -io 'failed[^"]*' "$WORK/dockerd.log")); trying vfs"
  kill -TERM "$DOCKERD_PID" 2>/dev/null; wait "$DOCKERD_PID" 2>/dev/null
  rm -rf "$WORK/data" "$WORK/exec"
  start_dockerd vfs || { tail -n 20 "$WORK/dockerd.log"; fail "dockerd did not start"; }
  PIDS+=("$DOCKERD_PID")
fi
log "dockerd up in namespace $NS ($(dk info --format '{{.Driver}}' 2>/dev/null))"

# --- base images --------------------------------------------------------------------------------------
dk import "$ROOTFS_TAR" debian:bookworm-slim >/dev/null || fail "docker import"
dk tag debian:bookworm-slim mcr.microsoft.com/dotnet/runtime-deps:10.0 || fail "docker tag"
dk build -q --network host -t mcr.microsoft.com/dotnet/sdk:10.0 "$SDK" >"$WORK/sdk-build.log" 2>&1 ||
  { tail -n 20 "$WORK/sdk-build.log"; fail "SDK image build failed"; }
log "base images: debian:bookworm-slim, mcr.microsoft.com/dotnet/runtime-deps:10.0, mcr.microsoft.com/dotnet/sdk:10.0"

# --- the compose project ----------------------------------------------------------------------------
t0=$SECONDS
# dns and workstation side by side (dotnet publish is CPU, apt mostly waits); uc, bank and evil are the
# same image as dns, then built from the cache.
build() { compose build --build-arg "http_proxy=http://127.0.0.1:$APT_PROXY_PORT" "$@" >>"$WORK/build.log" 2>&1; }
{ build --parallel dns workstation && build; } || { tail -n 40 "$WORK/build.log"; fail "docker-compose build failed"; }
log "docker-compose build: $((SECONDS - t0)) s"
t0=$SECONDS
compose up -d >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log"; fail "docker-compose up failed"; }
log "docker-compose up -d (waits for the lab DNS to be healthy): $((SECONDS - t0)) s"
if ip addr | grep -q '10\.127\.'; then fail "a lab address shows up in the machine's own namespace"; fi

# The workstation is ready when it trusts the lab CA (its health check).
ws_id=$(compose ps -q workstation)
health=""
for _ in $(seq 150); do
  health=$(dk inspect -f '{{.State.Health.Status}}' "$ws_id" 2>/dev/null)
  [[ $health == healthy ]] && break
  sleep 1
done
[[ $health == healthy ]] || fail "the workstation is not healthy (lab CA not trusted) after 150 s: $health"
log "workstation healthy: it trusts the lab CA"

# The sites are up when their MTAs greet; asked from the workstation over the lab network.
for site in uc bank evil; do
  ok=0
  for _ in $(seq "$WAIT_SITES_S"); do
    if ws sh -c "timeout 3 nc -w 2 mx.$site.test 25 </dev/null | grep -q '^220 '" 2>/dev/null; then ok=1; break; fi
    sleep 1
  done
  [[ $ok -eq 1 ]] || fail "$site's MTA did not greet within ${WAIT_SITES_S}s"
done
log "all three MTAs greet on port 25 (resolved through the lab DNS from the workstation)"

# --- DNS: the MX of bank.test through the workstation's resolver, which is the lab DNS ----------------
mx=$(ws dig +short +time=2 +tries=2 mx bank.test) || fail "dig mx bank.test failed"
[[ $mx == "10 mx.bank.test." ]] || fail "dig mx bank.test gave '$mx'"
a=$(ws dig +short +time=2 +tries=2 mx.bank.test)
[[ $a == 10.127.2.1 ]] || fail "mx.bank.test is '$a', not bank's container address 10.127.2.1"
ptr=$(ws dig +short +time=2 +tries=2 @10.127.9.1 -x 10.127.2.1)
[[ $ptr == mx.bank.test. ]] || fail "PTR of 10.127.2.1 is '$ptr'"
log "dig: MX bank.test = $mx, mx.bank.test = $a, PTR 10.127.2.1 = $ptr"

# --- a legitimate message: alice@uc.test through uc's MSA, relayed by MX to bank ----------------------
INBOX=/var/lib/maillab/mail/bank.test/bob/INBOX
bob_count() { compose exec -T bank sh -c "find $INBOX/new $INBOX/cur -type f 2>/dev/null | wc -l" | tr -d '\r '; }
SUBJECT="docker smoke $SUFFIX"
ws swaks --server mx.uc.test --port 587 --tls --tls-verify --auth PLAIN --auth-user alice@uc.test --auth-password lab-alice \
  --from alice@uc.test --to bob@bank.test --header "Subject: $SUBJECT" --body "Through three containers." \
  >"$WORK/swaks-legit.log" 2>&1 || { cat "$WORK/swaks-legit.log"; fail "swaks: uc's MSA did not accept the message"; }
t0=$SECONDS
count=0
while [[ $((SECONDS - t0)) -lt $WAIT_DELIVERY_S ]]; do
  count=$(bob_count)
  [[ $count -ge 1 ]] && break
  sleep 0.5
done
[[ $count -ge 1 ]] || fail "the message is not in bob's Maildir in the bank container within ${WAIT_DELIVERY_S}s"
msg=$(compose exec -T bank sh -c "grep -l '^Subject: $SUBJECT' $INBOX/new/* $INBOX/cur/* 2>/dev/null | head -n1" | tr -d '\r')
[[ -n $msg ]] || fail "the delivered message is not ours"
compose exec -T bank cat "$msg" >"$WORK/delivered.eml" || fail "cannot read $msg"
top=$(awk '/^Received:/{f=1; print; next} f && /^[ \t]/{print; next} f{exit}' "$WORK/delivered.eml" | tr -d '\r\n')
[[ $top == *"[10.127.1.1]"* ]] || fail "bank's Received line does not name uc's address 10.127.1.1: $top"
grep -q '^Return-Path: <alice@uc.test>' "$WORK/delivered.eml" || fail "Return-Path is not <alice@uc.test>"
# uc's MSA signed it with the keys it published into the shared zones volume; bank's MTA found them.
auth=$(awk '/^Authentication-Results:/{f=1; print; next} f && /^[ \t]/{print; next} f{exit}' "$WORK/delivered.eml" | tr -d '\r\n')
[[ $auth == *"dkim=pass"* && $auth == *"dmarc=pass"* ]] || fail "bank's Authentication-Results has no dkim=pass and dmarc=pass: $auth"
log "legitimate message: accepted by uc's MSA (STARTTLS verified against the lab CA, AUTH PLAIN), delivered to bob in bank's container in $((SECONDS - t0)) s or less, DKIM and DMARC pass"

# --- a zone edit from the workstation, as a student would: bank.test's DMARC policy reject (the --------
# default lab has it; the edit makes sure) and a new TXT record that shows the edited file is served.
ZONE=/lab/zones/bank.test.zone
ws sh -c "sed -i 's/\(v=DMARC1; *\)p=[a-z]*/\1p=reject/' $ZONE && echo 'smoke-$SUFFIX IN TXT \"edited from the workstation\"' >>$ZONE" ||
  fail "cannot edit bank.test's zone from the workstation"
edited=""
for _ in $(seq 20); do
  edited=$(ws dig +short +time=2 +tries=1 txt "smoke-$SUFFIX.bank.test")
  [[ -n $edited ]] && break
  sleep 0.5
done
[[ $edited == '"edited from the workstation"' ]] || fail "the lab DNS does not serve the edited zone (got '$edited')"
policy=$(ws dig +short +time=2 +tries=1 txt _dmarc.bank.test)
[[ $policy == *"p=reject;"* ]] || fail "bank.test's DMARC record is not p=reject: $policy"
log "zone edited from the workstation, live: TXT smoke-$SUFFIX.bank.test = $edited; _dmarc.bank.test: $policy"

# --- a forged message: ceo@bank.test from the workstation to bank's MTA --------------------------------
before=$(bob_count)
ws swaks --server mx.bank.test --port 25 --ehlo workstation --from ceo@bank.test --to bob@bank.test \
  --header "From: The CEO <ceo@bank.test>" --header "Subject: urgent $SUFFIX" --body "Pay the invoice today." \
  >"$WORK/swaks-forged.log" 2>&1
forged_rc=$?
if ! grep -Eiq '^ *<[~*]* *550[ -]5\.7\.1 .*dmarc' "$WORK/swaks-forged.log"; then
  tail -n 12 "$WORK/swaks-forged.log"
  fail "the forged message was not rejected with 550 5.7.1 naming DMARC (swaks exit $forged_rc)"
fi
sleep 1
[[ $(bob_count) -eq $before ]] || fail "the forged message was delivered anyway"
log "forged message: $(grep -Ei -m1 '550[ -]5\.7\.1' "$WORK/swaks-forged.log" | sed 's/^ *<[~*]* *//')"

# --- a published port, as Thunderbird on the host would use it ----------------------------------------
banner=$(ip netns exec "$NS" timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/10587 && IFS= read -r line <&3 && echo "$line"') ||
  fail "nothing answers on the published port 127.0.0.1:10587 (uc's MSA)"
[[ $banner == 220* ]] || fail "127.0.0.1:10587 greeted with '$banner'"
log "published port 127.0.0.1:10587 -> uc:587 greets: ${banner%$'\r'}"

# --- the dashboard, on its published port: sign-in required, the instructor sees every container's trace -----
# Bound beyond loopback (10.127.9.1), it serves HTTPS with a lab CA certificate that names 127.0.0.1 too.
compose exec -T dns cat /var/lib/maillab-ca/ca.crt >"$WORK/lab-ca.crt" || fail "cannot read the lab CA certificate"
dash() { ip netns exec "$NS" curl -sS --max-time 10 --cacert "$WORK/lab-ca.crt" -b "$WORK/dash.cookies" -c "$WORK/dash.cookies" "$@"; }
code=$(dash -o /dev/null -w '%{http_code}' https://127.0.0.1:8025/api/lab) || fail "no HTTPS answer verified by the lab CA on the dashboard's published port 127.0.0.1:8025"
[[ $code == 401 ]] || fail "the classroom dashboard answered /api/lab with $code before any sign-in, not 401"
password=$(compose exec -T dns cat /var/lib/maillab/certs/instructor-password | tr -d '\r\n')
[[ -n $password ]] || fail "the dns container made no instructor password"
token=$(dash https://127.0.0.1:8025/signin | sed -n 's/.*name="__antiforgery" value="\([^"]*\)".*/\1/p' | head -n1)
code=$(dash -o /dev/null -w '%{http_code}' --data-urlencode "__antiforgery=$token" --data-urlencode user=instructor \
  --data-urlencode "password=$password" --data-urlencode return=/ https://127.0.0.1:8025/signin)
[[ $code == 302 ]] || fail "the instructor's sign-in answered $code, not a redirect"
rejected=""
for _ in $(seq 20); do
  rejected=$(dash 'https://127.0.0.1:8025/api/trace?site=bank&kind=MessageRejected&limit=5')
  [[ $rejected == *'"session":"bank:'* ]] && break
  sleep 0.5
done
[[ $rejected == *'"session":"bank:'* ]] || fail "the dashboard (dns container) does not show bank's MessageRejected: $rejected"
log "dashboard on https://127.0.0.1:8025 (lab CA certificate verified): 401 before sign-in; as instructor it shows the bank container's rejection of the forged mail (followed trace)"
# The dns container runs no site; bob's mailbox comes from bank's data volume, mounted read-only.
inbox=$(dash 'https://127.0.0.1:8025/api/mailboxes/bob@bank.test/messages?folder=INBOX')
[[ $inbox == *"\"subject\":\"$SUBJECT\""* ]] || fail "the dashboard (dns container) does not list the delivered message in bob's INBOX: $inbox"
log "dashboard: bob@bank.test's INBOX (bank's volume, read-only) lists '$SUBJECT'"

t0=$SECONDS
compose down -v -t 10 >"$WORK/down.log" 2>&1 || { cat "$WORK/down.log"; fail "docker-compose down failed"; }
log "docker-compose down -v: $((SECONDS - t0)) s"
log "PASS in $((SECONDS - START)) s (build, up, dig through the lab DNS, relay uc -> bank, DMARC reject, published port, dashboard)"
exit 0
