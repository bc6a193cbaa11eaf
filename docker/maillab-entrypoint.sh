#!/bin/sh
# Entry point of the maillab containers: 'maillab up' on the classroom lab; arguments are added
# (docker-compose.yml gives --only dns, --only uc, ...).
# Every maillab container mounts the same certs volume, so the whole lab has one CA. The lab DNS
# starts first (the sites wait until it is healthy), so it is the one that creates the CA; it also
# exports the CA certificate, never the key, to /var/lib/maillab-ca for the workstation.
set -eu
lab=/etc/maillab/lab.yml
maillab certs --lab "$lab" >/dev/null
cp "$MAILLAB_DATA/certs/ca.crt" /var/lib/maillab-ca/.ca.crt.tmp
mv /var/lib/maillab-ca/.ca.crt.tmp /var/lib/maillab-ca/ca.crt
exec maillab up --lab "$lab" "$@"
