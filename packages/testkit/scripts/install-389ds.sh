#!/usr/bin/env bash
# install-389ds.sh - install the 389 Directory Server that @elder-sync/testkit's start389Ds() drives
# (Debian/Ubuntu). Idempotent, non-interactive; needs root (CI runners: sudo).
#
# Only the packages are installed: no instance is created and no service is started. start389Ds()
# creates a throwaway instance with `dscreate from-file` inside a temporary directory and runs
# ns-slapd directly (no systemd needed).
#
#   sudo packages/testkit/scripts/install-389ds.sh
set -euo pipefail

have_all() { command -v dscreate >/dev/null 2>&1 && [ -x /usr/sbin/ns-slapd ] && command -v certutil >/dev/null 2>&1 && command -v ldapadd >/dev/null 2>&1; }

if have_all; then
  echo "389-ds-base already installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-389ds.sh: needs root (try: sudo $0)" >&2; exit 1; }
command -v apt-get >/dev/null 2>&1 || { echo "install-389ds.sh: apt-get not found; install 389-ds-base with your package manager" >&2; exit 1; }

made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
pkgs=(389-ds-base libnss3-tools ldap-utils openssl)
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${pkgs[@]}" ||
  { apt-get update -q && apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${pkgs[@]}"; }

have_all || { echo "install-389ds.sh: packages installed but dscreate/ns-slapd still missing" >&2; exit 1; }
echo "installed: $(dpkg-query -W -f='389-ds-base ${Version}' 389-ds-base)"
