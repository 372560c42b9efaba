#!/usr/bin/env bash
# Ingests the demo knowledge base (demo/fitness/) into the default knowledge base. Re-running it is cheap:
# unchanged documents are skipped without re-embedding.
set -euo pipefail
cd "$(dirname "$0")/.."
SPOTTER=${SPOTTER:-.build/release/spotter}
SHARED=${SHARED:-../shared}
EXERCISES="$SHARED/data/fitness/exercises.json"

"$SPOTTER" ingest demo/fitness/guides

if [[ -f $EXERCISES ]]; then
  # One document per exercise: its name is the title; muscles, equipment, level and category are both text and
  # metadata (so that `--filter equipment=kettlebells` works).
  "$SPOTTER" ingest "$EXERCISES" --format json --id-field id --title-field name \
    --text-field name --text-field category --text-field level --text-field equipment \
    --text-field primaryMuscles --text-field secondaryMuscles --text-field force --text-field mechanic \
    --text-field instructions \
    --metadata-field category --metadata-field level --metadata-field equipment \
    --metadata-field primaryMuscles --metadata-field secondaryMuscles --metadata-field force --metadata-field mechanic
else
  echo "load-demo: $EXERCISES not found; the exercise catalogue was not loaded (set SHARED=/path/to/shared)" >&2
fi
