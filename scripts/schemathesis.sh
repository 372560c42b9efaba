#!/usr/bin/env bash
# Property-based tests of the HTTP API against its contract: Schemathesis reads GET /openapi.json from a running
# Spotter and runs every phase (examples, coverage, fuzzing, stateful via the document's links) with every check.
#
#   scripts/schemathesis.sh http://127.0.0.1:8093
#
# The run writes: it uploads and deletes documents, purges the cache and starts refreshes. Point it at a server with
# a throw-away data directory (SPOTTER_DATA_DIR), e.g. a copy of one loaded by scripts/load-demo.sh.
# SCHEMATHESIS_EXAMPLES (default 50) and SCHEMATHESIS_SEED (default 1) change the bounded, repeatable run.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
VENV=.venv-schemathesis
BASE_URL=${1:?usage: scripts/schemathesis.sh BASE_URL (e.g. http://127.0.0.1:8093)}
BASE_URL=${BASE_URL%/}

if [[ $("$VENV/bin/schemathesis" --version 2>/dev/null) != "schemathesis, version $VERSION" ]]; then
  echo "schemathesis.sh: installing schemathesis $VERSION into $VENV"
  [[ -x $VENV/bin/pip ]] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

# Rules the document cannot state in JSON Schema, each allowed for the operations it concerns; anything else the
# server enforces is in openapi.json itself.
config=$(mktemp)
trap 'rm -f "$config"' EXIT
cat > "$config" <<'TOML'
# No state kept between runs (failures found before are not replayed first): every run is the same run.
[cache]
enabled = false

# 413 rejects an over-long `q` or question (query_too_long, message_too_long) and a feedback body over 64 KB, which
# long multi-byte texts within the field limits reach (body_too_large): a status outside the default list.
[[operations]]
include-name = ["GET /v1/search", "POST /v1/chat", "POST /v1/chat/completions", "POST /v1/feedback"]
checks.negative_data_rejection.expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# `variant` must name one of the assistant's variants in the prompt registry (422 otherwise): deployment data.
[[operations]]
include-name = "POST /v1/chat"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

# The last message must be a `user` message (400) whose text is not blank (422) and at most 8,000 characters (413):
# JSON Schema has no keyword for the last item of an array.
[[operations]]
include-name = "POST /v1/chat/completions"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "413", "422", "429", "5xx"]

# `filename` is required with a raw body and refused with a multipart one (400): a parameter cannot depend on the
# body's media type. A file that holds nothing to ingest (empty, unreadable, no extension) is 422 `nothing_ingested`.
[[operations]]
include-name = "POST /v1/documents"
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# `wait=true` answers when a whole refresh of every source has finished: slow by design.
[[operations]]
include-name = "POST /admin/refresh"
checks.max_response_time = 120.0

# The query is one exploded object (CachePurgeQuery: a scope, or all=true). Schemathesis negates it by adding a
# property whose value is empty ([] or null): that property never reaches the wire, so the "invalid" request it
# sends is valid and answered with 200. `--checks all` cannot be narrowed per operation, so 2xx is allowed here;
# positive data (every scope and all=true must be accepted) is still checked.
[[operations]]
include-name = "DELETE /admin/cache"
checks.negative_data_rejection.expected-statuses = ["2xx", "400", "401", "403", "404", "405", "406", "409", "415", "422", "428", "429", "5xx"]
TOML

# With SPOTTER_API_KEY the requests carry it (a server with SPOTTER_AUTH=required); the ignored_auth check then
# also sends requests without it and expects 401.
auth=()
[[ -n ${SPOTTER_API_KEY:-} ]] && auth=(--header "Authorization: Bearer $SPOTTER_API_KEY")
"$VENV/bin/schemathesis" --config-file "$config" run "$BASE_URL/openapi.json" --url "$BASE_URL" "${auth[@]}" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --max-examples "${SCHEMATHESIS_EXAMPLES:-50}" --seed "${SCHEMATHESIS_SEED:-1}" --generation-database none \
  --workers 1 --request-timeout 120 --wait-for-schema 30
