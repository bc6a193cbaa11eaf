#!/bin/sh
# Entry point of the maillab containers: 'maillab up' on the classroom lab; arguments are added
# (docker-compose.yml gives --only dns, --only uc, ...).
# Every maillab container mounts the same certs volume, so the whole lab has one CA. The lab DNS
# starts first (the sites wait until it is healthy), so it is the one that creates the CA; it also
# exports the CA certificate, never the key, to /var/lib/maillab-ca for the workstation.
# The zones volume is shared too: the lab DNS serves it, and a site's first start appends its DKIM
# public keys to its own domain's zone there (as one 'maillab up' does with its data directory). Being
# a mount point it always exists, so it is filled here, on the first start, from the image's zones.
set -eu
lab=/etc/maillab/lab.yml
if ! ls "$MAILLAB_DATA"/zones/*.zone >/dev/null 2>&1; then
  cp /etc/maillab/zones/*.zone "$MAILLAB_DATA/zones/"
fi
maillab certs create --lab "$lab" >/dev/null   # makes the CA if the volume has none, keeps it otherwise
cp "$MAILLAB_DATA/certs/ca.crt" /var/lib/maillab-ca/.ca.crt.tmp
mv /var/lib/maillab-ca/.ca.crt.tmp /var/lib/maillab-ca/ca.crt
# The dashboard runs with the lab DNS (--only dns). Beyond loopback it asks for a sign-in; without an
# instructor password from the environment, one is made on the first start and kept beside the lab CA's key
# in the certs volume, which the workstation does not mount (it mounts dns-data: students could read it there).
for arg in "$@"; do
  if [ "$arg" = dns ] && [ -z "${MAILLAB_INSTRUCTOR_PASSWORD:-}" ]; then
    pw="$MAILLAB_DATA/certs/instructor-password"
    if [ ! -s "$pw" ]; then
      (umask 077 && head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$pw.tmp" && mv "$pw.tmp" "$pw")
    fi
    MAILLAB_INSTRUCTOR_PASSWORD=$(cat "$pw")
    export MAILLAB_INSTRUCTOR_PASSWORD
    echo "dashboard: sign in as instructor with the password in $pw (docker-compose exec dns cat $pw)"
  fi
done
exec maillab up --lab "$lab" "$@"
