#!/usr/bin/env bash
# The HTTP contract against the running server, as `make test` runs it: a throw-away data directory with the demo
# knowledge base, `spotter serve` on a free loopback port with SPOTTER_AUTH=required (as a deployment runs) and a
# key with every scope, then scripts/schemathesis.sh (every check, bounded and seeded) and the official openai SDK
# (scripts/openai-sdk-smoke.sh) with that key. The server is stopped however the run ends.
set -euo pipefail
cd "$(dirname "$0")/.."
SPOTTER=${SPOTTER:-.build/release/spotter}
[[ -x $SPOTTER ]] || { echo "contract-test: $SPOTTER is missing; run make build first" >&2; exit 1; }

data=$(mktemp -d)
log="$data/serve.log"
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$data"
}
trap cleanup EXIT

echo "contract-test: loading the demo knowledge base into $data"
SPOTTER_DATA_DIR="$data/store" SPOTTER="$SPOTTER" scripts/load-demo.sh >"$data/load.log" 2>&1 \
  || { cat "$data/load.log" >&2; echo "contract-test: loading the demo failed" >&2; exit 1; }

# The key is printed once, as one JSON line.
key=$(SPOTTER_DATA_DIR="$data/store" "$SPOTTER" keys create --scopes chat,ingest,admin --name contract-test --json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["key"])')

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SPOTTER_DATA_DIR="$data/store" SPOTTER_AUTH=required SPOTTER_LOG_LEVEL=warning "$SPOTTER" serve --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
if ! python3 - "$base" <<'PY'
import sys, time, urllib.request
for _ in range(240):
    try:
        if urllib.request.urlopen(sys.argv[1] + "/readyz", timeout=2).status == 200:
            sys.exit(0)
    except Exception:
        pass
    time.sleep(0.5)
sys.exit(1)
PY
then
  cat "$log" >&2
  echo "contract-test: the server at $base did not become ready" >&2
  exit 1
fi
SPOTTER_API_KEY=$key scripts/schemathesis.sh "$base"
scripts/openai-sdk-smoke.sh "$base" "$key"
