#!/usr/bin/env bash
# Optional tools that `make test` uses when they can be installed, and never fails for them:
# - promtool (Debian: prometheus) validates deploy/prometheus/alerts.yml; without it that test is skipped and the
#   rules are still checked against the exported series.
set -uo pipefail
command -v promtool >/dev/null 2>&1 && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing prometheus (for promtool) with apt-get"
  if ! { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null; }; then
    echo "setup: could not install prometheus; the promtool check is skipped" >&2
  fi
else
  echo "setup: promtool not found (sudo apt-get install -y prometheus); the promtool check is skipped" >&2
fi
exit 0
