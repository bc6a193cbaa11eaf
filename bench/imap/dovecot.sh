#!/usr/bin/env bash
# A private Dovecot IMAP server for the IMAP conformance runner and bench/imap: its own config,
# runtime and log under DIR, one loopback listener, passwd-file users, Maildir storage. No global
# config is read or changed (dovecot -c). Mail processes run as `nobody` (Dovecot refuses root).
#
#   dovecot.sh start DIR PORT [USER:PASSWORD ...]   -> writes DIR/dovecot.conf, starts, waits for PORT
#   dovecot.sh stop DIR
# A user's Maildir is DIR/home/<user>/Maildir (cur/new/tmp; folders as .Name, Maildir++).
set -euo pipefail

die() { echo "dovecot.sh: $*" >&2; exit 1; }
command -v dovecot >/dev/null || die "dovecot not installed (Debian package dovecot-imapd)"
[[ $(id -u) -eq 0 ]] || die "run as root (Dovecot's login and mail processes switch users)"

cmd=${1:-}; dir=${2:-}
[[ -n $cmd && -n $dir ]] || die "usage: dovecot.sh start DIR PORT [USER:PASSWORD ...] | stop DIR"
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)

case "$cmd" in
start)
  port=${3:?port}; shift 3
  mkdir -p "$dir/run" "$dir/state" "$dir/home"
  : >"$dir/passwd"
  for up in "$@"; do
    u=${up%%:*}; p=${up#*:}
    echo "$u:{PLAIN}$p::::::" >>"$dir/passwd"
    mkdir -p "$dir/home/$u/Maildir"/{cur,new,tmp}
  done
  chown -R nobody:nogroup "$dir/home"
  # Dovecot's auth (user dovecot) and mail (nobody) processes must reach DIR: temp parents are
  # often 0700, so let others traverse (x only, no read) every ancestor.
  d=$dir; while [[ $d != / ]]; do chmod o+x "$d"; d=$(dirname "$d"); done
  cat >"$dir/dovecot.conf" <<CONF
# Written by bench/imap/dovecot.sh: a private instance on 127.0.0.1:$port.
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
instance_name = maillab-$port
protocols = imap
listen = 127.0.0.1
ssl = no
# Loopback lab instance: LOGIN over plaintext is allowed here on purpose.
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_fsync = optimized
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/passwd
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$dir/home/%u
}
namespace inbox {
  inbox = yes
  separator = /
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
  # One login process per connection (Dovecot's default, "high-security mode").
}
service imap {
  process_limit = 1024
}
service auth {
  unix_listener auth-userdb {
    user = nobody
  }
}
protocol imap {
  mail_max_userip_connections = 1000
}
CONF
  # Its own stdio closed: the daemon must not hold the caller's pipes open.
  dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/start.log" 2>&1 || die "dovecot did not start: $(cat "$dir/start.log")"
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && exit 0
    sleep 0.1
  done
  die "dovecot did not listen on 127.0.0.1:$port; see $dir/dovecot.log"
  ;;
stop)
  [[ -f $dir/dovecot.conf ]] || exit 0
  doveadm -c "$dir/dovecot.conf" stop 2>/dev/null || true
  ;;
*) die "unknown command $cmd" ;;
esac
