#!/usr/bin/env bash
# Sets up and runs every test: unit, database (a fresh database per test, cloned from a
# migrated template) and browser (Playwright driving Debian's Chromium, JavaScript on and off).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh --browser
if [ -z "${DATABASE_URL:-}" ]; then
  # Durability buys nothing for throw-away test databases; earlier runs' ones are dropped.
  # An assignment first: `eval "$(failing)"` would succeed and hide the failure.
  pg_env=$(SWITCHYARD_PG_OPTIONS='-c fsync=off -c synchronous_commit=off -c full_page_writes=off' scripts/pg.sh --sweep-tests)
  eval "$pg_env"
fi
export DATABASE_URL

# The browser tests run against the release build, as scripts/run.sh serves it.
echo "== build (server and wasm, for release)"
scripts/build.sh

echo "== the REST API's OpenAPI document, through Redocly's recommended rules"
target/release/switchyard openapi > target/openapi.json
(cd end2end && REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true npx redocly lint ../target/openapi.json)

echo "== unit and database tests"
cargo test --workspace --no-fail-fast

echo "== browser tests"
cd end2end
npx playwright test
