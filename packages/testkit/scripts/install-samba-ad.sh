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
[ "$(id -u)" = 0 ] || { echo "install-samba-ad.sh: needs root (try: sudo $0)" >&2; exit 1; }
command -v apt-get >/dev/null 2>&1 || { echo "install-samba-ad.sh: apt-get not found; install samba, samba-ad-dc and samba-ad-provision with your package manager" >&2; exit 1; }

# policy-rc.d exit 101 = "action forbidden": invoke-rc.d must not start smbd, nmbd, winbind or samba-ad-dc.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
pkgs=(samba samba-ad-dc samba-ad-provision samba-dsdb-modules winbind)
# Refresh the package index first if installing from the cached one fails (stale or absent index).
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${pkgs[@]}" ||
  { apt-get update -q && apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${pkgs[@]}"; }

have_all || { echo "install-samba-ad.sh: packages installed but samba, samba-tool or /usr/share/samba/setup still missing" >&2; exit 1; }
echo "installed: $(/usr/sbin/samba --version 2>&1 | head -n 1)"
