#!/usr/bin/env bash
# The test command of the README, for a fresh Debian 12 machine with the .NET SDK: installs the Debian
# packages the tests drive (swaks, dig, dkimpy, dovecot ...) when some are missing, then runs the whole
# suite. Arguments go to 'dotnet test' (for example --filter "FullyQualifiedName~Spf"). .ci/run calls
# it too, so CI and a student's machine run the same command.
#   MAILLAB_TEST_NO_APT=1   do not install; only say what is missing (the tests that need it fail)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# What the interop tests run: swaks, openssl s_client, dig and nslookup, nc (the handout runner types
# the exercises' SMTP dialogues into 'nc -C'), curl, python3 with pyspf and dkimpy,
# fetchmail, dovecot (the IMAP reference server) and mbsync (isync); kill (procps) and unshare
# (util-linux) for the process tests; gpg (gnupg) for the OpenPGP interop tests; chromium for the dashboard's browser
# tests (Playwright drives it with ExecutablePath=/usr/bin/chromium; no browser is downloaded). Packages are installed without their Recommends, so what a
# test needs from those is named here: swaks' TLS is Net::SSLeay (libnet-ssleay-perl, only
# recommended: without it "--tls" exits 10). The README lists these.
TEST_PACKAGES=(swaks libnet-ssleay-perl openssl ca-certificates bind9-dnsutils netcat-openbsd curl python3 python3-spf python3-dkim
               fetchmail dovecot-imapd isync procps util-linux gnupg dirmngr libnss3-tools
               unbound ldnsutils thunderbird chromium)

missing=()
for p in "${TEST_PACKAGES[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then missing+=("$p"); fi
done

if ((${#missing[@]} > 0)); then
  if [[ ${MAILLAB_TEST_NO_APT:-} == 1 ]]; then
    echo "tests/run.sh: not installed (MAILLAB_TEST_NO_APT=1): ${missing[*]}" >&2
  else
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
      command -v sudo >/dev/null || { echo "tests/run.sh: ${missing[*]} missing; run as root, or: apt-get install -y ${missing[*]}" >&2; exit 1; }
      sudo=(sudo)
    fi
    echo "== installing ${missing[*]}"
    apt_install() {
      "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null &&
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
    }
    if ! apt_install; then
      echo "apt failed; retrying once in 15 s" >&2
      sleep 15
      apt_install
    fi
  fi
fi

command -v dotnet >/dev/null || { echo "tests/run.sh: dotnet not found on PATH (the .NET 10 SDK is needed)" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
echo "== dotnet test MailLab.sln -c Release --logger \"trx;LogFileName=results.trx\" --results-directory TestResults $*"
exec dotnet test MailLab.sln -c Release --logger "trx;LogFileName=results.trx" --results-directory TestResults "$@"
