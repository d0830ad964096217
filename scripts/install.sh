#!/usr/bin/env bash
# install.sh - everything elder-sync needs on a fresh Debian/Ubuntu machine with Node 20 and npm:
# pnpm 10, the directory servers the demo and tests run (OpenLDAP, a Samba AD DC and 389-DS; no
# system service is configured or started), the workspace's packages (better-sqlite3 is built from
# source), and a build. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
  echo "install.sh: '$*' needs root; run it as root or install sudo" >&2; exit 1; fi; }

node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===20&&b>=19||a>=22?0:1)' ||
  { echo "install.sh: elder-sync needs Node.js 20.19+ or 22+ (found $(node --version))" >&2; exit 1; }

if ! { command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version)" = 10.34.9 ]; }; then
  # corepack fails signature checks on offline mirrors; a pinned global install does not.
  as_root npm install -g --no-fund --no-audit pnpm@10.34.9
fi

as_root bash packages/testkit/scripts/install-slapd.sh
# The other directory servers the LDAP connector is tested against: Samba as an AD DC, and 389-DS.
as_root bash packages/testkit/scripts/install-samba-ad.sh
as_root bash packages/testkit/scripts/install-389ds.sh
# JetStream for the scale-out tests (dispatcher, workers, KV state).
as_root bash packages/testkit/scripts/install-nats.sh

# better-sqlite3 has no reachable prebuilt binary here: node-gyp builds it against the local headers.
if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir="${npm_config_nodedir:-/usr}"; fi
CI=true pnpm install --frozen-lockfile </dev/null
pnpm build
