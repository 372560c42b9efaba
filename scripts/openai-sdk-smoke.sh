#!/usr/bin/env bash
# Runs the official `openai` Python SDK against a running Spotter: lists models, then one chat without and one with
# streaming, checking the fields clients rely on. The SDK goes into a project-local virtualenv (.venv-smoke).
#
#   make run &                       # or any running server
#   scripts/openai-sdk-smoke.sh      # default http://127.0.0.1:8080; or pass a base URL
#   scripts/openai-sdk-smoke.sh URL KEY   # a server with authentication: the key (or $SPOTTER_API_KEY) is sent as
#                                         # `Authorization: Bearer KEY`, and an unknown key must get 401
set -euo pipefail
cd "$(dirname "$0")/.."
URL=${1:-${SPOTTER_URL:-http://127.0.0.1:8080}}
KEY=${2:-${SPOTTER_API_KEY:-}}
VENV=.venv-smoke

if [[ ! -x $VENV/bin/python ]]; then
  echo "openai-sdk-smoke: creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import openai" 2>/dev/null; then
  echo "openai-sdk-smoke: installing the openai package into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openai>=1.40,<3"
fi
if ! curl -fsS "$URL/healthz" >/dev/null 2>&1; then
  echo "openai-sdk-smoke: no Spotter answering at $URL (start one with \`make run\`)" >&2
  exit 1
fi
exec "$VENV/bin/python" scripts/openai_sdk_smoke.py "$URL" "$KEY"
