# Sourced by bench/inbound/run.sh: the keys, zones and lab file, MailLab, and the reference stack
# (Postfix + OpenDKIM + OpenDMARC + policyd-spf) in its own cpuacct cgroup. Uses run.sh's variables.
# shellcheck shell=bash

# One RSA 2048 and one Ed25519 key (openssl), published for both sender domains.
make_keys_and_zones() {
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/keys/rsa.pem" 2>/dev/null || die "openssl rsa key"
  openssl genpkey -algorithm ed25519 -out "$TMP/keys/ed25519.pem" 2>/dev/null || die "openssl ed25519 key"
  local rsa_p ed_p
  rsa_p=$(openssl pkey -in "$TMP/keys/rsa.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
  # RFC 8463 §4.2: p= is the bare 32-octet key: the end of the 44-octet SubjectPublicKeyInfo.
  ed_p=$(openssl pkey -in "$TMP/keys/ed25519.pem" -pubout -outform DER 2>/dev/null | tail -c 32 | base64 -w0)
  [[ ${#rsa_p} -gt 300 && ${#ed_p} -eq 44 ]] || die "could not read the public keys back"
  chmod 644 "$TMP/keys/"*.pem
  # A TXT string holds at most 255 octets (RFC 1035 §3.3.14): the RSA record is two strings.
  local rsa_rr="\"v=DKIM1; k=rsa; p=${rsa_p:0:200}\" \"${rsa_p:200}\""
  local d dmarc
  for d in "$PASS_DOMAIN" "$FAIL_DOMAIN"; do
    # p=reject for the passing domain (its mail passes anyway), p=none for the failing one: with its
    # aligned DKIM pass DMARC passes too, and both stacks deliver every message.
    dmarc="v=DMARC1; p=none"; [[ $d == "$PASS_DOMAIN" ]] && dmarc="v=DMARC1; p=reject"
    cat >"$TMP/maillab/zones/$d.zone" <<EOF
\$ORIGIN $d.
\$TTL 1h
@    IN SOA ns.$d. postmaster.$d. ( 1 1h 15m 1w 5m )
@    IN NS  ns.$d.
ns   IN A   $DNS_ADDR
@    IN TXT "v=spf1 ip4:127.0.50.0/24 -all"
_dmarc IN TXT "$dmarc"
$RSA_SEL._domainkey IN TXT $rsa_rr
$ED_SEL._domainkey IN TXT "v=DKIM1; k=ed25519; p=$ed_p"
EOF
  done
  cat >"$TMP/maillab/zones/$DOMAIN.zone" <<EOF
\$ORIGIN $DOMAIN.
\$TTL 1h
@    IN SOA ns.$DOMAIN. postmaster.$DOMAIN. ( 1 1h 15m 1w 5m )
@    IN NS  ns.$DOMAIN.
ns   IN A   $DNS_ADDR
@    IN MX  10 mx.$DOMAIN.
mx   IN A   $MAILLAB_ADDR
EOF
}

# The MailLab lab: one receiving site; the sender domains are only zones in its DNS, on port 53 here.
write_lab() {
  cat <<EOF
name: inbound-bench
dns: { address: $DNS_ADDR, port: 53, zones: zones, rate-limit: 0 }
sites:
  - name: $SITE
    domains: [$DOMAIN]
    host-names: [$AUTHSERV]
    address: $MAILLAB_ADDR
    ports: { mta: 0, submission: 0, submissions: 0 }
    users:
EOF
  for u in $USERS; do echo "      - { address: $u@$DOMAIN, password: lab-$u }"; done
  echo "limits: { max-connections-per-client: 1000, max-connections: 2000 }"
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

start_maillab() {
  ML_DATA=$TMP/maillab/data
  mkdir -p "$ML_DATA"
  # As `maillab up` runs: trace to the console (here its log file) and to the JSON trace file.
  "$MAILLAB_EXE" up --lab "$TMP/maillab/lab.yml" --data "$ML_DATA" </dev/null >"$TMP/maillab/maillab.log" 2>&1 &
  ML_PID=$!
  local listeners=$ML_DATA/listeners.json
  for _ in $(seq 900); do   # 90 s: the first start signs the zones and makes the site's keys
    [[ -s $listeners ]] && break
    kill -0 "$ML_PID" 2>/dev/null || { tail -30 "$TMP/maillab/maillab.log" >&2; die "maillab exited before binding its listeners"; }
    sleep 0.1
  done
  [[ -s $listeners ]] || { tail -30 "$TMP/maillab/maillab.log" >&2; die "maillab wrote no $listeners within 90 s"; }
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
  # The milters and policyd-spf read resolv.conf: the lab DNS must answer on port 53 for them.
  local txt
  txt=$(dig +short +time=2 +tries=3 TXT "$PASS_DOMAIN" 2>&1) || true
  [[ $txt == *"v=spf1"* ]] || die "the lab DNS does not answer TXT $PASS_DOMAIN through resolv.conf: $txt"
  note "maillab listening on $ML_HOST:$ML_PORT (pid $ML_PID), lab DNS on $DNS_ADDR:53"
}

# ---------------------------------------------------------------------------------------------
# The reference stack, as a mail administrator would set it up for the same job, in a private
# Postfix instance (never /etc/postfix), with every process in the cpuacct cgroup $CG.
start_stack() {
  local port; port=$(python3 -c 'import socket,sys; s=socket.socket(); s.bind((sys.argv[1],0)); print(s.getsockname()[1])' "$POSTFIX_ADDR")
  PF_CONF=$TMP/postfix/etc
  local spool=$TMP/postfix/spool data=$TMP/postfix/data milter=$TMP/postfix/milter
  PF_MAIL=$TMP/postfix/mail
  mkdir -p "$PF_CONF" "$spool" "$data" "$PF_MAIL" "$milter"
  getent passwd postfix >/dev/null || die "user postfix missing"
  chown postfix "$data"
  chmod 1777 "$PF_MAIL" "$milter"   # virtual(8) delivers as nobody; the milters make their sockets here
  for u in $USERS; do echo "$u@$DOMAIN $DOMAIN/$u/"; done >"$PF_CONF/vmailbox"

  cat >"$PF_CONF/opendkim.conf" <<EOF
# Verify only (Mode v): signing is the sender's job. One Authentication-Results per message.
Syslog                  false
Mode                    v
Socket                  local:$milter/opendkim.sock
UMask                   000
UserID                  opendkim:opendkim
PidFile                 $milter/opendkim.pid
AuthservID              $AUTHSERV
AlwaysAddARHeader       true
Nameservers             $DNS_ADDR
EOF
  echo "192.0.2.1" >"$milter/ignore-hosts"   # opendmarc ignores 127.0.0.1 by default; nothing of ours
  cat >"$PF_CONF/opendmarc.conf" <<EOF
Syslog                  false
Socket                  local:$milter/opendmarc.sock
UMask                   000
UserID                  opendmarc:opendmarc
PidFile                 $milter/opendmarc.pid
AuthservID              $AUTHSERV
TrustedAuthservIDs      $AUTHSERV
IgnoreHosts             $milter/ignore-hosts
# SPF from policyd-spf's Received-SPF; its own check only when that is missing.
SPFIgnoreResults        false
SPFSelfValidate         true
RejectFailures          false
FailureReports          false
EOF
  cat >"$PF_CONF/policyd-spf.conf" <<EOF
# Evaluate and mark (Received-SPF), never reject (the *_reject options): like MailLab with reject-spf-fail off.
debugLevel = 0
TestOnly = 1
HELO_reject = False
Mail_From_reject = False
PermError_reject = False
TempError_Defer = False
# The default skips 127.0.0.0/8, which is where the bench's clients are.
skip_addresses = 192.0.2.0/24
EOF

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
myhostname = $AUTHSERV
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
virtual_mailbox_domains = $DOMAIN
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = texthash:$PF_CONF/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
# SPF by policyd-spf (RFC 7208), then DKIM (RFC 6376) and DMARC (RFC 7489) by the milters, in that order.
smtpd_recipient_restrictions = reject_unauth_destination, check_policy_service unix:private/policyd-spf
policyd-spf_time_limit = 3600
smtpd_milters = unix:$milter/opendkim.sock, unix:$milter/opendmarc.sock
non_smtpd_milters =
milter_default_action = tempfail
EOF
  { postfix_master_cf "$POSTFIX_ADDR" "$port"
    echo "policyd-spf unix - n n - 0 spawn user=nobody argv=/usr/bin/policyd-spf $PF_CONF/policyd-spf.conf"
  } >"$PF_CONF/master.cf"
  postfix -c "$PF_CONF" check >"$TMP/postfix/check.log" 2>&1 || { cat "$TMP/postfix/check.log" >&2; die "postfix check failed"; }

  CG=/sys/fs/cgroup/cpuacct/maillab-inbound.$$
  mkdir "$CG" || die "cannot make the cgroup $CG (cgroup v1 cpuacct expected)"
  (
    echo "$BASHPID" >"$CG/cgroup.procs"
    opendkim -f -x "$PF_CONF/opendkim.conf" >"$TMP/postfix/opendkim.log" 2>&1 &
    opendmarc -c "$PF_CONF/opendmarc.conf" || exit 1
    postfix -c "$PF_CONF" start >"$TMP/postfix/start.log" 2>&1 || { cat "$TMP/postfix/start.log" >&2; exit 1; }
  ) || die "the reference stack did not start"
  for _ in $(seq 100); do
    [[ -S $milter/opendkim.sock && -S $milter/opendmarc.sock && -s $spool/pid/master.pid ]] && break
    sleep 0.1
  done
  [[ -S $milter/opendkim.sock ]] || die "opendkim made no socket"
  [[ -S $milter/opendmarc.sock ]] || die "opendmarc made no socket"
  PF_MASTER=$(tr -d ' \n' <"$spool/pid/master.pid")
  wait_port "$POSTFIX_ADDR" "$port" || die "postfix does not listen on $POSTFIX_ADDR:$port"
  PF_PORT=$port
  note "postfix $(postconf -d -h mail_version) + opendkim + opendmarc + policyd-spf on $POSTFIX_ADDR:$PF_PORT (cgroup $CG)"
}

stop_stack() {
  if [[ -n $PF_CONF && -f $PF_CONF/main.cf ]]; then
    postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
    if [[ -n $PF_MASTER ]]; then
      for _ in $(seq 50); do kill -0 "$PF_MASTER" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$PF_MASTER" 2>/dev/null && { postfix -c "$PF_CONF" abort >/dev/null 2>&1 || kill -KILL "$PF_MASTER" 2>/dev/null || true; }
    fi
  fi
  local f pid
  for f in "$TMP/postfix/milter/opendkim.pid" "$TMP/postfix/milter/opendmarc.pid"; do
    [[ -n $TMP && -s $f ]] || continue
    pid=$(tr -d ' \n' <"$f")
    kill -TERM "$pid" 2>/dev/null || true
  done
  if [[ -n $CG && -d $CG ]]; then
    for _ in $(seq 50); do [[ -z $(cat "$CG/cgroup.procs" 2>/dev/null) ]] && break; sleep 0.2; done
    # Whatever is left in the stack's own cgroup was started by this script: end it by its id.
    for pid in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    sleep 0.2
    rmdir "$CG" 2>/dev/null || note "cgroup $CG still has processes: $(tr '\n' ' ' <"$CG/cgroup.procs")"
  fi
}
