#!/usr/bin/env bash
# Development mode: a debug build that rebuilds and restarts on every change (cargo leptos
# watch), with the demo organization. Slower pages and a far bigger download than
# scripts/run.sh, which serves what production runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

scripts/setup.sh
if [ -z "${DATABASE_URL:-}" ]; then
  pg_env=$(scripts/pg.sh)
  eval "$pg_env"
fi
export DATABASE_URL
export SWITCHYARD_SEED_DEMO=${SWITCHYARD_SEED_DEMO:-1}
echo "Serving the debug build at http://127.0.0.1:3000 (admin@acme.test, switchyard-demo)."
exec cargo leptos watch
