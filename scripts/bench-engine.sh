#!/usr/bin/env bash
# Benchmarks the engine (issue 3): events posted to the release server for a fixed time at a
# fixed concurrency against a one-step workflow (ingested events/s, completed runs/s, ingest
# and event-to-run-completed latency), the same paced at half the completed rate, one event at
# a time through 40 steps, pgbench -N on the same PostgreSQL for the ratio, and the run history
# with a million runs. Settings: BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_WORKERS (see
# server/benches/engine.rs). Figures go to BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${DATABASE_URL:-}" ]; then pg_env=$(scripts/pg.sh); eval "$pg_env"; fi
if ! command -v pgbench >/dev/null; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  export PATH="$PATH:$bin"
fi
cargo bench -p server --bench engine
