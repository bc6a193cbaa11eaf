#!/bin/sh
# Trusts the lab CA system-wide (openssl, swaks, curl, s-nail), then runs the command. The lab DNS
# container exports the CA certificate into the lab-ca volume before it reports healthy, and the
# workstation starts after that. The marker file makes the container healthy once the CA is trusted.
set -eu
marker=/run/maillab-ca-trusted
rm -f "$marker"
if [ -f /var/lib/maillab-ca/ca.crt ]; then
  cp /var/lib/maillab-ca/ca.crt /usr/local/share/ca-certificates/maillab-lab-ca.crt
  update-ca-certificates >/dev/null 2>&1
  touch "$marker"
fi
exec "$@"
