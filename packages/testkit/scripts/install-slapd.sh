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
. "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
# Debian's slapd postinst would otherwise create a dc=nodomain database under /etc/ldap/slapd.d.
install_packages --debconf 'slapd slapd/no_configuration boolean true' "slapd, ldap-utils and openssl" slapd ldap-utils openssl

have_all || { echo "install-slapd.sh: packages installed but slapd/ldapadd/openssl still missing" >&2; exit 1; }
echo "installed: $(/usr/sbin/slapd -VV 2>&1 | head -n 1)"
