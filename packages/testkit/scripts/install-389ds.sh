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
. "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
install_packages 389-ds-base 389-ds-base libnss3-tools ldap-utils openssl

have_all || { echo "install-389ds.sh: packages installed but dscreate/ns-slapd still missing" >&2; exit 1; }
echo "installed: $(dpkg-query -W -f='389-ds-base ${Version}' 389-ds-base)"
