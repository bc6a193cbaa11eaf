#!/bin/sh
# Derives the classroom (container) lab from the embedded one, so lab/default-lab.yml and lab/zones
# stay the one source of truth: classroom-lab.sh LAB_DIR OUT_DIR writes OUT_DIR/lab.yml and
# OUT_DIR/zones/. The Dockerfile runs it at build time; nothing derived is committed.
#
# Two rules, and nothing else changes (users, switches, limits, SPF and DMARC records stay as they are):
#   - addresses: 127.0.X.Y (a site, the lab DNS) becomes 10.127.X.Y on the compose network
#     10.127.0.0/16 (docker-compose.yml gives each container that address); the reverse zone
#     127.in-addr.arpa becomes 127.10.in-addr.arpa with the same PTR records;
#   - ports: the standard ones (RFC 5321 MTA 25, RFC 6409 submission 587, RFC 8314 submissions 465,
#     POP3 110/995, IMAP 143/993, DNS 53 (and the spoof-dns forger's), the web service HKP's 11371 and
#     HTTPS 443 for MTA-STS), since each site has a container
#     of its own. The web service (web:) runs in the DNS container, on the DNS's address.
# And one addition: each site gets a published: block naming where docker-compose.yml publishes its ports on
# the host (127.0.0.1, site 10.127.N.Y's port P on N*10000+P: uc's 993 on 10993), so the autoconfig file
# tells a Thunderbird on the instructor's machine those ports (tests/MailLab.Tests/Web/ClassroomPublishedTests.cs
# checks that this and docker-compose.yml agree).
set -eu
src=${1:?usage: classroom-lab.sh LAB_DIR OUT_DIR}
out=${2:?usage: classroom-lab.sh LAB_DIR OUT_DIR}
mkdir -p "$out/zones"

# 127.0.N.Y with N >= 1: the lab's own addresses (127.0.0.x is localhost, and stays in comments as is).
addresses='s/\b127\.0\.\([1-9][0-9]\{0,2\}\)\.\([0-9]\{1,3\}\)\b/10.127.\1.\2/g'
note() { echo "; Derived from lab/zones/$1 by docker/classroom-lab.sh (127.0.N.Y -> 10.127.N.Y); comments may speak of the embedded lab."; }
{ echo "# Derived from lab/default-lab.yml by docker/classroom-lab.sh (127.0.N.Y -> 10.127.N.Y, standard ports)."
  sed -e "$addresses" \
    -e 's/^name: .*/name: classroom/' \
    -e 's/^\(  *mta:\) *[0-9]*/\1 25/' \
    -e 's/^\(  *submission:\) *[0-9]*/\1 587/' \
    -e 's/^\(  *submissions:\) *[0-9]*/\1 465/' \
    -e 's/^\(  *pop3:\) *[0-9]*/\1 110/' \
    -e 's/^\(  *pop3s:\) *[0-9]*/\1 995/' \
    -e 's/^\(  *imap:\) *[0-9]*/\1 143/' \
    -e 's/^\(  *imaps:\) *[0-9]*/\1 993/' \
    -e 's/^\(  *relay-port:\) *[0-9]*/\1 25/' \
    -e '/^dns:/,/^[^ ]/s/^\(  *port:\) *[0-9]*/\1 53/' \
    -e '/^web:/,/^[^ ]/s/^\(  *port:\) *[0-9]*/\1 11371/' \
    -e '/^web:/,/^[^ ]/s/^\(  *https-port:\) *[0-9]*/\1 443/' \
    -e '/^attacks:/,/^[^ ]/s/^\(  *port:\) *[0-9]*/\1 53/' \
    "$src/default-lab.yml"; } | awk '
  # After a site'"'"'s ports: block, its published: block (the site'"'"'s listeners, each on N*10000+port of 127.0.0.1).
  function publish(   n, k, i) {
    if (keys == "") return
    print "    published:                # where docker-compose.yml publishes these ports on the host"
    print "      address: 127.0.0.1"
    print "      ports:"
    n = split(keys, k, " ")
    for (i = 1; i <= n; i++) print "        " k[i] ": " (site * 10000 + port[k[i]])
    keys = ""
  }
  /^    address: 10\.127\./ { split($2, a, "."); site = a[3] }
  inports && !/^      [a-z0-9-]+:/ { publish(); inports = 0 }
  inports { key = $1; sub(":", "", key); port[key] = $2; keys = keys " " key }
  /^    ports:/ { inports = 1 }
  { print }
  END { if (inports) publish() }' >"$out/lab.yml"

for zone in "$src"/zones/*.zone; do
  name=$(basename "$zone")
  if [ "$name" = 127.in-addr.arpa.zone ]; then
    # PTR owners are relative: "1.2.0" in 127.in-addr.arpa (127.0.2.1) is "1.2" in 127.10.in-addr.arpa.
    { note "$name"; sed -e "$addresses" \
        -e 's/\b\([0-9]\{1,3\}\.[0-9]\{1,3\}\)\.0\.127\.in-addr\.arpa/\1.127.10.in-addr.arpa/g' \
        -e 's/\b127\.in-addr\.arpa\./127.10.in-addr.arpa./g' \
        -e 's/^\([0-9]\{1,3\}\.[0-9]\{1,3\}\)\.0\([[:space:]]\)/\1  \2/' "$zone"; } >"$out/zones/127.10.in-addr.arpa.zone"
  else
    { note "$name"; sed -e "$addresses" "$zone"; } >"$out/zones/$name"
  fi
done

# A loopback address or an embedded port left over means the default lab changed shape: say so.
if grep -rn '\b127\.0\.[1-9]' "$out/lab.yml" "$out/zones"; then
  echo "classroom-lab.sh: loopback addresses left in the derived lab (above)" >&2
  exit 1
fi
# (Published ports, 8 spaces in, are the host's and non-standard on purpose.)
if grep -nE '^ {1,6}(mta|submission|submissions|pop3|pop3s|imap|imaps|relay-port|port|https-port): *([0-9]{4,}|0)\b' "$out/lab.yml" | grep -v ' port: 11371\b'; then
  echo "classroom-lab.sh: a non-standard port left in the derived lab.yml (above)" >&2
  exit 1
fi
