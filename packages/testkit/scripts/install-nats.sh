#!/usr/bin/env bash
# install-nats.sh - install the NATS server that @elder-sync/testkit's startNatsServer() drives
# (Debian/Ubuntu). Idempotent, non-interactive; needs root. No system service is started: each test
# runs its own nats-server with JetStream in a temporary directory.
set -euo pipefail

if command -v nats-server >/dev/null 2>&1; then
  echo "nats-server already installed"
  exit 0
fi
. "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
install_packages nats-server nats-server

command -v nats-server >/dev/null 2>&1 || { echo "install-nats.sh: installed but nats-server is still missing" >&2; exit 1; }
echo "installed: $(nats-server --version)"
