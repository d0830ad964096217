#!/usr/bin/env bash
# install-samba-ad.sh - install the Samba Active Directory domain controller that @elder-sync/testkit's
# startSambaAd() drives (Debian/Ubuntu). Idempotent, non-interactive; needs root (CI runners: sudo).
#
# Only the packages are installed: no domain is provisioned and no service is started (policy-rc.d
# forbids it while installing). startSambaAd() provisions a throwaway domain inside a temporary
# directory and runs `samba -i` on loopback ports of its own.
#
#   sudo packages/testkit/scripts/install-samba-ad.sh
set -euo pipefail

# samba-ad-provision holds the provisioning templates samba-tool needs (only "Recommended" by samba-ad-dc).
have_all() { command -v samba-tool >/dev/null 2>&1 && [ -x /usr/sbin/samba ] && [ -d /usr/share/samba/setup ]; }

if have_all; then
  echo "samba (AD DC) already installed"
  exit 0
fi
. "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
install_packages "samba, samba-ad-dc and samba-ad-provision" samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind

have_all || { echo "install-samba-ad.sh: packages installed but samba, samba-tool or /usr/share/samba/setup still missing" >&2; exit 1; }
echo "installed: $(/usr/sbin/samba --version 2>&1 | head -n 1)"
