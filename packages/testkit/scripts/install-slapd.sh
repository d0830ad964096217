#!/usr/bin/env bash
# install-slapd.sh - install the OpenLDAP server and tools that @elder-sync/testkit's startSlapd()
# drives (Debian/Ubuntu). Idempotent, non-interactive; needs root (CI runners: sudo).
#
# Only the packages are installed: no system database, no /etc/ldap/slapd.d, no running service.
# startSlapd() runs its own slapd from a generated config inside a temporary directory.
#
#   sudo packages/testkit/scripts/install-slapd.sh
set -euo pipefail

have_all() { [ -x /usr/sbin/slapd ] && command -v ldapadd >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; }

if have_all; then
  echo "slapd, ldap-utils and openssl already installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-slapd.sh: needs root (try: sudo $0)" >&2; exit 1; }
command -v apt-get >/dev/null 2>&1 || { echo "install-slapd.sh: apt-get not found; install slapd, ldap-utils and openssl with your package manager" >&2; exit 1; }

# Debian's slapd postinst would otherwise create a dc=nodomain database under /etc/ldap/slapd.d.
echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
# policy-rc.d exit 101 = "action forbidden": invoke-rc.d must not start a system slapd.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
pkgs=(slapd ldap-utils openssl)
# Try without a package index refresh first (fast on images that have one), then refresh and retry.
apt-get install -y -q --no-install-recommends "${pkgs[@]}" ||
  { apt-get update -q && apt-get install -y -q --no-install-recommends "${pkgs[@]}"; }

have_all || { echo "install-slapd.sh: packages installed but slapd/ldapadd/openssl still missing" >&2; exit 1; }
echo "installed: $(/usr/sbin/slapd -VV 2>&1 | head -n 1)"
