#!/usr/bin/env bash
# install-nats.sh - install the NATS server that @elder-sync/testkit's startNatsServer() drives
# (Debian/Ubuntu). Idempotent, non-interactive; needs root. No system service is started: each test
# runs its own nats-server with JetStream in a temporary directory.
set -euo pipefail

if command -v nats-server >/dev/null 2>&1; then
  echo "nats-server already installed"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-nats.sh: needs root (try: sudo $0)" >&2; exit 1; }
command -v apt-get >/dev/null 2>&1 || { echo "install-nats.sh: apt-get not found; install nats-server with your package manager" >&2; exit 1; }

# policy-rc.d exit 101 = "action forbidden": invoke-rc.d must not start a system nats-server.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends nats-server ||
  { apt-get update -q && apt-get install -y -q --no-install-recommends nats-server; }

command -v nats-server >/dev/null 2>&1 || { echo "install-nats.sh: installed but nats-server is still missing" >&2; exit 1; }
echo "installed: $(nats-server --version)"
